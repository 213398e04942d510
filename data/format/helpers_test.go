package format

import (
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data"
	"github.com/xuri/excelize/v2"
)

const bom = "\ufeff"

// writeFile writes content to a new file called name in a temporary
// directory and returns its path.
func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// makeXLSX writes rows to the first sheet of a new workbook. A value of
// type rawNumber is stored as a number cell with exactly that text (as
// Excel stores 21.300000000000001).
type rawNumber string

func makeXLSX(t testing.TB, name string, rows [][]any) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		for j, v := range r {
			cell, err := excelize.CoordinatesToCellName(j+1, i+1)
			if err != nil {
				t.Fatal(err)
			}
			switch v := v.(type) {
			case nil:
			case rawNumber:
				err = f.SetCellDefault("Sheet1", cell, string(v))
			case string:
				err = f.SetCellStr("Sheet1", cell, v)
			default:
				err = f.SetCellValue("Sheet1", cell, v)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	return p
}

type reader[T any] func(context.Context, string, *data.ValidationError, func(int, T) error) error

type result[T any] struct {
	rows []int
	recs []T
	errs *data.ValidationError
	err  error
}

func read[T any](t testing.TB, rd reader[T], path string) result[T] {
	t.Helper()
	res := result[T]{errs: &data.ValidationError{}}
	res.err = rd(context.Background(), path, res.errs, func(row int, v T) error {
		res.rows = append(res.rows, row)
		res.recs = append(res.recs, v)
		return nil
	})
	return res
}

// clean fails unless the read had no problem at all.
func (r result[T]) clean(t testing.TB) result[T] {
	t.Helper()
	if r.err != nil || r.errs.Len() > 0 {
		t.Fatalf("unexpected problems: err=%v\n%s", r.err, dump(r.errs))
	}
	return r
}

func dump(errs *data.ValidationError) string {
	var b strings.Builder
	for _, e := range errs.Errors {
		b.WriteString("  " + e.Error() + "\n")
	}
	return b.String()
}

// wantErr fails unless errs holds an error with the same file, row, column
// and value whose reason contains want.Reason.
func wantErr(t testing.TB, errs *data.ValidationError, want data.FieldError) {
	t.Helper()
	for _, e := range errs.Errors {
		if e.File == want.File && e.Row == want.Row && e.Column == want.Column && e.Value == want.Value && strings.Contains(e.Reason, want.Reason) {
			return
		}
	}
	t.Errorf("missing error %+v; got:\n%s", want, dump(errs))
}

// wantErrCount fails unless errs holds exactly n errors.
func wantErrCount(t testing.TB, errs *data.ValidationError, n int) {
	t.Helper()
	if errs.Len() != n {
		t.Errorf("got %d errors, want %d:\n%s", errs.Len(), n, dump(errs))
	}
}

func ptr[T any](v T) *T { return &v }

func itoa(n int) string { return strconv.Itoa(n) }

func gzipWriter(w io.Writer) *gzip.Writer { return gzip.NewWriter(w) }

// readSheet returns the cells of the first sheet, and checks the header is
// bold and frozen.
func readSheet(t testing.TB, path string) [][]string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := f.GetSheetList()[0]
	if sheet != "Danh sách_ lớp 6_A _2025_" {
		t.Errorf("sheet name %q", sheet)
	}
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	for len(rows) > 0 {
		last := rows[len(rows)-1]
		for len(last) < len(rows[0]) {
			last = append(last, "")
		}
		rows[len(rows)-1] = last
		break
	}
	style, _ := f.GetCellStyle(sheet, "A1")
	st, err := f.GetStyle(style)
	if err != nil || st.Font == nil || !st.Font.Bold {
		t.Errorf("header is not bold: %+v %v", st, err)
	}
	panes, err := f.GetPanes(sheet)
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("first row not frozen: %+v %v", panes, err)
	}
	return rows
}
