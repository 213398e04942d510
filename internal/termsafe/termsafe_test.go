package termsafe

import (
	"bytes"
	"testing"
)

func TestLineAndText(t *testing.T) {
	cases := []struct{ in, line, text string }{
		{"Trường Tiểu học Đồng Tâm", "Trường Tiểu học Đồng Tâm", "Trường Tiểu học Đồng Tâm"},
		{"a\tb", "a\tb", "a\tb"},
		{"red \x1b[31mX\x1b[0m", `red \x1b[31mX\x1b[0m`, `red \x1b[31mX\x1b[0m`},
		{"nul\x00here", `nul\x00here`, `nul\x00here`},
		{"one\ntwo\r\n", `one\x0atwo\x0d\x0a`, "one\ntwo\\x0d\n"},
		{"title \x1b]0;pwned\x07", `title \x1b]0;pwned\x07`, `title \x1b]0;pwned\x07`},
		{"del\x7f", `del\x7f`, `del\x7f`},
		{"c1 \u009b31m \u0085", `c1 \u009b31m \u0085`, `c1 \u009b31m \u0085`},
		{"bad \xff\xfe byte \xe1\xba", `bad \xff\xfe byte \xe1\xba`, `bad \xff\xfe byte \xe1\xba`},
		{"bidi \u202egnp.exe \u2066x\u2069", `bidi \u202egnp.exe \u2066x\u2069`, `bidi \u202egnp.exe \u2066x\u2069`},
	}
	for _, c := range cases {
		if got := Line(c.in); got != c.line {
			t.Errorf("Line(%q) = %q, want %q", c.in, got, c.line)
		}
		if got := Text(c.in); got != c.text {
			t.Errorf("Text(%q) = %q, want %q", c.in, got, c.text)
		}
	}
}

// The Writer escapes what Text escapes, and keeps a UTF-8 sequence cut
// between two writes whole.
func TestWriter(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out)
	for _, p := range []string{"Tr\xe1\xba", "\xa7n \x1b[1mH\u01b0ng\n", "\xc2", "\x9b\n", "\xf0\x9f", "\x98\x80 ok\n", "\xff\n"} {
		n, err := w.Write([]byte(p))
		if err != nil || n != len(p) {
			t.Fatalf("Write(%q) = %d, %v", p, n, err)
		}
	}
	if got, want := out.String(), "Trần \\x1b[1mHưng\n\\u009b\n😀 ok\n\\xff\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
