package format

import (
	"context"
	"encoding/csv"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data"
)

// kindCase is one hand-written input of a table kind, read from CSV (with a
// BOM) and from XLSX (the same cells; canonical numbers stored as numbers,
// everything else as text), with the records and errors expected.
type kindCase[T any] struct {
	kind string
	text string
	rd   reader[T]
	rows []int
	want []T
	errs []data.FieldError // File is filled in
}

func (c kindCase[T]) run(t *testing.T) {
	t.Run("csv", func(t *testing.T) {
		c.check(t, c.kind+".csv", read(t, c.rd, writeFile(t, c.kind+".csv", bom+c.text)))
	})
	t.Run("xlsx", func(t *testing.T) {
		c.check(t, c.kind+".xlsx", read(t, c.rd, makeXLSX(t, c.kind+".xlsx", csvToCells(t, c.text))))
	})
}

func (c kindCase[T]) check(t *testing.T, file string, res result[T]) {
	t.Helper()
	if res.err != nil {
		t.Fatalf("err = %v\n%s", res.err, dump(res.errs))
	}
	if !reflect.DeepEqual(res.rows, c.rows) {
		t.Errorf("rows = %v, want %v", res.rows, c.rows)
	}
	if !reflect.DeepEqual(res.recs, c.want) {
		t.Errorf("records:\n got %+v\nwant %+v", res.recs, c.want)
	}
	for _, e := range c.errs {
		e.File = file
		wantErr(t, res.errs, e)
	}
	wantErrCount(t, res.errs, len(c.errs))
}

// csvToCells turns CSV text into sheet rows at the same row numbers;
// canonical numbers ("1800", "21.0285") become number cells, the rest text
// cells ("00004", "21,5", "16.0").
func csvToCells(t testing.TB, text string) [][]any {
	t.Helper()
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	var rows [][]any
	for {
		rec, err := r.Read()
		if err != nil {
			break
		}
		line, _ := r.FieldPos(0)
		for len(rows) < line {
			rows = append(rows, nil)
		}
		cells := make([]any, len(rec))
		for i, s := range rec {
			cells[i] = s
			if f, err := strconv.ParseFloat(s, 64); err == nil && strconv.FormatFloat(f, 'f', -1, 64) == s {
				cells[i] = f
			}
		}
		rows[line-1] = cells
	}
	return rows
}

func TestReadSchools(t *testing.T) {
	kindCase[data.School]{
		kind: "schools",
		rd:   ReadSchools,
		text: "Mã trường,Tên trường,Cấp học,Vĩ độ,Kinh độ,Mã xã,Số học sinh,Kết nối\n" +
			"T001,Trường TH Kim Đồng,Tiểu học,21.0285,105.8542,00004,450,Cáp quang\n" +
			"T002,Trường THCS Lê Lợi,THCS,\"21,5\",\"105,9\",,,\n" +
			"\n" +
			"T003,\"Trường THPT \"\"Chu Văn An\"\"\",trung học phổ thông,16.0,108.2,,1200,4G\n" +
			"T004, Trung tâm GDNN-GDTX , GDNN-GDTX ,22,104,,0,không\n" +
			"T005,Trường Mẫu giáo Hoa Mai,mẫu giáo,22,104,,0,không\n" +
			"T006,Trường Đại học Vinh,đại học,18.66,105.69,,abc,wifi\n",
		rows: []int{2, 3, 5, 6},
		want: []data.School{
			{ID: "T001", Name: "Trường TH Kim Đồng", Level: "primary", Lat: 21.0285, Lon: 105.8542, AreaCode: "00004", Students: 450, Internet: "fiber"},
			{ID: "T002", Name: "Trường THCS Lê Lợi", Level: "lower", Lat: 21.5, Lon: 105.9, Internet: "none"},
			{ID: "T003", Name: `Trường THPT "Chu Văn An"`, Level: "upper", Lat: 16, Lon: 108.2, Students: 1200, Internet: "4g"},
			{ID: "T004", Name: "Trung tâm GDNN-GDTX", Level: "gdnn_gdtx", Lat: 22, Lon: 104, Internet: "none"},
		},
		errs: []data.FieldError{
			{Row: 7, Column: "Cấp học", Value: "mẫu giáo", Reason: `level "mẫu giáo" is not accepted: use one of primary, lower, upper, gdnn_gdtx, vocational, college, university`},
			{Row: 8, Column: "Số học sinh", Value: "abc", Reason: "Số học sinh (students) must be a whole number"},
			{Row: 8, Column: "Kết nối", Value: "wifi", Reason: "internet \"wifi\" is not accepted: use one of fiber, adsl, 4g, none"},
		},
	}.run(t)
}

