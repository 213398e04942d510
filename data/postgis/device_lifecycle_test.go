package postgis_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
)

var lcDay = func(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC) }

// lcCommitted commits a run of the engine on the hand case and returns
// the device each student got and the student left without one.
func lcCommitted(ctx context.Context, t *testing.T, s *postgis.Store) (map[string]string, string) {
	t.Helper()
	got := map[string]string{}
	rows, err := s.Pool().Query(ctx, `SELECT student_id, device_id FROM allocations WHERE benefit = 'device'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var st, d string
		if err := rows.Scan(&st, &d); err != nil {
			t.Fatal(err)
		}
		got[st] = d
	}
	unserved := ""
	for _, st := range []string{"ST1", "ST2", "ST3", "ST4", "ST5"} {
		if _, ok := got[st]; !ok {
			unserved = st
		}
	}
	return got, unserved
}

func lcState(ctx context.Context, t *testing.T, s *postgis.Store, id string) postgis.DeviceState {
	t.Helper()
	m, err := s.DeviceStates(ctx, []string{id})
	if err != nil {
		t.Fatal(err)
	}
	return m[id]
}

func lcPrior(ctx context.Context, t *testing.T, s *postgis.Store) postgis.Prior {
	t.Helper()
	p, err := postgis.ReadPrior(ctx, s.Pool())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDeviceRestockAfterInspection: a returned device waits for an
// inspection (held: no run gives it out), "repair" keeps it out, "ok" puts
// it back in stock and the next run gives it to ANOTHER student; the
// student who returned it gets no second device; the ledger has the whole
// history in order.
func TestDeviceRestockAfterInspection(t *testing.T) {
	ctx := context.Background()
	s, in := allocHandCase(ctx, t)
	if _, err := s.CommitAllocation(ctx, postgis.AllocationRun{Actor: "officer", Policy: "ready-first"}, allocPlanAll(in, nil)); err != nil {
		t.Fatal(err)
	}
	got, waiting := lcCommitted(ctx, t, s)
	if len(got) != 4 || waiting == "" {
		t.Fatalf("first run served %v; want 4 of the 5 students", got)
	}
	const back = "ST1"
	dev := got[back]
	if st := lcState(ctx, t, s, dev); st.State != postgis.DeviceAllocated || st.StudentID != back || st.AreaCode != "213" || !st.Registered {
		t.Fatalf("state of %s = %+v, want allocated to %s", dev, st, back)
	}
	// Not returned: no inspection.
	var ce *data.ConflictError
	if _, err := s.RecordInspection(ctx, postgis.Inspection{DeviceID: dev, Inspector: "kt", Result: "ok", InspectedOn: lcDay(5)}); !errors.As(err, &ce) {
		t.Fatalf("inspection of an allocated device: %v, want a conflict", err)
	}
	if err := s.RecordHandover(ctx, "teacher", back, "", lcDay(2)); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordReturn(ctx, "teacher", back, "chuyển trường", lcDay(10)); err != nil {
		t.Fatal(err)
	}
	if st := lcState(ctx, t, s, dev); st.State != postgis.DeviceAwaitingInspection {
		t.Fatalf("state after the return = %q, want awaiting_inspection", st.State)
	}
	if p := lcPrior(ctx, t, s); !p.Devices[dev] || !p.Served[back] {
		t.Fatalf("a returned, uninspected device must stay held: prior devices %v", p.Devices)
	}
	// A run now serves nobody: the only device is held.
	if run, err := s.CommitAllocation(ctx, postgis.AllocationRun{Actor: "officer", Policy: "ready-first"}, allocPlanAll(in, nil)); err != nil || run.Devices != 0 {
		t.Fatalf("run while %s awaits inspection: %d devices, %v; want 0", dev, run.Devices, err)
	}
	// The database refuses to release it without an inspection, to cancel
	// the returned allocation, and an inspection before the return.
	for _, q := range []string{
		`UPDATE allocations SET released_on = '2026-03-11' WHERE student_id = $1 AND benefit = 'device'`,
		`DELETE FROM allocations WHERE student_id = $1`,
	} {
		if _, err := s.Pool().Exec(ctx, q, back); err == nil {
			t.Errorf("%s: accepted", q)
		}
	}
	if _, err := s.CancelAllocation(ctx, "officer", back, "oops"); !errors.As(err, &ce) {
		t.Errorf("cancel a returned allocation: %v, want a conflict", err)
	}
	if _, err := s.RecordInspection(ctx, postgis.Inspection{DeviceID: dev, Inspector: "kt", Result: "ok", InspectedOn: lcDay(9)}); !errors.As(err, &ce) || !strings.Contains(err.Error(), "before that") {
		t.Errorf("inspection before the return: %v", err)
	}
	rep, err := s.RecordInspection(ctx, postgis.Inspection{DeviceID: dev, Inspector: "kỹ thuật A", Result: "repair", InspectedOn: lcDay(11), Reasons: []string{"screen_broken"}, Note: "thay màn hình"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.ID == 0 || rep.AllocationID == 0 || !rep.InspectedOn.Equal(lcDay(11)) {
		t.Errorf("inspection = %+v", rep)
	}
	if st := lcState(ctx, t, s, dev); st.State != postgis.DeviceInRepair || st.InspectionID != rep.ID {
		t.Fatalf("state after repair = %+v", st)
	}
	if p := lcPrior(ctx, t, s); !p.Devices[dev] {
		t.Fatal("a device in repair must stay held")
	}
	ok, err := s.RecordInspection(ctx, postgis.Inspection{DeviceID: dev, Inspector: "kỹ thuật A", Result: "ok", InspectedOn: lcDay(20)})
	if err != nil {
		t.Fatal(err)
	}
	if st := lcState(ctx, t, s, dev); st.State != postgis.DeviceInStock || st.AllocationID != 0 {
		t.Fatalf("state after ok = %+v, want in_stock", st)
	}
	var released time.Time
	if err := s.Pool().QueryRow(ctx, `SELECT released_on FROM allocations WHERE student_id = $1 AND benefit = 'device'`, back).Scan(&released); err != nil {
		t.Fatal(err)
	}
	if !released.Equal(lcDay(20)) {
		t.Errorf("released_on = %v, want the inspection day", released)
	}
	p := lcPrior(ctx, t, s)
	if p.Devices[dev] || !p.Served[back] || len(p.Devices) != 3 || len(p.Served) != 4 {
		t.Fatalf("prior after restock: devices %v served %v; want %s free and %s still served", p.Devices, p.Served, dev, back)
	}
	// A second inspection of a device in stock is refused.
	if _, err := s.RecordInspection(ctx, postgis.Inspection{DeviceID: dev, Inspector: "kt", Result: "ok", InspectedOn: lcDay(21)}); !errors.As(err, &ce) {
		t.Errorf("inspection of a device in stock: %v, want a conflict", err)
	}
	// The next run gives it to the student who waited, not to ST1 again.
	run, err := s.CommitAllocation(ctx, postgis.AllocationRun{Actor: "officer", Policy: "ready-first"}, allocPlanAll(in, nil))
	if err != nil {
		t.Fatal(err)
	}
	if run.Devices != 1 {
		t.Fatalf("re-allocation run gave %d devices, want 1", run.Devices)
	}
	var holder string
	if err := s.Pool().QueryRow(ctx, `SELECT student_id FROM allocations WHERE device_id = $1 AND released_on IS NULL`, dev).Scan(&holder); err != nil {
		t.Fatal(err)
	}
	if holder != waiting {
		t.Errorf("%s went to %s, want %s (the student who waited)", dev, holder, waiting)
	}
	if n := allocCount(ctx, t, s, `SELECT count(*) FROM allocations WHERE student_id = $1 AND benefit = 'device'`, back); n != 1 {
		t.Errorf("%s has %d device allocations, want 1", back, n)
	}
	if n := allocCount(ctx, t, s, `SELECT count(*) FROM handovers WHERE device_id = $1`, dev); n != 2 {
		t.Errorf("%d handovers of %s, want 2 (returned, then pending)", n, dev)
	}
	// Nothing else can take the device now.
	_, err = s.CommitAllocation(ctx, postgis.AllocationRun{Actor: "x", Policy: "ready-first"}, func(context.Context, postgis.Prior) (postgis.AllocationPlan, error) {
		return postgis.AllocationPlan{Rows: []postgis.AllocationRow{{StudentID: "ST9", SchoolID: "S1", AreaCode: "213", Priority: 1, Connectivity: "fiber", DeviceID: dev}}}, nil
	})
	var conflict *postgis.ConflictError
	if !errors.As(err, &conflict) {
		t.Errorf("a second active allocation of %s: %v, want a ConflictError", dev, err)
	}

	hist, err := s.DeviceHistory(ctx, dev)
	if err != nil {
		t.Fatal(err)
	}
	var acts []string
	for _, e := range hist {
		acts = append(acts, e.Action+":"+e.StudentID)
	}
	want := []string{"allocate_device:" + back, "handover:" + back, "return:" + back, "inspect:" + back, "inspect:" + back, "restock:" + back, "allocate_device:" + waiting}
	if !slices.Equal(acts, want) {
		t.Errorf("history of %s:\n got %q\nwant %q", dev, acts, want)
	}
	if hist[3].Reason != "repair on 2026-03-11. screen_broken. thay màn hình" || hist[3].Actor != "kỹ thuật A" {
		t.Errorf("inspect entry = %+v", hist[3])
	}
	if hist[0].AreaCode != "213" || hist[0].RunID == 0 {
		t.Errorf("allocate entry = %+v, want area 213 and its run", hist[0])
	}
	if hist[5].Reason != "back in stock on 2026-03-20" {
		t.Errorf("restock entry = %+v", hist[5])
	}
	if ok.Result != "ok" {
		t.Errorf("ok inspection = %+v", ok)
	}
	var nf *data.NotFoundError
	if _, err := s.DeviceHistory(ctx, "NOPE"); !errors.As(err, &nf) {
		t.Errorf("history of an unknown device: %v", err)
	}
	for _, q := range []string{`UPDATE device_inspections SET result = 'ok'`, `DELETE FROM device_inspections`, `TRUNCATE device_inspections`} {
		if _, err := s.Pool().Exec(ctx, q); err == nil {
			t.Errorf("%s: accepted", q)
		}
	}
}

// TestDeviceConcurrentReallocation: a restocked device planned for two
// students by two runs that read the stock before either commits: the
// database takes one and rolls the other run back whole.
func TestDeviceConcurrentReallocation(t *testing.T) {
	ctx := context.Background()
	s, in := allocHandCase(ctx, t)
	first := in
	first.Students = in.Students[:1] // ST1 only
	if _, err := s.CommitAllocation(ctx, postgis.AllocationRun{Actor: "o", Policy: "ready-first"}, allocPlanAll(first, nil)); err != nil {
		t.Fatal(err)
	}
	got, _ := lcCommitted(ctx, t, s)
	dev := got["ST1"]
	if err := s.RecordHandover(ctx, "t", "ST1", "", lcDay(2)); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordReturn(ctx, "t", "ST1", "hỏng", lcDay(3)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordInspection(ctx, postgis.Inspection{DeviceID: dev, Inspector: "kt", Result: "ok", InspectedOn: lcDay(4)}); err != nil {
		t.Fatal(err)
	}
	plan := func(student string, gate func()) postgis.PlanFunc {
		return func(_ context.Context, prior postgis.Prior) (postgis.AllocationPlan, error) {
			if prior.Devices[dev] {
				return postgis.AllocationPlan{}, errors.New("the restocked device is held")
			}
			if gate != nil {
				gate()
			}
			return postgis.AllocationPlan{Rows: []postgis.AllocationRow{{StudentID: student, SchoolID: "S2", AreaCode: "213", Priority: 1, Connectivity: "fiber", DeviceID: dev}}}, nil
		}
	}
	planned, release, done := make(chan struct{}), make(chan struct{}), make(chan error)
	go func() {
		_, err := s.CommitAllocation(ctx, postgis.AllocationRun{Actor: "A", Policy: "ready-first"}, plan("ST3", func() { close(planned); <-release }))
		done <- err
	}()
	<-planned
	if _, err := s.CommitAllocation(ctx, postgis.AllocationRun{Actor: "B", Policy: "ready-first"}, plan("ST5", nil)); err != nil {
		t.Fatalf("B: %v", err)
	}
	close(release)
	errA := <-done
	var ce *postgis.ConflictError
	if !errors.As(errA, &ce) {
		t.Fatalf("A: %v, want a ConflictError", errA)
	}
	if n := allocCount(ctx, t, s, `SELECT count(*) FROM allocations WHERE device_id = $1 AND released_on IS NULL`, dev); n != 1 {
		t.Errorf("%d active allocations of %s, want 1", n, dev)
	}
	var holder string
	if err := s.Pool().QueryRow(ctx, `SELECT student_id FROM allocations WHERE device_id = $1 AND released_on IS NULL`, dev).Scan(&holder); err != nil || holder != "ST5" {
		t.Errorf("holder = %q (%v), want ST5", holder, err)
	}
	if n := allocCount(ctx, t, s, `SELECT count(*) FROM allocations WHERE student_id = 'ST3'`); n != 0 {
		t.Errorf("the failed run left %d rows for ST3", n)
	}
}

// TestLiquidation: only a device inspected "liquidate" (or in stock, as
// the caller's intake check decides) is sold; a sold device never comes
// back into a run; replacements get the donor "Từ thanh lý" and their link.
func TestLiquidation(t *testing.T) {
	ctx := context.Background()
	s, in := allocHandCase(ctx, t)
	first := in
	first.Students = in.Students[:2] // ST1, ST2
	if _, err := s.CommitAllocation(ctx, postgis.AllocationRun{Actor: "o", Policy: "ready-first"}, allocPlanAll(first, nil)); err != nil {
		t.Fatal(err)
	}
	got, _ := lcCommitted(ctx, t, s)
	broken, withStudent := got["ST1"], got["ST2"]
	var stock string
	for _, d := range []string{"D1", "D2", "D3", "D4"} {
		if d != broken && d != withStudent {
			stock = d
			break
		}
	}
	if err := s.RecordHandover(ctx, "t", "ST1", "", lcDay(2)); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordReturn(ctx, "t", "ST1", "vỡ màn hình", lcDay(3)); err != nil {
		t.Fatal(err)
	}
	sell := func(devs ...postgis.LiquidatedDevice) (postgis.Liquidation, error) {
		return s.RecordLiquidation(ctx, postgis.Liquidation{SoldOn: lcDay(15), Buyer: "Công ty ABC", AmountVND: 1_500_000, Actor: "kế toán"},
			func(context.Context, postgis.Querier) ([]postgis.LiquidatedDevice, error) { return devs, nil })
	}
	var ce *data.ConflictError
	// Awaiting inspection, and with a student: refused by the database.
	if _, err := sell(postgis.LiquidatedDevice{DeviceID: broken}); !errors.As(err, &ce) || !strings.Contains(err.Error(), "last inspection is missing") {
		t.Errorf("sell an uninspected device: %v", err)
	}
	if _, err := sell(postgis.LiquidatedDevice{DeviceID: withStudent}); !errors.As(err, &ce) || !strings.Contains(err.Error(), "allocated to a student") {
		t.Errorf("sell a device with a student: %v", err)
	}
	if n := allocCount(ctx, t, s, `SELECT count(*) FROM liquidations`); n != 0 {
		t.Fatalf("%d liquidations after refusals, want 0", n)
	}
	insp, err := s.RecordInspection(ctx, postgis.Inspection{DeviceID: broken, Inspector: "kt", Result: "liquidate", InspectedOn: lcDay(4), Note: "mainboard"})
	if err != nil {
		t.Fatal(err)
	}
	if st := lcState(ctx, t, s, broken); st.State != postgis.DeviceToLiquidate {
		t.Fatalf("state = %q, want to_liquidate", st.State)
	}
	l, err := sell(postgis.LiquidatedDevice{DeviceID: broken, DeviceType: "tablet", InspectionID: insp.ID}, postgis.LiquidatedDevice{DeviceID: stock, DeviceType: "tablet"})
	if err != nil {
		t.Fatal(err)
	}
	if l.ID == 0 || len(l.Devices) != 2 {
		t.Fatalf("liquidation = %+v", l)
	}
	if _, err := sell(postgis.LiquidatedDevice{DeviceID: stock}); err == nil {
		t.Error("a device was sold twice")
	}
	for _, d := range []string{broken, stock} {
		if st := lcState(ctx, t, s, d); st.State != postgis.DeviceLiquidated || st.LiquidationID != l.ID {
			t.Errorf("state of %s = %+v, want liquidated in %d", d, st, l.ID)
		}
	}
	// Sold devices leave the run's input and cannot be allocated by hand.
	ai, err := s.ReadAllocationInput(ctx, lcDay(20), func(string, data.Connectivity) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range ai.Dataset.Devices {
		ids = append(ids, d.ID)
	}
	if slices.Contains(ids, stock) || slices.Contains(ids, broken) || len(ids) != 2 {
		t.Errorf("input devices %v still hold sold devices", ids)
	}
	if !ai.Prior.Devices[stock] || !ai.Prior.Devices[broken] {
		t.Errorf("prior devices %v must hold the sold devices", ai.Prior.Devices)
	}
	_, err = s.CommitAllocation(ctx, postgis.AllocationRun{Actor: "x", Policy: "ready-first"}, func(context.Context, postgis.Prior) (postgis.AllocationPlan, error) {
		return postgis.AllocationPlan{Rows: []postgis.AllocationRow{{StudentID: "ST3", SchoolID: "S2", AreaCode: "213", Priority: 1, Connectivity: "fiber", DeviceID: stock}}}, nil
	})
	if err == nil || !strings.Contains(err.Error(), "sold (liquidated)") {
		t.Errorf("allocating a sold device: %v", err)
	}
	if _, err := s.RecordInspection(ctx, postgis.Inspection{DeviceID: broken, Inspector: "kt", Result: "ok", InspectedOn: lcDay(16)}); !errors.As(err, &ce) {
		t.Errorf("inspecting a sold device: %v", err)
	}

	// Replacements: imported devices linked in the same transaction.
	tx, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	repl := []data.Device{{ID: "R1", Type: data.DeviceTablet, OS: "android", OSVersion: "12", RAMGB: 4, StorageGB: 64, FreeStorageGB: 50}, {ID: "R2", Type: data.DeviceTablet, OS: "android", OSVersion: "12", RAMGB: 4, StorageGB: 64, FreeStorageGB: 50}}
	if _, err := postgis.CopyDevices(ctx, tx, postgis.SliceSource(repl)); err != nil {
		t.Fatal(err)
	}
	if err := postgis.LinkReplacements(ctx, tx, "kế toán", l.ID, []string{"R1", "R2"}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	tx2, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var nf *data.NotFoundError
	if err := postgis.LinkReplacements(ctx, tx2, "kế toán", 999, []string{"R1"}); !errors.As(err, &nf) {
		t.Errorf("link to an unknown liquidation: %v", err)
	}
	_ = tx2.Rollback(ctx)
	ls, err := s.Liquidations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 1 || ls[0].AmountVND != 1_500_000 || ls[0].Buyer != "Công ty ABC" || !ls[0].SoldOn.Equal(lcDay(15)) ||
		!slices.Equal(ls[0].Replacements, []string{"R1", "R2"}) || len(ls[0].Devices) != 2 || ls[0].Devices[0].DeviceID != min(broken, stock) {
		t.Errorf("liquidations = %+v", ls)
	}
	devs, err := postgis.ReadDevices(ctx, s.Pool(), []string{"R1", "R2"})
	if err != nil {
		t.Fatal(err)
	}
	if devs["R1"].Donor != data.DonorFromLiquidation || devs["R2"].Donor != data.DonorFromLiquidation {
		t.Errorf("replacement donors: %q %q", devs["R1"].Donor, devs["R2"].Donor)
	}
	hist, err := s.DeviceHistory(ctx, "R1")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 || hist[0].Action != "replace" || hist[0].Actor != "kế toán" || hist[0].Reason != fmt.Sprintf("bought with the money of liquidation %d", l.ID) {
		t.Errorf("history of R1 = %+v", hist)
	}
	hist, err = s.DeviceHistory(ctx, stock)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 || hist[0].Action != "liquidate" || hist[0].Reason != fmt.Sprintf("liquidation %d, sold on 2026-03-15 to Công ty ABC", l.ID) {
		t.Errorf("history of %s = %+v", stock, hist)
	}
}
