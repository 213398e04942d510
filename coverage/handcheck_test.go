package coverage

import (
	"context"
	"encoding/json"
	"github.com/gapmap/gapmap/internal/realdata"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/geo"
	"github.com/paulmach/orb"
)

// A 5 km omni sector covers a home at 4,990 m and not one at 5,010 m, in
// every direction, and reports the exact geodesic distance.
func TestOmniRangeBoundary(t *testing.T) {
	sec := data.Sector{ID: "S1", SiteID: "S1", Operator: "viettel", Technology: "4G", BandMHz: 1800, Lat: bgLat, Lon: bgLon, BeamwidthDeg: 360, RangeM: 5000, Status: "active"}
	var pts [][2]float64
	var want []bool
	for az := 0.0; az < 360; az += 15 {
		for _, d := range []float64{4990, 5010} {
			la, lo := geo.Direct(bgLat, bgLon, az, d)
			pts = append(pts, [2]float64{la, lo})
			want = append(want, d < 5000)
		}
	}
	r := mustAnalyze(t, oneSector(sec, pts), DefaultSettings())
	for k, p := range pts {
		i := -1
		for j := 0; j < r.NumEntities(); j++ {
			if e := r.Entity(j); e.Lat == p[0] && e.Lon == p[1] {
				i = j
			}
		}
		e := r.Entity(i)
		got := len(e.Operators4G) == 1
		if got != want[k] {
			t.Errorf("home %d at %.2f m: covered = %v, want %v", k, e.Nearest4GM, got, want[k])
		}
		if d := geo.Distance(bgLat, bgLon, p[0], p[1]); e.Nearest4GM != d {
			t.Errorf("nearest_4g_m = %.9f, geodesic %.9f", e.Nearest4GM, d)
		}
		if want[k] != (e.Class == Class4G) {
			t.Errorf("home %d class %s", k, e.Class)
		}
	}
}

// A 60° sector covers points 0.1° inside its beam edges and not 0.1°
// outside.
func TestBeamEdges(t *testing.T) {
	for _, az := range []float64{0, 45, 200, 350} {
		sec := data.Sector{ID: "S1", SiteID: "S1", Operator: "vinaphone", Technology: "4G", BandMHz: 1800, Lat: bgLat, Lon: bgLon, AzimuthDeg: ptr(az), BeamwidthDeg: 60, RangeM: 3000, Status: "active"}
		type pt struct {
			a   float64
			in  bool
			lat float64
			lon float64
		}
		var ps []pt
		for _, off := range []float64{-30.1, -29.9, 29.9, 30.1, 0, 180} {
			a := math.Mod(az+off+360, 360)
			for _, d := range []float64{50, 1500, 2990} {
				la, lo := geo.Direct(bgLat, bgLon, a, d)
				ps = append(ps, pt{a, math.Abs(off) < 30, la, lo})
			}
		}
		var pts [][2]float64
		for _, p := range ps {
			pts = append(pts, [2]float64{p.lat, p.lon})
		}
		r := mustAnalyze(t, oneSector(sec, pts), DefaultSettings())
		for j := 0; j < r.NumEntities(); j++ {
			e := r.Entity(j)
			for _, p := range ps {
				if p.lat == e.Lat && p.lon == e.Lon {
					if got := len(e.Operators4G) == 1; got != p.in {
						_, gaz := geo.Inverse(bgLat, bgLon, e.Lat, e.Lon)
						t.Errorf("azimuth %.1f (geodesic %.6f) of a %.0f° sector: covered %v, want %v", p.a, gaz, az, got, p.in)
					}
				}
			}
		}
	}
}

