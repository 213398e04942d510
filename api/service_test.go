package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
)

// testServer is a running API on a fresh database.
type testServer struct {
	t   *testing.T
	st  *postgis.Store
	api *Server
	url string
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	st := pgtest.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	a := NewServer(ctx, Deps{Store: st, Version: "test"})
	hs := httptest.NewServer(validating(t, a))
	t.Cleanup(func() {
		hs.Close()
		cancel()
		_ = a.Close(context.Background())
	})
	return &testServer{t: t, st: st, api: a, url: hs.URL}
}

// user creates a user with a role and returns its API token.
func (ts *testServer) user(name string, role data.Role, operator, area string) string {
	ts.t.Helper()
	u, err := ts.st.CreateUser(context.Background(), data.User{Name: name, Role: role, Operator: operator, AreaCode: area}, "")
	if err != nil {
		ts.t.Fatal(err)
	}
	tok, err := ts.st.NewToken(context.Background(), u.ID)
	if err != nil {
		ts.t.Fatal(err)
	}
	return tok
}

// do sends a request with an optional token and returns status, headers, body.
func (ts *testServer) do(method, path, token string, body io.Reader) (int, http.Header, []byte) {
	ts.t.Helper()
	req, err := http.NewRequest(method, ts.url+path, body)
	if err != nil {
		ts.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		ts.t.Fatal(err)
	}
	return res.StatusCode, res.Header, b
}

type errorBody struct {
	Error struct {
		Code    string          `json:"code"`
		Message string          `json:"message"`
		Details json.RawMessage `json:"details"`
	} `json:"error"`
}

func decodeError(t *testing.T, b []byte) errorBody {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("error body %q is not JSON: %v", b, err)
	}
	if e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("error body %s lacks code or message", b)
	}
	return e
}

func TestHealthReadyMetrics(t *testing.T) {
	ts := newTestServer(t)
	code, _, b := ts.do("GET", "/healthz", "", nil)
	if code != 200 || !strings.Contains(string(b), `"status":"ok"`) || !strings.Contains(string(b), `"version":"test"`) {
		t.Fatalf("healthz = %d %s", code, b)
	}
	code, _, b = ts.do("GET", "/readyz", "", nil)
	var ready struct {
		Status        string `json:"status"`
		SchemaVersion int64  `json:"schema_version"`
	}
	if err := json.Unmarshal(b, &ready); err != nil || code != 200 || ready.Status != "ready" {
		t.Fatalf("readyz = %d %s", code, b)
	}
	_, latest, err := ts.st.SchemaVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if ready.SchemaVersion != latest {
		t.Fatalf("readyz schema_version = %d, want %d", ready.SchemaVersion, latest)
	}
	code, hdr, b := ts.do("GET", "/metrics", "", nil)
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") {
		t.Fatalf("metrics = %d %s", code, hdr.Get("Content-Type"))
	}
	for _, want := range []string{`gapmap_http_requests_total{method="GET",route="/readyz",status="200"} 1`, `gapmap_build_info{version="test"} 1`, "go_goroutines"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestReadyzWhenSchemaIsBehind(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	cur, _, err := ts.st.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Pretend the newest migration was not applied.
	if _, err := ts.st.Pool().Exec(ctx, `DELETE FROM goose_db_version WHERE version_id = $1`, cur); err != nil {
		t.Fatal(err)
	}
	code, _, b := ts.do("GET", "/readyz", "", nil)
	if code != http.StatusServiceUnavailable {
		t.Fatalf("readyz with an old schema = %d %s, want 503", code, b)
	}
	if e := decodeError(t, b); e.Error.Code != codeUnavailable || !strings.Contains(e.Error.Message, "migrate") {
		t.Fatalf("readyz error = %+v", e.Error)
	}
}

func TestAuthenticationAndRoles(t *testing.T) {
	ts := newTestServer(t)
	planner := ts.user("planner1", data.RolePlanner, "", "")
	operator := ts.user("viettel1", data.RoleOperator, "viettel", "")

	// No credentials: 401 with the JSON error.
	code, _, b := ts.do("GET", "/api/v1/jobs", "", nil)
	if code != 401 || decodeError(t, b).Error.Code != codeUnauthorized {
		t.Fatalf("anonymous = %d %s", code, b)
	}
	// A token that does not exist, a malformed header: 401.
	code, _, b = ts.do("GET", "/api/v1/jobs", "gapmap_nope", nil)
	if code != 401 || decodeError(t, b).Error.Code != codeUnauthorized {
		t.Fatalf("bad token = %d %s", code, b)
	}
	req, _ := http.NewRequest("GET", ts.url+"/api/v1/jobs", nil)
	req.Header.Set("Authorization", "Basic Zm9vOmJhcg==")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Fatalf("basic auth = %d, want 401", res.StatusCode)
	}
	// A valid token: 200.
	code, _, b = ts.do("GET", "/api/v1/jobs", planner, nil)
	if code != 200 || !strings.Contains(string(b), `"jobs":[]`) {
		t.Fatalf("planner jobs = %d %s", code, b)
	}
	// Role check: an operator may not cancel jobs.
	code, _, b = ts.do("POST", "/api/v1/jobs/1/cancel", operator, nil)
	if code != 403 || decodeError(t, b).Error.Code != codeForbidden {
		t.Fatalf("operator cancel = %d %s", code, b)
	}
	// A disabled user's token stops working at once.
	if err := ts.st.SetUserDisabled(context.Background(), "planner1", true); err != nil {
		t.Fatal(err)
	}
	if code, _, b = ts.do("GET", "/api/v1/jobs", planner, nil); code != 401 {
		t.Fatalf("disabled user = %d %s", code, b)
	}
	// Not found and bad ids.
	if code, _, b = ts.do("GET", "/api/v1/jobs/999", operator, nil); code != 404 || decodeError(t, b).Error.Code != codeNotFound {
		t.Fatalf("missing job = %d %s", code, b)
	}
	if code, _, b = ts.do("GET", "/api/v1/jobs/abc", operator, nil); code != 400 || decodeError(t, b).Error.Code != codeBadRequest {
		t.Fatalf("bad job id = %d %s", code, b)
	}
}

