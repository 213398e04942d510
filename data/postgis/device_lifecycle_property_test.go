package postgis_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gapmap/gapmap/allocation"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
)

// TestDeviceLifecycleProperty runs random sequences of commit, handover,
// return, inspection (ok, repair, liquidate), sale and cancellation against
// PostGIS, and after every step checks the database against a model of
// where each device should be:
//   - no device has two active allocations, no student two devices, and a
//     student who ever received a device is never served again;
//   - every run gives only devices the model has in stock;
//   - no returned device is lost: each is awaiting inspection, in stock,
//     allocated again, in repair, to be sold or sold, as the model says,
//     and the counts per state add up to every device.
func TestDeviceLifecycleProperty(t *testing.T) {
	again := 0
	for seed := range uint64(4) {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) { again += lifecycleProperty(t, seed, 120) })
	}
	if again == 0 {
		t.Error("no sequence gave a restocked device to another student")
	}
}

type lcModel struct {
	state   map[string]string // device → postgis.Device* state
	holder  map[string]string // device → student of its active allocation
	served  map[string]bool   // students who ever held a device (cancelled ones excepted)
	handed  map[string]bool   // students whose device was handed over (and not returned)
	pending map[string]bool   // students whose handover is pending
}

// lifecycleProperty runs one sequence and returns how many restocked
// devices went to another student.
func lifecycleProperty(t *testing.T, seed uint64, steps int) int {
	ctx := context.Background()
	s := pgtest.New(t)
	in := allocation.GenerateBench(int64(seed)+11, 300, 50, 1, 3)
	in.AllocatedDevices = nil
	storeAllocationInput(ctx, t, s, in)
	rng := rand.New(rand.NewPCG(seed, 99))
	m := lcModel{state: map[string]string{}, holder: map[string]string{}, served: map[string]bool{}, handed: map[string]bool{}, pending: map[string]bool{}}
	for _, d := range in.Devices {
		m.state[d.ID] = postgis.DeviceInStock
	}
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	pick := func(set map[string]bool) string {
		keys := slices.Sorted(maps.Keys(set))
		if len(keys) == 0 {
			return ""
		}
		return keys[rng.IntN(len(keys))]
	}
	inState := func(states ...string) map[string]bool {
		out := map[string]bool{}
		for d, st := range m.state {
			if slices.Contains(states, st) {
				out[d] = true
			}
		}
		return out
	}
	counts := map[string]int{}
	for step := range steps {
		day = day.AddDate(0, 0, 1)
		op := rng.IntN(7)
		if step == 0 {
			op = 0
		}
		switch op {
		case 0: // commit a run of the engine over everything
			counts["commit"]++
			run, err := s.CommitAllocation(ctx, postgis.AllocationRun{Actor: "officer", Policy: allocation.PolicyReadyFirst}, allocPlanAll(in, nil))
			if err != nil {
				t.Fatalf("step %d commit: %v", step, err)
			}
			rows, err := s.Pool().Query(ctx, `SELECT student_id, device_id FROM allocations WHERE run_id = $1 AND benefit = 'device'`, run.ID)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var st, d string
				if err := rows.Scan(&st, &d); err != nil {
					t.Fatal(err)
				}
				if m.state[d] != postgis.DeviceInStock {
					t.Fatalf("step %d: run %d gave %s (model: %s) to %s", step, run.ID, d, m.state[d], st)
				}
				if m.served[st] {
					t.Fatalf("step %d: run %d served %s a second time", step, run.ID, st)
				}
				m.state[d], m.holder[d], m.served[st], m.pending[st] = postgis.DeviceAllocated, st, true, true
			}
			if rows.Err() != nil {
				t.Fatal(rows.Err())
			}
		case 1: // hand over
			st := pick(m.pending)
			if st == "" {
				continue
			}
			counts["handover"]++
			if err := s.RecordHandover(ctx, "teacher", st, "", day); err != nil {
				t.Fatalf("step %d handover %s: %v", step, st, err)
			}
			delete(m.pending, st)
			m.handed[st] = true
		case 2: // return
			st := pick(m.handed)
			if st == "" {
				continue
			}
			counts["return"]++
			if err := s.RecordReturn(ctx, "teacher", st, "trả lại", day); err != nil {
				t.Fatalf("step %d return %s: %v", step, st, err)
			}
			delete(m.handed, st)
			for d, h := range m.holder {
				if h == st {
					m.state[d] = postgis.DeviceAwaitingInspection
				}
			}
		case 3, 4: // inspect
			d := pick(inState(postgis.DeviceAwaitingInspection, postgis.DeviceInRepair))
			if d == "" {
				continue
			}
			result := []string{postgis.InspectOK, postgis.InspectOK, postgis.InspectRepair, postgis.InspectLiquidate}[rng.IntN(4)]
			counts["inspect_"+result]++
			if _, err := s.RecordInspection(ctx, postgis.Inspection{DeviceID: d, Inspector: "kt", Result: result, InspectedOn: day}); err != nil {
				t.Fatalf("step %d inspect %s: %v", step, d, err)
			}
			switch result {
			case postgis.InspectOK:
				m.state[d] = postgis.DeviceInStock
				delete(m.holder, d)
			case postgis.InspectRepair:
				m.state[d] = postgis.DeviceInRepair
			default:
				m.state[d] = postgis.DeviceToLiquidate
			}
		case 5: // sell what was inspected "liquidate"
			d := pick(inState(postgis.DeviceToLiquidate))
			if d == "" {
				continue
			}
			counts["sell"]++
			if _, err := s.RecordLiquidation(ctx, postgis.Liquidation{SoldOn: day, AmountVND: 100_000, Actor: "kế toán"},
				func(context.Context, postgis.Querier) ([]postgis.LiquidatedDevice, error) {
					return []postgis.LiquidatedDevice{{DeviceID: d}}, nil
				}); err != nil {
				t.Fatalf("step %d sell %s: %v", step, d, err)
			}
			m.state[d] = postgis.DeviceLiquidated
			delete(m.holder, d)
		case 6: // cancel a pending allocation (the student may be served again)
			st := pick(m.pending)
			if st == "" {
				continue
			}
			counts["cancel"]++
			if _, err := s.CancelAllocation(ctx, "officer", st, "nhầm"); err != nil {
				t.Fatalf("step %d cancel %s: %v", step, st, err)
			}
			delete(m.pending, st)
			delete(m.served, st)
			for d, h := range m.holder {
				if h == st && m.state[d] == postgis.DeviceAllocated {
					m.state[d] = postgis.DeviceInStock
					delete(m.holder, d)
				}
			}
		}
		lcCheck(ctx, t, s, m, step)
		if t.Failed() {
			return 0
		}
	}
	again := allocCount(ctx, t, s, `SELECT count(*) FROM allocations a WHERE benefit = 'device' AND EXISTS
		(SELECT 1 FROM allocations r WHERE r.device_id = a.device_id AND r.released_on IS NOT NULL AND r.id < a.id)`)
	t.Logf("seed %d: %v; %d allocation(s) of restocked devices", seed, counts, again)
	if counts["inspect_ok"] == 0 || counts["return"] == 0 {
		t.Errorf("the sequence never restocked a returned device: %v", counts)
	}
	return again
}

