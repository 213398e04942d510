package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/api"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/importer"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
	"github.com/paulmach/orb"
)

type fixture struct {
	t      *testing.T
	st     *postgis.Store
	srv    *httptest.Server
	tokens map[string]string // user name → token
}

func square(lon0, lat0, lon1, lat1 float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{lon0, lat0}, {lon1, lat0}, {lon1, lat1}, {lon0, lat1}, {lon0, lat0}}}}
}

// newFixture: a province P with districts D1 (communes C1, C2) and D2,
// and one user per role.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st := pgtest.New(t)
	var b bytes.Buffer
	err := format.WriteAreasGeoJSON(&b, []data.Area{
		{Code: "P", Name: "Tỉnh Thử", Level: "province", Geom: square(105.0, 21.0, 105.4, 21.2)},
		{Code: "D1", Name: "Huyện Một", Level: "district", ParentCode: "P", Geom: square(105.0, 21.0, 105.2, 21.2)},
		{Code: "D2", Name: "Huyện Hai", Level: "district", ParentCode: "P", Geom: square(105.2, 21.0, 105.4, 21.2)},
		{Code: "C1", Name: "Xã Một", Level: "commune", ParentCode: "D1", Geom: square(105.0, 21.0, 105.1, 21.1)},
		{Code: "C2", Name: "Xã Hai", Level: "commune", ParentCode: "D1", Geom: square(105.1, 21.0, 105.2, 21.1)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := importer.ImportReader(ctx, st, format.KindAreas, "areas.geojson", &b, importer.Options{}); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, st: st, tokens: map[string]string{}}
	for _, u := range []data.User{
		{Name: "admin", Role: data.RoleAdmin},
		{Name: "planner", Role: data.RolePlanner},
		{Name: "viettel", Role: data.RoleOperator, Operator: "viettel"},
		{Name: "mobifone", Role: data.RoleOperator, Operator: "mobifone"},
		{Name: "officer-c1", Role: data.RoleOfficer, AreaCode: "C1"},
		{Name: "viewer", Role: data.RoleViewer},
	} {
		cu, err := st.CreateUser(ctx, u, "")
		if err != nil {
			t.Fatal(err)
		}
		tok, err := st.NewToken(ctx, cu.ID)
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[u.Name] = tok
	}
	f.srv = httptest.NewServer(api.Validating(t, api.NewServer(ctx, api.Deps{Store: st})))
	t.Cleanup(f.srv.Close)
	return f
}

// do sends a request as user ("" anonymous) and decodes a JSON answer
// into out (when not nil); it returns the status.
func (f *fixture) do(user, method, path string, body io.Reader, contentType string, out any) int {
	f.t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, body)
	if err != nil {
		f.t.Fatal(err)
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+f.tokens[user])
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			f.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode
}

// upload posts a file as multipart/form-data.
func (f *fixture) upload(user, path, name, content string, out any) int {
	f.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := io.WriteString(fw, content); err != nil {
		f.t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		f.t.Fatal(err)
	}
	return f.do(user, http.MethodPost, path, &b, mw.FormDataContentType(), out)
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Details []struct {
			File   string `json:"file"`
			Row    int    `json:"row"`
			Column string `json:"column"`
			Value  string `json:"value"`
			Reason string `json:"reason"`
		} `json:"details"`
	} `json:"error"`
}

