package api_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gapmap/gapmap/allocation"
	"github.com/gapmap/gapmap/allocation/runs"
	"github.com/gapmap/gapmap/api"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/importer"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
	"github.com/xuri/excelize/v2"
)

// TestSimsAPI: the 3G SIM in the API's allocation rows, a handover with
// the SIM's activation day, SIMs ending (JSON, CSV, XLSX) for education
// officers in their area only, and renewals; every other role is refused.
func TestSimsAPI(t *testing.T) {
	ctx := context.Background()
	st := pgtest.New(t)
	dir := allocBaseFiles(t)
	for name, body := range map[string]string{
		"devices.csv":      allocDevicesCSV,
		"sim_packages.csv": "package_id,operator,gb_per_day,months,quantity,area_code\nP1,viettel,4,3,10,24\nP3,vinaphone,4,3,5,\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := importer.ImportDir(ctx, st, dir, importer.Options{}); err != nil {
		t.Fatal(err)
	}
	allocStoreCoverage(ctx, t, st)
	if _, err := st.Pool().Exec(ctx, `UPDATE coverage_entities SET connectivity = '3g', operators_3g = '{viettel}' WHERE entity_id = 'H3'`); err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(time.FixedZone("ICT", 7*3600))
	day := func(t time.Time) string { return t.Format("2006-01-02") }
	if _, err := (&runs.Service{Store: st}).Commit(ctx, runs.Options{Settings: allocation.DefaultSettings(), Actor: "cô Lan", Date: today}, nil); err != nil {
		t.Fatal(err)
	}
	srv := api.NewServer(ctx, api.Deps{Store: st})
	t.Cleanup(func() { _ = srv.Close(context.Background()) })
	ts := httptest.NewServer(api.Validating(t, srv))
	t.Cleanup(ts.Close)
	c := allocClient{t: t, base: ts.URL}
	token := map[string]string{}
	for _, u := range []data.User{
		{Name: "admin", Role: data.RoleAdmin}, {Name: "planner", Role: data.RolePlanner},
		{Name: "officer-a", Role: data.RoleOfficer, AreaCode: "7210"}, {Name: "officer-b", Role: data.RoleOfficer, AreaCode: "7211"},
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
	for _, who := range []string{"planner", "viettel", "viewer"} {
		c.json("GET", "/api/v1/allocation/sims/ending", token[who], nil, http.StatusForbidden, nil)
		c.json("POST", "/api/v1/allocation/students/ST1/renew", token[who], map[string]any{"package_id": "P1"}, http.StatusForbidden, nil)
	}
	c.json("GET", "/api/v1/allocation/sims/ending", "", nil, http.StatusUnauthorized, nil)

	// ST3's SIM is on 3G.
	var one struct {
		Allocation struct {
			SimNetwork string `json:"sim_network"`
			Handover   struct {
				SimActivatedOn string `json:"sim_activated_on"`
				SimEndsOn      string `json:"sim_ends_on"`
				SimRenewals    int    `json:"sim_renewals"`
			} `json:"handover"`
		} `json:"allocation"`
	}
	c.json("GET", "/api/v1/allocation/students/ST3", token["officer-b"], nil, http.StatusOK, &one)
	if one.Allocation.SimNetwork != "3G" {
		t.Errorf("ST3 sim_network %q", one.Allocation.SimNetwork)
	}

	// The run's school counts say how many SIMs are on 3G.
	var sc struct {
		Schools []struct {
			SchoolID string `json:"school_id"`
			Sims     int    `json:"sims"`
			Sims3G   int    `json:"sims_3g"`
		} `json:"schools"`
	}
	var runID int64
	if err := st.Pool().QueryRow(ctx, `SELECT id FROM allocation_runs WHERE status = 'committed'`).Scan(&runID); err != nil {
		t.Fatal(err)
	}
	c.json("GET", "/api/v1/allocation/runs/"+strconv.FormatInt(runID, 10)+"/schools", token["viewer"], nil, http.StatusOK, &sc)
	got3G := map[string][2]int{}
	for _, x := range sc.Schools {
		got3G[x.SchoolID] = [2]int{x.Sims, x.Sims3G}
	}
	if got3G["S1"] != [2]int{1, 0} || got3G["S2"] != [2]int{1, 1} {
		t.Errorf("school counts %+v", sc.Schools)
	}
	var areas struct {
		Areas []struct {
			Code   string `json:"code"`
			Sims3G int    `json:"sims_3g"`
		} `json:"areas"`
	}
	c.json("GET", "/api/v1/allocation/runs/"+strconv.FormatInt(runID, 10)+"/areas", token["viewer"], nil, http.StatusOK, &areas)
	if len(areas.Areas) != 4 {
		t.Errorf("areas %+v", areas.Areas)
	}
	for _, a := range areas.Areas {
		if want := map[string]int{"24": 1, "213": 1, "7210": 0, "7211": 1}[a.Code]; a.Sims3G != want {
			t.Errorf("area %s: sims_3g %d, want %d", a.Code, a.Sims3G, want)
		}
	}

	act := today.AddDate(0, 0, -70)
	if act.Day() > 28 {
		act = time.Date(act.Year(), act.Month(), 28, 0, 0, 0, 0, time.UTC)
	}
	end := time.Date(act.Year(), act.Month()+3, act.Day(), 0, 0, 0, 0, time.UTC)
	c.json("POST", "/api/v1/allocation/students/ST1/handover", token["officer-a"], map[string]any{"sim_activated": "2099-01-01"}, http.StatusUnprocessableEntity, nil)
	c.json("POST", "/api/v1/allocation/students/ST1/return", token["officer-a"], map[string]any{"reason": "x", "sim_activated": day(act)}, http.StatusBadRequest, nil)
	c.json("POST", "/api/v1/allocation/students/ST1/handover", token["officer-a"], map[string]any{"date": day(today), "sim_activated": day(act)}, http.StatusOK, &one)
	if one.Allocation.SimNetwork != "4G" || !strings.HasPrefix(one.Allocation.Handover.SimActivatedOn, day(act)) ||
		!strings.HasPrefix(one.Allocation.Handover.SimEndsOn, day(end)) || one.Allocation.Handover.SimRenewals != 0 {
		t.Errorf("ST1 after the handover: %+v (want ends %s)", one.Allocation, day(end))
	}
	c.json("POST", "/api/v1/allocation/students/ST3/handover", token["officer-b"], map[string]any{"date": day(today)}, http.StatusOK, nil)

	type ending struct {
		WithinDays int    `json:"within_days"`
		From       string `json:"from"`
		To         string `json:"to"`
		Sims       []struct {
			StudentID string `json:"student_id"`
			Network   string `json:"network"`
			EndsOn    string `json:"ends_on"`
			DaysLeft  int    `json:"days_left"`
		} `json:"sims"`
	}
	var e ending
	c.json("GET", "/api/v1/allocation/sims/ending?within_days=30&on="+day(today), token["officer-a"], nil, http.StatusOK, &e)
	if e.WithinDays != 30 || e.From != day(today) || e.To != day(today.AddDate(0, 0, 30)) || len(e.Sims) != 1 || e.Sims[0].StudentID != "ST1" || !strings.HasPrefix(e.Sims[0].EndsOn, day(end)) || e.Sims[0].Network != "4G" {
		t.Errorf("officer-a, 30 days: %+v", e)
	}
	c.json("GET", "/api/v1/allocation/sims/ending?within_days=30", token["officer-b"], nil, http.StatusOK, &e)
	if len(e.Sims) != 0 {
		t.Errorf("officer-b, 30 days: %+v", e)
	}
	c.json("GET", "/api/v1/allocation/sims/ending?within_days=120", token["officer-b"], nil, http.StatusOK, &e)
	if len(e.Sims) != 1 || e.Sims[0].StudentID != "ST3" || e.Sims[0].Network != "3G" {
		t.Errorf("officer-b, 120 days: %+v", e)
	}
	c.json("GET", "/api/v1/allocation/sims/ending?within_days=120", token["admin"], nil, http.StatusOK, &e)
	if len(e.Sims) != 2 {
		t.Errorf("admin, 120 days: %+v", e)
	}
	c.json("GET", "/api/v1/allocation/sims/ending?within_days=-3", token["admin"], nil, http.StatusUnprocessableEntity, nil)
	status, b := c.do("GET", "/api/v1/allocation/sims/ending?within_days=30&format=csv", token["officer-a"], "", nil)
	if status != http.StatusOK || !bytes.HasPrefix(b, []byte("\ufeffstudent_id,")) || !bytes.Contains(b, []byte("\nST1,S1,7210,viettel,4G,P1,")) {
		t.Errorf("csv: %d %s", status, b)
	}
	status, b = c.do("GET", "/api/v1/allocation/sims/ending?within_days=30&format=xlsx", token["officer-a"], "", nil)
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if status != http.StatusOK || err != nil {
		t.Fatalf("xlsx: %d %v", status, err)
	}
	rows, _ := f.GetRows(f.GetSheetList()[0])
	f.Close()
	if len(rows) != 4 || rows[2][0] != "Mã học sinh" || rows[3][0] != "ST1" || rows[3][4] != "4G" {
		t.Errorf("xlsx rows %q", rows)
	}

	// Renewals.
	var ren struct {
		StudentID string `json:"student_id"`
		Renewal   struct {
			Kind, StartsOn, EndsOn string
		} `json:"renewal"`
		Periods []struct {
			Kind string `json:"kind"`
		} `json:"periods"`
	}
	c.json("POST", "/api/v1/allocation/students/ST3/renew", token["officer-a"], map[string]any{"package_id": "P1"}, http.StatusNotFound, nil)
	c.json("POST", "/api/v1/allocation/students/ST1/renew", token["officer-a"], map[string]any{"package_id": "P9"}, http.StatusNotFound, nil)
	c.json("POST", "/api/v1/allocation/students/ST1/renew", token["officer-a"], map[string]any{"package_id": "P3"}, http.StatusUnprocessableEntity, nil)
	c.json("POST", "/api/v1/allocation/students/ST2/renew", token["officer-a"], map[string]any{"package_id": "P1"}, http.StatusNotFound, nil)
	b = c.json("POST", "/api/v1/allocation/students/ST1/renew", token["officer-a"], map[string]any{"package_id": "P1", "date": day(today)}, http.StatusOK, &ren)
	if ren.StudentID != "ST1" || len(ren.Periods) != 2 || ren.Periods[1].Kind != "renewal" ||
		!bytes.Contains(b, []byte(`"starts_on":"`+day(end)+`"`)) || !bytes.Contains(b, []byte(`"ends_on":"`+day(end.AddDate(0, 3, 0))+`"`)) {
		t.Errorf("renewal: %s", b)
	}
	c.json("GET", "/api/v1/allocation/sims/ending?within_days=30", token["officer-a"], nil, http.StatusOK, &e)
	if len(e.Sims) != 0 {
		t.Errorf("after the renewal: %+v", e)
	}
	if n := allocCount(ctx, t, st, `SELECT count(*) FROM allocation_ledger WHERE action = 'allocate_sim' AND student_id = 'ST1' AND actor = 'officer-a' AND reason LIKE 'renewal%'`); n != 1 {
		t.Errorf("%d renewals in the ledger", n)
	}
}
