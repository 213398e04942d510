package importer

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
)

func sitesCSV(rows ...string) string {
	return "site_id,sector_id,operator,technology,band_mhz,lat,lon,antenna_height_m,azimuth_deg,beamwidth_deg,range_m,status\n" +
		strings.Join(rows, "\n") + "\n"
}

func TestImportReaderScopedToOperator(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	dir := t.TempDir()
	mustImport(t, s, format.KindSites, rawCSV(t, dir, "all.csv",
		"site_id,sector_id,operator,technology,band_mhz,lat,lon",
		"V1,V1/1,viettel,4G,1800,21.05,105.05",
		"V2,V2/1,viettel,4G,1800,21.06,105.06",
		"M1,M1/1,mobifone,4G,1800,21.07,105.07",
		"N1,N1/1,vinaphone,4G,1800,21.08,105.08"), Options{})

	// A viettel upload holding a mobifone row: a row error, nothing written.
	before := counts(t, s)
	_, err := ImportReader(ctx, s, format.KindSites, "tram_viettel.csv", strings.NewReader(sitesCSV(
		"V3,V3/1,viettel,4G,1800,21.09,105.09,30,,,,active",
		"M9,M9/1,MobiFone,4G,1800,21.09,105.09,30,,,,active")), Options{Operator: "viettel", Replace: true})
	var ve *data.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want a ValidationError", err)
	}
	checkErrors(t, ve.Errors, "tram_viettel.csv", want{Row: 3, Column: "operator", Value: "mobifone",
		Reason: "this row belongs to operator mobifone: you may import only rows of viettel"})
	if after := counts(t, s); after["sites"] != before["sites"] {
		t.Fatalf("sites %d → %d after a failed upload", before["sites"], after["sites"])
	}

	// Replace scoped to viettel: mobifone's and vinaphone's rows stay.
	sum, err := ImportReader(ctx, s, format.KindSites, "tram_viettel.csv", strings.NewReader(sitesCSV(
		"V3,V3/1,viettel,4G,1800,21.09,105.09,30,,,,active")), Options{Operator: "viettel", Replace: true})
	if err != nil {
		t.Fatal(err)
	}
	if sum.File != "tram_viettel.csv" || sum.Inserted != 1 {
		t.Errorf("summary %+v", sum)
	}
	var ids []string
	if err := s.EachSector(ctx, func(r postgis.SectorRow) error { ids = append(ids, r.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	if strings.Join(ids, " ") != "M1/1 N1/1 V3/1" {
		t.Errorf("sectors after viettel's replace: %v, want M1/1 N1/1 V3/1", ids)
	}
	// VNPT's account owns the vinaphone rows.
	if _, err := ImportReader(ctx, s, format.KindSites, "vnpt.csv", strings.NewReader(sitesCSV(
		"N2,N2/1,VNPT,4G,1800,21.09,105.09,30,,,,active")), Options{Operator: "vnpt", Replace: true}); err != nil {
		t.Fatal(err)
	}
	ids = nil
	_ = s.EachSector(ctx, func(r postgis.SectorRow) error { ids = append(ids, r.ID+"="+r.Operator); return nil })
	if strings.Join(ids, " ") != "M1/1=mobifone N2/1=vinaphone V3/1=viettel" {
		t.Errorf("sectors after vnpt's replace: %v", ids)
	}
	// An operator may not import schools.
	_, err = ImportReader(ctx, s, format.KindSchools, "s.csv", strings.NewReader("school_id\n"), Options{Operator: "viettel"})
	if !errors.Is(err, data.ErrForbidden) {
		t.Errorf("operator importing schools: %v, want ErrForbidden", err)
	}
}

func TestImportPolygonsAndMeasurements(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	poly := `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"nha_mang":"Viettel","cong_nghe":"LTE"},"geometry":{"type":"Polygon","coordinates":[[[105,21],[105.1,21],[105.1,21.1],[105,21]]]}},
{"type":"Feature","properties":{"operator":"mobifone","technology":"4G","polygon_id":"MB-1"},"geometry":{"type":"Polygon","coordinates":[[[105,21],[105.1,21],[105.1,21.1],[105,21]]]}}]}`
	if _, err := ImportReader(ctx, s, format.KindCoveragePolygons, "vung_phu.geojson", strings.NewReader(poly), Options{}); err != nil {
		t.Fatal(err)
	}
	meas := "\ufeffNhà mạng;Công nghệ;Vĩ độ;Kinh độ;RSRP;Thời gian\nViettel;LTE;21,05;105,05;-95;2024-05-01 08:00:00\nMobiFone;4G;21.06;105.06;-121;\n"
	if _, err := ImportReader(ctx, s, format.KindMeasurements, "do_kiem.csv", strings.NewReader(meas), Options{}); err != nil {
		t.Fatal(err)
	}
	// Again: every measurement is a duplicate of a stored one.
	_, err := ImportReader(ctx, s, format.KindMeasurements, "do_kiem.csv", strings.NewReader(meas), Options{})
	var ve *data.ValidationError
	if !errors.As(err, &ve) || ve.Len() != 2 || ve.Errors[0].Row != 2 || ve.Errors[1].Row != 3 || ve.Errors[0].Column != "measurement_id" {
		t.Fatalf("duplicate upload: %v", err)
	}
	ds, err := s.ReadDataset(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Polygons) != 2 || ds.Polygons[0].ID != "MB-1" || ds.Polygons[1].ID != "viettel/4g/1" || ds.Polygons[1].Technology != "4G" ||
		len(ds.Polygons[1].MultiPolygon) != 1 || len(ds.Polygons[1].MultiPolygon[0][0]) != 4 {
		t.Errorf("polygons %+v", ds.Polygons)
	}
	wantM := []data.Measurement{
		{ID: "mobifone/4G/21.060000,105.060000", Operator: "mobifone", Technology: "4G", Lat: 21.06, Lon: 105.06, RSRPDBm: -121},
		{ID: "viettel/4G/21.050000,105.050000/2024-05-01T01:00:00Z", Operator: "viettel", Technology: "4G", Lat: 21.05, Lon: 105.05, RSRPDBm: -95,
			Time: time.Date(2024, 5, 1, 1, 0, 0, 0, time.UTC)},
	}
	if len(ds.Measurements) != 2 {
		t.Fatalf("measurements %+v", ds.Measurements)
	}
	for i, w := range wantM {
		g := ds.Measurements[i]
		if g.ID != w.ID || g.Operator != w.Operator || g.Technology != w.Technology || g.RSRPDBm != w.RSRPDBm || !g.Time.Equal(w.Time) ||
			abs(g.Lat-w.Lat) > 1e-9 || abs(g.Lon-w.Lon) > 1e-9 {
			t.Errorf("measurement %d = %+v, want %+v", i, g, w)
		}
	}
	// Replace scoped to mobifone leaves viettel's polygon.
	if _, err := ImportReader(ctx, s, format.KindCoveragePolygons, "mb.geojson", strings.NewReader(`{"type":"FeatureCollection","features":[]}`),
		Options{Operator: "mobifone", Replace: true}); err != nil {
		t.Fatal(err)
	}
	if n := counts(t, s)["coverage_polygons"]; n != 1 {
		t.Errorf("polygons after mobifone's empty replace: %d, want 1", n)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestImportScopedToArea(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	dir := t.TempDir()
	mustImport(t, s, format.KindAreas, areasFile(t, dir, testAreas()), Options{})
	// An officer of D1 (communes C1, C2): a school in D2 is a row error.
	schools := "school_id,name,level,lat,lon\nS1,Trường Một,primary,21.05,105.05\nS2,Trường Hai,primary,21.05,105.30\n"
	_, err := ImportReader(ctx, s, format.KindSchools, "truong.csv", strings.NewReader(schools), Options{AreaCode: "D1"})
	var ve *data.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v", err)
	}
	checkErrors(t, ve.Errors, "truong.csv", want{Row: 3, Column: "area_code", Value: "D2",
		Reason: "area D2 (Huyện Hai) is outside your area D1 (Huyện Một): you may import only rows of D1 and the areas below it"})
	if n := counts(t, s)["schools"]; n != 0 {
		t.Fatalf("%d schools written", n)
	}
	mustImport(t, s, format.KindSchools, rawCSV(t, dir, "schools.csv", "school_id,name,level,lat,lon",
		"S1,Trường Một,primary,21.05,105.05", "S2,Trường Hai,primary,21.05,105.30"), Options{})
	mustImport(t, s, format.KindHouseholds, rawCSV(t, dir, "households.csv", "household_id,lat,lon",
		"H1,21.05,105.05", "H2,21.05,105.30"), Options{})
	// Students: the household must be in the officer's area.
	students := "student_id,household_id,school_id,grade\nST1,H1,S1,6\nST2,H2,S1,6\n"
	_, err = ImportReader(ctx, s, format.KindStudents, "hs.csv", strings.NewReader(students), Options{AreaCode: "C1"})
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v", err)
	}
	checkErrors(t, ve.Errors, "hs.csv", want{Row: 3, Column: "household_id", Value: "H2",
		Reason: "household H2 is not a household of your area C1: you may import only students living in C1 and the areas below it"})
	if _, err := ImportReader(ctx, s, format.KindStudents, "hs.csv", strings.NewReader("student_id,household_id,school_id,grade\nST1,H1,S1,6\n"), Options{AreaCode: "C1"}); err != nil {
		t.Fatal(err)
	}
	// Replace scoped to C1's households keeps D2's.
	if _, err := ImportReader(ctx, s, format.KindStudents, "hs.csv", strings.NewReader("student_id,household_id,school_id,grade\n"), Options{AreaCode: "C1", Replace: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := ImportReader(ctx, s, format.KindHouseholds, "hgd.csv", strings.NewReader("household_id,lat,lon\nH3,21.06,105.06\n"), Options{AreaCode: "D1", Replace: true}); err != nil {
		t.Fatal(err)
	}
	var hh []string
	_ = s.EachHousehold(ctx, func(r postgis.HouseholdRow) error { hh = append(hh, r.ID+"@"+r.AreaCode); return nil })
	if strings.Join(hh, " ") != "H2@D2 H3@C1" {
		t.Errorf("households after D1's replace: %v", hh)
	}
	// An officer may not import sites.
	if _, err := ImportReader(ctx, s, format.KindSites, "x.csv", strings.NewReader(""), Options{AreaCode: "D1"}); !errors.Is(err, data.ErrForbidden) {
		t.Errorf("officer importing sites: %v", err)
	}
}

func TestUnknownKindIsNotFound(t *testing.T) {
	s := pgtest.New(t)
	_, err := ImportReader(context.Background(), s, "pupils", "p.csv", strings.NewReader(""), Options{})
	var nf *data.NotFoundError
	if !errors.As(err, &nf) || nf.Kind != "import kind" || nf.ID != "pupils" || !strings.Contains(err.Error(), "measurements") {
		t.Errorf("unknown kind: %v", err)
	}
}
