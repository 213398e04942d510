-- +goose Up
-- What an allocation run explains, kept so that every output of a run can
-- be written again from the database (a handover list printed again next
-- month, with what was handed over since).
--
-- allocations gains each student's place in line (rank in the school's
-- pool, pool size, seats of the school, device-type choice) and grade, as
-- the run computed them. allocation_run_reports keeps, per run (preview or
-- committed), the rest of the run's result as JSON: the unserved needs, the
-- per-area summaries and totals, how each area and school got its seats,
-- rejected devices and SIM packages, SIM stock, conflicts, and the names
-- and package sizes the files print. A preview's allocations are in its
-- report too (a preview writes nothing to allocations).

ALTER TABLE allocations
    ADD COLUMN rank         integer NOT NULL DEFAULT 0,
    ADD COLUMN pool_size    integer NOT NULL DEFAULT 0,
    ADD COLUMN school_seats integer NOT NULL DEFAULT 0,
    ADD COLUMN type_rank    integer NOT NULL DEFAULT 0,
    ADD COLUMN grade        smallint NOT NULL DEFAULT 0,
    ADD COLUMN seq          integer NOT NULL DEFAULT 0;  -- place in the run's output order

CREATE TABLE allocation_run_reports (
    run_id   bigint PRIMARY KEY REFERENCES allocation_runs (id),
    run_date date NOT NULL,                 -- the date the run used (areas valid that day)
    coverage text NOT NULL DEFAULT '',      -- where the connectivity came from
    report   jsonb NOT NULL
);

-- Reports are history, like their runs.
-- +goose StatementBegin
CREATE FUNCTION allocation_run_reports_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the report of allocation run % is history and cannot be changed or deleted', OLD.run_id;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER allocation_run_reports_guard BEFORE UPDATE OR DELETE ON allocation_run_reports
    FOR EACH ROW EXECUTE FUNCTION allocation_run_reports_guard();
CREATE TRIGGER allocation_run_reports_truncate BEFORE TRUNCATE ON allocation_run_reports
    FOR EACH STATEMENT EXECUTE FUNCTION allocation_truncate_guard();

-- +goose Down
DROP TABLE IF EXISTS allocation_run_reports;
DROP FUNCTION IF EXISTS allocation_run_reports_guard();
ALTER TABLE allocations DROP COLUMN IF EXISTS rank, DROP COLUMN IF EXISTS pool_size, DROP COLUMN IF EXISTS school_seats,
    DROP COLUMN IF EXISTS type_rank, DROP COLUMN IF EXISTS grade, DROP COLUMN IF EXISTS seq;
