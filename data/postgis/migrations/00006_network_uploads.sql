-- +goose Up
-- Operators' own coverage polygons and field measurements, imported like
-- every other kind (gapmap import coverage_polygons FILE, gapmap import
-- measurements FILE, or uploaded by an operator through the API). An
-- analysis started from the database reads them (Store.ReadDataset).

CREATE TABLE coverage_polygons (
    polygon_id text COLLATE "C" PRIMARY KEY CHECK (polygon_id <> ''),
    operator   text NOT NULL CHECK (operator IN ('viettel', 'vinaphone', 'mobifone', 'vietnamobile', 'gmobile')),
    technology text NOT NULL CHECK (technology IN ('2G', '3G', '4G', '5G')),
    geom       geometry(MultiPolygon, 4326) NOT NULL
);
CREATE INDEX coverage_polygons_geom_idx ON coverage_polygons USING gist (geom);
CREATE INDEX coverage_polygons_operator_idx ON coverage_polygons (operator);

-- Field measurements (drive tests, crowd-sourced apps): RSRP at a point.
CREATE TABLE measurements (
    measurement_id text COLLATE "C" PRIMARY KEY CHECK (measurement_id <> ''),
    operator       text NOT NULL CHECK (operator IN ('viettel', 'vinaphone', 'mobifone', 'vietnamobile', 'gmobile')),
    technology     text NOT NULL CHECK (technology IN ('2G', '3G', '4G', '5G')),
    rsrp_dbm       double precision NOT NULL CHECK (rsrp_dbm BETWEEN -160 AND -20),
    measured_at    timestamptz,
    h3             bigint NOT NULL,
    geom           geometry(Point, 4326) NOT NULL
);
CREATE INDEX measurements_h3_idx ON measurements (h3);
CREATE INDEX measurements_operator_idx ON measurements (operator);

-- Replacing or listing one operator's network reads by operator.
CREATE INDEX sites_operator_idx ON sites (operator);
CREATE INDEX fiber_nodes_operator_idx ON fiber_nodes (operator);
CREATE INDEX fiber_routes_operator_idx ON fiber_routes (operator);

-- +goose Down
DROP INDEX IF EXISTS fiber_routes_operator_idx, fiber_nodes_operator_idx, sites_operator_idx;
DROP TABLE IF EXISTS measurements, coverage_polygons;
