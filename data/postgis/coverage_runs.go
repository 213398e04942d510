package postgis

// Coverage runs as the service reads them: the run list and one run, its
// aggregated cells by area or bounding box, its ranked gap areas with
// filters, its plan, and the cells and schools of the operators' export.
// Nothing here returns a household or a student: coverage_entities is read
// for entity_type 'school' only.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/geo"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// StoreCoverageRun writes a run and its results in one transaction and
// returns the run's id (see the function StoreCoverageRun).
func (s *Store) StoreCoverageRun(ctx context.Context, run CoverageRun, entities Source[CoverageEntityRow],
	cells Source[CoverageCellRow], gaps []GapAreaRow, steps []PlanStepRow) (int64, error) {
	return StoreCoverageRun(ctx, s.pool, run, entities, cells, gaps, steps)
}

// CoverageRun returns run id, or the newest run when id is 0. A missing
// run is a *data.NotFoundError.
func (s *Store) CoverageRun(ctx context.Context, id int64) (CoverageRun, error) {
	var r CoverageRun
	var err error
	if id == 0 {
		r, err = LatestCoverageRun(ctx, s.pool)
	} else {
		r, err = CoverageRunByID(ctx, s.pool, id)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		nf := &data.NotFoundError{Kind: "coverage run"}
		if id != 0 {
			nf.ID = strconv.FormatInt(id, 10)
		}
		return r, nf
	}
	return r, err
}

