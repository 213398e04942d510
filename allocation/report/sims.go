package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// SimEnding is one SIM whose service ends soon (internal: student id).
type SimEnding struct {
	StudentID      string    `json:"student_id"`
	SchoolID       string    `json:"school_id"`
	AreaCode       string    `json:"area_code"`
	Operator       string    `json:"operator"`
	Network        string    `json:"network"` // 4G | 3G | "" (runs before the 3G fallback)
	PackageID      string    `json:"package_id"`
	ICCID          string    `json:"sim_iccid"`
	ActivatedOn    time.Time `json:"activated_on"`
	EndsOn         time.Time `json:"ends_on"`
	DaysLeft       int       `json:"days_left"`
	Renewals       int       `json:"renewals"`
	HandoverStatus string    `json:"handover_status"`
}

// SimsEndingHeader is the header of sims_ending.csv.
func SimsEndingHeader() []string {
	return []string{"student_id", "school_id", "area_code", "operator", "sim_network", "package_id", "sim_iccid",
		"activated_on", "ends_on", "days_left", "renewals", "handover_status"}
}

// WriteSimsEndingCSV writes the SIMs ending soon as CSV (UTF-8 BOM).
func WriteSimsEndingCSV(w io.Writer, rows []SimEnding) error {
	return writeCSV(w, SimsEndingHeader(), func(write func([]string) error) error {
		for _, r := range rows {
			if err := write([]string{r.StudentID, r.SchoolID, r.AreaCode, r.Operator, r.Network, r.PackageID, r.ICCID,
				day(r.ActivatedOn), day(r.EndsOn), strconv.Itoa(r.DaysLeft), strconv.Itoa(r.Renewals), r.HandoverStatus}); err != nil {
				return err
			}
		}
		return nil
	})
}

// WriteSimsEndingXLSX writes the SIMs ending soon as XLSX with Vietnamese
// headers; title names the window.
func WriteSimsEndingXLSX(w io.Writer, rows []SimEnding, title string) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "SIM sắp hết hạn"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	if err := f.SetCellStr(sheet, "A1", title); err != nil {
		return err
	}
	header := []any{"Mã học sinh", "Mã trường", "Mã địa bàn", "Nhà mạng", "Mạng", "Gói SIM", "Số ICCID",
		"Ngày kích hoạt", "Hết hạn ngày", "Còn (ngày)", "Số lần gia hạn", "Tình trạng"}
	if err := f.SetSheetRow(sheet, "A3", &header); err != nil {
		return err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49})
	if err != nil {
		return err
	}
	for i, r := range rows {
		status := "Đã nhận"
		if r.HandoverStatus == "returned" {
			status = "Đã trả lại thiết bị"
		}
		vals := []any{r.StudentID, r.SchoolID, r.AreaCode, handoverOperator(r.Operator), r.Network, r.PackageID, r.ICCID,
			r.ActivatedOn.Format("02/01/2006"), r.EndsOn.Format("02/01/2006"), r.DaysLeft, r.Renewals, status}
		ref, _ := excelize.CoordinatesToCellName(1, 4+i)
		if err := f.SetSheetRow(sheet, ref, &vals); err != nil {
			return err
		}
	}
	if len(rows) > 0 {
		// ICCIDs and ids stay text (a 19-digit ICCID is not a number).
		if err := f.SetCellStyle(sheet, "A4", fmt.Sprintf("G%d", 3+len(rows)), text); err != nil {
			return err
		}
	}
	for c, wd := range []float64{14, 12, 12, 12, 6, 12, 24, 14, 14, 10, 14, 18} {
		col, _ := excelize.ColumnNumberToName(c + 1)
		if err := f.SetColWidth(sheet, col, col, wd); err != nil {
			return err
		}
	}
	if err := f.SetHeaderFooter(sheet, &excelize.HeaderFooterOptions{OddFooter: "&LTài liệu nội bộ — có thông tin cá nhân học sinh&RTrang &P/&N"}); err != nil {
		return err
	}
	return f.Write(w)
}

// WriteSimsEnding writes the report in the format the file name says
// (.xlsx: XLSX, anything else: CSV).
func WriteSimsEnding(w io.Writer, name string, rows []SimEnding, title string) error {
	if strings.EqualFold(strings.TrimSpace(name[max(0, len(name)-5):]), ".xlsx") {
		return WriteSimsEndingXLSX(w, rows, title)
	}
	return WriteSimsEndingCSV(w, rows)
}
