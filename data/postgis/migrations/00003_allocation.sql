-- +goose Up
-- Allocation runs, what committed runs allocated, handovers to students and
-- an append-only ledger of every change.
--
-- Invariants the database enforces, whatever the client:
--   * one device per student and one SIM per student, across every
--     committed run: UNIQUE (student_id, benefit);
--   * one student per device: UNIQUE (device_id);
--   * a SIM package never issues more SIMs than its quantity: sim_stock
--     counts the issued SIMs (kept by triggers on allocations) under
--     CHECK (issued <= quantity);
--   * a run is wholly present or absent: its rows are written in the
--     transaction that records it as committed (previews and failed runs
--     have no rows);
--   * what was handed over is never taken back: a handover with status
--     handed_over cannot be deleted, reassigned or set back to pending, and
--     its allocation cannot be cancelled;
--   * every change lands in allocation_ledger, which cannot be edited.
-- Student, device and package ids are not foreign keys on purpose: the
-- record of who received what must survive a re-import of the lists.

CREATE TABLE allocation_runs (
    id           bigserial PRIMARY KEY,
    created_at   timestamptz NOT NULL DEFAULT now(),
    actor        text NOT NULL CHECK (actor <> ''),
    policy       text NOT NULL CHECK (policy IN ('ready-first', 'need-first')),
    settings     jsonb NOT NULL DEFAULT '{}',
    status       text NOT NULL CHECK (status IN ('preview', 'committed', 'failed')),
    coverage_run bigint,                                           -- coverage_runs.id whose connectivity was used
    devices      integer NOT NULL DEFAULT 0 CHECK (devices >= 0), -- device allocations planned
    sims         integer NOT NULL DEFAULT 0 CHECK (sims >= 0),    -- SIM allocations planned
    summary      jsonb NOT NULL DEFAULT '{}',
    error        text NOT NULL DEFAULT ''
);

-- One row per benefit: a student with a device and a SIM has two rows.
CREATE TABLE allocations (
    id             bigserial PRIMARY KEY,
    run_id         bigint NOT NULL REFERENCES allocation_runs (id),
    student_id     text NOT NULL CHECK (student_id <> ''),
    benefit        text NOT NULL CHECK (benefit IN ('device', 'sim')),
    device_id      text CHECK (device_id <> ''),
    device_type    text NOT NULL DEFAULT '',
    sim_package_id text CHECK (sim_package_id <> ''),
    sim_operator   text NOT NULL DEFAULT '',
    school_id      text NOT NULL,
    area_code      text NOT NULL,
    priority       smallint NOT NULL CHECK (priority BETWEEN 1 AND 3),
    connectivity   text NOT NULL CHECK (connectivity IN ('fiber', '4g', '3g', '2g', 'none', 'unknown')),
    flag           text NOT NULL DEFAULT '' CHECK (flag IN ('', 'needs_sim', 'needs_connectivity')),
    reason         text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT allocations_one_benefit_per_student UNIQUE (student_id, benefit),
    CONSTRAINT allocations_one_student_per_device UNIQUE (device_id),
    CONSTRAINT allocations_benefit_shape CHECK (
        (benefit = 'device' AND device_id IS NOT NULL AND sim_package_id IS NULL)
        OR (benefit = 'sim' AND sim_package_id IS NOT NULL AND device_id IS NULL))
);
CREATE INDEX allocations_run_idx ON allocations (run_id);
CREATE INDEX allocations_school_idx ON allocations (school_id);
CREATE INDEX allocations_sim_idx ON allocations (sim_package_id) WHERE sim_package_id IS NOT NULL;

-- SIMs issued per package. quantity is refreshed from sim_packages when a
-- run issues SIMs of the package (never below what was issued).
CREATE TABLE sim_stock (
    package_id text PRIMARY KEY,
    quantity   integer NOT NULL CHECK (quantity >= 0),
    issued     integer NOT NULL DEFAULT 0,
    CONSTRAINT sim_stock_not_exceeded CHECK (issued >= 0 AND issued <= quantity)
);

-- One handover per student who received a device; the SIM's ICCID is
-- filled in when it is handed over.
CREATE TABLE handovers (
    student_id     text PRIMARY KEY,
    benefit        text NOT NULL DEFAULT 'device' CHECK (benefit = 'device'),
    run_id         bigint NOT NULL REFERENCES allocation_runs (id),
    school_id      text NOT NULL,
    device_id      text NOT NULL UNIQUE,
    device_serial  text NOT NULL DEFAULT '',
    device_imei    text NOT NULL DEFAULT '',
    sim_package_id text,
    sim_iccid      text NOT NULL DEFAULT '',
    handed_over_on date,
    returned_on    date,
    status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'handed_over', 'returned')),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (student_id, benefit) REFERENCES allocations (student_id, benefit) ON DELETE CASCADE,
    CHECK (status = 'pending' OR handed_over_on IS NOT NULL),
    CHECK (status <> 'returned' OR returned_on IS NOT NULL)
);
CREATE INDEX handovers_school_idx ON handovers (school_id);

