-- +goose Up
-- Coverage runs (gapmap analyze / plan): every run keeps its parameters and
-- its results, so the API, the vector tiles, QGIS and the allocation engine
-- read the same numbers the files show. H3 cells are bigint (computed in Go;
-- a descendant lookup is a btree range scan).

CREATE TABLE coverage_runs (
    id          bigserial PRIMARY KEY,
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- coverage.Settings of the run (every default and threshold used)
    parameters  jsonb NOT NULL,
    -- mobile operators of the run; per-operator arrays below follow it
    operators   text[] NOT NULL DEFAULT '{}',
    -- sector ids added as a what-if (empty for a plain run)
    what_if     text[] NOT NULL DEFAULT '{}',
    entities    integer NOT NULL DEFAULT 0 CHECK (entities >= 0),
    cells       integer NOT NULL DEFAULT 0 CHECK (cells >= 0),
    gap_areas   integer NOT NULL DEFAULT 0 CHECK (gap_areas >= 0),
    -- totals by area and class (summary.json without the settings)
    summary     jsonb NOT NULL DEFAULT '{}',
    -- the plan's options and method when the run stored a plan
    plan        jsonb
);

-- Per school and household: personal data (household positions). Internal:
-- never served to operators or the public.
CREATE TABLE coverage_entities (
    run_id          bigint NOT NULL REFERENCES coverage_runs (id) ON DELETE CASCADE,
    entity_type     text NOT NULL CHECK (entity_type IN ('school', 'household')),
    entity_id       text NOT NULL CHECK (entity_id <> ''),
    area_code       text NOT NULL DEFAULT '',
    h3              bigint NOT NULL,
    connectivity    text NOT NULL CHECK (connectivity IN ('fiber', '4g', '3g', '2g', 'none')),
    operators_4g    text[] NOT NULL DEFAULT '{}',
    operators_3g    text[] NOT NULL DEFAULT '{}',
    operators_2g    text[] NOT NULL DEFAULT '{}',
    -- metres, exact ellipsoidal geodesics; NULL when there is none
    nearest_4g_m    double precision,
    nearest_4g_site text,
    -- per operator, in coverage_runs.operators order (NULL: none)
    nearest_4g_by_operator double precision[] NOT NULL DEFAULT '{}',
    nearest_fiber_m double precision,
    students        integer NOT NULL DEFAULT 0,
    students_t1     integer NOT NULL DEFAULT 0,
    students_t2     integer NOT NULL DEFAULT 0,
    students_t3     integer NOT NULL DEFAULT 0,
    no_device_t123  integer NOT NULL DEFAULT 0,
    school_students integer NOT NULL DEFAULT 0,
    gap_id          text,
    geom            geometry(Point, 4326) NOT NULL,
    PRIMARY KEY (run_id, entity_type, entity_id)
);
CREATE INDEX coverage_entities_cell_idx ON coverage_entities (run_id, h3);
CREATE INDEX coverage_entities_geom_idx ON coverage_entities USING gist (geom);

-- Aggregated H3 cells (analysis resolution and roll-ups): safe to publish.
CREATE TABLE coverage_cells (
    run_id                  bigint NOT NULL REFERENCES coverage_runs (id) ON DELETE CASCADE,
    h3                      bigint NOT NULL,
    res                     smallint NOT NULL CHECK (res BETWEEN 0 AND 15),
    area_code               text NOT NULL DEFAULT '',
    households              integer NOT NULL DEFAULT 0,
    schools                 integer NOT NULL DEFAULT 0,
    school_students         integer NOT NULL DEFAULT 0,
    students_t0             integer NOT NULL DEFAULT 0,
    students_t1             integer NOT NULL DEFAULT 0,
    students_t2             integer NOT NULL DEFAULT 0,
    students_t3             integer NOT NULL DEFAULT 0,
    no_device_t123          integer NOT NULL DEFAULT 0,
    households_fiber        integer NOT NULL DEFAULT 0,
    households_4g           integer NOT NULL DEFAULT 0,
    households_3g           integer NOT NULL DEFAULT 0,
    households_2g           integer NOT NULL DEFAULT 0,
    households_none         integer NOT NULL DEFAULT 0,
    unconnected_households  integer NOT NULL DEFAULT 0,
    unconnected_students_t0 integer NOT NULL DEFAULT 0,
    unconnected_students_t1 integer NOT NULL DEFAULT 0,
    unconnected_students_t2 integer NOT NULL DEFAULT 0,
    unconnected_students_t3 integer NOT NULL DEFAULT 0,
    unconnected_schools     integer NOT NULL DEFAULT 0,
    -- FCC-style shares of descendant centres covered (0..1)
    share_4g_any            double precision NOT NULL DEFAULT 0,
    share_fiber             double precision NOT NULL DEFAULT 0,
    share_4g                double precision[] NOT NULL DEFAULT '{}', -- per operator
    served_operators        text[] NOT NULL DEFAULT '{}',
    gap                     boolean NOT NULL DEFAULT false,
    gap_cells               integer NOT NULL DEFAULT 0,
    gap_id                  text,
    cells                   integer NOT NULL DEFAULT 1,
    geom                    geometry(Polygon, 4326) NOT NULL,
    PRIMARY KEY (run_id, res, h3)
);
CREATE INDEX coverage_cells_geom_idx ON coverage_cells USING gist (geom);

