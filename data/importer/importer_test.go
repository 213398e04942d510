package importer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
	realdatadir "github.com/gapmap/gapmap/internal/realdata"
	"github.com/paulmach/orb"
)

func ptr[T any](v T) *T { return &v }

// The test world's records (see testAreas).
func testSchools() []data.School {
	return []data.School{
		{ID: "S1", Name: "Trường Tiểu học Một", Level: data.LevelPrimary, Lat: 21.05, Lon: 105.05, Students: 320, Internet: data.InternetFiber},
		{ID: "S2", Name: "Trường THCS Hai", Level: data.LevelLower, Lat: 21.15, Lon: 105.3, AreaCode: "D2", Students: 410, Internet: data.InternetNone},
	}
}

func testHouseholds() []data.Household {
	return []data.Household{
		{ID: "H1", Lat: 21.05, Lon: 105.15, Precision: data.PrecisionGPS, Poverty: data.PovertyPoor, Members: 4},
		{ID: "H2", Lat: 21.15, Lon: 105.05, Precision: data.PrecisionVillage, Poverty: data.PovertyNearPoor, Members: 5},
		{ID: "H3", Lat: 21.05, Lon: 105.05, AreaCode: "D1", Precision: data.PrecisionGPS, Poverty: data.PovertyNone, Members: 3},
		{ID: "H4", Lat: 21.05, Lon: 105.15, AreaCode: "C1", Precision: data.PrecisionCommune, Poverty: data.PovertyNone, Members: 2},
	}
}

func testStudents() []data.Student {
	return []data.Student{
		{ID: "ST1", HouseholdID: "H1", SchoolID: "S1", Grade: 3, Priority: data.TierPoor},
		{ID: "ST2", HouseholdID: "H2", SchoolID: "S2", Grade: 7, Priority: data.TierNearPoor},
		{ID: "ST3", HouseholdID: "H3", SchoolID: "S1", Grade: 1, Priority: data.TierNone, HasDevice: true},
	}
}

func testSectors() []data.Sector {
	return []data.Sector{
		{ID: "V1/1", SiteID: "V1", Operator: data.OpViettel, Technology: data.Tech4G, BandMHz: 1800, Lat: 21.1, Lon: 105.1, AntennaHeightM: 30, AzimuthDeg: ptr(120.0), BeamwidthDeg: 65, RangeM: 3000, Status: data.StatusActive},
		{ID: "M1/1", SiteID: "M1", Operator: data.OpMobifone, Technology: data.Tech3G, BandMHz: 2100, Lat: 21.12, Lon: 105.32, AntennaHeightM: 25, BeamwidthDeg: 360, Status: data.StatusPlanned},
	}
}

func testFiberNodes() []data.FiberNode {
	return []data.FiberNode{{ID: "N1", Operator: data.OpFPT, Kind: "pop", Lat: 21.11, Lon: 105.21}}
}

func testRoutes() []data.FiberRoute {
	return []data.FiberRoute{{ID: "R1", Operator: "vnpt", Line: orb.LineString{{105.21, 21.11}, {105.25, 21.13}, {105.3, 21.15}}}}
}

func testDevices() []data.Device {
	return []data.Device{
		{ID: "DV1", Donor: "Quỹ Vì em", Type: data.DeviceLaptop, OS: "windows", OSVersion: "10", CPUGHz: 1.6, RAMGB: 4, StorageGB: 128, FreeStorageGB: 60,
			HasCharger: data.CondYes, AVOK: data.CondYes, ScreenOK: data.CondYes, KeyboardOK: data.CondYes, HasMonitor: data.CondYes, WiFi: data.CondYes, Serial: "SN1"},
		{ID: "DV2", Donor: "Tập đoàn Viettel", Type: data.DevicePhone, OS: "android", OSVersion: "9", RAMGB: 2, StorageGB: 32, FreeStorageGB: 20,
			HasCharger: data.CondYes, AVOK: data.CondYes, ScreenOK: data.CondYes, KeyboardOK: data.CondYes, HasMonitor: data.CondYes, WiFi: data.CondYes, IMEI: "356938035643809", AreaCode: "C1"},
	}
}

func testSims() []data.SimPackage {
	return []data.SimPackage{{ID: "PK1", Operator: data.OpViettel, GBPerDay: 4, Months: 3, Quantity: 100, AreaCode: "P"}}
}

func records[T any](vs []T, rec func(T) []string) [][]string {
	out := make([][]string, len(vs))
	for i, v := range vs {
		out[i] = rec(v)
	}
	return out
}