// TestReadErrors checks the exact FieldError of each kind of problem.
func TestReadErrors(t *testing.T) {
	text := "school_id,name,level,lat,lon,area_code,students,internet\n" +
		"S1,A,primary,21,105,,10,fiber\n" +
		"S2,B,kindergarten,21,105,,,\n" +
		"S3,,primary,21,105,,,\n" +
		"S1,C,upper,21,105,,,\n" +
		"S4,D,lower,abc,105,,,\n" +
		"S5,E,lower,48.85,2.35,,,\n" +
		"S6,F,lower,21,105,,-3,\n" +
		"S7,G,lower,21,105\n" +
		"S8,H,lower,21,105,,,,\n" + // one blank trailing field: tolerated
		"S9,I,lower,105.8,21.0,,,\n"
	res := read(t, ReadSchools, writeFile(t, "schools.csv", text))
	if res.err != nil {
		t.Fatal(res.err)
	}
	f := "schools.csv"
	for _, e := range []data.FieldError{
		{File: f, Row: 3, Column: "level", Value: "kindergarten", Reason: `level "kindergarten" is not accepted: use one of primary, lower, upper, gdnn_gdtx, vocational, college, university`},
		{File: f, Row: 4, Column: "name", Value: "", Reason: "missing name: every row needs one"},
		{File: f, Row: 5, Column: "school_id", Value: "S1", Reason: "duplicate school_id: first seen at row 2"},
		{File: f, Row: 6, Column: "lat", Value: "abc", Reason: "latitude is not a number: write decimal degrees such as 21.0285"},
		{File: f, Row: 7, Column: "lat", Value: "48.85", Reason: "latitude 48.85 is outside Vietnam (6.0–23.5)"},
		{File: f, Row: 7, Column: "lon", Value: "2.35", Reason: "longitude 2.35 is outside Vietnam (102.0–118.0)"},
		{File: f, Row: 8, Column: "students", Value: "-3", Reason: "students -3 is out of range: it must be 0 or more"},
		{File: f, Row: 9, Column: "", Value: "S7,G,lower,21,105", Reason: "this row has 5 fields but the header has 8"},
		{File: f, Row: 11, Column: "lat", Value: "105.8", Reason: "latitude and longitude look swapped"},
	} {
		wantErr(t, res.errs, e)
	}
	wantErrCount(t, res.errs, 10) // row 11 reports lat and lon
	if !reflect.DeepEqual(res.rows, []int{2, 10}) {
		t.Errorf("valid rows = %v, want [2 10]", res.rows)
	}
	e := res.errs.Errors[0]
	if got := e.Error(); !strings.HasPrefix(got, `schools.csv:3: column level: value "kindergarten": level`) {
		t.Errorf("Error() = %q", got)
	}
}

func TestReadMissingColumn(t *testing.T) {
	for _, name := range []string{"schools.csv", "schools.xlsx"} {
		t.Run(name, func(t *testing.T) {
			var p string
			if strings.HasSuffix(name, ".csv") {
				p = writeFile(t, name, bom+"Mã trường,Tên trường,Vĩ độ,Kinh độ\nT1,A,21,105\n")
			} else {
				p = makeXLSX(t, name, [][]any{{"Mã trường", "Tên trường", "Vĩ độ", "Kinh độ"}, {"T1", "A", 21, 105}})
			}
			res := read(t, ReadSchools, p)
			var ve *data.ValidationError
			if !errors.As(res.err, &ve) || ve != res.errs {
				t.Fatalf("err = %v, want the ValidationError", res.err)
			}
			wantErr(t, res.errs, data.FieldError{File: name, Row: 1, Column: "level",
				Reason: "required column level is missing: add a column named level (or \"cấp học\"); the header row has: Mã trường, Tên trường, Vĩ độ, Kinh độ"})
			wantErrCount(t, res.errs, 1)
			if len(res.recs) != 0 {
				t.Errorf("records passed on: %v", res.recs)
			}
		})
	}
}