// ListCoverageRuns returns the newest runs first (without their summaries'
// area lists: Summary holds only counts and total) and the number of runs.
func (s *Store) ListCoverageRuns(ctx context.Context, limit, offset int) ([]CoverageRun, int, error) {
	var total int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM coverage_runs`).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("list the coverage runs: %w%s", err, hintMigrate(err))
	}
	rows, err := s.pool.Query(ctx, `SELECT id, created_at, parameters::text, operators, what_if, entities, cells, gap_areas,
			jsonb_build_object('counts', summary->'counts', 'total', summary->'total')::text, plan IS NOT NULL, run_date
		FROM coverage_runs ORDER BY id DESC LIMIT $1 OFFSET $2`, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("list the coverage runs: %w", err)
	}
	defer rows.Close()
	var out []CoverageRun
	for rows.Next() {
		var r CoverageRun
		var params, summary string
		var hasPlan bool
		if err := rows.Scan(&r.ID, &r.CreatedAt, &params, &r.Operators, &r.WhatIf, &r.Entities, &r.Cells, &r.GapAreas, &summary, &hasPlan, &r.Date); err != nil {
			return nil, 0, fmt.Errorf("list the coverage runs: %w", err)
		}
		r.Parameters, r.Summary = []byte(params), []byte(summary)
		if hasPlan {
			r.Plan = []byte("{}")
		}
		out = append(out, r)
	}
	return out, total, rows.Err()
}

// areaFilter is the SQL condition "column is area $n or below it" (any
// depth of areas.parent_code); true when the area is "".
func areaFilter(column string, n int) string {
	p := "$" + strconv.Itoa(n)
	return `(` + p + ` = '' OR ` + column + ` IN (WITH RECURSIVE sub(code) AS (
		SELECT code FROM areas WHERE code = ` + p + `
		UNION SELECT a.code FROM areas a JOIN sub ON a.parent_code = sub.code) SELECT code FROM sub))`
}

// CellQuery selects aggregated cells of a run: one resolution, within an
// area (and below) and/or a bounding box (lon/lat; all zero: none).
type CellQuery struct {
	RunID    int64
	Res      int
	AreaCode string
	BBox     *[4]float64 // min lon, min lat, max lon, max lat
	Limit    int
}

// CellRow is an aggregated cell as the API serves it.
type CellRow struct {
	CoverageCellRow
	Lat, Lon float64 // centre of the cell
}

// CoverageCells returns the cells of q in h3 order, at most q.Limit (and
// whether more matched).
func (s *Store) CoverageCells(ctx context.Context, q CellQuery) ([]CellRow, bool, error) {
	args := []any{q.RunID, q.Res, q.AreaCode, q.Limit + 1}
	where := `c.run_id = $1 AND c.res = $2 AND ` + areaFilter("c.area_code", 3)
	if q.BBox != nil {
		b := q.BBox
		args = append(args, b[0], b[1], b[2], b[3])
		where += ` AND c.geom && ST_MakeEnvelope($5, $6, $7, $8, 4326)`
	}
	rows, err := s.pool.Query(ctx, `SELECT c.h3, c.res, c.area_code, c.households, c.schools, c.school_students,
			c.students_t0, c.students_t1, c.students_t2, c.students_t3, c.no_device_t123,
			c.households_fiber, c.households_4g, c.households_3g, c.households_2g, c.households_none,
			c.unconnected_households, c.unconnected_students_t0, c.unconnected_students_t1, c.unconnected_students_t2, c.unconnected_students_t3,
			c.unconnected_schools, c.share_4g_any, c.share_fiber, c.share_4g, c.served_operators, c.gap, c.gap_cells, coalesce(c.gap_id, ''), c.cells
		FROM coverage_cells c WHERE `+where+` ORDER BY c.h3 LIMIT $4`, args...)
	if err != nil {
		return nil, false, fmt.Errorf("read the coverage cells: %w%s", err, hintMigrate(err))
	}
	defer rows.Close()
	var out []CellRow
	for rows.Next() {
		var r CellRow
		var h3 int64
		var res int16
		c := &r.CoverageCellRow
		if err := rows.Scan(&h3, &res, &c.AreaCode, &c.Households, &c.Schools, &c.SchoolStudents,
			&c.Students[0], &c.Students[1], &c.Students[2], &c.Students[3], &c.NoDeviceT123,
			&c.HouseholdsByClass[0], &c.HouseholdsByClass[1], &c.HouseholdsByClass[2], &c.HouseholdsByClass[3], &c.HouseholdsByClass[4],
			&c.UnconnectedHouseholds, &c.UnconnectedStudents[0], &c.UnconnectedStudents[1], &c.UnconnectedStudents[2], &c.UnconnectedStudents[3],
			&c.UnconnectedSchools, &c.Share4GAny, &c.ShareFiber, &c.Share4G, &c.ServedOperators, &c.Gap, &c.GapCells, &c.GapID, &c.Cells); err != nil {
			return nil, false, fmt.Errorf("read the coverage cells: %w", err)
		}
		c.Cell, c.Res = geo.Cell(h3), int(res)
		if r.Lat, r.Lon, err = c.Cell.Center(); err != nil {
			return nil, false, fmt.Errorf("cell %d: %w", h3, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("read the coverage cells: %w", err)
	}
	more := len(out) > q.Limit
	if more {
		out = out[:q.Limit]
	}
	return out, more, nil
}

// GapQuery filters, sorts and pages the gap areas of a run.
type GapQuery struct {
	RunID    int64
	AreaCode string // the area and below
	// Operator keeps the gap areas whose nearest 4G site is this
	// operator's (the operator best placed to close them).
	Operator string
	// MinBeneficiaries keeps gap areas with at least this many tier 1–3
	// students at home plus schools' pupils.
	MinBeneficiaries int
	// Sort is one of GapSorts (default "rank"); Desc reverses it.
	Sort          string
	Desc          bool
	Limit, Offset int
}

// GapSorts lists the accepted sort keys of GapQuery.
func GapSorts() []string {
	return []string{"rank", "score", "weighted_beneficiaries", "beneficiaries", "households", "cost_vnd", "nearest_4g_m"}
}

// GapRow is a ranked gap area with its score components (JSON).
type GapRow struct {
	GapAreaRow
	Beneficiaries  int // tier 1–3 students at home + pupils of the gap's schools
	Nearest4GOp    string
	OutlineGeoJSON []byte
	ComponentsJSON []byte
}

// GapAreas returns one page of the gap areas of q and how many match.
func (s *Store) GapAreas(ctx context.Context, q GapQuery) ([]GapRow, int, error) {
	order := map[string]string{
		"rank": "g.rank", "score": "g.score", "weighted_beneficiaries": "g.weighted_beneficiaries",
		"beneficiaries": "(g.students_t1 + g.students_t2 + g.students_t3 + g.school_students)", "households": "g.households",
		"cost_vnd": "g.cost_vnd", "nearest_4g_m": "g.nearest_4g_m",
	}
	key := q.Sort
	if key == "" {
		key = "rank"
	}
	col, ok := order[key]
	if !ok {
		return nil, 0, fmt.Errorf("postgis: gap sort %q is not one of %s", q.Sort, strings.Join(GapSorts(), ", "))
	}
	dir := "ASC NULLS LAST"
	if q.Desc {
		dir = "DESC NULLS LAST"
	}
	where := `g.run_id = $1 AND ` + areaFilter("g.area_code", 2) + `
		AND (g.students_t1 + g.students_t2 + g.students_t3 + g.school_students) >= $3
		AND ($4 = '' OR site.operator = $4)`
	from := `gap_areas g LEFT JOIN LATERAL (SELECT operator FROM sites WHERE sector_id = g.nearest_4g_site OR site_id = g.nearest_4g_site LIMIT 1) site ON true`
	var total int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM `+from+` WHERE `+where, q.RunID, q.AreaCode, q.MinBeneficiaries, q.Operator).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count the gap areas: %w%s", err, hintMigrate(err))
	}
	rows, err := s.pool.Query(ctx, `SELECT g.gap_id, g.area_code, g.environment, g.rank, g.cells, g.households,
			g.students_t0, g.students_t1, g.students_t2, g.students_t3, g.no_device_t123, g.schools, g.school_students,
			g.nearest_4g_m, coalesce(g.nearest_4g_site, ''), g.nearest_fiber_m, g.weighted_beneficiaries, g.option, g.cost_vnd, g.score,
			g.components::text, ST_Y(g.centroid), ST_X(g.centroid), ST_AsGeoJSON(g.geom, 7), coalesce(site.operator, '')
		FROM `+from+` WHERE `+where+` ORDER BY `+col+` `+dir+`, g.rank LIMIT $5 OFFSET $6`,
		q.RunID, q.AreaCode, q.MinBeneficiaries, q.Operator, q.Limit, q.Offset)
	if err != nil {
		return nil, 0, fmt.Errorf("read the gap areas: %w", err)
	}
	defer rows.Close()
	var out []GapRow
	for rows.Next() {
		var r GapRow
		g := &r.GapAreaRow
		var near, fiber pgtype.Float8
		var comp, outline string
		if err := rows.Scan(&g.GapID, &g.AreaCode, &g.Environment, &g.Rank, &g.Cells, &g.Households,
			&g.Students[0], &g.Students[1], &g.Students[2], &g.Students[3], &g.NoDeviceT123, &g.Schools, &g.SchoolStudents,
			&near, &g.Nearest4GSite, &fiber, &g.WeightedBeneficiaries, &g.Option, &g.CostVND, &g.Score,
			&comp, &g.CentroidLat, &g.CentroidLon, &outline, &r.Nearest4GOp); err != nil {
			return nil, 0, fmt.Errorf("read the gap areas: %w", err)
		}
		g.Nearest4GM, g.NearestFiberM = floatOrNaN(near), floatOrNaN(fiber)
		r.ComponentsJSON, r.OutlineGeoJSON = []byte(comp), []byte(outline)
		r.Beneficiaries = g.Students[1] + g.Students[2] + g.Students[3] + g.SchoolStudents
		out = append(out, r)
	}
	return out, total, rows.Err()
}

