-- +goose Up
-- The successor table of area codes: from `effective` on, old_code continues
-- (wholly or in part) as new_code. A merge is several rows with one new_code,
-- a split several rows with one old_code whose shares (the fraction of the
-- old unit's households) sum to 1. Reports over a period roll figures
-- recorded under old codes into the units valid today (data.Successors).
-- Codes are not foreign keys: an abolished unit may no longer be loaded.
CREATE TABLE area_successors (
    old_code  text COLLATE "C" NOT NULL CHECK (old_code <> ''),
    new_code  text COLLATE "C" NOT NULL CHECK (new_code <> ''),
    effective date NOT NULL,
    share     double precision NOT NULL DEFAULT 1 CHECK (share > 0 AND share <= 1),
    PRIMARY KEY (old_code, new_code, effective),
    CHECK (old_code <> new_code)
);
CREATE INDEX area_successors_new_idx ON area_successors (new_code);

-- +goose Down
DROP TABLE area_successors;
