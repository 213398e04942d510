package main

import (
	"context"
	"errors"
)

// TODO(gapmap): wired by the migrate work in progress.
func cmdMigrate(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "migrate", "migrate [flags]")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return errors.New("migrate is not available in this build")
}
