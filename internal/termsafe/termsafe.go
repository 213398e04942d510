// Package termsafe is the one sanitiser of what gapmap prints: text that
// came from a file (a value, a file name, a header) must not reach a
// terminal raw, where an ESC sequence could recolour, move the cursor,
// retitle the window or hide the lines above, and a NUL or CR could hide
// what follows.
package termsafe

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"
)

// sanitize escapes, in Go's notation:
//   - C0 controls (U+0000–U+001F) but tab and, when keepNewlines, line feed:
//     \x00, \x1b, \r, \n (inside a value) …
//   - DEL (U+007F) and the C1 controls (U+0080–U+009F; 0x9b is a CSI on
//     8-bit terminals): \x7f, \u009b
//   - bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069),
//     which reorder what the terminal shows: \u202e
//   - bytes that are not UTF-8: \xff
//
// Everything else, Vietnamese text included, is unchanged.
func sanitize(s string, keepNewlines bool) string {
	if clean(s, keepNewlines) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n' && keepNewlines, r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// Line makes s safe to print as one line (a value, a file name): controls
// are escaped (see sanitize), line feeds included.
func Line(s string) string { return sanitize(s, false) }

// Text makes s safe to print as text of several lines: controls are
// escaped, line feeds between the lines kept.
func Text(s string) string { return sanitize(s, true) }

func unsafeRune(r rune) bool {
	return (r >= 0x80 && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// clean reports that sanitize would return s unchanged.
func clean(s string, keepNewlines bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return cleanUTF8(s[i:])
		}
		if (c < 0x20 && c != '\t' && !(c == '\n' && keepNewlines)) || c == 0x7f {
			return false
		}
	}
	return true
}

func cleanUTF8(s string) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n <= 1) || r < 0x20 && r != '\t' && r != '\n' || r == 0x7f || unsafeRune(r) {
			return false
		}
		i += n
	}
	return true
}

// Writer passes what is written through Text: every line the CLI writes
// to stderr (errors, warnings, logs) goes through it. A UTF-8 sequence cut
// between two writes is held until the next one.
type Writer struct {
	mu   sync.Mutex
	w    io.Writer
	tail []byte // an incomplete UTF-8 sequence at the end of the last write
}

// NewWriter returns a Writer writing to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write writes p sanitised; it returns len(p) on success.
func (s *Writer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	buf := append(s.tail, p...)
	s.tail = nil
	// Hold back an incomplete (but so far valid) UTF-8 sequence at the end.
	if k := incompleteTail(buf); k > 0 {
		s.tail = append([]byte(nil), buf[len(buf)-k:]...)
		buf = buf[:len(buf)-k]
	}
	if _, err := io.WriteString(s.w, Text(string(buf))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// incompleteTail is the length of a UTF-8 sequence started but not finished
// at the end of b (0 when none).
func incompleteTail(b []byte) int {
	for k := 1; k <= 3 && k <= len(b); k++ {
		c := b[len(b)-k]
		if c < 0x80 {
			return 0
		}
		if c >= 0xc0 { // a leading byte
			need := 2
			switch {
			case c >= 0xf0:
				need = 4
			case c >= 0xe0:
				need = 3
			}
			if need > k && !utf8.FullRune(b[len(b)-k:]) {
				return k
			}
			return 0
		}
	}
	return 0
}
