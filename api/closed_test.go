package api_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/coverage"
	"github.com/gapmap/gapmap/coveragerun"
	"github.com/gapmap/gapmap/data/importer"
)

type closedAnswer struct {
	RunID      int64  `json:"run_id"`
	SinceRunID int64  `json:"since_run_id"`
	Operator   string `json:"operator"`
	Res        int    `json:"res"`
	PrivacyK   int    `json:"privacy_k"`
	Truncated  bool   `json:"truncated"`
	Totals     struct {
		Cells             int `json:"cells"`
		GapCells          int `json:"gap_cells"`
		SuppressedCells   int `json:"suppressed_cells"`
		Households        int `json:"households"`
		StudentsT1        int `json:"students_t1"`
		UnconnectedBefore int `json:"unconnected_students_before"`
		UnconnectedAfter  int `json:"unconnected_students_after"`
	} `json:"totals"`
	Cells []struct {
		H3                string `json:"h3"`
		Res               int    `json:"res"`
		Suppressed        bool   `json:"suppressed"`
		Households        *int   `json:"households"`
		StudentsT1        *int   `json:"students_t1"`
		UnconnectedBefore *int   `json:"unconnected_students_before"`
		UnconnectedAfter  *int   `json:"unconnected_students_after"`
		WasGap            bool   `json:"was_gap"`
		IsGap             bool   `json:"is_gap"`
	} `json:"cells"`
}

type closedCell struct {
	H3              string   `json:"h3"`
	Households      *int     `json:"households"`
	StudentsT1      *int     `json:"students_t1"`
	StudentsT2      *int     `json:"students_t2"`
	StudentsT3      *int     `json:"students_t3"`
	UT1             *int     `json:"unconnected_students_t1"`
	UT2             *int     `json:"unconnected_students_t2"`
	UT3             *int     `json:"unconnected_students_t3"`
	Schools         int      `json:"schools"`
	ServedOperators []string `json:"served_operators"`
	Gap             bool     `json:"gap"`
}