-- Ranked gap areas ("lõm sóng") with every score component.
CREATE TABLE gap_areas (
    run_id                 bigint NOT NULL REFERENCES coverage_runs (id) ON DELETE CASCADE,
    gap_id                 text NOT NULL,
    rank                   integer NOT NULL CHECK (rank > 0),
    area_code              text NOT NULL DEFAULT '',
    environment            text NOT NULL DEFAULT '',
    cells                  integer NOT NULL,
    households             integer NOT NULL DEFAULT 0,
    students_t0            integer NOT NULL DEFAULT 0,
    students_t1            integer NOT NULL DEFAULT 0,
    students_t2            integer NOT NULL DEFAULT 0,
    students_t3            integer NOT NULL DEFAULT 0,
    no_device_t123         integer NOT NULL DEFAULT 0,
    schools                integer NOT NULL DEFAULT 0,
    school_students        integer NOT NULL DEFAULT 0,
    nearest_4g_m           double precision,
    nearest_4g_site        text,
    nearest_fiber_m        double precision,
    weighted_beneficiaries double precision NOT NULL,
    option                 text NOT NULL CHECK (option IN ('site', 'fiber')),
    cost_vnd               double precision NOT NULL,
    score                  double precision NOT NULL,
    -- every component of the score (the properties of gaps.geojson)
    components             jsonb NOT NULL,
    centroid               geometry(Point, 4326) NOT NULL,
    geom                   geometry(MultiPolygon, 4326) NOT NULL,
    PRIMARY KEY (run_id, gap_id),
    UNIQUE (run_id, rank)
);
CREATE INDEX gap_areas_geom_idx ON gap_areas USING gist (geom);

-- The build-out plan of a run, in build order.
CREATE TABLE plan_steps (
    run_id                   bigint NOT NULL REFERENCES coverage_runs (id) ON DELETE CASCADE,
    rank                     integer NOT NULL CHECK (rank > 0),
    h3                       bigint NOT NULL,
    sector_id                text NOT NULL,
    area_code                text NOT NULL DEFAULT '',
    environment              text NOT NULL DEFAULT '',
    range_m                  double precision NOT NULL,
    cost_vnd                 double precision NOT NULL,
    marginal_weighted        double precision NOT NULL,
    marginal_households      integer NOT NULL DEFAULT 0,
    marginal_students_t1     integer NOT NULL DEFAULT 0,
    marginal_students_t2     integer NOT NULL DEFAULT 0,
    marginal_students_t3     integer NOT NULL DEFAULT 0,
    marginal_schools         integer NOT NULL DEFAULT 0,
    cumulative_weighted      double precision NOT NULL,
    cumulative_cost_vnd      double precision NOT NULL,
    cost_per_beneficiary_vnd double precision,
    gap_ids                  text[] NOT NULL DEFAULT '{}',
    geom                     geometry(Point, 4326) NOT NULL,
    PRIMARY KEY (run_id, rank)
);

-- +goose Down
DROP TABLE plan_steps, gap_areas, coverage_cells, coverage_entities, coverage_runs;
