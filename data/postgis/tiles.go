package postgis

// Vector tiles from PostGIS, the way Martin builds them: the tile envelope
// (ST_TileEnvelope) with a margin selects the rows through the GiST index,
// ST_AsMVTGeom clips and quantises the geometry to the tile's 4096 grid
// with a 64-unit buffer, ST_AsMVT encodes the layer (MVT v2). The hex layer
// of the service is built in Go from the run's cells held in memory (see
// api/tiles.go); HexTileSQL is the same tile as one plain per-request
// ST_AsMVT query, the baseline of `gapmap bench http`.

import (
	"context"
	"errors"
	"fmt"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/geo"
	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
)

// Tile geometry: the extent of a tile and the buffer around it, in tile
// units (as Martin and MapLibre use).
const (
	TileExtent = 4096
	TileBuffer = 64
)

// TileLayer names a tile layer served from SQL.
type TileLayer string

// The layers served from SQL. Cells (the hex layer) are encoded in Go.
const (
	LayerGaps    TileLayer = "gaps"
	LayerSchools TileLayer = "schools"
	LayerSectors TileLayer = "sectors"
	LayerFiber   TileLayer = "fiber" // two MVT layers: fiber_routes and fiber_nodes
	LayerAreas   TileLayer = "areas"
)

// TileQuery says which tile of which layer to build, and for whom.
type TileQuery struct {
	Layer   TileLayer
	Run     int64 // coverage run (gaps, schools)
	Z, X, Y int
	// PrivacyK: counts of households and students of a gap area with fewer
	// than PrivacyK households are left out (null) of the tile.
	PrivacyK int
	// Operators limits sectors and fiber to these operators; nil = all.
	Operators []string
	// DefaultRangeM is the range drawn for a sector without range_m, keyed
	// by technology and band ("4G/1800") or technology alone ("4G", for a
	// band not listed); anything else is drawn at 5000 m.
	DefaultRangeM map[string]float64
}

// SectorWedgeMinZoom is the first zoom where sectors are drawn as wedges
// (directional) and circles (omni); below it they are mast points.
const SectorWedgeMinZoom = 10

// sectorSearchDeg is how far (degrees) from the tile a mast may stand and
// still have its wedge drawn in it.
const sectorSearchDeg = 0.35

// envCTE defines env.e (the tile in 3857) and env.m (the tile with its
// buffer, in 4326, for the index) from $1..$3 = z, x, y.
const envCTE = `env AS (SELECT ST_TileEnvelope($1::int, $2::int, $3::int) AS e,
	ST_Transform(ST_TileEnvelope($1::int, $2::int, $3::int, margin => ` + "64.0/4096" + `), 4326) AS m)`

// mvtGeom clips and quantises a 4326 geometry column into the tile.
func mvtGeom(col string) string {
	return fmt.Sprintf("ST_AsMVTGeom(ST_Transform(%s, 3857), env.e, %d, %d, true)", col, TileExtent, TileBuffer)
}

