package importer

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
	"github.com/jackc/pgx/v5/pgconn"
)

func ymd(y int, m time.Month, d int) *time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return &t
}

// The dated world: province P; until 30 June 2025 district D1 with
// communes C1 (west) and C2 (east); from 1 July 2025 (two tiers) C1 is
// merged into C2, whose new version covers both and whose parent is P.
//
//	lat 21.1 +-------+-------+
//	         |  C1   |  C2   |   until 2025-06-30
//	lat 21.0 +-------+-------+
//	         |      C2       |   from 2025-07-01
//	       105.0   105.1   105.2
func datedAreas() []data.Area {
	reform := ymd(2025, time.July, 1)
	return []data.Area{
		{Code: "P", Name: "Tỉnh Thử", Level: "province"},
		{Code: "D1", Name: "Huyện Một", Level: "district", ParentCode: "P", ValidTo: reform},
		{Code: "C1", Name: "Xã Một", Level: "commune", ParentCode: "D1", ValidTo: reform, Geom: square(105.0, 21.0, 105.1, 21.1)},
		{Code: "C2", Name: "Xã Hai", Level: "commune", ParentCode: "D1", ValidTo: reform, Geom: square(105.1, 21.0, 105.2, 21.1)},
		{Code: "C2", Name: "Xã Hai (mới)", Level: "commune", ParentCode: "P", ValidFrom: reform, Geom: square(105.0, 21.0, 105.2, 21.1)},
	}
}

