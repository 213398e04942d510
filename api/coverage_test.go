package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/gapmap/gapmap/api"
	"github.com/gapmap/gapmap/coverage"
	"github.com/gapmap/gapmap/coveragerun"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/gen"
	"github.com/gapmap/gapmap/data/importer"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
)

// covEnv is a server on a generated province with one token per role.
type covEnv struct {
	t      *testing.T
	st     *postgis.Store
	srv    *httptest.Server
	tokens map[string]string // admin, planner, viewer, officer, viettel (operator), mobifone (operator)
	runID  int64
}

// newCovEnv generates a small province, imports it and, when analyse is
// set, stores a coverage run through the use case gapmap analyze calls.
func newCovEnv(t *testing.T, analyse bool) *covEnv {
	t.Helper()
	ctx := context.Background()
	st := pgtest.New(t)
	dir := t.TempDir()
	if _, err := gen.Generate(ctx, gen.Options{Seed: 1, Scale: 0.05, OutDir: dir}); err != nil {
		t.Fatal(err)
	}
	if _, err := importer.ImportDir(ctx, st, dir, importer.Options{}); err != nil {
		t.Fatalf("import: %v", err)
	}
	e := &covEnv{t: t, st: st, tokens: map[string]string{}}
	for name, u := range map[string]data.User{
		"admin": {Role: data.RoleAdmin}, "planner": {Role: data.RolePlanner}, "viewer": {Role: data.RoleViewer},
		"officer": {Role: data.RoleOfficer, AreaCode: "99001"}, "viettel": {Role: data.RoleOperator, Operator: "viettel"},
		"mobifone": {Role: data.RoleOperator, Operator: "MobiFone"},
	} {
		u.Name = name
		u, err := st.CreateUser(ctx, u, "")
		if err != nil {
			t.Fatal(err)
		}
		if e.tokens[name], err = st.NewToken(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
	}
	if analyse {
		run, err := coveragerun.Analyze(ctx, st, coveragerun.Options{Settings: coverage.DefaultSettings()})
		if err != nil {
			t.Fatal(err)
		}
		e.runID = run.ID
	}
	sctx, cancel := context.WithCancel(ctx)
	server := api.NewServer(sctx, api.Deps{Store: st})
	e.srv = httptest.NewServer(api.Validating(t, server))
	t.Cleanup(func() {
		e.srv.Close()
		cancel()
		_ = server.Close(context.Background())
	})
	return e
}

// do sends a request as user ("" for none) and returns the status and body.
func (e *covEnv) do(user, method, path string, body any) (int, []byte, http.Header) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[user])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, b, resp.Header
}

// getJSON GETs path as user, requires want and decodes the body into v.
func (e *covEnv) getJSON(user, path string, want int, v any) {
	e.t.Helper()
	code, b, _ := e.do(user, http.MethodGet, path, nil)
	if code != want {
		e.t.Fatalf("GET %s as %s: %d, want %d: %s", path, user, code, want, b)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			e.t.Fatalf("GET %s: %v: %s", path, err, b)
		}
	}
}

type jobResult struct {
	ID      int64           `json:"id"`
	Kind    string          `json:"kind"`
	Status  string          `json:"status"`
	Phase   string          `json:"phase"`
	Percent float64         `json:"percent"`
	Error   string          `json:"error"`
	Result  json.RawMessage `json:"result"`
}

