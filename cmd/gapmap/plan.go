package main

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gapmap/gapmap/coverage"
	"github.com/gapmap/gapmap/coveragerun"
)

const planSynopsis = `plan --in DIR (--sites K | --budget VND) --out plan.geojson [flags]   (offline)
       gapmap plan (--sites K | --budget VND) [--out plan.geojson] [flags]            (on the database)

Chooses new 4G sites to cover the most weighted beneficiaries (tier 1–3
students at home by tier weight, schools by size) that have neither 4G nor
fiber: K sites, or as many as the budget in VND allows. Candidates are omni
sites at the centres of the gap cells and their neighbours, with the range of
the model table for their environment and the site cost of the settings.
Lazy greedy (CELF): at least 1 − 1/e of the optimum for K sites. Each gap area
also compares a new site with a fiber extension by cost per beneficiary.

The plan (plan.geojson) holds one Point per new site, in build order, with its
marginal and cumulative beneficiaries and costs, and one Point per gap area
(its centroid) with the site-versus-fiber comparison: counts only, no ids and
no home positions. The plan is then applied as a what-if (only the affected
homes recomputed) to report what would remain uncovered.

Offline (--in DIR) reads the exchange files; without --in the dataset comes
from DATABASE_URL and the run, with its plan, is stored (coverage_runs,
plan_steps, …).`

func cmdPlan(ctx context.Context, e *env, args []string) error {
	var cf coverageFlags
	var out, budgetS string
	var sites int
	fs := newFlags(e, "plan", planSynopsis)
	cf.register(fs)
	fs.IntVar(&sites, "sites", 0, "number of new sites to choose")
	fs.StringVar(&budgetS, "budget", "", "budget in VND (e.g. 20e9 or 20000000000): as many sites as it allows")
	fs.StringVar(&out, "out", "", "plan GeoJSON file to write (required with --in)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("plan takes no arguments (got %q)", fs.Args())}
	}
	var budget float64
	if budgetS != "" {
		b, err := strconv.ParseFloat(strings.ReplaceAll(strings.ReplaceAll(budgetS, "_", ""), ",", ""), 64)
		if err != nil || !(b > 0) || math.IsInf(b, 0) {
			return usageError{fmt.Sprintf("--budget %q: give a positive amount in VND, e.g. 20e9", budgetS)}
		}
		budget = b
	}
	if (sites > 0) == (budget > 0) {
		return usageError{"give either --sites K (> 0) or --budget VND, not both"}
	}
	if cf.in != "" && out == "" {
		return usageError{"--out plan.geojson is required with --in"}
	}
	if out != "" {
		// Before the analysis and the plan: the file can be written.
		if err := checkOutputFiles(filepath.Dir(out), filepath.Base(out)); err != nil {
			return err
		}
	}
	po := coverage.PlanOptions{Sites: sites, BudgetVND: budget}
	var run *coveragerun.Run
	if cf.in == "" {
		opts, st, err := cf.databaseRun(ctx, e)
		if err != nil {
			return err
		}
		defer st.Close()
		run, err = coveragerun.Plan(ctx, st, opts, po)
		endPhases(e)
		if err != nil {
			return adviseImport(err)
		}
		fmt.Fprintf(e.stderr, "read the dataset in %.2fs; analysed in %.2fs\n", run.ReadTime.Seconds(), run.AnalyseTime.Seconds())
	} else {
		s, in, readTime, err := cf.load(ctx, e)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "read the dataset in %.2fs\n", readTime.Seconds())
		if run, err = coveragerun.PlanOffline(ctx, in, s, po); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "analysed in %.2fs, planned in %.2fs (%d candidates)\n", run.AnalyseTime.Seconds(), run.PlanTime.Seconds(), run.Plan.Candidates)
	}
	if out != "" {
		if err := coveragerun.WritePlanFile(out, run.Plan, run.Result); err != nil {
			return err
		}
	}
	if err := run.Plan.WriteReport(e.stdout, run.Result, run.After); err != nil {
		return err
	}
	if run.ID != 0 {
		fmt.Fprintf(e.stdout, "coverage run %d with its plan stored\n", run.ID)
	}
	return nil
}
