package format

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/gapmap/gapmap/data"
)

// KindSuccessors is the successor table of area codes (successors.csv):
// from effective on, old_code continues wholly or in part (share of its
// households) as new_code — a merger, split or rename such as the 2025
// reform. The importer checks the whole table with data.NewSuccessors.
const KindSuccessors = "successors"

// Successor table columns.
const (
	suOld = iota
	suNew
	suEffective
	suShare
	suN
)

func successorColumns() []column {
	c := make([]column, suN)
	c[suOld] = column{name: "old_code", required: true, aliases: []string{"mã cũ", "ma cu", "mã đơn vị cũ", "mã đvhc cũ", "old code", "from_code"}}
	c[suNew] = column{name: "new_code", required: true, aliases: []string{"mã mới", "ma moi", "mã đơn vị mới", "mã đvhc mới", "new code", "to_code"}}
	c[suEffective] = column{name: "effective", required: true, aliases: []string{"ngày hiệu lực", "ngay hieu luc", "hiệu lực", "hiệu lực từ", "effective date", "valid_from"}}
	c[suShare] = column{name: "share", aliases: []string{"tỷ lệ", "tỉ lệ", "ty le", "tỷ lệ hộ", "fraction"}}
	return c
}

// SuccessorHeader is the header of successors.csv.
func SuccessorHeader() []string { return columnNames(successorColumns()) }

// SuccessorRecord is one row of successors.csv.
func SuccessorRecord(s data.AreaSuccessor) []string {
	return []string{s.OldCode, s.NewCode, s.Effective.Format(time.DateOnly), strconv.FormatFloat(s.Share, 'f', -1, 64)}
}

// ReadSuccessors streams successors.csv/.xlsx (see ReadSchools): codes,
// the effective day (YYYY-MM-DD, or D/M/YYYY as Vietnamese spreadsheets
// write it, or an Excel date), and the share in (0, 1] (default 1; "40%"
// is 0.4).
func ReadSuccessors(ctx context.Context, path string, errs *data.ValidationError, fn func(row int, s data.AreaSuccessor) error) error {
	return readTable(ctx, fileRef{path: path}, errs, successorColumns(), func(r *rowCtx) data.AreaSuccessor {
		var s data.AreaSuccessor
		s.OldCode = r.code(suOld, true)
		s.NewCode = r.code(suNew, true)
		if s.OldCode != "" && s.OldCode == s.NewCode {
			r.fail(suNew, s.NewCode, "new_code is old_code: a unit cannot succeed itself")
		}
		if r.val(suEffective) == "" {
			r.missing(suEffective)
		} else if d := r.day(suEffective); d != nil {
			s.Effective = *d
		}
		s.Share = 1
		if v := r.val(suShare); v != "" {
			pct := strings.HasSuffix(v, "%")
			x, ok := parseNum(strings.TrimSpace(strings.TrimSuffix(v, "%")))
			if pct {
				x /= 100
			}
			switch {
			case !ok:
				r.fail(suShare, v, "share is not a number: write the fraction of the old unit's households, such as 0.4 or 40%")
			case !(x > 0 && x <= 1):
				r.fail(suShare, v, "share must be more than 0 and at most 1 (the fraction of the old unit's households that went to the new one)")
			default:
				s.Share = x
			}
		}
		return s
	}, fn)
}
