package postgis

import (
	"context"
	"errors"
	"fmt"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/geo"
	"github.com/jackc/pgx/v5"
)

// Gaps closed between two coverage runs: aggregated cells only (no
// household, no student is read).

// ClosedQuery compares run RunID with the earlier run SinceID at one H3
// resolution, within an area (and below; "" for all). With Operator ""
// a cell is closed when it was a gap cell in SinceID and is not in RunID;
// with an operator, when it had demand (tier 1–3 students or a school)
// that operator did not serve with 4G in SinceID and serves in RunID.
type ClosedQuery struct {
	RunID, SinceID int64
	Res            int
	Operator       string // normalised (coverage.NormalizeOperator); "" any
	AreaCode       string
}

// ClosedCellRow is a cell closed between two runs; its counts are those
// of RunID; UnconnectedBefore/After are its tier 1–3 students at homes
// without 4G or fiber in SinceID and RunID.
type ClosedCellRow struct {
	Cell                    geo.Cell
	Res                     int
	AreaCode                string
	Lat, Lon                float64
	Households              int
	Students                [4]int // by tier 1..3 (0 unused)
	Schools, SchoolStudents int
	UnconnectedBefore       int
	UnconnectedAfter        int
	WasGap, IsGap           bool
	GapIDBefore             string
}

// PreviousCoverageRun returns the newest run older than id that is not a
// what-if (a *data.NotFoundError when there is none).
func (s *Store) PreviousCoverageRun(ctx context.Context, id int64) (int64, error) {
	var prev int64
	err := s.pool.QueryRow(ctx, `SELECT id FROM coverage_runs WHERE id < $1 AND cardinality(what_if) = 0 ORDER BY id DESC LIMIT 1`, id).Scan(&prev)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, &data.NotFoundError{Kind: "coverage run before", ID: fmt.Sprint(id)}
	}
	if err != nil {
		return 0, fmt.Errorf("find the coverage run before %d: %w%s", id, err, hintMigrate(err))
	}
	return prev, nil
}

// ClosedCells returns the cells of q, the gap cells of SinceID first,
// then by h3.
func (s *Store) ClosedCells(ctx context.Context, q ClosedQuery) ([]ClosedCellRow, error) {
	rows, err := s.pool.Query(ctx, `SELECT r.h3, r.res, r.area_code, r.households, r.students_t1, r.students_t2, r.students_t3,
			r.schools, r.school_students,
			p.unconnected_students_t1 + p.unconnected_students_t2 + p.unconnected_students_t3,
			r.unconnected_students_t1 + r.unconnected_students_t2 + r.unconnected_students_t3,
			p.gap, r.gap, coalesce(p.gap_id, '')
		FROM coverage_cells r
		JOIN coverage_cells p ON p.run_id = $2 AND p.res = r.res AND p.h3 = r.h3
		WHERE r.run_id = $1 AND r.res = $3
		  AND CASE WHEN $4 = '' THEN p.gap AND NOT r.gap
		      ELSE NOT ($4 = ANY (p.served_operators)) AND $4 = ANY (r.served_operators)
		           AND (p.students_t1 + p.students_t2 + p.students_t3 > 0 OR p.schools > 0) END
		  AND `+areaFilter("r.area_code", 5)+`
		ORDER BY p.gap DESC, r.h3`, q.RunID, q.SinceID, q.Res, q.Operator, q.AreaCode)
	if err != nil {
		return nil, fmt.Errorf("read the closed cells: %w%s", err, hintMigrate(err))
	}
	defer rows.Close()
	var out []ClosedCellRow
	for rows.Next() {
		var c ClosedCellRow
		var h3 int64
		var res int16
		if err := rows.Scan(&h3, &res, &c.AreaCode, &c.Households, &c.Students[1], &c.Students[2], &c.Students[3],
			&c.Schools, &c.SchoolStudents, &c.UnconnectedBefore, &c.UnconnectedAfter, &c.WasGap, &c.IsGap, &c.GapIDBefore); err != nil {
			return nil, fmt.Errorf("read the closed cells: %w", err)
		}
		c.Cell, c.Res = geo.Cell(h3), int(res)
		if c.Lat, c.Lon, err = c.Cell.Center(); err != nil {
			return nil, fmt.Errorf("cell %d: %w", h3, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the closed cells: %w", err)
	}
	return out, nil
}
