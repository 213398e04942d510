// Package coveragerun holds the use cases of coverage runs on the
// database, shared by the command line (gapmap analyze, plan, export
// uncovered) and the HTTP API: read the dataset, run the engine, store the
// run with progress; the planner and what-if; and the operators' export of
// uncovered points with its privacy rule.
//
// Dependencies point one way: coveragerun imports the engine (coverage),
// the store (data/postgis) and the export writers (data/export); neither
// of those imports it.
package coveragerun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gapmap/gapmap/coverage"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
)

// Progress reports the phase of a run and its percent (0–100).
type Progress func(phase string, percent float64)

// Phases of a run, in order.
const (
	PhaseReading   = "reading"
	PhaseAnalysing = "analysing"
	PhasePlanning  = "planning"
	PhaseWhatIf    = "what-if"
	PhaseStoring   = "storing"
)

// Options of a run on the database.
type Options struct {
	// Settings of the engine (coverage.DefaultSettings overlaid with the
	// caller's changes).
	Settings coverage.Settings
	// Polygons and Measurements are optional operator coverage polygons and
	// field measurements (read from files by the command line).
	Polygons     []coverage.OperatorPolygon
	Measurements []coverage.Measurement
	// Progress, when set, is called at each phase and while storing.
	Progress Progress
	// Date is the analysis date (zero: today in Vietnam): points are
	// placed in the areas valid that day, and the run records it.
	Date time.Time
}

// day is the analysis date as a calendar day.
func (o *Options) day() time.Time {
	if o.Date.IsZero() {
		return data.VietnamDay(time.Now())
	}
	return data.Day(o.Date)
}

func (o *Options) progress(phase string, pct float64) {
	if o.Progress != nil {
		o.Progress(phase, pct)
	}
}

// Run is a stored coverage run with what the engine computed.
type Run struct {
	ID     int64
	Result *coverage.Result
	// Plan is the build-out plan (Plan runs only); After is the run with
	// the plan's sites added (Plan runs with at least one site) or with the
	// proposed sites (WhatIf runs).
	Plan  *coverage.Plan
	After *coverage.Result
	// ReadTime is the time spent reading the dataset from the database.
	ReadTime time.Duration
	// AnalyseTime is the time of the engine's analysis, PlanTime the time
	// of choosing the plan's sites (what-if excluded).
	AnalyseTime, PlanTime time.Duration
}

// ReadInput reads the dataset of a run from the database. As ReadFiles
// does, it keeps the households in columns (coverage.Homes) and counts the
// students per home as they stream in (coverage.StudentTally) instead of
// holding their records. An empty database (no school and no household)
// is a *data.ConflictError.
func ReadInput(ctx context.Context, st *postgis.Store) (coverage.Input, error) {
	var in coverage.Input
	households := func(_ *data.Dataset, rows int) (func(data.Household) error, error) {
		in.Homes = coverage.NewHomes(rows)
		return func(h data.Household) error { return in.Homes.Add(&h) }, nil
	}
	students := func(ds *data.Dataset, _ int) (func(data.Student) error, error) {
		tally, err := coverage.NewStudentTally(ctx, &coverage.Input{Dataset: ds, Homes: in.Homes}, 0)
		if err != nil {
			return nil, err
		}
		in.Students = tally
		return func(s data.Student) error { tally.Add(&s); return nil }, nil
	}
	ds, err := st.ReadDatasetWith(ctx, postgis.DatasetOptions{Households: households, Students: students})
	if in.Students != nil {
		in.Students.Done()
	}
	if err != nil {
		return coverage.Input{}, fmt.Errorf("read the dataset: %w", err)
	}
	in.Dataset = ds
	if in.HouseholdCount() == 0 && len(ds.Schools) == 0 {
		return coverage.Input{}, &data.ConflictError{Reason: "the database holds no schools or households: import them before a coverage run"}
	}
	return in, nil
}

// analyse reads the input and runs the engine.
func analyse(ctx context.Context, st *postgis.Store, o *Options) (*Run, error) {
	if err := o.Settings.Validate(); err != nil {
		return nil, err
	}
	o.progress(PhaseReading, 0)
	t0 := time.Now()
	in, err := ReadInput(ctx, st)
	if err != nil {
		return nil, err
	}
	in.Polygons, in.Measurements, in.Date = o.Polygons, o.Measurements, o.day()
	run := &Run{ReadTime: time.Since(t0)}
	o.progress(PhaseAnalysing, 15)
	t0 = time.Now()
	if run.Result, err = coverage.Analyze(ctx, in, o.Settings); err != nil {
		return nil, err
	}
	run.AnalyseTime = time.Since(t0)
	return run, ctx.Err()
}

