package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/gen"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
	"github.com/xuri/excelize/v2"
)

// exportFixture generates a small province and analyses it offline.
func exportFixture(t *testing.T) (in, out string) {
	t.Helper()
	ctx := context.Background()
	root := t.TempDir()
	in, out = filepath.Join(root, "in"), filepath.Join(root, "out")
	if _, err := gen.Generate(ctx, gen.Options{Seed: 1, Scale: 0.05, OutDir: in}); err != nil {
		t.Fatal(err)
	}
	e, _, stderr := allocTestEnv(nil)
	if err := run(ctx, []string{"analyze", "--in", in, "--out", out}, e); err != nil {
		t.Fatalf("analyze: %v\n%s", err, stderr)
	}
	return in, out
}

// exportExpected counts the res-9 gap cells of cells.csv and the schools
// of entities.csv without 4G or fiber, and lists the households ids.
func exportExpected(t *testing.T, in, out string) (cells, schools int, smallCells int, householdIDs []string) {
	t.Helper()
	ctx := context.Background()
	err := csvTable(ctx, filepath.Join(out, "cells.csv"), func(get func(string) string) error {
		if get("res") == "9" && get("gap") == "true" {
			cells++
			if n, _ := atoi(get("households")); n > 0 && n < 3 {
				smallCells++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = csvTable(ctx, filepath.Join(out, "entities.csv"), func(get func(string) string) error {
		if get("entity_type") == "school" && get("connectivity") != "fiber" && get("connectivity") != "4g" {
			schools++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var verr data.ValidationError
	err = format.ReadHouseholds(ctx, filepath.Join(in, "households.csv"), &verr, func(_ int, h data.Household) error {
		householdIDs = append(householdIDs, h.ID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if cells == 0 || schools == 0 || len(householdIDs) == 0 {
		t.Fatalf("fixture too small: %d gap cells, %d unconnected schools, %d households", cells, schools, len(householdIDs))
	}
	return cells, schools, smallCells, householdIDs
}

// exportParsed is one export read back: a header and string rows.
type exportParsed struct {
	header []string
	rows   []map[string]string
}

func parseExportCSV(t *testing.T, b []byte) exportParsed {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("\ufeff")) {
		t.Error("CSV: no UTF-8 BOM")
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatalf("CSV: %v", err)
	}
	p := exportParsed{header: recs[0]}
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = format.UnescapeCell(r[i])
		}
		p.rows = append(p.rows, m)
	}
	return p
}

func parseExportXLSX(t *testing.T, b []byte) exportParsed {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("XLSX: %v", err)
	}
	defer f.Close()
	sheet := f.GetSheetName(0)
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if rows[0][1] != "Mã ô H3 / H3 cell" {
		t.Errorf("XLSX header: %q", rows[0])
	}
	panes, err := f.GetPanes(sheet)
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("XLSX: first row not frozen: %+v %v", panes, err)
	}
	style, err := f.GetCellStyle(sheet, "A1")
	if err != nil {
		t.Fatal(err)
	}
	if st, err := f.GetStyle(style); err != nil || st.Font == nil || !st.Font.Bold {
		t.Errorf("XLSX: header not bold")
	}
	p := exportParsed{header: rows[0]}
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range exportKeysForLabels(rows[0]) {
			if i < len(r) {
				m[h] = r[i]
			}
		}
		p.rows = append(p.rows, m)
	}
	return p
}

// exportKeysForLabels maps the bilingual XLSX labels to the CSV keys (same
// order).
func exportKeysForLabels(labels []string) []string {
	keys := []string{"kind", "h3", "school_id", "school_name", "school_level", "lat", "lon", "area_code", "area_name",
		"households", "students_t123", "unconnected_students_t123", "schools", "school_students", "connectivity",
		"nearest_4g_m", "gap_id", "gap_rank", "gap_score"}
	return keys[:min(len(keys), len(labels))]
}

func parseExportGeoJSON(t *testing.T, b []byte) exportParsed {
	t.Helper()
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Type     string `json:"type"`
			Geometry struct {
				Type        string            `json:"type"`
				Coordinates []float64         `json:"coordinates"`
				Geometries  []json.RawMessage `json:"geometries"`
			} `json:"geometry"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatalf("GeoJSON: %v", err)
	}
	if fc.Type != "FeatureCollection" {
		t.Errorf("GeoJSON type %q", fc.Type)
	}
	var p exportParsed
	for _, f := range fc.Features {
		m := map[string]string{}
		for k, v := range f.Properties {
			if v != nil {
				m[k] = fmt.Sprint(v)
			}
		}
		switch m["kind"] {
		case "school":
			if f.Geometry.Type != "Point" || len(f.Geometry.Coordinates) != 2 {
				t.Errorf("GeoJSON school geometry %+v", f.Geometry)
			} else if lon := f.Geometry.Coordinates[0]; lon < 100 || lon > 110 { // lon first (RFC 7946)
				t.Errorf("GeoJSON: lon %v out of Vietnam", lon)
			}
		case "gap_cell":
			if f.Geometry.Type != "GeometryCollection" || len(f.Geometry.Geometries) != 2 {
				t.Errorf("GeoJSON cell geometry %+v", f.Geometry)
			}
		}
		p.rows = append(p.rows, m)
	}
	return p
}

func parseExportKML(t *testing.T, b []byte) exportParsed {
	t.Helper()
	var doc struct {
		XMLName  xml.Name
		Document struct {
			Styles []struct {
				ID string `xml:"id,attr"`
			} `xml:"Style"`
			Folders []struct {
				Placemarks []struct {
					Name     string `xml:"name"`
					StyleURL string `xml:"styleUrl"`
					Data     []struct {
						Name  string `xml:"name,attr"`
						Value string `xml:"value"`
					} `xml:"ExtendedData>Data"`
					Point *struct {
						Coordinates string `xml:"coordinates"`
					} `xml:"Point"`
					Polygon *struct {
						Coordinates string `xml:"outerBoundaryIs>LinearRing>coordinates"`
					} `xml:"MultiGeometry>Polygon"`
				} `xml:"Placemark"`
			} `xml:"Folder"`
		} `xml:"Document"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("KML: %v", err)
	}
	if doc.XMLName.Space != "http://www.opengis.net/kml/2.2" || doc.XMLName.Local != "kml" {
		t.Errorf("KML root %v", doc.XMLName)
	}
	if len(doc.Document.Styles) != 2 {
		t.Errorf("KML styles %+v", doc.Document.Styles)
	}
	var p exportParsed
	for _, f := range doc.Document.Folders {
		for _, pm := range f.Placemarks {
			m := map[string]string{}
			for _, d := range pm.Data {
				if d.Value != "" {
					m[d.Name] = d.Value
				}
			}
			if pm.StyleURL != "#"+m["kind"] {
				t.Errorf("KML style %q for %q", pm.StyleURL, m["kind"])
			}
			if m["kind"] == "gap_cell" && (pm.Polygon == nil || strings.Count(pm.Polygon.Coordinates, " ") != 6) {
				t.Errorf("KML cell %s without its hexagon", pm.Name)
			}
			p.rows = append(p.rows, m)
		}
	}
	return p
}

func TestExportUncoveredOffline(t *testing.T) {
	ctx := context.Background()
	in, out := exportFixture(t)
	wantCells, wantSchools, smallCells, hhIDs := exportExpected(t, in, out)
	t.Logf("%d gap cells (%d with 1–2 households), %d unconnected schools, %d households", wantCells, smallCells, wantSchools, len(hhIDs))
	if smallCells == 0 || wantCells == 0 || wantSchools == 0 {
		t.Fatalf("the fixture must hold gap cells, small cells and unconnected schools to test the export (%d, %d, %d)", wantCells, smallCells, wantSchools)
	}
	dir := t.TempDir()
	parsers := map[string]func(*testing.T, []byte) exportParsed{
		"csv": parseExportCSV, "xlsx": parseExportXLSX, "geojson": parseExportGeoJSON, "kml": parseExportKML,
	}
	idPattern := regexp.MustCompile(`HH\d{8}|HS\d{8}`)
	hhSet := map[string]bool{}
	for _, id := range hhIDs {
		hhSet[id] = true
	}
	for fmtName, parse := range parsers {
		t.Run(fmtName, func(t *testing.T) {
			path := filepath.Join(dir, "uncovered."+fmtName)
			e, stdout, stderr := allocTestEnv(nil)
			err := run(ctx, []string{"export", "uncovered", "--in", out, "--schools", filepath.Join(in, "schools.csv"), "--format", fmtName, "--out", path}, e)
			if err != nil {
				t.Fatalf("export: %v\n%s", err, stderr)
			}
			if !strings.Contains(stdout.String(), "uncovered cells") {
				t.Errorf("stdout: %s", stdout)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			// No household (or student) id anywhere in the file; for XLSX
			// every cell value is checked too (the file is zipped).
			if m := idPattern.Find(b); m != nil {
				t.Errorf("a person id %q appears in the %s export", m, fmtName)
			}
			for _, id := range hhIDs {
				if bytes.Contains(b, []byte(id)) {
					t.Fatalf("household id %s appears in the %s export", id, fmtName)
				}
			}
			p := parse(t, b)
			var cells, schools, suppressed, named int
			for _, r := range p.rows {
				for k, v := range r {
					if hhSet[v] || idPattern.MatchString(v) {
						t.Fatalf("household/student id %q in column %s", v, k)
					}
				}
				switch r["kind"] {
				case "gap_cell":
					cells++
					if r["h3"] == "" || r["lat"] == "" || r["lon"] == "" {
						t.Errorf("cell row without h3 or position: %v", r)
					}
					if r["households"] == "<3" {
						suppressed++
						if r["students_t123"] != "<3" || r["unconnected_students_t123"] != "<3" {
							t.Errorf("suppressed cell shows student counts: %v", r)
						}
					}
				case "school":
					schools++
					if r["school_name"] != "" && r["school_level"] != "" {
						named++
					}
					if r["connectivity"] == "fiber" || r["connectivity"] == "4g" {
						t.Errorf("connected school exported: %v", r)
					}
				default:
					t.Errorf("row of kind %q", r["kind"])
				}
			}
			if cells != wantCells || schools != wantSchools {
				t.Errorf("%s: %d cells, %d schools; want %d gap cells, %d unconnected schools", fmtName, cells, schools, wantCells, wantSchools)
			}
			if suppressed != smallCells {
				t.Errorf("%s: %d suppressed cells, want %d", fmtName, suppressed, smallCells)
			}
			if named != schools {
				t.Errorf("%s: %d of %d schools have a name and level", fmtName, named, schools)
			}
		})
	}

	var sum struct {
		Operators []string `json:"operators"`
	}
	if b, err := os.ReadFile(filepath.Join(out, "summary.json")); err != nil || json.Unmarshal(b, &sum) != nil || len(sum.Operators) == 0 {
		t.Fatalf("summary.json operators: %v", err)
	}
	// --operator: the cells with demand the operator does not serve; at
	// least the gap cells (no 4G of anyone) are among them.
	e, _, stderr := allocTestEnv(nil)
	path := filepath.Join(dir, "op.csv")
	if err := run(ctx, []string{"export", "uncovered", "--in", out, "--operator", strings.ToUpper(sum.Operators[0]), "--out", path}, e); err != nil {
		t.Fatalf("export --operator: %v\n%s", err, stderr)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	op := parseExportCSV(t, b)
	var opCells int
	for _, r := range op.rows {
		if r["kind"] == "gap_cell" {
			opCells++
		}
	}
	if opCells < wantCells {
		t.Errorf("--operator %s: %d cells, fewer than the %d gap cells", sum.Operators[0], opCells, wantCells)
	}
	if err := run(ctx, []string{"export", "uncovered", "--in", out, "--operator", "nobody", "--out", path}, e); err == nil {
		t.Error("an unknown operator was accepted")
	}
}

func TestExportUncoveredHelp(t *testing.T) {
	e, _, stderr := allocTestEnv(nil)
	if err := run(context.Background(), []string{"export", "uncovered", "--help"}, e); err == nil {
		t.Error("--help returned no error")
	}
	for _, s := range []string{"điểm lõm sóng", "uncovered points", "--min-count", "<3"} {
		if !strings.Contains(stderr.String(), s) {
			t.Errorf("help lacks %q", s)
		}
	}
}

// TestExportUncoveredDatabase: the same province through PostGIS gives the
// same rows as the files.
func TestExportUncoveredDatabase(t *testing.T) {
	ctx := context.Background()
	in, out := exportFixture(t)
	wantCells, wantSchools, _, hhIDs := exportExpected(t, in, out)
	url := pgtest.NewURL(t)
	e, _, stderr := allocTestEnv(map[string]string{"DATABASE_URL": url})
	if err := run(ctx, []string{"import", in}, e); err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}
	if err := run(ctx, []string{"analyze"}, e); err != nil {
		t.Fatalf("analyze: %v\n%s", err, stderr)
	}
	path := filepath.Join(t.TempDir(), "db.geojson")
	if err := run(ctx, []string{"export", "uncovered", "--out", path}, e); err != nil {
		t.Fatalf("export: %v\n%s", err, stderr)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range hhIDs {
		if bytes.Contains(b, []byte(id)) {
			t.Fatalf("household id %s in the database export", id)
		}
	}
	p := parseExportGeoJSON(t, b)
	var cells, schools, named int
	for _, r := range p.rows {
		switch r["kind"] {
		case "gap_cell":
			cells++
		case "school":
			schools++
			if r["school_name"] != "" && r["area_name"] != "" {
				named++
			}
		}
	}
	if cells != wantCells || schools != wantSchools || named != schools {
		t.Errorf("database: %d cells, %d schools (%d named); want %d, %d", cells, schools, named, wantCells, wantSchools)
	}
	if err := run(ctx, []string{"export", "uncovered", "--run", "999", "--out", path}, e); err == nil {
		t.Error("a missing run was accepted")
	}
}
