package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The 3G fallback in the offline files: entities.csv names viettel 3G at
// ST3's home (no 4G): ST3 gets a viettel SIM flagged 3G in allocations.csv,
// the area summary and the handover list.
func TestAllocateOffline3G(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	in, cov := allocProvince(t, root)
	allocWriteFiles(t, cov, map[string]string{
		"entities.csv": "\ufeffentity_type,entity_id,lat,lon,area_code,h3,connectivity,operators_4g,operators_3g\n" +
			"household,H1,21.25,106.05,7210,8941,4g,viettel;vinaphone,\n" +
			"household,H2,21.25,106.05,7210,8941,fiber,viettel,\n" +
			"household,H3,21.26,106.06,7211,8941,3g,,viettel;mobifone\n" +
			"household,H4,21.26,106.06,7211,8941,4g,mobifone,\n" +
			"household,H5,21.26,106.06,7211,8941,4g,mobifone,\n",
	})
	out := filepath.Join(root, "alloc")
	e, stdout, stderr := allocTestEnv(map[string]string{"USER": "tester"})
	if err := run(ctx, []string{"allocate", "--in", in, "--coverage", cov, "--out", out}, e); err != nil {
		t.Fatalf("allocate: %v\nstderr: %s", err, stderr)
	}
	if !strings.Contains(stdout.String(), "allocated: 3 devices, 2 SIMs (1 on 3G: no 4G SIM fitted the home); unmet: 2") {
		t.Errorf("summary: %s", stdout)
	}
	recs := allocReadCSV(t, filepath.Join(out, "allocations.csv"))
	net := map[string]string{}
	for _, r := range recs[1:] {
		net[r[allocColumn(t, recs, "student_id")]] = r[allocColumn(t, recs, "sim_network")] + "/" + r[allocColumn(t, recs, "sim_package_id")] + "/" + r[allocColumn(t, recs, "flag")]
	}
	if net["ST1"] != "4G/P1/" || net["ST3"] != "3G/P1/" {
		t.Errorf("allocations.csv networks %v", net)
	}
	sum := allocReadCSV(t, filepath.Join(out, "area_summary.csv"))
	if c := allocColumn(t, sum, "sims_3g"); sum[1][c] != "1" || sum[1][allocColumn(t, sum, "sims_given")] != "2" {
		t.Errorf("area_summary totals %q", sum[1])
	}
	rows := allocXLSXRows(t, filepath.Join(out, "handover", "S2.xlsx"))
	if rows[2][10] != "Mạng" || rows[3][1] != "ST3" || rows[3][10] != "3G" {
		t.Errorf("handover S2 %q", rows)
	}
}

// sims ending and sims renew on PostGIS, after a commit and a handover
// with a stated activation day.
func TestSimsCommands(t *testing.T) {
	ctx := context.Background()
	root, e, stdout, s := allocDatabaseProvince(ctx, t)
	today := time.Now().In(time.FixedZone("ICT", 7*3600))
	day := func(t time.Time) string { return t.Format("2006-01-02") }
	if err := run(ctx, []string{"allocate", "--commit", "--date", day(today)}, e); err != nil {
		t.Fatalf("commit: %v", err)
	}
	act := today.AddDate(0, 0, -85)
	if act.Day() > 28 {
		act = time.Date(act.Year(), act.Month(), 28, 0, 0, 0, 0, time.UTC)
	}
	if err := run(ctx, []string{"handover", "ST1", "--date", day(today), "--activated", day(act)}, e); err != nil {
		t.Fatalf("handover: %v", err)
	}
	end := time.Date(act.Year(), act.Month()+3, act.Day(), 0, 0, 0, 0, time.UTC)
	csvOut, xlsxOut := filepath.Join(root, "ending.csv"), filepath.Join(root, "ending.xlsx")
	stdout.Reset()
	if err := run(ctx, []string{"sims", "ending", "--within", "30", "--on", day(today), "--out", csvOut}, e); err != nil {
		t.Fatalf("sims ending: %v", err)
	}
	if !strings.Contains(stdout.String(), "1 SIM ending within 30 day(s)") {
		t.Errorf("stdout %s", stdout)
	}
	recs := allocReadCSV(t, csvOut)
	if len(recs) != 2 || recs[1][0] != "ST1" || recs[1][allocColumn(t, recs, "activated_on")] != day(act) || recs[1][allocColumn(t, recs, "ends_on")] != day(end) ||
		recs[1][allocColumn(t, recs, "operator")] != "viettel" || recs[1][allocColumn(t, recs, "sim_network")] != "4G" {
		t.Errorf("ending.csv %q (want ends %s)", recs, day(end))
	}
	if err := run(ctx, []string{"sims", "ending", "--within", "30", "--on", day(today), "--out", xlsxOut}, e); err != nil {
		t.Fatalf("sims ending xlsx: %v", err)
	}
	rows := allocXLSXRows(t, xlsxOut)
	if len(rows) != 4 || rows[2][0] != "Mã học sinh" || rows[3][0] != "ST1" || rows[3][8] != end.Format("02/01/2006") {
		t.Errorf("ending.xlsx %q", rows)
	}
	stdout.Reset()
	if err := run(ctx, []string{"sims", "renew", "--student", "ST1", "--package", "P1", "--actor", "cô Lan"}, e); err != nil {
		t.Fatalf("sims renew: %v", err)
	}
	end2 := end.AddDate(0, 3, 0)
	if want := "service from " + day(end) + " until " + day(end2) + " (1 renewal(s))"; !strings.Contains(stdout.String(), want) {
		t.Errorf("renew stdout %s, want %q", stdout, want)
	}
	var n int
	if err := s.Pool().QueryRow(ctx, `SELECT issued FROM sim_stock WHERE package_id = 'P1'`).Scan(&n); err != nil || n != 2 {
		t.Errorf("P1 issued %d (%v), want 2", n, err)
	}
	stdout.Reset()
	if err := run(ctx, []string{"sims", "ending", "--within", "30", "--on", day(today)}, e); err != nil || !strings.Contains(stdout.String(), "0 SIMs ending") {
		t.Errorf("after the renewal: %v %s", err, stdout)
	}
	for _, args := range [][]string{
		{"sims"}, {"sims", "renew", "--student", "ST1"}, {"sims", "ending", "--student", "ST1"}, {"sims", "stop"},
		{"handover", "ST2", "--return", "--reason", "x", "--activated", "2026-01-01"},
	} {
		if err := run(ctx, args, e); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	if err := run(ctx, []string{"sims", "renew", "--student", "ST3", "--package", "P1"}, e); err == nil || !strings.Contains(err.Error(), "ST3") {
		t.Errorf("renewal without a handed-over SIM: %v", err)
	}
	_ = os.Remove(csvOut)
}
