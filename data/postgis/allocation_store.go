package postgis

// Allocation runs in the store. The invariants (one device and one SIM per
// student, one student per device, SIM quantities, runs wholly present or
// absent, nothing handed over is taken back, an append-only ledger) are
// enforced by the database itself: see migrations/00003_allocation.sql.
// This file reads what a run needs, commits a run in one transaction and
// records handovers, returns and cancellations.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// Statuses of an allocation run.
const (
	RunPreview   = "preview"   // computed and shown, nothing allocated
	RunCommitted = "committed" // its allocations are in the store
	RunFailed    = "failed"    // rolled back; nothing of it was written
)

// Benefits: a student receives at most one of each, across every run.
const (
	BenefitDevice = "device"
	BenefitSim    = "sim"
)

// Statuses of a handover.
const (
	HandoverPending    = "pending"
	HandoverHandedOver = "handed_over"
	HandoverReturned   = "returned"
)

// AllocationRun is one run of the allocation engine as recorded.
type AllocationRun struct {
	ID          int64
	CreatedAt   time.Time
	Actor       string // who ran it (required)
	Policy      string // ready-first | need-first
	Settings    []byte // JSON of the engine settings
	Status      string // RunPreview, RunCommitted or RunFailed
	CoverageRun int64  // coverage_runs.id whose connectivity was used (0: none)
	Devices     int    // device allocations planned
	Sims        int    // SIM allocations planned
	Summary     []byte // JSON: totals of the run
	Error       string // why a failed run failed
}

// AllocationRow is one student's device (and SIM) in a run.
type AllocationRow struct {
	StudentID    string
	SchoolID     string
	AreaCode     string
	Priority     int
	Connectivity string
	DeviceID     string
	DeviceType   string
	DeviceSerial string // copied to the handover record
	DeviceIMEI   string
	SimPackageID string // "" when no SIM
	SimOperator  string
	SimNetwork   string // "4G" or "3G" (the 3G fallback); "" without a SIM
	Flag         string
	Reason       string
	// The student's place in line as the run computed it (rank in the
	// school's pool, pool size, seats of the school, device-type choice),
	// the grade, and the row's place in the run's output order.
	Rank        int
	PoolSize    int
	SchoolSeats int
	TypeRank    int
	Grade       int
	Seq         int
}

// Prior is what the committed runs hold: the engine must not serve these
// students, use these devices or issue these SIMs again.
type Prior struct {
	Served  map[string]bool // students who received a device
	Devices map[string]bool // devices an allocation holds (with a student, or returned and not back in stock) and devices sold
	SimUsed map[string]int  // SIMs issued per package id
}

// AllocationInput is what one allocation run reads, from one snapshot.
type AllocationInput struct {
	// Dataset holds the areas valid on the run date, the schools, students,
	// devices and SIM packages (not households, sites or fiber).
	Dataset *data.Dataset
	// CoverageRun is the coverage run (coverage_runs.id) whose household
	// connectivity was read, CoverageRunAt its date.
	CoverageRun   int64
	CoverageRunAt time.Time
	Prior         Prior
}

// NoCoverageError: the database has no coverage result to take the homes'
// connectivity from.
type NoCoverageError struct{ Cause error }

func (e *NoCoverageError) Error() string {
	msg := "the database has no coverage results (no coverage run with households, what-if runs aside)"
	if e.Cause != nil {
		msg += " (" + e.Cause.Error() + ")"
	}
	return msg
}

func (e *NoCoverageError) Unwrap() error { return e.Cause }

// ConflictError: a concurrent commit allocated some of the same students,
// devices or SIMs first. Nothing of this run was written.
type ConflictError struct {
	FailedRun int64 // the run recorded as failed (0 if it could not be recorded)
	Cause     error
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("another allocation run committed first; nothing of this run was written (recorded as failed run %d); a new run sees the other run's allocations and serves only what is left (cause: %v)", e.FailedRun, e.Cause)
}

func (e *ConflictError) Unwrap() error { return e.Cause }

