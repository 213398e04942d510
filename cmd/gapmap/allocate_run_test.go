package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/allocation/runs"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
	"github.com/xuri/excelize/v2"
)

// allocDatabaseProvince stores the hand-checked province and its coverage
// run in a fresh database and returns an env on it.
func allocDatabaseProvince(ctx context.Context, t *testing.T) (string, *env, *bytes.Buffer, *postgis.Store) {
	t.Helper()
	return allocDatabaseProvinceWith(ctx, t, nil)
}

// allocDatabaseProvinceWith is allocDatabaseProvince with the input files
// changed by mutate (the directory of exchange files) first.
func allocDatabaseProvinceWith(ctx context.Context, t *testing.T, mutate func(in string)) (string, *env, *bytes.Buffer, *postgis.Store) {
	t.Helper()
	root := t.TempDir()
	in, cov := allocProvince(t, root)
	if mutate != nil {
		mutate(in)
	}
	url := pgtest.NewURL(t)
	s, err := postgis.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	ds, err := format.ReadDir(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	allocStoreDataset(ctx, t, s, ds)
	conn, _, err := runs.ReadCoverage(ctx, filepath.Join(cov, "entities.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var runID int64
	if err := s.Pool().QueryRow(ctx, `INSERT INTO coverage_runs (parameters) VALUES ('{}') RETURNING id`).Scan(&runID); err != nil {
		t.Fatal(err)
	}
	for id, c := range conn {
		if _, err := s.Pool().Exec(ctx, `INSERT INTO coverage_entities (run_id, entity_type, entity_id, h3, connectivity, operators_4g, geom)
			VALUES ($1, 'household', $2, 0, $3, $4, ST_SetSRID(ST_MakePoint(106.05, 21.25), 4326))`, runID, id, c.Class, append([]string{}, c.Operators4G...)); err != nil {
			t.Fatal(err)
		}
	}
	e, stdout, _ := allocTestEnv(map[string]string{"DATABASE_URL": url, "USER": "tester"})
	return root, e, stdout, s
}

func allocXLSXRows(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// allocTree lists the files of an output directory.
func allocTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// TestAllocateRunRewrite: every output of a committed run written again
// from the database equals what the commit wrote; after a handover and a
// cancellation, the files written again show them.
func TestAllocateRunRewrite(t *testing.T) {
	ctx := context.Background()
	root, e, stdout, s := allocDatabaseProvince(ctx, t)
	first := filepath.Join(root, "committed")
	// Run date 2026-11-01: the handover below (2026-11-20) comes after it.
	if err := run(ctx, []string{"allocate", "--commit", "--date", "2026-11-01", "--out", first}, e); err != nil {
		t.Fatalf("commit: %v", err)
	}
	var runID int64
	if err := s.Pool().QueryRow(ctx, `SELECT id FROM allocation_runs WHERE status = 'committed'`).Scan(&runID); err != nil {
		t.Fatal(err)
	}
	again := filepath.Join(root, "again")
	stdout.Reset()
	if err := run(ctx, []string{"allocate", "--run", allocFloat(float64(runID)), "--out", again}, e); err != nil {
		t.Fatalf("--run: %v", err)
	}
	if !strings.Contains(stdout.String(), "committed run") || !strings.Contains(stdout.String(), "allocated: 3 devices, 1 SIMs; unmet: 2") {
		t.Errorf("--run summary: %s", stdout)
	}
	files := allocTree(t, first)
	if got := allocTree(t, again); !slices.Equal(got, files) {
		t.Fatalf("files written again %v, want %v", got, files)
	}
	if len(files) < 17 {
		t.Fatalf("only %d files: %v", len(files), files)
	}
	for _, f := range files {
		if strings.HasSuffix(f, ".xlsx") {
			a, b := allocXLSXRows(t, filepath.Join(first, f)), allocXLSXRows(t, filepath.Join(again, f))
			if !slices.EqualFunc(a, b, slices.Equal) {
				t.Errorf("%s differs:\ncommit: %q\nagain:  %q", f, a, b)
			}
			continue
		}
		a, _ := os.ReadFile(filepath.Join(first, f))
		b, _ := os.ReadFile(filepath.Join(again, f))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs:\ncommit:\n%s\nagain:\n%s", f, a, b)
		}
	}

	// ST1 receives device and SIM; ST3's allocation is cancelled.
	if err := run(ctx, []string{"handover", "ST1", "--iccid", "8984048000000000001", "--date", "2026-11-20"}, e); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"handover", "ST3", "--cancel", "--reason", "đã có máy"}, e); err != nil {
		t.Fatal(err)
	}
	later := filepath.Join(root, "later")
	if err := run(ctx, []string{"allocate", "--run", allocFloat(float64(runID)), "--out", later}, e); err != nil {
		t.Fatalf("--run after the handover: %v", err)
	}
	recs := allocReadCSV(t, filepath.Join(later, "allocations.csv"))
	got := map[string][]string{}
	for _, r := range recs[1:] {
		got[r[0]] = r
	}
	if len(got) != 2 || got["ST3"] != nil {
		t.Fatalf("allocations after cancelling ST3: %v", recs[1:])
	}
	st1, st6 := got["ST1"], got["ST6"]
	if st1[allocColumn(t, recs, "handover_status")] != "handed_over" || st1[allocColumn(t, recs, "sim_iccid")] != "8984048000000000001" ||
		st1[allocColumn(t, recs, "handed_over_on")] != "2026-11-20" || st1[allocColumn(t, recs, "returned_on")] != "" {
		t.Errorf("ST1 after the handover: %v", st1)
	}
	if st6[allocColumn(t, recs, "handover_status")] != "pending" || st6[allocColumn(t, recs, "sim_iccid")] != "" {
		t.Errorf("ST6 still pending: %v", st6)
	}
	rows := allocXLSXRows(t, filepath.Join(later, "handover", "S1.xlsx"))
	// Rows: title, subtitle, header, ST6 (grade 2), ST1 (grade 3).
	if rows[4][1] != "ST1" || rows[4][11] != "8984048000000000001" || rows[4][12] != "20/11/2026" || rows[4][14] != "Đã nhận" {
		t.Errorf("S1 handover row of ST1: %q", rows[4])
	}
	if rows[3][1] != "ST6" || rows[3][14] != "Chờ bàn giao" || len(rows[3]) > 11 && rows[3][11] != "" {
		t.Errorf("S1 handover row of ST6: %q", rows[3])
	}
	if !strings.Contains(rows[1][0], "đợt "+allocFloat(float64(runID))) {
		t.Errorf("S1 subtitle %q does not name run %d", rows[1][0], runID)
	}
	if _, err := os.Stat(filepath.Join(later, "handover", "S2.xlsx")); !os.IsNotExist(err) {
		t.Errorf("S2 has no allocation left, its handover list should be gone: %v", err)
	}
	// What the run explained does not change.
	for _, f := range []string{"unserved.csv", "area_summary.csv", "explanation.csv", "rejected_devices.csv", "sim_stock.csv"} {
		a, _ := os.ReadFile(filepath.Join(first, f))
		b, _ := os.ReadFile(filepath.Join(later, f))
		if !bytes.Equal(a, b) {
			t.Errorf("%s changed after a handover:\n%s\n%s", f, a, b)
		}
	}
	// A preview's files can be written again too; an unknown run cannot.
	if err := run(ctx, []string{"allocate", "--out", filepath.Join(root, "p")}, e); err != nil {
		t.Fatal(err)
	}
	var preview int64
	if err := s.Pool().QueryRow(ctx, `SELECT max(id) FROM allocation_runs WHERE status = 'preview'`).Scan(&preview); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"allocate", "--run", allocFloat(float64(preview)), "--out", filepath.Join(root, "p2")}, e); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(filepath.Join(root, "p", "allocations.csv"))
	b, _ := os.ReadFile(filepath.Join(root, "p2", "allocations.csv"))
	if !bytes.Equal(a, b) {
		t.Errorf("preview allocations written again differ:\n%s\n%s", a, b)
	}
	if err := run(ctx, []string{"allocate", "--run", "999", "--out", filepath.Join(root, "x")}, e); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("unknown run: %v", err)
	}
	if err := run(ctx, []string{"allocate", "--run", "1"}, e); err == nil || !strings.Contains(err.Error(), "needs --out") {
		t.Errorf("--run without --out: %v", err)
	}
}
