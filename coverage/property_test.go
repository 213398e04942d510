package coverage

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/geo"
	"github.com/paulmach/orb"
)

// bruteEntity recomputes an entity's answers with no index and no
// approximation: every sector, node and segment exactly.
func bruteEntity(r *Result, i int) (cov [nGroups]uint32, near []float64, node, route float64) {
	m, e := r.m, r.e
	lat, lon := e.lat[i], e.lon[i]
	near = make([]float64, len(m.ops))
	for o := range near {
		near[o] = math.Inf(1)
	}
	for k := range m.sec.id {
		g, bit := m.sec.group[k], uint32(1)<<m.sec.op[k]
		if m.exactCovers(k, lat, lon) {
			cov[g] |= bit
		}
		if g == g4 {
			if d := geo.Distance(lat, lon, m.sec.lat[k], m.sec.lon[k]); d < near[m.sec.op[k]] {
				near[m.sec.op[k]] = d
			}
		}
	}
	node, route = math.Inf(1), math.Inf(1)
	for k := range m.fiber.nodeLat {
		node = math.Min(node, geo.Distance(lat, lon, m.fiber.nodeLat[k], m.fiber.nodeLon[k]))
	}
	for _, rt := range r.in.Dataset.FiberRoutes {
		for k := 0; k+1 < len(rt.Line); k++ {
			a, b := rt.Line[k], rt.Line[k+1]
			route = math.Min(route, geo.SegmentDistance(lat, lon, a[1], a[0], b[1], b[0]))
		}
	}
	return
}

// The indexed, approximate-then-exact answers equal brute force exactly.
func TestExactAgainstBruteForce(t *testing.T) {
	for seed := int64(1); seed <= 3; seed++ {
		r := mustAnalyze(t, synth(seed, 1500, 80), DefaultSettings())
		if !r.e.packed {
			t.Fatalf("seed %d: %d operators, masks not packed", seed, len(r.Operators))
		}
		checkBruteForce(t, seed, r)
	}
}

// With more operators than fit one word (packOps), the masks are stored
// one word per group; the answers still equal brute force, operator by
// operator.
func TestExactAgainstBruteForceManyOperators(t *testing.T) {
	ds := synth(4, 1500, 80)
	for i := range ds.Sectors {
		ds.Sectors[i].Operator = fmt.Sprintf("op%02d", i%(packOps+3))
	}
	r := mustAnalyze(t, ds, DefaultSettings())
	if len(r.Operators) != packOps+3 || r.e.packed {
		t.Fatalf("%d operators (want %d), packed %v", len(r.Operators), packOps+3, r.e.packed)
	}
	checkBruteForce(t, 4, r)
	var seen uint32
	for i := 0; i < r.e.n; i++ {
		seen |= r.e.covMask(g4, i)
	}
	if seen>>packOps == 0 {
		t.Fatalf("no entity covered by an operator beyond bit %d: the wide layout is not exercised (mask union %b)", packOps, seen)
	}
}

// covMask and setCov round-trip every mask in both layouts.
func TestCoverageMaskLayouts(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, nOps := range []int{1, 3, packOps, packOps + 1, maxOperators} {
		e := &entities{n: 200}
		e.allocCov(nOps)
		if e.packed != (nOps <= packOps) {
			t.Fatalf("%d operators: packed %v", nOps, e.packed)
		}
		want := make([][nGroups]uint32, e.n)
		for i := range want {
			for g := range want[i] {
				want[i][g] = uint32(rng.Uint64() & (1<<nOps - 1))
			}
			e.setCov(i, want[i])
		}
		for i := range want {
			if got := e.covMasks(i); got != want[i] {
				t.Fatalf("%d operators, entity %d: masks %b, want %b", nOps, i, got, want[i])
			}
			for g := range want[i] {
				if got := e.covMask(g, i); got != want[i][g] {
					t.Fatalf("%d operators, entity %d group %d: mask %b, want %b", nOps, i, g, got, want[i][g])
				}
			}
		}
	}
}

