package format

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// An .xlsx file is a zip of XML parts. Before excelize opens it (excelize
// holds the shared strings and a cell's text in memory whole), scanXLSX
// streams every part once, in bounded memory, and checks the Limits: the
// decompressed size and ratio, the length of every cell's text and of every
// XML tag. On the first sheet it also finds the formula cells without a
// saved value (excelize would read them as empty).

// xlsxScan is what the scan found.
type xlsxScan struct {
	sheet    string        // name of the first sheet
	formulas map[int][]int // row → 0-based columns of formula cells without a value
	nFormula int
	limit    *LimitError // first limit exceeded, with its place
	limitRow int
}

// maxFormulaCells bounds the formula cells remembered.
const maxFormulaCells = 10000

// scanXLSX scans the workbook in ra. A zip it cannot read gives (nil,
// nil): excelize then reports the problem.
func scanXLSX(ra io.ReaderAt, size int64, lim Limits) *xlsxScan {
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return nil
	}
	sc := &xlsxScan{formulas: make(map[int][]int)}
	var declared uint64
	for _, f := range zr.File {
		declared += f.UncompressedSize64
	}
	if declared > uint64(lim.MaxDecompressedBytes) {
		sc.limit = &LimitError{Name: "MaxDecompressedBytes", Max: lim.MaxDecompressedBytes,
			Reason: "the workbook is larger than " + byteSize(lim.MaxDecompressedBytes) + " once decompressed"}
		return sc
	}
	byName := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		byName[strings.TrimPrefix(f.Name, "/")] = f
	}
	sheetPart := ""
	sc.sheet, sheetPart = firstSheet(byName)
	// Shared strings first, so the sheet can name the cell that uses an
	// oversized one; then the first sheet; then the rest.
	order := make([]*zip.File, 0, len(zr.File))
	var sst *zip.File
	for _, name := range []string{"xl/sharedStrings.xml", sheetPart} {
		if f, ok := byName[name]; ok && name != "" {
			order = append(order, f)
			if name == "xl/sharedStrings.xml" {
				sst = f
			}
		}
	}
	for _, f := range zr.File {
		if f != sst && strings.TrimPrefix(f.Name, "/") != sheetPart {
			order = append(order, f)
		}
	}
	var total int64
	big := make(map[int]int64) // shared string index → its length
	for _, f := range order {
		name := strings.TrimPrefix(f.Name, "/")
		x := &xmlScan{lim: lim, sheet: name == sheetPart, sst: f == sst, sc: sc, big: big, si: -1}
		rc, err := f.Open()
		if err != nil {
			continue // excelize will say what is wrong
		}
		buf := make([]byte, 32<<10)
		for sc.limit == nil {
			n, err := rc.Read(buf)
			total += int64(n)
			if le := checkInflate(total, size, lim, "the workbook"); le != nil {
				sc.limit = le.(*LimitError)
				break
			}
			if strings.HasSuffix(name, ".xml") || strings.HasSuffix(name, ".rels") {
				x.feed(buf[:n])
			}
			if err != nil || x.stop {
				break
			}
		}
		rc.Close()
		if sc.limit == nil && x.sheet && len(big) > 0 {
			// An oversized shared string no cell of the first sheet uses:
			// excelize would still hold it in memory.
			sc.limit = &LimitError{Name: "MaxFieldBytes", Max: lim.MaxFieldBytes,
				Reason: "a text cell of the workbook (on another sheet) holds more than " + byteSize(lim.MaxFieldBytes)}
		}
		if sc.limit != nil {
			if sc.limit.Reason == "" {
				sc.limit.Reason = "part " + name + " of the workbook has an XML tag longer than " + byteSize(sc.limit.Max)
			}
			return sc
		}
	}
	if len(big) > 0 {
		sc.limit = &LimitError{Name: "MaxFieldBytes", Max: lim.MaxFieldBytes,
			Reason: "a text cell of the workbook holds more than " + byteSize(lim.MaxFieldBytes)}
	}
	return sc
}

