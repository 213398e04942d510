package format

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// WriteXLSX writes a one-sheet workbook for printing lists: a bold header,
// the first row frozen, columns sized to their content. Cells that are
// plain numbers of at most 11 digits without leading zeros are stored as
// numbers; everything else (ids like "0123", IMEIs, text) as text, so
// nothing is reformatted by Excel. Rows are streamed to the file.
func WriteXLSX(path string, sheet string, header []string, rows [][]string) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet = sheetName(sheet)
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("format: naming sheet: %w", err)
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return fmt.Errorf("format: %w", err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fmt.Errorf("format: %w", err)
	}
	// Column widths from the header and the first rows.
	widths := make([]int, len(header))
	for i, h := range header {
		widths[i] = len([]rune(h))
	}
	for _, r := range rows[:min(len(rows), 1000)] {
		for i, c := range r {
			if i < len(widths) {
				widths[i] = max(widths[i], len([]rune(c)))
			}
		}
	}
	for i, w := range widths {
		if err := sw.SetColWidth(i+1, i+1, float64(min(max(w, 6), 60))+2); err != nil {
			return fmt.Errorf("format: %w", err)
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("format: %w", err)
	}
	cells := make([]any, len(header))
	for i, h := range header {
		cells[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	if err := sw.SetRow("A1", cells); err != nil {
		return fmt.Errorf("format: %w", err)
	}
	for n, r := range rows {
		cells = cells[:0]
		for _, c := range r {
			cells = append(cells, xlsxValue(c))
		}
		ref, err := excelize.CoordinatesToCellName(1, n+2)
		if err != nil {
			return fmt.Errorf("format: row %d: %w", n+2, err)
		}
		if err := sw.SetRow(ref, cells); err != nil {
			return fmt.Errorf("format: row %d: %w", n+2, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("format: %w", err)
	}
	if err := f.SaveAs(path); err != nil {
		return fmt.Errorf("format: saving %s: %w", path, err)
	}
	return nil
}

// xlsxValue stores a short canonical number as a number, the rest as text.
// A text starting with an apostrophe before = + - @ gets one more, as in
// CSV, because the readers undo that escape (see EscapeCell).
func xlsxValue(s string) any {
	if len(s) > 0 && s[0] == '\'' {
		return EscapeCell(s)
	}
	if s == "" || len(s) > 16 || !isPlainNumber(s) || strings.ContainsAny(s, "eE+") {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || strconv.FormatFloat(f, 'f', -1, 64) != s {
		return s // leading zeros, trailing zeros: keep as written
	}
	intDigits := len(strings.TrimPrefix(strings.SplitN(s, ".", 2)[0], "-"))
	sig := strings.Count(s, "") - 1 - strings.Count(s, ".") - strings.Count(s, "-")
	if intDigits > 11 || sig > 15 {
		return s
	}
	return f
}

// sheetName makes a valid Excel sheet name (at most 31 characters, none of
// : \ / ? * [ ]).
func sheetName(s string) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) {
			return '_'
		}
		return r
	}, strings.TrimSpace(s))
	s = strings.Trim(s, "'")
	if r := []rune(s); len(r) > 31 {
		s = string(r[:31])
	}
	if s == "" {
		s = "Sheet1"
	}
	return s
}