// checkBruteForce compares every entity of r with bruteEntity.
func checkBruteForce(t *testing.T, seed int64, r *Result) {
	t.Helper()
	{
		for i := 0; i < r.e.n; i++ {
			cov, near, node, route := bruteEntity(r, i)
			for g := range cov {
				if cov[g] != r.e.covMask(g, i) {
					t.Fatalf("seed %d entity %d group %d: mask %b, brute force %b", seed, i, g, r.e.covMask(g, i), cov[g])
				}
			}
			n := len(r.Operators)
			least := math.Inf(1)
			for o := range near {
				if near[o] != r.e.nearOp[i*n+o] {
					t.Fatalf("seed %d entity %d operator %s: nearest %.9f, brute force %.9f", seed, i, r.Operators[o], r.e.nearOp[i*n+o], near[o])
				}
				least = math.Min(least, near[o])
			}
			if got := r.Entity(i).Nearest4GM; got != least {
				t.Fatalf("seed %d entity %d: nearest 4G %.9f, brute force %.9f", seed, i, got, least)
			}
			if node != r.e.node[i] {
				t.Fatalf("seed %d entity %d: node %.9f, brute force %.9f", seed, i, r.e.node[i], node)
			}
			if route != r.e.route[i] {
				t.Fatalf("seed %d entity %d: route %.9f, brute force %.9f", seed, i, r.e.route[i], route)
			}
		}
	}
}

// Cell shares with the whole-cell shortcuts equal testing every
// descendant's exact H3 centre against every sector.
func TestSharesAgainstBruteForce(t *testing.T) {
	r := mustAnalyze(t, synth(4, 3000, 150), DefaultSettings())
	m := r.m
	checked := 0
	for k := range r.Cells {
		if k%3 != 0 {
			continue
		}
		c := &r.Cells[k]
		kids, err := c.Cell.Children(r.Settings.ServedChildRes)
		if err != nil {
			t.Fatal(err)
		}
		cnt := make([]int, len(m.ops))
		anyN, fibN := 0, 0
		for _, kid := range kids {
			la, lo, _ := kid.Center()
			var mask uint32
			for s := range m.sec.id {
				if m.sec.group[s] == g4 && m.exactCovers(s, la, lo) {
					mask |= 1 << m.sec.op[s]
				}
			}
			if mask != 0 {
				anyN++
			}
			for o := range cnt {
				if mask&(1<<o) != 0 {
					cnt[o]++
				}
			}
			fib := false
			for x := range m.fiber.nodeLat {
				if geo.Distance(la, lo, m.fiber.nodeLat[x], m.fiber.nodeLon[x]) <= r.Settings.FiberNodeM {
					fib = true
				}
			}
			for _, rt := range r.in.Dataset.FiberRoutes {
				for x := 0; x+1 < len(rt.Line); x++ {
					a, b := rt.Line[x], rt.Line[x+1]
					if geo.SegmentDistance(la, lo, a[1], a[0], b[1], b[0]) <= r.Settings.FiberRouteM {
						fib = true
					}
				}
			}
			if fib {
				fibN++
			}
		}
		nk := float64(len(kids))
		for o := range cnt {
			if c.Share4G[o] != float64(cnt[o])/nk {
				t.Fatalf("cell %v operator %s: share %.4f, brute force %.4f", c.Cell, m.ops[o], c.Share4G[o], float64(cnt[o])/nk)
			}
		}
		if c.Share4GAny != float64(anyN)/nk || c.ShareFiber != float64(fibN)/nk {
			t.Fatalf("cell %v: any %.4f fiber %.4f, brute force %.4f %.4f", c.Cell, c.Share4GAny, c.ShareFiber, float64(anyN)/nk, float64(fibN)/nk)
		}
		checked++
	}
	t.Logf("%d cells checked against %d descendants each", checked, 49)
}

func randomSector(r *rand.Rand, id string, lat0, lon0 float64) data.Sector {
	ops := []string{data.OpViettel, data.OpVinaphone, data.OpMobifone}
	s := data.Sector{
		ID: id, SiteID: id, Operator: ops[r.Intn(len(ops))], Technology: []string{"4G", "4G", "3G", "2G"}[r.Intn(4)],
		BandMHz: 1800, Lat: lat0 + r.Float64()*0.4, Lon: lon0 + r.Float64()*0.4, BeamwidthDeg: 360, Status: data.StatusActive,
	}
	if r.Intn(2) == 0 {
		az := r.Float64() * 360
		s.AzimuthDeg = &az
		s.BeamwidthDeg = 30 + r.Float64()*120
	}
	if r.Intn(3) == 0 {
		s.RangeM = 500 + r.Float64()*8000
	}
	return s
}

