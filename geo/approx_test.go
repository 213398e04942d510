package geo

import (
	"math"
	"math/rand"
	"sort"
	"testing"

	"github.com/paulmach/orb"
)

// The approximation bounds documented in approx.go hold on random pairs.
func TestApproxBounds(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	scales := []float64{10, 1000, 5000, 20000, 100000, 500000}
	for k := 0; k < 30000; k++ {
		lat1 := -MaxApproxLat + 2*MaxApproxLat*r.Float64()
		lon1 := -180 + 360*r.Float64()
		lat2, lon2 := Direct(lat1, lon1, 360*r.Float64(), scales[k%len(scales)]*r.Float64())
		if math.Abs(lat2) > MaxApproxLat {
			continue
		}
		d, az := Inverse(lat1, lon1, lat2, lon2)
		s1, s2 := ScaleAt(lat1), ScaleAt(lat2)
		ad := ApproxDist(lat1, lon1, s1, lat2, lon2, s2)
		if e := math.Abs(ad - d); e > ApproxDistErrM(ad) {
			t.Fatalf("distance error %.6g m at %.0f m exceeds the bound %.6g", e, d, ApproxDistErrM(ad))
		}
		if d >= 1 {
			aaz := ApproxAzimuth(lat1, lon1, s1, lat2, lon2, s2)
			if e := AngleDiff(aaz, az); e > ApproxAzimuthErrDeg(ad) {
				t.Fatalf("azimuth error %.6g° at %.0f m exceeds the bound %.6g", e, d, ApproxAzimuthErrDeg(ad))
			}
		}
	}
}

// Reference values from PostGIS 3.3.2 (PROJ 9.1.1), computed once:
//
//	SELECT ST_Distance('SRID=4326;POINT(106.2 21.3)'::geography,
//	       'SRID=4326;LINESTRING(106.19 21.295, 106.215 21.308)'::geography);  -- 19.43270441
//	SELECT ST_Distance('SRID=4326;POINT(106.2 21.3)'::geography,
//	       'SRID=4326;LINESTRING(106.15 21.2, 106.3 21.39)'::geography);      -- 2409.61058738
//	SELECT ST_Distance('SRID=4326;POINT(106.31 21.4)'::geography,
//	       'SRID=4326;LINESTRING(106.15 21.2, 106.3 21.39)'::geography);      -- 1516.96850903 (beyond the end)
//
// (PostGIS rounds geography distances to 1e-8 m.)
func TestSegmentDistancePostGIS(t *testing.T) {
	cases := []struct {
		lat, lon, lat1, lon1, lat2, lon2, want float64
	}{
		{21.3, 106.2, 21.295, 106.19, 21.308, 106.215, 19.43270441},
		{21.3, 106.2, 21.2, 106.15, 21.39, 106.3, 2409.61058738},
		{21.4, 106.31, 21.2, 106.15, 21.39, 106.3, 1516.96850903},
	}
	for _, c := range cases {
		got := SegmentDistance(c.lat, c.lon, c.lat1, c.lon1, c.lat2, c.lon2)
		if math.Abs(got-c.want) > 1e-6 {
			t.Errorf("SegmentDistance = %.8f, PostGIS %.8f", got, c.want)
		}
		s := ScaleAt(c.lat)
		ad, e := ApproxSegmentDist(c.lat, c.lon, s, c.lat1, c.lon1, ScaleAt(c.lat1), c.lat2, c.lon2, ScaleAt(c.lat2))
		if math.Abs(ad-got) > e {
			t.Errorf("approx %.3f vs %.3f beyond bound %.3f", ad, got, e)
		}
	}
}

func TestApproxSegmentBound(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for k := 0; k < 20000; k++ {
		lat := 8 + 16*r.Float64()
		lon := 102 + 8*r.Float64()
		lat1, lon1 := Direct(lat, lon, 360*r.Float64(), 20000*r.Float64())
		lat2, lon2 := Direct(lat1, lon1, 360*r.Float64(), 10000*r.Float64())
		d := SegmentDistance(lat, lon, lat1, lon1, lat2, lon2)
		ad, e := ApproxSegmentDist(lat, lon, ScaleAt(lat), lat1, lon1, ScaleAt(lat1), lat2, lon2, ScaleAt(lat2))
		if math.Abs(ad-d) > e {
			t.Fatalf("segment approx %.4f vs %.4f beyond bound %.4f", ad, d, e)
		}
		// The closest point (found on the sphere, as PostGIS does) is never
		// much farther than either end on the ellipsoid.
		if d > Distance(lat, lon, lat1, lon1)+0.5 || d > Distance(lat, lon, lat2, lon2)+0.5 {
			t.Fatalf("segment distance %.4f above an end's distance", d)
		}
	}
}

