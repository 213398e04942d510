package format

import (
	"strconv"
	"time"
)

// earliestBirth bounds a pupil's date of birth from below.
var earliestBirth = time.Date(1950, time.January, 1, 0, 0, 0, 0, time.UTC)

// ParseBirthDate reads a date of birth written dd/mm/yyyy (d/m/yyyy, with /
// . or - between the parts) or yyyy-mm-dd, and returns it as yyyy-mm-dd.
func ParseBirthDate(s string) (string, bool) {
	t, ok := parseDay(s, false)
	if !ok {
		return "", false
	}
	return t.Format(time.DateOnly), true
}

// birthDate reads an optional date of birth; in a spreadsheet a date cell
// may come as its serial number (days since 30/12/1899).
func (r *rowCtx) birthDate(f int) string {
	s := r.str(f)
	if s == "" {
		return ""
	}
	d, ok := ParseBirthDate(s)
	if !ok && r.xlsx {
		if n, err := strconv.Atoi(s); err == nil && n > 0 && n < 100000 {
			d, ok = time.Date(1899, time.December, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n).Format("2006-01-02"), true
		}
	}
	if !ok {
		r.fail(f, s, "write the date of birth as dd/mm/yyyy (05/09/2012) or yyyy-mm-dd (2012-09-05)")
		return ""
	}
	if t, _ := time.Parse("2006-01-02", d); t.Before(earliestBirth) || t.After(time.Now()) {
		r.fail(f, s, "the date of birth is before 1950 or in the future")
		return ""
	}
	return d
}