// worldFiles writes every kind into dir, tables as CSV or XLSX; the XLSX
// schools, households and students have Vietnamese headers.
func worldFiles(t testing.TB, dir string, xlsx bool) map[string]string {
	t.Helper()
	table := func(name string, header []string, rows [][]string) string {
		if xlsx {
			return xlsxFile(t, dir, name+".xlsx", header, rows...)
		}
		return csvFile(t, dir, name+".csv", header, rows...)
	}
	schoolH, hhH, stH := format.SchoolHeader(), format.HouseholdHeader(), format.StudentHeader()
	if xlsx {
		schoolH = []string{"Mã trường", "Tên trường", "Cấp học", "Vĩ độ", "Kinh độ", "Mã xã", "Số học sinh", "Kết nối"}
		hhH = []string{"Mã hộ", "Vĩ độ", "Kinh độ", "Mã xã", "Độ chính xác", "Hộ nghèo", "Số nhân khẩu"}
		stH = []string{"Mã học sinh", "Mã hộ", "Mã trường", "Lớp", "Ưu tiên", "Có thiết bị", "Mồ côi do COVID-19"}
	}
	return map[string]string{
		format.KindAreas:       areasFile(t, dir, testAreas()),
		format.KindSuccessors:  table("successors", format.SuccessorHeader(), records(testSuccessors(), format.SuccessorRecord)),
		format.KindSchools:     table("schools", schoolH, records(testSchools(), format.SchoolRecord)),
		format.KindHouseholds:  table("households", hhH, records(testHouseholds(), format.HouseholdRecord)),
		format.KindStudents:    table("students", stH, records(testStudents(), format.StudentRecord)),
		format.KindSites:       table("sites", format.SiteHeader(), records(testSectors(), format.SiteRecord)),
		format.KindFiberNodes:  table("fiber_nodes", format.FiberNodeHeader(), records(testFiberNodes(), format.FiberNodeRecord)),
		format.KindFiberRoutes: routesFile(t, dir, testRoutes()),
		format.KindDevices:     table("devices", format.DeviceHeader(), records(testDevices(), format.DeviceRecord)),
		format.KindSimPackages: table("sim_packages", format.SimPackageHeader(), records(testSims(), format.SimPackageRecord)),
		format.KindCoveragePolygons: writeFile(t, dir, "coverage_polygons.geojson", []byte(`{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"polygon_id":"VT-4G-1","operator":"Viettel","technology":"LTE"},"geometry":{"type":"Polygon","coordinates":[[[105.0,21.0],[105.1,21.0],[105.1,21.1],[105.0,21.0]]]}}]}`)),
		format.KindMeasurements: table("measurements", format.MeasurementHeader(), records(testMeasurements(), format.MeasurementRecord)),
	}
}

// testSuccessors: D2 was split between C2 and D1 on 1 July 2025.
func testSuccessors() []data.AreaSuccessor {
	eff := time.Date(2025, time.July, 1, 0, 0, 0, 0, time.UTC)
	return []data.AreaSuccessor{
		{OldCode: "D2", NewCode: "C2", Effective: eff, Share: 0.25},
		{OldCode: "D2", NewCode: "D1", Effective: eff, Share: 0.75},
	}
}

func testPolygons() []data.OperatorPolygon {
	return []data.OperatorPolygon{{ID: "VT-4G-1", Operator: "viettel", Technology: "4G",
		MultiPolygon: orb.MultiPolygon{{{{105.0, 21.0}, {105.1, 21.0}, {105.1, 21.1}, {105.0, 21.0}}}}}}
}

func testMeasurements() []data.Measurement {
	return []data.Measurement{
		{ID: "M1", Operator: "viettel", Technology: "4G", Lat: 21.05, Lon: 105.05, RSRPDBm: -97.5, Time: time.Date(2024, 5, 1, 1, 30, 0, 0, time.UTC)},
		{ID: "M2", Operator: "mobifone", Technology: "3G", Lat: 21.15, Lon: 105.25, RSRPDBm: -121},
	}
}

// wantDataset is the world as stored: areas found by point-in-polygon.
func wantDataset() *data.Dataset {
	ds := &data.Dataset{
		Areas: testAreas(), Schools: testSchools(), Households: testHouseholds(), Students: testStudents(),
		Sectors: testSectors(), FiberNodes: testFiberNodes(), FiberRoutes: testRoutes(), Devices: testDevices(), SimPackages: testSims(),
		Polygons: testPolygons(), Measurements: testMeasurements(),
	}
	ds.Schools[0].AreaCode = "C1"    // found
	ds.Households[0].AreaCode = "C2" // found
	ds.Households[1].AreaCode = "D1" // in D1's part without communes
	ds.Households[2].AreaCode = "C1" // D1 given, refined to C1
	// H4 keeps C1 although it lies in C2 (a warning says so).
	sort.Slice(ds.Areas, func(i, j int) bool { return ds.Areas[i].Code < ds.Areas[j].Code })
	sort.Slice(ds.Sectors, func(i, j int) bool { return ds.Sectors[i].ID < ds.Sectors[j].ID })
	return ds
}

func importWorld(t testing.TB, s *postgis.Store, files map[string]string, opts Options) map[string]Summary {
	t.Helper()
	out := map[string]Summary{}
	for _, k := range Kinds() {
		out[k] = mustImport(t, s, k, files[k], opts)
	}
	return out
}