CREATE TABLE allocation_ledger (
    id             bigserial PRIMARY KEY,
    at             timestamptz NOT NULL DEFAULT now(),
    actor          text NOT NULL,
    action         text NOT NULL CHECK (action IN ('run_preview', 'run_committed', 'run_failed',
                       'allocate_device', 'allocate_sim', 'cancel_device', 'cancel_sim', 'handover', 'return')),
    run_id         bigint,
    student_id     text,
    device_id      text,
    sim_package_id text,
    reason         text NOT NULL DEFAULT ''
);
CREATE INDEX allocation_ledger_student_idx ON allocation_ledger (student_id);
CREATE INDEX allocation_ledger_run_idx ON allocation_ledger (run_id);

-- The actor of the current transaction: set_config('gapmap.actor', …, true)
-- by the application, else the database user.
-- +goose StatementBegin
CREATE FUNCTION gapmap_actor() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('gapmap.actor', true), ''), session_user::text)
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION gapmap_reason() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('gapmap.reason', true), '')
$$;
-- +goose StatementEnd

-- Runs are history.
-- +goose StatementBegin
CREATE FUNCTION allocation_runs_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'allocation run % is history and cannot be changed or deleted; start a new run instead', OLD.id;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER allocation_runs_guard BEFORE UPDATE OR DELETE ON allocation_runs
    FOR EACH ROW EXECUTE FUNCTION allocation_runs_guard();

-- +goose StatementBegin
CREATE FUNCTION allocation_runs_ledger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO allocation_ledger (actor, action, run_id, reason)
    VALUES (NEW.actor, 'run_' || NEW.status, NEW.id,
            CASE WHEN NEW.error <> '' THEN NEW.error
                 ELSE format('%s device(s), %s SIM(s), policy %s', NEW.devices, NEW.sims, NEW.policy) END);
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER allocation_runs_ledger AFTER INSERT ON allocation_runs
    FOR EACH ROW EXECUTE FUNCTION allocation_runs_ledger();

-- New allocations: one ledger row each, and the SIMs counted against their
-- packages. Stock rows are locked in package order, so concurrent commits
-- queue instead of deadlocking; a commit that would exceed a package fails
-- on sim_stock_not_exceeded and rolls back whole.
-- +goose StatementBegin
CREATE FUNCTION allocations_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    want integer;
    got  integer;
BEGIN
    INSERT INTO allocation_ledger (actor, action, run_id, student_id, device_id, sim_package_id, reason)
    SELECT gapmap_actor(), 'allocate_' || benefit, run_id, student_id, device_id, sim_package_id, reason
    FROM new_rows ORDER BY id;

    SELECT count(DISTINCT sim_package_id) INTO want FROM new_rows WHERE benefit = 'sim';
    IF want = 0 THEN
        RETURN NULL;
    END IF;
    INSERT INTO sim_stock AS s (package_id, quantity)
    SELECT p.package_id, p.quantity FROM sim_packages p
    WHERE p.package_id IN (SELECT sim_package_id FROM new_rows WHERE benefit = 'sim')
    ORDER BY p.package_id
    ON CONFLICT (package_id) DO UPDATE SET quantity = greatest(EXCLUDED.quantity, s.issued);
    UPDATE sim_stock s SET issued = s.issued + n.c
    FROM (SELECT sim_package_id, count(*) AS c FROM new_rows WHERE benefit = 'sim' GROUP BY sim_package_id) n
    WHERE s.package_id = n.sim_package_id;
    GET DIAGNOSTICS got = ROW_COUNT;
    IF got <> want THEN
        RAISE EXCEPTION 'SIMs allocated from % package(s) that are not in sim_packages; import the SIM packages first', want - got;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER allocations_inserted AFTER INSERT ON allocations
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION allocations_inserted();

-- +goose StatementBegin
CREATE FUNCTION allocations_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    h handovers%ROWTYPE;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'allocations are never edited (student %, %): cancel the allocation and allocate again', OLD.student_id, OLD.benefit;
    END IF;
    SELECT * INTO h FROM handovers WHERE student_id = OLD.student_id AND status = 'handed_over';
    IF FOUND THEN
        RAISE EXCEPTION 'student % received device % on %: what was handed over is never taken back; record a return instead',
            OLD.student_id, h.device_id, h.handed_over_on;
    END IF;
    RETURN OLD;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER allocations_guard BEFORE UPDATE OR DELETE ON allocations
    FOR EACH ROW EXECUTE FUNCTION allocations_guard();

