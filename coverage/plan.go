package coverage

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/geo"
)

// PlanOptions chooses how many sites to plan: Sites (K) or as many as
// BudgetVND allows (exactly one of them).
type PlanOptions struct {
	Sites     int     `json:"sites,omitempty"`
	BudgetVND float64 `json:"budget_vnd,omitempty"`
}

// Plan is a ranked build-out plan of new sites.
type Plan struct {
	Options PlanOptions `json:"options"`
	// Method tells which greedy won: "greedy" (K sites: CELF, ≥ 1−1/e of
	// the optimum), or under a budget the better of "greedy" and
	// "cost-benefit greedy" (CELF, ≥ (1−1/e)/2).
	Method string `json:"method"`
	// Candidates is the number of candidate sites (gap cells and their
	// neighbours), Demand the weighted beneficiaries in gaps.
	Candidates int        `json:"candidates"`
	Demand     float64    `json:"demand_weighted"`
	Steps      []PlanStep `json:"steps"`
	// Gaps compares, per gap area, the planned sites with a fiber
	// extension by cost per weighted beneficiary.
	Gaps []GapOption `json:"gaps"`
}

// PlanStep is one new site of the plan, in build order.
type PlanStep struct {
	Rank        int      `json:"rank"`
	Cell        geo.Cell `json:"-"`
	H3          string   `json:"h3"`
	Lat         float64  `json:"lat"`
	Lon         float64  `json:"lon"`
	AreaCode    string   `json:"area_code"`
	Environment string   `json:"environment"`
	RangeM      float64  `json:"range_m"`
	CostVND     float64  `json:"cost_vnd"`
	// Marginal beneficiaries this site adds to the earlier steps.
	Weighted   float64 `json:"marginal_weighted"`
	Households int     `json:"marginal_households"`
	Students   [4]int  `json:"marginal_students"`
	Schools    int     `json:"marginal_schools"`
	// Totals up to and including this step.
	CumulativeWeighted float64 `json:"cumulative_weighted"`
	CumulativeCostVND  float64 `json:"cumulative_cost_vnd"`
	// CostPerBeneficiaryVND is CostVND / Weighted.
	CostPerBeneficiaryVND float64  `json:"cost_per_beneficiary_vnd"`
	Gaps                  []string `json:"gaps"`
	// Sector is the site as a sector, ready for WhatIf.
	Sector data.Sector `json:"-"`
}

// GapOption compares a new site with fiber for one gap area.
type GapOption struct {
	GapID    string  `json:"gap_id"`
	Rank     int     `json:"gap_rank"`
	Weighted float64 `json:"weighted"`
	// Planned sites: the weighted beneficiaries of this gap they cover,
	// and their cost shared in proportion to what each covers here.
	SiteWeighted              float64 `json:"site_weighted"`
	SiteCostVND               float64 `json:"site_cost_vnd"`
	SiteCostPerBeneficiaryVND float64 `json:"site_cost_per_beneficiary_vnd"`
	// SiteEstimated: no planned site covers this gap; the site figures are
	// the gap score's estimate (sites needed × unit cost).
	SiteEstimated              bool    `json:"site_estimated"`
	FiberCostVND               float64 `json:"fiber_cost_vnd"`
	FiberCostPerBeneficiaryVND float64 `json:"fiber_cost_per_beneficiary_vnd"`
	// Recommended is "site" or "fiber", the lower cost per beneficiary
	// ("site" when no fiber is known).
	Recommended string `json:"recommended"`
}

type planCand struct {
	cell     geo.Cell
	lat, lon float64
	area     int32
	env      string
	rangeM   float64
	cost     float64
	elems    []int32 // indexes in plan elements
}

