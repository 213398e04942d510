package format

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/gapmap/gapmap/data"
	"github.com/xuri/excelize/v2"
)

// Tests for issue 9: files read without losing, garbling or exhausting
// anything.

const hhHeader = "household_id,lat,lon,poverty,members\n"

// --- 1. Signs and punctuation are never dropped from a value ---

func TestSignsAreNotDropped(t *testing.T) {
	p := writeFile(t, "students.csv", "student_id,household_id,school_id,grade,priority,has_device\n"+
		"S1,H1,T1,6,-1,false\n"+ // priority -1 is not tier 1
		"S2,H1,T1,6,1,-1\n"+ // has_device -1 is not true
		"S3,H1,T1,-6A,0,false\n"+ // grade -6A is not 6
		"S4,H1,T1,6,_2,_x\n"+ // a leading underscore is not dropped either
		"S5,H1,T1,6,1-,x.\n"+ // nor a trailing one
		"S6,H1,T1,6,-,-\n"+ // a lone - is documented: none / no
		"S7,H1,T1,6A1,near_poor,x\n"+ // aliases users write still work
		"S8,H1,T1,6,cận nghèo,có\n"+
		"S9,H1,T1,6,2.0,TRUE\n")
	res := read(t, ReadStudents, p)
	f := "students.csv"
	wantErr(t, res.errs, data.FieldError{File: f, Row: 2, Column: "priority", Value: "-1", Reason: `priority "-1" is not accepted`})
	wantErr(t, res.errs, data.FieldError{File: f, Row: 2, Column: "priority", Value: "-1", Reason: "a sign or punctuation mark at the start or end of a value is never ignored"})
	wantErr(t, res.errs, data.FieldError{File: f, Row: 3, Column: "has_device", Value: "-1", Reason: `has_device "-1" is not yes/no`})
	wantErr(t, res.errs, data.FieldError{File: f, Row: 4, Column: "grade", Value: "-6A", Reason: "grade must be a whole number"})
	wantErr(t, res.errs, data.FieldError{File: f, Row: 5, Column: "priority", Value: "_2", Reason: "is not accepted"})
	wantErr(t, res.errs, data.FieldError{File: f, Row: 5, Column: "has_device", Value: "_x", Reason: "is not yes/no"})
	wantErr(t, res.errs, data.FieldError{File: f, Row: 6, Column: "priority", Value: "1-", Reason: "is not accepted"})
	wantErr(t, res.errs, data.FieldError{File: f, Row: 6, Column: "has_device", Value: "x.", Reason: "is not yes/no"})
	wantErrCount(t, res.errs, 7)
	want := []data.Student{
		{ID: "S6", HouseholdID: "H1", SchoolID: "T1", Grade: 6, Priority: 0, HasDevice: false},
		{ID: "S7", HouseholdID: "H1", SchoolID: "T1", Grade: 6, Priority: 2, HasDevice: true},
		{ID: "S8", HouseholdID: "H1", SchoolID: "T1", Grade: 6, Priority: 2, HasDevice: true},
		{ID: "S9", HouseholdID: "H1", SchoolID: "T1", Grade: 6, Priority: 2, HasDevice: true},
	}
	if len(res.recs) != len(want) {
		t.Fatalf("got %d records, want %d: %+v", len(res.recs), len(want), res.recs)
	}
	for i := range want {
		if res.recs[i] != want[i] {
			t.Errorf("record %d = %+v, want %+v", i, res.recs[i], want[i])
		}
	}
}

