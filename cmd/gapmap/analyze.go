package main

import (
	"context"
	"errors"
)

// TODO(gapmap): wired by the analyze work in progress.
func cmdAnalyze(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "analyze", "analyze [flags]")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return errors.New("analyze is not available in this build")
}