// waitJob polls the store until job id is no longer running.
func waitJob(t *testing.T, st *postgis.Store, id int64) data.Job {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		j, err := st.JobByID(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status != data.JobRunning {
			return j
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("job %d still running after 20 s", id)
	return data.Job{}
}

func TestJobsProgressConflictCancel(t *testing.T) {
	ts := newTestServer(t)
	planner := ts.user("planner1", data.RolePlanner, "", "")
	ctx := context.Background()

	// A job that reports progress, then waits to be released or cancelled.
	release := make(chan struct{})
	reported := make(chan struct{})
	job, err := ts.api.jobs.start(ctx, "test_run", "planner1", map[string]int{"k": 3}, func(ctx context.Context, p progressFunc) (any, error) {
		p("reading", 40)
		close(reported)
		select {
		case <-release:
			return map[string]int{"answer": 42}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	<-reported
	code, _, b := ts.do("GET", "/api/v1/jobs/"+itoa(job.ID), planner, nil)
	var v struct {
		Status  string          `json:"status"`
		Phase   string          `json:"phase"`
		Percent float64         `json:"percent"`
		Kind    string          `json:"kind"`
		Actor   string          `json:"actor"`
		Params  json.RawMessage `json:"params"`
	}
	if err := json.Unmarshal(b, &v); err != nil || code != 200 {
		t.Fatalf("job = %d %s", code, b)
	}
	if v.Status != "running" || v.Phase != "reading" || v.Percent != 40 || v.Kind != "test_run" || v.Actor != "planner1" || string(v.Params) != `{"k":3}` {
		t.Fatalf("running job = %+v (params %s)", v, v.Params)
	}
	// A second job of the same kind: conflict.
	if _, err := ts.api.jobs.start(ctx, "test_run", "planner1", nil, func(context.Context, progressFunc) (any, error) { return nil, nil }); classify(err).status != http.StatusConflict {
		t.Fatalf("second job of a kind: err %v, want a conflict", err)
	}
	close(release)
	j := waitJob(t, ts.st, job.ID)
	if j.Status != data.JobSucceeded || j.Percent != 100 || string(j.Result) != `{"answer": 42}` || j.FinishedAt == nil {
		t.Fatalf("finished job = %+v result %s", j, j.Result)
	}

	// Cancel over HTTP.
	started := make(chan struct{})
	job2, err := ts.api.jobs.start(ctx, "test_run", "planner1", nil, func(ctx context.Context, p progressFunc) (any, error) {
		close(started)
		<-ctx.Done()
		return nil, ctx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	if code, _, b := ts.do("POST", "/api/v1/jobs/"+itoa(job2.ID)+"/cancel", planner, nil); code != 202 {
		t.Fatalf("cancel = %d %s", code, b)
	}
	if j := waitJob(t, ts.st, job2.ID); j.Status != data.JobCancelled {
		t.Fatalf("cancelled job = %+v", j)
	}
	if code, _, b := ts.do("POST", "/api/v1/jobs/"+itoa(job2.ID)+"/cancel", planner, nil); code != 409 || decodeError(t, b).Error.Code != codeConflict {
		t.Fatalf("cancel twice = %d %s", code, b)
	}
	// A failing job records its error.
	job3, err := ts.api.jobs.start(ctx, "test_run", "planner1", nil, func(ctx context.Context, p progressFunc) (any, error) {
		return nil, &data.NotFoundError{Kind: "coverage run", ID: "7"}
	})
	if err != nil {
		t.Fatal(err)
	}
	if j := waitJob(t, ts.st, job3.ID); j.Status != data.JobFailed || j.Error != `coverage run "7" not found` {
		t.Fatalf("failed job = %+v", j)
	}
}

func TestJobsCancelledAtShutdown(t *testing.T) {
	st := pgtest.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := NewServer(ctx, Deps{Store: st})
	started := make(chan struct{})
	job, err := a.jobs.start(context.Background(), "test_run", "x", nil, func(ctx context.Context, p progressFunc) (any, error) {
		close(started)
		<-ctx.Done()
		return nil, ctx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	if err := a.Close(sctx); err != nil {
		t.Fatal(err)
	}
	j, err := st.JobByID(context.Background(), job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != data.JobCancelled || j.FinishedAt == nil {
		t.Fatalf("job after shutdown = %+v", j)
	}
	// A job left running by a dead server is closed at the next start.
	if _, err := st.Pool().Exec(context.Background(), `INSERT INTO jobs (kind, status) VALUES ('orphan', 'running')`); err != nil {
		t.Fatal(err)
	}
	n, err := st.AbandonJobs(context.Background(), "the server stopped while the job ran")
	if err != nil || n != 1 {
		t.Fatalf("AbandonJobs = %d, %v", n, err)
	}
}

func TestErrorsNeverLeakCauses(t *testing.T) {
	cases := []struct {
		err    error
		status int
		code   string
		msg    string
	}{
		{&data.NotFoundError{Kind: "school", ID: "TH1"}, 404, codeNotFound, `school "TH1" not found`},
		{&data.ConflictError{Reason: "busy"}, 409, codeConflict, "busy"},
		{data.ErrForbidden, 403, codeForbidden, "you may not do this"},
		{&data.ValidationError{Errors: []data.FieldError{{File: "a.csv", Row: 2, Column: "lat", Value: "x", Reason: "not a number"}}}, 422, codeValidation, "1 problem(s) found; nothing was written"},
		{io.ErrUnexpectedEOF, 500, codeInternal, "internal error; the server log has the details"},
	}
	for _, c := range cases {
		ae := classify(c.err)
		if ae.status != c.status || ae.code != c.code || ae.msg != c.msg {
			t.Errorf("classify(%v) = %d %s %q, want %d %s %q", c.err, ae.status, ae.code, ae.msg, c.status, c.code, c.msg)
		}
	}
	ae := classify(&data.ValidationError{Errors: []data.FieldError{{File: "a.csv", Row: 2, Column: "lat", Value: "x", Reason: "not a number"}}})
	ds, ok := ae.details.([]fieldDetail)
	if !ok || len(ds) != 1 || ds[0] != (fieldDetail{File: "a.csv", Row: 2, Column: "lat", Value: "x", Reason: "not a number"}) {
		t.Fatalf("validation details = %#v", ae.details)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestInvalidTextIsABadRequest(t *testing.T) {
	ts := newTestServer(t)
	tok := ts.user("p", data.RolePlanner, "", "")
	for _, path := range []string{"/api/v1/allocation/students/%FF", "/api/v1/areas/%00/summary", "/api/v1/schools?area=%FF", "/api/v1/sites?operator=a%00b", "/api/v1/schools?a=%zz"} {
		code, _, b := ts.do("GET", path, tok, nil)
		if code != http.StatusBadRequest || decodeError(t, b).Error.Code != codeBadRequest {
			t.Errorf("GET %s = %d %s, want 400", path, code, b)
		}
	}
}

func TestWebAppServedWithItsPolicy(t *testing.T) {
	st := pgtest.New(t)
	app := fstest.MapFS{
		"index.html":    {Data: []byte("<!doctype html><html><head><title>x</title></head><body></body></html>")},
		"assets/app.js": {Data: []byte("console.log(1)")},
		"assets/w.mjs":  {Data: []byte("export {}")},
	}
	for _, basemap := range []string{"", "https://tiles.example.org/style.json"} {
		cfg := DefaultConfig()
		cfg.BasemapStyle = basemap
		s := NewServer(context.Background(), Deps{Store: st, Web: app, Config: cfg})
		hs := httptest.NewServer(s)
		res, err := http.Get(hs.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		csp := res.Header.Get("Content-Security-Policy")
		if res.StatusCode != 200 || !strings.Contains(csp, "default-src 'self'") {
			t.Fatalf("/ = %d, CSP %q", res.StatusCode, csp)
		}
		hasMeta := strings.Contains(string(b), `<meta name="gapmap-basemap" content="https://tiles.example.org/style.json">`)
		allows := strings.Contains(csp, "connect-src 'self' https://tiles.example.org")
		if (basemap != "") != hasMeta || (basemap != "") != allows {
			t.Errorf("basemap %q: meta %v, CSP %q", basemap, hasMeta, csp)
		}
		if basemap == "" && strings.Contains(csp, "example.org") {
			t.Errorf("without a base map the CSP names another host: %q", csp)
		}
		res, err = http.Get(hs.URL + "/assets/w.mjs")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
			t.Errorf("worker module: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
		}
		hs.Close()
		s.Close(context.Background())
	}
}
