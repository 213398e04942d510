package coverage

import (
	"context"
	"math"
	"sort"

	"github.com/gapmap/gapmap/geo"
)

// CellStats is one H3 cell: at the analysis resolution (res 9 by default)
// for the cells that hold at least one school or household, and rolled up
// to coarser resolutions.
type CellStats struct {
	Cell geo.Cell `json:"cell"`
	Res  int      `json:"res"`
	// AreaCode is the area holding most of the cell's schools and homes
	// (ties to the smallest code); the cell's counts are all attributed
	// to it, so each cell counts once in any roll-up by area. "" when no
	// area is known.
	AreaCode string `json:"area_code"`

	Households     int    `json:"households"`
	Schools        int    `json:"schools"`
	SchoolStudents int    `json:"school_students"`
	Students       [4]int `json:"students"`       // living in the cell, by tier 0..3
	NoDeviceT123   int    `json:"no_device_t123"` // tier 1–3 students living here without a device

	HouseholdsByClass     [5]int `json:"households_by_class"`    // fiber, 4g, 3g, 2g, none
	UnconnectedHouseholds int    `json:"unconnected_households"` // neither 4G nor fiber
	UnconnectedStudents   [4]int `json:"unconnected_students"`   // by tier, living in unconnected homes
	UnconnectedSchools    int    `json:"unconnected_schools"`

	// FCC-style shares of the descendants' centres at ServedChildRes
	// covered by each operator's 4G (Result.Operators order), by any
	// operator, and within fiber distance; for a roll-up, the mean over
	// its analysis cells. Served has the bit of each operator whose
	// share is ≥ ServedShare.
	Share4G    []float64 `json:"share_4g"`
	Share4GAny float64   `json:"share_4g_any"`
	ShareFiber float64   `json:"share_fiber"`
	Served     uint32    `json:"served"`

	// Gap: the cell holds demand (a tier 1–3 student or a school) with
	// neither 4G nor fiber. GapCells counts such analysis cells (1 or 0
	// at the analysis resolution). GapID names the gap area.
	Gap      bool   `json:"gap"`
	GapCells int    `json:"gap_cells"`
	GapID    string `json:"gap_id"`
	// Cells is the number of analysis cells rolled up (1 at the analysis
	// resolution).
	Cells int `json:"cells"`
}

// cellRuns returns the start of each cell's run of entities, plus n.
func cellRuns(e *entities) []int { return e.runs }

// aggregate fills the counts of the cell holding entities [lo, hi).
func (m *model) aggregate(e *entities, areas *areaTable, lo, hi int, c *CellStats, counts []int32) {
	*c = CellStats{Cell: e.runCell[e.runOf(lo)], Res: m.s.Resolution, Cells: 1, Share4G: c.Share4G[:0]}
	c.AreaCode = majorityArea(e, areas, lo, hi, counts)
	for i := lo; i < hi; i++ {
		conn := e.connected(i)
		if e.kind[i] == kSchool {
			c.Schools++
			c.SchoolStudents += int(e.schoolStudents(i))
			if !conn {
				c.UnconnectedSchools++
				c.Gap = true
			}
			continue
		}
		c.Households++
		c.HouseholdsByClass[e.class[i]]++
		for t := 0; t < 4; t++ {
			c.Students[t] += int(e.stud[i][t])
		}
		c.NoDeviceT123 += int(e.noDev[i])
		if !conn {
			c.UnconnectedHouseholds++
			for t := 0; t < 4; t++ {
				c.UnconnectedStudents[t] += int(e.stud[i][t])
			}
			if e.isDemand(i) {
				c.Gap = true
			}
		}
	}
	if c.Gap {
		c.GapCells = 1
	}
}

// majorityArea returns the code of the area with the most entities in
// [lo, hi), ties to the smallest code; unknown areas count only when no
// entity has a known one. counts is scratch (len = number of areas, all
// zero; left zero).
func majorityArea(e *entities, areas *areaTable, lo, hi int, counts []int32) string {
	best, bestN := int32(-1), int32(0)
	for i := lo; i < hi; i++ {
		if a := e.area[i]; a >= 0 {
			counts[a]++
		}
	}
	for i := lo; i < hi; i++ {
		a := e.area[i]
		if a < 0 || counts[a] == 0 {
			continue
		}
		n := counts[a]
		counts[a] = 0
		if n > bestN || (n == bestN && areas.code[a] < areas.code[best]) {
			best, bestN = a, n
		}
	}
	if best < 0 {
		return ""
	}
	return areas.code[best]
}

