package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// AreaNode is an area without its boundary, as the area tree lists it.
type AreaNode struct {
	Code        string  `json:"code"`
	Name        string  `json:"name"`
	Level       string  `json:"level"`
	ParentCode  string  `json:"parent_code,omitempty"`
	ValidFrom   *string `json:"valid_from,omitempty"`
	ValidTo     *string `json:"valid_to,omitempty"`
	Population  int     `json:"population"`
	Households  int     `json:"households"`
	Environment string  `json:"environment,omitempty"`
	HasGeometry bool    `json:"has_geometry"`
}

// AreaTree returns the areas valid on day (zero: today in Vietnam) without
// their boundaries, ordered by code; the tree is given by ParentCode.
func (s *Store) AreaTree(ctx context.Context, day time.Time) ([]AreaNode, error) {
	out := []AreaNode{}
	err := scanEach(ctx, s.pool, "areas", `SELECT code, name, level, coalesce(parent_code, ''), to_char(valid_from, 'YYYY-MM-DD'),
		to_char(valid_to, 'YYYY-MM-DD'), population, households, environment, geom IS NOT NULL FROM areas a
		WHERE `+validOn("a", "coalesce($1, "+vietnamToday+")")+` ORDER BY code`, []any{sqlDay(day)}, func(rows pgx.Rows) error {
		var a AreaNode
		if err := rows.Scan(&a.Code, &a.Name, &a.Level, &a.ParentCode, &a.ValidFrom, &a.ValidTo, &a.Population, &a.Households, &a.Environment, &a.HasGeometry); err != nil {
			return err
		}
		out = append(out, a)
		return nil
	})
	return out, err
}

