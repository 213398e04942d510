package allocation

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data"
)

func withOrder(order string) Settings {
	s := DefaultSettings()
	s.TierOrder = order
	return s
}

func unitsOf(res *Result, code string) []UnitExplanation {
	var out []UnitExplanation
	for _, u := range res.Units {
		if u.Code == code {
			out = append(out, u)
		}
	}
	return out
}

// Strict vs fair on 4 devices at the province: D1 has 4 tier-1 needs, D2 4
// tier-3 needs. Fair (weights 3, 1): D1 3, D2 1 (see
// TestApportionByTierWeight). Strict: every tier-1 need first: D1 4, D2 0;
// one explanation per tier: D1 tier 1 quota 4 seats 4, D2 tier 3 quota 0
// (nothing left for tier 3) seats 0.
func TestStrictVsFair(t *testing.T) {
	in := Input{
		Areas:   []data.Area{area("P", ""), area("D1", "P"), area("D2", "P")},
		Schools: []data.School{school("S1", data.LevelUpper, "D1"), school("S2", data.LevelUpper, "D2")},
		Devices: []data.Device{laptop("L1", ""), laptop("L2", ""), laptop("L3", ""), laptop("L4", "")},
	}
	for _, i := range "0123" {
		in.Students = append(in.Students, student("a"+string(i), "S1", 1, ""), student("b"+string(i), "S2", 3, ""))
	}
	fair := run(t, in, withOrder(TierOrderFair))
	if d1, d2 := summary(fair, "D1"), summary(fair, "D2"); d1.Allocated != 3 || d2.Allocated != 1 || d2.AllocatedTier3 != 1 {
		t.Fatalf("fair: D1 %d, D2 %d (tier 3 %d); want 3, 1, 1", d1.Allocated, d2.Allocated, d2.AllocatedTier3)
	}
	if fair.TierOrder != TierOrderFair || unitsOf(fair, "D1")[0].Tier != 0 {
		t.Fatalf("fair: tier order %q, D1 units %+v", fair.TierOrder, unitsOf(fair, "D1"))
	}
	strict := run(t, in, DefaultSettings())
	if strict.TierOrder != TierOrderStrict {
		t.Fatalf("the default tier order is %q, want strict", strict.TierOrder)
	}
	if d1, d2 := summary(strict, "D1"), summary(strict, "D2"); d1.Allocated != 4 || d2.Allocated != 0 || d1.AllocatedTier1 != 4 {
		t.Fatalf("strict: D1 %d (tier 1 %d), D2 %d; want 4, 4, 0", d1.Allocated, d1.AllocatedTier1, d2.Allocated)
	}
	if got := studentIDs(strict); got != "a0 a1 a2 a3" {
		t.Fatalf("strict served %s", got)
	}
	d1 := unitsOf(strict, "D1")
	if len(d1) != 1 || d1[0].Tier != 1 || d1[0].Seats != 4 || d1[0].Quota != 4 || d1[0].Cap != 4 || d1[0].Parent != "P" || !d1[0].Capped {
		t.Fatalf("strict D1 units %+v", d1)
	}
	d2 := unitsOf(strict, "D2")
	if len(d2) != 1 || d2[0].Tier != 3 || d2[0].Seats != 0 || d2[0].Quota != 0 || d2[0].Cap != 4 || d2[0].AreaWeight != 1 {
		t.Fatalf("strict D2 units %+v", d2)
	}
	// The root apportions P's seats per tier: tier 1 4 (all), tier 3 0.
	p := unitsOf(strict, "P")
	if len(p) != 2 || p[0].Tier != 1 || p[0].Seats != 4 || p[1].Tier != 3 || p[1].Seats != 0 {
		t.Fatalf("strict P units %+v", p)
	}
	if strict.Totals.AllocatedTier1 != 4 || strict.Totals.AllocatedTier3 != 0 || fair.Totals.AllocatedTier1 != 3 || fair.Totals.AllocatedTier3 != 1 {
		t.Fatalf("totals by tier: strict %+v fair %+v", strict.Totals, fair.Totals)
	}
}

