package importer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// householdRows returns n households with ids prefix1..prefixN inside C1.
func householdRows(prefix string, n int) [][]string {
	var rows [][]string
	for k := 1; k <= n; k++ {
		rows = append(rows, []string{prefix + strconv.Itoa(k), strconv.FormatFloat(21.01+float64(k%900)*0.0001, 'f', -1, 64), "105.01", "", "gps", "none", "2"})
	}
	return rows
}

func ids(t *testing.T, s *postgis.Store, table, col string) []string {
	t.Helper()
	rows, err := s.Pool().Query(context.Background(), fmt.Sprintf("SELECT %s FROM %s ORDER BY 1", col, table))
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func wantIDs(prefix string, n int) []string {
	var out []string
	for k := 1; k <= n; k++ {
		out = append(out, prefix+strconv.Itoa(k))
	}
	slices.Sort(out)
	return out
}

// TestConcurrentReplacesKeepOneFile: two replaces of the same kind at once
// are serialised: the table ends with exactly one file's rows, never both.
func TestConcurrentReplacesKeepOneFile(t *testing.T) {
	s := pgtest.New(t)
	loadBase(t, s)
	dir := t.TempDir()
	a := csvFile(t, t.TempDir(), "households.csv", format.HouseholdHeader(), householdRows("A", 400)...)
	b := csvFile(t, dir, "households.csv", format.HouseholdHeader(), householdRows("B", 300)...)
	wantA, wantB := wantIDs("A", 400), wantIDs("B", 300)
	for round, bulk := range []bulkPolicy{bulkNever, bulkAlways, bulkNever, bulkAlways} {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, path := range []string{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = Import(context.Background(), s, format.KindHouseholds, path, Options{Replace: true, bulk: bulk})
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("round %d: replace %d: %v", round, i, err)
			}
		}
		got := ids(t, s, "households", "household_id")
		if !reflect.DeepEqual(got, wantA) && !reflect.DeepEqual(got, wantB) {
			t.Fatalf("round %d: the table holds %d households (first %q, last %q), want exactly the 400 of A or the 300 of B",
				round, len(got), got[0], got[len(got)-1])
		}
	}
}

