package format

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gapmap/gapmap/data"
)

// headerScan is how many non-blank rows are searched for the header, so
// title rows above it ("DANH SÁCH HỌC SINH …") are skipped.
const headerScan = 20

type pendRow struct {
	rec []string
	row int
}

// table reads the rows of one CSV or XLSX file.
type table struct {
	file string // base name, for FieldError.File
	src  rowSource
	xlsx bool
	lim  Limits
	pend []pendRow
	errs *data.ValidationError
}

// openTable opens path with the limits of ctx; a problem is added to errs
// and errs is returned.
func openTable(ctx context.Context, ref fileRef, errs *data.ValidationError) (*table, error) {
	t := &table{file: ref.name(), errs: errs, lim: LimitsFrom(ctx)}
	src, isXLSX, err := openSource(ref, t.lim, errs)
	if err != nil {
		var rl *rowLimitError
		if errors.As(err, &rl) {
			errs.Add(data.FieldError{File: t.file, Row: rl.row, Reason: "the file is not read: " + rl.LimitError.Error()})
			return nil, errs
		}
		errs.Add(data.FieldError{File: t.file, Reason: err.Error()})
		return nil, errs
	}
	t.src, t.xlsx = src, isXLSX
	return t, nil
}

func (t *table) close() { _ = t.src.close() }

// next returns the next non-blank row; the slice is only valid until the
// following call. Unreadable CSV lines are reported and skipped.
func (t *table) next() ([]string, int, error) {
	if len(t.pend) > 0 {
		p := t.pend[0]
		t.pend = t.pend[1:]
		return p.rec, p.row, nil
	}
	for {
		rec, row, err := t.src.next()
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				t.errs.Add(data.FieldError{File: t.file, Row: max(row, 1), Reason: "cannot split this line into fields: " + pe.Err.Error()})
				continue
			}
			return nil, row, err
		}
		if blank(rec) && len(t.formulaCols(row)) == 0 {
			continue
		}
		return rec, row, nil
	}
}

// push puts a row back to be returned first by next.
func (t *table) push(rec []string, row int) {
	t.pend = append(t.pend, pendRow{rec: append([]string(nil), rec...), row: row})
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// formulaCols returns the 0-based columns of an XLSX row holding a formula
// without a saved value.
func (t *table) formulaCols(row int) []int {
	if x, ok := t.src.(*xlsxSource); ok {
		return x.formulaCols(row)
	}
	return nil
}

// sheetName is the name of the XLSX sheet read.
func (t *table) sheetName() string {
	if x, ok := t.src.(*xlsxSource); ok && x.scan != nil {
		return x.scan.sheet
	}
	return ""
}

// readErr reports a file that cannot be read further.
func (t *table) readErr(row int, err error) error {
	fe := data.FieldError{File: t.file, Row: max(row, 1), Reason: fmt.Sprintf("cannot read the file from here on: %v", err)}
	var le *LimitError
	if errors.As(err, &le) {
		fe.Reason = "the file is not read further: " + le.Error()
	}
	if n := len(t.errs.Errors); n >= data.MaxKeptErrors {
		// Why the reading stopped matters more than one more row error.
		t.errs.Errors[n-1] = fe
		t.errs.Truncated++
		return t.errs
	}
	t.errs.Add(fe)
	return t.errs
}

// headerMatch is the mapping of a header row onto the columns of a kind.
type headerMatch struct {
	header  []string // header cells as written (BOM and outer spaces removed)
	idx     []int    // column → position in the row, -1 when absent
	missing []int    // required columns absent
	dups    []data.FieldError
}

// matchHeader maps header cells to columns by name or alias.
func matchHeader(file string, cols []column, header []string) *headerMatch {
	exact, folded := headerKeys(cols)
	lookup := func(k string) int {
		if i, ok := exact[k]; ok {
			return i
		}
		if i, ok := folded[foldKey(k)]; ok {
			return i
		}
		return -1
	}
	m := &headerMatch{header: make([]string, len(header)), idx: make([]int, len(cols))}
	for i := range m.idx {
		m.idx[i] = -1
	}
	for pos, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		m.header[pos] = h
		k := normKey(h)
		if k == "" {
			continue
		}
		f := lookup(k)
		if f < 0 {
			// "Băng tần (MHz)": try the part before, then inside, the parentheses.
			if open := strings.IndexByte(k, '('); open >= 0 {
				if f = lookup(strings.TrimSpace(k[:open])); f < 0 {
					inner := strings.TrimSuffix(k[open+1:], ")")
					f = lookup(strings.TrimSpace(inner))
				}
			}
		}
		if f < 0 {
			continue // extra columns (notes, STT) are ignored
		}
		if prev := m.idx[f]; prev >= 0 {
			m.dups = append(m.dups, data.FieldError{File: file, Row: 0, Column: h,
				Reason: fmt.Sprintf("columns %q and %q both mean %s: delete or rename one of them", m.header[prev], h, cols[f].name)})
			continue
		}
		m.idx[f] = pos
	}
	for i, c := range cols {
		if c.required && m.idx[i] < 0 {
			m.missing = append(m.missing, i)
		}
	}
	return m
}

