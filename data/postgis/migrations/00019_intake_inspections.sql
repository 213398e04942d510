-- +goose Up
-- Intake inspections (issue 11, device lifecycle part 2). A device whose
-- devices file leaves a required condition unknown (NULL) needs an
-- inspection before it can be allocated; an inspector checks the device
-- and records the conditions found. The database enforces:
--   * an inspection records the conditions checked (column -> yes/no, the
--     devices columns has_charger, av_ok, screen_ok, keyboard_ok,
--     has_monitor, wifi, headphones, battery_ok) and applies them to the
--     device; it is in the ledger ("inspect") with the conditions;
--   * an intake inspection (no allocation) is of a registered device that no
--     allocation holds and that was not sold, and records at least one
--     condition;
--   * a later devices import does not silently undo an inspection: a
--     condition the file leaves empty takes the value of the device's last
--     inspection that checked it; a condition the file states wins (the
--     file is the newer word).

CREATE FUNCTION device_conditions_valid(c jsonb) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_typeof(c) = 'object' AND NOT EXISTS (
        SELECT 1 FROM jsonb_each(c) e
        WHERE e.key NOT IN ('has_charger', 'av_ok', 'screen_ok', 'keyboard_ok', 'has_monitor', 'wifi', 'headphones', 'battery_ok')
           OR jsonb_typeof(e.value) <> 'boolean')
$$;

ALTER TABLE device_inspections ALTER COLUMN allocation_id DROP NOT NULL,
    ADD COLUMN conditions jsonb NOT NULL DEFAULT '{}'::jsonb,
    ADD CONSTRAINT device_inspections_conditions_valid CHECK (device_conditions_valid(conditions)),
    ADD CONSTRAINT device_inspections_intake_conditions CHECK (allocation_id IS NOT NULL OR conditions <> '{}'::jsonb);
CREATE INDEX device_inspections_conditions_idx ON device_inspections (device_id, id) WHERE conditions <> '{}'::jsonb;