func TestReadFileProblems(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		path, reason string
		row          int
	}{
		{dir + "/missing.csv", "file not found", 0},
		{writeFile(t, "schools.ods", "x"), `unknown file type ".ods"`, 0},
		{writeFile(t, "schools.xls", "x"), "save it as .xlsx", 0},
		{writeFile(t, "schools.csv", ""), "the file is empty", 1},
		{writeFile(t, "schools.csv", bom+"\n\n,,,\n"), "the file is empty", 1},
		{writeFile(t, "schools.xlsx", "not a zip"), "not a valid .xlsx workbook", 0},
	}
	for _, c := range cases {
		res := read(t, ReadSchools, c.path)
		if res.err == nil || res.errs.Len() != 1 {
			t.Errorf("%s: err = %v, errors:\n%s", c.path, res.err, dump(res.errs))
			continue
		}
		if e := res.errs.Errors[0]; !strings.Contains(e.Reason, c.reason) || e.Row != c.row {
			t.Errorf("%s: got %v, want row %d reason containing %q", c.path, e, c.row, c.reason)
		}
	}
}

func TestReadNilErrs(t *testing.T) {
	p := writeFile(t, "households.csv", "household_id,lat,lon\nH1,21,105\nH2,x,105\n")
	n := 0
	err := ReadHouseholds(t.Context(), p, nil, func(int, data.Household) error { n++; return nil })
	var ve *data.ValidationError
	if !errors.As(err, &ve) || ve.Len() != 1 || n != 1 {
		t.Fatalf("err = %v, n = %d", err, n)
	}
}

