package coverage

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/geo"
)

// Entity kinds.
const (
	KindSchool    = "school"
	KindHousehold = "household"
)

// Connectivity classes, best first. Fiber wins over 4G; 5G counts as 4G.
const (
	ClassFiber = "fiber"
	Class4G    = "4g"
	Class3G    = "3g"
	Class2G    = "2g"
	ClassNone  = "none"
)

// Classes lists the connectivity classes, best first.
func Classes() []string { return []string{ClassFiber, Class4G, Class3G, Class2G, ClassNone} }

const (
	cFiber uint8 = iota
	c4G
	c3G
	c2G
	cNone
	nClasses
)

const (
	kSchool    uint8 = 0
	kHousehold uint8 = 1
)

const flagReportedFiber uint8 = 1

// entities is every school and household in flat arrays, sorted by
// (analysis cell, kind, lat, lon, id) so that neighbours in space are
// neighbours in memory, homes at the same point are consecutive, and every
// output order is canonical.
type entities struct {
	n        int
	kind     []uint8
	src      []int32 // index in ds.Schools or ds.Households
	lat, lon []float64
	cell     []geo.Cell
	area     []int32
	stud     [][4]uint16 // students living here by tier (households)
	noDev    []uint16    // tier 1–3 students living here without a device
	schoolSt []int32     // students of a school (reported, else counted)
	flags    []uint8

	// Results.
	cov       [nGroups][]uint32 // operators covering, per technology group
	class     []uint8
	near4     []float64 // nearest 4G site, any operator
	near4Site []int32   // index in model.allSite, -1 when none
	nearOp    []float64 // n × len(ops): nearest 4G site per operator
	node      []float64 // nearest fiber node
	route     []float64 // nearest fiber route
}

func (e *entities) isDemand(i int) bool {
	if e.kind[i] == kSchool {
		return true
	}
	s := e.stud[i]
	return s[1]+s[2]+s[3] > 0
}

func (e *entities) connected(i int) bool { return e.class[i] <= c4G }

// entityID returns the id of entity i.
func entityID(ds *data.Dataset, e *entities, i int) string {
	if e.kind[i] == kSchool {
		return ds.Schools[e.src[i]].ID
	}
	return ds.Households[e.src[i]].ID
}

// BuildStats counts what the input had that the analysis could not use.
type BuildStats struct {
	StudentsWithoutHome int `json:"students_without_home"` // household_id not found
	EntitiesWithoutArea int `json:"entities_without_area"` // no area_code and no area contains the point
}