// isConflict reports whether err is a concurrent commit getting there
// first: a unique violation, SIM stock exhausted by another commit, or a
// deadlock/serialization failure between two commits.
func isConflict(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case "23505", "40001", "40P01":
		return true
	case "23514":
		return pe.ConstraintName == "sim_stock_not_exceeded"
	}
	return false
}

// missingTable explains a missing allocation table.
func missingTable(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "42P01" {
		return fmt.Errorf("%w (the allocation tables are missing: the schema is out of date)", err)
	}
	return err
}

// ReadAllocationInput reads, from one consistent snapshot, what a run on
// date on needs: the dataset (areas valid that day), the committed runs'
// allocations, and the connectivity of every home from the latest coverage
// run that is not a what-if, passed to home. Without coverage results it
// returns a *NoCoverageError.
func (s *Store) ReadAllocationInput(ctx context.Context, on time.Time, home func(householdID string, c data.Connectivity) error) (*AllocationInput, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("read the allocation input: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	in := &AllocationInput{Dataset: &data.Dataset{}}
	if in.CoverageRun, in.CoverageRunAt, err = readConnectivity(ctx, tx, home); err != nil {
		return nil, err
	}
	if err := readAllocationDataset(ctx, tx, on, in.Dataset); err != nil {
		return nil, err
	}
	if in.Prior, err = ReadPrior(ctx, tx); err != nil {
		return nil, err
	}
	return in, nil
}

// readConnectivity streams the households of the latest coverage run
// that has households and is not a what-if (a what-if run counts sectors
// that are not built yet). It returns the run's id and date.
func readConnectivity(ctx context.Context, q Querier, home func(id string, c data.Connectivity) error) (int64, time.Time, error) {
	var exists bool
	if err := q.QueryRow(ctx, `SELECT to_regclass('coverage_runs') IS NOT NULL AND to_regclass('coverage_entities') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, time.Time{}, fmt.Errorf("look for coverage results: %w", err)
	}
	if !exists {
		return 0, time.Time{}, &NoCoverageError{Cause: errors.New("the coverage tables are missing: the schema is out of date")}
	}
	var run int64
	var at time.Time
	err := q.QueryRow(ctx, `SELECT r.id, r.created_at FROM coverage_runs r
		WHERE cardinality(r.what_if) = 0
		  AND EXISTS (SELECT 1 FROM coverage_entities e WHERE e.run_id = r.id AND e.entity_type = 'household')
		ORDER BY r.id DESC LIMIT 1`).Scan(&run, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, time.Time{}, &NoCoverageError{}
	}
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("find the latest coverage run: %w", err)
	}
	var id, class string
	var ops, ops3 []string
	err = scanEach(ctx, q, fmt.Sprintf("the connectivity of coverage run %d", run),
		`SELECT entity_id, connectivity, operators_4g, operators_3g FROM coverage_entities WHERE run_id = $1 AND entity_type = 'household'`,
		[]any{run}, func(r pgx.Rows) error {
			if err := r.Scan(&id, &class, &ops, &ops3); err != nil {
				return err
			}
			return home(id, data.Connectivity{Class: class, Operators4G: ops, Operators3G: ops3})
		})
	return run, at, err
}

// readAllocationDataset reads the tables an allocation needs, without
// geometries.
func readAllocationDataset(ctx context.Context, q Querier, on time.Time, ds *data.Dataset) error {
	day := pgtype.Date{Time: time.Date(on.Year(), on.Month(), on.Day(), 0, 0, 0, 0, time.UTC), Valid: true}
	err := scanEach(ctx, q, "areas", `SELECT code, name, level, coalesce(parent_code, ''), priority_tags FROM areas
		WHERE (valid_from IS NULL OR valid_from <= $1) AND (valid_to IS NULL OR valid_to > $1) ORDER BY code`,
		[]any{day}, func(r pgx.Rows) error {
			var a data.Area
			if err := r.Scan(&a.Code, &a.Name, &a.Level, &a.ParentCode, &a.PriorityTags); err != nil {
				return err
			}
			if len(a.PriorityTags) == 0 {
				a.PriorityTags = nil
			}
			ds.Areas = append(ds.Areas, a)
			return nil
		})
	if err != nil {
		return err
	}
	err = scanEach(ctx, q, "schools", `SELECT school_id, name, level, area_code, students, internet FROM schools ORDER BY school_id`,
		nil, func(r pgx.Rows) error {
			var s data.School
			if err := r.Scan(&s.ID, &s.Name, &s.Level, &s.AreaCode, &s.Students, &s.Internet); err != nil {
				return err
			}
			ds.Schools = append(ds.Schools, s)
			return nil
		})
	if err != nil {
		return err
	}
	err = scanEach(ctx, q, "students", `SELECT student_id, household_id, school_id, grade, priority, has_device, covid_orphan,
		full_name, coalesce(to_char(birth_date, 'YYYY-MM-DD'), '') FROM students ORDER BY student_id`,
		nil, func(r pgx.Rows) error {
			var s data.Student
			var grade, prio int16
			if err := r.Scan(&s.ID, &s.HouseholdID, &s.SchoolID, &grade, &prio, &s.HasDevice, &s.CovidOrphan, &s.FullName, &s.BirthDate); err != nil {
				return err
			}
			s.Grade, s.Priority = int(grade), int(prio)
			ds.Students = append(ds.Students, s)
			return nil
		})
	if err != nil {
		return err
	}
	// Households: id and poverty status only (the eligibility check), no
	// location.
	err = scanEach(ctx, q, "households", `SELECT household_id, poverty FROM households ORDER BY household_id`,
		nil, func(r pgx.Rows) error {
			var h data.Household
			if err := r.Scan(&h.ID, &h.Poverty); err != nil {
				return err
			}
			ds.Households = append(ds.Households, h)
			return nil
		})
	if err != nil {
		return err
	}
	// Sold (liquidated) devices are gone: not in the input at all.
	err = scanEach(ctx, q, "devices", `SELECT `+deviceColumns+`
		FROM devices d LEFT JOIN donors o ON o.donor_id = d.donor_id
		WHERE NOT EXISTS (SELECT 1 FROM liquidation_devices l WHERE l.device_id = d.device_id)
		ORDER BY d.device_id`,
		nil, func(r pgx.Rows) error {
			d, err := scanDevice(r)
			if err != nil {
				return err
			}
			ds.Devices = append(ds.Devices, d)
			return nil
		})
	if err != nil {
		return err
	}
	return scanEach(ctx, q, "SIM packages", `SELECT `+simPackageColumns+`
		FROM sim_packages p LEFT JOIN donors o ON o.donor_id = p.donor_id ORDER BY p.package_id`, nil, func(r pgx.Rows) error {
		p, err := scanSimPackage(r)
		if err != nil {
			return err
		}
		ds.SimPackages = append(ds.SimPackages, p)
		return nil
	})
}

// scanEach runs query and calls scan for every row.
func scanEach(ctx context.Context, q Querier, what, query string, args []any, scan func(pgx.Rows) error) error {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("read %s: %w", what, missingTable(err))
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("read %s: %w", what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", what, missingTable(err))
	}
	return nil
}

// ReadPrior reads what the committed runs hold. Inside a commit's
// transaction it sees every run committed before the statement started.
// Served holds every student who ever received a device (the once-only
// rule); Devices the devices an allocation still holds (with a student,
// or returned and not yet back in stock after an inspection "ok") and the
// devices sold: a restocked device is not in it.
func ReadPrior(ctx context.Context, q Querier) (Prior, error) {
	p := Prior{Served: map[string]bool{}, Devices: map[string]bool{}, SimUsed: map[string]int{}}
	err := scanEach(ctx, q, "committed allocations", `SELECT student_id, device_id, released_on IS NULL FROM allocations WHERE benefit = 'device'
		UNION ALL SELECT '', device_id, true FROM liquidation_devices`,
		nil, func(r pgx.Rows) error {
			var s, d string
			var holds bool
			if err := r.Scan(&s, &d, &holds); err != nil {
				return err
			}
			if s != "" {
				p.Served[s] = true
			}
			if holds {
				p.Devices[d] = true
			}
			return nil
		})
	if err != nil {
		return Prior{}, err
	}
	err = scanEach(ctx, q, "issued SIMs", `SELECT package_id, issued FROM sim_stock WHERE issued > 0`, nil, func(r pgx.Rows) error {
		var id string
		var n int
		if err := r.Scan(&id, &n); err != nil {
			return err
		}
		p.SimUsed[id] = n
		return nil
	})
	if err != nil {
		return Prior{}, err
	}
	return p, nil
}

// AllocationPlan is what a run allocates.
type AllocationPlan struct {
	Rows    []AllocationRow
	Summary []byte // JSON stored with the run; nil for {}
	// Report, when not nil, is stored with the run (same transaction).
	Report *RunReport
}

// RunReport is what a run explains beyond its allocation rows (unserved
// needs, area summaries, explanations, rejections, SIM stock, conflicts,
// the names its files print), as JSON, with the date the run used and
// where its connectivity came from. The store keeps it as history.
type RunReport struct {
	RunDate  time.Time
	Coverage string
	JSON     []byte
}

// PlanFunc computes a run from what the committed runs hold. CommitAllocation
// calls it once, inside its transaction.
type PlanFunc func(ctx context.Context, prior Prior) (AllocationPlan, error)

// CommitAllocation commits one run in one transaction: it reads what the
// committed runs hold (Prior), asks plan for the allocations, and writes
// the run (status committed), its allocations and pending handovers. The
// database guarantees that no student gets two devices or two SIMs, no
// device two students and no package more SIMs than its quantity, across
// every committed run: when a concurrent commit got there first the whole
// transaction rolls back, the run is recorded as failed, and the error is
// a *ConflictError; run again to serve what is left. Other failures are
// recorded as failed runs too. run.Actor and run.Policy are required; the
// returned run has its id, date and counts.
func (s *Store) CommitAllocation(ctx context.Context, run AllocationRun, plan PlanFunc) (AllocationRun, error) {
	run.Status = RunCommitted
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return run, fmt.Errorf("commit the allocation: %w", err)
	}
	committed, err := commitTx(ctx, tx, &run, plan)
	if err == nil {
		if err = commit(ctx, tx); err == nil {
			return committed, nil
		}
	}
	_ = tx.Rollback(context.WithoutCancel(ctx))
	return run, recordFailure(ctx, s.pool, run, err)
}

// commitTx does the work of CommitAllocation inside tx.
func commitTx(ctx context.Context, tx pgx.Tx, run *AllocationRun, plan PlanFunc) (AllocationRun, error) {
	if _, err := tx.Exec(ctx, `SELECT set_config('gapmap.actor', $1, true)`, run.Actor); err != nil {
		return *run, fmt.Errorf("commit the allocation: %w", err)
	}
	prior, err := ReadPrior(ctx, tx)
	if err != nil {
		return *run, err
	}
	p, err := plan(ctx, prior)
	if err != nil {
		return *run, err
	}
	rows := slices.Clone(p.Rows)
	slices.SortFunc(rows, func(a, b AllocationRow) int { return cmp.Compare(a.StudentID, b.StudentID) })
	run.Devices, run.Sims, run.Summary = len(rows), 0, p.Summary
	for i := range rows {
		if rows[i].StudentID == "" || rows[i].DeviceID == "" {
			return *run, fmt.Errorf("commit the allocation: row %d has no student or no device; every allocation gives a device", i+1)
		}
		if rows[i].SimPackageID != "" {
			run.Sims++
		}
	}
	out, err := RecordAllocationRun(ctx, tx, *run)
	if err != nil {
		return *run, err
	}
	if err := copyAllocations(ctx, tx, out.ID, rows, run.Sims); err != nil {
		return *run, err
	}
	if err := copyHandovers(ctx, tx, out.ID, rows); err != nil {
		return *run, err
	}
	if err := insertReport(ctx, tx, out.ID, p.Report); err != nil {
		return *run, err
	}
	return out, nil
}

// recordFailure records a run that did not commit and returns the error to
// give the caller.
func recordFailure(ctx context.Context, pool Querier, run AllocationRun, cause error) error {
	run.Status = RunFailed
	run.Error = cause.Error()
	if isConflict(cause) {
		run.Error = "another allocation run committed first: " + cause.Error()
	}
	// Record even when ctx was cancelled, but do not hang on it.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	failed, rerr := RecordAllocationRun(rctx, pool, run)
	if isConflict(cause) {
		return &ConflictError{FailedRun: failed.ID, Cause: cause}
	}
	if rerr != nil {
		return fmt.Errorf("%w (nothing was allocated; recording the failed run also failed: %v)", cause, rerr)
	}
	return fmt.Errorf("%w (nothing was allocated; recorded as failed run %d)", cause, failed.ID)
}

// RecordAllocationRun inserts a run (any status) and returns it with its
// id and date. Previews and failed runs are recorded with it; committed
// runs only by CommitAllocation, with their rows.
func RecordAllocationRun(ctx context.Context, q Querier, run AllocationRun) (AllocationRun, error) {
	if strings.TrimSpace(run.Actor) == "" {
		return run, &data.ValidationError{Errors: []data.FieldError{{File: "allocation run", Column: "actor", Reason: "the actor is empty: say who runs the allocation"}}}
	}
	settings, summary := jsonOrEmpty(run.Settings), jsonOrEmpty(run.Summary)
	err := q.QueryRow(ctx, `INSERT INTO allocation_runs (actor, policy, settings, status, coverage_run, devices, sims, summary, error)
		VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8::jsonb, $9) RETURNING id, created_at`,
		run.Actor, run.Policy, settings, run.Status, pgtype.Int8{Int64: run.CoverageRun, Valid: run.CoverageRun > 0}, run.Devices, run.Sims, summary, run.Error).Scan(&run.ID, &run.CreatedAt)
	if err != nil {
		return run, fmt.Errorf("record the allocation run: %w", missingTable(err))
	}
	return run, nil
}

func jsonOrEmpty(b []byte) string {
	if len(b) == 0 {
		return "{}"
	}
	return string(b)
}

// copyAllocations writes one row per benefit, in student order (so that
// concurrent commits wait on each other in the same order).
func copyAllocations(ctx context.Context, tx pgx.Tx, runID int64, rows []AllocationRow, sims int) error {
	cols := []string{"run_id", "student_id", "benefit", "device_id", "device_type", "sim_package_id", "sim_operator",
		"school_id", "area_code", "priority", "connectivity", "flag", "reason", "rank", "pool_size", "school_seats", "type_rank", "grade", "seq", "sim_network"}
	vals := make([][]any, 0, len(rows)+sims)
	for i := range rows {
		r := &rows[i]
		conn := r.Connectivity
		if conn == "" {
			conn = "unknown"
		}
		base := func(benefit string, dev, devType, pkg, op any, network string) []any {
			return []any{runID, r.StudentID, benefit, dev, devType, pkg, op, r.SchoolID, r.AreaCode, int16(r.Priority), conn, r.Flag, r.Reason,
				int32(r.Rank), int32(r.PoolSize), int32(r.SchoolSeats), int32(r.TypeRank), int16(r.Grade), int32(r.Seq), network}
		}
		vals = append(vals, base(BenefitDevice, r.DeviceID, r.DeviceType, nil, "", ""))
		if r.SimPackageID != "" {
			network := r.SimNetwork
			if network == "" {
				network = "4G"
			}
			vals = append(vals, base(BenefitSim, nil, "", r.SimPackageID, r.SimOperator, network))
		}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"allocations"}, cols, pgx.CopyFromRows(vals)); err != nil {
		return fmt.Errorf("write the allocations: %w", missingTable(err))
	}
	return nil
}

// copyHandovers writes a pending handover per student.
func copyHandovers(ctx context.Context, tx pgx.Tx, runID int64, rows []AllocationRow) error {
	cols := []string{"student_id", "run_id", "school_id", "device_id", "device_serial", "device_imei", "sim_package_id"}
	vals := make([][]any, len(rows))
	for i := range rows {
		r := &rows[i]
		vals[i] = []any{r.StudentID, runID, r.SchoolID, r.DeviceID, r.DeviceSerial, r.DeviceIMEI, text(r.SimPackageID)}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"handovers"}, cols, pgx.CopyFromRows(vals)); err != nil {
		return fmt.Errorf("write the handovers: %w", missingTable(err))
	}
	return nil
}

// insertReport stores a run's report (nothing when r is nil).
func insertReport(ctx context.Context, q Querier, runID int64, r *RunReport) error {
	if r == nil {
		return nil
	}
	day := pgtype.Date{Time: time.Date(r.RunDate.Year(), r.RunDate.Month(), r.RunDate.Day(), 0, 0, 0, 0, time.UTC), Valid: true}
	if _, err := q.Exec(ctx, `INSERT INTO allocation_run_reports (run_id, run_date, coverage, report) VALUES ($1, $2, $3, $4::jsonb)`,
		runID, day, r.Coverage, jsonOrEmpty(r.JSON)); err != nil {
		return fmt.Errorf("record the report of allocation run %d: %w", runID, missingTable(err))
	}
	return nil
}

// RecordAllocationPreview records a preview run (nothing allocated) and its
// report in one transaction, and returns the run with its id and date.
func (s *Store) RecordAllocationPreview(ctx context.Context, run AllocationRun, report *RunReport) (AllocationRun, error) {
	run.Status = RunPreview
	var out AllocationRun
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if out, err = RecordAllocationRun(ctx, tx, run); err != nil {
			return err
		}
		return insertReport(ctx, tx, out.ID, report)
	})
	return out, err
}

// withActor runs fn in a transaction whose ledger entries name actor and
// reason. A rule of the ledger's triggers (a handover is final, …) that
// refuses the change is a *data.ConflictError with the rule's message.
func (s *Store) withActor(ctx context.Context, actor, reason string, fn func(pgx.Tx) error) error {
	if strings.TrimSpace(actor) == "" {
		return &data.ValidationError{Errors: []data.FieldError{{File: "handover", Column: "actor", Reason: "the actor is empty: say who makes the change"}}}
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT set_config('gapmap.actor', $1, true), set_config('gapmap.reason', $2, true)`, actor, reason); err != nil {
			return err
		}
		return fn(tx)
	})
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "P0001" {
		return &data.ConflictError{Reason: pe.Message}
	}
	return err
}

