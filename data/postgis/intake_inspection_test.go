package postgis_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/allocation"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
)

// intakePlan plans with the engine on in, its devices read from the store
// (as a run does): what an inspection applied is what the run checks.
func intakePlan(s *postgis.Store, in allocation.Input) postgis.PlanFunc {
	return func(ctx context.Context, prior postgis.Prior) (postgis.AllocationPlan, error) {
		in.Devices = nil
		if err := s.EachDevice(ctx, func(d data.Device) error { in.Devices = append(in.Devices, d); return nil }); err != nil {
			return postgis.AllocationPlan{}, err
		}
		return allocPlanAll(in, nil)(ctx, prior)
	}
}

// intakeCheck is the check of the use case: the intake check decides.
func intakeCheck(st postgis.DeviceState, d data.Device, registered bool) (string, []string, error) {
	c := allocation.CheckDevice(d, allocation.DefaultSettings())
	if c.Status == allocation.StatusInspect {
		return "", nil, &data.ValidationError{Errors: []data.FieldError{{Column: "conditions", Reason: "still unknown"}}}
	}
	return c.Status, c.Reasons, nil
}

// TestIntakeInspection on the hand case with D2 and D3 registered without
// a charger stated (intake status inspect): no run gives them out; an
// inspector finds D2's charger (ok) and D3 without one (repair); the
// conditions are applied to the devices and in the ledger; the next run
// gives D2 to the waiting student and never D3; a re-insert of the rows
// with the charger cell empty keeps the inspected values, a stated cell
// wins.
func TestIntakeInspection(t *testing.T) {
	ctx := context.Background()
	s, in := allocHandCase(ctx, t)
	// D2 and D3: the charger not stated.
	if _, err := s.Pool().Exec(ctx, `UPDATE devices SET has_charger = NULL WHERE device_id IN ('D2', 'D3')`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CommitAllocation(ctx, postgis.AllocationRun{Actor: "officer", Policy: "ready-first"}, intakePlan(s, in)); err != nil {
		t.Fatal(err)
	}
	got, _ := lcCommitted(ctx, t, s)
	if len(got) != 2 {
		t.Fatalf("first run served %v; want 2 students (D1, D4; D2 and D3 await inspection)", got)
	}
	for _, d := range got {
		if d == "D2" || d == "D3" {
			t.Fatalf("a device with an unknown charger was allocated: %v", got)
		}
	}
	var ce *data.ConflictError
	var ve *data.ValidationError
	// In stock without conditions: a conflict; a condition that is not one: invalid.
	if _, err := s.RecordInspection(ctx, postgis.Inspection{DeviceID: "D2", Inspector: "kt", Result: "ok", InspectedOn: lcDay(5)}); !errors.As(err, &ce) {
		t.Fatalf("intake inspection without conditions: %v, want a conflict", err)
	}
	if _, err := s.RecordInspectionChecked(ctx, postgis.Inspection{DeviceID: "D2", Inspector: "kt", InspectedOn: lcDay(5),
		Conditions: map[string]bool{"colour": true}}, intakeCheck); !errors.As(err, &ve) || ve.Errors[0].Value != "colour" {
		t.Fatalf("unknown condition: %v", err)
	}
	// An allocated device is not inspected at intake.
	if _, err := s.RecordInspectionChecked(ctx, postgis.Inspection{DeviceID: got["ST1"], Inspector: "kt", InspectedOn: lcDay(5),
		Conditions: map[string]bool{"has_charger": true}}, intakeCheck); !errors.As(err, &ce) {
		t.Fatalf("intake inspection of an allocated device (%s): %v, want a conflict", got["ST1"], err)
	}
	ok, err := s.RecordInspectionChecked(ctx, postgis.Inspection{DeviceID: "D2", Inspector: "kỹ thuật A", InspectedOn: lcDay(5),
		Conditions: map[string]bool{"has_charger": true, "headphones": false}}, intakeCheck)
	if err != nil {
		t.Fatal(err)
	}
	if ok.ID == 0 || ok.AllocationID != 0 || !ok.Intake() || ok.Result != "ok" || len(ok.Reasons) != 0 || !ok.InspectedOn.Equal(lcDay(5)) {
		t.Fatalf("inspection of D2 = %+v", ok)
	}
	rep, err := s.RecordInspectionChecked(ctx, postgis.Inspection{DeviceID: "D3", Inspector: "kỹ thuật A", InspectedOn: lcDay(6), Note: "mất sạc",
		Conditions: map[string]bool{"has_charger": false}}, intakeCheck)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Result != "repair" || strings.Join(rep.Reasons, ",") != allocation.ReasonNoCharger {
		t.Fatalf("inspection of D3 = %+v, want repair (no_charger)", rep)
	}
	// Applied to the devices.
	charger := func(id string) data.Cond {
		t.Helper()
		var c data.Cond
		if err := s.Pool().QueryRow(ctx, `SELECT has_charger FROM devices WHERE device_id = $1`, id).Scan(&c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	if charger("D2") != data.CondYes || charger("D3") != data.CondNo {
		t.Fatalf("chargers after the inspections: D2 %v, D3 %v", charger("D2"), charger("D3"))
	}
	var hp data.Cond
	if err := s.Pool().QueryRow(ctx, `SELECT headphones FROM devices WHERE device_id = 'D2'`).Scan(&hp); err != nil || hp != data.CondNo {
		t.Fatalf("D2 headphones = %v, %v; want no", hp, err)
	}
	// The stored record and the history.
	var conds string
	var alloc *int64
	if err := s.Pool().QueryRow(ctx, `SELECT conditions::text, allocation_id FROM device_inspections WHERE id = $1`, ok.ID).Scan(&conds, &alloc); err != nil {
		t.Fatal(err)
	}
	if conds != `{"headphones": false, "has_charger": true}` || alloc != nil {
		t.Fatalf("stored inspection: conditions %s, allocation %v", conds, alloc)
	}
	h, err := s.DeviceHistory(ctx, "D2")
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 1 || h[0].Action != "inspect" || h[0].Actor != "kỹ thuật A" || h[0].RunID != 0 || h[0].StudentID != "" ||
		h[0].Reason != "intake inspection on 2026-03-05: ok. conditions has_charger=yes, headphones=no" {
		t.Fatalf("history of D2 = %+v", h)
	}
	h3, err := s.DeviceHistory(ctx, "D3")
	if err != nil {
		t.Fatal(err)
	}
	if len(h3) != 1 || h3[0].Reason != "intake inspection on 2026-03-06: repair. conditions has_charger=no. no_charger. mất sạc" {
		t.Fatalf("history of D3 = %+v", h3)
	}
	if st := lcState(ctx, t, s, "D3"); st.State != postgis.DeviceInStock || st.InspectionID != 0 {
		t.Fatalf("state of D3 = %+v (in stock: its intake check says repair)", st)
	}
	// The next run gives D2, never D3.
	if _, err := s.CommitAllocation(ctx, postgis.AllocationRun{Actor: "officer", Policy: "ready-first"}, intakePlan(s, in)); err != nil {
		t.Fatal(err)
	}
	again, _ := lcCommitted(ctx, t, s)
	if len(again) != 3 {
		t.Fatalf("second run: %v, want 3 students served", again)
	}
	gotD2 := ""
	for st, d := range again {
		if d == "D3" {
			t.Fatalf("D3 (repair) allocated to %s", st)
		}
		if d == "D2" {
			gotD2 = st
		}
	}
	if gotD2 == "" || got[gotD2] != "" {
		t.Fatalf("D2 went to %q (first run %v)", gotD2, got)
	}
	// An intake inspection is history.
	if _, err := s.Pool().Exec(ctx, `DELETE FROM device_inspections WHERE id = $1`, ok.ID); err == nil {
		t.Error("an inspection was deleted")
	}
	// The database: an intake inspection states conditions, and only known ones.
	for _, q := range []string{
		`INSERT INTO device_inspections (device_id, inspected_on, inspector, result) VALUES ('D3', '2026-03-07', 'kt', 'ok')`,
		`INSERT INTO device_inspections (device_id, inspected_on, inspector, result, conditions) VALUES ('D3', '2026-03-07', 'kt', 'ok', '{"colour": true}')`,
		`INSERT INTO device_inspections (device_id, inspected_on, inspector, result, conditions) VALUES ('D3', '2026-03-07', 'kt', 'ok', '{"has_charger": "yes"}')`,
		`INSERT INTO device_inspections (device_id, inspected_on, inspector, result, conditions) VALUES ('NOPE', '2026-03-07', 'kt', 'ok', '{"has_charger": true}')`,
	} {
		if _, err := s.Pool().Exec(ctx, q); err == nil {
			t.Errorf("accepted: %s", q)
		}
	}
	// A re-import: D3's row again with the charger cell empty keeps the
	// inspected "no"; a stated cell wins.
	if _, err := s.Pool().Exec(ctx, `DELETE FROM devices WHERE device_id = 'D3'`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool().Exec(ctx, `INSERT INTO devices (device_id, type, os, os_version, ram_gb, storage_gb, free_storage_gb, av_ok, screen_ok, keyboard_ok, has_monitor, wifi)
		VALUES ('D3', 'tablet', 'android', '10', 3, 32, 20, true, true, true, true, true)`); err != nil {
		t.Fatal(err)
	}
	var hp3 data.Cond
	if err := s.Pool().QueryRow(ctx, `SELECT headphones FROM devices WHERE device_id = 'D3'`).Scan(&hp3); err != nil || hp3 != data.CondUnknown {
		t.Fatalf("D3 headphones after re-insert = %v, %v; want unknown (never inspected)", hp3, err)
	}
	if charger("D3") != data.CondNo {
		t.Fatalf("re-insert with an empty charger cell: %v, want the inspected no", charger("D3"))
	}
	if _, err := s.Pool().Exec(ctx, `DELETE FROM devices WHERE device_id = 'D3'`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool().Exec(ctx, `INSERT INTO devices (device_id, type, os, os_version, ram_gb, storage_gb, free_storage_gb, has_charger, av_ok, screen_ok, keyboard_ok, has_monitor, wifi)
		VALUES ('D3', 'tablet', 'android', '10', 3, 32, 20, true, true, true, true, true, true)`); err != nil {
		t.Fatal(err)
	}
	if charger("D3") != data.CondYes {
		t.Fatalf("re-insert with the charger stated yes: %v", charger("D3"))
	}
}
