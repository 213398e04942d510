package coverage

import (
	"context"
	"fmt"
	"hash/maphash"
	"math"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/geo"
)

// Entity kinds (defined once, in package data).
const (
	KindSchool    = data.EntitySchool
	KindHousehold = data.EntityHousehold
)

// Connectivity classes, best first (defined once, in package data). Fiber
// wins over 4G; 5G counts as 4G.
const (
	ClassFiber = data.ClassFiber
	Class4G    = data.Class4G
	Class3G    = data.Class3G
	Class2G    = data.Class2G
	ClassNone  = data.ClassNone
)

// Classes lists the connectivity classes, best first.
func Classes() []string { return data.ConnectivityClasses() }

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
	// Entities are sorted by cell: runs[k] is the first entity of the
	// k-th cell's run (runs[len(runs)-1] = n) and runCell[k] its cell, so
	// no cell is stored per entity (see cellOf).
	runs     []int
	runCell  []geo.Cell
	area     []int32
	stud     [][4]uint16 // students living here by tier (households)
	noDev    []uint16    // tier 1–3 students living here without a device
	schoolSt []int32     // students of each school, by school input index (reported, else counted)
	flags    []uint8

	// Results.
	// Operators covering, per technology group (see covMask): with at
	// most packOps operators the three masks share one word per entity
	// (4 bytes instead of 12).
	cov       []uint32
	packed    bool
	class     []uint8
	near4Site []int32   // index in model.allSite, -1 when none
	nearOp    []float64 // n × len(ops): nearest 4G site per operator (the nearest of any operator is their least: nearest4)
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

// runOf is the run (cell) holding entity i.
func (e *entities) runOf(i int) int {
	return sort.Search(len(e.runs)-1, func(k int) bool { return e.runs[k+1] > i })
}

// cellOf is the analysis cell of entity i.
func (e *entities) cellOf(i int) geo.Cell { return e.runCell[e.runOf(i)] }

// packOps is the most operators whose three coverage masks fit one word.
const packOps = 32 / nGroups

// covMask is the mask of the operators covering entity i with group g.
func (e *entities) covMask(g, i int) uint32 {
	if e.packed {
		return e.cov[i] >> (packOps * g) & (1<<packOps - 1)
	}
	return e.cov[i*nGroups+g]
}

// covMasks are the masks of entity i, per group.
func (e *entities) covMasks(i int) (cov [nGroups]uint32) {
	for g := range cov {
		cov[g] = e.covMask(g, i)
	}
	return cov
}

// setCov stores the masks of entity i.
func (e *entities) setCov(i int, cov [nGroups]uint32) {
	if e.packed {
		var w uint32
		for g, mk := range cov {
			w |= mk << (packOps * g)
		}
		e.cov[i] = w
		return
	}
	copy(e.cov[i*nGroups:(i+1)*nGroups], cov[:])
}

// allocCov sizes the coverage masks for nOps operators.
func (e *entities) allocCov(nOps int) {
	e.packed = nOps <= packOps
	if e.packed {
		e.cov = make([]uint32, e.n)
	} else {
		e.cov = make([]uint32, e.n*nGroups)
	}
}

// nearest4 is the exact distance to the nearest 4G site of any operator
// (+Inf when none): the least of the per-operator distances, so it is not
// stored (8 bytes an entity).
func (e *entities) nearest4(i int) float64 {
	n := len(e.nearOp) / max(1, e.n)
	best := math.Inf(1)
	for _, d := range e.nearOp[i*n : (i+1)*n] {
		if d < best {
			best = d
		}
	}
	return best
}

// students of school entity i.
func (e *entities) schoolStudents(i int) int32 { return e.schoolSt[e.src[i]] }