// headerKeys indexes the names and aliases of cols by normKey and by
// foldKey. A spelling without accents that could mean two columns ("bo nho
// trong": bộ nhớ trong or bộ nhớ trống) is left out: the user must write the
// accents.
func headerKeys(cols []column) (exact, folded map[string]int) {
	exact, folded = make(map[string]int), make(map[string]int)
	ambiguous := make(map[string]bool)
	for i, c := range cols {
		for _, n := range append([]string{c.name}, c.aliases...) {
			k := normKey(n)
			if _, ok := exact[k]; !ok {
				exact[k] = i
			}
			fk := foldKey(k)
			if prev, ok := folded[fk]; ok && prev != i {
				ambiguous[fk] = true
			}
			folded[fk] = i
		}
	}
	for k := range ambiguous {
		delete(folded, k)
	}
	return exact, folded
}

// findHeader reads rows until one holds every required column (searching
// the first headerScan non-blank rows); rows after it are kept for reading.
// Without such a row it reports the missing columns and returns errs.
func (t *table) findHeader(cols []column) (*rowCtx, error) {
	var first *headerMatch
	firstRow := 0
	for range headerScan {
		rec, row, err := t.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, t.readErr(row, err)
		}
		m := matchHeader(t.file, cols, rec)
		if len(m.missing) == 0 {
			for i := range m.dups {
				m.dups[i].Row = row
				t.errs.Add(m.dups[i])
			}
			// Rows above the header (titles) are not data.
			return newRowCtx(t, cols, m), nil
		}
		if first == nil {
			first, firstRow = m, row
		}
	}
	if first == nil {
		t.errs.Add(data.FieldError{File: t.file, Row: 1,
			Reason: "the file is empty: the first row must be a header such as " + strings.Join(requiredNames(cols), ",")})
		return nil, t.errs
	}
	var found []string
	for _, h := range first.header {
		if h != "" {
			found = append(found, data.SafeText(h))
		}
	}
	for _, i := range first.missing {
		c := cols[i]
		alias := ""
		if len(c.aliases) > 0 {
			alias = fmt.Sprintf(" (or %q)", c.aliases[0])
		}
		t.errs.Add(data.FieldError{File: t.file, Row: firstRow, Column: c.name,
			Reason: fmt.Sprintf("required column %s is missing: add a column named %s%s; the header row has: %s",
				c.name, c.name, alias, truncateList(found, 20))})
	}
	return nil, t.errs
}

func requiredNames(cols []column) []string {
	var s []string
	for _, c := range cols {
		if c.required {
			s = append(s, c.name)
		}
	}
	return s
}

func truncateList(s []string, n int) string {
	if len(s) == 0 {
		return "(nothing)"
	}
	if len(s) > n {
		return strings.Join(s[:n], ", ") + ", …"
	}
	return strings.Join(s, ", ")
}

// eachRow parses every data row with parse and passes valid records to fn.
func eachRow[T any](ctx context.Context, t *table, r *rowCtx, parse func(*rowCtx) T, fn func(int, T) error) error {
	for n := 0; ; n++ {
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("reading %s: %w", t.file, err)
			}
		}
		rec, row, err := t.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return t.readErr(row, err)
		}
		r.start(row, rec)
		if !r.checkWidth() {
			continue
		}
		r.precheck(t)
		v := parse(r)
		if r.bad {
			continue
		}
		if err := fn(row, v); err != nil {
			return fmt.Errorf("%s row %d: %w", t.file, row, err)
		}
	}
}

// run wraps a reader body: it accepts a nil errs (problems are then
// returned as a *data.ValidationError at the end).
func run(errs *data.ValidationError, body func(errs *data.ValidationError) error) error {
	if errs != nil {
		return body(errs)
	}
	errs = &data.ValidationError{}
	if err := body(errs); err != nil {
		return err
	}
	return errs.Err()
}

// readTable is the common path of the table readers.
func readTable[T any](ctx context.Context, ref fileRef, errs *data.ValidationError, cols []column,
	parse func(*rowCtx) T, fn func(int, T) error) error {
	return run(errs, func(errs *data.ValidationError) error {
		if ok, err := tryChunked(ctx, ref, errs, cols, parse, fn); ok {
			return err
		}
		t, err := openTable(ctx, ref, errs)
		if err != nil {
			return err
		}
		defer t.close()
		r, err := t.findHeader(cols)
		if err != nil {
			return err
		}
		return eachRow(ctx, t, r, parse, fn)
	})
}
