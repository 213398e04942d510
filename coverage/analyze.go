package coverage

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/geo"
)

// Result is one coverage run: per entity, per cell, per gap area and per
// administrative area. It keeps what a what-if or a plan needs to reuse.
type Result struct {
	// Settings are the parameters of the run (recorded in summary.json).
	Settings Settings `json:"settings"`
	// Operators are the mobile operators, sorted; bit o of a mask and
	// index o of a per-operator slice refer to Operators[o].
	Operators []string `json:"operators"`
	// Sectors counts the sectors used (active, or planned when
	// IncludePlanned, plus what-if additions).
	Sectors int `json:"sectors"`
	// WhatIfSectors lists the ids of the sectors added by WhatIf calls.
	WhatIfSectors []string   `json:"what_if_sectors"`
	Stats         BuildStats `json:"stats"`

	// Cells are the analysis cells holding schools or homes, sorted by id.
	Cells []CellStats `json:"cells"`
	// Rollups[k] are the cells at Settings.RollupResolutions[k].
	Rollups [][]CellStats `json:"rollups"`
	// Gaps are the gap areas, ranked (Gaps[0] has rank 1).
	Gaps []GapArea `json:"gaps"`
	// Areas are the totals per administrative area (entities count in
	// their area and every ancestor), sorted by code; the area with code
	// "" holds entities in no known area. Total is the whole run.
	Areas []AreaSummary `json:"areas"`
	Total AreaSummary   `json:"total"`
	// Timings are the wall times of the phases of the run (not part of any
	// output file: they differ between runs).
	Timings []Timing `json:"timings"`
	// Geodesics is the number of exact (Karney) geodesics the
	// classification computed for the distance columns: one per column of
	// each distinct position (the nearest 4G site of each operator, the
	// nearest fiber node and route), more only where the approximation
	// cannot tell which candidate is nearest. Their cost is the floor of
	// the classification's.
	Geodesics int64 `json:"geodesics"`

	in       Input
	extra    []data.Sector
	m        *model
	e        *entities
	areas    *areaTable
	env      *envCache
	runs     []int
	lookup   sync.Once
	byID     map[string]int32
	gapOfRun []int32 // gap index (in Gaps) of each cell (run), -1 when none: see gapOf
}

