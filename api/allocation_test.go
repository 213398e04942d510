package api_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gapmap/gapmap/allocation/report"
	"github.com/gapmap/gapmap/allocation/runs"
	"github.com/gapmap/gapmap/api"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/importer"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
	"github.com/xuri/excelize/v2"
)

// allocSquare is a 0.1° square polygon at lon, lat as GeoJSON.
func allocSquare(lon, lat float64) string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	return `{"type":"Polygon","coordinates":[[[` + f(lon) + `,` + f(lat) + `],[` + f(lon+0.1) + `,` + f(lat) + `],[` +
		f(lon+0.1) + `,` + f(lat+0.1) + `],[` + f(lon) + `,` + f(lat+0.1) + `],[` + f(lon) + `,` + f(lat) + `]]]}`
}

// The hand-checked province of cmd/gapmap's allocation tests: province 24,
// district 213, communes 7210 (school S1: ST1 tier 1 4G Viettel, ST6 tier 1
// no coverage result, ST2 tier 2 fiber) and 7211 (school S2: ST3 tier 1 no
// network, ST4 tier 3 4G MobiFone). Three devices pass (DV1, DV2, DV3),
// DV4 is liquidated (RAM 1 GB), DV5 goes to repair (no charger). S1 gets 2
// devices (ST1 with a Viettel SIM from P1, ST6), S2 gets 1 (ST3).
const (
	allocDevicesCSV = "device_id,donor,type,os,os_version,cpu_ghz,ram_gb,storage_gb,free_storage_gb,has_charger,av_ok,screen_ok,keyboard_ok,has_monitor,wifi,serial,imei,area_code\n" +
		"DV1,Quỹ Vì em,tablet,android,10,,3,32,20,true,true,true,true,true,true,SN-T1,356938035643809,\n" +
		"DV2,Quỹ Vì em,tablet,android,11,,4,64,30,true,true,true,true,true,true,SN-T2,,213\n" +
		"DV3,Viettel,phone,android,9,,2,32,12,true,true,true,true,true,true,,356938035643817,\n" +
		"DV4,Cá nhân,laptop,windows,10,1.6,1,256,100,true,true,true,true,true,true,SN-L4,,\n" +
		"DV5,Cá nhân,phone,android,10,,3,32,20,false,true,true,true,true,true,,356938035643825,\n"
)

