package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/gapmap/gapmap/allocation"
	"github.com/gapmap/gapmap/allocation/report"
	"github.com/gapmap/gapmap/allocation/runs"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/postgis"
)

const allocateSynopsis = `allocate --in DIR --coverage OUT [--tier-order strict|fair] [--policy ready-first|need-first] --out ALLOC   (offline, on files)
       gapmap allocate [--commit] [--tier-order …] [--policy …] [--out ALLOC]                             (on the database)

Allocates donated devices and SIM-data packages to students of priority tiers
1–3 (poor, near-poor, COVID hardship) who have no device, down the area tree
(capped Sainte-Laguë), strictly by tier inside a school, the SIM bundle
decided by each home's connectivity. Every decision is explained in the
output.

--tier-order strict (the default) follows the programme's literal order: all
tier-1 needs of the whole province first, then tier 2, then tier 3; stock
held by a school or an area still serves its own students first. fair shares
the stock between areas by weighted need (tier weights 3, 2, 1), all tiers
together. Needs in mountainous, coastal and lockdown areas (areas.geojson
priority_tags) weigh more (settings area_weights; default 1.5, 1.3, 1.5).

Offline (--in DIR): reads the exchange files of DIR (areas.geojson,
schools.csv, students.csv, devices.csv, sim_packages.csv, …) and the coverage
result OUT/entities.csv written by ` + "`gapmap analyze --in DIR --out OUT`" + `.
--coverage is required: a home's connectivity decides whether its student
gets a SIM (4G), a device only (fiber) or a device flagged for build-out (no
4G, no fiber). --no-coverage runs without it on purpose: every home is then
"unknown", treated as having no connectivity: no SIM is given and every
allocation is flagged needs_connectivity. Nothing is written to a database.

Database (no --in): reads the dataset and the connectivity of the latest
coverage run (run ` + "`gapmap analyze`" + ` first) from DATABASE_URL. Without
--commit it is a preview: nothing is allocated; the run is recorded as a
preview and the files show what a commit would do. With --commit the run,
its allocations and pending handovers are written in one transaction; when
another run committed some of the same students, devices or SIMs first, the
whole commit rolls back: run again, it serves only what is left.
--run N writes every file of recorded run N again (a committed run's
allocations as they stand now: cancelled ones gone, handovers with their
ICCID and date), e.g. to print last month's handover lists again.

--out ALLOC is checked before anything is read or recorded (it can be
created and written, it is new, empty or an earlier allocation output, a
file of the longest name fits). A preview's files are written before the
preview is recorded: when they cannot be written, no run is recorded. A
commit writes its files once committed: when that fails (disk full,
Ctrl-C) the allocations are kept and gapmap allocate --run N --out ALLOC
writes every file again, identical. A symlink ALLOC is written through.

Files in ALLOC (replaced as a whole; a directory that is not an allocation
output is never overwritten):
  allocations.csv      one row per student served: device, SIM, flag, reason, handover
  unserved.csv         students in need left waiting, with their place in line
  area_summary.csv     per area, every level: needs by tier, allocated, unmet,
                       SIMs, stock used, surplus returned to the parent
  explanation.csv/.md  per area and school: exact quota, own stock, cap, seats, rule
  rejected_devices.csv devices failing the minimum specs, with reason codes
  rejected_sims.csv    SIM packages below the minimum data
  sim_stock.csv        SIMs per package: before, given, left
  conflicts.csv        student ids listed more than once (fix the lists)
  handover/SCHOOL.xlsx handover list per school, Vietnamese headers, A4 landscape
  by_area/AREA.csv     the allocations of each area (every level), for its officers
  README.txt           what each file holds; which handover/by_area file is which
                       school or area when an id could not be its file name as is
                       (characters a file system refuses, ids that collide once
                       cleaned, ids over 100 bytes: a short hash of the id added)
PERSONAL DATA: allocations.csv, unserved.csv, conflicts.csv, by_area/ and
handover/ hold student ids. They are internal files of the education office
(Decree 13/2023/NĐ-CP): never send them to operators or publish them.`

// allocateOpts are the parsed flags.
type allocateOpts struct {
	in, coverage, out  string
	noCoverage, commit bool
	policy, settings   string
	tierOrder          string
	operators, actor   string
	date               time.Time
	run                int64
}

func cmdAllocate(ctx context.Context, e *env, args []string) error {
	o, s, err := parseAllocateFlags(e, args)
	if err != nil {
		return err
	}
	if o.in != "" {
		return allocateOffline(ctx, e, o, s)
	}
	return allocateDatabase(ctx, e, o, s)
}

