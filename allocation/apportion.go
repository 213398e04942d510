package allocation

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Unit is one recipient of an apportionment: an area or a school.
type Unit struct {
	Code   string  `json:"code"`   // unique among the units; ties are broken by Code
	Weight float64 `json:"weight"` // weighted need; > 0 unless the unit cannot take a seat (Cap <= Held)
	Cap    int     `json:"cap"`    // most seats the unit may hold in all (its unmet demand)
	Held   int     `json:"held"`   // seats it holds already (its own stock); never taken back
}

// Seat is the explained outcome for one unit.
type Seat struct {
	Code   string  `json:"code"`
	Weight float64 `json:"weight"`
	// Quota is the exact, unrounded share: (total + all units' Held) ×
	// Weight / (sum of weights).
	Quota float64 `json:"quota"`
	Held  int     `json:"held"`
	Seats int     `json:"seats"` // seats in all, Held included
	Cap   int     `json:"cap"`
	// Capped: the unit holds its cap (its demand is fully met).
	Capped bool `json:"capped"`
	// Rule says which rule decided the seats, "; "-joined when several did:
	// RuleSainteLague, RuleOwnStock, RuleCapped, RuleTie.
	Rule string `json:"rule"`
}

// Rules of an apportionment.
const (
	// RuleSainteLague: seats given by the Sainte-Laguë (Webster) order,
	// highest Weight/(2·seats+1) first.
	RuleSainteLague = "sainte-lague"
	// RuleOwnStock: the unit took nothing from the pool: its own stock
	// (Held) already put its next seat behind the last one given.
	RuleOwnStock = "own stock"
	// RuleCapped: the unit would have received more, but its cap (unmet
	// demand) stopped it; the seat went to the next unit.
	RuleCapped = "capped at demand"
	// RuleTie: the last seat was decided between units of equal priority, in
	// favour of the smaller code.
	RuleTie = "tie broken by code"
)

// Apportion hands out total seats (on top of the units' Held seats) by
// Sainte-Laguë: repeatedly, the unit with the highest Weight/(2s+1), s its
// seats so far, takes the next seat, until the seats run out or every unit
// holds its Cap. Ties go to the smaller Code (then the earlier unit). A
// priority queue makes it O(total · log units); it is house-monotone (a
// larger total never gives any unit fewer seats) because it is sequential.
// Seats left when every unit is capped are not handed out: the sum of
// Seats[i].Seats − Held tells how many were used. The result is in input
// order.
func Apportion(total int, units []Unit) ([]Seat, error) {
	if total < 0 {
		return nil, fmt.Errorf("apportion: total is %d; it must be 0 or more", total)
	}
	order := make([]int, len(units))
	for i := range order {
		order[i] = i
	}
	for i, u := range units {
		if u.Cap < 0 || u.Held < 0 {
			return nil, fmt.Errorf("apportion: unit %q has Cap %d and Held %d; both must be 0 or more", u.Code, u.Cap, u.Held)
		}
		if math.IsNaN(u.Weight) || math.IsInf(u.Weight, 0) || u.Weight < 0 || (u.Weight == 0 && u.Cap > u.Held) {
			return nil, fmt.Errorf("apportion: unit %q (#%d) has weight %v; a unit that can take seats needs a finite weight > 0", u.Code, i+1, u.Weight)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(units[a].Code, units[b].Code) })
	n := len(units)
	w := make([]float64, n)
	held := make([]int, n)
	caps := make([]int, n)
	seats := make([]int, n)
	for k, i := range order {
		w[k], held[k], caps[k] = units[i].Weight, units[i].Held, units[i].Cap
	}
	var h slHeap
	out := h.run(total, w, held, caps, seats)
	ex := explain(total, w, held, caps, seats, out)
	res := make([]Seat, n)
	for k, i := range order {
		res[i] = Seat{
			Code: units[i].Code, Weight: w[k], Quota: ex[k].quota, Held: held[k],
			Seats: seats[k], Cap: caps[k], Capped: seats[k] >= caps[k], Rule: ex[k].rule,
		}
	}
	return res, nil
}

// slHeap is a reusable Sainte-Laguë priority queue: a binary max-heap of
// unit indexes ordered by priority, then by the smaller index.
type slHeap struct {
	idx []int32
	pri []float64
}