-- "has_charger=yes, wifi=no" (keys in order).
CREATE FUNCTION device_conditions_text(c jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT string_agg(e.key || '=' || CASE WHEN e.value = 'true'::jsonb THEN 'yes' ELSE 'no' END, ', ' ORDER BY e.key)
    FROM jsonb_each(c) e
$$;

-- A returned device's inspection is checked as before; an intake
-- inspection is of a registered device in stock.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION device_inspections_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    a allocations%ROWTYPE;
    h handovers%ROWTYPE;
BEGIN
    IF EXISTS (SELECT 1 FROM liquidation_devices WHERE device_id = NEW.device_id) THEN
        RAISE EXCEPTION 'device % was sold (liquidated): it is not inspected any more', NEW.device_id;
    END IF;
    IF NEW.allocation_id IS NULL THEN
        PERFORM 1 FROM devices WHERE device_id = NEW.device_id FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'device % is not in the devices list: an intake inspection is of a registered device', NEW.device_id;
        END IF;
        SELECT * INTO a FROM allocations WHERE device_id = NEW.device_id AND benefit = 'device' AND released_on IS NULL;
        IF FOUND THEN
            RAISE EXCEPTION 'device % is held by an allocation (run %): an intake inspection is of a device in stock', NEW.device_id, a.run_id;
        END IF;
        RETURN NEW;
    END IF;
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
    RETURN NEW;
END
$$;
-- +goose StatementEnd

-- Every inspection in the ledger with the conditions checked; the
-- conditions are applied to the device; an "ok" after a return releases
-- the allocation (the device is back in stock).
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION device_inspections_done() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    a allocations%ROWTYPE;
    c jsonb := NEW.conditions;
BEGIN
    IF c <> '{}'::jsonb THEN
        UPDATE devices SET
            has_charger = CASE WHEN c ? 'has_charger' THEN (c->>'has_charger')::boolean ELSE has_charger END,
            av_ok       = CASE WHEN c ? 'av_ok' THEN (c->>'av_ok')::boolean ELSE av_ok END,
            screen_ok   = CASE WHEN c ? 'screen_ok' THEN (c->>'screen_ok')::boolean ELSE screen_ok END,
            keyboard_ok = CASE WHEN c ? 'keyboard_ok' THEN (c->>'keyboard_ok')::boolean ELSE keyboard_ok END,
            has_monitor = CASE WHEN c ? 'has_monitor' THEN (c->>'has_monitor')::boolean ELSE has_monitor END,
            wifi        = CASE WHEN c ? 'wifi' THEN (c->>'wifi')::boolean ELSE wifi END,
            headphones  = CASE WHEN c ? 'headphones' THEN (c->>'headphones')::boolean ELSE headphones END,
            battery_ok  = CASE WHEN c ? 'battery_ok' THEN (c->>'battery_ok')::boolean ELSE battery_ok END
        WHERE device_id = NEW.device_id;
    END IF;
    IF NEW.allocation_id IS NULL THEN
        INSERT INTO allocation_ledger (actor, action, device_id, reason)
        VALUES (NEW.inspector, 'inspect', NEW.device_id,
                concat_ws('. ', format('intake inspection on %s: %s', NEW.inspected_on, NEW.result),
                          'conditions ' || device_conditions_text(c),
                          nullif(array_to_string(NEW.reasons, ', '), ''), nullif(NEW.note, '')));
        RETURN NULL;
    END IF;
    SELECT * INTO a FROM allocations WHERE id = NEW.allocation_id;
    INSERT INTO allocation_ledger (actor, action, run_id, student_id, device_id, reason)
    VALUES (NEW.inspector, 'inspect', a.run_id, a.student_id, NEW.device_id,
            concat_ws('. ', format('%s on %s', NEW.result, NEW.inspected_on),
                      'conditions ' || device_conditions_text(nullif(c, '{}'::jsonb)),
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

-- A devices import: an empty condition takes the last inspected value.
-- +goose StatementBegin
CREATE FUNCTION devices_inspected_conditions() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    c jsonb;
BEGIN
    IF NEW.has_charger IS NOT NULL AND NEW.av_ok IS NOT NULL AND NEW.screen_ok IS NOT NULL AND NEW.keyboard_ok IS NOT NULL
       AND NEW.has_monitor IS NOT NULL AND NEW.wifi IS NOT NULL AND NEW.headphones IS NOT NULL AND NEW.battery_ok IS NOT NULL THEN
        RETURN NEW;
    END IF;
    SELECT jsonb_object_agg(k, v) INTO c FROM (
        SELECT DISTINCT ON (e.key) e.key AS k, e.value AS v
        FROM device_inspections i, jsonb_each(i.conditions) e
        WHERE i.device_id = NEW.device_id AND i.conditions <> '{}'::jsonb
        ORDER BY e.key, i.id DESC) x;
    IF c IS NULL THEN
        RETURN NEW;
    END IF;
    NEW.has_charger := coalesce(NEW.has_charger, (c->>'has_charger')::boolean);
    NEW.av_ok       := coalesce(NEW.av_ok, (c->>'av_ok')::boolean);
    NEW.screen_ok   := coalesce(NEW.screen_ok, (c->>'screen_ok')::boolean);
    NEW.keyboard_ok := coalesce(NEW.keyboard_ok, (c->>'keyboard_ok')::boolean);
    NEW.has_monitor := coalesce(NEW.has_monitor, (c->>'has_monitor')::boolean);
    NEW.wifi        := coalesce(NEW.wifi, (c->>'wifi')::boolean);
    NEW.headphones  := coalesce(NEW.headphones, (c->>'headphones')::boolean);
    NEW.battery_ok  := coalesce(NEW.battery_ok, (c->>'battery_ok')::boolean);
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER devices_inspected_conditions BEFORE INSERT ON devices
    FOR EACH ROW EXECUTE FUNCTION devices_inspected_conditions();

-- +goose Down
DROP TRIGGER IF EXISTS devices_inspected_conditions ON devices;
DROP FUNCTION IF EXISTS devices_inspected_conditions();
-- Intake inspections have no allocation: the previous schema cannot hold
-- them (their ledger entries stay).
ALTER TABLE device_inspections DISABLE TRIGGER device_inspections_guard;
DELETE FROM device_inspections WHERE allocation_id IS NULL;
ALTER TABLE device_inspections ENABLE TRIGGER device_inspections_guard;
DROP INDEX IF EXISTS device_inspections_conditions_idx;
ALTER TABLE device_inspections DROP CONSTRAINT device_inspections_intake_conditions,
    DROP CONSTRAINT device_inspections_conditions_valid, DROP COLUMN conditions,
    ALTER COLUMN allocation_id SET NOT NULL;
DROP FUNCTION IF EXISTS device_conditions_valid(jsonb);
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION device_inspections_check() RETURNS trigger LANGUAGE plpgsql AS $$
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
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION device_inspections_done() RETURNS trigger LANGUAGE plpgsql AS $$
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
DROP FUNCTION IF EXISTS device_conditions_text(jsonb);