// TestImportWaitsForAnotherImport: an import whose table is locked by
// another import says it waits, waits, then runs.
func TestImportWaitsForAnotherImport(t *testing.T) {
	s := pgtest.New(t)
	loadBase(t, s)
	ctx := context.Background()
	tx, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if err := postgis.LockImport(ctx, tx, postgis.ImportLocks{Exclusive: []string{"households"}}, nil); err != nil {
		t.Fatal(err)
	}
	waiting := make(chan []string, 1)
	done := make(chan error, 1)
	path := csvFile(t, t.TempDir(), "households.csv", format.HouseholdHeader(), householdRows("W", 5)...)
	go func() {
		_, err := Import(ctx, s, format.KindHouseholds, path, Options{Replace: true, OnWait: func(tables []string) { waiting <- tables }})
		done <- err
	}()
	select {
	case tables := <-waiting:
		if !slices.Contains(tables, "households") {
			t.Errorf("waits for %v, want households among them", tables)
		}
	case err := <-done:
		t.Fatalf("the import ran while another held the lock: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("no wait reported")
	}
	select {
	case err := <-done:
		t.Fatalf("the import did not wait: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := ids(t, s, "households", "household_id"); !reflect.DeepEqual(got, wantIDs("W", 5)) {
		t.Errorf("households %v", got)
	}
}

// TestLockTimeoutIsRetryable: a wait that the server ends (lock_timeout)
// is a *postgis.RetryableError, also a *data.ConflictError (the API's 409),
// and nothing is written.
func TestLockTimeoutIsRetryable(t *testing.T) {
	u := pgtest.NewURL(t)
	ctx := context.Background()
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	s, err := postgis.Open(ctx, u+sep+"lock_timeout=300ms")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustImport(t, s, format.KindAreas, areasFile(t, t.TempDir(), testAreas()), Options{})
	tx, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if err := postgis.LockImport(ctx, tx, postgis.ImportLocks{Exclusive: []string{"households"}}, nil); err != nil {
		t.Fatal(err)
	}
	path := csvFile(t, t.TempDir(), "households.csv", format.HouseholdHeader(), householdRows("T", 5)...)
	_, err = Import(ctx, s, format.KindHouseholds, path, Options{})
	var re *postgis.RetryableError
	if !errors.As(err, &re) {
		t.Fatalf("got %v, want a *postgis.RetryableError", err)
	}
	var ce *data.ConflictError
	if !errors.As(err, &ce) || !strings.Contains(ce.Reason, "it can be retried") || !strings.Contains(ce.Reason, "lock_timeout") {
		t.Errorf("conflict: %v", ce)
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "55P03" {
		t.Errorf("cause: %v", err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if n := counts(t, s)["households"]; n != 0 {
		t.Errorf("%d households", n)
	}
}

func TestIsRetryable(t *testing.T) {
	for code, want := range map[string]bool{"40001": true, "40P01": true, "55P03": true, "23505": false, "25P02": false, "57P01": false} {
		if got := postgis.IsRetryable(fmt.Errorf("x: %w", &pgconn.PgError{Code: code})); got != want {
			t.Errorf("%s: %v", code, got)
		}
	}
	if postgis.IsRetryable(&pgconn.PgError{Code: "57014", Message: "canceling statement due to user request"}) {
		t.Error("a cancellation asked by the client is not retryable")
	}
	if !postgis.IsRetryable(&pgconn.PgError{Code: "57014", Message: "canceling statement due to statement timeout"}) {
		t.Error("statement_timeout is retryable")
	}
	if postgis.IsRetryable(errors.New("plain")) {
		t.Error("plain error")
	}
}

// TestConcurrentImportsIntoEmptyTable: N imports into an empty table at
// once (bulk path) all end by the rules, with no deadlock and no
// "transaction is aborted": disjoint files all go in; the same file goes
// in once and the others are told its ids already exist.
func TestConcurrentImportsIntoEmptyTable(t *testing.T) {
	const n = 6
	check := func(t *testing.T, errs []error) {
		for _, err := range errs {
			if err == nil {
				continue
			}
			var re *postgis.RetryableError
			if errors.As(err, &re) || strings.Contains(err.Error(), "transaction is aborted") || strings.Contains(err.Error(), "deadlock") {
				t.Errorf("got %v", err)
			}
		}
	}
	run := func(s *postgis.Store, paths []string, bulk bulkPolicy) []error {
		var wg sync.WaitGroup
		errs := make([]error, len(paths))
		for i, p := range paths {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = Import(context.Background(), s, format.KindHouseholds, p, Options{bulk: bulk})
			}()
		}
		wg.Wait()
		return errs
	}
	for _, bulk := range []bulkPolicy{bulkAlways, bulkAuto} {
		t.Run(fmt.Sprintf("disjoint/%d", bulk), func(t *testing.T) {
			s := pgtest.New(t)
			mustImport(t, s, format.KindAreas, areasFile(t, t.TempDir(), testAreas()), Options{})
			var paths []string
			for i := range n {
				paths = append(paths, csvFile(t, t.TempDir(), "households.csv", format.HouseholdHeader(), householdRows("D"+strconv.Itoa(i)+"-", 3000)...))
			}
			errs := run(s, paths, bulk)
			check(t, errs)
			for i, err := range errs {
				if err != nil {
					t.Errorf("import %d: %v", i, err)
				}
			}
			if got := counts(t, s)["households"]; got != n*3000 {
				t.Errorf("%d households, want %d", got, n*3000)
			}
		})
		t.Run(fmt.Sprintf("same file/%d", bulk), func(t *testing.T) {
			s := pgtest.New(t)
			mustImport(t, s, format.KindAreas, areasFile(t, t.TempDir(), testAreas()), Options{})
			p := csvFile(t, t.TempDir(), "households.csv", format.HouseholdHeader(), householdRows("S", 3000)...)
			errs := run(s, slices.Repeat([]string{p}, n), bulk)
			check(t, errs)
			ok := 0
			for i, err := range errs {
				var ve *data.ValidationError
				switch {
				case err == nil:
					ok++
				case errors.As(err, &ve):
					if ve.Len() != 3000 || ve.Errors[0].Column != "household_id" || !strings.Contains(ve.Errors[0].Reason, "already exists in the database") {
						t.Errorf("import %d: %v", i, err)
					}
				default:
					t.Errorf("import %d: %v", i, err)
				}
			}
			if ok != 1 {
				t.Errorf("%d imports succeeded, want 1", ok)
			}
			if got := ids(t, s, "households", "household_id"); !reflect.DeepEqual(got, wantIDs("S", 3000)) {
				t.Errorf("%d households", len(got))
			}
		})
	}
}

// allocate records a committed run giving dev (and a SIM of pkg when not
// empty) to student, with a handover in status (pending or handed_over).
func allocate(t *testing.T, s *postgis.Store, student, dev, pkg, status string) {
	t.Helper()
	ctx := context.Background()
	tx, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	var run int64
	if err := tx.QueryRow(ctx, `INSERT INTO allocation_runs (actor, policy, status) VALUES ('test', 'need-first', 'committed') RETURNING id`).Scan(&run); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO allocations (run_id, student_id, benefit, device_id, school_id, area_code, priority, connectivity)
		VALUES ($1, $2, 'device', $3, 'S1', 'C1', 1, '4g')`, run, student, dev); err != nil {
		t.Fatal(err)
	}
	var sim any
	if pkg != "" {
		sim = pkg
		if _, err := tx.Exec(ctx, `INSERT INTO allocations (run_id, student_id, benefit, sim_package_id, school_id, area_code, priority, connectivity)
			VALUES ($1, $2, 'sim', $3, 'S1', 'C1', 1, '4g')`, run, student, pkg); err != nil {
			t.Fatal(err)
		}
	}
	var on any
	if status == "handed_over" {
		on = time.Date(2026, 9, 5, 0, 0, 0, 0, time.UTC)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO handovers (student_id, run_id, school_id, device_id, sim_package_id, status, handed_over_on)
		VALUES ($1, $2, 'S1', $3, $4, $5, $6)`, student, run, dev, sim, status, on); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestReplaceKeepsAllocated: a replace never deletes a student, device or
// SIM package that a committed allocation or a handover refers to; it may
// keep them when the new file holds them (same id), and it fails, listing
// every one, when it would delete them.
func TestReplaceKeepsAllocated(t *testing.T) {
	s := pgtest.New(t)
	world := t.TempDir()
	worldFiles(t, world, false)
	if _, err := ImportDir(context.Background(), s, world, Options{}); err != nil {
		t.Fatal(err)
	}
	allocate(t, s, "ST1", "DV1", "", "handed_over")
	allocate(t, s, "ST2", "DV2", "PK1", "pending")
	dir := t.TempDir()
	st := testStudents()

	t.Run("student dropped", func(t *testing.T) {
		path := csvFile(t, dir, "students.csv", format.StudentHeader(), format.StudentRecord(st[1]), format.StudentRecord(st[2]))
		for _, dry := range []bool{false, true} {
			errs := importFails(t, s, format.KindStudents, path, Options{Replace: true, DryRun: dry})
			checkErrors(t, errs, "students.csv", want{Column: "student_id", Value: "ST1",
				Reason: "student ST1 received a device in committed allocation run 1 (handed over), and the replace would delete it: the allocation records keep referring to it, so keep it in the file with the same id"})
		}
	})
	t.Run("students kept with the same id", func(t *testing.T) {
		changed := st[0]
		changed.Grade = 4
		path := csvFile(t, dir, "students.csv", format.StudentHeader(), format.StudentRecord(changed), format.StudentRecord(st[1]))
		mustImport(t, s, format.KindStudents, path, Options{Replace: true})
		if got := ids(t, s, "students", "student_id"); !reflect.DeepEqual(got, []string{"ST1", "ST2"}) {
			t.Errorf("students %v", got)
		}
		var grade int
		if err := s.Pool().QueryRow(context.Background(), `SELECT grade FROM students WHERE student_id = 'ST1'`).Scan(&grade); err != nil || grade != 4 {
			t.Errorf("grade %d, %v", grade, err)
		}
	})
	t.Run("device dropped", func(t *testing.T) {
		path := csvFile(t, dir, "devices.csv", format.DeviceHeader(), format.DeviceRecord(testDevices()[1]))
		errs := importFails(t, s, format.KindDevices, path, Options{Replace: true})
		checkErrors(t, errs, "devices.csv", want{Column: "device_id", Value: "DV1",
			Reason: "device DV1 was given to a student in committed allocation run 1 (handed over), and the replace would delete it: the allocation records keep referring to it, so keep it in the file with the same id"})
	})
	t.Run("sim package dropped", func(t *testing.T) {
		pk := testSims()[0]
		pk.ID = "PK2"
		path := csvFile(t, dir, "sim_packages.csv", format.SimPackageHeader(), format.SimPackageRecord(pk))
		errs := importFails(t, s, format.KindSimPackages, path, Options{Replace: true})
		checkErrors(t, errs, "sim_packages.csv", want{Column: "package_id", Value: "PK1",
			Reason: "SIM package PK1 issued 1 SIM(s) in committed allocation run 2 (handover pending), and the replace would delete it: the allocation records keep referring to it, so keep it in the file with the same id, or cancel the allocation first"})
	})
	t.Run("replace-all of a directory without them", func(t *testing.T) {
		part := t.TempDir()
		files := worldFiles(t, t.TempDir(), false)
		for _, k := range []string{format.KindAreas, format.KindSchools, format.KindHouseholds} {
			copyFile(t, files[k], part)
		}
		before := counts(t, s)
		_, err := ImportDir(context.Background(), s, part, Options{ReplaceAll: true})
		var ve *data.ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("got %v", err)
		}
		var got []string
		for _, e := range ve.Errors {
			got = append(got, e.File+"/"+e.Column+"/"+e.Value)
		}
		want := []string{"students/student_id/ST1", "students/student_id/ST2", "devices/device_id/DV1", "devices/device_id/DV2", "sim_packages/package_id/PK1"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("errors:\n%s", list(ve.Errors))
		}
		if after := counts(t, s); !reflect.DeepEqual(before, after) {
			t.Errorf("the database changed: %v → %v", before, after)
		}
	})
	t.Run("replace of the whole world keeps them", func(t *testing.T) {
		if _, err := ImportDir(context.Background(), s, world, Options{ReplaceAll: true}); err != nil {
			t.Fatal(err)
		}
		if got := ids(t, s, "students", "student_id"); !reflect.DeepEqual(got, []string{"ST1", "ST2", "ST3"}) {
			t.Errorf("students %v", got)
		}
	})
}

func copyFile(t *testing.T, src, dir string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, filepath.Base(src), b)
}

// TestReplaceDirEmptiesOnlyItsKinds: --replace DIR says what it empties and
// keeps the kinds the directory holds no file of; --replace-all empties
// every table; a kind another kept table refers to is refused with the
// reason.
func TestReplaceDirEmptiesOnlyItsKinds(t *testing.T) {
	s := pgtest.New(t)
	world := t.TempDir()
	worldFiles(t, world, false)
	if _, err := ImportDir(context.Background(), s, world, Options{}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sec := testSectors()[0]
	sec.ID = "V9/1"
	csvFile(t, dir, "sites.csv", format.SiteHeader(), format.SiteRecord(sec))
	var emptied, kept []string
	calls := 0
	onReplace := func(e, k []string) { calls++; emptied, kept = e, k }
	before := counts(t, s)
	if _, err := ImportDir(context.Background(), s, dir, Options{Replace: true, OnReplace: onReplace}); err != nil {
		t.Fatal(err)
	}
	if calls != 1 || !reflect.DeepEqual(emptied, []string{"sites"}) ||
		!reflect.DeepEqual(kept, []string{"areas", "successors", "schools", "households", "students", "fiber_nodes", "fiber_routes", "devices", "sim_packages", "coverage_polygons", "measurements"}) {
		t.Errorf("OnReplace %d call(s): emptied %v, kept %v", calls, emptied, kept)
	}
	after := counts(t, s)
	if got := ids(t, s, "sites", "sector_id"); !reflect.DeepEqual(got, []string{"V9/1"}) {
		t.Errorf("sites %v", got)
	}
	delete(before, "sites")
	delete(after, "sites")
	if !reflect.DeepEqual(before, after) {
		t.Errorf("other tables changed: %v → %v", before, after)
	}

	// A kind that kept rows refer to.
	hh := t.TempDir()
	csvFile(t, hh, "households.csv", format.HouseholdHeader(), records(testHouseholds(), format.HouseholdRecord)...)
	_, err := ImportDir(context.Background(), s, hh, Options{Replace: true})
	var ve *data.ValidationError
	if !errors.As(err, &ve) || len(ve.Errors) != 1 || !strings.HasPrefix(ve.Errors[0].Reason, "cannot replace the households: rows of students refer to them") {
		t.Errorf("got %v", err)
	}

	// --replace-all: every other table is emptied.
	calls = 0
	if _, err := ImportDir(context.Background(), s, dir, Options{ReplaceAll: true, OnReplace: onReplace}); err != nil {
		t.Fatal(err)
	}
	if calls != 1 || len(emptied) != 12 || emptied[0] != "measurements" || emptied[10] != "successors" || emptied[11] != "areas" || len(kept) != 0 {
		t.Errorf("OnReplace %d call(s): emptied %v, kept %v", calls, emptied, kept)
	}
	for table, n := range counts(t, s) {
		if want := map[string]int64{"sites": 1}[table]; n != want {
			t.Errorf("%s: %d rows, want %d", table, n, want)
		}
	}

	// replace-all is for a directory only.
	_, err = Import(context.Background(), s, format.KindSites, dir+"/sites.csv", Options{ReplaceAll: true})
	if !errors.As(err, &ve) || !strings.Contains(ve.Error(), "applies to a directory only") {
		t.Errorf("got %v", err)
	}
}

// TestNumbersBeyondTheColumn: numbers the database cannot store are row
// errors (file, row, column, value) found before COPY, on both paths.
func TestNumbersBeyondTheColumn(t *testing.T) {
	for _, bulk := range []bulkPolicy{bulkNever, bulkAlways} {
		t.Run(fmt.Sprint(bulk), func(t *testing.T) {
			s := pgtest.New(t)
			mustImport(t, s, format.KindAreas, areasFile(t, t.TempDir(), testAreas()), Options{})
			dir := t.TempDir()
			sc := testSchools()
			big := sc[1]
			big.Students = 3_000_000_000
			errs := importFails(t, s, format.KindSchools, csvFile(t, dir, "schools.csv", format.SchoolHeader(),
				format.SchoolRecord(sc[0]), format.SchoolRecord(big)), Options{bulk: bulk})
			checkErrors(t, errs, "schools.csv", want{Row: 3, Column: "students", Value: "3000000000",
				Reason: "students 3000000000 is out of range: it must be from 0 to 2147483647"})

			pk := testSims()[0]
			pk.ID, pk.Quantity = "PK9", 99_999_999_999
			errs = importFails(t, s, format.KindSimPackages, csvFile(t, dir, "sim_packages.csv", format.SimPackageHeader(),
				format.SimPackageRecord(testSims()[0]), format.SimPackageRecord(pk)), Options{bulk: bulk})
			checkErrors(t, errs, "sim_packages.csv", want{Row: 3, Column: "quantity", Value: "99999999999",
				Reason: "quantity 99999999999 is out of range: it must be from 0 to 2147483647"})
		})
	}
}

// TestImportLocks: what each import locks, from the foreign keys.
func TestImportLocks(t *testing.T) {
	s := pgtest.New(t)
	for _, c := range []struct {
		tables            []string
		bulk              bool
		exclusive, shared []string
	}{
		{[]string{"households"}, false, []string{"households", "students"}, []string{"areas"}},
		{[]string{"households"}, true, []string{"areas", "households", "students"}, nil},
		{[]string{"students"}, false, []string{"students"}, []string{"schools", "households"}},
		// A device may be held by a school (migration 00016); sim_packages.donor_id (00017).
		{[]string{"donors", "devices"}, false, []string{"donors", "devices", "sim_packages"}, []string{"areas", "schools"}},
		{[]string{"areas"}, false, []string{"areas", "schools", "households", "devices", "sim_packages"}, nil},
		{[]string{"sites"}, true, []string{"sites"}, nil},
	} {
		got, err := postgis.ImportLockTables(context.Background(), s.Pool(), c.tables, c.bulk)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, postgis.ImportLocks{Exclusive: c.exclusive, Shared: c.shared}) {
			t.Errorf("%v: %+v", c.tables, got)
		}
	}
}

// TestConcurrentImportsOfSiblingKinds: kinds that only share a parent
// (households, devices and SIM packages all refer to areas) import at once
// without deadlock: side by side, or one after the other when they may be
// bulk-loaded.
func TestConcurrentImportsOfSiblingKinds(t *testing.T) {
	for _, bulk := range []bulkPolicy{bulkNever, bulkAlways, bulkAuto} {
		t.Run(fmt.Sprint(bulk), func(t *testing.T) { testSiblings(t, bulk) })
	}
}

func testSiblings(t *testing.T, bulk bulkPolicy) {
	s := pgtest.New(t)
	mustImport(t, s, format.KindAreas, areasFile(t, t.TempDir(), testAreas()), Options{})
	hh := csvFile(t, t.TempDir(), "households.csv", format.HouseholdHeader(), householdRows("H", 2000)...)
	dv := csvFile(t, t.TempDir(), "devices.csv", format.DeviceHeader(), records(testDevices(), format.DeviceRecord)...)
	sp := csvFile(t, t.TempDir(), "sim_packages.csv", format.SimPackageHeader(), records(testSims(), format.SimPackageRecord)...)
	for round := 0; round < 4; round++ {
		var wg sync.WaitGroup
		jobs := []struct{ kind, path string }{{format.KindHouseholds, hh}, {format.KindDevices, dv}, {format.KindSimPackages, sp}}
		errs := make([]error, len(jobs))
		for i, j := range jobs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = Import(context.Background(), s, j.kind, j.path, Options{Replace: true, bulk: bulk})
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("round %d: %s: %v", round, jobs[i].kind, err)
			}
		}
		if c := counts(t, s); c["households"] != 2000 || c["devices"] != 2 || c["sim_packages"] != 1 {
			t.Errorf("round %d: %v", round, c)
		}
	}
}
