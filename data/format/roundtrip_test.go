package format

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data"
	"github.com/paulmach/orb"
)

// Tricky texts: formula-like, quotes, separators, new lines, Vietnamese,
// number-like ids. (Values are trimmed on reading, so none has outer
// spaces.)
var trickyTexts = []string{
	`=HYPERLINK("http://x","y")`, "=cmd|'/C calc'!A0", "+84 912 345 678", "-Trường", "@SUM(A1)", "'=already quoted", "''@x",
	`Trường "A", B; C`, "dòng 1\ndòng 2", "Ngõ 5, Đường Giải Phóng, Hà Nội", "0012", "1e5", "-5", "'", "x\t=y",
}

// roundTrip writes records with NewCSV and with WriteXLSX, reads them back
// and compares.
func roundTrip[T any](t *testing.T, kind string, header []string, record func(T) []string, rd reader[T], recs []T) {
	t.Helper()
	rows := make([][]string, len(recs))
	for i, r := range recs {
		rows[i] = record(r)
	}
	t.Run("csv", func(t *testing.T) {
		var buf bytes.Buffer
		w, err := NewCSV(&buf, header)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if err := w.Write(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		res := read(t, rd, writeFile(t, kind+".csv", buf.String())).clean(t)
		if !reflect.DeepEqual(res.recs, recs) {
			t.Errorf("CSV round trip:\n got %+v\nwant %+v\nfile:\n%s", res.recs, recs, buf.String())
		}
	})
	t.Run("xlsx", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), kind+".xlsx")
		if err := WriteXLSX(p, kind, header, rows); err != nil {
			t.Fatal(err)
		}
		res := read(t, rd, p).clean(t)
		if !reflect.DeepEqual(res.recs, recs) {
			t.Errorf("XLSX round trip:\n got %+v\nwant %+v", res.recs, recs)
		}
	})
}

func TestRoundTripSchools(t *testing.T) {
	var recs []data.School
	for i, s := range trickyTexts {
		recs = append(recs, data.School{ID: "S" + itoa(i) + s, Name: s, Level: data.SchoolLevels()[i%len(data.SchoolLevels())],
			Lat: 21.028511234567891 + float64(i)/7, Lon: 105.85420000000001 - float64(i)/7, AreaCode: trickyTexts[(i+3)%len(trickyTexts)],
			Students: i * 100, Internet: []string{"fiber", "adsl", "4g", "none"}[i%4]})
	}
	recs = append(recs, data.School{ID: "0012", Name: "x", Level: "college", Lat: 6, Lon: 118, Internet: "none"})
	roundTrip(t, KindSchools, SchoolHeader(), SchoolRecord, ReadSchools, recs)
}

func TestRoundTripHouseholds(t *testing.T) {
	var recs []data.Household
	for i, s := range trickyTexts {
		recs = append(recs, data.Household{ID: s + "#" + itoa(i), Lat: 23.5 - float64(i)*1.1, Lon: 102 + float64(i)*0.7123456789012345,
			AreaCode: s, Precision: []string{"gps", "village", "commune"}[i%3], Poverty: []string{"poor", "near_poor", "none"}[i%3], Members: 1 + i*7})
	}
	roundTrip(t, KindHouseholds, HouseholdHeader(), HouseholdRecord, ReadHouseholds, recs)
}

func TestRoundTripStudents(t *testing.T) {
	var recs []data.Student
	for i, s := range trickyTexts {
		recs = append(recs, data.Student{ID: "st" + itoa(i), HouseholdID: s, SchoolID: trickyTexts[len(trickyTexts)-1-i], Grade: i, Priority: i % 4, HasDevice: i%2 == 0})
	}
	roundTrip(t, KindStudents, StudentHeader(), StudentRecord, ReadStudents, recs)
}

