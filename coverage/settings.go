// Package coverage decides, for every school and every home of a student,
// whether online learning is possible there (4G from which operators,
// fiber, or nothing), aggregates that into H3 cells, finds the gap areas
// ("lõm sóng"), ranks them by an explainable score and plans new sites.
//
// The package is pure: no database, no network, no files. It works on a
// data.Dataset in memory; writers take an io.Writer. Every distance it
// reports is an ellipsoidal geodesic on WGS84 (geo.Inverse, the same code
// PostGIS geography uses); fast local approximations only prune, and any
// decision the approximation cannot take safely is taken exactly.
package coverage

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
)

// Environments of the coverage model.
const (
	EnvUrban    = "urban"
	EnvSuburban = "suburban"
	EnvRural    = "rural"
	EnvMountain = "mountain"
)

// Environments lists the environments, densest first.
func Environments() []string { return []string{EnvUrban, EnvSuburban, EnvRural, EnvMountain} }

// EnvValues holds one number per environment.
type EnvValues struct {
	Urban    float64 `json:"urban"`
	Suburban float64 `json:"suburban"`
	Rural    float64 `json:"rural"`
	Mountain float64 `json:"mountain"`
}

// Get returns the value for env (rural for an unknown env).
func (v EnvValues) Get(env string) float64 {
	switch env {
	case EnvUrban:
		return v.Urban
	case EnvSuburban:
		return v.Suburban
	case EnvMountain:
		return v.Mountain
	default:
		return v.Rural
	}
}

// RangeRule is one row of the range table: the cell range in metres of a
// sector of Technology on BandMHz, per environment.
type RangeRule struct {
	Technology string    `json:"technology"`
	BandMHz    int       `json:"band_mhz"`
	RangeM     EnvValues `json:"range_m"`
}

// DefaultRangeTable is the range used for a sector without range_m, by
// technology × band × environment (metres). It is a planning default, not
// a prediction: operators' own coverage polygons and field measurements
// override it.
//
// How it was derived (loosely, from COST-231 Hata): path loss
// L = 46.3 + 33.9·log f − 13.82·log hb − a(hm) + (44.9 − 6.55·log hb)·log d + Cm
// with base-station height hb = 30 m and handset height hm = 1.5 m gives a
// slope of 35.2 dB per decade of distance and L(1 km) ≈ 136 dB at 1800 MHz
// (+3 dB Cm in dense urban). A 4G link budget for RSRP −110 dBm at the cell
// edge allows roughly 142 dB to a handset outdoors; indoor penetration and
// shadow margins (≈ 18 dB urban, 12 suburban, 8 rural) and the open-area
// correction leave ≈ 1.2 km urban, 2.5 km suburban and 5 km rural at
// 1800 MHz (rounded down: the rural value is deliberately conservative
// because village homes sit among trees). Mountain is rural less 20% for
// terrain shadowing. Other bands scale by Hata's frequency term at the
// same path loss: range ∝ (1800/f)^(33.9/35.2), e.g. ×1.95 at 900 MHz,
// ×0.86 at 2100, ×0.70 at 2600. 2G gets ×1.48 (GSM voice tolerates ≈ 6 dB
// more loss), 3G ×0.88 (≈ 2 dB less than LTE for the same data rate),
// 5G ×0.9. Values are rounded to 100 m.
//
//	technology  band MHz   urban  suburban   rural  mountain   (metres)
//	2G             900      3500      7200   14400     11500
//	2G            1800      1800      3700    7400      5900
//	3G             900      2100      4300    8600      6900
//	3G            2100       900      1900    3800      3000
//	4G             700      3000      6200   12400      9900
//	4G             800      2600      5500   10900      8700
//	4G             900      2300      4900    9700      7800
//	4G            1800      1200      2500    5000      4000
//	4G            2100      1000      2200    4300      3400
//	4G            2300       900      2000    3900      3200
//	4G            2600       800      1800    3500      2800
//	5G            2600       800      1600    3200      2500
//	5G            3500       600      1200    2400      1900
//
// A band missing from the table uses the same technology's nearest band
// (in log frequency) scaled by the same frequency term; band 0 (unknown)
// uses the technology's most common band (2G 900, 3G 2100, 4G 1800,
// 5G 3500); an unknown technology uses the 4G rows.
func DefaultRangeTable() []RangeRule {
	r := func(tech string, band int, u, s, ru, m float64) RangeRule {
		return RangeRule{tech, band, EnvValues{u, s, ru, m}}
	}
	return []RangeRule{
		r("2G", 900, 3500, 7200, 14400, 11500),
		r("2G", 1800, 1800, 3700, 7400, 5900),
		r("3G", 900, 2100, 4300, 8600, 6900),
		r("3G", 2100, 900, 1900, 3800, 3000),
		r("4G", 700, 3000, 6200, 12400, 9900),
		r("4G", 800, 2600, 5500, 10900, 8700),
		r("4G", 900, 2300, 4900, 9700, 7800),
		r("4G", 1800, 1200, 2500, 5000, 4000),
		r("4G", 2100, 1000, 2200, 4300, 3400),
		r("4G", 2300, 900, 2000, 3900, 3200),
		r("4G", 2600, 800, 1800, 3500, 2800),
		r("5G", 2600, 800, 1600, 3200, 2500),
		r("5G", 3500, 600, 1200, 2400, 1900),
	}
}

