-- +goose Up
-- The device lifecycle (issue 11): a returned device waits for an
-- inspection; an inspection "ok" puts it back in stock, and a later run may
-- give it to another student; "repair" keeps it out of stock until a later
-- inspection; "liquidate" keeps it out until it is sold. A sale
-- (liquidation) records the devices sold, the date, the buyer and the money
-- raised; the replacement devices bought with it enter stock with the
-- donor "Từ thanh lý" and are linked to the sale.
--
-- Invariants the database enforces, whatever the client:
--   * one ACTIVE allocation per device: an allocation holds its device
--     until an inspection "ok" after the return releases it
--     (allocations.released_on); history rows stay;
--   * the once-only rule stays per student and benefit (UNIQUE
--     (student_id, benefit) is unchanged): a student who returned a device
--     never gets a second one;
--   * a returned allocation is never cancelled (the return stays history);
--   * an inspection is of a returned device whose allocation still holds
--     it, on or after the return; an allocation is released only by an
--     inspection "ok";
--   * a device is sold once; a sold device is never allocated again; a
--     device with a student, or returned and not inspected "liquidate", is
--     not sold;
--   * inspections, sales and replacements are history (no update, delete
--     or truncate) and every one of them is in allocation_ledger.

ALTER TABLE allocations ADD COLUMN released_on date,
    ADD CONSTRAINT allocations_release_device CHECK (released_on IS NULL OR benefit = 'device');
ALTER TABLE allocations DROP CONSTRAINT allocations_one_student_per_device;
CREATE UNIQUE INDEX allocations_one_active_per_device ON allocations (device_id) WHERE released_on IS NULL;
CREATE INDEX allocations_device_idx ON allocations (device_id) WHERE device_id IS NOT NULL;

-- A restocked device is handed over again to its next student: one open
-- handover per device.
ALTER TABLE handovers DROP CONSTRAINT handovers_device_id_key;
CREATE UNIQUE INDEX handovers_one_open_per_device ON handovers (device_id) WHERE status <> 'returned';
CREATE INDEX handovers_device_idx ON handovers (device_id);

ALTER TABLE allocation_ledger DROP CONSTRAINT allocation_ledger_action_check;
ALTER TABLE allocation_ledger ADD CONSTRAINT allocation_ledger_action_check CHECK (action IN ('run_preview', 'run_committed', 'run_failed',
    'allocate_device', 'allocate_sim', 'cancel_device', 'cancel_sim', 'handover', 'return',
    'inspect', 'restock', 'liquidate', 'replace'));
CREATE INDEX allocation_ledger_device_idx ON allocation_ledger (device_id) WHERE device_id IS NOT NULL;

