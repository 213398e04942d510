package report_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gapmap/gapmap/allocation"
	"github.com/gapmap/gapmap/allocation/report"
	"github.com/gapmap/gapmap/data"
	"github.com/xuri/excelize/v2"
)

// view is a small committed run: two schools in two communes of one
// district; ST1 handed over (with ICCID), ST2 returned, ST3 pending.
func view() *report.View {
	on, back := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	row := func(student, school, area string, grade int, h report.Handover) report.Row {
		return report.Row{Allocation: allocation.Allocation{StudentID: student, SchoolID: school, AreaCode: area, Priority: 1,
			Connectivity: "4g", DeviceID: "D-" + student, DeviceType: data.DeviceTablet, SimPackageID: "P1", SimOperator: "viettel"},
			DeviceSerial: "SN-" + student, Grade: grade, Handover: &h}
	}
	return &report.View{
		Run: report.Run{Mode: report.ModeCommitted, ID: 7, Actor: "cô Lan", Date: on, Coverage: "coverage run 1", Settings: allocation.DefaultSettings()},
		Allocations: []report.Row{
			row("ST2", "S1", "7210", 4, report.Handover{Status: "returned", HandedOverOn: &on, ReturnedOn: &back}),
			row("ST1", "S1", "7210", 3, report.Handover{Status: "handed_over", SimICCID: "8984048000000000001", HandedOverOn: &on}),
			row("ST3", "S2", "7211", 7, report.Handover{Status: "pending"}),
		},
		Unserved: []allocation.Unserved{{StudentID: "ST4", SchoolID: "S2", AreaCode: "7211", Priority: 3}},
		Areas: []allocation.AreaSummary{{Code: "213", Name: "TP", Allocated: 3}, {Code: "7210", Name: "Trần Nguyên Hãn", ParentCode: "213", Allocated: 2},
			{Code: "7211", Name: "Ngô Quyền", ParentCode: "213", Allocated: 1}},
		Totals:   allocation.AreaSummary{Allocated: 3},
		Schools:  map[string]report.School{"S1": {Name: "Tiểu học Trần Phú", AreaCode: "7210"}, "S2": {Name: "THCS Ngô Quyền", AreaCode: "7211"}},
		Packages: map[string]report.Package{"P1": {Operator: "viettel", GBPerDay: 4, Months: 3}},
	}
}

func TestWriteHandoverShowsState(t *testing.T) {
	var buf bytes.Buffer
	v := view()
	v.People = map[string]report.Person{"ST1": {FullName: "Nguyễn Văn Đức", BirthDate: "2012-09-05"}}
	v.Allocations[1].SimNetwork, v.Allocations[0].SimNetwork = allocation.SimNetwork4G, allocation.SimNetwork3G
	if err := report.WriteHandover(&buf, v, "S1"); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	// By class: ST1 (grade 3) then ST2 (grade 4). The name and date of
	// birth where the lists give them (ST1); the SIM's network.
	want := [][]string{
		{"1", "ST1", "Nguyễn Văn Đức", "05/09/2012", "3", "Hộ nghèo", "Máy tính bảng — D-ST1", "SN-ST1", "P1 (4 GB/ngày × 3 tháng)", "Viettel", "4G", "8984048000000000001", "20/11/2026", "", "Đã nhận"},
		{"2", "ST2", "", "", "4", "Hộ nghèo", "Máy tính bảng — D-ST2", "SN-ST2", "P1 (4 GB/ngày × 3 tháng)", "Viettel", "3G", "", "20/11/2026", "", "Đã trả lại ngày 22/11/2026"},
	}
	for k, w := range want {
		if !slices.Equal(rows[3+k], w) {
			t.Errorf("row %d = %q, want %q", 4+k, rows[3+k], w)
		}
	}
	if rows[1][0] != "Mã trường: S1 · Địa bàn: Trần Nguyên Hãn (7210) · Phân bổ: đợt 7 · Lập ngày 20/11/2026" {
		t.Errorf("subtitle %q", rows[1][0])
	}
	if err := report.WriteHandover(&buf, view(), "S9"); !errors.Is(err, data.ErrNotFound) {
		t.Errorf("a school without allocations: %v, want not found", err)
	}
}

func TestAreaListAndRestrict(t *testing.T) {
	v := view()
	var buf bytes.Buffer
	if err := report.WriteAreaList(&buf, v, "7210"); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(buf.Bytes(), []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || recs[1][0] != "ST2" || recs[2][0] != "ST1" || recs[2][19] != "8984048000000000001" || recs[1][18] != "returned" || recs[1][21] != "2026-11-22" {
		t.Errorf("by_area/7210.csv %q", recs)
	}
	v.Restrict([]string{"7211"}, "")
	if len(v.Allocations) != 1 || v.Allocations[0].StudentID != "ST3" || len(v.Unserved) != 1 || len(v.Areas) != 1 ||
		v.Totals.Code != "7211" || v.Totals.Allocated != 1 || len(v.Schools) != 1 {
		t.Errorf("restricted to 7211: %+v", v)
	}
	v = view()
	v.Restrict(nil, "S1")
	if len(v.Allocations) != 2 || len(v.Unserved) != 0 {
		t.Errorf("restricted to S1: %+v", v.Allocations)
	}
}
