package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/allocation/runs"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
	"github.com/xuri/excelize/v2"
)

// allocTestEnv returns an env whose output goes to buffers.
func allocTestEnv(vars map[string]string) (*env, *bytes.Buffer, *bytes.Buffer) {
	var out, errs bytes.Buffer
	return &env{getenv: func(k string) string { return vars[k] }, stdin: strings.NewReader(""), stdout: &out, stderr: &errs}, &out, &errs
}

func allocWriteFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func allocSquare(lon, lat float64) string {
	return `{"type":"Polygon","coordinates":[[[` + allocFloat(lon) + `,` + allocFloat(lat) + `],[` + allocFloat(lon+0.1) + `,` + allocFloat(lat) + `],[` +
		allocFloat(lon+0.1) + `,` + allocFloat(lat+0.1) + `],[` + allocFloat(lon) + `,` + allocFloat(lat+0.1) + `],[` + allocFloat(lon) + `,` + allocFloat(lat) + `]]]}`
}

// allocProvince is a hand-checked input: one district with two communes,
// a primary school S1 (C1) and a lower-secondary school S2 (C2).
//
// Needs: S1 has ST1 (tier 1, 4G Viettel), ST6 (tier 1, no coverage result)
// and ST2 (tier 2, fiber): weight 3+3+2 = 8. S2 has ST3 (tier 1, no
// network) and ST4 (tier 3, 4G MobiFone): weight 3+1 = 4.
// ST5 (tier 0) is no need.
// Devices: DV1, DV2 tablets and DV3 phone pass; DV4 (RAM 1 GB) is
// liquidated, DV5 (no charger) goes to repair. Three seats by Sainte-Laguë
// on 8 : 4 → S1 2 (8, 8/3), S2 1. S1 serves ST1 (4G: ready first) and ST6;
// S2 serves ST3. ST1 gets a Viettel SIM from P1; P2 (1 GB/day) is rejected.
func allocProvince(t *testing.T, root string) (in, cov string) {
	in, cov = filepath.Join(root, "in"), filepath.Join(root, "cov")
	allocWriteFiles(t, in, map[string]string{
		"areas.geojson": `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"24","name":"Bắc Giang","level":"province"},"geometry":` + allocSquare(106.0, 21.2) + `},
{"type":"Feature","properties":{"code":"213","name":"TP Bắc Giang","level":"district","parent_code":"24"},"geometry":` + allocSquare(106.0, 21.2) + `},
{"type":"Feature","properties":{"code":"7210","name":"Trần Nguyên Hãn","level":"commune","parent_code":"213"},"geometry":` + allocSquare(106.0, 21.2) + `},
{"type":"Feature","properties":{"code":"7211","name":"Ngô Quyền","level":"commune","parent_code":"213"},"geometry":` + allocSquare(106.0, 21.2) + `}]}`,
		"schools.csv": "school_id,name,level,lat,lon,area_code,students,internet\n" +
			"S1,Tiểu học Trần Phú,primary,21.25,106.05,7210,300,fiber\n" +
			"S2,THCS Ngô Quyền,lower,21.26,106.06,7211,400,4g\n",
		"households.csv": "household_id,lat,lon,area_code,location_precision,poverty,members\n" +
			"H1,21.25,106.05,7210,gps,poor,4\nH2,21.25,106.05,7210,gps,near_poor,4\nH3,21.26,106.06,7211,gps,poor,4\n" +
			"H4,21.26,106.06,7211,gps,none,4\nH5,21.26,106.06,7211,gps,none,4\nH6,21.25,106.05,7210,gps,poor,4\n",
		"students.csv": "student_id,household_id,school_id,grade,priority,has_device,covid_orphan\n" +
			"ST1,H1,S1,3,1,false,\nST2,H2,S1,4,2,false,\nST3,H3,S2,7,1,false,\nST4,H4,S2,8,3,false,true\nST5,H5,S2,8,0,false,\n" +
			"ST6,H6,S1,2,1,false,\n",
		"devices.csv": "device_id,donor,type,os,os_version,cpu_ghz,ram_gb,storage_gb,free_storage_gb,has_charger,av_ok,screen_ok,keyboard_ok,has_monitor,wifi,serial,imei,area_code\n" +
			"DV1,Quỹ Vì em,tablet,android,10,,3,32,20,true,true,true,true,true,true,SN-T1,356938035643809,\n" +
			"DV2,Quỹ Vì em,tablet,android,11,,4,64,30,true,true,true,true,true,true,SN-T2,,213\n" +
			"DV3,Viettel,phone,android,9,,2,32,12,true,true,true,true,true,true,,356938035643817,\n" +
			"DV4,Cá nhân,laptop,windows,10,1.6,1,256,100,true,true,true,true,true,true,SN-L4,,\n" +
			"DV5,Cá nhân,phone,android,10,,3,32,20,false,true,true,true,true,true,,356938035643825,\n",
		"sim_packages.csv": "package_id,operator,gb_per_day,months,quantity,area_code\n" +
			"P1,viettel,4,3,10,24\nP2,mobifone,1,3,10,\n",
	})
	allocWriteFiles(t, cov, map[string]string{
		"entities.csv": "\ufeffentity_type,entity_id,lat,lon,area_code,h3,connectivity,operators_4g,nearest_4g_m,nearest_fiber_m\n" +
			"school,S1,21.25,106.05,7210,8941,fiber,viettel,10,5\n" +
			"household,H1,21.25,106.05,7210,8941,4g,viettel;vinaphone,120.5,900\n" +
			"household,H2,21.25,106.05,7210,8941,fiber,viettel,120.5,30\n" +
			"household,H3,21.26,106.06,7211,8941,none,,9000,9000\n" +
			"household,H4,21.26,106.06,7211,8941,4g,mobifone,300,9000\n" +
			"household,H5,21.26,106.06,7211,8941,4g,mobifone,300,9000\n",
	})
	return in, cov
}

