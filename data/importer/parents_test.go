package importer

import (
	"math"
	"testing"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
)

// A file may carry polygons at the leaves only: parents get the union of
// their children, deepest first, and points locate at every level.
func TestParentGeometryDerivedFromChildren(t *testing.T) {
	s := pgtest.New(t)
	dir := t.TempDir()
	areas := []data.Area{
		{Code: "P", Name: "Tỉnh Thử", Level: "province"},
		{Code: "D1", Name: "Huyện Một", Level: "district", ParentCode: "P"},
		{Code: "C1", Name: "Xã Một", Level: "commune", ParentCode: "D1", Geom: square(105.0, 21.0, 105.1, 21.1)},
		{Code: "C2", Name: "Xã Hai", Level: "commune", ParentCode: "D1", Geom: square(105.1, 21.0, 105.2, 21.1)},
		{Code: "C3", Name: "Xã Ba", Level: "commune", ParentCode: "P", Geom: square(105.3, 21.0, 105.4, 21.1)},
	}
	sum := mustImport(t, s, "areas", areasFile(t, dir, areas), Options{})
	if len(sum.Warnings) != 0 {
		t.Fatalf("warnings: %v", sum.Warnings)
	}
	rows, err := s.Pool().Query(t.Context(), `SELECT code, ST_IsValid(geom), ST_Area(geom), ST_NumGeometries(geom) FROM areas WHERE code IN ('P','D1') ORDER BY code`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	want := map[string][2]float64{"D1": {0.02, 1}, "P": {0.03, 2}}
	n := 0
	for rows.Next() {
		var code string
		var valid bool
		var area float64
		var parts int
		if err := rows.Scan(&code, &valid, &area, &parts); err != nil {
			t.Fatal(err)
		}
		n++
		w := want[code]
		if !valid || math.Abs(area-w[0]) > 1e-9 || float64(parts) != w[1] {
			t.Errorf("%s: valid=%v area=%g parts=%d, want area %g parts %g", code, valid, area, parts, w[0], w[1])
		}
	}
	if n != 2 {
		t.Fatalf("got %d parents with geometry, want 2", n)
	}
	// The union keeps the gap between D1 and C3: a point there is in no
	// area; a point in C3 gets C3.
	bad := csvFile(t, dir, "schools.csv", []string{"school_id", "name", "level", "lat", "lon"},
		[]string{"S1", "Trường Một", "primary", "21.05", "105.25"})
	if errs := importFails(t, s, "schools", bad, Options{}); len(errs) != 1 {
		t.Fatalf("errors = %v", errs)
	}
	f := csvFile(t, dir, "schools.csv", []string{"school_id", "name", "level", "lat", "lon"},
		[]string{"S1", "Trường Một", "primary", "21.05", "105.35"})
	mustImport(t, s, "schools", f, Options{})
	var code string
	if err := s.Pool().QueryRow(t.Context(), `SELECT area_code FROM schools WHERE school_id = 'S1'`).Scan(&code); err != nil {
		t.Fatal(err)
	}
	if code != "C3" {
		t.Fatalf("area_code = %q, want C3", code)
	}
}
