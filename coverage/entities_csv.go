package coverage

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"strconv"
	"strings"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
)

// WriteEntitiesCSV writes entities.csv: one row per school and household
// (EntityHeader), UTF-8 BOM and cells escaped for Excel. PERSONAL DATA:
// household ids and positions; an internal file for the allocation engine.
// Blocks of rows are formatted in parallel into reused buffers
// (strconv.Append*, no string per value) and written in order: the bytes
// are those of format.CSV with EntityRecord (tested).
func (r *Result) WriteEntitiesCSV(w io.Writer) error {
	head := []byte("\ufeff")
	for k, h := range r.EntityHeader() {
		if k > 0 {
			head = append(head, ',')
		}
		head = format.AppendCSVField(head, h)
	}
	if _, err := w.Write(append(head, '\n')); err != nil {
		return err
	}
	const block = 4096
	n := r.NumEntities()
	workers := max(1, runtime.GOMAXPROCS(0))
	type job struct {
		lo, hi int
		out    chan []byte
	}
	jobs, order := make(chan job, 2*workers), make(chan job, 2*workers)
	free := make(chan []byte, 4*workers)
	go func() {
		defer close(jobs)
		defer close(order)
		for lo := 0; lo < n; lo += block {
			j := job{lo: lo, hi: min(lo+block, n), out: make(chan []byte, 1)}
			order <- j
			jobs <- j
		}
	}()
	for range workers {
		go func() {
			rows := newEntityRows(r)
			for j := range jobs {
				var buf []byte
				select {
				case buf = <-free:
				default:
				}
				buf = buf[:0]
				for i := j.lo; i < j.hi; i++ {
					buf = rows.appendRow(buf, i)
				}
				j.out <- buf
			}
		}()
	}
	var err error
	for j := range order {
		buf := <-j.out
		if err == nil {
			_, err = w.Write(buf)
		}
		select {
		case free <- buf:
		default:
		}
	}
	return err
}

// entityRows formats rows of entities.csv straight from the result's
// columns (no Entity, no string or slice per row); one per goroutine.
type entityRows struct {
	r       *Result
	kinds   [2][]byte         // by entity kind, escaped
	classes [][]byte          // by class, escaped
	lists   [][]byte          // escaped operator lists by mask (≤ 10 operators)
	other   map[uint32][]byte // the same above 10 operators
	run     int               // the run (cell) of the last row
	scratch []byte
}

func newEntityRows(r *Result) *entityRows {
	w := &entityRows{r: r, run: -1}
	w.kinds[kSchool] = format.AppendCSVField(nil, KindSchool)
	w.kinds[kHousehold] = format.AppendCSVField(nil, KindHousehold)
	for _, c := range Classes() {
		w.classes = append(w.classes, format.AppendCSVField(nil, c))
	}
	if len(r.Operators) <= 10 {
		w.lists = make([][]byte, 1<<len(r.Operators))
	} else {
		w.other = map[uint32][]byte{}
	}
	return w
}

// list returns the escaped list of the operators of mask ("a;b").
func (w *entityRows) list(mask uint32) []byte {
	if w.lists != nil && w.lists[mask] != nil {
		return w.lists[mask]
	}
	if b, ok := w.other[mask]; ok {
		return b
	}
	w.scratch = w.scratch[:0]
	for o, name := range w.r.Operators {
		if mask&(1<<o) != 0 {
			if len(w.scratch) > 0 {
				w.scratch = append(w.scratch, ';')
			}
			w.scratch = append(w.scratch, name...)
		}
	}
	b := format.AppendCSVField([]byte{}, string(w.scratch))
	if w.lists != nil {
		w.lists[mask] = b
	} else {
		w.other[mask] = b
	}
	return b
}

