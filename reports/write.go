package reports

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gapmap/gapmap/data/format"
	"github.com/xuri/excelize/v2"
)

// Report is a made report: its source, its typed rows (JSON) and its
// tables (CSV, XLSX).
type Report interface {
	Meta() Source
	Tables() []Table
}

// Column is one column of a table: its CSV/JSON key and its Vietnamese
// header.
type Column struct {
	Key, VI string
}

// Below is a count under its target: "N*" in CSV, a number on a red
// background in XLSX.
type Below int

// Table is one table of a report; cells are string, int, float64, bool or
// Below.
type Table struct {
	Sheet   string // XLSX sheet name (Vietnamese, ≤ 31 characters)
	Title   string // Vietnamese title, then English
	Columns []Column
	Rows    [][]any
}

// Output formats.
const (
	FormatCSV  = "csv"
	FormatXLSX = "xlsx"
	FormatJSON = "json"
)

// FormatOf returns the format an output path asks for by its extension;
// "-" is CSV on stdout.
func FormatOf(path string) (string, error) {
	if path == "-" {
		return FormatCSV, nil
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return FormatCSV, nil
	case ".xlsx":
		return FormatXLSX, nil
	case ".json":
		return FormatJSON, nil
	}
	return "", bad("out", path, "the output must end in .csv, .xlsx or .json (or be - for CSV on stdout)")
}

// ContentType is the media type of a format.
func ContentType(f string) string {
	switch f {
	case FormatXLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case FormatJSON:
		return "application/json"
	}
	return "text/csv; charset=utf-8"
}

// Write writes r to w in format f.
func Write(w io.Writer, r Report, f string) error {
	switch f {
	case FormatCSV:
		return WriteCSV(w, r)
	case FormatXLSX:
		return WriteXLSX(w, r)
	case FormatJSON:
		return WriteJSON(w, r)
	}
	return bad("format", f, "the format must be csv, xlsx or json")
}

// WriteJSON writes the report as one JSON object: its source and its rows.
func WriteJSON(w io.Writer, r Report) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}

// sourceLines are the header block of a report: Vietnamese / English
// label, value.
func sourceLines(s Source) [][2]string {
	out := [][2]string{{"Báo cáo / Report", s.Title}}
	add := func(label, v string) {
		if v != "" {
			out = append(out, [2]string{label, v})
		}
	}
	add("Từ ngày / From", s.From)
	add("Đến ngày / To", s.To)
	add("Kỳ / Period", s.Period)
	add("Số liệu đến ngày / As of", s.AsOf)
	add("Địa bàn / Area", s.Area)
	add("Cấp / Level", s.Level)
	if s.Levels > 0 {
		add("Số cấp liệt kê / Levels listed", strconv.Itoa(s.Levels))
	}
	add("Hạn mục tiêu / Target date", s.TargetDate)
	if s.Target > 0 {
		add("Chỉ tiêu mỗi tháng / Monthly target", strconv.Itoa(s.Target))
	}
	runs := make([]string, 0, len(s.Runs))
	for _, r := range s.Runs {
		runs = append(runs, fmt.Sprintf("%s #%d (%s)", r.Kind, r.ID, r.Created.UTC().Format("2006-01-02 15:04:05Z")))
	}
	if len(runs) == 0 {
		runs = append(runs, "none")
	}
	add("Dữ liệu từ các lượt chạy / Runs used", strings.Join(runs, "; "))
	if p := s.PreviewRun; p != nil {
		add("Kế hoạch theo lượt xem trước / Plan of preview run", fmt.Sprintf("%s #%d (%s)", p.Kind, p.ID, p.Created.UTC().Format("2006-01-02 15:04:05Z")))
	}
	add("Phiên bản gapmap / gapmap version", s.Version)
	for _, n := range s.Notes {
		out = append(out, [2]string{"Ghi chú / Note", n})
	}
	return out
}