// Adding a site never uncovers anyone and never moves a nearest site away.
func TestAddingSiteNeverUncovers(t *testing.T) {
	rng := rand.New(rand.NewSource(42))
	for inst := 0; inst < 8; inst++ {
		ds := synth(int64(100+inst), 800, 40)
		base := mustAnalyze(t, ds, DefaultSettings())
		ds2 := *ds
		ds2.Sectors = append(append([]data.Sector(nil), ds.Sectors...), randomSector(rng, fmt.Sprintf("NEW%d", inst), 21.2, 106.2))
		after := mustAnalyze(t, &ds2, DefaultSettings())
		for i := 0; i < base.NumEntities(); i++ {
			a, b := base.Entity(i), after.Entity(i)
			if a.ID != b.ID {
				t.Fatal("entity order changed")
			}
			for _, o := range a.Operators4G {
				if !strings.Contains(";"+strings.Join(b.Operators4G, ";")+";", ";"+o+";") {
					t.Fatalf("instance %d: %s lost 4G of %s", inst, a.ID, o)
				}
			}
			if classRank(b.Class) > classRank(a.Class) {
				t.Fatalf("instance %d: %s went from %s to %s", inst, a.ID, a.Class, b.Class)
			}
			if b.Nearest4GM > a.Nearest4GM {
				t.Fatalf("instance %d: %s nearest 4G grew %.3f → %.3f", inst, a.ID, a.Nearest4GM, b.Nearest4GM)
			}
		}
		if after.WeightedUnconnected() > base.WeightedUnconnected() {
			t.Fatalf("instance %d: weighted unconnected grew", inst)
		}
	}
}

func classRank(c string) int {
	for i, x := range Classes() {
		if x == c {
			return i
		}
	}
	return -1
}

func shuffled(ds *data.Dataset, seed int64) *data.Dataset {
	r := rand.New(rand.NewSource(seed))
	c := *ds
	c.Areas = append([]data.Area(nil), ds.Areas...)
	c.Schools = append([]data.School(nil), ds.Schools...)
	c.Households = append([]data.Household(nil), ds.Households...)
	c.Students = append([]data.Student(nil), ds.Students...)
	c.Sectors = append([]data.Sector(nil), ds.Sectors...)
	c.FiberNodes = append([]data.FiberNode(nil), ds.FiberNodes...)
	c.FiberRoutes = append([]data.FiberRoute(nil), ds.FiberRoutes...)
	r.Shuffle(len(c.Areas), func(i, j int) { c.Areas[i], c.Areas[j] = c.Areas[j], c.Areas[i] })
	r.Shuffle(len(c.Schools), func(i, j int) { c.Schools[i], c.Schools[j] = c.Schools[j], c.Schools[i] })
	r.Shuffle(len(c.Households), func(i, j int) { c.Households[i], c.Households[j] = c.Households[j], c.Households[i] })
	r.Shuffle(len(c.Students), func(i, j int) { c.Students[i], c.Students[j] = c.Students[j], c.Students[i] })
	r.Shuffle(len(c.Sectors), func(i, j int) { c.Sectors[i], c.Sectors[j] = c.Sectors[j], c.Sectors[i] })
	r.Shuffle(len(c.FiberNodes), func(i, j int) { c.FiberNodes[i], c.FiberNodes[j] = c.FiberNodes[j], c.FiberNodes[i] })
	r.Shuffle(len(c.FiberRoutes), func(i, j int) { c.FiberRoutes[i], c.FiberRoutes[j] = c.FiberRoutes[j], c.FiberRoutes[i] })
	return &c
}

