package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gapmap/gapmap/allocation"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/xuri/excelize/v2"
	"golang.org/x/sync/errgroup"
)

const allocateSynopsis = `allocate --in DIR --coverage OUT [--policy ready-first|need-first] --out ALLOC   (offline, on files)
       gapmap allocate [--commit] [--policy …] [--out ALLOC]                             (on the database)

Allocates donated devices and SIM-data packages to students of priority tiers
1–3 (poor, near-poor, COVID hardship) who have no device: fairly between areas
(capped Sainte-Laguë down the area tree), strictly by tier inside a school,
the SIM bundle decided by each home's connectivity. Every decision is
explained in the output.

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

Files in ALLOC (replaced as a whole; a directory that is not an allocation
output is never overwritten):
  allocations.csv      one row per student served: device, SIM, flag, reason
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
PERSONAL DATA: allocations.csv, unserved.csv, conflicts.csv, by_area/ and
handover/ hold student ids. They are internal files of the education office
(Decree 13/2023/NĐ-CP): never send them to operators or publish them.`

// allocateOpts are the parsed flags.
type allocateOpts struct {
	in, coverage, out   string
	noCoverage, commit  bool
	policy, settings    string
	operators, actor    string
	date                time.Time
	handoverConcurrency int
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
	fs.StringVar(&o.settings, "settings", "", "JSON file of engine settings (fields of allocation.Settings; missing fields keep their defaults)")
	fs.StringVar(&o.operators, "prefer-operators", "", "comma-separated SIM operators in order of preference (default: none)")
	fs.StringVar(&o.actor, "actor", "", "who runs the allocation, recorded in the database (default $GAPMAP_ACTOR, else $USER)")
	date := fs.String("date", "", "run date YYYY-MM-DD: areas valid on that day are used (default today)")
	if err := fs.Parse(args); err != nil {
		return o, allocation.Settings{}, err
	}
	if fs.NArg() > 0 {
		return o, allocation.Settings{}, usageError{fmt.Sprintf("allocate takes no arguments (got %q): use --in DIR for files", fs.Args())}
	}
	o.date = time.Now()
	if *date != "" {
		d, err := time.Parse("2006-01-02", *date)
		if err != nil {
			return o, allocation.Settings{}, usageError{fmt.Sprintf("--date %q: write the date as YYYY-MM-DD", *date)}
		}
		o.date = d
	}
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
		dec := json.NewDecoder(f)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil {
			return s, fmt.Errorf("--settings %s: %w (expected a JSON object with fields of allocation.Settings, e.g. {\"policy\":\"need-first\",\"tier_weights\":{\"1\":3,\"2\":2,\"3\":1}})", o.settings, err)
		}
	}
	if o.policy != "" {
		s.Policy = o.policy
	}
	if o.operators != "" {
		s.OperatorPreference = nil
		for _, op := range strings.Split(o.operators, ",") {
			if op = strings.TrimSpace(op); op != "" {
				s.OperatorPreference = append(s.OperatorPreference, op)
			}
		}
	}
	if s.Policy != allocation.PolicyReadyFirst && s.Policy != allocation.PolicyNeedFirst {
		return s, usageError{fmt.Sprintf("--policy %q: use %s or %s", s.Policy, allocation.PolicyReadyFirst, allocation.PolicyNeedFirst)}
	}
	return s, nil
}

// allocRunInfo describes a run in the output files.
type allocRunInfo struct {
	Mode     string // offline | preview | committed
	RunID    int64
	Actor    string
	Date     time.Time
	Coverage string // where the connectivity came from
	Settings allocation.Settings
}

func (r allocRunInfo) label() string {
	switch r.Mode {
	case "offline":
		return "offline run (files only, nothing recorded)"
	case "preview":
		return fmt.Sprintf("preview run %d (nothing allocated)", r.RunID)
	}
	return fmt.Sprintf("committed run %d", r.RunID)
}

func allocateOffline(ctx context.Context, e *env, o allocateOpts, s allocation.Settings) error {
	ds, err := format.ReadDir(ctx, o.in)
	if err != nil {
		var ve *data.ValidationError
		if errors.As(err, &ve) {
			return fmt.Errorf("read %s: %w\nfix the files and run again", o.in, err)
		}
		return fmt.Errorf("read %s: %w", o.in, err)
	}
	if len(ds.Students) == 0 {
		return fmt.Errorf("%s has no students: allocate needs students.csv (and schools.csv, areas.geojson, devices.csv, sim_packages.csv)", o.in)
	}
	in := allocation.Input{
		Areas: validAreas(ds.Areas, o.date), Schools: ds.Schools, Students: ds.Students,
		Devices: ds.Devices, SimPackages: ds.SimPackages,
	}
	info := allocRunInfo{Mode: "offline", Actor: o.actor, Date: o.date, Settings: s, Coverage: "none (--no-coverage)"}
	if !o.noCoverage {
		path := o.coverage
		if fi, err := os.Stat(path); err == nil && fi.IsDir() {
			path = filepath.Join(path, "entities.csv")
		}
		if in.Connectivity, err = readCoverageEntities(ctx, path); err != nil {
			return err
		}
		info.Coverage = path
	}
	res, err := allocation.Allocate(ctx, in, s)
	if err != nil {
		return err
	}
	warnUnknownHomes(e, ds.Students, in.Connectivity, !o.noCoverage)
	if err := writeAllocationFiles(ctx, o.out, ds, res, info); err != nil {
		return err
	}
	printAllocationSummary(e.stdout, res, info, o.out)
	return nil
}

// validAreas keeps the areas valid on day.
func validAreas(areas []data.Area, day time.Time) []data.Area {
	d := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	out := make([]data.Area, 0, len(areas))
	for _, a := range areas {
		if a.ValidFrom != nil && a.ValidFrom.After(d) {
			continue
		}
		if a.ValidTo != nil && !a.ValidTo.After(d) {
			continue
		}
		out = append(out, a)
	}
	return out
}