// RecordHandover records that a student received the device (and the SIM,
// whose ICCID is recorded when not empty) on day on. A handover is final:
// afterwards only a return can be recorded (else a *data.ConflictError). A
// student without an allocation is a *data.NotFoundError. The SIM, if any,
// is activated that day (RecordHandoverActivated).
func (s *Store) RecordHandover(ctx context.Context, actor, studentID, iccid string, on time.Time) error {
	return s.RecordHandoverActivated(ctx, actor, studentID, iccid, on, on)
}

// RecordHandoverActivated is RecordHandover with the SIM's activation day:
// a handover with a SIM opens its service period (sim_periods), from
// activated to activated + the package's months.
func (s *Store) RecordHandoverActivated(ctx context.Context, actor, studentID, iccid string, on, activated time.Time) error {
	return s.withActor(ctx, actor, "", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE handovers SET status = 'handed_over', handed_over_on = $2,
			sim_iccid = CASE WHEN $3 <> '' THEN $3 ELSE sim_iccid END WHERE student_id = $1`,
			studentID, pgtype.Date{Time: on, Valid: true}, iccid)
		if err != nil {
			return fmt.Errorf("record the handover to student %s: %w", studentID, missingTable(err))
		}
		if tag.RowsAffected() == 0 {
			return &data.NotFoundError{Kind: "allocation of student", ID: studentID}
		}
		return openSimPeriod(ctx, tx, studentID, activated)
	})
}

// RecordReturn records that a student returned the device on day on.
func (s *Store) RecordReturn(ctx context.Context, actor, studentID, reason string, on time.Time) error {
	return s.withActor(ctx, actor, reason, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE handovers SET status = 'returned', returned_on = $2 WHERE student_id = $1`,
			studentID, pgtype.Date{Time: on, Valid: true})
		if err != nil {
			return fmt.Errorf("record the return by student %s: %w", studentID, missingTable(err))
		}
		if tag.RowsAffected() == 0 {
			return &data.NotFoundError{Kind: "handover of student", ID: studentID}
		}
		return nil
	})
}

