-- +goose Up
-- Ids and codes are COLLATE "C": byte order, as Go sorts, and the fast
-- comparison path (the database's default collation, e.g. C.UTF-8, goes
-- through the C library for every comparison, which made primary keys and
-- foreign keys several times slower to check and to build).
CREATE EXTENSION IF NOT EXISTS postgis;

-- Administrative areas at any depth; the hierarchy is data (parent_code), not code.
CREATE TABLE areas (
    code        text COLLATE "C" PRIMARY KEY CHECK (code <> ''),
    name        text NOT NULL CHECK (name <> ''),
    level       text NOT NULL CHECK (level <> ''),
    parent_code text COLLATE "C" REFERENCES areas (code) DEFERRABLE INITIALLY DEFERRED,
    valid_from  date,
    valid_to    date,
    population  integer NOT NULL DEFAULT 0 CHECK (population >= 0),
    households  integer NOT NULL DEFAULT 0 CHECK (households >= 0),
    environment text NOT NULL DEFAULT '' CHECK (environment IN ('', 'urban', 'suburban', 'rural', 'mountain')),
    geom        geometry(MultiPolygon, 4326),
    CHECK (parent_code IS NULL OR parent_code <> code),
    CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_to > valid_from)
);
CREATE INDEX areas_geom_idx ON areas USING gist (geom);
CREATE INDEX areas_parent_idx ON areas (parent_code);

CREATE TABLE schools (
    school_id text COLLATE "C" PRIMARY KEY CHECK (school_id <> ''),
    name      text NOT NULL CHECK (name <> ''),
    level     text NOT NULL CHECK (level IN ('primary', 'lower', 'upper', 'gdnn_gdtx', 'vocational', 'college', 'university')),
    area_code text COLLATE "C" NOT NULL REFERENCES areas (code),
    students  integer NOT NULL DEFAULT 0 CHECK (students >= 0),
    internet  text NOT NULL DEFAULT 'none' CHECK (internet IN ('fiber', 'adsl', '4g', 'none')),
    h3        bigint NOT NULL,
    geom      geometry(Point, 4326) NOT NULL
);
CREATE INDEX schools_geom_idx ON schools USING gist (geom);
CREATE INDEX schools_h3_idx ON schools (h3);
CREATE INDEX schools_area_idx ON schools (area_code);

CREATE TABLE households (
    household_id       text COLLATE "C" PRIMARY KEY CHECK (household_id <> ''),
    area_code          text COLLATE "C" NOT NULL REFERENCES areas (code),
    location_precision text NOT NULL DEFAULT 'gps' CHECK (location_precision IN ('gps', 'village', 'commune')),
    poverty            text NOT NULL DEFAULT 'none' CHECK (poverty IN ('poor', 'near_poor', 'none')),
    members            integer NOT NULL DEFAULT 1 CHECK (members BETWEEN 1 AND 100),
    h3                 bigint NOT NULL,
    geom               geometry(Point, 4326) NOT NULL
);
-- No GiST index on households on purpose: homes are personal data, never
-- drawn or queried as points; spatial lookups go through the h3 bigint. No
-- index on area_code either: the engine reads every home, per-area figures
-- are aggregates (a scan), and each index costs ~0.5 s per million rows
-- imported.
CREATE INDEX households_h3_idx ON households (h3);

CREATE TABLE students (
    student_id   text COLLATE "C" PRIMARY KEY CHECK (student_id <> ''),
    household_id text COLLATE "C" NOT NULL REFERENCES households (household_id),
    school_id    text COLLATE "C" NOT NULL REFERENCES schools (school_id),
    grade        smallint NOT NULL CHECK (grade BETWEEN 0 AND 20),
    priority     smallint NOT NULL DEFAULT 0 CHECK (priority BETWEEN 0 AND 3),
    has_device   boolean NOT NULL DEFAULT false
);
CREATE INDEX students_household_idx ON students (household_id);
CREATE INDEX students_school_idx ON students (school_id);

