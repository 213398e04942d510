package importer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/paulmach/orb"
	"github.com/xuri/excelize/v2"
)

// The test world: a province P with two districts; D1 has two communes in
// its southern half and nothing in its northern half.
//
//	lat 21.2 +---------------+---------------+
//	         |   D1 (north:  |               |
//	         |   no commune) |      D2       |
//	lat 21.1 +-------+-------+               |
//	         |  C1   |  C2   |               |
//	lat 21.0 +-------+-------+---------------+
//	       105.0   105.1   105.2           105.4
func square(lon0, lat0, lon1, lat1 float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{lon0, lat0}, {lon1, lat0}, {lon1, lat1}, {lon0, lat1}, {lon0, lat0}}}}
}

func testAreas() []data.Area {
	return []data.Area{
		{Code: "P", Name: "Tỉnh Thử", Level: "province", Geom: square(105.0, 21.0, 105.4, 21.2)},
		{Code: "D1", Name: "Huyện Một", Level: "district", ParentCode: "P", Geom: square(105.0, 21.0, 105.2, 21.2)},
		{Code: "D2", Name: "Huyện Hai", Level: "district", ParentCode: "P", Geom: square(105.2, 21.0, 105.4, 21.2)},
		{Code: "C1", Name: "Xã Một", Level: "commune", ParentCode: "D1", Geom: square(105.0, 21.0, 105.1, 21.1)},
		{Code: "C2", Name: "Xã Hai", Level: "commune", ParentCode: "D1", Geom: square(105.1, 21.0, 105.2, 21.1)},
	}
}

func writeFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func areasFile(t testing.TB, dir string, areas []data.Area) string {
	t.Helper()
	var b bytes.Buffer
	if err := format.WriteAreasGeoJSON(&b, areas); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, dir, "areas.geojson", b.Bytes())
}

func routesFile(t testing.TB, dir string, routes []data.FiberRoute) string {
	t.Helper()
	var b bytes.Buffer
	if err := format.WriteFiberRoutesGeoJSON(&b, routes); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, dir, "fiber_routes.geojson", b.Bytes())
}

// csvFile writes a CSV with data/format's writer (BOM, escaping).
func csvFile(t testing.TB, dir, name string, header []string, rows ...[]string) string {
	t.Helper()
	var b bytes.Buffer
	w, err := format.NewCSV(&b, header)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, dir, name, b.Bytes())
}

// rawCSV writes lines as they are (for malformed values).
func rawCSV(t testing.TB, dir, name string, lines ...string) string {
	t.Helper()
	return writeFile(t, dir, name, []byte(strings.Join(lines, "\n")+"\n"))
}

// xlsxFile writes a workbook with excelize, every cell as text.
func xlsxFile(t testing.TB, dir, name string, header []string, rows ...[]string) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	all := append([][]string{header}, rows...)
	for i, r := range all {
		cells := make([]any, len(r))
		for k, c := range r {
			cells[k] = c
		}
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.SetSheetRow("Sheet1", cell, &cells); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(dir, name)
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func counts(t testing.TB, s *postgis.Store) map[string]int64 {
	t.Helper()
	n, err := s.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func mustImport(t testing.TB, s *postgis.Store, kind, path string, opts Options) Summary {
	t.Helper()
	sum, err := Import(context.Background(), s, kind, path, opts)
	if err != nil {
		t.Fatalf("import %s %s: %v", kind, filepath.Base(path), err)
	}
	return sum
}

// importFails imports a bad file, checks that nothing changed in the
// database and returns the problems.
func importFails(t testing.TB, s *postgis.Store, kind, path string, opts Options) []data.FieldError {
	t.Helper()
	before := counts(t, s)
	_, err := Import(context.Background(), s, kind, path, opts)
	var ve *data.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("import %s %s: got error %v, want a *data.ValidationError", kind, filepath.Base(path), err)
	}
	if after := counts(t, s); !reflect.DeepEqual(before, after) {
		t.Fatalf("import %s failed but the database changed:\nbefore %v\nafter  %v", kind, before, after)
	}
	return ve.Errors
}

// want is an expected problem: Reason is matched exactly unless Partial,
// when it only has to contain it (for data/format's wording).
type want struct {
	Row     int
	Column  string
	Value   string
	Reason  string
	Partial bool
}

func checkErrors(t testing.TB, got []data.FieldError, file string, wants ...want) {
	t.Helper()
	if len(got) != len(wants) {
		t.Errorf("got %d error(s), want %d:\n%s", len(got), len(wants), list(got))
		return
	}
	for i, w := range wants {
		g := got[i]
		ok := g.File == file && g.Row == w.Row && g.Column == w.Column && g.Value == w.Value
		if w.Partial {
			ok = ok && strings.Contains(g.Reason, w.Reason)
		} else {
			ok = ok && g.Reason == w.Reason
		}
		if !ok {
			t.Errorf("error %d:\n got %s (row %d, column %q, value %q)\nwant %s:%d: column %s: value %q: %s",
				i, g.Error(), g.Row, g.Column, g.Value, file, w.Row, w.Column, w.Value, w.Reason)
		}
	}
}

func list(errs []data.FieldError) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString("  " + e.Error() + "\n")
	}
	return b.String()
}

// feature is a GeoJSON feature with a (Multi)Polygon geometry.
type feature struct {
	Properties map[string]any
	Geometry   orb.MultiPolygon
}

// readPolygons reads the (Multi)Polygon features of a GeoJSON file.
func readPolygons(b []byte) ([]feature, error) {
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
		return nil, err
	}
	poly := func(p [][][]float64) orb.Polygon {
		out := make(orb.Polygon, len(p))
		for i, r := range p {
			out[i] = make(orb.Ring, len(r))
			for k, pt := range r {
				out[i][k] = orb.Point{pt[0], pt[1]}
			}
		}
		return out
	}
	var out []feature
	for _, f := range fc.Features {
		var mp orb.MultiPolygon
		switch f.Geometry.Type {
		case "Polygon":
			var c [][][]float64
			if err := json.Unmarshal(f.Geometry.Coordinates, &c); err != nil {
				return nil, err
			}
			mp = orb.MultiPolygon{poly(c)}
		case "MultiPolygon":
			var c [][][][]float64
			if err := json.Unmarshal(f.Geometry.Coordinates, &c); err != nil {
				return nil, err
			}
			for _, p := range c {
				mp = append(mp, poly(p))
			}
		default:
			return nil, fmt.Errorf("geometry type %q", f.Geometry.Type)
		}
		out = append(out, feature{Properties: f.Properties, Geometry: mp})
	}
	return out, nil
}
