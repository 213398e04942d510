package postgis_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
)

// TestBinaryCopyOutEqualsScans: ReadDataset (binary COPY out of
// households and students) reads what the row scans of EachHousehold and
// EachStudent read, every field, in the same order.
func TestBinaryCopyOutEqualsScans(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	in := sample()
	in.Students[0].FullName, in.Students[0].BirthDate, in.Students[0].CovidOrphan = "Nguyễn Thị Ánh", "2012-09-05", true
	write(ctx, t, s, in)
	ds, err := s.ReadDataset(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var hh []data.Household
	if err := s.EachHousehold(ctx, func(r postgis.HouseholdRow) error { hh = append(hh, r.Household); return nil }); err != nil {
		t.Fatal(err)
	}
	var st []data.Student
	if err := s.EachStudent(ctx, func(r data.Student) error { st = append(st, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(hh) != len(in.Households) || len(st) != len(in.Students) || len(hh) == 0 || len(st) == 0 {
		t.Fatalf("%d households, %d students read; %d and %d written", len(hh), len(st), len(in.Households), len(in.Students))
	}
	if !reflect.DeepEqual(ds.Households, hh) {
		t.Errorf("households:\ncopy  %+v\nscans %+v", ds.Households, hh)
	}
	if st[0].FullName != "Nguyễn Thị Ánh" || st[0].BirthDate != "2012-09-05" || !st[0].CovidOrphan || st[1].BirthDate != "" {
		t.Errorf("students by scans: %+v", st)
	}
	if !reflect.DeepEqual(ds.Students, st) {
		t.Errorf("students:\ncopy  %+v\nscans %+v", ds.Students, st)
	}
}

// BenchmarkReadHouseholds reads 478k households (Bắc Giang's count): by
// binary COPY out (ReadDataset) and by row scans (EachHousehold).
func BenchmarkReadHouseholds(b *testing.B) {
	const n = 477_487
	ctx := context.Background()
	s := pgtest.New(b)
	tx, err := s.Begin(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := postgis.CopyAreas(ctx, tx, postgis.SliceSource([]data.Area{{Code: "A", Name: "A", Level: "province", Geom: square(105, 21, 1)}})); err != nil {
		b.Fatal(err)
	}
	k := 0
	if _, err := postgis.CopyHouseholds(ctx, tx, func() (postgis.HouseholdRow, bool, error) {
		if k == n {
			return postgis.HouseholdRow{}, false, nil
		}
		k++
		return postgis.HouseholdRow{Household: data.Household{
			ID: fmt.Sprintf("H%07d", k), Lat: 21 + float64(k%1000)/1000, Lon: 105 + float64(k/1000)/1000,
			AreaCode: "A", Precision: "gps", Poverty: "none", Members: 1 + k%7,
		}}, true, nil
	}); err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	b.Run("copy", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ds, err := s.ReadDataset(ctx)
			if err != nil || len(ds.Households) != n {
				b.Fatal(err)
			}
		}
	})
	b.Run("scans", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			hh := make([]data.Household, 0, n) // stored, as ReadDataset does
			if err := s.EachHousehold(ctx, func(r postgis.HouseholdRow) error { hh = append(hh, r.Household); return nil }); err != nil || len(hh) != n {
				b.Fatal(err)
			}
		}
	})
}
