package coverage

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/gapmap/gapmap/geo"
	"github.com/paulmach/orb"
)

// GapArea is a set of neighbouring gap cells (H3 adjacency): a "lõm
// sóng". Its beneficiaries are the demand entities of its cells that have
// neither 4G nor fiber: homes of tier 1–3 students, and schools.
type GapArea struct {
	ID   string `json:"id"`   // "G" + the smallest cell id of the area (stable across runs)
	Rank int    `json:"rank"` // 1 = build first
	// Cells of the area (analysis resolution), sorted.
	Cells   []geo.Cell       `json:"cells"`
	Outline orb.MultiPolygon `json:"outline"`
	// CentroidLat/Lon is the mean of the cells' centres.
	CentroidLat float64 `json:"centroid_lat"`
	CentroidLon float64 `json:"centroid_lon"`
	// AreaCode is the area holding most of its demand (tier 1–3 students
	// plus schools; ties to the smallest code).
	AreaCode    string `json:"area_code"`
	Environment string `json:"environment"`

	Households     int    `json:"households"` // unconnected homes of tier 1–3 students
	Students       [4]int `json:"students"`   // students living in those homes, by tier
	NoDeviceT123   int    `json:"no_device_t123"`
	Schools        int    `json:"schools"` // unconnected schools
	SchoolStudents int    `json:"school_students"`

	// Distances in metres from the closest beneficiary (+Inf: none known).
	Nearest4GM    float64 `json:"nearest_4g_m"`
	Nearest4GSite string  `json:"nearest_4g_site"`
	NearestFiberM float64 `json:"nearest_fiber_m"`

	Score Score `json:"score"`
}

// Score explains a gap area's rank: weighted beneficiaries per billion VND
// of the cheaper way to connect it.
type Score struct {
	// Beneficiaries: TierWeighted[t] = weight(t) × tier-t students;
	// SchoolWeighted = Σ (base + per-student × students) over schools.
	TierWeighted          [4]float64 `json:"tier_weighted"`
	SchoolWeighted        float64    `json:"school_weighted"`
	WeightedBeneficiaries float64    `json:"weighted_beneficiaries"`

	// New site option: enough sites of the candidate technology to cover
	// the area (area / (packing × π·range²)), at the environment's cost.
	AreaKm2         float64 `json:"area_km2"`
	SiteRangeM      float64 `json:"site_range_m"`
	SitesNeeded     int     `json:"sites_needed"`
	SiteUnitCostVND float64 `json:"site_unit_cost_vnd"`
	SiteCostVND     float64 `json:"site_cost_vnd"`

	// Fiber option: trunk from the nearest fiber to the centroid, plus one
	// drop per premise (home or school). FiberKm is NaN when no fiber is
	// known (the option is then unavailable).
	FiberKm           float64 `json:"fiber_km"`
	FiberTrunkCostVND float64 `json:"fiber_trunk_cost_vnd"`
	Premises          int     `json:"premises"`
	FiberDropCostVND  float64 `json:"fiber_drop_cost_vnd"`
	FiberCostVND      float64 `json:"fiber_cost_vnd"`

	// Option is "site" or "fiber", the cheaper; CostVND its cost.
	Option                string  `json:"option"`
	CostVND               float64 `json:"cost_vnd"`
	CostPerBeneficiaryVND float64 `json:"cost_per_beneficiary_vnd"`
	// Score = WeightedBeneficiaries / (CostVND / 1e9).
	Score float64 `json:"score"`
}

// weight is the weighted beneficiary value of entity i.
func (m *model) weight(e *entities, i int) float64 {
	if e.kind[i] == kSchool {
		return m.s.SchoolWeightBase + m.s.SchoolWeightPerStudent*float64(e.schoolStudents(i))
	}
	w := 0.0
	for t := 0; t < 4; t++ {
		w += m.s.TierWeights[t] * float64(e.stud[i][t])
	}
	return w
}

// beneficiary reports whether entity i is demand without 4G or fiber.
func (e *entities) beneficiary(i int) bool { return !e.connected(i) && e.isDemand(i) }

