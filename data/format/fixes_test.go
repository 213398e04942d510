package format

import "testing"

func TestParseBoolDash(t *testing.T) {
	if v, ok := parseBool("-"); !ok || v {
		t.Fatalf(`parseBool("-") = %v, %v; want false, true`, v, ok)
	}
}

func TestSniffDelimiterSkipsTitleLine(t *testing.T) {
	cases := map[string]rune{
		"DANH SÁCH TRƯỜNG HỌC\nMã trường;Tên trường;Vĩ độ\n": ';',
		"DANH SÁCH\n\nschool_id\tname\tlat\n":                '\t',
		"school_id,name,lat\n":                               ',',
		"Tiêu đề\n":                                          ',',
		"\"a;b\",c,d\n":                                      ',',
	}
	for in, want := range cases {
		if got := sniffDelimiter([]byte(in)); got != want {
			t.Errorf("sniffDelimiter(%q) = %q, want %q", in, got, want)
		}
	}
}