// TestDatedAreaVersions: one code with two versions that do not overlap
// is accepted; points go to the deepest area valid on the import's date;
// an area_code abolished on that date is replaced by the valid area
// containing the point, with a warning; the foreign keys still refuse an
// unknown code and the deletion of a code rows refer to.
func TestDatedAreaVersions(t *testing.T) {
	s := pgtest.New(t)
	ctx := context.Background()
	dir := t.TempDir()
	sum := mustImport(t, s, format.KindAreas, areasFile(t, dir, datedAreas()), Options{})
	if sum.Inserted != 5 || len(sum.Warnings) != 0 {
		t.Fatalf("inserted %d, warnings %v", sum.Inserted, sum.Warnings)
	}
	var versions, codes int
	if err := s.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM areas WHERE code = 'C2'), (SELECT count(*) FROM area_codes)`).Scan(&versions, &codes); err != nil {
		t.Fatal(err)
	}
	if versions != 2 || codes != 4 {
		t.Fatalf("C2 has %d versions and there are %d codes, want 2 and 4", versions, codes)
	}
	// D1's boundary is derived from its children of the same period only.
	var d1 float64
	if err := s.Pool().QueryRow(ctx, `SELECT ST_Area(geom) FROM areas WHERE code = 'D1'`).Scan(&d1); err != nil {
		t.Fatal(err)
	}
	if d1 < 0.0199999 || d1 > 0.0200001 {
		t.Errorf("D1 area %g, want 0.02", d1)
	}

	hh := func(rows ...[]string) string {
		return csvFile(t, dir, "households.csv", format.HouseholdHeader(), rows...)
	}
	file := hh(
		[]string{"H1", "21.05", "105.05", "", "gps", "poor", "4"},
		[]string{"H2", "21.05", "105.15", "", "gps", "none", "3"},
		[]string{"H3", "21.05", "105.05", "C1", "gps", "none", "3"},
	)
	areaOf := func() map[string]string {
		t.Helper()
		rows, err := s.Pool().Query(ctx, `SELECT household_id, area_code FROM households ORDER BY household_id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		m := map[string]string{}
		for rows.Next() {
			var id, code string
			if err := rows.Scan(&id, &code); err != nil {
				t.Fatal(err)
			}
			m[id] = code
		}
		return m
	}
	// 2020: the old communes.
	sum = mustImport(t, s, format.KindHouseholds, file, Options{Date: *ymd(2020, time.June, 1)})
	if len(sum.Warnings) != 0 {
		t.Errorf("warnings in 2020: %v", sum.Warnings)
	}
	if got := areaOf(); got["H1"] != "C1" || got["H2"] != "C2" || got["H3"] != "C1" || len(got) != 3 {
		t.Errorf("2020: %v, want H1 C1, H2 C2, H3 C1", got)
	}
	// 2026: every home in the merged C2; H3's C1 no longer exists.
	sum = mustImport(t, s, format.KindHouseholds, file, Options{Date: *ymd(2026, time.January, 1), Replace: true})
	checkErrors(t, sum.Warnings, "households.csv", want{Row: 4, Column: "area_code", Value: "C1",
		Reason: "area C1 is not valid on 2026-01-01 (its versions: […, 2025-07-01)): stored C2 (Xã Hai (mới)), the area valid that day containing 21.0500,105.0500"})
	if got := areaOf(); got["H1"] != "C2" || got["H2"] != "C2" || got["H3"] != "C2" || len(got) != 3 {
		t.Errorf("2026: %v, want every home in C2", got)
	}

	// An unknown code is still refused by the importer and by the
	// database's foreign key (to area_codes).
	errs := importFails(t, s, format.KindHouseholds, hh([]string{"H9", "21.05", "105.05", "ZZ", "gps", "none", "1"}), Options{})
	checkErrors(t, errs, "households.csv", want{Row: 2, Column: "area_code", Value: "ZZ",
		Reason: "area_code ZZ is not a loaded area: import the areas first (or in the same directory) or fix the code"})
	_, err := s.Pool().Exec(ctx, `INSERT INTO schools (school_id, name, level, area_code, h3, geom) VALUES ('S9', 'T', 'primary', 'ZZ', 1, ST_SetSRID(ST_Point(105.05, 21.05), 4326))`)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "23503" {
		t.Errorf("a school in an unknown area: %v, want a foreign key violation", err)
	}
	// Deleting one version of C2 is fine (the code lives on); deleting
	// every version of a code that homes refer to is refused.
	tx, err := s.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM areas WHERE code = 'C2' AND valid_from IS NULL`); err != nil {
		t.Errorf("delete the old version of C2: %v", err)
	}
	_, err = tx.Exec(ctx, `DELETE FROM areas WHERE code = 'C2'`)
	if !errors.As(err, &pe) || pe.Code != "23503" || pe.TableName != "households" {
		t.Errorf("delete every version of C2: %v, want a foreign key violation naming households", err)
	}
	_ = tx.Rollback(ctx)
	// TRUNCATE of areas alone, with homes left, is refused as PostgreSQL
	// refuses it for a referenced table (the importer then deletes row by
	// row and names the referring table).
	_, err = s.Pool().Exec(ctx, `TRUNCATE areas`)
	if !errors.As(err, &pe) || pe.Code != "0A000" {
		t.Errorf("truncate areas: %v, want 0A000", err)
	}
	errs = importFails(t, s, format.KindAreas, areasFile(t, dir, datedAreas()), Options{Replace: true})
	checkErrors(t, errs, "areas", want{Reason: "cannot replace the areas: rows of households refer to them; replace them together (a whole directory) or delete those rows first"})
}

// TestDatedAreaOverlaps: versions of one code whose validity overlaps are
// refused, in the file and against the database, each with its feature.
func TestDatedAreaOverlaps(t *testing.T) {
	s := pgtest.New(t)
	dir := t.TempDir()
	mustImport(t, s, format.KindAreas, areasFile(t, dir, datedAreas()), Options{})
	bad := []data.Area{
		// 1: overlaps C2 from 2025-07-01 in the database.
		{Code: "C2", Name: "Xã Hai", Level: "commune", ParentCode: "P", ValidFrom: ymd(2026, time.January, 1), Geom: square(105.0, 21.0, 105.2, 21.1)},
		// 2 and 3: a new code twice in the file, overlapping in 2030.
		{Code: "C3", Name: "Xã Ba", Level: "commune", ParentCode: "P", ValidFrom: ymd(2027, time.January, 1), ValidTo: ymd(2031, time.January, 1)},
		{Code: "C3", Name: "Xã Ba", Level: "commune", ParentCode: "P", ValidFrom: ymd(2030, time.January, 1)},
		// 4: C1 again from the day the old one ended: fine.
		{Code: "C1", Name: "Xã Một tái lập", Level: "commune", ParentCode: "P", ValidFrom: ymd(2025, time.July, 1), Geom: square(105.0, 21.1, 105.1, 21.2)},
	}
	errs := importFails(t, s, format.KindAreas, areasFile(t, dir, bad), Options{})
	checkErrors(t, errs, "areas.geojson",
		want{Row: 1, Column: "valid_from", Value: "C2", Reason: "area C2 valid [2026-01-01, …) overlaps its version already in the database, valid [2025-07-01, …): a code may have several versions only when their validity does not overlap — set valid_to of the old version and valid_from of the new one (valid_to is the first day a version no longer holds), or replace the existing areas with this file"},
		want{Row: 3, Column: "valid_from", Value: "C3", Reason: "area C3 valid [2030-01-01, …) overlaps its version at feature 2, valid [2027-01-01, 2031-01-01): two versions of one code must not be valid on the same day (valid_to is the first day a version no longer holds)"},
	)
	// Without the bad ones the file goes in.
	sum := mustImport(t, s, format.KindAreas, areasFile(t, dir, bad[1:2:2]), Options{})
	if sum.Inserted != 1 {
		t.Errorf("inserted %d", sum.Inserted)
	}
	sum = mustImport(t, s, format.KindAreas, areasFile(t, dir, bad[3:]), Options{})
	if sum.Inserted != 1 {
		t.Errorf("inserted %d", sum.Inserted)
	}
}
