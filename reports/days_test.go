package reports

import (
	"testing"
	"time"
)

// The days a report leaves out: To is today in Vietnam (UTC+7: 20:00 UTC
// on 31 December is already 1 January there), From 1 January of To's year
// for progress and handovers; connectivity keeps its zero days (its run's
// day); days given are kept.
func TestDefaultDays(t *testing.T) {
	now := time.Date(2026, time.December, 31, 20, 0, 0, 0, time.UTC)
	jan1 := time.Date(2027, time.January, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		kind     string
		given    Options
		from, to time.Time
	}{
		{KindProgress, Options{}, jan1, jan1},
		{KindHandovers, Options{}, jan1, jan1},
		{KindDonors, Options{}, time.Time{}, jan1},
		{KindConnectivity, Options{}, time.Time{}, time.Time{}},
		{KindProgress, Options{To: time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)}, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)},
		{KindHandovers, Options{From: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), jan1},
	} {
		o := c.given
		o.DefaultDays(c.kind, now)
		if !o.From.Equal(c.from) || !o.To.Equal(c.to) {
			t.Errorf("%s %v: from %v to %v, want %v %v", c.kind, c.given, o.From, o.To, c.from, c.to)
		}
	}
}