func checkDataset(t *testing.T, s *postgis.Store) {
	t.Helper()
	got, err := s.ReadDataset(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := wantDataset()
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"areas", got.Areas, want.Areas}, {"schools", got.Schools, want.Schools}, {"households", got.Households, want.Households},
		{"students", got.Students, want.Students}, {"sectors", got.Sectors, want.Sectors}, {"fiber nodes", got.FiberNodes, want.FiberNodes},
		{"fiber routes", got.FiberRoutes, want.FiberRoutes}, {"devices", got.Devices, want.Devices}, {"sim packages", got.SimPackages, want.SimPackages},
		{"coverage polygons", got.Polygons, want.Polygons}, {"measurements", got.Measurements, want.Measurements},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, c.got, c.want)
		}
	}
}

func TestImportEveryKind(t *testing.T) {
	for _, tc := range []struct {
		name string
		xlsx bool
		bulk bulkPolicy
	}{
		{"csv", false, bulkNever},
		{"csv-bulk", false, bulkAlways},
		{"xlsx", true, bulkNever},
		{"xlsx-bulk", true, bulkAlways},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := pgtest.New(t)
			files := worldFiles(t, t.TempDir(), tc.xlsx)
			sums := importWorld(t, s, files, Options{bulk: tc.bulk})
			checkDataset(t, s)
			n := counts(t, s)
			wantN := map[string]int64{"areas": 5, "area_successors": 2, "schools": 2, "households": 4, "students": 3, "sites": 2, "fiber_nodes": 1,
				"fiber_routes": 1, "donors": 2, "devices": 2, "sim_packages": 1, "coverage_polygons": 1, "measurements": 2}
			if !reflect.DeepEqual(n, wantN) {
				t.Errorf("counts %v, want %v", n, wantN)
			}
			hh := sums[format.KindHouseholds]
			if hh.Rows != 4 || hh.Inserted != 4 || hh.Kind != "households" {
				t.Errorf("households summary %+v", hh)
			}
			if tc.bulk == bulkAlways && !hh.Bulk {
				t.Errorf("households were not bulk-loaded: %+v", hh)
			}
			// H4 (row 5) gives C1 but lies in C2.
			checkErrors(t, hh.Warnings, hh.File, want{Row: 5, Column: "area_code", Value: "C1",
				Reason: "the point 21.0500,105.1500 lies in area C2 (Xã Hai), not in C1 (Xã Một); kept C1 (fix the code or the coordinates if the file is wrong)"})
			if !strings.Contains(hh.String(), hh.File+": imported 4 households in ") || !strings.HasSuffix(hh.String(), ", 1 warning(s)") {
				t.Errorf("summary line %q", hh.String())
			}
		})
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	s := pgtest.New(t)
	files := worldFiles(t, t.TempDir(), false)
	mustImport(t, s, format.KindAreas, files[format.KindAreas], Options{})
	before := counts(t, s)
	var last int64
	sum := mustImport(t, s, format.KindHouseholds, files[format.KindHouseholds], Options{DryRun: true, Progress: func(n int64) { last = n }})
	if !sum.DryRun || sum.Inserted != 4 || last != 4 {
		t.Errorf("dry run summary %+v, last progress %d", sum, last)
	}
	if !strings.Contains(sum.String(), "households.csv: dry run: 4 households valid, nothing written") {
		t.Errorf("summary line %q", sum.String())
	}
	if after := counts(t, s); !reflect.DeepEqual(before, after) {
		t.Errorf("dry run changed the database: %v → %v", before, after)
	}
	// A dry run of a file with problems reports them, database checks included.
	dir := t.TempDir()
	bad := csvFile(t, dir, "schools.csv", format.SchoolHeader(), format.SchoolRecord(testSchools()[0]))
	mustImport(t, s, format.KindSchools, bad, Options{})
	errs := importFails(t, s, format.KindSchools, bad, Options{DryRun: true})
	checkErrors(t, errs, "schools.csv", want{Row: 2, Column: "school_id", Value: "S1",
		Reason: "school_id S1 already exists in the database: remove the row, or replace the existing rows with this file"})
}

// loadBase loads areas, schools and households of the test world.
func loadBase(t testing.TB, s *postgis.Store) {
	t.Helper()
	files := worldFiles(t, t.TempDir(), false)
	for _, k := range []string{format.KindAreas, format.KindSchools, format.KindHouseholds} {
		mustImport(t, s, k, files[k], Options{})
	}
}