// PostGIS: SELECT ST_Area('SRID=4326;POLYGON((106.1 21.2, 106.3 21.2, 106.3 21.4,
// 106.1 21.4, 106.1 21.2))'::geography); -- 459541731.2471924
func TestAreaM2(t *testing.T) {
	r := orb.Ring{{106.1, 21.2}, {106.3, 21.2}, {106.3, 21.4}, {106.1, 21.4}, {106.1, 21.2}}
	if a := RingAreaM2(r); math.Abs(a-459541731.2471924) > 1 {
		t.Errorf("area = %.4f", a)
	}
	hole := orb.Ring{{106.15, 21.25}, {106.15, 21.3}, {106.2, 21.3}, {106.2, 21.25}, {106.15, 21.25}}
	mp := orb.MultiPolygon{{r, hole}}
	if a := AreaM2(mp); a >= RingAreaM2(r) || a <= 0 {
		t.Errorf("area with hole = %.0f", a)
	}
}

// Grid.Search finds the same nearest point as brute force.
func TestGridNearest(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	n := 3000
	lat := make([]float64, n)
	lon := make([]float64, n)
	boxes := make([]Box, n)
	sc := make([]Scale, n)
	for i := range lat {
		lat[i] = 20 + 2*r.Float64()
		lon[i] = 105 + 2*r.Float64()
		if i%3 == 0 { // clusters
			lat[i] = 21 + 0.01*r.Float64()
			lon[i] = 106 + 0.01*r.Float64()
		}
		boxes[i] = PointBox(lat[i], lon[i])
		sc[i] = ScaleAt(lat[i])
	}
	g := NewGrid(boxes, 0.05)
	for k := 0; k < 500; k++ {
		qlat := 19 + 4*r.Float64()
		qlon := 104 + 4*r.Float64()
		qs := ScaleAt(qlat)
		best, bestD := -1, math.Inf(1)
		g.Search(qlat, qlon, func(items []int32) float64 {
			for _, it := range items {
				d := ApproxDist(qlat, qlon, qs, lat[it], lon[it], sc[it])
				if d < bestD {
					best, bestD = int(it), d
				}
			}
			return bestD + 2*ApproxDistErrM(bestD)
		})
		bf := -1
		bfD := math.Inf(1)
		for i := range lat {
			if d := Distance(qlat, qlon, lat[i], lon[i]); d < bfD {
				bf, bfD = i, d
			}
		}
		if best != bf && math.Abs(Distance(qlat, qlon, lat[best], lon[best])-bfD) > 1e-3 {
			t.Fatalf("query %d: grid nearest %d (%.3f m), brute force %d (%.3f m)", k, best, bestD, bf, bfD)
		}
	}
}

func TestGridAt(t *testing.T) {
	boxes := []Box{RadiusBox(21, 106, 5000), RadiusBox(21.2, 106.3, 1200), PointBox(21.5, 106.5)}
	g := NewGrid(boxes, 0.05)
	has := func(items []int32, x int32) bool {
		for _, it := range items {
			if it == x {
				return true
			}
		}
		return false
	}
	for k := 0; k < 360; k += 10 {
		la, lo := Direct(21, 106, float64(k), 4999)
		if !has(g.At(la, lo), 0) {
			t.Fatalf("box 0 not found at azimuth %d", k)
		}
	}
	if g.At(30, 120) != nil {
		t.Fatal("outside the grid should be nil")
	}
}

func TestChildCenters(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	var cc ChildCenters
	for k := 0; k < 200; k++ {
		lat := -60 + 120*r.Float64()
		lon := -180 + 360*r.Float64()
		c, err := CellOf(lat, lon, 9)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.ChildCenters(11, &cc); err != nil {
			t.Fatal(err)
		}
		kids, _ := c.Children(11)
		if len(kids) != len(cc.Cells) {
			t.Fatalf("%d children, want %d", len(cc.Cells), len(kids))
		}
		sort.Slice(kids, func(i, j int) bool { return kids[i] < kids[j] })
		got := append([]Cell(nil), cc.Cells...)
		sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
		for i := range kids {
			if kids[i] != got[i] {
				t.Fatalf("child %d = %v, want %v", i, got[i], kids[i])
			}
		}
		for i, ch := range cc.Cells {
			la, lo, _ := ch.Center()
			if d := Distance(la, lo, cc.Lat[i], cc.Lon[i]); d > cc.ErrM {
				t.Fatalf("child centre off by %.4f m > %.4f", d, cc.ErrM)
			}
		}
	}
}

