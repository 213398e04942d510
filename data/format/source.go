package format

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/gapmap/gapmap/data"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// rowSource yields the records of a table file with their spreadsheet row
// numbers (1-based, blank lines counted as Excel shows them). The record
// slice may be reused by the next call.
type rowSource interface {
	next() (rec []string, row int, err error)
	close() error
}

// errUser is a problem with a whole file, worded for the user.
type errUser struct{ reason string }

func (e *errUser) Error() string { return e.reason }

func userErr(format string, args ...any) error { return &errUser{fmt.Sprintf(format, args...)} }

// tableExt returns the table format of path: ".csv", ".csv.gz" or ".xlsx".
func tableExt(path string) string {
	base := strings.ToLower(filepath.Base(path))
	switch {
	case strings.HasSuffix(base, ".csv.gz"):
		return ".csv.gz"
	case strings.HasSuffix(base, ".csv"), strings.HasSuffix(base, ".txt"):
		return ".csv"
	case strings.HasSuffix(base, ".xlsx"), strings.HasSuffix(base, ".xlsm"):
		return ".xlsx"
	}
	return filepath.Ext(base)
}

// fileRef is a file to read: a path, or a reader with its file name (an
// upload). The name's extension picks the format; errors name its base.
type fileRef struct {
	path string    // path, or the uploaded file's name
	r    io.Reader // nil: open path
}

func (f fileRef) name() string { return filepath.Base(f.path) }

// open returns the reader of f and its closer.
func (f fileRef) open() (io.Reader, func() error, error) {
	if f.r != nil {
		return f.r, func() error { return nil }, nil
	}
	fh, err := os.Open(f.path)
	if err != nil {
		return nil, nil, openErr(err)
	}
	return fh, fh.Close, nil
}

// openSource opens a CSV or XLSX table. Remarks that do not stop the
// reading (the encoding assumed) are added to errs as warnings.
func openSource(ref fileRef, lim Limits, errs *data.ValidationError) (rowSource, bool, error) {
	switch ext := tableExt(ref.path); ext {
	case ".csv", ".csv.gz":
		s, err := openCSV(ref, ext == ".csv.gz", lim, errs)
		return s, false, err
	case ".xlsx":
		s, err := openXLSX(ref, lim, errs)
		return s, true, err
	case ".xls":
		return nil, false, userErr("old Excel 97-2003 files (.xls) are not read: open the file in Excel and save it as .xlsx or as 'CSV UTF-8'")
	case ".geojson", ".json":
		return nil, false, userErr("this is a GeoJSON file but a table is expected here: use .csv or .xlsx")
	default:
		return nil, false, userErr("unknown file type %q: use .csv (UTF-8) or .xlsx", data.SafeText(ext))
	}
}

func openErr(err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return userErr("file not found")
	}
	if errors.Is(err, os.ErrPermission) {
		return userErr("cannot open the file: permission denied")
	}
	return userErr("cannot open the file: %v", err)
}

// csvSource reads CSV with encoding/csv.
type csvSource struct {
	closeF  func() error
	gz      *gzip.Reader
	cr      *csv.Reader
	br      *bufio.Reader // what cr reads
	ll      *lineLimit
	row     int // spreadsheet row of the last record
	prevEnd int // line on which the last record ended
}

