package coverage

import (
	"context"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/paulmach/orb"
)

func sq(lon0, lat0, lon1, lat1 float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{lon0, lat0}, {lon1, lat0}, {lon1, lat1}, {lon0, lat1}, {lon0, lat0}}}}
}

// TestAnalysisDatePlacesPointsInValidAreas: with both vintages loaded
// (district D with communes A and B until 2025-06-30; from 2025-07-01 the
// commune M covering both, under the province), the analysis of 2020
// places the homes in A and B, that of 2026 in M — a home whose area_code
// is the abolished A too — and no home in an area invalid that day; the
// area summary of each run lists only the units valid that day.
func TestAnalysisDatePlacesPointsInValidAreas(t *testing.T) {
	reform := time.Date(2025, time.July, 1, 0, 0, 0, 0, time.UTC)
	ds := &data.Dataset{
		Areas: []data.Area{
			{Code: "P", Name: "Tỉnh", Level: "province", Geom: sq(105.0, 21.0, 105.2, 21.1)},
			{Code: "D", Name: "Huyện", Level: "district", ParentCode: "P", ValidTo: &reform, Geom: sq(105.0, 21.0, 105.2, 21.1)},
			{Code: "A", Name: "Xã A", Level: "commune", ParentCode: "D", ValidTo: &reform, Geom: sq(105.0, 21.0, 105.1, 21.1)},
			{Code: "B", Name: "Xã B", Level: "commune", ParentCode: "D", ValidTo: &reform, Geom: sq(105.1, 21.0, 105.2, 21.1)},
			{Code: "M", Name: "Xã M", Level: "commune", ParentCode: "P", ValidFrom: &reform, Geom: sq(105.0, 21.0, 105.2, 21.1)},
		},
		Households: []data.Household{
			{ID: "H1", Lat: 21.05, Lon: 105.05},
			{ID: "H2", Lat: 21.05, Lon: 105.15},
			{ID: "H3", Lat: 21.05, Lon: 105.05, AreaCode: "A"},
			{ID: "H4", Lat: 21.5, Lon: 105.5, AreaCode: "B"}, // outside every boundary
		},
		Students: []data.Student{{ID: "S1", HouseholdID: "H1", Priority: 1}, {ID: "S2", HouseholdID: "H2", Priority: 2}},
	}
	run := func(day time.Time) *Result {
		t.Helper()
		r, err := Analyze(context.Background(), Input{Dataset: ds, Date: day}, DefaultSettings())
		if err != nil {
			t.Fatal(err)
		}
		if !r.Date().Equal(day) {
			t.Errorf("Date() = %s, want %s", r.Date(), day)
		}
		return r
	}
	placed := func(r *Result) map[string]string {
		m := map[string]string{}
		for i := 0; i < r.NumEntities(); i++ {
			e := r.Entity(i)
			m[e.ID] = e.AreaCode
		}
		return m
	}
	r20 := run(time.Date(2020, time.June, 1, 0, 0, 0, 0, time.UTC))
	if got := placed(r20); got["H1"] != "A" || got["H2"] != "B" || got["H3"] != "A" || got["H4"] != "B" {
		t.Errorf("2020: %v, want H1 A, H2 B, H3 A, H4 B (its own code, valid in 2020)", got)
	}
	r26 := run(time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC))
	if got := placed(r26); got["H1"] != "M" || got["H2"] != "M" || got["H3"] != "M" || got["H4"] != "" {
		t.Errorf("2026: %v, want H1, H2, H3 in M and H4 (abolished B, outside every boundary) in no area", got)
	}
	if r26.Stats.EntitiesWithoutArea != 1 {
		t.Errorf("2026: %d entities without area, want 1", r26.Stats.EntitiesWithoutArea)
	}
	codes := func(r *Result) map[string]int {
		m := map[string]int{}
		for _, a := range r.Summary(0).Areas {
			h := a.Households
			m[a.Code] = h.Fiber + h.G4 + h.G3 + h.G2 + h.None
		}
		return m
	}
	if got := codes(r20); len(got) != 4 || got["P"] != 4 || got["D"] != 4 || got["A"] != 2 || got["B"] != 2 {
		t.Errorf("2020 areas: %v, want P 4, D 4, A 2, B 2", got)
	}
	if got := codes(r26); len(got) != 3 || got["P"] != 3 || got["M"] != 3 || got[""] != 1 {
		t.Errorf("2026 areas: %v, want P 3, M 3 (the new commune does not show 0) and 1 home in no area", got)
	}
	if _, err := Analyze(context.Background(), Input{Dataset: ds}, DefaultSettings()); err == nil {
		t.Error("an analysis without a date ran")
	}
}
