package geo

import "math"

// Box is a lat/lon bounding box in degrees.
type Box struct{ MinLat, MinLon, MaxLat, MaxLon float64 }

// PointBox is the degenerate box of one point.
func PointBox(lat, lon float64) Box { return Box{lat, lon, lat, lon} }

// RadiusBox returns a box that contains every point within radiusM metres
// of (lat, lon) (with a 1% margin). It does not wrap at the antimeridian.
func RadiusBox(lat, lon, radiusM float64) Box {
	r := radiusM*1.01 + 1
	dLat := r / 110_574 // the shortest degree of latitude (equator)
	hi := math.Min(89.9, math.Abs(lat)+dLat)
	_, mlon := LocalScale(hi)
	dLon := 180.0
	if mlon > 0 {
		dLon = math.Min(180, r/mlon)
	}
	return Box{lat - dLat, lon - dLon, lat + dLat, lon + dLon}
}

// Grid is a uniform lat/lon bucket index (cells of step × step degrees) of
// items with bounding boxes, stored flat: each item is listed in every
// bucket its box overlaps. With a step close to the typical search radius,
// "which sectors can reach this point" is one bucket, and nearest-neighbour
// searches visit a few rings of buckets. It does not wrap at the
// antimeridian.
type Grid struct {
	minLat, minLon, step float64
	nLat, nLon           int
	maxAbsLat            float64
	mlonMin              float64 // metres per degree of longitude at the grid's highest |lat|, less 0.1%
	start                []int32 // bucket b holds items[start[b]:start[b+1]]
	items                []int32
}

// NewGrid indexes boxes (item i is boxes[i]) in buckets of step degrees.
// Boxes with NaN coordinates are skipped.
func NewGrid(boxes []Box, step float64) *Grid {
	g := &Grid{step: step}
	if step <= 0 || math.IsNaN(step) {
		g.step = 0.05
	}
	first := true
	var b Box
	for _, x := range boxes {
		if x.MinLat != x.MinLat || x.MinLon != x.MinLon || x.MaxLat != x.MaxLat || x.MaxLon != x.MaxLon {
			continue
		}
		if first {
			b, first = x, false
			continue
		}
		b.MinLat = math.Min(b.MinLat, x.MinLat)
		b.MinLon = math.Min(b.MinLon, x.MinLon)
		b.MaxLat = math.Max(b.MaxLat, x.MaxLat)
		b.MaxLon = math.Max(b.MaxLon, x.MaxLon)
	}
	if first {
		g.start = []int32{0}
		return g
	}
	// Keep the bucket count bounded for huge extents.
	for (b.MaxLat-b.MinLat)/g.step*(b.MaxLon-b.MinLon)/g.step > 16_000_000 {
		g.step *= 2
	}
	g.minLat, g.minLon = b.MinLat, b.MinLon
	g.maxAbsLat = math.Max(math.Abs(b.MinLat), math.Abs(b.MaxLat))
	_, g.mlonMin = LocalScale(math.Min(89.9, g.maxAbsLat))
	g.mlonMin *= 0.999
	g.nLat = int((b.MaxLat-b.MinLat)/g.step) + 1
	g.nLon = int((b.MaxLon-b.MinLon)/g.step) + 1
	counts := make([]int32, g.nLat*g.nLon+1)
	for _, x := range boxes {
		if x.MinLat != x.MinLat || x.MinLon != x.MinLon || x.MaxLat != x.MaxLat || x.MaxLon != x.MaxLon {
			continue
		}
		i0, j0 := g.clamp(x.MinLat, x.MinLon)
		i1, j1 := g.clamp(x.MaxLat, x.MaxLon)
		for i := i0; i <= i1; i++ {
			for j := j0; j <= j1; j++ {
				counts[i*g.nLon+j+1]++
			}
		}
	}
	for k := 1; k < len(counts); k++ {
		counts[k] += counts[k-1]
	}
	g.start = counts
	g.items = make([]int32, counts[len(counts)-1])
	fill := make([]int32, g.nLat*g.nLon)
	copy(fill, counts[:len(counts)-1])
	for it, x := range boxes {
		if x.MinLat != x.MinLat || x.MinLon != x.MinLon || x.MaxLat != x.MaxLat || x.MaxLon != x.MaxLon {
			continue
		}
		i0, j0 := g.clamp(x.MinLat, x.MinLon)
		i1, j1 := g.clamp(x.MaxLat, x.MaxLon)
		for i := i0; i <= i1; i++ {
			for j := j0; j <= j1; j++ {
				b := i*g.nLon + j
				g.items[fill[b]] = int32(it)
				fill[b]++
			}
		}
	}
	return g
}