// appendRow appends the row of entity i (EntityRecord) to b.
func (w *entityRows) appendRow(b []byte, i int) []byte {
	r, e := w.r, w.r.e
	if w.run < 0 || i < e.runs[w.run] || i >= e.runs[w.run+1] {
		w.run = e.runOf(i)
	}
	run := w.run
	integer := func(b []byte, v int) []byte {
		return format.AppendCSVNumber(strconv.AppendInt(b, int64(v), 10), len(b))
	}
	b = append(b, w.kinds[e.kind[i]]...)
	b = format.AppendCSVField(append(b, ','), entityID(&r.in, e, i))
	b = appendCoord(append(b, ','), e.lat[i])
	b = appendCoord(append(b, ','), e.lon[i])
	area := ""
	if a := e.area[i]; a >= 0 {
		area = r.areas.code[a]
	}
	b = format.AppendCSVField(append(b, ','), area)
	b = strconv.AppendUint(append(b, ','), uint64(e.runCell[run]), 16)
	b = append(append(b, ','), w.classes[e.class[i]]...)
	b = append(append(b, ','), w.list(e.covMask(g4, i))...)
	n := len(r.Operators)
	near := e.nearOp[i*n : (i+1)*n]
	b = appendMetres(append(b, ','), e.nearest4(i))
	site := ""
	if k := e.near4Site[i]; k >= 0 {
		ref := r.m.allSite[k]
		site = r.m.sites[ref.op].id[ref.idx]
	}
	b = format.AppendCSVField(append(b, ','), site)
	b = appendMetres(append(b, ','), math.Min(e.node[i], e.route[i]))
	b = appendMetres(append(b, ','), e.node[i])
	b = appendMetres(append(b, ','), e.route[i])
	b = append(append(b, ','), w.list(e.covMask(g3, i))...)
	b = append(append(b, ','), w.list(e.covMask(g2, i))...)
	var st [4]uint16
	var noDev, schoolSt int
	if e.kind[i] == kSchool {
		schoolSt = int(e.schoolStudents(i))
	} else {
		st, noDev = e.stud[i], int(e.noDev[i])
	}
	b = integer(append(b, ','), int(st[0])+int(st[1])+int(st[2])+int(st[3]))
	b = integer(append(b, ','), int(st[1]))
	b = integer(append(b, ','), int(st[2]))
	b = integer(append(b, ','), int(st[3]))
	b = integer(append(b, ','), noDev)
	b = integer(append(b, ','), schoolSt)
	gap := ""
	if e.beneficiary(i) {
		if g := r.gapOfRun[run]; g >= 0 {
			gap = r.Gaps[g].ID
		}
	}
	b = format.AppendCSVField(append(b, ','), gap)
	for _, d := range near {
		b = appendMetres(append(b, ','), d)
	}
	return append(b, '\n')
}

// appendMetres appends a distance with two decimals as
// strconv.AppendFloat(b, d, 'f', 2, 64) does (nothing for +Inf or NaN),
// without its cost in the common case: d·100 is then far enough from a
// tie (its rounding error is below 1e-7 under 1e7 m) that rounding it
// gives the decimal rounding of d itself.
func appendMetres(b []byte, d float64) []byte {
	if math.IsInf(d, 0) || math.IsNaN(d) {
		return b
	}
	if x := d * 100; x > 0 && x < 1e9 {
		c := math.Floor(x)
		if f := x - c; math.Abs(f-0.5) > 1e-6 {
			if f > 0.5 {
				c++
			}
			u := uint64(c)
			b = strconv.AppendUint(b, u/100, 10)
			return append(b, '.', byte('0'+u/10%10), byte('0'+u%10))
		}
	}
	return format.AppendCSVNumber(strconv.AppendFloat(b, d, 'f', 2, 64), len(b))
}

// pow10 are the exact powers of ten used by appendCoord.
var pow10 = [...]float64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7}

// appendCoord appends a coordinate in the shortest decimal form that reads
// back to it, as strconv.AppendFloat(b, v, 'f', -1, 64) does, without its
// cost for coordinates of at most 7 decimals: below 1000 in magnitude
// only one decimal of k ≤ 7 digits can read back to v (they are 10^-k
// apart, a float 1e-13 at most), so the first k that reads back is the
// shortest form.
func appendCoord(b []byte, v float64) []byte {
	start := len(b)
	if a := math.Abs(v); a > 0 && a < 1000 {
		for k, p := range pow10 {
			m := math.Round(a * p)
			if m/p != a {
				continue
			}
			if v < 0 {
				b = append(b, '-')
			}
			u, q := uint64(m), uint64(p)
			b = strconv.AppendUint(b, u/q, 10)
			if k > 0 {
				dot := len(b)
				b = strconv.AppendUint(b, u%q+q, 10) // k digits after a leading 1
				b[dot] = '.'
			}
			return format.AppendCSVNumber(b, start)
		}
	}
	return format.AppendCSVNumber(strconv.AppendFloat(b, v, 'f', -1, 64), start)
}