// defaultBand is the band assumed for a sector with band 0.
func defaultBand(tech string) int {
	switch tech {
	case "2G":
		return 900
	case "3G":
		return 2100
	case "4G":
		return 1800
	case "5G":
		return 3500
	}
	return 0
}

// hataExponent is the frequency exponent of range at equal path loss in
// COST-231 Hata with hb = 30 m: 33.9 / (44.9 − 6.55·log10 30).
const hataExponent = 33.9 / 35.22

// EnvThresholds decide an area's environment from its household density
// (households per km² of its ellipsoidal area) when data.Area.Environment
// is empty: urban from UrbanMin, suburban from SuburbanMin, rural from
// RuralMin, mountain below (in Vietnam the sparsest communes are the
// upland ones; set Area.Environment where that is wrong).
type EnvThresholds struct {
	UrbanMin    float64 `json:"urban_min_households_per_km2"`
	SuburbanMin float64 `json:"suburban_min_households_per_km2"`
	RuralMin    float64 `json:"rural_min_households_per_km2"`
}

// Classify returns the environment for a density in households per km².
func (t EnvThresholds) Classify(density float64) string {
	switch {
	case density >= t.UrbanMin:
		return EnvUrban
	case density >= t.SuburbanMin:
		return EnvSuburban
	case density >= t.RuralMin:
		return EnvRural
	default:
		return EnvMountain
	}
}

// Settings are every parameter of a coverage run. Each run records them
// (Result.Settings, summary.json). DefaultSettings documents the defaults.
type Settings struct {
	// H3 resolution of the analysis cells, and the coarser resolutions
	// the cells roll up to.
	Resolution        int   `json:"resolution"`
	RollupResolutions []int `json:"rollup_resolutions"`
	// FCC-style served test: a cell is served by an operator when at
	// least ServedShare of its descendants' centres at ServedChildRes are
	// covered (res 9 → 11: 49 centres).
	ServedChildRes int     `json:"served_child_res"`
	ServedShare    float64 `json:"served_share"`

	// Sector ranges when range_m is absent.
	RangeTable []RangeRule `json:"range_table"`
	// Environment from household density when the area has none.
	EnvThresholds EnvThresholds `json:"environment_thresholds"`
	// Environment where no area contains the point.
	DefaultEnvironment string `json:"default_environment"`
	// IncludePlanned treats sectors with status planned as active.
	IncludePlanned bool `json:"include_planned"`

	// Fiber is serviceable within FiberNodeM of a fiber access node or
	// FiberRouteM of a route.
	FiberNodeM  float64 `json:"fiber_node_m"`
	FiberRouteM float64 `json:"fiber_route_m"`
	// SchoolReportedFiber: a school that reports fiber internet has fiber
	// whatever the distance to the known fiber network.
	SchoolReportedFiber bool `json:"school_reported_fiber"`

	// Field measurements decide a cell for an operator and technology
	// when it has at least MeasurementMinCount of them: covered when a
	// strict majority has RSRP ≥ MeasurementRSRPDBm, not covered when a
	// strict majority is below, unchanged on a tie.
	MeasurementMinCount int     `json:"measurement_min_count"`
	MeasurementRSRPDBm  float64 `json:"measurement_rsrp_dbm"`

	// Beneficiary weights: per student of tier 0..3 (tier 0 does not make
	// demand), per school (base + per student).
	TierWeights            [4]float64 `json:"tier_weights"`
	SchoolWeightBase       float64    `json:"school_weight_base"`
	SchoolWeightPerStudent float64    `json:"school_weight_per_student"`

	// Costs (VND): a new 4G site by environment; fiber extension per km
	// plus one drop per premise (home or school) connected.
	SiteCostVND       EnvValues `json:"site_cost_vnd"`
	FiberCostPerKmVND float64   `json:"fiber_cost_per_km_vnd"`
	FiberDropVND      float64   `json:"fiber_drop_vnd"`
	// SitePacking is the share of a site's disc that counts when
	// estimating how many sites a gap area needs (hexagonal packing: 0.83).
	SitePacking float64 `json:"site_packing"`

	// Planner candidates: new omni sites at the centres of gap cells and
	// of their neighbours within CandidateRing steps.
	CandidateRing       int    `json:"candidate_ring"`
	CandidateTechnology string `json:"candidate_technology"`
	CandidateBandMHz    int    `json:"candidate_band_mhz"`
	CandidateOperator   string `json:"candidate_operator"`

	// Workers is the number of goroutines (0: all cores). It does not
	// change any result.
	Workers int `json:"-"`
}