// shares computes the FCC-style coverage shares of one analysis cell.
// Whole-cell decisions avoid testing descendants: a sector that contains
// the cell's disc (centre ± circumradius, beam included) covers all of
// them, one that cannot reach the disc none; only partial sectors are
// tested per descendant, exactly where the approximation cannot tell.
func (m *model) shares(cell geo.Cell, sc *scratch, c *CellStats) error {
	nOps := len(m.ops)
	if cap(c.Share4G) < nOps {
		c.Share4G = make([]float64, nOps)
	}
	c.Share4G = c.Share4G[:nOps]
	for o := range c.Share4G {
		c.Share4G[o] = 0
	}
	lat, lon, err := cell.Center()
	if err != nil {
		return err
	}
	s := geo.ScaleAt(lat)
	// Circumradius, from the boundary on the approximation, with margin.
	ring, err := cell.Boundary()
	if err != nil {
		return err
	}
	rc := 0.0
	for _, v := range ring {
		if d := geo.ApproxDist(lat, lon, s, v[1], v[0], geo.ScaleAt(v[1])); d > rc {
			rc = d
		}
	}
	rc = rc*1.05 + 2
	var verdict *cellVerdict
	if m.meas != nil {
		verdict = m.meas[cell]
	}

	full := uint32(0)    // operators covering every descendant
	partial := uint32(0) // operators needing per-descendant tests
	var partialSecs []int32
	cands := m.covGrid.At(lat, lon)
	if rc > m.cellMargin {
		cands = m.sectorsNear(lat, lon, rc)
	}
	for _, k := range cands {
		if m.sec.group[k] != g4 {
			continue
		}
		bit := uint32(1) << m.sec.op[k]
		if full&bit != 0 || m.polyMask[g4]&bit != 0 {
			continue
		}
		switch m.discCovers(int(k), lat, lon, s, rc) {
		case yes:
			full |= bit
		case maybe:
			partial |= bit
			partialSecs = append(partialSecs, k)
		}
	}
	partial &^= full
	polyOps := m.polyMask[g4]
	var polyUniform bool
	var polyCentre uint32
	if polyOps != 0 {
		box := geo.RadiusBox(lat, lon, rc)
		polyUniform = !m.polys.CrossesBox(box)
		if polyUniform {
			polyCentre = m.polyCovers(lat, lon)[g4] & polyOps
			full |= polyCentre
		} else {
			partial |= polyOps
		}
	}
	if verdict != nil {
		full = (full | verdict.yes[g4]) &^ verdict.no[g4]
		partial &^= verdict.yes[g4] | verdict.no[g4]
	}

	// Fiber: nodes and routes that can reach the disc.
	fiberFull, fiberPartial := false, false
	var nodeC, segC []int32
	f := &m.fiber
	if len(f.nodeLat) > 0 && m.s.FiberNodeM > 0 {
		f.nodeGrid.InBox(geo.RadiusBox(lat, lon, rc+m.s.FiberNodeM), func(items []int32) {
			for _, it := range items {
				d := geo.ApproxDist(lat, lon, s, f.nodeLat[it], f.nodeLon[it], f.nodeScale[it])
				e := geo.ApproxDistErrM(d)
				if d+e+rc <= m.s.FiberNodeM {
					fiberFull = true
				} else if d-e-rc <= m.s.FiberNodeM {
					nodeC = append(nodeC, it)
				}
			}
		})
	}
	if !fiberFull && len(f.segLat1) > 0 && m.s.FiberRouteM > 0 {
		f.segGrid.InBox(geo.RadiusBox(lat, lon, rc+m.s.FiberRouteM), func(items []int32) {
			for _, it := range items {
				d, e := geo.ApproxSegmentDist(lat, lon, s, f.segLat1[it], f.segLon1[it], f.segScale1[it], f.segLat2[it], f.segLon2[it], f.segScale2[it])
				if d+e+rc <= m.s.FiberRouteM {
					fiberFull = true
				} else if d-e-rc <= m.s.FiberRouteM {
					segC = append(segC, it)
				}
			}
		})
	}
	fiberPartial = !fiberFull && (len(nodeC) > 0 || len(segC) > 0)

	if partial == 0 && !fiberPartial {
		// Uniform cell: every descendant has the same answer.
		for o := 0; o < nOps; o++ {
			if full&(1<<o) != 0 {
				c.Share4G[o] = 1
			}
		}
		if full != 0 {
			c.Share4GAny = 1
		} else {
			c.Share4GAny = 0
		}
		c.ShareFiber = 0
		if fiberFull {
			c.ShareFiber = 1
		}
		m.setServed(c)
		return nil
	}

	cc := &sc.cc
	if err := cell.ChildCenters(m.s.ServedChildRes, cc); err != nil {
		return err
	}
	nc := len(cc.Cells)
	if cap(sc.mask) < nc {
		sc.mask = make([]uint32, nc)
		sc.fib = make([]bool, nc)
	}
	mask, fib := sc.mask[:nc], sc.fib[:nc]
	for j := 0; j < nc; j++ {
		mask[j], fib[j] = full, fiberFull
	}
	for j := 0; j < nc; j++ {
		clat, clon := cc.Lat[j], cc.Lon[j]
		cs := geo.ScaleAt(clat)
		exact := false
		var elat, elon float64
		exactPos := func() (float64, float64) {
			if !exact {
				elat, elon, _ = cc.Cells[j].Center()
				exact = true
			}
			return elat, elon
		}
		for _, k := range partialSecs {
			bit := uint32(1) << m.sec.op[k]
			if mask[j]&bit != 0 || partial&bit == 0 {
				continue
			}
			switch m.approxCovers(int(k), clat, clon, cs, cc.ErrM) {
			case yes:
				mask[j] |= bit
			case maybe:
				if la, lo := exactPos(); m.exactCovers(int(k), la, lo) {
					mask[j] |= bit
				}
			}
		}
		if polyOps != 0 && !polyUniform {
			la, lo := exactPos()
			pm := m.polyCovers(la, lo)[g4] & polyOps & partial
			mask[j] |= pm
		}
		if fiberPartial {
			// Definite answers first; exact distances only for the
			// ambiguous candidates, and only when nothing was definite.
			amb := sc.amb[:0]
			for _, it := range nodeC {
				d := geo.ApproxDist(clat, clon, cs, f.nodeLat[it], f.nodeLon[it], f.nodeScale[it])
				e := geo.ApproxDistErrM(d) + cc.ErrM
				if d+e <= m.s.FiberNodeM {
					fib[j] = true
					break
				} else if d-e <= m.s.FiberNodeM {
					amb = append(amb, -1-it)
				}
			}
			for _, it := range segC {
				if fib[j] {
					break
				}
				d, e := geo.ApproxSegmentDist(clat, clon, cs, f.segLat1[it], f.segLon1[it], f.segScale1[it], f.segLat2[it], f.segLon2[it], f.segScale2[it])
				e += cc.ErrM
				if d+e <= m.s.FiberRouteM {
					fib[j] = true
				} else if d-e <= m.s.FiberRouteM {
					amb = append(amb, f.segParent[it])
				}
			}
			for _, a := range amb {
				if fib[j] {
					break
				}
				la, lo := exactPos()
				if a < 0 {
					it := -1 - a
					fib[j] = geo.Distance(la, lo, f.nodeLat[it], f.nodeLon[it]) <= m.s.FiberNodeM
					continue
				}
				q := geo.NewSegQuery(la, lo)
				cla, clo, _ := f.seg[a].ClosestSphere(&q)
				fib[j] = (cla == la && clo == lo) || geo.Distance(la, lo, cla, clo) <= m.s.FiberRouteM
			}
			sc.amb = amb
		}
	}
	var cnt [maxOperators]int
	anyN, fibN := 0, 0
	for j := 0; j < nc; j++ {
		mk := mask[j]
		if mk != 0 {
			anyN++
		}
		for o := 0; o < nOps; o++ {
			if mk&(1<<o) != 0 {
				cnt[o]++
			}
		}
		if fib[j] {
			fibN++
		}
	}
	for o := 0; o < nOps; o++ {
		c.Share4G[o] = float64(cnt[o]) / float64(nc)
	}
	c.Share4GAny = float64(anyN) / float64(nc)
	c.ShareFiber = float64(fibN) / float64(nc)
	m.setServed(c)
	return nil
}