func TestBadInputs(t *testing.T) {
	hh := format.HouseholdHeader()
	st := format.StudentHeader()[:6] // without the optional covid_orphan
	type tc struct {
		name  string
		kind  string
		file  func(dir string) string
		wants []want
	}
	cases := []tc{
		{"non-numeric coordinate", format.KindHouseholds, func(dir string) string {
			return csvFile(t, dir, "households.csv", hh, []string{"H9", "21.05x", "105.05", "", "gps", "none", "3"})
		}, []want{{Row: 2, Column: "lat", Value: "21.05x", Reason: "latitude is not a number", Partial: true}}},
		{"outside Vietnam", format.KindHouseholds, func(dir string) string {
			return csvFile(t, dir, "households.csv", hh, []string{"H9", "48.8566", "2.3522", "", "gps", "none", "3"})
		}, []want{
			{Row: 2, Column: "lat", Value: "48.8566", Reason: "outside Vietnam", Partial: true},
			{Row: 2, Column: "lon", Value: "2.3522", Reason: "outside Vietnam", Partial: true},
		}},
		{"bad enum", format.KindHouseholds, func(dir string) string {
			return csvFile(t, dir, "households.csv", hh, []string{"H9", "21.05", "105.05", "", "gps", "rich", "3"})
		}, []want{{Row: 2, Column: "poverty", Value: "rich", Reason: "rich", Partial: true}}},
		{"missing required field", format.KindSchools, func(dir string) string {
			return csvFile(t, dir, "schools.csv", format.SchoolHeader(), []string{"S9", "", "primary", "21.05", "105.05", "", "10", "none"})
		}, []want{{Row: 2, Column: "name", Reason: "missing name", Partial: true}}},
		{"duplicate id in the file", format.KindHouseholds, func(dir string) string {
			return csvFile(t, dir, "households.csv", hh,
				[]string{"H9", "21.05", "105.05", "", "gps", "none", "3"},
				[]string{"H9", "21.06", "105.06", "", "gps", "none", "3"})
		}, []want{{Row: 3, Column: "household_id", Value: "H9", Reason: "duplicate household_id: first seen at row 2", Partial: true}}},
		{"duplicate id against the database", format.KindHouseholds, func(dir string) string {
			return csvFile(t, dir, "households.csv", hh,
				[]string{"H9", "21.05", "105.05", "", "gps", "none", "3"},
				[]string{"H2", "21.06", "105.06", "", "gps", "none", "3"})
		}, []want{{Row: 3, Column: "household_id", Value: "H2",
			Reason: "household_id H2 already exists in the database: remove the row, or replace the existing rows with this file"}}},
		{"unknown household", format.KindStudents, func(dir string) string {
			return csvFile(t, dir, "students.csv", st,
				[]string{"ST9", "H1", "S1", "4", "0", "false"},
				[]string{"ST10", "H404", "S1", "4", "0", "false"})
		}, []want{{Row: 3, Column: "household_id", Value: "H404",
			Reason: "household_id H404 does not exist: import the households first (or in the same directory), or fix the id"}}},
		{"unknown school", format.KindStudents, func(dir string) string {
			return csvFile(t, dir, "students.csv", st, []string{"ST9", "H1", "S404", "4", "0", "false"})
		}, []want{{Row: 2, Column: "school_id", Value: "S404",
			Reason: "school_id S404 does not exist: import the schools first (or in the same directory), or fix the id"}}},
		{"device held by an unknown school", format.KindDevices, func(dir string) string {
			d := testDevices()[0]
			d.SchoolID = "S404"
			return csvFile(t, dir, "devices.csv", format.DeviceHeader(), format.DeviceRecord(d))
		}, []want{{Row: 2, Column: "school_id", Value: "S404",
			Reason: "school_id S404 does not exist: import the schools first (or in the same directory), or fix the id"}}},
		{"SIM package held by an unknown school", format.KindSimPackages, func(dir string) string {
			p := testSims()[0]
			p.SchoolID, p.AreaCode = "S404", ""
			return csvFile(t, dir, "sim_packages.csv", format.SimPackageHeader(), format.SimPackageRecord(p))
		}, []want{{Row: 2, Column: "school_id", Value: "S404",
			Reason: "school_id S404 does not exist: import the schools first (or in the same directory), or fix the id"}}},
		{"unknown area code", format.KindSchools, func(dir string) string {
			return csvFile(t, dir, "schools.csv", format.SchoolHeader(), []string{"S9", "Trường Chín", "primary", "21.05", "105.05", "X9", "10", "none"})
		}, []want{{Row: 2, Column: "area_code", Value: "X9",
			Reason: "area_code X9 is not a loaded area: import the areas first (or in the same directory) or fix the code"}}},
		{"every problem at once", format.KindStudents, func(dir string) string {
			return csvFile(t, dir, "students.csv", st,
				[]string{"ST1", "H1", "S1", "4", "0", "false"},    // exists
				[]string{"ST20", "H1", "S1", "lớp", "0", "false"}, // bad grade
				[]string{"ST21", "H404", "S404", "4", "0", "false"},
				[]string{"ST21", "H1", "S1", "4", "0", "false"}) // duplicate in the file
		}, []want{
			{Row: 2, Column: "student_id", Value: "ST1", Reason: "student_id ST1 already exists in the database: remove the row, or replace the existing rows with this file"},
			{Row: 3, Column: "grade", Value: "lớp", Reason: "grade", Partial: true},
			{Row: 4, Column: "household_id", Value: "H404", Reason: "household_id H404 does not exist: import the households first (or in the same directory), or fix the id"},
			{Row: 4, Column: "school_id", Value: "S404", Reason: "school_id S404 does not exist: import the schools first (or in the same directory), or fix the id"},
			{Row: 5, Column: "student_id", Value: "ST21", Reason: "duplicate student_id: first seen at row 4", Partial: true},
		}},
	}
	for _, bulk := range []bulkPolicy{bulkNever, bulkAlways} {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s/bulk=%v", c.name, bulk == bulkAlways), func(t *testing.T) {
				s := pgtest.New(t)
				loadBase(t, s)
				if c.kind == format.KindStudents {
					mustImport(t, s, format.KindStudents, csvFile(t, t.TempDir(), "students.csv", format.StudentHeader(), format.StudentRecord(testStudents()[0])), Options{})
				}
				path := c.file(t.TempDir())
				errs := importFails(t, s, c.kind, path, Options{bulk: bulk})
				checkErrors(t, errs, filepath.Base(path), c.wants...)
			})
		}
	}
}

