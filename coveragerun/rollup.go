package coveragerun

import (
	"context"
	"sort"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
)

// AreaRollUp is a coverage run's figures for one unit valid on a date:
// the run's own figures when the unit existed on the run's date, else the
// figures of its predecessors carried over by the successor table (a
// merged commune gets the sum of the communes merged into it; a split
// unit's counts are divided by their household shares, keeping totals
// exact).
type AreaRollUp struct {
	Code                  string `json:"area_code"`
	Households            int    `json:"households"`
	Students              int    `json:"students"`
	StudentsT123          int    `json:"students_t123"`
	UnconnectedHouseholds int    `json:"unconnected_households"`
	UnconnectedT123       int    `json:"unconnected_students_t123"`
	Schools               int    `json:"schools"`
}

// RolledUpRun is a run's per-area figures in the units valid on Date.
type RolledUpRun struct {
	RunID   int64        `json:"run_id"`
	RunDate time.Time    `json:"run_date"` // the areas the run placed its points in
	Date    time.Time    `json:"date"`     // the units the figures are given in
	Areas   []AreaRollUp `json:"areas"`    // by code
}

// RollUpRun rolls the per-area household and gap figures of coverage run
// runID into the units valid on day (zero: today in Vietnam) with the
// store's successor table (data.Successors.RollUp): reports over a period
// and comparisons of an older run with a newer one (a 2024 run against a
// 2026 one, across the 2025 reform) then speak of the same units. Only
// figures at the units the run placed points in are rolled (the leaves);
// parents are sums of their children as usual.
func RollUpRun(ctx context.Context, st *postgis.Store, runID int64, day time.Time) (RolledUpRun, error) {
	if day.IsZero() {
		day = data.VietnamDay(time.Now())
	}
	day = data.Day(day)
	figs, runDay, err := st.CoverageRunAreaFigures(ctx, runID)
	if err != nil {
		return RolledUpRun{}, err
	}
	succ, err := st.Successors(ctx)
	if err != nil {
		return RolledUpRun{}, err
	}
	return rollUp(runID, runDay, day, figs, succ), nil
}

// rollUp is RollUpRun on figures in memory.
func rollUp(runID int64, runDay, day time.Time, figs map[string]postgis.RunAreaFigures, succ *data.Successors) RolledUpRun {
	fields := []func(*postgis.RunAreaFigures) *int{
		func(f *postgis.RunAreaFigures) *int { return &f.Households },
		func(f *postgis.RunAreaFigures) *int { return &f.Students },
		func(f *postgis.RunAreaFigures) *int { return &f.StudentsT123 },
		func(f *postgis.RunAreaFigures) *int { return &f.UnconnectedHouseholds },
		func(f *postgis.RunAreaFigures) *int { return &f.UnconnectedT123 },
		func(f *postgis.RunAreaFigures) *int { return &f.Schools },
	}
	out := map[string]*postgis.RunAreaFigures{}
	for _, field := range fields {
		counts := make(map[string]int, len(figs))
		for code, f := range figs {
			if code == "" {
				continue // points in no area
			}
			counts[code] = *field(&f)
		}
		for code, n := range succ.RollUp(counts, day) {
			if out[code] == nil {
				out[code] = &postgis.RunAreaFigures{}
			}
			*field(out[code]) += n
		}
	}
	r := RolledUpRun{RunID: runID, RunDate: data.Day(runDay), Date: day, Areas: make([]AreaRollUp, 0, len(out))}
	for code, f := range out {
		r.Areas = append(r.Areas, AreaRollUp{Code: code, Households: f.Households, Students: f.Students, StudentsT123: f.StudentsT123,
			UnconnectedHouseholds: f.UnconnectedHouseholds, UnconnectedT123: f.UnconnectedT123, Schools: f.Schools})
	}
	sort.Slice(r.Areas, func(i, j int) bool { return r.Areas[i].Code < r.Areas[j].Code })
	return r
}
