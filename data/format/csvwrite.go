package format

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CSV writes a CSV file for Excel users: a UTF-8 byte-order mark (so Excel
// shows Vietnamese text correctly), a header row, then records, with every
// cell escaped by EscapeCell. It buffers its output; call Flush at the end.
// Lines end with "\n"; a cell containing "\r\n" reads back as "\n" (the
// CSV reader normalises line ends inside quoted cells).
type CSV struct {
	w    *csv.Writer
	n    int      // fields a record
	cell []string // escaped cells, reused
}

// NewCSV writes the byte-order mark and the header to w.
func NewCSV(w io.Writer, header []string) (*CSV, error) {
	if len(header) == 0 {
		return nil, fmt.Errorf("format: NewCSV needs a header")
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if _, err := bw.WriteString("\ufeff"); err != nil {
		return nil, err
	}
	c := &CSV{w: csv.NewWriter(bw), n: len(header), cell: make([]string, len(header))}
	if err := c.Write(header); err != nil {
		return nil, err
	}
	return c, nil
}

// Write writes one record; it must have as many fields as the header.
func (c *CSV) Write(record []string) error {
	if len(record) != c.n {
		return fmt.Errorf("format: CSV record has %d fields, header has %d", len(record), c.n)
	}
	for i, s := range record {
		c.cell[i] = EscapeCell(s)
	}
	return c.w.Write(c.cell)
}

// Flush writes buffered data and returns any error that happened while
// writing.
func (c *CSV) Flush() error {
	c.w.Flush()
	return c.w.Error()
}

// needsEscape reports whether Excel could run s as a formula (it starts
// with = + - @ tab or CR and is not a plain number such as -5.2), or s
// starts with the escape quote in front of such a value (so that escaping
// can be undone without ambiguity). A leading LF is escaped too: a cell
// starting with CR LF reads back starting with LF, and must still unescape.
func needsEscape(s string) bool {
	for len(s) > 0 {
		switch s[0] {
		case '=', '@', '\t', '\r', '\n':
			return true
		case '+', '-':
			return !isPlainNumber(s)
		case '\'':
			s = s[1:]
			continue
		}
		return false
	}
	return false
}

// EscapeCell makes a cell safe to open in Excel: a value that Excel would
// run as a formula (starting with = + - @, tab or carriage return, and not a
// plain number like -5.2 or +1) gets a leading apostrophe, which Excel
// treats as "this is text"; so does a value starting with a line feed. So that the escape can be undone exactly, a
// value that already starts with apostrophes followed by such a character
// gets one more. Other values are returned unchanged.
//
//	=cmd|'/C calc'!A0 → '=cmd|'/C calc'!A0
//	@SUM(A1)          → '@SUM(A1)
//	-2.5, +1          → unchanged
//	'=1               → ''=1
func EscapeCell(s string) string {
	if len(s) == 0 || !needsEscape(s) {
		return s
	}
	return "'" + s
}

// UnescapeCell undoes EscapeCell: UnescapeCell(EscapeCell(s)) == s for
// every s. The readers apply it to every cell. Written to CSV and read back
// with encoding/csv, a cell comes back as UnescapeCell(read) ==
// strings.ReplaceAll(s, "\r\n", "\n"): encoding/csv turns CR LF inside a
// quoted cell into LF.
func UnescapeCell(s string) string {
	if len(s) > 1 && s[0] == '\'' && needsEscape(s[1:]) {
		return s[1:]
	}
	return s
}

// AppendCSVField appends one cell as CSV.Write writes it: escaped by
// EscapeCell, then quoted as encoding/csv quotes (a cell holding a comma,
// a double quote, CR or LF, starting with a space, or `\.`). Writers that
// format rows into their own buffers (in parallel) use it with
// AppendCSVNumber and end each row with '\n'.
func AppendCSVField(b []byte, s string) []byte {
	s = EscapeCell(s)
	if !fieldNeedsQuotes(s) {
		return append(b, s...)
	}
	b = append(b, '"')
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			break
		}
		b = append(b, s[:i+1]...)
		b = append(b, '"')
		s = s[i+1:]
	}
	b = append(b, s...)
	return append(b, '"')
}

// AppendCSVNumber appends a cell that strconv.Append* has just written at
// b[start:] (a number), escaping it like AppendCSVField when it must be.
func AppendCSVNumber(b []byte, start int) []byte {
	if start < len(b) && (b[start] == '-' || b[start] == '+') {
		if s := string(b[start:]); needsEscape(s) {
			return AppendCSVField(b[:start], s)
		}
	}
	return b
}

// fieldNeedsQuotes is encoding/csv's rule for a comma-separated file.
func fieldNeedsQuotes(s string) bool {
	if s == "" {
		return false
	}
	if s == `\.` || strings.ContainsAny(s, "\n\r\",") {
		return true
	}
	r1, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r1)
}