// CancelAllocation takes back a student's allocation that was not handed
// over (device, SIM and pending handover): the student may be served
// again and the device and SIM return to stock. The database refuses when
// the device was handed over (a *data.ConflictError). It returns the rows
// removed; a student without an allocation is a *data.NotFoundError.
func (s *Store) CancelAllocation(ctx context.Context, actor, studentID, reason string) (int, error) {
	var n int64
	err := s.withActor(ctx, actor, reason, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM allocations WHERE student_id = $1`, studentID)
		if err != nil {
			return fmt.Errorf("cancel the allocation of student %s: %w", studentID, missingTable(err))
		}
		n = tag.RowsAffected()
		if n == 0 {
			return &data.NotFoundError{Kind: "allocation of student", ID: studentID}
		}
		return nil
	})
	return int(n), err
}

const allocationRunColumns = `id, created_at, actor, policy, settings::text, status, coverage_run, devices, sims, summary::text, error`

func scanAllocationRun(r pgx.Row) (AllocationRun, error) {
	var run AllocationRun
	var settings, summary string
	var cov pgtype.Int8
	if err := r.Scan(&run.ID, &run.CreatedAt, &run.Actor, &run.Policy, &settings, &run.Status, &cov,
		&run.Devices, &run.Sims, &summary, &run.Error); err != nil {
		return run, err
	}
	run.CoverageRun = cov.Int64
	run.Settings, run.Summary = []byte(settings), []byte(summary)
	return run, nil
}

// ListAllocationRuns returns every run, oldest first.
func (s *Store) ListAllocationRuns(ctx context.Context) ([]AllocationRun, error) {
	var out []AllocationRun
	err := scanEach(ctx, s.pool, "allocation runs", `SELECT `+allocationRunColumns+` FROM allocation_runs ORDER BY id`, nil, func(r pgx.Rows) error {
		run, err := scanAllocationRun(r)
		if err != nil {
			return err
		}
		out = append(out, run)
		return nil
	})
	return out, err
}

// AllocationRunByID returns one run; a *data.NotFoundError when there is
// none.
func (s *Store) AllocationRunByID(ctx context.Context, id int64) (AllocationRun, error) {
	run, err := scanAllocationRun(s.pool.QueryRow(ctx, `SELECT `+allocationRunColumns+` FROM allocation_runs WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return run, &data.NotFoundError{Kind: "allocation run", ID: strconv.FormatInt(id, 10)}
	}
	if err != nil {
		return run, fmt.Errorf("read allocation run %d: %w", id, missingTable(err))
	}
	return run, nil
}