// openCSV opens a CSV file. It skips a UTF-8 byte-order mark and decodes
// UTF-16 (Excel's "Unicode text"), with a BOM or recognised by its zero
// bytes. Otherwise the file is UTF-8, unless it reads as Windows-1258 as a
// whole (what Excel's plain "CSV" writes on a Vietnamese Windows: no valid
// multi-byte UTF-8 sequence, bytes that are Vietnamese letters in
// Windows-1258); the whole file decides when it can be read twice, else its
// first 64 KiB. An assumed encoding is reported as a warning. Line ends may
// be LF, CRLF or CR alone. The separator is the most frequent of , ; and
// tab on the first line (Excel uses ; where the decimal separator is a
// comma).
func openCSV(ref fileRef, gz bool, lim Limits, errs *data.ValidationError) (*csvSource, error) {
	f, closeF, err := ref.open()
	if err != nil {
		return nil, err
	}
	s := &csvSource{closeF: closeF}
	file := ref.name()
	r := f
	if gz {
		cr := &countReader{r: f}
		if s.gz, err = gzip.NewReader(bufio.NewReaderSize(cr, 1<<16)); err != nil {
			closeF()
			return nil, userErr("cannot read the gzip file: %v", err)
		}
		r = &inflateLimit{r: s.gz, compressed: func() int64 { return cr.n }, lim: lim, what: "the .csv.gz file"}
	}
	const peek = 64 << 10
	br := bufio.NewReaderSize(r, peek)
	head, _ := br.Peek(peek)
	warn := func(reason string) {
		errs.Warn(data.FieldError{File: file, Reason: reason})
	}
	var dec io.Reader
	switch {
	case bytes.HasPrefix(head, []byte("\xef\xbb\xbf")):
		_, _ = br.Discard(3)
	case bytes.HasPrefix(head, []byte("\xff\xfe")), bytes.HasPrefix(head, []byte("\xfe\xff")):
		dec = transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder())
	case utf16Order(head) == "le":
		dec = transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder())
		warn("the file has no byte-order mark but its zero bytes show UTF-16 little-endian (Excel's 'Unicode Text'): it was read as UTF-16; save it as 'CSV UTF-8' to be sure")
	case utf16Order(head) == "be":
		dec = transform.NewReader(br, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewDecoder())
		warn("the file has no byte-order mark but its zero bytes show UTF-16 big-endian: it was read as UTF-16; save it as 'CSV UTF-8' to be sure")
	default:
		var st encStats
		st.add(completeRunes(head, len(head) == peek), true)
		if st.multi == 0 && (st.invalid > 0 || len(head) == peek) {
			// The start does not decide: read the whole file when it can be
			// read twice.
			if whole, ok := wholeStats(ref, gz); ok {
				st = whole
			}
		}
		if st.cp1258() {
			dec = transform.NewReader(br, transform.Chain(charmap.Windows1258.NewDecoder(), norm.NFC))
			warn("the file is not UTF-8: it was read as Windows-1258 (what Excel's plain 'CSV' writes on Vietnamese Windows); check that the names read correctly, and save the file as 'CSV UTF-8' to be sure")
		}
	}
	if dec != nil {
		br = bufio.NewReaderSize(dec, peek)
		head, _ = br.Peek(peek)
	}
	var text io.Reader = br
	if crOnly(head) {
		text = &crToLF{r: br}
	}
	s.ll = &lineLimit{r: text, max: lim.MaxLineBytes, slack: peek}
	s.br = bufio.NewReaderSize(s.ll, peek)
	head, _ = s.br.Peek(peek)
	cr := csv.NewReader(s.br)
	cr.Comma = sniffDelimiter(head)
	cr.LazyQuotes = true
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	s.cr = cr
	return s, nil
}

// wholeStats counts the encoding evidence of the whole file when it is a
// file on disk, or an upload that can seek (it is then rewound).
func wholeStats(ref fileRef, gz bool) (encStats, bool) {
	if gz {
		return encStats{}, false
	}
	if ref.r == nil {
		f, err := os.Open(ref.path)
		if err != nil {
			return encStats{}, false
		}
		defer f.Close()
		st, err := scanEncoding(f)
		return st, err == nil
	}
	return encStats{}, false
}

// completeRunes drops an incomplete UTF-8 sequence cut at the end of a
// truncated buffer.
func completeRunes(b []byte, truncated bool) []byte {
	if !truncated {
		return b
	}
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return b[:i]
			}
			break
		}
	}
	return b
}

// sniffDelimiter picks the separator of the first line that has one, so a
// title line without separators above the header does not decide.
func sniffDelimiter(head []byte) rune {
	for len(head) > 0 {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		if d, ok := lineDelimiter(line); ok {
			return d
		}
	}
	return ','
}

func lineDelimiter(line []byte) (rune, bool) {
	var comma, semi, tab int
	quoted := false
	for _, c := range line {
		switch c {
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				comma++
			}
		case ';':
			if !quoted {
				semi++
			}
		case '\t':
			if !quoted {
				tab++
			}
		}
	}
	switch {
	case comma+semi+tab == 0:
		return 0, false
	case semi > comma && semi >= tab:
		return ';', true
	case tab > comma && tab > semi:
		return '\t', true
	}
	return ',', true
}