-- +goose StatementBegin
CREATE FUNCTION allocations_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO allocation_ledger (actor, action, run_id, student_id, device_id, sim_package_id, reason)
    VALUES (gapmap_actor(), 'cancel_' || OLD.benefit, OLD.run_id, OLD.student_id, OLD.device_id, OLD.sim_package_id, gapmap_reason());
    IF OLD.benefit = 'sim' THEN
        UPDATE sim_stock SET issued = issued - 1 WHERE package_id = OLD.sim_package_id;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER allocations_deleted AFTER DELETE ON allocations
    FOR EACH ROW EXECUTE FUNCTION allocations_deleted();

-- Handovers: pending → handed_over → returned, nothing else; never
-- reassigned; a handed-over row is never deleted.
-- +goose StatementBegin
CREATE FUNCTION handovers_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status = 'handed_over' THEN
            RAISE EXCEPTION 'device % was handed over to student % on %: it cannot be taken back; record a return instead',
                OLD.device_id, OLD.student_id, OLD.handed_over_on;
        END IF;
        RETURN OLD;
    END IF;
    IF (NEW.student_id, NEW.device_id, NEW.run_id, NEW.school_id, NEW.sim_package_id)
        IS DISTINCT FROM (OLD.student_id, OLD.device_id, OLD.run_id, OLD.school_id, OLD.sim_package_id) THEN
        RAISE EXCEPTION 'handover of student % is never reassigned: cancel the pending allocation and allocate again', OLD.student_id;
    END IF;
    IF OLD.status = 'handed_over' AND NEW.status <> 'returned' THEN
        RAISE EXCEPTION 'device % was handed over to student % on %: the record is final; only a return can follow',
            OLD.device_id, OLD.student_id, OLD.handed_over_on;
    END IF;
    IF OLD.status = 'returned' THEN
        RAISE EXCEPTION 'device % was returned by student % on %: the record is final', OLD.device_id, OLD.student_id, OLD.returned_on;
    END IF;
    IF OLD.status = 'pending' AND NEW.status = 'returned' THEN
        RAISE EXCEPTION 'device % was never handed over to student %: record the handover first, or cancel the allocation', OLD.device_id, OLD.student_id;
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER handovers_guard BEFORE UPDATE OR DELETE ON handovers
    FOR EACH ROW EXECUTE FUNCTION handovers_guard();

-- +goose StatementBegin
CREATE FUNCTION handovers_ledger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status THEN
        INSERT INTO allocation_ledger (actor, action, run_id, student_id, device_id, sim_package_id, reason)
        VALUES (gapmap_actor(), CASE NEW.status WHEN 'handed_over' THEN 'handover' ELSE 'return' END,
                NEW.run_id, NEW.student_id, NEW.device_id, NEW.sim_package_id, gapmap_reason());
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER handovers_ledger AFTER UPDATE ON handovers
    FOR EACH ROW EXECUTE FUNCTION handovers_ledger();

-- +goose StatementBegin
CREATE FUNCTION allocation_ledger_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the allocation ledger is append-only: entry % cannot be changed or deleted', OLD.id;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER allocation_ledger_guard BEFORE UPDATE OR DELETE ON allocation_ledger
    FOR EACH ROW EXECUTE FUNCTION allocation_ledger_guard();

-- TRUNCATE skips row triggers: refuse it on the tables that hold history.
-- +goose StatementBegin
CREATE FUNCTION allocation_truncate_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% holds the allocation history and is never truncated; cancel pending allocations one by one instead', TG_TABLE_NAME;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER allocation_runs_truncate BEFORE TRUNCATE ON allocation_runs
    FOR EACH STATEMENT EXECUTE FUNCTION allocation_truncate_guard();
CREATE TRIGGER allocations_truncate BEFORE TRUNCATE ON allocations
    FOR EACH STATEMENT EXECUTE FUNCTION allocation_truncate_guard();
CREATE TRIGGER handovers_truncate BEFORE TRUNCATE ON handovers
    FOR EACH STATEMENT EXECUTE FUNCTION allocation_truncate_guard();
CREATE TRIGGER allocation_ledger_truncate BEFORE TRUNCATE ON allocation_ledger
    FOR EACH STATEMENT EXECUTE FUNCTION allocation_truncate_guard();

-- +goose Down
DROP TABLE IF EXISTS allocation_ledger, handovers, sim_stock, allocations, allocation_runs;
DROP FUNCTION IF EXISTS allocation_truncate_guard(), allocation_ledger_guard(), handovers_ledger(), handovers_guard(), allocations_deleted(),
    allocations_guard(), allocations_inserted(), allocation_runs_ledger(), allocation_runs_guard(),
    gapmap_reason(), gapmap_actor();
