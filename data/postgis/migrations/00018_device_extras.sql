-- +goose Up
-- Recommended extras of a donated device (seed 004, "khuyến khích"):
-- headphones with a phone or tablet, a battery that still holds a charge in
-- a laptop. Never required: NULL is "not stated", and a device without them
-- passes the intake with a warning.
ALTER TABLE devices ADD COLUMN headphones boolean, ADD COLUMN battery_ok boolean;

-- +goose Down
ALTER TABLE devices DROP COLUMN headphones, DROP COLUMN battery_ok;