// Analyze reads the dataset from the database, runs the coverage analysis
// and stores the run (coverage_runs, coverage_entities, coverage_cells,
// gap_areas). gapmap analyze and the API's coverage job both call it.
func Analyze(ctx context.Context, st *postgis.Store, o Options) (*Run, error) {
	run, err := analyse(ctx, st, &o)
	if err != nil {
		return nil, err
	}
	if run.ID, err = Store(ctx, st, run.Result, nil, storeProgress(&o, 60)); err != nil {
		return nil, err
	}
	o.progress(PhaseStoring, 100)
	return run, nil
}

// Plan analyses the database, chooses new sites (po: K sites or a budget),
// applies them as a what-if to report what would remain, and stores the
// run with its plan (plan_steps).
func Plan(ctx context.Context, st *postgis.Store, o Options, po coverage.PlanOptions) (*Run, error) {
	if (po.Sites > 0) == (po.BudgetVND > 0) {
		return nil, validation("sites", "give either a number of sites (> 0) or a budget in VND (> 0), not both")
	}
	run, err := analyse(ctx, st, &o)
	if err != nil {
		return nil, err
	}
	if err := planRun(ctx, run, po, o.progress); err != nil {
		return nil, err
	}
	if run.ID, err = Store(ctx, st, run.Result, run.Plan, storeProgress(&o, 70)); err != nil {
		return nil, err
	}
	o.progress(PhaseStoring, 100)
	return run, nil
}

// WhatIf analyses the database, adds the proposed sectors (counted as
// active whatever their status) and stores the resulting run, whose
// what_if lists the added sector ids. Run.Result is the run without them,
// Run.After the stored run with them.
func WhatIf(ctx context.Context, st *postgis.Store, o Options, add []data.Sector) (*Run, error) {
	if len(add) == 0 {
		return nil, validation("sites", "propose at least one site")
	}
	run, err := analyse(ctx, st, &o)
	if err != nil {
		return nil, err
	}
	o.progress(PhaseWhatIf, 50)
	if run.After, err = run.Result.WhatIf(ctx, add); err != nil {
		return nil, err
	}
	if run.ID, err = Store(ctx, st, run.After, nil, storeProgress(&o, 65)); err != nil {
		return nil, err
	}
	o.progress(PhaseStoring, 100)
	return run, nil
}

func validation(column, reason string) error {
	v := &data.ValidationError{}
	v.Add(data.FieldError{Column: column, Reason: reason})
	return v
}

// storeProgress reports the storing phase at from and maps the storing
// progress (0–1) onto [from, 100).
func storeProgress(o *Options, from float64) func(float64) {
	o.progress(PhaseStoring, from)
	return func(f float64) { o.progress(PhaseStoring, from+(99-from)*f) }
}

// Outcome is the JSON summary of a stored run: what a background job
// returns and what gapmap analyze prints. It holds counts only.
type Outcome struct {
	RunID     int64                  `json:"run_id"`
	Operators []string               `json:"operators"`
	WhatIf    []string               `json:"what_if_sectors"`
	Counts    coverage.SummaryCounts `json:"counts"`
	Total     coverage.AreaSummary   `json:"total"`
	// Weighted beneficiaries without 4G or fiber.
	WeightedUnconnected float64        `json:"weighted_unconnected"`
	Plan                *PlanOutcome   `json:"plan,omitempty"`
	Before              *BeforeOutcome `json:"before,omitempty"`
}

// PlanOutcome summarises a plan: its sites in build order and what would
// remain once they are built.
type PlanOutcome struct {
	Options    coverage.PlanOptions `json:"options"`
	Method     string               `json:"method"`
	Candidates int                  `json:"candidates"`
	Demand     float64              `json:"demand_weighted"`
	Steps      []coverage.PlanStep  `json:"steps"`
	// After the plan's sites: weighted beneficiaries and gap areas left.
	WeightedLeft float64 `json:"weighted_left"`
	GapAreasLeft int     `json:"gap_areas_left"`
}

// BeforeOutcome is the run without the what-if's sites, for comparison.
type BeforeOutcome struct {
	Total               coverage.AreaSummary `json:"total"`
	GapAreas            int                  `json:"gap_areas"`
	WeightedUnconnected float64              `json:"weighted_unconnected"`
}

