package format

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/gapmap/gapmap/data"
)

func TestReadDir(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("areas.geojson", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"01","name":"A"},"geometry":null},
{"type":"Feature","properties":{"code":"0101","name":"B","parent_code":"01"},"geometry":null}]}`)
	write("Schools.CSV", "school_id,name,level,lat,lon,area_code\nS1,A,primary,21,105,0101\n")
	write("households.csv", "household_id,lat,lon\nH1,21,105\nH2,21,105\n")
	write("students.csv", "student_id,household_id,school_id,grade\nST1,H1,S1,3\nST2,H9,S1,4\n")
	write("sites.csv", "site_id,operator,technology,band_mhz,lat,lon\nA,viettel,4G,1800,21,105\n")
	makeXLSXAt(t, filepath.Join(dir, "fiber_nodes.xlsx"), [][]any{{"node_id", "operator", "lat", "lon"}, {"N1", "fpt", 21, 105}})
	write("fiber_routes.geojson", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"route_id":"R","operator":"fpt"},"geometry":{"type":"LineString","coordinates":[[105,21],[105.1,21.1]]}}]}`)
	write("devices.csv", "device_id,type\nD1,phone\nD2,toaster\n")
	write("sim_packages.csv", "package_id,operator,gb_per_day,months,quantity,area_code\nP1,viettel,4,3,10,XX\n")
	write("notes.txt", "ignored")

	ds, err := ReadDir(t.Context(), dir)
	var ve *data.ValidationError
	if !errors.As(err, &ve) || ve.Len() != 1 {
		t.Fatalf("err = %v", err)
	}
	wantErr(t, ve, data.FieldError{File: "devices.csv", Row: 3, Column: "type", Value: "toaster", Reason: "is not accepted"})
	if len(ds.Areas) != 2 || len(ds.Schools) != 1 || len(ds.Households) != 2 || len(ds.Students) != 2 || len(ds.Sectors) != 1 ||
		len(ds.FiberNodes) != 1 || len(ds.FiberRoutes) != 1 || len(ds.Devices) != 1 || len(ds.SimPackages) != 1 {
		t.Errorf("dataset: %+v", ds)
	}

	err = CheckReferences(ds)
	if !errors.As(err, &ve) {
		t.Fatalf("CheckReferences = %v", err)
	}
	wantErr(t, ve, data.FieldError{File: "students", Column: "household_id", Value: "H9", Reason: "student ST2: household H9 is not in households"})
	wantErr(t, ve, data.FieldError{File: "sim_packages", Column: "area_code", Value: "XX", Reason: "P1: area XX is not in areas"})
	wantErrCount(t, ve, 2)

	// Two files for one kind, and an empty directory.
	write("households.xlsx", "")
	_, err = ReadDir(t.Context(), dir)
	if !errors.As(err, &ve) {
		t.Fatal(err)
	}
	wantErr(t, ve, data.FieldError{File: "households.csv", Reason: "households.csv and households.xlsx are both present"})
	_, err = ReadDir(t.Context(), t.TempDir())
	if !errors.As(err, &ve) || !containsReason(ve.Errors[0], "no input file found") {
		t.Errorf("empty dir: %v", err)
	}
	if _, err := ReadDir(t.Context(), filepath.Join(dir, "nope")); err == nil {
		t.Error("missing dir: no error")
	}
}

func makeXLSXAt(t *testing.T, path string, rows [][]any) {
	t.Helper()
	p := makeXLSX(t, filepath.Base(path), rows)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestKinds(t *testing.T) {
	want := []string{"areas", "successors", "schools", "households", "students", "sites", "fiber_nodes", "fiber_routes", "devices", "sim_packages", "coverage_polygons", "measurements"}
	got := Kinds()
	if len(got) != len(want) {
		t.Fatalf("Kinds() = %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Kinds() = %v", got)
		}
	}
}

