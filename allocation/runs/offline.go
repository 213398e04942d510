package runs

import (
	"context"
	"time"

	"github.com/gapmap/gapmap/allocation"
	"github.com/gapmap/gapmap/allocation/report"
	"github.com/gapmap/gapmap/data"
)

// Offline allocates on a dataset read from files, with the homes'
// connectivity conn (nil: none; every home unknown) described by coverage.
// Nothing is recorded. o.OutDir is not written here (the caller writes
// the view with report.WriteDir).
func Offline(ctx context.Context, ds *data.Dataset, conn map[string]allocation.Connectivity, coverage string, o Options) (*Outcome, error) {
	if o.Date.IsZero() {
		o.Date = time.Now()
	}
	if err := CheckSettings(o.Settings); err != nil {
		return nil, err
	}
	in := allocation.Input{
		Areas: ValidAreas(ds.Areas, o.Date), Schools: ds.Schools, Students: ds.Students,
		Devices: ds.Devices, SimPackages: ds.SimPackages, Connectivity: conn,
		Poverty: PovertyOf(ds.Households),
	}
	res, err := allocation.Allocate(ctx, in, o.Settings)
	if err != nil {
		return nil, err
	}
	out := &Outcome{View: report.FromResult(res, ds, report.Run{Mode: report.ModeOffline, Actor: o.Actor, Date: o.Date, Coverage: coverage, Settings: o.Settings})}
	if conn != nil {
		out.Needs, out.UnknownHomes = unknownHomes(ds.Students, conn)
	}
	return out, nil
}

// ValidAreas keeps the areas valid on day.
func ValidAreas(areas []data.Area, day time.Time) []data.Area {
	d := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	out := make([]data.Area, 0, len(areas))
	for _, a := range areas {
		if a.ValidFrom != nil && a.ValidFrom.After(d) {
			continue
		}
		if a.ValidTo != nil && !a.ValidTo.After(d) {
			continue
		}
		out = append(out, a)
	}
	return out
}

// PovertyOf maps each household id to its poverty status, what the
// allocation's eligibility check reads. It returns nil (no check) when
// there is no household.
func PovertyOf(hs []data.Household) map[string]string {
	if len(hs) == 0 {
		return nil
	}
	m := make(map[string]string, len(hs))
	for _, h := range hs {
		p := h.Poverty
		if p == "" {
			p = data.PovertyNone
		}
		m[h.ID] = p
	}
	return m
}
