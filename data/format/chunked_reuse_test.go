package format

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gapmap/gapmap/data"
)

// randomStudents writes a students.csv of n rows with problems mixed in:
// duplicate ids far apart, bad grades, priorities, flags and dates, names
// with extra spaces and Vietnamese letters, escaped cells, short and long
// rows, blank lines.
func randomStudents(rng *rand.Rand, n int, crlf bool) string {
	var b strings.Builder
	nl := "\n"
	if crlf {
		nl = "\r\n"
	}
	b.WriteString("student_id,household_id,school_id,grade,priority,has_device,covid_orphan,full_name,birth_date" + nl)
	for i := range n {
		id := fmt.Sprintf("HS%06d", i)
		if rng.IntN(30) == 0 && i > 0 {
			id = fmt.Sprintf("HS%06d", rng.IntN(i)) // duplicate, often many chunks back
		}
		hh := fmt.Sprintf("HH%05d", rng.IntN(n))
		school := fmt.Sprintf("S%03d", rng.IntN(40))
		// Mostly good values; each column is bad in about one row in 25.
		pick := func(good, bad []string) string {
			if rng.IntN(25) == 0 {
				return bad[rng.IntN(len(bad))]
			}
			return good[rng.IntN(len(good))]
		}
		grade := pick([]string{"1", "6", "12", "6A1", "Lớp 10"}, []string{"x", "", "-6A"})
		prio := pick([]string{"0", "1", "2", "3", ""}, []string{"9", "x"})
		dev := pick([]string{"true", "false", "có", "không", ""}, []string{"maybe"})
		name := []string{"Nguyễn  Văn   An", " Trần Thị Bình ", "'=cmd", "Lê Hoàng", ""}[rng.IntN(5)] + fmt.Sprint(i)
		birth := pick([]string{"05/09/2012", "2013-01-31", ""}, []string{"31/02/2012", "1900-01-01", "abc"})
		switch rng.IntN(40) {
		case 0:
			b.WriteString(id + "," + hh + nl) // short row
			continue
		case 1:
			b.WriteString(nl) // blank line
		case 2:
			id = "'" + id // an escaped id
		case 3:
			b.WriteString(strings.Join([]string{id, hh, school, grade, prio, dev, "false", name, birth, "extra"}, ",") + nl)
			continue
		}
		b.WriteString(strings.Join([]string{id, hh, school, grade, prio, dev, "false", name, birth}, ",") + nl)
	}
	return b.String()
}

