package data

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// FoldName is a pupil's name as compared to catch the same child under two
// ids: Vietnamese diacritics removed (đ → d), lower case, one space between
// words ("Nguyễn  Văn ĐỨC" → "nguyen van duc"). "" for a name without
// letters.
func FoldName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ' || r == 'Đ':
			r = 'd'
		case unicode.IsSpace(r) || r == '.' || r == ',' || r == '-' || r == '_':
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