// Plan chooses new sites among candidates at the gap cells and their
// neighbours to cover the most weighted beneficiaries: K sites, or as many
// as the budget allows. Candidates are omni sites of the candidate
// technology and band with the table range of their environment; a
// beneficiary is covered when within range (exact geodesic).
func (r *Result) Plan(ctx context.Context, o PlanOptions) (*Plan, error) {
	if (o.Sites > 0) == (o.BudgetVND > 0) {
		return nil, errors.New("plan: give either a number of sites (> 0) or a budget in VND (> 0), not both")
	}
	s := &r.Settings
	e, m := r.e, r.m
	// Elements: beneficiaries in gaps, with their weight.
	var elem []int32
	var wt []float64
	for k, g := range r.gapOfRun {
		if g < 0 {
			continue
		}
		for i := r.runs[k]; i < r.runs[k+1]; i++ {
			if !e.beneficiary(i) {
				continue
			}
			if w := m.weight(e, i); w > 0 {
				elem = append(elem, int32(i))
				wt = append(wt, w)
			}
		}
	}
	p := &Plan{Options: o, Steps: []PlanStep{}, Gaps: []GapOption{}}
	for _, w := range wt {
		p.Demand += w
	}
	// Candidates.
	seen := map[geo.Cell]bool{}
	var cells []geo.Cell
	for k := range r.Gaps {
		for _, c := range r.Gaps[k].Cells {
			disk, err := c.Disk(s.CandidateRing)
			if err != nil {
				return nil, err
			}
			for _, d := range disk {
				if !seen[d] {
					seen[d] = true
					cells = append(cells, d)
				}
			}
		}
	}
	sort.Slice(cells, func(i, j int) bool { return cells[i] < cells[j] })
	cands := make([]planCand, len(cells))
	boxes := make([]geo.Box, len(elem))
	for k, i := range elem {
		boxes[k] = geo.PointBox(e.lat[i], e.lon[i])
	}
	eg := geo.NewGrid(boxes, 0.02)
	w := workers(s)
	errs := make([]error, len(cells))
	if err := parallel(ctx, len(cells), 16, w, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			c := &cands[k]
			c.cell = cells[k]
			la, ln, err := c.cell.Center()
			if err != nil {
				errs[k] = err
				continue
			}
			c.lat, c.lon = la, ln
			c.area = r.areas.areaOf(la, ln)
			c.env = r.env.get(c.area)
			c.rangeM = m.ranges.Range(s.CandidateTechnology, s.CandidateBandMHz, c.env)
			c.cost = s.SiteCostVND.Get(c.env)
			sc := geo.ScaleAt(la)
			eg.InBox(geo.RadiusBox(la, ln, c.rangeM), func(items []int32) {
				for _, it := range items {
					i := elem[it]
					d := geo.ApproxDist(la, ln, sc, e.lat[i], e.lon[i], geo.ScaleAt(e.lat[i]))
					er := geo.ApproxDistErrM(d)
					if d+er <= c.rangeM || (d-er <= c.rangeM && geo.Distance(la, ln, e.lat[i], e.lon[i]) <= c.rangeM) {
						c.elems = append(c.elems, it)
					}
				}
			})
			sort.Slice(c.elems, func(a, b int) bool { return c.elems[a] < c.elems[b] })
		}
	}); err != nil {
		return nil, err
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	p.Candidates = len(cands)
	costs := make([]float64, len(cands))
	sets := make([][]int32, len(cands))
	for k := range cands {
		costs[k], sets[k] = cands[k].cost, cands[k].elems
	}
	var chosen []int
	if o.Sites > 0 {
		chosen, _ = celf(sets, wt, costs, o.Sites, math.Inf(1), false)
		p.Method = "greedy"
	} else {
		uc, ucW := celf(sets, wt, costs, math.MaxInt, o.BudgetVND, false)
		cb, cbW := celf(sets, wt, costs, math.MaxInt, o.BudgetVND, true)
		chosen, p.Method = uc, "greedy"
		if cbW > ucW {
			chosen, p.Method = cb, "cost-benefit greedy"
		}
	}
	// Steps with marginal counts.
	covered := make([]bool, len(elem))
	gapSiteW := make([]float64, len(r.Gaps))
	gapSiteCost := make([]float64, len(r.Gaps))
	cumW, cumC := 0.0, 0.0
	for rank, k := range chosen {
		c := &cands[k]
		st := PlanStep{
			Rank: rank + 1, Cell: c.cell, H3: c.cell.String(), Lat: c.lat, Lon: c.lon, Environment: c.env,
			RangeM: c.rangeM, CostVND: c.cost, Gaps: []string{},
		}
		if c.area >= 0 {
			st.AreaCode = r.areas.code[c.area]
		}
		perGap := map[int32]float64{}
		for _, it := range c.elems {
			if covered[it] {
				continue
			}
			covered[it] = true
			i := int(elem[it])
			st.Weighted += wt[it]
			perGap[r.gapOf(i)] += wt[it]
			if e.kind[i] == kSchool {
				st.Schools++
			} else {
				st.Households++
				for t := 0; t < 4; t++ {
					st.Students[t] += int(e.stud[i][t])
				}
			}
		}
		gs := make([]int32, 0, len(perGap))
		for g := range perGap {
			gs = append(gs, g)
		}
		sort.Slice(gs, func(a, b int) bool { return gs[a] < gs[b] })
		for _, g := range gs {
			st.Gaps = append(st.Gaps, r.Gaps[g].ID)
			gapSiteW[g] += perGap[g]
			if st.Weighted > 0 {
				gapSiteCost[g] += c.cost * perGap[g] / st.Weighted
			}
		}
		cumW += st.Weighted
		cumC += c.cost
		st.CumulativeWeighted, st.CumulativeCostVND = cumW, cumC
		if st.Weighted > 0 {
			st.CostPerBeneficiaryVND = c.cost / st.Weighted
		}
		st.Sector = data.Sector{
			ID: fmt.Sprintf("plan-%03d-%s", rank+1, st.H3), SiteID: fmt.Sprintf("plan-%03d-%s", rank+1, st.H3),
			Operator: s.CandidateOperator, Technology: s.CandidateTechnology, BandMHz: s.CandidateBandMHz,
			Lat: c.lat, Lon: c.lon, AntennaHeightM: 30, BeamwidthDeg: 360, RangeM: c.rangeM, Status: data.StatusPlanned,
		}
		p.Steps = append(p.Steps, st)
	}
	// Site versus fiber per gap.
	for g := range r.Gaps {
		ga := &r.Gaps[g]
		sc := &ga.Score
		opt := GapOption{GapID: ga.ID, Rank: ga.Rank, Weighted: sc.WeightedBeneficiaries, FiberCostVND: math.NaN(), FiberCostPerBeneficiaryVND: math.NaN()}
		if gapSiteW[g] > 0 {
			opt.SiteWeighted, opt.SiteCostVND = gapSiteW[g], gapSiteCost[g]
			opt.SiteCostPerBeneficiaryVND = gapSiteCost[g] / gapSiteW[g]
		} else {
			opt.SiteEstimated = true
			opt.SiteWeighted, opt.SiteCostVND = sc.WeightedBeneficiaries, sc.SiteCostVND
			if sc.WeightedBeneficiaries > 0 {
				opt.SiteCostPerBeneficiaryVND = sc.SiteCostVND / sc.WeightedBeneficiaries
			}
		}
		opt.Recommended = "site"
		if !math.IsNaN(sc.FiberKm) {
			opt.FiberCostVND = sc.FiberCostVND
			if sc.WeightedBeneficiaries > 0 {
				opt.FiberCostPerBeneficiaryVND = sc.FiberCostVND / sc.WeightedBeneficiaries
			}
			if opt.FiberCostPerBeneficiaryVND < opt.SiteCostPerBeneficiaryVND {
				opt.Recommended = "fiber"
			}
		}
		p.Gaps = append(p.Gaps, opt)
	}
	return p, ctx.Err()
}