// TestChunkedReusesChunks: with thousands of small chunks (far more than
// are ever in flight, so every chunk's memory is reused many times) and 1
// to 3 workers, the records and problems, read in full and compared only
// at the end, equal the sequential reader's: nothing kept points into a
// reused chunk.
func TestChunkedReusesChunks(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	dir := t.TempDir()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for k := range 6 {
		runtime.GOMAXPROCS(1 + k%3)
		path := filepath.Join(dir, fmt.Sprintf("students%d.csv", k))
		if err := os.WriteFile(path, []byte(randomStudents(rng, 3000+rng.IntN(1000), k%2 == 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		chunk := []int{64, 150, 500}[k%3]
		seq, par := readBoth(t, path, chunk, studentColumns(), studentParser)
		if !par.Chunk {
			t.Fatalf("file %d: the parallel reader was not used", k)
		}
		if seq.Errs.Len() < 100 || len(seq.Recs) < 1000 {
			t.Fatalf("file %d: %d problems, %d records: the test file should have many of both", k, seq.Errs.Len(), len(seq.Recs))
		}
		dups := 0
		for _, e := range seq.Errs.Errors {
			if strings.HasPrefix(e.Reason, "duplicate ") {
				dups++
			}
		}
		if dups < 20 {
			t.Fatalf("file %d: %d duplicates", k, dups)
		}
		if !reflect.DeepEqual(seq, readResult[data.Student]{Rows: par.Rows, Recs: par.Recs, Errs: par.Errs, Err: par.Err}) {
			t.Fatalf("file %d (chunk %d): parallel differs from sequential:\nseq %d recs %d errs %v\npar %d recs %d errs %v",
				k, chunk, len(seq.Recs), seq.Errs.Len(), firstErrs(seq.Errs), len(par.Recs), par.Errs.Len(), firstErrs(par.Errs))
		}
	}
}

// TestChunkedPrefaultedIDs: the ids' table made ahead (as for files of
// millions of rows) gives the same result.
func TestChunkedPrefaultedIDs(t *testing.T) {
	defer func(n int) { prefaultMin = n }(prefaultMin)
	prefaultMin = 1
	rng := rand.New(rand.NewPCG(7, 8))
	dir := t.TempDir()
	for k := range 4 {
		path := filepath.Join(dir, fmt.Sprintf("households%d.csv", k))
		if err := os.WriteFile(path, []byte(randomHouseholds(rng, 2000, k%2 == 1, k < 2)), 0o644); err != nil {
			t.Fatal(err)
		}
		if pre := startIDPrefault(path, fileSize(t, path)); pre == nil || len(<-pre.table) < 2000 {
			t.Fatalf("file %d: no table made ahead", k)
		}
		seq, par := readBoth(t, path, []int{100, 700}[k%2], householdColumns(), householdParser)
		if !par.Chunk {
			t.Fatalf("file %d: the parallel reader was not used", k)
		}
		if !reflect.DeepEqual(seq, readResult[data.Household]{Rows: par.Rows, Recs: par.Recs, Errs: par.Errs, Err: par.Err}) {
			t.Fatalf("file %d: parallel differs from sequential", k)
		}
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// TestDupSet: ids are found again with the row where they were first seen
// across growth, reserve and a table adopted later; hashes that share a
// slot, or a zero half, are told apart.
func TestDupSet(t *testing.T) {
	d := newDupSet()
	first := map[string]int{}
	for i := range 5000 {
		id := fmt.Sprintf("X%d", i%3700)
		if i == 1000 {
			d.reserve(50_000)
		}
		if i == 2000 {
			d.adopt(make([]dupEntry, 1<<17))
		}
		row, dup := d.add(id, i+2)
		want, seen := first[id]
		if dup != seen || (seen && row != want) {
			t.Fatalf("id %s at %d: got (%d, %v), want (%d, %v)", id, i+2, row, dup, want, seen)
		}
		if !seen {
			first[id] = i + 2
		}
	}
	if d.n != 3700 {
		t.Fatalf("%d ids, want 3700", d.n)
	}
	// Raw hashes: the same slot, a zero low or high half.
	e := newDupSet()
	for i, h := range []uint64{1 << 32, 1, 1 << 40, 1 + 1<<32, 1024 + 1, 2048 + 1} {
		if _, dup := e.addHash(h, i); dup {
			t.Fatalf("hash %#x: a duplicate", h)
		}
	}
	if row, dup := e.addHash(1<<32, 9); !dup || row != 0 {
		t.Fatalf("hash 1<<32 again: (%d, %v)", row, dup)
	}
	if row, dup := e.addHash(2048+1, 9); !dup || row != 5 {
		t.Fatalf("hash 2049 again: (%d, %v)", row, dup)
	}
	var stop atomic.Bool
	tab := prefaultedTable(1<<20, &stop)
	if len(tab) != 1<<20 {
		t.Fatalf("table of %d slots", len(tab))
	}
	for i, x := range tab {
		if x != (dupEntry{}) {
			t.Fatalf("slot %d of a new table holds %+v", i, x)
		}
	}
	stop.Store(true)
	if tab := prefaultedTable(1<<20, &stop); tab != nil {
		t.Fatal("a stopped table was made")
	}
}

// TestChunkedPrecheck: a chunk skips the per-field check of bytes only
// when it cannot fail; NUL bytes and fields over MaxFieldBytes are still
// reported as the sequential reader reports them.
func TestChunkedPrecheck(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	// MaxFieldBytes is over the length of every line but those with a long
	// area code: a NUL byte is found by the check of the chunk alone.
	ctx := WithLimits(context.Background(), Limits{MaxFieldBytes: 40})
	var b strings.Builder
	b.WriteString("household_id,lat,lon,area_code,location_precision,poverty,members\n")
	for i := range 3000 {
		id, area := fmt.Sprintf("HH%06d", i), "07822"
		switch rng.IntN(60) {
		case 0:
			id = "HH\x00" + id
		case 1:
			area = strings.Repeat("0782", 11) // 44 bytes
		case 2:
			area = "07\x0022"
		}
		fmt.Fprintf(&b, "%s,21.5,106.1,%s,gps,none,3\n", id, area)
	}
	path := filepath.Join(t.TempDir(), "households.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, chunk := range []int{200, 5000} {
		var seq, par readResult[data.Household]
		collect := func(res *readResult[data.Household]) func(int, data.Household) error {
			return func(row int, v data.Household) error {
				res.Rows, res.Recs = append(res.Rows, row), append(res.Recs, v)
				return nil
			}
		}
		seq.Err = readTable(withChunkBytes(ctx, -1), fileRef{path: path}, &seq.Errs, householdColumns(), householdParser(), collect(&seq))
		par.Err = run(&par.Errs, func(errs *data.ValidationError) error {
			ok, err := tryChunked(withChunkBytes(ctx, chunk), fileRef{path: path}, errs, householdColumns(), householdParser(), collect(&par))
			par.Chunk = ok
			return err
		})
		if !par.Chunk {
			t.Fatal("the parallel reader was not used")
		}
		nul, long := 0, 0
		for _, e := range seq.Errs.Errors {
			switch {
			case strings.Contains(e.Reason, "NUL byte"):
				nul++
			case strings.Contains(e.Reason, "MaxFieldBytes"):
				long++
			}
		}
		if nul < 20 || long < 20 {
			t.Fatalf("%d NUL problems, %d long values", nul, long)
		}
		par.Chunk = false
		if !reflect.DeepEqual(seq, par) {
			t.Fatalf("chunk %d: parallel differs from sequential:\nseq %d recs %v\npar %d recs %v", chunk,
				len(seq.Recs), firstErrs(seq.Errs), len(par.Recs), firstErrs(par.Errs))
		}
	}
}