// DefaultSettings returns the documented defaults.
func DefaultSettings() Settings {
	return Settings{
		Resolution:          9,
		RollupResolutions:   []int{8, 7, 6, 5},
		ServedChildRes:      11,
		ServedShare:         0.5,
		RangeTable:          DefaultRangeTable(),
		EnvThresholds:       EnvThresholds{UrbanMin: 1000, SuburbanMin: 300, RuralMin: 50},
		DefaultEnvironment:  EnvRural,
		FiberNodeM:          500,
		FiberRouteM:         250,
		SchoolReportedFiber: true,
		MeasurementMinCount: 5,
		MeasurementRSRPDBm:  -110,
		TierWeights:         [4]float64{0, 3, 2, 1},
		SchoolWeightBase:    5,
		// A school of 500 pupils weighs 5 + 10 = 15 tier-1 students' worth.
		SchoolWeightPerStudent: 0.02,
		SiteCostVND:            EnvValues{Urban: 1.5e9, Suburban: 1.8e9, Rural: 2.2e9, Mountain: 3.0e9},
		FiberCostPerKmVND:      150e6,
		FiberDropVND:           3e6,
		SitePacking:            0.83,
		CandidateRing:          1,
		CandidateTechnology:    "4G",
		CandidateBandMHz:       1800,
		CandidateOperator:      "new",
	}
}

