package allocation

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data"
)

func area(code, parent string) data.Area {
	return data.Area{Code: code, Name: "Area " + code, ParentCode: parent}
}

func school(id, level, areaCode string) data.School {
	return data.School{ID: id, Level: level, AreaCode: areaCode}
}

func student(id, schoolID string, tier int, household string) data.Student {
	return data.Student{ID: id, SchoolID: schoolID, Priority: tier, HouseholdID: household}
}

func tablet(id, areaCode string) data.Device {
	d := goodPhone()
	d.ID, d.Type, d.AreaCode = id, data.DeviceTablet, areaCode
	return d
}

func laptop(id, areaCode string) data.Device {
	d := goodLaptop()
	d.ID, d.AreaCode = id, areaCode
	return d
}

func sim(id, op, areaCode string, qty int) data.SimPackage {
	return data.SimPackage{ID: id, Operator: op, GBPerDay: 4, Months: 3, Quantity: qty, AreaCode: areaCode}
}

func run(t *testing.T, in Input, s Settings) *Result {
	t.Helper()
	res, err := Allocate(context.Background(), in, s)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func byStudent(res *Result) map[string]Allocation {
	m := map[string]Allocation{}
	for _, a := range res.Allocations {
		m[a.StudentID] = a
	}
	return m
}

func summary(res *Result, code string) AreaSummary {
	for _, a := range res.Areas {
		if a.Code == code {
			return a
		}
	}
	return AreaSummary{}
}

// The bundle follows the home: fiber → device; 4G → device + a SIM of an
// operator covering the home, from stock the school can reach; none or
// unknown → device flagged needs_connectivity.
func TestBundles(t *testing.T) {
	in := Input{
		Areas:   []data.Area{area("P", ""), area("D1", "P"), area("D2", "P"), area("C1", "D1")},
		Schools: []data.School{school("S1", data.LevelPrimary, "C1"), school("S2", data.LevelUpper, "D2")},
		Students: []data.Student{
			student("st1", "S1", 1, "h-fiber"),
			student("st2", "S1", 1, "h-viettel"),
			student("st3", "S1", 2, "h-mobifone"),
			student("st4", "S2", 1, "h-none"),
			student("st5", "S2", 3, "h-missing"),
			student("st6", "S2", 2, "h-vina"),
			student("st7", "S1", 3, "h-vina2"),
			student("st8", "S2", 3, "h-3g"),
		},
		Connectivity: map[string]Connectivity{
			"h-fiber":    {Class: ClassFiber, Operators4G: []string{"viettel"}},
			"h-viettel":  {Class: "4G", Operators4G: []string{"Viettel"}},
			"h-mobifone": {Class: Class4G, Operators4G: []string{"mobifone"}},
			"h-none":     {Class: ClassNone},
			"h-vina":     {Class: Class4G, Operators4G: []string{"vinaphone"}},
			"h-vina2":    {Class: Class4G, Operators4G: []string{"vinaphone", "viettel"}},
			"h-3g":       {Class: Class3G},
		},
		Devices: []data.Device{
			tablet("T1", ""), tablet("T2", ""), tablet("T3", ""), tablet("T4", ""),
			tablet("T5", ""), tablet("T6", ""), tablet("T7", ""), tablet("T8", ""),
			func() data.Device { d := tablet("BAD", ""); d.RAMGB = 1; return d }(),
			tablet("OLD", ""),
		},
		AllocatedDevices: map[string]bool{"OLD": true},
		SimPackages: []data.SimPackage{
			sim("V", "Viettel", "", 5),
			sim("VN", "vinaphone", "D1", 5),
			func() data.SimPackage { p := sim("M1", "mobifone", "", 5); p.GBPerDay = 1; return p }(),
		},
	}
	res := run(t, in, DefaultSettings())
	got := byStudent(res)
	if len(got) != 8 || len(res.Unserved) != 0 {
		t.Fatalf("want 8 served, got %d (unserved %+v)", len(got), res.Unserved)
	}
	check := func(id, pkg, op, flag, reason string) {
		t.Helper()
		a := got[id]
		if a.SimPackageID != pkg || a.SimOperator != op || a.Flag != flag || a.Reason != reason {
			t.Errorf("%s: got sim %q/%q flag %q reason %q; want %q/%q %q %q", id, a.SimPackageID, a.SimOperator, a.Flag, a.Reason, pkg, op, flag, reason)
		}
	}
	check("st1", "", "", FlagNone, ReasonFiber)
	check("st2", "V", "viettel", FlagNone, Reason4GSim)
	check("st3", "", "", FlagNeedsSim, Reason4GNoStock) // mobifone package is below the minimum
	check("st4", "", "", FlagNeedsConnectivity, ReasonNoNetwork)
	check("st5", "", "", FlagNeedsConnectivity, ReasonNoCoverage)
	check("st6", "", "", FlagNeedsSim, Reason4GNoStock)    // VN is held by D1; S2 is in D2
	check("st7", "VN", "vinaphone", FlagNone, Reason4GSim) // nearest stock first: D1's VN before the national V
	check("st8", "", "", FlagNeedsConnectivity, ReasonNoNetwork)
	if got["st5"].Connectivity != ClassUnknown || got["st8"].Connectivity != Class3G {
		t.Errorf("connectivity: %+v %+v", got["st5"], got["st8"])
	}
	for _, a := range res.Allocations {
		if a.DeviceID == "BAD" || a.DeviceID == "OLD" {
			t.Errorf("device %s must not be allocated", a.DeviceID)
		}
	}
	if len(res.RejectedDevices) != 1 || res.RejectedDevices[0].DeviceID != "BAD" || res.RejectedDevices[0].Reasons[0] != ReasonRAMBelow2GB {
		t.Errorf("rejected devices: %+v", res.RejectedDevices)
	}
	if res.AlreadyAllocated != 1 {
		t.Errorf("already allocated: %d", res.AlreadyAllocated)
	}
	if len(res.RejectedSims) != 1 || res.RejectedSims[0].PackageID != "M1" {
		t.Errorf("rejected SIMs: %+v", res.RejectedSims)
	}
	s2 := summary(res, "D2")
	if s2.Needs != 4 || s2.NeedsConnectivity != 3 || s2.NoConnectivity != 3 || s2.NeedsSim != 1 || s2.SimsGiven != 0 {
		t.Errorf("D2 summary: %+v", s2)
	}
	if res.Totals.SimsGiven != 2 || res.Totals.Allocated != 8 || res.Totals.Unmet != 0 {
		t.Errorf("totals: %+v", res.Totals)
	}
	for _, p := range res.SimStock {
		if p.PackageID == "V" && (p.Given != 1 || p.Remaining != 4) {
			t.Errorf("stock of V: %+v", p)
		}
	}
	if e := got["st2"].Explain(); !strings.Contains(e, "viettel SIM from package V") {
		t.Errorf("explain: %s", e)
	}
}

// Tier order within a school, then the connectivity policy, then id.
func TestTierOrderAndPolicy(t *testing.T) {
	in := Input{
		Areas:   []data.Area{area("P", "")},
		Schools: []data.School{school("S", data.LevelLower, "P")},
		Students: []data.Student{
			student("a", "S", 1, "none"), student("b", "S", 1, "fiber"), student("c", "S", 2, "fiber"),
			student("d", "S", 1, "4g"), student("e", "S", 3, "fiber"),
			{ID: "f", SchoolID: "S", Priority: 1, HouseholdID: "fiber", HasDevice: true},
			student("g", "S", 0, "fiber"),
		},
		Connectivity: map[string]Connectivity{"none": {Class: ClassNone}, "fiber": {Class: ClassFiber}, "4g": {Class: Class4G}},
		Devices:      []data.Device{laptop("L1", ""), laptop("L2", "")},
	}
	s := DefaultSettings()
	res := run(t, in, s)
	if ids := studentIDs(res); ids != "b d" {
		t.Fatalf("ready-first: served %q, want \"b d\"", ids)
	}
	if u := res.Unserved; len(u) != 3 || u[0].StudentID != "a" || u[1].StudentID != "c" || u[2].StudentID != "e" {
		t.Fatalf("unserved: %+v", u)
	}
	s.Policy = PolicyNeedFirst
	res = run(t, in, s)
	if ids := studentIDs(res); ids != "a b" {
		t.Fatalf("need-first: served %q, want \"a b\"", ids)
	}
	if a := res.Allocations[0]; a.Rank != 1 || a.PoolSize != 5 || a.SchoolSeats != 2 {
		t.Fatalf("rank: %+v", a)
	}
}

func studentIDs(res *Result) string {
	var ids []string
	for _, a := range res.Allocations {
		ids = append(ids, a.StudentID)
	}
	return strings.Join(ids, " ")
}

// Surplus: D1 holds 5 devices for 2 needs; the 3 it cannot use return to
// the province and serve D2.
func TestSurplusReturnsUp(t *testing.T) {
	in := Input{
		Areas:   []data.Area{area("P", ""), area("D1", "P"), area("D2", "P")},
		Schools: []data.School{school("S1", data.LevelUpper, "D1"), school("S2", data.LevelUpper, "D2")},
		Students: []data.Student{
			student("a1", "S1", 1, ""), student("a2", "S1", 1, ""),
			student("b1", "S2", 3, ""), student("b2", "S2", 3, ""), student("b3", "S2", 3, ""), student("b4", "S2", 3, ""),
		},
		Devices: []data.Device{laptop("L1", "D1"), laptop("L2", "D1"), laptop("L3", "D1"), laptop("L4", "D1"), laptop("L5", "D1")},
	}
	res := run(t, in, DefaultSettings())
	d1, d2 := summary(res, "D1"), summary(res, "D2")
	if d1.Allocated != 2 || d1.Stock != 5 || d1.FromOwnStock != 2 || d1.ReturnedToParent != 3 || d1.FromParent != 0 {
		t.Errorf("D1: %+v", d1)
	}
	if d2.Allocated != 3 || d2.Unmet != 1 || d2.FromParent != 3 || d2.Stock != 0 {
		t.Errorf("D2: %+v", d2)
	}
	for _, u := range res.Units {
		if u.Code == "D1" && (u.Held != 2 || u.Seats != 2 || u.Cap != 2 || !u.Capped) {
			t.Errorf("D1 unit: %+v", u)
		}
	}
	if len(res.UnusedDevices) != 0 {
		t.Errorf("unused: %v", res.UnusedDevices)
	}
}

// Weights by tier: 4 devices for D1 (4 tier-1 needs, weight 12) and D2 (4
// tier-3 needs, weight 4). Divisors 1, 3, 5: D1 12, 4, 2.4; D2 4, 1.33.
// Seats: 12 D1, 4 D1 (tie with D2's 4, D1 first by code), 4 D2, 2.4 D1 →
// D1 3, D2 1; quotas 3.0 and 1.0.
func TestApportionByTierWeight(t *testing.T) {
	in := Input{
		Areas:   []data.Area{area("P", ""), area("D1", "P"), area("D2", "P")},
		Schools: []data.School{school("S1", data.LevelUpper, "D1"), school("S2", data.LevelUpper, "D2")},
		Devices: []data.Device{laptop("L1", ""), laptop("L2", ""), laptop("L3", ""), laptop("L4", "")},
	}
	for i := range 4 {
		in.Students = append(in.Students, student("a"+string(rune('0'+i)), "S1", 1, ""), student("b"+string(rune('0'+i)), "S2", 3, ""))
	}
	fair := DefaultSettings()
	fair.TierOrder = TierOrderFair
	res := run(t, in, fair)
	if d1, d2 := summary(res, "D1"), summary(res, "D2"); d1.Allocated != 3 || d2.Allocated != 1 {
		t.Fatalf("D1 %d, D2 %d; want 3, 1", d1.Allocated, d2.Allocated)
	}
	for _, u := range res.Units {
		if u.Code == "D1" && (u.Quota != 3 || u.Weight != 12 || u.Rule != RuleSainteLague) {
			t.Errorf("D1: %+v", u)
		}
		if u.Code == "D2" && (u.Quota != 1 || u.Weight != 4) {
			t.Errorf("D2: %+v", u)
		}
	}
}

// A student id at two schools is served once, at the smaller school id,
// and reported.
func TestConflicts(t *testing.T) {
	in := Input{
		Areas:    []data.Area{area("P", "")},
		Schools:  []data.School{school("S1", data.LevelUpper, "P"), school("S2", data.LevelUpper, "P")},
		Students: []data.Student{student("x", "S2", 1, ""), student("x", "S1", 1, ""), student("y", "S1", 2, ""), student("y", "S1", 2, "")},
		Devices:  []data.Device{laptop("L1", ""), laptop("L2", ""), laptop("L3", "")},
	}
	res := run(t, in, DefaultSettings())
	if ids := studentIDs(res); ids != "x y" {
		t.Fatalf("served %q", ids)
	}
	if res.Allocations[0].SchoolID != "S1" {
		t.Fatalf("x served at %s, want S1", res.Allocations[0].SchoolID)
	}
	if c := res.Conflicts; len(c) != 2 || c[0].StudentID != "x" || strings.Join(c[0].SchoolIDs, ",") != "S1,S2" || c[0].KeptSchoolID != "S1" || c[1].StudentID != "y" {
		t.Fatalf("conflicts: %+v", c)
	}
}

func TestServedAndUsedSims(t *testing.T) {
	in := Input{
		Areas:        []data.Area{area("P", "")},
		Schools:      []data.School{school("S", data.LevelUpper, "P")},
		Students:     []data.Student{student("a", "S", 1, "h"), student("b", "S", 1, "h"), student("c", "S", 1, "h")},
		Connectivity: map[string]Connectivity{"h": {Class: Class4G, Operators4G: []string{"viettel"}}},
		Devices:      []data.Device{laptop("L1", ""), laptop("L2", ""), laptop("L3", "")},
		SimPackages:  []data.SimPackage{sim("V", "viettel", "", 3)},
		Served:       map[string]bool{"a": true},
		SimUsed:      map[string]int{"V": 2},
	}
	res := run(t, in, DefaultSettings())
	if ids := studentIDs(res); ids != "b c" || res.AlreadyServed != 1 {
		t.Fatalf("served %q (already %d)", ids, res.AlreadyServed)
	}
	if res.Allocations[0].SimPackageID != "V" || res.Allocations[1].Flag != FlagNeedsSim {
		t.Fatalf("one SIM left: %+v", res.Allocations)
	}
	if len(res.UnusedDevices) != 1 || res.UnusedDevices[0] != "L3" {
		t.Fatalf("unused: %v", res.UnusedDevices)
	}
}

// Device types follow the level's preference; a type the level does not
// list is still used when nothing else is left.
func TestDeviceTypePreference(t *testing.T) {
	in := Input{
		Areas:    []data.Area{area("P", "")},
		Schools:  []data.School{school("PRI", data.LevelPrimary, "P"), school("UP", data.LevelUpper, "P")},
		Students: []data.Student{student("p1", "PRI", 1, ""), student("p2", "PRI", 1, ""), student("u1", "UP", 1, ""), student("u2", "UP", 1, "")},
		Devices:  []data.Device{laptop("A-L", ""), laptop("B-L", ""), tablet("C-T", ""), tablet("D-T", "")},
	}
	res := run(t, in, DefaultSettings())
	got := byStudent(res)
	if got["p1"].DeviceType != data.DeviceTablet || got["p2"].DeviceType != data.DeviceTablet ||
		got["u1"].DeviceType != data.DeviceLaptop || got["u2"].DeviceType != data.DeviceLaptop {
		t.Fatalf("types: %+v", res.Allocations)
	}
	if got["p1"].DeviceID != "C-T" || got["u1"].DeviceID != "A-L" {
		t.Fatalf("by id within a type: %+v", res.Allocations)
	}
	in.Devices = []data.Device{laptop("A-L", ""), laptop("B-L", "")}
	in.Students = in.Students[:2]
	res = run(t, in, DefaultSettings())
	if len(res.Allocations) != 2 || res.Allocations[0].DeviceType != data.DeviceLaptop || res.Allocations[0].TypeRank != 2 {
		t.Fatalf("fallback: %+v", res.Allocations)
	}
}

func TestInputErrors(t *testing.T) {
	in := Input{
		Areas:    []data.Area{area("P", ""), area("P", ""), area("A", "B"), area("B", "A"), area("X", "GONE")},
		Schools:  []data.School{school("S", data.LevelUpper, "ZZ"), school("S2", data.LevelUpper, "P")},
		Students: []data.Student{student("a", "NOPE", 1, ""), student("b", "S2", 7, "")},
		Devices:  []data.Device{laptop("L", "YY")},
	}
	_, err := Allocate(context.Background(), in, DefaultSettings())
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Fatalf("want an InputError, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{`"ZZ"`, `"YY"`, `"NOPE"`, `area code "P" appears more than once`, "A, B never reach a root", `parent code "GONE"`, "priority 7"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %s:\n%s", want, msg)
		}
	}
}

