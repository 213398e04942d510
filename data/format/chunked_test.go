package format

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data"
)

// randomHouseholds writes a households.csv of n rows with problems mixed
// in: duplicate ids, bad and missing values, short and long rows, blank
// lines, a title row, CRLF line ends, a BOM, Vietnamese text.
func randomHouseholds(rng *rand.Rand, n int, crlf, bom bool) string {
	var b strings.Builder
	nl := "\n"
	if crlf {
		nl = "\r\n"
	}
	if bom {
		b.WriteString("\ufeff")
	}
	if rng.IntN(2) == 0 {
		b.WriteString("DANH SÁCH HỘ GIA ĐÌNH" + nl + nl)
	}
	b.WriteString("household_id,lat,lon,area_code,location_precision,poverty,members" + nl)
	for i := range n {
		id := fmt.Sprintf("HH%06d", i)
		if rng.IntN(40) == 0 && i > 0 {
			id = fmt.Sprintf("HH%06d", rng.IntN(i)) // duplicate
		}
		lat, lon := fmt.Sprintf("%.6f", 21+rng.Float64()), fmt.Sprintf("%.6f", 106+rng.Float64())
		members := fmt.Sprint(1 + rng.IntN(8))
		poverty := []string{"none", "poor", "near_poor", "Hộ nghèo", ""}[rng.IntN(5)]
		switch rng.IntN(30) {
		case 0:
			lat = "abc"
		case 1:
			members = "0"
		case 2:
			id = ""
		case 3:
			lat, lon = lon, lat
		case 4:
			poverty = "rich"
		case 5:
			b.WriteString(id + "," + lat + nl) // short row
			continue
		case 6:
			b.WriteString(nl) // blank line
		case 7:
			b.WriteString(" , , ,,,," + nl) // blank row
		case 8:
			members = "x"
			lat = ""
		}
		b.WriteString(strings.Join([]string{id, lat, lon, "07822", "gps", poverty, members}, ",") + nl)
	}
	return b.String()
}

type readResult[T any] struct {
	Rows  []int
	Recs  []T
	Errs  data.ValidationError
	Err   error
	Chunk bool
}

func readBoth[T any](t *testing.T, path string, chunk int, cols []column, parse func() func(*rowCtx) T) (seq, par readResult[T]) {
	t.Helper()
	ctx := context.Background()
	collect := func(res *readResult[T]) func(int, T) error {
		return func(row int, v T) error {
			res.Rows, res.Recs = append(res.Rows, row), append(res.Recs, v)
			return nil
		}
	}
	seq.Err = readTable(withChunkBytes(ctx, -1), fileRef{path: path}, &seq.Errs, cols, parse(), collect(&seq))
	par.Err = run(&par.Errs, func(errs *data.ValidationError) error {
		ok, err := tryChunked(withChunkBytes(ctx, chunk), fileRef{path: path}, errs, cols, parse(), collect(&par))
		par.Chunk = ok
		return err
	})
	return seq, par
}

// TestChunkedEqualsSequential: the parallel reader gives the records,
// rows, problems (in order) and result of the sequential one, for chunks
// of a few lines to a few hundred.
func TestChunkedEqualsSequential(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	dir := t.TempDir()
	for k := range 24 {
		crlf, bom := k%2 == 1, k%4 < 2
		path := filepath.Join(dir, fmt.Sprintf("households%d.csv", k))
		if err := os.WriteFile(path, []byte(randomHouseholds(rng, 300+rng.IntN(600), crlf, bom)), 0o644); err != nil {
			t.Fatal(err)
		}
		chunk := []int{64, 100, 333, 2000}[k%4]
		seq, par := readBoth(t, path, chunk, householdColumns(), householdParser)
		if !par.Chunk {
			t.Fatalf("file %d: the parallel reader was not used", k)
		}
		if seq.Errs.Len() == 0 || len(seq.Recs) < 200 {
			t.Fatalf("file %d: %d problems, %d records: the test file should have both", k, seq.Errs.Len(), len(seq.Recs))
		}
		if !reflect.DeepEqual(seq, readResult[data.Household]{Rows: par.Rows, Recs: par.Recs, Errs: par.Errs, Err: par.Err}) {
			t.Fatalf("file %d (chunk %d): parallel differs from sequential:\nseq %d recs %d errs %v\npar %d recs %d errs %v",
				k, chunk, len(seq.Recs), seq.Errs.Len(), firstErrs(seq.Errs), len(par.Recs), par.Errs.Len(), firstErrs(par.Errs))
		}
	}
}

func firstErrs(v data.ValidationError) []data.FieldError {
	return v.Errors[:min(len(v.Errors), 5)]
}