func TestSignsAreNotDroppedHouseholdsAndSchools(t *testing.T) {
	p := writeFile(t, "households.csv", hhHeader+
		"H1,21,105,-1,4\n"+ // poverty -1 is not poor
		"H2,21,105,-x,4\n"+
		"H3,21,105,near-poor,4\n"+
		"H4,21,105,near_poor,4\n"+
		"H5,21,105,-,4\n"+
		"H6,21,105,x,4\n")
	res := read(t, ReadHouseholds, p)
	wantErr(t, res.errs, data.FieldError{File: "households.csv", Row: 2, Column: "poverty", Value: "-1", Reason: `poverty "-1" is not accepted`})
	wantErr(t, res.errs, data.FieldError{File: "households.csv", Row: 3, Column: "poverty", Value: "-x", Reason: `poverty "-x" is not accepted`})
	wantErrCount(t, res.errs, 2)
	var got []string
	for _, h := range res.recs {
		got = append(got, h.ID+"="+h.Poverty)
	}
	if strings.Join(got, " ") != "H3=near_poor H4=near_poor H5=none H6=poor" {
		t.Errorf("got %v", got)
	}

	p = writeFile(t, "schools.csv", "school_id,name,level,lat,lon,internet\n"+
		"S1,A,GDNN-GDTX,21,105,4G\n"+
		"S2,B,-THCS,21,105,-4G\n"+
		"S3,C,THCS,21,105,-\n")
	rs := read(t, ReadSchools, p)
	wantErr(t, rs.errs, data.FieldError{File: "schools.csv", Row: 3, Column: "level", Value: "-THCS", Reason: "is not accepted"})
	wantErr(t, rs.errs, data.FieldError{File: "schools.csv", Row: 3, Column: "internet", Value: "-4G", Reason: "is not accepted"})
	wantErrCount(t, rs.errs, 2)
	if len(rs.recs) != 2 || rs.recs[0].Level != data.LevelGDNNGDTX || rs.recs[0].Internet != data.Internet4G ||
		rs.recs[1].Level != data.LevelLower || rs.recs[1].Internet != data.InternetNone {
		t.Errorf("got %+v", rs.recs)
	}
	for _, c := range []struct {
		in    string
		v, ok bool
	}{{"-1", false, false}, {"+1", false, false}, {"_x", false, false}, {"1.", false, false}, {"-", false, true}, {"x", true, true}, {"Có", true, true}} {
		if v, ok := parseBool(c.in); v != c.v || ok != c.ok {
			t.Errorf("parseBool(%q) = %v, %v; want %v, %v", c.in, v, ok, c.v, c.ok)
		}
	}
	if v, ok := priorityEnum().lookup("-1"); ok {
		t.Errorf(`priority "-1" read as %q`, v)
	}
}

// --- 2. Encodings ---

func TestMostlyUTF8WithABadByteIsAnError(t *testing.T) {
	// Vietnamese UTF-8 names, and one stray byte in row 4.
	var b strings.Builder
	b.WriteString("school_id,name,level,lat,lon\n")
	b.WriteString("S1,Trường Tiểu học Nà Hẩu,tiểu học,21,105\n")
	b.WriteString("S2,Trường THCS Đồng Văn,THCS,21,105\n")
	b.WriteString("S3,Tr\xffường lỗi,THCS,21,105\n")
	b.WriteString("S4,Trường THPT Mèo Vạc,THPT,21,105\n")
	res := read(t, ReadSchools, writeFile(t, "schools.csv", b.String()))
	wantErr(t, res.errs, data.FieldError{File: "schools.csv", Row: 4, Column: "name", Value: "Tr\xffường lỗi", Reason: "byte 0xFF at byte 3 is not valid UTF-8"})
	wantErrCount(t, res.errs, 1)
	if len(res.errs.Warnings) != 0 {
		t.Errorf("unexpected warnings: %v", res.errs.Warnings)
	}
	names := []string{}
	for _, s := range res.recs {
		names = append(names, s.Name)
	}
	if strings.Join(names, "|") != "Trường Tiểu học Nà Hẩu|Trường THCS Đồng Văn|Trường THPT Mèo Vạc" {
		t.Errorf("names garbled: %q", names)
	}
	// The error line is safe to print: the byte is escaped.
	if e := res.errs.Errors[0].Error(); !strings.Contains(e, `Tr\xffường`) || !strings.Contains(e, "schools.csv:4: column name") {
		t.Errorf("error line %q", e)
	}
}

