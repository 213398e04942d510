package main

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/gapmap/gapmap/allocation"
)

// Targets of the allocation benchmark (issue #4).
const (
	benchAllocWallTarget = 3 * time.Second
	benchAllocRSSTarget  = 2 << 30 // bytes
)

// benchAllocation runs the allocation engine on a synthetic national-scale
// input (allocation.GenerateBench) several times and prints the wall time
// of Allocate alone and the process's peak RSS (VmHWM, generator included).
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
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *runs < 1 || *students < 1 || *devices < 0 || *districts < 1 || *communes < 1 {
		return usageError{"--runs, --students, --districts and --communes must be at least 1, --devices at least 0"}
	}
	s := allocation.DefaultSettings()
	s.Policy = *policy

	start := time.Now()
	in := allocation.GenerateBench(*seed, *students, *devices, *districts, *communes)
	gen := time.Since(start)
	if err := ctx.Err(); err != nil {
		return err
	}
	rssAfterGen, _ := allocPeakRSS()
	fmt.Fprintf(e.stdout, "gapmap bench allocation: %d students, %d devices, %d areas, %d schools, %d SIM packages (seed %d), GOMAXPROCS %d\n",
		len(in.Students), len(in.Devices), len(in.Areas), len(in.Schools), len(in.SimPackages), *seed, runtime.GOMAXPROCS(0))
	fmt.Fprintf(e.stdout, "input generated in %s (peak RSS so far %s)\n\n", gen.Round(time.Millisecond), allocBytes(rssAfterGen))

	walls := make([]time.Duration, 0, *runs)
	var res *allocation.Result
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "run\twall\tallocations\tSIMs\tunmet")
	for i := range *runs {
		runtime.GC() // each run starts from the same heap
		t0 := time.Now()
		var err error
		res, err = allocation.Allocate(ctx, in, s)
		wall := time.Since(t0)
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		walls = append(walls, wall)
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%d\n", i+1, allocSeconds(wall), len(res.Allocations), res.Totals.SimsGiven, res.Totals.Unmet)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	slices.Sort(walls)
	median := walls[len(walls)/2]
	if len(walls)%2 == 0 {
		median = (walls[len(walls)/2-1] + walls[len(walls)/2]) / 2
	}
	rss, rssOK := allocPeakRSS()
	verdict := func(ok bool) string {
		if ok {
			return "ok"
		}
		return "OVER TARGET"
	}
	fmt.Fprintln(e.stdout)
	tw = tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "metric\tvalue\ttarget\t")
	fmt.Fprintf(tw, "median wall (Allocate)\t%s\t≤ %s\t%s\n", allocSeconds(median), allocSeconds(benchAllocWallTarget), verdict(median <= benchAllocWallTarget))
	fmt.Fprintf(tw, "min / max wall\t%s / %s\t\t\n", allocSeconds(walls[0]), allocSeconds(walls[len(walls)-1]))
	if rssOK {
		fmt.Fprintf(tw, "peak RSS (VmHWM, generator included)\t%s\t≤ %s\t%s\n", allocBytes(rss), allocBytes(benchAllocRSSTarget), verdict(rss <= benchAllocRSSTarget))
	} else {
		fmt.Fprintf(tw, "peak RSS\tunavailable (no /proc/self/status)\t≤ %s\t\n", allocBytes(benchAllocRSSTarget))
	}
	fmt.Fprintf(tw, "needs (tiers 1–3, no device)\t%d\t\t\n", res.Totals.Needs)
	fmt.Fprintf(tw, "allocations made\t%d\t\t\n", len(res.Allocations))
	fmt.Fprintf(tw, "SIMs given\t%d\t\t\n", res.Totals.SimsGiven)
	fmt.Fprintf(tw, "devices rejected at intake\t%d\t\t\n", len(res.RejectedDevices))
	return tw.Flush()
}

// allocPeakRSS reads the process's peak resident set size (VmHWM) in bytes.
func allocPeakRSS() (int64, bool) {
	kb, ok := procStatusKB("VmHWM")
	return kb << 10, ok
}

func allocSeconds(d time.Duration) string { return fmt.Sprintf("%.3f s", d.Seconds()) }

func allocBytes(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.2f GB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.0f MB", float64(b)/(1<<20))
	}
	return fmt.Sprintf("%d kB", b>>10)
}
