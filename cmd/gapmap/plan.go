package main

import (
	"context"
	"errors"
)

// TODO(gapmap): wired by the plan work in progress.
func cmdPlan(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "plan", "plan [flags]")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return errors.New("plan is not available in this build")
}