// TestBulkDiagnostics covers a bulk load (empty table) whose foreign keys
// fail when they are re-created: every offending row is found.
func TestBulkDiagnostics(t *testing.T) {
	s := pgtest.New(t)
	loadBase(t, s)
	st := format.StudentHeader()[:6] // without the optional covid_orphan
	path := csvFile(t, t.TempDir(), "students.csv", st,
		[]string{"ST1", "H1", "S1", "4", "0", "false"},
		[]string{"ST2", "H404", "S1", "4", "0", "false"},
		[]string{"ST3", "H1", "S1", "4", "0", "false"},
		[]string{"ST4", "H405", "S1", "4", "0", "false"})
	errs := importFails(t, s, format.KindStudents, path, Options{bulk: bulkAlways})
	checkErrors(t, errs, "students.csv",
		want{Row: 3, Column: "household_id", Value: "H404", Reason: "household_id H404 does not exist: import the households first (or in the same directory), or fix the id"},
		want{Row: 5, Column: "household_id", Value: "H405", Reason: "household_id H405 does not exist: import the households first (or in the same directory), or fix the id"})
	// The keys were re-created: a later duplicate is still refused.
	mustImport(t, s, format.KindStudents, csvFile(t, t.TempDir(), "students.csv", st, []string{"ST1", "H1", "S1", "4", "0", "false"}), Options{bulk: bulkAlways})
	errs = importFails(t, s, format.KindStudents, csvFile(t, t.TempDir(), "students.csv", st, []string{"ST1", "H1", "S1", "4", "0", "false"}), Options{})
	checkErrors(t, errs, "students.csv", want{Row: 2, Column: "student_id", Value: "ST1",
		Reason: "student_id ST1 already exists in the database: remove the row, or replace the existing rows with this file"})
}

func TestXLSXVietnameseHeaderErrors(t *testing.T) {
	s := pgtest.New(t)
	loadBase(t, s)
	header := []string{"Mã học sinh", "Mã hộ", "Mã trường", "Lớp", "Ưu tiên", "Có thiết bị"}
	path := xlsxFile(t, t.TempDir(), "hoc_sinh.xlsx", header,
		[]string{"HS1", "H1", "S1", "6A1", "1", "không"},
		[]string{"HS1", "H2", "S2", "7", "2", "có"},
		[]string{"HS3", "H404", "S2", "7", "2", "có"})
	errs := importFails(t, s, format.KindStudents, path, Options{})
	checkErrors(t, errs, "hoc_sinh.xlsx",
		want{Row: 3, Column: "Mã học sinh", Value: "HS1", Reason: "duplicate student_id: first seen at row 2", Partial: true},
		want{Row: 4, Column: "household_id", Value: "H404", Reason: "household_id H404 does not exist: import the households first (or in the same directory), or fix the id"})

	hh := []string{"Mã hộ", "Vĩ độ", "Kinh độ", "Hộ nghèo", "Số nhân khẩu"}
	path = xlsxFile(t, t.TempDir(), "ho_gia_dinh.xlsx", hh,
		[]string{"H10", "21,05", "105,05", "hộ nghèo", "4"},
		[]string{"H11", "abc", "105.05", "", "4"})
	errs = importFails(t, s, format.KindHouseholds, path, Options{})
	checkErrors(t, errs, "ho_gia_dinh.xlsx", want{Row: 3, Column: "Vĩ độ", Value: "abc", Reason: "latitude is not a number", Partial: true})
}

// realdata returns the shared real-data directory.
func realdata(t testing.TB) string { return realdatadir.Dir(t) }

// bacGiangCommunes converts the real Bắc Giang communes to an areas file
// (codes BG001…, no parent: only communes are loaded).
func bacGiangCommunes(t testing.TB, dir string) (string, int) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(realdata(t), "bac_giang", "communes.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	fs, err := readPolygons(b)
	if err != nil {
		t.Fatal(err)
	}
	var areas []data.Area
	for i, f := range fs {
		// GADM ids repeat in this file: number the communes instead.
		areas = append(areas, data.Area{Code: fmt.Sprintf("BG%03d", i+1), Name: fmt.Sprint(f.Properties["commune"]),
			Level: "commune", Geom: f.Geometry})
	}
	return areasFile(t, dir, areas), len(areas)
}

