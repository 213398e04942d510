package postgis

// Coverage runs in the store (tables of migrations/00002_coverage.sql), and
// the PostGIS-only coverage baseline that benchmarks and agreement tests
// compare the engine with.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/geo"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"
)

// CoverageRun is one coverage run as recorded.
type CoverageRun struct {
	ID         int64
	CreatedAt  time.Time
	Parameters []byte // JSON of coverage.Settings
	Operators  []string
	WhatIf     []string
	Entities   int
	Cells      int
	GapAreas   int
	Summary    []byte // JSON: totals by area and class
	Plan       []byte // JSON of the plan's options, nil without a plan
	// Date is the analysis date: points were located in the areas valid
	// that day (a calendar day; zero when storing: today).
	Date time.Time
}

// CoverageEntityRow is one school or household of a run. Distances that do
// not exist are +Inf (stored as NULL).
type CoverageEntityRow struct {
	EntityType, EntityID, AreaCode           string
	Cell                                     geo.Cell
	Lat, Lon                                 float64
	Connectivity                             string
	Operators4G, Operators3G, Operators2G    []string
	Nearest4GM                               float64
	Nearest4GSite                            string
	Nearest4GByOperator                      []float64
	NearestFiberM                            float64
	Students, StudentsT1, StudentsT2         int
	StudentsT3, NoDeviceT123, SchoolStudents int
	GapID                                    string
}

// CoverageCellRow is one aggregated H3 cell of a run.
type CoverageCellRow struct {
	Cell                                geo.Cell
	Res                                 int
	AreaCode                            string
	Households, Schools, SchoolStudents int
	Students                            [4]int
	NoDeviceT123                        int
	HouseholdsByClass                   [5]int // fiber, 4g, 3g, 2g, none
	UnconnectedHouseholds               int
	UnconnectedStudents                 [4]int
	UnconnectedSchools                  int
	Share4GAny, ShareFiber              float64
	Share4G                             []float64
	ServedOperators                     []string
	Gap                                 bool
	GapCells                            int
	GapID                               string
	Cells                               int
}

// GapAreaRow is one ranked gap area of a run.
type GapAreaRow struct {
	GapID, AreaCode, Environment string
	Rank, Cells                  int
	Households                   int
	Students                     [4]int
	NoDeviceT123                 int
	Schools, SchoolStudents      int
	Nearest4GM                   float64
	Nearest4GSite                string
	NearestFiberM                float64
	WeightedBeneficiaries        float64
	Option                       string
	CostVND, Score               float64
	Components                   []byte // JSON of every score component
	CentroidLat, CentroidLon     float64
	Outline                      orb.MultiPolygon
}

// PlanStepRow is one new site of a run's plan.
type PlanStepRow struct {
	Rank                                   int
	Cell                                   geo.Cell
	SectorID, AreaCode, Environment        string
	Lat, Lon                               float64
	RangeM, CostVND                        float64
	MarginalWeighted                       float64
	MarginalHouseholds                     int
	MarginalStudentsT1, MarginalStudentsT2 int
	MarginalStudentsT3, MarginalSchools    int
	CumulativeWeighted, CumulativeCostVND  float64
	CostPerBeneficiaryVND                  float64
	GapIDs                                 []string
}

func nullFloat(x float64) pgtype.Float8 {
	return pgtype.Float8{Float64: x, Valid: !math.IsInf(x, 0) && !math.IsNaN(x)}
}

func nullFloats(xs []float64) []pgtype.Float8 {
	out := make([]pgtype.Float8, len(xs))
	for i, x := range xs {
		out[i] = nullFloat(x)
	}
	return out
}

