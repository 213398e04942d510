package format

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// normKey normalises a header or an enum value for matching: it drops a
// byte-order mark, applies NFC, lower-cases, turns runs of spaces,
// underscores, hyphens and dots into one space and trims. "Mã_Trường",
// "mã  trường" and "MÃ TRƯỜNG" (composed or decomposed) give "mã trường".
func normKey(s string) string {
	s = strings.TrimPrefix(s, "\ufeff")
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if !ascii {
		s = norm.NFC.String(s)
	}
	s = strings.ToLower(s)
	var b strings.Builder
	b.Grow(len(s))
	pending := false
	for _, r := range s {
		if unicode.IsSpace(r) || r == '_' || r == '-' || r == '.' || r == '\ufeff' {
			pending = b.Len() > 0
			continue
		}
		if pending {
			b.WriteByte(' ')
			pending = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// foldKey removes Vietnamese diacritics from a normalised key ("mã trường"
// → "ma truong") so headers typed without accents still match.
func foldKey(k string) string {
	ascii := true
	for i := 0; i < len(k); i++ {
		if k[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return k
	}
	var b strings.Builder
	b.Grow(len(k))
	for _, r := range norm.NFD.String(k) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'đ' || r == 'Đ':
			b.WriteByte('d')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// enum maps accepted spellings of a closed set of values to the canonical
// value. It is built once per file read.
type enum struct {
	field   string            // canonical field name, for messages
	values  []string          // canonical values, for messages
	hint    string            // other accepted spellings, for messages
	m       map[string]string // raw canonical, normKey and foldKey forms
	allowed string            // values joined, for messages
}

// newEnum builds an enum; aliases maps each canonical value to its other
// spellings. An exact (accented) spelling wins over a folded one; a folded
// spelling that could mean two values is not accepted.
func newEnum(field string, values []string, aliases map[string][]string, hint string) *enum {
	e := &enum{field: field, values: values, hint: hint, m: make(map[string]string)}
	var folded [][2]string
	add := func(spelling, canon string) {
		k := normKey(spelling)
		e.m[spelling] = canon
		e.m[k] = canon
		folded = append(folded, [2]string{foldKey(k), canon})
	}
	for _, v := range values {
		add(v, v)
		for _, a := range aliases[v] {
			add(a, v)
		}
	}
	byFold := make(map[string]string)
	for _, f := range folded {
		if prev, ok := byFold[f[0]]; ok && prev != f[1] {
			byFold[f[0]] = "" // ambiguous without accents: not guessed
			continue
		}
		byFold[f[0]] = f[1]
	}
	for k, v := range byFold {
		if _, ok := e.m[k]; !ok && v != "" {
			e.m[k] = v
		}
	}
	e.allowed = strings.Join(values, ", ")
	return e
}

// lookup returns the canonical value for s (already trimmed). Only an
// accepted spelling written exactly may start or end with a sign or a
// punctuation mark ("-" for none): normalising never drops them, so "-1"
// is not 1 and "_x" is not x.
func (e *enum) lookup(s string) (string, bool) {
	if v, ok := e.m[s]; ok {
		return v, true
	}
	if strayPunct(s) {
		return "", false
	}
	k := normKey(s)
	if v, ok := e.m[k]; ok {
		return v, true
	}
	v, ok := e.m[foldKey(k)]
	return v, ok
}

// reason explains a rejected value.
func (e *enum) reason(s string) string {
	r := e.field + " " + strconv.Quote(s) + " is not accepted: use one of " + e.allowed
	if e.hint != "" {
		r += " (also accepted: " + e.hint + ")"
	}
	return r + punctHint(s)
}

// strayPunct reports a value that starts with a sign or one of . _ or
// ends with one of - . _: normKey would drop it and change the value's
// meaning ("-1" would read as 1).
func strayPunct(s string) bool {
	if s == "" {
		return false
	}
	return strings.IndexByte("+-._", s[0]) >= 0 || strings.IndexByte("-._", s[len(s)-1]) >= 0
}

// punctHint explains why a value with a sign or a stray punctuation mark
// was not read.
func punctHint(s string) string {
	if strayPunct(s) && s != "-" {
		return "; a sign or punctuation mark at the start or end of a value is never ignored"
	}
	return ""
}

// parseNum parses a decimal number as users write it: "21.0285",
// "-5", "1e3", or with a Vietnamese decimal comma "21,0285" when the value
// has no "." and only one ",". NaN, infinities, hex and digit separators
// are rejected.
func parseNum(s string) (float64, bool) {
	if s == "" {
		return 0, false
	}
	comma := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c == '.', c == '-', c == '+', c == 'e', c == 'E':
		case c == ',':
			if comma >= 0 {
				return 0, false
			}
			comma = i
		default:
			return 0, false
		}
	}
	if comma >= 0 {
		if strings.IndexByte(s, '.') >= 0 {
			return 0, false
		}
		s = s[:comma] + "." + s[comma+1:]
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// parseInt parses a whole number: "12", "-3", "+4" or "12.0" (as spreadsheet
// programs export whole numbers). Thousands separators are rejected because
// "1.000" means 1000 to a Vietnamese user and 1 to everyone else.
func parseInt(s string) (int, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		return n, true
	}
	if t, ok := strings.CutSuffix(s, ".0"); ok && t != "" && t != "-" && t != "+" {
		if n, err := strconv.Atoi(t); err == nil {
			return n, true
		}
	}
	return 0, false
}

// parseBool parses yes/no as written in Vietnamese and English
// spreadsheets: true/false, 1/0, có/không, x/empty, yes/no, đúng/sai.
func parseBool(s string) (v, ok bool) {
	switch s {
	case "true", "1", "TRUE", "x", "X":
		return true, true
	case "false", "0", "FALSE", "", "-":
		return false, true
	}
	if strayPunct(s) {
		return false, false // "-1" is not 1, "_x" is not x
	}
	switch foldKey(normKey(s)) {
	case "true", "t", "yes", "y", "x", "co", "dung", "1", "v", "✓", "✔", "ok", "co thiet bi", "da co":
		return true, true
	case "false", "f", "no", "n", "khong", "sai", "0", "chua", "chua co", "khong co", "-":
		return false, true
	}
	return false, false
}

// isPlainNumber reports whether s is a plain decimal number ("-5.2",
// "+1", "3e5") that Excel shows as a number, not as a formula.
func isPlainNumber(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

// excelNumberText turns a number that a spreadsheet stored with 16–17
// significant digits ("21.300000000000001") into what Excel shows (15
// significant digits, "21.3"). It is applied to text fields and whole
// numbers read from XLSX; decimal fields are parsed from the stored value,
// which is exact.
func excelNumberText(s string) string {
	if len(s) < 17 || strings.IndexByte(s, '.') < 0 || !isPlainNumber(s) {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	f, err = strconv.ParseFloat(strconv.FormatFloat(f, 'g', 15, 64), 64)
	if err != nil {
		return s
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// validText reports whether s can be stored as text: valid UTF-8 without
// NUL bytes (PostgreSQL rejects both).
func validText(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 0 {
			return false
		}
		if c >= utf8.RuneSelf {
			return utf8.ValidString(s[i:]) && strings.IndexByte(s[i:], 0) < 0
		}
	}
	return true
}

// fmtFloat formats a float as the shortest decimal that reads back exactly.
func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