CREATE TABLE device_inspections (
    id            bigserial PRIMARY KEY,
    device_id     text NOT NULL CHECK (device_id <> ''),
    allocation_id bigint NOT NULL REFERENCES allocations (id), -- the returned allocation inspected
    inspected_on  date NOT NULL,
    inspector     text NOT NULL CHECK (inspector <> ''),
    result        text NOT NULL CHECK (result IN ('ok', 'repair', 'liquidate')),
    reasons       text[] NOT NULL DEFAULT '{}',
    note          text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX device_inspections_device_idx ON device_inspections (device_id, id);

CREATE TABLE liquidations (
    id         bigserial PRIMARY KEY,
    sold_on    date NOT NULL,
    buyer      text NOT NULL DEFAULT '',
    note       text NOT NULL DEFAULT '',
    amount_vnd bigint NOT NULL CHECK (amount_vnd >= 0), -- money raised, VND
    actor      text NOT NULL CHECK (actor <> ''),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- The devices sold: a device is sold once. inspection_id is the inspection
-- that decided it (NULL: the intake check found the device below the
-- minimum).
CREATE TABLE liquidation_devices (
    device_id      text PRIMARY KEY CHECK (device_id <> ''),
    liquidation_id bigint NOT NULL REFERENCES liquidations (id),
    inspection_id  bigint REFERENCES device_inspections (id),
    device_type    text NOT NULL DEFAULT '',
    serial         text NOT NULL DEFAULT ''
);
CREATE INDEX liquidation_devices_liquidation_idx ON liquidation_devices (liquidation_id);

-- The replacement devices bought with the money of a sale (rows of
-- devices, donor "Từ thanh lý"). Not a foreign key on purpose, as for
-- allocations: the record survives a re-import of the devices.
CREATE TABLE liquidation_replacements (
    device_id      text PRIMARY KEY CHECK (device_id <> ''),
    liquidation_id bigint NOT NULL REFERENCES liquidations (id),
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX liquidation_replacements_liquidation_idx ON liquidation_replacements (liquidation_id);

-- Allocations: only the release of a returned device after an inspection
-- "ok" is an edit; a handed-over or returned allocation is never deleted.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION allocations_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    h handovers%ROWTYPE;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.released_on IS NULL AND NEW.released_on IS NOT NULL
           AND (to_jsonb(NEW) - 'released_on') = (to_jsonb(OLD) - 'released_on')
           AND EXISTS (SELECT 1 FROM device_inspections i WHERE i.allocation_id = OLD.id AND i.result = 'ok') THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'allocations are never edited (student %, %): cancel the allocation and allocate again; a returned device goes back to stock by an inspection', OLD.student_id, OLD.benefit;
    END IF;
    SELECT * INTO h FROM handovers WHERE student_id = OLD.student_id AND status IN ('handed_over', 'returned');
    IF FOUND THEN
        RAISE EXCEPTION 'student % received device % on %: what was handed over is never taken back; record a return instead',
            OLD.student_id, h.device_id, h.handed_over_on;
    END IF;
    RETURN OLD;
END
$$;
-- +goose StatementEnd

-- A sold device is never allocated again.
-- +goose StatementBegin
CREATE FUNCTION allocations_not_liquidated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    d text;
BEGIN
    SELECT n.device_id INTO d FROM new_rows n JOIN liquidation_devices l ON l.device_id = n.device_id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'device % was sold (liquidated) and is never allocated again', d;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER allocations_not_liquidated AFTER INSERT ON allocations
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION allocations_not_liquidated();

-- An inspection is of a returned device whose allocation still holds it.
-- +goose StatementBegin
CREATE FUNCTION device_inspections_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    a allocations%ROWTYPE;
    h handovers%ROWTYPE;
BEGIN
    SELECT * INTO a FROM allocations WHERE id = NEW.allocation_id FOR UPDATE;
    IF NOT FOUND OR a.benefit <> 'device' OR a.device_id <> NEW.device_id THEN
        RAISE EXCEPTION 'allocation % is not an allocation of device %', NEW.allocation_id, NEW.device_id;
    END IF;
    IF a.released_on IS NOT NULL THEN
        RAISE EXCEPTION 'device % went back to stock on % after an inspection: it is not awaiting one', NEW.device_id, a.released_on;
    END IF;
    SELECT * INTO h FROM handovers WHERE student_id = a.student_id;
    IF NOT FOUND OR h.status <> 'returned' OR h.device_id <> a.device_id THEN
        RAISE EXCEPTION 'device % was not returned: only a returned device is inspected', NEW.device_id;
    END IF;
    IF NEW.inspected_on < h.returned_on THEN
        RAISE EXCEPTION 'device % was returned on %: it cannot be inspected on % before that', NEW.device_id, h.returned_on, NEW.inspected_on;
    END IF;
    IF EXISTS (SELECT 1 FROM liquidation_devices WHERE device_id = NEW.device_id) THEN
        RAISE EXCEPTION 'device % was sold (liquidated): it is not inspected any more', NEW.device_id;
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER device_inspections_check BEFORE INSERT ON device_inspections
    FOR EACH ROW EXECUTE FUNCTION device_inspections_check();

-- Every inspection in the ledger; an "ok" releases the allocation (the
-- device is back in stock).
-- +goose StatementBegin
CREATE FUNCTION device_inspections_done() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    a allocations%ROWTYPE;
BEGIN
    SELECT * INTO a FROM allocations WHERE id = NEW.allocation_id;
    INSERT INTO allocation_ledger (actor, action, run_id, student_id, device_id, reason)
    VALUES (NEW.inspector, 'inspect', a.run_id, a.student_id, NEW.device_id,
            concat_ws('. ', format('%s on %s', NEW.result, NEW.inspected_on),
                      nullif(array_to_string(NEW.reasons, ', '), ''), nullif(NEW.note, '')));
    IF NEW.result = 'ok' THEN
        UPDATE allocations SET released_on = NEW.inspected_on WHERE id = NEW.allocation_id;
        INSERT INTO allocation_ledger (actor, action, run_id, student_id, device_id, reason)
        VALUES (NEW.inspector, 'restock', a.run_id, a.student_id, NEW.device_id, format('back in stock on %s', NEW.inspected_on));
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER device_inspections_done AFTER INSERT ON device_inspections
    FOR EACH ROW EXECUTE FUNCTION device_inspections_done();

-- A device sold is not with a student and, when it was returned, was
-- inspected "liquidate" last.
-- +goose StatementBegin
CREATE FUNCTION liquidation_devices_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    a allocations%ROWTYPE;
    h handovers%ROWTYPE;
    last text;
BEGIN
    SELECT * INTO a FROM allocations WHERE device_id = NEW.device_id AND benefit = 'device' AND released_on IS NULL FOR UPDATE;
    IF FOUND THEN
        SELECT * INTO h FROM handovers WHERE student_id = a.student_id;
        IF NOT FOUND OR h.status <> 'returned' THEN
            RAISE EXCEPTION 'device % is allocated to a student (run %): it cannot be sold', NEW.device_id, a.run_id;
        END IF;
        SELECT result INTO last FROM device_inspections WHERE allocation_id = a.id ORDER BY id DESC LIMIT 1;
        IF last IS DISTINCT FROM 'liquidate' THEN
            RAISE EXCEPTION 'device % was returned and its last inspection is %: only a device inspected "liquidate" is sold',
                NEW.device_id, coalesce(last, 'missing');
        END IF;
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER liquidation_devices_check BEFORE INSERT ON liquidation_devices
    FOR EACH ROW EXECUTE FUNCTION liquidation_devices_check();

-- +goose StatementBegin
CREATE FUNCTION liquidation_devices_ledger() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    l liquidations%ROWTYPE;
BEGIN
    SELECT * INTO l FROM liquidations WHERE id = NEW.liquidation_id;
    INSERT INTO allocation_ledger (actor, action, device_id, reason)
    VALUES (l.actor, 'liquidate', NEW.device_id, concat_ws('. ', format('liquidation %s, sold on %s', l.id, l.sold_on) || coalesce(' to ' || nullif(l.buyer, ''), ''),
                      nullif(l.note, '')));
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER liquidation_devices_ledger AFTER INSERT ON liquidation_devices
    FOR EACH ROW EXECUTE FUNCTION liquidation_devices_ledger();

-- +goose StatementBegin
CREATE FUNCTION liquidation_replacements_ledger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO allocation_ledger (actor, action, device_id, reason)
    VALUES (gapmap_actor(), 'replace', NEW.device_id, format('bought with the money of liquidation %s', NEW.liquidation_id));
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER liquidation_replacements_ledger AFTER INSERT ON liquidation_replacements
    FOR EACH ROW EXECUTE FUNCTION liquidation_replacements_ledger();

-- History: no update, no delete, no truncate.
-- +goose StatementBegin
CREATE FUNCTION device_history_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is history (the device lifecycle) and cannot be changed or deleted', TG_TABLE_NAME;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER device_inspections_guard BEFORE UPDATE OR DELETE ON device_inspections
    FOR EACH ROW EXECUTE FUNCTION device_history_guard();
CREATE TRIGGER liquidations_guard BEFORE UPDATE OR DELETE ON liquidations
    FOR EACH ROW EXECUTE FUNCTION device_history_guard();
CREATE TRIGGER liquidation_devices_guard BEFORE UPDATE OR DELETE ON liquidation_devices
    FOR EACH ROW EXECUTE FUNCTION device_history_guard();
CREATE TRIGGER liquidation_replacements_guard BEFORE UPDATE OR DELETE ON liquidation_replacements
    FOR EACH ROW EXECUTE FUNCTION device_history_guard();
CREATE TRIGGER device_inspections_truncate BEFORE TRUNCATE ON device_inspections
    FOR EACH STATEMENT EXECUTE FUNCTION allocation_truncate_guard();
CREATE TRIGGER liquidations_truncate BEFORE TRUNCATE ON liquidations
    FOR EACH STATEMENT EXECUTE FUNCTION allocation_truncate_guard();
CREATE TRIGGER liquidation_devices_truncate BEFORE TRUNCATE ON liquidation_devices
    FOR EACH STATEMENT EXECUTE FUNCTION allocation_truncate_guard();
CREATE TRIGGER liquidation_replacements_truncate BEFORE TRUNCATE ON liquidation_replacements
    FOR EACH STATEMENT EXECUTE FUNCTION allocation_truncate_guard();

-- +goose Down
DROP TRIGGER IF EXISTS allocations_not_liquidated ON allocations;
DROP TABLE IF EXISTS liquidation_replacements, liquidation_devices, liquidations, device_inspections;
DROP FUNCTION IF EXISTS device_history_guard(), liquidation_replacements_ledger(), liquidation_devices_ledger(),
    liquidation_devices_check(), device_inspections_done(), device_inspections_check(), allocations_not_liquidated();
DROP INDEX IF EXISTS allocation_ledger_device_idx;
ALTER TABLE allocation_ledger DROP CONSTRAINT allocation_ledger_action_check;
ALTER TABLE allocation_ledger ADD CONSTRAINT allocation_ledger_action_check CHECK (action IN ('run_preview', 'run_committed', 'run_failed',
    'allocate_device', 'allocate_sim', 'cancel_device', 'cancel_sim', 'handover', 'return'));
DROP INDEX IF EXISTS handovers_one_open_per_device, handovers_device_idx;
ALTER TABLE handovers ADD CONSTRAINT handovers_device_id_key UNIQUE (device_id);
DROP INDEX IF EXISTS allocations_one_active_per_device, allocations_device_idx;
ALTER TABLE allocations DROP CONSTRAINT allocations_release_device, DROP COLUMN released_on;
ALTER TABLE allocations ADD CONSTRAINT allocations_one_student_per_device UNIQUE (device_id);
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION allocations_guard() RETURNS trigger LANGUAGE plpgsql AS $$
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
