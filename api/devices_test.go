package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gapmap/gapmap/allocation"
	"github.com/gapmap/gapmap/allocation/runs"
	"github.com/gapmap/gapmap/api"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/importer"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
)

// TestDeviceLifecycleAPI: ST1 (school S1, commune 7210) received DV1 and
// returned it; an officer inspects it (ok: back in stock), reads its
// history (an officer of another commune does not see the student), sells
// DV4 and uploads its replacement; operators and viewers are refused
// everywhere, planners may only read.
func TestDeviceLifecycleAPI(t *testing.T) {
	ctx := context.Background()
	st := pgtest.New(t)
	dir := allocBaseFiles(t)
	if err := os.WriteFile(filepath.Join(dir, "devices.csv"), []byte(allocDevicesCSV), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := importer.ImportDir(ctx, st, dir, importer.Options{}); err != nil {
		t.Fatal(err)
	}
	allocStoreCoverage(ctx, t, st)
	svc := &runs.Service{Store: st}
	day := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }
	out, err := svc.Commit(ctx, runs.Options{Settings: allocation.DefaultSettings(), Actor: "cô Lan", Date: day(1)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.View.Allocations) != 3 || out.View.Allocations[0].StudentID != "ST1" || out.View.Allocations[0].DeviceID != "DV1" {
		t.Fatalf("run: %+v", out.View.Allocations)
	}
	if err := svc.Handover(ctx, "cô Lan", "ST1", "", day(3)); err != nil {
		t.Fatal(err)
	}
	if err := svc.Return(ctx, "cô Lan", "ST1", "chuyển trường", day(6)); err != nil {
		t.Fatal(err)
	}

	srv := api.NewServer(ctx, api.Deps{Store: st})
	t.Cleanup(func() { _ = srv.Close(context.Background()) })
	ts := httptest.NewServer(api.Validating(t, srv))
	t.Cleanup(ts.Close)
	c := allocClient{t: t, base: ts.URL}
	token := map[string]string{}
	for _, u := range []data.User{
		{Name: "planner", Role: data.RolePlanner}, {Name: "officer-a", Role: data.RoleOfficer, AreaCode: "7210"},
		{Name: "officer-b", Role: data.RoleOfficer, AreaCode: "7211"},
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
	routes := [][2]string{
		{"POST", "/api/v1/allocation/devices/DV1/inspections"}, {"GET", "/api/v1/allocation/devices/DV1/history"},
		{"POST", "/api/v1/allocation/liquidations"}, {"GET", "/api/v1/allocation/liquidations"},
		{"POST", "/api/v1/allocation/liquidations/1/replacements"},
	}
	for _, rt := range routes {
		if status, _ := c.do(rt[0], rt[1], "", "", nil); status != http.StatusUnauthorized {
			t.Errorf("%s %s anonymous: %d, want 401", rt[0], rt[1], status)
		}
		for _, who := range []string{"viettel", "viewer"} {
			if status, _ := c.do(rt[0], rt[1], token[who], "", nil); status != http.StatusForbidden {
				t.Errorf("%s %s as %s: %d, want 403", rt[0], rt[1], who, status)
			}
		}
		if rt[0] == "POST" {
			if status, _ := c.do(rt[0], rt[1], token["planner"], "", nil); status != http.StatusForbidden {
				t.Errorf("%s %s as planner: %d, want 403", rt[0], rt[1], status)
			}
		}
	}

	// Inspections.
	var eb allocErrorBody
	json.Unmarshal(c.json("POST", "/api/v1/allocation/devices/DV1/inspections", token["officer-a"], map[string]any{"result": "repair", "date": "2026-11-07"}, http.StatusUnprocessableEntity, nil), &eb)
	if len(eb.Error.Details) != 1 || eb.Error.Details[0].Column != "note" {
		t.Errorf("repair without a note: %+v", eb)
	}
	c.json("POST", "/api/v1/allocation/devices/DV2/inspections", token["officer-a"], map[string]any{"result": "ok", "date": "2026-11-07"}, http.StatusConflict, nil)
	c.json("POST", "/api/v1/allocation/devices/NOPE/inspections", token["officer-a"], map[string]any{"result": "ok", "date": "2026-11-07"}, http.StatusNotFound, nil)
	c.json("POST", "/api/v1/allocation/devices/DV1/inspections", token["officer-a"], map[string]any{"result": "ok", "date": "2026-11-05"}, http.StatusConflict, nil)
	// Another commune's officer does not see the device ST1 returned.
	c.json("POST", "/api/v1/allocation/devices/DV1/inspections", token["officer-b"], map[string]any{"result": "ok", "date": "2026-11-07"}, http.StatusNotFound, nil)
	var insp struct {
		ID          int64    `json:"id"`
		DeviceID    string   `json:"device_id"`
		InspectedOn string   `json:"inspected_on"`
		Inspector   string   `json:"inspector"`
		Result      string   `json:"result"`
		Reasons     []string `json:"reasons"`
		State       string   `json:"state"`
	}
	c.json("POST", "/api/v1/allocation/devices/DV1/inspections", token["officer-a"], map[string]any{"result": "ok", "date": "2026-11-07", "reasons": []string{"sach_se"}}, http.StatusCreated, &insp)
	if insp.DeviceID != "DV1" || insp.InspectedOn != "2026-11-07" || insp.Inspector != "officer-a" || insp.Result != "ok" || insp.State != "in_stock" ||
		len(insp.Reasons) != 1 || insp.Reasons[0] != "sach_se" || insp.ID == 0 {
		t.Errorf("inspection = %+v", insp)
	}

	// History: the student is shown to the officer of the student's area
	// and to the planner, not to another commune's officer.
	type history struct {
		DeviceID string `json:"device_id"`
		State    string `json:"state"`
		Entries  []struct {
			Action    string `json:"action"`
			Actor     string `json:"actor"`
			StudentID string `json:"student_id"`
			AreaCode  string `json:"area_code"`
			Reason    string `json:"reason"`
		} `json:"entries"`
	}
	for who, wantStudent := range map[string]string{"officer-a": "ST1", "planner": "ST1", "officer-b": ""} {
		var h history
		c.json("GET", "/api/v1/allocation/devices/DV1/history", token[who], nil, http.StatusOK, &h)
		var acts []string
		for _, e := range h.Entries {
			acts = append(acts, e.Action)
			if e.StudentID != wantStudent {
				t.Errorf("%s: entry %s shows student %q, want %q", who, e.Action, e.StudentID, wantStudent)
			}
		}
		if h.State != "in_stock" || strings.Join(acts, " ") != "allocate_device handover return inspect restock" {
			t.Errorf("%s: history %+v", who, h)
		}
		if len(h.Entries) == 5 && (h.Entries[3].Reason != "ok on 2026-11-07. sach_se" || h.Entries[3].Actor != "officer-a" || h.Entries[0].AreaCode != "7210") {
			t.Errorf("%s: inspect entry %+v", who, h.Entries[3])
		}
	}
	c.json("GET", "/api/v1/allocation/devices/NOPE/history", token["planner"], nil, http.StatusNotFound, nil)

	// A sale.
	json.Unmarshal(c.json("POST", "/api/v1/allocation/liquidations", token["officer-a"], map[string]any{"devices": []string{"DV2", "DV4"}, "amount_vnd": 1500000, "date": "2026-11-20"},
		http.StatusUnprocessableEntity, nil), &eb)
	if len(eb.Error.Details) != 1 || eb.Error.Details[0].Value != "DV2" || !strings.Contains(eb.Error.Details[0].Reason, "allocated to a student") {
		t.Errorf("selling an allocated device: %+v", eb)
	}
	c.json("POST", "/api/v1/allocation/liquidations", token["officer-a"], map[string]any{"devices": []string{"DV4"}}, http.StatusUnprocessableEntity, nil)
	type liquidation struct {
		ID        int64  `json:"id"`
		SoldOn    string `json:"sold_on"`
		Buyer     string `json:"buyer"`
		AmountVND int64  `json:"amount_vnd"`
		Devices   []struct {
			DeviceID   string `json:"device_id"`
			DeviceType string `json:"device_type"`
			Serial     string `json:"serial"`
		} `json:"devices"`
		Replacements []string `json:"replacements"`
	}
	var l liquidation
	c.json("POST", "/api/v1/allocation/liquidations", token["officer-a"], map[string]any{"devices": []string{"DV4"}, "amount_vnd": 1500000, "date": "2026-11-20", "buyer": "Cửa hàng Minh"},
		http.StatusCreated, &l)
	if l.ID == 0 || l.SoldOn != "2026-11-20" || l.AmountVND != 1500000 || l.Buyer != "Cửa hàng Minh" || len(l.Devices) != 1 ||
		l.Devices[0].DeviceID != "DV4" || l.Devices[0].DeviceType != "laptop" || l.Devices[0].Serial != "SN-L4" || len(l.Replacements) != 0 {
		t.Errorf("liquidation = %+v", l)
	}

	// Its replacements.
	upload := func(path, name, body string) (int, []byte) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		w, _ := mw.CreateFormFile("devices", name)
		w.Write([]byte(body))
		mw.Close()
		return c.do("POST", path, token["officer-a"], mw.FormDataContentType(), &buf)
	}
	head := strings.SplitN(allocDevicesCSV, "\n", 2)[0] + "\n"
	if status, b := upload("/api/v1/allocation/liquidations/999/replacements", "moi.csv", head+"NEW1,,tablet,android,12,,4,64,50,true,true,true,true,true,true,SN-N1,,\n"); status != http.StatusNotFound {
		t.Errorf("replacements of an unknown sale: %d %s", status, b)
	}
	if status, b := upload("/api/v1/allocation/liquidations/"+itoa(l.ID)+"/replacements", "moi.csv", head+"NEW9,,tablet,android,12,,1,64,50,true,true,true,true,true,true,SN-N9,,\n"); status != http.StatusUnprocessableEntity {
		t.Errorf("a replacement below the specs: %d %s", status, b)
	}
	status, b := upload("/api/v1/allocation/liquidations/"+itoa(l.ID)+"/replacements", "moi.csv", head+"NEW1,,tablet,android,12,,4,64,50,true,true,true,true,true,true,SN-N1,,\n")
	if status != http.StatusCreated {
		t.Fatalf("replacements: %d %s", status, b)
	}
	var rep struct {
		Liquidation liquidation `json:"liquidation"`
		Imported    struct {
			Inserted int64 `json:"inserted"`
		} `json:"imported"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Imported.Inserted != 1 || len(rep.Liquidation.Replacements) != 1 || rep.Liquidation.Replacements[0] != "NEW1" {
		t.Errorf("replacements = %s", b)
	}
	var donor string
	if err := st.Pool().QueryRow(ctx, `SELECT o.name FROM devices d JOIN donors o USING (donor_id) WHERE d.device_id = 'NEW1'`).Scan(&donor); err != nil || donor != "Từ thanh lý" {
		t.Errorf("donor of NEW1 = %q (%v)", donor, err)
	}
	var list struct {
		Liquidations   []liquidation `json:"liquidations"`
		TotalAmountVND int64         `json:"total_amount_vnd"`
		DevicesSold    int           `json:"devices_sold"`
		Replacements   int           `json:"replacements"`
	}
	c.json("GET", "/api/v1/allocation/liquidations", token["planner"], nil, http.StatusOK, &list)
	if len(list.Liquidations) != 1 || list.TotalAmountVND != 1500000 || list.DevicesSold != 1 || list.Replacements != 1 {
		t.Errorf("liquidations = %+v", list)
	}
}
