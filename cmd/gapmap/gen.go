package main

import (
	"context"
	"errors"
)

// TODO(gapmap): wired by the gen work in progress.
func cmdGen(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "gen", "gen [flags]")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return errors.New("gen is not available in this build")
}
