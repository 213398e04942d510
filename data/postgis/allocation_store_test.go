package postgis_test

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gapmap/gapmap/allocation"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
	"github.com/jackc/pgx/v5/pgconn"
)

// storeAllocationInput writes in (areas, schools, households made up from
// the connectivity keys, students, devices, SIM packages) and its
// connectivity as coverage run 1.
func storeAllocationInput(ctx context.Context, t *testing.T, s *postgis.Store, in allocation.Input) {
	t.Helper()
	tx, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	commune := ""
	for _, a := range in.Areas {
		if a.Level == "commune" || commune == "" {
			commune = a.Code
		}
	}
	schools := make([]postgis.SchoolRow, len(in.Schools))
	for i, sc := range in.Schools {
		sc.Lat, sc.Lon = 21.2+float64(i%50)/1000, 106.1+float64(i/50)/1000
		schools[i] = postgis.SchoolRow{School: sc}
	}
	var hh []postgis.HouseholdRow
	seen := map[string]bool{}
	for _, st := range in.Students {
		if !seen[st.HouseholdID] {
			seen[st.HouseholdID] = true
			hh = append(hh, postgis.HouseholdRow{Household: data.Household{ID: st.HouseholdID, Lat: 21.3, Lon: 106.2, AreaCode: commune, Members: 4}})
		}
	}
	var donors []string
	for _, d := range in.Devices {
		donors = append(donors, d.Donor)
	}
	steps := []func() (int64, error){
		func() (int64, error) { return postgis.CopyAreas(ctx, tx, postgis.SliceSource(in.Areas)) },
		func() (int64, error) { return postgis.CopySchools(ctx, tx, postgis.SliceSource(schools)) },
		func() (int64, error) { return postgis.CopyHouseholds(ctx, tx, postgis.SliceSource(hh)) },
		func() (int64, error) { return postgis.CopyStudents(ctx, tx, postgis.SliceSource(in.Students)) },
		func() (int64, error) { return postgis.EnsureDonors(ctx, tx, donors) },
		func() (int64, error) { return postgis.CopyDevices(ctx, tx, postgis.SliceSource(in.Devices)) },
		func() (int64, error) { return postgis.CopySimPackages(ctx, tx, postgis.SliceSource(in.SimPackages)) },
	}
	for i, st := range steps {
		if _, err := st(); err != nil {
			t.Fatalf("store the input, step %d: %v", i, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	storeCoverage(ctx, t, s, in.Connectivity)
}

// storeCoverage writes household connectivity as one coverage run (a
// what-if run when whatIf is not empty) and returns its id.
func storeCoverage(ctx context.Context, t *testing.T, s *postgis.Store, conn map[string]allocation.Connectivity, whatIf ...string) int64 {
	t.Helper()
	var run int64
	if whatIf == nil {
		whatIf = []string{}
	}
	if err := s.Pool().QueryRow(ctx, `INSERT INTO coverage_runs (parameters, what_if) VALUES ('{}', $1) RETURNING id`, whatIf).Scan(&run); err != nil {
		t.Fatal(err)
	}
	var ids, classes, ops, ops3 []string
	for id, c := range conn {
		ids, classes, ops = append(ids, id), append(classes, c.Class), append(ops, strings.Join(c.Operators4G, ";"))
		ops3 = append(ops3, strings.Join(c.Operators3G, ";"))
	}
	_, err := s.Pool().Exec(ctx, `INSERT INTO coverage_entities (run_id, entity_type, entity_id, h3, connectivity, operators_4g, operators_3g, geom)
		SELECT $1, 'household', id, 0, class, coalesce(string_to_array(nullif(ops, ''), ';'), '{}'),
			coalesce(string_to_array(nullif(ops3, ''), ';'), '{}'), ST_SetSRID(ST_MakePoint(106.2, 21.3), 4326)
		FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS u(id, class, ops, ops3)`, run, ids, classes, ops, ops3)
	if err != nil {
		t.Fatalf("store coverage run %d: %v", run, err)
	}
	return run
}

// allocView keeps, for the run of "officer" k, about 2/3 of the schools and
// half the devices: overlapping pools.
func allocView(in allocation.Input, k int) allocation.Input {
	keep := func(id string, mod uint32) bool {
		h := fnv.New32a()
		fmt.Fprintf(h, "%d/%s", k, id)
		return h.Sum32()%mod != 0
	}
	out := in
	schools := map[string]bool{}
	out.Schools = nil
	for _, s := range in.Schools {
		if keep(s.ID, 3) {
			out.Schools = append(out.Schools, s)
			schools[s.ID] = true
		}
	}
	out.Students = nil
	for _, s := range in.Students {
		if schools[s.SchoolID] {
			out.Students = append(out.Students, s)
		}
	}
	out.Devices = nil
	for _, d := range in.Devices {
		if keep(d.ID, 2) {
			out.Devices = append(out.Devices, d)
		}
	}
	return out
}

// allocRows turns an engine result into store rows.
func allocRows(res *allocation.Result) []postgis.AllocationRow {
	rows := make([]postgis.AllocationRow, len(res.Allocations))
	for i, a := range res.Allocations {
		rows[i] = postgis.AllocationRow{StudentID: a.StudentID, SchoolID: a.SchoolID, AreaCode: a.AreaCode, Priority: a.Priority,
			Connectivity: a.Connectivity, DeviceID: a.DeviceID, DeviceType: a.DeviceType, SimPackageID: a.SimPackageID,
			SimOperator: a.SimOperator, Flag: a.Flag, Reason: a.Reason}
	}
	return rows
}

// commitView runs the full read-allocate-commit of officer k on its own
// connection pool, as a separate process would. ready (may be nil) is
// called between the read and the commit.
func commitView(ctx context.Context, url string, k int, policy string, ready func()) (postgis.AllocationRun, int, error) {
	var once sync.Once
	signal := func() {
		if ready != nil {
			once.Do(ready)
		}
	}
	defer signal() // also on an early error: the others must not wait forever
	s, err := postgis.Open(ctx, url)
	if err != nil {
		return postgis.AllocationRun{}, 0, err
	}
	defer s.Close()
	conn := map[string]allocation.Connectivity{}
	ai, err := s.ReadAllocationInput(ctx, time.Now(), func(id string, c data.Connectivity) error {
		conn[id] = c
		return nil
	})
	if err != nil {
		return postgis.AllocationRun{}, 0, err
	}
	base := allocation.Input{Areas: ai.Dataset.Areas, Schools: ai.Dataset.Schools, Students: ai.Dataset.Students,
		Devices: ai.Dataset.Devices, SimPackages: ai.Dataset.SimPackages, Connectivity: conn}
	settings := allocation.DefaultSettings()
	settings.Policy = policy
	planned := 0
	signal()
	run, err := s.CommitAllocation(ctx, postgis.AllocationRun{Actor: fmt.Sprintf("officer-%d", k), Policy: policy, CoverageRun: ai.CoverageRun},
		func(ctx context.Context, prior postgis.Prior) (postgis.AllocationPlan, error) {
			in := allocView(base, k)
			in.Served, in.AllocatedDevices, in.SimUsed = prior.Served, prior.Devices, prior.SimUsed
			res, err := allocation.Allocate(ctx, in, settings)
			if err != nil {
				return postgis.AllocationPlan{}, err
			}
			rows := allocRows(res)
			planned = len(rows)
			return postgis.AllocationPlan{Rows: rows}, nil
		})
	return run, planned, err
}

func TestAllocationConcurrentCommits(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewURL(t)
	s, err := postgis.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	in := allocation.GenerateBench(7, 500, 140, 2, 6)
	storeAllocationInput(ctx, t, s, in)

	const officers = 20
	policy := func(k int) string {
		if k%2 == 0 {
			return allocation.PolicyReadyFirst
		}
		return allocation.PolicyNeedFirst
	}
	pending := make([]int, officers)
	for k := range pending {
		pending[k] = k
	}
	committed, conflicts := 0, 0
	causes := map[string]int{}
	for round := 1; len(pending) > 0; round++ {
		if round > officers+5 {
			t.Fatalf("officers %v still failing after %d rounds", pending, round-1)
		}
		var mu sync.Mutex
		var wg, read sync.WaitGroup
		start := make(chan struct{})
		var failed []int
		read.Add(len(pending))
		// Every officer has read the input before any commits: the commits
		// then race.
		barrier := func() { read.Done(); read.Wait() }
		for _, k := range pending {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, _, err := commitView(ctx, url, k, policy(k), barrier)
				mu.Lock()
				defer mu.Unlock()
				var ce *postgis.ConflictError
				switch {
				case err == nil:
					committed++
				case errors.As(err, &ce):
					conflicts++
					failed = append(failed, k)
					var pe *pgconn.PgError
					if errors.As(err, &pe) {
						causes[pe.Code+" "+pe.ConstraintName]++
					}
				default:
					t.Errorf("officer %d: %v", k, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if t.Failed() {
			return
		}
		slices.Sort(failed)
		t.Logf("round %d: %d runs, %d failed on a conflict", round, len(pending), len(failed))
		if len(failed) == len(pending) {
			t.Fatalf("round %d: every commit failed; at least one must win", round)
		}
		pending = failed
	}
	t.Logf("%d committed runs, %d conflicts %v", committed, conflicts, causes)
	checkAllocationInvariants(ctx, t, s)

	// Everything reachable is served: a new run of any officer finds nothing.
	for k := range officers {
		run, planned, err := commitView(ctx, url, k, policy(k), nil)
		if err != nil {
			t.Fatalf("officer %d, final run: %v", k, err)
		}
		if planned != 0 || run.Devices != 0 {
			t.Errorf("officer %d: a new run still allocates %d devices: the earlier runs left reachable needs", k, planned)
		}
	}
	checkAllocationInvariants(ctx, t, s)
}

// checkAllocationInvariants checks, from the tables, what the constraints
// promise.
func checkAllocationInvariants(ctx context.Context, t *testing.T, s *postgis.Store) {
	t.Helper()
	pool := s.Pool()
	var n int
	queries := []struct{ what, sql string }{
		{"students with two devices", `SELECT count(*) FROM (SELECT student_id FROM allocations WHERE benefit = 'device' GROUP BY 1 HAVING count(*) > 1) x`},
		{"students with two SIMs", `SELECT count(*) FROM (SELECT student_id FROM allocations WHERE benefit = 'sim' GROUP BY 1 HAVING count(*) > 1) x`},
		{"devices with two students", `SELECT count(*) FROM (SELECT device_id FROM allocations WHERE benefit = 'device' AND released_on IS NULL GROUP BY 1 HAVING count(*) > 1) x`},
		{"SIMs without a device", `SELECT count(*) FROM allocations s WHERE benefit = 'sim' AND NOT EXISTS (SELECT 1 FROM allocations d WHERE d.student_id = s.student_id AND d.benefit = 'device')`},
		{"packages over quantity", `SELECT count(*) FROM (SELECT a.sim_package_id FROM allocations a JOIN sim_packages p ON p.package_id = a.sim_package_id
			GROUP BY a.sim_package_id, p.quantity HAVING count(*) > p.quantity) x`},
		{"stock counters off", `SELECT count(*) FROM sim_stock s WHERE issued <> (SELECT count(*) FROM allocations a WHERE a.sim_package_id = s.package_id)`},
		{"runs partly written", `SELECT count(*) FROM allocation_runs r WHERE (SELECT count(*) FROM allocations a WHERE a.run_id = r.id)
			<> CASE WHEN r.status = 'committed' THEN r.devices + r.sims ELSE 0 END`},
		{"runs with handovers missing", `SELECT count(*) FROM allocation_runs r WHERE (SELECT count(*) FROM handovers h WHERE h.run_id = r.id)
			<> CASE WHEN r.status = 'committed' THEN r.devices ELSE 0 END`},
		{"allocations missing from the ledger", `SELECT count(*) FROM allocations a WHERE NOT EXISTS (SELECT 1 FROM allocation_ledger l
			WHERE l.action = 'allocate_' || a.benefit AND l.run_id = a.run_id AND l.student_id = a.student_id)`},
		{"runs missing from the ledger", `SELECT count(*) FROM allocation_runs r WHERE NOT EXISTS (SELECT 1 FROM allocation_ledger l
			WHERE l.action = 'run_' || r.status AND l.run_id = r.id)`},
		{"students served who are not needs", `SELECT count(*) FROM allocations a JOIN students s USING (student_id) WHERE s.priority = 0 OR s.has_device`},
	}
	for _, q := range queries {
		if err := pool.QueryRow(ctx, q.sql).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q.what, err)
		}
		if n != 0 {
			t.Errorf("%s: %d", q.what, n)
		}
	}
}

// allocHandCase is a small store with two schools and five needs.
func allocHandCase(ctx context.Context, t *testing.T) (*postgis.Store, allocation.Input) {
	t.Helper()
	s := pgtest.New(t)
	in := allocation.Input{
		Areas: []data.Area{{Code: "24", Name: "Bắc Giang", Level: "province"}, {Code: "213", Name: "TP Bắc Giang", Level: "district", ParentCode: "24"}},
		Schools: []data.School{
			{ID: "S1", Name: "TH Trần Phú", Level: data.LevelPrimary, AreaCode: "213"},
			{ID: "S2", Name: "THCS Lê Lợi", Level: data.LevelLower, AreaCode: "213"},
		},
		Students: []data.Student{
			{ID: "ST1", HouseholdID: "H1", SchoolID: "S1", Grade: 3, Priority: 1},
			{ID: "ST2", HouseholdID: "H2", SchoolID: "S1", Grade: 4, Priority: 2},
			{ID: "ST3", HouseholdID: "H3", SchoolID: "S2", Grade: 7, Priority: 1},
			{ID: "ST4", HouseholdID: "H4", SchoolID: "S2", Grade: 8, Priority: 3},
			{ID: "ST5", HouseholdID: "H5", SchoolID: "S2", Grade: 8, Priority: 1},
		},
		SimPackages: []data.SimPackage{{ID: "P1", Operator: data.OpViettel, GBPerDay: 4, Months: 3, Quantity: 2}},
		Connectivity: map[string]allocation.Connectivity{
			"H1": {Class: "4g", Operators4G: []string{"viettel"}}, "H2": {Class: "4g", Operators4G: []string{"viettel"}},
			"H3": {Class: "4g", Operators4G: []string{"viettel"}}, "H4": {Class: "fiber"}, "H5": {Class: "none"},
		},
	}
	for i := 1; i <= 4; i++ {
		in.Devices = append(in.Devices, data.Device{ID: fmt.Sprintf("D%d", i), Donor: "Quỹ", Type: data.DeviceTablet, OS: "android", OSVersion: "10",
			RAMGB: 3, StorageGB: 32, FreeStorageGB: 20, HasCharger: data.CondYes, AVOK: data.CondYes, ScreenOK: data.CondYes, KeyboardOK: data.CondYes, HasMonitor: data.CondYes, WiFi: data.CondYes,
			Serial: fmt.Sprintf("SN%d", i)})
	}
	storeAllocationInput(ctx, t, s, in)
	return s, in
}

// allocPlanAll plans with the engine on the whole input.
func allocPlanAll(in allocation.Input, gate func()) postgis.PlanFunc {
	return func(ctx context.Context, prior postgis.Prior) (postgis.AllocationPlan, error) {
		in.Served, in.AllocatedDevices, in.SimUsed = prior.Served, prior.Devices, prior.SimUsed
		res, err := allocation.Allocate(ctx, in, allocation.DefaultSettings())
		if err != nil {
			return postgis.AllocationPlan{}, err
		}
		if gate != nil {
			gate()
		}
		rows := allocRows(res)
		for i := range rows {
			rows[i].DeviceSerial = "SN" + strings.TrimPrefix(rows[i].DeviceID, "D")
		}
		return postgis.AllocationPlan{Rows: rows, Summary: []byte(`{"note":"test"}`)}, nil
	}
}

func allocCount(ctx context.Context, t *testing.T, s *postgis.Store, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := s.Pool().QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// TestAllocationCommitConflict: run A plans, run B commits the same
// students meanwhile; A's insert then violates the unique constraints, A
// rolls back whole and is recorded as failed; a re-run serves what is left.
func TestAllocationCommitConflict(t *testing.T) {
	ctx := context.Background()
	s, in := allocHandCase(ctx, t)
	first := in
	first.Devices = in.Devices[:2] // B holds D1, D2 only: A (all four) overlaps

	planned := make(chan struct{})
	release := make(chan struct{})
	var runA postgis.AllocationRun
	var errA error
	done := make(chan struct{})
	go func() {
		defer close(done)
		runA, errA = s.CommitAllocation(ctx, postgis.AllocationRun{Actor: "A", Policy: "ready-first"},
			allocPlanAll(in, func() { close(planned); <-release }))
	}()
	<-planned
	runB, err := s.CommitAllocation(ctx, postgis.AllocationRun{Actor: "B", Policy: "ready-first"}, allocPlanAll(first, nil))
	if err != nil {
		t.Fatalf("B: %v", err)
	}
	if runB.Devices != 2 {
		t.Fatalf("B committed %d devices, want 2", runB.Devices)
	}
	close(release)
	<-done
	var ce *postgis.ConflictError
	if !errors.As(errA, &ce) {
		t.Fatalf("A: got %v, want a ConflictError", errA)
	}
	if !strings.Contains(errA.Error(), "another allocation run committed first") || !strings.Contains(errA.Error(), "a new run sees the other run's allocations") {
		t.Errorf("A's error does not tell what to do: %v", errA)
	}
	if n := allocCount(ctx, t, s, `SELECT count(*) FROM allocations WHERE run_id = $1`, ce.FailedRun); n != 0 {
		t.Errorf("failed run %d left %d rows", ce.FailedRun, n)
	}
	runs, err := s.ListAllocationRuns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[1].ID != ce.FailedRun || runs[1].Status != postgis.RunFailed || runs[1].Devices != 4 || runA.ID != 0 {
		t.Errorf("runs %+v", runs)
	}
	// The re-run sees B's allocations and serves the rest.
	again, err := s.CommitAllocation(ctx, postgis.AllocationRun{Actor: "A", Policy: "ready-first"}, allocPlanAll(in, nil))
	if err != nil {
		t.Fatalf("re-run: %v", err)
	}
	if again.Devices != 2 || again.Status != postgis.RunCommitted {
		t.Errorf("re-run allocated %d devices, want the 2 left", again.Devices)
	}
	if n := allocCount(ctx, t, s, `SELECT count(*) FROM allocations WHERE benefit = 'device'`); n != 4 {
		t.Errorf("%d devices allocated, want 4", n)
	}
	// P1 holds 2 SIMs for three 4G homes: never more.
	if n := allocCount(ctx, t, s, `SELECT issued FROM sim_stock WHERE package_id = 'P1'`); n != 2 {
		t.Errorf("P1 issued %d SIMs, want 2", n)
	}
	checkAllocationInvariants(ctx, t, s)
}

// TestAllocationSimQuantity: the database refuses more SIMs than a package
// holds, whatever the client plans, and nothing of the run is written.
func TestAllocationSimQuantity(t *testing.T) {
	ctx := context.Background()
	s, _ := allocHandCase(ctx, t)
	rows := []postgis.AllocationRow{
		{StudentID: "ST1", SchoolID: "S1", AreaCode: "213", Priority: 1, Connectivity: "4g", DeviceID: "D1", SimPackageID: "P1", SimOperator: "viettel"},
		{StudentID: "ST2", SchoolID: "S1", AreaCode: "213", Priority: 2, Connectivity: "4g", DeviceID: "D2", SimPackageID: "P1", SimOperator: "viettel"},
		{StudentID: "ST3", SchoolID: "S2", AreaCode: "213", Priority: 1, Connectivity: "4g", DeviceID: "D3", SimPackageID: "P1", SimOperator: "viettel"},
	}
	_, err := s.CommitAllocation(ctx, postgis.AllocationRun{Actor: "A", Policy: "ready-first"},
		func(context.Context, postgis.Prior) (postgis.AllocationPlan, error) {
			return postgis.AllocationPlan{Rows: rows}, nil
		})
	if err == nil {
		t.Fatal("3 SIMs from a package of 2 were committed")
	}
	if n := allocCount(ctx, t, s, `SELECT count(*) FROM allocations`); n != 0 {
		t.Errorf("%d rows written by a failed run", n)
	}
	if n := allocCount(ctx, t, s, `SELECT count(*) FROM sim_stock WHERE issued > 0`); n != 0 {
		t.Errorf("stock counted SIMs of a failed run")
	}
	// Two of them fit.
	if _, err := s.CommitAllocation(ctx, postgis.AllocationRun{Actor: "A", Policy: "ready-first"},
		func(context.Context, postgis.Prior) (postgis.AllocationPlan, error) {
			return postgis.AllocationPlan{Rows: rows[:2]}, nil
		}); err != nil {
		t.Fatal(err)
	}
	// A student never gets a second device, even in a hand-made plan.
	_, err = s.CommitAllocation(ctx, postgis.AllocationRun{Actor: "A", Policy: "ready-first"},
		func(context.Context, postgis.Prior) (postgis.AllocationPlan, error) {
			return postgis.AllocationPlan{Rows: []postgis.AllocationRow{{StudentID: "ST1", SchoolID: "S1", AreaCode: "213", Priority: 1, Connectivity: "4g", DeviceID: "D4"}}}, nil
		})
	if err == nil {
		t.Fatal("a second device for ST1 was committed")
	}
	checkAllocationInvariants(ctx, t, s)
}

// TestAllocationHandoverRules: handovers are final, the ledger records
// every change and cannot be edited, runs are history.
func TestAllocationHandoverRules(t *testing.T) {
	ctx := context.Background()
	s, in := allocHandCase(ctx, t)
	pool := s.Pool()
	run, err := s.CommitAllocation(ctx, postgis.AllocationRun{Actor: "officer", Policy: "ready-first"}, allocPlanAll(in, nil))
	if err != nil {
		t.Fatal(err)
	}
	if run.Devices != 4 || run.Sims != 2 {
		t.Fatalf("run: %d devices, %d SIMs; want 4 and 2", run.Devices, run.Sims)
	}
	// ST1 and ST3 (tier 1, 4G) got the two SIMs of P1; ST1 receives first.
	withSim, simPending, noSim := "ST1", "ST3", "ST5"
	if got := allocCount(ctx, t, s, `SELECT count(*) FROM allocations WHERE benefit = 'sim' AND student_id IN ($1, $2)`, withSim, simPending); got != 2 {
		t.Fatalf("SIMs went to %d of ST1, ST3; want both", got)
	}
	if err := s.RecordHandover(ctx, "teacher", withSim, "8984048000000000001", time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	refused := []struct{ what, sql string }{
		{"delete a handed-over handover", `DELETE FROM handovers WHERE student_id = $1`},
		{"reassign a handed-over device", `UPDATE handovers SET device_id = 'D9' WHERE student_id = $1`},
		{"set a handover back to pending", `UPDATE handovers SET status = 'pending' WHERE student_id = $1`},
		{"delete a handed-over allocation", `DELETE FROM allocations WHERE student_id = $1`},
		{"edit an allocation", `UPDATE allocations SET device_id = 'D9' WHERE student_id = $1 AND benefit = 'device'`},
		{"edit the ledger", `UPDATE allocation_ledger SET actor = 'x' WHERE student_id = $1`},
		{"delete from the ledger", `DELETE FROM allocation_ledger WHERE student_id = $1`},
		{"delete a run", `DELETE FROM allocation_runs WHERE $1 <> ''`},
	}
	for _, r := range refused {
		if _, err := pool.Exec(ctx, r.sql, withSim); err == nil {
			t.Errorf("%s: accepted", r.what)
		}
	}
	for _, table := range []string{"allocations CASCADE", "handovers", "allocation_ledger", "allocation_runs CASCADE"} {
		if _, err := pool.Exec(ctx, "TRUNCATE "+table); err == nil || !strings.Contains(err.Error(), "never truncated") {
			t.Errorf("TRUNCATE %s: %v", table, err)
		}
	}
	if _, err := s.CancelAllocation(ctx, "officer", withSim, "moved away"); err == nil || !strings.Contains(err.Error(), "never taken back") {
		t.Errorf("cancel after handover: %v", err)
	}
	if err := s.RecordReturn(ctx, "officer", noSim, "moved away", time.Now()); err == nil {
		t.Errorf("a return before any handover was accepted")
	}
	// A pending allocation may be cancelled: device and SIM go back.
	n, err := s.CancelAllocation(ctx, "officer", simPending, "wrong school")
	if err != nil || n != 2 {
		t.Fatalf("cancel pending: %d rows, %v; want the device and the SIM", n, err)
	}
	if got := allocCount(ctx, t, s, `SELECT count(*) FROM handovers WHERE student_id = $1`, simPending); got != 0 {
		t.Errorf("the pending handover of a cancelled allocation remains")
	}
	if got := allocCount(ctx, t, s, `SELECT issued FROM sim_stock WHERE package_id = 'P1'`); got != 1 {
		t.Errorf("P1 issued %d after the cancel, want 1", got)
	}
	// Handed over → returned is the one change allowed after a handover.
	if err := s.RecordReturn(ctx, "officer", withSim, "graduated", time.Now()); err != nil {
		t.Fatalf("return: %v", err)
	}
	if err := s.RecordHandover(ctx, "teacher", withSim, "", time.Now()); err == nil {
		t.Errorf("a returned device was handed over again on the same record")
	}
	var actions []string
	rows, err := pool.Query(ctx, `SELECT action || ':' || actor || ':' || coalesce(student_id, '') || ':' || reason FROM allocation_ledger
		WHERE action NOT LIKE 'allocate_%' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			t.Fatal(err)
		}
		actions = append(actions, a)
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	want := []string{"run_committed:officer::4 device(s), 2 SIM(s), policy ready-first", "handover:teacher:" + withSim + ":",
		"cancel_device:officer:" + simPending + ":wrong school", "cancel_sim:officer:" + simPending + ":wrong school",
		"return:officer:" + withSim + ":graduated"}
	if !slices.Equal(actions, want) {
		t.Errorf("ledger:\n got %q\nwant %q", actions, want)
	}
	if got := allocCount(ctx, t, s, `SELECT count(*) FROM allocation_ledger WHERE action LIKE 'allocate_%' AND actor = 'officer'`); got != 6 {
		t.Errorf("%d allocate entries in the ledger, want 6", got)
	}
}

func TestAllocationInputNeedsCoverage(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	_, err := s.ReadAllocationInput(ctx, time.Now(), func(string, data.Connectivity) error { return nil })
	var nc *postgis.NoCoverageError
	if !errors.As(err, &nc) || !strings.Contains(err.Error(), "the database has no coverage results") {
		t.Fatalf("no coverage run: got %v, want a NoCoverageError", err)
	}
	// With a run, households come with their operators, from the latest run.
	storeCoverage(ctx, t, s, map[string]allocation.Connectivity{"H1": {Class: "none"}})
	latest := storeCoverage(ctx, t, s, map[string]allocation.Connectivity{"H1": {Class: "4g", Operators4G: []string{"viettel", "mobifone"}, Operators3G: []string{"vinaphone"}}})
	// A what-if run counts sectors not built yet: never used to allocate.
	storeCoverage(ctx, t, s, map[string]allocation.Connectivity{"H1": {Class: "fiber"}}, "planned/1")
	got := map[string]string{}
	ai, err := s.ReadAllocationInput(ctx, time.Now(), func(id string, c data.Connectivity) error {
		got[id] = c.Class + ":" + strings.Join(c.Operators4G, ",") + ":" + strings.Join(c.Operators3G, ",")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if ai.CoverageRun != latest || len(got) != 1 || got["H1"] != "4g:viettel,mobifone:vinaphone" {
		t.Errorf("coverage run %d (want %d), homes %v", ai.CoverageRun, latest, got)
	}
}
