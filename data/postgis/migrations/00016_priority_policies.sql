-- +goose Up
-- Priority policies (issue 11).
--
-- Stock held by a school ("hiện vật do các cơ sở giáo dục tiếp nhận trực
-- tiếp thì được để lại tại đơn vị"): a device or SIM package may name the
-- school that holds it; the allocation serves that school's own students
-- first from it, and the surplus goes to the school's area. NULL: an area
-- (area_code) or the province holds it.
ALTER TABLE devices ADD COLUMN school_id text COLLATE "C"
    REFERENCES schools (school_id);
ALTER TABLE sim_packages ADD COLUMN school_id text COLLATE "C"
    REFERENCES schools (school_id);
CREATE INDEX devices_school_idx ON devices (school_id) WHERE school_id IS NOT NULL;
CREATE INDEX sim_packages_school_idx ON sim_packages (school_id) WHERE school_id IS NOT NULL;

-- Priority areas: mountainous (miền núi), coastal (bãi ngang, ven biển) and
-- under lockdown (phong tỏa). The allocation weighs the needs of a tagged
-- area, and of every unit below it, by the setting area_weights.
ALTER TABLE areas ADD COLUMN priority_tags text[] NOT NULL DEFAULT '{}'
    CHECK (priority_tags <@ ARRAY['mountain', 'coastal', 'lockdown']::text[]);

-- +goose Down
ALTER TABLE areas DROP COLUMN priority_tags;
DROP INDEX IF EXISTS sim_packages_school_idx;
DROP INDEX IF EXISTS devices_school_idx;
ALTER TABLE sim_packages DROP COLUMN school_id;
ALTER TABLE devices DROP COLUMN school_id;
