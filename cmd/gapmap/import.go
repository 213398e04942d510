package main

import (
	"context"
	"errors"
)

// TODO(gapmap): wired by the import work in progress.
func cmdImport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "import", "import [flags]")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return errors.New("import is not available in this build")
}
