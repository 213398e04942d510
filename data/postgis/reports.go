package postgis

// The facts behind the reports owed upward (issue 11): counts only, grouped
// by the area code they were recorded under, read in one repeatable-read
// snapshot so that a report adds up. No student, household or device id
// leaves this file: the queries group before they return.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/jackc/pgx/v5"
)

// ReportTimeZone is the zone in which an allocation's time becomes its
// day: the programme's days are Vietnamese days.
const ReportTimeZone = "Asia/Ho_Chi_Minh"

// ReportArea is an area as the reports list it (no boundary).
type ReportArea struct {
	Code, Name, Level, ParentCode string
	ValidFrom, ValidTo            *time.Time
}

// RunRef is a run a report was made from.
type RunRef struct {
	ID      int64     `json:"id"`
	Kind    string    `json:"kind"` // allocation or coverage
	Created time.Time `json:"created_at"`
}

// NeedCount is the number of students of a tier in the schools of an area,
// with or without a device when imported.
type NeedCount struct {
	AreaCode  string
	Tier      int
	HadDevice bool
	Students  int
}

// AllocationCount is the number of benefits (device or sim) allocated by
// committed runs on one day to students of a tier in an area; Network is
// a SIM's network ("4G", "3G", "" for runs before the 3G fallback and for
// devices).
type AllocationCount struct {
	AreaCode, Benefit string
	Network           string
	Tier              int
	Day               time.Time
	N                 int
}

// DatedCount is a number of events of one kind on one day for students of
// a tier whose allocation is recorded under an area: SIMs handed over,
// devices inspected back to stock, SIM renewals.
type DatedCount struct {
	AreaCode string
	Tier     int
	On       time.Time
	N        int
}

// SaleCount is what the sales (liquidations) of one day sold and raised.
type SaleCount struct {
	On        time.Time
	Devices   int
	AmountVND int64
}

// PlannedCount is what a preview run would allocate to students of a tier
// in an area: devices, SIMs and SIMs on 3G.
type PlannedCount struct {
	AreaCode              string
	Tier                  int
	Devices, Sims, Sims3G int
}

// HandoverCount is the number of devices handed over on one day to
// students of a tier in an area, and returned on a day (nil: not
// returned). SIMs handed over are ProgressFacts.SimHandovers.
type HandoverCount struct {
	AreaCode   string
	Tier       int
	On         time.Time
	ReturnedOn *time.Time
	N          int
}

// ReceivedCount is the number of devices of a type, or of SIMs (Kind
// "sim"), given by a donor ("" unknown), held in an area ("" province
// stock), received on a day (nil: not recorded).
type ReceivedCount struct {
	Donor, Kind, AreaCode string
	On                    *time.Time
	N                     int
}

// ProgressFacts are the counts of the progress and monthly handover
// reports.
type ProgressFacts struct {
	Areas       []ReportArea
	Successors  []data.AreaSuccessor
	Runs        []RunRef // committed allocation runs created on or before the end day
	Needs       []NeedCount
	Allocations []AllocationCount
	Handovers   []HandoverCount
	Received    []ReceivedCount
	// SimHandovers: SIMs handed over, on the day of the device's handover
	// with its SIM, else on the day the SIM's service was issued
	// (sim_periods 'issue': a SIM handed over without a device).
	SimHandovers []DatedCount
	Restocked    []DatedCount // returned devices inspected "ok": back in stock
	Renewals     []DatedCount // SIM renewals (sim_periods 'renewal')
	Sales        []SaleCount
	// Preview is the preview run whose plan was read (nil: none); Planned
	// what it would allocate.
	Preview *RunRef
	Planned []PlannedCount
}

// snapshot runs read in one read-only repeatable-read transaction.
func (s *Store) snapshot(ctx context.Context, read func(tx pgx.Tx) error) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("begin the report snapshot: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read only
	return read(tx)
}