// Strict with tiers 1 and 2 in one area and tier 1 in another: 5 devices,
// D1: 2 tier-1, 3 tier-2; D2: 4 tier-1. Tier 1 first: 6 needs, 5 devices
// → Sainte-Laguë on weights 6 (D1) and 12 (D2) capped at 2 and 4: D2 12,
// D1 6, D2 4, D2 2.4, D1 2 (D2's 1.71 comes later) → D1 2, D2 3; tier 2
// gets nothing while a tier-1 need of D2 waits.
func TestStrictTierOneEverywhereFirst(t *testing.T) {
	in := Input{
		Areas:   []data.Area{area("P", ""), area("D1", "P"), area("D2", "P")},
		Schools: []data.School{school("S1", data.LevelUpper, "D1"), school("S2", data.LevelUpper, "D2")},
	}
	for _, id := range []string{"L1", "L2", "L3", "L4", "L5"} {
		in.Devices = append(in.Devices, laptop(id, "P"))
	}
	in.Students = append(in.Students, student("a1", "S1", 1, ""), student("a2", "S1", 1, ""),
		student("b1", "S1", 2, ""), student("b2", "S1", 2, ""), student("b3", "S1", 2, ""))
	for _, id := range []string{"c1", "c2", "c3", "c4"} {
		in.Students = append(in.Students, student(id, "S2", 1, ""))
	}
	res := run(t, in, DefaultSettings())
	if got := studentIDs(res); got != "a1 a2 c1 c2 c3" {
		t.Fatalf("strict served %s", got)
	}
	if s := summary(res, "D1"); s.AllocatedTier1 != 2 || s.AllocatedTier2 != 0 || s.Unmet != 3 {
		t.Fatalf("D1 %+v", s)
	}
	// Fair: weights D1 2·3+3·2 = 12, D2 4·3 = 12: D1 12 (code first), D2
	// 12, D1 4, D2 4, D1 2.4 → D1 3 (a1, a2, b1), D2 2.
	fair := run(t, in, withOrder(TierOrderFair))
	if got := studentIDs(fair); got != "a1 a2 b1 c1 c2" {
		t.Fatalf("fair served %s", got)
	}
}

// A school's own stock serves its own students first, in tier order, even
// with the strict order: S2 holds 2 tablets and has tier-3 pupils only; 2
// laptops at the province go to S1's tier-1 pupils; S1's other two tier-1
// pupils wait while S2's tier-3 pupils have their school's tablets.
func TestSchoolStockServesOwnFirst(t *testing.T) {
	in := Input{
		Areas:   []data.Area{area("P", ""), area("D1", "P"), area("D2", "P")},
		Schools: []data.School{school("S1", data.LevelUpper, "D1"), school("S2", data.LevelUpper, "D2")},
		Devices: []data.Device{laptop("L1", ""), laptop("L2", ""), tablet("T1", ""), tablet("T2", "D2")},
	}
	in.Devices[2].SchoolID = "S2" // area_code empty: the school's area
	in.Devices[3].SchoolID = "S2" // area_code the school's area
	for _, i := range "0123" {
		in.Students = append(in.Students, student("a"+string(i), "S1", 1, ""), student("b"+string(i), "S2", 3, ""))
	}
	for _, order := range []string{TierOrderStrict, TierOrderFair} {
		res := run(t, in, withOrder(order))
		got := byStudent(res)
		if got["a0"].DeviceID != "L1" || got["a1"].DeviceID != "L2" || got["b0"].DeviceID != "T1" || got["b1"].DeviceID != "T2" || len(got) != 4 {
			t.Fatalf("%s: allocations %v", order, studentIDs(res))
		}
		d2 := summary(res, "D2")
		if d2.Stock != 2 || d2.FromOwnStock != 2 || d2.FromParent != 0 || d2.ReturnedToParent != 0 {
			t.Fatalf("%s: D2 %+v", order, d2)
		}
		for _, u := range unitsOf(res, "S2") {
			if u.Held != 2 || u.Seats != 2 || u.Rule != RuleOwnStock {
				t.Fatalf("%s: S2 unit %+v", order, u)
			}
		}
	}
}

