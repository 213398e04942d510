package gen

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gapmap/gapmap/data"
	"github.com/paulmach/orb"
)

// site is a planned base station with its sectors (IDs set afterwards).
type site struct {
	op       int // index into mobileOperators
	lat, lon float64
	sectors  []data.Sector
}

// planSites places a commune's base stations: their number from the
// households (more per household in towns, few in the mountains), each at a
// village drawn by population (so small remote villages are often left
// without service), with an operator drawn by market share. Towns get
// three-sector 4G (plus 3G, 2G, capacity layers, a little 5G); the
// countryside gets fewer sectors, omni antennas and some 2G/3G-only sites.
func (c *commune) planSites(seed int64, s *sampler) {
	if len(c.villages) == 0 {
		return
	}
	p := c.params()
	r := newRand(seed, "sites", c.code, 0)
	n := stochasticRound(r, float64(c.hh)/p.hhPerSite)
	w := make([]float64, len(c.villages))
	for i, v := range c.villages {
		w[i] = float64(v.hh)
	}
	used := map[[2]int]bool{}
	for k := 0; k < n; k++ {
		op := pick(r, p.opShares[:])
		vi := pick(r, w)
		for try := 0; try < 5 && used[[2]int{op, vi}]; try++ {
			vi = pick(r, w)
		}
		used[[2]int{op, vi}] = true
		v := &c.villages[vi]
		lat, lon := s.offset(r, v.lat, v.lon, 0.15*p.siteOffsetM, p.siteOffsetM, false)
		c.sites = append(c.sites, site{op: op, lat: lat, lon: lon, sectors: c.siteSectors(r, p, op, lat, lon)})
	}
}

func (c *commune) siteSectors(r *rand.Rand, p *envParams, op int, lat, lon float64) []data.Sector {
	status := data.StatusActive
	if chance(r, p.planned) {
		status = data.StatusPlanned
	}
	height := math.Round(uniform(r, 30, 45)*2) / 2
	if c.env == envUrban {
		height = math.Round(uniform(r, 20, 35)*2) / 2
	}
	givenRange := chance(r, 0.08)
	base := uniform(r, -20, 20)
	az := [3]float64{}
	for k := range az {
		a := math.Round(base + 120*float64(k) + 8*r.NormFloat64())
		az[k] = math.Mod(math.Mod(a, 360)+360, 360)
	}
	var out []data.Sector
	layer := func(tech string, band int, directional bool) {
		rng := 0.0
		if givenRange {
			rng = math.Round(typicalRange(tech, c.env)*uniform(r, 0.7, 1.2)/50) * 50
		}
		sec := data.Sector{
			Operator: mobileOperators()[op], Technology: tech, BandMHz: band,
			Lat: lat, Lon: lon, AntennaHeightM: height, RangeM: rng, Status: status,
		}
		if !directional {
			sec.BeamwidthDeg = 360
			out = append(out, sec)
			return
		}
		for k := range az {
			a := az[k]
			sec.AzimuthDeg = &a
			sec.BeamwidthDeg = 65
			out = append(out, sec)
		}
	}
	has4G := status == data.StatusPlanned || chance(r, p.has4G)
	directional := chance(r, p.sector3)
	if has4G {
		layer(data.Tech4G, band4G(r, c.env), directional)
		if c.env == envUrban && chance(r, 0.3) {
			layer(data.Tech4G, []int{2100, 2600}[r.IntN(2)], true)
		}
		if c.env == envUrban && op != 3 && chance(r, 0.15) {
			layer(data.Tech5G, 3500, true)
		}
	}
	has3G := chance(r, p.has3G) || (!has4G && chance(r, 0.5))
	if has3G && status == data.StatusActive {
		layer(data.Tech3G, 2100, directional && c.env != envMountain)
	}
	if status == data.StatusActive && op != 3 && (chance(r, p.has2G) || (!has4G && !has3G)) {
		layer(data.Tech2G, 900, c.env == envUrban && chance(r, 0.5))
	}
	if len(out) == 0 { // a planned 4G site always has its 4G layer; keep one
		layer(data.Tech2G, 900, false)
	}
	return out
}

