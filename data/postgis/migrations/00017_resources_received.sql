-- +goose Up
-- The reports owed upward (issue 11) count the resources received by donor,
-- kind and period: the day a device or a SIM package was received ("ngày
-- tiếp nhận"), and the donor of a SIM package (devices already have one).
-- Both are optional: a row without a date counts in the totals to date and
-- is reported as undated, never in a period.
ALTER TABLE devices ADD COLUMN received_on date;
ALTER TABLE sim_packages
    ADD COLUMN donor_id text COLLATE "C" REFERENCES donors (donor_id) DEFERRABLE INITIALLY DEFERRED,
    ADD COLUMN received_on date;

-- +goose Down
ALTER TABLE sim_packages DROP COLUMN received_on, DROP COLUMN donor_id;
ALTER TABLE devices DROP COLUMN received_on;
