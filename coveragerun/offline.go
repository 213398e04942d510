package coveragerun

import (
	"context"
	"time"

	"github.com/gapmap/gapmap/coverage"
)

// AnalyzeOffline analyses an input held in memory (ReadFiles); nothing is
// stored (Run.ID is 0).
func AnalyzeOffline(ctx context.Context, in coverage.Input, s coverage.Settings) (*Run, error) {
	t0 := time.Now()
	r, err := coverage.Analyze(ctx, in, s)
	if err != nil {
		return nil, err
	}
	return &Run{Result: r, AnalyseTime: time.Since(t0)}, nil
}

// PlanOffline analyses an input held in memory, chooses new sites (po: K
// sites or a budget) and applies them as a what-if, as Plan does on the
// database; nothing is stored.
func PlanOffline(ctx context.Context, in coverage.Input, s coverage.Settings, po coverage.PlanOptions) (*Run, error) {
	if (po.Sites > 0) == (po.BudgetVND > 0) {
		return nil, validation("sites", "give either a number of sites (> 0) or a budget in VND (> 0), not both")
	}
	run, err := AnalyzeOffline(ctx, in, s)
	if err != nil {
		return nil, err
	}
	if err := planRun(ctx, run, po, func(string, float64) {}); err != nil {
		return nil, err
	}
	return run, nil
}

// planRun chooses the plan's sites on run.Result and, when it chose any,
// computes what would remain (run.After).
func planRun(ctx context.Context, run *Run, po coverage.PlanOptions, progress func(phase string, pct float64)) error {
	progress(PhasePlanning, 50)
	t0 := time.Now()
	var err error
	if run.Plan, err = run.Result.Plan(ctx, po); err != nil {
		return err
	}
	run.PlanTime = time.Since(t0)
	if len(run.Plan.Steps) > 0 {
		progress(PhaseWhatIf, 65)
		if run.After, err = run.Result.WhatIf(ctx, run.Plan.Sectors()); err != nil {
			return err
		}
	}
	return nil
}