func TestUTF8DecidedByTheWholeFile(t *testing.T) {
	// 100 KiB of ASCII rows, then a Vietnamese UTF-8 name and a stray byte:
	// the start alone does not decide, the whole file does (UTF-8).
	var b strings.Builder
	b.WriteString(hhHeader)
	n := 0
	for b.Len() < 100<<10 {
		n++
		b.WriteString("H" + itoa(n) + ",21,105,poor,4\n")
	}
	b.WriteString("HX,21,105,cận nghèo,4\n")
	b.WriteString("HY,21,105,ngh\xe8o,4\n")
	res := read(t, ReadHouseholds, writeFile(t, "households.csv", b.String()))
	wantErr(t, res.errs, data.FieldError{File: "households.csv", Row: n + 3, Column: "poverty", Value: "ngh\xe8o", Reason: "byte 0xE8 at byte 4 is not valid UTF-8"})
	wantErrCount(t, res.errs, 1)
	if len(res.errs.Warnings) != 0 || len(res.recs) != n+1 || res.recs[n].Poverty != data.PovertyNearPoor {
		t.Errorf("warnings %v, %d records, last %+v", res.errs.Warnings, len(res.recs), res.recs[len(res.recs)-1])
	}
}

func TestWindows1258FileIsDecodedWithAWarning(t *testing.T) {
	// "Trường" and "Đồng" in Windows-1258: base letters and combining tone
	// marks (ư=FD, ơ=F5, grave=CC, Đ=D0, ô=F4).
	content := "school_id,name,level,lat,lon\r\n" +
		"S1,Tr\xfd\xf5\xccng \xd0\xf4\xccng,THCS,21,105\r\n"
	res := read(t, ReadSchools, writeFile(t, "schools.csv", content)).clean(t)
	if len(res.recs) != 1 || res.recs[0].Name != "Trường Đồng" {
		t.Fatalf("got %+v", res.recs)
	}
	if len(res.errs.Warnings) != 1 || !strings.Contains(res.errs.Warnings[0].Reason, "read as Windows-1258") ||
		res.errs.Warnings[0].File != "schools.csv" {
		t.Errorf("warnings: %+v", res.errs.Warnings)
	}
	// Bytes that Windows-1258 leaves undefined (0x81): not Windows-1258,
	// so the value is an error and nothing is guessed.
	res = read(t, ReadSchools, writeFile(t, "schools.csv", "school_id,name,level,lat,lon\nS1,A\x81\xe0,THCS,21,105\n"))
	wantErr(t, res.errs, data.FieldError{File: "schools.csv", Row: 2, Column: "name", Value: "A\x81\xe0", Reason: "byte 0x81 at byte 2 is not valid UTF-8"})
	if len(res.errs.Warnings) != 0 {
		t.Errorf("warnings: %+v", res.errs.Warnings)
	}
}

func TestEncodingStats(t *testing.T) {
	var s encStats
	s.add([]byte("Tr\xfd\xf5\xccng"), true)
	if !s.cp1258() {
		t.Errorf("%+v: want Windows-1258", s)
	}
	s = encStats{}
	s.add([]byte("Trường \xff"), true)
	if s.cp1258() || s.multi != 2 || s.invalid != 1 {
		t.Errorf("%+v", s)
	}
	// A sequence cut between two reads is counted once.
	s = encStats{}
	b := []byte("aườ")
	keep := s.add(b[:4], false) // "aư" and the first byte of "ờ"
	if keep != 1 {
		t.Fatalf("keep %d", keep)
	}
	s.add(b[4-keep:], true)
	if s.multi != 2 || s.invalid != 0 {
		t.Errorf("%+v", s)
	}
}

// --- 3. Line ends ---