func strs(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// floats never sends NULL for an empty array (a run without sectors has
// no operators).
func floats(f []float64) []float64 {
	if f == nil {
		return []float64{}
	}
	return f
}

func pointGeom(lat, lon float64) *geom.Point {
	return geom.NewPointFlat(geom.XY, []float64{lon, lat}).SetSRID(SRID)
}

func polygonGeom(r orb.Ring) *geom.Polygon {
	flat := make([]float64, 0, 2*len(r)+2)
	for _, p := range r {
		flat = append(flat, p[0], p[1])
	}
	if len(r) > 0 && r[0] != r[len(r)-1] {
		flat = append(flat, r[0][0], r[0][1])
	}
	return geom.NewPolygonFlat(geom.XY, flat, []int{len(flat)}).SetSRID(SRID)
}

// StoreCoverageRun writes a run and its results in one transaction and
// returns the run's id. cells must carry their boundaries (boundary(c)).
func StoreCoverageRun(ctx context.Context, pool *pgxpool.Pool, run CoverageRun, entities Source[CoverageEntityRow],
	cells Source[CoverageCellRow], gaps []GapAreaRow, steps []PlanStepRow) (int64, error) {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("store the coverage run: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	var plan any
	if run.Plan != nil {
		plan = string(run.Plan)
	}
	jsonOr := func(b []byte) string {
		if len(b) == 0 {
			return "{}"
		}
		return string(b)
	}
	var id int64
	day := sqlDay(run.Date)
	err = tx.QueryRow(ctx, `INSERT INTO coverage_runs (parameters, operators, what_if, entities, cells, gap_areas, summary, plan, run_date)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, coalesce($9, `+vietnamToday+`)) RETURNING id`,
		jsonOr(run.Parameters), strs(run.Operators), strs(run.WhatIf), run.Entities, run.Cells, run.GapAreas, jsonOr(run.Summary), plan, day).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store the coverage run: %w%s", err, hintMigrate(err))
	}
	vals := make([]any, 23)
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"coverage_entities"}, []string{
		"run_id", "entity_type", "entity_id", "area_code", "h3", "connectivity", "operators_4g", "operators_3g", "operators_2g",
		"nearest_4g_m", "nearest_4g_site", "nearest_4g_by_operator", "nearest_fiber_m",
		"students", "students_t1", "students_t2", "students_t3", "no_device_t123", "school_students", "gap_id", "geom",
	}, pgx.CopyFromFunc(func() ([]any, error) {
		r, ok, err := entities()
		if err != nil || !ok {
			return nil, err
		}
		v := vals[:21]
		v[0], v[1], v[2], v[3], v[4], v[5] = id, r.EntityType, r.EntityID, r.AreaCode, int64(r.Cell), r.Connectivity
		v[6], v[7], v[8] = strs(r.Operators4G), strs(r.Operators3G), strs(r.Operators2G)
		v[9], v[10], v[11], v[12] = nullFloat(r.Nearest4GM), text(r.Nearest4GSite), nullFloats(r.Nearest4GByOperator), nullFloat(r.NearestFiberM)
		v[13], v[14], v[15], v[16], v[17], v[18] = int32(r.Students), int32(r.StudentsT1), int32(r.StudentsT2), int32(r.StudentsT3), int32(r.NoDeviceT123), int32(r.SchoolStudents)
		v[19], v[20] = text(r.GapID), pointGeom(r.Lat, r.Lon)
		return v, nil
	}))
	if err != nil {
		return 0, fmt.Errorf("store the coverage entities: %w%s", err, hintMigrate(err))
	}
	var boundaryErr error
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"coverage_cells"}, []string{
		"run_id", "h3", "res", "area_code", "households", "schools", "school_students",
		"students_t0", "students_t1", "students_t2", "students_t3", "no_device_t123",
		"households_fiber", "households_4g", "households_3g", "households_2g", "households_none",
		"unconnected_households", "unconnected_students_t0", "unconnected_students_t1", "unconnected_students_t2", "unconnected_students_t3",
		"unconnected_schools", "share_4g_any", "share_fiber", "share_4g", "served_operators", "gap", "gap_cells", "gap_id", "cells", "geom",
	}, pgx.CopyFromFunc(func() ([]any, error) {
		c, ok, err := cells()
		if err != nil || !ok {
			return nil, err
		}
		ring, err := c.Cell.Boundary()
		if err != nil {
			boundaryErr = err
			return nil, err
		}
		return []any{
			id, int64(c.Cell), int16(c.Res), c.AreaCode, int32(c.Households), int32(c.Schools), int32(c.SchoolStudents),
			int32(c.Students[0]), int32(c.Students[1]), int32(c.Students[2]), int32(c.Students[3]), int32(c.NoDeviceT123),
			int32(c.HouseholdsByClass[0]), int32(c.HouseholdsByClass[1]), int32(c.HouseholdsByClass[2]), int32(c.HouseholdsByClass[3]), int32(c.HouseholdsByClass[4]),
			int32(c.UnconnectedHouseholds), int32(c.UnconnectedStudents[0]), int32(c.UnconnectedStudents[1]), int32(c.UnconnectedStudents[2]), int32(c.UnconnectedStudents[3]),
			int32(c.UnconnectedSchools), c.Share4GAny, c.ShareFiber, floats(c.Share4G), strs(c.ServedOperators), c.Gap, int32(c.GapCells), text(c.GapID), int32(c.Cells),
			polygonGeom(ring),
		}, nil
	}))
	if err != nil {
		if boundaryErr != nil {
			err = boundaryErr
		}
		return 0, fmt.Errorf("store the coverage cells: %w%s", err, hintMigrate(err))
	}
	for _, g := range gaps {
		_, err = tx.Exec(ctx, `INSERT INTO gap_areas (run_id, gap_id, rank, area_code, environment, cells, households,
			students_t0, students_t1, students_t2, students_t3, no_device_t123, schools, school_students,
			nearest_4g_m, nearest_4g_site, nearest_fiber_m, weighted_beneficiaries, option, cost_vnd, score, components, centroid, geom)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24)`,
			id, g.GapID, g.Rank, g.AreaCode, g.Environment, g.Cells, g.Households,
			g.Students[0], g.Students[1], g.Students[2], g.Students[3], g.NoDeviceT123, g.Schools, g.SchoolStudents,
			nullFloat(g.Nearest4GM), text(g.Nearest4GSite), nullFloat(g.NearestFiberM), g.WeightedBeneficiaries, g.Option, g.CostVND, g.Score,
			jsonOr(g.Components), pointGeom(g.CentroidLat, g.CentroidLon), multiPolygon(g.Outline))
		if err != nil {
			return 0, fmt.Errorf("store gap area %s: %w%s", g.GapID, err, hintMigrate(err))
		}
	}
	for _, s := range steps {
		_, err = tx.Exec(ctx, `INSERT INTO plan_steps (run_id, rank, h3, sector_id, area_code, environment, range_m, cost_vnd,
			marginal_weighted, marginal_households, marginal_students_t1, marginal_students_t2, marginal_students_t3, marginal_schools,
			cumulative_weighted, cumulative_cost_vnd, cost_per_beneficiary_vnd, gap_ids, geom)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19)`,
			id, s.Rank, int64(s.Cell), s.SectorID, s.AreaCode, s.Environment, s.RangeM, s.CostVND,
			s.MarginalWeighted, s.MarginalHouseholds, s.MarginalStudentsT1, s.MarginalStudentsT2, s.MarginalStudentsT3, s.MarginalSchools,
			s.CumulativeWeighted, s.CumulativeCostVND, nullFloat(s.CostPerBeneficiaryVND), strs(s.GapIDs), pointGeom(s.Lat, s.Lon))
		if err != nil {
			return 0, fmt.Errorf("store plan step %d: %w%s", s.Rank, err, hintMigrate(err))
		}
	}
	if err := commit(ctx, tx); err != nil {
		return 0, fmt.Errorf("store the coverage run: %w", err)
	}
	return id, nil
}