func parseAllocateFlags(e *env, args []string) (allocateOpts, allocation.Settings, error) {
	var o allocateOpts
	fs := newFlags(e, "allocate", allocateSynopsis)
	fs.StringVar(&o.in, "in", "", "offline: directory of exchange files (as written by gapmap gen)")
	fs.StringVar(&o.coverage, "coverage", "", "offline: output directory of gapmap analyze (or its entities.csv)")
	fs.BoolVar(&o.noCoverage, "no-coverage", false, "offline: run without coverage results (every home unknown: no SIMs, all flagged)")
	fs.StringVar(&o.out, "out", "", "directory for the result files (required offline; optional on the database)")
	fs.BoolVar(&o.commit, "commit", false, "database: write the run (default: preview only)")
	fs.StringVar(&o.policy, "policy", "", "within a tier, serve first the homes that are ready (ready-first: fiber or 4G) or in need (need-first); default ready-first")
	fs.StringVar(&o.tierOrder, "tier-order", "", "strict: tier 1 everywhere before tier 2, tier 2 before tier 3 (stock held by a school or area serves its own first); fair: area-fair shares by weighted need; default strict")
	fs.StringVar(&o.settings, "settings", "", "JSON file of engine settings (fields of allocation.Settings; missing fields keep their defaults)")
	fs.StringVar(&o.operators, "prefer-operators", "", "comma-separated SIM operators in order of preference: viettel, vinaphone (VNPT), mobifone, vietnamobile, gmobile (default: none)")
	fs.StringVar(&o.actor, "actor", "", "who runs the allocation, recorded in the database (default $GAPMAP_ACTOR, else $USER)")
	date := fs.String("date", "", "run date YYYY-MM-DD: areas valid on that day are used (default today)")
	fs.Int64Var(&o.run, "run", 0, "database: write every output of recorded run N again into --out (committed runs show their handovers as they stand now)")
	if err := fs.Parse(args); err != nil {
		return o, allocation.Settings{}, err
	}
	if fs.NArg() > 0 {
		return o, allocation.Settings{}, usageError{fmt.Sprintf("allocate takes no arguments (got %q): use --in DIR for files", fs.Args())}
	}
	d, err := dayFlag("date", *date, time.Now())
	if err != nil {
		return o, allocation.Settings{}, err
	}
	o.date = d
	if err := checkAllocateModes(o); err != nil {
		return o, allocation.Settings{}, err
	}
	if o.actor == "" {
		o.actor = strings.TrimSpace(e.getenv("GAPMAP_ACTOR"))
	}
	if o.actor == "" {
		o.actor = strings.TrimSpace(e.getenv("USER"))
	}
	if o.actor == "" {
		o.actor = "gapmap"
	}
	s, err := allocateSettings(o)
	return o, s, err
}

// checkAllocateModes rejects flag combinations that mix the two modes.
func checkAllocateModes(o allocateOpts) error {
	if o.in != "" {
		switch {
		case o.run != 0:
			return usageError{"--run reads a recorded run from the database; drop --in"}
		case o.commit:
			return usageError{"--commit writes to the database; an offline run (--in) only writes files: drop --in to allocate on the database"}
		case o.out == "":
			return usageError{"--out ALLOC is required with --in: the directory to write the allocation files to"}
		case o.coverage != "" && o.noCoverage:
			return usageError{"--coverage and --no-coverage exclude each other"}
		case o.coverage == "" && !o.noCoverage:
			return usageError{"--coverage OUT is required with --in: each home's connectivity decides the SIM bundle. " +
				"Run `gapmap analyze --in " + o.in + " --out OUT` first and pass --coverage OUT, " +
				"or pass --no-coverage to allocate devices only (every home unknown: no SIMs, all flagged for build-out)"}
		}
		return nil
	}
	if o.coverage != "" || o.noCoverage {
		return usageError{"--coverage/--no-coverage are for offline runs (--in DIR); on the database the latest coverage run is used"}
	}
	if o.run != 0 {
		switch {
		case o.run < 0:
			return usageError{"--run N: give the id of a recorded allocation run"}
		case o.commit:
			return usageError{"--run N writes the files of a recorded run; it does not take --commit"}
		case o.out == "":
			return usageError{"--run N needs --out DIR: the directory to write the run's files to"}
		}
	}
	return nil
}

// allocateSettings builds the engine settings from the defaults, the
// --settings file and the flags.
func allocateSettings(o allocateOpts) (allocation.Settings, error) {
	s := allocation.DefaultSettings()
	if o.settings != "" {
		f, err := os.Open(o.settings)
		if err != nil {
			return s, fmt.Errorf("--settings: %w", err)
		}
		defer f.Close()
		if s, err = allocation.ReadSettings(f); err != nil {
			return s, fmt.Errorf("--settings %s: %w", o.settings, err)
		}
	}
	if o.policy != "" {
		s.Policy = o.policy
	}
	if o.tierOrder != "" {
		s.TierOrder = o.tierOrder
	}
	if s.TierOrder != allocation.TierOrderStrict && s.TierOrder != allocation.TierOrderFair {
		return s, usageError{fmt.Sprintf("--tier-order %q: use %s or %s", s.TierOrder, allocation.TierOrderStrict, allocation.TierOrderFair)}
	}
	if o.operators != "" {
		ops, err := runs.ParseOperators(o.operators)
		if err != nil {
			return s, usageError{fmt.Sprintf("--prefer-operators %q: %v", o.operators, err)}
		}
		s.OperatorPreference = ops
	}
	if s.Policy != allocation.PolicyReadyFirst && s.Policy != allocation.PolicyNeedFirst {
		return s, usageError{fmt.Sprintf("--policy %q: use %s or %s", s.Policy, allocation.PolicyReadyFirst, allocation.PolicyNeedFirst)}
	}
	if err := runs.CheckSettings(s); err != nil {
		return s, fmt.Errorf("--settings %s: %w", o.settings, err)
	}
	return s, nil
}