func TestLineEnds(t *testing.T) {
	rows := []string{"household_id,lat,lon,poverty,members", "H1,21,105,nghèo,4", "", "\"H2\",21.5,105.5,\"cận nghèo\",3", "H3,21,105,,1"}
	for name, nl := range map[string]string{"LF": "\n", "CRLF": "\r\n", "CR": "\r"} {
		t.Run(name, func(t *testing.T) {
			for _, gz := range []bool{false, true} {
				content := strings.Join(rows, nl) + nl
				file := "households.csv"
				if gz {
					file += ".gz"
					content = gzipString(t, content)
				}
				res := read(t, ReadHouseholds, writeFile(t, file, content)).clean(t)
				if len(res.recs) != 3 || res.recs[0].Poverty != "poor" || res.recs[1].ID != "H2" || res.recs[1].Poverty != "near_poor" || res.recs[2].Members != 1 {
					t.Fatalf("%s: got %+v", file, res.recs)
				}
				if res.rows[0] != 2 || res.rows[1] != 4 || res.rows[2] != 5 {
					t.Errorf("%s: rows %v, want [2 4 5]", file, res.rows)
				}
			}
		})
	}
	// CR alone with a quoted cell spanning lines, and errors on the right rows.
	res := read(t, ReadHouseholds, writeFile(t, "households.csv", "household_id,lat,lon,poverty,members\r\"H\r1\",21,105,,4\rH2,91,105,,4\r"))
	wantErr(t, res.errs, data.FieldError{File: "households.csv", Row: 3, Column: "lat", Value: "91", Reason: "outside Vietnam"})
	if len(res.recs) != 1 || res.recs[0].ID != "H\n1" {
		t.Errorf("got %+v", res.recs)
	}
}

func gzipString(t testing.TB, s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// --- 4. XLSX formulas without a saved value ---

func TestXLSXFormulaWithoutValueIsAnError(t *testing.T) {
	p := filepath.Join(t.TempDir(), "households.xlsx")
	f := excelize.NewFile()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.SetSheetName("Sheet1", "Hộ"))
	must(f.SetSheetRow("Hộ", "A1", &[]any{"household_id", "lat", "lon", "poverty", "members", "note"}))
	must(f.SetSheetRow("Hộ", "A2", &[]any{"H1", 21.0, 105.0, "nghèo", 4, "ok"}))
	must(f.SetSheetRow("Hộ", "A3", &[]any{"H2", 21.0, 105.0, "nghèo", nil, nil}))
	must(f.SetCellFormula("Hộ", "E3", "=2+2")) // members: no saved value
	must(f.SetCellFormula("Hộ", "F3", "=1"))   // an ignored column: harmless
	must(f.SetSheetRow("Hộ", "A4", &[]any{"H3", nil, 105.0, "nghèo", 4}))
	must(f.SetCellFormula("Hộ", "B4", "=C4/5")) // lat: no saved value
	must(f.SetCellFormula("Hộ", "A5", "=A4"))   // a row of formulas only is not skipped
	must(f.SetCellFormula("Hộ", "B5", "=B4"))
	must(f.SetCellFormula("Hộ", "C5", "=C4"))
	must(f.SaveAs(p))
	f.Close()
	res := read(t, ReadHouseholds, p)
	file := "households.xlsx"
	wantErr(t, res.errs, data.FieldError{File: file, Row: 3, Column: "members", Reason: `cell E3 (sheet "Hộ", row 3, column E) holds a formula without a saved value`})
	wantErr(t, res.errs, data.FieldError{File: file, Row: 4, Column: "lat", Reason: `cell B4 (sheet "Hộ", row 4, column B) holds a formula without a saved value`})
	wantErr(t, res.errs, data.FieldError{File: file, Row: 5, Column: "household_id", Reason: `cell A5 (sheet "Hộ", row 5, column A)`})
	wantErr(t, res.errs, data.FieldError{File: file, Row: 5, Column: "lat", Reason: `cell B5 (sheet "Hộ", row 5, column B)`})
	wantErr(t, res.errs, data.FieldError{File: file, Row: 5, Column: "lon", Reason: `cell C5 (sheet "Hộ", row 5, column C)`})
	wantErrCount(t, res.errs, 5)
	if len(res.recs) != 1 || res.recs[0].ID != "H1" {
		t.Errorf("got %+v", res.recs)
	}
}