// Two runs with a viettel sector added between them in the biggest gap
// area: the closed cells are exactly those the cells of the two runs say
// (uncovered by viettel before, served after; gap before, not after for
// any operator), with their totals; small cells are withheld for an
// operator and left out of its totals; an operator sees only its own.
func TestCoverageClosed(t *testing.T) {
	e := newCovEnv(t, true)
	ctx := context.Background()
	var gaps struct {
		Gaps []struct {
			Centroid *[2]float64 `json:"centroid"`
		} `json:"gaps"`
	}
	e.getJSON("planner", fmt.Sprintf("/api/v1/coverage/runs/%d/gaps?sort=households&order=desc&limit=1", e.runID), http.StatusOK, &gaps)
	if len(gaps.Gaps) != 1 || gaps.Gaps[0].Centroid == nil {
		t.Fatalf("gaps %+v", gaps)
	}
	c := gaps.Gaps[0].Centroid
	// Only one run so far: nothing to compare with.
	if code, b, _ := e.do("viettel", http.MethodGet, fmt.Sprintf("/api/v1/coverage/runs/%d/closed", e.runID), nil); code != http.StatusNotFound {
		t.Fatalf("one run: %d %s", code, b)
	}
	csv := fmt.Sprintf("site_id,operator,technology,band_mhz,lat,lon,range_m\nCLOSE-1,viettel,4G,1800,%.6f,%.6f,6000\n", c[1], c[0])
	if _, err := importer.ImportReader(ctx, e.st, "sites", "extra.csv", strings.NewReader(csv), importer.Options{Operator: "viettel"}); err != nil {
		t.Fatal(err)
	}
	run2, err := coveragerun.Analyze(ctx, e.st, coveragerun.Options{Settings: coverage.DefaultSettings()})
	if err != nil {
		t.Fatal(err)
	}

	cells := func(run int64) map[string]closedCell {
		var a struct {
			Cells     []closedCell `json:"cells"`
			Truncated bool         `json:"truncated"`
		}
		e.getJSON("planner", fmt.Sprintf("/api/v1/coverage/runs/%d/cells?res=9&limit=50000", run), http.StatusOK, &a)
		if a.Truncated {
			t.Fatal("cells truncated")
		}
		m := map[string]closedCell{}
		for _, c := range a.Cells {
			m[c.H3] = c
		}
		return m
	}
	before, after := cells(e.runID), cells(run2.ID)
	v := func(p *int) int {
		if p == nil {
			t.Fatal("a planner's cell has a withheld count")
		}
		return *p
	}
	want := map[string][]string{} // operator → closed h3
	for h, a := range after {
		b, ok := before[h]
		if !ok {
			continue
		}
		demand := v(b.StudentsT1)+v(b.StudentsT2)+v(b.StudentsT3) > 0 || b.Schools > 0
		if demand && !slices.Contains(b.ServedOperators, "viettel") && slices.Contains(a.ServedOperators, "viettel") {
			want["viettel"] = append(want["viettel"], h)
		}
		if b.Gap && !a.Gap {
			want[""] = append(want[""], h)
		}
	}
	if len(want["viettel"]) == 0 || len(want[""]) == 0 {
		t.Fatalf("the new sector closed nothing: %d viettel, %d gap cells", len(want["viettel"]), len(want[""]))
	}

	for _, tc := range []struct{ user, query, op string }{
		{"planner", "?operator=Viettel", "viettel"}, {"viettel", "", "viettel"}, {"viettel", "?operator=viettel", "viettel"},
		{"planner", "", ""}, {"viewer", "", ""},
	} {
		var got closedAnswer
		e.getJSON(tc.user, fmt.Sprintf("/api/v1/coverage/runs/latest/closed%s", tc.query), http.StatusOK, &got)
		if got.RunID != run2.ID || got.SinceRunID != e.runID || got.Operator != tc.op || got.Res != 9 || got.Truncated {
			t.Fatalf("%s %s: header %+v", tc.user, tc.query, got)
		}
		var hs []string
		var hh, t1, ub, ua, gapCells, suppressed int
		for _, c := range got.Cells {
			hs = append(hs, c.H3)
			b, a := before[c.H3], after[c.H3]
			if c.WasGap != b.Gap || c.IsGap != a.Gap || c.Res != 9 {
				t.Errorf("%s: cell %s gap %v→%v, want %v→%v", tc.user, c.H3, c.WasGap, c.IsGap, b.Gap, a.Gap)
			}
			if c.WasGap {
				gapCells++
			}
			small := v(a.Households) < got.PrivacyK
			if hide := small && tc.user != "planner"; c.Suppressed != hide {
				t.Errorf("%s: cell %s suppressed %v, want %v", tc.user, c.H3, c.Suppressed, hide)
			}
			if c.Suppressed {
				suppressed++
				if c.Households != nil || c.StudentsT1 != nil || c.UnconnectedBefore != nil || c.UnconnectedAfter != nil {
					t.Errorf("%s: suppressed cell %s shows counts", tc.user, c.H3)
				}
				continue
			}
			ubw := v(b.UT1) + v(b.UT2) + v(b.UT3)
			uaw := v(a.UT1) + v(a.UT2) + v(a.UT3)
			if *c.Households != v(a.Households) || *c.StudentsT1 != v(a.StudentsT1) || *c.UnconnectedBefore != ubw || *c.UnconnectedAfter != uaw {
				t.Errorf("%s: cell %s counts %d/%d/%d/%d, want %d/%d/%d/%d", tc.user, c.H3, *c.Households, *c.StudentsT1,
					*c.UnconnectedBefore, *c.UnconnectedAfter, v(a.Households), v(a.StudentsT1), ubw, uaw)
			}
			hh += *c.Households
			t1 += *c.StudentsT1
			ub += *c.UnconnectedBefore
			ua += *c.UnconnectedAfter
		}
		w := slices.Clone(want[tc.op])
		slices.Sort(w)
		slices.Sort(hs)
		if !slices.Equal(hs, w) {
			t.Errorf("%s %s: closed %d cells %v, want %d %v", tc.user, tc.query, len(hs), hs, len(w), w)
		}
		tt := got.Totals
		if tt.Cells != len(w) || tt.GapCells != gapCells || tt.SuppressedCells != suppressed || tt.Households != hh ||
			tt.StudentsT1 != t1 || tt.UnconnectedBefore != ub || tt.UnconnectedAfter != ua {
			t.Errorf("%s %s: totals %+v, want cells %d gap %d suppressed %d households %d t1 %d unconnected %d→%d",
				tc.user, tc.query, tt, len(w), gapCells, suppressed, hh, t1, ub, ua)
		}
		if tc.op == "viettel" && (tt.UnconnectedBefore <= tt.UnconnectedAfter && tt.SuppressedCells < tt.Cells) {
			t.Errorf("%s: closing gaps left as many unconnected students: %+v", tc.user, tt)
		}
		t.Logf("%s %s: %d cells closed (%d were gaps, %d withheld), %d households", tc.user, tc.query, tt.Cells, tt.GapCells, tt.SuppressedCells, tt.Households)
	}

	// Explicit since; limit; refusals.
	var lim closedAnswer
	e.getJSON("planner", fmt.Sprintf("/api/v1/coverage/runs/%d/closed?since=%d&operator=viettel&limit=1", run2.ID, e.runID), http.StatusOK, &lim)
	if len(lim.Cells) != 1 || !lim.Truncated || lim.Totals.Cells != len(want["viettel"]) {
		t.Errorf("limit 1: %d cells, truncated %v, totals %+v", len(lim.Cells), lim.Truncated, lim.Totals)
	}
	for _, tc := range []struct {
		user, path string
		code       int
	}{
		{"viettel", "/api/v1/coverage/runs/latest/closed?operator=mobifone", http.StatusForbidden},
		{"planner", fmt.Sprintf("/api/v1/coverage/runs/%d/closed?since=%d", run2.ID, run2.ID), http.StatusUnprocessableEntity},
		{"planner", "/api/v1/coverage/runs/latest/closed?since=x", http.StatusUnprocessableEntity},
		{"planner", "/api/v1/coverage/runs/latest/closed?area=nowhere", http.StatusNotFound},
		{"", "/api/v1/coverage/runs/latest/closed", http.StatusUnauthorized},
	} {
		if code, b, _ := e.do(tc.user, http.MethodGet, tc.path, nil); code != tc.code {
			t.Errorf("%s %s: %d, want %d: %s", tc.user, tc.path, code, tc.code, b)
		}
	}
}
