package main

import (
	"context"
	"errors"
)

// TODO(gapmap): wired by the serve work in progress.
func cmdServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "serve", "serve [flags]")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return errors.New("serve is not available in this build")
}