// warnUnknownHomes tells how many students in need have no coverage result.
func warnUnknownHomes(e *env, students []data.Student, conn map[string]allocation.Connectivity, expected bool) {
	if !expected {
		return
	}
	missing, needs := 0, 0
	for i := range students {
		s := &students[i]
		if s.Priority < data.TierPoor || s.Priority > data.TierCovid || s.HasDevice {
			continue
		}
		needs++
		if _, ok := conn[s.HouseholdID]; !ok {
			missing++
		}
	}
	if missing > 0 {
		fmt.Fprintf(e.stderr, "warning: %d of %d students in need live in homes without a coverage result: they are treated as having no connectivity (no SIM, flagged). Re-run gapmap analyze if the household list changed.\n", missing, needs)
	}
}

// readCoverageEntities reads the household rows of the coverage engine's
// entities.csv (entity_type, entity_id, connectivity, operators_4g with
// operators separated by ";"; other columns are ignored).
func readCoverageEntities(ctx context.Context, path string) (map[string]allocation.Connectivity, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read the coverage result: %w (run `gapmap analyze --in DIR --out OUT` and pass --coverage OUT)", err)
	}
	defer f.Close()
	return parseCoverageEntities(ctx, path, f)
}

func parseCoverageEntities(ctx context.Context, name string, r io.Reader) (map[string]allocation.Connectivity, error) {
	cr := csv.NewReader(bufio.NewReaderSize(r, 1<<20))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read the header: %w (is it the entities.csv written by gapmap analyze?)", name, err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		col[h] = i
	}
	need := []string{"entity_type", "entity_id", "connectivity", "operators_4g"}
	idx := make([]int, len(need))
	for k, h := range need {
		i, ok := col[h]
		if !ok {
			return nil, fmt.Errorf("%s: column %s is missing (need %s): pass the entities.csv written by gapmap analyze", name, h, strings.Join(need, ", "))
		}
		idx[k] = i
	}
	out := map[string]allocation.Connectivity{}
	var bad []string
	row := 1
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		row++
		if row&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, row, err)
		}
		cell := func(k int) string {
			if idx[k] >= len(rec) {
				return ""
			}
			return strings.TrimSpace(format.UnescapeCell(rec[idx[k]]))
		}
		if !strings.EqualFold(cell(0), "household") {
			continue
		}
		id, class := cell(1), strings.ToLower(cell(2))
		switch {
		case id == "":
			bad = append(bad, fmt.Sprintf("%s:%d: entity_id is empty", name, row))
			continue
		case class != allocation.ClassFiber && class != allocation.Class4G && class != allocation.Class3G &&
			class != allocation.Class2G && class != allocation.ClassNone:
			bad = append(bad, fmt.Sprintf("%s:%d: connectivity %q is unknown (fiber, 4g, 3g, 2g or none)", name, row, cell(2)))
			continue
		}
		if _, dup := out[id]; dup {
			bad = append(bad, fmt.Sprintf("%s:%d: household %s appears twice", name, row, id))
			continue
		}
		out[id] = allocation.Connectivity{Class: class, Operators4G: splitOperators(cell(3))}
		if len(bad) >= 20 {
			break
		}
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("the coverage result has problems; re-run gapmap analyze to write it again:\n  %s", strings.Join(bad, "\n  "))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s has no household rows: pass the entities.csv of a gapmap analyze run that included households.csv", name)
	}
	return out, nil
}

// splitOperators splits entities.csv's operators_4g ("viettel;mobifone").
func splitOperators(s string) []string {
	var out []string
	for _, op := range strings.Split(s, ";") {
		if op = strings.TrimSpace(op); op != "" {
			out = append(out, op)
		}
	}
	return out
}

// allocateDatabase runs on the store: a preview by default, a commit with
// --commit.
func allocateDatabase(ctx context.Context, e *env, o allocateOpts, s allocation.Settings) error {
	store, err := openStore(ctx, e, false)
	if err != nil {
		return err
	}
	defer store.Close()
	conn := map[string]allocation.Connectivity{}
	ai, err := postgis.ReadAllocationInput(ctx, store.Pool(), o.date, func(id, class string, ops []string) error {
		conn[id] = allocation.Connectivity{Class: class, Operators4G: ops}
		return nil
	})
	if err != nil {
		return err
	}
	settingsJSON, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode the settings: %w", err)
	}
	run := postgis.AllocationRun{Actor: o.actor, Policy: s.Policy, Settings: settingsJSON, CoverageRun: ai.CoverageRun}
	info := allocRunInfo{Actor: o.actor, Date: o.date, Settings: s,
		Coverage: fmt.Sprintf("coverage run %d of %s", ai.CoverageRun, ai.CoverageRunAt.Local().Format("2006-01-02 15:04"))}
	var res *allocation.Result
	plan := func(ctx context.Context, prior postgis.Prior) (postgis.AllocationPlan, error) {
		in := allocation.Input{
			Areas: ai.Dataset.Areas, Schools: ai.Dataset.Schools, Students: ai.Dataset.Students,
			Devices: ai.Dataset.Devices, SimPackages: ai.Dataset.SimPackages, Connectivity: conn,
			Served: prior.Served, AllocatedDevices: prior.Devices, SimUsed: prior.SimUsed,
		}
		var err error
		if res, err = allocation.Allocate(ctx, in, s); err != nil {
			return postgis.AllocationPlan{}, err
		}
		return allocationPlan(res, ai.Dataset.Devices)
	}
	if o.commit {
		committed, err := postgis.CommitAllocation(ctx, store.Pool(), run, plan)
		if err != nil {
			return err
		}
		info.Mode, info.RunID = "committed", committed.ID
	} else {
		p, err := plan(ctx, ai.Prior)
		if err != nil {
			return err
		}
		run.Status, run.Summary, run.Devices = postgis.RunPreview, p.Summary, len(p.Rows)
		for _, r := range p.Rows {
			if r.SimPackageID != "" {
				run.Sims++
			}
		}
		recorded, err := postgis.RecordAllocationRun(ctx, store.Pool(), run)
		if err != nil {
			return err
		}
		info.Mode, info.RunID = "preview", recorded.ID
	}
	warnUnknownHomes(e, ai.Dataset.Students, conn, true)
	if o.out != "" {
		if err := writeAllocationFiles(ctx, o.out, ai.Dataset, res, info); err != nil {
			if info.Mode == "committed" {
				return fmt.Errorf("run %d is committed, but writing its files failed: %w (the allocations are in the database)", info.RunID, err)
			}
			return err
		}
	}
	printAllocationSummary(e.stdout, res, info, o.out)
	if info.Mode == "preview" {
		fmt.Fprintln(e.stdout, "preview only: nothing was allocated. Check the files, then run gapmap allocate --commit to allocate.")
	}
	return nil
}

