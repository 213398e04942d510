package format

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gapmap/gapmap/data"
	"github.com/xuri/excelize/v2"
)

// fuzzCtx keeps fuzzed inputs small and fast: the limits themselves are
// on the paths being fuzzed.
func fuzzCtx() context.Context {
	return WithLimits(context.Background(), Limits{MaxLineBytes: 64 << 10, MaxFieldBytes: 4 << 10,
		MaxDecompressedBytes: 8 << 20, RatioFloorBytes: 1 << 20})
}

// checkRead reads path with rd and checks the invariants every reader
// keeps on any input: no panic, every reported row ≥ 1, rows increasing,
// and every record passed on is valid.
func checkRead[T any](t *testing.T, rd reader[T], path string, valid func(T) string) {
	errs := &data.ValidationError{}
	last := 0
	err := rd(fuzzCtx(), path, errs, func(row int, v T) error {
		if row <= last {
			t.Fatalf("row %d after row %d", row, last)
		}
		last = row
		if msg := valid(v); msg != "" {
			t.Fatalf("row %d: invalid record passed on: %s: %+v", row, msg, v)
		}
		return nil
	})
	if err != nil && err != error(errs) {
		t.Fatalf("unexpected error type: %v", err)
	}
	for _, e := range errs.Errors {
		// Row 0 only for a problem with the whole file, which stops it.
		if e.Row < 0 || e.Row == 0 && len(errs.Errors) != 1 {
			t.Fatalf("error without row: %v", e)
		}
		if s := e.Error(); strings.ContainsAny(s, "\x00\x1b\r\n") {
			t.Fatalf("raw control character in %q", s)
		}
		if e.File != filepath.Base(path) {
			t.Fatalf("error with file %q", e.File)
		}
	}
}

func inVietnam(lat, lon float64) bool {
	return lat >= minLat && lat <= maxLat && lon >= minLon && lon <= maxLon
}

func validHousehold(h data.Household) string {
	switch {
	case h.ID == "" || !utf8.ValidString(h.ID) || strings.ContainsRune(h.ID, 0):
		return "id"
	case !inVietnam(h.Lat, h.Lon):
		return "location"
	case h.Members < 1 || h.Members > 100:
		return "members"
	case h.Precision != "gps" && h.Precision != "village" && h.Precision != "commune":
		return "precision"
	case h.Poverty != "poor" && h.Poverty != "near_poor" && h.Poverty != "none":
		return "poverty"
	}
	return ""
}

func validSchool(s data.School) string {
	switch {
	case s.ID == "" || s.Name == "":
		return "id/name"
	case !inVietnam(s.Lat, s.Lon):
		return "location"
	case s.Students < 0:
		return "students"
	}
	if _, ok := levelEnum().m[s.Level]; !ok || s.Level == "" {
		return "level"
	}
	return ""
}

func csvSeeds() []string {
	return []string{
		"household_id,lat,lon,area_code,location_precision,poverty,members\nH1,21.0285,105.8542,00004,gps,poor,4\n",
		bom + "Mã hộ;Vĩ độ;Kinh độ;Diện hộ\nH1;21,5;105,9;cận nghèo\nH1;abc;105;x\n",
		"household_id,lat,lon\n\"H1\nx\",21,105\n\"unterminated,21,105\n",
		"school_id,name,level,lat,lon,students\nS1,A,THCS,21,105,10\nS2,B,x,48.85,2.35,-1\nS3,C\n",
		"TITLE\n\n,,\nhousehold_id,lat,lon,members\nH,21,105,1e2\n",
		"\xff\xfeh\x00,\x00",
		"household_id,lat,lon\n'=H1,21,105\n''=H2,21,105\n",
		"",
		"\"",
		"a,b\r\r\n\r",
	}
}

func FuzzReadHouseholdsCSV(f *testing.F) {
	for _, s := range csvSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "households.csv")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		checkRead(t, ReadHouseholds, p, validHousehold)
	})
}

func FuzzReadSchoolsCSV(f *testing.F) {
	for _, s := range csvSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "schools.csv")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		checkRead(t, ReadSchools, p, validSchool)
	})
}

