// Package reports makes the reports owed upward (issue 11): what districts
// owe the province and the province owes the ministry (progress to date,
// the donor trail, monthly handovers) and the Sở TTTT's count of points
// without mobile Internet. The CLI (gapmap report) and the API
// (/api/v1/reports/…) share it.
//
// Every report holds counts only, never a student, household or device id,
// and states the data it was made from (its Source). A report is a
// function of its options and the database: the same inputs give the same
// bytes in CSV and JSON (no clock is read; the as-of day is an option).
//
// Figures recorded under area codes that were later merged, split or
// renamed are rolled into the units valid on the report's as-of day with
// the successor table (data.Successors.RollUp).
package reports

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
)

// Kinds of report.
const (
	KindProgress     = "progress"
	KindDonors       = "donors"
	KindHandovers    = "handovers"
	KindConnectivity = "connectivity"
)

// Kinds returns the report kinds in the order the CLI and the API list them.
func Kinds() []string {
	return []string{KindProgress, KindDonors, KindHandovers, KindConnectivity}
}

// Periods of the progress report.
const (
	PeriodMonth   = "month"
	PeriodQuarter = "quarter"
	PeriodYear    = "year"
)

// Service makes the reports from the store.
type Service struct {
	Store   *postgis.Store
	Version string // gapmap version, stated in every report
}

// Source is the data a report was made from.
type Source struct {
	Report     string           `json:"report"`
	Title      string           `json:"title"`
	From       string           `json:"from,omitempty"`
	To         string           `json:"to,omitempty"`
	Period     string           `json:"period,omitempty"`
	AsOf       string           `json:"as_of"`
	Area       string           `json:"area,omitempty"`
	Level      string           `json:"level,omitempty"`
	Levels     int              `json:"levels,omitempty"`
	TargetDate string           `json:"target_date,omitempty"`
	Target     int              `json:"monthly_target,omitempty"`
	Runs       []postgis.RunRef `json:"runs"`
	// PreviewRun: progress, the preview run whose plan the *_planned and
	// *_after_plan figures are (nil: none).
	PreviewRun *postgis.RunRef `json:"preview_run,omitempty"`
	Version    string          `json:"gapmap_version"`
	// Notes define the figures (Vietnamese, then English).
	Notes []string `json:"notes"`
}

// Options select what a report covers. Dates are days (UTC midnight).
type Options struct {
	From, To time.Time // progress, handovers: the period; donors: To is the as-of day
	Period   string    // progress: month, quarter or year
	Area     string    // an area code: that area and below ("" all)
	Level    string    // handovers: only areas of this level ("" all)
	// Levels: progress and connectivity, how many levels of the area tree
	// to list from the top (0: all).
	Levels int
	// PreviewRun: progress, a preview allocation run whose planned
	// allocations are added (0: none).
	PreviewRun int64
	// MonthlyTarget: handovers, devices a month an area should hand over.
	MonthlyTarget int
	// Connectivity: the run (0 newest), the baseline (0 none, -1 the run
	// before), the as-of day (zero: the run's day) and the target day.
	Run, Baseline int64
	AsOf          time.Time
	TargetDate    time.Time
}

// DefaultDays fills the days a report of kind leaves out, as of the
// instant now: To is today in Vietnam (every kind but connectivity, whose
// as-of day is its run's); From is 1 January of To's year for progress
// and handovers.
func (o *Options) DefaultDays(kind string, now time.Time) {
	if kind != KindConnectivity && o.To.IsZero() {
		o.To = data.VietnamDay(now)
	}
	if (kind == KindProgress || kind == KindHandovers) && o.From.IsZero() {
		o.From = time.Date(o.To.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	}
}

func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

func bad(field, value, reason string) error {
	return &data.ValidationError{Errors: []data.FieldError{{File: "report", Column: field, Value: value, Reason: reason}}}
}

// checkPeriod checks From ≤ To, both given.
func (o Options) checkPeriod() error {
	if o.From.IsZero() || o.To.IsZero() {
		return bad("from", "", "the report needs --from and --to (YYYY-MM-DD)")
	}
	if o.To.Before(o.From) {
		return bad("to", day(o.To), "to must not be before from ("+day(o.From)+")")
	}
	if o.To.Sub(o.From) > 20*366*24*time.Hour {
		return bad("to", day(o.To), "a report covers at most 20 years")
	}
	return nil
}

// ParseDay parses a YYYY-MM-DD day ("" gives the zero time).
func ParseDay(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, bad(field, s, field+" must be a day written YYYY-MM-DD, such as 2026-09-30")
	}
	return t, nil
}

