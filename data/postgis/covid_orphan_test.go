package postgis_test

import (
	"context"
	"testing"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
)

// students.covid_orphan (migration 00011) survives COPY and both reads.
func TestCovidOrphanRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	in := sample()
	in.Students = append(in.Students, data.Student{ID: "ST3", HouseholdID: "H2", SchoolID: "S1", Grade: 9, Priority: data.TierCovid, CovidOrphan: true})
	write(ctx, t, s, in)
	got, err := s.ReadDataset(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Students) != 3 {
		t.Fatalf("students %+v", got.Students)
	}
	for i, st := range got.Students {
		if st != in.Students[i] {
			t.Errorf("student %d: got %+v, want %+v", i, st, in.Students[i])
		}
	}
	var flags []bool
	if err := s.EachStudent(ctx, func(st data.Student) error { flags = append(flags, st.CovidOrphan); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(flags) != 3 || flags[0] || flags[1] || !flags[2] {
		t.Fatalf("EachStudent flags %v", flags)
	}
}