// entityID returns the id of entity i.
func entityID(in *Input, e *entities, i int) string {
	if e.kind[i] == kSchool {
		return in.Dataset.Schools[e.src[i]].ID
	}
	return in.homes().id(int(e.src[i]))
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
func buildEntities(ctx context.Context, in *Input, areas *areaTable, s *Settings) (*entities, BuildStats, error) {
	var st BuildStats
	ds, hv := in.Dataset, in.homes()
	ns, nh := len(ds.Schools), hv.len()
	n := ns + nh
	if n > math.MaxInt32 {
		return nil, st, fmt.Errorf("%d schools and households exceed the engine's limit of %d: partition the run by province", n, math.MaxInt32)
	}
	// Positions (flat, input order) and cells, in parallel.
	pLat, pLon := make([]float64, n), make([]float64, n)
	cells := make([]uint64, n)
	var badMu sync.Mutex
	var bad []string
	w := workers(s)
	err := parallel(ctx, n, 8192, w, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			var lat, lon float64
			if i < ns {
				lat, lon = ds.Schools[i].Lat, ds.Schools[i].Lon
			} else {
				lat, lon = hv.point(i - ns)
			}
			pLat[i], pLon[i] = lat, lon
			c, err := geo.CellOf(lat, lon, s.Resolution)
			if err != nil || !(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180) {
				badMu.Lock()
				what := "school " + idOf(in, i)
				if i >= ns {
					what = "household " + idOf(in, i)
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
	// Order by (cell, kind, lat, lon, id): radix on the cell, then each
	// cell's run sorted in parallel.
	perm := radixSortByKey(cells) // cells is sorted now: cells[i] is entity i's
	var runStarts []int
	for i := 0; i < n; i++ {
		if i == 0 || cells[i] != cells[i-1] {
			runStarts = append(runStarts, i)
		}
	}
	runStarts = append(runStarts, n)
	less := func(ia, ib int) bool {
		ka, kb := ia >= ns, ib >= ns
		if ka != kb {
			return !ka
		}
		if pLat[ia] != pLat[ib] {
			return pLat[ia] < pLat[ib]
		}
		if pLon[ia] != pLon[ib] {
			return pLon[ia] < pLon[ib]
		}
		return idOf(in, ia) < idOf(in, ib)
	}
	if err := parallel(ctx, len(runStarts)-1, 1024, w, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			if run := perm[runStarts[k]:runStarts[k+1]]; len(run) > 1 {
				sort.Slice(run, func(a, b int) bool { return less(int(run[a]), int(run[b])) })
			}
		}
	}); err != nil {
		return nil, st, err
	}
	// Duplicate ids would make outputs ambiguous (households are checked
	// when students are joined below).
	seenSchool := make(map[string]bool, ns)
	for i := 0; i < ns; i++ {
		if id := ds.Schools[i].ID; seenSchool[id] {
			return nil, st, fmt.Errorf("duplicate school id %q: school ids must be unique", id)
		} else {
			seenSchool[id] = true
		}
	}
	e := &entities{
		n: n, kind: make([]uint8, n), src: make([]int32, n), lat: make([]float64, n), lon: make([]float64, n),
		runs: runStarts, runCell: make([]geo.Cell, len(runStarts)-1), area: make([]int32, n), stud: make([][4]uint16, n), noDev: make([]uint16, n),
		schoolSt: make([]int32, ns), flags: make([]uint8, n),
	}
	inv := make([]int32, n) // input index → entity index
	// Areas from the declared codes (the map is only read here; unknown
	// codes are added below, in entity order).
	const unknownCode = -2
	if err := parallel(ctx, n, 8192, w, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			j := int(perm[i])
			inv[j] = int32(i)
			e.lat[i], e.lon[i] = pLat[j], pLon[j]
			code := ""
			if j < ns {
				e.kind[i], e.src[i] = kSchool, int32(j)
				sc := &ds.Schools[j]
				code = sc.AreaCode
				e.schoolSt[j] = int32(max(0, sc.Students))
				if s.SchoolReportedFiber && strings.EqualFold(strings.TrimSpace(sc.Internet), data.InternetFiber) {
					e.flags[i] |= flagReportedFiber
				}
			} else {
				e.kind[i], e.src[i] = kHousehold, int32(j-ns)
				code = hv.areaCode(j - ns)
			}
			switch a, ok := areas.index[code]; {
			case code == "" || (!ok && areas.expired[code]):
				e.area[i] = -1 // placed by its point below
			case ok:
				e.area[i] = a
			default:
				e.area[i] = unknownCode
			}
		}
	}); err != nil {
		return nil, st, err
	}
	for k := range e.runCell {
		e.runCell[k] = geo.Cell(cells[runStarts[k]])
	}
	cells, pLat, pLon, perm = nil, nil, nil, nil
	var missing []int
	for i := 0; i < n; i++ {
		switch e.area[i] {
		case -1:
			missing = append(missing, i)
		case unknownCode:
			code := hv.areaCode(int(e.src[i]))
			if e.kind[i] == kSchool {
				code = ds.Schools[e.src[i]].AreaCode
			}
			e.area[i] = areas.add(code)
		}
	}
	// No code: the deepest area containing the point.
	if len(missing) > 0 {
		if err := parallel(ctx, len(missing), 1024, w, func(lo, hi int) {
			for _, i := range missing[lo:hi] {
				e.area[i] = areas.areaOf(e.lat[i], e.lon[i])
			}
		}); err != nil {
			return nil, st, err
		}
		for _, i := range missing {
			if e.area[i] < 0 {
				st.EntitiesWithoutArea++
			}
		}
	}
	// Students: counted per home (by the reader, or here from the list).
	tally := in.Students
	if tally == nil {
		var err error
		if tally, err = tallyStudents(ctx, in, w); err != nil {
			return nil, st, err
		}
	}
	if err := parallel(ctx, nh, 8192, w, func(lo, hi int) {
		for j := lo; j < hi; j++ {
			i := inv[ns+j]
			e.stud[i], e.noDev[i] = tally.stud[j], tally.noDev[j]
		}
	}); err != nil {
		return nil, st, err
	}
	inv = nil
	st.StudentsWithoutHome = tally.withoutHome
	// Schools without a reported count get the students listing them.
	if tally.schoolCount != nil {
		for i := 0; i < n; i++ {
			if e.kind[i] == kSchool && e.schoolSt[e.src[i]] == 0 {
				if c := tally.schoolCount[ds.Schools[e.src[i]].ID]; c != nil {
					e.schoolSt[e.src[i]] = *c
				}
			}
		}
	}
	return e, st, ctx.Err()
}