// AllocationRunReport returns the report stored with a run; a
// *data.NotFoundError when the run has none (failed runs, runs recorded
// before reports were kept).
func (s *Store) AllocationRunReport(ctx context.Context, runID int64) (RunReport, error) {
	var r RunReport
	var js string
	err := s.pool.QueryRow(ctx, `SELECT run_date, coverage, report::text FROM allocation_run_reports WHERE run_id = $1`, runID).Scan(&r.RunDate, &r.Coverage, &js)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, &data.NotFoundError{Kind: "report of allocation run", ID: strconv.FormatInt(runID, 10)}
	}
	if err != nil {
		return r, fmt.Errorf("read the report of allocation run %d: %w", runID, missingTable(err))
	}
	r.JSON = []byte(js)
	return r, nil
}

// CommittedAllocation is one student's committed allocation as it stands
// now, with its handover.
type CommittedAllocation struct {
	AllocationRow
	RunID          int64
	HandoverStatus string // HandoverPending, HandoverHandedOver or HandoverReturned
	SimICCID       string
	HandedOverOn   *time.Time
	ReturnedOn     *time.Time
	// The SIM's service (sim_periods): activated on, ends on (after the
	// last renewal), renewals; nil and 0 before the SIM is handed over.
	SimActivatedOn *time.Time
	SimEndsOn      *time.Time
	SimRenewals    int
}