func TestXLSXFormulaWithSavedValueIsRead(t *testing.T) {
	// A formula with its cached value, as Excel saves it: the value is read.
	p := buildXLSX(t, "households.xlsx", map[string]func(io.Writer){
		"xl/worksheets/sheet1.xml": func(w io.Writer) {
			io.WriteString(w, sheetXML(`<row r="1"><c r="A1" t="inlineStr"><is><t>household_id</t></is></c><c r="B1" t="inlineStr"><is><t>lat</t></is></c><c r="C1" t="inlineStr"><is><t>lon</t></is></c><c r="D1" t="inlineStr"><is><t>members</t></is></c></row>`+
				`<row r="2"><c r="A2" t="inlineStr"><is><t>H1</t></is></c><c r="B2"><v>21</v></c><c r="C2"><v>105</v></c><c r="D2"><f>1+2</f><v>3</v></c></row>`))
		},
	})
	res := read(t, ReadHouseholds, p).clean(t)
	if len(res.recs) != 1 || res.recs[0].Members != 3 {
		t.Errorf("got %+v", res.recs)
	}
}

// --- 5. Every field of a bad row is checked ---

func TestEveryFieldOfABadRowIsChecked(t *testing.T) {
	res := read(t, ReadHouseholds, writeFile(t, "households.csv", hhHeader+
		"H1,abc,200,-1,0\n"+ // bad latitude, longitude, poverty and members
		"H2,91,abc,poor,4\n"))
	f := "households.csv"
	wantErr(t, res.errs, data.FieldError{File: f, Row: 2, Column: "lat", Value: "abc", Reason: "latitude is not a number"})
	wantErr(t, res.errs, data.FieldError{File: f, Row: 2, Column: "lon", Value: "200", Reason: "longitude 200 is outside Vietnam"})
	wantErr(t, res.errs, data.FieldError{File: f, Row: 2, Column: "poverty", Value: "-1", Reason: "is not accepted"})
	wantErr(t, res.errs, data.FieldError{File: f, Row: 2, Column: "members", Value: "0", Reason: "out of range"})
	wantErr(t, res.errs, data.FieldError{File: f, Row: 3, Column: "lat", Value: "91", Reason: "latitude 91 is outside Vietnam"})
	wantErr(t, res.errs, data.FieldError{File: f, Row: 3, Column: "lon", Value: "abc", Reason: "longitude is not a number"})
	wantErrCount(t, res.errs, 6)
}

// --- 6. Limits, in bounded memory ---

// peakHeap runs fn while sampling the Go heap, and returns the highest
// heap in use seen above what was in use before.
func peakHeap(t *testing.T, fn func()) uint64 {
	t.Helper()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	fn()
	close(stop)
	wg.Wait()
	runtime.ReadMemStats(&ms)
	if ms.HeapInuse > peak.Load() {
		peak.Store(ms.HeapInuse)
	}
	if p := peak.Load(); p > base {
		return p - base
	}
	return 0
}

const memBound = 256 << 20

// gzipBomb writes a .csv.gz whose content is head, then n copies of chunk,
// then tail, as a multi-member gzip stream: chunk is compressed once.
func gzipBomb(t *testing.T, name, head, chunk string, n int, tail string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	fh, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	member := func(s string) []byte {
		var b bytes.Buffer
		w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		w.Write([]byte(s))
		w.Close()
		return b.Bytes()
	}
	fh.Write(member(head))
	m := member(chunk)
	for range n {
		if _, err := fh.Write(m); err != nil {
			t.Fatal(err)
		}
	}
	fh.Write(member(tail))
	return p
}

func TestGzipBombOneLongLine(t *testing.T) {
	// About 1 MB on disk, one line of 1 GiB once decompressed.
	p := gzipBomb(t, "households.csv.gz", hhHeader+"H1,21,105,poor,4\nH2,", strings.Repeat("A", 1<<20), 1024, ",21,105,poor,4\n")
	if st, _ := os.Stat(p); st.Size() > 4<<20 {
		t.Fatalf("bomb is %d bytes", st.Size())
	}
	var res result[data.Household]
	peak := peakHeap(t, func() { res = read(t, ReadHouseholds, p) })
	t.Logf("peak heap %d MiB", peak>>20)
	if peak > memBound {
		t.Errorf("reading the bomb took %d MiB of heap, want < %d MiB", peak>>20, memBound>>20)
	}
	wantErr(t, res.errs, data.FieldError{File: "households.csv.gz", Row: 3, Reason: "the file is not read further: this line is longer than 1 MiB"})
	wantErr(t, res.errs, data.FieldError{File: "households.csv.gz", Row: 3, Reason: "(limit MaxLineBytes)"})
	if res.err == nil || len(res.recs) != 1 {
		t.Errorf("err %v, records %+v", res.err, res.recs)
	}
}

