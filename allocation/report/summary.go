package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/gapmap/gapmap/allocation"
)

// WriteSummary writes the few lines a terminal shows after a run; dir,
// when not empty, is where the files went.
func WriteSummary(w io.Writer, v *View, dir string) error {
	t := v.Totals
	var err error
	p := func(format string, a ...any) {
		if err == nil {
			_, err = fmt.Fprintf(w, format, a...)
		}
	}
	p("allocation, %s, policy %s, connectivity from %s\n", v.Run.Label(), v.Run.Settings.Policy, v.Run.Coverage)
	p("  tier order: %s\n", allocation.PolicyExplanation(v.Run.Settings.TierOrder))
	p("  needs:     %d (tier 1: %d, tier 2: %d, tier 3: %d); already served before: %d\n", t.Needs, t.NeedsTier1, t.NeedsTier2, t.NeedsTier3, v.AlreadyServed)
	sims3G := ""
	if t.Sims3G > 0 {
		sims3G = fmt.Sprintf(" (%d on 3G: no 4G SIM fitted the home)", t.Sims3G)
	}
	p("  allocated: %d devices, %d SIMs%s; unmet: %d\n", len(v.Allocations), v.SimsGiven(), sims3G, t.Unmet)
	p("  by tier:   served tier 1: %d of %d, tier 2: %d of %d, tier 3: %d of %d; areas with needs and nobody served: %d\n",
		t.AllocatedTier1, t.NeedsTier1, t.AllocatedTier2, t.NeedsTier2, t.AllocatedTier3, t.NeedsTier3, AreasNobodyServed(v.Areas))
	p("  pupils:    %d, %d without a device before this run (priority 0 included); equipped after it: %d (%.1f %%); tier 1–2 equipped: %d of %d (%.1f %%)\n",
		t.Pupils, t.PupilsWithoutDevice, t.Equipped, t.EquippedPct, t.Tier12Equipped, t.Tier12Pupils, t.Tier12EquippedPct)
	p("  flagged:   %d needs_connectivity (no 4G, no fiber: build-out), %d needs_sim (no SIM of a covering operator in stock)\n", t.NeedsConnectivity, t.NeedsSim)
	p("  devices:   %d rejected at intake, %d left in stock (only once every reachable need is met), %d allocated before\n", len(v.RejectedDevices), v.UnusedDevices, v.AlreadyAllocated)
	if dup, elig := countConflicts(v.Conflicts); dup+elig > 0 {
		p("  conflicts: %d student ids listed more than once, %d tiers the household or the COVID-19 flag does not support: see conflicts.csv and fix the lists\n", dup, elig)
	}
	if n := countSameChild(v.Conflicts); n > 0 {
		p("  same child: %d ids are the same child (name and date of birth) as another id: served once, see conflicts.csv\n", n)
	}
	if dir != "" {
		p("  files:     %s (student ids inside: internal to the education office)\n", dir)
	}
	return err
}

// countSameChild counts ids found to be the same child as another id.
func countSameChild(cs []allocation.Conflict) int {
	n := 0
	for _, c := range cs {
		if c.Reason == allocation.ReasonSameChild {
			n++
		}
	}
	return n
}

// countConflicts counts duplicate-id and eligibility conflicts.
func countConflicts(cs []allocation.Conflict) (dup, elig int) {
	for _, c := range cs {
		if c.Reason == allocation.ReasonSameChild {
			continue
		}
		if c.Reason != "" {
			elig++
		} else {
			dup++
		}
	}
	return dup, elig
}

// AreasNobodyServed counts the areas (any level) with needs where this run
// served nobody.
func AreasNobodyServed(areas []allocation.AreaSummary) int {
	n := 0
	for _, a := range areas {
		if a.Needs > 0 && a.Allocated == 0 {
			n++
		}
	}
	return n
}

// AreaDid says in a few words what the run did for one area's subtree:
// each tier's needs served, and why lower tiers waited or were served.
func AreaDid(m allocation.AreaSummary, tierOrder string) string {
	if m.Needs == 0 {
		return "no needs"
	}
	needs := [4]int{0, m.NeedsTier1, m.NeedsTier2, m.NeedsTier3}
	got := [4]int{0, m.AllocatedTier1, m.AllocatedTier2, m.AllocatedTier3}
	var parts []string
	short := 0 // the first tier not met in full
	for k := 1; k <= 3; k++ {
		if needs[k] == 0 {
			continue
		}
		switch got[k] {
		case needs[k]:
			parts = append(parts, fmt.Sprintf("tier %d met in full (%d)", k, needs[k]))
		case 0:
			parts = append(parts, fmt.Sprintf("tier %d: none of %d", k, needs[k]))
		default:
			parts = append(parts, fmt.Sprintf("tier %d: %d of %d", k, got[k], needs[k]))
		}
		if got[k] < needs[k] && short == 0 {
			short = k
		}
	}
	s := strings.Join(parts, "; ")
	lower, lowerNeeds := 0, 0
	for k := short + 1; short > 0 && k <= 3; k++ {
		lower += got[k]
		lowerNeeds += needs[k]
	}
	switch {
	case short == 0:
	case tierOrder == allocation.TierOrderFair:
		s += "; share of the stock by weighted need, all tiers together"
	case lower > 0:
		s += fmt.Sprintf("; %d of a lower tier served with devices no waiting tier-%d student here could take (stock a school or area holds for its own students, or a desktop without Wi-Fi for a fiber home)", lower, short)
	case lowerNeeds > 0:
		s += fmt.Sprintf("; lower tiers wait until tier %d is met", short)
	}
	return s
}