// Inside a school, its own stock goes by tier: one tablet held by S1,
// pupil "a" tier 3 and "z" tier 1: z gets it. A school's own stock serves
// all its pupils first (a, tier 3, before c1, tier 1, at S2); its surplus
// goes to its area's pool: S1 holds 3 tablets and needs 2, the third goes
// to c1 (tier 1) at S2 in the same commune before c2 (tier 2). The
// school's SIM package serves its own 4G pupil (a) first, though c1 comes
// first in the tier order of SIMs; c1 gets the commune's package.
func TestSchoolStockSurplusAndSims(t *testing.T) {
	in := Input{
		Areas:   []data.Area{area("P", ""), area("C", "P")},
		Schools: []data.School{school("S1", data.LevelUpper, "C"), school("S2", data.LevelUpper, "C")},
		Devices: []data.Device{tablet("T1", ""), tablet("T2", ""), tablet("T3", "")},
		Students: []data.Student{
			student("a", "S1", 3, "H4a"), student("z", "S1", 1, "Hf"),
			student("c1", "S2", 1, "H4c"), student("c2", "S2", 2, "H4d"),
		},
		SimPackages: []data.SimPackage{sim("PS", "viettel", "", 1), sim("PC", "viettel", "C", 1)},
		Connectivity: map[string]Connectivity{
			"H4a": {Class: Class4G, Operators4G: []string{"viettel"}},
			"H4c": {Class: Class4G, Operators4G: []string{"viettel"}},
			"H4d": {Class: Class4G, Operators4G: []string{"viettel"}},
			"Hf":  {Class: ClassFiber},
		},
	}
	for i := range in.Devices {
		in.Devices[i].SchoolID = "S1"
	}
	in.SimPackages[0].SchoolID = "S1"
	one := in
	one.Devices = in.Devices[:1]
	if got := byStudent(run(t, one, DefaultSettings())); got["z"].DeviceID != "T1" || len(got) != 1 {
		t.Fatalf("S1's own tablet went to %v", got)
	}
	res := run(t, in, DefaultSettings())
	got := byStudent(res)
	if len(got) != 3 || got["z"].DeviceID != "T1" || got["a"].DeviceID != "T2" || got["c1"].DeviceID != "T3" {
		t.Fatalf("allocations %+v", got)
	}
	if got["a"].SimPackageID != "PS" || got["c1"].SimPackageID != "PC" {
		t.Fatalf("SIMs: a %q, c1 %q; want PS, PC", got["a"].SimPackageID, got["c1"].SimPackageID)
	}
	if len(res.Unserved) != 1 || res.Unserved[0].StudentID != "c2" {
		t.Fatalf("unserved %+v", res.Unserved)
	}
	c := summary(res, "C")
	if c.Stock != 3 || c.FromOwnStock != 3 || c.Allocated != 3 || c.ReturnedToParent != 0 || c.SimStock != 2 {
		t.Fatalf("C %+v", c)
	}
	// Strict: S1 has one unit per tier (1: z, 3: a), each held by its stock.
	s1 := unitsOf(res, "S1")
	if len(s1) != 2 || s1[0].Tier != 1 || s1[1].Tier != 3 || s1[0].Held != 1 || s1[1].Held != 1 || s1[1].Seats != 1 || s1[1].Rule != RuleOwnStock {
		t.Fatalf("S1 units %+v", s1)
	}
	// Without a, S1 needs one tablet: two go to S2; S1's package, unused
	// at S1, joins C's stock: c1 and c2 each get a SIM.
	in.Students = in.Students[1:]
	res = run(t, in, DefaultSettings())
	got = byStudent(res)
	if got["c1"].DeviceID != "T2" || got["c2"].DeviceID != "T3" || got["c1"].SimPackageID == "" || got["c2"].SimPackageID == "" ||
		got["c1"].SimPackageID == got["c2"].SimPackageID {
		t.Fatalf("once S1 needs less: c1 %+v, c2 %+v", got["c1"], got["c2"])
	}
}

