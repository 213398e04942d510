package report

import (
	"fmt"
	"io"

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
	p("  needs:     %d (tier 1: %d, tier 2: %d, tier 3: %d); already served before: %d\n", t.Needs, t.NeedsTier1, t.NeedsTier2, t.NeedsTier3, v.AlreadyServed)
	sims3G := ""
	if t.Sims3G > 0 {
		sims3G = fmt.Sprintf(" (%d on 3G: no 4G SIM fitted the home)", t.Sims3G)
	}
	p("  allocated: %d devices, %d SIMs%s; unmet: %d\n", len(v.Allocations), v.SimsGiven(), sims3G, t.Unmet)
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
