-- +goose Up
-- Device conditions the devices file does not state are unknown (NULL): a
-- device with an unknown required condition needs an inspection before it
-- can be allocated (issue 11).
ALTER TABLE devices
    ALTER COLUMN has_charger DROP NOT NULL, ALTER COLUMN has_charger DROP DEFAULT,
    ALTER COLUMN av_ok DROP NOT NULL, ALTER COLUMN av_ok DROP DEFAULT,
    ALTER COLUMN screen_ok DROP NOT NULL, ALTER COLUMN screen_ok DROP DEFAULT,
    ALTER COLUMN keyboard_ok DROP NOT NULL, ALTER COLUMN keyboard_ok DROP DEFAULT,
    ALTER COLUMN has_monitor DROP NOT NULL, ALTER COLUMN has_monitor DROP DEFAULT,
    ALTER COLUMN wifi DROP NOT NULL, ALTER COLUMN wifi DROP DEFAULT,
    -- the processor model as written (laptops, desktops): its class is checked
    ADD COLUMN cpu_model text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE devices DROP COLUMN cpu_model;
UPDATE devices SET has_charger = coalesce(has_charger, true), av_ok = coalesce(av_ok, true),
    screen_ok = coalesce(screen_ok, true), keyboard_ok = coalesce(keyboard_ok, true),
    has_monitor = coalesce(has_monitor, true), wifi = coalesce(wifi, true);
ALTER TABLE devices
    ALTER COLUMN has_charger SET NOT NULL, ALTER COLUMN has_charger SET DEFAULT true,
    ALTER COLUMN av_ok SET NOT NULL, ALTER COLUMN av_ok SET DEFAULT true,
    ALTER COLUMN screen_ok SET NOT NULL, ALTER COLUMN screen_ok SET DEFAULT true,
    ALTER COLUMN keyboard_ok SET NOT NULL, ALTER COLUMN keyboard_ok SET DEFAULT true,
    ALTER COLUMN has_monitor SET NOT NULL, ALTER COLUMN has_monitor SET DEFAULT true,
    ALTER COLUMN wifi SET NOT NULL, ALTER COLUMN wifi SET DEFAULT true;