// TestAliasTables checks that no header spelling, exact or without
// accents, means two columns of one kind, and that no value spelling means
// two values of one enumeration.
func TestAliasTables(t *testing.T) {
	for _, kind := range append(Kinds(), "opencellid") {
		cols := columnsFor(kind)
		if kind == "opencellid" {
			cols = ocidColumns()
		}
		exact := map[string]string{}
		for _, c := range cols {
			for _, a := range append([]string{c.name}, c.aliases...) {
				k := normKey(a)
				if prev, ok := exact[k]; ok && prev != c.name {
					t.Errorf("%s: %q means %s and %s", kind, a, prev, c.name)
				}
				exact[k] = c.name
			}
		}
		// Every alias resolves to its own column, with or without accents
		// (unless that is ambiguous, then it resolves to nothing).
		ex, folded := headerKeys(cols)
		for i, c := range cols {
			for _, a := range append([]string{c.name}, c.aliases...) {
				if ex[normKey(a)] != i {
					t.Errorf("%s: %q does not resolve to %s", kind, a, c.name)
				}
				if j, ok := folded[foldKey(normKey(a))]; ok && j != i {
					t.Errorf("%s: %q without accents resolves to %s", kind, a, cols[j].name)
				}
			}
		}
	}
	if _, folded := headerKeys(deviceColumns()); folded["bo nho trong"] != 0 {
		t.Error(`"bo nho trong" (bộ nhớ trong or bộ nhớ trống?) was accepted`)
	} else if _, ok := folded["bo nho trong"]; ok {
		t.Error(`"bo nho trong" (bộ nhớ trong or bộ nhớ trống?) was accepted`)
	}
	for _, e := range []*enum{levelEnum(), internetEnum(), precisionEnum(), povertyEnum(), priorityEnum(), mobileOperatorEnum("operator"),
		fiberOperatorEnum(), technologyEnum(), statusEnum(), deviceTypeEnum(), environmentEnum()} {
		for k, v := range e.m {
			if got, ok := e.lookup(k); !ok || got != v {
				t.Errorf("%s: %q → %q, %v", e.field, k, got, ok)
			}
		}
		for _, v := range e.values {
			if got, _ := e.lookup(v); got != v {
				t.Errorf("%s: canonical %q → %q", e.field, v, got)
			}
		}
	}
	// Spellings that must hold.
	for _, c := range []struct {
		e        *enum
		in, want string
	}{
		{mobileOperatorEnum("operator"), "VNPT", "vinaphone"},
		{mobileOperatorEnum("operator"), "Viettel", "viettel"},
		{fiberOperatorEnum(), "VNPT", "vnpt"},
		{technologyEnum(), "LTE", "4G"},
		{technologyEnum(), "umts", "3G"},
		{technologyEnum(), "GSM", "2G"},
		{technologyEnum(), "NR", "5G"},
		{levelEnum(), "Trung học cơ sở", "lower"},
		{levelEnum(), "trung hoc pho thong", "upper"},
		{levelEnum(), "GDNN - GDTX", "gdnn_gdtx"},
		{levelEnum(), "Trung cấp", "vocational"},
		{levelEnum(), "CAO ĐẲNG", "college"},
		{internetEnum(), "Không", "none"},
		{povertyEnum(), "Cận nghèo", "near_poor"},
		{statusEnum(), "Kế hoạch", "planned"},
		{deviceTypeEnum(), "Máy tính để bàn", "desktop"},
	} {
		if got, ok := c.e.lookup(c.in); !ok || got != c.want {
			t.Errorf("%s %q → %q, want %q", c.e.field, c.in, got, c.want)
		}
	}
}

func TestParseNum(t *testing.T) {
	for _, c := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"21.0285", 21.0285, true}, {"21,0285", 21.0285, true}, {"-5", -5, true}, {"+1e3", 1000, true},
		{"1,234.5", 0, false}, {"1,2,3", 0, false}, {"NaN", 0, false}, {"Inf", 0, false}, {"0x1p3", 0, false},
		{"1_000", 0, false}, {"", 0, false}, {"21°", 0, false}, {"1e999", 0, false},
	} {
		got, ok := parseNum(c.in)
		if ok != c.ok || got != c.want {
			t.Errorf("parseNum(%q) = %v, %v", c.in, got, ok)
		}
	}
	for _, c := range []struct {
		in   string
		want int
		ok   bool
	}{{"12", 12, true}, {"12.0", 12, true}, {"-3", -3, true}, {"1.000", 0, false}, {"1,000", 0, false}, {".0", 0, false}} {
		got, ok := parseInt(c.in)
		if ok != c.ok || got != c.want {
			t.Errorf("parseInt(%q) = %v, %v", c.in, got, ok)
		}
	}
	if got := excelNumberText("21.300000000000001"); got != "21.3" {
		t.Errorf("excelNumberText = %q", got)
	}
	if got := excelNumberText("1234567890123456789"); got != "1234567890123456789" {
		t.Errorf("excelNumberText changed a long id: %q", got)
	}
}