// Area weights: D1 (mountain, tag on the district, school in commune C1
// below it) and D2, 4 tier-1 needs each, 4 devices. With mountain 3: D1
// weighs 36, D2 12. Divisors 1, 3, 5: D1 36, D1 12 (ties D2's 12, D1 first
// by code), D2 12, D1 7.2 → D1 3, D2 1. Untagged: 2 and 2.
func TestAreaWeights(t *testing.T) {
	mk := func(tags ...string) Input {
		in := Input{
			Areas:   []data.Area{area("P", ""), area("D1", "P"), area("C1", "D1"), area("D2", "P")},
			Schools: []data.School{school("S1", data.LevelUpper, "C1"), school("S2", data.LevelUpper, "D2")},
			Devices: []data.Device{laptop("L1", ""), laptop("L2", ""), laptop("L3", ""), laptop("L4", "")},
		}
		in.Areas[1].PriorityTags = tags
		for _, i := range "0123" {
			in.Students = append(in.Students, student("a"+string(i), "S1", 1, ""), student("b"+string(i), "S2", 1, ""))
		}
		return in
	}
	s := DefaultSettings()
	s.AreaWeights = map[string]float64{data.AreaTagMountain: 3, data.AreaTagCoastal: 1.3}
	for _, order := range []string{TierOrderStrict, TierOrderFair} {
		s.TierOrder = order
		res := run(t, mk(data.AreaTagMountain), s)
		if d1, d2 := summary(res, "D1"), summary(res, "D2"); d1.Allocated != 3 || d2.Allocated != 1 {
			t.Fatalf("%s: D1 %d, D2 %d; want 3, 1", order, d1.Allocated, d2.Allocated)
		}
		d1 := unitsOf(res, "D1")[0]
		if d1.Weight != 36 || d1.AreaWeight != 3 || d1.Quota != 3 {
			t.Fatalf("%s: D1 unit %+v", order, d1)
		}
		// The tag applies below: C1 and S1 weigh 3 too.
		if c1, s1 := unitsOf(res, "C1")[0], unitsOf(res, "S1")[0]; c1.AreaWeight != 3 || s1.AreaWeight != 3 || s1.Weight != 36 {
			t.Fatalf("%s: C1 %+v S1 %+v", order, c1, s1)
		}
		if c1 := summary(res, "C1"); !slices.Equal(c1.PriorityTags, []string{"mountain"}) || c1.AreaWeight != 3 {
			t.Fatalf("%s: C1 summary tags %v weight %v", order, c1.PriorityTags, c1.AreaWeight)
		}
		if d2 := summary(res, "D2"); d2.PriorityTags != nil || d2.AreaWeight != 1 {
			t.Fatalf("%s: D2 summary tags %v weight %v", order, d2.PriorityTags, d2.AreaWeight)
		}
		plain := run(t, mk(), s)
		if d1, d2 := summary(plain, "D1"), summary(plain, "D2"); d1.Allocated != 2 || d2.Allocated != 2 {
			t.Fatalf("%s untagged: D1 %d, D2 %d; want 2, 2", order, d1.Allocated, d2.Allocated)
		}
	}
	// A tag counted once on a path; different tags multiply; a tag
	// without a weight weighs 1 (lockdown is not in s.AreaWeights).
	in := mk(data.AreaTagMountain)
	in.Areas[2].PriorityTags = []string{"Mountain", data.AreaTagCoastal, data.AreaTagLockdown}
	res := run(t, in, s)
	coastal := s.AreaWeights[data.AreaTagCoastal]
	if c1 := summary(res, "C1"); c1.AreaWeight != 3*coastal || !slices.Equal(c1.PriorityTags, []string{"mountain", "coastal", "lockdown"}) {
		t.Fatalf("C1 tags %v weight %v, want mountain, coastal, lockdown and 3.9", c1.PriorityTags, c1.AreaWeight)
	}
	// Defaults: mountain 1.5, coastal 1.3, lockdown 1.5.
	d := DefaultSettings().AreaWeights
	if len(d) != 3 || d[data.AreaTagMountain] != 1.5 || d[data.AreaTagCoastal] != 1.3 || d[data.AreaTagLockdown] != 1.5 {
		t.Fatalf("default area weights %v", d)
	}
}

// Every pupil counts in the summaries: S1 has p0 (priority 0, no device),
// q0 (priority 0, has a device), h1 (tier 1, has a device), n1 (tier 1,
// served), n2 (tier 2, waits), r3 (tier 3, served before). One device.
// Pupils 6; without a device before 4 (p0, n1, n2 and — not r3, served
// before — so p0, n1, n2: 3); equipped after = 6 − 3 + 1 = 4 (66.7 %);
// tier 1–2: h1, n1, n2 = 3, equipped h1 and n1 = 2 (66.7 %).
func TestSummaryCountsEveryPupil(t *testing.T) {
	in := Input{
		Areas:   []data.Area{area("P", "")},
		Schools: []data.School{school("S1", data.LevelUpper, "P")},
		Devices: []data.Device{laptop("L1", "")},
		Students: []data.Student{
			student("p0", "S1", 0, ""), student("q0", "S1", 0, ""), student("h1", "S1", 1, ""),
			student("n1", "S1", 1, ""), student("n2", "S1", 2, ""), student("r3", "S1", 3, ""),
		},
		Served: map[string]bool{"r3": true},
	}
	in.Students[1].HasDevice = true
	in.Students[2].HasDevice = true
	res := run(t, in, DefaultSettings())
	m := summary(res, "P")
	if m.Pupils != 6 || m.PupilsWithoutDevice != 3 || m.Equipped != 4 || m.EquippedPct != 66.7 ||
		m.Tier12Pupils != 3 || m.Tier12Equipped != 2 || m.Tier12EquippedPct != 66.7 {
		t.Fatalf("summary %+v", m)
	}
	if res.Totals.Pupils != 6 || res.Totals.PupilsWithoutDevice != 3 {
		t.Fatalf("totals %+v", res.Totals)
	}
	// No pupils at all: 0 % equipped, tier 1–2 target met (100 %).
	empty := run(t, Input{Areas: []data.Area{area("P", "")}}, DefaultSettings())
	if e := summary(empty, "P"); e.EquippedPct != 0 || e.Tier12EquippedPct != 100 {
		t.Fatalf("empty %+v", e)
	}
}