func allocBaseFiles(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"areas.geojson": `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"24","name":"Bắc Giang","level":"province"},"geometry":` + allocSquare(106.0, 21.2) + `},
{"type":"Feature","properties":{"code":"213","name":"TP Bắc Giang","level":"district","parent_code":"24"},"geometry":` + allocSquare(106.0, 21.2) + `},
{"type":"Feature","properties":{"code":"7210","name":"Trần Nguyên Hãn","level":"commune","parent_code":"213"},"geometry":` + allocSquare(106.0, 21.2) + `},
{"type":"Feature","properties":{"code":"7211","name":"Ngô Quyền","level":"commune","parent_code":"213"},"geometry":` + allocSquare(106.0, 21.2) + `}]}`,
		"schools.csv": "school_id,name,level,lat,lon,area_code,students,internet\n" +
			"S1,Tiểu học Trần Phú,primary,21.25,106.05,7210,300,fiber\n" +
			"S2,THCS Ngô Quyền,lower,21.26,106.06,7211,400,4g\n",
		"households.csv": "household_id,lat,lon,area_code,location_precision,poverty,members\n" +
			"H1,21.25,106.05,7210,gps,poor,4\nH2,21.25,106.05,7210,gps,near_poor,4\nH3,21.26,106.06,7211,gps,poor,4\n" +
			"H4,21.26,106.06,7211,gps,none,4\nH5,21.26,106.06,7211,gps,none,4\nH6,21.25,106.05,7210,gps,poor,4\n",
		"students.csv": "student_id,household_id,school_id,grade,priority,has_device,covid_orphan\n" +
			"ST1,H1,S1,3,1,false,\nST2,H2,S1,4,2,false,\nST3,H3,S2,7,1,false,\nST4,H4,S2,8,3,false,true\nST5,H5,S2,8,0,false,\n" +
			"ST6,H6,S1,2,1,false,\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// allocSimsXLSX is sim_packages as an Excel file with Vietnamese-free
// headers: P1 Viettel 4 GB/day (passes), P2 MobiFone 1 GB/day (rejected).
func allocSimsXLSX(t *testing.T) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	rows := [][]any{
		{"package_id", "operator", "gb_per_day", "months", "quantity", "area_code"},
		{"P1", "viettel", 4, 3, 10, "24"},
		{"P2", "mobifone", 1, 3, 10, ""},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// allocStoreCoverage records a coverage run with the homes' connectivity.
func allocStoreCoverage(ctx context.Context, t *testing.T, st *postgis.Store) {
	t.Helper()
	var runID int64
	if err := st.Pool().QueryRow(ctx, `INSERT INTO coverage_runs (parameters) VALUES ('{}') RETURNING id`).Scan(&runID); err != nil {
		t.Fatal(err)
	}
	for _, h := range []struct {
		id, class string
		ops       []string
	}{{"H1", "4g", []string{"viettel", "vinaphone"}}, {"H2", "fiber", []string{"viettel"}}, {"H3", "none", []string{}},
		{"H4", "4g", []string{"mobifone"}}, {"H5", "4g", []string{"mobifone"}}} {
		if _, err := st.Pool().Exec(ctx, `INSERT INTO coverage_entities (run_id, entity_type, entity_id, h3, connectivity, operators_4g, geom)
			VALUES ($1, 'household', $2, 0, $3, $4, ST_SetSRID(ST_MakePoint(106.05, 21.25), 4326))`, runID, h.id, h.class, h.ops); err != nil {
			t.Fatal(err)
		}
	}
}

type allocClient struct {
	t    *testing.T
	base string
}

// do sends a request as the holder of token ("" for none) and returns the
// status and body.
func (c allocClient) do(method, path, token, contentType string, body io.Reader) (int, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, b
}

func (c allocClient) json(method, path, token string, in any, want int, out any) []byte {
	c.t.Helper()
	var body io.Reader
	ct := ""
	if in != nil {
		b, _ := json.Marshal(in)
		body, ct = bytes.NewReader(b), "application/json"
	}
	status, b := c.do(method, path, token, ct, body)
	if status != want {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return b
}

// upload sends a multipart inventory upload.
func (c allocClient) upload(token string, files map[string][2]string) (int, []byte) {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for field, f := range files {
		w, err := mw.CreateFormFile(field, f[0])
		if err != nil {
			c.t.Fatal(err)
		}
		if _, err := w.Write([]byte(f[1])); err != nil {
			c.t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		c.t.Fatal(err)
	}
	return c.do(http.MethodPost, "/api/v1/allocation/inventory", token, mw.FormDataContentType(), &buf)
}

type allocErrorBody struct {
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

func allocCount(ctx context.Context, t *testing.T, st *postgis.Store, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := st.Pool().QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAllocationAPI drives every allocation endpoint as every role against
// PostGIS: upload, preview job, commit, results per area and school, the
// handover list, handover updates, and the audit log.
func TestAllocationAPI(t *testing.T) {
	ctx := context.Background()
	st := pgtest.New(t)
	if _, err := importer.ImportDir(ctx, st, allocBaseFiles(t), importer.Options{}); err != nil {
		t.Fatalf("import the base files: %v", err)
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
		{Name: "officer-district", Role: data.RoleOfficer, AreaCode: "213"}, {Name: "officer-province", Role: data.RoleOfficer, AreaCode: "24"},
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

	// Every route: 401 without a token, 403 for an operator.
	routes := [][2]string{
		{"POST", "/api/v1/allocation/inventory"}, {"POST", "/api/v1/allocation/previews"}, {"POST", "/api/v1/allocation/commits"},
		{"GET", "/api/v1/allocation/runs"}, {"GET", "/api/v1/allocation/runs/1"}, {"GET", "/api/v1/allocation/runs/1/areas"},
		{"GET", "/api/v1/allocation/runs/1/schools"}, {"GET", "/api/v1/allocation/runs/1/schools/S1"},
		{"GET", "/api/v1/allocation/runs/1/schools/S1/handover.xlsx"}, {"GET", "/api/v1/allocation/students/ST1"},
		{"POST", "/api/v1/allocation/students/ST1/handover"}, {"POST", "/api/v1/allocation/students/ST1/return"},
		{"POST", "/api/v1/allocation/students/ST1/cancel"},
	}
	for _, rt := range routes {
		if status, b := c.do(rt[0], rt[1], "", "", nil); status != http.StatusUnauthorized || !strings.Contains(string(b), `"unauthorized"`) {
			t.Errorf("%s %s without a token: %d %s, want 401", rt[0], rt[1], status, b)
		}
		if status, b := c.do(rt[0], rt[1], token["viettel"], "", nil); status != http.StatusForbidden || !strings.Contains(string(b), `"forbidden"`) {
			t.Errorf("%s %s as an operator: %d %s, want 403", rt[0], rt[1], status, b)
		}
	}

	// Inventory: officers and admins only.
	inventory := map[string][2]string{"devices": {"ThietBi.csv", allocDevicesCSV}, "sim_packages": {"GoiSIM.xlsx", string(allocSimsXLSX(t))}}
	for _, who := range []string{"planner", "viewer"} {
		if status, _ := c.upload(token[who], inventory); status != http.StatusForbidden {
			t.Errorf("inventory upload as %s: %d, want 403", who, status)
		}
	}
	// A bad file: every row error, nothing written.
	bad := "device_id,donor,type,os,os_version,ram_gb,storage_gb,free_storage_gb,has_charger\n" +
		"DX1,A,toaster,android,10,3,32,20,true\nDX1,A,phone,android,10,abc,32,20,true\n"
	status, b := c.upload(token["officer-a"], map[string][2]string{"devices": {"Hong.csv", bad}, "sim_packages": inventory["sim_packages"]})
	if status != http.StatusUnprocessableEntity {
		t.Fatalf("bad upload: %d %s, want 422", status, b)
	}
	var eb allocErrorBody
	if err := json.Unmarshal(b, &eb); err != nil {
		t.Fatal(err)
	}
	if eb.Error.Code != "validation_failed" || len(eb.Error.Details) < 3 {
		t.Errorf("bad upload: %s", b)
	}
	rows := map[int]bool{}
	for _, d := range eb.Error.Details {
		if d.File != "Hong.csv" {
			t.Errorf("error names file %q, want the uploaded name Hong.csv: %+v", d.File, d)
		}
		rows[d.Row] = true
	}
	if !rows[2] || !rows[3] {
		t.Errorf("errors on rows %v, want rows 2 (type) and 3 (duplicate id, RAM)", rows)
	}
	if n := allocCount(ctx, t, st, `SELECT count(*) FROM devices`) + allocCount(ctx, t, st, `SELECT count(*) FROM sim_packages`); n != 0 {
		t.Errorf("a failed upload wrote %d rows", n)
	}
	if status, b := c.upload(token["officer-a"], map[string][2]string{"laptops": {"x.csv", "a"}}); status != http.StatusBadRequest {
		t.Errorf("unknown file field: %d %s", status, b)
	}

	status, b = c.upload(token["officer-a"], inventory)
	if status != http.StatusOK {
		t.Fatalf("upload: %d %s", status, b)
	}
	var inv struct {
		Imports []struct {
			Kind     string `json:"kind"`
			File     string `json:"file"`
			Inserted int64  `json:"inserted"`
		} `json:"imports"`
		Devices []struct {
			DeviceID  string   `json:"device_id"`
			OK        bool     `json:"ok"`
			Status    string   `json:"status"`
			Reasons   []string `json:"reasons"`
			Liquidate []string `json:"liquidate"`
			Type      string   `json:"type"`
			Action    string   `json:"action"`
		} `json:"devices"`
		SimPackages []struct {
			PackageID string   `json:"package_id"`
			OK        bool     `json:"ok"`
			Reasons   []string `json:"reasons"`
			Operator  string   `json:"operator"`
			Quantity  int      `json:"quantity"`
		} `json:"sim_packages"`
		DeviceStatus map[string]int `json:"device_status"`
	}
	if err := json.Unmarshal(b, &inv); err != nil {
		t.Fatal(err)
	}
	imported := map[string]string{}
	for _, im := range inv.Imports {
		imported[im.Kind] = im.File + ":" + strconv.FormatInt(im.Inserted, 10)
	}
	if imported["devices"] != "ThietBi.csv:5" || imported["sim_packages"] != "GoiSIM.xlsx:2" || len(imported) != 2 {
		t.Errorf("imports %v", imported)
	}
	check := map[string]string{}
	for _, d := range inv.Devices {
		check[d.DeviceID] = d.Status + ":" + strings.Join(d.Reasons, ";") + ":" + strconv.FormatBool(d.OK)
	}
	want := map[string]string{"DV1": "ok::true", "DV2": "ok::true", "DV3": "ok::true", "DV4": "liquidate:ram_below_2gb:false", "DV5": "repair:no_charger:false"}
	for id, w := range want {
		if check[id] != w {
			t.Errorf("spec check of %s = %q, want %q", id, check[id], w)
		}
	}
	if len(check) != 5 || inv.DeviceStatus["ok"] != 3 || inv.DeviceStatus["repair"] != 1 || inv.DeviceStatus["liquidate"] != 1 {
		t.Errorf("device checks %v, counts %v", check, inv.DeviceStatus)
	}
	for _, d := range inv.Devices {
		if d.DeviceID == "DV4" && (!strings.HasPrefix(d.Action, "liquidate") || !slices.Equal(d.Liquidate, []string{"ram_below_2gb"}) || d.Type != "laptop") {
			t.Errorf("DV4: %+v", d)
		}
	}
	sims := map[string]string{}
	for _, p := range inv.SimPackages {
		sims[p.PackageID] = strconv.FormatBool(p.OK) + ":" + strings.Join(p.Reasons, ";") + ":" + p.Operator + ":" + strconv.Itoa(p.Quantity)
	}
	if sims["P1"] != "true::viettel:10" || sims["P2"] != "false:gb_per_day_below_min:mobifone:10" {
		t.Errorf("SIM checks %v", sims)
	}

	// Preview: a background job. Without a coverage run it fails clearly.
	var job struct {
		ID     int64           `json:"id"`
		Kind   string          `json:"kind"`
		Status string          `json:"status"`
		Phase  string          `json:"phase"`
		Result json.RawMessage `json:"result"`
		Error  string          `json:"error"`
	}
	waitJob := func(id int64) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			c.json("GET", "/api/v1/jobs/"+strconv.FormatInt(id, 10), token["planner"], nil, http.StatusOK, &job)
			if job.Status != data.JobRunning {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("job %d still running", id)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	c.json("POST", "/api/v1/allocation/previews", token["planner"], map[string]any{}, http.StatusAccepted, &job)
	waitJob(job.ID)
	if job.Status != data.JobFailed || !strings.Contains(job.Error, "coverage") {
		t.Errorf("preview without coverage: %s %q", job.Status, job.Error)
	}
	allocStoreCoverage(ctx, t, st)

	for _, who := range []string{"viewer"} {
		if status, _ := c.do("POST", "/api/v1/allocation/previews", token[who], "application/json", strings.NewReader("{}")); status != http.StatusForbidden {
			t.Errorf("preview as %s: %d, want 403", who, status)
		}
	}
	b = c.json("POST", "/api/v1/allocation/previews", token["planner"], map[string]any{"settings": map[string]any{"policy": "sideways"}}, http.StatusUnprocessableEntity, &eb)
	if len(eb.Error.Details) != 1 || eb.Error.Details[0].Column != "settings.policy" {
		t.Errorf("bad policy: %s", b)
	}
	// The tier order and area weights are checked before a job starts.
	b = c.json("POST", "/api/v1/allocation/previews", token["planner"], map[string]any{"tier_order": "tier1-only",
		"settings": map[string]any{"area_weights": map[string]any{"desert": 2, "coastal": -1}}}, http.StatusUnprocessableEntity, &eb)
	cols := map[string]bool{}
	for _, d := range eb.Error.Details {
		cols[d.Column] = true
	}
	if len(eb.Error.Details) != 3 || !cols["tier_order"] || !cols["settings.area_weights"] || !cols["settings.area_weights.coastal"] {
		t.Errorf("bad tier order and area weights: %s", b)
	}
	b = c.json("POST", "/api/v1/allocation/previews", token["planner"], map[string]any{"settings": map[string]any{"tier_order": "sideways"}}, http.StatusUnprocessableEntity, &eb)
	if len(eb.Error.Details) != 1 || eb.Error.Details[0].Column != "settings.tier_order" {
		t.Errorf("bad settings.tier_order: %s", b)
	}
	c.json("POST", "/api/v1/allocation/previews", token["planner"], map[string]any{"settings": map[string]any{"policy": "ready-first"}, "date": "2026-11-15", "tier_order": "fair"}, http.StatusAccepted, &job)
	if job.Kind != "allocation_preview" || job.Status != data.JobRunning {
		t.Errorf("preview job %+v", job)
	}
	waitJob(job.ID)
	var outcome struct {
		RunID     int64  `json:"run_id"`
		Status    string `json:"status"`
		Allocated int    `json:"allocated"`
		Sims      int    `json:"sims"`
		Needs     int    `json:"needs"`
		Summary   struct {
			Totals struct {
				Needs     int `json:"needs"`
				Allocated int `json:"allocated"`
				Unmet     int `json:"unmet"`
			} `json:"totals"`
			RejectedDevices int `json:"rejected_devices"`
		} `json:"summary"`
	}
	if job.Status != data.JobSucceeded || job.Phase != "done" {
		t.Fatalf("preview job %+v", job)
	}
	if err := json.Unmarshal(job.Result, &outcome); err != nil {
		t.Fatal(err)
	}
	if outcome.Status != "preview" || outcome.Allocated != 3 || outcome.Sims != 1 || outcome.Needs != 5 ||
		outcome.Summary.Totals.Needs != 5 || outcome.Summary.Totals.Unmet != 2 || outcome.Summary.RejectedDevices != 2 {
		t.Errorf("preview result %s", job.Result)
	}
	preview := outcome.RunID
	var runView struct {
		Run struct {
			Settings struct {
				TierOrder string `json:"tier_order"`
			} `json:"settings"`
		} `json:"run"`
		Totals struct {
			Pupils              int     `json:"pupils"`
			PupilsWithoutDevice int     `json:"pupils_without_device"`
			Equipped            int     `json:"equipped"`
			EquippedPct         float64 `json:"equipped_pct"`
			Tier12Pupils        int     `json:"tier12_pupils"`
			Tier12Equipped      int     `json:"tier12_equipped"`
		} `json:"totals"`
	}
	// 6 pupils, none with a device; 3 served: 50 %; tier 1–2: 4 pupils,
	// the 3 served of tier 1.
	b = c.json("GET", "/api/v1/allocation/runs/"+strconv.FormatInt(preview, 10), token["planner"], nil, http.StatusOK, &runView)
	if tt := runView.Totals; runView.Run.Settings.TierOrder != "fair" || tt.Pupils != 6 || tt.PupilsWithoutDevice != 6 ||
		tt.Equipped != 3 || tt.EquippedPct != 50 || tt.Tier12Pupils != 4 || tt.Tier12Equipped != 3 {
		t.Errorf("preview run: tier order %q, totals %+v: %s", runView.Run.Settings.TierOrder, tt, b)
	}
	if n := allocCount(ctx, t, st, `SELECT count(*) FROM allocations`); n != 0 {
		t.Errorf("a preview allocated %d rows", n)
	}
	// A preview's results are readable: planner sees students of S2.
	var school struct {
		Name        string `json:"name"`
		AreaCode    string `json:"area_code"`
		Allocations []struct {
			StudentID    string `json:"student_id"`
			DeviceID     string `json:"device_id"`
			SimPackageID string `json:"sim_package_id"`
			Flag         string `json:"flag"`
			Grade        int    `json:"grade"`
			Handover     *struct {
				Status       string  `json:"status"`
				SimICCID     string  `json:"sim_iccid"`
				HandedOverOn *string `json:"handed_over_on"`
			} `json:"handover"`
		} `json:"allocations"`
		Unserved []struct {
			StudentID string `json:"student_id"`
		} `json:"unserved"`
	}
	c.json("GET", "/api/v1/allocation/runs/"+strconv.FormatInt(preview, 10)+"/schools/S2", token["planner"], nil, http.StatusOK, &school)
	if len(school.Allocations) != 1 || school.Allocations[0].StudentID != "ST3" || school.Allocations[0].Flag != "needs_connectivity" ||
		school.Allocations[0].Handover != nil || len(school.Unserved) != 1 || school.Unserved[0].StudentID != "ST4" {
		t.Errorf("preview, school S2: %+v", school)
	}

	// Commit: officers and admins only.
	if status, _ := c.do("POST", "/api/v1/allocation/commits", token["planner"], "application/json", strings.NewReader(`{}`)); status != http.StatusForbidden {
		t.Errorf("commit as planner: %d, want 403", status)
	}
	if status, _ := c.do("POST", "/api/v1/allocation/commits", token["viewer"], "application/json", strings.NewReader(`{}`)); status != http.StatusForbidden {
		t.Errorf("commit as viewer: %d, want 403", status)
	}
	// A commit allocates across the province: officers below it may not.
	for _, who := range []string{"officer-a", "officer-district"} {
		var denied allocErrorBody
		c.json("POST", "/api/v1/allocation/commits", token[who], map[string]any{"preview_run_id": preview}, http.StatusForbidden, &denied)
		if denied.Error.Code != "forbidden" || !strings.Contains(denied.Error.Message, "officer of the province") {
			t.Errorf("commit as %s: %+v", who, denied.Error)
		}
	}
	c.json("POST", "/api/v1/allocation/commits", token["officer-province"], map[string]any{"preview_run_id": 999}, http.StatusNotFound, nil)
	c.json("POST", "/api/v1/allocation/commits", token["officer-province"], map[string]any{"preview_run_id": preview}, http.StatusCreated, &outcome)
	if outcome.Status != "committed" || outcome.Allocated != 3 || outcome.Sims != 1 {
		t.Errorf("commit %+v", outcome)
	}
	committed := outcome.RunID
	c.json("POST", "/api/v1/allocation/commits", token["officer-province"], map[string]any{"preview_run_id": committed}, http.StatusConflict, &eb)
	if n := allocCount(ctx, t, st, `SELECT count(*) FROM allocations WHERE benefit = 'device' AND run_id = $1`, committed); n != 3 {
		t.Errorf("%d device allocations committed, want 3", n)
	}
	run := "/api/v1/allocation/runs/" + strconv.FormatInt(committed, 10)

	// Runs: every reading role; a viewer sees the list and the totals.
	var list struct {
		Runs []struct {
			ID      int64  `json:"id"`
			Status  string `json:"status"`
			Actor   string `json:"actor"`
			Devices int    `json:"devices"`
		} `json:"runs"`
	}
	c.json("GET", "/api/v1/allocation/runs", token["viewer"], nil, http.StatusOK, &list)
	if len(list.Runs) < 2 || list.Runs[0].ID != committed || list.Runs[0].Status != "committed" || list.Runs[0].Actor != "officer-province" || list.Runs[0].Devices != 3 {
		t.Errorf("runs %+v", list.Runs)
	}

	// Per area: everything for a viewer, only its subtree for an officer.
	var areas struct {
		Totals struct {
			Code      string `json:"code"`
			Needs     int    `json:"needs"`
			Allocated int    `json:"allocated"`
		} `json:"totals"`
		Areas []struct {
			Code       string `json:"code"`
			NeedsTier1 int    `json:"needs_tier1"`
			Allocated  int    `json:"allocated"`
			Unmet      int    `json:"unmet"`
		} `json:"areas"`
	}
	b = c.json("GET", run+"/areas", token["viewer"], nil, http.StatusOK, &areas)
	got := map[string]int{}
	for _, a := range areas.Areas {
		got[a.Code] = a.Allocated
	}
	if areas.Totals.Needs != 5 || areas.Totals.Allocated != 3 || len(got) != 4 || got["24"] != 3 || got["213"] != 3 || got["7210"] != 2 || got["7211"] != 1 {
		t.Errorf("areas as viewer: %s", b)
	}
	if strings.Contains(string(b), "ST1") || strings.Contains(string(b), "student") {
		t.Errorf("the per-area answer names students: %s", b)
	}
	c.json("GET", run+"/areas", token["officer-a"], nil, http.StatusOK, &areas)
	if len(areas.Areas) != 1 || areas.Areas[0].Code != "7210" || areas.Areas[0].Allocated != 2 || areas.Areas[0].NeedsTier1 != 2 ||
		areas.Totals.Code != "7210" || areas.Totals.Allocated != 2 {
		t.Errorf("areas as officer of 7210: %+v", areas)
	}

	// Per school counts: a viewer sees counts, never a student.
	var schools struct {
		Schools []struct {
			SchoolID  string `json:"school_id"`
			Name      string `json:"name"`
			Allocated int    `json:"allocated"`
			Sims      int    `json:"sims"`
			Pending   int    `json:"pending"`
			Unserved  int    `json:"unserved"`
		} `json:"schools"`
	}
	b = c.json("GET", run+"/schools", token["viewer"], nil, http.StatusOK, &schools)
	if len(schools.Schools) != 2 || schools.Schools[0].SchoolID != "S1" || schools.Schools[0].Allocated != 2 || schools.Schools[0].Sims != 1 ||
		schools.Schools[0].Pending != 2 || schools.Schools[0].Unserved != 1 || schools.Schools[0].Name != "Tiểu học Trần Phú" ||
		schools.Schools[1].SchoolID != "S2" || schools.Schools[1].Allocated != 1 || schools.Schools[1].Unserved != 1 {
		t.Errorf("schools as viewer: %s", b)
	}
	if strings.Contains(string(b), "ST") {
		t.Errorf("the per-school counts name students: %s", b)
	}
	c.json("GET", run+"/schools", token["officer-b"], nil, http.StatusOK, &schools)
	if len(schools.Schools) != 1 || schools.Schools[0].SchoolID != "S2" {
		t.Errorf("schools as officer of 7211: %+v", schools)
	}

	// A school's students: not for viewers; another area's school is 404.
	c.json("GET", run+"/schools/S1", token["viewer"], nil, http.StatusForbidden, nil)
	c.json("GET", run+"/schools/S2", token["officer-a"], nil, http.StatusNotFound, nil)
	c.json("GET", run+"/schools/NOPE", token["planner"], nil, http.StatusNotFound, nil)
	c.json("GET", run+"/schools/S1", token["officer-a"], nil, http.StatusOK, &school)
	ids := []string{}
	for _, a := range school.Allocations {
		ids = append(ids, a.StudentID)
		if a.Handover == nil || a.Handover.Status != "pending" {
			t.Errorf("%s handover %+v, want pending", a.StudentID, a.Handover)
		}
	}
	if !slices.Equal(ids, []string{"ST1", "ST6"}) || school.Allocations[0].SimPackageID != "P1" || school.Allocations[0].Grade != 3 ||
		len(school.Unserved) != 1 || school.Unserved[0].StudentID != "ST2" {
		t.Errorf("school S1 as officer of 7210: %+v", school)
	}
	c.json("GET", run+"/schools/S2", token["officer-district"], nil, http.StatusOK, nil)

	// Handover list (XLSX).
	for who, want := range map[string]int{"viewer": http.StatusForbidden, "officer-b": http.StatusNotFound} {
		if status, _ := c.do("GET", run+"/schools/S1/handover.xlsx", token[who], "", nil); status != want {
			t.Errorf("handover list of S1 as %s: %d, want %d", who, status, want)
		}
	}
	xlsxRows := func(who string) [][]string {
		t.Helper()
		status, b := c.do("GET", run+"/schools/S1/handover.xlsx", token[who], "", nil)
		if status != http.StatusOK {
			t.Fatalf("handover list as %s: %d %s", who, status, b)
		}
		f, err := excelize.OpenReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := f.GetRows(f.GetSheetList()[0])
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	rowsX := xlsxRows("officer-a")
	if len(rowsX[4]) < 15 || rowsX[0][0] != "DANH SÁCH BÀN GIAO THIẾT BỊ — Tiểu học Trần Phú" || rowsX[2][1] != "Mã học sinh" || rowsX[2][11] != "Số ICCID" ||
		len(rowsX) < 5 || rowsX[3][1] != "ST6" || rowsX[4][1] != "ST1" || rowsX[4][14] != "Chờ bàn giao" {
		t.Errorf("handover list: %q", rowsX)
	}

	// One student: an officer of another area gets 404, as for no student.
	c.json("GET", "/api/v1/allocation/students/ST3", token["officer-a"], nil, http.StatusNotFound, nil)
	c.json("GET", "/api/v1/allocation/students/ST3", token["viewer"], nil, http.StatusForbidden, nil)
	var one struct {
		RunID      int64 `json:"run_id"`
		Allocation struct {
			StudentID string `json:"student_id"`
			DeviceID  string `json:"device_id"`
			Handover  struct {
				Status       string  `json:"status"`
				SimICCID     string  `json:"sim_iccid"`
				HandedOverOn *string `json:"handed_over_on"`
				ReturnedOn   *string `json:"returned_on"`
			} `json:"handover"`
		} `json:"allocation"`
	}
	c.json("GET", "/api/v1/allocation/students/ST3", token["officer-b"], nil, http.StatusOK, &one)
	if one.RunID != committed || one.Allocation.StudentID != "ST3" || one.Allocation.Handover.Status != "pending" {
		t.Errorf("ST3 as officer of 7211: %+v", one)
	}
	c.json("GET", "/api/v1/allocation/students/ST3", token["officer-district"], nil, http.StatusOK, nil)
	c.json("GET", "/api/v1/allocation/students/ST3", token["planner"], nil, http.StatusOK, nil)

	// Handover updates: officers (of the student's area) and admins only.
	hand := map[string]any{"iccid": "8984048000000000001", "date": "2026-11-20"}
	c.json("POST", "/api/v1/allocation/students/ST1/handover", token["planner"], hand, http.StatusForbidden, nil)
	c.json("POST", "/api/v1/allocation/students/ST1/handover", token["viewer"], hand, http.StatusForbidden, nil)
	c.json("POST", "/api/v1/allocation/students/ST1/handover", token["officer-b"], hand, http.StatusNotFound, nil)
	c.json("POST", "/api/v1/allocation/students/ST1/handover", token["officer-a"], map[string]any{"iccid": "12AB"}, http.StatusUnprocessableEntity, nil)
	// An ICCID is 19–20 digits with a valid Luhn check digit; the day is
	// not before the programme, the allocation (run date 2026-11-15) or in
	// the future. Each is a 422 naming the field.
	tomorrow := time.Now().Add(48 * time.Hour).Format("2006-01-02")
	for _, bad := range []struct{ iccid, date, column, reason string }{
		{"8984048000000000002", "2026-11-20", "iccid", "Luhn"},
		{"898404800000000001", "2026-11-20", "iccid", "19 or 20 digits"},
		{"898404800000000000001", "2026-11-20", "iccid", "19 or 20 digits"},
		{"8984048000000000001", "2021-08-31", "date", "before the programme began (2021-09-01)"},
		{"8984048000000000001", "2026-11-14", "date", "before the allocation"},
		{"8984048000000000001", tomorrow, "date", "in the future"},
	} {
		var eb allocErrorBody
		c.json("POST", "/api/v1/allocation/students/ST1/handover", token["officer-a"], map[string]any{"iccid": bad.iccid, "date": bad.date}, http.StatusUnprocessableEntity, &eb)
		if len(eb.Error.Details) != 1 || eb.Error.Details[0].Column != bad.column || !strings.Contains(eb.Error.Details[0].Reason, bad.reason) {
			t.Errorf("handover %s on %s: %+v, want %s: %s", bad.iccid, bad.date, eb.Error, bad.column, bad.reason)
		}
	}
	c.json("POST", "/api/v1/allocation/students/ST1/handover", token["officer-a"], hand, http.StatusOK, &one)
	if one.Allocation.Handover.Status != "handed_over" || one.Allocation.Handover.SimICCID != "8984048000000000001" ||
		one.Allocation.Handover.HandedOverOn == nil || !strings.HasPrefix(*one.Allocation.Handover.HandedOverOn, "2026-11-20") {
		t.Errorf("after the handover: %+v", one)
	}
	c.json("POST", "/api/v1/allocation/students/ST1/handover", token["officer-a"], hand, http.StatusConflict, nil)
	c.json("POST", "/api/v1/allocation/students/ST1/cancel", token["officer-a"], map[string]any{"reason": "nhầm"}, http.StatusConflict, nil)
	c.json("POST", "/api/v1/allocation/students/ST1/return", token["officer-a"], map[string]any{"date": "2026-11-22"}, http.StatusUnprocessableEntity, nil)
	var early allocErrorBody
	c.json("POST", "/api/v1/allocation/students/ST1/return", token["officer-a"], map[string]any{"reason": "chuyển trường", "date": "2026-11-19"}, http.StatusUnprocessableEntity, &early)
	if len(early.Error.Details) != 1 || early.Error.Details[0].Column != "date" || !strings.Contains(early.Error.Details[0].Reason, "before the handover (2026-11-20)") {
		t.Errorf("a return before the handover: %+v", early.Error)
	}
	c.json("POST", "/api/v1/allocation/students/ST1/return", token["officer-a"], map[string]any{"reason": "chuyển trường", "date": "2026-11-22"}, http.StatusOK, &one)
	if one.Allocation.Handover.Status != "returned" || one.Allocation.Handover.ReturnedOn == nil || !strings.HasPrefix(*one.Allocation.Handover.ReturnedOn, "2026-11-22") {
		t.Errorf("after the return: %+v", one)
	}
	c.json("POST", "/api/v1/allocation/students/ST6/cancel", token["officer-a"], map[string]any{}, http.StatusUnprocessableEntity, nil)
	c.json("POST", "/api/v1/allocation/students/ST6/cancel", token["admin"], map[string]any{"reason": "đã có máy"}, http.StatusOK, nil)
	c.json("GET", "/api/v1/allocation/students/ST6", token["officer-a"], nil, http.StatusNotFound, nil)
	c.json("POST", "/api/v1/allocation/students/NOPE/handover", token["admin"], hand, http.StatusNotFound, nil)

	// The list printed again shows it: ST1 with ICCID, date and return;
	// ST6 gone.
	rowsX = xlsxRows("planner")
	if len(rowsX) < 4 || len(rowsX[3]) < 15 || rowsX[3][1] != "ST1" || rowsX[3][11] != "8984048000000000001" || rowsX[3][12] != "20/11/2026" ||
		rowsX[3][14] != "Đã trả lại ngày 22/11/2026" || len(rowsX) > 4 && len(rowsX[4]) > 1 && rowsX[4][1] == "ST6" {
		t.Errorf("handover list after the handover: %q", rowsX)
	}

	// Every file of the run written again, as one ZIP: the same bytes
	// gapmap allocate --run N --out DIR writes (report.WriteDir of the
	// run read back); an officer gets its area's part; viewers none.
	status, zb := c.do("GET", run+"/files.zip", token["planner"], "", nil)
	if status != http.StatusOK {
		t.Fatalf("files.zip: %d %s", status, zb)
	}
	v, err := (&runs.Service{Store: st}).View(ctx, committed, runs.Scope{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "alloc")
	if err := report.WriteDir(ctx, dir, v); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(zb), int64(len(zb)))
	if err != nil {
		t.Fatal(err)
	}
	var entries []string
	for _, f := range zr.File {
		entries = append(entries, f.Name)
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		want, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Name)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("files.zip %s differs from the file gapmap allocate --run writes (%v)", f.Name, err)
		}
	}
	var onDisk []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() != ".gapmap-allocation" {
			rel, _ := filepath.Rel(dir, p)
			onDisk = append(onDisk, filepath.ToSlash(rel))
		}
		return err
	})
	slices.Sort(entries)
	slices.Sort(onDisk)
	if !slices.Equal(entries, onDisk) || !slices.Contains(entries, "handover/S1.xlsx") || !slices.Contains(entries, "explanation.md") {
		t.Errorf("files.zip holds %v, the directory %v", entries, onDisk)
	}
	if status, _ := c.do("GET", run+"/files.zip", token["viewer"], "", nil); status != http.StatusForbidden {
		t.Errorf("files.zip as viewer: %d, want 403", status)
	}
	status, zb = c.do("GET", run+"/files.zip", token["officer-b"], "", nil)
	if status != http.StatusOK {
		t.Fatalf("files.zip as officer-b: %d", status)
	}
	zr, _ = zip.NewReader(bytes.NewReader(zb), int64(len(zb)))
	for _, f := range zr.File {
		if f.Name == "handover/S1.xlsx" {
			t.Error("officer-b (7211) got S1's handover list (7210)")
		}
		if f.Name == "allocations.csv" {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			if bytes.Contains(b, []byte("ST1,")) || !bytes.Contains(b, []byte("ST3,")) {
				t.Errorf("officer-b's allocations.csv:\n%s", b)
			}
		}
	}

	// Two commits at once: the database keeps one device per student and
	// one student per device; each answer is 201 or 409.
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i], _ = c.do("POST", "/api/v1/allocation/commits", token["officer-province"], "application/json", strings.NewReader(`{"date":"2026-11-30"}`))
		}()
	}
	wg.Wait()
	for _, s := range statuses {
		if s != http.StatusCreated && s != http.StatusConflict {
			t.Errorf("concurrent commits answered %v", statuses)
		}
	}
	if n := allocCount(ctx, t, st, `SELECT count(*) FROM allocations WHERE benefit = 'device'`); n != 3 {
		t.Errorf("%d device allocations after the concurrent commits, want 3 (ST6's device served again once)", n)
	}
	if n := allocCount(ctx, t, st, `SELECT count(*) FROM (SELECT device_id FROM allocations WHERE benefit = 'device' GROUP BY device_id HAVING count(*) > 1) d`); n != 0 {
		t.Errorf("%d devices given twice", n)
	}

	// The audit log has every preview, commit, import and handover.
	for action, want := range map[string]int{"import": 1, "import_failed": 1, "allocation_preview": 2, "allocation_commit": 2,
		"allocation_handover": 1, "allocation_return": 1, "allocation_cancel": 1} {
		n := allocCount(ctx, t, st, `SELECT count(*) FROM audit_log WHERE action = $1`, action)
		if action == "allocation_commit" {
			if n < want {
				t.Errorf("audit %s: %d entries, want ≥ %d", action, n, want)
			}
			continue
		}
		if n != want {
			t.Errorf("audit %s: %d entries, want %d", action, n, want)
		}
	}
	if n := allocCount(ctx, t, st, `SELECT count(*) FROM audit_log WHERE action = 'allocation_handover' AND actor = 'officer-a' AND object = 'student ST1'`); n != 1 {
		t.Errorf("the handover's audit entry names %d times officer-a and ST1", n)
	}
}