// tree is the areas valid on a day.
type tree struct {
	areas    map[string]postgis.ReportArea
	children map[string][]string
	roots    []string
}

func validOn(a postgis.ReportArea, d time.Time) bool {
	return (a.ValidFrom == nil || !a.ValidFrom.After(d)) && (a.ValidTo == nil || a.ValidTo.After(d))
}

func newTree(areas []postgis.ReportArea, d time.Time) *tree {
	t := &tree{areas: map[string]postgis.ReportArea{}, children: map[string][]string{}}
	for _, a := range areas {
		if validOn(a, d) {
			t.areas[a.Code] = a
		}
	}
	for _, a := range areas {
		if _, ok := t.areas[a.Code]; !ok {
			continue
		}
		if _, ok := t.areas[a.ParentCode]; ok {
			t.children[a.ParentCode] = append(t.children[a.ParentCode], a.Code)
		} else {
			t.roots = append(t.roots, a.Code)
		}
	}
	return t
}

// order returns area (or every root when "") and the areas below it,
// depth first, children by code, with their depths; a code that is not
// valid on the day is a *data.NotFoundError.
func (t *tree) order(area string) ([]string, map[string]int, error) {
	var out []string
	depth := map[string]int{}
	var walk func(c string, d int)
	walk = func(c string, d int) {
		out = append(out, c)
		depth[c] = d
		for _, k := range t.children[c] {
			walk(k, d+1)
		}
	}
	if area == "" {
		for _, r := range t.roots {
			walk(r, 0)
		}
		return out, depth, nil
	}
	if _, ok := t.areas[area]; !ok {
		return nil, nil, &data.NotFoundError{Kind: "area", ID: area}
	}
	walk(area, 0)
	return out, depth, nil
}

// vec is a vector of counts.
type vec []int

// rollUp carries the vectors recorded under any code onto the units
// valid on day d, every component with data.Successors.RollUp (totals
// kept exactly).
func rollUp(s *data.Successors, d time.Time, in map[string]vec, n int) map[string]vec {
	out := map[string]vec{}
	for i := 0; i < n; i++ {
		m := map[string]int{}
		for c, v := range in {
			if v[i] != 0 {
				m[c] = v[i]
			}
		}
		for c, x := range s.RollUp(m, d) {
			if out[c] == nil {
				out[c] = make(vec, n)
			}
			out[c][i] += x
		}
	}
	return out
}

// sumUp adds each code's vector to the code and every area above it; a
// code that is not an area of t goes to "" (unplaced). The result also
// holds the grand total under "\x00total".
func (t *tree) sumUp(in map[string]vec, n int) map[string]vec {
	out := map[string]vec{}
	add := func(c string, v vec) {
		if out[c] == nil {
			out[c] = make(vec, n)
		}
		for i, x := range v {
			out[c][i] += x
		}
	}
	codes := make([]string, 0, len(in))
	for c := range in {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		v := in[c]
		add(totalKey, v)
		if _, ok := t.areas[c]; !ok {
			add("", v)
			continue
		}
		for k, hops := c, 0; k != "" && hops <= len(t.areas); hops++ {
			add(k, v)
			a, ok := t.areas[k]
			if !ok {
				break
			}
			if _, ok := t.areas[a.ParentCode]; !ok {
				break
			}
			k = a.ParentCode
		}
	}
	return out
}

const totalKey = "\x00total"

func (v vec) at(i int) int {
	if v == nil {
		return 0
	}
	return v[i]
}

// pct is 100·a/b rounded to one decimal (0 when b is 0).
func pct(a, b int) float64 {
	if b <= 0 {
		return 0
	}
	x := float64(a) * 1000 / float64(b)
	return float64(int64(x+0.5)) / 10
}

// successors checks the stored successor table.
func successors(rows []data.AreaSuccessor) (*data.Successors, error) {
	s, err := data.NewSuccessors(rows)
	if err != nil {
		return nil, fmt.Errorf("the area successor table: %w", err)
	}
	return s, nil
}

// Make makes the report of kind with o.
func (s *Service) Make(ctx context.Context, kind string, o Options) (Report, error) {
	switch kind {
	case KindProgress:
		return s.Progress(ctx, o)
	case KindDonors:
		return s.Donors(ctx, o)
	case KindHandovers:
		return s.Handovers(ctx, o)
	case KindConnectivity:
		return s.Connectivity(ctx, o)
	}
	return nil, bad("report", kind, fmt.Sprintf("unknown report %q: use one of progress, donors, handovers, connectivity", kind))
}
