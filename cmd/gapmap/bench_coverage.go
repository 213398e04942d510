package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/gapmap/gapmap/coveragerun/bench"
)

const benchCoverageSynopsis = `bench coverage [--realdata DIR] [--runs 3] [--scales 1,4,16,56] [--max-range M] [--baseline-sample 0 | --no-baseline]

Measures gapmap analyze --in DIR --out OUT end to end (reading the files,
classifying, writing the outputs) on synthetic data generated on real
boundaries: 1× is Bắc Giang on its 230 real communes (≈478k homes and
schools); N× tiles the communes N times (56× ≈ 26.8M, the country: counts
as the country's, densities and ranges as a real province's). Each run is a
process of its own (the time from start to exit, and its peak memory VmHWM);
each figure is the median of --runs runs. The 56× dataset needs ≈ 6.5 GB of
memory, 2.6 GB of disk and minutes a run: leave it out of --scales on a
small machine.

In the same run, PostGIS classifies every entity of the province (or a
random --baseline-sample of them) against the same effective sectors with
SQL only (ST_DWithin on geography with GiST indexes plus the beam test with
ST_Azimuth; the nearest 4G sector by KNN then ST_Distance) in DATABASE_URL.
The whole province takes minutes. The report gives both times, their ratio
to the end-to-end analyze, and the agreement: identical 4G operator sets
(100% expected) and nearest-4G distances within 1 m.

It also counts the exact geodesics of each classification (one per
distance column of each distinct position), times one geodesic on this
machine, and prints their share of the analysis and the ratio's ceiling
while every distance stays exact (the PostGIS classification against the
geodesics alone).

--max-range M generates every sector with a stated range in [M/2, M]
metres (gapmap gen --max-range), e.g. 15000 for long-range rural 4G.`

// benchCoverage runs gapmap bench coverage; "bench coverage child" (hidden)
// is one measured analysis, started by the benchmark itself.
func benchCoverage(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && args[0] == "child" {
		return bench.ChildMain(ctx, args[1:], e.stdout)
	}
	fs := newFlags(e, "bench coverage", benchCoverageSynopsis)
	realdata := fs.String("realdata", "", "directory of the real data (default: ../shared/realdata beside the repository)")
	runs := fs.Int("runs", 3, "analyses per scale (medians reported)")
	scalesFlag := fs.String("scales", "1,4,16,56", "multiples of the province to measure, comma-separated (1 is always measured; 56 ≈ the country, ≈ 6.5 GB)")
	maxRange := fs.Float64("max-range", 0, "metres: generate every sector with a stated range in [M/2, M] (0: the usual sites)")
	sample := fs.Int("baseline-sample", 0, "entities the PostGIS baseline classifies (0: every one; the province takes minutes)")
	noBaseline := fs.Bool("no-baseline", false, "leave the PostGIS baseline out")
	work := fs.String("work", "", "directory to generate the files in; each scale's files are removed once measured (default: a temporary directory)")
	seed := fs.Int64("seed", 1, "generator seed")
	workers := fs.Int("workers", 0, "goroutines of each analysis (default: all cores)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *runs < 1 {
		return usageError{"--runs must be at least 1"}
	}
	if *maxRange < 0 || *maxRange > 100_000 {
		return usageError{"--max-range must be between 0 and 100000 metres"}
	}
	if *sample < 0 {
		return usageError{"--baseline-sample must be 0 (every entity) or positive"}
	}
	scales, err := bench.ParseScales(*scalesFlag)
	if err != nil {
		return usageError{"--scales " + err.Error()}
	}
	communes, err := bench.FindCommunes(*realdata)
	if errors.Is(err, bench.ErrNoRealData) {
		return fmt.Errorf("%w: pass --realdata DIR (the shared/realdata directory)", err)
	}
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding this program to run the analyses: %w", err)
	}
	if !*noBaseline {
		announceDB(e, databaseURL(e))
	}
	rep, err := bench.Run(ctx, bench.Options{Communes: communes, Runs: *runs, Scales: scales, MaxRangeM: *maxRange,
		BaselineSample: *sample, NoBaseline: *noBaseline, DatabaseURL: databaseURL(e), Work: *work, Seed: *seed,
		Workers: *workers, Child: []string{self, "bench", "coverage", "child"}, Progress: e.stderr})
	if errors.Is(err, bench.ErrBaseline) {
		return fmt.Errorf("%w (run with --no-baseline to skip it)", err)
	}
	if err != nil {
		return err
	}
	return rep.Write(e.stdout)
}
