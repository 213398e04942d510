package coverage

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
)

// WriteEntitiesCSV writes entities.csv: one row per school and household
// (EntityHeader), UTF-8 BOM and cells escaped for Excel. PERSONAL DATA:
// household ids and positions; an internal file for the allocation engine.
func (r *Result) WriteEntitiesCSV(w io.Writer) error {
	c, err := format.NewCSV(w, r.EntityHeader())
	if err != nil {
		return err
	}
	var rec []string
	for i := 0; i < r.NumEntities(); i++ {
		rec = r.EntityRecord(i, rec)
		if err := c.Write(rec); err != nil {
			return err
		}
	}
	return c.Flush()
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
