package report

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gapmap/gapmap/allocation"
	"github.com/gapmap/gapmap/data"
	"github.com/xuri/excelize/v2"
)

// handoverHeader: the columns of a printed handover list.
func handoverHeader() []string {
	return []string{"STT", "Mã học sinh", "Họ và tên", "Ngày sinh", "Lớp", "Diện ưu tiên", "Thiết bị", "Số serial/IMEI",
		"Gói SIM", "Nhà mạng", "Mạng", "Số ICCID", "Ngày nhận", "Chữ ký", "Tình trạng"}
}

// handoverWidths: the column widths of a handover list, in characters.
func handoverWidths() []float64 {
	return []float64{5, 14, 24, 11, 6, 20, 30, 24, 28, 13, 6, 24, 12, 20, 22}
}

// birthDay prints a date of birth (YYYY-MM-DD) as dd/mm/yyyy.
func birthDay(s string) string {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.Format("02/01/2006")
	}
	return s
}

// handoverStatus is the "Tình trạng" cell: what happened to the allocation.
func handoverStatus(h *Handover) string {
	if h == nil {
		return ""
	}
	switch h.Status {
	case "handed_over":
		return "Đã nhận"
	case "returned":
		if h.ReturnedOn != nil {
			return "Đã trả lại ngày " + h.ReturnedOn.Format("02/01/2006")
		}
		return "Đã trả lại"
	}
	return "Chờ bàn giao"
}

func handoverTier(t int) string {
	switch t {
	case data.TierPoor:
		return "Hộ nghèo"
	case data.TierNearPoor:
		return "Hộ cận nghèo"
	case data.TierCovid:
		return "Khó khăn do COVID-19"
	}
	return ""
}

func handoverDevice(t string) string {
	switch t {
	case data.DevicePhone:
		return "Điện thoại thông minh"
	case data.DeviceTablet:
		return "Máy tính bảng"
	case data.DeviceLaptop:
		return "Máy tính xách tay"
	case data.DeviceDesktop:
		return "Máy tính để bàn"
	}
	return t
}

func handoverOperator(op string) string {
	switch strings.ToLower(op) {
	case data.OpViettel:
		return "Viettel"
	case data.OpVinaphone:
		return "VinaPhone"
	case data.OpMobifone:
		return "MobiFone"
	case data.OpVietnamobile:
		return "Vietnamobile"
	case data.OpGmobile:
		return "Gmobile"
	}
	return op
}

// handoverSim is the "Gói SIM" cell: the package, or why there is none.
func (v *View) handoverSim(a *Row) string {
	if a.SimPackageID != "" {
		if p, ok := v.Packages[a.SimPackageID]; ok {
			return fmt.Sprintf("%s (%s GB/ngày × %d tháng)", a.SimPackageID, ftoa(p.GBPerDay), p.Months)
		}
		return a.SimPackageID
	}
	switch {
	case a.Connectivity == allocation.ClassFiber:
		return "Không cần (nhà có cáp quang)"
	case a.Flag == allocation.FlagNeedsSim:
		return "Chờ SIM (hết gói của nhà mạng phủ sóng)"
	case a.Flag == allocation.FlagNeedsConnectivity:
		return "Không (nhà chưa có 4G/cáp quang)"
	}
	return ""
}