func (m *model) setServed(c *CellStats) {
	c.Served = 0
	for o, sh := range c.Share4G {
		if sh >= m.s.ServedShare {
			c.Served |= 1 << o
		}
	}
}

// sectorsNear lists, once each, the sectors whose buckets overlap the disc
// (for cells larger than the grid margin).
func (m *model) sectorsNear(lat, lon, r float64) []int32 {
	var out []int32
	m.covGrid.InBox(geo.RadiusBox(lat, lon, r), func(items []int32) { out = append(out, items...) })
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	k := 0
	for i, x := range out {
		if i == 0 || x != out[i-1] {
			out[k] = x
			k++
		}
	}
	return out[:k]
}

// discCovers decides sector k against the disc of radius rc around a
// point: yes when it covers the whole disc, no when none of it, maybe
// otherwise.
func (m *model) discCovers(k int, lat, lon float64, s geo.Scale, rc float64) tri {
	t := &m.sec
	d := geo.ApproxDist(t.lat[k], t.lon[k], t.scale[k], lat, lon, s)
	e := geo.ApproxDistErrM(d + rc)
	R := t.rangeM[k]
	if d-e-rc > R {
		return no
	}
	res := yes
	if d+e+rc > R {
		res = maybe
	}
	if az := t.az[k]; az == az {
		if d-e <= rc*1.01+1 {
			// The mast is in or next to the disc: the beam edges cross it.
			return maybe
		}
		a := geo.ApproxAzimuth(t.lat[k], t.lon[k], t.scale[k], lat, lon, s)
		spread := math.Asin(math.Min(1, rc/(d-e)))*180/math.Pi + geo.ApproxAzimuthErrDeg(d-e-rc)
		diff := geo.AngleDiff(a, az)
		if diff-spread > t.half[k] {
			return no
		}
		if diff+spread >= t.half[k] {
			res = maybe
		}
	}
	return res
}