func band4G(r *rand.Rand, env string) int {
	bands := []int{1800, 900, 2100, 2600}
	var w []float64
	switch env {
	case envUrban:
		w = []float64{0.75, 0, 0.1, 0.15}
	case envSuburban:
		w = []float64{0.8, 0.1, 0.1, 0}
	case envRural:
		w = []float64{0.75, 0.2, 0.05, 0}
	default:
		w = []float64{0.55, 0.45, 0, 0}
	}
	return bands[pick(r, w)]
}

// typicalRange is the cell radius written for the sites that state one.
func typicalRange(tech, env string) float64 {
	f := map[string]float64{envUrban: 0.35, envSuburban: 0.6, envRural: 1, envMountain: 0.8}[env]
	switch tech {
	case data.Tech2G:
		return 9000 * f
	case data.Tech3G:
		return 5000 * f
	case data.Tech5G:
		return 800
	default:
		return 5500 * f
	}
}

// Fiber operators.
const (
	fiberViettel = "viettel"
	fiberVNPT    = "vnpt"
	fiberFPT     = "fpt"
)

func fiberOperators() [3]string { return [3]string{fiberViettel, fiberVNPT, fiberFPT} }

// fiberNode is a planned node (ID set afterwards).
type fiberNode struct {
	op       int // index into fiberOperators
	kind     string
	lat, lon float64
}

// planFiber puts fiber cabinets at the larger villages (most in towns,
// few in the mountains) and points of presence in the district towns.
func (c *commune) planFiber(seed int64, s *sampler, town bool) {
	if len(c.villages) == 0 {
		return
	}
	p := c.params()
	r := newRand(seed, "fiber", c.code, 0)
	if town {
		v := &c.villages[0]
		for op := range fiberOperators() {
			if op == 2 && c.env != envUrban && c.env != envSuburban && c.env != envRural {
				continue // FPT only where there is a market
			}
			lat, lon := s.offset(r, v.lat, v.lon, 50, 250, false)
			c.nodes = append(c.nodes, fiberNode{op: op, kind: "pop", lat: lat, lon: lon})
		}
	}
	opFactor := [3]float64{1, 0.8, 0.05}
	switch c.env {
	case envUrban:
		opFactor[2] = 0.6
	case envSuburban:
		opFactor[2] = 0.3
	}
	for vi := range c.villages {
		v := &c.villages[vi]
		if v.hh < p.fiberMinHH {
			continue
		}
		for op := range fiberOperators() {
			if chance(r, p.fiberChance*opFactor[op]) {
				lat, lon := s.offset(r, v.lat, v.lon, 0, 150, false)
				c.nodes = append(c.nodes, fiberNode{op: op, kind: "cabinet", lat: lat, lon: lon})
			}
		}
	}
}

// nodeRef is a numbered fiber node.
type nodeRef struct {
	data.FiberNode
	op    int
	group *group
}

