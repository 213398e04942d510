// Package problems turns the problems of an import (a *data.ValidationError)
// into what a person can act on: the whole list as an Excel-friendly CSV
// file, and the common mistakes recognised across the list (every id
// already in the database, a file of another kind, latitude and longitude
// swapped on every row, references to rows not imported yet), each one
// fact a caller words in one line.
package problems

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/internal/termsafe"
)

// Header is the header of the CSV file WriteCSV writes.
func Header() []string { return []string{"file", "row", "column", "value", "reason"} }

// WriteCSV writes every problem of ve to w as CSV for Excel users: a UTF-8
// byte-order mark, the Header(), one row per problem (row empty when the
// problem is not on one row), cells that Excel would run as formulas
// escaped with a leading apostrophe, and control characters of values
// escaped (\x1b, \x00, a line feed as \x0a), so that the file is safe to
// print too. Problems beyond the ones kept (ve.Truncated) are counted in a
// last row.
func WriteCSV(w io.Writer, ve *data.ValidationError) error {
	c, err := format.NewCSV(w, Header())
	if err != nil {
		return err
	}
	rec := make([]string, len(Header()))
	for _, e := range ve.Errors {
		rec[0], rec[1], rec[2], rec[3], rec[4] = termsafe.Line(e.File), "", termsafe.Line(e.Column), termsafe.Line(e.Value), termsafe.Line(e.Reason)
		if e.Row > 0 {
			rec[1] = strconv.Itoa(e.Row)
		}
		if err := c.Write(rec); err != nil {
			return err
		}
	}
	if ve.Truncated > 0 {
		rec[0], rec[1], rec[2], rec[3] = "", "", "", ""
		rec[4] = "… and " + strconv.Itoa(ve.Truncated) + " more problems, not kept (the first " + strconv.Itoa(len(ve.Errors)) + " are listed)"
		if err := c.Write(rec); err != nil {
			return err
		}
	}
	return c.Flush()
}

// File is one file of a failed import, as the importer summarised it.
type File struct {
	Kind string
	Path string // to read it again (OtherKind)
	Name string // as in FieldError.File (the base name)
	// Rows is the number of records that passed the file's own checks
	// (importer.Summary.Rows); 0 when not known.
	Rows int64
}

// Kind says which common mistake a Hint is.
type Kind string

// The mistakes recognised.
const (
	// IDsExist: every problem of the file is an id already in the
	// database (Count of them; All when they are every row of the file).
	IDsExist Kind = "ids_exist"
	// OtherKind: the file's header is not one of its kind, but the file
	// reads as kind Other.
	OtherKind Kind = "other_kind"
	// Swapped: Count rows have latitude and longitude swapped; All when
	// every row with a problem does.
	Swapped Kind = "swapped"
	// MissingRefs: every problem of the file (Count) is a reference to a
	// row that is not in the database.
	MissingRefs Kind = "missing_refs"
)

// Hint is one mistake recognised in the problems of one file.
type Hint struct {
	Kind  Kind
	File  string // FieldError.File
	Count int
	All   bool
	Other string // OtherKind: the kind the file looks like
}

// Hints recognises the common mistakes in the problems of files. Only the
// kept problems are looked at (ve.Errors); a file the problems do not name
// gets no hint.
func Hints(ctx context.Context, ve *data.ValidationError, files []File) []Hint {
	byFile := map[string][]data.FieldError{}
	for _, e := range ve.Errors {
		byFile[e.File] = append(byFile[e.File], e)
	}
	var out []Hint
	for _, f := range files {
		errs := byFile[f.Name]
		if len(errs) == 0 {
			continue
		}
		var exist, swapped, refs int
		swappedRows := map[int]bool{}
		errRows := map[int]bool{}
		for _, e := range errs {
			errRows[e.Row] = true
			switch {
			case strings.Contains(e.Reason, "already exists in the database"):
				exist++
			case strings.Contains(e.Reason, "does not exist: import the"):
				refs++
			case strings.Contains(e.Reason, "look swapped"):
				if !swappedRows[e.Row] {
					swapped++
				}
				swappedRows[e.Row] = true
			}
		}
		complete := ve.Truncated == 0 // every problem of the file is kept
		switch {
		case exist == len(errs):
			n := exist
			if !complete {
				n += ve.Truncated // the list was cut: the others are surely the same
			}
			out = append(out, Hint{Kind: IDsExist, File: f.Name, Count: n, All: f.Rows > 0 && int64(n) >= f.Rows})
		case refs == len(errs) && complete:
			out = append(out, Hint{Kind: MissingRefs, File: f.Name, Count: refs})
		case swapped > 0:
			out = append(out, Hint{Kind: Swapped, File: f.Name, Count: swapped, All: complete && swapped == len(errRows) && swapped > 1})
		case f.Rows == 0 && f.Path != "":
			if k := likelyKind(ctx, f.Path, f.Kind); k != "" {
				out = append(out, Hint{Kind: OtherKind, File: f.Name, Other: k})
			}
		}
	}
	return out
}

var errStop = errors.New("stop")

// likelyKind is a table kind other than kind whose reader accepts the
// header of path and reads at least one valid row from it ("" when none).
// Each reader stops at its first valid row; a header of another kind stops
// it at once.
func likelyKind(ctx context.Context, path, kind string) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for _, k := range tableKinds() {
		if k.kind == kind {
			continue
		}
		if k.try(ctx, path) {
			return k.kind
		}
	}
	return ""
}

type tableKind struct {
	kind string
	try  func(ctx context.Context, path string) bool
}

func reader[T any](read func(context.Context, string, *data.ValidationError, func(int, T) error) error) func(context.Context, string) bool {
	return func(ctx context.Context, path string) bool {
		found := false
		var errs data.ValidationError
		_ = read(ctx, path, &errs, func(int, T) error {
			found = true
			return errStop
		})
		return found
	}
}

// tableKinds are the kinds tried, most common first.
func tableKinds() []tableKind {
	return []tableKind{
		{format.KindStudents, reader(format.ReadStudents)},
		{format.KindHouseholds, reader(format.ReadHouseholds)},
		{format.KindSchools, reader(format.ReadSchools)},
		{format.KindDevices, reader(format.ReadDevices)},
		{format.KindSimPackages, reader(format.ReadSimPackages)},
		{format.KindSites, reader(format.ReadSites)},
		{format.KindFiberNodes, reader(format.ReadFiberNodes)},
		{format.KindMeasurements, reader(format.ReadMeasurements)},
	}
}