func TestReadStopsOnCallbackErrorAndCancel(t *testing.T) {
	p := writeFile(t, "households.csv", "household_id,lat,lon\nH1,21,105\nH2,21,105\n")
	stop := errors.New("stop")
	err := ReadHouseholds(t.Context(), p, &data.ValidationError{}, func(int, data.Household) error { return stop })
	if !errors.Is(err, stop) {
		t.Errorf("err = %v, want stop", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err = ReadHouseholds(ctx, p, &data.ValidationError{}, func(int, data.Household) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestReadHouseholds(t *testing.T) {
	kindCase[data.Household]{
		kind: "households",
		rd:   ReadHouseholds,
		text: "Mã hộ,Vĩ độ,Kinh độ,Mã xã,Độ chính xác,Hộ nghèo,Số nhân khẩu\n" +
			"H1,21.0285,105.8542,00004,GPS,Hộ nghèo,4\n" +
			"H2,21.1,105.9,00004,thôn,cận nghèo,\n" +
			"H3,21.2,106,,,,7\n" +
			"H4,21.2,106,,xã,x,2\n" +
			"H5,21.2,106,,,khá giả,0\n" +
			"H6,,106,,,,\n" +
			"H1,21.2,106,,,,\n",
		rows: []int{2, 3, 4, 5},
		want: []data.Household{
			{ID: "H1", Lat: 21.0285, Lon: 105.8542, AreaCode: "00004", Precision: "gps", Poverty: "poor", Members: 4},
			{ID: "H2", Lat: 21.1, Lon: 105.9, AreaCode: "00004", Precision: "village", Poverty: "near_poor", Members: 1},
			{ID: "H3", Lat: 21.2, Lon: 106, Precision: "gps", Poverty: "none", Members: 7},
			{ID: "H4", Lat: 21.2, Lon: 106, Precision: "commune", Poverty: "poor", Members: 2},
		},
		errs: []data.FieldError{
			{Row: 6, Column: "Hộ nghèo", Value: "khá giả", Reason: `poverty "khá giả" is not accepted: use one of poor, near_poor, none`},
			{Row: 6, Column: "Số nhân khẩu", Value: "0", Reason: "Số nhân khẩu (members) 0 is out of range: it must be from 1 to 100"},
			{Row: 7, Column: "Vĩ độ", Reason: "missing Vĩ độ (lat)"},
			{Row: 8, Column: "Mã hộ", Value: "H1", Reason: "duplicate household_id: first seen at row 2"},
		},
	}.run(t)
}

func TestReadStudents(t *testing.T) {
	kindCase[data.Student]{
		kind: "students",
		rd:   ReadStudents,
		text: "Mã học sinh,Mã hộ,Mã trường,Lớp,Diện ưu tiên,Có thiết bị\n" +
			"HS1,H1,T1,6A1,Hộ nghèo,x\n" +
			"HS2,H1,T1,Lớp 10,cận nghèo,\n" +
			"HS3,H2,T2,12,3,không\n" +
			"HS4,H3,T2,0,,có\n" +
			"HS5,H3,T2,25,0,0\n" +
			"HS6,,T2,3,0,0\n" +
			"HS7,H3,T2,3,7,0\n" +
			"HS8,H4,T1,3,0,maybe\n",
		rows: []int{2, 3, 4, 5},
		want: []data.Student{
			{ID: "HS1", HouseholdID: "H1", SchoolID: "T1", Grade: 6, Priority: 1, HasDevice: true},
			{ID: "HS2", HouseholdID: "H1", SchoolID: "T1", Grade: 10, Priority: 2},
			{ID: "HS3", HouseholdID: "H2", SchoolID: "T2", Grade: 12, Priority: 3},
			{ID: "HS4", HouseholdID: "H3", SchoolID: "T2", Grade: 0, Priority: 0, HasDevice: true},
		},
		errs: []data.FieldError{
			{Row: 6, Column: "Lớp", Value: "25", Reason: "Lớp (grade) 25 is out of range: it must be from 0 to 20"},
			{Row: 7, Column: "Mã hộ", Reason: "missing Mã hộ (household_id)"},
			{Row: 8, Column: "Diện ưu tiên", Value: "7", Reason: `priority "7" is not accepted: use one of 0, 1, 2, 3`},
			{Row: 9, Column: "Có thiết bị", Value: "maybe", Reason: `Có thiết bị (has_device) "maybe" is not yes/no`},
		},
	}.run(t)
}

func TestReadFiberNodes(t *testing.T) {
	kindCase[data.FiberNode]{
		kind: "fiber_nodes",
		rd:   ReadFiberNodes,
		text: "Mã nút,Nhà mạng,Loại,Vĩ độ,Kinh độ\n" +
			"N1,VNPT,POP,21.0285,105.8542\n" +
			"N2,FPT Telecom,splitter,21.1,105.9\n" +
			"N3,CMC,,20.9,106.2\n" +
			"N4,VinaPhone,tủ cáp,20.9,106.2\n" +
			"N5,SCTV,POP,20.9,106.2\n" +
			"N6,Viettel,POP,20.9,1062\n",
		rows: []int{2, 3, 4, 5},
		want: []data.FiberNode{
			{ID: "N1", Operator: "vnpt", Kind: "POP", Lat: 21.0285, Lon: 105.8542},
			{ID: "N2", Operator: "fpt", Kind: "splitter", Lat: 21.1, Lon: 105.9},
			{ID: "N3", Operator: "cmc", Lat: 20.9, Lon: 106.2},
			{ID: "N4", Operator: "vinaphone", Kind: "tủ cáp", Lat: 20.9, Lon: 106.2},
		},
		errs: []data.FieldError{
			{Row: 6, Column: "Nhà mạng", Value: "SCTV", Reason: `operator "SCTV" is not accepted: use one of viettel, vinaphone, mobifone, vietnamobile, gmobile, fpt, vnpt, cmc, other`},
			{Row: 7, Column: "Kinh độ", Value: "1062", Reason: "longitude 1062 is outside Vietnam (102.0–118.0)"},
		},
	}.run(t)
}

func TestReadDevices(t *testing.T) {
	kindCase[data.Device]{
		kind: "devices",
		rd:   ReadDevices,
		text: "Mã thiết bị,Nhà tài trợ,Loại thiết bị,Hệ điều hành,RAM,Bộ nhớ trong,Bộ nhớ trống,Có sạc,Số IMEI,Mã xã\n" +
			"D1,Viettel,điện thoại,Android 10,3 GB,32GB,20,có,356938035643809,00004\n" +
			"D2,Quỹ Vì trẻ em,máy tính xách tay,Windows,\"4,5\",1TB,100,không,,\n" +
			"D3,,tablet,iOS,2048,64,10,,,\n" +
			"D4,,laptop,,4,128,200,,,\n" +
			"D5,,tivi,,4,128,20,,,\n",
		rows: []int{2, 3},
		want: []data.Device{
			{ID: "D1", Donor: "Viettel", Type: "phone", OS: "android", OSVersion: "10", RAMGB: 3, StorageGB: 32, FreeStorageGB: 20,
				HasCharger: data.CondYes, IMEI: "356938035643809", AreaCode: "00004"}, // unstated conditions are unknown
			{ID: "D2", Donor: "Quỹ Vì trẻ em", Type: "laptop", OS: "windows", RAMGB: 4.5, StorageGB: 1024, FreeStorageGB: 100,
				HasCharger: data.CondNo},
		},
		errs: []data.FieldError{
			{Row: 4, Column: "RAM", Value: "2048", Reason: "RAM (ram_gb) 2048 is out of range: it must be from 0 to 1024 GB"},
			{Row: 5, Column: "Bộ nhớ trống", Value: "200", Reason: "free_storage_gb 200 is more than storage_gb 128"},
			{Row: 6, Column: "Loại thiết bị", Value: "tivi", Reason: `type "tivi" is not accepted: use one of phone, tablet, laptop, desktop`},
		},
	}.run(t)
}

func TestReadDevicesAllColumns(t *testing.T) {
	p := writeFile(t, "devices.csv", strings.Join(DeviceHeader(), ",")+"\n"+
		"D1,Donor A,desktop,Linux,Ubuntu 22.04,\"2,4 GHz\",8,500,400,true,false,1,0,x,,SN1,,,Intel Pentium G4560,,không,SCH1,05/09/2026\n")
	res := read(t, ReadDevices, p).clean(t)
	received := time.Date(2026, 9, 5, 0, 0, 0, 0, time.UTC) // day first, as Vietnamese files write it
	want := data.Device{ID: "D1", Donor: "Donor A", Type: "desktop", OS: "linux", OSVersion: "Ubuntu 22.04", CPUGHz: 2.4,
		RAMGB: 8, StorageGB: 500, FreeStorageGB: 400, HasCharger: data.CondYes, AVOK: data.CondNo, ScreenOK: data.CondYes, KeyboardOK: data.CondNo,
		HasMonitor: data.CondYes, WiFi: data.CondUnknown, Serial: "SN1", CPUModel: "Intel Pentium G4560",
		Headphones: data.CondUnknown, BatteryOK: data.CondNo, SchoolID: "SCH1", ReceivedOn: &received} // empty cell: unknown
	if !reflect.DeepEqual(res.recs, []data.Device{want}) {
		t.Errorf("got %+v\nwant %+v", res.recs, want)
	}
}

func TestReadSimPackages(t *testing.T) {
	kindCase[data.SimPackage]{
		kind: "sim_packages",
		rd:   ReadSimPackages,
		text: "Mã gói,Nhà mạng,GB/ngày,Số tháng,Số lượng,Mã xã\n" +
			"P1,Viettel,4,3,100,00004\n" +
			"P2,MobiFone,2GB,6,0,\n" +
			"P3,VNPT,\"1,5\",12,20,\n" +
			"P4,FPT,2,3,1,\n" +
			"P5,Viettel,0,3,1,\n" +
			"P6,Viettel,2,121,1,\n" +
			"P7,Viettel,2,3,-1,\n" +
			"P8,Viettel,2,3,,\n",
		rows: []int{2, 3, 4},
		want: []data.SimPackage{
			{ID: "P1", Operator: "viettel", GBPerDay: 4, Months: 3, Quantity: 100, AreaCode: "00004"},
			{ID: "P2", Operator: "mobifone", GBPerDay: 2, Months: 6, Quantity: 0},
			{ID: "P3", Operator: "vinaphone", GBPerDay: 1.5, Months: 12, Quantity: 20},
		},
		errs: []data.FieldError{
			{Row: 5, Column: "Nhà mạng", Value: "FPT", Reason: `operator "FPT" is not accepted: use one of viettel, vinaphone, mobifone, vietnamobile, gmobile`},
			{Row: 6, Column: "GB/ngày", Value: "0", Reason: "GB/ngày (gb_per_day) 0 is out of range: it must be more than 0 GB a day"},
			{Row: 7, Column: "Số tháng", Value: "121", Reason: "Số tháng (months) 121 is out of range: it must be from 1 to 120 months"},
			{Row: 8, Column: "Số lượng", Value: "-1", Reason: "Số lượng (quantity) -1 is out of range: it must be 0 or more"},
			{Row: 9, Column: "Số lượng", Reason: "missing Số lượng (quantity)"},
		},
	}.run(t)
}

// TestReadXLSXNumbers checks cells stored as numbers: ids read as written,
// coordinates exactly, 17-digit storage as Excel shows it, a title row above
// the header is skipped, rows count as Excel numbers them.
func TestReadXLSXNumbers(t *testing.T) {
	p := makeXLSX(t, "schools.xlsx", [][]any{
		{"DANH SÁCH TRƯỜNG HỌC NĂM 2025"},
		nil,
		{"STT", "Mã trường", "Tên trường", "Cấp học", "Vĩ độ", "Kinh độ", "Mã xã", "Số học sinh", "Internet"},
		{1, 1001, "Trường TH A", "Tiểu học", 21.3, 105.8, "00004", 450, "cáp quang"},
		{2, rawNumber("1002"), 2025, "THCS", rawNumber("21.300000000000001"), rawNumber("105.8"), nil, rawNumber("120"), nil},
		{3, "1003", "Trường C", "THPT", "abc", 105.8},
		{4, 1004, "Trường D", "THPT", rawNumber("21.123456789012344"), rawNumber("105.12345678901234"), rawNumber("4.0000000000000001E-3"), 1e3, "ADSL"},
	})
	res := read(t, ReadSchools, p)
	want := []data.School{
		{ID: "1001", Name: "Trường TH A", Level: "primary", Lat: 21.3, Lon: 105.8, AreaCode: "00004", Students: 450, Internet: "fiber"},
		{ID: "1002", Name: "2025", Level: "lower", Lat: 21.3, Lon: 105.8, Students: 120, Internet: "none"},
		{ID: "1004", Name: "Trường D", Level: "upper", Lat: 21.123456789012344, Lon: 105.12345678901234, AreaCode: "0.004", Students: 1000, Internet: "adsl"},
	}
	if !reflect.DeepEqual(res.recs, want) {
		t.Errorf("got  %+v\nwant %+v", res.recs, want)
	}
	if !reflect.DeepEqual(res.rows, []int{4, 5, 7}) {
		t.Errorf("rows = %v", res.rows)
	}
	wantErr(t, res.errs, data.FieldError{File: "schools.xlsx", Row: 6, Column: "Vĩ độ", Value: "abc", Reason: "latitude is not a number"})
	wantErrCount(t, res.errs, 1)
}

// TestReadXLSXText checks a text field stored as a 17-digit number (os
// version 10.3) and booleans stored as Excel booleans.
func TestReadXLSXText(t *testing.T) {
	p := makeXLSX(t, "devices.xlsx", [][]any{
		{"device_id", "type", "os", "os_version", "has_charger", "wifi", "imei"},
		{"D1", "phone", "android", rawNumber("10.300000000000001"), false, true, 356938035643809},
	})
	res := read(t, ReadDevices, p).clean(t)
	d := res.recs[0]
	if d.OSVersion != "10.3" || d.HasCharger != data.CondNo || d.WiFi != data.CondYes || d.IMEI != "356938035643809" {
		t.Errorf("got %+v", d)
	}
}

func TestReadXLSXExtraCells(t *testing.T) {
	p := makeXLSX(t, "households.xlsx", [][]any{
		{"household_id", "lat", "lon"},
		{"H1", 21, 105, nil, "stray"},
		{"H2", 21, 105},
	})
	res := read(t, ReadHouseholds, p)
	wantErr(t, res.errs, data.FieldError{File: "households.xlsx", Row: 2, Value: "H1,21,105,,stray", Reason: "this row has 5 cells but the header has 3"})
	wantErrCount(t, res.errs, 1)
	if len(res.recs) != 1 || res.recs[0].ID != "H2" {
		t.Errorf("got %+v", res.recs)
	}
}

// TestReadCSVVariants covers what spreadsheet programs write: semicolons
// with decimal commas, tabs, UTF-16, Windows-1258, CRLF, accents typed
// without diacritics, decomposed Unicode and quoted multi-line cells.
func TestReadCSVVariants(t *testing.T) {
	want := []data.Household{{ID: "H1", Lat: 21.5, Lon: 105.25, Precision: "gps", Poverty: "near_poor", Members: 3}}
	utf16 := func(s string) string {
		b := []byte{0xff, 0xfe}
		for _, r := range s {
			b = append(b, byte(r), byte(r>>8))
		}
		return string(b)
	}
	cases := map[string]string{
		"semicolon":  bom + "Mã hộ;Vĩ độ;Kinh độ;Diện hộ;Số nhân khẩu\r\nH1;21,5;105,25;cận nghèo;3\r\n",
		"tab":        "household_id\tlat\tlon\tpoverty\tmembers\nH1\t21.5\t105.25\tnear_poor\t3\n",
		"utf16":      utf16("Mã hộ\tVĩ độ\tKinh độ\tDiện hộ\tSố nhân khẩu\r\nH1\t21,5\t105,25\tcận nghèo\t3\r\n"),
		"cp1258":     "Ma ho,Vi do,Kinh do,Di\xean ho\xf2,So nhan khau\nH1,21.5,105.25,c\xe2\xf2n ngh\xe8o,3\n",
		"no accents": "MA HO, Vi Do ,Kinh_do,dien ho,so nhan khau\nH1,21.5,105.25,can ngheo,3\n",
		"nfd":        "Ma\u0303 ho\u0323,Vi\u0303 \u0111o\u0323,Kinh \u0111o\u0323,Die\u0323\u0302n ho\u0323,Nhân khẩu\nH1,21.5,105.25,ca\u0323\u0302n nghe\u0300o,3\n",
		"title rows": "DANH SÁCH HỘ,,,,\n,,,,\nhousehold_id,lat,lon,poverty,members\nH1,21.5,105.25,near_poor,3\n",
		"unit paren": "Mã hộ (ID),Vĩ độ (lat),Kinh độ (lon),Diện hộ,Số nhân khẩu (người)\nH1,21.5,105.25,2,3\n",
		"gzip-less":  "\"household_id\",\"lat\",\"lon\",\"poverty\",\"members\"\n\"H1\",\"21.5\",\"105.25\",\"near_poor\",\"3\"\n",
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) {
			res := read(t, ReadHouseholds, writeFile(t, "households.csv", text)).clean(t)
			if !reflect.DeepEqual(res.recs, want) {
				t.Errorf("got %+v", res.recs)
			}
		})
	}
	// Rows count as Excel shows them, also after a multi-line cell.
	res := read(t, ReadSchools, writeFile(t, "schools.csv", "school_id,name,level,lat,lon\nS1,\"Trường\nA\",primary,21,105\n\nS2,B,primary,x,105\n"))
	wantErr(t, res.errs, data.FieldError{File: "schools.csv", Row: 4, Column: "lat", Value: "x", Reason: "not a number"})
	if len(res.recs) != 1 || res.recs[0].Name != "Trường\nA" || res.rows[0] != 2 {
		t.Errorf("got %+v rows %v", res.recs, res.rows)
	}
}

func TestReadDuplicateColumns(t *testing.T) {
	res := read(t, ReadHouseholds, writeFile(t, "households.csv", "household_id,Mã hộ,lat,lon\nH1,H1,21,105\n"))
	wantErr(t, res.errs, data.FieldError{File: "households.csv", Row: 1, Column: "Mã hộ", Reason: `columns "household_id" and "Mã hộ" both mean household_id`})
}

func TestReadUnterminatedQuote(t *testing.T) {
	res := read(t, ReadHouseholds, writeFile(t, "households.csv", "household_id,lat,lon\nH0,21,105\nH1,\"21,105\n"+strings.Repeat("H2,21,105\n", 100)))
	if len(res.recs) != 1 || res.errs.Len() != 1 {
		t.Fatalf("got %d records\n%s", len(res.recs), dump(res.errs))
	}
	e := res.errs.Errors[0]
	if e.Row != 3 || !strings.Contains(e.Reason, "is a closing double quote missing?") || len(e.Value) > 210 {
		t.Errorf("got %+v", e)
	}
}

// The recommended extras under their Vietnamese headers (seed 004:
// "khuyến khích kèm tai nghe", "pin còn tốt").
func TestReadDevicesRecommendedExtras(t *testing.T) {
	p := writeFile(t, "devices.csv", "Mã thiết bị,Loại thiết bị,Tai nghe,Pin còn tốt\n"+
		"D1,phone,có,\n"+
		"D2,laptop,,không\n"+
		"D3,laptop,không,có\n")
	res := read(t, ReadDevices, p).clean(t)
	got := [][2]data.Cond{}
	for _, d := range res.recs {
		got = append(got, [2]data.Cond{d.Headphones, d.BatteryOK})
	}
	want := [][2]data.Cond{{data.CondYes, data.CondUnknown}, {data.CondUnknown, data.CondNo}, {data.CondNo, data.CondYes}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("headphones, battery_ok = %v, want %v", got, want)
	}
}

// The optional donor and received day of a SIM package, under their
// Vietnamese headers; a day that is not a date is a problem of its row.
func TestReadSimPackagesDonorReceived(t *testing.T) {
	d := func(y int, m time.Month, dd int) *time.Time {
		t := time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)
		return &t
	}
	kindCase[data.SimPackage]{
		kind: "sim_packages",
		rd:   ReadSimPackages,
		text: "Mã gói,Nhà mạng,GB/ngày,Số tháng,Số lượng,Nhà tài trợ,Ngày tiếp nhận\n" +
			"P1,Viettel,4,3,100,Quỹ Vì trẻ em,2026-09-05\n" +
			"P2,MobiFone,2,6,10,,15/10/2026\n" +
			"P3,Viettel,2,3,1,Viettel,31/02/2026\n",
		rows: []int{2, 3},
		want: []data.SimPackage{
			{ID: "P1", Operator: "viettel", GBPerDay: 4, Months: 3, Quantity: 100, Donor: "Quỹ Vì trẻ em", ReceivedOn: d(2026, 9, 5)},
			{ID: "P2", Operator: "mobifone", GBPerDay: 2, Months: 6, Quantity: 10, ReceivedOn: d(2026, 10, 15)},
		},
		errs: []data.FieldError{
			{Row: 4, Column: "Ngày tiếp nhận", Value: "31/02/2026", Reason: "Ngày tiếp nhận (received_on) must be a date written YYYY-MM-DD or DD/MM/YYYY, such as 2026-09-05 or 05/09/2026"},
		},
	}.run(t)
}
