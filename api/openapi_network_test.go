package api_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// TestOpenAPIErrorAnswersNetwork sends bad input, unknown objects and the
// wrong role to the area, school, network, import and tile routes, through
// api.Validating: each answer has the status and error code the handler
// promises, never a 500, and the error body the document describes.
func TestOpenAPIErrorAnswersNetwork(t *testing.T) {
	f := newFixture(t)
	var iv map[string]any
	if st := f.upload("planner", "/api/v1/imports/sites", "sites.csv", sitesHeader+"M1,M1/1,mobifone,4G,1800,21.06,105.06\n", &iv); st != 200 {
		t.Fatalf("sites: %d %v", st, iv)
	}
	if st := f.upload("planner", "/api/v1/imports/fiber_nodes", "nodes.csv", "node_id,operator,kind,lat,lon\nN1,mobifone,pop,21.05,105.05\n", &iv); st != 200 {
		t.Fatalf("fiber nodes: %d %v", st, iv)
	}
	if st := f.upload("planner", "/api/v1/imports/fiber_routes", "routes.geojson", `{"type":"FeatureCollection","features":[{"type":"Feature",`+
		`"properties":{"route_id":"R1","operator":"mobifone"},"geometry":{"type":"LineString","coordinates":[[105.01,21.01],[105.1,21.1]]}}]}`, &iv); st != 200 {
		t.Fatalf("fiber routes: %d %v", st, iv)
	}

	multi := func(field, name, body string) (string, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		if field != "" {
			w, err := mw.CreateFormFile(field, name)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.WriteString(w, body)
		}
		if err := mw.Close(); err != nil {
			t.Fatal(err)
		}
		return mw.FormDataContentType(), buf.String()
	}
	sitesCT, sitesBody := multi("file", "sites.csv", sitesHeader+"V1,V1/1,viettel,4G,1800,21.06,105.06\n")
	otherCT, otherBody := multi("upload", "sites.csv", sitesHeader)
	emptyCT, emptyBody := multi("", "", "")
	noNameCT, noNameBody := multi("file", "", sitesHeader)
	badCT, badBody := multi("file", "sites.csv", sitesHeader+"V1,V1/1,viettel,9G,1800,91,105.06\n")

	cases := []struct {
		who, method, path, ct, body string
		status                      int
		code                        string
	}{
		// Areas and schools.
		{"", "GET", "/api/v1/areas", "", "", 401, "unauthorized"},
		{"viewer", "GET", "/api/v1/areas/geojson?simplify=abc", "", "", 400, "bad_request"},
		{"viewer", "GET", "/api/v1/areas/geojson?simplify=0.5", "", "", 400, "bad_request"},
		{"viewer", "GET", "/api/v1/areas/geojson?simplify=-0.001", "", "", 400, "bad_request"},
		{"viewer", "GET", "/api/v1/areas/geojson?simplify=NaN", "", "", 400, "bad_request"},
		{"", "GET", "/api/v1/areas/geojson", "", "", 401, "unauthorized"},
		{"viewer", "GET", "/api/v1/areas/NOPE/summary", "", "", 404, "not_found"},
		{"viewer", "GET", "/api/v1/areas/P/summary", "", "", 404, "not_found"},
		{"viewer", "GET", "/api/v1/areas/P/summary?run=7", "", "", 404, "not_found"},
		{"viewer", "GET", "/api/v1/areas/P/summary?run=abc", "", "", 400, "bad_request"},
		{"viewer", "GET", "/api/v1/areas/P/summary?run=0", "", "", 400, "bad_request"},
		{"viewer", "GET", "/api/v1/areas/%FF/summary", "", "", 400, "bad_request"},
		{"viewer", "GET", "/api/v1/schools?limit=0", "", "", 400, "bad_request"},
		{"viewer", "GET", "/api/v1/schools?limit=1001", "", "", 400, "bad_request"},
		{"viewer", "GET", "/api/v1/schools?offset=-1", "", "", 400, "bad_request"},
		{"viewer", "GET", "/api/v1/schools?run=x", "", "", 400, "bad_request"},
		{"viewer", "GET", "/api/v1/schools?area=NOPE", "", "", 404, "not_found"},
		{"viewer", "GET", "/api/v1/schools?area=%00", "", "", 400, "bad_request"},
		{"", "GET", "/api/v1/schools", "", "", 401, "unauthorized"},
		// Network listings.
		{"viewer", "GET", "/api/v1/sites?bbox=1,2,3", "", "", 400, "bad_request"},
		{"viewer", "GET", "/api/v1/sites?bbox=106,21,105,22", "", "", 400, "bad_request"},
		{"viewer", "GET", "/api/v1/sites?bbox=NaN,21,106,22", "", "", 400, "bad_request"},
		{"viewer", "GET", "/api/v1/sites?bbox=-Inf,21,106,22", "", "", 400, "bad_request"},
		{"viewer", "GET", "/api/v1/sites?limit=abc", "", "", 400, "bad_request"},
		{"viettel", "GET", "/api/v1/sites?operator=mobifone", "", "", 403, "forbidden"},
		{"", "GET", "/api/v1/sites", "", "", 401, "unauthorized"},
		{"viewer", "GET", "/api/v1/fiber/nodes?offset=x", "", "", 400, "bad_request"},
		{"mobifone", "GET", "/api/v1/fiber/nodes?operator=viettel", "", "", 403, "forbidden"},
		{"viewer", "GET", "/api/v1/fiber/routes?bbox=a,b,c,d", "", "", 400, "bad_request"},
		{"viettel", "GET", "/api/v1/fiber/routes?operator=vnpt", "", "", 403, "forbidden"},
		// Deletes.
		{"planner", "DELETE", "/api/v1/sites/nope", "", "", 404, "not_found"},
		{"planner", "DELETE", "/api/v1/sites/%FF", "", "", 400, "bad_request"},
		{"planner", "DELETE", "/api/v1/measurements/a%00b", "", "", 400, "bad_request"},
		{"viewer", "GET", "/api/v1/sites?area=%FF", "", "", 400, "bad_request"},
		{"viewer", "GET", "/api/v1/fiber/nodes?operator=%00", "", "", 400, "bad_request"},
		{"viewer", "GET", "/api/v1/areas/geojson?parent=%FF", "", "", 400, "bad_request"},
		{"planner", "POST", "/api/v1/imports/sites?operator=%FF", sitesCT, sitesBody, 400, "bad_request"},
		{"viewer", "DELETE", "/api/v1/sites/M1%2F1", "", "", 403, "forbidden"},
		{"officer-c1", "DELETE", "/api/v1/sites/M1%2F1", "", "", 403, "forbidden"},
		{"viettel", "DELETE", "/api/v1/sites/M1%2F1", "", "", 403, "forbidden"},
		{"", "DELETE", "/api/v1/sites/M1%2F1", "", "", 401, "unauthorized"},
		{"viettel", "DELETE", "/api/v1/fiber/nodes/N1", "", "", 403, "forbidden"},
		{"viettel", "DELETE", "/api/v1/fiber/nodes/N2", "", "", 404, "not_found"},
		{"planner", "DELETE", "/api/v1/fiber/routes/nope", "", "", 404, "not_found"},
		{"viewer", "DELETE", "/api/v1/fiber/routes/nope", "", "", 403, "forbidden"},
		{"mobifone", "DELETE", "/api/v1/coverage-polygons/nope", "", "", 404, "not_found"},
		{"officer-c1", "DELETE", "/api/v1/coverage-polygons/nope", "", "", 403, "forbidden"},
		{"admin", "DELETE", "/api/v1/measurements/nope", "", "", 404, "not_found"},
		{"viewer", "DELETE", "/api/v1/measurements/nope", "", "", 403, "forbidden"},
		// Imports.
		{"planner", "POST", "/api/v1/imports/pupils", sitesCT, sitesBody, 404, "not_found"},
		{"viewer", "POST", "/api/v1/imports/sites", sitesCT, sitesBody, 403, "forbidden"},
		{"officer-c1", "POST", "/api/v1/imports/sites", sitesCT, sitesBody, 403, "forbidden"},
		{"viettel", "POST", "/api/v1/imports/schools", sitesCT, sitesBody, 403, "forbidden"},
		{"", "POST", "/api/v1/imports/sites", sitesCT, sitesBody, 401, "unauthorized"},
		{"viettel", "POST", "/api/v1/imports/sites?replace=maybe", sitesCT, sitesBody, 400, "bad_request"},
		{"viettel", "POST", "/api/v1/imports/sites?dry_run=2", sitesCT, sitesBody, 400, "bad_request"},
		{"viettel", "POST", "/api/v1/imports/sites?operator=mobifone", sitesCT, sitesBody, 403, "forbidden"},
		{"viettel", "POST", "/api/v1/imports/sites", "application/json", `{}`, 400, "bad_request"},
		{"viettel", "POST", "/api/v1/imports/sites", otherCT, otherBody, 400, "bad_request"},
		{"viettel", "POST", "/api/v1/imports/sites", emptyCT, emptyBody, 400, "bad_request"},
		{"viettel", "POST", "/api/v1/imports/sites", noNameCT, noNameBody, 400, "bad_request"},
		{"viettel", "POST", "/api/v1/imports/sites", badCT, badBody, 422, "validation_failed"},
		{"planner", "POST", "/api/v1/imports/sites?operator=mobifone", sitesCT, sitesBody, 422, "validation_failed"},
		// Tiles.
		{"viewer", "GET", "/tiles/bogus.json", "", "", 404, "not_found"},
		{"viewer", "GET", "/tiles/cells.json", "", "", 404, "not_found"},
		{"viewer", "GET", "/tiles/gaps.json?run=x", "", "", 400, "bad_request"},
		{"viewer", "GET", "/tiles/schools.json?run=99", "", "", 404, "not_found"},
		{"", "GET", "/tiles/areas.json", "", "", 401, "unauthorized"},
		{"viewer", "GET", "/tiles/bogus/0/0/0.mvt", "", "", 404, "not_found"},
		{"viewer", "GET", "/tiles/sectors/3/8/0.mvt", "", "", 400, "bad_request"},
		{"viewer", "GET", "/tiles/sectors/23/0/0.mvt", "", "", 400, "bad_request"},
		{"viewer", "GET", "/tiles/sectors/a/0/0.mvt", "", "", 400, "bad_request"},
		{"viewer", "GET", "/tiles/fiber/2/-1/0.mvt", "", "", 400, "bad_request"},
		{"viewer", "GET", "/tiles/cells/0/0/0.mvt", "", "", 404, "not_found"},
		{"viewer", "GET", "/tiles/gaps/0/0/0.mvt?run=0", "", "", 400, "bad_request"},
		{"viewer", "GET", "/tiles/schools/0/0/0.mvt?run=99", "", "", 404, "not_found"},
		{"", "GET", "/tiles/sectors/0/0/0.mvt", "", "", 401, "unauthorized"},
	}
	for _, c := range cases {
		var body io.Reader
		if c.body != "" {
			body = strings.NewReader(c.body)
		}
		var eb errorBody
		st := f.do(c.who, c.method, c.path, body, c.ct, &eb)
		if st != c.status || eb.Error.Code != c.code || eb.Error.Message == "" {
			t.Errorf("%s %s as %q: %d %+v, want %d %s", c.method, c.path, c.who, st, eb.Error, c.status, c.code)
		}
	}

	// The rows the refused deletes named are still there.
	var page struct {
		Total int64 `json:"total"`
	}
	if st := f.do("planner", http.MethodGet, "/api/v1/sites?operator=mobifone", nil, "", &page); st != 200 || page.Total != 1 {
		t.Errorf("mobifone's sites after refused deletes: %d, total %d, want 1", st, page.Total)
	}
	if st := f.do("planner", http.MethodGet, "/api/v1/fiber/nodes", nil, "", &page); st != 200 || page.Total != 1 {
		t.Errorf("fiber nodes after refused deletes: %d, total %d, want 1", st, page.Total)
	}
	var routes struct {
		Items []struct {
			RouteID  string       `json:"route_id"`
			Operator string       `json:"operator"`
			Line     [][2]float64 `json:"line"`
		} `json:"items"`
		Total int64 `json:"total"`
	}
	if st := f.do("mobifone", http.MethodGet, "/api/v1/fiber/routes?bbox=105,21,105.2,21.2", nil, "", &routes); st != 200 || routes.Total != 1 || len(routes.Items) != 1 ||
		routes.Items[0].RouteID != "R1" || routes.Items[0].Operator != "mobifone" ||
		!reflect.DeepEqual(routes.Items[0].Line, [][2]float64{{105.01, 21.01}, {105.1, 21.1}}) {
		t.Errorf("fiber routes: %d %+v", st, routes)
	}
	// The owner (and a planner) may delete.
	for _, d := range []struct{ who, path string }{{"mobifone", "/api/v1/fiber/routes/R1"}, {"planner", "/api/v1/fiber/nodes/N1"}, {"mobifone", "/api/v1/sites/M1%2F1"}} {
		if st := f.do(d.who, http.MethodDelete, d.path, nil, "", nil); st != 204 {
			t.Errorf("DELETE %s as %s: %d, want 204", d.path, d.who, st)
		}
	}
	for _, p := range []string{"/api/v1/sites", "/api/v1/fiber/nodes", "/api/v1/fiber/routes"} {
		if st := f.do("planner", http.MethodGet, p, nil, "", &page); st != 200 || page.Total != 0 {
			t.Errorf("%s after the deletes: %d, total %d, want 0", p, st, page.Total)
		}
	}
}