func allocReadCSV(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\ufeff")) {
		t.Errorf("%s: no UTF-8 byte-order mark (Excel would garble Vietnamese)", filepath.Base(path))
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return recs
}

func allocColumn(t *testing.T, recs [][]string, name string) int {
	t.Helper()
	i := slices.Index(recs[0], name)
	if i < 0 {
		t.Fatalf("column %s missing from %v", name, recs[0])
	}
	return i
}

func TestAllocateOffline(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	in, cov := allocProvince(t, root)
	out := filepath.Join(root, "alloc")
	e, stdout, stderr := allocTestEnv(map[string]string{"USER": "tester"})
	if err := run(ctx, []string{"allocate", "--in", in, "--coverage", cov, "--out", out}, e); err != nil {
		t.Fatalf("allocate: %v\nstderr: %s", err, stderr)
	}
	for _, f := range []string{"allocations.csv", "unserved.csv", "area_summary.csv", "explanation.csv", "explanation.md",
		"rejected_devices.csv", "rejected_sims.csv", "sim_stock.csv", "conflicts.csv", "README.txt",
		"handover/S1.xlsx", "handover/S2.xlsx", "by_area/24.csv", "by_area/213.csv", "by_area/7210.csv", "by_area/7211.csv"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing output %s: %v", f, err)
		}
	}
	if !strings.Contains(stdout.String(), "allocated: 3 devices, 1 SIMs; unmet: 2") || !strings.Contains(stdout.String(), "tier order: strict:") {
		t.Errorf("summary: %s", stdout)
	}

	// allocations.csv: the required columns and the hand-checked result.
	recs := allocReadCSV(t, filepath.Join(out, "allocations.csv"))
	for _, c := range []string{"student_id", "school_id", "area_code", "priority", "connectivity", "device_id",
		"sim_package_id", "sim_operator", "flag", "reason"} {
		allocColumn(t, recs, c)
	}
	got := map[string][]string{}
	for _, r := range recs[1:] {
		got[r[allocColumn(t, recs, "student_id")]] = r
	}
	if len(got) != 3 || got["ST1"] == nil || got["ST6"] == nil || got["ST3"] == nil {
		t.Fatalf("served %v, want ST1, ST6 (S1) and ST3 (S2)", recs[1:])
	}
	st1 := got["ST1"]
	if st1[allocColumn(t, recs, "sim_package_id")] != "P1" || st1[allocColumn(t, recs, "sim_operator")] != "viettel" || st1[allocColumn(t, recs, "flag")] != "" {
		t.Errorf("ST1 (4G Viettel home) should get a Viettel SIM from P1: %v", st1)
	}
	if f := got["ST3"][allocColumn(t, recs, "flag")]; f != "needs_connectivity" {
		t.Errorf("ST3 (no network) flag %q, want needs_connectivity", f)
	}
	if c := got["ST6"][allocColumn(t, recs, "connectivity")]; c != "unknown" {
		t.Errorf("ST6 (no coverage row) connectivity %q, want unknown", c)
	}
	for id, r := range got {
		if r[allocColumn(t, recs, "device_id")] == "DV4" || r[allocColumn(t, recs, "device_id")] == "DV5" {
			t.Errorf("%s received rejected device %s", id, r[allocColumn(t, recs, "device_id")])
		}
	}

	rej := allocReadCSV(t, filepath.Join(out, "rejected_devices.csv"))
	status := map[string]string{}
	for _, r := range rej[1:] {
		status[r[0]] = r[allocColumn(t, rej, "status")] + ":" + r[allocColumn(t, rej, "reasons")]
	}
	if status["DV4"] != "liquidate:ram_below_2gb" || status["DV5"] != "repair:no_charger" || len(status) != 2 {
		t.Errorf("rejected devices %v", status)
	}
	// The reader rejects a student id listed twice in students.csv, so the
	// engine sees no conflict here: the file has its header only.
	if conf := allocReadCSV(t, filepath.Join(out, "conflicts.csv")); len(conf) != 1 || conf[0][0] != "student_id" {
		t.Errorf("conflicts %v", conf)
	}
	sum := allocReadCSV(t, filepath.Join(out, "area_summary.csv"))
	for _, r := range sum[1:] {
		switch r[0] {
		case "": // total
			if r[allocColumn(t, sum, "needs")] != "5" || r[allocColumn(t, sum, "allocated")] != "3" || r[allocColumn(t, sum, "unmet")] != "2" {
				t.Errorf("total %v", r)
			}
		case "7210":
			if r[allocColumn(t, sum, "allocated")] != "2" || r[allocColumn(t, sum, "needs_tier1")] != "2" {
				t.Errorf("commune 7210 %v", r)
			}
		}
	}
	exp := allocReadCSV(t, filepath.Join(out, "explanation.csv"))
	allocColumn(t, exp, "exact_quota")
	allocColumn(t, exp, "rule")
	if len(exp) < 4 {
		t.Errorf("explanation has %d rows", len(exp)-1)
	}
	by := allocReadCSV(t, filepath.Join(out, "by_area", "7211.csv"))
	if len(by) != 2 || by[1][0] != "ST3" {
		t.Errorf("by_area/7211.csv %v", by)
	}

	checkHandoverXLSX(t, filepath.Join(out, "handover", "S1.xlsx"), "Tiểu học Trần Phú", []string{"ST6", "ST1"})

	// Without coverage on purpose: devices only, every home unknown.
	stdout.Reset()
	if err := run(ctx, []string{"allocate", "--in", in, "--no-coverage", "--out", filepath.Join(root, "nocov")}, e); err != nil {
		t.Fatalf("--no-coverage: %v", err)
	}
	if s := stdout.String(); !strings.Contains(s, "allocated: 3 devices, 0 SIMs") || !strings.Contains(s, "3 needs_connectivity") {
		t.Errorf("--no-coverage summary: %s", s)
	}

	// A second run replaces the directory whole.
	stdout.Reset()
	if err := run(ctx, []string{"allocate", "--in", in, "--coverage", cov, "--out", out, "--policy", "need-first", "--tier-order", "fair"}, e); err != nil {
		t.Fatalf("second run: %v", err)
	}
	if !strings.Contains(stdout.String(), "tier order: fair:") {
		t.Errorf("--tier-order fair summary: %s", stdout)
	}
	if md, err := os.ReadFile(filepath.Join(out, "explanation.md")); err != nil || !strings.Contains(string(md), "tier order **fair**") {
		t.Errorf("explanation.md of --tier-order fair: %v\n%s", err, md)
	}
	// A directory that is not ours is never replaced.
	other := filepath.Join(root, "other")
	allocWriteFiles(t, other, map[string]string{"notes.txt": "mine"})
	err := run(ctx, []string{"allocate", "--in", in, "--coverage", cov, "--out", other}, e)
	if err == nil || !strings.Contains(err.Error(), "not replaced") {
		t.Errorf("writing into a foreign directory: %v", err)
	}
}