func TestGzipBombManyLinesAndDecompressedLimit(t *testing.T) {
	row := strings.Repeat("H1,21,105,poor,4\n", 1<<16) // 1.1 MiB of rows
	// Ratio: millions of short (duplicate) rows from a tiny file.
	p := gzipBomb(t, "households.csv.gz", hhHeader, row, 256, "")
	ctx := WithLimits(context.Background(), Limits{RatioFloorBytes: 8 << 20})
	errs := &data.ValidationError{}
	peak := peakHeap(t, func() {
		_ = ReadHouseholds(ctx, p, errs, func(int, data.Household) error { return nil })
	})
	if peak > memBound {
		t.Errorf("peak heap %d MiB", peak>>20)
	}
	if !hasReason(errs, "decompresses to more than 200 times its compressed size (a compression bomb?) (limit MaxRatio)") {
		t.Errorf("no ratio error:\n%s", dump(errs))
	}
	// An absolute limit on the decompressed size.
	ctx = WithLimits(context.Background(), Limits{MaxDecompressedBytes: 1 << 20, MaxRatio: -1})
	errs = &data.ValidationError{}
	_ = ReadHouseholds(ctx, gzipBomb(t, "households.csv.gz", hhHeader, row, 2, ""), errs, func(int, data.Household) error { return nil })
	if !hasReason(errs, "the .csv.gz file is larger than 1 MiB once decompressed (limit MaxDecompressedBytes)") {
		t.Errorf("no size error:\n%s", dump(errs))
	}
}

func hasReason(errs *data.ValidationError, s string) bool {
	for _, e := range errs.Errors {
		if strings.Contains(e.Reason, s) {
			return true
		}
	}
	return false
}

func TestCSVLimits(t *testing.T) {
	big := strings.Repeat("x", 70<<10)
	// A field over 64 KiB is an error of its row; the others are read.
	res := read(t, ReadHouseholds, writeFile(t, "households.csv", hhHeader+"H1,21,105,poor,4\n"+big+",21,105,poor,4\nH3,21,105,poor,4\n"))
	wantErr(t, res.errs, data.FieldError{File: "households.csv", Row: 3, Column: "household_id", Value: clip(big), Reason: "over the limit of 64 KiB for one value (limit MaxFieldBytes)"})
	wantErrCount(t, res.errs, 1)
	if len(res.recs) != 2 {
		t.Errorf("got %d records", len(res.recs))
	}
	// A missing closing quote makes one record of the rest of the file.
	var b strings.Builder
	b.WriteString(hhHeader + "H1,21,105,poor,4\n\"H2,21,105,poor,4\n")
	for b.Len() < 3<<20 {
		b.WriteString("H9,21,105,poor,4\n")
	}
	res = read(t, ReadHouseholds, writeFile(t, "households.csv", b.String()))
	wantErr(t, res.errs, data.FieldError{File: "households.csv", Row: 3, Reason: "the file is not read further: this row is longer than 1 MiB (its quoted cells span several lines: is a closing double quote missing?) (limit MaxLineBytes)"})
	// Limits are configurable.
	ctx := WithLimits(context.Background(), Limits{MaxFieldBytes: 4})
	errs := &data.ValidationError{}
	_ = ReadHouseholds(ctx, writeFile(t, "households.csv", hhHeader+"H1234,21,105,poor,4\n"), errs, func(int, data.Household) error { return nil })
	wantErr(t, errs, data.FieldError{File: "households.csv", Row: 2, Column: "household_id", Value: "H1234", Reason: "the value is 5 bytes long, over the limit of 4 bytes"})
	if got := LimitsFrom(ctx); got.MaxFieldBytes != 4 || got.MaxLineBytes != 1<<20 || got.MaxDecompressedBytes != 4<<30 {
		t.Errorf("LimitsFrom = %+v", got)
	}
}