// firstSheet returns the name and the part of the workbook's first sheet.
func firstSheet(files map[string]*zip.File) (string, string) {
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	var rels struct {
		Rel []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if readSmallXML(files["xl/workbook.xml"], &wb) != nil || len(wb.Sheets) == 0 {
		return "", "xl/worksheets/sheet1.xml"
	}
	first := wb.Sheets[0]
	if readSmallXML(files["xl/_rels/workbook.xml.rels"], &rels) == nil {
		for _, r := range rels.Rel {
			if r.ID == first.RID {
				t := r.Target
				if strings.HasPrefix(t, "/") {
					return first.Name, strings.TrimPrefix(t, "/")
				}
				return first.Name, path.Join("xl", t)
			}
		}
	}
	return first.Name, "xl/worksheets/sheet1.xml"
}

// readSmallXML decodes a part of at most 16 MiB.
func readSmallXML(f *zip.File, v any) error {
	if f == nil {
		return errors.New("missing")
	}
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return xml.NewDecoder(io.LimitReader(rc, 16<<20)).Decode(v)
}

// xmlScan is a tokenizer that only splits text from tags: enough to
// measure them and to follow rows, cells, formulas and shared strings.
type xmlScan struct {
	lim        Limits
	sc         *xlsxScan
	sheet, sst bool
	big        map[int]int64

	inTag   bool
	tag     []byte // the first bytes of the current tag
	tagLen  int64
	textLen int64
	text    []byte // the first bytes of the current text

	row         int
	cell        string // A1 reference of the open cell
	inCell      bool
	hasF, hasV  bool
	shared, inV bool
	si          int // shared strings: index of the open <si>, -1 before
	siLen       int64
	stop        bool // the rest of the part is not needed
}

func (x *xmlScan) feed(b []byte) {
	for len(b) > 0 && x.sc.limit == nil {
		if x.inTag {
			i := bytes.IndexByte(b, '>')
			part := b
			if i >= 0 {
				part = b[:i]
			}
			x.tagLen += int64(len(part))
			if len(x.tag) < 256 {
				x.tag = append(x.tag, part[:min(len(part), 256-len(x.tag))]...)
			}
			if x.tagLen > x.lim.MaxLineBytes {
				x.sc.limit = &LimitError{Name: "MaxLineBytes", Max: x.lim.MaxLineBytes}
				return
			}
			if i < 0 {
				return
			}
			x.endTag()
			b = b[i+1:]
			continue
		}
		i := bytes.IndexByte(b, '<')
		part := b
		if i >= 0 {
			part = b[:i]
		}
		x.textLen += int64(len(part))
		if x.sst && x.si >= 0 {
			x.siLen += int64(len(part))
		}
		if len(x.text) < 32 {
			x.text = append(x.text, part[:min(len(part), 32-len(x.text))]...)
		}
		switch {
		case x.sst && x.si >= 0 && x.siLen > x.lim.MaxFieldBytes:
			// Reported on the cell that uses it; the rest of the shared
			// strings is not read.
			x.big[x.si] = x.siLen
			x.stop = true
			return
		case x.sst:
		case x.sheet && x.textLen > x.lim.MaxFieldBytes:
			x.tooLong()
			return
		case !x.sheet && x.textLen > x.lim.MaxLineBytes:
			x.sc.limit = &LimitError{Name: "MaxLineBytes", Max: x.lim.MaxLineBytes,
				Reason: "the workbook has a part holding a text of more than " + byteSize(x.lim.MaxLineBytes)}
			return
		}
		if i < 0 {
			return
		}
		x.endText()
		x.inTag, x.tag, x.tagLen = true, x.tag[:0], 0
		b = b[i+1:]
	}
}

// tooLong reports a cell (or shared string) past MaxFieldBytes.
func (x *xmlScan) tooLong() {
	max := x.lim.MaxFieldBytes
	le := &LimitError{Name: "MaxFieldBytes", Max: max}
	switch {
	case x.sheet && x.cell != "":
		le.Reason = fmt.Sprintf("cell %s of sheet %q holds more than %s of text", x.cell, x.sc.sheet, byteSize(max))
		x.sc.limitRow = x.row
	default:
		le.Reason = fmt.Sprintf("sheet %q holds a text of more than %s", x.sc.sheet, byteSize(max))
		x.sc.limitRow = x.row
	}
	x.sc.limit = le
}

func (x *xmlScan) endText() {
	if x.sheet && x.inV && x.shared {
		if n, err := strconv.Atoi(strings.TrimSpace(string(x.text))); err == nil {
			if _, ok := x.big[n]; ok {
				x.sc.limit = &LimitError{Name: "MaxFieldBytes", Max: x.lim.MaxFieldBytes,
					Reason: fmt.Sprintf("cell %s of sheet %q holds more than %s of text", x.cell, x.sc.sheet, byteSize(x.lim.MaxFieldBytes))}
				x.sc.limitRow = x.row
			}
		}
	}
	x.textLen, x.text = 0, x.text[:0]
}

// tagName returns the local name of a tag ("c", "/c", "x:row") and whether
// it closes itself.
func tagName(t []byte) (name string, closing, self bool) {
	if len(t) > 0 && t[0] == '/' {
		closing = true
		t = t[1:]
	}
	self = len(t) > 0 && t[len(t)-1] == '/'
	end := bytes.IndexAny(t, " \t\r\n/")
	if end < 0 {
		end = len(t)
	}
	n := t[:end]
	if i := bytes.IndexByte(n, ':'); i >= 0 {
		n = n[i+1:]
	}
	return string(n), closing, self
}

// attr returns the value of attribute a in tag t ("" if absent).
func attr(t []byte, a string) string {
	for i := 0; ; {
		j := bytes.Index(t[i:], []byte(a+`="`))
		if j < 0 {
			return ""
		}
		j += i
		if j == 0 || t[j-1] == ' ' || t[j-1] == '\t' || t[j-1] == '\n' || t[j-1] == '\r' {
			rest := t[j+len(a)+2:]
			if k := bytes.IndexByte(rest, '"'); k >= 0 {
				return string(rest[:k])
			}
			return string(rest)
		}
		i = j + 1
	}
}

func (x *xmlScan) endTag() {
	x.inTag = false
	name, closing, self := tagName(x.tag)
	switch {
	case x.sst && name == "si" && !closing:
		x.si++
		x.siLen = 0
	case !x.sheet:
	case name == "row" && !closing:
		if r, err := strconv.Atoi(attr(x.tag, "r")); err == nil {
			x.row = r
		} else {
			x.row++
		}
	case name == "c" && !closing:
		x.cell = attr(x.tag, "r")
		x.shared = attr(x.tag, "t") == "s"
		x.inCell, x.hasF, x.hasV = !self, false, false
	case name == "c" && closing:
		x.closeCell()
	case name == "f" && x.inCell && !closing:
		x.hasF = true
	case (name == "v" || name == "is") && x.inCell && !closing:
		x.hasV = true
		x.inV = name == "v" && !self
	case name == "v" && closing:
		x.inV = false
	}
}

// closeCell records a formula cell without a saved value.
func (x *xmlScan) closeCell() {
	x.inCell, x.inV = false, false
	if !x.hasF || x.hasV {
		return
	}
	x.sc.nFormula++
	if x.sc.nFormula > maxFormulaCells {
		return
	}
	col, row, err := excelize.CellNameToCoordinates(x.cell)
	if err != nil {
		return
	}
	x.sc.formulas[row] = append(x.sc.formulas[row], col-1)
}

// formulaReason explains a formula cell without a saved value.
func formulaReason(sheet string, row, col int) string {
	ref, _ := excelize.CoordinatesToCellName(col+1, row)
	letters := strings.TrimRight(ref, "0123456789")
	return fmt.Sprintf("cell %s (sheet %q, row %d, column %s) holds a formula without a saved value, so its value is unknown: "+
		"open the file in Excel or LibreOffice, let it calculate and save it again (or copy the cells and paste them as values)",
		ref, sheet, row, letters)
}
