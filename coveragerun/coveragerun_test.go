package coveragerun_test

import (
	"context"
	"errors"
	"testing"

	"github.com/gapmap/gapmap/coverage"
	"github.com/gapmap/gapmap/coveragerun"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
)

// Progress runs through the phases in order up to 100%; a run cancelled
// while it is being stored leaves nothing in the database; an empty
// database is a conflict.
func TestAnalyzeProgressAndCancel(t *testing.T) {
	ctx := context.Background()
	st := pgtest.New(t)
	if _, err := coveragerun.Analyze(ctx, st, coveragerun.Options{Settings: coverage.DefaultSettings()}); !errors.Is(err, data.ErrConflict) {
		t.Fatalf("empty database: %v", err)
	}
	importGenerated(t, st, 5)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	_, err := coveragerun.Analyze(cctx, st, coveragerun.Options{Settings: coverage.DefaultSettings(), Progress: func(phase string, _ float64) {
		if phase == coveragerun.PhaseStoring {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled while storing: %v", err)
	}
	var runs int
	if err := st.Pool().QueryRow(ctx, `SELECT count(*) FROM coverage_runs`).Scan(&runs); err != nil || runs != 0 {
		t.Fatalf("%d runs stored by a cancelled run (%v)", runs, err)
	}
	var phases []string
	var last float64
	run, err := coveragerun.Analyze(ctx, st, coveragerun.Options{Settings: coverage.DefaultSettings(), Progress: func(phase string, pct float64) {
		if pct < last {
			t.Errorf("progress went back: %v after %v", pct, last)
		}
		last = pct
		if len(phases) == 0 || phases[len(phases)-1] != phase {
			phases = append(phases, phase)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{coveragerun.PhaseReading, coveragerun.PhaseAnalysing, coveragerun.PhaseStoring}
	if len(phases) != 3 || phases[0] != want[0] || phases[1] != want[1] || phases[2] != want[2] || last != 100 {
		t.Errorf("phases %v ending at %v%%, want %v to 100%%", phases, last, want)
	}
	got, err := st.CoverageRun(ctx, 0)
	if err != nil || got.ID != run.ID || got.Entities != run.Result.NumEntities() || got.GapAreas != len(run.Result.Gaps) {
		t.Errorf("stored run %+v (%v), result %d entities %d gaps", got, err, run.Result.NumEntities(), len(run.Result.Gaps))
	}
	if _, err := st.CoverageRun(ctx, run.ID+1); !errors.Is(err, data.ErrNotFound) {
		t.Errorf("a missing run: %v", err)
	}
}