func TestPointInNoArea(t *testing.T) {
	s := pgtest.New(t)
	dir := t.TempDir()
	path, n := bacGiangCommunes(t, dir)
	sum := mustImport(t, s, format.KindAreas, path, Options{})
	if sum.Inserted != int64(n) || n != 230 {
		t.Fatalf("imported %d of %d communes", sum.Inserted, n)
	}
	hh := csvFile(t, dir, "households.csv", format.HouseholdHeader(),
		[]string{"BG1", "21.2880", "106.1950", "", "gps", "poor", "4"}, // Trần Nguyên Hãn, Bắc Giang city
		[]string{"BG2", "21.473", "106.776", "", "gps", "poor", "4"})   // the hole between Lục Ngạn and Sơn Động
	errs := importFails(t, s, format.KindHouseholds, hh, Options{Date: time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)})
	checkErrors(t, errs, "households.csv", want{Row: 3, Column: "lat/lon", Value: "21.473,106.776",
		Reason: "in no area: no area valid on 2026-01-01 contains 21.4730,106.7760 — load the commune boundaries valid that day first, import with another --date, or fix the coordinates"})

	// With the area_code given, the point is kept with a warning.
	hh = csvFile(t, dir, "households.csv", format.HouseholdHeader(),
		[]string{"BG2", "21.473", "106.776", "BG001", "gps", "poor", "4"})
	sum = mustImport(t, s, format.KindHouseholds, hh, Options{})
	checkErrors(t, sum.Warnings, "households.csv", want{Row: 2, Column: "lat/lon", Value: "21.473,106.776",
		Reason: "no loaded area contains 21.4730,106.7760; kept area_code BG001"})
}

func TestAreaErrors(t *testing.T) {
	s := pgtest.New(t)
	dir := t.TempDir()
	mustImport(t, s, format.KindAreas, areasFile(t, dir, testAreas()), Options{})
	flat := orb.MultiPolygon{{{{105.5, 21.5}, {105.6, 21.6}, {105.5, 21.5}, {105.5, 21.5}}}}
	bad := []data.Area{
		{Code: "C1", Name: "Xã Một lần nữa", Level: "commune", ParentCode: "D1"},                                 // 1: exists in the database
		{Code: "X1", Name: "Xã Mồ côi", Level: "commune", ParentCode: "D404"},                                    // 2: unknown parent
		{Code: "A", Name: "Vòng A", Level: "district", ParentCode: "B"},                                          // 3: cycle A → B → A
		{Code: "B", Name: "Vòng B", Level: "district", ParentCode: "A"},                                          // 4
		{Code: "FL", Name: "Dẹt", Level: "commune", ParentCode: "D2", Geom: flat},                                // 5: a line, not a polygon
		{Code: "OK", Name: "Xã Tốt", Level: "commune", ParentCode: "D2", Geom: square(105.2, 21.0, 105.3, 21.1)}, // 6: fine
	}
	errs := importFails(t, s, format.KindAreas, areasFile(t, dir, bad), Options{})
	checkErrors(t, errs, "areas.geojson",
		want{Row: 1, Column: "code", Value: "C1", Reason: "area code C1 already exists in the database: remove it from the file, or replace the existing areas with this file"},
		want{Row: 2, Column: "parent_code", Value: "D404", Reason: "parent_code D404 is neither in this file nor in the database: import the parent areas first or fix the code"},
		want{Row: 3, Column: "parent_code", Value: "B", Reason: "the parent links form a cycle: A → B → A: an area cannot be its own ancestor"},
		want{Row: 5, Column: "geometry", Reason: "the boundary is not a valid polygon and cannot be repaired (Too few points in geometry component[105.5 21.5]): fix it (QGIS: Vector ▸ Geometry Tools ▸ Fix Geometries, or ogr2ogr -makevalid) and import again"},
	)
}

