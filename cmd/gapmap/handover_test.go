package main

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data/gen"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
)

// End to end on PostGIS: generate, import, analyze, commit an allocation,
// then hand over, return and cancel, each in the ledger; a handed-over
// allocation cannot be cancelled.
func TestHandoverEndToEnd(t *testing.T) {
	ctx := context.Background()
	dir, out := t.TempDir(), filepath.Join(t.TempDir(), "alloc")
	if _, err := gen.Generate(ctx, gen.Options{Seed: 3, Scale: 0.05, OutDir: dir}); err != nil {
		t.Fatal(err)
	}
	url := pgtest.NewURL(t)
	e, stdout, stderr := allocTestEnv(map[string]string{"DATABASE_URL": url, "USER": "cô Lan"})
	for _, args := range [][]string{{"import", dir}, {"analyze"}, {"allocate", "--commit", "--date", "2026-11-01", "--out", out}} {
		if err := run(ctx, args, e); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, stderr)
		}
	}
	f, err := os.Open(filepath.Join(out, "allocations.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) < 3 {
		t.Fatalf("want at least 2 allocations, got %d rows", len(recs))
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[strings.TrimPrefix(h, "\ufeff")] = i
	}
	a, b := recs[1][col["student_id"]], recs[2][col["student_id"]]

	if err := run(ctx, []string{"handover", a, "--iccid", "8984048000000000001", "--date", "2026-11-20"}, e); err != nil {
		t.Fatalf("handover: %v", err)
	}
	if err := run(ctx, []string{"handover", a, "--cancel", "--reason", "nhầm"}, e); err == nil {
		t.Fatal("cancelling a handed-over allocation succeeded")
	}
	if err := run(ctx, []string{"handover", a, "--return", "--reason", "chuyển trường", "--date", "2026-11-22"}, e); err != nil {
		t.Fatalf("return: %v", err)
	}
	if err := run(ctx, []string{"handover", b, "--cancel", "--reason", "đã có máy"}, e); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	if err := run(ctx, []string{"handover", "NO-SUCH-STUDENT"}, e); err == nil {
		t.Fatal("a handover to an unknown student succeeded")
	}
	if err := run(ctx, []string{"handover"}, e); !isUsage(err) {
		t.Fatalf("handover without a student id: %v, want a usage error", err)
	}

	st, err := postgis.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var status, iccid string
	if err := st.Pool().QueryRow(ctx, `SELECT status, coalesce(sim_iccid, '') FROM handovers WHERE student_id = $1`, a).Scan(&status, &iccid); err != nil {
		t.Fatal(err)
	}
	if status != "returned" {
		t.Errorf("status of %s = %q, want returned", a, status)
	}
	var left int
	if err := st.Pool().QueryRow(ctx, `SELECT count(*) FROM allocations WHERE student_id = $1`, b).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("cancelled allocation of %s still has %d rows", b, left)
	}
	var ledger int
	if err := st.Pool().QueryRow(ctx, `SELECT count(*) FROM allocation_ledger WHERE actor = 'cô Lan' AND student_id IN ($1, $2)`, a, b).Scan(&ledger); err != nil {
		t.Fatal(err)
	}
	if ledger < 3 {
		t.Errorf("ledger rows by the actor for %s and %s = %d, want ≥ 3 (allocation, handover, return, cancel)", a, b, ledger)
	}
	if !strings.Contains(stdout.String(), "received the device on 2026-11-20") {
		t.Errorf("output:\n%s", stdout)
	}
}

func isUsage(err error) bool {
	_, ok := err.(usageError)
	return ok
}