// WriteCellsCSV writes cells.csv: every cell of the analysis resolution
// and the roll-ups (CellHeader).
func (r *Result) WriteCellsCSV(w io.Writer) error {
	c, err := format.NewCSV(w, r.CellHeader())
	if err != nil {
		return err
	}
	var rec []string
	if err := r.EachCell(func(cs *CellStats) error {
		rec = r.CellRecord(cs, rec)
		return c.Write(rec)
	}); err != nil {
		return err
	}
	return c.Flush()
}

// entitiesNeed are the columns of entities.csv that
// ReadHouseholdConnectivity needs (others are ignored).
var entitiesNeed = []string{"entity_type", "entity_id", "connectivity", "operators_4g"}

// ReadHouseholdConnectivity reads the household rows of an entities.csv
// written by WriteEntitiesCSV (gapmap analyze --out): household id →
// connectivity class, 4G operators (operators_4g split on ";") and, when
// the file has the column, 3G operators (operators_3g; the allocation's 3G
// SIM fallback). School
// rows and other columns are ignored. name is the file's name in errors.
// Problems (a missing column, an unknown class, an empty or repeated id, no
// household row) come back as one *data.ValidationError listing each.
func ReadHouseholdConnectivity(ctx context.Context, name string, r io.Reader) (map[string]data.Connectivity, error) {
	cr := csv.NewReader(bufio.NewReaderSize(r, 1<<20))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	var verr data.ValidationError
	header, err := cr.Read()
	if err != nil {
		verr.Add(data.FieldError{File: name, Row: 1, Reason: "cannot read the header (" + err.Error() + "): expected the entities.csv of a coverage run"})
		return nil, &verr
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	idx := make([]int, len(entitiesNeed))
	for k, h := range entitiesNeed {
		i, ok := col[h]
		if !ok {
			verr.Add(data.FieldError{File: name, Row: 1, Column: h, Reason: "column is missing (need " + strings.Join(entitiesNeed, ", ") + ")"})
		}
		idx[k] = i
	}
	if err := verr.Err(); err != nil {
		return nil, err
	}
	i3, has3 := col["operators_3g"]
	out := map[string]data.Connectivity{}
	first := map[string]int{}
	row := 1
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		row++
		if row&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if err != nil {
			verr.Add(data.FieldError{File: name, Row: row, Reason: err.Error()})
			if verr.Len() >= 100 {
				break
			}
			continue
		}
		cell := func(k int) string {
			if idx[k] >= len(rec) {
				return ""
			}
			return strings.TrimSpace(format.UnescapeCell(rec[idx[k]]))
		}
		if !strings.EqualFold(cell(0), data.EntityHousehold) {
			continue
		}
		id, class := cell(1), strings.ToLower(cell(2))
		switch {
		case id == "":
			verr.Add(data.FieldError{File: name, Row: row, Column: "entity_id", Reason: "entity_id is empty"})
			continue
		case !data.IsConnectivityClass(class):
			verr.Add(data.FieldError{File: name, Row: row, Column: "connectivity", Value: cell(2),
				Reason: "connectivity is unknown: use " + strings.Join(data.ConnectivityClasses(), ", ")})
			continue
		}
		if r0, dup := first[id]; dup {
			verr.Add(data.FieldError{File: name, Row: row, Column: "entity_id", Value: id, Reason: fmt.Sprintf("household appears twice (first at row %d)", r0)})
			continue
		}
		first[id] = row
		c := data.Connectivity{Class: class, Operators4G: splitList(cell(3))}
		if has3 && i3 < len(rec) {
			c.Operators3G = splitList(strings.TrimSpace(format.UnescapeCell(rec[i3])))
		}
		out[id] = c
	}
	if len(out) == 0 && verr.Len() == 0 {
		verr.Add(data.FieldError{File: name, Reason: "no household rows: the coverage run included no households"})
	}
	if err := verr.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// splitList splits a ";"-separated list of entities.csv ("viettel;mobifone").
func splitList(s string) []string {
	var out []string
	for _, op := range strings.Split(s, ";") {
		if op = strings.TrimSpace(op); op != "" {
			out = append(out, op)
		}
	}
	return out
}