func reportAreas(ctx context.Context, q Querier) ([]ReportArea, error) {
	var out []ReportArea
	err := scanEach(ctx, q, "areas", `SELECT code, name, level, coalesce(parent_code, ''), valid_from, valid_to FROM areas ORDER BY code`, nil,
		func(r pgx.Rows) error {
			var a ReportArea
			if err := r.Scan(&a.Code, &a.Name, &a.Level, &a.ParentCode, &a.ValidFrom, &a.ValidTo); err != nil {
				return err
			}
			out = append(out, a)
			return nil
		})
	return out, err
}

// reportBasis reads what every allocation report starts from: the areas,
// the successor table, and the committed allocation runs up to and
// including day to.
func reportBasis(ctx context.Context, tx pgx.Tx, to time.Time) ([]ReportArea, []data.AreaSuccessor, []RunRef, error) {
	areas, err := reportAreas(ctx, tx)
	if err != nil {
		return nil, nil, nil, err
	}
	succ, err := AreaSuccessors(ctx, tx)
	if err != nil {
		return nil, nil, nil, err
	}
	var runs []RunRef
	err = scanEach(ctx, tx, "allocation runs", `SELECT id, created_at FROM allocation_runs
		WHERE status = 'committed' AND (created_at AT TIME ZONE '`+ReportTimeZone+`')::date <= $1 ORDER BY id`, []any{to},
		func(r pgx.Rows) error {
			ref := RunRef{Kind: "allocation"}
			if err := r.Scan(&ref.ID, &ref.Created); err != nil {
				return err
			}
			ref.Created = ref.Created.UTC()
			runs = append(runs, ref)
			return nil
		})
	return areas, succ, runs, err
}

// allocDay is the day of an allocation (alias a) in the report's zone, as SQL.
const allocDay = `(a.created_at AT TIME ZONE '` + ReportTimeZone + `')::date`

// ProgressFacts reads the counts of the progress and handover reports up
// to and including day to, and, when previewRun is not 0, what that
// preview run would allocate (its recorded report). A run that does not
// exist, or a preview without a report, is a *data.NotFoundError; a run
// that is not a preview a *data.ConflictError.
func (s *Store) ProgressFacts(ctx context.Context, to time.Time, previewRun int64) (ProgressFacts, error) {
	var f ProgressFacts
	err := s.snapshot(ctx, func(tx pgx.Tx) error {
		var err error
		if f.Areas, f.Successors, f.Runs, err = reportBasis(ctx, tx, to); err != nil {
			return err
		}
		err = scanEach(ctx, tx, "students in need", `SELECT sc.area_code, st.priority, st.has_device, count(*)
			FROM students st JOIN schools sc ON sc.school_id = st.school_id
			WHERE st.priority BETWEEN 1 AND 3 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`, nil,
			func(r pgx.Rows) error {
				var n NeedCount
				if err := r.Scan(&n.AreaCode, &n.Tier, &n.HadDevice, &n.Students); err != nil {
					return err
				}
				f.Needs = append(f.Needs, n)
				return nil
			})
		if err != nil {
			return err
		}
		err = scanEach(ctx, tx, "allocations", `SELECT a.area_code, a.benefit, a.sim_network, a.priority, `+allocDay+`, count(*)
			FROM allocations a JOIN allocation_runs r ON r.id = a.run_id AND r.status = 'committed'
			WHERE `+allocDay+` <= $1 GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5`, []any{to},
			func(r pgx.Rows) error {
				var n AllocationCount
				if err := r.Scan(&n.AreaCode, &n.Benefit, &n.Network, &n.Tier, &n.Day, &n.N); err != nil {
					return err
				}
				f.Allocations = append(f.Allocations, n)
				return nil
			})
		if err != nil {
			return err
		}
		err = scanEach(ctx, tx, "handovers", `SELECT a.area_code, a.priority, h.handed_over_on,
				CASE WHEN h.returned_on <= $1 THEN h.returned_on END, count(*)
			FROM handovers h JOIN allocations a ON a.student_id = h.student_id AND a.benefit = h.benefit
			WHERE h.status <> 'pending' AND h.handed_over_on <= $1
			GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4 NULLS FIRST`, []any{to},
			func(r pgx.Rows) error {
				var n HandoverCount
				if err := r.Scan(&n.AreaCode, &n.Tier, &n.On, &n.ReturnedOn, &n.N); err != nil {
					return err
				}
				f.Handovers = append(f.Handovers, n)
				return nil
			})
		if err != nil {
			return err
		}
		if f.Received, err = receivedCounts(ctx, tx, to); err != nil {
			return err
		}
		if err := lifecycleCounts(ctx, tx, to, &f); err != nil {
			return err
		}
		if previewRun != 0 {
			return previewPlan(ctx, tx, previewRun, &f)
		}
		return nil
	})
	return f, err
}

