package main

import (
	"context"
	"fmt"
)

// cmdBench dispatches to one benchmark: gapmap bench coverage|allocation|import [flags].
func cmdBench(ctx context.Context, e *env, args []string) error {
	benches := map[string]func(context.Context, *env, []string) error{
		"coverage":   benchCoverage,
		"allocation": benchAllocation,
		"import":     benchImport,
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(e.stderr, "Usage: gapmap bench coverage|allocation|import [flags]   (gapmap bench NAME --help)")
		if len(args) == 0 {
			return usageError{"bench needs a benchmark name"}
		}
		return nil
	}
	b, ok := benches[args[0]]
	if !ok {
		return usageError{fmt.Sprintf("unknown benchmark %q: choose coverage, allocation or import", args[0])}
	}
	return b(ctx, e, args[1:])
}
