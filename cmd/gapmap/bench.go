package main

import (
	"context"
	"fmt"
)

// cmdBench dispatches to one benchmark: gapmap bench coverage|allocation|import|http [flags].
func cmdBench(ctx context.Context, e *env, args []string) error {
	benches := map[string]func(context.Context, *env, []string) error{
		"coverage":   benchCoverage,
		"allocation": benchAllocation,
		"import":     benchImport,
		"http":       benchHTTP,
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(e.stderr, "Usage: gapmap bench coverage|allocation|import|http [flags]   (gapmap bench NAME --help)")
		if len(args) == 0 {
			return usageError{"bench needs a benchmark name"}
		}
		return nil
	}
	b, ok := benches[args[0]]
	if !ok {
		return usageError{fmt.Sprintf("unknown benchmark %q: choose coverage, allocation, import or http", args[0])}
	}
	return b(ctx, e, args[1:])
}