// Outcome returns the summary of the run.
func (r *Run) Outcome() Outcome {
	stored := r.Result
	if r.Plan == nil && r.After != nil { // what-if: the stored run is After
		stored = r.After
	}
	s := stored.Summary(0)
	out := Outcome{
		RunID: r.ID, Operators: nonNil(stored.Operators), WhatIf: nonNil(stored.WhatIfSectors), Counts: s.Counts, Total: s.Total,
		WeightedUnconnected: stored.WeightedUnconnected(),
	}
	if r.Plan != nil {
		p := &PlanOutcome{Options: r.Plan.Options, Method: r.Plan.Method, Candidates: r.Plan.Candidates, Demand: r.Plan.Demand,
			Steps: r.Plan.Steps, WeightedLeft: stored.WeightedUnconnected(), GapAreasLeft: len(stored.Gaps)}
		if p.Steps == nil {
			p.Steps = []coverage.PlanStep{}
		}
		if r.After != nil {
			p.WeightedLeft, p.GapAreasLeft = r.After.WeightedUnconnected(), len(r.After.Gaps)
		}
		out.Plan = p
	} else if r.After != nil {
		b := r.Result.Summary(0)
		out.Before = &BeforeOutcome{Total: b.Total, GapAreas: len(r.Result.Gaps), WeightedUnconnected: r.Result.WeightedUnconnected()}
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Store writes a run (and its plan when p is not nil) into the database in
// one transaction and returns its id. progress, when set, receives the
// share (0–1) of the entities and cells written.
func Store(ctx context.Context, st *postgis.Store, r *coverage.Result, p *coverage.Plan, progress func(float64)) (int64, error) {
	if progress == nil {
		progress = func(float64) {}
	}
	params, err := json.Marshal(r.Settings)
	if err != nil {
		return 0, err
	}
	sum := r.Summary(0)
	summary, err := json.Marshal(struct {
		Counts coverage.SummaryCounts `json:"counts"`
		Stats  coverage.BuildStats    `json:"input_problems"`
		Total  coverage.AreaSummary   `json:"total"`
		Areas  []coverage.AreaSummary `json:"areas"`
	}{sum.Counts, sum.Stats, sum.Total, sum.Areas})
	if err != nil {
		return 0, err
	}
	run := postgis.CoverageRun{
		Parameters: params, Operators: r.Operators, WhatIf: r.WhatIfSectors,
		Entities: r.NumEntities(), Cells: len(r.Cells), GapAreas: len(r.Gaps), Summary: summary, Date: r.Date(),
	}
	var steps []postgis.PlanStepRow
	if p != nil {
		if run.Plan, err = json.Marshal(struct {
			Options    coverage.PlanOptions `json:"options"`
			Method     string               `json:"method"`
			Candidates int                  `json:"candidates"`
			Demand     float64              `json:"demand_weighted"`
			Gaps       []coverage.GapOption `json:"gaps"`
		}{p.Options, p.Method, p.Candidates, p.Demand, jsonSafeGapOptions(p.Gaps)}); err != nil {
			return 0, err
		}
		for _, s := range p.Steps {
			steps = append(steps, postgis.PlanStepRow{
				Rank: s.Rank, Cell: s.Cell, SectorID: s.Sector.ID, AreaCode: s.AreaCode, Environment: s.Environment,
				Lat: s.Lat, Lon: s.Lon, RangeM: s.RangeM, CostVND: s.CostVND, MarginalWeighted: s.Weighted,
				MarginalHouseholds: s.Households, MarginalStudentsT1: s.Students[1], MarginalStudentsT2: s.Students[2],
				MarginalStudentsT3: s.Students[3], MarginalSchools: s.Schools, CumulativeWeighted: s.CumulativeWeighted,
				CumulativeCostVND: s.CumulativeCostVND, CostPerBeneficiaryVND: s.CostPerBeneficiaryVND, GapIDs: s.Gaps,
			})
		}
	}
	nCells := 0
	_ = r.EachCell(func(*coverage.CellStats) error { nCells++; return nil })
	total := float64(r.NumEntities() + nCells)
	if total == 0 {
		total = 1
	}
	written := 0
	i := 0
	entities := func() (postgis.CoverageEntityRow, bool, error) {
		if i >= r.NumEntities() {
			return postgis.CoverageEntityRow{}, false, ctx.Err()
		}
		x := r.Entity(i)
		i++
		if written++; written&0x3fff == 0 {
			if err := ctx.Err(); err != nil {
				return postgis.CoverageEntityRow{}, false, err
			}
			progress(float64(written) / total)
		}
		return postgis.CoverageEntityRow{
			EntityType: x.Kind, EntityID: x.ID, AreaCode: x.AreaCode, Cell: x.Cell, Lat: x.Lat, Lon: x.Lon,
			Connectivity: x.Class, Operators4G: x.Operators4G, Operators3G: x.Operators3G, Operators2G: x.Operators2G,
			Nearest4GM: x.Nearest4GM, Nearest4GSite: x.Nearest4GSite, Nearest4GByOperator: x.Nearest4GByOperator,
			NearestFiberM: x.NearestFiberM, Students: x.Students[0] + x.Students[1] + x.Students[2] + x.Students[3],
			StudentsT1: x.Students[1], StudentsT2: x.Students[2], StudentsT3: x.Students[3],
			NoDeviceT123: x.NoDeviceT123, SchoolStudents: x.SchoolStudents, GapID: x.Gap,
		}, true, nil
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan postgis.CoverageCellRow, 1024)
	go func() {
		defer close(ch)
		_ = r.EachCell(func(c *coverage.CellStats) error {
			row := postgis.CoverageCellRow{
				Cell: c.Cell, Res: c.Res, AreaCode: c.AreaCode, Households: c.Households, Schools: c.Schools,
				SchoolStudents: c.SchoolStudents, Students: c.Students, NoDeviceT123: c.NoDeviceT123,
				HouseholdsByClass: c.HouseholdsByClass, UnconnectedHouseholds: c.UnconnectedHouseholds,
				UnconnectedStudents: c.UnconnectedStudents, UnconnectedSchools: c.UnconnectedSchools,
				Share4GAny: c.Share4GAny, ShareFiber: c.ShareFiber, Share4G: c.Share4G,
				ServedOperators: r.OperatorNames(c.Served), Gap: c.Gap, GapCells: c.GapCells, GapID: c.GapID, Cells: c.Cells,
			}
			select {
			case ch <- row:
				return nil
			case <-cctx.Done():
				return cctx.Err()
			}
		})
	}()
	cells := postgis.ChanSource(cctx, ch)
	countedCells := func() (postgis.CoverageCellRow, bool, error) {
		row, ok, err := cells()
		if ok {
			if written++; written&0x3fff == 0 {
				progress(float64(written) / total)
			}
		}
		return row, ok, err
	}
	gaps := make([]postgis.GapAreaRow, 0, len(r.Gaps))
	for k := range r.Gaps {
		g := &r.Gaps[k]
		comp, err := json.Marshal(r.GapProperties(g))
		if err != nil {
			return 0, err
		}
		gaps = append(gaps, postgis.GapAreaRow{
			GapID: g.ID, AreaCode: g.AreaCode, Environment: g.Environment, Rank: g.Rank, Cells: len(g.Cells),
			Households: g.Households, Students: g.Students, NoDeviceT123: g.NoDeviceT123, Schools: g.Schools,
			SchoolStudents: g.SchoolStudents, Nearest4GM: g.Nearest4GM, Nearest4GSite: g.Nearest4GSite,
			NearestFiberM: g.NearestFiberM, WeightedBeneficiaries: g.Score.WeightedBeneficiaries, Option: g.Score.Option,
			CostVND: g.Score.CostVND, Score: g.Score.Score, Components: comp, CentroidLat: g.CentroidLat,
			CentroidLon: g.CentroidLon, Outline: g.Outline,
		})
	}
	id, err := st.StoreCoverageRun(ctx, run, entities, countedCells, gaps, steps)
	cancel()
	for range ch { // drain when the copy stopped early
	}
	if err != nil {
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, err
	}
	progress(1)
	return id, nil
}

// jsonSafeGapOptions replaces the NaN of an unavailable fiber option (JSON
// has no NaN) by -1.
func jsonSafeGapOptions(gs []coverage.GapOption) []coverage.GapOption {
	out := append([]coverage.GapOption(nil), gs...)
	for i := range out {
		if out[i].FiberCostVND != out[i].FiberCostVND {
			out[i].FiberCostVND, out[i].FiberCostPerBeneficiaryVND = -1, -1
		}
	}
	return out
}
