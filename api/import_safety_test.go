package api_test

import (
	"context"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gapmap/gapmap/api"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
	"github.com/jackc/pgx/v5"
)

const (
	schoolsCSV    = "school_id,name,level,lat,lon,area_code,students,internet\nS1,Trường Một,primary,21.05,105.05,,100,none\n"
	householdsCSV = "household_id,lat,lon,area_code,precision,poverty,members\n"
	studentsCSV   = "student_id,household_id,school_id,grade,priority,has_device\n"
)

func households(prefix string, n int) string {
	var b strings.Builder
	b.WriteString(householdsCSV)
	for k := 1; k <= n; k++ {
		b.WriteString(prefix + strconv.Itoa(k) + ",21.05,105.05,,gps,none,3\n")
	}
	return b.String()
}

func tableIDs(t *testing.T, st *postgis.Store, q string) []string {
	t.Helper()
	rows, err := st.Pool().Query(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAPIConcurrentReplacesKeepOneFile: two replace uploads of the same kind
// at once leave exactly one file's rows.
func TestAPIConcurrentReplacesKeepOneFile(t *testing.T) {
	f := newFixture(t)
	files := []string{households("A", 200), households("B", 150)}
	for round := 0; round < 3; round++ {
		var wg sync.WaitGroup
		status := make([]int, 2)
		for i, content := range files {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var eb errorBody
				status[i] = f.upload("planner", "/api/v1/imports/households?replace=true", "households.csv", content, &eb)
			}()
		}
		wg.Wait()
		if status[0] != 200 || status[1] != 200 {
			t.Fatalf("round %d: statuses %v", round, status)
		}
		got := tableIDs(t, f.st, `SELECT household_id FROM households`)
		a, b := 0, 0
		for _, id := range got {
			switch id[0] {
			case 'A':
				a++
			case 'B':
				b++
			}
		}
		if !(a == 200 && b == 0 || a == 0 && b == 150) || len(got) != a+b {
			t.Fatalf("round %d: %d households of A and %d of B (of %d), want one file's", round, a, b, len(got))
		}
	}
}

// TestAPIReplaceKeepsAllocatedStudents: a replace upload that would delete
// an allocated student is 422 with one detail per student, and writes
// nothing; keeping the student (same id) is accepted.
func TestAPIReplaceKeepsAllocatedStudents(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var eb errorBody
	for _, u := range []struct{ kind, content string }{
		{"schools", schoolsCSV},
		{"households", households("H", 2)},
		{"students", studentsCSV + "ST1,H1,S1,3,1,false\nST2,H2,S1,4,0,false\n"},
	} {
		if st := f.upload("planner", "/api/v1/imports/"+u.kind, u.kind+".csv", u.content, &eb); st != 200 {
			t.Fatalf("%s: %d %+v", u.kind, st, eb)
		}
	}
	for _, q := range []string{
		`INSERT INTO allocation_runs (actor, policy, status) VALUES ('test', 'need-first', 'committed')`,
		`INSERT INTO allocations (run_id, student_id, benefit, device_id, school_id, area_code, priority, connectivity) VALUES (1, 'ST1', 'device', 'DV1', 'S1', 'C1', 1, '4g')`,
		`INSERT INTO handovers (student_id, run_id, school_id, device_id) VALUES ('ST1', 1, 'S1', 'DV1')`,
	} {
		if _, err := f.st.Pool().Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	eb = errorBody{}
	if st := f.upload("planner", "/api/v1/imports/students?replace=true", "new.csv", studentsCSV+"ST2,H2,S1,5,0,false\n", &eb); st != 422 {
		t.Fatalf("status %d %+v", st, eb)
	}
	if eb.Error.Code != "validation_failed" || len(eb.Error.Details) != 1 {
		t.Fatalf("%+v", eb)
	}
	d := eb.Error.Details[0]
	if d.File != "new.csv" || d.Column != "student_id" || d.Value != "ST1" ||
		d.Reason != "student ST1 received a device in committed allocation run 1 (handover pending), and the replace would delete it: the allocation records keep referring to it, so keep it in the file with the same id, or cancel the allocation first" {
		t.Errorf("%+v", d)
	}
	if got := tableIDs(t, f.st, `SELECT student_id FROM students ORDER BY 1`); !reflect.DeepEqual(got, []string{"ST1", "ST2"}) {
		t.Errorf("students %v", got)
	}
	if st := f.upload("planner", "/api/v1/imports/students?replace=true", "new.csv", studentsCSV+"ST1,H1,S1,4,1,false\n", &eb); st != 200 {
		t.Fatalf("status %d %+v", st, eb)
	}
	if got := tableIDs(t, f.st, `SELECT student_id || '/' || grade FROM students ORDER BY 1`); !reflect.DeepEqual(got, []string{"ST1/4"}) {
		t.Errorf("students %v", got)
	}
}

// TestAPIImportConflictIs409: an import the database cancels while it
// waits for another (here lock_timeout) answers 409 saying it can be
// retried, and writes nothing.
func TestAPIImportConflictIs409(t *testing.T) {
	ctx := context.Background()
	u := pgtest.NewURL(t)
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	st, err := postgis.Open(ctx, u+sep+"lock_timeout=300ms")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f := &fixture{t: t, st: st, tokens: map[string]string{}}
	cu, err := st.CreateUser(ctx, data.User{Name: "planner", Role: data.RolePlanner}, "")
	if err != nil {
		t.Fatal(err)
	}
	if f.tokens["planner"], err = st.NewToken(ctx, cu.ID); err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(api.Validating(t, api.NewServer(ctx, api.Deps{Store: st})))
	defer f.srv.Close()
	tx, err := st.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if err := postgis.LockImport(ctx, tx, postgis.ImportLocks{Exclusive: []string{"sites"}}, nil); err != nil {
		t.Fatal(err)
	}
	var eb errorBody
	status := f.upload("planner", "/api/v1/imports/sites", "sites.csv", "sector_id,site_id,operator,technology,band_mhz,lat,lon\nV1/1,V1,viettel,4G,1800,21.05,105.05\n", &eb)
	if status != 409 || eb.Error.Code != "conflict" || !strings.Contains(eb.Error.Message, "it can be retried") ||
		strings.Contains(eb.Error.Message, "SQLSTATE") {
		t.Errorf("%d %+v", status, eb)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if got := tableIDs(t, st, `SELECT sector_id FROM sites`); len(got) != 0 {
		t.Errorf("sites %v", got)
	}
}
