package main

import (
	"context"
	"fmt"
	"time"

	"github.com/gapmap/gapmap/data/gen"
)

// cmdGen writes a realistic synthetic province (or, with --scale, a country)
// as exchange files that gapmap import reads.
func cmdGen(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "gen", "gen [--areas FILE.geojson] [--seed N] [--scale F] [--max-range M] [--legacy-districts] --out DIR\n\n"+
		"Generates households clustered in villages, students, schools, base-station sectors of four\n"+
		"operators, fiber nodes and routes, donated devices and SIM packages. Deterministic for a seed.\n"+
		"With --areas, areas carrying pop2019/households2019 get exactly the census household count at\n"+
		"scale 1; without it, a built-in sample province with real coverage gaps is used.\n"+
		"The areas are two-tier (province → commune, communes valid from 2025-07-01) unless\n"+
		"--legacy-districts keeps the three tiers province → district → commune of before the 2025 reform.\n"+
		"--max-range M (metres) makes every sector state a range drawn in [M/2, M] (e.g. 15000: long-range\n"+
		"rural 4G), everything else unchanged; by default most sectors leave the range to the range table.")
	areas := fs.String("areas", "", "area GeoJSON (Polygon/MultiPolygon features); empty = built-in sample province")
	seed := fs.Int64("seed", 1, "random seed: the same seed writes identical files")
	scale := fs.Float64("scale", 1, "multiply every count (e.g. 56 ≈ national size, 26.9M households)")
	out := fs.String("out", "", "output directory (created; files are replaced)")
	workers := fs.Int("workers", 0, "parallel workers (0 = number of CPUs); does not change the output")
	names := fs.Bool("names", false, "add pupils' names and dates of birth to students.csv (internal data; other files unchanged)")
	legacy := fs.Bool("legacy-districts", false, "keep the districts: province → district → commune, as before 1 July 2025 (default: two-tier province → commune)")
	maxRange := fs.Float64("max-range", 0, "metres: every sector states a range drawn in [M/2, M] (0 = the usual sites)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *out == "" {
		fs.Usage()
		return usageError{"gen needs --out DIR"}
	}
	if *scale <= 0 {
		return usageError{"--scale must be positive"}
	}
	if *maxRange < 0 || *maxRange > 100_000 {
		return usageError{"--max-range must be between 0 and 100000 metres"}
	}
	p := newProgress(e)
	start := time.Now()
	st, err := gen.Generate(ctx, gen.Options{AreasPath: *areas, Seed: *seed, Scale: *scale, OutDir: *out, Workers: *workers,
		LegacyDistricts: *legacy, Names: *names, MaxRangeM: *maxRange, Progress: p.update})
	p.done()
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "gen: wrote %s in %.1fs: %d areas (%d communes), %d households, %d students (%d in tiers 1–3), %d schools, %d sectors (%d 4G) at %d sites, %d fiber nodes, %d fiber routes, %d devices (%d below specs), %d SIM packages (%d SIMs)\n",
		*out, time.Since(start).Seconds(), st.Areas, st.Communes, st.Households, st.Students, st.PriorityStudents, st.Schools,
		st.Sectors, st.Sectors4G, st.Sites, st.FiberNodes, st.FiberRoutes, st.Devices, st.DevicesBelowSpecs, st.SimPackages, st.SimQuantity)
	return nil
}
