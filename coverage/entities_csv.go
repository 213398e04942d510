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
	"unsafe"

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
			var scratch []byte
			for j := range jobs {
				var buf []byte
				select {
				case buf = <-free:
				default:
				}
				buf = buf[:0]
				for i := j.lo; i < j.hi; i++ {
					buf, scratch = r.appendEntity(buf, scratch, i)
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

// appendEntity appends the row of entity i (EntityRecord) to b; scratch
// is reused for operator lists.
func (r *Result) appendEntity(b, scratch []byte, i int) ([]byte, []byte) {
	x := r.Entity(i)
	coord := func(b []byte, v float64) []byte {
		return format.AppendCSVNumber(strconv.AppendFloat(b, v, 'f', -1, 64), len(b))
	}
	metres := func(b []byte, d float64) []byte {
		if math.IsInf(d, 0) || math.IsNaN(d) {
			return b
		}
		return format.AppendCSVNumber(strconv.AppendFloat(b, d, 'f', 2, 64), len(b))
	}
	integer := func(b []byte, v int) []byte {
		return format.AppendCSVNumber(strconv.AppendInt(b, int64(v), 10), len(b))
	}
	list := func(b []byte, ops []string) []byte {
		scratch = scratch[:0]
		for k, o := range ops {
			if k > 0 {
				scratch = append(scratch, ';')
			}
			scratch = append(scratch, o...)
		}
		return format.AppendCSVField(b, unsafe.String(unsafe.SliceData(scratch), len(scratch)))
	}
	b = format.AppendCSVField(b, x.Kind)
	b = format.AppendCSVField(append(b, ','), x.ID)
	b = coord(append(b, ','), x.Lat)
	b = coord(append(b, ','), x.Lon)
	b = format.AppendCSVField(append(b, ','), x.AreaCode)
	b = strconv.AppendUint(append(b, ','), uint64(x.Cell), 16)
	b = format.AppendCSVField(append(b, ','), x.Class)
	b = list(append(b, ','), x.Operators4G)
	b = metres(append(b, ','), x.Nearest4GM)
	b = format.AppendCSVField(append(b, ','), x.Nearest4GSite)
	b = metres(append(b, ','), x.NearestFiberM)
	b = metres(append(b, ','), x.FiberNodeM)
	b = metres(append(b, ','), x.FiberRouteM)
	b = list(append(b, ','), x.Operators3G)
	b = list(append(b, ','), x.Operators2G)
	b = integer(append(b, ','), x.Students[0]+x.Students[1]+x.Students[2]+x.Students[3])
	b = integer(append(b, ','), x.Students[1])
	b = integer(append(b, ','), x.Students[2])
	b = integer(append(b, ','), x.Students[3])
	b = integer(append(b, ','), x.NoDeviceT123)
	b = integer(append(b, ','), x.SchoolStudents)
	b = format.AppendCSVField(append(b, ','), x.Gap)
	for _, d := range x.Nearest4GByOperator {
		b = metres(append(b, ','), d)
	}
	return append(b, '\n'), scratch
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