// slOutcome tells how a run ended, for the explanations.
type slOutcome struct {
	left    int     // seats not handed out (every unit capped)
	last    int     // unit given the last seat from the queue; -1 if none
	lastPri float64 // its priority then
}

func (h *slHeap) less(a, b int32) bool {
	pa, pb := h.pri[a], h.pri[b]
	return pa > pb || (pa == pb && a < b)
}

func (h *slHeap) up(j int) {
	for j > 0 {
		p := (j - 1) / 2
		if !h.less(h.idx[j], h.idx[p]) {
			break
		}
		h.idx[j], h.idx[p] = h.idx[p], h.idx[j]
		j = p
	}
}

func (h *slHeap) down(j int) {
	n := len(h.idx)
	for {
		l := 2*j + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h.less(h.idx[r], h.idx[l]) {
			m = r
		}
		if !h.less(h.idx[m], h.idx[j]) {
			return
		}
		h.idx[j], h.idx[m] = h.idx[m], h.idx[j]
		j = m
	}
}

// run hands out total seats over the units (ties to the smaller index) and
// writes each unit's seats, Held included, into seats.
func (h *slHeap) run(total int, w []float64, held, caps, seats []int) slOutcome {
	room := 0
	for i := range w {
		seats[i] = held[i]
		if caps[i] > held[i] {
			room += caps[i] - held[i]
		}
	}
	if total >= room {
		for i := range w {
			seats[i] = max(held[i], caps[i])
		}
		return slOutcome{left: total - room, last: -1}
	}
	if cap(h.pri) < len(w) {
		h.pri = make([]float64, len(w))
	}
	h.pri = h.pri[:len(w)]
	h.idx = h.idx[:0]
	for i := range w {
		if seats[i] < caps[i] {
			h.pri[i] = w[i] / float64(2*seats[i]+1)
			h.idx = append(h.idx, int32(i))
		}
	}
	for j := len(h.idx)/2 - 1; j >= 0; j-- {
		h.down(j)
	}
	out := slOutcome{last: -1}
	for range total {
		i := h.idx[0]
		out.last, out.lastPri = int(i), h.pri[i]
		seats[i]++
		if seats[i] < caps[i] {
			h.pri[i] = w[i] / float64(2*seats[i]+1)
		} else {
			last := len(h.idx) - 1
			h.idx[0] = h.idx[last]
			h.idx = h.idx[:last]
		}
		h.down(0)
	}
	return out
}

type unitExplanation struct {
	quota float64
	rule  string
}

// beats reports whether a slot of unit i with priority p comes before the
// last slot given.
func (o slOutcome) beats(i int, p float64) bool {
	return p > o.lastPri || (p == o.lastPri && i < o.last)
}

// explain gives each unit its exact quota and the rule that decided it.
func explain(total int, w []float64, held, caps, seats []int, o slOutcome) []unitExplanation {
	sumW, sumHeld := 0.0, 0
	for i := range w {
		sumW += w[i]
		sumHeld += held[i]
	}
	T := float64(total + sumHeld)
	// A tie at the cut: some unit that could take more has its next slot at
	// exactly the priority of the last slot given.
	tie := false
	if o.last >= 0 && o.left == 0 {
		for i := range w {
			if seats[i] < caps[i] && w[i]/float64(2*seats[i]+1) == o.lastPri {
				tie = true
				break
			}
		}
	}
	ex := make([]unitExplanation, len(w))
	var parts []string
	for i := range w {
		if sumW > 0 {
			ex[i].quota = T * w[i] / sumW
		}
		parts = parts[:0]
		if held[i] > 0 && seats[i] == held[i] {
			parts = append(parts, RuleOwnStock)
		} else {
			parts = append(parts, RuleSainteLague)
		}
		if seats[i] >= caps[i] && caps[i] > 0 && total > 0 &&
			(o.left > 0 || (o.last >= 0 && o.beats(i, w[i]/float64(2*seats[i]+1)))) {
			parts = append(parts, RuleCapped)
		}
		if tie {
			won := seats[i] > held[i] && w[i]/float64(2*seats[i]-1) == o.lastPri
			lost := seats[i] < caps[i] && w[i]/float64(2*seats[i]+1) == o.lastPri
			if won || lost {
				parts = append(parts, RuleTie)
			}
		}
		ex[i].rule = joinRule(parts)
	}
	return ex
}

// joinRule joins rule parts, without allocating for the common single rule.
func joinRule(parts []string) string {
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts, "; ")
}
