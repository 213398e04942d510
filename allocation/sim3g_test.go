package allocation

import (
	"testing"

	"github.com/gapmap/gapmap/data"
)

// The 3G fallback on a hand-checked case: 4G matches first for every home
// of the run, then homes still without a SIM (4G homes whose operators have
// no stock, homes with 3G only) get a SIM of an operator whose 3G covers
// them, flagged "3G".
func TestSim3GFallback(t *testing.T) {
	in := Input{
		Areas:   []data.Area{area("P", "")},
		Schools: []data.School{school("S", data.LevelUpper, "P")},
		Students: []data.Student{
			student("a", "S", 1, "Ha"), student("b", "S", 1, "Hb"),
			student("c", "S", 2, "Hc"), student("d", "S", 2, "Hd"), student("e", "S", 3, "He"),
		},
		Connectivity: map[string]Connectivity{
			"Ha": {Class: Class4G, Operators4G: []string{"viettel"}, Operators3G: []string{"vinaphone"}},
			"Hb": {Class: Class4G, Operators4G: []string{"Viettel"}},
			"Hc": {Class: Class3G, Operators3G: []string{"vinaphone", "mobifone"}},
			"Hd": {Class: Class3G, Operators3G: []string{"viettel"}},
			"He": {Class: Class4G, Operators4G: []string{"mobifone"}, Operators3G: []string{"viettel"}},
		},
		SimPackages: []data.SimPackage{sim("V", "viettel", "", 1), sim("N", "vinaphone", "", 1)},
	}
	for _, id := range []string{"L1", "L2", "L3", "L4", "L5"} {
		in.Devices = append(in.Devices, laptop(id, ""))
	}
	res := run(t, in, DefaultSettings())
	got := byStudent(res)
	type w struct{ pkg, network, flag, reason string }
	want := map[string]w{
		// a: tier 1, 4G viettel: the viettel SIM, 4G.
		"a": {"V", SimNetwork4G, FlagNone, Reason4GSim},
		// b: 4G viettel, none left, no 3G operator: device only.
		"b": {"", "", FlagNeedsSim, Reason4GNoStock},
		// c: 3G only, vinaphone has stock: a 3G SIM.
		"c": {"N", SimNetwork3G, FlagNone, Reason3GSim},
		// d: 3G viettel only, the viettel SIM went to a: build-out.
		"d": {"", "", FlagNeedsConnectivity, ReasonNoNetwork},
		// e: 4G mobifone (no stock), 3G viettel (none left).
		"e": {"", "", FlagNeedsSim, Reason4GNoStock},
	}
	if len(got) != len(want) {
		t.Fatalf("allocations %+v", res.Allocations)
	}
	for id, x := range want {
		a := got[id]
		if (w{a.SimPackageID, a.SimNetwork, a.Flag, a.Reason}) != x {
			t.Errorf("%s: got %q %q %q %q, want %+v", id, a.SimPackageID, a.SimNetwork, a.Flag, a.Reason, x)
		}
	}
	if got["c"].SimOperator != "vinaphone" || got["a"].SimOperator != "viettel" {
		t.Errorf("operators: a %q, c %q", got["a"].SimOperator, got["c"].SimOperator)
	}
	if e := got["c"].Explain(); e != "student c (tier 2, home 3g) is #3 of 5 needs at school S, which received 5 device(s): laptop L3 and a vinaphone SIM (3G) from package N; "+Reason3GSim {
		t.Errorf("explain: %s", e)
	}
	tot := res.Totals
	if tot.SimsGiven != 2 || tot.Sims3G != 1 || tot.NeedsSim != 2 || tot.NeedsConnectivity != 1 || tot.NoConnectivity != 2 {
		t.Errorf("totals %+v", tot)
	}
	if p := summary(res, "P"); p.SimsGiven != 2 || p.Sims3G != 1 {
		t.Errorf("area P: %+v", p)
	}
}

// 4G is always preferred: a tier-3 4G home takes the last viettel SIM
// before a tier-1 home with viettel 3G only; with a second SIM, a 4G home
// whose own 4G operator has no stock gets a viettel SIM on 3G.
func TestSim3GNeverTakes4GStock(t *testing.T) {
	base := Input{
		Areas:   []data.Area{area("P", "")},
		Schools: []data.School{school("S", data.LevelUpper, "P")},
		Students: []data.Student{
			student("x", "S", 1, "Hx"), student("z", "S", 1, "Hz"), student("y", "S", 3, "Hy"),
		},
		Connectivity: map[string]Connectivity{
			"Hx": {Class: Class3G, Operators3G: []string{"viettel"}},
			"Hz": {Class: Class4G, Operators4G: []string{"mobifone"}, Operators3G: []string{"viettel"}},
			"Hy": {Class: Class4G, Operators4G: []string{"viettel"}},
		},
		Devices: []data.Device{laptop("L1", ""), laptop("L2", ""), laptop("L3", "")},
	}
	for _, c := range []struct {
		qty  int
		want map[string]string // student → network
	}{
		{1, map[string]string{"x": "", "z": "", "y": SimNetwork4G}},
		// Second SIM: the 3G pass goes in tier order, then pool rank
		// (x, then z: x's home is not ready, the ready-first policy ranks
		// z first within tier 1).
		{2, map[string]string{"x": "", "z": SimNetwork3G, "y": SimNetwork4G}},
		{3, map[string]string{"x": SimNetwork3G, "z": SimNetwork3G, "y": SimNetwork4G}},
	} {
		in := base
		in.SimPackages = []data.SimPackage{sim("V", "viettel", "", c.qty)}
		got := byStudent(run(t, in, DefaultSettings()))
		for id, net := range c.want {
			if a := got[id]; a.SimNetwork != net || (net == "") != (a.SimPackageID == "") {
				t.Errorf("qty %d: %s got %q (package %q), want %q", c.qty, id, a.SimNetwork, a.SimPackageID, net)
			}
		}
		if r := got["z"].Reason; c.want["z"] == SimNetwork3G && r != Reason4GSim3G {
			t.Errorf("qty %d: z reason %q", c.qty, r)
		}
	}
}