// buildXLSX writes a households workbook whose parts named in replace are
// written by their functions (streamed into the zip).
func buildXLSX(t *testing.T, name string, replace map[string]func(io.Writer)) string {
	t.Helper()
	src := makeXLSX(t, "base.xlsx", [][]any{{"household_id", "lat", "lon"}, {"BOMB", 21.0, 105.0}})
	zr, err := zip.OpenReader(src)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	p := filepath.Join(t.TempDir(), name)
	fh, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	zw := zip.NewWriter(fh)
	for _, f := range zr.File {
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		if fn, ok := replace[f.Name]; ok {
			fn(w)
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(w, rc)
		rc.Close()
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

func sheetXML(rows string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` + rows + `</sheetData></worksheet>`
}

func writeRepeat(w io.Writer, c byte, n int) {
	chunk := bytes.Repeat([]byte{c}, 1<<20)
	for n > 0 {
		k := min(n, len(chunk))
		w.Write(chunk[:k])
		n -= k
	}
}

func TestXLSXBombs(t *testing.T) {
	const huge = 300 << 20
	header := `<row r="1"><c r="A1" t="inlineStr"><is><t>household_id</t></is></c><c r="B1" t="inlineStr"><is><t>lat</t></is></c><c r="C1" t="inlineStr"><is><t>lon</t></is></c></row>`
	cases := []struct {
		name    string
		replace map[string]func(io.Writer)
		row     int
		reason  string
	}{
		{"inline string", map[string]func(io.Writer){"xl/worksheets/sheet1.xml": func(w io.Writer) {
			io.WriteString(w, sheetXML(header)[:len(sheetXML(header))-len("</sheetData></worksheet>")])
			io.WriteString(w, `<row r="2"><c r="A2" t="inlineStr"><is><t>`)
			writeRepeat(w, 'A', huge)
			io.WriteString(w, `</t></is></c></row></sheetData></worksheet>`)
		}}, 2, `cell A2 of sheet "Sheet1" holds more than 64 KiB of text (limit MaxFieldBytes)`},
		{"shared string", map[string]func(io.Writer){"xl/sharedStrings.xml": func(w io.Writer) {
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4" uniqueCount="4"><si><t>household_id</t></si><si><t>lat</t></si><si><t>lon</t></si><si><t>`)
			writeRepeat(w, 'B', huge)
			io.WriteString(w, `</t></si></sst>`)
		}}, 2, `cell A2 of sheet "Sheet1" holds more than 64 KiB of text (limit MaxFieldBytes)`},
		{"huge tag", map[string]func(io.Writer){"xl/styles.xml": func(w io.Writer) {
			io.WriteString(w, `<styleSheet a="`)
			writeRepeat(w, 'C', 8<<20)
			io.WriteString(w, `"/>`)
		}}, 0, "has an XML tag longer than 1 MiB (limit MaxLineBytes)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := buildXLSX(t, "households.xlsx", c.replace)
			st, _ := os.Stat(p)
			t.Logf("workbook %d KiB", st.Size()>>10)
			var res result[data.Household]
			peak := peakHeap(t, func() { res = read(t, ReadHouseholds, p) })
			t.Logf("peak heap %d MiB", peak>>20)
			if peak > memBound {
				t.Errorf("reading the bomb took %d MiB of heap, want < %d MiB", peak>>20, memBound>>20)
			}
			wantErr(t, res.errs, data.FieldError{File: "households.xlsx", Row: c.row, Reason: "the file is not read: "})
			wantErr(t, res.errs, data.FieldError{File: "households.xlsx", Row: c.row, Reason: c.reason})
			wantErrCount(t, res.errs, 1)
		})
	}
	// A workbook under the limits still reads.
	p := buildXLSX(t, "households.xlsx", nil)
	res := read(t, ReadHouseholds, p).clean(t)
	if len(res.recs) != 1 || res.recs[0].ID != "BOMB" {
		t.Errorf("got %+v", res.recs)
	}
}

// --- 7. Control characters, NUL bytes, UTF-16 without a BOM ---

