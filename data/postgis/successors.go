package postgis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/jackc/pgx/v5"
)

// AreaSuccessors returns the successor table of area codes ordered by old
// code, day and new code.
func AreaSuccessors(ctx context.Context, q Querier) ([]data.AreaSuccessor, error) {
	out := []data.AreaSuccessor{}
	err := each(ctx, q, "area successors", `SELECT old_code, new_code, effective, share FROM area_successors
		ORDER BY old_code, effective, new_code`, func(rows pgx.Rows) error {
		var s data.AreaSuccessor
		if err := rows.Scan(&s.OldCode, &s.NewCode, &s.Effective, &s.Share); err != nil {
			return err
		}
		out = append(out, s)
		return nil
	})
	return out, err
}

// Successors returns the checked successor table (data.NewSuccessors) of
// the store.
func (s *Store) Successors(ctx context.Context) (*data.Successors, error) {
	rows, err := AreaSuccessors(ctx, s.pool)
	if err != nil {
		return nil, err
	}
	return data.NewSuccessors(rows)
}

// AreaSuccessorRows returns the successor table of the store as stored
// (see AreaSuccessors).
func (s *Store) AreaSuccessorRows(ctx context.Context) ([]data.AreaSuccessor, error) {
	return AreaSuccessors(ctx, s.pool)
}

// CopySuccessors writes successor rows inside tx (binary COPY) and returns
// how many were written.
func CopySuccessors(ctx context.Context, tx pgx.Tx, rows []data.AreaSuccessor) (int64, error) {
	return copyRows(ctx, tx, "area_successors", []string{"old_code", "new_code", "effective", "share"}, SliceSource(rows),
		func(s data.AreaSuccessor, v []any) error {
			v[0], v[1], v[2], v[3] = s.OldCode, s.NewCode, Day(s.Effective), s.Share
			return nil
		})
}

// RunAreaFigures are the figures of one coverage run per area code (the
// codes the run placed its points in): aggregates only.
type RunAreaFigures struct {
	Households            int // homes of students
	Students              int
	StudentsT123          int // students of tiers 1–3
	UnconnectedHouseholds int // homes with neither fiber nor 4G
	UnconnectedT123       int // tier 1–3 students at those homes
	Schools               int
}

// CoverageRunAreaFigures sums coverage run runID per area code, and
// returns its date (the day whose areas it used). A missing run is a
// *data.NotFoundError.
func (s *Store) CoverageRunAreaFigures(ctx context.Context, runID int64) (map[string]RunAreaFigures, time.Time, error) {
	var day time.Time
	err := s.pool.QueryRow(ctx, `SELECT run_date FROM coverage_runs WHERE id = $1`, runID).Scan(&day)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, day, &data.NotFoundError{Kind: "coverage run", ID: strconv.FormatInt(runID, 10)}
	}
	if err != nil {
		return nil, day, fmt.Errorf("read coverage run %d: %w%s", runID, err, hintMigrate(err))
	}
	out := map[string]RunAreaFigures{}
	err = scanEach(ctx, s.pool, "the run's figures by area", `SELECT area_code,
			count(*) FILTER (WHERE entity_type = 'household'),
			coalesce(sum(students) FILTER (WHERE entity_type = 'household'), 0),
			coalesce(sum(students_t1 + students_t2 + students_t3) FILTER (WHERE entity_type = 'household'), 0),
			count(*) FILTER (WHERE entity_type = 'household' AND connectivity NOT IN ('fiber', '4g')),
			coalesce(sum(students_t1 + students_t2 + students_t3) FILTER (WHERE entity_type = 'household' AND connectivity NOT IN ('fiber', '4g')), 0),
			count(*) FILTER (WHERE entity_type = 'school')
		FROM coverage_entities WHERE run_id = $1 GROUP BY area_code`, []any{runID}, func(r pgx.Rows) error {
		var code string
		var f RunAreaFigures
		if err := r.Scan(&code, &f.Households, &f.Students, &f.StudentsT123, &f.UnconnectedHouseholds, &f.UnconnectedT123, &f.Schools); err != nil {
			return err
		}
		out[code] = f
		return nil
	})
	return out, day, err
}
