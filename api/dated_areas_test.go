package api_test

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// TestDatedAreasAPI: the fixture's communes C1 and C2 end on 2025-07-01
// and merge into N under the province; the area tree and boundaries list
// the versions valid on ?date=; the successor table is uploaded and
// listed; a 2020 run's figures are rolled into the 2026 units; a coverage
// run's date is listed and a bad date is refused.
func TestDatedAreasAPI(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	pool := f.st.Pool()
	if _, err := pool.Exec(ctx, `UPDATE areas SET valid_to = '2025-07-01' WHERE code IN ('C1', 'C2')`); err != nil {
		t.Fatal(err)
	}
	var iv map[string]any
	n := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"N","name":"Xã Mới","level":"commune","parent_code":"P","valid_from":"2025-07-01"},` +
		`"geometry":{"type":"Polygon","coordinates":[[[105.0,21.0],[105.2,21.0],[105.2,21.1],[105.0,21.1],[105.0,21.0]]]}}]}`
	if st := f.upload("planner", "/api/v1/imports/areas", "areas.geojson", n, &iv); st != 200 {
		t.Fatalf("areas: %d %v", st, iv)
	}
	if st := f.upload("planner", "/api/v1/imports/successors", "successors.csv", "Mã cũ,Mã mới,Ngày hiệu lực,Tỷ lệ\nC1,N,01/07/2025,1\nC2,N,2025-07-01,\n", &iv); st != 200 || iv["inserted"] != 2.0 {
		t.Fatalf("successors: %d %v", st, iv)
	}
	var succ struct {
		Successors []map[string]any `json:"successors"`
	}
	if st := f.do("viewer", http.MethodGet, "/api/v1/areas/successors", nil, "", &succ); st != 200 || len(succ.Successors) != 2 ||
		!reflect.DeepEqual(succ.Successors[0], map[string]any{"old_code": "C1", "new_code": "N", "effective": "2025-07-01", "share": 1.0}) {
		t.Errorf("successors %d %v", st, succ)
	}
	codes := func(path string) []string {
		t.Helper()
		var tree struct {
			Areas []struct {
				Code string `json:"code"`
			} `json:"areas"`
		}
		if st := f.do("viewer", http.MethodGet, path, nil, "", &tree); st != 200 {
			t.Fatalf("%s: %d", path, st)
		}
		var out []string
		for _, a := range tree.Areas {
			out = append(out, a.Code)
		}
		return out
	}
	if got := codes("/api/v1/areas?date=2020-01-01"); strings.Join(got, " ") != "C1 C2 D1 D2 P" {
		t.Errorf("areas of 2020: %v", got)
	}
	if got := codes("/api/v1/areas?date=2026-01-01"); strings.Join(got, " ") != "D1 D2 N P" {
		t.Errorf("areas of 2026: %v", got)
	}
	if got := codes("/api/v1/areas"); strings.Join(got, " ") != "D1 D2 N P" {
		t.Errorf("areas of today: %v", got)
	}
	var fc struct {
		Features []struct {
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if st := f.do("viewer", http.MethodGet, "/api/v1/areas/geojson?level=commune&date=2025-06-30", nil, "", &fc); st != 200 || len(fc.Features) != 2 || fc.Features[1].Properties["code"] != "C2" {
		t.Errorf("communes of 2025-06-30: %d %v", st, fc)
	}
	var eb errorBody
	if st := f.do("viewer", http.MethodGet, "/api/v1/areas?date=30/06/2025", nil, "", &eb); st != 400 {
		t.Errorf("bad date: %d", st)
	}

	// A run of 2020 with homes in C1 and C2, rolled into the 2026 units.
	var run int64
	if err := pool.QueryRow(ctx, `INSERT INTO coverage_runs (parameters, run_date) VALUES ('{}', '2020-06-01') RETURNING id`).Scan(&run); err != nil {
		t.Fatal(err)
	}
	for _, e := range []struct{ id, area, conn string }{{"H1", "C1", "4g"}, {"H2", "C1", "none"}, {"H3", "C2", "none"}, {"H4", "D2", "fiber"}} {
		if _, err := pool.Exec(ctx, `INSERT INTO coverage_entities (run_id, entity_type, entity_id, area_code, h3, connectivity, students, students_t1, geom)
			VALUES ($1, 'household', $2, $3, 0, $4, 2, 1, ST_SetSRID(ST_MakePoint(105.05, 21.05), 4326))`, run, e.id, e.area, e.conn); err != nil {
			t.Fatal(err)
		}
	}
	var rolled struct {
		RunID   int64            `json:"run_id"`
		RunDate string           `json:"run_date"`
		Date    string           `json:"date"`
		Areas   []map[string]any `json:"areas"`
	}
	if st := f.do("viewer", http.MethodGet, "/api/v1/coverage/runs/"+itoa(run)+"/areas?date=2026-01-01", nil, "", &rolled); st != 200 || rolled.RunID != run ||
		rolled.RunDate != "2020-06-01" || rolled.Date != "2026-01-01" || len(rolled.Areas) != 2 {
		t.Fatalf("rolled up: %d %+v", st, rolled)
	}
	wantN := map[string]any{"area_code": "N", "households": 3.0, "students": 6.0, "students_t123": 3.0, "unconnected_households": 2.0, "unconnected_students_t123": 2.0, "schools": 0.0}
	if !reflect.DeepEqual(rolled.Areas[1], wantN) || rolled.Areas[0]["area_code"] != "D2" || rolled.Areas[0]["households"] != 1.0 {
		t.Errorf("rolled up areas %v, want D2 1 home and %v", rolled.Areas, wantN)
	}
	if st := f.do("viewer", http.MethodGet, "/api/v1/coverage/runs/999/areas", nil, "", &eb); st != 404 {
		t.Errorf("unknown run: %d", st)
	}
	var list struct {
		Runs []map[string]any `json:"runs"`
	}
	if st := f.do("viewer", http.MethodGet, "/api/v1/coverage/runs", nil, "", &list); st != 200 || len(list.Runs) != 1 || list.Runs[0]["date"] != "2020-06-01" {
		t.Errorf("runs %d %v", st, list)
	}
	if st := f.do("planner", http.MethodPost, "/api/v1/coverage/runs", strings.NewReader(`{"date":"2026-13-01"}`), "application/json", &eb); st != 422 || len(eb.Error.Details) != 1 || eb.Error.Details[0].Column != "date" {
		t.Errorf("a coverage run on a bad date: %d %+v", st, eb)
	}
}
