-- +goose Up
-- Tier 3 means a parent died of COVID-19 (mồ côi do COVID-19) and the
-- student has no computer: the flag records it, and the allocation checks
-- it (a tier-3 student without it is an eligibility conflict).
ALTER TABLE students ADD COLUMN covid_orphan boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE students DROP COLUMN covid_orphan;