// LayerTile builds one tile of a SQL layer; an empty tile is nil.
func (s *Store) LayerTile(ctx context.Context, q TileQuery) ([]byte, error) {
	var sql string
	args := []any{q.Z, q.X, q.Y}
	switch q.Layer {
	case LayerGaps:
		// Counts of a gap area with fewer than k households are withheld.
		sql = `WITH ` + envCTE + `, t AS (
			SELECT ` + mvtGeom("g.geom") + ` AS geom, g.gap_id, g.rank, g.area_code, g.environment, g.cells,
				CASE WHEN g.households >= $5 THEN g.households END AS households,
				CASE WHEN g.households >= $5 THEN g.students_t1 END AS students_t1,
				CASE WHEN g.households >= $5 THEN g.students_t2 END AS students_t2,
				CASE WHEN g.households >= $5 THEN g.students_t3 END AS students_t3,
				CASE WHEN g.households >= $5 THEN g.no_device_t123 END AS no_device_t123,
				CASE WHEN g.households >= $5 THEN g.weighted_beneficiaries END AS weighted_beneficiaries,
				g.households < $5 AS suppressed,
				g.schools, g.option, g.cost_vnd, g.score, g.nearest_4g_m, g.nearest_fiber_m
			FROM gap_areas g, env WHERE g.run_id = $4 AND g.geom && env.m)
			SELECT ST_AsMVT(t.*, 'gaps', 4096, 'geom') FROM t WHERE t.geom IS NOT NULL`
		args = append(args, q.Run, q.PrivacyK)
	case LayerSchools:
		// entity_id has the default collation, school_id "C": compare in
		// the default one, or the primary key of coverage_entities is not used.
		sql = `WITH ` + envCTE + `, t AS (
			SELECT ` + mvtGeom("s.geom") + ` AS geom, s.school_id, s.name, s.level, s.area_code, s.students, s.internet,
				e.connectivity, array_to_string(e.operators_4g, ',') AS operators_4g,
				round(e.nearest_4g_m) AS nearest_4g_m, round(e.nearest_fiber_m) AS nearest_fiber_m,
				coalesce(e.gap_id, '') AS gap_id
			FROM schools s JOIN coverage_entities e ON e.run_id = $4 AND e.entity_type = 'school'
				AND e.entity_id = (s.school_id COLLATE "default"), env
			WHERE s.geom && env.m)
			SELECT ST_AsMVT(t.*, 'schools', 4096, 'geom') FROM t WHERE t.geom IS NOT NULL`
		args = append(args, q.Run)
	case LayerSectors:
		techs, ranges := make([]string, 0, len(q.DefaultRangeM)), make([]float64, 0, len(q.DefaultRangeM))
		for t, r := range q.DefaultRangeM {
			techs, ranges = append(techs, t), append(ranges, r)
		}
		shape := "s.geom"
		if q.Z >= SectorWedgeMinZoom {
			// A directional sector is the wedge mast → arc (17 points on the
			// geodesic circle of its range) → mast; an omni one the circle.
			shape = `CASE WHEN s.azimuth_deg IS NULL OR s.beamwidth_deg >= 360
				THEN ST_Buffer(s.geom::geography, s.r, 'quad_segs=8')::geometry
				ELSE ST_MakePolygon(ST_MakeLine(ARRAY[s.geom] || ARRAY(
					SELECT ST_Project(s.geom::geography, s.r, radians(s.azimuth_deg - s.beamwidth_deg / 2 + s.beamwidth_deg * i / 16))::geometry
					FROM generate_series(0, 16) i) || ARRAY[s.geom])) END`
		}
		sql = `WITH ` + envCTE + `, s AS (
			SELECT x.*, coalesce(x.range_m,
				(SELECT d.r FROM unnest($5::text[], $6::float8[]) d(t, r) WHERE d.t = x.technology || '/' || x.band_mhz),
				(SELECT d.r FROM unnest($5::text[], $6::float8[]) d(t, r) WHERE d.t = x.technology), 5000) AS r
			FROM sites x, env
			WHERE x.geom && ST_Expand(env.m, CASE WHEN $1::int >= ` + fmt.Sprint(SectorWedgeMinZoom) + ` THEN ` + fmt.Sprint(sectorSearchDeg) + ` ELSE 0 END)
				AND ($4::text[] IS NULL OR x.operator = ANY($4::text[]))),
			t AS (SELECT ` + mvtGeom(shape) + ` AS geom, s.sector_id, s.site_id, s.operator, s.technology, s.band_mhz,
				s.azimuth_deg, s.beamwidth_deg, round(s.r) AS range_m, s.range_m IS NULL AS range_modelled, s.status
			FROM s, env)
			SELECT ST_AsMVT(t.*, 'sectors', 4096, 'geom') FROM t WHERE t.geom IS NOT NULL`
		args = append(args, q.Operators, techs, ranges)
	case LayerFiber:
		sql = `WITH ` + envCTE + `,
			r AS (SELECT ` + mvtGeom("f.geom") + ` AS geom, f.route_id, f.operator
				FROM fiber_routes f, env WHERE f.geom && env.m AND ($4::text[] IS NULL OR f.operator = ANY($4::text[]))),
			n AS (SELECT ` + mvtGeom("f.geom") + ` AS geom, f.node_id, f.operator, f.kind
				FROM fiber_nodes f, env WHERE f.geom && env.m AND ($4::text[] IS NULL OR f.operator = ANY($4::text[])))
			SELECT coalesce((SELECT ST_AsMVT(r.*, 'fiber_routes', 4096, 'geom') FROM r WHERE r.geom IS NOT NULL), ''::bytea)
				|| coalesce((SELECT ST_AsMVT(n.*, 'fiber_nodes', 4096, 'geom') FROM n WHERE n.geom IS NOT NULL), ''::bytea)`
		args = append(args, q.Operators)
	case LayerAreas:
		// Outlines are simplified to a quarter of the tile's pixel first.
		sql = `WITH ` + envCTE + `, t AS (
			SELECT ` + mvtGeom("ST_SimplifyPreserveTopology(a.geom, 90.0 / (256 * 2 ^ $1::int))") + ` AS geom,
				a.code, a.name, a.level, coalesce(a.parent_code, '') AS parent_code
			FROM areas a, env WHERE a.geom && env.m AND ` + validOn("a", vietnamToday) + `)
			SELECT ST_AsMVT(t.*, 'areas', 4096, 'geom') FROM t WHERE t.geom IS NOT NULL`
	default:
		return nil, fmt.Errorf("tile layer %q is not served from SQL", q.Layer)
	}
	var b []byte
	if err := s.pool.QueryRow(ctx, sql, args...).Scan(&b); err != nil {
		return nil, fmt.Errorf("build the %s tile %d/%d/%d: %w", q.Layer, q.Z, q.X, q.Y, err)
	}
	if len(b) == 0 {
		return nil, nil
	}
	return b, nil
}

