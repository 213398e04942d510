package gen

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/gapmap/gapmap/geo"
	"github.com/paulmach/orb"
)

// commune is one leaf area with its plan: villages, sites, fiber nodes.
type commune struct {
	i          int
	code, name string
	group      *group
	geom       orb.MultiPolygon
	km2        float64
	census     bool    // counts came from the file
	cenHH      float64 // census (or estimated) households at scale 1
	cenPop     float64
	env        string
	hh, pop    int // generated, × scale
	poor, near float64

	villages []village // largest first
	firstHH  int64     // 0-based number of the commune's first household
	sites    []site
	nodes    []fiberNode
	primary  []int // indexes into the school list
	lower    []int
}

func (c *commune) params() *envParams { return paramsOf(c.env) }

// village is a settlement (thôn, xóm, bản, tổ dân phố): a centre, a number
// of households and their scatter.
type village struct {
	lat, lon float64
	hh       int
	sigmaM   float64
	poorF    float64 // poverty multiplier
	school   [nSlots]int32
}

// School slots of a village: the school its pupils attend per stage.
const (
	slotPrimary = iota
	slotLower
	slotUpper
	slotGDTX
	slotPost
	nSlots
)

// sampler draws points inside one commune, as the area index sees it (so a
// point on a sliver shared with a neighbour is never attributed to the
// neighbour).
type sampler struct {
	code   string
	ix     *geo.AreaIndex
	polys  []orb.Polygon
	weight []float64
	mLat   float64 // metres per degree
	mLon   float64
	bound  orb.Bound
}

func newSampler(c *commune, ix *geo.AreaIndex) *sampler {
	s := &sampler{code: c.code, ix: ix, bound: c.geom.Bound()}
	for _, p := range c.geom {
		a := math.Abs(p[0].Bound().Max[0]-p[0].Bound().Min[0]) * math.Abs(p[0].Bound().Max[1]-p[0].Bound().Min[1])
		if a <= 0 {
			continue
		}
		s.polys = append(s.polys, p)
		s.weight = append(s.weight, a)
	}
	s.mLat, s.mLon = geo.LocalScale(s.bound.Center()[1])
	return s
}

func (s *sampler) inside(lat, lon float64) bool {
	code, ok := s.ix.Lookup(lat, lon)
	return ok && code == s.code
}

// uniform draws a point uniformly inside the commune (rounded to the file
// precision). ok is false when none was found, which only happens for
// areas hidden entirely under neighbours.
func (s *sampler) uniform(r *rand.Rand) (lat, lon float64, ok bool) {
	if len(s.polys) == 0 {
		return 0, 0, false
	}
	for try := 0; try < 4000; try++ {
		b := s.polys[pick(r, s.weight)][0].Bound()
		lon = round6(uniform(r, b.Min[0], b.Max[0]))
		lat = round6(uniform(r, b.Min[1], b.Max[1]))
		if s.inside(lat, lon) {
			return lat, lon, true
		}
	}
	return s.scan()
}

// scan finds an interior point along horizontal lines, for thin shapes.
func (s *sampler) scan() (lat, lon float64, ok bool) {
	for _, p := range s.polys {
		b := p[0].Bound()
		for k := 1; k < 64; k++ {
			y := b.Min[1] + (b.Max[1]-b.Min[1])*float64(k)/64
			var xs []float64
			r := p[0]
			for i := 0; i+1 < len(r); i++ {
				a, c := r[i], r[i+1]
				if (a[1] > y) != (c[1] > y) {
					xs = append(xs, a[0]+(y-a[1])*(c[0]-a[0])/(c[1]-a[1]))
				}
			}
			slices.Sort(xs)
			for i := 0; i+1 < len(xs); i += 2 {
				lon, lat = round6((xs[i]+xs[i+1])/2), round6(y)
				if s.inside(lat, lon) {
					return lat, lon, true
				}
			}
		}
	}
	return 0, 0, false
}

// near draws a point around (lat, lon) with a Gaussian scatter of sigma
// metres, inside the commune; it falls back to the centre.
func (s *sampler) near(r *rand.Rand, lat, lon, sigmaM float64, tries int) (float64, float64) {
	for try := 0; try < tries; try++ {
		la := round6(lat + r.NormFloat64()*sigmaM/s.mLat)
		lo := round6(lon + r.NormFloat64()*sigmaM/s.mLon)
		if s.inside(la, lo) {
			return la, lo
		}
	}
	return lat, lon
}

