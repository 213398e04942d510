package postgis

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gapmap/gapmap/data"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/twpayne/go-geom"
)

// CopyCoveragePolygons writes operators' coverage polygons with COPY
// inside tx.
func CopyCoveragePolygons(ctx context.Context, tx pgx.Tx, next Source[data.OperatorPolygon]) (int64, error) {
	return copyRows(ctx, tx, "coverage_polygons", []string{"polygon_id", "operator", "technology", "geom"}, next, func(p data.OperatorPolygon, v []any) error {
		if len(p.MultiPolygon) == 0 {
			return fmt.Errorf("coverage polygon %s: empty geometry", p.ID)
		}
		v[0], v[1], v[2], v[3] = p.ID, p.Operator, p.Technology, multiPolygon(p.MultiPolygon)
		return nil
	})
}

// CopyMeasurements writes field measurements with COPY inside tx; their H3
// cell is computed on the way.
func CopyMeasurements(ctx context.Context, tx pgx.Tx, next Source[data.Measurement]) (int64, error) {
	cols := []string{"measurement_id", "operator", "technology", "rsrp_dbm", "measured_at", "h3", "geom"}
	return copyRows(ctx, tx, "measurements", cols, next, func(m data.Measurement, v []any) error {
		c, err := cellOf(0, m.Lat, m.Lon)
		if err != nil {
			return fmt.Errorf("measurement %s: %w", m.ID, err)
		}
		at := pgtype.Timestamptz{Time: m.Time, Valid: !m.Time.IsZero()}
		v[0], v[1], v[2], v[3], v[4], v[5], v[6] = m.ID, m.Operator, m.Technology, m.RSRPDBm, at, c, pointGeom(m.Lat, m.Lon)
		return nil
	})
}

func eachCoveragePolygon(ctx context.Context, q Querier, fn func(data.OperatorPolygon) error) error {
	return each(ctx, q, "coverage polygons", `SELECT polygon_id, operator, technology, geom FROM coverage_polygons ORDER BY polygon_id`,
		func(rows pgx.Rows) error {
			var p data.OperatorPolygon
			var g geom.MultiPolygon
			if err := rows.Scan(&p.ID, &p.Operator, &p.Technology, &g); err != nil {
				return err
			}
			p.MultiPolygon = toOrbMultiPolygon(&g)
			return fn(p)
		})
}

func eachMeasurement(ctx context.Context, q Querier, fn func(data.Measurement) error) error {
	return each(ctx, q, "measurements", `SELECT measurement_id, operator, technology, rsrp_dbm, measured_at, ST_Y(geom), ST_X(geom)
		FROM measurements ORDER BY measurement_id`, func(rows pgx.Rows) error {
		var m data.Measurement
		var at pgtype.Timestamptz
		if err := rows.Scan(&m.ID, &m.Operator, &m.Technology, &m.RSRPDBm, &at, &m.Lat, &m.Lon); err != nil {
			return err
		}
		if at.Valid {
			m.Time = at.Time.UTC()
		}
		return fn(m)
	})
}

// EachCoveragePolygon streams the operators' coverage polygons ordered by id.
func (s *Store) EachCoveragePolygon(ctx context.Context, fn func(data.OperatorPolygon) error) error {
	return eachCoveragePolygon(ctx, s.pool, fn)
}

// EachMeasurement streams the field measurements ordered by id.
func (s *Store) EachMeasurement(ctx context.Context, fn func(data.Measurement) error) error {
	return eachMeasurement(ctx, s.pool, fn)
}

// NetworkFilter selects rows of an operator's network for a listing.
type NetworkFilter struct {
	// Operators: only rows of these operators (empty: all).
	Operators []string
	// AreaCode: only rows inside the boundary of this area (and so of its
	// descendants). An area without a boundary matches nothing.
	AreaCode string
	// BBox: only rows intersecting [minLon, minLat, maxLon, maxLat] (nil:
	// anywhere).
	BBox *[4]float64
	// Limit and Offset paginate (Limit 0: 100).
	Limit, Offset int
}

func (f NetworkFilter) where(geomCol, opCol string) (string, []any) {
	var conds []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if len(f.Operators) > 0 {
		conds = append(conds, opCol+" = ANY("+arg(f.Operators)+"::text[])")
	}
	if f.AreaCode != "" {
		conds = append(conds, "EXISTS (SELECT 1 FROM areas a WHERE a.code = "+arg(f.AreaCode)+" AND "+validOn("a", vietnamToday)+" AND a.geom IS NOT NULL AND ST_Intersects(a.geom, "+geomCol+"))")
	}
	if f.BBox != nil {
		b := *f.BBox
		conds = append(conds, fmt.Sprintf("%s && ST_MakeEnvelope(%s, %s, %s, %s, 4326)", geomCol, arg(b[0]), arg(b[1]), arg(b[2]), arg(b[3])))
	}
	if len(conds) == 0 {
		return "", args
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

func (f NetworkFilter) page() (int, int) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	return limit, max(f.Offset, 0)
}

// Page is one page of a listing with the total number of matching rows.
type Page[T any] struct {
	Items  []T   `json:"items"`
	Total  int64 `json:"total"`
	Limit  int   `json:"limit"`
	Offset int   `json:"offset"`
}

func listPage[T any](ctx context.Context, q Querier, f NetworkFilter, what, table, cols, order, geomCol, opCol string, scan func(pgx.Rows) (T, error)) (Page[T], error) {
	where, args := f.where(table+"."+geomCol, table+"."+opCol)
	limit, offset := f.page()
	out := Page[T]{Items: []T{}, Limit: limit, Offset: offset}
	if err := q.QueryRow(ctx, "SELECT count(*) FROM "+table+where, args...).Scan(&out.Total); err != nil {
		return out, fmt.Errorf("count %s: %w", what, err)
	}
	sql := fmt.Sprintf("SELECT %s FROM %s%s ORDER BY %s LIMIT %d OFFSET %d", cols, table, where, order, limit, offset)
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return out, fmt.Errorf("list %s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return out, fmt.Errorf("list %s: %w", what, err)
		}
		out.Items = append(out.Items, v)
	}
	return out, rows.Err()
}

