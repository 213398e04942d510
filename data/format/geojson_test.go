package format

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/paulmach/orb"
)

func date(s string) *time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return &t
}

func TestReadAreas(t *testing.T) {
	p := writeFile(t, "areas.geojson", bom+`{"type":"FeatureCollection","name":"communes","crs":{"type":"name"},"features":[
{"type":"Feature","properties":{"code":"01","name":"Hà Nội","level":"Tỉnh","population":8053663},"geometry":null},
{"type":"Feature","properties":{"ma":"00004","ten":"Phường Ba Đình","cap":"phường","ma_cha":"01","valid_from":"2025-07-01","dan_so":65000,"so_ho":"20000","environment":"thành thị"},
 "geometry":{"type":"Polygon","coordinates":[[[105.80,21.03],[105.84,21.03],[105.84,21.05],[105.80,21.05]]]}},
{"type":"Feature","properties":{"level3_id":26734,"level2_id":"270","commune":"Xã Tân Lập","district":"Huyện X"},
 "geometry":{"type":"MultiPolygon","coordinates":[[[[105.1,21.1,12],[105.2,21.1,12],[105.2,21.2,12],[105.1,21.1,12]]],[[[105.3,21.3],[105.4,21.3],[105.4,21.4],[105.3,21.3]]]]}},
{"type":"Feature","properties":{"name":"No code"},"geometry":null},
{"type":"Feature","properties":{"code":"01","name":"Again"},"geometry":null},
{"type":"Feature","properties":{"code":"X1","name":"Paris","valid_from":"01/07/2025"},"geometry":{"type":"Polygon","coordinates":[[[2.3,48.8],[2.4,48.8],[2.4,48.9],[2.3,48.8]]]}},
{"type":"Feature","properties":{"code":"X2","name":"Point","environment":"desert"},"geometry":{"type":"Point","coordinates":[105,21]}},
{"type":"Feature","properties":{"code":"X3","name":"VN2000"},"geometry":{"type":"Polygon","coordinates":[[[580000,2300000],[581000,2300000],[581000,2301000],[580000,2300000]]]}},
{"type":"Feature","properties":{"code":"X4"},"geometry":null}
]}`)
	res := read(t, ReadAreas, p)
	if res.err != nil {
		t.Fatal(res.err)
	}
	want := []data.Area{
		{Code: "01", Name: "Hà Nội", Level: "province", Population: 8053663},
		{Code: "00004", Name: "Phường Ba Đình", Level: "commune", ParentCode: "01", ValidFrom: date("2025-07-01"), Population: 65000, Households: 20000, Environment: "urban",
			Geom: orb.MultiPolygon{{{{105.80, 21.03}, {105.84, 21.03}, {105.84, 21.05}, {105.80, 21.05}, {105.80, 21.03}}}}},
		{Code: "26734", Name: "Xã Tân Lập", Level: "commune", ParentCode: "270",
			Geom: orb.MultiPolygon{{{{105.1, 21.1}, {105.2, 21.1}, {105.2, 21.2}, {105.1, 21.1}}}, {{{105.3, 21.3}, {105.4, 21.3}, {105.4, 21.4}, {105.3, 21.3}}}}},
	}
	if !reflect.DeepEqual(res.recs, want) {
		t.Errorf("got\n%+v\nwant\n%+v", res.recs, want)
	}
	if !reflect.DeepEqual(res.rows, []int{1, 2, 3}) {
		t.Errorf("features = %v", res.rows)
	}
	f := "areas.geojson"
	for _, e := range []data.FieldError{
		{File: f, Row: 4, Column: "code", Reason: "the feature has no code"},
		{File: f, Row: 5, Column: "code", Value: "01", Reason: "duplicate code: first seen at feature 1 (a code may appear again only as another dated version, with its own valid_from)"},
		{File: f, Row: 6, Column: "valid_from", Value: "01/07/2025", Reason: "valid_from must be a date written YYYY-MM-DD"},
		{File: f, Row: 6, Column: "geometry", Value: "[2.3, 48.8]", Reason: "a point is outside Vietnam"},
		{File: f, Row: 7, Column: "environment", Value: "desert", Reason: `environment "desert" is not accepted`},
		{File: f, Row: 7, Column: "geometry", Value: "Point", Reason: "an area needs a Polygon or MultiPolygon geometry"},
		{File: f, Row: 8, Column: "geometry", Value: "[580000, 2300000]", Reason: "projected metres (VN-2000?)"},
		{File: f, Row: 9, Column: "name", Reason: "the feature has no name"},
	} {
		wantErr(t, res.errs, e)
	}
	wantErrCount(t, res.errs, 8)
}