func TestRoundTripSites(t *testing.T) {
	recs := []data.Sector{
		{ID: "A/1", SiteID: "A", Operator: "viettel", Technology: "4G", BandMHz: 1800, Lat: 21.0285, Lon: 105.8542, AntennaHeightM: 30, AzimuthDeg: ptr(0.0), BeamwidthDeg: 65, Status: "active"},
		{ID: "A/2", SiteID: "A", Operator: "viettel", Technology: "4G", BandMHz: 1800, Lat: 21.0285, Lon: 105.8542, AntennaHeightM: 42.5, AzimuthDeg: ptr(359.99), BeamwidthDeg: 33.3, RangeM: 1234.5, Status: "planned"},
		{ID: "=B", SiteID: "-B", Operator: "gmobile", Technology: "2G", BandMHz: 900, Lat: 10.123456789012345, Lon: 106.98765432109876, AntennaHeightM: 0, BeamwidthDeg: 360, RangeM: 100000, Status: "active"},
		{ID: "ocid-452-4-1-2", SiteID: "ocid-452-4-1-2", Operator: "vietnamobile", Technology: "5G", BandMHz: 3500, Lat: 16, Lon: 108, AntennaHeightM: 1000, BeamwidthDeg: 360, Status: "active"},
	}
	roundTrip(t, KindSites, SiteHeader(), SiteRecord, ReadSites, recs)
}

func TestRoundTripFiberNodes(t *testing.T) {
	var recs []data.FiberNode
	ops := []string{"viettel", "vinaphone", "mobifone", "vietnamobile", "gmobile", "fpt", "vnpt", "cmc", "other"}
	for i, s := range trickyTexts {
		recs = append(recs, data.FiberNode{ID: "N" + s, Operator: ops[i%len(ops)], Kind: s, Lat: 20 + float64(i)/9, Lon: 105 + float64(i)/11})
	}
	roundTrip(t, KindFiberNodes, FiberNodeHeader(), FiberNodeRecord, ReadFiberNodes, recs)
}

func TestRoundTripDevices(t *testing.T) {
	var recs []data.Device
	oses := [][2]string{{"android", "4.4"}, {"ios", "9"}, {"windows", "10"}, {"linux", "Ubuntu 22.04"}, {"macos", ""}, {"chromeos", "120.0.6099"}, {"", ""}}
	for i, s := range trickyTexts {
		os := oses[i%len(oses)]
		recs = append(recs, data.Device{ID: "D" + itoa(i), Donor: s, Type: []string{"phone", "tablet", "laptop", "desktop"}[i%4],
			OS: os[0], OSVersion: os[1], CPUGHz: 1.1 * float64(i%5), RAMGB: float64(i) / 2, StorageGB: 128, FreeStorageGB: float64(i),
			HasCharger: data.CondOf(i%2 == 0), AVOK: data.CondOf(i%3 == 0), ScreenOK: data.CondOf(i%4 == 0), KeyboardOK: data.CondOf(i%5 == 0), HasMonitor: data.CondOf(i%6 == 0), WiFi: data.CondOf(i%7 == 0),
			Serial: s, IMEI: "35693803564380" + itoa(i%10), AreaCode: "0000" + itoa(i)})
	}
	roundTrip(t, KindDevices, DeviceHeader(), DeviceRecord, ReadDevices, recs)
}

func TestRoundTripSimPackages(t *testing.T) {
	var recs []data.SimPackage
	for i, s := range trickyTexts {
		recs = append(recs, data.SimPackage{ID: "P" + s, Operator: []string{"viettel", "vinaphone", "mobifone", "vietnamobile", "gmobile"}[i%5],
			GBPerDay: 0.5 + float64(i), Months: 1 + i, Quantity: i * 1000, AreaCode: s})
	}
	roundTrip(t, KindSimPackages, SimPackageHeader(), SimPackageRecord, ReadSimPackages, recs)
}

func TestRoundTripAreas(t *testing.T) {
	recs := []data.Area{
		{Code: "01", Name: "Thành phố Hà Nội", Level: "province", ValidFrom: date("2008-08-01"), Population: 8053663, Households: 2224000, Environment: "urban"},
		{Code: "00004", Name: `Phường "Ba Đình" <&>`, Level: "commune", ParentCode: "01", ValidFrom: date("2025-07-01"), ValidTo: date("2030-01-01"),
			Geom: orb.MultiPolygon{{{{105.80000000000001, 21.030000000000001}, {105.84123456789012, 21.03}, {105.84, 21.05}, {105.80000000000001, 21.030000000000001}},
				{{105.81, 21.04}, {105.82, 21.04}, {105.82, 21.045}, {105.81, 21.04}}}, {{{106, 22}, {106.1, 22}, {106.1, 22.1}, {106, 22}}}}},
		{Code: "=X", Name: "area", Level: "cụm"},
	}
	var buf bytes.Buffer
	if err := WriteAreasGeoJSON(&buf, recs); err != nil {
		t.Fatal(err)
	}
	res := read(t, ReadAreas, writeFile(t, "areas.geojson", buf.String())).clean(t)
	if !reflect.DeepEqual(res.recs, recs) {
		t.Errorf("got\n%+v\nwant\n%+v\n%s", res.recs, recs, buf.String())
	}
}