// WriteHandover writes one school's handover list (XLSX, Vietnamese
// headers, A4 landscape): title, header repeated on every printed page, one
// row per student (by class, then id) with what was handed over already
// (ICCID, date, status), room to sign. A school without allocations in the
// view is a *data.NotFoundError.
func WriteHandover(w io.Writer, v *View, schoolID string) error {
	var allocs []*Row
	for i := range v.Allocations {
		if v.Allocations[i].SchoolID == schoolID {
			allocs = append(allocs, &v.Allocations[i])
		}
	}
	if len(allocs) == 0 {
		return &data.NotFoundError{Kind: "handover list of school", ID: schoolID}
	}
	slices.SortFunc(allocs, func(a, b *Row) int {
		if a.Grade != b.Grade {
			return a.Grade - b.Grade
		}
		return strings.Compare(a.StudentID, b.StudentID)
	})
	name, areaCode := schoolID, ""
	if s, ok := v.Schools[schoolID]; ok {
		name, areaCode = s.Name, s.AreaCode
	}
	areaName := areaCode
	if a := v.areaIndex()[areaCode]; a != nil && a.Name != "" {
		areaName = a.Name + " (" + areaCode + ")"
	}
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "Bàn giao"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("handover %s: %w", schoolID, err)
	}
	st, err := newHandoverStyles(f)
	if err != nil {
		return fmt.Errorf("handover %s: %w", schoolID, err)
	}
	header, widths := handoverHeader(), handoverWidths()
	last, _ := excelize.ColumnNumberToName(len(header))
	run := "ngoại tuyến (chưa ghi vào hệ thống)"
	switch v.Run.Mode {
	case ModeCommitted:
		run = fmt.Sprintf("đợt %d", v.Run.ID)
	case ModePreview:
		run = fmt.Sprintf("xem trước %d (CHƯA phân bổ)", v.Run.ID)
	}
	cells := []struct {
		ref   string
		value any
		style int
	}{
		{"A1", "DANH SÁCH BÀN GIAO THIẾT BỊ — " + name, st.title},
		{"A2", fmt.Sprintf("Mã trường: %s · Địa bàn: %s · Phân bổ: %s · Lập ngày %s", schoolID, areaName, run, v.Run.Date.Format("02/01/2006")), st.subtitle},
	}
	for _, c := range cells {
		if err := f.SetCellValue(sheet, c.ref, c.value); err != nil {
			return fmt.Errorf("handover %s: %w", schoolID, err)
		}
		row := c.ref[1:]
		if err := f.MergeCell(sheet, c.ref, last+row); err != nil {
			return fmt.Errorf("handover %s: %w", schoolID, err)
		}
		if err := f.SetCellStyle(sheet, c.ref, last+row, c.style); err != nil {
			return fmt.Errorf("handover %s: %w", schoolID, err)
		}
	}
	if err := f.SetRowHeight(sheet, 1, 24); err != nil {
		return fmt.Errorf("handover %s: %w", schoolID, err)
	}
	const headerRow = 3
	for c, h := range header {
		ref, _ := excelize.CoordinatesToCellName(c+1, headerRow)
		if err := f.SetCellStr(sheet, ref, h); err != nil {
			return fmt.Errorf("handover %s: %w", schoolID, err)
		}
		col, _ := excelize.ColumnNumberToName(c + 1)
		if err := f.SetColWidth(sheet, col, col, widths[c]); err != nil {
			return fmt.Errorf("handover %s: %w", schoolID, err)
		}
	}
	if err := f.SetCellStyle(sheet, "A3", last+"3", st.header); err != nil {
		return fmt.Errorf("handover %s: %w", schoolID, err)
	}
	for k, a := range allocs {
		r := headerRow + 1 + k
		serial := strings.Join(nonEmpty(a.DeviceSerial, a.DeviceIMEI), " / ")
		iccid, on := "", ""
		if h := a.Handover; h != nil {
			iccid = h.SimICCID
			if h.HandedOverOn != nil {
				on = h.HandedOverOn.Format("02/01/2006")
			}
		}
		who := v.People[a.StudentID]
		values := []any{k + 1, a.StudentID, who.FullName, birthDay(who.BirthDate), "", handoverTier(a.Priority),
			handoverDevice(a.DeviceType) + " — " + a.DeviceID, serial,
			v.handoverSim(a), handoverOperator(a.SimOperator), a.SimNetwork, iccid, on, "", handoverStatus(a.Handover)}
		if a.Grade > 0 {
			values[4] = a.Grade
		}
		ref, _ := excelize.CoordinatesToCellName(1, r)
		if err := f.SetSheetRow(sheet, ref, &values); err != nil {
			return fmt.Errorf("handover %s: %w", schoolID, err)
		}
		if err := f.SetRowHeight(sheet, r, 30); err != nil {
			return fmt.Errorf("handover %s: %w", schoolID, err)
		}
	}
	lastRow := headerRow + len(allocs)
	if len(allocs) > 0 {
		// Text format on id columns and the blank ICCID: Excel must not turn
		// a typed 19-digit ICCID into 8.9E+18.
		for c := 1; c <= len(header); c++ {
			col, _ := excelize.ColumnNumberToName(c)
			style := st.cell
			switch header[c-1] {
			case "STT", "Lớp":
				style = st.number
			case "Mã học sinh", "Số serial/IMEI", "Số ICCID", "Ngày nhận", "Ngày sinh":
				style = st.text
			}
			if err := f.SetCellStyle(sheet, col+strconv.Itoa(headerRow+1), col+strconv.Itoa(lastRow), style); err != nil {
				return fmt.Errorf("handover %s: %w", schoolID, err)
			}
		}
	}
	sign := lastRow + 2
	for _, c := range []struct{ ref, value string }{
		{fmt.Sprintf("B%d", sign), "NGƯỜI LẬP DANH SÁCH"},
		{fmt.Sprintf("L%d", sign), "HIỆU TRƯỞNG"},
		{fmt.Sprintf("B%d", sign+1), "(Ký, ghi rõ họ tên)"},
		{fmt.Sprintf("L%d", sign+1), "(Ký, ghi rõ họ tên, đóng dấu)"},
	} {
		if err := f.SetCellStr(sheet, c.ref, c.value); err != nil {
			return fmt.Errorf("handover %s: %w", schoolID, err)
		}
	}
	for _, r := range []int{sign, sign + 1} {
		if err := f.SetCellStyle(sheet, fmt.Sprintf("B%d", r), fmt.Sprintf("L%d", r), st.sign); err != nil {
			return fmt.Errorf("handover %s: %w", schoolID, err)
		}
	}
	if err := setHandoverPrint(f, sheet, headerRow); err != nil {
		return fmt.Errorf("handover %s: %w", schoolID, err)
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("handover %s: %w", schoolID, err)
	}
	return nil
}