func TestControlCharactersAreEscaped(t *testing.T) {
	esc := "\x1b]0;pwned\x07\x1b[2J"
	res := read(t, ReadHouseholds, writeFile(t, "households.csv",
		"household_id,lat,lon,poverty,members,"+esc+"\n"+
			"H1,21,105,"+esc+",4,x\n"+
			"H\x002,21,105,poor,4,x\n"))
	wantErr(t, res.errs, data.FieldError{File: "households.csv", Row: 2, Column: "poverty", Value: esc, Reason: `poverty "\x1b]0;pwned\a\x1b[2J" is not accepted`})
	wantErr(t, res.errs, data.FieldError{File: "households.csv", Row: 3, Column: "household_id", Value: "H\x002", Reason: `the value contains a NUL byte (\x00) at byte 2`})
	for _, e := range res.errs.Errors {
		line := e.Error()
		if strings.ContainsAny(line, "\x1b\x07\x00\r\n") {
			t.Errorf("raw control character in %q", line)
		}
	}
	// A header with control characters, in a missing-column message.
	res = read(t, ReadHouseholds, writeFile(t, "households.csv", "household_id,lat,"+esc+"\nH1,21,105\n"))
	if len(res.errs.Errors) != 1 || !strings.Contains(res.errs.Errors[0].Reason, `\x1b]0;pwned\a\x1b[2J`) || strings.Contains(res.errs.Errors[0].Reason, "\x1b") {
		t.Errorf("got %q", dump(res.errs))
	}
	fe := data.FieldError{File: "a\x1b.csv", Row: 2, Column: "c\u202e", Value: "v\x1b", Reason: "r\x1b\xff"}
	if got, want := fe.Error(), `a\x1b.csv:2: column c\u202e: value "v\x1b": r\x1b\xff`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got := data.SafeText("Trường Nà Hẩu, 21,5 ✓"); got != "Trường Nà Hẩu, 21,5 ✓" {
		t.Errorf("SafeText changed printable text: %q", got)
	}
}

func utf16File(s string, order binary.ByteOrder, bom bool) string {
	var b bytes.Buffer
	units := utf16.Encode([]rune(s))
	if bom {
		units = append([]uint16{0xFEFF}, units...)
	}
	for _, u := range units {
		var two [2]byte
		order.PutUint16(two[:], u)
		b.Write(two[:])
	}
	return b.String()
}

func TestUTF16WithoutBOMIsRecognised(t *testing.T) {
	content := "school_id,name,level,lat,lon\r\nS1,Trường Nà Hẩu,THCS,21,105\r\n"
	for _, c := range []struct {
		order binary.ByteOrder
		bom   bool
		warn  string
	}{
		{binary.LittleEndian, true, ""},
		{binary.LittleEndian, false, "UTF-16 little-endian"},
		{binary.BigEndian, false, "UTF-16 big-endian"},
	} {
		res := read(t, ReadSchools, writeFile(t, "schools.csv", utf16File(content, c.order, c.bom))).clean(t)
		if len(res.recs) != 1 || res.recs[0].Name != "Trường Nà Hẩu" {
			t.Errorf("%v bom=%v: got %+v", c.order, c.bom, res.recs)
		}
		if c.warn == "" && len(res.errs.Warnings) != 0 || c.warn != "" && (len(res.errs.Warnings) != 1 || !strings.Contains(res.errs.Warnings[0].Reason, c.warn)) {
			t.Errorf("%v bom=%v: warnings %+v", c.order, c.bom, res.errs.Warnings)
		}
	}
}

// TestPeakHeapMeasures checks the measuring tool itself: it must see a
// 64 MiB allocation held for a moment.
func TestPeakHeapMeasures(t *testing.T) {
	var keep []byte
	peak := peakHeap(t, func() {
		keep = make([]byte, 64<<20)
		for i := range keep {
			keep[i] = 1
		}
		time.Sleep(20 * time.Millisecond)
	})
	if peak < 60<<20 {
		t.Errorf("peakHeap saw %d MiB, want ≥ 60 MiB", peak>>20)
	}
	runtime.KeepAlive(keep)
}