// Outputs are byte-identical across runs, worker counts and input orders.
func TestDeterministicOutputs(t *testing.T) {
	ds := synth(7, 4000, 120)
	s := DefaultSettings()
	a := outputs(t, mustAnalyze(t, ds, s))
	s1 := s
	s1.Workers = 1
	sameOutputs(t, "second run, 1 worker", a, outputs(t, mustAnalyze(t, ds, s1)))
	for seed := int64(1); seed <= 2; seed++ {
		sameOutputs(t, fmt.Sprintf("shuffled input %d", seed), a, outputs(t, mustAnalyze(t, shuffled(ds, seed), s)))
	}
	if len(a["entities.csv"]) < 1000 || !strings.Contains(string(a["gaps.geojson"]), "MultiPolygon") {
		t.Fatalf("outputs look empty: %d bytes of entities, gaps %q", len(a["entities.csv"]), a["gaps.geojson"][:80])
	}
}

// WhatIf (incremental) equals a full run with the sectors added.
func TestWhatIfEqualsFullRecompute(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	ctx := context.Background()
	for inst := 0; inst < 4; inst++ {
		ds := synth(int64(200+inst), 2500, 60)
		base := mustAnalyze(t, ds, DefaultSettings())
		var add []data.Sector
		for k := 0; k < 1+inst; k++ {
			add = append(add, randomSector(rng, fmt.Sprintf("WI%d-%d", inst, k), 21.2, 106.2))
		}
		if inst == 3 {
			add[0].Operator = "newco" // a new operator: full recompute path
		}
		wi, err := base.WhatIf(ctx, add)
		if err != nil {
			t.Fatal(err)
		}
		ds2 := *ds
		ds2.Sectors = append(append([]data.Sector(nil), ds.Sectors...), add...)
		full := mustAnalyze(t, &ds2, DefaultSettings())
		wi.WhatIfSectors = nil
		sameOutputs(t, fmt.Sprintf("instance %d", inst), outputs(t, full), outputs(t, wi))
		// Chained: a second what-if on top of the first.
		more := []data.Sector{randomSector(rng, fmt.Sprintf("WI%d-more", inst), 21.2, 106.2)}
		wi2, err := wi.WhatIf(ctx, more)
		if err != nil {
			t.Fatal(err)
		}
		ds3 := ds2
		ds3.Sectors = append(append([]data.Sector(nil), ds2.Sectors...), more...)
		full2 := mustAnalyze(t, &ds3, DefaultSettings())
		wi2.WhatIfSectors = nil
		sameOutputs(t, fmt.Sprintf("instance %d chained", inst), outputs(t, full2), outputs(t, wi2))
	}
}

// bruteBest is the best total weight of k candidates (exhaustive).
func bruteBest(sets [][]int32, w []float64, k int) float64 {
	best := 0.0
	n := len(sets)
	idx := make([]int, k)
	var rec func(pos, start int)
	covered := make([]int, len(w))
	cur := 0.0
	rec = func(pos, start int) {
		if pos == k {
			if cur > best {
				best = cur
			}
			return
		}
		for c := start; c < n; c++ {
			idx[pos] = c
			for _, x := range sets[c] {
				if covered[x] == 0 {
					cur += w[x]
				}
				covered[x]++
			}
			rec(pos+1, c+1)
			for _, x := range sets[c] {
				covered[x]--
				if covered[x] == 0 {
					cur -= w[x]
				}
			}
		}
	}
	rec(0, 0)
	return best
}

// bruteBudget is the best total weight within a budget (exhaustive).
func bruteBudget(sets [][]int32, w, cost []float64, budget float64) float64 {
	best := 0.0
	n := len(sets)
	for mask := 0; mask < 1<<n; mask++ {
		c, seen, tot := 0.0, map[int32]bool{}, 0.0
		for k := 0; k < n; k++ {
			if mask&(1<<k) != 0 {
				c += cost[k]
				for _, x := range sets[k] {
					if !seen[x] {
						seen[x] = true
						tot += w[x]
					}
				}
			}
		}
		if c <= budget && tot > best {
			best = tot
		}
	}
	return best
}