func nonEmpty(ss ...string) []string {
	out := ss[:0:0]
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

type handoverStyles struct{ title, subtitle, header, cell, text, number, sign int }

func newHandoverStyles(f *excelize.File) (handoverStyles, error) {
	border := []excelize.Border{
		{Type: "left", Color: "000000", Style: 1}, {Type: "right", Color: "000000", Style: 1},
		{Type: "top", Color: "000000", Style: 1}, {Type: "bottom", Color: "000000", Style: 1},
	}
	mid := &excelize.Alignment{Vertical: "center", WrapText: true}
	centre := &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}
	specs := []*excelize.Style{
		{Font: &excelize.Font{Bold: true, Size: 14}, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}},
		{Font: &excelize.Font{Italic: true, Size: 10}, Alignment: &excelize.Alignment{Horizontal: "center"}},
		{Font: &excelize.Font{Bold: true}, Border: border, Alignment: centre, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9D9D9"}}},
		{Border: border, Alignment: mid},
		{Border: border, Alignment: mid, NumFmt: 49}, // "@": text
		{Border: border, Alignment: centre},
		{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{Horizontal: "center"}},
	}
	ids := make([]int, len(specs))
	for i, s := range specs {
		id, err := f.NewStyle(s)
		if err != nil {
			return handoverStyles{}, err
		}
		ids[i] = id
	}
	return handoverStyles{title: ids[0], subtitle: ids[1], header: ids[2], cell: ids[3], text: ids[4], number: ids[5], sign: ids[6]}, nil
}

// setHandoverPrint: A4 landscape, one page wide, the header row repeated on
// every page, page numbers and a personal-data notice in the footer.
func setHandoverPrint(f *excelize.File, sheet string, headerRow int) error {
	size, orient, wide, tall := 9, "landscape", 1, 0 // 9: A4
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Size: &size, Orientation: &orient, FitToWidth: &wide, FitToHeight: &tall}); err != nil {
		return err
	}
	fit := true
	if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	m, top := 0.4, 0.5
	if err := f.SetPageMargins(sheet, &excelize.PageLayoutMarginsOptions{Left: &m, Right: &m, Top: &top, Bottom: &top}); err != nil {
		return err
	}
	if err := f.SetHeaderFooter(sheet, &excelize.HeaderFooterOptions{
		OddFooter: "&LTài liệu nội bộ — có thông tin cá nhân học sinh&RTrang &P/&N",
	}); err != nil {
		return err
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: headerRow, TopLeftCell: fmt.Sprintf("A%d", headerRow+1), ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	return f.SetDefinedName(&excelize.DefinedName{
		Name:     "_xlnm.Print_Titles",
		RefersTo: fmt.Sprintf("'%s'!$%d:$%d", sheet, headerRow, headerRow),
		Scope:    sheet,
	})
}