// FuzzReadXLSX writes fuzzed cell values (as text, or as numbers when they
// parse) under a households header, then reads the workbook.
func FuzzReadXLSX(f *testing.F) {
	f.Add("H1", "21.0285", "105.8542", "hộ nghèo", "4", "Mã hộ")
	f.Add("1001", "21.300000000000001", "105,9", "x", "1e2", "household_id")
	f.Add("=A1", "", "abc", "cận nghèo", "-1", "lat")
	f.Add("'=x", "48.85", "2.35", "", "101", "")
	f.Add("\x00\x01", "NaN", "Inf", "\xff", "0x10", "\ufeffMã hộ")
	f.Fuzz(func(t *testing.T, id, lat, lon, poverty, members, idHeader string) {
		for _, s := range []string{id, lat, lon, poverty, members, idHeader} {
			if len(s) > 1000 {
				t.Skip()
			}
		}
		p := filepath.Join(t.TempDir(), "households.xlsx")
		x := excelize.NewFile()
		header := []any{idHeader, "lat", "lon", "poverty", "members"}
		row := make([]any, 0, 5)
		for _, s := range []string{id, lat, lon, poverty, members} {
			if v, err := strconv.ParseFloat(s, 64); err == nil && len(s) < 30 {
				row = append(row, v)
			} else {
				row = append(row, s)
			}
		}
		if x.SetSheetRow("Sheet1", "A1", &header) != nil || x.SetSheetRow("Sheet1", "A2", &row) != nil ||
			x.SetSheetRow("Sheet1", "A4", &row) != nil || x.SaveAs(p) != nil {
			t.Skip("excelize cannot write these values")
		}
		x.Close()
		checkRead(t, ReadHouseholds, p, validHousehold)
	})
}

// FuzzCSVRoundTrip checks that any cell written by CSV.Write reads back
// (with encoding/csv and UnescapeCell, as the readers do) equal to what was
// written, except that "\r\n" inside a cell reads back as "\n"; and that no
// written cell starts like a formula.
func FuzzCSVRoundTrip(f *testing.F) {
	for _, s := range []string{"=cmd|'/C calc'!A0", "+1", "-2.5", "@SUM(A1)", "'=x", "''@", "a,b", "x\"y", "line\r\nbreak", "\r", "\t", "", "Trường", "\xff"} {
		f.Add(s, "x")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		var buf bytes.Buffer
		w, err := NewCSV(&buf, []string{"a", "b"})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write([]string{a, b}); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		text, ok := strings.CutPrefix(buf.String(), bom)
		if !ok {
			t.Fatal("no BOM")
		}
		r := csv.NewReader(strings.NewReader(text))
		recs, err := r.ReadAll()
		if err != nil {
			t.Fatalf("written CSV does not parse: %v\n%q", err, text)
		}
		if len(recs) != 2 || len(recs[1]) != 2 {
			t.Fatalf("got %q from %q", recs, text)
		}
		for i, want := range []string{a, b} {
			raw := recs[1][i]
			if raw != "" && strings.ContainsRune("=+-@\t\r", rune(raw[0])) && !isPlainNumber(raw) {
				t.Errorf("cell %q is written as %q, which Excel runs as a formula", want, raw)
			}
			if got := UnescapeCell(raw); got != strings.ReplaceAll(want, "\r\n", "\n") {
				t.Errorf("cell %q reads back as %q (raw %q)", want, got, raw)
			}
		}
	})
}

