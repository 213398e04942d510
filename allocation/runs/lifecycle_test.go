package runs_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gapmap/gapmap/allocation"
	"github.com/gapmap/gapmap/allocation/runs"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
)

func lcDate(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }

// fieldErr returns the first field error of err on column, if any.
func fieldErr(err error, column string) (data.FieldError, bool) {
	var ve *data.ValidationError
	if !errors.As(err, &ve) {
		return data.FieldError{}, false
	}
	for _, e := range ve.Errors {
		if e.Column == column {
			return e, true
		}
	}
	return data.FieldError{}, false
}

// TestLifecycleService on the hand-checked province: the first run gives
// DV1 to ST1, DV2 to ST6, DV3 to ST3 (ST2 and ST4 wait; DV4 fails the
// specs beyond repair, DV5 lacks its charger). ST1 returns DV1; inspected
// ok, it goes to a waiting student in the next run, never back to ST1.
// DV4 is sold (its intake check says liquidate), DV2 with its student is
// not; the replacements bought with the money enter stock "Từ thanh lý".
func TestLifecycleService(t *testing.T) {
	ctx := context.Background()
	st := province(ctx, t)
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
	if err := svc.Handover(ctx, "cô Lan", "ST1", "", lcDate(11, 5)); err != nil {
		t.Fatal(err)
	}
	// Not returned yet: a conflict.
	var ce *data.ConflictError
	if _, err := svc.Inspect(ctx, "kỹ thuật", runs.InspectRequest{DeviceID: "DV1", Result: "ok", Date: lcDate(11, 9)}); !errors.As(err, &ce) {
		t.Fatalf("inspect before the return: %v", err)
	}
	if err := svc.Return(ctx, "cô Lan", "ST1", "chuyển trường", lcDate(11, 10)); err != nil {
		t.Fatal(err)
	}
	// Field checks.
	for _, c := range []struct {
		q      runs.InspectRequest
		column string
	}{
		{runs.InspectRequest{DeviceID: "DV1", Result: "good", Date: lcDate(11, 12)}, "result"},
		{runs.InspectRequest{DeviceID: "DV1", Result: "repair", Date: lcDate(11, 12)}, "note"},
		{runs.InspectRequest{DeviceID: "DV1", Result: "ok", Date: time.Now().AddDate(0, 0, 3)}, "date"},
		{runs.InspectRequest{DeviceID: " ", Result: "ok", Date: lcDate(11, 12)}, "device_id"},
	} {
		if _, err := svc.Inspect(ctx, "kỹ thuật", c.q); err == nil {
			t.Errorf("%+v accepted", c.q)
		} else if _, ok := fieldErr(err, c.column); !ok {
			t.Errorf("%+v: %v, want an error on %s", c.q, err, c.column)
		}
	}
	var nf *data.NotFoundError
	if _, err := svc.Inspect(ctx, "kỹ thuật", runs.InspectRequest{DeviceID: "NOPE", Result: "ok", Date: lcDate(11, 12)}); !errors.As(err, &nf) {
		t.Errorf("inspect an unknown device: %v", err)
	}
	if _, err := svc.Inspect(ctx, "kỹ thuật", runs.InspectRequest{DeviceID: "DV1", Result: "repair", Reasons: []string{" pin_yeu ", ""}, Date: lcDate(11, 12)}); err != nil {
		t.Fatal(err)
	}
	// In repair: the next run still leaves it out.
	again, err := svc.Commit(ctx, runs.Options{Settings: settings, Actor: "cô Lan", Date: lcDate(11, 13)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.View.Allocations) != 0 {
		t.Fatalf("a run gave a device in repair: %+v", again.View.Allocations)
	}
	ok, err := svc.Inspect(ctx, "kỹ thuật", runs.InspectRequest{DeviceID: "DV1", Result: "ok", Date: lcDate(11, 20), Note: "đã thay pin"})
	if err != nil {
		t.Fatal(err)
	}
	if ok.Result != "ok" || ok.Inspector != "kỹ thuật" || !ok.InspectedOn.Equal(lcDate(11, 20)) || ok.Note != "đã thay pin" {
		t.Errorf("inspection = %+v", ok)
	}
	third, err := svc.Commit(ctx, runs.Options{Settings: settings, Actor: "cô Lan", Date: lcDate(11, 21)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(third.View.Allocations) != 1 {
		t.Fatalf("the run after the restock gave %d devices, want DV1 once", len(third.View.Allocations))
	}
	a := third.View.Allocations[0]
	// ST2 (tier 2, S1, fiber) and ST4 (tier 3, S2) waited: ST2 comes first.
	if a.DeviceID != "DV1" || a.StudentID != "ST2" {
		t.Errorf("DV1 went to %s; want ST2, who waited (never ST1)", a.StudentID)
	}
	hist, err := svc.History(ctx, "DV1")
	if err != nil {
		t.Fatal(err)
	}
	var acts []string
	for _, e := range hist {
		acts = append(acts, e.Action)
	}
	if want := []string{"allocate_device", "handover", "return", "inspect", "inspect", "restock", "allocate_device"}; !slices.Equal(acts, want) {
		t.Errorf("history of DV1 = %q, want %q", acts, want)
	}
	var buf bytes.Buffer
	if err := runs.WriteHistoryCSV(&buf, hist); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 8 || lines[0] != "\ufeffat,action,actor,run_id,student_id,reason" || !strings.HasSuffix(lines[4], ",inspect,kỹ thuật,"+itoa(first.Run.ID)+",ST1,repair on 2026-11-12. pin_yeu") {
		t.Errorf("history CSV:\n%s", buf.String())
	}

	// Liquidation.
	_, err = svc.Liquidate(ctx, "kế toán", runs.LiquidateRequest{DeviceIDs: []string{"DV2", "DV5", "DV4", "DV4", "NOPE"}, Date: lcDate(11, 25), AmountVND: 2_000_000}, settings)
	var ve *data.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("liquidate a device with a student: %v", err)
	}
	var vals []string
	for _, e := range ve.Errors {
		vals = append(vals, e.Value)
	}
	if !slices.Equal(vals, []string{"DV4"}) {
		// the duplicate is found first, alone
		t.Errorf("first refusal: %q", vals)
	}
	_, err = svc.Liquidate(ctx, "kế toán", runs.LiquidateRequest{DeviceIDs: []string{"DV2", "DV5", "DV4", "NOPE"}, Date: lcDate(11, 25), AmountVND: 2_000_000}, settings)
	if !errors.As(err, &ve) {
		t.Fatalf("liquidate: %v", err)
	}
	vals = vals[:0]
	for _, e := range ve.Errors {
		vals = append(vals, e.Value)
	}
	if !slices.Equal(vals, []string{"DV2", "DV5", "NOPE"}) || !strings.Contains(ve.Errors[0].Reason, "allocated to a student") ||
		!strings.Contains(ve.Errors[1].Reason, `intake check is "repair"`) || ve.Errors[2].Reason != "no such device" {
		t.Errorf("refusals: %+v", ve.Errors)
	}
	if _, err := svc.Liquidate(ctx, "kế toán", runs.LiquidateRequest{DeviceIDs: []string{"DV4"}, Date: lcDate(11, 25), AmountVND: -1}, settings); err == nil {
		t.Error("a negative amount was accepted")
	}
	l, err := svc.Liquidate(ctx, "kế toán", runs.LiquidateRequest{DeviceIDs: []string{"DV4"}, Date: lcDate(11, 25), AmountVND: 2_000_000, Buyer: "Cửa hàng Minh", Note: "biên bản 12"}, settings)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Devices) != 1 || l.Devices[0] != (postgis.LiquidatedDevice{DeviceID: "DV4", DeviceType: "laptop", Serial: "SN-L4"}) || l.AmountVND != 2_000_000 {
		t.Errorf("liquidation = %+v", l)
	}

	// Replacements: one below the specs refuses the whole file.
	head := "device_id,donor,type,os,os_version,cpu_ghz,ram_gb,storage_gb,free_storage_gb,has_charger,av_ok,screen_ok,keyboard_ok,has_monitor,wifi,serial,imei,area_code\n"
	good := "NEW1,,tablet,android,12,,4,64,50,true,true,true,true,true,true,SN-N1,,\nNEW2,Từ thanh lý,tablet,android,12,,4,64,50,true,true,true,true,true,true,SN-N2,,\n"
	bad := "NEW3,Quỹ khác,tablet,android,12,,1,64,50,true,true,true,true,true,true,SN-N3,,\n"
	_, err = svc.Replace(ctx, "kế toán", l.ID, "mua_moi.csv", strings.NewReader(head+good+bad), settings)
	if e, ok := fieldErr(err, "device_id"); !ok || e.Value != "NEW3" || e.Row != 4 || !strings.Contains(e.Reason, "minimum specs") {
		t.Errorf("a replacement below specs: %v", err)
	}
	if e, ok := fieldErr(err, "donor"); !ok || e.Value != "Quỹ khác" {
		t.Errorf("a replacement of another donor: %v", err)
	}
	if _, err := svc.Replace(ctx, "kế toán", 999, "mua_moi.csv", strings.NewReader(head+good), settings); !errors.As(err, &nf) {
		t.Errorf("replace for an unknown liquidation: %v", err)
	}
	rep, err := svc.Replace(ctx, "kế toán", l.ID, "mua_moi.csv", strings.NewReader(head+good), settings)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Imported.Inserted != 2 || !slices.Equal(rep.Liquidation.Replacements, []string{"NEW1", "NEW2"}) || len(rep.Devices) != 2 || !rep.Devices[0].OK {
		t.Errorf("replace = %+v", rep)
	}
	devs, err := postgis.ReadDevices(ctx, st.Pool(), []string{"NEW1", "NEW2", "NEW3"})
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) != 2 || devs["NEW1"].Donor != "Từ thanh lý" || devs["NEW2"].Donor != "Từ thanh lý" {
		t.Errorf("replacement devices = %+v", devs)
	}
	// The replacements serve the student still waiting.
	fourth, err := svc.Commit(ctx, runs.Options{Settings: settings, Actor: "cô Lan", Date: lcDate(11, 28)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(fourth.View.Allocations) != 1 || !strings.HasPrefix(fourth.View.Allocations[0].DeviceID, "NEW") {
		t.Errorf("run after the replacements: %+v", fourth.View.Allocations)
	}
	ls, err := svc.Liquidations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if err := runs.WriteLiquidationsCSV(&buf, ls); err != nil {
		t.Fatal(err)
	}
	want := "\ufeffliquidation_id,sold_on,buyer,amount_vnd,devices_sold,device_ids,replacements,replacement_ids,note,actor\n" +
		itoa(l.ID) + ",2026-11-25,Cửa hàng Minh,2000000,1,DV4,2,NEW1;NEW2,biên bản 12,kế toán\n" +
		"total,,,2000000,1,,2,,,\n"
	if buf.String() != want {
		t.Errorf("liquidations CSV:\n%q\nwant\n%q", buf.String(), want)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