func TestSettingsErrors(t *testing.T) {
	_, err := Allocate(context.Background(), Input{}, Settings{})
	if err == nil || !strings.Contains(err.Error(), "DefaultSettings") || !strings.Contains(err.Error(), "TierWeights[1]") {
		t.Fatalf("zero settings: %v", err)
	}
	s := DefaultSettings()
	s.DeviceTypeByLevel[data.LevelPrimary] = []string{"smartwatch"}
	if _, err := Allocate(context.Background(), Input{}, s); err == nil || !strings.Contains(err.Error(), "smartwatch") {
		t.Fatalf("bad type: %v", err)
	}
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in := GenerateBench(1, 1000, 100, 11, 30)
	if _, err := Allocate(ctx, in, DefaultSettings()); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
}

func TestOperatorPreference(t *testing.T) {
	in := Input{
		Areas:        []data.Area{area("P", "")},
		Schools:      []data.School{school("S", data.LevelUpper, "P")},
		Students:     []data.Student{student("a", "S", 1, "h")},
		Connectivity: map[string]Connectivity{"h": {Class: Class4G, Operators4G: []string{"viettel", "mobifone"}}},
		Devices:      []data.Device{laptop("L1", "")},
		SimPackages:  []data.SimPackage{sim("A", "viettel", "", 3), sim("B", "mobifone", "", 9)},
	}
	res := run(t, in, DefaultSettings())
	if res.Allocations[0].SimPackageID != "B" {
		t.Fatalf("no preference: most remaining first, got %+v", res.Allocations[0])
	}
	s := DefaultSettings()
	s.OperatorPreference = []string{"Viettel"}
	res = run(t, in, s)
	if res.Allocations[0].SimPackageID != "A" {
		t.Fatalf("viettel preferred, got %+v", res.Allocations[0])
	}
}

func TestEmptyInput(t *testing.T) {
	res := run(t, Input{}, DefaultSettings())
	if len(res.Allocations) != 0 || res.Totals.Needs != 0 {
		t.Fatalf("%+v", res)
	}
	// Devices but no students: all unused, in id order.
	res = run(t, Input{Devices: []data.Device{laptop("b", ""), laptop("a", "")}}, DefaultSettings())
	if strings.Join(res.UnusedDevices, ",") != "a,b" {
		t.Fatalf("unused: %v", res.UnusedDevices)
	}
}
