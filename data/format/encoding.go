package format

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// encStats counts what the bytes of a file say about its encoding.
type encStats struct {
	multi   int // valid multi-byte UTF-8 sequences
	invalid int // bytes that are not UTF-8
	undef   int // of those, bytes Windows-1258 does not define
	letters int // of those, bytes 0xC0–0xFF (Vietnamese letters and tone marks in Windows-1258)
}

// cp1258Undefined are the bytes Windows-1258 leaves undefined.
func cp1258Undefined(c byte) bool {
	switch c {
	case 0x81, 0x8A, 0x8D, 0x8E, 0x8F, 0x90, 0x9A, 0x9D, 0x9E:
		return true
	}
	return false
}

// add counts b; when final is false, an incomplete sequence at the end is
// not counted and its length is returned (to be passed again).
func (s *encStats) add(b []byte, final bool) int {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			i++
			continue
		}
		if !final && !utf8.FullRune(b[i:]) {
			return len(b) - i
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			s.invalid++
			if cp1258Undefined(c) {
				s.undef++
			}
			if c >= 0xC0 {
				s.letters++
			}
		} else {
			s.multi++
		}
		i += n
	}
	return 0
}

// cp1258 reports whether the bytes read as Windows-1258 as a whole: not a
// single valid multi-byte UTF-8 sequence, bytes that are not UTF-8, all of
// them defined in Windows-1258 and some of them Vietnamese letters.
func (s *encStats) cp1258() bool {
	return s.multi == 0 && s.invalid > 0 && s.undef == 0 && s.letters > 0
}

// scanEncoding counts the whole of r.
func scanEncoding(r io.Reader) (encStats, error) {
	var s encStats
	buf := make([]byte, 64<<10)
	keep := 0
	for {
		n, err := r.Read(buf[keep:])
		n += keep
		if err == io.EOF {
			s.add(buf[:n], true)
			return s, nil
		}
		if err != nil {
			return s, err
		}
		keep = s.add(buf[:n], false)
		copy(buf, buf[n-keep:n])
	}
}

// utf16Order guesses UTF-16 without a byte-order mark from the zero bytes
// of head: text in UTF-16 little-endian has a zero at most odd positions
// (ASCII and the Latin letters) and almost none at even ones. It returns
// "le", "be" or "".
func utf16Order(head []byte) string {
	n := min(len(head), 4096) &^ 1
	if n < 8 {
		return ""
	}
	var even, odd int
	for i := 0; i < n; i += 2 {
		if head[i] == 0 {
			even++
		}
		if head[i+1] == 0 {
			odd++
		}
	}
	pairs := n / 2
	switch {
	case odd*3 > pairs && even*50 < pairs:
		return "le"
	case even*3 > pairs && odd*50 < pairs:
		return "be"
	}
	return ""
}

// crOnly reports whether the first line break in head is a lone CR (old
// Mac OS line ends, also written by some Excel for Mac versions).
func crOnly(head []byte) bool {
	i := bytes.IndexAny(head, "\r\n")
	return i >= 0 && head[i] == '\r' && (i+1 == len(head) || head[i+1] != '\n')
}

// crToLF turns every CR not followed by LF into LF.
type crToLF struct {
	r       io.Reader
	pending bool // the last byte passed was a CR turned into LF
}

func (c *crToLF) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i := 0; i < n; i++ {
		switch p[i] {
		case '\r':
			p[i] = '\n'
			c.pending = true
		case '\n':
			if c.pending {
				// "\r\n" in a CR file: the LF was already given as the CR.
				copy(p[i:], p[i+1:n])
				n--
				i--
			}
			c.pending = false
		default:
			c.pending = false
		}
	}
	return n, err
}

// badByte describes the first byte of s that is not valid UTF-8 or is
// NUL, with its 1-based position in the value; "" when there is none.
func badByte(s string) string {
	if strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) {
		return ""
	}
	for i := 0; i < len(s); {
		if s[i] == 0 {
			return fmt.Sprintf("the value contains a NUL byte (\\x00) at byte %d (a file saved as UTF-16, Excel's 'Unicode Text', shows this): correct it, or save the file as 'CSV UTF-8'", i+1)
		}
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return fmt.Sprintf("byte 0x%02X at byte %d is not valid UTF-8: the rest of the file is read as UTF-8, so this value cannot be; correct it, or save the whole file as 'CSV UTF-8'", s[i], i+1)
		}
		i += n
	}
	return ""
}