// gapOf is the gap index (in Gaps) of entity i, -1 when none: the gap of
// its cell when it is a beneficiary.
func (r *Result) gapOf(i int) int32 {
	if !r.e.beneficiary(i) {
		return -1
	}
	return r.gapOfRun[r.e.runOf(i)]
}

func (r *Result) buildGaps(ctx context.Context) error {
	e, m := r.e, r.m
	r.gapOfRun = make([]int32, len(r.Cells))
	for k := range r.gapOfRun {
		r.gapOfRun[k] = -1
	}
	idx := map[geo.Cell]int32{}
	var gapCells []int32
	for k := range r.Cells {
		r.Cells[k].GapID = ""
		if r.Cells[k].Gap {
			idx[r.Cells[k].Cell] = int32(len(gapCells))
			gapCells = append(gapCells, int32(k))
		}
	}
	// Union-find over H3 adjacency.
	parent := make([]int32, len(gapCells))
	for i := range parent {
		parent[i] = int32(i)
	}
	var find func(int32) int32
	find = func(x int32) int32 {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	for gi, k := range gapCells {
		if gi%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		nb, err := r.Cells[k].Cell.Neighbors()
		if err != nil {
			return err
		}
		for _, c := range nb {
			if j, ok := idx[c]; ok {
				a, b := find(int32(gi)), find(j)
				if a != b {
					if a < b {
						parent[b] = a
					} else {
						parent[a] = b
					}
				}
			}
		}
	}
	// Components in order of their smallest cell (the root is the
	// smallest index, and cells are sorted by id).
	comp := map[int32]int{}
	var groups [][]int32
	for gi, k := range gapCells {
		root := find(int32(gi))
		g, ok := comp[root]
		if !ok {
			g = len(groups)
			comp[root] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], k)
	}
	s := &r.Settings
	var sc scratch
	gaps := make([]GapArea, len(groups))
	for g, ks := range groups {
		ga := &gaps[g]
		ga.ID = "G" + r.Cells[ks[0]].Cell.String()
		ga.Nearest4GM, ga.NearestFiberM = math.Inf(1), math.Inf(1)
		demand := map[int32]float64{}
		bestSite := int32(-1)
		sumLat, sumLon := 0.0, 0.0
		areaM2 := 0.0
		for _, k := range ks {
			r.gapOfRun[k] = int32(g)
			c := r.Cells[k].Cell
			ga.Cells = append(ga.Cells, c)
			la, lo, err := c.Center()
			if err != nil {
				return err
			}
			sumLat += la
			sumLon += lo
			a, err := c.AreaM2()
			if err != nil {
				return err
			}
			areaM2 += a
			for i := r.runs[k]; i < r.runs[k+1]; i++ {
				if !e.beneficiary(i) {
					continue
				}
				if e.kind[i] == kSchool {
					ga.Schools++
					ga.SchoolStudents += int(e.schoolStudents(i))
					ga.Score.SchoolWeighted += m.weight(e, i)
					demand[e.area[i]]++
				} else {
					ga.Households++
					for t := 0; t < 4; t++ {
						ga.Students[t] += int(e.stud[i][t])
						ga.Score.TierWeighted[t] += s.TierWeights[t] * float64(e.stud[i][t])
					}
					ga.NoDeviceT123 += int(e.noDev[i])
					demand[e.area[i]] += float64(e.stud[i][1] + e.stud[i][2] + e.stud[i][3])
				}
			}
			// Distances are measured from the cell centres (public points),
			// never from the homes: a gap of one home must not reveal where
			// that home is.
			d4, site, df := m.nearestFromPoint(la, lo, &sc)
			if d4 < ga.Nearest4GM || (d4 == ga.Nearest4GM && site < bestSite) {
				ga.Nearest4GM, bestSite = d4, site
			}
			if df < ga.NearestFiberM {
				ga.NearestFiberM = df
			}
		}
		ga.CentroidLat, ga.CentroidLon = sumLat/float64(len(ks)), sumLon/float64(len(ks))
		if bestSite >= 0 {
			ref := m.allSite[bestSite]
			ga.Nearest4GSite = m.sites[ref.op].id[ref.idx]
		}
		// Area with most demand.
		bestA, bestN := int32(-1), -1.0
		for a, n := range demand {
			if a < 0 {
				continue
			}
			if n > bestN || (n == bestN && r.areas.code[a] < r.areas.code[bestA]) {
				bestA, bestN = a, n
			}
		}
		if bestA >= 0 {
			ga.AreaCode = r.areas.code[bestA]
		}
		ga.Environment = r.env.get(bestA)
		out, err := geo.CellsOutline(ga.Cells)
		if err != nil {
			return fmt.Errorf("outline of gap %s: %w", ga.ID, err)
		}
		ga.Outline = out
		r.score(ga, areaM2)
		for _, k := range ks {
			r.Cells[k].GapID = ga.ID
		}
	}
	// Rank: score, then weighted beneficiaries, then id.
	order := make([]int, len(gaps))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		x, y := &gaps[order[a]].Score, &gaps[order[b]].Score
		if x.Score != y.Score {
			return x.Score > y.Score
		}
		if x.WeightedBeneficiaries != y.WeightedBeneficiaries {
			return x.WeightedBeneficiaries > y.WeightedBeneficiaries
		}
		return gaps[order[a]].ID < gaps[order[b]].ID
	})
	newIdx := make([]int32, len(gaps))
	r.Gaps = make([]GapArea, len(gaps))
	for rank, g := range order {
		r.Gaps[rank] = gaps[g]
		r.Gaps[rank].Rank = rank + 1
		newIdx[g] = int32(rank)
	}
	for k, g := range r.gapOfRun {
		if g >= 0 {
			r.gapOfRun[k] = newIdx[g]
		}
	}
	return nil
}

