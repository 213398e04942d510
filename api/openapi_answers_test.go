package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/api"
	"github.com/gapmap/gapmap/api/apitest"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
	"github.com/getkin/kin-openapi/openapi3"
)

// TestOpenAPIErrorAnswers sends bad input, missing objects and the wrong
// role to every allocation, coverage and export route on an empty
// database, through apitest.Validating: each answer has the status the
// handler promises (never a 500) and the error body the document describes.
func TestOpenAPIErrorAnswers(t *testing.T) {
	ctx := context.Background()
	st := pgtest.New(t)
	srv := api.NewServer(ctx, api.Deps{Store: st})
	t.Cleanup(func() { _ = srv.Close(context.Background()) })
	ts := httptest.NewServer(apitest.Validating(t, srv))
	t.Cleanup(ts.Close)

	// The officer's area is a province (the top of its tree): it may commit.
	if _, err := st.Pool().Exec(ctx, `INSERT INTO areas (code, name, level) VALUES ('72', 'Tây Ninh', 'province')`); err != nil {
		t.Fatal(err)
	}
	token := map[string]string{}
	for _, u := range []data.User{
		{Name: "planner", Role: data.RolePlanner}, {Name: "officer", Role: data.RoleOfficer, AreaCode: "72"},
		{Name: "viettel", Role: data.RoleOperator, Operator: "viettel"}, {Name: "viewer", Role: data.RoleViewer},
	} {
		created, err := st.CreateUser(ctx, u, "")
		if err != nil {
			t.Fatal(err)
		}
		if token[u.Name], err = st.NewToken(ctx, created.ID); err != nil {
			t.Fatal(err)
		}
	}

	multi := func(field, name, body string) (string, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		if field != "" {
			w, err := mw.CreateFormFile(field, name)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = w.Write([]byte(body))
		}
		if err := mw.Close(); err != nil {
			t.Fatal(err)
		}
		return mw.FormDataContentType(), buf.String()
	}
	otherCT, otherBody := multi("laptops", "x.csv", "a")
	emptyCT, emptyBody := multi("", "", "")
	badCT, badBody := multi("devices", "ThietBi.csv", "device_id,donor\nD1,A\n")

	const jsonCT = "application/json"
	cases := []struct {
		who, method, path, ct, body string
		status                      int
		code                        string
	}{
		// Coverage.
		{"viewer", "GET", "/api/v1/coverage/runs?limit=0", "", "", 422, "validation_failed"},
		{"planner", "GET", "/api/v1/coverage/runs?offset=-1", "", "", 422, "validation_failed"},
		{"planner", "GET", "/api/v1/coverage/runs/abc", "", "", 400, "bad_request"},
		{"viettel", "GET", "/api/v1/coverage/runs/latest", "", "", 404, "not_found"},
		{"planner", "GET", "/api/v1/coverage/runs/7/cells?res=4", "", "", 422, "validation_failed"},
		{"planner", "GET", "/api/v1/coverage/runs/7/cells?bbox=1,2,3", "", "", 422, "validation_failed"},
		{"planner", "GET", "/api/v1/coverage/runs/7/cells", "", "", 404, "not_found"},
		{"planner", "GET", "/api/v1/coverage/runs/latest/gaps?sort=bogus", "", "", 422, "validation_failed"},
		{"planner", "GET", "/api/v1/coverage/runs/latest/gaps?order=sideways", "", "", 422, "validation_failed"},
		{"planner", "GET", "/api/v1/coverage/runs/0/gaps", "", "", 400, "bad_request"},
		{"planner", "GET", "/api/v1/coverage/runs/latest/plan", "", "", 404, "not_found"},
		{"viewer", "POST", "/api/v1/coverage/runs", "", "", 403, "forbidden"},
		{"planner", "POST", "/api/v1/coverage/runs", jsonCT, `{"settings":{"bogus":1}}`, 422, "validation_failed"},
		{"planner", "POST", "/api/v1/coverage/runs", "text/plain", `{}`, 400, "bad_request"},
		{"planner", "POST", "/api/v1/coverage/plan", jsonCT, `{}`, 422, "validation_failed"},
		{"planner", "POST", "/api/v1/coverage/plan", jsonCT, `{"sites":1,"budget_vnd":5}`, 422, "validation_failed"},
		{"planner", "POST", "/api/v1/coverage/plan", jsonCT, `nope`, 400, "bad_request"},
		{"viettel", "POST", "/api/v1/coverage/plan", jsonCT, `{"sites":1}`, 403, "forbidden"},
		{"planner", "POST", "/api/v1/coverage/whatif", jsonCT, `{"sites":[]}`, 422, "validation_failed"},
		{"planner", "POST", "/api/v1/coverage/whatif", jsonCT, `{"sites":[{"operator":"x","lat":50,"lon":1,"azimuth_deg":400}]}`, 422, "validation_failed"},
		{"planner", "POST", "/api/v1/coverage/whatif", jsonCT, `{"sites":[{"operator":"viettel","lat":21,"lon":105,"colour":"red"}]}`, 400, "bad_request"},
		// Exports.
		{"planner", "GET", "/api/v1/exports/uncovered?format=pdf", "", "", 422, "validation_failed"},
		{"planner", "GET", "/api/v1/exports/uncovered?run=abc", "", "", 422, "validation_failed"},
		{"planner", "GET", "/api/v1/exports/uncovered?k=1", "", "", 422, "validation_failed"},
		{"planner", "GET", "/api/v1/exports/uncovered", "", "", 404, "not_found"},
		{"viettel", "GET", "/api/v1/exports/uncovered?operator=mobifone", "", "", 403, "forbidden"},
		{"officer", "GET", "/api/v1/exports/uncovered", "", "", 403, "forbidden"},
		// Allocation.
		{"viettel", "GET", "/api/v1/allocation/runs", "", "", 403, "forbidden"},
		{"planner", "GET", "/api/v1/allocation/runs/abc", "", "", 400, "bad_request"},
		{"viewer", "GET", "/api/v1/allocation/runs/99", "", "", 404, "not_found"},
		{"viewer", "GET", "/api/v1/allocation/runs/99/areas", "", "", 404, "not_found"},
		{"officer", "GET", "/api/v1/allocation/runs/99/schools", "", "", 404, "not_found"},
		{"viewer", "GET", "/api/v1/allocation/runs/99/schools/S1", "", "", 403, "forbidden"},
		{"planner", "GET", "/api/v1/allocation/runs/99/schools/S1", "", "", 404, "not_found"},
		{"planner", "GET", "/api/v1/allocation/runs/99/schools/S1/handover.xlsx", "", "", 404, "not_found"},
		{"planner", "GET", "/api/v1/allocation/students/ST1", "", "", 404, "not_found"},
		{"planner", "POST", "/api/v1/allocation/students/ST1/handover", jsonCT, `{}`, 403, "forbidden"},
		{"officer", "POST", "/api/v1/allocation/students/ST1/handover", jsonCT, `{"iccid":"12"}`, 404, "not_found"},
		{"officer", "POST", "/api/v1/allocation/students/ST1/return", jsonCT, `{"reason":"broken","date":"x"}`, 404, "not_found"},
		{"officer", "POST", "/api/v1/allocation/students/ST1/cancel", jsonCT, `{"reason":"moved","colour":"red"}`, 400, "bad_request"},
		{"viewer", "POST", "/api/v1/allocation/previews", jsonCT, `{}`, 403, "forbidden"},
		{"planner", "POST", "/api/v1/allocation/previews", jsonCT, `{"preview_run_id":1}`, 400, "bad_request"},
		{"planner", "POST", "/api/v1/allocation/previews", jsonCT, `{"settings":{"policy":"x"}}`, 422, "validation_failed"},
		{"planner", "POST", "/api/v1/allocation/previews", jsonCT, `{"date":"2024-13-01"}`, 422, "validation_failed"},
		{"planner", "POST", "/api/v1/allocation/commits", jsonCT, `{}`, 403, "forbidden"},
		{"officer", "POST", "/api/v1/allocation/commits", jsonCT, `{"preview_run_id":99}`, 404, "not_found"},
		{"officer", "POST", "/api/v1/allocation/commits", jsonCT, `{"preview_run_id":-1}`, 422, "validation_failed"},
		{"officer", "POST", "/api/v1/allocation/commits", jsonCT, `{"preview_run_id":1,"date":"2024-01-01"}`, 400, "bad_request"},
		{"officer", "POST", "/api/v1/allocation/commits", jsonCT, `{}`, 409, "conflict"},
		{"planner", "POST", "/api/v1/allocation/inventory", badCT, badBody, 403, "forbidden"},
		{"officer", "POST", "/api/v1/allocation/inventory", jsonCT, `{}`, 400, "bad_request"},
		{"officer", "POST", "/api/v1/allocation/inventory", otherCT, otherBody, 400, "bad_request"},
		{"officer", "POST", "/api/v1/allocation/inventory", emptyCT, emptyBody, 400, "bad_request"},
		{"officer", "POST", "/api/v1/allocation/inventory", badCT, badBody, 422, "validation_failed"},
	}
	for _, c := range cases {
		var body io.Reader
		if c.body != "" {
			body = strings.NewReader(c.body)
		}
		req, err := http.NewRequest(c.method, ts.URL+c.path, body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token[c.who])
		if c.ct != "" {
			req.Header.Set("Content-Type", c.ct)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var eb struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(b, &eb); err != nil {
			t.Errorf("%s %s as %s: %d, not a JSON error: %s", c.method, c.path, c.who, resp.StatusCode, b)
			continue
		}
		if resp.StatusCode != c.status || eb.Error.Code != c.code || eb.Error.Message == "" {
			t.Errorf("%s %s as %s: %d %s, want %d %s", c.method, c.path, c.who, resp.StatusCode, b, c.status, c.code)
		}
	}
}

// TestOpenAPIJobResults checks the results of the coverage and allocation
// preview jobs (a generic object in the Job schema) against the schemas the
// document names for them: CoverageOutcome and AllocationOutcome.
func TestOpenAPIJobResults(t *testing.T) {
	e := newCovEnv(t, true)
	code, b, _ := e.do("", http.MethodGet, "/api/openapi.json", nil)
	if code != http.StatusOK {
		t.Fatalf("openapi.json: %d", code)
	}
	doc, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		t.Fatal(err)
	}
	check := func(what, schema string, raw json.RawMessage) map[string]any {
		t.Helper()
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatalf("%s: %v: %s", what, err, raw)
		}
		ref := doc.Components.Schemas[schema]
		if ref == nil {
			t.Fatalf("no schema %s", schema)
		}
		if err := ref.Value.VisitJSON(v); err != nil {
			t.Errorf("%s: the result is not a %s: %v", what, schema, err)
		}
		m, _ := v.(map[string]any)
		return m
	}

	plan := e.startJob("planner", "/api/v1/coverage/plan", map[string]any{"sites": 2})
	j, _ := e.waitJob(plan.ID)
	if j.Status != data.JobSucceeded {
		t.Fatalf("plan job: %+v", j)
	}
	if m := check("plan job", "CoverageOutcome", j.Result); m["plan"] == nil || m["before"] != nil {
		t.Errorf("plan job result: plan %v, before %v", m["plan"], m["before"])
	}

	whatif := e.startJob("planner", "/api/v1/coverage/whatif", map[string]any{"sites": []map[string]any{{"operator": "viettel", "lat": 21.0, "lon": 105.8}}})
	j, _ = e.waitJob(whatif.ID)
	if j.Status != data.JobSucceeded {
		t.Fatalf("what-if job: %+v", j)
	}
	if m := check("what-if job", "CoverageOutcome", j.Result); m["before"] == nil || m["plan"] != nil {
		t.Errorf("what-if job result: before %v, plan %v", m["before"], m["plan"])
	}

	code, b, _ = e.do("planner", http.MethodPost, "/api/v1/allocation/previews", map[string]any{})
	if code != http.StatusAccepted {
		t.Fatalf("preview: %d %s", code, b)
	}
	var pj jobResult
	if err := json.Unmarshal(b, &pj); err != nil || pj.Kind != "allocation_preview" {
		t.Fatalf("preview job %s (%v)", b, err)
	}
	j, _ = e.waitJob(pj.ID)
	if j.Status != data.JobSucceeded {
		t.Fatalf("preview job: %+v", j)
	}
	if m := check("preview job", "AllocationOutcome", j.Result); m["status"] != "preview" {
		t.Errorf("preview job result status %v, want preview", m["status"])
	}
}
