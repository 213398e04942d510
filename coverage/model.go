package coverage

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/geo"
	"github.com/paulmach/orb"
)

// Technology groups of the connectivity classes.
const (
	g4 = iota // 4G and 5G
	g3
	g2
	nGroups
)

func techGroup(t string) int {
	switch normTech(t) {
	case data.Tech4G, data.Tech5G:
		return g4
	case data.Tech3G:
		return g3
	case data.Tech2G:
		return g2
	}
	return -1
}

// maxOperators bounds the operators of one run (bit masks are uint32).
const maxOperators = 32

// areaTable holds every area known to the run: the dataset's areas sorted
// by code, then codes that entities declare without an area row.
type areaTable struct {
	code   []string
	name   []string
	level  []string
	parent []int32 // -1 for a root or an unknown parent
	env    []string
	index  map[string]int32
	lookup *geo.AreaIndex // nil when no area has a geometry
	// day is the analysis date; expired holds the codes of the dataset
	// that have no version valid that day (their points are placed by
	// point in polygon instead).
	day     time.Time
	expired map[string]bool
}

func (t *areaTable) add(code string) int32 {
	if i, ok := t.index[code]; ok {
		return i
	}
	i := int32(len(t.code))
	t.index[code] = i
	t.code = append(t.code, code)
	t.name = append(t.name, "")
	t.level = append(t.level, "")
	t.parent = append(t.parent, -1)
	t.env = append(t.env, "")
	return i
}

// sectorTable is the active sectors in flat arrays, sorted by sector ID.
type sectorTable struct {
	id, siteID []string
	lat, lon   []float64
	scale      []geo.Scale
	rangeM     []float64
	outer2     []float64 // (range + approximation bound + 1 m)²: beyond, surely not covered
	az         []float64 // NaN: omni
	half       []float64 // half beamwidth in degrees
	op         []uint8
	group      []int8
	env        []string
	src        []data.Sector
}

// siteSet is the distinct 4G/5G site positions of one operator, sorted by
// site ID then position; nearest-site searches run on it.
type siteSet struct {
	id       []string
	lat, lon []float64
	scale    []geo.Scale
	grid     *geo.Grid
}

type fiberSet struct {
	nodeLat, nodeLon []float64
	nodeScale        []geo.Scale
	nodeGrid         *geo.Grid
	// route segments
	segLat1, segLon1, segLat2, segLon2 []float64
	segScale1, segScale2               []geo.Scale
	// Route edges prepared for exact closest points; the seg* arrays
	// above are their pieces (≤ pieceM) for the approximation, segParent
	// the edge of each piece.
	seg       []geo.Segment
	segParent []int32
	segBox    []geo.Box
	segMLon   []float64 // metres per degree of longitude at the piece's highest |lat|, less 0.1%
	segGrid   *geo.Grid
}

// model is everything the per-point decisions need; it is read-only once
// built and shared by the workers.
type model struct {
	s      Settings
	ranges rangeModel
	ops    []string
	opIdx  map[string]int
	areas  *areaTable

	sec     sectorTable
	covGrid *geo.Grid // range boxes of sectors, grown by cellMargin
	maxR    float64
	// cellMargin is how far a descendant centre of an analysis cell can be
	// from the cell's centre, generously (2.5 average edge lengths): the
	// bucket of a cell's centre then lists every sector that can reach
	// any of its descendants' centres.
	cellMargin float64

	sites   []siteSet // per operator
	allSite []siteRef // all 4G sites, operator by operator
	siteOff []int32   // index in allSite of each operator's first site

	fiber fiberSet

	// Operator polygons: owner i covers ops polyOp[i] for group polyGroup[i].
	polys     *geo.PolygonIndex
	polyOp    []uint8
	polyGroup []int8
	// polyMask[g] has the bit of every operator whose group-g coverage
	// comes from polygons.
	polyMask [nGroups]uint32

	// Field-measurement verdicts per analysis cell.
	meas map[geo.Cell]*cellVerdict
}

type siteRef struct{ op, idx int32 }

type cellVerdict struct {
	yes, no [nGroups]uint32
}

// envCache memoises the environment of each area (density needs its
// ellipsoidal area).
type envCache struct {
	mu   sync.Mutex
	done []bool
	env  []string
	// households counted per area from the dataset (when the area has no
	// census count)
	households []int
	geoms      []orb.MultiPolygon
	census     []int
	given      []string
	thresholds EnvThresholds
	def        string
}