func workers(s *Settings) int {
	if s.Workers > 0 {
		return s.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// parallel runs fn over [0, n) in chunks on w goroutines. fn must only
// write to its own indexes.
func parallel(ctx context.Context, n, chunk, w int, fn func(lo, hi int)) error {
	if n == 0 {
		return ctx.Err()
	}
	if w > (n+chunk-1)/chunk {
		w = (n + chunk - 1) / chunk
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < w; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				lo := int(next.Add(int64(chunk))) - chunk
				if lo >= n {
					return
				}
				fn(lo, min(n, lo+chunk))
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}

// buildEntities lays the schools and households out, sorted, with their
// students.
func buildEntities(ctx context.Context, ds *data.Dataset, areas *areaTable, s *Settings) (*entities, BuildStats, error) {
	var st BuildStats
	ns, nh := len(ds.Schools), len(ds.Households)
	n := ns + nh
	if n > math.MaxInt32 {
		return nil, st, fmt.Errorf("%d schools and households exceed the engine's limit of %d: partition the run by province", n, math.MaxInt32)
	}
	pos := func(i int) (float64, float64) {
		if i < ns {
			return ds.Schools[i].Lat, ds.Schools[i].Lon
		}
		return ds.Households[i-ns].Lat, ds.Households[i-ns].Lon
	}
	// Cells, in parallel.
	cells := make([]uint64, n)
	var badMu sync.Mutex
	var bad []string
	w := workers(s)
	err := parallel(ctx, n, 8192, w, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			lat, lon := pos(i)
			c, err := geo.CellOf(lat, lon, s.Resolution)
			if err != nil || !(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180) {
				badMu.Lock()
				what := "school " + idOf(ds, i)
				if i >= ns {
					what = "household " + idOf(ds, i)
				}
				bad = append(bad, fmt.Sprintf("%s: position %g,%g is not a WGS84 lat/lon", what, lat, lon))
				badMu.Unlock()
				continue
			}
			cells[i] = uint64(c)
		}
	})
	if err != nil {
		return nil, st, err
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		if len(bad) > 20 {
			bad = append(bad[:20], fmt.Sprintf("… and %d more", len(bad)-20))
		}
		return nil, st, fmt.Errorf("entities with invalid positions (fix the lat/lon columns):\n  %s", strings.Join(bad, "\n  "))
	}
	// Order by (cell, kind, id).
	perm := radixSortByKey(cells)
	for lo := 0; lo < n; {
		hi := lo + 1
		for hi < n && cells[perm[hi]] == cells[perm[lo]] {
			hi++
		}
		if hi-lo > 1 {
			run := perm[lo:hi]
			sort.Slice(run, func(a, b int) bool {
				ia, ib := int(run[a]), int(run[b])
				ka, kb := ia >= ns, ib >= ns
				if ka != kb {
					return !ka
				}
				la, oa := pos(ia)
				lb, ob := pos(ib)
				if la != lb {
					return la < lb
				}
				if oa != ob {
					return oa < ob
				}
				return idOf(ds, ia) < idOf(ds, ib)
			})
		}
		lo = hi
	}
	// Duplicate ids would make outputs ambiguous (same-id rows at
	// different places are caught when households are joined below).
	for i := 1; i < n; i++ {
		a, b := int(perm[i-1]), int(perm[i])
		if cells[a] == cells[b] && (a >= ns) == (b >= ns) && idOf(ds, a) == idOf(ds, b) {
			return nil, st, fmt.Errorf("duplicate id %q: school and household ids must be unique", idOf(ds, a))
		}
	}
	e := &entities{
		n: n, kind: make([]uint8, n), src: make([]int32, n), lat: make([]float64, n), lon: make([]float64, n),
		cell: make([]geo.Cell, n), area: make([]int32, n), stud: make([][4]uint16, n), noDev: make([]uint16, n),
		schoolSt: make([]int32, n), flags: make([]uint8, n),
	}
	for i, p := range perm {
		j := int(p)
		e.cell[i] = geo.Cell(cells[j])
		e.lat[i], e.lon[i] = pos(j)
		if j < ns {
			e.kind[i], e.src[i] = kSchool, int32(j)
			sc := &ds.Schools[j]
			e.schoolSt[i] = int32(max(0, sc.Students))
			if s.SchoolReportedFiber && strings.EqualFold(strings.TrimSpace(sc.Internet), data.InternetFiber) {
				e.flags[i] |= flagReportedFiber
			}
		} else {
			e.kind[i], e.src[i] = kHousehold, int32(j-ns)
		}
	}
	cells = nil
	// Areas: the declared code, else the deepest area containing the point.
	var missing []int
	for i := 0; i < n; i++ {
		code := ""
		if e.kind[i] == kSchool {
			code = ds.Schools[e.src[i]].AreaCode
		} else {
			code = ds.Households[e.src[i]].AreaCode
		}
		if code == "" {
			missing = append(missing, i)
			e.area[i] = -1
			continue
		}
		e.area[i] = areas.add(code)
	}
	if len(missing) > 0 {
		_ = parallel(ctx, len(missing), 1024, w, func(lo, hi int) {
			for _, i := range missing[lo:hi] {
				e.area[i] = areas.areaOf(e.lat[i], e.lon[i])
			}
		})
		for _, i := range missing {
			if e.area[i] < 0 {
				st.EntitiesWithoutArea++
			}
		}
	}
	// Students: join to their home.
	hh := make(map[string]int32, nh)
	for i := 0; i < n; i++ {
		if e.kind[i] == kHousehold {
			id := ds.Households[e.src[i]].ID
			if _, dup := hh[id]; dup {
				return nil, st, fmt.Errorf("duplicate household id %q: household ids must be unique", id)
			}
			hh[id] = int32(i)
		}
	}
	var schoolCount map[string]int32
	for i := range ds.Students {
		stu := &ds.Students[i]
		h, ok := hh[stu.HouseholdID]
		if !ok {
			st.StudentsWithoutHome++
		} else {
			t := stu.Priority
			if t < 0 || t > 3 {
				t = 0
			}
			if e.stud[h][t] < math.MaxUint16 {
				e.stud[h][t]++
			}
			if t > 0 && !stu.HasDevice && e.noDev[h] < math.MaxUint16 {
				e.noDev[h]++
			}
		}
		if stu.SchoolID != "" {
			if schoolCount == nil {
				schoolCount = map[string]int32{}
			}
			schoolCount[stu.SchoolID]++
		}
	}
	for i := 0; i < n; i++ {
		if e.kind[i] == kSchool && e.schoolSt[i] == 0 {
			e.schoolSt[i] = schoolCount[ds.Schools[e.src[i]].ID]
		}
	}
	return e, st, ctx.Err()
}

func idOf(ds *data.Dataset, i int) string {
	if i < len(ds.Schools) {
		return ds.Schools[i].ID
	}
	return ds.Households[i-len(ds.Schools)].ID
}

// radixSortByKey returns the permutation that sorts keys ascending
// (stable), by LSD radix on the bytes that vary.
func radixSortByKey(keys []uint64) []uint32 {
	n := len(keys)
	perm := make([]uint32, n)
	for i := range perm {
		perm[i] = uint32(i)
	}
	if n < 2 {
		return perm
	}
	var and, or uint64 = ^uint64(0), 0
	for _, k := range keys {
		and &= k
		or |= k
	}
	diff := and ^ or
	tmp := make([]uint32, n)
	var count [256]int
	for shift := uint(0); shift < 64; shift += 8 {
		if (diff>>shift)&0xFF == 0 {
			continue
		}
		count = [256]int{}
		for _, p := range perm {
			count[(keys[p]>>shift)&0xFF]++
		}
		sum := 0
		for b := range count {
			c := count[b]
			count[b] = sum
			sum += c
		}
		for _, p := range perm {
			b := (keys[p] >> shift) & 0xFF
			tmp[count[b]] = p
			count[b]++
		}
		perm, tmp = tmp, perm
	}
	return perm
}

// allocResults sizes the result arrays.
func (e *entities) allocResults(nOps int) {
	for g := range e.cov {
		e.cov[g] = make([]uint32, e.n)
	}
	e.class = make([]uint8, e.n)
	e.near4 = make([]float64, e.n)
	e.near4Site = make([]int32, e.n)
	e.nearOp = make([]float64, e.n*nOps)
	e.node = make([]float64, e.n)
	e.route = make([]float64, e.n)
}

// worker scratch space.
type scratch struct {
	cands     []cand
	closest   []closest
	areaCount []int32
	cc    geo.ChildCenters
	mask  []uint32
	fib   []bool
}

// classify computes the results of entities [lo, hi).
func (m *model) classify(e *entities, lo, hi int, sc *scratch) {
	nOps := len(m.ops)
	for i := lo; i < hi; i++ {
		if i > lo && e.lat[i] == e.lat[i-1] && e.lon[i] == e.lon[i-1] {
			// Same position (village-precision homes): same answers.
			for g := range e.cov {
				e.cov[g][i] = e.cov[g][i-1]
			}
			e.near4[i], e.near4Site[i] = e.near4[i-1], e.near4Site[i-1]
			copy(e.nearOp[i*nOps:(i+1)*nOps], e.nearOp[(i-1)*nOps:i*nOps])
			e.node[i], e.route[i] = e.node[i-1], e.route[i-1]
		} else {
			m.classifyPoint(e, i, sc)
		}
		e.class[i] = m.classOf(e, i)
	}
}

func (m *model) classOf(e *entities, i int) uint8 {
	switch {
	case e.node[i] <= m.s.FiberNodeM || e.route[i] <= m.s.FiberRouteM || e.flags[i]&flagReportedFiber != 0:
		return cFiber
	case e.cov[g4][i] != 0:
		return c4G
	case e.cov[g3][i] != 0:
		return c3G
	case e.cov[g2][i] != 0:
		return c2G
	}
	return cNone
}

// coverMasks returns the operators covering a point per technology group.
func (m *model) coverMasks(lat, lon float64, sc geo.Scale, cell geo.Cell) [nGroups]uint32 {
	var cov [nGroups]uint32
	for _, k := range m.covGrid.At(lat, lon) {
		g, bit := m.sec.group[k], uint32(1)<<m.sec.op[k]
		if cov[g]&bit != 0 || m.polyMask[g]&bit != 0 {
			continue
		}
		switch m.approxCovers(int(k), lat, lon, sc, 0) {
		case yes:
			cov[g] |= bit
		case maybe:
			if m.exactCovers(int(k), lat, lon) {
				cov[g] |= bit
			}
		}
	}
	if m.polys != nil {
		pm := m.polyCovers(lat, lon)
		for g := range cov {
			cov[g] = cov[g]&^m.polyMask[g] | pm[g]&m.polyMask[g]
		}
	}
	if v := m.meas[cell]; v != nil {
		for g := range cov {
			cov[g] = (cov[g] | v.yes[g]) &^ v.no[g]
		}
	}
	return cov
}

func (m *model) classifyPoint(e *entities, i int, sc *scratch) {
	lat, lon := e.lat[i], e.lon[i]
	s := geo.ScaleAt(lat)
	cov := m.coverMasks(lat, lon, s, e.cell[i])
	for g := range cov {
		e.cov[g][i] = cov[g]
	}
	nOps := len(m.ops)
	best, bestSite := math.Inf(1), int32(-1)
	for o := 0; o < nOps; o++ {
		d, k := m.nearestSite(o, lat, lon, s, &sc.cands)
		e.nearOp[i*nOps+o] = d
		if k >= 0 && d < best {
			best, bestSite = d, m.siteRefIndex(o, k)
		}
	}
	e.near4[i], e.near4Site[i] = best, bestSite
	e.node[i] = m.nearestNode(lat, lon, s, &sc.cands)
	e.route[i] = m.nearestRoute(lat, lon, s, &sc.cands, &sc.closest)
}

// siteRefIndex maps (operator, site index) to the index in allSite (sites
// are laid out operator by operator).
func (m *model) siteRefIndex(o int, k int32) int32 { return m.siteOff[o] + k }
