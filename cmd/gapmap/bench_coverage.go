package main

import (
	"context"
	"errors"
)

// TODO(gapmap): wired by the coverage work in progress.
func benchCoverage(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "bench coverage", "bench coverage [flags]")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return errors.New("bench coverage is not available in this build")
}