// Validate reports every setting out of range, with what to change.
func (s *Settings) Validate() error {
	var errs []string
	bad := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	if s.Resolution < 0 || s.Resolution > 13 {
		bad("resolution %d: use an H3 resolution between 0 and 13 (9 is the default)", s.Resolution)
	}
	for _, r := range s.RollupResolutions {
		if r < 0 || r >= s.Resolution {
			bad("rollup resolution %d: each must be coarser than the analysis resolution %d", r, s.Resolution)
		}
	}
	if s.ServedChildRes <= s.Resolution || s.ServedChildRes > s.Resolution+3 || s.ServedChildRes > 15 {
		bad("served_child_res %d: use 1 to 3 resolutions finer than %d (e.g. %d)", s.ServedChildRes, s.Resolution, s.Resolution+2)
	}
	if !(s.ServedShare > 0 && s.ServedShare <= 1) {
		bad("served_share %g: use a share in (0, 1], e.g. 0.5", s.ServedShare)
	}
	if len(s.RangeTable) == 0 {
		bad("range_table is empty: start from DefaultRangeTable()")
	}
	for _, r := range s.RangeTable {
		for _, env := range Environments() {
			if v := r.RangeM.Get(env); !(v > 0 && v <= 100_000) {
				bad("range_table %s %d MHz %s: range %g m must be in (0, 100000]", r.Technology, r.BandMHz, env, v)
			}
		}
		if r.BandMHz <= 0 {
			bad("range_table %s: band %d MHz must be positive", r.Technology, r.BandMHz)
		}
	}
	t := s.EnvThresholds
	if !(t.UrbanMin >= t.SuburbanMin && t.SuburbanMin >= t.RuralMin && t.RuralMin >= 0) {
		bad("environment thresholds must satisfy urban ≥ suburban ≥ rural ≥ 0 (households/km²), got %g, %g, %g", t.UrbanMin, t.SuburbanMin, t.RuralMin)
	}
	if !validEnv(s.DefaultEnvironment) {
		bad("default_environment %q: use one of %s", s.DefaultEnvironment, strings.Join(Environments(), ", "))
	}
	if !(s.FiberNodeM >= 0) || !(s.FiberRouteM >= 0) {
		bad("fiber distances must be ≥ 0 m (node %g, route %g)", s.FiberNodeM, s.FiberRouteM)
	}
	if s.MeasurementMinCount < 1 {
		bad("measurement_min_count %d: use at least 1", s.MeasurementMinCount)
	}
	for i, w := range s.TierWeights {
		if !(w >= 0) || math.IsInf(w, 0) {
			bad("tier_weights[%d] = %g: weights must be finite and ≥ 0", i, w)
		}
	}
	if !(s.SchoolWeightBase >= 0) || !(s.SchoolWeightPerStudent >= 0) {
		bad("school weights must be ≥ 0")
	}
	for _, env := range Environments() {
		if !(s.SiteCostVND.Get(env) > 0) {
			bad("site_cost_vnd.%s must be > 0", env)
		}
	}
	if !(s.FiberCostPerKmVND >= 0) || !(s.FiberDropVND >= 0) {
		bad("fiber costs must be ≥ 0")
	}
	if !(s.SitePacking > 0 && s.SitePacking <= 1) {
		bad("site_packing %g: use a share in (0, 1], e.g. 0.83", s.SitePacking)
	}
	if s.CandidateRing < 0 || s.CandidateRing > 5 {
		bad("candidate_ring %d: use 0 to 5", s.CandidateRing)
	}
	if s.CandidateTechnology != "4G" && s.CandidateTechnology != "5G" {
		bad("candidate_technology %q: use 4G or 5G", s.CandidateTechnology)
	}
	if s.Workers < 0 {
		bad("workers %d must be ≥ 0", s.Workers)
	}
	if len(errs) > 0 {
		return errors.New("invalid coverage settings:\n  " + strings.Join(errs, "\n  "))
	}
	return nil
}

func validEnv(e string) bool {
	for _, x := range Environments() {
		if e == x {
			return true
		}
	}
	return false
}

// rangeModel looks ranges up in the table.
type rangeModel struct {
	byTech map[string][]RangeRule // sorted by band
}

func newRangeModel(table []RangeRule) rangeModel {
	m := rangeModel{byTech: map[string][]RangeRule{}}
	for _, r := range table {
		t := strings.ToUpper(r.Technology)
		m.byTech[t] = append(m.byTech[t], r)
	}
	for _, rs := range m.byTech {
		sort.Slice(rs, func(i, j int) bool { return rs[i].BandMHz < rs[j].BandMHz })
	}
	return m
}

// Range returns the model range in metres of a sector of tech on band in
// env: the table row, else the nearest band of the same technology scaled
// by Hata's frequency term (see DefaultRangeTable).
func (m rangeModel) Range(tech string, band int, env string) float64 {
	tech = strings.ToUpper(tech)
	rows := m.byTech[tech]
	if len(rows) == 0 {
		rows = m.byTech["4G"]
		tech = "4G"
	}
	if len(rows) == 0 {
		techs := make([]string, 0, len(m.byTech))
		for t := range m.byTech {
			techs = append(techs, t)
		}
		sort.Strings(techs)
		tech = techs[0]
		rows = m.byTech[tech]
	}
	if band <= 0 {
		band = defaultBand(tech)
		if band == 0 {
			band = rows[0].BandMHz
		}
	}
	best, bestD := 0, math.Inf(1)
	for i, r := range rows {
		d := math.Abs(math.Log(float64(r.BandMHz) / float64(band)))
		if d < bestD {
			best, bestD = i, d
		}
	}
	r := rows[best]
	v := r.RangeM.Get(env)
	if r.BandMHz != band {
		v *= math.Pow(float64(r.BandMHz)/float64(band), hataExponent)
	}
	return v
}
