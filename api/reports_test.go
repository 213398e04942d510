package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// The reports through the API on an analysed generated province: every
// reading role gets the JSON (validated against openapi.yaml), CSV and
// XLSX; an operator reads the connectivity report only; the connectivity
// total counts every home of the run.
func TestReports(t *testing.T) {
	e := newCovEnv(t, true)
	ctx := context.Background()
	var homes, without int
	if err := e.st.Pool().QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE cardinality(operators_4g || operators_3g) = 0)
		FROM coverage_entities WHERE run_id = $1 AND entity_type = 'household'`, e.runID).Scan(&homes, &without); err != nil {
		t.Fatal(err)
	}
	type conn struct {
		Source struct {
			Report string `json:"report"`
			Runs   []struct {
				ID   int64  `json:"id"`
				Kind string `json:"kind"`
			} `json:"runs"`
		} `json:"source"`
		DaysToTarget *int `json:"days_to_target"`
		Rows         []struct {
			AreaCode string `json:"area_code"`
			Operator string `json:"operator"`
			Homes    int    `json:"homes"`
			Without  int    `json:"without_mobile"`
		} `json:"rows"`
	}
	for _, user := range []string{"planner", "viewer", "officer", "admin", "viettel"} {
		var c conn
		e.getJSON(user, "/api/v1/reports/connectivity?baseline=none&as_of=2026-12-01&target_date=2026-12-31", http.StatusOK, &c)
		if c.Source.Report != "connectivity" || len(c.Source.Runs) != 1 || c.Source.Runs[0].ID != e.runID || c.DaysToTarget == nil || *c.DaysToTarget != 30 ||
			len(c.Rows) == 0 || c.Rows[0].AreaCode != "" || c.Rows[0].Operator != "any" || c.Rows[0].Homes != homes || c.Rows[0].Without != without {
			t.Errorf("%s: connectivity %+v (homes %d, without %d)", user, c, homes, without)
		}
	}
	type progress struct {
		Periods []struct {
			Label string `json:"label"`
		} `json:"periods"`
		Areas []struct {
			AreaCode string `json:"area_code"`
			Need     int    `json:"need"`
		} `json:"areas"`
	}
	var need int
	if err := e.st.Pool().QueryRow(ctx, `SELECT count(*) FROM students WHERE priority BETWEEN 1 AND 3 AND NOT has_device`).Scan(&need); err != nil {
		t.Fatal(err)
	}
	for _, user := range []string{"planner", "viewer", "officer"} {
		var p progress
		e.getJSON(user, "/api/v1/reports/progress?from=2026-01-01&to=2026-12-31&period=quarter&levels=1", http.StatusOK, &p)
		if len(p.Periods) != 4 || p.Periods[3].Label != "2026-Q4" || len(p.Areas) < 8 || p.Areas[0].AreaCode != "" || p.Areas[0].Need != need {
			t.Errorf("%s: progress %+v (need %d)", user, p, need)
		}
	}
	for _, path := range []string{"/api/v1/reports/progress", "/api/v1/reports/donors", "/api/v1/reports/handovers"} {
		if code, b, _ := e.do("viettel", http.MethodGet, path, nil); code != http.StatusForbidden {
			t.Errorf("operator %s = %d %s", path, code, b)
		}
		var m map[string]json.RawMessage
		e.getJSON("viewer", path+"?to=2026-12-31", http.StatusOK, &m)
		if len(m["source"]) == 0 {
			t.Errorf("%s: no source", path)
		}
	}
	code, b, h := e.do("viewer", http.MethodGet, "/api/v1/reports/handovers?from=2026-01-01&to=2026-03-31&monthly_target=2&format=csv", nil)
	if code != http.StatusOK || h.Get("Content-Type") != "text/csv; charset=utf-8" ||
		h.Get("Content-Disposition") != `attachment; filename="handovers_2026-01-01_2026-03-31.csv"` ||
		!bytes.HasPrefix(b, []byte("\ufeffBáo cáo / Report,")) || !strings.Contains(string(b), "Chỉ tiêu mỗi tháng / Monthly target,2\n") {
		t.Errorf("csv %d %v %.300s", code, h, b)
	}
	code, b, h = e.do("planner", http.MethodGet, "/api/v1/reports/donors?to=2026-12-31&format=xlsx", nil)
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "application/vnd.openxmlformats") || !bytes.HasPrefix(b, []byte("PK")) {
		t.Errorf("xlsx %d %v", code, h)
	}
	for path, want := range map[string]int{
		"/api/v1/reports/progress?period=week":            http.StatusUnprocessableEntity,
		"/api/v1/reports/progress?format=pdf":             http.StatusUnprocessableEntity,
		"/api/v1/reports/progress?from=01/01/2026":        http.StatusUnprocessableEntity,
		"/api/v1/reports/progress?area=NOPE":              http.StatusNotFound,
		"/api/v1/reports/connectivity?run=99999":          http.StatusNotFound,
		"/api/v1/reports/connectivity?baseline=yesterday": http.StatusUnprocessableEntity,
		"/api/v1/reports/handovers?monthly_target=-1":     http.StatusUnprocessableEntity,
		"/api/v1/reports/progress?preview_run=abc":        http.StatusUnprocessableEntity,
		"/api/v1/reports/progress?preview_run=0":          http.StatusUnprocessableEntity,
		"/api/v1/reports/progress?preview_run=99999":      http.StatusNotFound,
	} {
		if code, b, _ := e.do("planner", http.MethodGet, path, nil); code != want {
			t.Errorf("%s = %d, want %d: %s", path, code, want, b)
		}
	}
}

// preview_run adds what a preview run would allocate (from the report
// recorded with it) to the progress report's last period; a committed run
// is refused (409).
func TestReportsPreviewRun(t *testing.T) {
	e := newCovEnv(t, true)
	ctx := context.Background()
	var area, school string
	if err := e.st.Pool().QueryRow(ctx, `SELECT area_code, school_id FROM schools ORDER BY school_id LIMIT 1`).Scan(&area, &school); err != nil {
		t.Fatal(err)
	}
	var need int
	if err := e.st.Pool().QueryRow(ctx, `SELECT count(*) FROM students WHERE priority BETWEEN 1 AND 3 AND NOT has_device`).Scan(&need); err != nil {
		t.Fatal(err)
	}
	var preview, committed int64
	if err := e.st.Pool().QueryRow(ctx, `INSERT INTO allocation_runs (actor, policy, status, created_at)
		VALUES ('cô Lan', 'ready-first', 'preview', '2026-10-30 09:00+07') RETURNING id`).Scan(&preview); err != nil {
		t.Fatal(err)
	}
	if err := e.st.Pool().QueryRow(ctx, `INSERT INTO allocation_runs (actor, policy, status, created_at)
		VALUES ('cô Lan', 'ready-first', 'committed', '2026-10-31 09:00+07') RETURNING id`).Scan(&committed); err != nil {
		t.Fatal(err)
	}
	report := fmt.Sprintf(`{"allocations": [
		{"student_id": "X1", "school_id": %q, "area_code": %q, "priority": 1, "device_id": "DX1", "device_type": "phone", "sim_package_id": "PX", "sim_network": "3G"},
		{"student_id": "X2", "school_id": %q, "area_code": %q, "priority": 3, "device_id": "DX2", "device_type": "tablet"}]}`, school, area, school, area)
	if _, err := e.st.Pool().Exec(ctx, `INSERT INTO allocation_run_reports (run_id, run_date, report) VALUES ($1, '2026-10-30', $2::jsonb)`, preview, report); err != nil {
		t.Fatal(err)
	}
	var p struct {
		Source struct {
			PreviewRun *struct {
				ID   int64  `json:"id"`
				Kind string `json:"kind"`
			} `json:"preview_run"`
		} `json:"source"`
		Areas []struct {
			AreaCode       string   `json:"area_code"`
			Period         string   `json:"period"`
			Need           int      `json:"need"`
			DevicesPlanned *int     `json:"devices_planned"`
			SimsPlanned    *int     `json:"sims_planned"`
			Sims3GPlanned  *int     `json:"sims_3g_planned"`
			UnmetAfterPlan *int     `json:"unmet_after_plan"`
			PctAfterPlan   *float64 `json:"pct_tier12_after_plan"`
		} `json:"areas"`
	}
	e.getJSON("officer", fmt.Sprintf("/api/v1/reports/progress?from=2026-07-01&to=2026-12-31&period=quarter&levels=1&preview_run=%d", preview), http.StatusOK, &p)
	if p.Source.PreviewRun == nil || p.Source.PreviewRun.ID != preview || p.Source.PreviewRun.Kind != "allocation_preview" || len(p.Areas) != 4 {
		t.Fatalf("progress %+v", p)
	}
	for i, a := range p.Areas {
		if i%2 == 0 {
			if a.Period != "2026-Q3" || a.DevicesPlanned != nil || a.UnmetAfterPlan != nil || a.PctAfterPlan != nil {
				t.Errorf("row %d: %+v", i, a)
			}
			continue
		}
		if a.Period != "2026-Q4" || a.Need != need || a.DevicesPlanned == nil || *a.DevicesPlanned != 2 || *a.SimsPlanned != 1 || *a.Sims3GPlanned != 1 ||
			*a.UnmetAfterPlan != max(0, need-2) || a.PctAfterPlan == nil {
			t.Errorf("row %d: %+v (need %d)", i, a, need)
		}
	}
	if code, b, _ := e.do("planner", http.MethodGet, fmt.Sprintf("/api/v1/reports/progress?preview_run=%d", committed), nil); code != http.StatusConflict {
		t.Errorf("committed run as preview_run = %d %s", code, b)
	}
	code, b, _ := e.do("planner", http.MethodGet, fmt.Sprintf("/api/v1/reports/progress?from=2026-10-01&to=2026-10-31&preview_run=%d&format=csv", preview), nil)
	if code != http.StatusOK || !strings.Contains(string(b), fmt.Sprintf("Kế hoạch theo lượt xem trước / Plan of preview run,allocation_preview #%d (2026-10-30 02:00:00Z)\n", preview)) ||
		!strings.Contains(string(b), ",devices_planned,sims_planned,sims_3g_planned,unmet_after_plan,equipped_tier12_after_plan,pct_tier12_after_plan\n") {
		t.Errorf("csv %d %.2000s", code, b)
	}
}