// Distance to a fiber route segment with PostGIS geography semantics:
//
//	SELECT ST_Distance('SRID=4326;POINT(106.2 21.3)'::geography,
//	       'SRID=4326;LINESTRING(106.19 21.295, 106.215 21.308)'::geography);
//	-- 19.43270441 (PostGIS 3.3.2)
//
// and a node just inside and just outside 500 m.
func TestFiberDistances(t *testing.T) {
	ds := &data.Dataset{
		Households: []data.Household{
			{ID: "H1", Lat: 21.3, Lon: 106.2, AreaCode: "X"},
			{ID: "H2", Lat: 21.35, Lon: 106.2, AreaCode: "X"},
			{ID: "H3", Lat: 21.36, Lon: 106.2, AreaCode: "X"},
		},
		FiberRoutes: []data.FiberRoute{{ID: "R1", Operator: "viettel", Line: orb.LineString{{106.19, 21.295}, {106.215, 21.308}}}},
	}
	la, lo := geo.Direct(21.35, 106.2, 90, 499.99)
	ds.FiberNodes = append(ds.FiberNodes, data.FiberNode{ID: "N1", Operator: "fpt", Lat: la, Lon: lo})
	la, lo = geo.Direct(21.36, 106.2, 90, 500.01)
	ds.FiberNodes = append(ds.FiberNodes, data.FiberNode{ID: "N2", Operator: "fpt", Lat: la, Lon: lo})
	r := mustAnalyze(t, ds, DefaultSettings())
	h1 := entityByID(t, r, KindHousehold, "H1")
	if math.Abs(h1.FiberRouteM-19.43270441) > 1e-6 {
		t.Errorf("route distance %.8f, PostGIS 19.43270441", h1.FiberRouteM)
	}
	if h1.Class != ClassFiber {
		t.Errorf("H1 class %s, want fiber (19 m from a route)", h1.Class)
	}
	if h2 := entityByID(t, r, KindHousehold, "H2"); h2.Class != ClassFiber || !near(h2.FiberNodeM, 499.99, 1e-6) {
		t.Errorf("H2 at %.4f m of a node: class %s", h2.FiberNodeM, h2.Class)
	}
	if h3 := entityByID(t, r, KindHousehold, "H3"); h3.Class != ClassNone || !near(h3.FiberNodeM, 500.01, 1e-6) {
		t.Errorf("H3 at %.4f m of a node: class %s", h3.FiberNodeM, h3.Class)
	}
}