// score fills the score components of a gap area.
func (r *Result) score(ga *GapArea, areaM2 float64) {
	s, m := &r.Settings, r.m
	sc := &ga.Score
	for t := 0; t < 4; t++ {
		sc.WeightedBeneficiaries += sc.TierWeighted[t]
	}
	sc.WeightedBeneficiaries += sc.SchoolWeighted
	sc.AreaKm2 = areaM2 / 1e6
	sc.SiteRangeM = m.ranges.Range(s.CandidateTechnology, s.CandidateBandMHz, ga.Environment)
	perSite := s.SitePacking * math.Pi * sc.SiteRangeM * sc.SiteRangeM
	sc.SitesNeeded = max(1, int(math.Ceil(areaM2/perSite)))
	sc.SiteUnitCostVND = s.SiteCostVND.Get(ga.Environment)
	sc.SiteCostVND = float64(sc.SitesNeeded) * sc.SiteUnitCostVND
	sc.Premises = ga.Households + ga.Schools
	sc.FiberDropCostVND = float64(sc.Premises) * s.FiberDropVND
	var scr scratch
	fd := math.Min(m.nearestFiber(ga.CentroidLat, ga.CentroidLon, geo.ScaleAt(ga.CentroidLat), &scr))
	sc.Option, sc.CostVND = "site", sc.SiteCostVND
	if math.IsInf(fd, 1) {
		sc.FiberKm = math.NaN()
	} else {
		sc.FiberKm = fd / 1000
		sc.FiberTrunkCostVND = sc.FiberKm * s.FiberCostPerKmVND
		sc.FiberCostVND = sc.FiberTrunkCostVND + sc.FiberDropCostVND
		if sc.FiberCostVND < sc.SiteCostVND {
			sc.Option, sc.CostVND = "fiber", sc.FiberCostVND
		}
	}
	cost := math.Max(sc.CostVND, 1)
	if sc.WeightedBeneficiaries > 0 {
		sc.CostPerBeneficiaryVND = sc.CostVND / sc.WeightedBeneficiaries
	}
	sc.Score = sc.WeightedBeneficiaries / (cost / 1e9)
}
