package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/gapmap/gapmap/coverage"
	"github.com/gapmap/gapmap/coveragerun/bench"
	"github.com/gapmap/gapmap/internal/procstat"
)

const benchCoverageSynopsis = `bench coverage [--realdata DIR] [--runs 3] [--national-scale 56 | --skip-national] [--baseline-sample 20000 | --no-baseline]

Measures the coverage engine on synthetic data generated on real boundaries:
  bac_giang   Bắc Giang province on its 230 real communes (≈478k homes)
  national    the real communes tiled N times (--national-scale, 56 ≈ 26.7M
              homes, ≈ Vietnam's 26.9M): counts as the country's, densities
              and ranges as a real province's (a plain ×56 on one province
              would put 56× the sites in the same place). Takes minutes;
              --skip-national leaves it out.
For each: the time to parse the files (reported apart), the median wall time
of --runs full analyses (every entity, cell, gap area), the peak resident
memory during the analyses (VmHWM, reset after parsing; it includes the
parsed dataset), and entities per second.
In the same run, the PostGIS baseline classifies a random sample of the
province's entities with SQL only (ST_DWithin on geography with GiST indexes
plus the beam test with ST_Azimuth; nearest 4G site by KNN then
ST_Distance) in DATABASE_URL, and the table shows the time per entity of
both, their ratio, and the agreement: share of entities with identical 4G
operator sets, largest difference of nearest-4G distances.`

func benchCoverage(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "bench coverage", benchCoverageSynopsis)
	realdata := fs.String("realdata", "", "directory of the real data (default: ../shared/realdata beside the repository)")
	runs := fs.Int("runs", 3, "analyses per dataset (the median is reported)")
	nationalRuns := fs.Int("national-runs", 3, "analyses of the national dataset")
	scale := fs.Int("national-scale", 56, "copies of the province in the national dataset (56 ≈ 26.7M homes)")
	skipNational := fs.Bool("skip-national", false, "leave the national dataset out (it takes minutes)")
	sample := fs.Int("baseline-sample", 20000, "entities the PostGIS baseline classifies (0: all; the full province takes minutes)")
	noBaseline := fs.Bool("no-baseline", false, "leave the PostGIS baseline out")
	work := fs.String("work", "", "directory for the generated files (default: a temporary one, removed at the end)")
	seed := fs.Int64("seed", 1, "generator seed")
	workers := fs.Int("workers", 0, "goroutines (default: all cores)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *runs < 1 || *nationalRuns < 1 {
		return usageError{"--runs and --national-runs must be at least 1"}
	}
	procstat.LimitMemory(e.getenv)
	communes, err := bench.FindCommunes(*realdata)
	if errors.Is(err, bench.ErrNoRealData) {
		return fmt.Errorf("%w: pass --realdata DIR (the shared/realdata directory)", err)
	}
	if err != nil {
		return err
	}
	if !*noBaseline {
		announceDB(e, databaseURL(e))
	}
	s := coverage.DefaultSettings()
	s.Workers = *workers
	rep, err := bench.Run(ctx, bench.Options{Communes: communes, Runs: *runs, NationalRuns: *nationalRuns,
		NationalScale: *scale, SkipNational: *skipNational, BaselineSample: *sample, NoBaseline: *noBaseline,
		DatabaseURL: databaseURL(e), Work: *work, Seed: *seed, Settings: s, Progress: e.stderr})
	if errors.Is(err, bench.ErrBaseline) {
		return fmt.Errorf("%w (run with --no-baseline to skip it)", err)
	}
	if err != nil {
		return err
	}
	return rep.Write(e.stdout)
}
