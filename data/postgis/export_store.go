package postgis

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/geo"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// Reads for the operators' export of uncovered points. They return
// aggregated cells and schools only: coverage_entities is read for
// entity_type 'school' and nothing else.

// UncoveredCellRow is an uncovered cell of a coverage run with its counts.
type UncoveredCellRow struct {
	Cell               geo.Cell
	AreaCode, AreaName string
	Households         int
	// Students living in the cell by tier (1..3; 0 unused) and those of
	// them at homes without 4G or fiber.
	Students, Unconnected [4]int
	Schools               int
	GapID                 string
	GapRank               int     // 0: in no gap area
	GapScore              float64 // NaN: in no gap area
	GapNearest4GM         float64 // nearest 4G site of the gap area; NaN: unknown
}

// UncoveredSchoolRow is a school of a coverage run without 4G (of an
// operator, or any and no fiber).
type UncoveredSchoolRow struct {
	SchoolID, Name, Level string
	AreaCode, AreaName    string
	Cell                  geo.Cell
	Lat, Lon              float64
	Students              int
	Connectivity          string
	Nearest4GM            float64 // NaN: none
	GapID                 string
	GapRank               int
	GapScore              float64
}

// CoverageRunByID returns run id; a missing run is a *data.NotFoundError
// (also wrapping pgx.ErrNoRows).
func CoverageRunByID(ctx context.Context, q Querier, id int64) (CoverageRun, error) {
	var r CoverageRun
	var params, summary string
	var plan pgtype.Text
	err := q.QueryRow(ctx, `SELECT id, created_at, parameters::text, operators, what_if, entities, cells, gap_areas, summary::text, plan::text, run_date
		FROM coverage_runs WHERE id = $1`, id).Scan(&r.ID, &r.CreatedAt, &params, &r.Operators, &r.WhatIf, &r.Entities, &r.Cells, &r.GapAreas, &summary, &plan, &r.Date)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, fmt.Errorf("%w: %w", &data.NotFoundError{Kind: "coverage run", ID: strconv.FormatInt(id, 10)}, err)
	}
	if err != nil {
		return r, fmt.Errorf("read coverage run %d: %w%s", id, err, hintMigrate(err))
	}
	r.Parameters, r.Summary = []byte(params), []byte(summary)
	if plan.Valid {
		r.Plan = []byte(plan.String)
	}
	return r, nil
}

func floatOrNaN(f pgtype.Float8) float64 {
	if !f.Valid {
		return math.NaN()
	}
	return f.Float64
}

// UncoveredCells returns the cells of resolution res of run runID that are
// uncovered, within area (and below; "" for all), by gap rank then h3.
// With operator "" these are the gap cells (demand and neither 4G nor
// fiber); otherwise the cells with demand (tier 1–3 students or a school)
// that operator does not serve with 4G.
func UncoveredCells(ctx context.Context, q Querier, runID int64, res int, operator, area string) ([]UncoveredCellRow, error) {
	rows, err := q.Query(ctx, `SELECT c.h3, c.area_code, coalesce(a.name, ''), c.households,
			c.students_t1, c.students_t2, c.students_t3,
			c.unconnected_students_t1, c.unconnected_students_t2, c.unconnected_students_t3,
			c.schools, coalesce(c.gap_id, ''), g.rank, g.score, g.nearest_4g_m
		FROM coverage_cells c
		`+areaNameJoin("a", "c.area_code", "(SELECT run_date FROM coverage_runs WHERE id = $1)")+`
		LEFT JOIN gap_areas g ON g.run_id = c.run_id AND g.gap_id = c.gap_id
		WHERE c.run_id = $1 AND c.res = $2
		  AND CASE WHEN $3 = '' THEN c.gap
		      ELSE NOT ($3 = ANY (c.served_operators))
		           AND (c.students_t1 + c.students_t2 + c.students_t3 > 0 OR c.schools > 0) END
		  AND `+areaFilter("c.area_code", 4)+`
		ORDER BY g.rank NULLS LAST, c.h3`, runID, res, operator, area)
	if err != nil {
		return nil, fmt.Errorf("read the uncovered cells: %w%s", err, hintMigrate(err))
	}
	defer rows.Close()
	var out []UncoveredCellRow
	for rows.Next() {
		var r UncoveredCellRow
		var h3 int64
		var rank pgtype.Int4
		var score, near pgtype.Float8
		if err := rows.Scan(&h3, &r.AreaCode, &r.AreaName, &r.Households, &r.Students[1], &r.Students[2], &r.Students[3],
			&r.Unconnected[1], &r.Unconnected[2], &r.Unconnected[3], &r.Schools, &r.GapID, &rank, &score, &near); err != nil {
			return nil, fmt.Errorf("read the uncovered cells: %w", err)
		}
		r.Cell, r.GapRank, r.GapScore, r.GapNearest4GM = geo.Cell(h3), int(rank.Int32), floatOrNaN(score), floatOrNaN(near)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the uncovered cells: %w", err)
	}
	return out, nil
}

// EachUncoveredSchool calls fn for each school of run runID without 4G or
// fiber (operator ""), or without 4G of operator, within area (and below;
// "" for all), by school id. Only rows of entity_type 'school' are read.
func EachUncoveredSchool(ctx context.Context, q Querier, runID int64, operator, area string, fn func(UncoveredSchoolRow) error) error {
	rows, err := q.Query(ctx, `SELECT e.entity_id, coalesce(s.name, ''), coalesce(s.level, ''), e.area_code, coalesce(a.name, ''),
			e.h3, ST_Y(e.geom), ST_X(e.geom), e.school_students, e.connectivity, e.nearest_4g_m,
			coalesce(e.gap_id, ''), g.rank, g.score
		FROM coverage_entities e
		LEFT JOIN schools s ON s.school_id = e.entity_id
		`+areaNameJoin("a", "e.area_code", "(SELECT run_date FROM coverage_runs WHERE id = $1)")+`
		LEFT JOIN gap_areas g ON g.run_id = e.run_id AND g.gap_id = e.gap_id
		WHERE e.run_id = $1 AND e.entity_type = 'school'
		  AND CASE WHEN $2 = '' THEN e.connectivity NOT IN ('fiber', '4g')
		      ELSE NOT ($2 = ANY (e.operators_4g)) END
		  AND `+areaFilter("e.area_code", 3)+`
		ORDER BY e.entity_id`, runID, operator, area)
	if err != nil {
		return fmt.Errorf("read the uncovered schools: %w%s", err, hintMigrate(err))
	}
	defer rows.Close()
	for rows.Next() {
		var r UncoveredSchoolRow
		var h3 int64
		var rank pgtype.Int4
		var score, near pgtype.Float8
		if err := rows.Scan(&r.SchoolID, &r.Name, &r.Level, &r.AreaCode, &r.AreaName, &h3, &r.Lat, &r.Lon, &r.Students,
			&r.Connectivity, &near, &r.GapID, &rank, &score); err != nil {
			return fmt.Errorf("read the uncovered schools: %w", err)
		}
		r.Cell, r.GapRank, r.GapScore, r.Nearest4GM = geo.Cell(h3), int(rank.Int32), floatOrNaN(score), floatOrNaN(near)
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read the uncovered schools: %w", err)
	}
	return nil
}