// LatestCoverageRun returns the newest run; when there is none, a
// *data.NotFoundError (also wrapping pgx.ErrNoRows).
func LatestCoverageRun(ctx context.Context, q Querier) (CoverageRun, error) {
	var r CoverageRun
	var params, summary string
	var plan pgtype.Text
	err := q.QueryRow(ctx, `SELECT id, created_at, parameters::text, operators, what_if, entities, cells, gap_areas, summary::text, plan::text, run_date
		FROM coverage_runs ORDER BY id DESC LIMIT 1`).Scan(&r.ID, &r.CreatedAt, &params, &r.Operators, &r.WhatIf, &r.Entities, &r.Cells, &r.GapAreas, &summary, &plan, &r.Date)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, fmt.Errorf("%w: %w", &data.NotFoundError{Kind: "coverage run"}, err)
	}
	if err != nil {
		return r, fmt.Errorf("read the latest coverage run: %w%s", err, hintMigrate(err))
	}
	r.Parameters, r.Summary = []byte(params), []byte(summary)
	if plan.Valid {
		r.Plan = []byte(plan.String)
	}
	return r, nil
}

// Baseline ------------------------------------------------------------------

// BaselineSector is a sector for the PostGIS baseline. AzimuthDeg NaN is
// omni; FourG marks 4G/5G sectors (the only ones classified).
type BaselineSector struct {
	Operator     string
	Lat, Lon     float64
	RangeM       float64
	AzimuthDeg   float64
	BeamwidthDeg float64
	FourG        bool
}

// BaselinePoint is a point to classify.
type BaselinePoint struct{ Lat, Lon float64 }

// BaselineResult is the PostGIS answer for one point: the operators whose
// 4G covers it (sorted) and the distance to the nearest 4G sector (+Inf
// when none).
type BaselineResult struct {
	Operators  []string
	Nearest4GM float64
}

// BaselineSQL is the classification query of the baseline: ST_DWithin on
// geography (GiST index) plus the beam test with ST_Azimuth (a point at
// the mast itself counts as covered).
const BaselineSQL = `SELECT p.id, array_agg(DISTINCT s.op ORDER BY s.op)
FROM bl_sectors s JOIN bl_points p ON ST_DWithin(s.geog, p.geog, s.range_m)
WHERE s.fourg AND (s.az IS NULL OR COALESCE(
      abs(mod((degrees(ST_Azimuth(s.geog, p.geog)) - s.az + 540)::numeric, 360) - 180) <= s.half, true))
GROUP BY p.id`