// HexTileSQL builds the hex tile of a run at resolution res with one plain
// ST_AsMVT query on coverage_cells (no cache): the baseline the service's
// in-memory hex tiles are measured against. Its features are those of the
// service's hex tiles (the same properties and the same privacy rule).
func (s *Store) HexTileSQL(ctx context.Context, run int64, res, z, x, y, privacyK int) ([]byte, error) {
	const sql = `WITH ` + envCTE + `, t AS (
		SELECT ST_AsMVTGeom(ST_Transform(c.geom, 3857), env.e, 4096, 64, true) AS geom,
			lower(to_hex(c.h3)) AS h3, c.res::int AS res, c.schools, c.unconnected_schools, c.gap,
			coalesce(c.gap_id, '') AS gap_id, c.households < $6 AS suppressed,
			CASE WHEN c.households >= $6 THEN c.households END AS households,
			CASE WHEN c.households >= $6 THEN c.students_t0 END AS students_t0,
			CASE WHEN c.households >= $6 THEN c.students_t1 END AS students_t1,
			CASE WHEN c.households >= $6 THEN c.students_t2 END AS students_t2,
			CASE WHEN c.households >= $6 THEN c.students_t3 END AS students_t3,
			CASE WHEN c.households >= $6 THEN c.unconnected_households END AS unconnected_households,
			CASE WHEN c.households >= $6 THEN c.unconnected_students_t1 END AS unconnected_students_t1,
			CASE WHEN c.households >= $6 THEN c.unconnected_students_t2 END AS unconnected_students_t2,
			CASE WHEN c.households >= $6 THEN c.unconnected_students_t3 END AS unconnected_students_t3,
			CASE WHEN c.households >= $6 THEN c.share_4g_any END AS share_4g_any,
			CASE WHEN c.households >= $6 THEN c.share_fiber END AS share_fiber
		FROM coverage_cells c, env WHERE c.run_id = $4 AND c.res = $5 AND c.geom && env.m)
		SELECT ST_AsMVT(t.*, 'cells', 4096, 'geom') FROM t WHERE t.geom IS NOT NULL`
	var b []byte
	if err := s.pool.QueryRow(ctx, sql, z, x, y, run, res, privacyK).Scan(&b); err != nil {
		return nil, fmt.Errorf("build the hex tile %d/%d/%d: %w", z, x, y, err)
	}
	return b, nil
}