func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case Below:
		return strconv.Itoa(int(x)) + "*"
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	return fmt.Sprint(v)
}

// WriteCSV writes the report as CSV (UTF-8 with a BOM, cells escaped
// against formula injection): the source block (label, value), then each
// table after a blank line and its title, with a header of keys.
func WriteCSV(w io.Writer, r Report) error {
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString("\ufeff"); err != nil {
		return err
	}
	c := csv.NewWriter(bw)
	write := func(rec ...string) error {
		for i, s := range rec {
			rec[i] = format.EscapeCell(s)
		}
		return c.Write(rec)
	}
	for _, l := range sourceLines(r.Meta()) {
		if err := write(l[0], l[1]); err != nil {
			return err
		}
	}
	for _, t := range r.Tables() {
		if err := write(); err != nil {
			return err
		}
		if err := write(t.Title); err != nil {
			return err
		}
		keys := make([]string, len(t.Columns))
		for i, col := range t.Columns {
			keys[i] = col.Key
		}
		if err := write(keys...); err != nil {
			return err
		}
		for _, row := range t.Rows {
			rec := make([]string, len(row))
			for i, v := range row {
				rec[i] = cell(v)
			}
			if err := write(rec...); err != nil {
				return err
			}
		}
	}
	c.Flush()
	if err := c.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// WriteXLSX writes the report as a workbook: one sheet per table, each with
// the source block on top, the Vietnamese header row, the English key row
// under it, then the rows.
func WriteXLSX(w io.Writer, r Report) error {
	f := excelize.NewFile()
	defer f.Close()
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"},
		Fill:   excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Border: []excelize.Border{{Type: "bottom", Color: "000000", Style: 1}}})
	if err != nil {
		return err
	}
	red, err := f.NewStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F8CBAD"}}})
	if err != nil {
		return err
	}
	src := sourceLines(r.Meta())
	for ti, t := range r.Tables() {
		sheet := t.Sheet
		if ti == 0 {
			if err := f.SetSheetName("Sheet1", sheet); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(sheet); err != nil {
			return err
		}
		row := 1
		set := func(col int, v any) error {
			ref, err := excelize.CoordinatesToCellName(col, row)
			if err != nil {
				return err
			}
			switch x := v.(type) {
			case nil:
				return nil
			case string:
				return f.SetCellStr(sheet, ref, x) // text stays text (no formula)
			case Below:
				if err := f.SetCellInt(sheet, ref, int64(x)); err != nil {
					return err
				}
				return f.SetCellStyle(sheet, ref, ref, red)
			}
			return f.SetCellValue(sheet, ref, v)
		}
		if err := set(1, t.Title); err != nil {
			return err
		}
		if err := f.SetCellStyle(sheet, "A1", "A1", bold); err != nil {
			return err
		}
		row++
		for _, l := range src {
			if err := set(1, l[0]); err != nil {
				return err
			}
			if err := set(2, l[1]); err != nil {
				return err
			}
			row++
		}
		row++
		first := row
		for i, col := range t.Columns {
			if err := set(i+1, col.VI); err != nil {
				return err
			}
		}
		row++
		for i, col := range t.Columns {
			if err := set(i+1, col.Key); err != nil {
				return err
			}
		}
		last, _ := excelize.ColumnNumberToName(len(t.Columns))
		if err := f.SetCellStyle(sheet, "A"+strconv.Itoa(first), last+strconv.Itoa(row), head); err != nil {
			return err
		}
		if err := f.SetColWidth(sheet, "A", last, 16); err != nil {
			return err
		}
		if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: row, TopLeftCell: "A" + strconv.Itoa(row+1), ActivePane: "bottomLeft"}); err != nil {
			return err
		}
		row++
		for _, rec := range t.Rows {
			for i, v := range rec {
				if err := set(i+1, v); err != nil {
					return err
				}
			}
			row++
		}
	}
	_, err = f.WriteTo(w)
	return err
}