func TestPolygonIndex(t *testing.T) {
	sq := orb.Polygon{orb.Ring{{106, 21}, {106.1, 21}, {106.1, 21.1}, {106, 21.1}, {106, 21}},
		orb.Ring{{106.04, 21.04}, {106.06, 21.04}, {106.06, 21.06}, {106.04, 21.06}, {106.04, 21.04}}}
	ix := NewPolygonIndex([]orb.MultiPolygon{{sq}})
	in := func(lat, lon float64) bool {
		hit := false
		ix.Each(lat, lon, func(int) { hit = true })
		return hit
	}
	if !in(21.01, 106.01) || in(21.05, 106.05) || in(21.2, 106.05) {
		t.Error("containment wrong")
	}
	if !ix.CrossesBox(Box{20.99, 106.05, 21.01, 106.07}) || ix.CrossesBox(Box{21.01, 106.01, 21.02, 106.02}) {
		t.Error("box crossing wrong")
	}
}

func TestAncestor(t *testing.T) {
	c, _ := CellOf(21.3, 106.2, 9)
	for r := 0; r <= 9; r++ {
		p, err := c.Parent(r)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Ancestor(r); got != p {
			t.Fatalf("Ancestor(%d) = %v, want %v", r, got, p)
		}
	}
}

func TestDistanceEqualsInverse(t *testing.T) {
	r := rand.New(rand.NewSource(11))
	for k := 0; k < 20000; k++ {
		lat1, lon1 := -80+160*r.Float64(), -180+360*r.Float64()
		lat2, lon2 := Direct(lat1, lon1, 360*r.Float64(), 200000*r.Float64())
		d, _ := Inverse(lat1, lon1, lat2, lon2)
		if got := Distance(lat1, lon1, lat2, lon2); got != d {
			t.Fatalf("Distance %.17g != Inverse %.17g", got, d)
		}
	}
}

// Distances gives Distance's value to the bit for each point, including
// the point itself, and leaves the slots beyond out alone.
func TestDistancesEqualDistance(t *testing.T) {
	r := rand.New(rand.NewSource(12))
	for k := 0; k < 2000; k++ {
		lat1, lon1 := -80+160*r.Float64(), -180+360*r.Float64()
		n := r.Intn(12)
		lat2, lon2 := make([]float64, n+1), make([]float64, n+1)
		for j := range n {
			lat2[j], lon2[j] = Direct(lat1, lon1, 360*r.Float64(), 20000*r.Float64())
		}
		if n > 0 && r.Intn(4) == 0 {
			lat2[0], lon2[0] = lat1, lon1
		}
		out := make([]float64, n+1)
		out[n] = -1
		Distances(lat1, lon1, lat2, lon2, out[:n])
		for j := range n {
			if want := Distance(lat1, lon1, lat2[j], lon2[j]); out[j] != want {
				t.Fatalf("Distances[%d] = %.17g, Distance %.17g", j, out[j], want)
			}
		}
		if out[n] != -1 {
			t.Fatalf("Distances wrote beyond out: %v", out[n])
		}
	}
	Distances(0, 0, nil, nil, nil) // nothing to do
}

// Prepared segments give bit-identical answers.
func TestPreparedSegment(t *testing.T) {
	r := rand.New(rand.NewSource(13))
	for k := 0; k < 20000; k++ {
		lat := 8 + 16*r.Float64()
		lon := 102 + 8*r.Float64()
		lat1, lon1 := Direct(lat, lon, 360*r.Float64(), 20000*r.Float64())
		lat2, lon2 := Direct(lat1, lon1, 360*r.Float64(), 10000*r.Float64())
		if k%50 == 0 {
			lat2, lon2 = lat1, lon1
		}
		a, b, c := SegmentClosestSphere(lat, lon, lat1, lon1, lat2, lon2)
		g := NewSegment(lat1, lon1, lat2, lon2)
		q := NewSegQuery(lat, lon)
		x, y, z := g.ClosestSphere(&q)
		if a != x || b != y || c != z {
			t.Fatalf("prepared %v %v %v, direct %v %v %v", x, y, z, a, b, c)
		}
	}
}
