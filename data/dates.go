package data

import "time"

// vietnamZone is the programme's time zone (UTC+7, no daylight saving).
var vietnamZone = time.FixedZone("ICT", 7*3600)

// Day returns the calendar day of t in t's location, as midnight UTC: the
// form dates are compared in (area validity, analysis dates).
func Day(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// VietnamDay returns the calendar day of instant t in Vietnam (UTC+7), as
// midnight UTC: "today" for an analysis is VietnamDay(time.Now()).
func VietnamDay(t time.Time) time.Time { return Day(t.In(vietnamZone)) }

// ValidOn reports whether the area is valid on day d: ValidFrom ≤ d <
// ValidTo, a nil bound being open (ValidTo is the first day the area no
// longer holds).
func (a *Area) ValidOn(d time.Time) bool {
	d = Day(d)
	if a.ValidFrom != nil && Day(*a.ValidFrom).After(d) {
		return false
	}
	return a.ValidTo == nil || Day(*a.ValidTo).After(d)
}

// AreasValidOn returns the areas valid on day d, in their order.
func AreasValidOn(areas []Area, d time.Time) []Area {
	out := make([]Area, 0, len(areas))
	for i := range areas {
		if areas[i].ValidOn(d) {
			out = append(out, areas[i])
		}
	}
	return out
}