func idOf(in *Input, i int) string {
	if ns := len(in.Dataset.Schools); i >= ns {
		return in.homes().id(i - ns)
	}
	return in.Dataset.Schools[i].ID
}

// radixSortByKey sorts keys ascending in place (stable) and returns the
// permutation it applied: keys[i] is the old keys[perm[i]]. It is an LSD
// radix sort on the bytes that vary, and it moves the keys with their
// indices, so every pass reads them in order (no gather through the
// permutation, which misses the cache on every key at national size).
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
	src, dst := keys, make([]uint64, n)
	tmp := make([]uint32, n)
	var count [256]int
	for shift := uint(0); shift < 64; shift += 8 {
		if (diff>>shift)&0xFF == 0 {
			continue
		}
		count = [256]int{}
		for _, k := range src {
			count[(k>>shift)&0xFF]++
		}
		sum := 0
		for b := range count {
			c := count[b]
			count[b] = sum
			sum += c
		}
		for i, k := range src {
			b := (k >> shift) & 0xFF
			dst[count[b]], tmp[count[b]] = k, perm[i]
			count[b]++
		}
		perm, tmp = tmp, perm
		src, dst = dst, src
	}
	if &src[0] != &keys[0] {
		copy(keys, src)
	}
	return perm
}

// allocResults sizes the result arrays. They are zeroed as they are
// made, about 1.5 GB at national size, so two goroutines make them.
func (e *entities) allocResults(nOps int) {
	var wg sync.WaitGroup
	wg.Go(func() { e.nearOp = make([]float64, e.n*nOps) })
	e.allocCov(nOps)
	e.class = make([]uint8, e.n)
	e.near4Site = make([]int32, e.n)
	e.node = make([]float64, e.n)
	e.route = make([]float64, e.n)
	wg.Wait()
}