func TestReadGeoJSONProblems(t *testing.T) {
	cases := []struct{ text, reason string }{
		{``, "the file is empty"},
		{`[1,2]`, "expected a GeoJSON FeatureCollection"},
		{`{"type":"Polygon","coordinates":[]}`, `expected a GeoJSON FeatureCollection, found type "Polygon"`},
		{`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"1"}},`, "not valid JSON"},
		{`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"1"`, "not valid JSON"},
	}
	for _, c := range cases {
		res := read(t, ReadAreas, writeFile(t, "areas.geojson", c.text))
		if res.err == nil || res.errs.Len() == 0 {
			t.Errorf("%q: no error", c.text)
			continue
		}
		if e := res.errs.Errors[res.errs.Len()-1]; !containsReason(e, c.reason) || e.Row < 1 {
			t.Errorf("%q: got %v, want %q", c.text, e, c.reason)
		}
	}
	res := read(t, ReadAreas, writeFile(t, "areas.csv", "code,name\n"))
	if res.err == nil || !containsReason(res.errs.Errors[0], "GeoJSON is expected") {
		t.Errorf("csv as GeoJSON: %v", res.err)
	}
	// A single Feature is read as a collection of one.
	res = read(t, ReadAreas, writeFile(t, "areas.json", `{"type":"Feature","properties":{"code":"1","name":"A"},"geometry":null}`)).clean(t)
	if len(res.recs) != 1 || res.recs[0].Code != "1" {
		t.Errorf("single feature: %+v", res.recs)
	}
}

func containsReason(e data.FieldError, s string) bool { return strings.Contains(e.Reason, s) }

func TestReadFiberRoutes(t *testing.T) {
	p := writeFile(t, "fiber_routes.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"route_id":"R1","operator":"Viettel"},"geometry":{"type":"LineString","coordinates":[[105.8,21.0],[105.9,21.1]]}},
{"type":"Feature","id":"R2","properties":{"operator":"VNPT"},"geometry":{"type":"MultiLineString","coordinates":[[[105.8,21.0],[105.9,21.1]],[[106.0,21.0],[106.1,21.1],[106.2,21.2]]]}},
{"type":"Feature","properties":{"id":"R3","operator":"FPT"},"geometry":{"type":"LineString","coordinates":[[105.8,21.0]]}},
{"type":"Feature","properties":{"id":"R4","operator":"SCTV"},"geometry":{"type":"LineString","coordinates":[[105.8,21.0],[105.9,21.1]]}},
{"type":"Feature","properties":{"id":"R1","operator":"cmc"},"geometry":{"type":"LineString","coordinates":[[105.8,21.0],[105.9,21.1]]}},
{"type":"Feature","properties":{"id":"R5","operator":"fpt"},"geometry":{"type":"Polygon","coordinates":[[[105.8,21.0],[105.9,21.1],[105.8,21.1],[105.8,21.0]]]}},
{"type":"Feature","properties":{"operator":"fpt"},"geometry":{"type":"LineString","coordinates":[[105.8,21.0],[105.9,21.1]]}}
]}`)
	res := read(t, ReadFiberRoutes, p)
	want := []data.FiberRoute{
		{ID: "R1", Operator: "viettel", Line: orb.LineString{{105.8, 21.0}, {105.9, 21.1}}},
		{ID: "R2#1", Operator: "vnpt", Line: orb.LineString{{105.8, 21.0}, {105.9, 21.1}}},
		{ID: "R2#2", Operator: "vnpt", Line: orb.LineString{{106.0, 21.0}, {106.1, 21.1}, {106.2, 21.2}}},
	}
	if !reflect.DeepEqual(res.recs, want) {
		t.Errorf("got %+v", res.recs)
	}
	if !reflect.DeepEqual(res.rows, []int{1, 2, 2}) {
		t.Errorf("features = %v", res.rows)
	}
	f := "fiber_routes.geojson"
	for _, e := range []data.FieldError{
		{File: f, Row: 3, Column: "geometry", Reason: "line 1 has 1 point(s): a route needs at least 2"},
		{File: f, Row: 4, Column: "operator", Value: "SCTV", Reason: `operator "SCTV" is not accepted`},
		{File: f, Row: 5, Column: "id", Value: "R1", Reason: "duplicate route_id R1: first seen at feature 1"},
		{File: f, Row: 6, Column: "geometry", Value: "Polygon", Reason: "a fiber route needs a LineString or MultiLineString geometry"},
		{File: f, Row: 7, Column: "route_id", Reason: "the feature has no route_id"},
	} {
		wantErr(t, res.errs, e)
	}
	wantErrCount(t, res.errs, 5)
}