// FuzzReadGzip reads fuzzed bytes as a .csv.gz: as they are (the gzip
// reader and the decompression limits on garbage), or gzipped here (the CSV
// path under gzip, with every line end and encoding).
func FuzzReadGzip(f *testing.F) {
	for _, s := range csvSeeds() {
		f.Add([]byte(s), true)
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write([]byte(s))
		w.Close()
		f.Add(b.Bytes(), false)
		f.Add(b.Bytes()[:b.Len()/2], false)
	}
	f.Add([]byte("household_id,lat,lon\rH1,21,105\rH2,21,105\r"), true)
	f.Add([]byte("household_id,lat,lon,poverty\nH1,21,105,ngh\xe8o\n"), true)
	f.Add([]byte("\x1f\x8b\x08\x00\x00\x00\x00\x00"), false)
	f.Fuzz(func(t *testing.T, b []byte, compress bool) {
		if compress {
			var buf bytes.Buffer
			w := gzip.NewWriter(&buf)
			w.Write(b)
			w.Close()
			b = buf.Bytes()
		}
		p := filepath.Join(t.TempDir(), "households.csv.gz")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		checkRead(t, ReadHouseholds, p, validHousehold)
	})
}

// xlsxParts are the fixed parts of a one-sheet workbook.
func xlsxParts() map[string]string {
	return map[string]string{
		"[Content_Types].xml":        `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`,
		"_rels/.rels":                `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml":            `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Hộ" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
	}
}

func zipParts(t testing.TB, parts map[string][]byte) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/sharedStrings.xml", "xl/worksheets/sheet1.xml"} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(parts[name])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// FuzzReadXLSXParts fuzzes the sheet and shared-strings XML of a workbook
// (the scan for limits and formulas, then excelize).
func FuzzReadXLSXParts(f *testing.F) {
	sst := `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>household_id</t></si><si><t>lat</t></si><si><t>lon</t></si><si><r><t>H</t></r><r><t>1</t></r></si></sst>`
	ws := func(rows string) string {
		return `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` + rows + `</sheetData></worksheet>`
	}
	head := `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>`
	for _, rows := range []string{
		head + `<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2"><v>21</v></c><c r="C2"><v>105</v></c></row>`,
		head + `<row r="2"><c r="A2" t="inlineStr"><is><t>H2</t></is></c><c r="B2"><f>1+20</f></c><c r="C2"><f>1</f><v>105</v></c></row>`,
		head + `<row r="3"><c r="A3" t="s"><v>99</v></c><c r="B3"><f t="shared" si="0"/></c></row><row><c><v>1</v></c></row>`,
		head + `<row r="2"><c r="A2" t="str"><f>"a"</f><v></v></c><c r="B2"><v>21</v></c><c r="C2"><v>105</v></c></row>`,
		`<row r="1"><c r="A1"`,
		"",
	} {
		f.Add([]byte(ws(rows)), []byte(sst))
	}
	f.Add([]byte(ws(head)), []byte(`<sst><si><t>`+strings.Repeat("x", 5000)+`</t></si></sst>`))
	f.Fuzz(func(t *testing.T, sheet, strs []byte) {
		if len(sheet)+len(strs) > 1<<20 {
			t.Skip()
		}
		parts := make(map[string][]byte)
		for k, v := range xlsxParts() {
			parts[k] = []byte(v)
		}
		parts["xl/worksheets/sheet1.xml"] = sheet
		parts["xl/sharedStrings.xml"] = strs
		p := filepath.Join(t.TempDir(), "households.xlsx")
		if err := os.WriteFile(p, zipParts(t, parts), 0o644); err != nil {
			t.Fatal(err)
		}
		checkRead(t, ReadHouseholds, p, validHousehold)
	})
}

// FuzzReadXLSXFile reads fuzzed bytes as an .xlsx (the zip reader, the
// scan and excelize on broken packages).
func FuzzReadXLSXFile(f *testing.F) {
	x := excelize.NewFile()
	x.SetSheetRow("Sheet1", "A1", &[]any{"household_id", "lat", "lon", "poverty"})
	x.SetSheetRow("Sheet1", "A2", &[]any{"H1", 21.0285, 105.8542, "cận nghèo"})
	x.SetCellFormula("Sheet1", "B3", "=B2")
	if b, err := x.WriteToBuffer(); err == nil {
		f.Add(b.Bytes())
		f.Add(b.Bytes()[:b.Len()*2/3])
	}
	x.Close()
	f.Add([]byte("PK\x03\x04"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "households.xlsx")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		checkRead(t, ReadHouseholds, p, validHousehold)
	})
}