// checkHandoverXLSX opens a handover list and checks its title, Vietnamese
// headers, print setup and students (in print order).
func checkHandoverXLSX(t *testing.T, path, school string, students []string) {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	sheet := f.GetSheetList()[0]
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 3+len(students) {
		t.Fatalf("%s has %d rows", path, len(rows))
	}
	if want := "DANH SÁCH BÀN GIAO THIẾT BỊ — " + school; rows[0][0] != want {
		t.Errorf("title %q, want %q", rows[0][0], want)
	}
	want := []string{"STT", "Mã học sinh", "Họ và tên", "Ngày sinh", "Lớp", "Diện ưu tiên", "Thiết bị", "Số serial/IMEI", "Gói SIM", "Nhà mạng", "Mạng", "Số ICCID", "Ngày nhận", "Chữ ký", "Tình trạng"}
	if !slices.Equal(rows[2], want) {
		t.Errorf("header %q, want %q", rows[2], want)
	}
	for k, id := range students {
		r := rows[3+k]
		if r[0] != allocFloat(float64(k+1)) || r[1] != id {
			t.Errorf("row %d: %q, want #%d %s", k+4, r, k+1, id)
		}
		if r[5] == "" || r[6] == "" {
			t.Errorf("row %d: priority or device empty: %q", k+4, r)
		}
	}
	lay, err := f.GetPageLayout(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if lay.Orientation == nil || *lay.Orientation != "landscape" || lay.Size == nil || *lay.Size != 9 {
		t.Errorf("page layout: want A4 (9) landscape, got size %v orientation %v", lay.Size, lay.Orientation)
	}
	titles := false
	for _, d := range f.GetDefinedName() {
		if d.Name == "_xlnm.Print_Titles" && strings.HasSuffix(d.RefersTo, "$3:$3") {
			titles = true
		}
	}
	if !titles {
		t.Errorf("the header row is not repeated on printed pages: %v", f.GetDefinedName())
	}
}

func TestAllocateFlags(t *testing.T) {
	ctx := context.Background()
	e, _, _ := allocTestEnv(nil)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"allocate", "--in", "x", "--out", "y"}, "--coverage OUT is required"},
		{[]string{"allocate", "--in", "x", "--coverage", "c", "--commit", "--out", "y"}, "--commit writes to the database"},
		{[]string{"allocate", "--in", "x", "--coverage", "c"}, "--out ALLOC is required"},
		{[]string{"allocate", "--coverage", "c"}, "are for offline runs"},
		{[]string{"allocate", "--in", "x", "--no-coverage", "--out", "y", "--policy", "random"}, "--policy \"random\""},
		{[]string{"allocate", "--in", "x", "--no-coverage", "--out", "y", "--tier-order", "tier1"}, "--tier-order \"tier1\": use strict or fair"},
	}
	for _, c := range cases {
		err := run(ctx, c.args, e)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want it to say %q", c.args, err, c.want)
		}
	}
}

