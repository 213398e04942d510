package geo

import (
	"math"
	"sort"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// AreaIndex answers "which area contains this point" at the deepest level of
// the area tree. Polygons are indexed by bounding box in an R-tree and each
// ring by horizontal bands of edges, so a lookup tests only the few edges
// that cross the point's latitude band.
type AreaIndex struct {
	tree  rtree.RTreeGN[float64, int]
	polys []indexedPolygon
	areas []areaInfo
}

type areaInfo struct {
	code  string
	depth int
}

type indexedPolygon struct {
	area  int // index into areas
	rings []bandedRing
}

// NewAreaIndex indexes the areas valid on day `on` that have a geometry:
// a point is only ever given to an area valid on the analysis date, never
// to an expired version or a unit not yet created (areas carry validity
// dates, data.Area.ValidOn). Depth comes from the parent links among those
// areas (a root has depth 0); an unknown parent counts as a root.
func NewAreaIndex(all []data.Area, on time.Time) *AreaIndex {
	areas := data.AreasValidOn(all, on)
	ix := &AreaIndex{}
	byCode := make(map[string]*data.Area, len(areas))
	for i := range areas {
		byCode[areas[i].Code] = &areas[i]
	}
	depth := func(a *data.Area) int {
		d := 0
		seen := map[string]bool{a.Code: true}
		for p := byCode[a.ParentCode]; p != nil && !seen[p.Code]; p = byCode[p.ParentCode] {
			seen[p.Code] = true
			d++
		}
		return d
	}
	for i := range areas {
		a := &areas[i]
		if len(a.Geom) == 0 {
			continue
		}
		ai := len(ix.areas)
		ix.areas = append(ix.areas, areaInfo{code: a.Code, depth: depth(a)})
		for _, p := range a.Geom {
			if len(p) == 0 || len(p[0]) < 4 {
				continue
			}
			ip := indexedPolygon{area: ai}
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

// Lookup returns the code of the deepest area containing (lat, lon), and
// false when no area contains it. Ties at the same depth (slivers, shared
// borders) go to the smallest code, so the answer is deterministic.
func (ix *AreaIndex) Lookup(lat, lon float64) (string, bool) {
	best := -1
	pt := [2]float64{lon, lat}
	ix.tree.Search(pt, pt, func(_, _ [2]float64, pi int) bool {
		p := &ix.polys[pi]
		if best >= 0 && !ix.better(p.area, best) {
			return true
		}
		if p.contains(lon, lat) {
			best = p.area
		}
		return true
	})
	if best < 0 {
		return "", false
	}
	return ix.areas[best].code, true
}

// Containing returns the codes of every area containing the point, deepest
// first.
func (ix *AreaIndex) Containing(lat, lon float64) []string {
	var hits []int
	pt := [2]float64{lon, lat}
	ix.tree.Search(pt, pt, func(_, _ [2]float64, pi int) bool {
		p := &ix.polys[pi]
		if p.contains(lon, lat) {
			hits = append(hits, p.area)
		}
		return true
	})
	sort.Slice(hits, func(i, j int) bool { return ix.better(hits[i], hits[j]) })
	out := make([]string, 0, len(hits))
	for i, h := range hits {
		if i > 0 && hits[i-1] == h {
			continue
		}
		out = append(out, ix.areas[h].code)
	}
	return out
}

func (ix *AreaIndex) better(a, b int) bool {
	if ix.areas[a].depth != ix.areas[b].depth {
		return ix.areas[a].depth > ix.areas[b].depth
	}
	return ix.areas[a].code < ix.areas[b].code
}

func (p *indexedPolygon) contains(x, y float64) bool {
	if !p.rings[0].contains(x, y) {
		return false
	}
	for _, h := range p.rings[1:] {
		if h.contains(x, y) {
			return false
		}
	}
	return true
}

// bandedRing is a ring with its edges bucketed by latitude band.
type bandedRing struct {
	pts        []orb.Point
	minY, step float64
	bands      [][]int32 // edge start indexes per band
}

func newBandedRing(r orb.Ring) bandedRing {
	if len(r) > 0 && r[0] != r[len(r)-1] {
		r = append(append(orb.Ring{}, r...), r[0])
	}
	br := bandedRing{pts: r}
	if len(r) < 2 {
		return br
	}
	b := r.Bound()
	n := len(r) / 8
	if n < 1 {
		n = 1
	}
	if n > 256 {
		n = 256
	}
	br.minY = b.Min[1]
	h := b.Max[1] - b.Min[1]
	if h <= 0 {
		h = 1e-12
	}
	br.step = h / float64(n)
	br.bands = make([][]int32, n)
	for i := 0; i+1 < len(r); i++ {
		y0, y1 := r[i][1], r[i+1][1]
		if y0 > y1 {
			y0, y1 = y1, y0
		}
		lo, hi := br.band(y0), br.band(y1)
		for k := lo; k <= hi; k++ {
			br.bands[k] = append(br.bands[k], int32(i))
		}
	}
	return br
}

func (br *bandedRing) band(y float64) int {
	k := int(math.Floor((y - br.minY) / br.step))
	if k < 0 {
		return 0
	}
	if k >= len(br.bands) {
		return len(br.bands) - 1
	}
	return k
}

// contains is the even-odd crossing test over the edges of y's band.
func (br *bandedRing) contains(x, y float64) bool {
	if len(br.bands) == 0 {
		return false
	}
	if y < br.minY || y > br.minY+br.step*float64(len(br.bands)) {
		return false
	}
	in := false
	for _, i := range br.bands[br.band(y)] {
		a, b := br.pts[i], br.pts[i+1]
		if (a[1] > y) != (b[1] > y) {
			xi := a[0] + (y-a[1])*(b[0]-a[0])/(b[1]-a[1])
			if x < xi {
				in = !in
			}
		}
	}
	return in
}
