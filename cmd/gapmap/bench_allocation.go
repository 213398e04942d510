package main

import (
	"context"
	"errors"
)

// TODO(gapmap): wired by the allocation work in progress.
func benchAllocation(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "bench allocation", "bench allocation [flags]")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return errors.New("bench allocation is not available in this build")
}