// allocationPlan turns an engine result into the rows the store commits,
// with each device's serial and IMEI for the handover record.
func allocationPlan(res *allocation.Result, devices []data.Device) (postgis.AllocationPlan, error) {
	dev := make(map[string]*data.Device, len(res.Allocations))
	for _, a := range res.Allocations {
		dev[a.DeviceID] = nil
	}
	for i := range devices {
		if _, ok := dev[devices[i].ID]; ok {
			dev[devices[i].ID] = &devices[i]
		}
	}
	rows := make([]postgis.AllocationRow, len(res.Allocations))
	for i, a := range res.Allocations {
		r := postgis.AllocationRow{
			StudentID: a.StudentID, SchoolID: a.SchoolID, AreaCode: a.AreaCode, Priority: a.Priority,
			Connectivity: a.Connectivity, DeviceID: a.DeviceID, DeviceType: a.DeviceType,
			SimPackageID: a.SimPackageID, SimOperator: a.SimOperator, Flag: a.Flag, Reason: a.Reason,
		}
		if d := dev[a.DeviceID]; d != nil {
			r.DeviceSerial, r.DeviceIMEI = d.Serial, d.IMEI
		}
		rows[i] = r
	}
	summary, err := json.Marshal(struct {
		Totals           allocation.AreaSummary `json:"totals"`
		Unserved         int                    `json:"unserved"`
		RejectedDevices  int                    `json:"rejected_devices"`
		UnusedDevices    int                    `json:"unused_devices"`
		Conflicts        int                    `json:"conflicts"`
		AlreadyServed    int                    `json:"already_served"`
		AlreadyAllocated int                    `json:"already_allocated"`
	}{res.Totals, len(res.Unserved), len(res.RejectedDevices), len(res.UnusedDevices), len(res.Conflicts), res.AlreadyServed, res.AlreadyAllocated})
	if err != nil {
		return postgis.AllocationPlan{}, fmt.Errorf("encode the run summary: %w", err)
	}
	return postgis.AllocationPlan{Rows: rows, Summary: summary}, nil
}

func printAllocationSummary(w io.Writer, res *allocation.Result, info allocRunInfo, out string) {
	t := res.Totals
	sims := 0
	for _, a := range res.Allocations {
		if a.SimPackageID != "" {
			sims++
		}
	}
	fmt.Fprintf(w, "allocation, %s, policy %s, connectivity from %s\n", info.label(), info.Settings.Policy, info.Coverage)
	fmt.Fprintf(w, "  needs:     %d (tier 1: %d, tier 2: %d, tier 3: %d); already served before: %d\n", t.Needs, t.NeedsTier1, t.NeedsTier2, t.NeedsTier3, res.AlreadyServed)
	fmt.Fprintf(w, "  allocated: %d devices, %d SIMs; unmet: %d\n", len(res.Allocations), sims, t.Unmet)
	fmt.Fprintf(w, "  flagged:   %d needs_connectivity (no 4G, no fiber: build-out), %d needs_sim (no SIM of a covering operator in stock)\n", t.NeedsConnectivity, t.NeedsSim)
	fmt.Fprintf(w, "  devices:   %d rejected at intake, %d left in stock (only once every reachable need is met), %d allocated before\n", len(res.RejectedDevices), len(res.UnusedDevices), res.AlreadyAllocated)
	if len(res.Conflicts) > 0 {
		fmt.Fprintf(w, "  conflicts: %d student ids listed more than once: see conflicts.csv and fix the lists\n", len(res.Conflicts))
	}
	if out != "" {
		fmt.Fprintf(w, "  files:     %s (student ids inside: internal to the education office)\n", out)
	}
}

// ---- output files ----

// allocMarkerFile marks a directory written by writeAllocationFiles, so a later
// run may replace it.
const allocMarkerFile = ".gapmap-allocation"

