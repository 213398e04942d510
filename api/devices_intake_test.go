package api_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
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

// TestDeviceIntakeAPI: DV6 (province stock) and DV8 (held in commune
// 7211) were registered without their charger stated. The list of devices
// awaiting inspection shows both to the planner and the officer of 7211,
// only DV6 to the officer of 7210; the officer of 7210 cannot inspect DV8.
// DV6 inspected with its charger: ok, and the next run gives it to ST2;
// DV8 without one: repair, never allocated. The liquidations as XLSX.
func TestDeviceIntakeAPI(t *testing.T) {
	ctx := context.Background()
	st := pgtest.New(t)
	dir := allocBaseFiles(t)
	devices := allocDevicesCSV +
		"DV6,Quỹ Vì em,tablet,android,11,,4,64,30,,true,true,true,true,true,SN-T6,,\n" +
		"DV8,Quỹ Vì em,tablet,android,11,,4,64,30,,true,true,true,true,true,SN-T8,,7211\n"
	if err := os.WriteFile(filepath.Join(dir, "devices.csv"), []byte(devices), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := importer.ImportDir(ctx, st, dir, importer.Options{}); err != nil {
		t.Fatal(err)
	}
	allocStoreCoverage(ctx, t, st)
	svc := &runs.Service{Store: st}
	day := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }
	first, err := svc.Commit(ctx, runs.Options{Settings: allocation.DefaultSettings(), Actor: "cô Lan", Date: day(1)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range first.View.Allocations {
		if a.DeviceID == "DV6" || a.DeviceID == "DV8" {
			t.Fatalf("a device with an unknown charger was allocated: %+v", a)
		}
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
	const list = "/api/v1/allocation/devices?status=awaiting_inspection"
	if status, _ := c.do("GET", list, "", "", nil); status != http.StatusUnauthorized {
		t.Errorf("list anonymous: %d", status)
	}
	for _, who := range []string{"viettel", "viewer"} {
		if status, _ := c.do("GET", list, token[who], "", nil); status != http.StatusForbidden {
			t.Errorf("list as %s: %d, want 403", who, status)
		}
	}
	type item struct {
		DeviceID string   `json:"device_id"`
		AreaCode string   `json:"area_code"`
		State    string   `json:"state"`
		Check    string   `json:"check"`
		Status   string   `json:"status"`
		Reasons  []string `json:"reasons"`
	}
	type listBody struct {
		Status  string `json:"status"`
		Devices []item `json:"devices"`
	}
	for who, want := range map[string][]string{"planner": {"DV6", "DV8"}, "officer-b": {"DV6", "DV8"}, "officer-a": {"DV6"}} {
		var b listBody
		c.json("GET", list, token[who], nil, http.StatusOK, &b)
		var ids []string
		for _, d := range b.Devices {
			ids = append(ids, d.DeviceID)
			if d.Status != "awaiting_inspection" || d.State != "in_stock" || d.Check != "inspect" || !slices.Equal(d.Reasons, []string{"unknown_has_charger"}) {
				t.Errorf("%s: item %+v", who, d)
			}
		}
		if b.Status != "awaiting_inspection" || !slices.Equal(ids, want) {
			t.Errorf("%s sees %v awaiting inspection, want %v", who, ids, want)
		}
	}
	c.json("GET", "/api/v1/allocation/devices?status=broken", token["planner"], nil, http.StatusUnprocessableEntity, nil)
	var all listBody
	c.json("GET", "/api/v1/allocation/devices", token["planner"], nil, http.StatusOK, &all)
	if len(all.Devices) != 7 {
		t.Errorf("every device: %d, want 7", len(all.Devices))
	}

	// Inspections.
	const dv8 = "/api/v1/allocation/devices/DV8/inspections"
	c.json("POST", dv8, token["officer-a"], map[string]any{"has_charger": false, "date": "2026-11-02"}, http.StatusNotFound, nil)
	c.json("POST", "/api/v1/allocation/devices/DV6/inspections", token["officer-a"], map[string]any{"screen_ok": true, "date": "2026-11-02"}, http.StatusUnprocessableEntity, nil)
	c.json("POST", "/api/v1/allocation/devices/DV6/inspections", token["officer-a"], map[string]any{"colour": true}, http.StatusBadRequest, nil)
	type inspection struct {
		ID         int64           `json:"id"`
		Result     string          `json:"result"`
		Intake     bool            `json:"intake"`
		Conditions map[string]bool `json:"conditions"`
		Reasons    []string        `json:"reasons"`
		State      string          `json:"state"`
		Inspector  string          `json:"inspector"`
	}
	var ok6 inspection
	c.json("POST", "/api/v1/allocation/devices/DV6/inspections", token["officer-a"], map[string]any{"has_charger": true, "av_ok": true, "date": "2026-11-02"}, http.StatusCreated, &ok6)
	if ok6.Result != "ok" || !ok6.Intake || len(ok6.Conditions) != 2 || !ok6.Conditions["has_charger"] || !ok6.Conditions["av_ok"] ||
		len(ok6.Reasons) != 0 || ok6.State != "in_stock" || ok6.Inspector != "officer-a" || ok6.ID == 0 {
		t.Errorf("DV6 inspection = %+v", ok6)
	}
	var rep8 inspection
	c.json("POST", dv8, token["officer-b"], map[string]any{"has_charger": false, "date": "2026-11-02", "note": "mất sạc"}, http.StatusCreated, &rep8)
	if rep8.Result != "repair" || !rep8.Intake || len(rep8.Conditions) != 1 || rep8.Conditions["has_charger"] || !slices.Equal(rep8.Reasons, []string{"no_charger"}) {
		t.Errorf("DV8 inspection = %+v", rep8)
	}
	var b listBody
	c.json("GET", list, token["planner"], nil, http.StatusOK, &b)
	if len(b.Devices) != 0 {
		t.Errorf("awaiting inspection after both: %+v", b.Devices)
	}
	c.json("GET", "/api/v1/allocation/devices?status=repair", token["planner"], nil, http.StatusOK, &b)
	if len(b.Devices) != 2 || b.Devices[0].DeviceID != "DV5" || b.Devices[1].DeviceID != "DV8" || b.Devices[1].AreaCode != "7211" {
		t.Errorf("in repair: %+v", b.Devices)
	}
	second, err := svc.Commit(ctx, runs.Options{Settings: allocation.DefaultSettings(), Actor: "cô Lan", Date: day(3)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(second.View.Allocations) != 1 || second.View.Allocations[0].DeviceID != "DV6" || second.View.Allocations[0].StudentID != "ST2" {
		t.Fatalf("second run: %+v, want DV6 to ST2", second.View.Allocations)
	}
	var h8 struct {
		State   string   `json:"state"`
		Status  string   `json:"status"`
		Check   string   `json:"check"`
		Reasons []string `json:"reasons"`
	}
	c.json("GET", "/api/v1/allocation/devices/DV8/history", token["officer-b"], nil, http.StatusOK, &h8)
	if h8.State != "in_stock" || h8.Status != "repair" || h8.Check != "repair" || !slices.Equal(h8.Reasons, []string{"no_charger"}) {
		t.Errorf("DV8 history status: %+v", h8)
	}
	var h struct {
		State   string `json:"state"`
		Status  string `json:"status"`
		Entries []struct {
			Action string `json:"action"`
			Reason string `json:"reason"`
		} `json:"entries"`
	}
	c.json("GET", "/api/v1/allocation/devices/DV6/history", token["planner"], nil, http.StatusOK, &h)
	if h.State != "allocated" || h.Status != "allocated" || len(h.Entries) != 2 || h.Entries[0].Action != "inspect" ||
		h.Entries[0].Reason != "intake inspection on 2026-11-02: ok. conditions av_ok=yes, has_charger=yes" || h.Entries[1].Action != "allocate_device" {
		t.Errorf("history of DV6: %+v", h)
	}

	// Liquidations as XLSX and CSV.
	c.json("POST", "/api/v1/allocation/liquidations", token["officer-a"], map[string]any{"devices": []string{"DV4"}, "amount_vnd": 1500000, "date": "2026-11-20"}, http.StatusCreated, nil)
	status, body := c.do("GET", "/api/v1/allocation/liquidations?format=xlsx", token["planner"], "", nil)
	if status != http.StatusOK {
		t.Fatalf("xlsx: %d %s", status, body)
	}
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Thanh lý")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][2] != "Ngày bán" || !slices.Equal(rows[1][:7], []string{"1", "1", "20/11/2026", "", "1,500,000", "1", "DV4"}) || rows[2][1] != "Tổng cộng" {
		t.Errorf("liquidations workbook: %q", rows)
	}
	status, body = c.do("GET", "/api/v1/allocation/liquidations?format=csv", token["officer-b"], "", nil)
	if status != http.StatusOK || !strings.HasPrefix(string(body), "\ufeffliquidation_id,sold_on") || !strings.Contains(string(body), "\n1,2026-11-20,,1500000,1,DV4,0,,,officer-a\n") {
		t.Errorf("csv: %d %s", status, body)
	}
	c.json("GET", "/api/v1/allocation/liquidations?format=pdf", token["planner"], nil, http.StatusUnprocessableEntity, nil)
	if status, _ := c.do("GET", "/api/v1/allocation/liquidations?format=xlsx", token["viewer"], "", nil); status != http.StatusForbidden {
		t.Errorf("xlsx as viewer: %d", status)
	}
}