// AreaSubtree returns code and the codes of every area below it (any
// version, any depth up to 64), nearest first then by code; a code that is
// not an area is a *data.NotFoundError.
func AreaSubtree(ctx context.Context, q Querier, code string) ([]string, error) {
	var out []string
	err := scanEach(ctx, q, "the area tree", `WITH RECURSIVE t(code, depth) AS (
			SELECT DISTINCT code, 0 FROM areas WHERE code = $1
			UNION
			SELECT a.code, t.depth + 1 FROM areas a JOIN t ON a.parent_code = t.code WHERE t.depth < 64)
		SELECT code FROM t GROUP BY code ORDER BY min(depth), code`, []any{code}, func(r pgx.Rows) error {
		var c string
		if err := r.Scan(&c); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, &data.NotFoundError{Kind: "area", ID: code}
	}
	return out, nil
}

// AreasGeoJSONOptions select the areas of WriteAreasGeoJSON.
type AreasGeoJSONOptions struct {
	// Parent: only the children of this area ("": any).
	Parent string
	// Level: only areas of this level ("": any).
	Level string
	// Code: only this area.
	Code string
	// Tolerance simplifies boundaries (degrees, ST_SimplifyPreserveTopology;
	// 0: as stored).
	Tolerance float64
	// Date: the areas valid that day (zero: today in Vietnam).
	Date time.Time
}

// AreasGeoJSON returns the boundaries of the selected areas as a GeoJSON
// FeatureCollection built by PostGIS (properties: code, name, level,
// parent_code).
func (s *Store) AreasGeoJSON(ctx context.Context, o AreasGeoJSONOptions) (json.RawMessage, error) {
	var out string
	err := s.pool.QueryRow(ctx, `SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(f ORDER BY code), '[]'::json))::text
		FROM (SELECT a.code, json_build_object('type', 'Feature', 'id', a.code,
				'properties', json_build_object('code', a.code, 'name', a.name, 'level', a.level, 'parent_code', a.parent_code),
				'geometry', CASE WHEN a.geom IS NULL THEN NULL
					WHEN $4::float8 > 0 THEN ST_AsGeoJSON(ST_Multi(ST_SimplifyPreserveTopology(a.geom, $4)), 6)::json
					ELSE ST_AsGeoJSON(a.geom, 7)::json END) AS f
			FROM areas a
			WHERE ($1 = '' OR a.parent_code = $1) AND ($2 = '' OR a.level = $2) AND ($3 = '' OR a.code = $3)
			  AND `+validOn("a", "coalesce($5, "+vietnamToday+")")+`) x`,
		o.Parent, o.Level, o.Code, o.Tolerance, sqlDay(o.Date)).Scan(&out)
	if err != nil {
		return nil, fmt.Errorf("read the area boundaries: %w", err)
	}
	return json.RawMessage(out), nil
}

// AreaSummary is what a coverage run says about an area and everything
// below it: aggregates only.
type AreaSummary struct {
	AreaCode string `json:"area_code"`
	RunID    int64  `json:"run_id"`
	// Households and students living in the area, by priority tier.
	Households int64 `json:"households"`
	Students   int64 `json:"students"`
	StudentsT1 int64 `json:"students_t1"`
	StudentsT2 int64 `json:"students_t2"`
	StudentsT3 int64 `json:"students_t3"`
	// Homes by connectivity class (fiber, 4g, 3g, 2g, none).
	Connectivity map[string]int64 `json:"connectivity"`
	// CoveragePct is the share of homes with fiber or 4G, in percent (0
	// without homes).
	CoveragePct float64 `json:"coverage_pct"`
	// Students of tiers 1–3 whose home has neither fiber nor 4G.
	UnconnectedStudentsT123 int64 `json:"unconnected_students_t123"`
	Schools                 int64 `json:"schools"`
	// SchoolsWithoutInternet: schools with neither fiber nor 4G in the run.
	SchoolsWithoutInternet int64 `json:"schools_without_internet"`
}

// noRun is the error when no coverage run exists.
func noRun() error { return &data.NotFoundError{Kind: "coverage run"} }

// AreaSummaryOf sums the entities of a coverage run (runID 0: the latest)
// in area code and below.
func (s *Store) AreaSummaryOf(ctx context.Context, code string, runID int64) (AreaSummary, error) {
	sum := AreaSummary{AreaCode: code, Connectivity: map[string]int64{}}
	codes, err := AreaSubtree(ctx, s.pool, code)
	if err != nil {
		return sum, err
	}
	if runID == 0 {
		err = s.pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM coverage_runs`).Scan(&runID)
		if err != nil {
			return sum, fmt.Errorf("find the latest coverage run: %w", err)
		}
		if runID == 0 {
			return sum, noRun()
		}
	} else {
		var ok bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM coverage_runs WHERE id = $1)`, runID).Scan(&ok); err != nil {
			return sum, fmt.Errorf("find coverage run %d: %w", runID, err)
		}
		if !ok {
			return sum, &data.NotFoundError{Kind: "coverage run", ID: fmt.Sprint(runID)}
		}
	}
	sum.RunID = runID
	var fiber, g4, g3, g2, none pgtype.Int8
	err = s.pool.QueryRow(ctx, `SELECT
			count(*) FILTER (WHERE entity_type = 'household'),
			coalesce(sum(students) FILTER (WHERE entity_type = 'household'), 0),
			coalesce(sum(students_t1) FILTER (WHERE entity_type = 'household'), 0),
			coalesce(sum(students_t2) FILTER (WHERE entity_type = 'household'), 0),
			coalesce(sum(students_t3) FILTER (WHERE entity_type = 'household'), 0),
			count(*) FILTER (WHERE entity_type = 'household' AND connectivity = 'fiber'),
			count(*) FILTER (WHERE entity_type = 'household' AND connectivity = '4g'),
			count(*) FILTER (WHERE entity_type = 'household' AND connectivity = '3g'),
			count(*) FILTER (WHERE entity_type = 'household' AND connectivity = '2g'),
			count(*) FILTER (WHERE entity_type = 'household' AND connectivity = 'none'),
			coalesce(sum(students_t1 + students_t2 + students_t3) FILTER (WHERE entity_type = 'household' AND connectivity NOT IN ('fiber', '4g')), 0),
			count(*) FILTER (WHERE entity_type = 'school'),
			count(*) FILTER (WHERE entity_type = 'school' AND connectivity NOT IN ('fiber', '4g'))
		FROM coverage_entities WHERE run_id = $1 AND area_code = ANY($2::text[])`, runID, codes).Scan(
		&sum.Households, &sum.Students, &sum.StudentsT1, &sum.StudentsT2, &sum.StudentsT3,
		&fiber, &g4, &g3, &g2, &none, &sum.UnconnectedStudentsT123, &sum.Schools, &sum.SchoolsWithoutInternet)
	if err != nil {
		return sum, fmt.Errorf("sum coverage run %d in area %s: %w", runID, code, err)
	}
	for k, v := range map[string]pgtype.Int8{"fiber": fiber, "4g": g4, "3g": g3, "2g": g2, "none": none} {
		sum.Connectivity[k] = v.Int64
	}
	if sum.Households > 0 {
		sum.CoveragePct = 100 * float64(fiber.Int64+g4.Int64) / float64(sum.Households)
	}
	return sum, nil
}

