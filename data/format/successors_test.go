package format

import (
	"testing"
	"time"

	"github.com/gapmap/gapmap/data"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// TestReadSuccessors reads a successor table with the Vietnamese headers:
// dates in both orders and as an Excel serial, shares as fractions, with a
// decimal comma or in percent, share 1 by default; bad rows are refused
// with their column and reason.
func TestReadSuccessors(t *testing.T) {
	kindCase[data.AreaSuccessor]{
		kind: "successors",
		rd:   ReadSuccessors,
		text: "Mã cũ,Mã mới,Ngày hiệu lực,Tỷ lệ\n" +
			"07234,07288,2025-07-01,\n" +
			"07237,07288,01/07/2025,1\n" +
			"07240,07291,45839,\"0,4\"\n" +
			"07240,07294,2025-07-01,60%\n" +
			"07243,07243,2025-07-01,1\n" +
			"07246,07297,2025-13-01,1\n" +
			"07249,07297,2025-07-01,1.5\n" +
			"07252,07297,,1\n",
		rows: []int{2, 3, 4, 5},
		want: []data.AreaSuccessor{
			{OldCode: "07234", NewCode: "07288", Effective: day(2025, 7, 1), Share: 1},
			{OldCode: "07237", NewCode: "07288", Effective: day(2025, 7, 1), Share: 1},
			{OldCode: "07240", NewCode: "07291", Effective: day(2025, 7, 1), Share: 0.4},
			{OldCode: "07240", NewCode: "07294", Effective: day(2025, 7, 1), Share: 0.6},
		},
		errs: []data.FieldError{
			{Row: 6, Column: "Mã mới", Value: "07243", Reason: "new_code is old_code: a unit cannot succeed itself"},
			{Row: 7, Column: "Ngày hiệu lực", Value: "2025-13-01", Reason: "Ngày hiệu lực (effective) must be a date written YYYY-MM-DD or DD/MM/YYYY, such as 2026-09-05 or 05/09/2026"},
			{Row: 8, Column: "Tỷ lệ", Value: "1.5", Reason: "share must be more than 0 and at most 1 (the fraction of the old unit's households that went to the new one)"},
			{Row: 9, Column: "Ngày hiệu lực", Reason: "missing Ngày hiệu lực (effective)"},
		},
	}.run(t)
}