// TestAreaRepair: invalid boundaries that can be made valid are stored
// repaired, with a warning.
func TestAreaRepair(t *testing.T) {
	s := pgtest.New(t)
	dir := t.TempDir()
	bowtie := orb.MultiPolygon{{{{105.0, 21.0}, {105.2, 21.2}, {105.2, 21.0}, {105.0, 21.2}, {105.0, 21.0}}}}
	// A district written as the overlapping squares of its communes.
	overlapping := append(square(105.2, 21.0, 105.3, 21.1), square(105.25, 21.0, 105.4, 21.1)...)
	areas := []data.Area{
		{Code: "BT", Name: "Nơ", Level: "district", Geom: bowtie},
		{Code: "OV", Name: "Chồng", Level: "district", Geom: overlapping},
	}
	sum := mustImport(t, s, format.KindAreas, areasFile(t, dir, areas), Options{})
	if len(sum.Warnings) != 2 || sum.Warnings[0].Row != 1 || sum.Warnings[1].Row != 2 ||
		!strings.HasPrefix(sum.Warnings[0].Reason, "the boundary of BT was not valid (Self-intersection[105.1 21.1]): stored it repaired") ||
		!strings.HasPrefix(sum.Warnings[1].Reason, "the boundary of OV was not valid (Self-intersection") {
		t.Fatalf("warnings:\n%s", list(sum.Warnings))
	}
	var valid bool
	var km2 float64
	if err := s.Pool().QueryRow(context.Background(), `SELECT bool_and(ST_IsValid(geom)), sum(ST_Area(geom::geography)) / 1e6 FROM areas WHERE code = 'OV'`).Scan(&valid, &km2); err != nil {
		t.Fatal(err)
	}
	// 0.2° × 0.1° at 21°N ≈ 20.8 km × 11.1 km.
	if !valid || km2 < 225 || km2 > 240 {
		t.Errorf("repaired OV: valid %v, %.1f km²", valid, km2)
	}
	// Points inside the repaired areas are found.
	hh := csvFile(t, dir, "households.csv", format.HouseholdHeader(), []string{"H1", "21.05", "105.35", "", "gps", "none", "2"})
	mustImport(t, s, format.KindHouseholds, hh, Options{})
	ds, err := s.ReadDataset(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if ds.Households[0].AreaCode != "OV" {
		t.Errorf("household in %q, want OV", ds.Households[0].AreaCode)
	}
}

func TestOpenCelliD(t *testing.T) {
	s := pgtest.New(t)
	path := rawCSV(t, t.TempDir(), "452.csv",
		"radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,averageSignal",
		"LTE,452,4,10011,26543105,0,105.05,21.05,1000,5,1,1459692932,1459692932,0",
		"UMTS,452,1,20011,1234567,0,105.3,21.15,2500,3,1,1459692932,1459692932,0",
		"GSM,452,2,30011,765,0,105.15,21.12,0,1,1,1459692932,1459692932,0")
	sum := mustImport(t, s, format.KindSites, path, Options{})
	if sum.Inserted != 3 {
		t.Fatalf("summary %+v", sum)
	}
	var got []postgis.SectorRow
	if err := s.EachSector(context.Background(), func(r postgis.SectorRow) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("sectors %+v", got)
	}
	var lte postgis.SectorRow
	for _, r := range got {
		if r.Technology == data.Tech4G {
			lte = r
		}
	}
	if lte.ID != "ocid-452-4-10011-26543105" || lte.Operator != data.OpViettel || lte.Technology != data.Tech4G || lte.RangeM != 1000 || !lte.Omni() || lte.Cell == 0 {
		t.Errorf("LTE sector %+v", lte)
	}
	ops := []string{got[0].Operator, got[1].Operator, got[2].Operator}
	sort.Strings(ops)
	if !reflect.DeepEqual(ops, []string{"mobifone", "viettel", "vinaphone"}) {
		t.Errorf("operators %v", ops)
	}
}

func TestImportDir(t *testing.T) {
	dir := t.TempDir()
	worldFiles(t, dir, false)
	t.Run("all", func(t *testing.T) {
		s := pgtest.New(t)
		sums, err := ImportDir(context.Background(), s, dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(sums) != 12 { // every kind, successors included
			t.Errorf("%d summaries", len(sums))
		}
		checkDataset(t, s)
		// Again with --replace: same content.
		if _, err := ImportDir(context.Background(), s, dir, Options{Replace: true}); err != nil {
			t.Fatal(err)
		}
		checkDataset(t, s)
	})
	t.Run("all or nothing", func(t *testing.T) {
		s := pgtest.New(t)
		bad := t.TempDir()
		worldFiles(t, bad, false)
		// A household rejected for its coordinates: its students are not
		// reported, only the student of an unknown household.
		csvFile(t, bad, "households.csv", format.HouseholdHeader(), append(records(testHouseholds(), format.HouseholdRecord),
			[]string{"H5", "north", "105.05", "", "gps", "none", "3"})...)
		csvFile(t, bad, "students.csv", format.StudentHeader(), append(records(testStudents(), format.StudentRecord),
			[]string{"ST5", "H5", "S1", "4", "0", "false", "false"},
			[]string{"ST6", "H404", "S1", "4", "0", "false", "false"})...)
		before := counts(t, s)
		_, err := ImportDir(context.Background(), s, bad, Options{})
		var ve *data.ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("got %v, want a validation error", err)
		}
		if after := counts(t, s); !reflect.DeepEqual(before, after) {
			t.Errorf("the database changed: %v → %v", before, after)
		}
		got := ve.Errors
		if len(got) != 3 || got[0].File != "households.csv" || got[0].Row != 6 ||
			got[1].File != "students.csv" || got[1].Row != 5 || got[1].Value != "H5" ||
			got[2].File != "students.csv" || got[2].Row != 6 || got[2].Value != "H404" {
			t.Errorf("errors:\n%s", list(got))
		}
	})
	t.Run("no files", func(t *testing.T) {
		s := pgtest.New(t)
		_, err := ImportDir(context.Background(), s, t.TempDir(), Options{})
		var ve *data.ValidationError
		if !errors.As(err, &ve) || !strings.Contains(ve.Errors[0].Reason, "no input file found") {
			t.Errorf("got %v", err)
		}
	})
}

func TestReplaceOneKind(t *testing.T) {
	s := pgtest.New(t)
	loadBase(t, s)
	dir := t.TempDir()
	path := csvFile(t, dir, "schools.csv", format.SchoolHeader(), format.SchoolRecord(testSchools()[1]))
	mustImport(t, s, format.KindSchools, path, Options{Replace: true})
	if n := counts(t, s)["schools"]; n != 1 {
		t.Errorf("%d schools after replace", n)
	}
	mustImport(t, s, format.KindStudents, csvFile(t, dir, "students.csv", format.StudentHeader(), []string{"ST1", "H1", "S2", "4", "0", "false", "false"}), Options{})
	_, err := Import(context.Background(), s, format.KindSchools, path, Options{Replace: true})
	var ve *data.ValidationError
	if !errors.As(err, &ve) || !strings.Contains(ve.Error(), "cannot replace the schools: rows of students refer to them") {
		t.Errorf("got %v", err)
	}
}

func TestConcurrentImports(t *testing.T) {
	// Two imports of disjoint files at once both succeed.
	s := pgtest.New(t)
	loadBase(t, s)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var rows [][]string
			for k := 0; k < 500; k++ {
				rows = append(rows, []string{"C" + strconv.Itoa(i) + "-" + strconv.Itoa(k), strconv.FormatFloat(21.01+float64(k)*0.0001, 'f', -1, 64), "105.01", "", "gps", "none", "2"})
			}
			p := csvFile(t, t.TempDir(), "households.csv", format.HouseholdHeader(), rows...)
			_, errs[i] = Import(context.Background(), s, format.KindHouseholds, p, Options{})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := counts(t, s)["households"]; n != 1004 {
		t.Errorf("%d households", n)
	}
}

// TestUnexplainedRejection: a database rule the importer does not know
// (here a CHECK added by the test) is reported on the row COPY names.
func TestUnexplainedRejection(t *testing.T) {
	for _, bulk := range []bulkPolicy{bulkNever, bulkAlways} {
		t.Run(fmt.Sprint(bulk == bulkAlways), func(t *testing.T) {
			s := pgtest.New(t)
			mustImport(t, s, format.KindAreas, areasFile(t, t.TempDir(), testAreas()), Options{})
			if _, err := s.Pool().Exec(context.Background(), `ALTER TABLE households ADD CONSTRAINT small_homes CHECK (members < 6)`); err != nil {
				t.Fatal(err)
			}
			path := csvFile(t, t.TempDir(), "households.csv", format.HouseholdHeader(),
				[]string{"H1", "21.05", "105.05", "", "gps", "none", "3"},
				[]string{"H2", "bad", "105.05", "", "gps", "none", "3"},
				[]string{"H3", "21.05", "105.05", "", "gps", "none", "7"})
			errs := importFails(t, s, format.KindHouseholds, path, Options{bulk: bulk})
			if len(errs) != 2 || errs[0].Row != 3 || errs[1].Row != 4 ||
				!strings.HasPrefix(errs[1].Reason, `the database rejected this row: new row for relation "households" violates check constraint "small_homes"`) {
				t.Errorf("errors:\n%s", list(errs))
			}
		})
	}
}

func TestCancel(t *testing.T) {
	s := pgtest.New(t)
	dir := t.TempDir()
	mustImport(t, s, format.KindAreas, areasFile(t, dir, testAreas()), Options{})
	var rows [][]string
	for i := 0; i < 50_000; i++ {
		rows = append(rows, []string{"H" + strconv.Itoa(i), "21.05", "105.05", "", "gps", "none", "3"})
	}
	path := csvFile(t, dir, "households.csv", format.HouseholdHeader(), rows...)
	for _, bulk := range []bulkPolicy{bulkNever, bulkAlways} {
		ctx, cancel := context.WithCancel(context.Background())
		before := counts(t, s)
		_, err := Import(ctx, s, format.KindHouseholds, path, Options{bulk: bulk, Progress: func(n int64) {
			if n >= progressEvery {
				cancel()
			}
		}})
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("bulk %v: got %v, want context.Canceled", bulk == bulkAlways, err)
		}
		if after := counts(t, s); !reflect.DeepEqual(before, after) {
			t.Errorf("a cancelled import changed the database: %v → %v", before, after)
		}
	}
}

func TestSummaryLine(t *testing.T) {
	sum := Summary{Kind: "households", File: "households.csv", Rows: 1000000, Inserted: 1000000, Duration: 2500 * time.Millisecond}
	if got, want := sum.String(), "households.csv: imported 1,000,000 households in 2.5s (400,000 rows/s)"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
}