// TestChunkedStudents: the same for students.csv (ids checked by the
// merger across chunks: a duplicate in another chunk is found).
func TestChunkedStudents(t *testing.T) {
	var b strings.Builder
	b.WriteString("student_id,household_id,school_id,grade,priority,has_device,covid_orphan\n")
	for i := range 500 {
		id := fmt.Sprintf("HS%05d", i)
		if i == 450 {
			id = "HS00003" // duplicate of row 5, many chunks earlier
		}
		grade := fmt.Sprint(1 + i%12)
		if i == 77 {
			grade = "x"
		}
		fmt.Fprintf(&b, "%s,HH%05d,S%03d,%s,%d,true,false\n", id, i, i%7, grade, i%4)
	}
	path := filepath.Join(t.TempDir(), "students.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	seq, par := readBoth(t, path, 256, studentColumns(), studentParser)
	if !par.Chunk {
		t.Fatal("the parallel reader was not used")
	}
	if len(par.Recs) != 498 || par.Errs.Len() != 2 {
		t.Fatalf("%d records, problems %v", len(par.Recs), par.Errs.Errors)
	}
	e := par.Errs.Errors
	if e[0].Row != 79 || e[0].Column != "grade" || e[1].Row != 452 || e[1].Column != "student_id" ||
		e[1].Reason != "duplicate student_id: first seen at row 5" {
		t.Fatalf("problems %+v", e)
	}
	if !reflect.DeepEqual(seq, readResult[data.Student]{Rows: par.Rows, Recs: par.Recs, Errs: par.Errs, Err: par.Err}) {
		t.Fatal("parallel differs from sequential")
	}
}

// TestChunkedFallsBack: files the parallel reader must not cut are read
// by the sequential one (a quoted cell spanning lines, CR line ends, a bad
// UTF-8 byte, Windows-1258, UTF-16, a .csv.gz), with the right rows.
func TestChunkedFallsBack(t *testing.T) {
	body := func(nl string) string {
		var b strings.Builder
		b.WriteString("household_id,lat,lon,area_code,location_precision,poverty,members" + nl)
		for i := range 200 {
			fmt.Fprintf(&b, "HH%05d,21.5,106.1,07822,gps,none,3%s", i, nl)
		}
		return b.String()
	}
	quoted := strings.Replace(body("\n"), "HH00150,21.5,106.1,07822,gps,none,3", "\"HH00150\",21.5,106.1,\"078\n22\",gps,none,3", 1)
	cp := strings.Replace(body("\n"), "HH00100", "HH\xe300100", 1)
	for name, text := range map[string]string{"quoted": quoted, "cr": body("\r"), "badbyte": cp} {
		path := filepath.Join(t.TempDir(), "households.csv")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		seq, par := readBoth(t, path, 64, householdColumns(), householdParser)
		if par.Chunk {
			t.Errorf("%s: the parallel reader was used", name)
		}
		if len(seq.Recs) < 199 || seq.Rows[len(seq.Rows)-1] != 201 {
			t.Errorf("%s: %d records, last row %v, problems %v", name, len(seq.Recs), seq.Rows[len(seq.Rows)-1:], seq.Errs.Errors)
		}
		if name == "quoted" && (seq.Recs[150].AreaCode != "078\n22" || seq.Rows[151] != 153) {
			t.Errorf("quoted: %q at row %d", seq.Recs[150].AreaCode, seq.Rows[151])
		}
	}
}

// TestChunkedStopsOnCallbackError: an error of fn stops the reading at
// that row, as the sequential reader does.
func TestChunkedStopsOnCallbackError(t *testing.T) {
	var b strings.Builder
	b.WriteString("household_id,lat,lon,area_code,location_precision,poverty,members\n")
	for i := range 400 {
		fmt.Fprintf(&b, "HH%05d,21.5,106.1,07822,gps,none,3\n", i)
	}
	path := filepath.Join(t.TempDir(), "households.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	n := 0
	err := ReadHouseholds(withChunkBytes(context.Background(), 128), path, nil, func(row int, h data.Household) error {
		n++
		if row == 300 {
			return fmt.Errorf("stop")
		}
		return nil
	})
	if err == nil || err.Error() != "households.csv row 300: stop" || n != 299 {
		t.Fatalf("err %v after %d records", err, n)
	}
}

// TestAppendCSVField: a row formatted with AppendCSVField is what CSV.Write
// writes, for cells that need escaping, quoting, both or neither.
func TestAppendCSVField(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []string{"a", "1", "-", "+", "=", "@", "'", "\"", ",", "\r", "\n", " ", "\t", ".", "\\", "ệ", "\u00a0", ";", "e"}
	var want, got strings.Builder
	w, err := NewCSV(&want, []string{"a", "b", "c"})
	if err != nil {
		t.Fatal(err)
	}
	got.WriteString("\ufeffa,b,c\n")
	var b []byte
	for range 20000 {
		var rec [3]string
		for k := range rec {
			for range rng.IntN(5) {
				rec[k] += alphabet[rng.IntN(len(alphabet))]
			}
		}
		if rng.IntN(50) == 0 {
			rec[1] = `\.`
		}
		if err := w.Write(rec[:]); err != nil {
			t.Fatal(err)
		}
		b = b[:0]
		for k, s := range rec {
			if k > 0 {
				b = append(b, ',')
			}
			b = AppendCSVField(b, s)
		}
		got.Write(append(b, '\n'))
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		g, x := got.String(), want.String()
		i := 0
		for i < len(g) && i < len(x) && g[i] == x[i] {
			i++
		}
		t.Fatalf("differs at byte %d: got %q, want %q", i, g[max(0, i-40):min(len(g), i+40)], x[max(0, i-40):min(len(x), i+40)])
	}
	for _, n := range []string{"-5.25", "+1", "-1e5", "12"} {
		b := append([]byte("x,"), n...)
		if got, want := string(AppendCSVNumber(b, 2)), "x,"+EscapeCell(n); got != want {
			t.Errorf("AppendCSVNumber %q: %q, want %q", n, got, want)
		}
	}
}