// The lazy greedy reaches ≥ 1 − 1/e of the optimum on every small random
// instance (and ≥ (1 − 1/e)/2 under a budget, the CELF guarantee).
func TestPlannerAgainstOptimum(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	bound := 1 - 1/math.E
	var ratios, bratios []float64
	for inst := 0; inst < 300; inst++ {
		nc := 3 + rng.Intn(18) // ≤ 20 candidates
		ne := 5 + rng.Intn(40)
		w := make([]float64, ne)
		for i := range w {
			w[i] = float64(1 + rng.Intn(3))
			if rng.Intn(10) == 0 {
				w[i] = 5 + 10*rng.Float64() // a school
			}
		}
		sets := make([][]int32, nc)
		cost := make([]float64, nc)
		for c := range sets {
			cost[c] = []float64{1.5e9, 1.8e9, 2.2e9, 3e9}[rng.Intn(4)]
			for x := 0; x < ne; x++ {
				if rng.Float64() < 0.2 {
					sets[c] = append(sets[c], int32(x))
				}
			}
		}
		k := 1 + rng.Intn(4)
		_, got := celf(sets, w, cost, k, math.Inf(1), false)
		opt := bruteBest(sets, w, k)
		if opt > 0 {
			if got < bound*opt-1e-9 {
				t.Fatalf("instance %d: greedy %.2f < (1−1/e)·%.2f", inst, got, opt)
			}
			ratios = append(ratios, got/opt)
		}
		if nc <= 14 {
			budget := (1 + 3*rng.Float64()) * 2e9
			uc, ucW := celf(sets, w, cost, math.MaxInt, budget, false)
			cb, cbW := celf(sets, w, cost, math.MaxInt, budget, true)
			bestW := math.Max(ucW, cbW)
			for _, ch := range [][]int{uc, cb} {
				spent := 0.0
				for _, c := range ch {
					spent += cost[c]
				}
				if spent > budget {
					t.Fatalf("instance %d: spent %.0f over budget %.0f", inst, spent, budget)
				}
			}
			bopt := bruteBudget(sets, w, cost, budget)
			if bopt > 0 {
				if bestW < bound/2*bopt-1e-9 {
					t.Fatalf("instance %d: budget greedy %.2f < (1−1/e)/2·%.2f", inst, bestW, bopt)
				}
				bratios = append(bratios, bestW/bopt)
			}
		}
	}
	sort.Float64s(ratios)
	sort.Float64s(bratios)
	t.Logf("K sites: %d instances, median greedy/optimum %.4f, worst %.4f (bound %.4f)", len(ratios), ratios[len(ratios)/2], ratios[0], bound)
	t.Logf("budget: %d instances, median %.4f, worst %.4f (bound %.4f)", len(bratios), bratios[len(bratios)/2], bratios[0], bound/2)
}