// realCommunes reads the real Bắc Giang communes (test data beside the
// repository; the test fails when it is missing).
func realCommunes(t *testing.T) []data.Area {
	t.Helper()
	b, err := os.ReadFile(realdata.Path(t, "bac_giang", "communes.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []struct {
			Properties map[string]any  `json:"properties"`
			Geometry   json.RawMessage `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatal(err)
	}
	var out []data.Area
	for i, f := range fc.Features {
		var g struct {
			Type        string          `json:"type"`
			Coordinates json.RawMessage `json:"coordinates"`
		}
		if err := json.Unmarshal(f.Geometry, &g); err != nil {
			t.Fatal(err)
		}
		var mp orb.MultiPolygon
		switch g.Type {
		case "Polygon":
			var p [][][2]float64
			if err := json.Unmarshal(g.Coordinates, &p); err != nil {
				t.Fatal(err)
			}
			mp = orb.MultiPolygon{toPoly(p)}
		case "MultiPolygon":
			var ps [][][][2]float64
			if err := json.Unmarshal(g.Coordinates, &ps); err != nil {
				t.Fatal(err)
			}
			for _, p := range ps {
				mp = append(mp, toPoly(p))
			}
		}
		name, _ := f.Properties["commune"].(string)
		hh, _ := f.Properties["households2019"].(float64)
		out = append(out, data.Area{Code: "BG" + strings.Repeat("0", 3-len(itoa(i))) + itoa(i), Name: name, Level: "commune", Households: int(hh), Geom: mp})
	}
	return out
}

func itoa(i int) string {
	s := ""
	for {
		s = string(rune('0'+i%10)) + s
		i /= 10
		if i == 0 {
			return s
		}
	}
}

func toPoly(p [][][2]float64) orb.Polygon {
	var poly orb.Polygon
	for _, r := range p {
		ring := make(orb.Ring, len(r))
		for i, x := range r {
			ring[i] = orb.Point(x)
		}
		poly = append(poly, ring)
	}
	return poly
}

// A home in the hole between Lục Ngạn and Sơn Động (no commune contains
// it) is classified; its area is unknown and counted as such; a sector
// there gets the default environment.
func TestCommuneHole(t *testing.T) {
	areas := realCommunes(t)
	const lat, lon = 21.473, 106.776
	if _, ok := geo.NewAreaIndex(areas, testDay).Lookup(lat, lon); ok {
		t.Fatal("the hole is covered by a commune: wrong test data?")
	}
	la, lo := geo.Direct(lat, lon, 10, 1000)
	ds := &data.Dataset{
		Areas:      areas,
		Households: []data.Household{{ID: "HOLE", Lat: lat, Lon: lon}, {ID: "CITY", Lat: bgLat, Lon: bgLon}},
		Students:   []data.Student{{ID: "S1", HouseholdID: "HOLE", Priority: 1}},
		Sectors:    []data.Sector{{ID: "S1", SiteID: "S1", Operator: "viettel", Technology: "4G", BandMHz: 1800, Lat: la, Lon: lo, BeamwidthDeg: 360, Status: "active"}},
	}
	s := DefaultSettings()
	r := mustAnalyze(t, ds, s)
	e := entityByID(t, r, KindHousehold, "HOLE")
	if e.AreaCode != "" {
		t.Errorf("area of the hole = %q, want none", e.AreaCode)
	}
	if r.Stats.EntitiesWithoutArea != 1 {
		t.Errorf("entities without area = %d, want 1", r.Stats.EntitiesWithoutArea)
	}
	// Default environment rural: 4G 1800 rural range 5 km covers 1 km.
	if e.Class != Class4G {
		t.Errorf("class %s, want 4g (1 km from a rural 5 km sector)", e.Class)
	}
	if r.m.sec.env[0] != s.DefaultEnvironment || r.m.sec.rangeM[0] != 5000 {
		t.Errorf("sector in the hole: env %s range %.0f", r.m.sec.env[0], r.m.sec.rangeM[0])
	}
	found := false
	for _, a := range r.Areas {
		if a.Code == "" {
			found = true
			if a.Households.G4 != 1 {
				t.Errorf("unknown-area totals %+v", a.Households)
			}
		}
	}
	if !found {
		t.Error("no totals row for entities without area")
	}
	if c := entityByID(t, r, KindHousehold, "CITY"); c.AreaCode == "" {
		t.Error("Bắc Giang city found in no commune")
	}
}

// A cell on the border of two areas is attributed to the area of most of
// its entities (ties to the smaller code), counted once; roll-up sums equal
// the totals at every resolution.
func TestBorderCellAndRollups(t *testing.T) {
	c, err := geo.CellOf(bgLat, bgLon, 9)
	if err != nil {
		t.Fatal(err)
	}
	clat, clon, _ := c.Center()
	// The border is the meridian through the cell centre.
	west := orb.Ring{{clon - 0.1, clat - 0.1}, {clon, clat - 0.1}, {clon, clat + 0.1}, {clon - 0.1, clat + 0.1}, {clon - 0.1, clat - 0.1}}
	east := orb.Ring{{clon, clat - 0.1}, {clon + 0.1, clat - 0.1}, {clon + 0.1, clat + 0.1}, {clon, clat + 0.1}, {clon, clat - 0.1}}
	areas := []data.Area{
		{Code: "P", Name: "P", Level: "province"},
		{Code: "W", Name: "West", Level: "commune", ParentCode: "P", Geom: orb.MultiPolygon{{west}}},
		{Code: "E", Name: "East", Level: "commune", ParentCode: "P", Geom: orb.MultiPolygon{{east}}},
	}
	mk := func(nWest, nEast int) *data.Dataset {
		ds := &data.Dataset{Areas: areas}
		for i := 0; i < nWest+nEast; i++ {
			lon, code := clon-0.0003, "W"
			if i >= nWest {
				lon, code = clon+0.0003, "E"
			}
			id := "H" + itoa(i)
			ds.Households = append(ds.Households, data.Household{ID: id, Lat: clat + float64(i)*1e-5, Lon: lon, AreaCode: code})
			ds.Students = append(ds.Students, data.Student{ID: "S" + itoa(i), HouseholdID: id, Priority: 1 + i%3})
		}
		// Homes elsewhere so roll-ups have several children.
		for i := 0; i < 30; i++ {
			la, lo := geo.Direct(clat, clon, float64(i*37%360), float64(300+i*150))
			code := "W"
			if lo > clon {
				code = "E"
			}
			id := "X" + itoa(i)
			ds.Households = append(ds.Households, data.Household{ID: id, Lat: la, Lon: lo, AreaCode: code})
			ds.Students = append(ds.Students, data.Student{ID: "T" + itoa(i), HouseholdID: id, Priority: i % 4})
		}
		return ds
	}
	for _, tc := range []struct {
		w, e int
		want string
	}{{3, 2, "W"}, {2, 3, "E"}, {2, 2, "E"}} { // tie: "E" < "W"
		r := mustAnalyze(t, mk(tc.w, tc.e), DefaultSettings())
		var cell *CellStats
		for k := range r.Cells {
			if r.Cells[k].Cell == c {
				cell = &r.Cells[k]
			}
		}
		if cell == nil {
			t.Fatal("border cell missing")
		}
		if cell.AreaCode != tc.want || cell.Households != tc.w+tc.e {
			t.Errorf("%d west + %d east: cell area %s with %d homes, want %s", tc.w, tc.e, cell.AreaCode, cell.Households, tc.want)
		}
		total := r.Total.Households.Fiber + r.Total.Households.G4 + r.Total.Households.G3 + r.Total.Households.G2 + r.Total.Households.None
		sum := func(cs []CellStats) (hh, st int) {
			for _, x := range cs {
				hh += x.Households
				st += x.Students[0] + x.Students[1] + x.Students[2] + x.Students[3]
			}
			return
		}
		h9, s9 := sum(r.Cells)
		if h9 != total || s9 != len(mk(tc.w, tc.e).Students) {
			t.Errorf("res 9 sums %d homes %d students, totals %d", h9, s9, total)
		}
		for k, res := range r.Settings.RollupResolutions {
			if h, s := sum(r.Rollups[k]); h != h9 || s != s9 {
				t.Errorf("res %d sums %d/%d differ from res 9 %d/%d", res, h, s, h9, s9)
			}
		}
		// Area totals: entity-level, both communes within the province.
		byCode := map[string]AreaSummary{}
		for _, a := range r.Areas {
			byCode[a.Code] = a
		}
		w, e, p := byCode["W"].Households, byCode["E"].Households, byCode["P"].Households
		if w.None+e.None != p.None || p.None != total {
			t.Errorf("area totals W %+v E %+v P %+v", w, e, p)
		}
	}
}

// A sector in an area with a set environment takes the table range of that
// environment; without one, the density decides.
func TestEnvironmentRanges(t *testing.T) {
	sq := func(lon, lat float64) orb.MultiPolygon {
		return orb.MultiPolygon{{orb.Ring{{lon, lat}, {lon + 0.1, lat}, {lon + 0.1, lat + 0.1}, {lon, lat + 0.1}, {lon, lat}}}}
	}
	ds := &data.Dataset{
		Areas: []data.Area{
			{Code: "U", Name: "U", Level: "commune", Environment: "urban", Geom: sq(106.0, 21.0)},
			{Code: "D", Name: "D", Level: "commune", Households: 200_000, Geom: sq(106.2, 21.0)}, // ≈ 1,800/km²: urban by density
			{Code: "M", Name: "M", Level: "commune", Households: 100, Geom: sq(106.4, 21.0)},     // mountain by density
		},
		Sectors: []data.Sector{
			{ID: "A", SiteID: "A", Operator: "viettel", Technology: "4G", BandMHz: 1800, Lat: 21.05, Lon: 106.05, BeamwidthDeg: 360},
			{ID: "B", SiteID: "B", Operator: "viettel", Technology: "4G", BandMHz: 1800, Lat: 21.05, Lon: 106.25, BeamwidthDeg: 360},
			{ID: "C", SiteID: "C", Operator: "viettel", Technology: "4G", BandMHz: 1800, Lat: 21.05, Lon: 106.45, BeamwidthDeg: 360},
			{ID: "D", SiteID: "D", Operator: "viettel", Technology: "4G", BandMHz: 900, Lat: 21.05, Lon: 106.45, BeamwidthDeg: 360},
			{ID: "E", SiteID: "E", Operator: "viettel", Technology: "4G", BandMHz: 1900, Lat: 21.05, Lon: 106.45, BeamwidthDeg: 360},
		},
		Households: []data.Household{{ID: "H", Lat: 21.05, Lon: 106.05, AreaCode: "U"}},
	}
	r := mustAnalyze(t, ds, DefaultSettings())
	want := map[string]float64{"A": 1200, "B": 1200, "C": 4000, "D": 7800, "E": 4000 * math.Pow(1800.0/1900, hataExponent)}
	for k, id := range r.m.sec.id {
		if !near(r.m.sec.rangeM[k], want[id], 1e-9) {
			t.Errorf("sector %s (%s): range %.1f, want %.1f", id, r.m.sec.env[k], r.m.sec.rangeM[k], want[id])
		}
	}
	_ = context.Background()
}

// The classification computes one exact geodesic per distance column of
// each distinct position: a farther site the approximation rules out
// gets none, and a home at the same point as another shares its answers.
func TestGeodesicsPerDistinctPosition(t *testing.T) {
	a := data.Sector{ID: "A", SiteID: "A", Operator: "viettel", Technology: "4G", BandMHz: 1800, Lat: bgLat, Lon: bgLon, BeamwidthDeg: 360, RangeM: 5000, Status: "active"}
	b := a
	b.ID, b.SiteID = "B", "B"
	b.Lat, b.Lon = geo.Direct(bgLat, bgLon, 0, 3000)
	h1Lat, h1Lon := geo.Direct(bgLat, bgLon, 180, 500)
	h3Lat, h3Lon := geo.Direct(bgLat, bgLon, 270, 1000)
	ds := oneSector(a, [][2]float64{{h1Lat, h1Lon}, {h1Lat, h1Lon}, {h3Lat, h3Lon}})
	ds.Sectors = append(ds.Sectors, b)
	nLat, nLon := geo.Direct(bgLat, bgLon, 90, 1000)
	ds.FiberNodes = []data.FiberNode{{ID: "N1", Lat: nLat, Lon: nLon}}
	r := mustAnalyze(t, ds, DefaultSettings())
	// 2 distinct positions × (the nearest site of the one operator + the
	// nearest fiber node); no route.
	if r.Geodesics != 4 {
		t.Errorf("geodesics = %d, want 4", r.Geodesics)
	}
	for j := 0; j < r.NumEntities(); j++ {
		e := r.Entity(j)
		if d := geo.Distance(e.Lat, e.Lon, bgLat, bgLon); e.Nearest4GM != d {
			t.Errorf("%s: nearest_4g_m = %.9f, geodesic to A %.9f", e.ID, e.Nearest4GM, d)
		}
		if d := geo.Distance(e.Lat, e.Lon, nLat, nLon); e.FiberNodeM != d {
			t.Errorf("%s: fiber_node_m = %.9f, geodesic %.9f", e.ID, e.FiberNodeM, d)
		}
	}
}