// planRoutes links each operator's nodes in each district by a minimum
// spanning tree rooted at its point of presence (or the first node), links
// a tree without a local POP to the nearest POP of the operator, and links
// every district POP to the capital's POP (the backbone). Routes bend a
// little like roads.
func planRoutes(seed int64, rg *region, nodes []nodeRef) []data.FiberRoute {
	var routes []data.FiberRoute
	addRoute := func(r *rand.Rand, op string, a, b *nodeRef) {
		line := bendLine(r, orb.Point{a.Lon, a.Lat}, orb.Point{b.Lon, b.Lat})
		routes = append(routes, data.FiberRoute{ID: fmt.Sprintf("FR%06d", len(routes)+1), Operator: op, Line: line})
	}
	byGroupOp := map[*group][3][]int{}
	pops := [3][]int{}
	for i := range nodes {
		n := &nodes[i]
		l := byGroupOp[n.group]
		l[n.op] = append(l[n.op], i)
		byGroupOp[n.group] = l
		if n.Kind == "pop" {
			pops[n.op] = append(pops[n.op], i)
		}
	}
	capitalPOP := [3]int{-1, -1, -1}
	for op := range pops {
		for _, i := range pops[op] {
			if rg.capital != nil && nodes[i].group == rg.capital.group {
				capitalPOP[op] = i
				break
			}
		}
	}
	for _, g := range rg.groups {
		lists := byGroupOp[g]
		for op, ids := range lists {
			if len(ids) == 0 {
				continue
			}
			r := newRand(seed, "routes", g.code, uint64(op))
			root := 0
			for k, i := range ids {
				if nodes[i].Kind == "pop" {
					root = k
					break
				}
			}
			ids[0], ids[root] = ids[root], ids[0]
			for _, e := range primMST(nodes, ids) {
				addRoute(r, fiberOperators()[op], &nodes[e[0]], &nodes[e[1]])
			}
			rootNode := &nodes[ids[0]]
			switch {
			case rootNode.Kind == "pop" && capitalPOP[op] >= 0 && capitalPOP[op] != ids[0]:
				addRoute(r, fiberOperators()[op], &nodes[capitalPOP[op]], rootNode)
			case rootNode.Kind != "pop":
				best, bd := -1, math.Inf(1)
				for _, i := range pops[op] {
					if d := planarM(rootNode.Lat, rootNode.Lon, nodes[i].Lat, nodes[i].Lon); d < bd {
						best, bd = i, d
					}
				}
				if best >= 0 {
					addRoute(r, fiberOperators()[op], &nodes[best], rootNode)
				}
			}
		}
	}
	return routes
}

// primMST returns the edges (parent, child) of a minimum spanning tree over
// the nodes ids (planar metres), grown from ids[0], in the order they join.
func primMST(nodes []nodeRef, ids []int) [][2]int {
	n := len(ids)
	if n < 2 {
		return nil
	}
	in := make([]bool, n)
	dist := make([]float64, n)
	from := make([]int, n)
	xs, ys := make([]float64, n), make([]float64, n)
	ref := nodes[ids[0]].Lat
	mLat, mLon := 110_700.0, 111_320*math.Cos(ref*math.Pi/180)
	for k, i := range ids {
		xs[k], ys[k] = nodes[i].Lon*mLon, nodes[i].Lat*mLat
		dist[k] = math.Inf(1)
	}
	edges := make([][2]int, 0, n-1)
	cur := 0
	in[0] = true
	for len(edges) < n-1 {
		best, bd := -1, math.Inf(1)
		for k := 0; k < n; k++ {
			if in[k] {
				continue
			}
			dx, dy := xs[k]-xs[cur], ys[k]-ys[cur]
			if d := dx*dx + dy*dy; d < dist[k] {
				dist[k], from[k] = d, cur
			}
			if dist[k] < bd {
				best, bd = k, dist[k]
			}
		}
		in[best] = true
		edges = append(edges, [2]int{ids[from[best]], ids[best]})
		cur = best
	}
	return edges
}

// bendLine draws a route from a to b with a few intermediate points pushed
// sideways by up to 8% of the length, rounded to the file precision.
func bendLine(r *rand.Rand, a, b orb.Point) orb.LineString {
	mLat, mLon := 110_700.0, 111_320*math.Cos(a[1]*math.Pi/180)
	dx, dy := (b[0]-a[0])*mLon, (b[1]-a[1])*mLat
	l := math.Hypot(dx, dy)
	mids := min(3, int(l/1500))
	line := orb.LineString{a}
	for k := 1; k <= mids; k++ {
		t := float64(k) / float64(mids+1)
		off := uniform(r, -0.08, 0.08) * l
		px, py := -dy/l*off, dx/l*off
		line = append(line, orb.Point{
			round6(a[0] + t*(b[0]-a[0]) + px/mLon),
			round6(a[1] + t*(b[1]-a[1]) + py/mLat),
		})
	}
	return append(line, b)
}
