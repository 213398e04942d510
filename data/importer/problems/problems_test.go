package problems

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/gapmap/gapmap/data"
)

// The CSV has a BOM and the header, one row per problem, formulas and
// control characters escaped, and a last row counting the problems not kept.
func TestWriteCSV(t *testing.T) {
	ve := &data.ValidationError{Truncated: 7}
	ve.Errors = []data.FieldError{
		{File: "students.csv", Row: 3, Column: "grade", Value: "=HYPERLINK(\"http://x\")", Reason: "grade must be 1–12"},
		{File: "students.csv", Row: 4, Column: "priority", Value: "-1", Reason: "use 1, 2 or 3"},
		{File: "students.csv", Row: 5, Column: "name", Value: "\x1b[31mA\nB\x00", Reason: "bad"},
		{File: "students.csv", Reason: "not on a row"},
	}
	var b bytes.Buffer
	if err := WriteCSV(&b, ve); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b.Bytes(), []byte("\ufefffile,row,column,value,reason\n")) {
		t.Fatalf("starts %q", b.String())
	}
	if bytes.ContainsAny(b.Bytes(), "\x1b\x00") {
		t.Errorf("raw controls in %q", b.String())
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b.Bytes(), []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"file", "row", "column", "value", "reason"},
		{"students.csv", "3", "grade", "'=HYPERLINK(\"http://x\")", "grade must be 1–12"},
		{"students.csv", "4", "priority", "-1", "use 1, 2 or 3"},
		{"students.csv", "5", "name", `\x1b[31mA\x0aB\x00`, "bad"},
		{"students.csv", "", "", "", "not on a row"},
		{"", "", "", "", "… and 7 more problems, not kept (the first 4 are listed)"},
	}
	if !reflect.DeepEqual(recs, want) {
		t.Errorf("records\n%q\nwant\n%q", recs, want)
	}
}

// Hints recognise each mistake from the problems alone, and a file of
// another kind by reading it.
func TestHints(t *testing.T) {
	ctx := context.Background()
	exists := func(row int) data.FieldError {
		return data.FieldError{File: "h.csv", Row: row, Column: "household_id", Value: "H", Reason: "household_id H already exists in the database: remove the row, or replace the existing rows with this file"}
	}
	ve := &data.ValidationError{Errors: []data.FieldError{exists(2), exists(3), exists(4)}}
	got := Hints(ctx, ve, []File{{Kind: "households", Name: "h.csv", Rows: 3}})
	if want := []Hint{{Kind: IDsExist, File: "h.csv", Count: 3, All: true}}; !reflect.DeepEqual(got, want) {
		t.Errorf("all exist: %+v", got)
	}
	got = Hints(ctx, ve, []File{{Kind: "households", Name: "h.csv", Rows: 10}})
	if want := []Hint{{Kind: IDsExist, File: "h.csv", Count: 3}}; !reflect.DeepEqual(got, want) {
		t.Errorf("some exist: %+v", got)
	}
	// Another problem too: no hint about ids.
	ve.Errors = append(ve.Errors, data.FieldError{File: "h.csv", Row: 5, Column: "lat", Reason: "not a number"})
	if got := Hints(ctx, ve, []File{{Kind: "households", Name: "h.csv", Rows: 3}}); len(got) != 0 {
		t.Errorf("mixed: %+v", got)
	}
	swapped := func(row int, col string) data.FieldError {
		return data.FieldError{File: "h.csv", Row: row, Column: col, Value: "105.1", Reason: col + " 105.1 is outside Vietnam (6.0–23.5): latitude and longitude look swapped"}
	}
	ve = &data.ValidationError{Errors: []data.FieldError{swapped(2, "lat"), swapped(2, "lon"), swapped(3, "lat"), swapped(3, "lon")}}
	if got, want := Hints(ctx, ve, []File{{Kind: "households", Name: "h.csv"}}), []Hint{{Kind: Swapped, File: "h.csv", Count: 2, All: true}}; !reflect.DeepEqual(got, want) {
		t.Errorf("swapped: %+v", got)
	}
	ref := data.FieldError{File: "s.csv", Row: 2, Column: "school_id", Value: "S9", Reason: "school_id S9 does not exist: import the schools first (or in the same directory), or fix the id"}
	ve = &data.ValidationError{Errors: []data.FieldError{ref, ref}}
	if got, want := Hints(ctx, ve, []File{{Kind: "students", Name: "s.csv", Rows: 2}}), []Hint{{Kind: MissingRefs, File: "s.csv", Count: 2}}; !reflect.DeepEqual(got, want) {
		t.Errorf("refs: %+v", got)
	}
	// A schools file imported as devices.
	path := filepath.Join(t.TempDir(), "x.csv")
	if err := os.WriteFile(path, []byte("school_id,name,level,lat,lon,area_code,students,internet\nS1,X,primary,21.25,106.05,,300,fiber\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ve = &data.ValidationError{Errors: []data.FieldError{{File: "x.csv", Row: 1, Column: "device_id", Reason: "required column device_id is missing"}}}
	if got, want := Hints(ctx, ve, []File{{Kind: "devices", Path: path, Name: "x.csv"}}), []Hint{{Kind: OtherKind, File: "x.csv", Other: "schools"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("other kind: %+v", got)
	}
	// A file of no kind: no hint.
	if err := os.WriteFile(path, []byte("a,b\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := Hints(ctx, ve, []File{{Kind: "devices", Path: path, Name: "x.csv"}}); len(got) != 0 {
		t.Errorf("no kind: %+v", got)
	}
}