func datedCounts(ctx context.Context, q Querier, what, query string, to time.Time) ([]DatedCount, error) {
	var out []DatedCount
	err := scanEach(ctx, q, what, query, []any{to}, func(r pgx.Rows) error {
		var n DatedCount
		if err := r.Scan(&n.AreaCode, &n.Tier, &n.On, &n.N); err != nil {
			return err
		}
		out = append(out, n)
		return nil
	})
	return out, err
}

// lifecycleCounts reads the SIMs handed over, the devices back in stock,
// the SIM renewals and the sales, on or before to.
func lifecycleCounts(ctx context.Context, q Querier, to time.Time, f *ProgressFacts) error {
	var err error
	f.SimHandovers, err = datedCounts(ctx, q, "SIMs handed over", `SELECT s.area_code, s.priority, coalesce(h.handed_over_on, p.recorded_on), count(*)
		FROM allocations s JOIN allocation_runs r ON r.id = s.run_id AND r.status = 'committed'
		LEFT JOIN handovers h ON h.student_id = s.student_id AND h.status <> 'pending' AND h.sim_package_id IS NOT NULL
		LEFT JOIN sim_periods p ON p.student_id = s.student_id AND p.kind = 'issue'
		WHERE s.benefit = 'sim' AND coalesce(h.handed_over_on, p.recorded_on) <= $1
		GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`, to)
	if err != nil {
		return err
	}
	f.Restocked, err = datedCounts(ctx, q, "devices back in stock", `SELECT a.area_code, a.priority, i.inspected_on, count(*)
		FROM device_inspections i JOIN allocations a ON a.id = i.allocation_id
		WHERE i.result = 'ok' AND i.inspected_on <= $1
		GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`, to)
	if err != nil {
		return err
	}
	f.Renewals, err = datedCounts(ctx, q, "SIM renewals", `SELECT coalesce(s.area_code, d.area_code, sc.area_code, ''),
			coalesce(s.priority, d.priority, st.priority, 0), p.recorded_on, count(*)
		FROM sim_periods p
		LEFT JOIN allocations s ON s.student_id = p.student_id AND s.benefit = 'sim'
		LEFT JOIN allocations d ON d.student_id = p.student_id AND d.benefit = 'device'
		LEFT JOIN students st ON st.student_id = p.student_id
		LEFT JOIN schools sc ON sc.school_id = st.school_id
		WHERE p.kind = 'renewal' AND p.recorded_on <= $1
		GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`, to)
	if err != nil {
		return err
	}
	return scanEach(ctx, q, "sales", `SELECT l.sold_on, sum(c.n)::int, sum(l.amount_vnd)::bigint
		FROM liquidations l, LATERAL (SELECT count(*) AS n FROM liquidation_devices d WHERE d.liquidation_id = l.id) c
		WHERE l.sold_on <= $1 GROUP BY 1 ORDER BY 1`, []any{to},
		func(r pgx.Rows) error {
			var n SaleCount
			if err := r.Scan(&n.On, &n.Devices, &n.AmountVND); err != nil {
				return err
			}
			f.Sales = append(f.Sales, n)
			return nil
		})
}

