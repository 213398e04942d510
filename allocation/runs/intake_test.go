package runs_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gapmap/gapmap/allocation"
	"github.com/gapmap/gapmap/allocation/runs"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/importer"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/xuri/excelize/v2"
)

const intakeHeader = "device_id,donor,type,os,os_version,cpu_ghz,ram_gb,storage_gb,free_storage_gb,has_charger,av_ok,screen_ok,keyboard_ok,has_monitor,wifi,serial,imei,area_code\n"

// intakeProvince is the hand-checked province plus DV6 and DV7, tablets
// that meet the specs but whose charger the file does not state.
func intakeProvince(ctx context.Context, t *testing.T) (*postgis.Store, string) {
	t.Helper()
	st := province(ctx, t)
	dir := t.TempDir()
	path := filepath.Join(dir, "devices.csv")
	body := intakeHeader +
		"DV6,Quỹ Vì em,tablet,android,11,,4,64,30,,true,true,true,true,true,SN-T6,,\n" +
		"DV7,Quỹ Vì em,tablet,android,11,,4,64,30,,true,true,true,true,true,SN-T7,,\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := importer.Import(ctx, st, format.KindDevices, path, importer.Options{}); err != nil {
		t.Fatal(err)
	}
	return st, dir
}

// TestIntakeInspectionService: DV6 and DV7 (charger unknown) await
// inspection and the first run leaves them out (DV1→ST1, DV2→ST6,
// DV3→ST3; ST2 and ST4 wait). The inspector finds DV6's charger: ok, and
// the next run gives DV6 to ST2 (tier 2 before ST4's tier 3); DV7 has
// none: repair, never allocated. A devices re-import (replace) with the
// charger cells empty keeps both inspections.
func TestIntakeInspectionService(t *testing.T) {
	ctx := context.Background()
	st, dir := intakeProvince(ctx, t)
	svc := &runs.Service{Store: st}
	settings := allocation.DefaultSettings()
	first, err := svc.Commit(ctx, runs.Options{Settings: settings, Actor: "cô Lan", Date: lcDate(11, 1)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, a := range first.View.Allocations {
		got[a.StudentID] = a.DeviceID
	}
	if len(got) != 3 || got["ST1"] != "DV1" || got["ST6"] != "DV2" || got["ST3"] != "DV3" {
		t.Fatalf("first run: %v", got)
	}
	waiting, err := svc.Devices(ctx, postgis.DeviceAwaitingInspection, settings)
	if err != nil {
		t.Fatal(err)
	}
	if len(waiting) != 2 || waiting[0].DeviceID != "DV6" || waiting[1].DeviceID != "DV7" || waiting[0].Check != "inspect" ||
		!slices.Equal(waiting[0].Reasons, []string{allocation.ReasonUnknownCharger}) || waiting[0].State != postgis.DeviceInStock ||
		waiting[0].Serial != "SN-T6" || waiting[0].Type != "tablet" || waiting[0].Donor != "Quỹ Vì em" {
		t.Fatalf("awaiting inspection: %+v", waiting)
	}
	if _, err := svc.Devices(ctx, "broken", settings); err == nil {
		t.Error("status broken accepted")
	}
	// Field checks.
	for _, c := range []struct {
		q      runs.InspectRequest
		column string
	}{
		{runs.InspectRequest{DeviceID: "DV6", Date: lcDate(11, 2)}, "result"},
		{runs.InspectRequest{DeviceID: "DV6", Date: lcDate(11, 2), Conditions: map[string]bool{"colour": true}}, "conditions"},
		// av_ok only: the charger is still unknown.
		{runs.InspectRequest{DeviceID: "DV6", Date: lcDate(11, 2), Conditions: map[string]bool{"av_ok": true}}, "conditions"},
		// At intake the result follows the check.
		{runs.InspectRequest{DeviceID: "DV6", Result: "ok", Date: lcDate(11, 2), Conditions: map[string]bool{"has_charger": false}}, "result"},
	} {
		if _, err := svc.Inspect(ctx, "kỹ thuật", c.q); err == nil {
			t.Errorf("%+v accepted", c.q)
		} else if _, ok := fieldErr(err, c.column); !ok {
			t.Errorf("%+v: %v, want an error on %s", c.q, err, c.column)
		}
	}
	// Without conditions, a device in stock: a conflict.
	var ce *data.ConflictError
	if _, err := svc.Inspect(ctx, "kỹ thuật", runs.InspectRequest{DeviceID: "DV6", Result: "ok", Date: lcDate(11, 2)}); !errors.As(err, &ce) {
		t.Errorf("intake inspection without conditions: %v", err)
	}
	ok6, err := svc.Inspect(ctx, "kỹ thuật", runs.InspectRequest{DeviceID: "DV6", Date: lcDate(11, 2), Conditions: map[string]bool{"has_charger": true}})
	if err != nil {
		t.Fatal(err)
	}
	if ok6.Result != "ok" || !ok6.Intake() || ok6.Inspector != "kỹ thuật" || len(ok6.Reasons) != 0 {
		t.Fatalf("DV6 inspection = %+v", ok6)
	}
	rep7, err := svc.Inspect(ctx, "kỹ thuật", runs.InspectRequest{DeviceID: "DV7", Date: lcDate(11, 2), Conditions: map[string]bool{"has_charger": false}})
	if err != nil {
		t.Fatal(err)
	}
	if rep7.Result != "repair" || !slices.Equal(rep7.Reasons, []string{allocation.ReasonNoCharger}) {
		t.Fatalf("DV7 inspection = %+v", rep7)
	}
	if w, err := svc.Devices(ctx, postgis.DeviceAwaitingInspection, settings); err != nil || len(w) != 0 {
		t.Fatalf("awaiting inspection after both: %+v, %v", w, err)
	}
	if r, err := svc.Devices(ctx, postgis.DeviceInRepair, settings); err != nil || len(r) != 2 || r[0].DeviceID != "DV5" || r[1].DeviceID != "DV7" {
		t.Fatalf("in repair: %+v, %v (DV5 lacks its charger, DV7 inspected so)", r, err)
	}
	second, err := svc.Commit(ctx, runs.Options{Settings: settings, Actor: "cô Lan", Date: lcDate(11, 3)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(second.View.Allocations) != 1 || second.View.Allocations[0].DeviceID != "DV6" || second.View.Allocations[0].StudentID != "ST2" {
		t.Fatalf("second run: %+v, want DV6 to ST2", second.View.Allocations)
	}
	hist, err := svc.History(ctx, "DV6")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].Action != "inspect" || hist[0].Reason != "intake inspection on 2026-11-02: ok. conditions has_charger=yes" ||
		hist[1].Action != "allocate_device" || hist[1].StudentID != "ST2" {
		t.Fatalf("history of DV6: %+v", hist)
	}
	// A re-import of every device with the charger cells of DV6 and DV7
	// empty: the inspected values stay, nothing changes in the next run.
	path := filepath.Join(dir, "all.csv")
	body := intakeHeader +
		"DV1,Quỹ Vì em,tablet,android,10,,3,32,20,true,true,true,true,true,true,SN-T1,356938035643809,\n" +
		"DV2,Quỹ Vì em,tablet,android,11,,4,64,30,true,true,true,true,true,true,SN-T2,,213\n" +
		"DV3,Viettel,phone,android,9,,2,32,12,true,true,true,true,true,true,,356938035643817,\n" +
		"DV4,Cá nhân,laptop,windows,10,1.6,1,256,100,true,true,true,true,true,true,SN-L4,,\n" +
		"DV5,Cá nhân,phone,android,10,,3,32,20,false,true,true,true,true,true,,356938035643825,\n" +
		"DV6,Quỹ Vì em,tablet,android,11,,4,64,30,,true,true,true,true,true,SN-T6,,\n" +
		"DV7,Quỹ Vì em,tablet,android,11,,4,64,30,,true,true,true,true,true,SN-T7,,\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := importer.Import(ctx, st, format.KindDevices, path, importer.Options{Replace: true}); err != nil {
		t.Fatal(err)
	}
	devs, err := postgis.ReadDevices(ctx, st.Pool(), []string{"DV6", "DV7"})
	if err != nil {
		t.Fatal(err)
	}
	if devs["DV6"].HasCharger != data.CondYes || devs["DV7"].HasCharger != data.CondNo {
		t.Fatalf("after the re-import: DV6 charger %v, DV7 %v; want the inspected yes, no", devs["DV6"].HasCharger, devs["DV7"].HasCharger)
	}
	if w, err := svc.Devices(ctx, postgis.DeviceAwaitingInspection, settings); err != nil || len(w) != 0 {
		t.Fatalf("awaiting inspection after the re-import: %+v, %v", w, err)
	}
	third, err := svc.Commit(ctx, runs.Options{Settings: settings, Actor: "cô Lan", Date: lcDate(11, 4)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(third.View.Allocations) != 0 {
		t.Fatalf("third run gave %+v; DV7 is in repair", third.View.Allocations)
	}
	// Repaired: a new intake inspection of DV7 finds a charger; the next run
	// gives it to ST4, the last student waiting.
	if _, err := svc.Inspect(ctx, "kỹ thuật", runs.InspectRequest{DeviceID: "DV7", Date: lcDate(11, 5), Conditions: map[string]bool{"has_charger": true}, Note: "đã mua sạc"}); err != nil {
		t.Fatal(err)
	}
	fourth, err := svc.Commit(ctx, runs.Options{Settings: settings, Actor: "cô Lan", Date: lcDate(11, 6)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(fourth.View.Allocations) != 1 || fourth.View.Allocations[0].DeviceID != "DV7" || fourth.View.Allocations[0].StudentID != "ST4" {
		t.Fatalf("fourth run: %+v, want DV7 to ST4", fourth.View.Allocations)
	}
}

// TestLiquidationsXLSX: two hand-made sales; the workbook has the
// Vietnamese headers, one row per sale, the totals, and one row per
// device sold with what decided the sale.
func TestLiquidationsXLSX(t *testing.T) {
	day := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	ls := []postgis.Liquidation{
		{ID: 1, SoldOn: day, Buyer: "Cửa hàng A", AmountVND: 2_000_000, Actor: "kế toán", Note: "bán đấu giá",
			Devices:      []postgis.LiquidatedDevice{{DeviceID: "DV4", DeviceType: "laptop", Serial: "SN-L4"}, {DeviceID: "DV9", DeviceType: "phone", InspectionID: 7}},
			Replacements: []string{"R1"}},
		{ID: 2, SoldOn: day.AddDate(0, 0, 3), AmountVND: 500_000, Actor: "kế toán", Devices: []postgis.LiquidatedDevice{{DeviceID: "DV8", DeviceType: "tablet"}}, Replacements: []string{}},
	}
	var buf bytes.Buffer
	if err := runs.WriteLiquidationsXLSX(&buf, ls); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if sheets := f.GetSheetList(); !slices.Equal(sheets, []string{"Thanh lý", "Thiết bị đã bán"}) {
		t.Fatalf("sheets %q", sheets)
	}
	rows, err := f.GetRows("Thanh lý")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		runs.LiquidationsXLSXHeader(),
		{"1", "1", "25/11/2026", "Cửa hàng A", "2,000,000", "2", "DV4; DV9", "1", "R1", "bán đấu giá", "kế toán"},
		{"2", "2", "28/11/2026", "", "500,000", "1", "DV8", "0", "", "", "kế toán"},
		{"", "Tổng cộng", "", "", "2,500,000", "3", "", "1"},
	}
	if len(rows) != len(want) {
		t.Fatalf("sales sheet: %q", rows)
	}
	for i := range want {
		if !slices.Equal(rows[i], want[i]) {
			t.Errorf("sales row %d = %q, want %q", i+1, rows[i], want[i])
		}
	}
	if want[0][4] != "Số tiền thu được (đồng)" {
		t.Errorf("header %q", want[0])
	}
	dev, err := f.GetRows("Thiết bị đã bán")
	if err != nil {
		t.Fatal(err)
	}
	wantDev := [][]string{
		runs.LiquidatedDevicesXLSXHeader(),
		{"1", "1", "25/11/2026", "DV4", "Máy tính xách tay", "SN-L4", "Kiểm tra khi tiếp nhận: dưới cấu hình tối thiểu"},
		{"2", "1", "25/11/2026", "DV9", "Điện thoại thông minh", "", "Kiểm tra sau khi trả lại (biên bản số 7)"},
		{"3", "2", "28/11/2026", "DV8", "Máy tính bảng", "", "Kiểm tra khi tiếp nhận: dưới cấu hình tối thiểu"},
	}
	if len(dev) != len(wantDev) {
		t.Fatalf("devices sheet: %q", dev)
	}
	for i := range wantDev {
		if !slices.Equal(dev[i], wantDev[i]) {
			t.Errorf("devices row %d = %q, want %q", i+1, dev[i], wantDev[i])
		}
	}
	if !strings.HasPrefix(wantDev[0][6], "Căn cứ") {
		t.Errorf("header %q", wantDev[0])
	}
}
