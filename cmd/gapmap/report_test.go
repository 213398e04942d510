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

// gapmap allocate in database preview mode prints, after its summary, the
// progress report of the top level with the preview's plan: what the
// preview would allocate (as recorded with it), the needs unmet after it,
// and the preview named in the source block; --preview-run gives the same
// figures.
func TestAllocatePreviewPrintsProgress(t *testing.T) {
	ctx := context.Background()
	_, e, stdout, s := allocDatabaseProvince(ctx, t)
	if err := run(ctx, []string{"allocate"}, e); err != nil {
		t.Fatal(err)
	}
	var preview int64
	var devices, sims, sims3G, need int
	if err := s.Pool().QueryRow(ctx, `SELECT id, devices, sims FROM allocation_runs WHERE status = 'preview'`).Scan(&preview, &devices, &sims); err != nil {
		t.Fatal(err)
	}
	if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM allocation_run_reports r, jsonb_array_elements(r.report->'allocations') x
		WHERE r.run_id = $1 AND x->>'sim_network' = '3G'`, preview).Scan(&sims3G); err != nil {
		t.Fatal(err)
	}
	if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM students WHERE priority BETWEEN 1 AND 3 AND NOT has_device`).Scan(&need); err != nil {
		t.Fatal(err)
	}
	if devices == 0 || sims == 0 {
		t.Fatalf("the preview allocates %d devices and %d SIMs", devices, sims)
	}
	out := stdout.String()
	mark := "\nprogress with this preview ("
	at := strings.Index(out, mark)
	if at < 0 || !strings.Contains(out[:at], "preview only: nothing was allocated") {
		t.Fatalf("no progress after the preview's summary:\n%s", out)
	}
	recs := func(text string) [][]string {
		r := csv.NewReader(strings.NewReader(strings.TrimPrefix(text, "\ufeff")))
		r.FieldsPerRecord = -1
		rs, err := r.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	tail := out[at+len(mark):]
	nl := strings.Index(tail, "\n")
	if want := "--preview-run " + strconv.FormatInt(preview, 10) + " --out -):"; !strings.HasSuffix(tail[:nl], want) {
		t.Errorf("heading %q, want it to end with %q", tail[:nl], want)
	}
	check := func(rs [][]string) {
		t.Helper()
		var header []string
		var rows [][]string
		source := map[string]string{}
		for i, rec := range rs {
			if len(rec) == 2 && header == nil {
				source[rec[0]] = rec[1]
			}
			if len(rec) > 4 && rec[0] == "area_code" {
				header = rec
				for _, r := range rs[i+1:] {
					if len(r) < len(header) {
						break
					}
					rows = append(rows, r)
				}
				break
			}
		}
		// --levels 1: the total and the province, one period (the year).
		if len(rows) != 2 {
			t.Fatalf("rows %v", rows)
		}
		col := func(row []string, name string) string {
			for i, h := range header {
				if h == name {
					return row[i]
				}
			}
			t.Fatalf("no column %s in %v", name, header)
			return ""
		}
		for _, row := range rows {
			unmet := max(0, need-devices)
			if col(row, "devices_planned") != strconv.Itoa(devices) || col(row, "sims_planned") != strconv.Itoa(sims) ||
				col(row, "sims_3g_planned") != strconv.Itoa(sims3G) || col(row, "devices_allocated_to_date") != "0" ||
				col(row, "need") != strconv.Itoa(need) || col(row, "unmet") != strconv.Itoa(need) || col(row, "unmet_after_plan") != strconv.Itoa(unmet) {
				t.Errorf("row %v\nheader %v\n(need %d, planned %d devices %d SIMs %d 3G)", row, header, need, devices, sims, sims3G)
			}
		}
		if !strings.HasPrefix(source["Kế hoạch theo lượt xem trước / Plan of preview run"], "allocation_preview #"+strconv.FormatInt(preview, 10)+" (") ||
			source["Kỳ / Period"] != "year" || source["Dữ liệu từ các lượt chạy / Runs used"] != "none" {
			t.Errorf("source %v", source)
		}
	}
	check(recs(tail[nl+1:]))
	// The same report made with --preview-run.
	stdout.Reset()
	if err := run(ctx, []string{"report", "progress", "--period", "year", "--levels", "1", "--preview-run", strconv.FormatInt(preview, 10), "--out", "-"}, e); err != nil {
		t.Fatal(err)
	}
	check(recs(stdout.String()))
	if err := run(ctx, []string{"report", "progress", "--preview-run", "-2", "--out", "-"}, e); err == nil || !strings.Contains(err.Error(), "--preview-run") {
		t.Errorf("negative --preview-run: %v", err)
	}
}