// worker scratch space.
type scratch struct {
	cands     []cand
	batch     exactBatch
	closest   []closest
	areaCount []int32
	cc        geo.ChildCenters
	mask      []uint32
	fib       []bool
	amb       []int32
	run       runCands
}

// classify computes the results of entities [lo, hi).
func (m *model) classify(e *entities, lo, hi int, sc *scratch) {
	nOps := len(m.ops)
	for r, i := e.runOf(lo), lo; i < hi; r++ {
		// One cell's run: candidates found once for all its entities.
		j := min(hi, e.runs[r+1])
		cell := e.runCell[r]
		run := j-i > 1 && m.prepareRun(e, i, j, &sc.run)
		for k := i; k < j; k++ {
			switch {
			case k > i && e.lat[k] == e.lat[k-1] && e.lon[k] == e.lon[k-1]:
				// Same position (village-precision homes): same answers.
				if e.packed {
					e.cov[k] = e.cov[k-1]
				} else {
					copy(e.cov[k*nGroups:(k+1)*nGroups], e.cov[(k-1)*nGroups:k*nGroups])
				}
				e.near4Site[k] = e.near4Site[k-1]
				copy(e.nearOp[k*nOps:(k+1)*nOps], e.nearOp[(k-1)*nOps:k*nOps])
				e.node[k], e.route[k] = e.node[k-1], e.route[k-1]
			case run:
				m.classifyInRun(e, k, cell, sc)
			default:
				m.classifyPoint(e, k, cell, sc)
			}
			e.class[k] = m.classOf(e, k)
		}
		i = j
	}
}

// classifyInRun is classifyPoint using the run's candidates (same results).
func (m *model) classifyInRun(e *entities, i int, cell geo.Cell, sc *scratch) {
	rc := &sc.run
	lat, lon := e.lat[i], e.lon[i]
	s := geo.ScaleAt(lat)
	cov := rc.full
	for _, k := range rc.secs {
		g, bit := m.sec.group[k], uint32(1)<<m.sec.op[k]
		if cov[g]&bit != 0 {
			continue
		}
		switch m.approxCovers(int(k), lat, lon, s, 0) {
		case yes:
			cov[g] |= bit
		case maybe:
			if m.exactCovers(int(k), lat, lon) {
				cov[g] |= bit
			}
		}
	}
	cov = m.overrides(cov, lat, lon, cell)
	e.setCov(i, cov)
	b := &sc.batch
	b.reset()
	for o := range m.ops {
		m.collectSiteIn(b, o, rc.sites[o], lat, lon, s, &sc.cands) // group o
	}
	m.collectNodeIn(b, rc.nodes, lat, lon, s, &sc.cands)                // group len(m.ops)
	m.collectRouteIn(b, rc.pieces, lat, lon, s, &sc.cands, &sc.closest) // group len(m.ops)+1
	b.run(lat, lon)
	m.setNearest(e, i, b)
}

// setNearest stores an entity's nearest sites, node and route from its
// batch (groups: one per operator, then the node, then the route).
func (m *model) setNearest(e *entities, i int, b *exactBatch) {
	nOps := len(m.ops)
	best, bestSite := math.Inf(1), int32(-1)
	for o := 0; o < nOps; o++ {
		d, k := b.nearest(o)
		e.nearOp[i*nOps+o] = d
		if k >= 0 && d < best {
			best, bestSite = d, m.siteRefIndex(o, k)
		}
	}
	e.near4Site[i] = bestSite
	e.node[i], _ = b.nearest(nOps)
	e.route[i], _ = b.nearest(nOps + 1)
}

