-- +goose Up
-- Storing a coverage run (issue 12): the GiST index on coverage_entities.geom
-- doubled the time PostgreSQL spends on each stored entity (1.9M entities:
-- 29 s of index and heap writes with it, 14 s without) and no query uses
-- it: entities are read by run and id (primary key) or by run and cell,
-- and their points are only returned, never searched. Map and bounding-box
-- queries go to coverage_cells and gap_areas, which keep their GiST
-- indexes.
DROP INDEX IF EXISTS coverage_entities_geom_idx;

-- +goose Down
CREATE INDEX coverage_entities_geom_idx ON coverage_entities USING gist (geom);