// Building the plan's sites (WhatIf) removes exactly the plan's weighted
// beneficiaries from the gaps.
func TestPlanThenWhatIf(t *testing.T) {
	ctx := context.Background()
	r := mustAnalyze(t, synth(11, 4000, 60), DefaultSettings())
	if len(r.Gaps) == 0 {
		t.Fatal("no gaps in the test data")
	}
	p, err := r.Plan(ctx, PlanOptions{Sites: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Steps) == 0 {
		t.Fatal("empty plan")
	}
	for k := 1; k < len(p.Steps); k++ {
		if p.Steps[k].Weighted > p.Steps[k-1].Weighted+1e-9 {
			t.Errorf("marginal gains grow at step %d", k+1)
		}
	}
	after, err := r.WhatIf(ctx, p.Sectors())
	if err != nil {
		t.Fatal(err)
	}
	drop := r.WeightedUnconnected() - after.WeightedUnconnected()
	last := p.Steps[len(p.Steps)-1]
	if math.Abs(drop-last.CumulativeWeighted) > 1e-6 {
		t.Errorf("built plan removes %.3f weighted beneficiaries, plan says %.3f", drop, last.CumulativeWeighted)
	}
	bp, err := r.Plan(ctx, PlanOptions{BudgetVND: 7e9})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(bp.Steps); n > 0 && bp.Steps[n-1].CumulativeCostVND > 7e9 {
		t.Errorf("budget plan costs %.0f", bp.Steps[n-1].CumulativeCostVND)
	}
	if len(p.Gaps) != len(r.Gaps) {
		t.Errorf("%d gap options for %d gaps", len(p.Gaps), len(r.Gaps))
	}
}

// Measurements and operator polygons override the model.
func TestMeasurementsAndPolygons(t *testing.T) {
	csv := "\ufefflat,lon,operator,technology,rsrp_dbm,time\n"
	c, _ := geo.CellOf(bgLat, bgLon, 9)
	clat, clon, _ := c.Center()
	for k := 0; k < 5; k++ {
		csv += fmt.Sprintf("%.7f,%.7f,Viettel,LTE,-95,2024-05-01 08:00:00\n", clat+float64(k)*1e-5, clon)
		csv += fmt.Sprintf("%.7f,%.7f,mobifone,4G,-118,2024-05-01T08:00:00+07:00\n", clat, clon+float64(k)*1e-5)
	}
	var ms []Measurement
	err := format.ReadMeasurementsFrom(context.Background(), strings.NewReader(csv), "measurements.csv", nil, func(_ int, m Measurement) error {
		ms = append(ms, m)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 10 || ms[0].Operator != "viettel" || ms[0].Technology != "4G" {
		t.Fatalf("parsed %+v", ms)
	}
	if err := format.ReadMeasurementsFrom(context.Background(), strings.NewReader("lat,lon,operator,technology,rsrp_dbm\n91,1,viettel,4G,-90\n"), "m.csv", nil,
		func(int, Measurement) error { return nil }); err == nil || !strings.Contains(err.Error(), "latitude") {
		t.Errorf("bad latitude not reported: %v", err)
	}
	// A mobifone sector covers the cell; viettel has nothing there.
	ds := &data.Dataset{
		Sectors:    []data.Sector{{ID: "M", SiteID: "M", Operator: "mobifone", Technology: "4G", BandMHz: 1800, Lat: clat, Lon: clon, BeamwidthDeg: 360, RangeM: 3000}},
		Households: []data.Household{{ID: "H", Lat: clat, Lon: clon, AreaCode: "X"}, {ID: "FAR", Lat: clat + 0.05, Lon: clon, AreaCode: "X"}},
	}
	r, err := Analyze(context.Background(), Input{Dataset: ds, Measurements: ms, Date: testDay}, DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	if h := entityByID(t, r, KindHousehold, "H"); strings.Join(h.Operators4G, ";") != "viettel" {
		t.Errorf("measured cell: operators %v, want viettel only", h.Operators4G)
	}
	for _, cs := range r.Cells {
		if cs.Cell == c && (cs.Share4G[indexOf(r.Operators, "viettel")] != 1 || cs.Share4G[indexOf(r.Operators, "mobifone")] != 0) {
			t.Errorf("measured cell shares %v", cs.Share4G)
		}
	}
	// A vinaphone polygon: inside covered, outside not, whatever sectors say.
	poly := OperatorPolygon{Operator: "VinaPhone", Technology: "4G", MultiPolygon: orb.MultiPolygon{{orb.Ring{{clon - 0.01, clat - 0.01}, {clon + 0.01, clat - 0.01}, {clon + 0.01, clat + 0.01}, {clon - 0.01, clat + 0.01}, {clon - 0.01, clat - 0.01}}}}}
	ds.Sectors = append(ds.Sectors, data.Sector{ID: "V", SiteID: "V", Operator: "vinaphone", Technology: "4G", BandMHz: 1800, Lat: clat + 0.05, Lon: clon, BeamwidthDeg: 360, RangeM: 3000})
	r, err = Analyze(context.Background(), Input{Dataset: ds, Polygons: []OperatorPolygon{poly}, Date: testDay}, DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	if h := entityByID(t, r, KindHousehold, "H"); strings.Join(h.Operators4G, ";") != "mobifone;vinaphone" {
		t.Errorf("inside the polygon: %v", h.Operators4G)
	}
	if h := entityByID(t, r, KindHousehold, "FAR"); len(h.Operators4G) != 0 {
		t.Errorf("outside the polygon, next to a vinaphone sector: %v (polygons override the model)", h.Operators4G)
	}
}

func indexOf(xs []string, x string) int {
	for i, y := range xs {
		if y == x {
			return i
		}
	}
	return -1
}
