-- +goose Up
-- SIM data (issue 11, item 3) and the child's identity (item 4).
--
-- allocations.sim_network: a SIM given on the 3G fallback is '3G' (its
-- operator covers the home with 3G only, given when no 4G SIM fitted);
-- otherwise '4G'. Rows of runs committed before this migration keep ''.
ALTER TABLE allocations
    ADD COLUMN sim_network text NOT NULL DEFAULT '' CHECK (sim_network IN ('', '4G', '3G'));

-- Optional name and date of birth of a pupil: internal to the education
-- office (handover lists, the same child under two ids); never shown to
-- operators, viewers or the public.
ALTER TABLE students
    ADD COLUMN full_name  text NOT NULL DEFAULT '',
    ADD COLUMN birth_date date;

-- SIM service periods. The SIM handed over with a device opens an 'issue'
-- period (activated on the handover day unless stated, ending after the
-- package's months); a renewal (top-up, gia hạn) is a new SIM benefit of
-- the same student: a 'renewal' period that takes one SIM of its package
-- from sim_stock and extends the service end. History: rows are never
-- changed or deleted.
CREATE TABLE sim_periods (
    id           bigserial PRIMARY KEY,
    student_id   text COLLATE "C" NOT NULL CHECK (student_id <> ''),
    kind         text NOT NULL CHECK (kind IN ('issue', 'renewal')),
    package_id   text COLLATE "C" NOT NULL CHECK (package_id <> ''),
    operator     text NOT NULL DEFAULT '',
    network      text NOT NULL DEFAULT '' CHECK (network IN ('', '4G', '3G')),
    months       integer NOT NULL CHECK (months > 0),
    run_id       bigint REFERENCES allocation_runs (id),
    sim_iccid    text NOT NULL DEFAULT '',
    recorded_on  date NOT NULL,            -- the handover or renewal day
    activated_on date NOT NULL,
    starts_on    date NOT NULL,            -- the period's first day of service
    ends_on      date NOT NULL,            -- the day the service ends: starts_on + months
    actor        text NOT NULL DEFAULT gapmap_actor(),
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_on > starts_on)
);
CREATE UNIQUE INDEX sim_periods_one_issue ON sim_periods (student_id) WHERE kind = 'issue';
CREATE INDEX sim_periods_student_idx ON sim_periods (student_id, ends_on);
CREATE INDEX sim_periods_ends_idx ON sim_periods (ends_on);

-- A renewal takes one SIM of its package: the stock row is locked and
-- counted like a run's SIMs (sim_stock_not_exceeded refuses the last one
-- twice, under any concurrency), and the ledger records it as a SIM
-- allocation.
-- +goose StatementBegin
CREATE FUNCTION sim_periods_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    got integer;
BEGIN
    IF NEW.kind <> 'renewal' THEN
        RETURN NULL;
    END IF;
    INSERT INTO sim_stock AS s (package_id, quantity)
    SELECT p.package_id, p.quantity FROM sim_packages p WHERE p.package_id = NEW.package_id
    ON CONFLICT (package_id) DO UPDATE SET quantity = greatest(EXCLUDED.quantity, s.issued);
    UPDATE sim_stock SET issued = issued + 1 WHERE package_id = NEW.package_id;
    GET DIAGNOSTICS got = ROW_COUNT;
    IF got <> 1 THEN
        RAISE EXCEPTION 'SIM package % is not in sim_packages; import the SIM packages first', NEW.package_id;
    END IF;
    INSERT INTO allocation_ledger (actor, action, run_id, student_id, sim_package_id, reason)
    VALUES (NEW.actor, 'allocate_sim', NULL, NEW.student_id, NEW.package_id,
            format('renewal: %s month(s) from %s, service until %s', NEW.months, NEW.starts_on, NEW.ends_on));
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER sim_periods_inserted AFTER INSERT ON sim_periods
    FOR EACH ROW EXECUTE FUNCTION sim_periods_inserted();

-- +goose StatementBegin
CREATE FUNCTION sim_periods_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'SIM period % of student % is history and cannot be changed or deleted; record a renewal instead', OLD.id, OLD.student_id;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER sim_periods_guard BEFORE UPDATE OR DELETE ON sim_periods
    FOR EACH ROW EXECUTE FUNCTION sim_periods_guard();
CREATE TRIGGER sim_periods_truncate BEFORE TRUNCATE ON sim_periods
    FOR EACH STATEMENT EXECUTE FUNCTION allocation_truncate_guard();

-- +goose Down
DROP TABLE IF EXISTS sim_periods;
DROP FUNCTION IF EXISTS sim_periods_guard(), sim_periods_inserted();
ALTER TABLE students DROP COLUMN IF EXISTS full_name, DROP COLUMN IF EXISTS birth_date;
ALTER TABLE allocations DROP COLUMN IF EXISTS sim_network;