// writeAllocationFiles writes every output into a fresh directory next to
// out and then puts it in place of out, so a reader never sees a mix of two
// runs (a stale handover list would be printed for the wrong students).
func writeAllocationFiles(ctx context.Context, out string, ds *data.Dataset, res *allocation.Result, info allocRunInfo) error {
	out = filepath.Clean(out)
	if err := checkReplaceable(out); err != nil {
		return err
	}
	parent := filepath.Dir(out)
	if err := os.MkdirAll(parent, 0o750); err != nil {
		return fmt.Errorf("create %s: %w", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(out)+".partial-")
	if err != nil {
		return fmt.Errorf("create a directory next to %s: %w", out, err)
	}
	ok := false
	defer func() {
		if !ok {
			_ = os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o750); err != nil {
		return fmt.Errorf("create a directory next to %s: %w", out, err)
	}
	w := newAllocOutputs(tmp, ds, res, info)
	steps := []func() error{
		w.readme, w.allocations, w.unserved, w.areaSummary, w.explanationCSV, w.explanationMD,
		w.rejected, w.simStock, w.conflicts, w.byArea,
		func() error { return w.handovers(ctx) },
	}
	for _, step := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := step(); err != nil {
			return err
		}
	}
	if err := replaceDir(tmp, out); err != nil {
		return err
	}
	ok = true
	return nil
}

// checkReplaceable refuses to replace a directory that is not ours.
func checkReplaceable(out string) error {
	fi, err := os.Stat(out)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("--out %s: %w", out, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("--out %s is a file: give a directory", out)
	}
	if _, err := os.Stat(filepath.Join(out, allocMarkerFile)); err == nil {
		return nil
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		return fmt.Errorf("--out %s: %w", out, err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("--out %s is a directory with other files in it; it is not replaced: give a new or empty directory, or an earlier allocation output", out)
	}
	return nil
}

// replaceDir puts tmp in place of out.
func replaceDir(tmp, out string) error {
	old := ""
	if _, err := os.Stat(out); err == nil {
		old = tmp + ".old"
		if err := os.Rename(out, old); err != nil {
			return fmt.Errorf("move the previous %s aside: %w", out, err)
		}
	}
	if err := os.Rename(tmp, out); err != nil {
		if old != "" {
			_ = os.Rename(old, out)
		}
		return fmt.Errorf("put the new files in %s: %w", out, err)
	}
	if old != "" {
		if err := os.RemoveAll(old); err != nil {
			return fmt.Errorf("remove the previous files (moved to %s): %w", old, err)
		}
	}
	return nil
}

// allocOutputs writes the files of one run into dir.
type allocOutputs struct {
	dir     string
	ds      *data.Dataset
	res     *allocation.Result
	info    allocRunInfo
	schools map[string]*data.School
	areas   map[string]*allocation.AreaSummary
	devices map[string]*data.Device
	pkgs    map[string]*data.SimPackage
	grade   map[[2]string]int // (student id, school id) → grade
}

func newAllocOutputs(dir string, ds *data.Dataset, res *allocation.Result, info allocRunInfo) *allocOutputs {
	w := &allocOutputs{
		dir: dir, ds: ds, res: res, info: info,
		schools: make(map[string]*data.School, len(ds.Schools)),
		areas:   make(map[string]*allocation.AreaSummary, len(res.Areas)),
		devices: make(map[string]*data.Device, len(res.Allocations)),
		pkgs:    make(map[string]*data.SimPackage, len(ds.SimPackages)),
		grade:   make(map[[2]string]int, len(res.Allocations)),
	}
	for i := range ds.Schools {
		w.schools[ds.Schools[i].ID] = &ds.Schools[i]
	}
	for i := range res.Areas {
		w.areas[res.Areas[i].Code] = &res.Areas[i]
	}
	for i := range ds.SimPackages {
		w.pkgs[ds.SimPackages[i].ID] = &ds.SimPackages[i]
	}
	for _, a := range res.Allocations {
		w.devices[a.DeviceID] = nil
		w.grade[[2]string{a.StudentID, a.SchoolID}] = -1
	}
	for i := range ds.Devices {
		if _, ok := w.devices[ds.Devices[i].ID]; ok {
			w.devices[ds.Devices[i].ID] = &ds.Devices[i]
		}
	}
	for i := range ds.Students {
		k := [2]string{ds.Students[i].ID, ds.Students[i].SchoolID}
		if g, ok := w.grade[k]; ok && g < 0 {
			w.grade[k] = ds.Students[i].Grade
		}
	}
	return w
}

// csvFile writes one CSV (UTF-8 BOM, formula-safe) at dir/name.
func (w *allocOutputs) csvFile(name string, header []string, rows func(write func([]string) error) error) error {
	path := filepath.Join(w.dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	defer f.Close()
	c, err := format.NewCSV(f, header)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := rows(c.Write); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

func allocFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func (w *allocOutputs) readme() error {
	text := fmt.Sprintf(`gapmap allocation — %s
Date: %s   Actor: %s   Policy: %s   Connectivity: %s

PERSONAL DATA (Decree 13/2023/NĐ-CP): allocations.csv, unserved.csv,
conflicts.csv, by_area/ and handover/ hold student ids. They are internal
files of the education office: never send them to telecom operators or
publish them. area_summary.csv, explanation.*, sim_stock.csv and
rejected_*.csv hold no personal data.

allocations.csv      one row per student served (device, SIM, flag, reason)
unserved.csv         students in need left waiting, with their place in line
area_summary.csv     per area (every level) and in total: needs, allocated, unmet, SIMs, surplus
explanation.csv/.md  how each area and school got its devices
rejected_devices.csv devices failing the minimum specs (repair or liquidate)
rejected_sims.csv    SIM packages below the minimum data
sim_stock.csv        SIMs per package: before, given, left
conflicts.csv        student ids listed more than once
handover/            one printable handover list per school (XLSX)
by_area/             the allocations of each area, for its officers
`, w.info.label(), w.info.Date.Format("2006-01-02"), w.info.Actor, w.info.Settings.Policy, w.info.Coverage)
	if err := os.WriteFile(filepath.Join(w.dir, "README.txt"), []byte(text), 0o640); err != nil {
		return fmt.Errorf("write README.txt: %w", err)
	}
	if err := os.WriteFile(filepath.Join(w.dir, allocMarkerFile), []byte(w.info.label()+"\n"), 0o640); err != nil {
		return fmt.Errorf("write %s: %w", allocMarkerFile, err)
	}
	return nil
}

func allocationsHeader() []string {
	return []string{"student_id", "school_id", "school_name", "area_code", "priority", "connectivity",
		"device_id", "device_type", "device_serial", "device_imei", "sim_package_id", "sim_operator", "flag", "reason",
		"rank", "pool_size", "school_seats", "explanation"}
}

func (w *allocOutputs) allocationRecord(a *allocation.Allocation, rec []string) []string {
	name, serial, imei := "", "", ""
	if s := w.schools[a.SchoolID]; s != nil {
		name = s.Name
	}
	if d := w.devices[a.DeviceID]; d != nil {
		serial, imei = d.Serial, d.IMEI
	}
	return append(rec[:0], a.StudentID, a.SchoolID, name, a.AreaCode, strconv.Itoa(a.Priority), a.Connectivity,
		a.DeviceID, a.DeviceType, serial, imei, a.SimPackageID, a.SimOperator, a.Flag, a.Reason,
		strconv.Itoa(a.Rank), strconv.Itoa(a.PoolSize), strconv.Itoa(a.SchoolSeats), a.Explain())
}

func (w *allocOutputs) allocations() error {
	return w.csvFile("allocations.csv", allocationsHeader(), func(write func([]string) error) error {
		rec := make([]string, 0, len(allocationsHeader()))
		for i := range w.res.Allocations {
			if err := write(w.allocationRecord(&w.res.Allocations[i], rec)); err != nil {
				return err
			}
		}
		return nil
	})
}

func (w *allocOutputs) unserved() error {
	header := []string{"student_id", "school_id", "area_code", "priority", "connectivity", "rank", "pool_size", "school_seats", "reason"}
	return w.csvFile("unserved.csv", header, func(write func([]string) error) error {
		for _, u := range w.res.Unserved {
			if err := write([]string{u.StudentID, u.SchoolID, u.AreaCode, strconv.Itoa(u.Priority), u.Connectivity,
				strconv.Itoa(u.Rank), strconv.Itoa(u.PoolSize), strconv.Itoa(u.SchoolSeats), u.Reason}); err != nil {
				return err
			}
		}
		return nil
	})
}

func (w *allocOutputs) areaSummary() error {
	header := []string{"area_code", "name", "level", "parent_code", "needs_tier1", "needs_tier2", "needs_tier3", "needs",
		"allocated", "unmet", "sims_given", "needs_sim", "needs_connectivity", "no_connectivity",
		"device_stock", "from_own_stock", "from_parent", "returned_to_parent", "sim_stock"}
	rec := func(m allocation.AreaSummary) []string {
		return []string{m.Code, m.Name, m.Level, m.ParentCode, strconv.Itoa(m.NeedsTier1), strconv.Itoa(m.NeedsTier2), strconv.Itoa(m.NeedsTier3), strconv.Itoa(m.Needs),
			strconv.Itoa(m.Allocated), strconv.Itoa(m.Unmet), strconv.Itoa(m.SimsGiven), strconv.Itoa(m.NeedsSim), strconv.Itoa(m.NeedsConnectivity), strconv.Itoa(m.NoConnectivity),
			strconv.Itoa(m.Stock), strconv.Itoa(m.FromOwnStock), strconv.Itoa(m.FromParent), strconv.Itoa(m.ReturnedToParent), strconv.Itoa(m.SimStock)}
	}
	return w.csvFile("area_summary.csv", header, func(write func([]string) error) error {
		total := w.res.Totals
		total.Name, total.Level = "all areas", "total"
		if err := write(rec(total)); err != nil {
			return err
		}
		for _, m := range w.res.Areas {
			if err := write(rec(m)); err != nil {
				return err
			}
		}
		return nil
	})
}

func (w *allocOutputs) explanationCSV() error {
	header := []string{"parent_area", "kind", "code", "name", "weight", "exact_quota", "own_stock", "cap", "seats", "capped", "rule"}
	return w.csvFile("explanation.csv", header, func(write func([]string) error) error {
		for _, u := range w.res.Units {
			if err := write([]string{u.Parent, u.Kind, u.Code, w.unitName(u), allocFloat(u.Weight), strconv.FormatFloat(u.Quota, 'f', 4, 64),
				strconv.Itoa(u.Held), strconv.Itoa(u.Cap), strconv.Itoa(u.Seats), strconv.FormatBool(u.Capped), u.Rule}); err != nil {
				return err
			}
		}
		return nil
	})
}

func (w *allocOutputs) unitName(u allocation.UnitExplanation) string {
	if u.Kind == "school" {
		if s := w.schools[u.Code]; s != nil {
			return s.Name
		}
		return ""
	}
	if a := w.areas[u.Code]; a != nil {
		return a.Name
	}
	return ""
}

// maxExplainedUnits bounds the units listed in explanation.md; the CSV has
// them all.
const maxExplainedUnits = 2000

func (w *allocOutputs) explanationMD() error {
	var b strings.Builder
	t := w.res.Totals
	s := w.info.Settings
	fmt.Fprintf(&b, "# Allocation explained — %s\n\n", w.info.label())
	fmt.Fprintf(&b, "Date %s · actor %s · policy **%s** · connectivity from %s\n\n", w.info.Date.Format("2006-01-02"), w.info.Actor, s.Policy, w.info.Coverage)
	b.WriteString("## Totals\n\n| needs | tier 1 | tier 2 | tier 3 | allocated | unmet | SIMs | needs_sim | needs_connectivity | rejected devices | unused devices |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
	fmt.Fprintf(&b, "| %d | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d |\n\n", t.Needs, t.NeedsTier1, t.NeedsTier2, t.NeedsTier3,
		t.Allocated, t.Unmet, t.SimsGiven, t.NeedsSim, t.NeedsConnectivity, len(w.res.RejectedDevices), len(w.res.UnusedDevices))
	fmt.Fprintf(&b, `## Rules applied

1. **Needs**: students of tier 1 (poor household), 2 (near-poor) and 3 (COVID-19 hardship) without a device, not served by an earlier committed run; a student id listed twice is served once (see conflicts.csv).
2. **Intake**: devices failing the minimum specs (seed 004) are not allocated (rejected_devices.csv: repair or liquidate); SIM packages below %v GB/day for %d months are not used.
3. **Between areas**: each area's devices are shared between its child areas and its own schools by Sainte-Laguë (divisors 1, 3, 5, …) on the weighted needs (tier weights: tier 1 %v, tier 2 %v, tier 3 %v), each unit capped at its unmet need; a unit keeps its own stock, and stock it cannot use returns to the parent. The exact (unrounded) quota, own stock, cap and seats of every unit are below and in explanation.csv.
4. **Inside a school**: strictly by tier, then by connectivity (%s), then by student id.
5. **Bundle**: fiber home → device only; 4G home → device and a SIM of an operator covering the home (flag needs_sim when none is in stock); no 4G and no fiber (or no coverage result) → device, flagged needs_connectivity for build-out.

## How each area and school got its devices

`, s.MinGBPerDay, s.MinMonths, s.TierWeights[1], s.TierWeights[2], s.TierWeights[3], s.Policy)
	parent := "\x00"
	for i, u := range w.res.Units {
		if i == maxExplainedUnits {
			fmt.Fprintf(&b, "\n… %d more units: see explanation.csv.\n", len(w.res.Units)-i)
			break
		}
		if u.Parent != parent {
			parent = u.Parent
			name := "the whole stock"
			if parent != "" {
				name = "area " + parent
				if a := w.areas[parent]; a != nil && a.Name != "" {
					name += " (" + a.Name + ")"
				}
			}
			fmt.Fprintf(&b, "\n### From %s\n\n", name)
		}
		label := u.Code
		if n := w.unitName(u); n != "" {
			label += " " + n
		}
		fmt.Fprintf(&b, "- %s **%s**: weight %s, exact quota %.2f, own stock %d, cap (unmet need) %d → **%d** device(s); rule: %s\n",
			u.Kind, label, allocFloat(u.Weight), u.Quota, u.Held, u.Cap, u.Seats, u.Rule)
	}
	if err := os.WriteFile(filepath.Join(w.dir, "explanation.md"), []byte(b.String()), 0o640); err != nil {
		return fmt.Errorf("write explanation.md: %w", err)
	}
	return nil
}

func (w *allocOutputs) rejected() error {
	devs := make(map[string]*data.Device, len(w.res.RejectedDevices))
	for _, r := range w.res.RejectedDevices {
		devs[r.DeviceID] = nil
	}
	for i := range w.ds.Devices {
		if _, ok := devs[w.ds.Devices[i].ID]; ok {
			devs[w.ds.Devices[i].ID] = &w.ds.Devices[i]
		}
	}
	header := []string{"device_id", "type", "donor", "area_code", "serial", "imei", "status", "reasons", "liquidate_reasons", "warnings", "action"}
	err := w.csvFile("rejected_devices.csv", header, func(write func([]string) error) error {
		for _, r := range w.res.RejectedDevices {
			var d data.Device
			if p := devs[r.DeviceID]; p != nil {
				d = *p
			}
			action := "repair what the reasons name, check again and register it again"
			if r.Status == allocation.StatusLiquidate {
				action = "liquidate (sell) to fund new devices: no repair meets the minimum specs"
			}
			if err := write([]string{r.DeviceID, d.Type, d.Donor, d.AreaCode, d.Serial, d.IMEI, r.Status,
				strings.Join(r.Reasons, ";"), strings.Join(r.Liquidate, ";"), strings.Join(r.Warnings, ";"), action}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return w.csvFile("rejected_sims.csv", []string{"package_id", "operator", "reasons"}, func(write func([]string) error) error {
		for _, r := range w.res.RejectedSims {
			op := ""
			if p := w.pkgs[r.PackageID]; p != nil {
				op = p.Operator
			}
			if err := write([]string{r.PackageID, op, strings.Join(r.Reasons, ";")}); err != nil {
				return err
			}
		}
		return nil
	})
}

func (w *allocOutputs) simStock() error {
	header := []string{"package_id", "operator", "area_code", "quantity", "issued_before", "given", "remaining"}
	return w.csvFile("sim_stock.csv", header, func(write func([]string) error) error {
		for _, p := range w.res.SimStock {
			if err := write([]string{p.PackageID, p.Operator, p.AreaCode, strconv.Itoa(p.Quantity), strconv.Itoa(p.UsedEarly), strconv.Itoa(p.Given), strconv.Itoa(p.Remaining)}); err != nil {
				return err
			}
		}
		return nil
	})
}

func (w *allocOutputs) conflicts() error {
	header := []string{"student_id", "school_ids", "kept_school_id", "action"}
	return w.csvFile("conflicts.csv", header, func(write func([]string) error) error {
		for _, c := range w.res.Conflicts {
			if err := write([]string{c.StudentID, strings.Join(c.SchoolIDs, ";"), c.KeptSchoolID,
				"served at most once, at " + c.KeptSchoolID + ": correct the student lists so the id appears once"}); err != nil {
				return err
			}
		}
		return nil
	})
}

// byArea writes by_area/<code>.csv for every area with allocations in its
// subtree, listing them.
func (w *allocOutputs) byArea() error {
	parent := make(map[string]string, len(w.res.Areas))
	for _, a := range w.res.Areas {
		parent[a.Code] = a.ParentCode
	}
	lists := map[string][]int32{}
	for i, a := range w.res.Allocations {
		for code, n := a.AreaCode, 0; code != "" && n <= len(parent); code, n = parent[code], n+1 {
			lists[code] = append(lists[code], int32(i))
		}
	}
	codes := make([]string, 0, len(lists))
	for c := range lists {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	rec := make([]string, 0, len(allocationsHeader()))
	for _, code := range codes {
		err := w.csvFile(filepath.Join("by_area", allocFileName(code)+".csv"), allocationsHeader(), func(write func([]string) error) error {
			for _, i := range lists[code] {
				if err := write(w.allocationRecord(&w.res.Allocations[i], rec)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// safeFileName keeps an id usable as a file name on every system.
func allocFileName(id string) string {
	s := strings.Map(func(r rune) rune {
		if r < 32 || strings.ContainsRune(`<>:"/\|?*`, r) {
			return '_'
		}
		return r
	}, strings.TrimSpace(id))
	if s == "" || s == "." || s == ".." {
		return "_" + s
	}
	return s
}

// ---- handover lists ----

// handoverHeader: the columns of a printed handover list.
func handoverHeader() []string {
	return []string{"STT", "Mã học sinh", "Lớp", "Diện ưu tiên", "Thiết bị", "Số serial/IMEI",
		"Gói SIM", "Nhà mạng", "Số ICCID", "Ngày nhận", "Chữ ký"}
}

// handoverWidths: the column widths of a handover list, in characters.
func handoverWidths() []float64 { return []float64{5, 14, 6, 20, 30, 24, 28, 13, 24, 12, 20} }

func handoverTier(t int) string {
	switch t {
	case data.TierPoor:
		return "Hộ nghèo"
	case data.TierNearPoor:
		return "Hộ cận nghèo"
	case data.TierCovid:
		return "Khó khăn do COVID-19"
	}
	return ""
}

func handoverDevice(t string) string {
	switch t {
	case data.DevicePhone:
		return "Điện thoại thông minh"
	case data.DeviceTablet:
		return "Máy tính bảng"
	case data.DeviceLaptop:
		return "Máy tính xách tay"
	case data.DeviceDesktop:
		return "Máy tính để bàn"
	}
	return t
}

func handoverOperator(op string) string {
	switch strings.ToLower(op) {
	case data.OpViettel:
		return "Viettel"
	case data.OpVinaphone:
		return "VinaPhone"
	case data.OpMobifone:
		return "MobiFone"
	case data.OpVietnamobile:
		return "Vietnamobile"
	case data.OpGmobile:
		return "Gmobile"
	}
	return op
}

// handoverSim is the "Gói SIM" cell: the package, or why there is none.
func (w *allocOutputs) handoverSim(a *allocation.Allocation) string {
	if a.SimPackageID != "" {
		if p := w.pkgs[a.SimPackageID]; p != nil {
			return fmt.Sprintf("%s (%s GB/ngày × %d tháng)", a.SimPackageID, allocFloat(p.GBPerDay), p.Months)
		}
		return a.SimPackageID
	}
	switch {
	case a.Connectivity == allocation.ClassFiber:
		return "Không cần (nhà có cáp quang)"
	case a.Flag == allocation.FlagNeedsSim:
		return "Chờ SIM (hết gói của nhà mạng phủ sóng)"
	case a.Flag == allocation.FlagNeedsConnectivity:
		return "Không (nhà chưa có 4G/cáp quang)"
	}
	return ""
}

// handovers writes handover/<school_id>.xlsx for every school with
// allocations, several at a time.
func (w *allocOutputs) handovers(ctx context.Context) error {
	if err := os.MkdirAll(filepath.Join(w.dir, "handover"), 0o750); err != nil {
		return fmt.Errorf("create handover/: %w", err)
	}
	var order []string
	bySchool := map[string][]int32{}
	for i, a := range w.res.Allocations {
		if _, ok := bySchool[a.SchoolID]; !ok {
			order = append(order, a.SchoolID)
		}
		bySchool[a.SchoolID] = append(bySchool[a.SchoolID], int32(i))
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, runtime.GOMAXPROCS(0)))
	for _, id := range order {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			return w.handover(id, bySchool[id])
		})
	}
	return g.Wait()
}

// handover writes one school's list: title, header repeated on every
// printed page, one row per student (by class, then id), room to sign.
func (w *allocOutputs) handover(schoolID string, idx []int32) error {
	allocs := make([]*allocation.Allocation, len(idx))
	for k, i := range idx {
		allocs[k] = &w.res.Allocations[i]
	}
	slices.SortFunc(allocs, func(a, b *allocation.Allocation) int {
		ga, gb := w.grade[[2]string{a.StudentID, a.SchoolID}], w.grade[[2]string{b.StudentID, b.SchoolID}]
		if ga != gb {
			return ga - gb
		}
		return strings.Compare(a.StudentID, b.StudentID)
	})
	name, areaCode := schoolID, ""
	if s := w.schools[schoolID]; s != nil {
		name, areaCode = s.Name, s.AreaCode
	}
	areaName := areaCode
	if a := w.areas[areaCode]; a != nil && a.Name != "" {
		areaName = a.Name + " (" + areaCode + ")"
	}
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "Bàn giao"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("handover %s: %w", schoolID, err)
	}
	st, err := newHandoverStyles(f)
	if err != nil {
		return fmt.Errorf("handover %s: %w", schoolID, err)
	}
	header, widths := handoverHeader(), handoverWidths()
	last, _ := excelize.ColumnNumberToName(len(header))
	run := "ngoại tuyến (chưa ghi vào hệ thống)"
	switch w.info.Mode {
	case "committed":
		run = fmt.Sprintf("đợt %d", w.info.RunID)
	case "preview":
		run = fmt.Sprintf("xem trước %d (CHƯA phân bổ)", w.info.RunID)
	}
	cells := []struct {
		ref   string
		value any
		style int
	}{
		{"A1", "DANH SÁCH BÀN GIAO THIẾT BỊ — " + name, st.title},
		{"A2", fmt.Sprintf("Mã trường: %s · Địa bàn: %s · Phân bổ: %s · Lập ngày %s", schoolID, areaName, run, w.info.Date.Format("02/01/2006")), st.subtitle},
	}
	for _, c := range cells {
		if err := f.SetCellValue(sheet, c.ref, c.value); err != nil {
			return fmt.Errorf("handover %s: %w", schoolID, err)
		}
		row := c.ref[1:]
		if err := f.MergeCell(sheet, c.ref, last+row); err != nil {
			return fmt.Errorf("handover %s: %w", schoolID, err)
		}
		if err := f.SetCellStyle(sheet, c.ref, last+row, c.style); err != nil {
			return fmt.Errorf("handover %s: %w", schoolID, err)
		}
	}
	if err := f.SetRowHeight(sheet, 1, 24); err != nil {
		return fmt.Errorf("handover %s: %w", schoolID, err)
	}
	const headerRow = 3
	for c, h := range header {
		ref, _ := excelize.CoordinatesToCellName(c+1, headerRow)
		if err := f.SetCellStr(sheet, ref, h); err != nil {
			return fmt.Errorf("handover %s: %w", schoolID, err)
		}
		col, _ := excelize.ColumnNumberToName(c + 1)
		if err := f.SetColWidth(sheet, col, col, widths[c]); err != nil {
			return fmt.Errorf("handover %s: %w", schoolID, err)
		}
	}
	if err := f.SetCellStyle(sheet, "A3", last+"3", st.header); err != nil {
		return fmt.Errorf("handover %s: %w", schoolID, err)
	}
	for k, a := range allocs {
		r := headerRow + 1 + k
		serial := ""
		if d := w.devices[a.DeviceID]; d != nil {
			serial = strings.Join(allocNonEmpty(d.Serial, d.IMEI), " / ")
		}
		g := w.grade[[2]string{a.StudentID, a.SchoolID}]
		values := []any{k + 1, a.StudentID, "", handoverTier(a.Priority), handoverDevice(a.DeviceType) + " — " + a.DeviceID, serial,
			w.handoverSim(a), handoverOperator(a.SimOperator), "", "", ""}
		if g > 0 {
			values[2] = g
		}
		ref, _ := excelize.CoordinatesToCellName(1, r)
		if err := f.SetSheetRow(sheet, ref, &values); err != nil {
			return fmt.Errorf("handover %s: %w", schoolID, err)
		}
		if err := f.SetRowHeight(sheet, r, 30); err != nil {
			return fmt.Errorf("handover %s: %w", schoolID, err)
		}
	}
	lastRow := headerRow + len(allocs)
	if len(allocs) > 0 {
		// Text format on id columns and the blank ICCID: Excel must not turn
		// a typed 19-digit ICCID into 8.9E+18.
		for c := 1; c <= len(header); c++ {
			col, _ := excelize.ColumnNumberToName(c)
			style := st.cell
			switch header[c-1] {
			case "STT", "Lớp":
				style = st.number
			case "Mã học sinh", "Số serial/IMEI", "Số ICCID", "Ngày nhận":
				style = st.text
			}
			if err := f.SetCellStyle(sheet, col+strconv.Itoa(headerRow+1), col+strconv.Itoa(lastRow), style); err != nil {
				return fmt.Errorf("handover %s: %w", schoolID, err)
			}
		}
	}
	sign := lastRow + 2
	for _, c := range []struct{ ref, value string }{
		{fmt.Sprintf("B%d", sign), "NGƯỜI LẬP DANH SÁCH"},
		{fmt.Sprintf("I%d", sign), "HIỆU TRƯỞNG"},
		{fmt.Sprintf("B%d", sign+1), "(Ký, ghi rõ họ tên)"},
		{fmt.Sprintf("I%d", sign+1), "(Ký, ghi rõ họ tên, đóng dấu)"},
	} {
		if err := f.SetCellStr(sheet, c.ref, c.value); err != nil {
			return fmt.Errorf("handover %s: %w", schoolID, err)
		}
	}
	for _, r := range []int{sign, sign + 1} {
		if err := f.SetCellStyle(sheet, fmt.Sprintf("B%d", r), fmt.Sprintf("I%d", r), st.sign); err != nil {
			return fmt.Errorf("handover %s: %w", schoolID, err)
		}
	}
	if err := setHandoverPrint(f, sheet, headerRow); err != nil {
		return fmt.Errorf("handover %s: %w", schoolID, err)
	}
	path := filepath.Join(w.dir, "handover", allocFileName(schoolID)+".xlsx")
	out, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Write(out); err != nil {
		out.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func allocNonEmpty(ss ...string) []string {
	out := ss[:0:0]
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

type handoverStyles struct{ title, subtitle, header, cell, text, number, sign int }

func newHandoverStyles(f *excelize.File) (handoverStyles, error) {
	border := []excelize.Border{
		{Type: "left", Color: "000000", Style: 1}, {Type: "right", Color: "000000", Style: 1},
		{Type: "top", Color: "000000", Style: 1}, {Type: "bottom", Color: "000000", Style: 1},
	}
	mid := &excelize.Alignment{Vertical: "center", WrapText: true}
	centre := &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}
	specs := []*excelize.Style{
		{Font: &excelize.Font{Bold: true, Size: 14}, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}},
		{Font: &excelize.Font{Italic: true, Size: 10}, Alignment: &excelize.Alignment{Horizontal: "center"}},
		{Font: &excelize.Font{Bold: true}, Border: border, Alignment: centre, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9D9D9"}}},
		{Border: border, Alignment: mid},
		{Border: border, Alignment: mid, NumFmt: 49}, // "@": text
		{Border: border, Alignment: centre},
		{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{Horizontal: "center"}},
	}
	ids := make([]int, len(specs))
	for i, s := range specs {
		id, err := f.NewStyle(s)
		if err != nil {
			return handoverStyles{}, err
		}
		ids[i] = id
	}
	return handoverStyles{title: ids[0], subtitle: ids[1], header: ids[2], cell: ids[3], text: ids[4], number: ids[5], sign: ids[6]}, nil
}

// setHandoverPrint: A4 landscape, one page wide, the header row repeated on
// every page, page numbers and a personal-data notice in the footer.
func setHandoverPrint(f *excelize.File, sheet string, headerRow int) error {
	size, orient, wide, tall := 9, "landscape", 1, 0 // 9: A4
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Size: &size, Orientation: &orient, FitToWidth: &wide, FitToHeight: &tall}); err != nil {
		return err
	}
	fit := true
	if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	m, top := 0.4, 0.5
	if err := f.SetPageMargins(sheet, &excelize.PageLayoutMarginsOptions{Left: &m, Right: &m, Top: &top, Bottom: &top}); err != nil {
		return err
	}
	if err := f.SetHeaderFooter(sheet, &excelize.HeaderFooterOptions{
		OddFooter: "&LTài liệu nội bộ — có thông tin cá nhân học sinh&RTrang &P/&N",
	}); err != nil {
		return err
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: headerRow, TopLeftCell: fmt.Sprintf("A%d", headerRow+1), ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	return f.SetDefinedName(&excelize.DefinedName{
		Name:     "_xlnm.Print_Titles",
		RefersTo: fmt.Sprintf("'%s'!$%d:$%d", sheet, headerRow, headerRow),
		Scope:    sheet,
	})
}
