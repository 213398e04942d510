package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gapmap/gapmap/reports"
)

// gapmap report against a committed run: the progress report's total row
// counts what the run allocated, to stdout as CSV and to .json and .xlsx
// files; the connectivity report reads the coverage run; flags are checked
// before the database is opened.
func TestReportCommands(t *testing.T) {
	ctx := context.Background()
	root, e, stdout, s := allocDatabaseProvince(ctx, t)
	if err := run(ctx, []string{"allocate", "--commit", "--out", filepath.Join(root, "run")}, e); err != nil {
		t.Fatal(err)
	}
	var devices, sims int
	if err := s.Pool().QueryRow(ctx, `SELECT count(*) FILTER (WHERE benefit = 'device'), count(*) FILTER (WHERE benefit = 'sim') FROM allocations`).Scan(&devices, &sims); err != nil {
		t.Fatal(err)
	}
	if devices == 0 {
		t.Fatal("the run allocated no device")
	}
	stdout.Reset()
	if err := run(ctx, []string{"report", "progress", "--period", "year", "--out", "-"}, e); err != nil {
		t.Fatal(err)
	}
	out := strings.TrimPrefix(stdout.String(), "\ufeff")
	r := csv.NewReader(strings.NewReader(out))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var header, total []string
	for i, rec := range recs {
		if len(rec) > 4 && rec[0] == "area_code" {
			header, total = rec, recs[i+1]
			break
		}
	}
	col := func(name string) string {
		for i, h := range header {
			if h == name {
				return total[i]
			}
		}
		t.Fatalf("no column %s in %v", name, header)
		return ""
	}
	if recs[0][0] != "Báo cáo / Report" || col("area_name") != "Tổng cộng / Total" ||
		col("devices_allocated_to_date") != strconv.Itoa(devices) || col("sims_allocated_to_date") != strconv.Itoa(sims) ||
		col("period") != strconv.Itoa(time.Now().In(time.FixedZone("ICT", 7*3600)).Year()) {
		t.Errorf("progress total %v\n%s", total, out)
	}
	jsonPath := filepath.Join(root, "progress.json")
	if err := run(ctx, []string{"report", "progress", "--from", "2026-01-01", "--to", "2026-12-31", "--period", "quarter", "--levels", "1", "--out", jsonPath}, e); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var p reports.ProgressReport
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	// --levels 1: the total and the province, four quarters each.
	if len(p.Periods) != 4 || len(p.Areas) != 8 || p.Areas[4].Depth != 0 || p.Areas[4].AreaCode == "" || p.Source.From != "2026-01-01" || p.Source.Levels != 1 {
		t.Errorf("json %+v", p)
	}
	xlsx := filepath.Join(root, "conn.xlsx")
	if err := run(ctx, []string{"report", "connectivity", "--baseline-run", "0", "--target-date", "2027-06-30", "--out", xlsx}, e); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(xlsx); err != nil || fi.Size() == 0 {
		t.Errorf("xlsx %v %v", fi, err)
	}
	for _, args := range [][]string{
		{"report", "weekly", "--out", "-"},
		{"report", "progress"},
		{"report", "progress", "--out", "x.pdf"},
		{"report", "donors", "--to", "30/09/2026", "--out", "-"},
		{"report", "handovers", "--from", "2026-10-01", "--to", "2026-09-01", "--out", "-"},
	} {
		if err := run(ctx, args, e); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
