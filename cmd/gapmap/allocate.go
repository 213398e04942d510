package main

import (
	"context"
	"errors"
)

// TODO(gapmap): wired by the allocate work in progress.
func cmdAllocate(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "allocate", "allocate [flags]")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return errors.New("allocate is not available in this build")
}
