package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/gapmap/gapmap/api"
	"github.com/gapmap/gapmap/api/apitest"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/gen"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
)

// A background coverage run started over HTTP reports progress and stores
// the same run as gapmap analyze: every entity, cell and gap area, and the
// summary, equal row for row.
func TestCoverageJobSameAsAnalyze(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := gen.Generate(ctx, gen.Options{Seed: 3, Scale: 0.05, OutDir: dir}); err != nil {
		t.Fatal(err)
	}
	url := pgtest.NewURL(t)
	e, stdout, stderr := allocTestEnv(map[string]string{"DATABASE_URL": url})
	if err := run(ctx, []string{"import", dir}, e); err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}
	if err := run(ctx, []string{"analyze"}, e); err != nil {
		t.Fatalf("analyze: %v\n%s", err, stderr)
	}
	if !bytes.Contains(stdout.Bytes(), []byte("coverage run 1 stored")) {
		t.Fatalf("analyze: %s", stdout)
	}
	st, err := postgis.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.CreateUser(ctx, data.User{Name: "planner", Role: data.RolePlanner}, "")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := st.NewToken(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	srv := httptest.NewServer(apitest.Validating(t, api.NewServer(sctx, api.Deps{Store: st})))
	defer srv.Close()
	call := func(method, path string) (int, []byte) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	code, b := call(http.MethodPost, "/api/v1/coverage/runs")
	if code != http.StatusAccepted {
		t.Fatalf("start: %d %s", code, b)
	}
	var job struct {
		ID      int64   `json:"id"`
		Status  string  `json:"status"`
		Phase   string  `json:"phase"`
		Percent float64 `json:"percent"`
		Result  struct {
			RunID int64 `json:"run_id"`
		} `json:"result"`
	}
	if err := json.Unmarshal(b, &job); err != nil {
		t.Fatal(err)
	}
	var percents []float64
	for deadline := time.Now().Add(time.Minute); job.Status == data.JobRunning && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		code, b = call(http.MethodGet, "/api/v1/jobs/"+strconv.FormatInt(job.ID, 10))
		if code != http.StatusOK || json.Unmarshal(b, &job) != nil {
			t.Fatalf("job: %d %s", code, b)
		}
		if n := len(percents); n == 0 || percents[n-1] != job.Percent {
			percents = append(percents, job.Percent)
		}
	}
	if job.Status != data.JobSucceeded || job.Result.RunID != 2 || job.Percent != 100 || job.Phase != "storing" {
		t.Fatalf("job ended %+v", job)
	}
	for i := 1; i < len(percents); i++ {
		if percents[i] < percents[i-1] {
			t.Errorf("progress went back: %v", percents)
		}
	}
	t.Logf("progress seen: %v", percents)
	// Row for row: every table of the run, the run id and geometry aside
	// (cells' and entities' geometries follow from h3 and lat/lon, which
	// are compared; gap outlines are compared as text).
	for _, q := range []string{
		`SELECT to_jsonb(x) - 'run_id' - 'geom' FROM coverage_entities x WHERE run_id = $1`,
		`SELECT (to_jsonb(x) - 'run_id' - 'geom') || jsonb_build_object('lat', ST_Y(geom), 'lon', ST_X(geom)) FROM coverage_entities x WHERE run_id = $1`,
		`SELECT to_jsonb(x) - 'run_id' - 'geom' FROM coverage_cells x WHERE run_id = $1`,
		`SELECT (to_jsonb(x) - 'run_id' - 'geom' - 'centroid') || jsonb_build_object('geom', ST_AsText(geom), 'c', ST_AsText(centroid)) FROM gap_areas x WHERE run_id = $1`,
		`SELECT to_jsonb(x) - 'id' - 'created_at' FROM coverage_runs x WHERE id = $1`,
	} {
		var rows, diff, back int
		err := st.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM (`+q+`) a), (SELECT count(*) FROM ((`+q+`) EXCEPT ALL (`+replaceRun(q)+`)) d),
			(SELECT count(*) FROM ((`+replaceRun(q)+`) EXCEPT ALL (`+q+`)) d)`, 1, 2).Scan(&rows, &diff, &back)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if rows == 0 || diff != 0 || back != 0 {
			t.Errorf("%s: %d rows, %d and %d differ between gapmap analyze and the HTTP run", q, rows, diff, back)
		}
	}
}

// replaceRun makes the second copy of a query read run $2.
func replaceRun(q string) string {
	return string(bytes.ReplaceAll([]byte(q), []byte("= $1"), []byte("= $2")))
}