func (c *envCache) get(ai int32) string {
	if ai < 0 {
		return c.def
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done[ai] {
		return c.env[ai]
	}
	e := c.given[ai]
	if e == "" {
		hh := c.census[ai]
		if hh <= 0 {
			hh = c.households[ai]
		}
		km2 := geo.AreaM2(c.geoms[ai]) / 1e6
		if km2 > 0 {
			e = c.thresholds.Classify(float64(hh) / km2)
		} else {
			e = c.def
		}
	}
	c.env[ai], c.done[ai] = e, true
	return e
}

// buildAreas indexes the dataset's areas valid on day.
func buildAreas(ds *data.Dataset, day time.Time) *areaTable {
	t := &areaTable{index: map[string]int32{}, day: day, expired: map[string]bool{}}
	order := make([]int, 0, len(ds.Areas))
	for i := range ds.Areas {
		if ds.Areas[i].ValidOn(day) {
			order = append(order, i)
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return ds.Areas[order[a]].Code < ds.Areas[order[b]].Code })
	for _, i := range order {
		a := &ds.Areas[i]
		if _, dup := t.index[a.Code]; dup {
			continue
		}
		k := t.add(a.Code)
		t.name[k], t.level[k] = a.Name, a.Level
	}
	for _, i := range order {
		a := &ds.Areas[i]
		if a.ParentCode != "" {
			if p, ok := t.index[a.ParentCode]; ok && p != t.index[a.Code] {
				t.parent[t.index[a.Code]] = p
			}
		}
	}
	for i := range ds.Areas {
		if _, ok := t.index[ds.Areas[i].Code]; !ok {
			t.expired[ds.Areas[i].Code] = true
		}
	}
	hasGeom := false
	for _, i := range order {
		if len(ds.Areas[i].Geom) > 0 {
			hasGeom = true
			break
		}
	}
	if hasGeom {
		t.lookup = geo.NewAreaIndex(ds.Areas, day)
	}
	return t
}

func newEnvCache(ds *data.Dataset, t *areaTable, hhPerArea []int, s *Settings) *envCache {
	n := len(t.code)
	c := &envCache{
		done: make([]bool, n), env: make([]string, n), households: hhPerArea,
		geoms: make([]orb.MultiPolygon, n), census: make([]int, n), given: make([]string, n),
		thresholds: s.EnvThresholds, def: s.DefaultEnvironment,
	}
	for i := range ds.Areas {
		a := &ds.Areas[i]
		k, ok := t.index[a.Code]
		if !ok || !a.ValidOn(t.day) || c.geoms[k] != nil || c.given[k] != "" {
			continue
		}
		c.geoms[k] = a.Geom
		c.census[k] = a.Households
		if validEnv(strings.ToLower(a.Environment)) {
			c.given[k] = strings.ToLower(a.Environment)
		}
	}
	return c
}

// areaOf returns the area index for a point: the deepest area containing
// it, -1 when none.
func (t *areaTable) areaOf(lat, lon float64) int32 {
	if t.lookup == nil {
		return -1
	}
	code, ok := t.lookup.Lookup(lat, lon)
	if !ok {
		return -1
	}
	return t.index[code]
}

// operatorsOf collects the mobile operators of a run, sorted.
func operatorsOf(in Input, extra []data.Sector) ([]string, map[string]int, error) {
	set := map[string]bool{}
	for i := range in.Dataset.Sectors {
		set[normOperator(in.Dataset.Sectors[i].Operator)] = true
	}
	for i := range extra {
		set[normOperator(extra[i].Operator)] = true
	}
	for _, p := range in.Polygons {
		set[normOperator(p.Operator)] = true
	}
	for _, m := range in.Measurements {
		set[m.Operator] = true
	}
	delete(set, "")
	ops := make([]string, 0, len(set))
	for o := range set {
		ops = append(ops, o)
	}
	sort.Strings(ops)
	if len(ops) > maxOperators {
		return nil, nil, fmt.Errorf("%d mobile operators found; at most %d are supported: check the operator column of sites.csv for typos", len(ops), maxOperators)
	}
	idx := make(map[string]int, len(ops))
	for i, o := range ops {
		idx[o] = i
	}
	return ops, idx, nil
}

// sectorsToUse returns the sectors of the run sorted by ID: active ones,
// planned ones too when settings say so, and the what-if additions whatever
// their status.
func sectorsToUse(ds *data.Dataset, extra []data.Sector, includePlanned bool) ([]data.Sector, error) {
	var out []data.Sector
	for i := range ds.Sectors {
		s := ds.Sectors[i]
		if s.Status == data.StatusPlanned && !includePlanned {
			continue
		}
		out = append(out, s)
	}
	out = append(out, extra...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	for i := 1; i < len(out); i++ {
		if out[i].ID == out[i-1].ID {
			return nil, fmt.Errorf("sector id %q appears twice: sector ids must be unique (what-if sites need new ids)", out[i].ID)
		}
	}
	return out, nil
}

// buildSectors fills the sector table, the coverage grid and the site sets.
func (m *model) buildSectors(secs []data.Sector, env *envCache) error {
	t := &m.sec
	n := len(secs)
	*t = sectorTable{
		id: make([]string, n), siteID: make([]string, n), lat: make([]float64, n), lon: make([]float64, n),
		scale: make([]geo.Scale, n), rangeM: make([]float64, n), outer2: make([]float64, n), az: make([]float64, n), half: make([]float64, n),
		op: make([]uint8, n), group: make([]int8, n), env: make([]string, n), src: secs,
	}
	boxes := make([]geo.Box, n)
	m.maxR = 0
	var bad []string
	for i := range secs {
		s := &secs[i]
		t.id[i], t.siteID[i] = s.ID, s.SiteID
		if t.siteID[i] == "" {
			t.siteID[i] = s.ID
		}
		t.lat[i], t.lon[i] = s.Lat, s.Lon
		if !(s.Lat >= -90 && s.Lat <= 90 && s.Lon >= -180 && s.Lon <= 180) {
			bad = append(bad, fmt.Sprintf("sector %s: position %g,%g is not a WGS84 lat/lon", s.ID, s.Lat, s.Lon))
			continue
		}
		t.scale[i] = geo.ScaleAt(s.Lat)
		t.op[i] = uint8(m.opIdx[normOperator(s.Operator)])
		t.group[i] = int8(techGroup(s.Technology))
		if t.group[i] < 0 {
			bad = append(bad, fmt.Sprintf("sector %s: technology %q is not 2G, 3G, 4G or 5G", s.ID, s.Technology))
			continue
		}
		t.env[i] = env.get(m.areas.areaOf(s.Lat, s.Lon))
		if s.RangeM > 0 {
			t.rangeM[i] = s.RangeM
		} else {
			t.rangeM[i] = m.ranges.Range(normTech(s.Technology), s.BandMHz, t.env[i])
		}
		t.az[i] = math.NaN()
		if s.AzimuthDeg != nil && s.BeamwidthDeg > 0 && s.BeamwidthDeg < 360 {
			t.az[i] = math.Mod(math.Mod(*s.AzimuthDeg, 360)+360, 360)
			t.half[i] = s.BeamwidthDeg / 2
		}
		o := t.rangeM[i] + geo.ApproxDistErrM(t.rangeM[i]+2) + 1
		t.outer2[i] = o * o
		boxes[i] = geo.RadiusBox(s.Lat, s.Lon, t.rangeM[i]+m.cellMargin)
		if t.rangeM[i] > m.maxR {
			m.maxR = t.rangeM[i]
		}
	}
	if len(bad) > 0 {
		if len(bad) > 20 {
			bad = append(bad[:20], fmt.Sprintf("… and %d more", len(bad)-20))
		}
		return fmt.Errorf("invalid sectors (fix them in sites.csv):\n  %s", strings.Join(bad, "\n  "))
	}
	// Bucket size ≈ the typical range: most points then test one bucket
	// of a few sectors.
	m.covGrid = geo.NewGrid(boxes, gridStep(medianRange(t.rangeM)/2))

	// Sites per operator (4G/5G only).
	type sp struct {
		id       string
		lat, lon float64
	}
	per := make([][]sp, len(m.ops))
	for i := range secs {
		if t.group[i] != g4 {
			continue
		}
		per[t.op[i]] = append(per[t.op[i]], sp{t.siteID[i], t.lat[i], t.lon[i]})
	}
	m.sites = make([]siteSet, len(m.ops))
	m.allSite = nil
	m.siteOff = make([]int32, len(m.ops))
	for o, list := range per {
		m.siteOff[o] = int32(len(m.allSite))
		sort.Slice(list, func(a, b int) bool {
			if list[a].id != list[b].id {
				return list[a].id < list[b].id
			}
			if list[a].lat != list[b].lat {
				return list[a].lat < list[b].lat
			}
			return list[a].lon < list[b].lon
		})
		ss := &m.sites[o]
		var pboxes []geo.Box
		for k, p := range list {
			if k > 0 && p == list[k-1] {
				continue
			}
			ss.id = append(ss.id, p.id)
			ss.lat = append(ss.lat, p.lat)
			ss.lon = append(ss.lon, p.lon)
			ss.scale = append(ss.scale, geo.ScaleAt(p.lat))
			pboxes = append(pboxes, geo.PointBox(p.lat, p.lon))
			m.allSite = append(m.allSite, siteRef{int32(o), int32(len(ss.id) - 1)})
		}
		ss.grid = geo.NewGrid(pboxes, pointGridStep(pboxes))
	}
	return nil
}

func medianRange(r []float64) float64 {
	if len(r) == 0 {
		return 5000
	}
	c := append([]float64(nil), r...)
	sort.Float64s(c)
	return c[len(c)/2]
}

// gridStep converts a distance in metres to a bucket size in degrees.
func gridStep(m float64) float64 {
	return math.Max(0.005, math.Min(1, m/111_000))
}

// pointGridStep picks a bucket size giving a few points per bucket.
func pointGridStep(boxes []geo.Box) float64 {
	if len(boxes) == 0 {
		return 0.1
	}
	b := boxes[0]
	for _, x := range boxes[1:] {
		b.MinLat, b.MaxLat = math.Min(b.MinLat, x.MinLat), math.Max(b.MaxLat, x.MaxLat)
		b.MinLon, b.MaxLon = math.Min(b.MinLon, x.MinLon), math.Max(b.MaxLon, x.MaxLon)
	}
	area := math.Max((b.MaxLat-b.MinLat)*(b.MaxLon-b.MinLon), 1e-6)
	step := math.Sqrt(area / float64(len(boxes)) * 4)
	return math.Max(0.002, math.Min(0.5, step))
}

func (m *model) buildFiber(ds *data.Dataset) error {
	f := &m.fiber
	nodes := append([]data.FiberNode(nil), ds.FiberNodes...)
	sort.SliceStable(nodes, func(i, j int) bool { return nodes[i].ID < nodes[j].ID })
	var boxes []geo.Box
	for _, n := range nodes {
		if !(n.Lat >= -90 && n.Lat <= 90 && n.Lon >= -180 && n.Lon <= 180) {
			return fmt.Errorf("fiber node %s: position %g,%g is not a WGS84 lat/lon", n.ID, n.Lat, n.Lon)
		}
		f.nodeLat = append(f.nodeLat, n.Lat)
		f.nodeLon = append(f.nodeLon, n.Lon)
		f.nodeScale = append(f.nodeScale, geo.ScaleAt(n.Lat))
		boxes = append(boxes, geo.PointBox(n.Lat, n.Lon))
	}
	f.nodeGrid = geo.NewGrid(boxes, pointGridStep(boxes))
	routes := append([]data.FiberRoute(nil), ds.FiberRoutes...)
	sort.SliceStable(routes, func(i, j int) bool { return routes[i].ID < routes[j].ID })
	addSeg := func(a, b orb.Point) {
		f.seg = append(f.seg, geo.NewSegment(a[1], a[0], b[1], b[0]))
		parent := int32(len(f.seg) - 1)
		// Pieces of at most pieceM on the edge's great circle keep the
		// approximation tight (its error grows with the square of the
		// length); exact distances use the whole edge.
		l := geo.ApproxDist(a[1], a[0], geo.ScaleAt(a[1]), b[1], b[0], geo.ScaleAt(b[1]))
		n := int(math.Ceil(l / pieceM))
		pts := [][2]float64{{a[1], a[0]}, {b[1], b[0]}}
		if n > 1 {
			pts = geo.SplitGreatCircle(a[1], a[0], b[1], b[0], n)
		}
		for k := 0; k+1 < len(pts); k++ {
			p, q := pts[k], pts[k+1]
			f.segLat1 = append(f.segLat1, p[0])
			f.segLon1 = append(f.segLon1, p[1])
			f.segLat2 = append(f.segLat2, q[0])
			f.segLon2 = append(f.segLon2, q[1])
			f.segScale1 = append(f.segScale1, geo.ScaleAt(p[0]))
			f.segScale2 = append(f.segScale2, geo.ScaleAt(q[0]))
			f.segParent = append(f.segParent, parent)
			box := geo.Box{MinLat: math.Min(p[0], q[0]), MinLon: math.Min(p[1], q[1]), MaxLat: math.Max(p[0], q[0]), MaxLon: math.Max(p[1], q[1])}
			f.segBox = append(f.segBox, box)
			_, ml := geo.LocalScale(math.Min(89.9, math.Max(math.Abs(p[0]), math.Abs(q[0]))))
			f.segMLon = append(f.segMLon, ml*0.999)
		}
	}
	for _, r := range routes {
		for k := 0; k+1 < len(r.Line); k++ {
			addSeg(r.Line[k], r.Line[k+1])
		}
		if len(r.Line) == 1 {
			addSeg(r.Line[0], r.Line[0])
		}
	}
	f.segGrid = geo.NewGrid(f.segBox, 0.02)
	return nil
}

// pieceM is the longest piece of a fiber route edge in the approximation.
const pieceM = 1000

func (m *model) buildPolygons(polys []OperatorPolygon) error {
	if len(polys) == 0 {
		return nil
	}
	type pp struct {
		op    int
		group int
		mp    orb.MultiPolygon
	}
	list := make([]pp, 0, len(polys))
	for i, p := range polys {
		g := techGroup(p.Technology)
		if g < 0 {
			return fmt.Errorf("coverage polygon %d of %s: technology %q is not 2G, 3G, 4G or 5G", i+1, p.Operator, p.Technology)
		}
		list = append(list, pp{m.opIdx[normOperator(p.Operator)], g, p.MultiPolygon})
	}
	// Deterministic order whatever the input order.
	sort.SliceStable(list, func(i, j int) bool {
		if list[i].op != list[j].op {
			return list[i].op < list[j].op
		}
		return list[i].group < list[j].group
	})
	mps := make([]orb.MultiPolygon, len(list))
	for i, p := range list {
		mps[i] = p.mp
		m.polyOp = append(m.polyOp, uint8(p.op))
		m.polyGroup = append(m.polyGroup, int8(p.group))
		m.polyMask[p.group] |= 1 << p.op
	}
	m.polys = geo.NewPolygonIndex(mps)
	return nil
}

func (m *model) buildMeasurements(ms []Measurement) error {
	if len(ms) == 0 {
		return nil
	}
	type key struct {
		cell  geo.Cell
		op    int
		group int
	}
	type tally struct{ good, bad int }
	t := map[key]*tally{}
	for _, x := range ms {
		g := techGroup(x.Technology)
		if g < 0 {
			continue
		}
		c, err := geo.CellOf(x.Lat, x.Lon, m.s.Resolution)
		if err != nil {
			return fmt.Errorf("measurement at %g,%g: %w", x.Lat, x.Lon, err)
		}
		k := key{c, m.opIdx[x.Operator], g}
		v := t[k]
		if v == nil {
			v = &tally{}
			t[k] = v
		}
		if x.RSRPDBm >= m.s.MeasurementRSRPDBm {
			v.good++
		} else {
			v.bad++
		}
	}
	m.meas = map[geo.Cell]*cellVerdict{}
	for k, v := range t {
		if v.good+v.bad < m.s.MeasurementMinCount || v.good == v.bad {
			continue
		}
		cv := m.meas[k.cell]
		if cv == nil {
			cv = &cellVerdict{}
			m.meas[k.cell] = cv
		}
		if v.good > v.bad {
			cv.yes[k.group] |= 1 << k.op
		} else {
			cv.no[k.group] |= 1 << k.op
		}
	}
	return nil
}

// Decisions --------------------------------------------------------------

// tri is a decision that may need an exact look.
type tri int8

const (
	no tri = iota
	yes
	maybe
)

// approxCovers decides whether sector k covers a point known within slack
// metres, on the approximation; maybe when too close to the range or beam
// edge to tell.
func (m *model) approxCovers(k int, lat, lon float64, sc geo.Scale, slack float64) tri {
	t := &m.sec
	dx, dy := geo.ApproxOffset(t.lat[k], t.lon[k], t.scale[k], lat, lon, sc)
	if d2 := dx*dx + dy*dy; d2 > t.outer2[k] && slack <= 1 {
		return no // beyond range + error bound + 1 m: no sqrt needed
	}
	d := math.Sqrt(dx*dx + dy*dy)
	e := geo.ApproxDistErrM(d) + slack
	R := t.rangeM[k]
	if d-e > R {
		return no
	}
	res := yes
	if d+e > R {
		res = maybe
	}
	if az := t.az[k]; az == az { // directional
		if d-e < 1 {
			return maybe
		}
		a := geo.ApproxAzimuth(t.lat[k], t.lon[k], t.scale[k], lat, lon, sc)
		ea := geo.ApproxAzimuthErrDeg(d-e) + slack/(d-e)*(180/math.Pi)*1.01
		diff := geo.AngleDiff(a, az)
		if diff-ea > t.half[k] {
			return no
		}
		if diff+ea >= t.half[k] {
			res = maybe
		}
	}
	return res
}

// exactCovers is the exact test, with PostGIS semantics: geodesic
// distance ≤ range and, for a directional sector, the geodesic azimuth from
// the sector within ±beamwidth/2 of its azimuth (a point at the mast
// itself is covered).
func (m *model) exactCovers(k int, lat, lon float64) bool {
	t := &m.sec
	d, az := geo.Inverse(t.lat[k], t.lon[k], lat, lon)
	if d > t.rangeM[k] {
		return false
	}
	if a := t.az[k]; a == a && d > 0 {
		return geo.AngleDiff(az, a) <= t.half[k]
	}
	return true
}

// The nearest site, node and route of a point are found in two steps:
// the approximate distances pick the candidates that can be nearest (the
// collect* methods add them to an exactBatch, a group per question), then
// one call into PROJ computes every geodesic of the point (exactBatch.run)
// and each group's least is its answer (exactBatch.nearest).

// exactBatch holds the geodesics one point needs, in groups.
type exactBatch struct {
	lat, lon []float64 // the candidates' points
	item     []int32   // the candidates (site or node index; -1 for a route's closest point)
	d        []float64 // their distances, once run
	group    []int32   // group g is [group[g], group[g+1])
	zero     []bool    // per group: a candidate at the point itself (distance 0, no geodesic)
	count    int64     // geodesics computed by run since the batch was made (reset keeps it)
}

func (b *exactBatch) reset() {
	b.lat, b.lon, b.item = b.lat[:0], b.lon[:0], b.item[:0]
	b.group, b.zero = append(b.group[:0], 0), b.zero[:0]
}

func (b *exactBatch) add(lat, lon float64, item int32) {
	b.lat, b.lon, b.item = append(b.lat, lat), append(b.lon, lon), append(b.item, item)
}

// end closes the group being added to and returns its number.
func (b *exactBatch) end(zero bool) int {
	b.group = append(b.group, int32(len(b.lat)))
	b.zero = append(b.zero, zero)
	return len(b.zero) - 1
}

// run computes the geodesics from (lat, lon) to every candidate.
func (b *exactBatch) run(lat, lon float64) {
	b.count += int64(len(b.lat))
	b.d = slices.Grow(b.d[:0], len(b.lat))[:len(b.lat)]
	geo.Distances(lat, lon, b.lat, b.lon, b.d)
}

// nearest returns group g's least distance and its item (ties to the
// smaller item), (+Inf, -1) for an empty group.
func (b *exactBatch) nearest(g int) (float64, int32) {
	bd, bi := math.Inf(1), int32(-1)
	if b.zero[g] {
		bd = 0
	}
	for k := b.group[g]; k < b.group[g+1]; k++ {
		if d, i := b.d[k], b.item[k]; d < bd || (d == bd && i < bi) {
			bd, bi = d, i
		}
	}
	return bd, bi
}

// addNearest adds a group of the candidates within lim (no other can be
// the nearest).
func (b *exactBatch) addNearest(c []cand, lim float64, plat, plon []float64) int {
	for _, x := range c {
		if x.d <= lim {
			b.add(plat[x.i], plon[x.i], x.i)
		}
	}
	return b.end(false)
}

// collectSite adds the group of operator o's sites that can be nearest to
// the point (empty when the operator has none).
func (m *model) collectSite(b *exactBatch, o int, lat, lon float64, sc geo.Scale, buf *[]cand) int {
	ss := &m.sites[o]
	if len(ss.id) == 0 {
		return b.end(false)
	}
	c := (*buf)[:0]
	best, lim := math.Inf(1), math.Inf(1)
	ss.grid.Search(lat, lon, func(items []int32) float64 {
		c, best, lim = scanPoints(c, items, lat, lon, sc, ss.lat, ss.lon, ss.scale, best, lim)
		return lim
	})
	*buf = c
	return b.addNearest(c, lim, ss.lat, ss.lon)
}

// collectSiteIn is collectSite over a candidate list known to hold the
// nearest site (see runCands).
func (m *model) collectSiteIn(b *exactBatch, o int, items []int32, lat, lon float64, sc geo.Scale, buf *[]cand) int {
	ss := &m.sites[o]
	c, _, lim := scanPoints((*buf)[:0], items, lat, lon, sc, ss.lat, ss.lon, ss.scale, math.Inf(1), math.Inf(1))
	*buf = c
	return b.addNearest(c, lim, ss.lat, ss.lon)
}

// scanPoints appends the items whose approximate distance may be the
// least, updating the best approximate distance and the limit (best plus
// twice the approximation bound) beyond which an item cannot be nearest.
func scanPoints(c []cand, items []int32, lat, lon float64, sc geo.Scale, plat, plon []float64, pscale []geo.Scale, best, lim float64) ([]cand, float64, float64) {
	for _, it := range items {
		d := geo.ApproxDist(lat, lon, sc, plat[it], plon[it], pscale[it])
		if d <= lim {
			c = append(c, cand{it, d})
			if d < best {
				best = d
				lim = best + 2*geo.ApproxDistErrM(best) + 1e-6
			}
		}
	}
	return c, best, lim
}

type cand struct {
	i int32
	d float64
}

// collectNode adds the group of fiber nodes that can be nearest.
func (m *model) collectNode(b *exactBatch, lat, lon float64, sc geo.Scale, buf *[]cand) int {
	f := &m.fiber
	if len(f.nodeLat) == 0 {
		return b.end(false)
	}
	c := (*buf)[:0]
	best, lim := math.Inf(1), math.Inf(1)
	f.nodeGrid.Search(lat, lon, func(items []int32) float64 {
		c, best, lim = scanPoints(c, items, lat, lon, sc, f.nodeLat, f.nodeLon, f.nodeScale, best, lim)
		return lim
	})
	*buf = c
	return b.addNearest(c, lim, f.nodeLat, f.nodeLon)
}

// collectNodeIn is collectNode over a candidate list.
func (m *model) collectNodeIn(b *exactBatch, items []int32, lat, lon float64, sc geo.Scale, buf *[]cand) int {
	f := &m.fiber
	c, _, lim := scanPoints((*buf)[:0], items, lat, lon, sc, f.nodeLat, f.nodeLon, f.nodeScale, math.Inf(1), math.Inf(1))
	*buf = c
	return b.addNearest(c, lim, f.nodeLat, f.nodeLon)
}

type closest struct{ lat, lon, ang float64 }

// collectRoute adds the group for the exact (PostGIS-semantics) distance
// to the nearest fiber route edge. Pieces within the approximation's
// bounds are compared on the sphere first; only edges whose spherical
// distance is within the sphere/ellipsoid ratio bound of the best, and
// whose closest point is distinct, get a geodesic.
func (m *model) collectRoute(b *exactBatch, lat, lon float64, sc geo.Scale, buf *[]cand, cbuf *[]closest) int {
	f := &m.fiber
	if len(f.segLat1) == 0 {
		return b.end(false)
	}
	c := (*buf)[:0]
	bestHi := math.Inf(1) // smallest upper bound (approx + its error)
	f.segGrid.Search(lat, lon, func(items []int32) float64 {
		c, bestHi = m.scanPieces(c, items, lat, lon, sc, bestHi)
		return bestHi + geo.ApproxDistErrM(bestHi) + 1e-6
	})
	*buf = c
	return m.routeTargets(b, c, bestHi, lat, lon, cbuf)
}

// collectRouteIn is collectRoute over a candidate list of pieces.
func (m *model) collectRouteIn(b *exactBatch, items []int32, lat, lon float64, sc geo.Scale, buf *[]cand, cbuf *[]closest) int {
	c, bestHi := m.scanPieces((*buf)[:0], items, lat, lon, sc, math.Inf(1))
	*buf = c
	return m.routeTargets(b, c, bestHi, lat, lon, cbuf)
}

// scanPieces appends the route pieces that may be nearest (approximate
// lower bound ≤ the least upper bound so far).
func (m *model) scanPieces(c []cand, items []int32, lat, lon float64, sc geo.Scale, bestHi float64) ([]cand, float64) {
	f := &m.fiber
	mlon := sc.MLon * 0.999
	const mlat = 110_574 * 0.999
	for _, it := range items {
		// A lower bound from the piece's box first (cheap).
		b := &f.segBox[it]
		dy, dx := 0.0, 0.0
		if lat < b.MinLat {
			dy = (b.MinLat - lat) * mlat
		} else if lat > b.MaxLat {
			dy = (lat - b.MaxLat) * mlat
		}
		ml := mlon
		if f.segMLon[it] < ml {
			ml = f.segMLon[it]
		}
		if lon < b.MinLon {
			dx = (b.MinLon - lon) * ml
		} else if lon > b.MaxLon {
			dx = (lon - b.MaxLon) * ml
		}
		if dx*dx+dy*dy > bestHi*bestHi {
			continue
		}
		d, e := geo.ApproxSegmentDist(lat, lon, sc, f.segLat1[it], f.segLon1[it], f.segScale1[it], f.segLat2[it], f.segLon2[it], f.segScale2[it])
		if d-e <= bestHi {
			c = append(c, cand{it, d - e})
			if d+e < bestHi {
				bestHi = d + e
			}
		}
	}
	return c, bestHi
}

// routeTargets finishes a route search: the edges of the candidate pieces
// that can still be nearest, once each, compared on the sphere; the
// closest points of the few that matter are added for a geodesic.
func (m *model) routeTargets(b *exactBatch, c []cand, bestHi, lat, lon float64, cbuf *[]closest) int {
	f := &m.fiber
	k := 0
	for _, x := range c {
		if x.d <= bestHi {
			c[k] = cand{f.segParent[x.i], x.d}
			k++
		}
	}
	c = c[:k]
	// slices.SortFunc: no allocation (sort.Slice allocated on every entity).
	slices.SortFunc(c, func(a, b cand) int { return cmp.Compare(a.i, b.i) })
	cl := (*cbuf)[:0]
	minAng := math.Inf(1)
	q := geo.NewSegQuery(lat, lon)
	for j, x := range c {
		if j > 0 && c[j-1].i == x.i {
			continue
		}
		la, lo, ang := f.seg[x.i].ClosestSphere(&q)
		cl = append(cl, closest{la, lo, ang})
		if ang < minAng {
			minAng = ang
		}
	}
	zero := false
	lim := minAng*(1.0057/0.9944) + 1e-12
	for k, x := range cl {
		if x.ang > lim {
			continue
		}
		dup := false
		for _, y := range cl[:k] {
			if y.ang <= lim && y.lat == x.lat && y.lon == x.lon {
				dup = true
				break
			}
		}
		switch {
		case dup:
		case x.lat == lat && x.lon == lon:
			zero = true
		default:
			b.add(x.lat, x.lon, -1)
		}
	}
	*cbuf = cl
	return b.end(zero)
}

// nearestSite returns the exact distance to the nearest site of operator o
// and its index, (+Inf, -1) when the operator has none.
func (m *model) nearestSite(o int, lat, lon float64, s geo.Scale, sc *scratch) (float64, int32) {
	b := &sc.batch
	b.reset()
	g := m.collectSite(b, o, lat, lon, s, &sc.cands)
	b.run(lat, lon)
	return b.nearest(g)
}

// nearestFiber returns the exact distances to the nearest fiber node and
// route (+Inf when there is none).
func (m *model) nearestFiber(lat, lon float64, s geo.Scale, sc *scratch) (node, route float64) {
	b := &sc.batch
	b.reset()
	gn := m.collectNode(b, lat, lon, s, &sc.cands)
	gr := m.collectRoute(b, lat, lon, s, &sc.cands, &sc.closest)
	b.run(lat, lon)
	node, _ = b.nearest(gn)
	route, _ = b.nearest(gr)
	return node, route
}

// runCands are the candidates for a run of entities lying within radius
// rho of a centre (the entities of one analysis cell): every site, node
// and route piece that can be nearest to one of them, every sector that
// can cover some of them, and the operators whose sectors cover them all.
type runCands struct {
	lat, lon, rho float64
	sc            geo.Scale
	sites         [][]int32 // per operator
	nodes, pieces []int32
	secs          []int32
	full          [nGroups]uint32
	// reused buffers (no allocation per run)
	tmp []cand
	lbs []float64
}

// prepareRun fills rc for the entities [lo, hi) (one cell, so within the
// coverage grid's margin of their centre); false when they spread too far
// for the shortcut.
func (m *model) prepareRun(e *entities, lo, hi int, rc *runCands) bool {
	minLat, maxLat, minLon, maxLon := e.lat[lo], e.lat[lo], e.lon[lo], e.lon[lo]
	for i := lo + 1; i < hi; i++ {
		minLat, maxLat = min(minLat, e.lat[i]), max(maxLat, e.lat[i])
		minLon, maxLon = min(minLon, e.lon[i]), max(maxLon, e.lon[i])
	}
	rc.lat, rc.lon = (minLat+maxLat)/2, (minLon+maxLon)/2
	rc.sc = geo.ScaleAt(rc.lat)
	rho := 0.0
	for i := lo; i < hi; i++ {
		rho = max(rho, geo.ApproxDist(rc.lat, rc.lon, rc.sc, e.lat[i], e.lon[i], geo.ScaleAt(e.lat[i])))
	}
	rc.rho = rho*1.001 + 0.01
	if rc.rho > m.cellMargin {
		return false
	}
	// Sectors: the centre's bucket lists every sector that reaches within
	// cellMargin of the centre.
	rc.secs = rc.secs[:0]
	rc.full = [nGroups]uint32{}
	for _, k := range m.covGrid.At(rc.lat, rc.lon) {
		g, bit := m.sec.group[k], uint32(1)<<m.sec.op[k]
		if rc.full[g]&bit != 0 || m.polyMask[g]&bit != 0 {
			continue
		}
		switch m.discCovers(int(k), rc.lat, rc.lon, rc.sc, rc.rho) {
		case yes:
			rc.full[g] |= bit
		case maybe:
			rc.secs = append(rc.secs, k)
		}
	}
	// Nearest-point candidates: d(centre) − rho − err ≤ least d(centre) + rho + err.
	if len(rc.sites) < len(m.ops) {
		rc.sites = make([][]int32, len(m.ops))
	}
	for o := range m.ops {
		ss := &m.sites[o]
		rc.sites[o] = rc.sites[o][:0]
		if len(ss.id) > 0 {
			rc.sites[o] = runPoints(rc.sites[o], ss.grid, rc, ss.lat, ss.lon, ss.scale)
		}
	}
	f := &m.fiber
	rc.nodes = rc.nodes[:0]
	if len(f.nodeLat) > 0 {
		rc.nodes = runPoints(rc.nodes, f.nodeGrid, rc, f.nodeLat, f.nodeLon, f.nodeScale)
	}
	rc.pieces = rc.pieces[:0]
	if len(f.segLat1) > 0 {
		upper := math.Inf(1)
		tmp := rc.tmp[:0]
		// The distance to an edge (closest point on the sphere, geodesic
		// on the ellipsoid) moves by at most ~1.006× the move of the
		// point: widen rho by 1% and 10 cm.
		rho := rc.rho*1.01 + 0.1
		f.segGrid.Search(rc.lat, rc.lon, func(items []int32) float64 {
			for _, it := range items {
				d, e := geo.ApproxSegmentDist(rc.lat, rc.lon, rc.sc, f.segLat1[it], f.segLon1[it], f.segScale1[it], f.segLat2[it], f.segLon2[it], f.segScale2[it])
				// The error bound at the run's points is at most that at
				// the centre plus the growth of ApproxDistErrM over rho.
				e = e*1.01 + geo.ApproxDistErrM(d+rho) - geo.ApproxDistErrM(math.Max(0, d-rho)) + 0.01
				if d-e-rho <= upper {
					tmp = append(tmp, cand{it, d - e - rho})
					if d+e+rho < upper {
						upper = d + e + rho
					}
				}
			}
			return upper + rho + geo.ApproxDistErrM(upper+rho) + 1e-6
		})
		for _, x := range tmp {
			if x.d <= upper {
				rc.pieces = append(rc.pieces, x.i)
			}
		}
		rc.tmp = tmp
	}
	return true
}

// runPoints lists the points of grid g that can be nearest to a point of
// the run's disc.
func runPoints(out []int32, g *geo.Grid, rc *runCands, plat, plon []float64, pscale []geo.Scale) []int32 {
	upper := math.Inf(1)
	start := len(out)
	ds := rc.lbs[:0]
	g.Search(rc.lat, rc.lon, func(items []int32) float64 {
		for _, it := range items {
			d := geo.ApproxDist(rc.lat, rc.lon, rc.sc, plat[it], plon[it], pscale[it])
			e := geo.ApproxDistErrM(d + rc.rho)
			if d-e-rc.rho <= upper {
				out = append(out, it)
				ds = append(ds, d-e-rc.rho)
				if d+e+rc.rho < upper {
					upper = d + e + rc.rho
				}
			}
		}
		return upper + rc.rho + geo.ApproxDistErrM(upper+rc.rho) + 1e-6
	})
	rc.lbs = ds
	k := start
	for j, it := range out[start:] {
		if ds[j] <= upper {
			out[k] = it
			k++
		}
	}
	return out[:k]
}

// polyCovers reports which operators' polygons of group g contain the
// point.
func (m *model) polyCovers(lat, lon float64) (mask [nGroups]uint32) {
	if m.polys == nil {
		return mask
	}
	m.polys.Each(lat, lon, func(owner int) {
		mask[m.polyGroup[owner]] |= 1 << m.polyOp[owner]
	})
	return mask
}