// Len is the number of buckets.
func (g *Grid) Len() int { return g.nLat * g.nLon }

func (g *Grid) clamp(lat, lon float64) (int, int) {
	i := int(math.Floor((lat - g.minLat) / g.step))
	j := int(math.Floor((lon - g.minLon) / g.step))
	return max(0, min(g.nLat-1, i)), max(0, min(g.nLon-1, j))
}

func (g *Grid) bucket(i, j int) []int32 {
	b := i*g.nLon + j
	return g.items[g.start[b]:g.start[b+1]]
}

// At returns the items whose boxes overlap the bucket of (lat, lon), nil
// outside the grid. The slice belongs to the grid.
func (g *Grid) At(lat, lon float64) []int32 {
	if g.nLat == 0 {
		return nil
	}
	i := int(math.Floor((lat - g.minLat) / g.step))
	j := int(math.Floor((lon - g.minLon) / g.step))
	if i < 0 || j < 0 || i >= g.nLat || j >= g.nLon {
		return nil
	}
	return g.bucket(i, j)
}

// InBox calls fn with each non-empty bucket overlapping b (items can repeat
// across buckets).
func (g *Grid) InBox(b Box, fn func(items []int32)) {
	if g.nLat == 0 {
		return
	}
	i0, j0 := g.clamp(b.MinLat, b.MinLon)
	i1, j1 := g.clamp(b.MaxLat, b.MaxLon)
	if b.MaxLat < g.minLat || b.MaxLon < g.minLon || b.MinLat > g.minLat+float64(g.nLat)*g.step || b.MinLon > g.minLon+float64(g.nLon)*g.step {
		return
	}
	for i := i0; i <= i1; i++ {
		for j := j0; j <= j1; j++ {
			if it := g.bucket(i, j); len(it) > 0 {
				fn(it)
			}
		}
	}
}

// Search visits buckets in rings of growing distance around (lat, lon) for
// a nearest-neighbour search. visit receives a bucket's items (an item can
// appear in several buckets) and returns the current search radius in
// metres (approximate metric, e.g. best distance so far plus error
// bounds); Search stops as soon as every unvisited bucket is farther than
// the radius the latest visit returned. Return +Inf to keep searching.
func (g *Grid) Search(lat, lon float64, visit func(items []int32) float64) {
	if g.nLat == 0 {
		return
	}
	ci, cj := g.clamp(lat, lon)
	radius := math.Inf(1)
	if it := g.bucket(ci, cj); len(it) > 0 {
		radius = visit(it)
	}
	mlatMin := 110_574.0 * 0.999
	mlonMin := g.mlonMin
	if math.Abs(lat) > g.maxAbsLat {
		_, m := LocalScale(math.Min(89.9, math.Abs(lat)))
		mlonMin = math.Min(mlonMin, m*0.999)
	}
	for k := 1; ; k++ {
		// Everything not yet visited lies in the grid outside the box of
		// rings < k: beyond one of its sides that is not the grid's edge.
		i0, i1, j0, j1 := ci-k+1, ci+k-1, cj-k+1, cj+k-1
		if i0 <= 0 && j0 <= 0 && i1 >= g.nLat-1 && j1 >= g.nLon-1 {
			return
		}
		lb := math.Inf(1)
		if i0 > 0 {
			lb = math.Min(lb, math.Max(0, lat-(g.minLat+float64(i0)*g.step))*mlatMin)
		}
		if i1 < g.nLat-1 {
			lb = math.Min(lb, math.Max(0, g.minLat+float64(i1+1)*g.step-lat)*mlatMin)
		}
		if j0 > 0 {
			lb = math.Min(lb, math.Max(0, lon-(g.minLon+float64(j0)*g.step))*mlonMin)
		}
		if j1 < g.nLon-1 {
			lb = math.Min(lb, math.Max(0, g.minLon+float64(j1+1)*g.step-lon)*mlonMin)
		}
		if lb > radius {
			return
		}
		for i := ci - k; i <= ci+k; i++ {
			if i < 0 || i >= g.nLat {
				continue
			}
			if i == ci-k || i == ci+k {
				for j := max(0, cj-k); j <= min(g.nLon-1, cj+k); j++ {
					if it := g.bucket(i, j); len(it) > 0 {
						radius = visit(it)
					}
				}
				continue
			}
			if j := cj - k; j >= 0 {
				if it := g.bucket(i, j); len(it) > 0 {
					radius = visit(it)
				}
			}
			if j := cj + k; j < g.nLon {
				if it := g.bucket(i, j); len(it) > 0 {
					radius = visit(it)
				}
			}
		}
	}
}