// SchoolView is a school point with its connectivity in a coverage run
// (school points are public).
type SchoolView struct {
	ID           string   `json:"school_id"`
	Name         string   `json:"name"`
	Level        string   `json:"level"`
	Lat          float64  `json:"lat"`
	Lon          float64  `json:"lon"`
	AreaCode     string   `json:"area_code"`
	Students     int      `json:"students"`
	Internet     string   `json:"internet"`
	Connectivity string   `json:"connectivity,omitempty"` // "" without a run
	Operators4G  []string `json:"operators_4g"`
}

// ListSchools lists the schools in area (and below; "" for all) with their
// connectivity in the coverage run (0: the latest; none: no connectivity),
// ordered by id.
func (s *Store) ListSchools(ctx context.Context, area string, runID int64, limit, offset int) (Page[SchoolView], error) {
	if limit <= 0 {
		limit = 100
	}
	out := Page[SchoolView]{Items: []SchoolView{}, Limit: limit, Offset: max(offset, 0)}
	var codes []string
	if area != "" {
		var err error
		if codes, err = AreaSubtree(ctx, s.pool, area); err != nil {
			return out, err
		}
	}
	if runID == 0 {
		if err := s.pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM coverage_runs`).Scan(&runID); err != nil {
			return out, fmt.Errorf("find the latest coverage run: %w", err)
		}
	}
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM schools WHERE $1::text[] IS NULL OR area_code = ANY($1)`, codes).Scan(&out.Total); err != nil {
		return out, fmt.Errorf("count schools: %w", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT s.school_id, s.name, s.level, ST_Y(s.geom), ST_X(s.geom), s.area_code, s.students, s.internet,
			coalesce(e.connectivity, ''), coalesce(e.operators_4g, '{}')
		FROM schools s LEFT JOIN coverage_entities e ON e.run_id = $2 AND e.entity_type = 'school' AND e.entity_id = s.school_id
		WHERE $1::text[] IS NULL OR s.area_code = ANY($1)
		ORDER BY s.school_id LIMIT $3 OFFSET $4`, codes, runID, limit, out.Offset)
	if err != nil {
		return out, fmt.Errorf("list schools: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v SchoolView
		if err := rows.Scan(&v.ID, &v.Name, &v.Level, &v.Lat, &v.Lon, &v.AreaCode, &v.Students, &v.Internet, &v.Connectivity, &v.Operators4G); err != nil {
			return out, fmt.Errorf("list schools: %w", err)
		}
		out.Items = append(out.Items, v)
	}
	return out, rows.Err()
}

// IsRootArea reports whether an area exists and has no parent (a province,
// the top of its tree). A missing area is a *data.NotFoundError.
func (s *Store) IsRootArea(ctx context.Context, code string) (bool, error) {
	var root bool
	err := s.pool.QueryRow(ctx, `SELECT bool_and(coalesce(parent_code, '') = '') FROM areas WHERE code = $1 HAVING count(*) > 0`, code).Scan(&root)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, &data.NotFoundError{Kind: "area", ID: code}
	}
	if err != nil {
		return false, fmt.Errorf("look up area %s: %w", code, err)
	}
	return root, nil
}
