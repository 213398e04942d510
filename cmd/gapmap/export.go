package main

import (
	"context"
	"errors"
)

// TODO(gapmap): wired by the export work in progress.
func cmdExport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "export", "export [flags]")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return errors.New("export is not available in this build")
}
