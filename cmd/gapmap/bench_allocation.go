package main

import (
	"context"

	"github.com/gapmap/gapmap/allocation"
)

// benchAllocation runs the allocation engine on a synthetic national-scale
// input several times and prints the wall time of Allocate alone and the
// process's peak RSS (allocation.RunBench).
func benchAllocation(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "bench allocation", "bench allocation [--runs N] [--students N --devices N --districts N --communes N --seed N]\n\n"+
		"Generates a national-scale input in memory (default 2M students, 500k devices, 700 districts,\n"+
		"11k communes, ≈45k schools), runs the allocation engine --runs times and prints the median,\n"+
		"min and max wall time of one run and the peak RSS. Targets: ≤ 3 s wall, ≤ 2 GB RSS.")
	runs := fs.Int("runs", 5, "number of allocation runs")
	students := fs.Int("students", 2_000_000, "students")
	devices := fs.Int("devices", 500_000, "donated devices")
	districts := fs.Int("districts", 700, "districts (provinces: districts/11)")
	communes := fs.Int("communes", 11_000, "communes")
	seed := fs.Int64("seed", 1, "generator seed")
	policy := fs.String("policy", allocation.PolicyReadyFirst, "ready-first or need-first")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *runs < 1 || *students < 1 || *devices < 0 || *districts < 1 || *communes < 1 {
		return usageError{"--runs, --students, --districts and --communes must be at least 1, --devices at least 0"}
	}
	s := allocation.DefaultSettings()
	s.Policy = *policy
	return allocation.RunBench(ctx, allocation.BenchOptions{Runs: *runs, Students: *students, Devices: *devices,
		Districts: *districts, Communes: *communes, Seed: *seed, Settings: s}, e.stdout)
}
