package geo

import (
	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// PolygonIndex answers "which of these MultiPolygons contain this point"
// (planar lon/lat even-odd test, holes excluded, as ST_Contains on
// geometry) and "does this box cross any of their boundaries". Owner i is
// mps[i].
type PolygonIndex struct {
	tree  rtree.RTreeGN[float64, int]
	polys []indexedPolygon // area = owner
}

// NewPolygonIndex indexes the MultiPolygons.
func NewPolygonIndex(mps []orb.MultiPolygon) *PolygonIndex {
	ix := &PolygonIndex{}
	for owner, mp := range mps {
		for _, p := range mp {
			if len(p) == 0 || len(p[0]) < 4 {
				continue
			}
			ip := indexedPolygon{area: owner}
			for _, r := range p {
				ip.rings = append(ip.rings, newBandedRing(r))
			}
			b := p[0].Bound()
			ix.tree.Insert([2]float64{b.Min[0], b.Min[1]}, [2]float64{b.Max[0], b.Max[1]}, len(ix.polys))
			ix.polys = append(ix.polys, ip)
		}
	}
	return ix
}

// Each calls fn with the owner of every polygon containing (lat, lon); an
// owner may be reported more than once when its parts overlap.
func (ix *PolygonIndex) Each(lat, lon float64, fn func(owner int)) {
	pt := [2]float64{lon, lat}
	ix.tree.Search(pt, pt, func(_, _ [2]float64, pi int) bool {
		if p := &ix.polys[pi]; p.contains(lon, lat) {
			fn(p.area)
		}
		return true
	})
}

// CrossesBox reports whether an edge of any indexed ring intersects the
// box (so points of the box may differ in containment).
func (ix *PolygonIndex) CrossesBox(b Box) bool {
	found := false
	ix.tree.Search([2]float64{b.MinLon, b.MinLat}, [2]float64{b.MaxLon, b.MaxLat}, func(_, _ [2]float64, pi int) bool {
		for i := range ix.polys[pi].rings {
			if ix.polys[pi].rings[i].crossesBox(b) {
				found = true
				return false
			}
		}
		return true
	})
	return found
}

func (br *bandedRing) crossesBox(b Box) bool {
	if len(br.bands) == 0 {
		return false
	}
	top := br.minY + br.step*float64(len(br.bands))
	if b.MaxLat < br.minY || b.MinLat > top {
		return false
	}
	k0, k1 := br.band(b.MinLat), br.band(b.MaxLat)
	for k := k0; k <= k1; k++ {
		for _, i := range br.bands[k] {
			if segmentHitsBox(br.pts[i], br.pts[i+1], b) {
				return true
			}
		}
	}
	return false
}

// segmentHitsBox is the Liang–Barsky clip test of segment a–b (lon/lat)
// against the box.
func segmentHitsBox(a, c orb.Point, b Box) bool {
	x0, y0 := a[0], a[1]
	dx, dy := c[0]-x0, c[1]-y0
	t0, t1 := 0.0, 1.0
	clip := func(p, q float64) bool {
		if p == 0 {
			return q >= 0
		}
		r := q / p
		if p < 0 {
			if r > t1 {
				return false
			}
			if r > t0 {
				t0 = r
			}
		} else {
			if r < t0 {
				return false
			}
			if r < t1 {
				t1 = r
			}
		}
		return true
	}
	return clip(-dx, x0-b.MinLon) && clip(dx, b.MaxLon-x0) && clip(-dy, y0-b.MinLat) && clip(dy, b.MaxLat-y0)
}