// ListSectors lists base-station sectors by filter, ordered by id.
func (s *Store) ListSectors(ctx context.Context, f NetworkFilter) (Page[data.Sector], error) {
	return listPage(ctx, s.pool, f, "sites", "sites", `sector_id, site_id, operator, technology, band_mhz, antenna_height_m,
		azimuth_deg, beamwidth_deg, coalesce(range_m, 0), status, ST_Y(geom), ST_X(geom)`, "sector_id", "geom", "operator",
		func(rows pgx.Rows) (data.Sector, error) {
			var r data.Sector
			var az pgtype.Float8
			err := rows.Scan(&r.ID, &r.SiteID, &r.Operator, &r.Technology, &r.BandMHz, &r.AntennaHeightM, &az, &r.BeamwidthDeg, &r.RangeM, &r.Status, &r.Lat, &r.Lon)
			if az.Valid {
				v := az.Float64
				r.AzimuthDeg = &v
			}
			return r, err
		})
}

// ListFiberNodes lists fiber nodes by filter, ordered by id.
func (s *Store) ListFiberNodes(ctx context.Context, f NetworkFilter) (Page[data.FiberNode], error) {
	return listPage(ctx, s.pool, f, "fiber nodes", "fiber_nodes", `node_id, operator, kind, ST_Y(geom), ST_X(geom)`, "node_id", "geom", "operator",
		func(rows pgx.Rows) (data.FiberNode, error) {
			var n data.FiberNode
			err := rows.Scan(&n.ID, &n.Operator, &n.Kind, &n.Lat, &n.Lon)
			return n, err
		})
}

// ListFiberRoutes lists fiber routes by filter, ordered by id.
func (s *Store) ListFiberRoutes(ctx context.Context, f NetworkFilter) (Page[data.FiberRoute], error) {
	return listPage(ctx, s.pool, f, "fiber routes", "fiber_routes", `route_id, operator, geom`, "route_id", "geom", "operator",
		func(rows pgx.Rows) (data.FiberRoute, error) {
			var r data.FiberRoute
			var l geom.LineString
			err := rows.Scan(&r.ID, &r.Operator, &l)
			r.Line = toOrbLine(&l)
			return r, err
		})
}

// DeleteNetworkRow deletes one row of an operator's network: kind is
// sites (a sector id), fiber_nodes, fiber_routes, coverage_polygons or
// measurements. With operators given, a row of another operator is
// data.ErrForbidden; a missing row is a *data.NotFoundError.
func (s *Store) DeleteNetworkRow(ctx context.Context, kind, id string, operators []string) error {
	switch kind {
	case "sites", "fiber_nodes", "fiber_routes", "coverage_polygons", "measurements":
	default:
		return fmt.Errorf("delete: %q is not a network kind", kind)
	}
	table, col, _ := tableKey(kind)
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("delete %s %s: %w", kind, id, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	var op string
	err = tx.QueryRow(ctx, fmt.Sprintf("SELECT operator FROM %s WHERE %s = $1 FOR UPDATE", pgx.Identifier{table}.Sanitize(), pgx.Identifier{col}.Sanitize()), id).Scan(&op)
	if errors.Is(err, pgx.ErrNoRows) {
		return &data.NotFoundError{Kind: strings.TrimSuffix(strings.ReplaceAll(kind, "_", " "), "s"), ID: id}
	}
	if err != nil {
		return fmt.Errorf("delete %s %s: %w", kind, id, err)
	}
	if len(operators) > 0 {
		ok := false
		for _, o := range operators {
			ok = ok || o == op
		}
		if !ok {
			return fmt.Errorf("delete %s %s of operator %s: %w", kind, id, op, data.ErrForbidden)
		}
	}
	if _, err := tx.Exec(ctx, fmt.Sprintf("DELETE FROM %s WHERE %s = $1", pgx.Identifier{table}.Sanitize(), pgx.Identifier{col}.Sanitize()), id); err != nil {
		return fmt.Errorf("delete %s %s: %w", kind, id, err)
	}
	return commit(ctx, tx)
}
