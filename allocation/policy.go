package allocation

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/gapmap/gapmap/data"
)

// This file holds the priority policies: the tier order between areas
// (strict or fair), the stock held by schools and the priority area
// weights (mountainous, coastal, lockdown areas).

// areaFactors reads every area's priority tags and gives each node the
// product of the weights of the tags on its path from the root (each tag
// counted once: a mountainous commune of a mountainous province weighs 1.5,
// not 2.25).
func (e *engine) areaFactors(pb *problems) {
	t := e.t
	n := len(t.code)
	e.tagMask = make([]uint8, n)
	e.areaW = make([]float64, n)
	for v := range n {
		var m uint8
		if v > 0 {
			m = e.tagMask[t.parent[v]]
		}
		if a := t.area[v]; a >= 0 {
			for _, tag := range e.in.Areas[a].PriorityTags {
				k := areaTagIndex(tag)
				if k < 0 {
					pb.add("area %q has priority tag %q: use mountain, coastal or lockdown (miền núi, ven biển, phong tỏa)", t.code[v], tag)
					continue
				}
				m |= 1 << uint(k)
			}
		}
		e.tagMask[v] = m
		w := 1.0
		for k := range numAreaTags {
			if m&(1<<uint(k)) != 0 {
				w *= e.r.areaW[k]
			}
		}
		e.areaW[v] = w
	}
}

// tagNames lists the tags of a mask in their fixed order.
func tagNames(m uint8) []string {
	var out []string
	for k, name := range data.AreaTags() {
		if m&(1<<uint(k)) != 0 {
			out = append(out, name)
		}
	}
	return out
}

// holder finds where a device or SIM package is held: the school (its
// position, -1 for none) and the tree node (the school's area when a
// school holds it).
func (e *engine) holder(areaCode, schoolID, who string, pb *problems) (node, school int32, ok bool) {
	if schoolID == "" {
		v, ok := e.t.lookup(areaCode)
		if !ok {
			pb.ref("area", areaCode, who)
		}
		return v, -1, ok
	}
	pos, ok := e.sc.pos[schoolID]
	if !ok {
		pb.ref("school", schoolID, who)
		return 0, -1, false
	}
	sa := e.in.Schools[e.sc.orig[pos]].AreaCode
	if areaCode != "" && areaCode != sa {
		pb.add("%s is held by school %q of area %q but its area_code is %q; leave area_code empty or set it to %q", who, schoolID, sa, areaCode, sa)
		return 0, -1, false
	}
	return e.sc.node[pos], pos, true
}

// ownSchoolLocal returns the seats each school's own stock fills: its
// needs, up to its stock.
func (e *engine) ownSchoolLocal(s int) int {
	if e.schoolSupply == nil {
		return 0
	}
	return min(int(e.schoolSupply[s]), int(e.needStart[s+1]-e.needStart[s]))
}