// PlanSteps returns the plan of a run in build order (empty without one).
func (s *Store) PlanSteps(ctx context.Context, runID int64) ([]PlanStepRow, error) {
	rows, err := s.pool.Query(ctx, `SELECT rank, h3, sector_id, area_code, environment, ST_Y(geom), ST_X(geom), range_m, cost_vnd,
			marginal_weighted, marginal_households, marginal_students_t1, marginal_students_t2, marginal_students_t3, marginal_schools,
			cumulative_weighted, cumulative_cost_vnd, cost_per_beneficiary_vnd, gap_ids
		FROM plan_steps WHERE run_id = $1 ORDER BY rank`, runID)
	if err != nil {
		return nil, fmt.Errorf("read the plan: %w%s", err, hintMigrate(err))
	}
	defer rows.Close()
	var out []PlanStepRow
	for rows.Next() {
		var p PlanStepRow
		var h3 int64
		var cpb pgtype.Float8
		if err := rows.Scan(&p.Rank, &h3, &p.SectorID, &p.AreaCode, &p.Environment, &p.Lat, &p.Lon, &p.RangeM, &p.CostVND,
			&p.MarginalWeighted, &p.MarginalHouseholds, &p.MarginalStudentsT1, &p.MarginalStudentsT2, &p.MarginalStudentsT3, &p.MarginalSchools,
			&p.CumulativeWeighted, &p.CumulativeCostVND, &cpb, &p.GapIDs); err != nil {
			return nil, fmt.Errorf("read the plan: %w", err)
		}
		p.Cell, p.CostPerBeneficiaryVND = geo.Cell(h3), floatOrNaN(cpb)
		out = append(out, p)
	}
	return out, rows.Err()
}