func TestRoundTripFiberRoutes(t *testing.T) {
	recs := []data.FiberRoute{
		{ID: "R1", Operator: "fpt", Line: orb.LineString{{105.8, 21}, {105.90000000000001, 21.123456789012345}}},
		{ID: "R2#3", Operator: "other", Line: orb.LineString{{106, 20}, {106.1, 20.1}, {106.2, 20.3}}},
	}
	var buf bytes.Buffer
	if err := WriteFiberRoutesGeoJSON(&buf, recs); err != nil {
		t.Fatal(err)
	}
	res := read(t, ReadFiberRoutes, writeFile(t, "fiber_routes.geojson", buf.String())).clean(t)
	if !reflect.DeepEqual(res.recs, recs) {
		t.Errorf("got %+v", res.recs)
	}
}

func TestEscapeCell(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"=cmd|'/C calc'!A0", "'=cmd|'/C calc'!A0"},
		{"+1", "+1"},
		{"-2.5", "-2.5"},
		{"-5.2e3", "-5.2e3"},
		{"@SUM(A1:A9)", "'@SUM(A1:A9)"},
		{"+84 912 345 678", "'+84 912 345 678"},
		{"-", "'-"},
		{"--1", "'--1"},
		{"=1+2", "'=1+2"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"'=1", "''=1"},
		{"'abc", "'abc"},
		{"'-2.5", "'-2.5"},
		{"", ""},
		{"Trường A", "Trường A"},
		{"a=b", "a=b"},
	} {
		if got := EscapeCell(c.in); got != c.want {
			t.Errorf("EscapeCell(%q) = %q, want %q", c.in, got, c.want)
		}
		if got := UnescapeCell(EscapeCell(c.in)); got != c.in {
			t.Errorf("UnescapeCell(EscapeCell(%q)) = %q", c.in, got)
		}
	}
}

func TestCSVOutput(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewCSV(&buf, []string{"id", "name", "value"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range [][]string{{"1", "=cmd|'/C calc'!A0", "-2.5"}, {"2", "@SUM(A1)", "+1"}, {"3", "a,b", "x\"y"}} {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Write([]string{"short"}); err == nil {
		t.Error("a short record was accepted")
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := bom + "id,name,value\n1,'=cmd|'/C calc'!A0,-2.5\n2,'@SUM(A1),+1\n3,\"a,b\",\"x\"\"y\"\n"
	if buf.String() != want {
		t.Errorf("got\n%q\nwant\n%q", buf.String(), want)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

func TestCSVWriteError(t *testing.T) {
	w, err := NewCSV(failWriter{}, []string{"a"})
	if err != nil {
		t.Fatal(err) // buffered: nothing written yet
	}
	_ = w.Write([]string{strings.Repeat("x", 100)})
	if err := w.Flush(); err == nil {
		t.Error("Flush did not return the write error")
	}
}

func TestWriteXLSX(t *testing.T) {
	p := filepath.Join(t.TempDir(), "list.xlsx")
	if err := WriteXLSX(p, "Danh sách: lớp 6/A [2025]", []string{"STT", "Mã HS", "Họ tên", "IMEI", "Điểm"},
		[][]string{{"1", "0012", "Nguyễn Văn A", "356938035643809", "8.5"}, {"2", "13", "=B", "", "-1"}}); err != nil {
		t.Fatal(err)
	}
	rows := readSheet(t, p)
	want := [][]string{{"STT", "Mã HS", "Họ tên", "IMEI", "Điểm"}, {"1", "0012", "Nguyễn Văn A", "356938035643809", "8.5"}, {"2", "13", "=B", "", "-1"}}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("got %q", rows)
	}
}