// BaselineNearestSQL finds each point's nearest 4G sector: the 8 nearest
// by the index's spherical distance, then the least ellipsoidal distance.
const BaselineNearestSQL = `SELECT p.id, (SELECT min(ST_Distance(n.geog, p.geog)) FROM
  (SELECT s.geog FROM bl_sectors s WHERE s.fourg ORDER BY s.geog <-> p.geog LIMIT 8) n)
FROM bl_points p`

// CoverageBaseline classifies points against sectors with PostGIS alone,
// in temporary tables of one connection (loaded with COPY, GiST-indexed,
// analysed). It returns the answers, the time of the classification query
// and the time of the nearest-site query (loading excluded).
func CoverageBaseline(ctx context.Context, pool *pgxpool.Pool, secs []BaselineSector, pts []BaselinePoint) ([]BaselineResult, time.Duration, time.Duration, error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("baseline: get a connection: %w", err)
	}
	defer conn.Release()
	c := conn.Conn()
	defer func() {
		_, _ = c.Exec(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS bl_sectors, bl_points`)
	}()
	setup := []string{
		`DROP TABLE IF EXISTS bl_sectors, bl_points`,
		`CREATE TEMP TABLE bl_sectors (id int, op text, fourg boolean, lat float8, lon float8, range_m float8, az float8, half float8)`,
		`CREATE TEMP TABLE bl_points (id int, lat float8, lon float8)`,
	}
	for _, q := range setup {
		if _, err := c.Exec(ctx, q); err != nil {
			return nil, 0, 0, fmt.Errorf("baseline: %w", err)
		}
	}
	i := 0
	if _, err := c.CopyFrom(ctx, pgx.Identifier{"bl_sectors"}, []string{"id", "op", "fourg", "lat", "lon", "range_m", "az", "half"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if i >= len(secs) {
				return nil, nil
			}
			s := secs[i]
			i++
			var az, half any
			if !math.IsNaN(s.AzimuthDeg) {
				az, half = s.AzimuthDeg, s.BeamwidthDeg/2
			}
			return []any{int32(i - 1), s.Operator, s.FourG, s.Lat, s.Lon, s.RangeM, az, half}, nil
		})); err != nil {
		return nil, 0, 0, fmt.Errorf("baseline: copy the sectors: %w", err)
	}
	i = 0
	if _, err := c.CopyFrom(ctx, pgx.Identifier{"bl_points"}, []string{"id", "lat", "lon"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if i >= len(pts) {
				return nil, nil
			}
			p := pts[i]
			i++
			return []any{int32(i - 1), p.Lat, p.Lon}, nil
		})); err != nil {
		return nil, 0, 0, fmt.Errorf("baseline: copy the points: %w", err)
	}
	for _, q := range []string{
		`ALTER TABLE bl_sectors ADD COLUMN geog geography(Point, 4326)`,
		`UPDATE bl_sectors SET geog = ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography`,
		`ALTER TABLE bl_points ADD COLUMN geog geography(Point, 4326)`,
		`UPDATE bl_points SET geog = ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography`,
		`CREATE INDEX ON bl_sectors USING gist (geog)`,
		`CREATE INDEX ON bl_points USING gist (geog)`,
		`ANALYZE bl_sectors`,
		`ANALYZE bl_points`,
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			return nil, 0, 0, fmt.Errorf("baseline: %w", err)
		}
	}
	out := make([]BaselineResult, len(pts))
	t0 := time.Now()
	rows, err := c.Query(ctx, BaselineSQL)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("baseline classification: %w", err)
	}
	for rows.Next() {
		var id int32
		var ops []string
		if err := rows.Scan(&id, &ops); err != nil {
			rows.Close()
			return nil, 0, 0, fmt.Errorf("baseline classification: %w", err)
		}
		sort.Strings(ops)
		out[id].Operators = ops
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, 0, fmt.Errorf("baseline classification: %w", err)
	}
	classify := time.Since(t0)
	t0 = time.Now()
	rows, err = c.Query(ctx, BaselineNearestSQL)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("baseline nearest site: %w", err)
	}
	for rows.Next() {
		var id int32
		var d pgtype.Float8
		if err := rows.Scan(&id, &d); err != nil {
			rows.Close()
			return nil, 0, 0, fmt.Errorf("baseline nearest site: %w", err)
		}
		out[id].Nearest4GM = math.Inf(1)
		if d.Valid {
			out[id].Nearest4GM = d.Float64
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, 0, fmt.Errorf("baseline nearest site: %w", err)
	}
	return out, classify, time.Since(t0), nil
}