// Analyze runs the coverage analysis on in with settings s. Operator
// polygons and measurements given in the Input (files named on the command
// line) win over those of the dataset (the database, a directory).
func Analyze(ctx context.Context, in Input, s Settings) (*Result, error) {
	if in.Dataset == nil {
		return nil, errors.New("coverage: no dataset given")
	}
	if in.Date.IsZero() {
		return nil, errors.New("coverage: no analysis date given (Input.Date): points are placed in the areas valid on that day")
	}
	if len(in.Polygons) == 0 {
		in.Polygons = in.Dataset.Polygons
	}
	if len(in.Measurements) == 0 {
		in.Measurements = in.Dataset.Measurements
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return analyze(ctx, in, s, nil)
}

// Date is the run's analysis date (Input.Date): the areas valid that day.
func (r *Result) Date() time.Time { return r.in.Date }

// Timing is the wall time of one phase of a run.
type Timing struct {
	Phase   string  `json:"phase"`
	Seconds float64 `json:"seconds"`
}

func (r *Result) timed(phase string, t0 time.Time) time.Time {
	now := time.Now()
	r.Timings = append(r.Timings, Timing{phase, now.Sub(t0).Seconds()})
	return now
}

func analyze(ctx context.Context, in Input, s Settings, extra []data.Sector) (*Result, error) {
	t0 := time.Now()
	ds := in.Dataset
	ops, opIdx, err := operatorsOf(in, extra)
	if err != nil {
		return nil, err
	}
	r := &Result{Settings: s, Operators: ops, in: in, extra: extra}
	for _, x := range extra {
		r.WhatIfSectors = append(r.WhatIfSectors, x.ID)
	}
	r.areas = buildAreas(ds, in.Date)
	e, st, err := buildEntities(ctx, &in, r.areas, &s)
	if err != nil {
		return nil, err
	}
	r.e, r.Stats = e, st
	t0 = r.timed("entities", t0)
	hh := make([]int, len(r.areas.code))
	for i := 0; i < e.n; i++ {
		if e.kind[i] == kHousehold && e.area[i] >= 0 {
			hh[e.area[i]]++
		}
	}
	r.env = newEnvCache(ds, r.areas, hh, &s)
	m, err := newModel(in, s, ops, opIdx, r.areas, r.env, extra)
	if err != nil {
		return nil, err
	}
	r.m = m
	r.Sectors = len(m.sec.id)
	t0 = r.timed("model", t0)
	e.allocResults(len(ops))
	if r.Geodesics, err = m.classifyAll(ctx, e); err != nil {
		return nil, err
	}
	t0 = r.timed("classify", t0)
	r.runs = cellRuns(e)
	r.Cells = make([]CellStats, len(r.runs)-1)
	if err := m.buildCells(ctx, e, r.areas, r.runs, r.Cells, nil); err != nil {
		return nil, err
	}
	t0 = r.timed("cells", t0)
	if err := r.finish(ctx); err != nil {
		return nil, err
	}
	r.timed("rollups, gaps, totals", t0)
	return r, nil
}

// newModel builds the read-only model of a run.
func newModel(in Input, s Settings, ops []string, opIdx map[string]int, areas *areaTable, env *envCache, extra []data.Sector) (*model, error) {
	m := &model{s: s, ranges: newRangeModel(s.RangeTable), ops: ops, opIdx: opIdx, areas: areas}
	edge, err := geo.EdgeLengthAvgM(s.Resolution)
	if err != nil {
		return nil, err
	}
	m.cellMargin = 2.5 * edge
	secs, err := sectorsToUse(in.Dataset, extra, s.IncludePlanned)
	if err != nil {
		return nil, err
	}
	if err := m.buildSectors(secs, env); err != nil {
		return nil, err
	}
	if err := m.buildFiber(in.Dataset); err != nil {
		return nil, err
	}
	if err := m.buildPolygons(in.Polygons); err != nil {
		return nil, err
	}
	if err := m.buildMeasurements(in.Measurements); err != nil {
		return nil, err
	}
	return m, nil
}

// classifyAll classifies every entity in parallel and returns the number
// of exact geodesics it computed.
func (m *model) classifyAll(ctx context.Context, e *entities) (geodesics int64, err error) {
	w := workers(&m.s)
	scr := make(chan *scratch, w)
	for i := 0; i < w; i++ {
		scr <- &scratch{}
	}
	err = parallel(ctx, e.n, 1024, w, func(lo, hi int) {
		sc := <-scr
		m.classify(e, lo, hi, sc)
		scr <- sc
	})
	for i := 0; i < w; i++ {
		geodesics += (<-scr).batch.count
	}
	return geodesics, err
}

// finish derives roll-ups, gaps and area totals from the cells and
// entities.
func (r *Result) finish(ctx context.Context) error {
	s := &r.Settings
	r.Rollups = make([][]CellStats, len(s.RollupResolutions))
	for k, res := range s.RollupResolutions {
		r.Rollups[k] = rollup(r.e, r.areas, r.runs, r.Cells, res, len(r.Operators), s.ServedShare)
	}
	if err := r.buildGaps(ctx); err != nil {
		return err
	}
	r.summarize()
	return ctx.Err()
}

// NumEntities is the number of schools and households.
func (r *Result) NumEntities() int { return r.e.n }

// Entity is the result for one school or household.
type Entity struct {
	Kind     string   `json:"kind"` // KindSchool or KindHousehold
	ID       string   `json:"id"`
	Lat      float64  `json:"lat"`
	Lon      float64  `json:"lon"`
	AreaCode string   `json:"area_code"`
	Cell     geo.Cell `json:"cell"`
	Class    string   `json:"class"` // ClassFiber, Class4G, Class3G, Class2G, ClassNone
	// Operators4G cover the point with 4G/5G (Result.Operators order).
	Operators4G []string `json:"operators_4g"`
	Operators3G []string `json:"operators_3g"`
	Operators2G []string `json:"operators_2g"`
	// Distances in metres (+Inf when there is none).
	Nearest4GM          float64   `json:"nearest_4g_m"`
	Nearest4GSite       string    `json:"nearest_4g_site"`
	Nearest4GByOperator []float64 `json:"nearest_4g_by_operator"` // Result.Operators order
	NearestFiberM       float64   `json:"nearest_fiber_m"`        // min of node and route
	FiberNodeM          float64   `json:"fiber_node_m"`
	FiberRouteM         float64   `json:"fiber_route_m"`
	// Students living here by tier, and tier 1–3 without a device
	// (households); the school's students (schools).
	Students       [4]int `json:"students"`
	NoDeviceT123   int    `json:"no_device_t123"`
	SchoolStudents int    `json:"school_students"`
	// Gap is the id of the gap area the entity belongs to ("" if none).
	Gap string `json:"gap"`
}

// Entity returns entity i (0 ≤ i < NumEntities), in canonical order:
// by analysis cell, schools before households, then by position and id.
func (r *Result) Entity(i int) Entity {
	e := r.e
	run := e.runOf(i) // one search for the cell and the gap
	x := Entity{
		Kind: KindHousehold, ID: entityID(&r.in, e, i), Lat: e.lat[i], Lon: e.lon[i], Cell: e.runCell[run],
		Class: Classes()[e.class[i]], Nearest4GM: e.nearest4(i), FiberNodeM: e.node[i], FiberRouteM: e.route[i],
		NearestFiberM: math.Min(e.node[i], e.route[i]),
	}
	if e.kind[i] == kSchool {
		x.Kind, x.SchoolStudents = KindSchool, int(e.schoolStudents(i))
	} else {
		for t := 0; t < 4; t++ {
			x.Students[t] = int(e.stud[i][t])
		}
		x.NoDeviceT123 = int(e.noDev[i])
	}
	if a := e.area[i]; a >= 0 {
		x.AreaCode = r.areas.code[a]
	}
	x.Operators4G = r.opNames(e.covMask(g4, i))
	x.Operators3G = r.opNames(e.covMask(g3, i))
	x.Operators2G = r.opNames(e.covMask(g2, i))
	if k := e.near4Site[i]; k >= 0 {
		ref := r.m.allSite[k]
		x.Nearest4GSite = r.m.sites[ref.op].id[ref.idx]
	}
	n := len(r.Operators)
	x.Nearest4GByOperator = append([]float64(nil), e.nearOp[i*n:(i+1)*n]...)
	if e.beneficiary(i) {
		if g := r.gapOfRun[run]; g >= 0 {
			x.Gap = r.Gaps[g].ID
		}
	}
	return x
}

// OperatorNames returns the operators of a mask (Result.Operators order).
func (r *Result) OperatorNames(mask uint32) []string { return r.opNames(mask) }

func (r *Result) opNames(mask uint32) []string {
	var out []string
	for o, name := range r.Operators {
		if mask&(1<<o) != 0 {
			out = append(out, name)
		}
	}
	return out
}

// Lookup returns the index of the entity of kind with id.
func (r *Result) Lookup(kind, id string) (int, bool) {
	r.lookup.Do(func() {
		r.byID = make(map[string]int32, r.e.n)
		for i := 0; i < r.e.n; i++ {
			k := "h:"
			if r.e.kind[i] == kSchool {
				k = "s:"
			}
			r.byID[k+entityID(&r.in, r.e, i)] = int32(i)
		}
	})
	k := "h:"
	if kind == KindSchool {
		k = "s:"
	}
	i, ok := r.byID[k+id]
	return int(i), ok
}

// String summarises the run in one line.
func (r *Result) String() string {
	return fmt.Sprintf("%d entities, %d sectors, %d cells, %d gap areas", r.e.n, r.Sectors, len(r.Cells), len(r.Gaps))
}

// EffectiveSector is a sector as the run used it: its range after the
// model (range_m, else the table for its environment) and its beam.
type EffectiveSector struct {
	ID           string  `json:"id"`
	SiteID       string  `json:"site_id"`
	Operator     string  `json:"operator"`
	Technology   string  `json:"technology"`
	Lat          float64 `json:"lat"`
	Lon          float64 `json:"lon"`
	Environment  string  `json:"environment"`
	RangeM       float64 `json:"range_m"`
	AzimuthDeg   float64 `json:"azimuth_deg"` // NaN: omni
	BeamwidthDeg float64 `json:"beamwidth_deg"`
}

// EffectiveSectors lists the sectors of the run, sorted by id.
func (r *Result) EffectiveSectors() []EffectiveSector {
	t := &r.m.sec
	out := make([]EffectiveSector, len(t.id))
	for k := range t.id {
		out[k] = EffectiveSector{
			ID: t.id[k], SiteID: t.siteID[k], Operator: r.Operators[t.op[k]], Technology: normTech(t.src[k].Technology),
			Lat: t.lat[k], Lon: t.lon[k], Environment: t.env[k], RangeM: t.rangeM[k], AzimuthDeg: t.az[k], BeamwidthDeg: 2 * t.half[k],
		}
		if t.az[k] != t.az[k] {
			out[k].BeamwidthDeg = 360
		}
	}
	return out
}