// offset returns a point dist metres from (lat, lon) on a random bearing,
// rounded; with inside set it must stay in the commune, else the centre is
// returned.
func (s *sampler) offset(r *rand.Rand, lat, lon, minM, maxM float64, inside bool) (float64, float64) {
	for try := 0; try < 8; try++ {
		d := uniform(r, minM, maxM)
		az := r.Float64() * 2 * math.Pi
		la := round6(lat + d*math.Cos(az)/s.mLat)
		lo := round6(lon + d*math.Sin(az)/s.mLon)
		if !inside || s.inside(la, lo) {
			return la, lo
		}
	}
	return lat, lon
}

// planVillages places the villages of a commune: their number from the
// households, heavy-tailed (log-normal) sizes summing exactly to the
// households, centres uniform inside the polygon but kept apart.
func (c *commune) planVillages(seed int64, s *sampler) {
	if c.hh <= 0 {
		return
	}
	p := c.params()
	r := newRand(seed, "villages", c.code, 0)
	n := int(math.Round(float64(c.hh) / p.villageMean * uniform(r, 0.85, 1.15)))
	n = max(1, min(n, c.hh))
	w := make([]float64, n)
	for i := range w {
		w[i] = math.Exp(0.8 * r.NormFloat64())
	}
	sizes := apportion(c.hh-n, w)
	// Minimum spacing: a fraction of the mean spacing, checked on a grid.
	spacing := 0.45 * math.Sqrt(c.km2*1e6/float64(n))
	type cell struct{ x, y int }
	grid := map[cell][]int{}
	cellOf := func(lat, lon float64) cell {
		return cell{int(math.Floor(lon * s.mLon / spacing)), int(math.Floor(lat * s.mLat / spacing))}
	}
	farEnough := func(lat, lon float64) bool {
		k := cellOf(lat, lon)
		for dx := -1; dx <= 1; dx++ {
			for dy := -1; dy <= 1; dy++ {
				for _, j := range grid[cell{k.x + dx, k.y + dy}] {
					v := &c.villages[j]
					ex, ey := (v.lon-lon)*s.mLon, (v.lat-lat)*s.mLat
					if ex*ex+ey*ey < spacing*spacing {
						return false
					}
				}
			}
		}
		return true
	}
	c.villages = make([]village, 0, n)
	var fallback [2]float64
	haveFallback := false
	for i := 0; i < n; i++ {
		var lat, lon float64
		placed := false
		for try := 0; try < 12; try++ {
			la, lo, ok := s.uniform(r)
			if !ok {
				break
			}
			lat, lon, placed = la, lo, true
			if spacing <= 0 || farEnough(la, lo) {
				break
			}
		}
		if !placed {
			if !haveFallback {
				// No interior point: the commune is hidden under its
				// neighbours; use its bounding-box centre.
				ctr := s.bound.Center()
				fallback, haveFallback = [2]float64{round6(ctr[1]), round6(ctr[0])}, true
			}
			lat, lon = fallback[0], fallback[1]
		}
		hh := sizes[i] + 1
		sigma := uniform(r, 0.8, 1.2) * (80 + 22*math.Sqrt(float64(hh)))
		if c.env == envUrban {
			sigma = uniform(r, 0.8, 1.2) * (70 + 12*math.Sqrt(float64(hh)))
		}
		sigma = math.Max(p.sigma[0], math.Min(p.sigma[1], sigma))
		c.villages = append(c.villages, village{lat: lat, lon: lon, hh: hh, sigmaM: sigma})
		k := cellOf(lat, lon)
		grid[k] = append(grid[k], i)
	}
	slices.SortStableFunc(c.villages, func(a, b village) int { return cmp.Compare(b.hh, a.hh) })
	// Small villages are poorer (remote thôn, bản) than large ones, by the
	// ratio villageFactor, keeping the commune's household-weighted rate.
	median := c.villages[len(c.villages)/2].hh
	small, large := 0.0, 0.0
	for _, v := range c.villages {
		if v.hh < median {
			small += float64(v.hh)
		} else {
			large += float64(v.hh)
		}
	}
	fl := (small + large) / (small*p.villageFactor + large)
	for i := range c.villages {
		if c.villages[i].hh < median {
			c.villages[i].poorF = p.villageFactor * fl
		} else {
			c.villages[i].poorF = fl
		}
	}
}
