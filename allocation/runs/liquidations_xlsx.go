package runs

import (
	"fmt"
	"io"
	"strconv"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/xuri/excelize/v2"
)

// LiquidationsXLSXHeader is the header of the sales sheet ("Thanh lý").
func LiquidationsXLSXHeader() []string {
	return []string{"STT", "Số đợt thanh lý", "Ngày bán", "Người mua", "Số tiền thu được (đồng)", "Số thiết bị bán",
		"Mã thiết bị bán", "Số thiết bị mua thay thế", "Mã thiết bị thay thế", "Ghi chú", "Người ghi"}
}

// LiquidatedDevicesXLSXHeader is the header of the devices sheet
// ("Thiết bị đã bán").
func LiquidatedDevicesXLSXHeader() []string {
	return []string{"STT", "Số đợt thanh lý", "Ngày bán", "Mã thiết bị", "Loại thiết bị", "Số serial", "Căn cứ thanh lý"}
}

func deviceTypeVI(t string) string {
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

// WriteLiquidationsXLSX writes the sales as a workbook with Vietnamese
// headers: sheet "Thanh lý", one row per sale (money raised, devices sold,
// replacements bought) and a last row "Tổng cộng"; sheet "Thiết bị đã
// bán", one row per device sold with what decided the sale (an inspection
// after a return, or the intake check). No personal data.
func WriteLiquidationsXLSX(w io.Writer, ls []postgis.Liquidation) error {
	f := excelize.NewFile()
	defer f.Close()
	fail := func(err error) error { return fmt.Errorf("liquidations workbook: %w", err) }
	const sales, devices = "Thanh lý", "Thiết bị đã bán"
	if err := f.SetSheetName("Sheet1", sales); err != nil {
		return fail(err)
	}
	if _, err := f.NewSheet(devices); err != nil {
		return fail(err)
	}
	header, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9D9D9"}}})
	if err != nil {
		return fail(err)
	}
	money, err := f.NewStyle(&excelize.Style{NumFmt: 3}) // #,##0
	if err != nil {
		return fail(err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, NumFmt: 3})
	if err != nil {
		return fail(err)
	}
	writeHeader := func(sheet string, h []string, widths []float64) error {
		for c, name := range h {
			ref, _ := excelize.CoordinatesToCellName(c+1, 1)
			if err := f.SetCellStr(sheet, ref, name); err != nil {
				return err
			}
			col, _ := excelize.ColumnNumberToName(c + 1)
			if err := f.SetColWidth(sheet, col, col, widths[c]); err != nil {
				return err
			}
		}
		last, _ := excelize.ColumnNumberToName(len(h))
		if err := f.SetCellStyle(sheet, "A1", last+"1", header); err != nil {
			return err
		}
		return f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	}
	if err := writeHeader(sales, LiquidationsXLSXHeader(), []float64{5, 10, 12, 24, 18, 10, 30, 12, 30, 30, 16}); err != nil {
		return fail(err)
	}
	if err := writeHeader(devices, LiquidatedDevicesXLSXHeader(), []float64{5, 10, 12, 16, 22, 20, 36}); err != nil {
		return fail(err)
	}
	var amount int64
	sold, bought, dr := 0, 0, 2
	for i, l := range ls {
		ids := ""
		for k, d := range l.Devices {
			if k > 0 {
				ids += "; "
			}
			ids += d.DeviceID
			basis := "Kiểm tra khi tiếp nhận: dưới cấu hình tối thiểu"
			if d.InspectionID != 0 {
				basis = "Kiểm tra sau khi trả lại (biên bản số " + strconv.FormatInt(d.InspectionID, 10) + ")"
			}
			row := []any{dr - 1, l.ID, l.SoldOn.Format("02/01/2006"), d.DeviceID, deviceTypeVI(d.DeviceType), d.Serial, basis}
			ref, _ := excelize.CoordinatesToCellName(1, dr)
			if err := f.SetSheetRow(devices, ref, &row); err != nil {
				return fail(err)
			}
			dr++
		}
		reps := ""
		for k, id := range l.Replacements {
			if k > 0 {
				reps += "; "
			}
			reps += id
		}
		amount += l.AmountVND
		sold += len(l.Devices)
		bought += len(l.Replacements)
		row := []any{i + 1, l.ID, l.SoldOn.Format("02/01/2006"), l.Buyer, l.AmountVND, len(l.Devices), ids, len(l.Replacements), reps, l.Note, l.Actor}
		ref, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := f.SetSheetRow(sales, ref, &row); err != nil {
			return fail(err)
		}
	}
	total := len(ls) + 2
	row := []any{"", "Tổng cộng", "", "", amount, sold, "", bought}
	ref, _ := excelize.CoordinatesToCellName(1, total)
	if err := f.SetSheetRow(sales, ref, &row); err != nil {
		return fail(err)
	}
	if err := f.SetCellStyle(sales, "E2", "E"+strconv.Itoa(total), money); err != nil {
		return fail(err)
	}
	if err := f.SetCellStyle(sales, "A"+strconv.Itoa(total), "K"+strconv.Itoa(total), bold); err != nil {
		return fail(err)
	}
	if err := f.Write(w); err != nil {
		return fail(err)
	}
	return nil
}