// AllocationFilter narrows CommittedAllocations. Zero values do not
// filter.
type AllocationFilter struct {
	RunID     int64
	AreaCodes []string // the school's area is one of these (nil: any; empty non-nil: none)
	SchoolID  string
	StudentID string
}

// CommittedAllocations returns the committed allocations still in the
// store (cancelled ones are gone) with their handovers, in the run's
// output order.
func (s *Store) CommittedAllocations(ctx context.Context, f AllocationFilter) ([]CommittedAllocation, error) {
	var out []CommittedAllocation
	if f.AreaCodes != nil && len(f.AreaCodes) == 0 {
		return out, nil
	}
	var areas []string
	if f.AreaCodes != nil {
		areas = f.AreaCodes
	}
	err := scanEach(ctx, s.pool, "committed allocations", `SELECT d.run_id, d.student_id, d.school_id, d.area_code, d.priority,
		d.connectivity, d.device_id, d.device_type, h.device_serial, h.device_imei, coalesce(sa.sim_package_id, ''),
		coalesce(sa.sim_operator, ''), d.flag, d.reason, d.rank, d.pool_size, d.school_seats, d.type_rank, d.grade, d.seq,
		h.status, h.sim_iccid, h.handed_over_on, h.returned_on, coalesce(sa.sim_network, ''), sp.activated_on, sp.ends_on, coalesce(sp.renewals, 0)
		FROM allocations d
		JOIN handovers h ON h.student_id = d.student_id
		LEFT JOIN allocations sa ON sa.student_id = d.student_id AND sa.benefit = 'sim'
		LEFT JOIN LATERAL (SELECT min(p.activated_on) FILTER (WHERE p.kind = 'issue') AS activated_on, max(p.ends_on) AS ends_on,
			count(*) FILTER (WHERE p.kind = 'renewal') AS renewals FROM sim_periods p WHERE p.student_id = d.student_id) sp ON true
		WHERE d.benefit = 'device'
		  AND ($1 = 0 OR d.run_id = $1)
		  AND ($2::text[] IS NULL OR d.area_code = ANY ($2))
		  AND ($3 = '' OR d.school_id = $3)
		  AND ($4 = '' OR d.student_id = $4)
		ORDER BY d.run_id, d.seq, d.student_id`,
		[]any{f.RunID, areas, f.SchoolID, f.StudentID}, func(r pgx.Rows) error {
			var a CommittedAllocation
			var prio, grade int16
			var rank, pool, seats, typeRank, seq int32
			var on, back, act, ends pgtype.Date
			var renewals int64
			if err := r.Scan(&a.RunID, &a.StudentID, &a.SchoolID, &a.AreaCode, &prio, &a.Connectivity, &a.DeviceID, &a.DeviceType,
				&a.DeviceSerial, &a.DeviceIMEI, &a.SimPackageID, &a.SimOperator, &a.Flag, &a.Reason,
				&rank, &pool, &seats, &typeRank, &grade, &seq, &a.HandoverStatus, &a.SimICCID, &on, &back,
				&a.SimNetwork, &act, &ends, &renewals); err != nil {
				return err
			}
			a.SimActivatedOn, a.SimEndsOn, a.SimRenewals = datePtr(act), datePtr(ends), int(renewals)
			a.Priority, a.Grade = int(prio), int(grade)
			a.Rank, a.PoolSize, a.SchoolSeats, a.TypeRank, a.Seq = int(rank), int(pool), int(seats), int(typeRank), int(seq)
			if on.Valid {
				t := on.Time
				a.HandedOverOn = &t
			}
			if back.Valid {
				t := back.Time
				a.ReturnedOn = &t
			}
			out = append(out, a)
			return nil
		})
	return out, err
}

// AreaSubtree returns code and the codes of every area below it (any
// depth, any validity), code first; a *data.NotFoundError when no area has
// that code.
func (s *Store) AreaSubtree(ctx context.Context, code string) ([]string, error) {
	return AreaSubtree(ctx, s.pool, code)
}