func allocateOffline(ctx context.Context, e *env, o allocateOpts, s allocation.Settings) error {
	if err := checkAllocationDir(o.out); err != nil {
		return err
	}
	files := runs.Files{Dir: o.in, NoCoverage: "none (--no-coverage)"}
	if !o.noCoverage {
		files.Coverage = o.coverage
	}
	out, err := runs.OfflineFiles(ctx, files, runs.Options{Settings: s, Date: o.date, Actor: o.actor})
	var de *format.DatasetError
	var ve *data.ValidationError
	var ce *runs.CoverageFileError
	switch {
	case errors.As(err, &de) && errors.As(de.Err, &ve):
		return fmt.Errorf("%w\nfix the files and run again", err)
	case errors.As(err, &ce):
		return fmt.Errorf("%w (run `gapmap analyze --in DIR --out OUT` and pass --coverage OUT)", err)
	case err != nil:
		return err
	}
	warnUnknownHomes(e, out)
	if err := writeAllocationDir(ctx, o.out, out.View); err != nil {
		return err
	}
	return report.WriteSummary(e.stdout, out.View, o.out)
}

// warnUnknownHomes tells how many students in need have no coverage result.
func warnUnknownHomes(e *env, out *runs.Outcome) {
	if out.UnknownHomes > 0 {
		fmt.Fprintf(e.stderr, "warning: %d of %d students in need live in homes without a coverage result: they are treated as having no connectivity (no SIM, flagged). Re-run gapmap analyze if the household list changed.\n", out.UnknownHomes, out.Needs)
	}
}

// writeAllocationDir writes every output of a run into dir.
func writeAllocationDir(ctx context.Context, dir string, v *report.View) error {
	return outDirError(report.WriteDir(ctx, dir, v))
}

// checkAllocationDir checks --out before any work (report.CheckDir).
func checkAllocationDir(dir string) error {
	if err := outDirError(report.CheckDir(dir)); err != nil {
		return fmt.Errorf("%w; nothing was done", err)
	}
	return nil
}

func outDirError(err error) error {
	var nr *report.NotReplaceableError
	if errors.As(err, &nr) {
		return fmt.Errorf("--out %w", err)
	}
	if err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	return nil
}

// allocateDatabase runs on the store: a preview by default, a commit with
// --commit, or the files of a recorded run again with --run.
func allocateDatabase(ctx context.Context, e *env, o allocateOpts, s allocation.Settings) error {
	if o.out != "" {
		// Before the database: a directory that cannot be written stops
		// the run before anything is committed or recorded.
		if err := checkAllocationDir(o.out); err != nil {
			return err
		}
	}
	store, err := openStore(ctx, e, false)
	if err != nil {
		return err
	}
	defer store.Close()
	svc := &runs.Service{Store: store}
	if o.run > 0 {
		v, err := svc.View(ctx, o.run, runs.Scope{})
		if err != nil {
			return err
		}
		if err := writeAllocationDir(ctx, o.out, v); err != nil {
			return err
		}
		return report.WriteSummary(e.stdout, v, o.out)
	}
	// The files go with the run: a preview whose files cannot be written
	// records no run; a commit writes them once committed.
	opts := runs.Options{Settings: s, Date: o.date, Actor: o.actor, OutDir: o.out}
	var out *runs.Outcome
	if o.commit {
		out, err = svc.Commit(ctx, opts, nil)
	} else {
		out, err = svc.Preview(ctx, opts, nil)
	}
	var nc *postgis.NoCoverageError
	var fe *runs.FilesError
	var oe *runs.OutputError
	switch {
	case errors.As(err, &nc):
		return fmt.Errorf("%w (run `gapmap analyze` first)", err)
	case runs.IsConflict(err):
		return fmt.Errorf("%w: run gapmap allocate --commit again", err)
	case errors.As(err, &fe):
		what := "the allocations are committed"
		if !o.commit {
			what = "the preview is recorded"
		}
		return fmt.Errorf("%w\nnothing is lost: %s; gapmap allocate --run %d --out DIR writes every file again", err, what, fe.RunID)
	case errors.As(err, &oe):
		return fmt.Errorf("--out %s: %w; nothing was recorded or committed", o.out, oe.Err)
	case err != nil:
		return err
	}
	warnUnknownHomes(e, out)
	if err := report.WriteSummary(e.stdout, out.View, o.out); err != nil {
		return err
	}
	if !o.commit {
		fmt.Fprintf(e.stdout, "preview only: nothing was allocated. Check the files, then run gapmap allocate --commit to allocate.\n")
		return printPreviewProgress(ctx, e, store, out.Run.ID, o.date)
	}
	return nil
}
