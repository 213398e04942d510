package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gapmap/gapmap/allocation"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
)

// writeCSV writes one CSV (UTF-8 BOM, formula-safe) to w.
func writeCSV(w io.Writer, header []string, rows func(write func([]string) error) error) error {
	c, err := format.NewCSV(w, header)
	if err != nil {
		return err
	}
	if err := rows(c.Write); err != nil {
		return err
	}
	return c.Flush()
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// AllocationsHeader is the header of allocations.csv and the per-area lists.
func AllocationsHeader() []string {
	return []string{"student_id", "school_id", "school_name", "area_code", "priority", "connectivity",
		"device_id", "device_type", "device_serial", "device_imei", "sim_package_id", "sim_operator", "flag", "reason",
		"rank", "pool_size", "school_seats", "explanation", "handover_status", "sim_iccid", "handed_over_on", "returned_on",
		"sim_network", "sim_activated_on", "sim_ends_on", "sim_renewals"}
}

func day(t interface{ Format(string) string }) string { return t.Format("2006-01-02") }

func (v *View) allocationRecord(a *Row, rec []string) []string {
	status, iccid, on, back, act, ends, renewals := "", "", "", "", "", "", ""
	if h := a.Handover; h != nil {
		status, iccid = h.Status, h.SimICCID
		if h.SimActivatedOn != nil {
			act = day(*h.SimActivatedOn)
		}
		if h.SimEndsOn != nil {
			ends, renewals = day(*h.SimEndsOn), strconv.Itoa(h.SimRenewals)
		}
		if h.HandedOverOn != nil {
			on = day(*h.HandedOverOn)
		}
		if h.ReturnedOn != nil {
			back = day(*h.ReturnedOn)
		}
	}
	return append(rec[:0], a.StudentID, a.SchoolID, v.Schools[a.SchoolID].Name, a.AreaCode, strconv.Itoa(a.Priority), a.Connectivity,
		a.DeviceID, a.DeviceType, a.DeviceSerial, a.DeviceIMEI, a.SimPackageID, a.SimOperator, a.Flag, a.Reason,
		strconv.Itoa(a.Rank), strconv.Itoa(a.PoolSize), strconv.Itoa(a.SchoolSeats), a.Explain(), status, iccid, on, back, a.SimNetwork, act, ends, renewals)
}

// WriteAllocations writes allocations.csv: one row per student served.
func WriteAllocations(w io.Writer, v *View) error {
	return v.writeAllocationRows(w, func(int) bool { return true })
}

func (v *View) writeAllocationRows(w io.Writer, keep func(i int) bool) error {
	return writeCSV(w, AllocationsHeader(), func(write func([]string) error) error {
		rec := make([]string, 0, len(AllocationsHeader()))
		for i := range v.Allocations {
			if !keep(i) {
				continue
			}
			if err := write(v.allocationRecord(&v.Allocations[i], rec)); err != nil {
				return err
			}
		}
		return nil
	})
}

// AreaLists returns, for every area with allocations in its subtree, the
// indexes of those allocations in v.Allocations; codes sorted.
func (v *View) AreaLists() map[string][]int {
	parent := make(map[string]string, len(v.Areas))
	for _, a := range v.Areas {
		parent[a.Code] = a.ParentCode
	}
	lists := map[string][]int{}
	for i, a := range v.Allocations {
		for code, n := a.AreaCode, 0; code != "" && n <= len(parent); code, n = parent[code], n+1 {
			lists[code] = append(lists[code], i)
		}
	}
	return lists
}

// WriteAreaList writes by_area/<code>.csv: the allocations of the schools
// in area code and below.
func WriteAreaList(w io.Writer, v *View, code string) error {
	in := map[int]bool{}
	for _, i := range v.AreaLists()[code] {
		in[i] = true
	}
	return v.writeAllocationRows(w, func(i int) bool { return in[i] })
}

// WriteUnserved writes unserved.csv: needs left waiting, with their place
// in line.
func WriteUnserved(w io.Writer, v *View) error {
	header := []string{"student_id", "school_id", "area_code", "priority", "connectivity", "rank", "pool_size", "school_seats", "reason"}
	return writeCSV(w, header, func(write func([]string) error) error {
		for _, u := range v.Unserved {
			if err := write([]string{u.StudentID, u.SchoolID, u.AreaCode, strconv.Itoa(u.Priority), u.Connectivity,
				strconv.Itoa(u.Rank), strconv.Itoa(u.PoolSize), strconv.Itoa(u.SchoolSeats), u.Reason}); err != nil {
				return err
			}
		}
		return nil
	})
}

// WriteAreaSummary writes area_summary.csv: the total first, then every
// area (every level).
func WriteAreaSummary(w io.Writer, v *View) error {
	header := []string{"area_code", "name", "level", "parent_code", "needs_tier1", "needs_tier2", "needs_tier3", "needs",
		"allocated", "unmet", "sims_given", "needs_sim", "needs_connectivity", "no_connectivity",
		"device_stock", "from_own_stock", "from_parent", "returned_to_parent", "sim_stock",
		"allocated_tier1", "allocated_tier2", "allocated_tier3", "pupils", "pupils_without_device", "equipped", "equipped_pct",
		"tier12_pupils", "tier12_equipped", "tier12_equipped_pct", "priority_tags", "area_weight", "tier_order", "what_the_run_did", "sims_3g"}
	order := v.Run.Settings.TierOrder
	rec := func(m allocation.AreaSummary) []string {
		return []string{m.Code, m.Name, m.Level, m.ParentCode, strconv.Itoa(m.NeedsTier1), strconv.Itoa(m.NeedsTier2), strconv.Itoa(m.NeedsTier3), strconv.Itoa(m.Needs),
			strconv.Itoa(m.Allocated), strconv.Itoa(m.Unmet), strconv.Itoa(m.SimsGiven), strconv.Itoa(m.NeedsSim), strconv.Itoa(m.NeedsConnectivity), strconv.Itoa(m.NoConnectivity),
			strconv.Itoa(m.Stock), strconv.Itoa(m.FromOwnStock), strconv.Itoa(m.FromParent), strconv.Itoa(m.ReturnedToParent), strconv.Itoa(m.SimStock),
			strconv.Itoa(m.AllocatedTier1), strconv.Itoa(m.AllocatedTier2), strconv.Itoa(m.AllocatedTier3), strconv.Itoa(m.Pupils), strconv.Itoa(m.PupilsWithoutDevice),
			strconv.Itoa(m.Equipped), strconv.FormatFloat(m.EquippedPct, 'f', 1, 64), strconv.Itoa(m.Tier12Pupils), strconv.Itoa(m.Tier12Equipped),
			strconv.FormatFloat(m.Tier12EquippedPct, 'f', 1, 64), strings.Join(m.PriorityTags, ";"), areaWeight(m.AreaWeight), order, AreaDid(m, order), strconv.Itoa(m.Sims3G)}
	}
	return writeCSV(w, header, func(write func([]string) error) error {
		total := v.Totals
		total.Name, total.Level = "all areas", "total"
		if err := write(rec(total)); err != nil {
			return err
		}
		for _, m := range v.Areas {
			if err := write(rec(m)); err != nil {
				return err
			}
		}
		return nil
	})
}

func (v *View) unitName(u allocation.UnitExplanation, areas map[string]*allocation.AreaSummary) string {
	if u.Kind == "school" {
		return v.Schools[u.Code].Name
	}
	if a := areas[u.Code]; a != nil {
		return a.Name
	}
	return ""
}

func (v *View) areaIndex() map[string]*allocation.AreaSummary {
	m := make(map[string]*allocation.AreaSummary, len(v.Areas))
	for i := range v.Areas {
		m[v.Areas[i].Code] = &v.Areas[i]
	}
	return m
}

// WriteExplanationCSV writes explanation.csv: per area and school, the
// exact quota, own stock, cap, seats and rule.
func WriteExplanationCSV(w io.Writer, v *View) error {
	areas := v.areaIndex()
	header := []string{"parent_area", "kind", "code", "name", "weight", "exact_quota", "own_stock", "cap", "seats", "capped", "rule",
		"tier_order", "tier", "area_weight"}
	order := v.Run.Settings.TierOrder
	return writeCSV(w, header, func(write func([]string) error) error {
		for _, u := range v.Units {
			tier := "all"
			if u.Tier > 0 {
				tier = strconv.Itoa(u.Tier)
			}
			if err := write([]string{u.Parent, u.Kind, u.Code, v.unitName(u, areas), ftoa(u.Weight), strconv.FormatFloat(u.Quota, 'f', 4, 64),
				strconv.Itoa(u.Held), strconv.Itoa(u.Cap), strconv.Itoa(u.Seats), strconv.FormatBool(u.Capped), u.Rule,
				order, tier, areaWeight(u.AreaWeight)}); err != nil {
				return err
			}
		}
		return nil
	})
}

// maxExplainedUnits bounds the units listed in explanation.md; the CSV has
// them all.
const maxExplainedUnits = 2000

// WriteExplanationMD writes explanation.md: the totals, the rules applied
// and how each area and school got its devices.
func WriteExplanationMD(w io.Writer, v *View) error {
	var b strings.Builder
	t := v.Totals
	s := v.Run.Settings
	areas := v.areaIndex()
	fmt.Fprintf(&b, "# Allocation explained — %s\n\n", md(v.Run.Label()))
	fmt.Fprintf(&b, "Date %s · actor %s · tier order **%s** · policy **%s** · connectivity from %s\n\n", v.Run.Date.Format("2006-01-02"), md(v.Run.Actor), md(s.TierOrder), md(s.Policy), md(v.Run.Coverage))
	fmt.Fprintf(&b, "Tier order %s.\n\n", md(allocation.PolicyExplanation(s.TierOrder)))
	b.WriteString("## Totals\n\n| needs | tier 1 | tier 2 | tier 3 | allocated | unmet | SIMs | needs_sim | needs_connectivity | rejected devices | unused devices |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
	fmt.Fprintf(&b, "| %d | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d |\n\n", t.Needs, t.NeedsTier1, t.NeedsTier2, t.NeedsTier3,
		t.Allocated, t.Unmet, t.SimsGiven, t.NeedsSim, t.NeedsConnectivity, len(v.RejectedDevices), v.UnusedDevices)
	fmt.Fprintf(&b, `## Rules applied

1. **Needs**: students of tier 1 (poor household), 2 (near-poor) and 3 (a parent died of COVID-19) without a device, not served by an earlier committed run; a student id listed twice is served once (see conflicts.csv). Eligibility: tier 1 needs a poor household, tier 2 a poor or near-poor one, tier 3 the covid_orphan flag; a claimed tier the household does not support is served at the tier it supports (near-poor: 2, poor: 1), otherwise not served, and listed in conflicts.csv with its reason.
2. **Intake**: devices failing the minimum specs (seed 004) are not allocated (rejected_devices.csv: repair, inspect — a required condition such as the charger is not stated — or liquidate); SIM packages below %v GB/day for %d months are not used.
3. **Between areas**: each area's devices are shared between its child areas and its own schools by Sainte-Laguë (divisors 1, 3, 5, …) on the weighted needs (tier weights: tier 1 %v, tier 2 %v, tier 3 %v; needs in priority areas multiplied by %s), each unit capped at its unmet need; a unit (a school or an area) keeps its own stock, serving its own students first, and stock it cannot use returns to the parent. %s The exact (unrounded) quota, own stock, cap and seats of every unit are below and in explanation.csv.
4. **Inside a school**: strictly by tier, then by connectivity (%s), then by student id.
5. **Bundle**: fiber home → device only; 4G home → device and a SIM of an operator whose 4G covers the home (flag needs_sim when none is in stock); when no 4G SIM fits a 4G or 3G home, a SIM of an operator whose 3G covers it (sim_network 3G), only after every 4G match of the run; no 4G and no fiber (or no coverage result) → device, flagged needs_connectivity for build-out.

`, s.MinGBPerDay, s.MinMonths, s.TierWeights[1], s.TierWeights[2], s.TierWeights[3], md(areaWeightsText(s.AreaWeights)), tierOrderRule(s.TierOrder), md(s.Policy))
	writeAreasDid(&b, v)
	b.WriteString("\n## How each area and school got its devices\n\n")
	parent := "\x00"
	for i, u := range v.Units {
		if i == maxExplainedUnits {
			fmt.Fprintf(&b, "\n… %d more units: see explanation.csv.\n", len(v.Units)-i)
			break
		}
		if u.Parent != parent {
			parent = u.Parent
			name := "the whole stock"
			if parent != "" {
				name = "area " + md(parent)
				if a := areas[parent]; a != nil && a.Name != "" {
					name += " (" + md(a.Name) + ")"
				}
			}
			fmt.Fprintf(&b, "\n### From %s\n\n", name)
		}
		label := md(u.Code)
		if n := v.unitName(u, areas); n != "" {
			label += " " + md(n)
		}
		tier := ""
		if u.Tier > 0 {
			tier = fmt.Sprintf(" tier %d:", u.Tier)
		}
		aw := ""
		if u.AreaWeight != 1 && u.AreaWeight != 0 {
			aw = " (priority area ×" + ftoa(u.AreaWeight) + ")"
		}
		fmt.Fprintf(&b, "- %s **%s**:%s weight %s%s, exact quota %.2f, own stock %d, cap (unmet need) %d → **%d** device(s); rule: %s\n",
			md(u.Kind), label, tier, ftoa(u.Weight), aw, u.Quota, u.Held, u.Cap, u.Seats, md(u.Rule))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdReplacer escapes what Markdown (CommonMark, GitHub's tables) or HTML
// would read in a name: HTML's < > &, a table's |, emphasis * _, code `,
// links [ ], the backslash itself, and line breaks (a name stays on its
// line: a newline would start a heading or a list).
var mdReplacer = strings.NewReplacer(
	`\`, `\\`, "<", "&lt;", ">", "&gt;", "&", "&amp;", "|", `\|`, "*", `\*`, "_", `\_`, "`", "\\`",
	"[", `\[`, "]", `\]`, "~", `\~`, "\r\n", " ", "\n", " ", "\r", " ",
)

// md makes s (a school or area name, a code, an actor) plain text in
// explanation.md: every Markdown or HTML character escaped, control
// characters dropped, and a leading #, +, - or = escaped so it cannot
// start a heading or a list even at the start of a line.
func md(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return r
		}
		if r < 32 || r == 0x7f || r >= 0x80 && r < 0xa0 {
			return -1
		}
		return r
	}, s)
	s = mdReplacer.Replace(s)
	if t := strings.TrimLeft(s, " "); t != "" && strings.ContainsRune("#+-=>", rune(t[0])) {
		s = s[:len(s)-len(t)] + `\` + t
	}
	return s
}

// WriteRejectedDevices writes rejected_devices.csv: devices failing the
// minimum specs, with reason codes and what to do.
func WriteRejectedDevices(w io.Writer, v *View) error {
	header := []string{"device_id", "type", "donor", "area_code", "serial", "imei", "status", "reasons", "liquidate_reasons", "warnings", "action"}
	return writeCSV(w, header, func(write func([]string) error) error {
		for _, r := range v.RejectedDevices {
			if err := write([]string{r.DeviceID, r.Type, r.Donor, r.AreaCode, r.Serial, r.IMEI, r.Status,
				strings.Join(r.Reasons, ";"), strings.Join(r.Liquidate, ";"), strings.Join(r.Warnings, ";"), DeviceAction(r.Status)}); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeviceAction says what to do with a device of a spec-check status.
func DeviceAction(status string) string {
	switch status {
	case allocation.StatusOK:
		return "allocate"
	case allocation.StatusLiquidate:
		return "liquidate (sell) to fund new devices: no repair meets the minimum specs"
	case allocation.StatusInspect:
		return "inspect: record the conditions the reasons name (unknown_...), repair what fails and register it again"
	}
	return "repair what the reasons name, check again and register it again"
}

// WriteRejectedSims writes rejected_sims.csv: SIM packages below the
// minimum.
func WriteRejectedSims(w io.Writer, v *View) error {
	return writeCSV(w, []string{"package_id", "operator", "reasons"}, func(write func([]string) error) error {
		for _, r := range v.RejectedSims {
			if err := write([]string{r.PackageID, r.Operator, strings.Join(r.Reasons, ";")}); err != nil {
				return err
			}
		}
		return nil
	})
}

// WriteSimStock writes sim_stock.csv: SIMs per package before, given, left.
func WriteSimStock(w io.Writer, v *View) error {
	header := []string{"package_id", "operator", "area_code", "quantity", "issued_before", "given", "remaining"}
	return writeCSV(w, header, func(write func([]string) error) error {
		for _, p := range v.SimStock {
			if err := write([]string{p.PackageID, p.Operator, p.AreaCode, strconv.Itoa(p.Quantity), strconv.Itoa(p.UsedEarly), strconv.Itoa(p.Given), strconv.Itoa(p.Remaining)}); err != nil {
				return err
			}
		}
		return nil
	})
}

// eligibilityAction says what the run did with a student whose claimed tier
// is not supported.
func eligibilityAction(c allocation.Conflict) string {
	fix := "correct the student's tier, the household's poverty status or the covid_orphan flag"
	if c.ServedTier == 0 {
		return fmt.Sprintf("not served (tier %d claimed, not supported): %s", c.ClaimedTier, fix)
	}
	return fmt.Sprintf("served at tier %d, not the claimed tier %d: %s", c.ServedTier, c.ClaimedTier, fix)
}

// WriteConflicts writes conflicts.csv: student ids listed more than once,
// and students whose tier the household's poverty status or the COVID-19
// flag does not support (reason set).
func WriteConflicts(w io.Writer, v *View) error {
	header := []string{"student_id", "school_ids", "kept_school_id", "action", "reason", "claimed_tier", "served_tier", "household_poverty", "same_as"}
	return writeCSV(w, header, func(write func([]string) error) error {
		for _, c := range v.Conflicts {
			row := []string{c.StudentID, strings.Join(c.SchoolIDs, ";"), c.KeptSchoolID,
				"served at most once, at " + c.KeptSchoolID + ": correct the student lists so the id appears once", "", "", "", "", ""}
			switch {
			case c.Reason == allocation.ReasonSameChild:
				row[3] = fmt.Sprintf("not served: the same child (name and date of birth) as student %s at %s, served once under that id; keep one id in the lists", c.SameAs, c.KeptSchoolID)
				row[4], row[5], row[6], row[8] = c.Reason, strconv.Itoa(c.ClaimedTier), "0", c.SameAs
			case c.Reason != "":
				row[3] = eligibilityAction(c)
				row[4], row[5], row[6], row[7] = c.Reason, strconv.Itoa(c.ClaimedTier), strconv.Itoa(c.ServedTier), c.Poverty
			}
			if err := write(row); err != nil {
				return err
			}
		}
		return nil
	})
}

// WriteReadme writes README.txt: what the run is and what each file holds.
func WriteReadme(w io.Writer, v *View) error {
	_, err := fmt.Fprintf(w, `gapmap allocation — %s
Date: %s   Actor: %s   Policy: %s   Connectivity: %s
Tier order: %s

PERSONAL DATA (Decree 13/2023/NĐ-CP): allocations.csv, unserved.csv,
conflicts.csv, by_area/ and handover/ hold student ids. They are internal
files of the education office: never send them to telecom operators or
publish them. area_summary.csv, explanation.*, sim_stock.csv and
rejected_*.csv hold no personal data.

allocations.csv      one row per student served (device, SIM, flag, reason, handover)
unserved.csv         students in need left waiting, with their place in line
area_summary.csv     per area (every level) and in total: needs, allocated, unmet, SIMs, surplus
explanation.csv/.md  how each area and school got its devices
rejected_devices.csv devices failing the minimum specs (repair, inspect or liquidate)
rejected_sims.csv    SIM packages below the minimum data
sim_stock.csv        SIMs per package: before, given, left
conflicts.csv        student ids listed more than once; tiers not supported by the household's poverty or the COVID-19 flag (reason)
handover/            one printable handover list per school (XLSX)
by_area/             the allocations of each area, for its officers
`, v.Run.Label(), v.Run.Date.Format("2006-01-02"), v.Run.Actor, v.Run.Settings.Policy, v.Run.Coverage, allocation.PolicyExplanation(v.Run.Settings.TierOrder))
	if err != nil {
		return err
	}
	return writeRenamed(w, v)
}

// writeRenamed lists the handover and area files whose name is not the
// school id or area code itself (characters a file system refuses, ids
// that collide once cleaned, ids too long for a file name).
func writeRenamed(w io.Writer, v *View) error {
	var b strings.Builder
	for _, part := range []struct {
		dir, ext, what string
		names          map[string]string
	}{
		{"handover/", ".xlsx", "school", v.HandoverNames()},
		{"by_area/", ".csv", "area", v.AreaListNames()},
	} {
		ids := Renamed(part.names)
		if len(ids) == 0 {
			continue
		}
		if b.Len() == 0 {
			b.WriteString("\nFile names that are not the id itself (the id has characters a file name\n" +
				"cannot hold, is too long, or collides with another id once cleaned; a\n" +
				"short hash of the id tells them apart):\n")
		}
		for _, id := range ids {
			label := id
			if part.what == "school" {
				if n := v.Schools[id].Name; n != "" {
					label += " (" + n + ")"
				}
			}
			fmt.Fprintf(&b, "  %s%s%s  %s %s\n", part.dir, part.names[id], part.ext, part.what, strconv.Quote(label))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// areaWeight prints an area weight; 0 (a run recorded before area
// weights) is 1.
func areaWeight(w float64) string {
	if w == 0 {
		w = 1
	}
	return ftoa(w)
}

// areaWeightsText lists the area weights of the settings.
func areaWeightsText(w map[string]float64) string {
	var parts []string
	for _, tag := range data.AreaTags() {
		if x, ok := w[tag]; ok {
			parts = append(parts, fmt.Sprintf("%s %s", tag, ftoa(x)))
		}
	}
	if len(parts) == 0 {
		return "1 (no area weights)"
	}
	return strings.Join(parts, ", ")
}

// tierOrderRule is rule 3's sentence on the tier order.
func tierOrderRule(order string) string {
	if order == allocation.TierOrderFair {
		return "Tier order **fair**: all tiers are apportioned together, so an area with only tier-3 needs receives its share while tier-1 needs elsewhere wait."
	}
	return "Tier order **strict**: the apportionment runs once per tier — all tier-1 needs of the whole tree first, then tier 2 with what is left, then tier 3 — so no device reaches a lower tier while a higher-tier need it could serve waits, except stock held by a school or area for its own students; each unit has one line per tier below."
}

// writeAreasDid writes the per-area table of what the run did.
func writeAreasDid(b *strings.Builder, v *View) {
	order := v.Run.Settings.TierOrder
	b.WriteString("## What the run did in each area\n\n| area | name | priority | needs (tier 1/2/3) | served (tier 1/2/3) | unmet | pupils equipped | tier 1–2 equipped | what it did |\n|---|---|---|---|---|---|---|---|---|\n")
	for i, m := range v.Areas {
		if i == maxExplainedUnits {
			fmt.Fprintf(b, "\n… %d more areas: see area_summary.csv.\n", len(v.Areas)-i)
			break
		}
		prio := "–"
		if len(m.PriorityTags) > 0 {
			prio = md(strings.Join(m.PriorityTags, ", ")) + " ×" + areaWeight(m.AreaWeight)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %d/%d/%d | %d/%d/%d | %d | %.1f %% | %.1f %% | %s |\n", md(m.Code), md(m.Name), prio,
			m.NeedsTier1, m.NeedsTier2, m.NeedsTier3, m.AllocatedTier1, m.AllocatedTier2, m.AllocatedTier3, m.Unmet,
			m.EquippedPct, m.Tier12EquippedPct, md(AreaDid(m, order)))
	}
}
