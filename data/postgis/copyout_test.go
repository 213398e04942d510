package postgis_test

import (
	"context"
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
