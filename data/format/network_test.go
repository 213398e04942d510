package format

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/xuri/excelize/v2"
)

func TestReadMeasurementsFromReader(t *testing.T) {
	// Semicolons, a BOM, Vietnamese headers, a decimal comma, Vietnam time.
	in := "\ufeffNhà mạng;Công nghệ;Vĩ độ;Kinh độ;RSRP;Thời gian\n" +
		"Viettel;LTE;21,3;106,2;-95;2024-05-01 08:00:00\n" +
		"VNPT;4G;21.31;106.21;-118;01/05/2024 08:30\n" +
		"mobifone;4G;91;106.2;-90;\n" + // latitude outside Vietnam
		"nobody;6G;21.3;106.2;-10;yesterday\n" + // four problems
		"Viettel;LTE;21,3;106,2;-95;2024-05-01T01:00:00Z\n" // the first row again
	var got []data.Measurement
	var rows []int
	err := ReadMeasurementsFrom(context.Background(), strings.NewReader(in), "do_song.csv", nil, func(row int, m data.Measurement) error {
		got, rows = append(got, m), append(rows, row)
		return nil
	})
	var ve *data.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want a ValidationError", err)
	}
	want := []data.Measurement{
		{ID: "viettel/4G/21.300000,106.200000/2024-05-01T01:00:00Z", Operator: "viettel", Technology: "4G", Lat: 21.3, Lon: 106.2, RSRPDBm: -95, Time: time.Date(2024, 5, 1, 1, 0, 0, 0, time.UTC)},
		{ID: "vinaphone/4G/21.310000,106.210000/2024-05-01T01:30:00Z", Operator: "vinaphone", Technology: "4G", Lat: 21.31, Lon: 106.21, RSRPDBm: -118, Time: time.Date(2024, 5, 1, 1, 30, 0, 0, time.UTC)},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d measurements %+v, want 2", len(got), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("measurement %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if rows[0] != 2 || rows[1] != 3 {
		t.Errorf("rows = %v, want [2 3]", rows)
	}
	type key struct {
		row int
		col string
	}
	var keys []key
	for _, e := range ve.Errors {
		if e.File != "do_song.csv" {
			t.Errorf("error file %q", e.File)
		}
		keys = append(keys, key{e.Row, e.Column})
	}
	wantKeys := []key{{4, "Vĩ độ"}, {5, "Nhà mạng"}, {5, "Công nghệ"}, {5, "RSRP"}, {5, "Thời gian"}, {6, "measurement_id"}}
	if len(keys) != len(wantKeys) {
		t.Fatalf("errors %v, want %v", ve.Errors, wantKeys)
	}
	for i := range keys {
		if keys[i] != wantKeys[i] {
			t.Errorf("error %d at %v, want %v (%v)", i, keys[i], wantKeys[i], ve.Errors[i])
		}
	}
}

func TestReadMeasurementsXLSXReader(t *testing.T) {
	f := excelize.NewFile()
	for i, row := range [][]any{{"operator", "technology", "lat", "lon", "rsrp_dbm", "measurement_id"}, {"viettel", "4G", 21.3, 106.2, -101.5, "M1"}} {
		if err := f.SetSheetRow("Sheet1", string(rune('A'))+string(rune('1'+i)), &row); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	var got []data.Measurement
	err := ReadMeasurementsFrom(context.Background(), &buf, "m.xlsx", nil, func(_ int, m data.Measurement) error { got = append(got, m); return nil })
	if err != nil {
		t.Fatal(err)
	}
	want := data.Measurement{ID: "M1", Operator: "viettel", Technology: "4G", Lat: 21.3, Lon: 106.2, RSRPDBm: -101.5}
	if len(got) != 1 || got[0] != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestReadCoveragePolygons(t *testing.T) {
	in := `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"nha_mang":"VinaPhone","cong_nghe":"LTE"},"geometry":{"type":"Polygon","coordinates":[[[106,21],[106.1,21],[106.1,21.1],[106,21]]]}},
{"type":"Feature","id":"P2","properties":{"operator":"viettel","technology":"5G"},"geometry":{"type":"MultiPolygon","coordinates":[[[[106,21],[106.1,21],[106.1,21.1]]]]}},
{"type":"Feature","properties":{"operator":"fpt","technology":"4G"},"geometry":{"type":"Polygon","coordinates":[[[106,21],[106.1,21],[106.1,21.1],[106,21]]]}},
{"type":"Feature","properties":{"operator":"viettel","technology":"4G"},"geometry":{"type":"Point","coordinates":[106,21]}},
{"type":"Feature","properties":{"operator":"viettel","technology":"4G","polygon_id":"P2"},"geometry":{"type":"Polygon","coordinates":[[[106,21],[106.1,21],[106.1,21.1],[106,21]]]}}
]}`
	var got []data.OperatorPolygon
	err := ReadCoveragePolygonsFrom(context.Background(), strings.NewReader(in), "vung_phu.geojson", nil, func(_ int, p data.OperatorPolygon) error {
		got = append(got, p)
		return nil
	})
	var ve *data.ValidationError
	if !errors.As(err, &ve) || ve.Len() != 3 {
		t.Fatalf("err = %v, want 3 problems", err)
	}
	for i, w := range []struct {
		row int
		col string
	}{{3, "operator"}, {4, "geometry"}, {5, "polygon_id"}} {
		if e := ve.Errors[i]; e.Row != w.row || e.Column != w.col || e.File != "vung_phu.geojson" {
			t.Errorf("error %d = %+v, want row %d column %s", i, e, w.row, w.col)
		}
	}
	if len(got) != 2 {
		t.Fatalf("got %d polygons", len(got))
	}
	if got[0].ID != "vinaphone/4g/1" || got[0].Operator != "vinaphone" || got[0].Technology != "4G" || len(got[0].MultiPolygon) != 1 || len(got[0].MultiPolygon[0][0]) != 4 {
		t.Errorf("polygon 1 = %+v", got[0])
	}
	// The open ring is closed.
	if got[1].ID != "P2" || got[1].Technology != "5G" || len(got[1].MultiPolygon[0][0]) != 4 {
		t.Errorf("polygon 2 = %+v", got[1])
	}
}
