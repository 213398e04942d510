package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
)

// TestMain lets the test binary be the benchmark's child process: with
// GAPMAP_BENCH_CHILD=1 it runs ChildMain on its arguments and exits.
func TestMain(m *testing.M) {
	if os.Getenv("GAPMAP_BENCH_CHILD") == "1" {
		if err := ChildMain(context.Background(), os.Args[1:], os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// childOptions runs the children as this test binary.
func childOptions(t *testing.T) Options {
	dir := t.TempDir()
	src := filepath.Join(dir, "c.geojson")
	if err := os.WriteFile(src, []byte(twoCommunes), 0o644); err != nil {
		t.Fatal(err)
	}
	return Options{Communes: src, Runs: 1, Seed: 1, Work: filepath.Join(dir, "work"),
		Child: []string{os.Args[0]}, ChildEnv: []string{"GAPMAP_BENCH_CHILD=1"}}
}

const twoCommunes = `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"province":"P","district":"D","commune":"A","gso_code_2025":"00001","gadm41_gid3":"x"},
 "geometry":{"type":"Polygon","coordinates":[[[106,21],[106.1,21],[106.1,21.1],[106,21.1],[106,21]]]}},
{"type":"Feature","properties":{"province":"P","district":"D","commune":"B","gso_code_2025":"00002"},
 "geometry":{"type":"MultiPolygon","coordinates":[[[[106.1,21],[106.2,21],[106.2,21.1],[106.1,21.1],[106.1,21]]]]}}]}`

// tileAreas makes n shifted copies with unique names and codes.
func TestTileAreas(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "c.geojson"), filepath.Join(dir, "n.geojson")
	if err := os.WriteFile(src, []byte(twoCommunes), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := tileAreas(src, dst, 4); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []struct {
			Properties map[string]any `json:"properties"`
			Geometry   struct {
				Type        string          `json:"type"`
				Coordinates json.RawMessage `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatal(err)
	}
	if len(fc.Features) != 8 {
		t.Fatalf("%d features, want 8", len(fc.Features))
	}
	codes := map[string]bool{}
	for _, f := range fc.Features {
		codes[f.Properties["gso_code_2025"].(string)] = true
		if _, ok := f.Properties["gadm41_gid3"]; ok {
			t.Fatal("gadm41_gid3 kept")
		}
	}
	if len(codes) != 8 || !codes["0000104"] {
		t.Fatalf("codes %v", codes)
	}
	// Copy 4 (t=3) is in the second row (2 columns): shifted south by 1.1 × the height.
	last := fc.Features[7]
	if last.Properties["province"] != "P T04" || last.Properties["commune"] != "B T04" || last.Geometry.Type != "MultiPolygon" {
		t.Fatalf("last feature %v %s", last.Properties, last.Geometry.Type)
	}
	var mp [][][][2]float64
	if err := json.Unmarshal(last.Geometry.Coordinates, &mp); err != nil {
		t.Fatal(err)
	}
	dx, dy := 0.2*1.05, 0.1*1.1
	if p := mp[0][0][0]; abs(p[0]-(106.1+dx)) > 1e-9 || abs(p[1]-(21-dy)) > 1e-9 {
		t.Fatalf("first point of the last copy %v", p)
	}
	if err := tileAreas(filepath.Join(dir, "missing"), dst, 2); err == nil {
		t.Fatal("a missing file was tiled")
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestFindCommunes(t *testing.T) {
	dir := t.TempDir()
	if _, err := FindCommunes(dir); !errors.Is(err, ErrNoRealData) {
		t.Fatalf("empty dir: %v", err)
	}
	p := filepath.Join(dir, "bac_giang", "communes.geojson")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(twoCommunes), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := FindCommunes(dir); err != nil || got != p {
		t.Fatalf("FindCommunes = %q, %v; want %q", got, err, p)
	}
}

// Compare on a hand-made case: one entity of each kind of disagreement
// is reported, agreeing entities are not.
func TestCompare(t *testing.T) {
	inf := math.Inf(1)
	ours := []Answer{
		{Label: "household H1", Operators: []string{"mobifone", "viettel"}, Nearest4GM: 120.25},
		{Label: "household H2", Operators: nil, Nearest4GM: inf},
		{Label: "school S1", Operators: []string{"viettel"}, Nearest4GM: 4000},      // PostGIS adds vinaphone
		{Label: "household H3", Operators: []string{"viettel"}, Nearest4GM: 800.00}, // 1.5 m off
		{Label: "household H4", Operators: nil, Nearest4GM: inf},                    // PostGIS finds a site
	}
	theirs := []postgis.BaselineResult{
		{Operators: []string{"mobifone", "viettel"}, Nearest4GM: 120.2500004},
		{Operators: nil, Nearest4GM: inf},
		{Operators: []string{"viettel", "vinaphone"}, Nearest4GM: 4000.3},
		{Operators: []string{"viettel"}, Nearest4GM: 801.5},
		{Operators: []string{}, Nearest4GM: 9000},
	}
	a := Compare(ours[:2], theirs[:2])
	if !a.OK() || a.N != 2 || a.SameOps != 2 || a.NearestOver1M != 0 || len(a.Disagreements) != 0 || a.MaxNearestDiffM > 1e-6 {
		t.Fatalf("agreeing entities: %+v", a)
	}
	a = Compare(ours, theirs)
	if a.OK() || a.N != 5 || a.SameOps != 4 || a.NearestOver1M != 2 || !math.IsInf(a.MaxNearestDiffM, 1) {
		t.Fatalf("injected disagreements: %+v", a)
	}
	want := []string{
		"school S1: 4G operators ours {viettel}, PostGIS {viettel;vinaphone}",
		"household H3: nearest 4G ours 800.00 m, PostGIS 801.50 m",
		"household H4: nearest 4G ours +Inf m, PostGIS 9000.00 m",
	}
	if strings.Join(a.Disagreements, "\n") != strings.Join(want, "\n") {
		t.Fatalf("disagreements\n%s\nwant\n%s", strings.Join(a.Disagreements, "\n"), strings.Join(want, "\n"))
	}
	// A missing answer is a disagreement, never a silent pass.
	a = Compare(ours[:2], theirs[:1])
	if a.OK() || a.N != 2 || a.SameOps != 1 || a.NearestOver1M != 1 {
		t.Fatalf("missing answer: %+v", a)
	}
	if (Agreement{}).OK() {
		t.Fatal("an empty comparison passed")
	}
}

// tableRows returns the scaling table's header and rows, split on blanks.
func tableRows(t *testing.T, out string) [][]string {
	t.Helper()
	var rows [][]string
	in := false
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && f[0] == "scale" {
			in = true
		}
		if in {
			if len(f) == 0 {
				break
			}
			rows = append(rows, f)
		}
	}
	return rows
}

// The table of a hand-made report: its columns, its figures, and the
// baseline lines with an injected disagreement.
func TestWrite(t *testing.T) {
	m := func(read, an, wr, wall, peak float64) Measure {
		return Measure{ReadS: read, AnalyzeS: an, WriteS: wr, WallS: wall, PeakMB: peak, Phases: "classify 1s"}
	}
	rep := &Report{Runs: 3, Procs: 2, GoVersion: "go1.x", MaxRangeM: 15000, GeodesicUS: 0.5, LoadAvg: [2]string{"3.1 2.0 1.0", "2.5 2.1 1.1"}, Scales: []Scale{
		{Scale: 1, Entities: 100, Sectors: 10, Geodesics: 2_000_000, Runs: []Measure{m(1, 2, 1, 4.5, 300), m(1, 2, 1, 4, 310), m(1, 2, 1, 5, 290)}, Median: m(1, 2, 1, 4.5, 300)},
		{Scale: 4, Entities: 400, Sectors: 40, Geodesics: 8_000_000, Runs: []Measure{m(4, 9, 4, 18, 900)}, Median: m(4, 9, 4, 18, 900)},
	}, Baseline: &Baseline{Sample: 100, Total: 100, Sectors4G: 7, ClassifyS: 450, NearestS: 45,
		Agreement: Agreement{N: 100, SameOps: 99, MaxNearestDiffM: 0.25, Disagreements: []string{"household H1: 4G operators ours {a}, PostGIS {}"}}}}
	var out bytes.Buffer
	if err := rep.Write(&out); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	rows := tableRows(t, s)
	if len(rows) != 3 || strings.Join(rows[0], " ") != strings.Join(Columns, " ") {
		t.Fatalf("table rows %q\n%s", rows, s)
	}
	want := [][]string{
		{"1×", "100", "10", "1.00", "2.00", "1.00", "4.50", "4.50,4.00,5.00", "300", "300,310,290", "45000.00", "1.00", "1.00"},
		{"4×", "400", "40", "4.00", "9.00", "4.00", "18.00", "18.00", "900", "900", "45000.00", "1.12", "1.00"},
	}
	for i, w := range want {
		if strings.Join(rows[i+1], " ") != strings.Join(w, " ") {
			t.Errorf("row %d: %q, want %q", i+1, rows[i+1], w)
		}
	}
	for _, w := range []string{
		"sector ranges: every sector states a range in [7500, 15000] m (gen --max-range 15000)",
		"medians of 3 runs per scale; load average 3.1 2.0 1.0 at the start, 2.5 2.1 1.1 at the end\n\n",
		"PostGIS baseline on the province (1×), every entity: 100, against 7 4G/5G sectors",
		"ratio: 100.0× (PostGIS classification / analyze end to end), 110.0× with the nearest-4G query\n",
		"agreement: 99.0000% identical 4G operator sets (99/100); nearest-4G distances max |Δ| 0.250000 m, 0 beyond 1 m: DISAGREE\n",
		"    household H1: 4G operators ours {a}, PostGIS {}\n",
		"\nexact geodesics of the classification (one per distance column of each distinct position), at 0.500 µs each\n(median of 3 timings on one core), and their share of the analysis on 2 cores:\n",
		"\n    1×  2000000 geodesics (20000.00 per entity): 1.00 CPU s, 0.50 s on 2 cores, 25% of analyze_s\n",
		"\n    4×  8000000 geodesics (20000.00 per entity): 4.00 CPU s, 2.00 s on 2 cores, 22% of analyze_s\n",
		"  ceiling with exact distances: 900.0× (PostGIS classification / the geodesics alone, 0.50 s on 2 cores, nothing read or written)\n",
	} {
		if !strings.Contains(s, w) {
			t.Errorf("report lacks %q:\n%s", w, s)
		}
	}
	// A sample: the ratio is extrapolated and says so; full agreement reads AGREE.
	rep.Baseline = &Baseline{Sample: 50, Total: 100, ClassifyS: 225, NearestS: 0, Agreement: Agreement{N: 50, SameOps: 50}}
	out.Reset()
	if err := rep.Write(&out); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"a random sample of 50 of 100 entities", "ceiling with exact distances: 900.0×", "ratio: 100.0× (PostGIS classification / analyze end to end), 100.0× with the nearest-4G query (PostGIS times extrapolated ×2.00 to the whole province)",
		"(50/50); nearest-4G distances max |Δ| 0.000000 m, 0 beyond 1 m: AGREE\n"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("report lacks %q:\n%s", w, out.String())
		}
	}
}

// Run at small scales (two communes, 1× and 2×, three runs each), every
// analysis in a child process; no baseline.
func TestRunSmall(t *testing.T) {
	o := childOptions(t)
	o.Runs, o.Scales, o.NoBaseline = 3, []int{2, 1, 2}, true
	var progress bytes.Buffer
	o.Progress = &progress
	rep, err := Run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Scales) != 2 || rep.Baseline != nil || rep.Procs < 1 || rep.Runs != 3 {
		t.Fatalf("report %+v", rep)
	}
	one, two := rep.Scales[0], rep.Scales[1]
	if one.Scale != 1 || two.Scale != 2 || len(one.Runs) != 3 || len(two.Runs) != 3 {
		t.Fatalf("scales %+v", rep.Scales)
	}
	if one.Entities < 100 || two.Entities < 2*one.Entities*9/10 || two.Entities > 2*one.Entities*11/10 || two.Sectors < one.Sectors {
		t.Fatalf("entities %d and %d, sectors %d and %d", one.Entities, two.Entities, one.Sectors, two.Sectors)
	}
	for _, sc := range rep.Scales {
		walls := []float64{}
		for _, r := range sc.Runs {
			if r.Entities != sc.Entities || r.Geodesics != sc.Geodesics || r.PeakMB <= 0 || r.ReadS <= 0 || r.AnalyzeS <= 0 || r.WriteS <= 0 || r.WallS < r.ReadS+r.AnalyzeS+r.WriteS || r.Phases == "" {
				t.Fatalf("%d× run %+v", sc.Scale, r)
			}
			walls = append(walls, r.WallS)
		}
		if mid := medians(sc.Runs).WallS; sc.Median.WallS != mid || (mid != walls[0] && mid != walls[1] && mid != walls[2]) {
			t.Fatalf("%d× median %v of %v", sc.Scale, sc.Median.WallS, walls)
		}
	}
	// Every entity has at least its nearest-site distance (the generated
	// province has sites of every operator) and at most its six columns,
	// bar near-ties: the count is between one and seven per entity.
	for _, sc := range rep.Scales {
		if sc.Geodesics < int64(sc.Entities) || sc.Geodesics > 7*int64(sc.Entities) {
			t.Fatalf("%d×: %d geodesics for %d entities", sc.Scale, sc.Geodesics, sc.Entities)
		}
	}
	if rep.GeodesicUS <= 0 || rep.GeodesicUS > 100 {
		t.Fatalf("a geodesic costs %v µs", rep.GeodesicUS)
	}
	if !strings.Contains(progress.String(), "1× run 3: ") || !strings.Contains(progress.String(), "generating 2× the province") {
		t.Fatalf("progress %q", progress.String())
	}
	var out bytes.Buffer
	if err := rep.Write(&out); err != nil {
		t.Fatal(err)
	}
	rows := tableRows(t, out.String())
	if len(rows) != 3 || rows[1][0] != "1×" || rows[2][0] != "2×" || rows[1][1] != strconv.Itoa(one.Entities) {
		t.Fatalf("table %q", rows)
	}
	for _, r := range rows {
		if len(r) != len(Columns) {
			t.Fatalf("row %q has %d columns, want %d", r, len(r), len(Columns))
		}
	}
	if rep.LoadAvg[0] == "" || rep.LoadAvg[1] == "" {
		t.Errorf("load averages %q", rep.LoadAvg)
	}
	if strings.Contains(out.String(), "PostGIS") {
		t.Fatal("a baseline section without a baseline")
	}
	// The generated files are removed.
	if entries, _ := os.ReadDir(o.Work); len(entries) != 0 {
		t.Errorf("%d entries left in the work directory", len(entries))
	}
}

// The whole pipeline with the PostGIS baseline on every entity of two
// communes with long ranges: full agreement, sample = total.
func TestRunBaseline(t *testing.T) {
	o := childOptions(t)
	o.DatabaseURL = pgtest.NewURL(t)
	o.MaxRangeM = 8000
	rep, err := Run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	b := rep.Baseline
	if b == nil || b.Sample != b.Total || b.Total != rep.Scales[0].Entities || b.Sectors4G == 0 || b.ClassifyS <= 0 || b.NearestS <= 0 {
		t.Fatalf("baseline %+v", b)
	}
	if !b.OK() || b.N != b.Total || b.MaxNearestDiffM > 1 {
		t.Fatalf("agreement %+v", b.Agreement)
	}
	var out bytes.Buffer
	if err := rep.Write(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), fmt.Sprintf("(%d/%d); nearest-4G distances", b.Total, b.Total)) || !strings.Contains(out.String(), ": AGREE\n") {
		t.Fatalf("report:\n%s", out.String())
	}
	o.Communes = filepath.Join(t.TempDir(), "missing.geojson")
	if _, err := Run(t.Context(), o); err == nil {
		t.Fatal("a missing communes file was measured")
	}
	if _, err := Run(t.Context(), Options{Runs: 1}); err == nil {
		t.Fatal("no child command accepted")
	}
}

func TestParseScales(t *testing.T) {
	got, err := ParseScales(" 1, 4,16 ,56")
	if err != nil || fmt.Sprint(got) != "[1 4 16 56]" {
		t.Fatalf("ParseScales = %v, %v; want [1 4 16 56]", got, err)
	}
	for _, bad := range []string{"", "0", "1,-4", "1,,4", "2.5", "x"} {
		if got, err := ParseScales(bad); err == nil || got != nil || !strings.Contains(err.Error(), strconv.Quote(bad)) {
			t.Errorf("ParseScales(%q) = %v, %v; want an error naming the list", bad, got, err)
		}
	}
}
