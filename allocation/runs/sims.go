package runs

// SIM periods and renewals (issue 11, item 3): the service of every SIM
// handed over, the SIMs whose service ends soon, and renewals (top-ups,
// gia hạn) recorded as a new SIM benefit of the same student. Internal:
// student ids; the API lets education roles only read it.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gapmap/gapmap/allocation"
	"github.com/gapmap/gapmap/allocation/report"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
)

// MaxEndingWindow bounds the days of a "SIMs ending within N days" report.
const MaxEndingWindow = 3660

// SimsEnding lists the SIMs whose service (after the last renewal) ends
// within days days from day on (both ends included; zero on: today in
// Vietnam), soonest first, narrowed to sc. A window outside
// 0..MaxEndingWindow is a *data.ValidationError (field within_days).
func (s *Service) SimsEnding(ctx context.Context, days int, on time.Time, sc Scope) ([]report.SimEnding, error) {
	if days < 0 || days > MaxEndingWindow {
		return nil, &data.ValidationError{Errors: []data.FieldError{{File: "request", Column: "within_days", Value: fmt.Sprint(days),
			Reason: fmt.Sprintf("give a number of days from 0 to %d", MaxEndingWindow)}}}
	}
	if on.IsZero() {
		on = time.Now().In(vietnam)
	}
	from := civil(on)
	f := postgis.SimEndingFilter{From: from, To: from.AddDate(0, 0, days), SchoolID: sc.SchoolID}
	if sc.AreaCode != "" {
		areas, err := s.Store.AreaSubtree(ctx, sc.AreaCode)
		if err != nil {
			return nil, err
		}
		f.AreaCodes = areas
	}
	rows, err := s.Store.SimsEnding(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]report.SimEnding, len(rows))
	for i, r := range rows {
		out[i] = report.SimEnding{StudentID: r.StudentID, SchoolID: r.SchoolID, AreaCode: r.AreaCode, Operator: r.Operator,
			Network: r.Network, PackageID: r.PackageID, ICCID: r.ICCID, ActivatedOn: r.ActivatedOn, EndsOn: r.EndsOn,
			DaysLeft: int(r.EndsOn.Sub(from).Hours() / 24), Renewals: r.Renewals, HandoverStatus: r.HandoverStatus}
	}
	return out, nil
}

// Renewal is one top-up of a student's SIM.
type Renewal struct {
	StudentID string
	PackageID string
	// On is the renewal day (zero: today in Vietnam).
	On time.Time
	// AreaCodes, when not nil, are the areas the caller may act in (an
	// officer's subtree): a student outside them is not found.
	AreaCodes []string
}

// Renewed is a recorded renewal and the SIM's periods after it.
type Renewed struct {
	Period  postgis.SimPeriod
	Periods []postgis.SimPeriod
}

// Renew records a renewal: one SIM of the package is taken from its stock
// (the database refuses the last SIM twice, under any concurrency: a
// *data.ConflictError) and the service is extended by the package's months
// from the later of the renewal day and the current end; the ledger
// records it as a SIM allocation. The package must meet the SIM minimum
// (allocation.CheckSim) and be of the SIM's operator, and the day is
// checked as a handover's (a *data.ValidationError naming the field); a
// student without a handed-over SIM is a *data.NotFoundError.
func (s *Service) Renew(ctx context.Context, actor string, r Renewal) (Renewed, error) {
	r.StudentID, r.PackageID = strings.TrimSpace(r.StudentID), strings.TrimSpace(r.PackageID)
	ve := &data.ValidationError{}
	if r.StudentID == "" {
		ve.Add(data.FieldError{File: "renewal", Column: "student", Reason: "give the student id"})
	}
	if r.PackageID == "" {
		ve.Add(data.FieldError{File: "renewal", Column: "package", Reason: "give the SIM package id"})
	}
	if r.On.IsZero() {
		r.On = time.Now().In(vietnam)
	}
	if p := dayProblem(r.On, time.Time{}, ""); p != "" {
		ve.Add(data.FieldError{File: "renewal", Column: "date", Value: civil(r.On).Format("2006-01-02"), Reason: p})
	}
	if err := ve.Err(); err != nil {
		return Renewed{}, err
	}
	if r.AreaCodes != nil {
		if _, _, err := s.Allocation(ctx, r.StudentID, r.AreaCodes); err != nil {
			return Renewed{}, err
		}
	}
	pkg, err := s.Store.SimPackageByID(ctx, r.PackageID)
	if err != nil {
		return Renewed{}, err
	}
	if chk := allocation.CheckSim(pkg, allocation.DefaultSettings()); !chk.OK {
		return Renewed{}, &data.ValidationError{Errors: []data.FieldError{{File: "renewal", Column: "package", Value: pkg.ID,
			Reason: "the package is below the SIM minimum: " + strings.Join(chk.Reasons, ", ")}}}
	}
	p, err := s.Store.RenewSim(ctx, actor, r.StudentID, pkg, civil(r.On))
	if err != nil {
		return Renewed{}, err
	}
	all, err := s.Store.SimPeriods(ctx, r.StudentID)
	if err != nil {
		return Renewed{}, err
	}
	return Renewed{Period: p, Periods: all}, nil
}
