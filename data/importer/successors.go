package importer

import (
	"errors"
	"fmt"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/postgis"
)

// importSuccessors imports a successor table (successors.csv): every row
// read by data/format, then the table as it will stand — the rows already
// in the database (none after a replace) and the file's — checked as a
// whole by data.NewSuccessors (shares, cycles), a row already stored
// refused, and the rows written only when nothing is wrong. Codes need not
// be loaded areas: an abolished unit may no longer be.
func (j *job) importSuccessors(path string, sum *Summary) error {
	file := sum.File
	ferrs := &data.ValidationError{}
	type rec struct {
		n int
		s data.AreaSuccessor
	}
	var recs []rec
	err := format.ReadSuccessors(j.ctx, path, ferrs, func(n int, s data.AreaSuccessor) error {
		recs = append(recs, rec{n, s})
		return nil
	})
	if err != nil && !isFileErr(err, ferrs) {
		return err
	}
	sum.Rows = int64(len(recs))
	have, err := postgis.AreaSuccessors(j.ctx, j.tx)
	if err != nil {
		return err
	}
	fail := func(n int, col, val, reason string) {
		ferrs.Add(data.FieldError{File: file, Row: n, Column: col, Value: val, Reason: reason})
	}
	key := func(s data.AreaSuccessor) string {
		return s.OldCode + "\x00" + s.NewCode + "\x00" + s.Effective.Format(time.DateOnly)
	}
	stored := make(map[string]bool, len(have))
	for _, s := range have {
		stored[key(s)] = true
	}
	inFile := map[string]int{}
	var keep []data.AreaSuccessor
	rowOf := []int{}
	for _, r := range recs {
		k := key(r.s)
		switch first, dup := inFile[k]; {
		case stored[k]:
			fail(r.n, "old_code", r.s.OldCode, fmt.Sprintf("%s → %s effective %s is already in the database: remove the row, or replace the successor table with this file",
				r.s.OldCode, r.s.NewCode, r.s.Effective.Format(time.DateOnly)))
			continue
		case dup:
			fail(r.n, "old_code", r.s.OldCode, fmt.Sprintf("%s → %s effective %s is given twice: first at row %d",
				r.s.OldCode, r.s.NewCode, r.s.Effective.Format(time.DateOnly), first))
			continue
		}
		inFile[k] = r.n
		keep = append(keep, r.s)
		rowOf = append(rowOf, r.n)
	}
	if len(ferrs.Errors) == 0 {
		all := append(append([]data.AreaSuccessor(nil), have...), keep...)
		if _, err := data.NewSuccessors(all); err != nil {
			var ve *data.ValidationError
			if !errors.As(err, &ve) {
				return err
			}
			for _, fe := range ve.Errors {
				fe.File = file
				switch i := fe.Row - 1 - len(have); {
				case fe.Row <= 0: // the table as a whole (a cycle)
					fe.Row = 0
				case i >= 0 && i < len(rowOf):
					fe.Row = rowOf[i]
				default: // a row already in the database, with the file's rows
					fe.Row = 0
					fe.Reason += " (with the rows already in the database)"
				}
				ferrs.Add(fe)
			}
		}
	}
	if len(ferrs.Errors) == 0 && len(keep) > 0 {
		n, err := postgis.CopySuccessors(j.ctx, j.tx, keep)
		if err != nil {
			if pe := asPgError(err); pe != nil {
				ferrs.Add(data.FieldError{File: file, Reason: "the database rejected the successor table: " + pgMessage(pe)})
				j.addAll(ferrs)
				return nil
			}
			return err
		}
		sum.Inserted = n
		if j.opts.Progress != nil {
			j.opts.Progress(n)
		}
	}
	j.addAll(ferrs)
	return nil
}