func lcCheck(ctx context.Context, t *testing.T, s *postgis.Store, m lcModel, step int) {
	t.Helper()
	for _, q := range []struct{ what, sql string }{
		{"devices with two active allocations", `SELECT count(*) FROM (SELECT device_id FROM allocations WHERE benefit = 'device' AND released_on IS NULL GROUP BY 1 HAVING count(*) > 1) x`},
		{"students with two devices", `SELECT count(*) FROM (SELECT student_id FROM allocations WHERE benefit = 'device' GROUP BY 1 HAVING count(*) > 1) x`},
		{"devices with two open handovers", `SELECT count(*) FROM (SELECT device_id FROM handovers WHERE status <> 'returned' GROUP BY 1 HAVING count(*) > 1) x`},
		{"released allocations without an ok inspection", `SELECT count(*) FROM allocations a WHERE released_on IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM device_inspections i WHERE i.allocation_id = a.id AND i.result = 'ok')`},
		{"sold devices allocated", `SELECT count(*) FROM allocations a JOIN liquidation_devices l USING (device_id) WHERE a.released_on IS NULL
			AND NOT EXISTS (SELECT 1 FROM device_inspections i WHERE i.allocation_id = a.id AND i.result = 'liquidate')`},
	} {
		if n := allocCount(ctx, t, s, q.sql); n != 0 {
			t.Errorf("step %d: %s: %d", step, q.what, n)
		}
	}
	states, err := s.DeviceStates(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != len(m.state) {
		t.Errorf("step %d: the store knows %d devices, the model %d", step, len(states), len(m.state))
	}
	byState, want := map[string]int{}, map[string]int{}
	for d, st := range m.state {
		want[st]++
		got := states[d]
		byState[got.State]++
		if got.State != st {
			t.Errorf("step %d: device %s is %q in the store, %q in the model", step, d, got.State, st)
		}
		if h := m.holder[d]; (st == postgis.DeviceAllocated || st == postgis.DeviceAwaitingInspection || st == postgis.DeviceInRepair) && got.StudentID != h {
			t.Errorf("step %d: device %s held by %q in the store, %q in the model", step, d, got.StudentID, h)
		}
	}
	if !maps.Equal(byState, want) {
		t.Errorf("step %d: devices per state %v, model %v", step, byState, want)
	}
	total := 0
	for _, n := range byState {
		total += n
	}
	if total != len(m.state) {
		t.Errorf("step %d: %d devices accounted for, want %d", step, total, len(m.state))
	}
	prior, err := postgis.ReadPrior(ctx, s.Pool())
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(prior.Served, m.served) {
		t.Errorf("step %d: served %d students, model %d", step, len(prior.Served), len(m.served))
	}
	for d, st := range m.state {
		if prior.Devices[d] != (st != postgis.DeviceInStock) {
			t.Errorf("step %d: device %s (%s) held in the prior: %v", step, d, st, prior.Devices[d])
		}
	}
}

// TestRestockedConcurrentCommits: every device of a first run comes back
// and is restocked; then 8 officers read the stock and commit at once, on
// overlapping pools, re-running on a conflict. The restocked devices go
// to other students, none twice; nobody who returned one is served again.
func TestRestockedConcurrentCommits(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewURL(t)
	s, err := postgis.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	in := allocation.GenerateBench(5, 400, 40, 1, 3)
	in.AllocatedDevices = nil
	storeAllocationInput(ctx, t, s, in)
	if _, err := s.CommitAllocation(ctx, postgis.AllocationRun{Actor: "first", Policy: allocation.PolicyReadyFirst}, allocPlanAll(in, nil)); err != nil {
		t.Fatal(err)
	}
	first := map[string]bool{}
	rows, err := s.Pool().Query(ctx, `SELECT student_id, device_id FROM allocations WHERE benefit = 'device'`)
	if err != nil {
		t.Fatal(err)
	}
	var pairs [][2]string
	for rows.Next() {
		var st, d string
		if err := rows.Scan(&st, &d); err != nil {
			t.Fatal(err)
		}
		pairs = append(pairs, [2]string{st, d})
		first[st] = true
	}
	rows.Close()
	day := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	for _, p := range pairs {
		if err := s.RecordHandover(ctx, "t", p[0], "", day); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordReturn(ctx, "t", p[0], "hết năm học", day.AddDate(0, 1, 0)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RecordInspection(ctx, postgis.Inspection{DeviceID: p[1], Inspector: "kt", Result: postgis.InspectOK, InspectedOn: day.AddDate(0, 1, 2)}); err != nil {
			t.Fatal(err)
		}
	}
	if len(pairs) < 10 {
		t.Fatalf("the first run gave only %d devices", len(pairs))
	}
	const officers = 8
	pending := make([]int, officers)
	for k := range pending {
		pending[k] = k
	}
	conflicts := 0
	for round := 1; len(pending) > 0; round++ {
		if round > officers+3 {
			t.Fatalf("officers %v still failing after %d rounds", pending, round-1)
		}
		var mu sync.Mutex
		var wg, read sync.WaitGroup
		read.Add(len(pending))
		barrier := func() { read.Done(); read.Wait() }
		var failed []int
		for _, k := range pending {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, err := commitView(ctx, url, k, allocation.PolicyReadyFirst, barrier)
				mu.Lock()
				defer mu.Unlock()
				var ce *postgis.ConflictError
				switch {
				case err == nil:
				case errors.As(err, &ce):
					failed = append(failed, k)
				default:
					t.Errorf("officer %d: %v", k, err)
				}
			}()
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		conflicts += len(failed)
		pending = failed
	}
	for _, q := range []struct{ what, sql string }{
		{"devices with two active allocations", `SELECT count(*) FROM (SELECT device_id FROM allocations WHERE benefit = 'device' AND released_on IS NULL GROUP BY 1 HAVING count(*) > 1) x`},
		{"students with two devices", `SELECT count(*) FROM (SELECT student_id FROM allocations WHERE benefit = 'device' GROUP BY 1 HAVING count(*) > 1) x`},
	} {
		if n := allocCount(ctx, t, s, q.sql); n != 0 {
			t.Errorf("%s: %d", q.what, n)
		}
	}
	again := allocCount(ctx, t, s, `SELECT count(*) FROM allocations WHERE benefit = 'device' AND released_on IS NULL`)
	if again == 0 {
		t.Fatal("no restocked device went out again")
	}
	var back int
	if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM allocations WHERE benefit = 'device' AND released_on IS NULL AND student_id = ANY ($1)`,
		slices.Collect(maps.Keys(first))).Scan(&back); err != nil {
		t.Fatal(err)
	}
	if back != 0 {
		t.Errorf("%d students who returned a device were served again", back)
	}
	t.Logf("%d devices restocked, %d allocated again by %d concurrent officers (%d conflicts re-run)", len(pairs), again, officers, conflicts)
}