// allocStoreDataset writes a dataset read from files into the store.
func allocStoreDataset(ctx context.Context, t *testing.T, s *postgis.Store, ds *data.Dataset) {
	t.Helper()
	tx, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	schools := make([]postgis.SchoolRow, len(ds.Schools))
	for i, v := range ds.Schools {
		schools[i] = postgis.SchoolRow{School: v}
	}
	hh := make([]postgis.HouseholdRow, len(ds.Households))
	for i, v := range ds.Households {
		hh[i] = postgis.HouseholdRow{Household: v}
	}
	var donors []string
	for _, d := range ds.Devices {
		donors = append(donors, d.Donor)
	}
	steps := []func() (int64, error){
		func() (int64, error) { return postgis.CopyAreas(ctx, tx, postgis.SliceSource(ds.Areas)) },
		func() (int64, error) { return postgis.CopySchools(ctx, tx, postgis.SliceSource(schools)) },
		func() (int64, error) { return postgis.CopyHouseholds(ctx, tx, postgis.SliceSource(hh)) },
		func() (int64, error) { return postgis.CopyStudents(ctx, tx, postgis.SliceSource(ds.Students)) },
		func() (int64, error) { return postgis.EnsureDonors(ctx, tx, donors) },
		func() (int64, error) { return postgis.CopyDevices(ctx, tx, postgis.SliceSource(ds.Devices)) },
		func() (int64, error) { return postgis.CopySimPackages(ctx, tx, postgis.SliceSource(ds.SimPackages)) },
	}
	for i, st := range steps {
		if _, err := st(); err != nil {
			t.Fatalf("store the dataset, step %d: %v", i, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestAllocateDatabase: the same province on PostGIS, preview then commit.
func TestAllocateDatabase(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	in, cov := allocProvince(t, root)
	url := pgtest.NewURL(t)
	s, err := postgis.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ds, err := format.ReadDir(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	allocStoreDataset(ctx, t, s, ds)
	e, stdout, _ := allocTestEnv(map[string]string{"DATABASE_URL": url, "USER": "tester"})

	err = run(ctx, []string{"allocate", "--out", filepath.Join(root, "preview")}, e)
	if err == nil || !strings.Contains(withAdvice(err).Error(), "run `gapmap analyze` first") {
		t.Fatalf("without a coverage run: %v", withAdvice(err))
	}

	// The coverage run, from the same entities.csv.
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
	count := func(sql string) int {
		var n int
		if err := s.Pool().QueryRow(ctx, sql).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Preview: files, a preview run, no allocation.
	if err := run(ctx, []string{"allocate", "--out", filepath.Join(root, "preview")}, e); err != nil {
		t.Fatalf("preview: %v", err)
	}
	if !strings.Contains(stdout.String(), "preview only") || !strings.Contains(stdout.String(), "allocated: 3 devices, 1 SIMs") {
		t.Errorf("preview output: %s", stdout)
	}
	if n := count(`SELECT count(*) FROM allocations`); n != 0 {
		t.Errorf("a preview wrote %d allocations", n)
	}
	if n := count(`SELECT count(*) FROM allocation_runs WHERE status = 'preview' AND devices = 3 AND sims = 1 AND actor = 'tester'`); n != 1 {
		t.Errorf("preview runs recorded: %d", n)
	}

	// Commit: the run, its rows and handovers, and the files.
	stdout.Reset()
	out := filepath.Join(root, "committed")
	if err := run(ctx, []string{"allocate", "--commit", "--out", out}, e); err != nil {
		t.Fatalf("commit: %v", err)
	}
	if n := count(`SELECT count(*) FROM allocations WHERE benefit = 'device'`); n != 3 {
		t.Errorf("%d device allocations committed, want 3", n)
	}
	if n := count(`SELECT count(*) FROM handovers WHERE status = 'pending' AND (device_serial <> '' OR device_imei <> '')`); n != 3 {
		t.Errorf("%d pending handovers with serial/IMEI, want 3", n)
	}
	recs := allocReadCSV(t, filepath.Join(out, "allocations.csv"))
	if len(recs) != 4 {
		t.Errorf("allocations.csv has %d rows, want 3", len(recs)-1)
	}
	checkHandoverXLSX(t, filepath.Join(out, "handover", "S1.xlsx"), "Tiểu học Trần Phú", []string{"ST6", "ST1"})

	// Committed again: every device is used, nothing more is allocated.
	stdout.Reset()
	if err := run(ctx, []string{"allocate", "--commit"}, e); err != nil {
		t.Fatalf("second commit: %v", err)
	}
	if !strings.Contains(stdout.String(), "allocated: 0 devices") || !strings.Contains(stdout.String(), "already served before: 3") {
		t.Errorf("second commit: %s", stdout)
	}
	if n := count(`SELECT count(*) FROM allocations WHERE benefit = 'device'`); n != 3 {
		t.Errorf("%d device allocations after the second commit, want 3", n)
	}
}

func allocFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