func TestPolicySettingsAndInputErrors(t *testing.T) {
	s := DefaultSettings()
	s.TierOrder = "tier1-only"
	s.AreaWeights = map[string]float64{"hills": 2, data.AreaTagCoastal: 0}
	_, err := Allocate(context.Background(), Input{}, s)
	if err == nil {
		t.Fatal("bad settings accepted")
	}
	for _, want := range []string{`TierOrder "tier1-only"`, `AreaWeights has tag "hills"`, `AreaWeights["coastal"] must be a number > 0`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	in := Input{
		Areas:       []data.Area{area("P", ""), area("C", "P"), area("D", "P")},
		Schools:     []data.School{school("S1", data.LevelUpper, "C")},
		Devices:     []data.Device{tablet("T1", ""), tablet("T2", "D")},
		SimPackages: []data.SimPackage{sim("PX", "viettel", "", 1)},
	}
	in.Areas[2].PriorityTags = []string{"desert"}
	in.Devices[0].SchoolID = "S9"
	in.Devices[1].SchoolID = "S1"
	in.SimPackages[0].SchoolID = "S9"
	_, err = Allocate(context.Background(), in, DefaultSettings())
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Fatalf("err %v, want an InputError", err)
	}
	msg := err.Error()
	for _, want := range []string{
		`device T2 is held by school "S1" of area "C" but its area_code is "D"`,
		`school id "S9" is not among the schools (used by device T1, SIM package PX)`,
		`priority tag "desert"`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
}

// A settings file naming one area weight keeps the defaults of the others;
// the tier order reads by its JSON name.
func TestReadPolicySettings(t *testing.T) {
	s, err := ReadSettings(strings.NewReader(`{"tier_order":"fair","area_weights":{"mountain":2}}`))
	if err != nil {
		t.Fatal(err)
	}
	if s.TierOrder != TierOrderFair || len(s.AreaWeights) != 3 || s.AreaWeights[data.AreaTagMountain] != 2 ||
		s.AreaWeights[data.AreaTagCoastal] != 1.3 || s.AreaWeights[data.AreaTagLockdown] != 1.5 {
		t.Fatalf("settings %+v", s)
	}
	if _, err := ReadSettings(strings.NewReader(`{"tier_orders":"fair"}`)); err == nil {
		t.Fatal("unknown field tier_orders accepted")
	}
}

// Strict, stock held by an area: D2 holds one laptop and has tier-3 needs
// only; the province holds one more; D1 has two tier-1 needs. D2's laptop
// serves D2 (own first), the province's goes to D1: one tier-1 pupil waits
// while a tier-3 pupil is served, from the stock D2 holds. With D2's stock
// moved to the province, both go to D1.
func TestStrictAreaStockServesOwnFirst(t *testing.T) {
	in := Input{
		Areas:   []data.Area{area("P", ""), area("D1", "P"), area("D2", "P")},
		Schools: []data.School{school("S1", data.LevelUpper, "D1"), school("S2", data.LevelUpper, "D2")},
		Devices: []data.Device{laptop("L1", ""), laptop("L2", "D2")},
		Students: []data.Student{
			student("a1", "S1", 1, ""), student("a2", "S1", 1, ""), student("b3", "S2", 3, ""),
		},
	}
	res := run(t, in, DefaultSettings())
	got := byStudent(res)
	if len(got) != 2 || got["a1"].DeviceID != "L1" || got["b3"].DeviceID != "L2" {
		t.Fatalf("allocations %v", studentIDs(res))
	}
	d2 := unitsOf(res, "D2")
	if len(d2) != 1 || d2[0].Tier != 3 || d2[0].Held != 1 || d2[0].Seats != 1 || d2[0].Rule != RuleOwnStock {
		t.Fatalf("D2 units %+v", d2)
	}
	in.Devices[1].AreaCode = ""
	if got := studentIDs(run(t, in, DefaultSettings())); got != "a1 a2" {
		t.Fatalf("province stock only: served %s, want a1 a2", got)
	}
}
