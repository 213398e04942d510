package coverage

import (
	"testing"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/geo"
)

// A gap area holding a single home reports its distances from its cell's
// centre, never the home's own distances (which, with two known circles,
// would locate the home).
func TestGapDistancesAreFromCellCentres(t *testing.T) {
	sec := data.Sector{ID: "S/1", SiteID: "S", Operator: data.OpViettel, Technology: data.Tech4G, BandMHz: 1800,
		Lat: bgLat, Lon: bgLon, RangeM: 2000, Status: data.StatusActive}
	// One home 10 km north-east of the site: a gap of one cell.
	hLat, hLon := geo.Direct(bgLat, bgLon, 45, 10_000)
	ds := oneSector(sec, [][2]float64{{hLat, hLon}})
	r := mustAnalyze(t, ds, DefaultSettings())
	if len(r.Gaps) != 1 || len(r.Gaps[0].Cells) != 1 {
		t.Fatalf("gaps = %+v", r.Gaps)
	}
	g := r.Gaps[0]
	home := entityByID(t, r, KindHousehold, ds.Households[0].ID)
	cLat, cLon, err := g.Cells[0].Center()
	if err != nil {
		t.Fatal(err)
	}
	want := geo.Distance(cLat, cLon, bgLat, bgLon)
	if !near(g.Nearest4GM, want, 1e-6) {
		t.Errorf("gap nearest 4G = %.3f m, want %.3f m from the cell centre", g.Nearest4GM, want)
	}
	if near(g.Nearest4GM, home.Nearest4GM, 0.01) {
		t.Errorf("gap nearest 4G %.3f m equals the home's own distance", g.Nearest4GM)
	}
}