// apportionStrict computes the seats of every area and school with the
// strict tier order.
//
// Bottom-up, each school's own stock serves its own needs in tier order,
// and each area's pool (its own stock and the surplus of its schools and
// child areas) serves the needs left in its subtree in tier order: all
// tier 1 first, then tier 2, then tier 3; what is left goes up. This gives
// local[k][u], the tier-k needs of unit u met from stock held inside u.
// Top-down, tier by tier, each area's tier-k seats are shared between its
// child areas and schools by Sainte-Laguë on their weighted tier-k needs,
// each starting from its local[k] and capped at its tier-k demand. An area
// receives tier-k seats from above only when every tier < k need of its
// parent's subtree is met: no lower tier is served while a higher one
// waits, except from stock held where the lower tier studies.
func (e *engine) apportionStrict(schoolW [][4]float64) error {
	t, sc := e.t, e.sc
	nodes := len(t.code)
	nSchools := len(sc.orig)
	var dem, loc [4][]int32
	var wtf [4][]float64
	for k := 1; k <= 3; k++ {
		dem[k] = make([]int32, nodes)
		loc[k] = make([]int32, nodes)
		wtf[k] = make([]float64, nodes)
	}
	sdem := make([][4]int32, nSchools)
	sloc := make([][4]int32, nSchools)
	ownHeld := make([]int32, nodes) // devices held at the node itself, schools excluded
	copy(ownHeld, e.supply)         // e.supply is still per node here
	surplus := make([]int32, nodes)
	for s := range nSchools {
		for _, n := range e.needs[e.needStart[s]:e.needStart[s+1]] {
			sdem[s][n.tier]++
		}
		v := sc.node[s]
		for k := 1; k <= 3; k++ {
			dem[k][v] += sdem[s][k]
			wtf[k][v] += schoolW[s][k]
		}
		if e.schoolSupply != nil {
			ownHeld[v] -= e.schoolSupply[s]
		}
	}
	for v := nodes - 1; v > 0; v-- {
		p := t.parent[v]
		for k := 1; k <= 3; k++ {
			dem[k][p] += dem[k][v]
			wtf[k][p] += wtf[k][v]
		}
	}
	// Bottom-up: children come after their parent in preorder.
	for v := nodes - 1; v >= 0; v-- {
		pool := ownHeld[v]
		var met [4]int32
		for s := sc.start[v]; s < sc.start[v+1]; s++ {
			st := int32(0)
			if e.schoolSupply != nil {
				st = e.schoolSupply[s]
			}
			for k := 1; k <= 3; k++ {
				sloc[s][k] = min(sdem[s][k], st)
				st -= sloc[s][k]
				met[k] += sloc[s][k]
			}
			pool += st
		}
		for c := int32(v) + 1; c < t.end[v]; c = t.end[c] {
			pool += surplus[c]
			for k := 1; k <= 3; k++ {
				met[k] += loc[k][c]
			}
		}
		for k := 1; k <= 3; k++ {
			x := min(dem[k][v]-met[k], pool)
			pool -= x
			loc[k][v] = met[k] + x
		}
		surplus[v] = pool
	}
	// e.local is the total over tiers (summaries); aggregate supply and
	// demand as apportion does.
	e.demand = make([]int32, nodes)
	e.weight = make([]float64, nodes)
	e.local = make([]int32, nodes)
	for v := range nodes {
		for k := 1; k <= 3; k++ {
			e.demand[v] += dem[k][v]
			e.weight[v] += wtf[k][v]
			e.local[v] += loc[k][v]
		}
	}
	for v := nodes - 1; v > 0; v-- {
		e.supply[t.parent[v]] += e.supply[v]
	}
	e.nodeSeats = make([]int32, nodes)
	e.schoolSeat = make([]int32, nSchools)
	e.tierSeats = make([][4]int32, nodes)
	for k := 1; k <= 3; k++ {
		e.tierSeats[0][k] = loc[k][0]
		e.nodeSeats[0] += loc[k][0]
	}
	var (
		h                 slHeap
		w                 []float64
		held, caps, seats []int
		kinds             []int8
		ids               []int32
		local             []keyedUnit
	)
	for v := range nodes {
		local = local[:0]
		for k := 1; k <= 3; k++ {
			w, held, caps, seats, kinds, ids = w[:0], held[:0], caps[:0], seats[:0], kinds[:0], ids[:0]
			total := int(e.tierSeats[v][k])
			for c := int32(v) + 1; c < t.end[v]; c = t.end[c] {
				if dem[k][c] == 0 {
					continue
				}
				w = append(w, wtf[k][c])
				held = append(held, int(loc[k][c]))
				caps = append(caps, int(dem[k][c]))
				kinds = append(kinds, 0)
				ids = append(ids, c)
				total -= int(loc[k][c])
			}
			for s := sc.start[v]; s < sc.start[v+1]; s++ {
				if sdem[s][k] > 0 {
					w = append(w, schoolW[s][k])
					held = append(held, int(sloc[s][k]))
					caps = append(caps, int(sdem[s][k]))
					kinds = append(kinds, 1)
					ids = append(ids, s)
					total -= int(sloc[s][k])
				}
			}
			if len(w) == 0 {
				continue
			}
			for range w {
				seats = append(seats, 0)
			}
			if total < 0 {
				return fmt.Errorf("allocation: internal error: area %q has %d tier-%d seats but its parts hold more; please report this with the input", t.code[v], e.tierSeats[v][k], k)
			}
			out := h.run(total, w, held, caps, seats)
			if out.left != 0 {
				return fmt.Errorf("allocation: internal error: %d tier-%d seats of area %q found no need; please report this with the input", out.left, k, t.code[v])
			}
			ex := explain(total, w, held, caps, seats, out)
			for j := range w {
				u := UnitExplanation{Parent: t.code[v], Tier: k, Seat: Seat{
					Weight: w[j], Quota: ex[j].quota, Held: held[j], Seats: seats[j], Cap: caps[j],
					Capped: seats[j] >= caps[j], Rule: ex[j].rule,
				}}
				if kinds[j] == 0 {
					c := ids[j]
					u.Kind, u.Code, u.AreaWeight = "area", t.code[c], e.areaW[c]
					e.tierSeats[c][k] = int32(seats[j])
					e.nodeSeats[c] += int32(seats[j])
				} else {
					s := ids[j]
					u.Kind, u.Code, u.AreaWeight = "school", e.in.Schools[sc.orig[s]].ID, e.areaW[sc.node[s]]
					e.schoolSeat[s] += int32(seats[j])
				}
				local = append(local, keyedUnit{kind: kinds[j], id: ids[j], u: u})
			}
		}
		// As with the fair order: areas (by code) before schools (by id),
		// the tiers of one unit together.
		slices.SortFunc(local, func(a, b keyedUnit) int {
			if c := cmp.Compare(a.kind, b.kind); c != 0 {
				return c
			}
			if c := cmp.Compare(a.id, b.id); c != 0 {
				return c
			}
			return cmp.Compare(a.u.Tier, b.u.Tier)
		})
		for _, ku := range local {
			e.res.Units = append(e.res.Units, ku.u)
		}
	}
	return nil
}

