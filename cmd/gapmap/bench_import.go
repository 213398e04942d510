package main

import (
	"context"
	"errors"
)

// TODO(gapmap): wired by the import work in progress.
func benchImport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "bench import", "bench import [flags]")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return errors.New("bench import is not available in this build")
}