// buildCells aggregates the analysis cells in parallel.
func (m *model) buildCells(ctx context.Context, e *entities, areas *areaTable, runs []int, cells []CellStats, only []bool) error {
	nc := len(runs) - 1
	var firstErr error
	errs := make([]error, nc)
	w := workers(&m.s)
	scr := make(chan *scratch, w)
	for i := 0; i < w; i++ {
		scr <- &scratch{}
	}
	err := parallel(ctx, nc, 256, w, func(lo, hi int) {
		sc := <-scr
		defer func() { scr <- sc }()
		if len(sc.areaCount) < len(areas.code) {
			sc.areaCount = make([]int32, len(areas.code))
		}
		for k := lo; k < hi; k++ {
			if only != nil && !only[k] {
				continue
			}
			m.aggregate(e, areas, runs[k], runs[k+1], &cells[k], sc.areaCount)
			errs[k] = m.shares(cells[k].Cell, sc, &cells[k])
		}
	})
	if err != nil {
		return err
	}
	for _, e := range errs {
		if e != nil && firstErr == nil {
			firstErr = e
		}
	}
	return firstErr
}

// rollup builds the coarser cells from the analysis cells (sorted by id,
// so each parent's children are contiguous).
func rollup(e *entities, areas *areaTable, runs []int, cells []CellStats, res int, nOps int, servedShare float64) []CellStats {
	var out []CellStats
	counts := make([]int32, len(areas.code))
	for lo := 0; lo < len(cells); {
		p := cells[lo].Cell.Ancestor(res)
		hi := lo + 1
		for hi < len(cells) && cells[hi].Cell.Ancestor(res) == p {
			hi++
		}
		r := CellStats{Cell: p, Res: res, Share4G: make([]float64, nOps)}
		for k := lo; k < hi; k++ {
			c := &cells[k]
			r.Households += c.Households
			r.Schools += c.Schools
			r.SchoolStudents += c.SchoolStudents
			r.NoDeviceT123 += c.NoDeviceT123
			r.UnconnectedHouseholds += c.UnconnectedHouseholds
			r.UnconnectedSchools += c.UnconnectedSchools
			for t := 0; t < 4; t++ {
				r.Students[t] += c.Students[t]
				r.UnconnectedStudents[t] += c.UnconnectedStudents[t]
			}
			for x := range r.HouseholdsByClass {
				r.HouseholdsByClass[x] += c.HouseholdsByClass[x]
			}
			for o := 0; o < nOps; o++ {
				r.Share4G[o] += c.Share4G[o]
			}
			r.Share4GAny += c.Share4GAny
			r.ShareFiber += c.ShareFiber
			r.GapCells += c.GapCells
			r.Cells += c.Cells
		}
		inv := 1 / float64(r.Cells)
		for o := 0; o < nOps; o++ {
			r.Share4G[o] *= inv
			if r.Share4G[o] >= servedShare {
				r.Served |= 1 << o
			}
		}
		r.Share4GAny *= inv
		r.ShareFiber *= inv
		r.Gap = r.GapCells > 0
		r.AreaCode = majorityArea(e, areas, runs[lo], runs[hi], counts)
		out = append(out, r)
		lo = hi
	}
	return out
}