-- One row per sector of a base station.
CREATE TABLE sites (
    sector_id        text COLLATE "C" PRIMARY KEY CHECK (sector_id <> ''),
    site_id          text COLLATE "C" NOT NULL CHECK (site_id <> ''),
    operator         text NOT NULL CHECK (operator IN ('viettel', 'vinaphone', 'mobifone', 'vietnamobile', 'gmobile')),
    technology       text NOT NULL CHECK (technology IN ('2G', '3G', '4G', '5G')),
    band_mhz         integer NOT NULL CHECK (band_mhz BETWEEN 1 AND 100000),
    antenna_height_m double precision NOT NULL DEFAULT 30 CHECK (antenna_height_m >= 0 AND antenna_height_m <= 1000),
    azimuth_deg      double precision CHECK (azimuth_deg >= 0 AND azimuth_deg < 360),
    beamwidth_deg    double precision NOT NULL DEFAULT 360 CHECK (beamwidth_deg > 0 AND beamwidth_deg <= 360),
    range_m          double precision CHECK (range_m > 0 AND range_m <= 100000),
    status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'planned')),
    h3               bigint NOT NULL,
    geom             geometry(Point, 4326) NOT NULL
);
CREATE INDEX sites_geom_idx ON sites USING gist (geom);
CREATE INDEX sites_site_idx ON sites (site_id);
CREATE INDEX sites_h3_idx ON sites (h3);

CREATE TABLE fiber_nodes (
    node_id  text COLLATE "C" PRIMARY KEY CHECK (node_id <> ''),
    operator text NOT NULL CHECK (operator IN ('viettel', 'vinaphone', 'mobifone', 'vietnamobile', 'gmobile', 'fpt', 'vnpt', 'cmc', 'other')),
    kind     text NOT NULL DEFAULT '',
    h3       bigint NOT NULL,
    geom     geometry(Point, 4326) NOT NULL
);
CREATE INDEX fiber_nodes_geom_idx ON fiber_nodes USING gist (geom);
CREATE INDEX fiber_nodes_h3_idx ON fiber_nodes (h3);

CREATE TABLE fiber_routes (
    route_id text COLLATE "C" PRIMARY KEY CHECK (route_id <> ''),
    operator text NOT NULL CHECK (operator IN ('viettel', 'vinaphone', 'mobifone', 'vietnamobile', 'gmobile', 'fpt', 'vnpt', 'cmc', 'other')),
    geom     geometry(LineString, 4326) NOT NULL
);
CREATE INDEX fiber_routes_geom_idx ON fiber_routes USING gist (geom);

CREATE TABLE donors (
    donor_id text COLLATE "C" PRIMARY KEY CHECK (donor_id <> ''),
    name     text NOT NULL UNIQUE CHECK (name <> ''),
    kind     text NOT NULL DEFAULT ''
);

CREATE TABLE devices (
    device_id       text COLLATE "C" PRIMARY KEY CHECK (device_id <> ''),
    donor_id        text COLLATE "C" REFERENCES donors (donor_id) DEFERRABLE INITIALLY DEFERRED,
    type            text NOT NULL CHECK (type IN ('phone', 'tablet', 'laptop', 'desktop')),
    os              text NOT NULL DEFAULT '',
    os_version      text NOT NULL DEFAULT '',
    cpu_ghz         double precision NOT NULL DEFAULT 0 CHECK (cpu_ghz >= 0 AND cpu_ghz < 20),
    ram_gb          double precision NOT NULL DEFAULT 0 CHECK (ram_gb >= 0 AND ram_gb <= 1024),
    storage_gb      double precision NOT NULL DEFAULT 0 CHECK (storage_gb >= 0),
    free_storage_gb double precision NOT NULL DEFAULT 0 CHECK (free_storage_gb >= 0),
    has_charger     boolean NOT NULL DEFAULT true,
    av_ok           boolean NOT NULL DEFAULT true,
    screen_ok       boolean NOT NULL DEFAULT true,
    keyboard_ok     boolean NOT NULL DEFAULT true,
    has_monitor     boolean NOT NULL DEFAULT true,
    wifi            boolean NOT NULL DEFAULT true,
    serial          text NOT NULL DEFAULT '',
    imei            text NOT NULL DEFAULT '',
    area_code       text COLLATE "C" REFERENCES areas (code),
    CHECK (free_storage_gb <= storage_gb OR storage_gb = 0)
);
CREATE INDEX devices_area_idx ON devices (area_code);

CREATE TABLE sim_packages (
    package_id text COLLATE "C" PRIMARY KEY CHECK (package_id <> ''),
    operator   text NOT NULL CHECK (operator IN ('viettel', 'vinaphone', 'mobifone', 'vietnamobile', 'gmobile')),
    gb_per_day double precision NOT NULL CHECK (gb_per_day > 0),
    months     integer NOT NULL CHECK (months > 0 AND months <= 120),
    quantity   integer NOT NULL CHECK (quantity >= 0),
    area_code  text COLLATE "C" REFERENCES areas (code)
);

-- +goose Down
DROP TABLE IF EXISTS sim_packages, devices, donors, fiber_routes, fiber_nodes, sites, students, households, schools, areas;