// previewPlan reads what preview run id would allocate, from the report
// recorded with it (a preview writes no allocation rows).
func previewPlan(ctx context.Context, q Querier, id int64, f *ProgressFacts) error {
	ref := RunRef{ID: id, Kind: "allocation_preview"}
	var status string
	err := q.QueryRow(ctx, `SELECT status, created_at FROM allocation_runs WHERE id = $1`, id).Scan(&status, &ref.Created)
	if errors.Is(err, pgx.ErrNoRows) {
		return &data.NotFoundError{Kind: "allocation run", ID: strconv.FormatInt(id, 10)}
	}
	if err != nil {
		return fmt.Errorf("read allocation run %d: %w", id, missingTable(err))
	}
	if status != RunPreview {
		return &data.ConflictError{Reason: fmt.Sprintf("allocation run %d is %s, not a preview: its allocations are in the report already; give a preview run", id, status)}
	}
	ref.Created = ref.Created.UTC()
	var has bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM allocation_run_reports WHERE run_id = $1)`, id).Scan(&has); err != nil {
		return fmt.Errorf("read the report of allocation run %d: %w", id, missingTable(err))
	}
	if !has {
		return &data.NotFoundError{Kind: "report of allocation run", ID: strconv.FormatInt(id, 10)}
	}
	f.Preview = &ref
	return scanEach(ctx, q, "the preview's allocations", `SELECT coalesce(x->>'area_code', ''), coalesce((x->>'priority')::int, 0),
			count(*) FILTER (WHERE coalesce(x->>'device_id', '') <> ''),
			count(*) FILTER (WHERE coalesce(x->>'sim_package_id', '') <> ''),
			count(*) FILTER (WHERE coalesce(x->>'sim_package_id', '') <> '' AND x->>'sim_network' = '3G')
		FROM allocation_run_reports r,
			jsonb_array_elements(CASE WHEN jsonb_typeof(r.report->'allocations') = 'array' THEN r.report->'allocations' ELSE '[]'::jsonb END) x
		WHERE r.run_id = $1 GROUP BY 1, 2 ORDER BY 1, 2`, []any{id},
		func(r pgx.Rows) error {
			var n PlannedCount
			if err := r.Scan(&n.AreaCode, &n.Tier, &n.Devices, &n.Sims, &n.Sims3G); err != nil {
				return err
			}
			f.Planned = append(f.Planned, n)
			return nil
		})
}

// receivedCounts reads the resources received on or before to (and those
// without a day).
func receivedCounts(ctx context.Context, q Querier, to time.Time) ([]ReceivedCount, error) {
	var out []ReceivedCount
	err := scanEach(ctx, q, "resources received", `SELECT coalesce(o.name, ''), d.type, coalesce(d.area_code, ''), d.received_on, count(*)
			FROM devices d LEFT JOIN donors o ON o.donor_id = d.donor_id
			WHERE d.received_on IS NULL OR d.received_on <= $1 GROUP BY 1, 2, 3, 4
		UNION ALL
		SELECT coalesce(o.name, ''), 'sim', coalesce(p.area_code, ''), p.received_on, sum(p.quantity)
			FROM sim_packages p LEFT JOIN donors o ON o.donor_id = p.donor_id
			WHERE p.received_on IS NULL OR p.received_on <= $1 GROUP BY 1, 2, 3, 4
		ORDER BY 1, 2, 3, 4 NULLS FIRST`, []any{to},
		func(r pgx.Rows) error {
			var n ReceivedCount
			if err := r.Scan(&n.Donor, &n.Kind, &n.AreaCode, &n.On, &n.N); err != nil {
				return err
			}
			out = append(out, n)
			return nil
		})
	return out, err
}

// DonorTrailCount is what one donor's devices of a type (or SIMs, Kind
// "sim") became in one school: allocated by committed runs on or before
// the end day, and handed over by then (devices; a SIM counts as handed
// over with its student's device).
type DonorTrailCount struct {
	Donor, Kind, AreaCode, SchoolID, SchoolName string
	Allocated, HandedOver                       int
}

// DonorFacts are the counts of the donor trail.
type DonorFacts struct {
	Areas      []ReportArea
	Successors []data.AreaSuccessor
	Runs       []RunRef
	Trail      []DonorTrailCount
	Received   []ReceivedCount
}

// DonorFacts reads the donor trail up to and including day to.
func (s *Store) DonorFacts(ctx context.Context, to time.Time) (DonorFacts, error) {
	var f DonorFacts
	err := s.snapshot(ctx, func(tx pgx.Tx) error {
		var err error
		if f.Areas, f.Successors, f.Runs, err = reportBasis(ctx, tx, to); err != nil {
			return err
		}
		err = scanEach(ctx, tx, "donor trail", `WITH given AS (
				SELECT coalesce(od.name, os.name, '') AS donor,
					CASE a.benefit WHEN 'sim' THEN 'sim' ELSE coalesce(d.type, nullif(a.device_type, ''), 'unknown') END AS kind,
					a.area_code, a.school_id,
					h.status IS NOT NULL AND h.status <> 'pending' AND h.handed_over_on <= $1
						AND (a.benefit = 'device' OR h.sim_package_id = a.sim_package_id) AS handed
				FROM allocations a
				JOIN allocation_runs r ON r.id = a.run_id AND r.status = 'committed'
				LEFT JOIN devices d ON d.device_id = a.device_id
				LEFT JOIN donors od ON od.donor_id = d.donor_id
				LEFT JOIN sim_packages p ON p.package_id = a.sim_package_id
				LEFT JOIN donors os ON os.donor_id = p.donor_id
				LEFT JOIN handovers h ON h.student_id = a.student_id
				WHERE `+allocDay+` <= $1)
			SELECT g.donor, g.kind, g.area_code, g.school_id, coalesce(sc.name, ''), count(*), count(*) FILTER (WHERE g.handed)
			FROM given g LEFT JOIN schools sc ON sc.school_id = g.school_id
			GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4`, []any{to},
			func(r pgx.Rows) error {
				var n DonorTrailCount
				if err := r.Scan(&n.Donor, &n.Kind, &n.AreaCode, &n.SchoolID, &n.SchoolName, &n.Allocated, &n.HandedOver); err != nil {
					return err
				}
				f.Trail = append(f.Trail, n)
				return nil
			})
		if err != nil {
			return err
		}
		f.Received, err = receivedCounts(ctx, tx, to)
		return err
	})
	return f, err
}

// MobileGapCount is, for one area code (as the current run recorded it, or
// the baseline's for a home no longer present) and one operator (""
// any operator), the homes of the current run, those without mobile
// Internet (no 4G and no 3G) now and in the baseline, and the changes:
// Closed had none in the baseline and has some now, Opened the reverse,
// New a home absent from the baseline that has none, Gone a home without
// mobile Internet in the baseline absent now.
type MobileGapCount struct {
	AreaCode, Operator                           string
	Homes, Without, WithoutBefore, BaselineHomes int
	Closed, Opened, New, Gone                    int
}

// ConnectivityFacts are the counts of the Sở TTTT measure.
type ConnectivityFacts struct {
	Areas      []ReportArea
	Successors []data.AreaSuccessor
	Run        RunRef
	Baseline   RunRef // ID 0: none
	Operators  []string
	Gaps       []MobileGapCount
}

// ConnectivityFacts reads the homes without mobile Internet of coverage
// run runID (0: the newest) against baselineID (0: none, -1: the run
// before runID). Missing runs are *data.NotFoundError.
func (s *Store) ConnectivityFacts(ctx context.Context, runID, baselineID int64) (ConnectivityFacts, error) {
	var f ConnectivityFacts
	err := s.snapshot(ctx, func(tx pgx.Tx) error {
		var err error
		if f.Areas, err = reportAreas(ctx, tx); err != nil {
			return err
		}
		if f.Successors, err = AreaSuccessors(ctx, tx); err != nil {
			return err
		}
		run := func(id int64, what string) (RunRef, []string, error) {
			ref := RunRef{Kind: "coverage"}
			var ops []string
			q := `SELECT id, created_at, operators FROM coverage_runs WHERE id = $1`
			args := []any{id}
			if id == 0 {
				q, args = `SELECT id, created_at, operators FROM coverage_runs WHERE cardinality(what_if) = 0 ORDER BY id DESC LIMIT 1`, nil
			}
			err := tx.QueryRow(ctx, q, args...).Scan(&ref.ID, &ref.Created, &ops)
			if errors.Is(err, pgx.ErrNoRows) {
				nf := &data.NotFoundError{Kind: what}
				if id != 0 {
					nf.ID = strconv.FormatInt(id, 10)
				}
				return ref, nil, nf
			}
			if err != nil {
				return ref, nil, fmt.Errorf("read the %s: %w%s", what, err, hintMigrate(err))
			}
			ref.Created = ref.Created.UTC()
			return ref, ops, nil
		}
		var baseOps []string
		if f.Run, f.Operators, err = run(runID, "coverage run"); err != nil {
			return err
		}
		if baselineID < 0 {
			err := tx.QueryRow(ctx, `SELECT id FROM coverage_runs WHERE id < $1 AND cardinality(what_if) = 0 ORDER BY id DESC LIMIT 1`, f.Run.ID).Scan(&baselineID)
			if errors.Is(err, pgx.ErrNoRows) {
				baselineID = 0
			} else if err != nil {
				return fmt.Errorf("find the coverage run before %d: %w", f.Run.ID, err)
			}
		}
		if baselineID > 0 {
			if f.Baseline, baseOps, err = run(baselineID, "baseline coverage run"); err != nil {
				return err
			}
		}
		// Operators of either run, the run's order first.
		seen := map[string]bool{}
		for _, o := range f.Operators {
			seen[o] = true
		}
		for _, o := range baseOps {
			if !seen[o] {
				seen[o] = true
				f.Operators = append(f.Operators, o)
			}
		}
		return scanEach(ctx, tx, "homes without mobile Internet", `WITH
			r AS (SELECT entity_id, area_code, operators_4g || operators_3g AS mob FROM coverage_entities
				WHERE run_id = $1 AND entity_type = 'household'),
			b AS (SELECT entity_id, area_code, operators_4g || operators_3g AS mob FROM coverage_entities
				WHERE run_id = $2 AND entity_type = 'household'),
			j AS (SELECT coalesce(r.area_code, b.area_code) AS area_code, o.op,
					r.entity_id IS NOT NULL AS in_r, b.entity_id IS NOT NULL AS in_b,
					CASE WHEN o.op = '' THEN cardinality(r.mob) > 0 ELSE o.op = ANY (r.mob) END AS r_mob,
					CASE WHEN o.op = '' THEN cardinality(b.mob) > 0 ELSE o.op = ANY (b.mob) END AS b_mob
				FROM r FULL JOIN b ON b.entity_id = r.entity_id
				CROSS JOIN unnest(array_prepend('', $3::text[])) AS o(op))
			SELECT area_code, op,
				count(*) FILTER (WHERE in_r),
				count(*) FILTER (WHERE in_r AND NOT r_mob),
				count(*) FILTER (WHERE in_b AND NOT b_mob),
				count(*) FILTER (WHERE in_b),
				count(*) FILTER (WHERE in_r AND in_b AND r_mob AND NOT b_mob),
				count(*) FILTER (WHERE in_r AND in_b AND NOT r_mob AND b_mob),
				count(*) FILTER (WHERE in_r AND NOT in_b AND NOT r_mob AND $2 > 0),
				count(*) FILTER (WHERE in_b AND NOT in_r AND NOT b_mob)
			FROM j GROUP BY 1, 2 ORDER BY 1, 2`, []any{f.Run.ID, baselineID, f.Operators},
			func(r pgx.Rows) error {
				var n MobileGapCount
				if err := r.Scan(&n.AreaCode, &n.Operator, &n.Homes, &n.Without, &n.WithoutBefore, &n.BaselineHomes,
					&n.Closed, &n.Opened, &n.New, &n.Gone); err != nil {
					return err
				}
				f.Gaps = append(f.Gaps, n)
				return nil
			})
	})
	return f, err
}