func (f *fixture) sectors() []string {
	f.t.Helper()
	var ids []string
	err := f.st.EachSector(context.Background(), func(r postgis.SectorRow) error {
		ids = append(ids, r.ID+"="+r.Operator)
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return ids
}

const sitesHeader = "site_id,sector_id,operator,technology,band_mhz,lat,lon\n"

func TestOperatorUploadsOnlyItsOwnSites(t *testing.T) {
	f := newFixture(t)
	// The planner loads two operators' sites.
	var iv map[string]any
	if st := f.upload("planner", "/api/v1/imports/sites", "sites.csv", sitesHeader+
		"V1,V1/1,viettel,4G,1800,21.05,105.05\nM1,M1/1,mobifone,4G,1800,21.06,105.06\n", &iv); st != 200 {
		t.Fatalf("planner upload: %d %v", st, iv)
	}
	if iv["inserted"] != 2.0 || iv["file"] != "sites.csv" || iv["kind"] != "sites" {
		t.Errorf("planner upload answer %v", iv)
	}
	want := []string{"M1/1=mobifone", "V1/1=viettel"}

	// Viettel's file with a mobifone row: 422 with that row, nothing written.
	var eb errorBody
	st := f.upload("viettel", "/api/v1/imports/sites?replace=true", "viettel.csv", sitesHeader+
		"V2,V2/1,viettel,4G,1800,21.07,105.07\nM2,M2/1,mobifone,4G,1800,21.07,105.07\n", &eb)
	if st != 422 || eb.Error.Code != "validation_failed" || len(eb.Error.Details) != 1 {
		t.Fatalf("foreign row: %d %+v", st, eb)
	}
	if d := eb.Error.Details[0]; d.File != "viettel.csv" || d.Row != 3 || d.Column != "operator" || d.Value != "mobifone" ||
		d.Reason != "this row belongs to operator mobifone: you may import only rows of viettel" {
		t.Errorf("detail %+v", d)
	}
	if got := f.sectors(); !reflect.DeepEqual(got, want) {
		t.Fatalf("sectors after a refused upload %v, want %v", got, want)
	}
	// Viettel asking to act for mobifone: 403.
	if st := f.upload("viettel", "/api/v1/imports/sites?replace=true&operator=mobifone", "m.csv", sitesHeader, &eb); st != 403 {
		t.Errorf("viettel uploading as mobifone: %d", st)
	}
	// Viettel replaces: only its own rows go.
	if st := f.upload("viettel", "/api/v1/imports/sites?replace=true", "viettel.csv", sitesHeader+"V2,V2/1,viettel,4G,1800,21.07,105.07\n", &iv); st != 200 {
		t.Fatalf("viettel replace: %d %v", st, iv)
	}
	want = []string{"M1/1=mobifone", "V2/1=viettel"}
	if got := f.sectors(); !reflect.DeepEqual(got, want) {
		t.Fatalf("sectors after viettel's replace %v, want %v", got, want)
	}
	// Viettel cannot delete mobifone's sector; it can delete its own.
	if st := f.do("viettel", http.MethodDelete, "/api/v1/sites/M1%2F1", nil, "", &eb); st != 403 {
		t.Errorf("viettel deleting mobifone's sector: %d %+v", st, eb)
	}
	if st := f.do("viettel", http.MethodDelete, "/api/v1/sites/nope", nil, "", &eb); st != 404 {
		t.Errorf("deleting a missing sector: %d", st)
	}
	if got := f.sectors(); !reflect.DeepEqual(got, want) {
		t.Fatalf("sectors after a refused delete %v, want %v", got, want)
	}
	if st := f.do("viettel", http.MethodDelete, "/api/v1/sites/V2%2F1", nil, "", nil); st != 204 {
		t.Errorf("viettel deleting its own sector: %d", st)
	}
	if got := f.sectors(); !reflect.DeepEqual(got, []string{"M1/1=mobifone"}) {
		t.Errorf("sectors after viettel's delete %v", got)
	}
	// Viettel's listing shows only viettel.
	var page struct {
		Items []map[string]any `json:"items"`
		Total int              `json:"total"`
	}
	if st := f.do("viettel", http.MethodGet, "/api/v1/sites", nil, "", &page); st != 200 || page.Total != 0 || len(page.Items) != 0 {
		t.Errorf("viettel's listing: %d %+v", st, page)
	}
	if st := f.do("planner", http.MethodGet, "/api/v1/sites?operator=mobifone&bbox=105,21,105.2,21.2&area=C1", nil, "", &page); st != 200 || page.Total != 1 ||
		page.Items[0]["sector_id"] != "M1/1" || page.Items[0]["lat"] != 21.06 || page.Items[0]["azimuth_deg"] != nil {
		t.Errorf("planner's listing: %d %+v", st, page)
	}
	if st := f.do("planner", http.MethodGet, "/api/v1/sites?area=D2", nil, "", &page); st != 200 || page.Total != 0 {
		t.Errorf("listing in D2: %d %+v", st, page)
	}
	// Operators may not upload schools; viewers nothing; anonymous 401.
	if st := f.upload("viettel", "/api/v1/imports/schools", "s.csv", "school_id\n", &eb); st != 403 {
		t.Errorf("operator uploading schools: %d", st)
	}
	if st := f.upload("viewer", "/api/v1/imports/sites", "s.csv", sitesHeader, &eb); st != 403 {
		t.Errorf("viewer upload: %d", st)
	}
	if st := f.upload("", "/api/v1/imports/sites", "s.csv", sitesHeader, &eb); st != 401 {
		t.Errorf("anonymous upload: %d", st)
	}
	if st := f.do("", http.MethodGet, "/api/v1/sites", nil, "", &eb); st != 401 {
		t.Errorf("anonymous listing: %d", st)
	}
	// Every upload is audited, refused ones included.
	log, err := f.st.AuditLog(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range log {
		actions = append(actions, e.Actor+":"+e.Action+":"+e.Object)
	}
	for _, w := range []string{"planner:import:sites", "viettel:import_failed:sites", "viettel:import:sites", "viettel:delete:sites/V2/1"} {
		found := false
		for _, a := range actions {
			found = found || a == w
		}
		if !found {
			t.Errorf("audit log %v lacks %s", actions, w)
		}
	}
}

func TestBadSitesUploadReturnsEveryRowError(t *testing.T) {
	f := newFixture(t)
	before, err := f.st.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var eb errorBody
	st := f.upload("viettel", "/api/v1/imports/sites", "tram.csv", sitesHeader+
		"V1,V1/1,viettel,4G,1800,21.05,105.05\n"+
		"V2,V2/1,viettel,7G,1800,21.05,105.05\n"+ // technology
		"V3,V3/1,viettel,4G,1800,95,105.05\n"+ // latitude
		"V4,V1/1,viettel,4G,1800,21.05,105.05\n"+ // duplicate sector
		"V5,V5/1,mobifone,4G,1800,21.05,105.05\n", &eb) // another operator
	if st != 422 {
		t.Fatalf("status %d %+v", st, eb)
	}
	type key struct {
		row int
		col string
	}
	var got []key
	for _, d := range eb.Error.Details {
		if d.File != "tram.csv" || d.Reason == "" {
			t.Errorf("detail %+v", d)
		}
		got = append(got, key{d.Row, d.Column})
	}
	want := []key{{3, "technology"}, {4, "lat"}, {5, "sector_id"}, {6, "operator"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("details %v, want %v (%+v)", got, want, eb.Error.Details)
	}
	after, err := f.st.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, after) {
		t.Errorf("the database changed: %v → %v", before, after)
	}
}

func TestOfficerUploadsOnlyInItsArea(t *testing.T) {
	f := newFixture(t)
	var eb errorBody
	// C1 is 105.0–105.1; the second school is in D2.
	st := f.upload("officer-c1", "/api/v1/imports/schools", "truong.csv",
		"Mã trường,Tên trường,Cấp học,Vĩ độ,Kinh độ\nS1,Trường Một,primary,21.05,105.05\nS2,Trường Hai,primary,21.05,105.30\n", &eb)
	if st != 422 || len(eb.Error.Details) != 1 {
		t.Fatalf("status %d %+v", st, eb)
	}
	if d := eb.Error.Details[0]; d.Row != 3 || d.Column != "area_code" || d.Value != "D2" || !strings.Contains(d.Reason, "outside your area C1") {
		t.Errorf("detail %+v", d)
	}
	n, _ := f.st.Counts(context.Background())
	if n["schools"] != 0 {
		t.Fatalf("%d schools written", n["schools"])
	}
	var iv map[string]any
	if st := f.upload("officer-c1", "/api/v1/imports/schools", "truong.csv", "school_id,name,level,lat,lon\nS1,Trường Một,primary,21.05,105.05\n", &iv); st != 200 ||
		iv["area_code"] != "C1" || iv["inserted"] != 1.0 {
		t.Fatalf("in-area upload: %d %v", st, iv)
	}
	if st := f.upload("officer-c1", "/api/v1/imports/sites", "s.csv", sitesHeader, &eb); st != 403 {
		t.Errorf("officer uploading sites: %d", st)
	}
}

func TestAreasAndSummary(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// A coverage run with hand-made entities (the engine's output as stored).
	var run int64
	pool := f.st.Pool()
	if err := pool.QueryRow(ctx, `INSERT INTO coverage_runs (parameters) VALUES ('{}') RETURNING id`).Scan(&run); err != nil {
		t.Fatal(err)
	}
	// entity type, id, area, connectivity, students, t1, t2, t3
	ents := []struct {
		typ, id, area, conn string
		st, t1, t2, t3      int
	}{
		{"household", "H1", "C1", "4g", 3, 1, 1, 0},
		{"household", "H2", "C1", "none", 2, 2, 0, 0},
		{"household", "H3", "C2", "fiber", 1, 0, 0, 1},
		{"household", "H4", "C2", "3g", 4, 1, 2, 1},
		{"household", "H5", "D2", "none", 5, 5, 0, 0}, // outside D1
		{"school", "S1", "C1", "none", 0, 0, 0, 0},
		{"school", "S2", "C2", "fiber", 0, 0, 0, 0},
	}
	for _, e := range ents {
		if _, err := pool.Exec(ctx, `INSERT INTO coverage_entities (run_id, entity_type, entity_id, area_code, h3, connectivity, students, students_t1, students_t2, students_t3, geom)
			VALUES ($1, $2, $3, $4, 0, $5, $6, $7, $8, $9, ST_SetSRID(ST_MakePoint(105.05, 21.05), 4326))`, run, e.typ, e.id, e.area, e.conn, e.st, e.t1, e.t2, e.t3); err != nil {
			t.Fatal(err)
		}
	}
	var sum map[string]any
	if st := f.do("viewer", http.MethodGet, "/api/v1/areas/D1/summary", nil, "", &sum); st != 200 {
		t.Fatalf("summary: %d %v", st, sum)
	}
	// By hand: D1 holds H1–H4 and S1, S2.
	want := map[string]any{
		"area_code": "D1", "run_id": float64(run), "households": 4.0, "students": 10.0, "students_t1": 4.0, "students_t2": 3.0, "students_t3": 2.0,
		"connectivity": map[string]any{"fiber": 1.0, "4g": 1.0, "3g": 1.0, "2g": 0.0, "none": 1.0},
		"coverage_pct": 50.0, "unconnected_students_t123": 6.0, "schools": 2.0, "schools_without_internet": 1.0,
	}
	if !reflect.DeepEqual(sum, want) {
		t.Errorf("summary\n got %v\nwant %v", sum, want)
	}
	// And equal to SQL sums over the subtree.
	var hh, stu, t1 int64
	if err := pool.QueryRow(ctx, `SELECT count(*), sum(students), sum(students_t1) FROM coverage_entities
		WHERE run_id = $1 AND entity_type = 'household' AND area_code IN ('D1', 'C1', 'C2')`, run).Scan(&hh, &stu, &t1); err != nil {
		t.Fatal(err)
	}
	if float64(hh) != sum["households"] || float64(stu) != sum["students"] || float64(t1) != sum["students_t1"] {
		t.Errorf("SQL sums %d %d %d differ from %v", hh, stu, t1, sum)
	}
	// The province holds H5 too.
	if st := f.do("viewer", http.MethodGet, "/api/v1/areas/P/summary?run="+itoa(run), nil, "", &sum); st != 200 || sum["households"] != 5.0 || sum["students_t1"] != 9.0 {
		t.Errorf("province summary %d %v", st, sum)
	}
	var eb errorBody
	if st := f.do("viewer", http.MethodGet, "/api/v1/areas/NOPE/summary", nil, "", &eb); st != 404 {
		t.Errorf("unknown area: %d", st)
	}
	if st := f.do("viewer", http.MethodGet, "/api/v1/areas/D1/summary?run=999", nil, "", &eb); st != 404 {
		t.Errorf("unknown run: %d", st)
	}
	if st := f.do("", http.MethodGet, "/api/v1/areas/D1/summary", nil, "", &eb); st != 401 {
		t.Errorf("anonymous: %d", st)
	}
	// The tree and the geometries.
	var tree struct {
		Areas []map[string]any `json:"areas"`
	}
	if st := f.do("viewer", http.MethodGet, "/api/v1/areas", nil, "", &tree); st != 200 || len(tree.Areas) != 5 ||
		tree.Areas[0]["code"] != "C1" || tree.Areas[0]["parent_code"] != "D1" || tree.Areas[0]["has_geometry"] != true {
		t.Errorf("tree %d %v", st, tree)
	}
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Properties map[string]any `json:"properties"`
			Geometry   struct {
				Type string `json:"type"`
			} `json:"geometry"`
		} `json:"features"`
	}
	if st := f.do("viewer", http.MethodGet, "/api/v1/areas/geojson?parent=D1&simplify=0.001", nil, "", &fc); st != 200 || fc.Type != "FeatureCollection" ||
		len(fc.Features) != 2 || fc.Features[0].Properties["code"] != "C1" || fc.Features[1].Geometry.Type != "MultiPolygon" {
		t.Errorf("geojson %d %+v", st, fc)
	}
	// Schools with their connectivity in the run.
	var iv map[string]any
	if st := f.upload("planner", "/api/v1/imports/schools", "schools.csv", "school_id,name,level,lat,lon,internet\nS1,Trường Một,primary,21.05,105.05,none\nS2,Trường Hai,lower,21.05,105.15,fiber\n", &iv); st != 200 {
		t.Fatalf("schools: %d %v", st, iv)
	}
	var schools struct {
		Items []map[string]any `json:"items"`
		Total int              `json:"total"`
	}
	if st := f.do("viewer", http.MethodGet, "/api/v1/schools?area=C2", nil, "", &schools); st != 200 || schools.Total != 1 ||
		schools.Items[0]["school_id"] != "S2" || schools.Items[0]["connectivity"] != "fiber" || schools.Items[0]["area_code"] != "C2" {
		t.Errorf("schools %d %+v", st, schools)
	}
}

func TestOperatorUploadsPolygonsAndMeasurements(t *testing.T) {
	f := newFixture(t)
	poly := func(op string) string {
		return `{"type":"Feature","properties":{"operator":"` + op + `","technology":"LTE"},"geometry":{"type":"Polygon","coordinates":[[[105,21],[105.1,21],[105.1,21.1],[105,21]]]}}`
	}
	var eb errorBody
	st := f.upload("mobifone", "/api/v1/imports/coverage_polygons", "vung_phu.geojson",
		`{"type":"FeatureCollection","features":[`+poly("mobifone")+`,`+poly("viettel")+`]}`, &eb)
	if st != 422 || len(eb.Error.Details) != 1 || eb.Error.Details[0].Row != 2 || eb.Error.Details[0].Column != "operator" {
		t.Fatalf("foreign polygon: %d %+v", st, eb)
	}
	var iv map[string]any
	if st := f.upload("mobifone", "/api/v1/imports/coverage_polygons?dry_run=true", "vung_phu.geojson",
		`{"type":"FeatureCollection","features":[`+poly("mobifone")+`]}`, &iv); st != 200 || iv["dry_run"] != true || iv["inserted"] != 1.0 {
		t.Fatalf("dry run: %d %v", st, iv)
	}
	n, err := f.st.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n["coverage_polygons"] != 0 {
		t.Fatalf("a dry run wrote %d polygons", n["coverage_polygons"])
	}
	if st := f.upload("mobifone", "/api/v1/imports/coverage_polygons", "vung_phu.geojson",
		`{"type":"FeatureCollection","features":[`+poly("mobifone")+`]}`, &iv); st != 200 || iv["operator"] != "mobifone" {
		t.Fatalf("upload: %d %v", st, iv)
	}
	if st := f.upload("mobifone", "/api/v1/imports/measurements", "do_kiem.csv",
		"Nhà mạng;Công nghệ;Vĩ độ;Kinh độ;RSRP\nMobiFone;4G;21,05;105,05;-101\n", &iv); st != 200 || iv["inserted"] != 1.0 {
		t.Fatalf("measurements: %d %v", st, iv)
	}
	// Viettel cannot delete mobifone's polygon.
	if st := f.do("viettel", http.MethodDelete, "/api/v1/coverage-polygons/mobifone%2F4g%2F1", nil, "", &eb); st != 403 {
		t.Errorf("viettel deleting mobifone's polygon: %d %+v", st, eb)
	}
	ds, err := f.st.ReadDataset(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Polygons) != 1 || ds.Polygons[0].ID != "mobifone/4g/1" || len(ds.Measurements) != 1 || ds.Measurements[0].RSRPDBm != -101 {
		t.Errorf("stored %+v %+v", ds.Polygons, ds.Measurements)
	}
	// Not multipart: 400.
	if st := f.do("mobifone", http.MethodPost, "/api/v1/imports/measurements", strings.NewReader("x"), "text/csv", &eb); st != 400 {
		t.Errorf("raw body: %d", st)
	}
	if st := f.upload("mobifone", "/api/v1/imports/pupils", "p.csv", "", &eb); st != 404 {
		t.Errorf("unknown kind: %d", st)
	}
}
