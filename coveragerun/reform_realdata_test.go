package coveragerun_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gapmap/gapmap/coverage"
	"github.com/gapmap/gapmap/coveragerun"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/importer"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
	"github.com/gapmap/gapmap/geo"
	"github.com/gapmap/gapmap/internal/realdata"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"golang.org/x/text/unicode/norm"
)

type rawFeature struct {
	Properties map[string]any `json:"properties"`
	Geometry   struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	} `json:"geometry"`
}

// readFeatures reads the (Multi)Polygon features of a GeoJSON file.
func readFeatures(t *testing.T, path string) ([]map[string]any, []orb.MultiPolygon) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []rawFeature `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatal(err)
	}
	var props []map[string]any
	var geoms []orb.MultiPolygon
	ring := func(c [][]float64) orb.Ring {
		r := make(orb.Ring, len(c))
		for i, p := range c {
			r[i] = orb.Point{p[0], p[1]}
		}
		return r
	}
	poly := func(c [][][]float64) orb.Polygon {
		p := make(orb.Polygon, len(c))
		for i, r := range c {
			p[i] = ring(r)
		}
		return p
	}
	for _, f := range fc.Features {
		var mp orb.MultiPolygon
		switch f.Geometry.Type {
		case "Polygon":
			var c [][][]float64
			if err := json.Unmarshal(f.Geometry.Coordinates, &c); err != nil {
				t.Fatal(err)
			}
			mp = orb.MultiPolygon{poly(c)}
		case "MultiPolygon":
			var c [][][][]float64
			if err := json.Unmarshal(f.Geometry.Coordinates, &c); err != nil {
				t.Fatal(err)
			}
			for _, p := range c {
				mp = append(mp, poly(p))
			}
		default:
			t.Fatalf("%s: geometry %s", path, f.Geometry.Type)
		}
		props = append(props, f.Properties)
		geoms = append(geoms, mp)
	}
	return props, geoms
}

// codeChange is one Bắc Giang row of commune_code_changes_2019_2024.csv.
type codeChange struct {
	district, commune, code2019, code2024, district2019 string
}

func bacGiangCodeChanges(t *testing.T, dir string) []codeChange {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "vietnam", "commune_code_changes_2019_2024.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[strings.TrimPrefix(h, "\ufeff")] = i
	}
	var out []codeChange
	for _, r := range rows[1:] {
		if r[col["province_code_2019"]] != "24" {
			continue
		}
		out = append(out, codeChange{district: r[col["district_name_2019"]], commune: r[col["commune_name_2019"]],
			code2019: r[col["commune_code_2019"]], code2024: r[col["commune_code_2024"]], district2019: r[col["district_code_2019"]]})
	}
	return out
}

func fold(s string) string { return strings.ToLower(strings.TrimSpace(norm.NFC.String(s))) }

// baseName drops the type of a commune ("Xã Tân Tiến" → "tân tiến"); the
// boundary file spells Xa Lý "Sa Lý".
func baseName(s string) string {
	s = fold(s)
	for _, p := range []string{"thị trấn ", "phường ", "xã "} {
		if strings.HasPrefix(s, p) {
			s = s[len(p):]
			break
		}
	}
	if s == "sa lý" {
		return "xa lý"
	}
	return s
}

func areasGeoJSON(t *testing.T, path string, areas []data.Area) {
	t.Helper()
	var b bytes.Buffer
	if err := format.WriteAreasGeoJSON(&b, areas); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBacGiangBothVintages loads both vintages of real Bắc Giang
// boundaries — the 2019 three tiers (province, 10 districts, 230 communes,
// valid until 30 June 2025) and the two tiers from 1 July 2025 derived
// from them (each commune merged into its 2024 unit per the GSO record of
// code changes, dissolved with ST_Union; parent the province) — with the
// successor table, places homes in every 2019 commune (1 per 100 census
// households), and analyses on 2020-06-01 and 2026-01-01. No home lands on
// a unit invalid on the run's date; the 2026 figures of every unit equal
// the 2020 figures rolled up through the successor table; a merged commune
// (Phồn Xương, with Cầu Gồ) shows the homes of both.
func TestBacGiangBothVintages(t *testing.T) {
	rd := realdata.Dir(t)
	ctx := context.Background()
	st := pgtest.New(t)
	dir := t.TempDir()
	reform := time.Date(2025, time.July, 1, 0, 0, 0, 0, time.UTC)
	d2020 := time.Date(2020, time.June, 1, 0, 0, 0, 0, time.UTC)
	d2026 := time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

	// (a) The 2019 vintage.
	changes := bacGiangCodeChanges(t, rd)
	if len(changes) != 230 {
		t.Fatalf("%d Bắc Giang communes in the code changes, want 230", len(changes))
	}
	byFull := map[[2]string]*codeChange{}
	byBase := map[string][]*codeChange{}
	for i := range changes {
		c := &changes[i]
		byFull[[2]string{fold(c.district), fold(c.commune)}] = c
		byBase[baseName(c.commune)] = append(byBase[baseName(c.commune)], c)
	}
	areas := []data.Area{{Code: "24", Name: "Tỉnh Bắc Giang", Level: "province"}}
	dprops, _ := readFeatures(t, filepath.Join(rd, "bac_giang", "districts.geojson"))
	for _, p := range dprops {
		areas = append(areas, data.Area{Code: fmt.Sprint(p["level2_id"]), Name: fmt.Sprint(p["name"]), Level: "district", ParentCode: "24", ValidTo: &reform})
	}
	cprops, cgeoms := readFeatures(t, filepath.Join(rd, "bac_giang", "communes.geojson"))
	used := map[string]bool{}
	newCode := map[string]string{} // 2019 code → 2024 code
	geomOf := map[string]orb.MultiPolygon{}
	hhOf := map[string]int{}
	for i, p := range cprops {
		name, dist := fmt.Sprint(p["commune"]), fmt.Sprint(p["district"])
		c := byFull[[2]string{fold(dist), fold(name)}]
		if c == nil || used[c.code2019] {
			// Renamed since (Xã → Phường) or moved to another district:
			// the one commune of that base name not matched yet.
			c = nil
			for _, x := range byBase[baseName(name)] {
				if !used[x.code2019] && (c == nil || fold(x.district) == fold(dist)) {
					c = x
				}
			}
		}
		if c == nil {
			t.Fatalf("commune %s (%s) not in the GSO code changes", name, dist)
		}
		used[c.code2019] = true
		newCode[c.code2019] = c.code2024
		geomOf[c.code2019] = cgeoms[i]
		hh, _ := p["households2019"].(float64)
		hhOf[c.code2019] = int(hh)
		areas = append(areas, data.Area{Code: c.code2019, Name: name, Level: "commune", ParentCode: c.district2019, ValidTo: &reform,
			Households: int(hh), Geom: cgeoms[i]})
	}
	areasGeoJSON(t, filepath.Join(dir, "areas2019.geojson"), areas)
	if _, err := importer.Import(ctx, st, format.KindAreas, filepath.Join(dir, "areas2019.geojson"), importer.Options{Date: d2020}); err != nil {
		t.Fatal(err)
	}

	// (b) The 2025 vintage: the 2019 communes dissolved into their 2024
	// units by PostGIS, under the province, from 1 July 2025.
	olds := make([]string, 0, len(newCode))
	for o := range newCode {
		olds = append(olds, o)
	}
	sort.Strings(olds)
	news := make([]string, len(olds))
	for i, o := range olds {
		news[i] = newCode[o]
	}
	rows, err := st.Pool().Query(ctx, `
		SELECT m.new_code, min(a.name) FILTER (WHERE a.code = m.new_code), string_agg(a.name, ' + ' ORDER BY a.code),
		       ST_AsGeoJSON(ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Union(a.geom)), 3)))
		FROM unnest($1::text[], $2::text[]) AS m(old_code, new_code) JOIN areas a ON a.code = m.old_code
		GROUP BY m.new_code ORDER BY m.new_code`, olds, news)
	if err != nil {
		t.Fatal(err)
	}
	areas2025 := []data.Area{}
	for rows.Next() {
		var code, gj string
		var same *string
		var names string
		if err := rows.Scan(&code, &same, &names, &gj); err != nil {
			t.Fatal(err)
		}
		var g struct {
			Coordinates [][][][]float64 `json:"coordinates"`
		}
		if err := json.Unmarshal([]byte(gj), &g); err != nil {
			t.Fatal(err)
		}
		var mp orb.MultiPolygon
		for _, p := range g.Coordinates {
			var poly orb.Polygon
			for _, r := range p {
				var ring orb.Ring
				for _, pt := range r {
					ring = append(ring, orb.Point{pt[0], pt[1]})
				}
				poly = append(poly, ring)
			}
			mp = append(mp, poly)
		}
		name := names
		if same != nil {
			name = *same
		}
		areas2025 = append(areas2025, data.Area{Code: code, Name: name, Level: "commune", ParentCode: "24", ValidFrom: &reform, Geom: mp})
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var succ [][]string
	for _, o := range olds {
		if n := newCode[o]; n != o {
			succ = append(succ, []string{o, n, "01/07/2025", "1"})
		}
	}
	if len(areas2025) != 214 || len(succ) != 16 {
		t.Fatalf("%d communes in 2025 and %d successor rows, want 214 and 16", len(areas2025), len(succ))
	}
	areasGeoJSON(t, filepath.Join(dir, "areas2025.geojson"), areas2025)
	var sb bytes.Buffer
	w := csv.NewWriter(&sb)
	_ = w.Write([]string{"Mã cũ", "Mã mới", "Ngày hiệu lực", "Tỷ lệ"})
	_ = w.WriteAll(succ)
	if err := os.WriteFile(filepath.Join(dir, "successors.csv"), sb.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := importer.Import(ctx, st, format.KindAreas, filepath.Join(dir, "areas2025.geojson"), importer.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := importer.Import(ctx, st, format.KindSuccessors, filepath.Join(dir, "successors.csv"), importer.Options{}); err != nil {
		t.Fatal(err)
	}
	var versions, twice int
	if err := st.Pool().QueryRow(ctx, `SELECT count(*), count(*) - count(DISTINCT code) FROM areas`).Scan(&versions, &twice); err != nil {
		t.Fatal(err)
	}
	if versions != 1+10+230+214 || twice != 214 {
		t.Fatalf("%d area versions, %d codes with two, want 455 and 214 (every 2025 unit continues a 2019 code)", versions, twice)
	}

	// Homes: 1 per 100 census households of each 2019 commune, at random
	// points of the commune that lie in it alone and in its 2025 unit
	// alone (borders of the two sources do not nest exactly).
	all, err := postgis.ReadAreas(ctx, st.Pool())
	if err != nil {
		t.Fatal(err)
	}
	ix20, ix26 := geo.NewAreaIndex(all, d2020), geo.NewAreaIndex(all, d2026)
	r := rand.New(rand.NewPCG(24, 2025))
	var homes [][]string
	want2020 := map[string]int{}
	for _, code := range olds {
		g := geomOf[code]
		b := g.Bound()
		n := max(1, hhOf[code]/100)
		for k, tries := 0, 0; k < n && tries < 100000; tries++ {
			p := orb.Point{b.Min[0] + r.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + r.Float64()*(b.Max[1]-b.Min[1])}
			if !planar.MultiPolygonContains(g, p) {
				continue
			}
			in20, in26 := ix20.Containing(p[1], p[0]), ix26.Containing(p[1], p[0])
			if len(in20) != 3 || in20[0] != code || len(in26) != 2 || in26[0] != newCode[code] {
				continue
			}
			k++
			id := fmt.Sprintf("HH%s-%03d", code, k)
			homes = append(homes, []string{id, strconv.FormatFloat(p[1], 'f', 6, 64), strconv.FormatFloat(p[0], 'f', 6, 64), code, "gps", "none", "4"})
			want2020[code]++
		}
		if want2020[code] != n {
			t.Fatalf("commune %s: placed %d of %d homes", code, want2020[code], n)
		}
	}
	var hb bytes.Buffer
	hw, err := format.NewCSV(&hb, format.HouseholdHeader())
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range homes {
		if err := hw.Write(h); err != nil {
			t.Fatal(err)
		}
	}
	if err := hw.Flush(); err != nil {
		t.Fatal(err)
	}
	hhPath := filepath.Join(dir, "households.csv")
	if err := os.WriteFile(hhPath, hb.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := importer.Import(ctx, st, format.KindHouseholds, hhPath, importer.Options{Date: d2020}); err != nil {
		t.Fatal(err)
	}

	// The two analyses, on the homes as registered in 2020.
	run20, err := coveragerun.Analyze(ctx, st, coveragerun.Options{Settings: coverage.DefaultSettings(), Date: d2020})
	if err != nil {
		t.Fatal(err)
	}
	run26, err := coveragerun.Analyze(ctx, st, coveragerun.Options{Settings: coverage.DefaultSettings(), Date: d2026})
	if err != nil {
		t.Fatal(err)
	}
	invalid := func(run int64, day time.Time) int {
		t.Helper()
		var n int
		err := st.Pool().QueryRow(ctx, `SELECT count(*) FROM coverage_entities e WHERE e.run_id = $1 AND NOT EXISTS (
				SELECT 1 FROM areas a WHERE a.code = e.area_code AND (a.valid_from IS NULL OR a.valid_from <= $2) AND (a.valid_to IS NULL OR a.valid_to > $2))`,
			run, day).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := invalid(run20.ID, d2020); n != 0 {
		t.Errorf("2020 run: %d homes on a unit not valid on 2020-06-01", n)
	}
	if n := invalid(run26.ID, d2026); n != 0 {
		t.Errorf("2026 run: %d homes on a unit not valid on 2026-01-01", n)
	}
	runs, _, err := st.ListCoverageRuns(ctx, 10, 0)
	if err != nil || len(runs) != 2 || runs[0].Date.Format(time.DateOnly) != "2026-01-01" || runs[1].Date.Format(time.DateOnly) != "2020-06-01" {
		t.Fatalf("runs %+v (%v), want dated 2026-01-01 and 2020-06-01", runs, err)
	}

	fig20, _, err := st.CoverageRunAreaFigures(ctx, run20.ID)
	if err != nil {
		t.Fatal(err)
	}
	fig26, _, err := st.CoverageRunAreaFigures(ctx, run26.ID)
	if err != nil {
		t.Fatal(err)
	}
	for code, n := range want2020 {
		if fig20[code].Households != n {
			t.Errorf("2020: commune %s has %d homes, want %d", code, fig20[code].Households, n)
		}
	}
	rolled, err := coveragerun.RollUpRun(ctx, st, run20.ID, d2026)
	if err != nil {
		t.Fatal(err)
	}
	if len(rolled.Areas) != 214 || len(fig26) != 214 {
		t.Errorf("%d units rolled up and %d in the 2026 run, want 214", len(rolled.Areas), len(fig26))
	}
	total := 0
	for _, a := range rolled.Areas {
		total += a.Households
		if got := fig26[a.Code]; got.Households != a.Households || got.Students != a.Students || got.UnconnectedHouseholds != a.UnconnectedHouseholds {
			t.Errorf("unit %s: 2026 run %+v, 2020 rolled up %+v", a.Code, got, a)
		}
	}
	if total != len(homes) {
		t.Errorf("rolled up %d homes, want %d", total, len(homes))
	}
	// Phồn Xương (07288) absorbed Cầu Gồ (07234): it shows both.
	if got, want := fig26["07288"].Households, want2020["07288"]+want2020["07234"]; got != want || got == 0 || want2020["07234"] == 0 {
		t.Errorf("Phồn Xương in 2026: %d homes, want %d (its own %d + Cầu Gồ %d)", got, want, want2020["07288"], want2020["07234"])
	}
	t.Logf("%d homes; runs %d (2020-06-01: %d units) and %d (2026-01-01: %d units); Phồn Xương 2020 %d + Cầu Gồ %d = 2026 %d; %d homes of merged communes",
		len(homes), run20.ID, len(fig20), run26.ID, len(fig26), want2020["07288"], want2020["07234"], fig26["07288"].Households, func() int {
			n := 0
			for o, c := range newCode {
				if c != o {
					n += want2020[o]
				}
			}
			return n
		}())
	for _, c := range []string{"07288", "07234", "07375", "07423", "07444", "07447", "07474", "07225"} {
		t.Logf("unit %s: 2020 run %d homes, 2026 run %d homes", c, fig20[c].Households, fig26[c].Households)
	}
	if _, ok := fig26["07234"]; ok {
		t.Error("the 2026 run places homes in Cầu Gồ, abolished")
	}

	// Imported on 2026-01-01, every home gets a unit valid that day.
	sum, err := importer.Import(ctx, st, format.KindHouseholds, hhPath, importer.Options{Date: d2026, Replace: true})
	if err != nil {
		t.Fatal(err)
	}
	var stale int
	if err := st.Pool().QueryRow(ctx, `SELECT count(*) FROM households h WHERE NOT EXISTS (
			SELECT 1 FROM areas a WHERE a.code = h.area_code AND (a.valid_from IS NULL OR a.valid_from <= '2026-01-01') AND (a.valid_to IS NULL OR a.valid_to > '2026-01-01'))`).Scan(&stale); err != nil {
		t.Fatal(err)
	}
	moved := 0
	for _, code := range olds {
		if newCode[code] != code {
			moved += want2020[code]
		}
	}
	if stale != 0 || len(sum.Warnings)+sum.WarningsTruncated != moved || moved == 0 {
		t.Errorf("imported on 2026-01-01: %d homes on expired units, %d warnings (+%d), want 0 and %d (one per home of a merged commune)",
			stale, len(sum.Warnings), sum.WarningsTruncated, moved)
	}
}
