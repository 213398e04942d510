package coveragerun

import (
	"testing"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
)

// TestRollUpMergeAndSplit rolls a 2024 run into the 2025 units by hand:
// communes A and B merged into M, C split 30/70 into S1 and S2, D
// unchanged; totals are kept exactly and the split uses the largest
// remainder.
func TestRollUpMergeAndSplit(t *testing.T) {
	eff := time.Date(2025, time.July, 1, 0, 0, 0, 0, time.UTC)
	succ, err := data.NewSuccessors([]data.AreaSuccessor{
		{OldCode: "A", NewCode: "M", Effective: eff, Share: 1},
		{OldCode: "B", NewCode: "M", Effective: eff, Share: 1},
		{OldCode: "C", NewCode: "S1", Effective: eff, Share: 0.3},
		{OldCode: "C", NewCode: "S2", Effective: eff, Share: 0.7},
	})
	if err != nil {
		t.Fatal(err)
	}
	figs := map[string]postgis.RunAreaFigures{
		"A": {Households: 10, Students: 12, StudentsT123: 5, UnconnectedHouseholds: 3, UnconnectedT123: 2, Schools: 1},
		"B": {Households: 7, Students: 9, StudentsT123: 4, UnconnectedHouseholds: 0, UnconnectedT123: 0, Schools: 2},
		"C": {Households: 11, Students: 10, StudentsT123: 1, UnconnectedHouseholds: 5, UnconnectedT123: 1, Schools: 0},
		"D": {Households: 4, Students: 4, StudentsT123: 4, UnconnectedHouseholds: 4, UnconnectedT123: 4, Schools: 1},
		"":  {Households: 99}, // points in no area are not rolled
	}
	runDay := time.Date(2024, time.May, 2, 0, 0, 0, 0, time.UTC)
	got := rollUp(7, runDay, time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC), figs, succ)
	want := []AreaRollUp{
		{Code: "D", Households: 4, Students: 4, StudentsT123: 4, UnconnectedHouseholds: 4, UnconnectedT123: 4, Schools: 1},
		{Code: "M", Households: 17, Students: 21, StudentsT123: 9, UnconnectedHouseholds: 3, UnconnectedT123: 2, Schools: 3},
		// Households 11 × 0.3 = 3.3, × 0.7 = 7.7: 3 + 7, the remaining one
		// to S2 (remainder 0.7 > 0.3). Unconnected homes 5: 1.5 and 3.5, a
		// tie of remainders, so the remaining one goes to the smaller code.
		{Code: "S1", Households: 3, Students: 3, StudentsT123: 0, UnconnectedHouseholds: 2, UnconnectedT123: 0, Schools: 0},
		{Code: "S2", Households: 8, Students: 7, StudentsT123: 1, UnconnectedHouseholds: 3, UnconnectedT123: 1, Schools: 0},
	}
	if got.RunID != 7 || !got.RunDate.Equal(runDay) || got.Date.Format(time.DateOnly) != "2026-01-01" {
		t.Errorf("run %d dated %s rolled to %s", got.RunID, got.RunDate, got.Date)
	}
	if len(got.Areas) != len(want) {
		t.Fatalf("areas = %+v, want %+v", got.Areas, want)
	}
	for i := range want {
		if got.Areas[i] != want[i] {
			t.Errorf("area %d = %+v, want %+v", i, got.Areas[i], want[i])
		}
	}
	// Before the reform the run's own units stand.
	before := rollUp(7, runDay, runDay, figs, succ)
	if len(before.Areas) != 4 || before.Areas[0].Code != "A" || before.Areas[0].Households != 10 || before.Areas[2].Code != "C" || before.Areas[2].Households != 11 {
		t.Errorf("rolled to the run's own date: %+v", before.Areas)
	}
}
