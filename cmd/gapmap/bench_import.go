package main

import (
	"context"

	"github.com/gapmap/gapmap/data/importer/importbench"
)

// benchImport measures `gapmap import households` on a generated file of
// about 1M rows into a fresh PostGIS database, against the ceiling of a
// plain COPY of the same file into an unindexed table, in the same run
// (package data/importer/importbench).
func benchImport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "bench import", "bench import [--households N] [--runs R]\n\n"+
		"Generates the sample province scaled to about N households, then R times: creates a scratch\n"+
		"database, imports the areas, and times the households import (validation, point-in-polygon,\n"+
		"H3, binary COPY, keys); and times a plain text COPY of the same CSV into an unindexed table\n"+
		"(the PostgreSQL ceiling). Prints medians and the ratio.")
	n := fs.Int("households", 1_000_000, "approximate number of households")
	runs := fs.Int("runs", 3, "repetitions (the median is reported)")
	keep := fs.Bool("keep", false, "keep the scratch database and files")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *runs < 1 || *n < 1000 {
		return usageError{"--runs must be ≥ 1 and --households ≥ 1000"}
	}
	announceDB(e, databaseURL(e))
	rep, err := importbench.Run(ctx, importbench.Options{DatabaseURL: databaseURL(e), Households: *n, Runs: *runs, Keep: *keep, Progress: e.stderr})
	if err != nil {
		return err
	}
	return rep.Write(e.stdout)
}