type keyedUnit struct {
	kind int8
	id   int32
	u    UnitExplanation
}

// placeSchoolStock fills the seats of the schools of node v with their own
// devices, most preferred type first, and puts what they cannot use in
// the node's pool.
func (e *engine) placeSchoolStock(v int32, filled []int32, dirty []bool) {
	if e.schoolHeld == nil {
		return
	}
	sc := e.sc
	for s := sc.start[v]; s < sc.start[v+1]; s++ {
		p := e.schoolHeld[s]
		if p == nil {
			continue
		}
		rank := &e.r.rank[sc.level[s]]
		var own []int32
		for ty := range numTypes {
			own = append(own, p[ty]...)
		}
		slices.SortFunc(own, func(a, b int32) int {
			if c := cmp.Compare(rank[e.devType[a]], rank[e.devType[b]]); c != 0 {
				return c
			}
			return cmp.Compare(e.devRank[a], e.devRank[b])
		})
		n := min(len(own), int(e.schoolSeat[s]-filled[s]))
		at := e.seatStart[s] + filled[s]
		copy(e.assigned[at:at+int32(n)], own[:n])
		filled[s] += int32(n)
		if len(own) == n {
			continue
		}
		if e.held[v] == nil {
			e.held[v] = new([numTypes][]int32)
		}
		for _, d := range own[n:] {
			e.held[v][e.devType[d]] = append(e.held[v][e.devType[d]], d)
		}
		dirty[v] = true
	}
}

// giveSchoolSims gives the SIMs of packages held by a school to that
// school's own 4G recipients (tier order, then the pool order), before any
// other SIM; the packages' remaining SIMs then join the stock of the
// school's area (giveSims).
func (e *engine) giveSchoolSims() error {
	if e.schoolPkgs == nil {
		return nil
	}
	pkgs := e.in.SimPackages
	ai := 0
	for s := range e.sc.orig {
		served := e.servedK[s]
		own := e.schoolPkgs[s]
		if len(own) > 0 {
			pool := e.needs[e.needStart[s]:e.needStart[s+1]]
			for j, k := range served {
				n := &pool[k]
				if n.class != c4G || !n.named {
					continue
				}
				best := -1
				for _, pi := range own {
					p := &e.pkgs[pi]
					if p.remaining == 0 || n.ops&(1<<uint(p.op)) == 0 {
						continue
					}
					if best < 0 || e.betterPkg(int(pi), 0, best, 0) {
						best = int(pi)
					}
				}
				if best < 0 {
					continue
				}
				p := &e.pkgs[best]
				p.remaining--
				p.given++
				a := &e.res.Allocations[ai+j]
				a.SimPackageID, a.SimOperator, a.SimNetwork = pkgs[p.orig].ID, e.ops[p.op], SimNetwork4G
				a.Flag, a.Reason = FlagNone, Reason4GSim
			}
		}
		ai += len(served)
	}
	// The school's packages join its area's stock for everyone else.
	for s, own := range e.schoolPkgs {
		if len(own) > 0 {
			v := e.sc.node[s]
			e.pkgsAt[v] = append(e.pkgsAt[v], own...)
			slices.Sort(e.pkgsAt[v])
		}
	}
	return nil
}

// PolicyExplanation says in one sentence what a tier order does, for the
// outputs.
func PolicyExplanation(tierOrder string) string {
	if strings.TrimSpace(tierOrder) == TierOrderFair {
		return "fair: every area and school received a share of the stock in proportion to its weighted needs (all tiers together)"
	}
	return "strict: tier 1 needs everywhere were served before any tier 2 need, and tier 2 before tier 3, except from stock a school or area holds for its own students"
}

// pupilCount counts one school's pupils for the equipment rates.
type pupilCount struct {
	pupils         int32 // every pupil listed (each id once), priority 0 included
	without        int32 // pupils without a device before this run
	tier12         int32 // pupils of tier 1 or 2
	tier12Equipped int32 // of them, with a device before this run
}

// percent is 100·n/of rounded to 0.1, or empty when of is 0.
func percent(n, of int, empty float64) float64 {
	if of == 0 {
		return empty
	}
	return math.Round(1000*float64(n)/float64(of)) / 10
}
