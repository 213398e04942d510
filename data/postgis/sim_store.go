package postgis

// SIM service periods (migration 00015): the SIM handed over with a device
// opens an 'issue' period; a renewal (top-up) is a new SIM benefit of the
// same student that takes one SIM of its package and extends the service.
// The stock rule (sim_stock_not_exceeded) and the ledger entry of a renewal
// are the database's (trigger sim_periods_inserted).

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// Kinds of a SIM period.
const (
	SimIssue   = "issue"
	SimRenewal = "renewal"
)

func pgDay(t time.Time) pgtype.Date {
	return pgtype.Date{Time: time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), Valid: true}
}

func datePtr(d pgtype.Date) *time.Time {
	if !d.Valid {
		return nil
	}
	t := d.Time
	return &t
}

// openSimPeriod opens the issue period of a student's SIM just handed over
// (nothing when the handover has no SIM).
func openSimPeriod(ctx context.Context, tx pgx.Tx, studentID string, activated time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO sim_periods (student_id, kind, package_id, operator, network, months, run_id, sim_iccid,
			recorded_on, activated_on, starts_on, ends_on, actor)
		SELECT h.student_id, 'issue', h.sim_package_id, coalesce(sa.sim_operator, p.operator), coalesce(sa.sim_network, ''), p.months,
			h.run_id, h.sim_iccid, h.handed_over_on, $2::date, $2::date, ($2::date + make_interval(months => p.months))::date, gapmap_actor()
		FROM handovers h
		JOIN sim_packages p ON p.package_id = h.sim_package_id
		LEFT JOIN allocations sa ON sa.student_id = h.student_id AND sa.benefit = 'sim'
		WHERE h.student_id = $1 AND h.sim_package_id IS NOT NULL`, studentID, pgDay(activated))
	if err != nil {
		return fmt.Errorf("open the SIM period of student %s: %w", studentID, missingTable(err))
	}
	return nil
}

// SimPeriod is one service period of a student's SIM.
type SimPeriod struct {
	ID          int64
	StudentID   string
	Kind        string // SimIssue or SimRenewal
	PackageID   string
	Operator    string
	Network     string // "4G", "3G" or "" (runs before the 3G fallback)
	Months      int
	RunID       int64 // the allocation run (issue periods)
	ICCID       string
	RecordedOn  time.Time
	ActivatedOn time.Time
	StartsOn    time.Time
	EndsOn      time.Time
	Actor       string
}

const simPeriodColumns = `id, student_id, kind, package_id, operator, network, months, coalesce(run_id, 0), sim_iccid,
	recorded_on, activated_on, starts_on, ends_on, actor`

func scanSimPeriod(r pgx.Row) (SimPeriod, error) {
	var p SimPeriod
	var months int32
	err := r.Scan(&p.ID, &p.StudentID, &p.Kind, &p.PackageID, &p.Operator, &p.Network, &months, &p.RunID, &p.ICCID,
		&p.RecordedOn, &p.ActivatedOn, &p.StartsOn, &p.EndsOn, &p.Actor)
	p.Months = int(months)
	return p, err
}

// SimPeriods returns a student's SIM periods, oldest first (none: empty).
func (s *Store) SimPeriods(ctx context.Context, studentID string) ([]SimPeriod, error) {
	var out []SimPeriod
	err := scanEach(ctx, s.pool, "SIM periods", `SELECT `+simPeriodColumns+` FROM sim_periods WHERE student_id = $1 ORDER BY starts_on, id`,
		[]any{studentID}, func(r pgx.Rows) error {
			p, err := scanSimPeriod(r)
			out = append(out, p)
			return err
		})
	return out, err
}

// SimPackageByID returns one SIM package; a *data.NotFoundError when there
// is none.
func (s *Store) SimPackageByID(ctx context.Context, id string) (data.SimPackage, error) {
	var p data.SimPackage
	var months, qty int32
	err := s.pool.QueryRow(ctx, `SELECT package_id, operator, gb_per_day, months, quantity, coalesce(area_code, '')
		FROM sim_packages WHERE package_id = $1`, id).Scan(&p.ID, &p.Operator, &p.GBPerDay, &months, &qty, &p.AreaCode)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, &data.NotFoundError{Kind: "SIM package", ID: id}
	}
	if err != nil {
		return p, fmt.Errorf("read SIM package %s: %w", id, missingTable(err))
	}
	p.Months, p.Quantity = int(months), int(qty)
	return p, nil
}

// RenewSim records a renewal (top-up) of a student's SIM with one SIM of
// package pkg on day on: a new period from the later of on and the current
// service end, for the package's months. The student's periods are locked
// first, so concurrent renewals of one student chain instead of
// overlapping. A student without a handed-over SIM is a
// *data.NotFoundError; a package of another operator than the SIM's a
// *data.ValidationError; a package with no SIM left a *data.ConflictError
// (nothing is written then).
func (s *Store) RenewSim(ctx context.Context, actor, studentID string, pkg data.SimPackage, on time.Time) (SimPeriod, error) {
	var out SimPeriod
	err := s.withActor(ctx, actor, "", func(tx pgx.Tx) error {
		// Lock the issue period (one per student), then read the service
		// end in a new statement: a concurrent renewal of the same student
		// waits here and then sees the one committed before it.
		var operator string
		err := tx.QueryRow(ctx, `SELECT operator FROM sim_periods WHERE student_id = $1 AND kind = 'issue' FOR UPDATE`, studentID).Scan(&operator)
		if errors.Is(err, pgx.ErrNoRows) {
			return &data.NotFoundError{Kind: "handed-over SIM of student", ID: studentID}
		}
		if err != nil {
			return fmt.Errorf("read the SIM of student %s: %w", studentID, missingTable(err))
		}
		var end time.Time
		if err := tx.QueryRow(ctx, `SELECT max(ends_on) FROM sim_periods WHERE student_id = $1`, studentID).Scan(&end); err != nil {
			return fmt.Errorf("read the SIM service end of student %s: %w", studentID, err)
		}
		if operator != "" && operator != pkg.Operator {
			return &data.ValidationError{Errors: []data.FieldError{{File: "renewal", Column: "package", Value: pkg.ID,
				Reason: fmt.Sprintf("package %s is of %s; the student's SIM is %s: renew with a package of the SIM's operator", pkg.ID, pkg.Operator, operator)}}}
		}
		start := end
		if d := pgDay(on).Time; d.After(start) {
			start = d
		}
		out, err = scanSimPeriod(tx.QueryRow(ctx, `INSERT INTO sim_periods (student_id, kind, package_id, operator, network, months,
				recorded_on, activated_on, starts_on, ends_on)
			SELECT $1, 'renewal', $2, $3, coalesce((SELECT network FROM sim_periods WHERE student_id = $1 AND kind = 'issue'), ''), $4,
				$5::date, $5::date, $6::date, ($6::date + make_interval(months => $4::int))::date
			RETURNING `+simPeriodColumns, studentID, pkg.ID, pkg.Operator, int32(pkg.Months), pgDay(on), pgDay(start)))
		if err != nil {
			var pe *pgconn.PgError
			if errors.As(err, &pe) && pe.ConstraintName == "sim_stock_not_exceeded" {
				return &data.ConflictError{Reason: fmt.Sprintf("SIM package %s has no SIM left: renew with another package of %s", pkg.ID, pkg.Operator)}
			}
			return fmt.Errorf("record the renewal of student %s: %w", studentID, missingTable(err))
		}
		return nil
	})
	return out, err
}

// SimEnding is one student's SIM whose service ends in a window: the
// latest period, with the SIM's first activation and its renewals.
type SimEnding struct {
	StudentID      string
	SchoolID       string
	AreaCode       string // the school's area
	Operator       string
	Network        string
	PackageID      string // the latest period's package
	ICCID          string
	ActivatedOn    time.Time // the SIM's first activation
	EndsOn         time.Time
	Renewals       int
	HandoverStatus string // handed_over or returned
}

// SimEndingFilter narrows SimsEnding: service ends on From..To (both
// included); AreaCodes (nil: any; empty non-nil: none) and SchoolID as in
// AllocationFilter.
type SimEndingFilter struct {
	From, To  time.Time
	AreaCodes []string
	SchoolID  string
}

// SimsEnding lists the students whose SIM service (after its last renewal)
// ends within the filter's window, soonest first.
func (s *Store) SimsEnding(ctx context.Context, f SimEndingFilter) ([]SimEnding, error) {
	var out []SimEnding
	if f.AreaCodes != nil && len(f.AreaCodes) == 0 {
		return out, nil
	}
	var areas []string
	if f.AreaCodes != nil {
		areas = f.AreaCodes
	}
	err := scanEach(ctx, s.pool, "SIMs ending", `WITH last AS (
			SELECT DISTINCT ON (student_id) student_id, package_id, ends_on FROM sim_periods ORDER BY student_id, ends_on DESC, id DESC),
		first AS (SELECT student_id, operator, network, sim_iccid, activated_on FROM sim_periods WHERE kind = 'issue'),
		renewals AS (SELECT student_id, count(*) AS n FROM sim_periods WHERE kind = 'renewal' GROUP BY student_id)
		SELECT l.student_id, h.school_id, coalesce(d.area_code, ''), f.operator, f.network, l.package_id, f.sim_iccid,
			f.activated_on, l.ends_on, coalesce(r.n, 0), h.status
		FROM last l
		JOIN first f ON f.student_id = l.student_id
		JOIN handovers h ON h.student_id = l.student_id
		LEFT JOIN allocations d ON d.student_id = l.student_id AND d.benefit = 'device'
		LEFT JOIN renewals r ON r.student_id = l.student_id
		WHERE l.ends_on BETWEEN $1 AND $2
		  AND ($3::text[] IS NULL OR d.area_code = ANY ($3))
		  AND ($4 = '' OR h.school_id = $4)
		ORDER BY l.ends_on, l.student_id`,
		[]any{pgDay(f.From), pgDay(f.To), areas, f.SchoolID}, func(r pgx.Rows) error {
			var e SimEnding
			var n int64
			if err := r.Scan(&e.StudentID, &e.SchoolID, &e.AreaCode, &e.Operator, &e.Network, &e.PackageID, &e.ICCID,
				&e.ActivatedOn, &e.EndsOn, &n, &e.HandoverStatus); err != nil {
				return err
			}
			e.Renewals = int(n)
			out = append(out, e)
			return nil
		})
	return out, err
}