// Sectors returns the plan's sites as sectors, for WhatIf.
func (p *Plan) Sectors() []data.Sector {
	out := make([]data.Sector, len(p.Steps))
	for i := range p.Steps {
		out[i] = p.Steps[i].Sector
	}
	return out
}

// celf is lazy greedy maximum coverage (Leskovec et al. 2007, "CELF"):
// candidate k covers sets[k] (element indexes), element x weighs w[x],
// candidate k costs cost[k]. It picks at most maxK candidates whose total
// cost stays within budget, each time the one with the largest marginal
// gain (or gain per cost when costBenefit), ties to the smaller index.
// Marginal gains only shrink (coverage is submodular), so a stale gain is
// an upper bound and is recomputed only when it reaches the top.
func celf(sets [][]int32, w []float64, cost []float64, maxK int, budget float64, costBenefit bool) ([]int, float64) {
	covered := make([]bool, len(w))
	gain := func(k int) float64 {
		g := 0.0
		for _, x := range sets[k] {
			if !covered[x] {
				g += w[x]
			}
		}
		return g
	}
	key := func(k int, g float64) float64 {
		if costBenefit {
			return g / math.Max(cost[k], 1)
		}
		return g
	}
	h := &celfHeap{}
	for k := range sets {
		if cost[k] > budget {
			continue
		}
		g := gain(k)
		if g > 0 {
			h.items = append(h.items, celfItem{k: k, key: key(k, g), gain: g, round: 0})
		}
	}
	heap.Init(h)
	var chosen []int
	total, spent := 0.0, 0.0
	round := 0
	for h.Len() > 0 && len(chosen) < maxK {
		top := &h.items[0]
		if spent+cost[top.k] > budget {
			heap.Pop(h)
			continue
		}
		if top.round == round {
			it := heap.Pop(h).(celfItem)
			chosen = append(chosen, it.k)
			total += it.gain
			spent += cost[it.k]
			for _, x := range sets[it.k] {
				covered[x] = true
			}
			round++
			continue
		}
		g := gain(top.k)
		if g <= 0 {
			heap.Pop(h)
			continue
		}
		top.gain, top.key, top.round = g, key(top.k, g), round
		heap.Fix(h, 0)
	}
	return chosen, total
}

type celfItem struct {
	k     int
	key   float64
	gain  float64
	round int
}

type celfHeap struct{ items []celfItem }

func (h *celfHeap) Len() int { return len(h.items) }
func (h *celfHeap) Less(i, j int) bool {
	a, b := h.items[i], h.items[j]
	if a.key != b.key {
		return a.key > b.key
	}
	return a.k < b.k
}
func (h *celfHeap) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *celfHeap) Push(x any)    { h.items = append(h.items, x.(celfItem)) }
func (h *celfHeap) Pop() any {
	n := len(h.items)
	it := h.items[n-1]
	h.items = h.items[:n-1]
	return it
}