// HexCell is one cell of a coverage run, for the hex tiles.
type HexCell struct {
	Cell                  geo.Cell
	Res                   int
	Households            int
	Schools               int
	UnconnectedSchools    int
	Students              [4]int // by tier 0..3
	UnconnectedHouseholds int
	UnconnectedStudents   [4]int
	Share4GAny            float64
	ShareFiber            float64
	Share4G               []float64 // per operator, in the run's order of operators
	Gap                   bool
	GapID                 string
	Outline               orb.Ring // closed, lon/lat
}

// HexCells calls fn with every cell of a run (all resolutions), with its
// outline. A run that does not exist is a *data.NotFoundError.
func (s *Store) HexCells(ctx context.Context, run int64, fn func(HexCell) error) error {
	ok, err := s.CoverageRunExists(ctx, run)
	if err != nil {
		return err
	}
	if !ok {
		return &data.NotFoundError{Kind: "coverage run", ID: fmt.Sprint(run)}
	}
	rows, err := s.pool.Query(ctx, `SELECT h3, res, households, schools, unconnected_schools,
		students_t0, students_t1, students_t2, students_t3, unconnected_households,
		unconnected_students_t0, unconnected_students_t1, unconnected_students_t2, unconnected_students_t3,
		share_4g_any, share_fiber, share_4g, gap, coalesce(gap_id, '')
		FROM coverage_cells WHERE run_id = $1`, run)
	if err != nil {
		return fmt.Errorf("read the cells of run %d: %w", run, err)
	}
	defer rows.Close()
	var c HexCell
	var h3 int64
	var res int16
	var hh, sc, usc, t0, t1, t2, t3, uh, u0, u1, u2, u3 int32
	for rows.Next() {
		if err := rows.Scan(&h3, &res, &hh, &sc, &usc, &t0, &t1, &t2, &t3, &uh, &u0, &u1, &u2, &u3,
			&c.Share4GAny, &c.ShareFiber, &c.Share4G, &c.Gap, &c.GapID); err != nil {
			return fmt.Errorf("read the cells of run %d: %w", run, err)
		}
		c.Cell, c.Res = geo.Cell(h3), int(res)
		c.Households, c.Schools, c.UnconnectedSchools = int(hh), int(sc), int(usc)
		c.Students = [4]int{int(t0), int(t1), int(t2), int(t3)}
		c.UnconnectedHouseholds = int(uh)
		c.UnconnectedStudents = [4]int{int(u0), int(u1), int(u2), int(u3)}
		if c.Outline, err = c.Cell.Boundary(); err != nil {
			return fmt.Errorf("cell %x of run %d: %w", h3, run, err)
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read the cells of run %d: %w", run, err)
	}
	return nil
}

// CoverageRunExists tells whether a coverage run is stored.
func (s *Store) CoverageRunExists(ctx context.Context, run int64) (bool, error) {
	var ok bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM coverage_runs WHERE id = $1)`, run).Scan(&ok); err != nil {
		return false, fmt.Errorf("look up coverage run %d: %w", run, err)
	}
	return ok, nil
}

// LatestCoverageRunID returns the id of the newest coverage run; none is a
// *data.NotFoundError.
func (s *Store) LatestCoverageRunID(ctx context.Context) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `SELECT id FROM coverage_runs ORDER BY id DESC LIMIT 1`).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, &data.NotFoundError{Kind: "coverage run"}
	}
	if err != nil {
		return 0, fmt.Errorf("look up the latest coverage run: %w", err)
	}
	return id, nil
}

// AreasBounds returns the extent of every area (lon/lat); ok is false when
// no area has a geometry.
func (s *Store) AreasBounds(ctx context.Context) (b orb.Bound, ok bool, err error) {
	var x0, y0, x1, y1 *float64
	err = s.pool.QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
		FROM (SELECT ST_Extent(geom)::geometry AS e FROM areas) q`).Scan(&x0, &y0, &x1, &y1)
	if err != nil {
		return b, false, fmt.Errorf("compute the extent of the areas: %w", err)
	}
	if x0 == nil {
		return b, false, nil
	}
	return orb.Bound{Min: orb.Point{*x0, *y0}, Max: orb.Point{*x1, *y1}}, true, nil
}
