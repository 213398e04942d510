package coverage

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// FormatTimings writes the phases of a run on one line:
// "read 0.12s, sectors 0.40s, …".
func FormatTimings(ts []Timing) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = fmt.Sprintf("%s %.2fs", t.Phase, t.Seconds)
	}
	return strings.Join(parts, ", ")
}

// WriteTotals writes the totals of a run for a person: homes by class,
// tier 1–3 students without 4G or fiber, schools and the five first gap
// areas.
func (r *Result) WriteTotals(w io.Writer) error {
	bw := bufio.NewWriter(w)
	t := r.Total
	pct := func(a, b int) float64 {
		if b == 0 {
			return 0
		}
		return 100 * float64(a) / float64(b)
	}
	hh := t.Households.Fiber + t.Households.G4 + t.Households.G3 + t.Households.G2 + t.Households.None
	pr := t.PriorityStudents
	prTotal := pr.Fiber + pr.G4 + pr.G3 + pr.G2 + pr.None
	fmt.Fprintf(bw, "%d homes: fiber %d, 4G %d, 3G only %d, 2G only %d, none %d (%.1f%% without 4G or fiber)\n",
		hh, t.Households.Fiber, t.Households.G4, t.Households.G3, t.Households.G2, t.Households.None, pct(t.Households.Unconnected(), hh))
	fmt.Fprintf(bw, "%d tier 1–3 students, %d of them (%.1f%%) at homes without 4G or fiber\n", prTotal, pr.Unconnected(), pct(pr.Unconnected(), prTotal))
	fmt.Fprintf(bw, "%d schools without 4G or fiber; %d gap areas\n", t.Schools.Unconnected(), len(r.Gaps))
	for k := 0; k < len(r.Gaps) && k < 5; k++ {
		g := &r.Gaps[k]
		fmt.Fprintf(bw, "  #%d %s area %s: %d homes, %d tier 1–3 students, %d schools; %s %.0f M VND; score %.2f\n",
			g.Rank, g.ID, g.AreaCode, g.Households, g.Students[1]+g.Students[2]+g.Students[3], g.Schools, g.Score.Option, g.Score.CostVND/1e6, g.Score.Score)
	}
	return bw.Flush()
}

// WriteReport writes the plan for a person: the sites in build order, the
// site-versus-fiber count of the gap areas and, when after (the what-if of
// the plan on r) is not nil, what would remain.
func (p *Plan) WriteReport(w io.Writer, r, after *Result) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%d gap areas, %.1f weighted beneficiaries without 4G or fiber; plan by %s:\n", len(r.Gaps), p.Demand, p.Method)
	fmt.Fprintf(bw, "%4s  %-15s  %-9s  %-8s  %8s  %10s  %8s  %10s  %12s  %12s\n", "rank", "h3", "area", "env", "range_m", "cost_MVND", "benef.", "cum.benef.", "cum.cost_MVND", "MVND/benef.")
	for _, st := range p.Steps {
		fmt.Fprintf(bw, "%4d  %-15s  %-9s  %-8s  %8.0f  %10.0f  %8.1f  %10.1f  %12.0f  %12.1f\n", st.Rank, st.H3, st.AreaCode, st.Environment,
			st.RangeM, st.CostVND/1e6, st.Weighted, st.CumulativeWeighted, st.CumulativeCostVND/1e6, st.CostPerBeneficiaryVND/1e6)
	}
	fiber := 0
	for _, g := range p.Gaps {
		if g.Recommended == "fiber" {
			fiber++
		}
	}
	fmt.Fprintf(bw, "per gap area: %d cheaper by fiber extension, %d by new sites (cost per beneficiary)\n", fiber, len(p.Gaps)-fiber)
	if after != nil {
		before, left := r.WeightedUnconnected(), after.WeightedUnconnected()
		fmt.Fprintf(bw, "what-if (affected area only): building the %d sites leaves %.1f of %.1f weighted beneficiaries without 4G or fiber, %d gap areas\n",
			len(p.Steps), left, before, len(after.Gaps))
	}
	return bw.Flush()
}