func (m *model) classOf(e *entities, i int) uint8 {
	switch {
	case e.node[i] <= m.s.FiberNodeM || e.route[i] <= m.s.FiberRouteM || e.flags[i]&flagReportedFiber != 0:
		return cFiber
	case e.covMask(g4, i) != 0:
		return c4G
	case e.covMask(g3, i) != 0:
		return c3G
	case e.covMask(g2, i) != 0:
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
	return m.overrides(cov, lat, lon, cell)
}

// overrides applies operator polygons and field measurements.
func (m *model) overrides(cov [nGroups]uint32, lat, lon float64, cell geo.Cell) [nGroups]uint32 {
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

func (m *model) classifyPoint(e *entities, i int, cell geo.Cell, sc *scratch) {
	lat, lon := e.lat[i], e.lon[i]
	s := geo.ScaleAt(lat)
	cov := m.coverMasks(lat, lon, s, cell)
	e.setCov(i, cov)
	m.setNearest(e, i, m.collectAll(lat, lon, s, sc))
}

// collectAll runs the batch of a point's nearest sites of every operator,
// fiber node and route (the groups setNearest reads), by the grids.
func (m *model) collectAll(lat, lon float64, s geo.Scale, sc *scratch) *exactBatch {
	b := &sc.batch
	b.reset()
	for o := range m.ops {
		m.collectSite(b, o, lat, lon, s, &sc.cands)
	}
	m.collectNode(b, lat, lon, s, &sc.cands)
	m.collectRoute(b, lat, lon, s, &sc.cands, &sc.closest)
	b.run(lat, lon)
	return b
}

// nearestFromPoint returns the exact distance from a point to the nearest
// 4G site of any operator (and that site, -1 when none) and to fiber (node
// or route), as classifyPoint measures them for an entity.
func (m *model) nearestFromPoint(lat, lon float64, sc *scratch) (near4 float64, site int32, fiber float64) {
	b := m.collectAll(lat, lon, geo.ScaleAt(lat), sc)
	near4, site = math.Inf(1), -1
	for o := range m.ops {
		if d, k := b.nearest(o); k >= 0 && d < near4 {
			near4, site = d, m.siteRefIndex(o, k)
		}
	}
	node, _ := b.nearest(len(m.ops))
	route, _ := b.nearest(len(m.ops) + 1)
	return near4, site, math.Min(node, route)
}

// siteRefIndex maps (operator, site index) to the index in allSite (sites
// are laid out operator by operator).
func (m *model) siteRefIndex(o int, k int32) int32 { return m.siteOff[o] + k }

// idTable is an open-addressing hash table from ids to item numbers
// (0..n-1); each slot packs a 32-bit fingerprint of the id and the item,
// and keys are compared in full on a fingerprint match, so it is exact.
type idTable struct {
	mask  uint64
	slots []uint64 // fingerprint<<32 | item+1; 0: empty
	seed  maphash.Seed
}

// newIDTable indexes items 0..n-1 by id(item); it returns a duplicated
// id, if any.
func newIDTable(ctx context.Context, n int, id func(int32) string, w int) (*idTable, string, error) {
	size := uint64(16)
	for size < uint64(n)*2 {
		size <<= 1
	}
	t := &idTable{mask: size - 1, slots: make([]uint64, size), seed: maphash.MakeSeed()}
	hashes := make([]uint64, n)
	if err := parallel(ctx, n, 8192, w, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			hashes[k] = maphash.String(t.seed, id(int32(k)))
		}
	}); err != nil {
		return nil, "", err
	}
	for k := 0; k < n; k++ {
		h := hashes[k]
		fp := h >> 32
		i := h & t.mask
		for t.slots[i] != 0 {
			if t.slots[i]>>32 == fp && id(int32(t.slots[i]&0xFFFFFFFF)-1) == id(int32(k)) {
				return nil, id(int32(k)), nil
			}
			i = (i + 1) & t.mask
		}
		t.slots[i] = fp<<32 | uint64(k+1)
	}
	return t, "", nil
}

// find returns the item with id key, -1 when none.
func (t *idTable) find(key string, id func(int32) string) int32 {
	h := maphash.String(t.seed, key)
	fp := h >> 32
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		v := t.slots[i]
		if v == 0 {
			return -1
		}
		if v>>32 == fp {
			if it := int32(v&0xFFFFFFFF) - 1; id(it) == key {
				return it
			}
		}
	}
}