// waitJob polls a job until it ends and returns it with the phases seen.
func (e *covEnv) waitJob(id int64) (jobResult, []string) {
	e.t.Helper()
	var phases []string
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		var j jobResult
		e.getJSON("viewer", "/api/v1/jobs/"+strconv.FormatInt(id, 10), http.StatusOK, &j)
		if len(phases) == 0 || phases[len(phases)-1] != j.Phase {
			phases = append(phases, j.Phase)
		}
		if j.Status != data.JobRunning {
			return j, phases
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.t.Fatalf("job %d still running after 2 minutes", id)
	return jobResult{}, nil
}

// startJob POSTs a job as user and requires 202.
func (e *covEnv) startJob(user, path string, body any) jobResult {
	e.t.Helper()
	code, b, _ := e.do(user, http.MethodPost, path, body)
	if code != http.StatusAccepted {
		e.t.Fatalf("POST %s as %s: %d: %s", path, user, code, b)
	}
	var j jobResult
	if err := json.Unmarshal(b, &j); err != nil || j.ID == 0 || j.Kind != "coverage" || j.Status != data.JobRunning {
		e.t.Fatalf("POST %s: job %+v (%v)", path, j, err)
	}
	return j
}

// A background run over HTTP reports progress and stores a run with the
// same totals as the use case gapmap analyze calls (the full comparison,
// table by table, is cmd/gapmap's TestCoverageJobSameAsAnalyze).
func TestCoverageRunJob(t *testing.T) {
	e := newCovEnv(t, true)
	for _, user := range []string{"viewer", "viettel", "officer"} {
		if code, b, _ := e.do(user, http.MethodPost, "/api/v1/coverage/runs", nil); code != http.StatusForbidden {
			t.Errorf("POST run as %s: %d %s", user, code, b)
		}
	}
	if code, _, _ := e.do("", http.MethodPost, "/api/v1/coverage/runs", nil); code != http.StatusUnauthorized {
		t.Errorf("anonymous POST run: %d", code)
	}
	code, b, _ := e.do("planner", http.MethodPost, "/api/v1/coverage/runs", map[string]any{"settings": map[string]any{"served_share": 2}})
	if code != http.StatusUnprocessableEntity || !bytes.Contains(b, []byte("served_share")) {
		t.Errorf("bad settings: %d %s", code, b)
	}
	j := e.startJob("planner", "/api/v1/coverage/runs", nil)
	done, phases := e.waitJob(j.ID)
	if done.Status != data.JobSucceeded || done.Percent != 100 || done.Phase != coveragerun.PhaseStoring {
		t.Fatalf("job ended %+v", done)
	}
	t.Logf("phases seen: %v", phases)
	var out coveragerun.Outcome
	if err := json.Unmarshal(done.Result, &out); err != nil {
		t.Fatal(err)
	}
	var first, second struct {
		ID       int64 `json:"id"`
		Entities int   `json:"entities"`
		Cells    int   `json:"cells"`
		GapAreas int   `json:"gap_areas"`
		Summary  struct {
			Counts coverage.SummaryCounts `json:"counts"`
			Total  coverage.AreaSummary   `json:"total"`
		} `json:"summary"`
	}
	e.getJSON("viewer", "/api/v1/coverage/runs/"+strconv.FormatInt(e.runID, 10), http.StatusOK, &first)
	e.getJSON("viewer", "/api/v1/coverage/runs/latest", http.StatusOK, &second)
	if out.RunID != second.ID || second.ID == first.ID {
		t.Fatalf("job result run %d, latest %d, first %d", out.RunID, second.ID, first.ID)
	}
	a, _ := json.Marshal(first.Summary)
	bb, _ := json.Marshal(second.Summary)
	if !bytes.Equal(a, bb) || first.Entities != second.Entities || first.Cells != second.Cells || first.GapAreas != second.GapAreas {
		t.Errorf("the HTTP run differs from the direct one:\n%s\n%s", a, bb)
	}
	ob, _ := json.Marshal(struct {
		C coverage.SummaryCounts
		T coverage.AreaSummary
	}{out.Counts, out.Total})
	sb, _ := json.Marshal(struct {
		C coverage.SummaryCounts
		T coverage.AreaSummary
	}{second.Summary.Counts, second.Summary.Total})
	if !bytes.Equal(ob, sb) || out.Counts.GapAreas == 0 {
		t.Errorf("job result and stored summary differ:\n%s\n%s", ob, sb)
	}
	var list struct {
		Runs []struct {
			ID int64 `json:"id"`
		} `json:"runs"`
		Total int `json:"total"`
	}
	e.getJSON("viewer", "/api/v1/coverage/runs", http.StatusOK, &list)
	if list.Total != 2 || len(list.Runs) != 2 || list.Runs[0].ID != second.ID || list.Runs[1].ID != first.ID {
		t.Errorf("run list %+v", list)
	}
	e.getJSON("viewer", "/api/v1/coverage/runs/999", http.StatusNotFound, nil)
	e.getJSON("", "/api/v1/coverage/runs", http.StatusUnauthorized, nil)
	audit, err := e.st.AuditLog(context.Background(), 50)
	if err != nil {
		t.Fatal(err)
	}
	var started, stored bool
	for _, a := range audit {
		started = started || a.Action == "coverage_analyze_start" && a.Actor == "planner"
		stored = stored || a.Action == "coverage_analyze" && a.Object == "coverage run "+strconv.FormatInt(out.RunID, 10)
	}
	if !started || !stored {
		t.Errorf("audit log lacks the run (start %v, stored %v): %+v", started, stored, audit)
	}
}

type cellJSON struct {
	H3         string         `json:"h3"`
	Res        int            `json:"res"`
	AreaCode   string         `json:"area_code"`
	Suppressed bool           `json:"suppressed"`
	Households *int           `json:"households"`
	StudentsT1 *int           `json:"students_t1"`
	Schools    int            `json:"schools"`
	Share4G    map[string]any `json:"share_4g"`
	Extra      map[string]any `json:"-"`
}

func TestCoverageCells(t *testing.T) {
	e := newCovEnv(t, true)
	ctx := context.Background()
	base := "/api/v1/coverage/runs/latest/cells"
	var all struct {
		RunID     int64      `json:"run_id"`
		Res       int        `json:"res"`
		PrivacyK  int        `json:"privacy_k"`
		Cells     []cellJSON `json:"cells"`
		Truncated bool       `json:"truncated"`
	}
	e.getJSON("planner", base+"?res=9&limit=50000", http.StatusOK, &all)
	var want int
	if err := e.st.Pool().QueryRow(ctx, `SELECT count(*) FROM coverage_cells WHERE run_id = $1 AND res = 9`, e.runID).Scan(&want); err != nil {
		t.Fatal(err)
	}
	if all.RunID != e.runID || all.Res != 9 || all.PrivacyK != 5 || len(all.Cells) != want || all.Truncated {
		t.Fatalf("planner cells: run %d res %d k %d, %d cells (want %d), truncated %v", all.RunID, all.Res, all.PrivacyK, len(all.Cells), want, all.Truncated)
	}
	small := 0
	for _, c := range all.Cells {
		if c.Households == nil || c.Suppressed {
			t.Fatalf("planner sees a suppressed cell: %+v", c)
		}
		if data.SmallCount(*c.Households, 5) {
			small++
		}
	}
	if small == 0 {
		t.Fatal("the fixture must hold cells with fewer than 5 households")
	}
	// A viewer and an operator get the small cells' person counts withheld.
	for _, user := range []string{"viewer", "viettel"} {
		var v struct {
			Cells []cellJSON `json:"cells"`
		}
		e.getJSON(user, base+"?res=9&limit=50000", http.StatusOK, &v)
		if len(v.Cells) != len(all.Cells) {
			t.Fatalf("%s: %d cells", user, len(v.Cells))
		}
		hidden := 0
		for i, c := range v.Cells {
			p := all.Cells[i]
			if p.H3 != c.H3 || p.Schools != c.Schools {
				t.Fatalf("%s: cell %d differs: %+v vs %+v", user, i, c, p)
			}
			if data.SmallCount(*p.Households, 5) {
				hidden++
				if !c.Suppressed || c.Households != nil || c.StudentsT1 != nil {
					t.Errorf("%s sees small cell %s: %+v", user, c.H3, c)
				}
			} else if c.Suppressed || c.Households == nil || *c.Households != *p.Households {
				t.Errorf("%s: cell %s wrongly withheld: %+v", user, c.H3, c)
			}
		}
		if hidden != small {
			t.Errorf("%s: %d withheld, want %d", user, hidden, small)
		}
	}
	// By area (and below) and by bounding box, at every resolution 5..9.
	for res := 5; res <= 9; res++ {
		var byArea struct {
			Cells []cellJSON `json:"cells"`
		}
		// The leaf area with most cells at this resolution.
		var code string
		var n int
		err := e.st.Pool().QueryRow(ctx, `SELECT c.area_code, count(*) FROM coverage_cells c
			WHERE c.run_id = $1 AND c.res = $2 AND NOT EXISTS (SELECT 1 FROM areas a WHERE a.parent_code = c.area_code)
			GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1`, e.runID, res).Scan(&code, &n)
		if err != nil {
			t.Fatal(err)
		}
		e.getJSON("planner", base+"?res="+strconv.Itoa(res)+"&area="+code, http.StatusOK, &byArea)
		if len(byArea.Cells) != n || n == 0 {
			t.Errorf("res %d area %s: %d cells, want %d", res, code, len(byArea.Cells), n)
		}
		for _, c := range byArea.Cells {
			if c.Res != res || c.AreaCode != code {
				t.Errorf("res %d area %s: cell %+v", res, code, c)
			}
		}
	}
	var parent string
	if err := e.st.Pool().QueryRow(ctx, `SELECT parent_code FROM areas WHERE code = '99001'`).Scan(&parent); err != nil {
		t.Fatal(err)
	}
	var below struct {
		Cells []cellJSON `json:"cells"`
	}
	e.getJSON("planner", base+"?res=8&area="+parent, http.StatusOK, &below)
	var nBelow int
	if err := e.st.Pool().QueryRow(ctx, `SELECT count(*) FROM coverage_cells c JOIN areas a ON a.code = c.area_code
		WHERE c.run_id = $1 AND c.res = 8 AND (a.parent_code = $2 OR a.code = $2)`, e.runID, parent).Scan(&nBelow); err != nil {
		t.Fatal(err)
	}
	if len(below.Cells) != nBelow || nBelow <= 0 {
		t.Errorf("area %s and below: %d cells, want %d", parent, len(below.Cells), nBelow)
	}
	var box struct {
		Cells []cellJSON `json:"cells"`
	}
	var minLon, minLat, maxLon, maxLat float64
	if err := e.st.Pool().QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e FROM areas WHERE code = '99001') x`).
		Scan(&minLon, &minLat, &maxLon, &maxLat); err != nil {
		t.Fatal(err)
	}
	bbox := strconv.FormatFloat(minLon, 'f', 6, 64) + "," + strconv.FormatFloat(minLat, 'f', 6, 64) + "," +
		strconv.FormatFloat(maxLon, 'f', 6, 64) + "," + strconv.FormatFloat(maxLat, 'f', 6, 64)
	e.getJSON("viewer", base+"?res=9&bbox="+bbox, http.StatusOK, &box)
	var nBox int
	if err := e.st.Pool().QueryRow(ctx, `SELECT count(*) FROM coverage_cells WHERE run_id = $1 AND res = 9
		AND geom && ST_MakeEnvelope($2, $3, $4, $5, 4326)`, e.runID, minLon, minLat, maxLon, maxLat).Scan(&nBox); err != nil {
		t.Fatal(err)
	}
	if len(box.Cells) != nBox || nBox == 0 {
		t.Errorf("bbox: %d cells, want %d", len(box.Cells), nBox)
	}
	var limited struct {
		Cells     []cellJSON `json:"cells"`
		Truncated bool       `json:"truncated"`
	}
	e.getJSON("viewer", base+"?res=9&limit=3", http.StatusOK, &limited)
	if len(limited.Cells) != 3 || !limited.Truncated {
		t.Errorf("limit 3: %d cells, truncated %v", len(limited.Cells), limited.Truncated)
	}
	for _, bad := range []string{"?res=4", "?res=10", "?bbox=1,2,3", "?bbox=106,22,105,21", "?limit=0"} {
		e.getJSON("viewer", base+bad, http.StatusUnprocessableEntity, nil)
	}
	e.getJSON("viewer", base+"?area=nowhere", http.StatusNotFound, nil)
	e.getJSON("", base, http.StatusUnauthorized, nil)
}

type gapJSON struct {
	GapID             string          `json:"gap_id"`
	Rank              int             `json:"rank"`
	AreaCode          string          `json:"area_code"`
	Suppressed        bool            `json:"suppressed"`
	Households        *int            `json:"households"`
	Beneficiaries     *int            `json:"beneficiaries"`
	Score             float64         `json:"score"`
	Nearest4GOperator string          `json:"nearest_4g_operator"`
	Outline           json.RawMessage `json:"outline"`
	Components        json.RawMessage `json:"components"`
}

type gapPage struct {
	Total int       `json:"total"`
	Gaps  []gapJSON `json:"gaps"`
}

func TestCoverageGaps(t *testing.T) {
	e := newCovEnv(t, true)
	ctx := context.Background()
	base := "/api/v1/coverage/runs/latest/gaps"
	var all gapPage
	e.getJSON("planner", base+"?limit=1000", http.StatusOK, &all)
	var want int
	if err := e.st.Pool().QueryRow(ctx, `SELECT count(*) FROM gap_areas WHERE run_id = $1`, e.runID).Scan(&want); err != nil {
		t.Fatal(err)
	}
	if all.Total != want || len(all.Gaps) != want || want < 10 {
		t.Fatalf("gaps: total %d, %d listed, want %d (at least 10)", all.Total, len(all.Gaps), want)
	}
	for i, g := range all.Gaps {
		if g.Rank != i+1 || g.Households == nil || len(g.Outline) == 0 || len(g.Components) == 0 {
			t.Fatalf("gap %d: %+v", i, g)
		}
	}
	// Pages are consecutive slices of the ranking.
	var p1, p2 gapPage
	e.getJSON("viewer", base+"?limit=4&offset=0", http.StatusOK, &p1)
	e.getJSON("viewer", base+"?limit=4&offset=4", http.StatusOK, &p2)
	if p1.Total != want || len(p1.Gaps) != 4 || len(p2.Gaps) != 4 || p1.Gaps[0].Rank != 1 || p2.Gaps[0].Rank != 5 || p2.Gaps[3].Rank != 8 {
		t.Errorf("pages: %+v / %+v", p1, p2)
	}
	// Sorting.
	var byScore gapPage
	e.getJSON("viewer", base+"?sort=score&order=desc&limit=1000", http.StatusOK, &byScore)
	if !sort.SliceIsSorted(byScore.Gaps, func(i, j int) bool { return byScore.Gaps[i].Score > byScore.Gaps[j].Score }) || len(byScore.Gaps) != want {
		t.Error("sort=score&order=desc is not by decreasing score")
	}
	var byBen gapPage
	e.getJSON("planner", base+"?sort=beneficiaries&limit=1000", http.StatusOK, &byBen)
	for i := 1; i < len(byBen.Gaps); i++ {
		if *byBen.Gaps[i].Beneficiaries < *byBen.Gaps[i-1].Beneficiaries {
			t.Fatalf("sort=beneficiaries not increasing at %d", i)
		}
	}
	// Filters: minimum beneficiaries, area, operator of the nearest site.
	min := *byBen.Gaps[len(byBen.Gaps)/2].Beneficiaries
	var big gapPage
	e.getJSON("planner", base+"?limit=1000&min_beneficiaries="+strconv.Itoa(min), http.StatusOK, &big)
	wantBig := 0
	for _, g := range all.Gaps {
		if *g.Beneficiaries >= min {
			wantBig++
		}
	}
	if big.Total != wantBig || len(big.Gaps) != wantBig {
		t.Errorf("min_beneficiaries %d: %d, want %d", min, big.Total, wantBig)
	}
	for _, g := range big.Gaps {
		if *g.Beneficiaries < min {
			t.Errorf("gap %s has %d beneficiaries < %d", g.GapID, *g.Beneficiaries, min)
		}
	}
	area := all.Gaps[0].AreaCode
	var inArea gapPage
	e.getJSON("planner", base+"?limit=1000&area="+area, http.StatusOK, &inArea)
	wantArea := 0
	for _, g := range all.Gaps {
		if g.AreaCode == area {
			wantArea++
		}
	}
	if inArea.Total != wantArea || wantArea == 0 {
		t.Errorf("area %s: %d gaps, want %d", area, inArea.Total, wantArea)
	}
	if all.Gaps[0].Nearest4GOperator == "" {
		t.Fatalf("gap 1 has no nearest 4G operator: %+v", all.Gaps[0])
	}
	perOp := map[string]int{}
	for _, g := range all.Gaps {
		perOp[g.Nearest4GOperator]++
	}
	for _, op := range []string{data.OpViettel, data.OpVinaphone, data.OpMobifone, data.OpVietnamobile, data.OpGmobile} {
		var ofOp gapPage
		e.getJSON("planner", base+"?limit=1000&operator="+op, http.StatusOK, &ofOp)
		if ofOp.Total != perOp[op] || len(ofOp.Gaps) != perOp[op] {
			t.Errorf("operator %s: %d gaps, want %d", op, ofOp.Total, perOp[op])
		}
		for _, g := range ofOp.Gaps {
			if g.Nearest4GOperator != op {
				t.Errorf("operator %s: gap %s is nearest to %s", op, g.GapID, g.Nearest4GOperator)
			}
		}
	}
	t.Logf("gap areas by the operator of their nearest 4G site: %v", perOp)
	// A viewer gets small gap areas without counts or outline.
	var viewer gapPage
	e.getJSON("viewer", base+"?limit=1000", http.StatusOK, &viewer)
	hidden := 0
	for i, g := range viewer.Gaps {
		p := all.Gaps[i]
		if data.SmallCount(*p.Households, 5) {
			hidden++
			if !g.Suppressed || g.Households != nil || len(g.Outline) != 0 || len(g.Components) != 0 {
				t.Errorf("viewer sees small gap %s: %+v", g.GapID, g)
			}
		}
	}
	if hidden == 0 {
		t.Error("the fixture must hold small gap areas")
	}
	for _, bad := range []string{"?sort=name", "?order=up", "?limit=0", "?min_beneficiaries=-1"} {
		e.getJSON("viewer", base+bad, http.StatusUnprocessableEntity, nil)
	}
	e.getJSON("viewer", base+"?area=nowhere", http.StatusNotFound, nil)
	e.getJSON("", base, http.StatusUnauthorized, nil)
}

// The planner and what-if over HTTP: K sites stored as a plan; the plan's
// sites proposed as a what-if leave what the plan said would remain.
func TestCoveragePlanAndWhatIf(t *testing.T) {
	e := newCovEnv(t, false)
	if code, b, _ := e.do("planner", http.MethodPost, "/api/v1/coverage/plan", map[string]any{"sites": 2, "budget_vnd": 1e9}); code != http.StatusUnprocessableEntity {
		t.Errorf("sites and budget: %d %s", code, b)
	}
	if code, _, _ := e.do("viewer", http.MethodPost, "/api/v1/coverage/plan", map[string]any{"sites": 2}); code != http.StatusForbidden {
		t.Errorf("viewer plan: %d", code)
	}
	j := e.startJob("planner", "/api/v1/coverage/plan", map[string]any{"sites": 3})
	done, _ := e.waitJob(j.ID)
	if done.Status != data.JobSucceeded {
		t.Fatalf("plan job: %+v", done)
	}
	var out coveragerun.Outcome
	if err := json.Unmarshal(done.Result, &out); err != nil || out.Plan == nil {
		t.Fatalf("plan result %s (%v)", done.Result, err)
	}
	if len(out.Plan.Steps) != 3 || out.Plan.WeightedLeft >= out.WeightedUnconnected || out.Plan.Options.Sites != 3 {
		t.Fatalf("plan: %d steps, %.1f left of %.1f", len(out.Plan.Steps), out.Plan.WeightedLeft, out.WeightedUnconnected)
	}
	var stored struct {
		RunID int64 `json:"run_id"`
		Steps []struct {
			Rank             int     `json:"rank"`
			H3               string  `json:"h3"`
			Lat              float64 `json:"lat"`
			Lon              float64 `json:"lon"`
			RangeM           float64 `json:"range_m"`
			MarginalWeighted float64 `json:"marginal_weighted"`
		} `json:"steps"`
	}
	e.getJSON("viewer", "/api/v1/coverage/runs/"+strconv.FormatInt(out.RunID, 10)+"/plan", http.StatusOK, &stored)
	if stored.RunID != out.RunID || len(stored.Steps) != 3 {
		t.Fatalf("stored plan %+v", stored)
	}
	sites := make([]map[string]any, 0, 3)
	for i, s := range stored.Steps {
		want := out.Plan.Steps[i]
		if s.Rank != want.Rank || s.H3 != want.H3 || math.Abs(s.MarginalWeighted-want.Weighted) > 1e-9 {
			t.Errorf("step %d: stored %+v, job %+v", i, s, want)
		}
		sites = append(sites, map[string]any{"operator": "viettel", "lat": want.Lat, "lon": want.Lon, "range_m": want.RangeM})
	}
	// A run without a plan has none.
	e.getJSON("viewer", "/api/v1/coverage/runs/999/plan", http.StatusNotFound, nil)

	code, b, _ := e.do("planner", http.MethodPost, "/api/v1/coverage/whatif", map[string]any{"sites": []map[string]any{{"operator": "nobody", "lat": 50.0}}})
	if code != http.StatusUnprocessableEntity || !bytes.Contains(b, []byte(`"operator"`)) || !bytes.Contains(b, []byte(`"lat"`)) || !bytes.Contains(b, []byte(`"lon"`)) {
		t.Errorf("bad what-if: %d %s", code, b)
	}
	j = e.startJob("planner", "/api/v1/coverage/whatif", map[string]any{"sites": sites})
	done, _ = e.waitJob(j.ID)
	if done.Status != data.JobSucceeded {
		t.Fatalf("what-if job: %+v", done)
	}
	var wi coveragerun.Outcome
	if err := json.Unmarshal(done.Result, &wi); err != nil || wi.Before == nil {
		t.Fatalf("what-if result %s (%v)", done.Result, err)
	}
	if len(wi.WhatIf) != 3 || wi.WhatIf[0] != "whatif-1" {
		t.Errorf("what-if sectors %v", wi.WhatIf)
	}
	if math.Abs(wi.Before.WeightedUnconnected-out.WeightedUnconnected) > 1e-6 || math.Abs(wi.WeightedUnconnected-out.Plan.WeightedLeft) > 1e-6 {
		t.Errorf("what-if: %.3f → %.3f; the plan said %.3f → %.3f", wi.Before.WeightedUnconnected, wi.WeightedUnconnected, out.WeightedUnconnected, out.Plan.WeightedLeft)
	}
	var run struct {
		WhatIf []string `json:"what_if_sectors"`
	}
	e.getJSON("viewer", "/api/v1/coverage/runs/"+strconv.FormatInt(wi.RunID, 10), http.StatusOK, &run)
	if len(run.WhatIf) != 3 {
		t.Errorf("stored what-if run: %+v", run)
	}
}

// One coverage job at a time (409 with a clear message), and a cancelled
// job ends as cancelled with no run stored.
func TestCoverageJobConflictAndCancel(t *testing.T) {
	e := newCovEnv(t, false)
	j := e.startJob("planner", "/api/v1/coverage/runs", nil)
	code, b, _ := e.do("admin", http.MethodPost, "/api/v1/coverage/plan", map[string]any{"sites": 2})
	if code != http.StatusConflict || !bytes.Contains(b, []byte(`"conflict"`)) {
		t.Errorf("a second coverage job: %d %s", code, b)
	}
	if code, b, _ := e.do("viewer", http.MethodPost, "/api/v1/jobs/"+strconv.FormatInt(j.ID, 10)+"/cancel", nil); code != http.StatusForbidden {
		t.Errorf("viewer cancels: %d %s", code, b)
	}
	if code, b, _ := e.do("planner", http.MethodPost, "/api/v1/jobs/"+strconv.FormatInt(j.ID, 10)+"/cancel", nil); code != http.StatusAccepted {
		t.Fatalf("cancel: %d %s", code, b)
	}
	done, _ := e.waitJob(j.ID)
	var runs int
	if err := e.st.Pool().QueryRow(context.Background(), `SELECT count(*) FROM coverage_runs`).Scan(&runs); err != nil {
		t.Fatal(err)
	}
	// The cancel usually arrives while the job reads or analyses; on a busy
	// machine the job may already have committed its run, and then it has
	// succeeded. Either way the job's status and the database agree.
	switch {
	case done.Status == data.JobCancelled && runs == 0:
	case done.Status == data.JobSucceeded && runs == 1:
		t.Logf("the job committed its run before the cancel arrived")
	default:
		t.Errorf("cancelled job ended %s with %d run(s) stored", done.Status, runs)
	}
	// The kind is free again.
	j = e.startJob("planner", "/api/v1/coverage/runs", nil)
	if done, _ := e.waitJob(j.ID); done.Status != data.JobSucceeded {
		t.Errorf("after the cancel: %+v", done)
	}
}
