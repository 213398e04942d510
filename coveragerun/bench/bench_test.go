package bench

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/coverage"
)

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

// Run on two real-shaped communes (no baseline, no national), then Write.
func TestRunSmall(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "c.geojson")
	if err := os.WriteFile(src, []byte(twoCommunes), 0o644); err != nil {
		t.Fatal(err)
	}
	var progress bytes.Buffer
	rep, err := Run(t.Context(), Options{Communes: src, Runs: 1, NationalRuns: 1, NationalScale: 2, NoBaseline: true,
		Seed: 1, Settings: coverage.DefaultSettings(), Work: filepath.Join(dir, "work"), Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Datasets) != 2 || rep.Baseline != nil || rep.Procs < 1 {
		t.Fatalf("report %+v", rep)
	}
	prov, nat := rep.Datasets[0], rep.Datasets[1]
	if prov.Name != "bac_giang" || nat.Name != "national (×2)" || prov.Entities == 0 || len(prov.RunsS) != 1 || prov.MedianS != prov.RunsS[0] || len(prov.Phases) == 0 {
		t.Fatalf("datasets %+v", rep.Datasets)
	}
	if nat.Entities < prov.Entities {
		t.Fatalf("national %d entities < province %d", nat.Entities, prov.Entities)
	}
	if !strings.Contains(progress.String(), "bac_giang run 1: ") || !strings.Contains(progress.String(), "tiling the communes 2 times") {
		t.Fatalf("progress %q", progress.String())
	}
	rep.Baseline = &Baseline{Sample: 10, Total: 20, SameOps: 9, Disagreements: []string{"household h1: ours {a}, PostGIS {}"}}
	var out bytes.Buffer
	if err := rep.Write(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"coverage engine, ", "\nbac_giang ", "\nnational (×2) ", "PostGIS baseline (bac_giang, sample 10 of 20 entities, SQL only):",
		"agreement: 90.0000% identical 4G operator sets (9/10)", "    household h1: ours {a}, PostGIS {}"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}