func (s *csvSource) next() ([]string, int, error) {
	rec, err := s.cr.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			s.row += pe.StartLine - s.prevEnd
			s.prevEnd = pe.Line
			s.ll.reset(s.br.Buffered())
			return nil, s.row, err
		}
		var le *LimitError
		if errors.As(err, &le) && le.Line > 0 && !le.record {
			return nil, s.row + max(le.Line-s.prevEnd, 1), err
		}
		return nil, s.row + 1, err
	}
	s.ll.reset(s.br.Buffered())
	line, _ := s.cr.FieldPos(0)
	last, _ := s.cr.FieldPos(len(rec) - 1)
	s.row += line - s.prevEnd
	s.prevEnd = last + strings.Count(rec[len(rec)-1], "\n")
	return rec, s.row, nil
}

func (s *csvSource) close() error {
	if s.gz != nil {
		s.gz.Close()
	}
	return s.closeF()
}

// xlsxSource streams the first sheet of a workbook with excelize's Rows
// iterator. Cells are read raw (without number formats) so a coordinate
// shown as "21.03" but stored as 21.0285 reads as 21.0285, and whole
// numbers stored as numbers (ids like 1001) read as "1001". The workbook is
// scanned first (see scanXLSX) for the limits and for formulas without a
// saved value.
type xlsxSource struct {
	f    *excelize.File
	rows *excelize.Rows
	row  int
	opts excelize.Options
	scan *xlsxScan
}

func openXLSX(ref fileRef, lim Limits, errs *data.ValidationError) (src *xlsxSource, err error) {
	defer func() {
		// excelize is a large parser of untrusted input: a panic in it is
		// a file that cannot be read, not a crash of the service.
		if p := recover(); p != nil {
			src, err = nil, userErr("cannot read the workbook (%v): open it in Excel and save it again as .xlsx", p)
		}
	}()
	var ra interface {
		io.ReaderAt
		io.Reader
	}
	var size int64
	if ref.r != nil {
		b, err := io.ReadAll(io.LimitReader(ref.r, lim.MaxDecompressedBytes+1))
		if err != nil {
			return nil, userErr("cannot read the upload: %v", err)
		}
		ra, size = bytes.NewReader(b), int64(len(b))
	} else {
		fh, err := os.Open(ref.path)
		if err != nil {
			return nil, openErr(err)
		}
		defer fh.Close()
		st, err := fh.Stat()
		if err != nil {
			return nil, openErr(err)
		}
		ra, size = fh, st.Size()
	}
	scan := scanXLSX(ra, size, lim)
	if scan != nil && scan.limit != nil {
		return nil, &rowLimitError{LimitError: scan.limit, row: scan.limitRow}
	}
	xopts := excelize.Options{UnzipSizeLimit: lim.MaxDecompressedBytes}
	var f *excelize.File
	if ref.r != nil {
		f, err = excelize.OpenReader(io.NewSectionReader(ra, 0, size), xopts)
	} else {
		f, err = excelize.OpenFile(ref.path, xopts)
	}
	if err != nil {
		if errors.Is(err, excelize.ErrWorkbookFileFormat) || strings.Contains(err.Error(), "zip") {
			return nil, userErr("not a valid .xlsx workbook (%v): open it in Excel and save it again as .xlsx", err)
		}
		return nil, userErr("cannot open the workbook: %v", err)
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		f.Close()
		return nil, userErr("the workbook has no sheet")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		f.Close()
		return nil, userErr("cannot read sheet %q: %v", sheets[0], err)
	}
	if scan != nil && scan.sheet == "" {
		scan.sheet = sheets[0]
	}
	return &xlsxSource{f: f, rows: rows, opts: excelize.Options{RawCellValue: true}, scan: scan}, nil
}

// rowLimitError is a LimitError found at a row of the sheet (0: unknown).
type rowLimitError struct {
	*LimitError
	row int
}

func (s *xlsxSource) next() (rec []string, row int, err error) {
	defer func() {
		if p := recover(); p != nil {
			rec, row, err = nil, s.row, fmt.Errorf("the workbook cannot be read (%v)", p)
		}
	}()
	if !s.rows.Next() {
		if err := s.rows.Error(); err != nil {
			return nil, s.row + 1, err
		}
		return nil, s.row, io.EOF
	}
	s.row++
	cols, err := s.rows.Columns(s.opts)
	if err != nil {
		return nil, s.row, err
	}
	return cols, s.row, nil
}

// formulaCols returns the 0-based columns of row holding a formula without
// a saved value.
func (s *xlsxSource) formulaCols(row int) []int {
	if s.scan == nil {
		return nil
	}
	return s.scan.formulas[row]
}

func (s *xlsxSource) close() error {
	err := s.rows.Close()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	return err
}
