package allocation

import (
	"testing"

	"github.com/gapmap/gapmap/data"
)

// Each tier against each poverty status and the COVID-19 flag, with stock
// for everyone: what is served, at which tier, and the reason code of each
// conflict.
func TestEligibility(t *testing.T) {
	covid := func(s data.Student) data.Student { s.CovidOrphan = true; return s }
	in := Input{
		Areas:   []data.Area{area("P", "")},
		Schools: []data.School{school("S", data.LevelUpper, "P")},
		Students: []data.Student{
			student("t1poor", "S", 1, "Hpoor"),
			student("t1near", "S", 1, "Hnear"),
			student("t1none", "S", 1, "Hnone"),
			student("t2poor", "S", 2, "Hpoor"),
			student("t2near", "S", 2, "Hnear"),
			student("t2none", "S", 2, "Hnone"),
			covid(student("t3covid", "S", 3, "Hnone")),
			student("t3none", "S", 3, "Hnone"),
			student("t3near", "S", 3, "Hnear"),
			student("t3poor", "S", 3, "Hpoor"),
			student("t1unknown", "S", 1, "Hmissing"),
			student("t3unknown", "S", 3, "Hmissing"),
		},
		Poverty: map[string]string{"Hpoor": data.PovertyPoor, "Hnear": data.PovertyNearPoor, "Hnone": data.PovertyNone},
	}
	for i := range 12 {
		in.Devices = append(in.Devices, laptop("L"+string(rune('a'+i)), ""))
	}
	res := run(t, in, DefaultSettings())
	got := map[string]int{}
	for _, a := range res.Allocations {
		got[a.StudentID] = a.Priority
	}
	// Served at: claimed tier when supported; tier 2 for a near-poor home
	// claiming 1; the home's tier for tier 3 without the flag; households
	// absent from Poverty are not checked (tiers 1–2) but tier 3 still needs
	// the flag.
	want := map[string]int{"t1poor": 1, "t1near": 2, "t2poor": 2, "t2near": 2, "t3covid": 3, "t3near": 2, "t3poor": 1, "t1unknown": 1}
	if len(got) != len(want) {
		t.Errorf("served %v, want %v", got, want)
	}
	for id, tier := range want {
		if got[id] != tier {
			t.Errorf("%s served at tier %d, want %d", id, got[id], tier)
		}
	}
	type c struct {
		reason          string
		claimed, served int
		poverty         string
	}
	wantC := map[string]c{
		"t1near":    {ReasonTier1NearPoor, 1, 2, data.PovertyNearPoor},
		"t1none":    {ReasonTier1NotPoor, 1, 0, data.PovertyNone},
		"t2none":    {ReasonTier2NotNearPoor, 2, 0, data.PovertyNone},
		"t3none":    {ReasonTier3NoCovid, 3, 0, data.PovertyNone},
		"t3near":    {ReasonTier3NoCovid, 3, 2, data.PovertyNearPoor},
		"t3poor":    {ReasonTier3NoCovid, 3, 1, data.PovertyPoor},
		"t3unknown": {ReasonTier3NoCovid, 3, 0, ""},
	}
	if len(res.Conflicts) != len(wantC) {
		t.Fatalf("conflicts %+v", res.Conflicts)
	}
	for i, k := range res.Conflicts {
		if i > 0 && res.Conflicts[i-1].StudentID >= k.StudentID {
			t.Errorf("conflicts not sorted: %+v", res.Conflicts)
		}
		w, ok := wantC[k.StudentID]
		if !ok || (c{k.Reason, k.ClaimedTier, k.ServedTier, k.Poverty}) != w || k.KeptSchoolID != "S" || len(k.SchoolIDs) != 1 || k.SchoolIDs[0] != "S" {
			t.Errorf("conflict %+v, want %+v", k, w)
		}
	}
	// The totals count needs at the served tier: 1 (t1poor, t3poor,
	// t1unknown), 2 (t1near, t2poor, t2near, t3near), 3 (t3covid).
	if tt := res.Totals; tt.NeedsTier1 != 3 || tt.NeedsTier2 != 4 || tt.NeedsTier3 != 1 || tt.Needs != 8 {
		t.Errorf("totals %+v", tt)
	}
	// Without household data (Poverty nil) nothing is checked.
	in.Poverty = nil
	res = run(t, in, DefaultSettings())
	if len(res.Allocations) != 12 || len(res.Conflicts) != 0 {
		t.Errorf("unchecked: %d allocations, conflicts %+v", len(res.Allocations), res.Conflicts)
	}
}

// A student listed twice and ineligible: one duplicate conflict, one
// eligibility conflict, and it is not served.
func TestEligibilityAndDuplicate(t *testing.T) {
	in := Input{
		Areas:    []data.Area{area("P", "")},
		Schools:  []data.School{school("S1", data.LevelUpper, "P"), school("S2", data.LevelUpper, "P")},
		Students: []data.Student{student("x", "S2", 1, "H"), student("x", "S1", 1, "H")},
		Devices:  []data.Device{laptop("L1", "")},
		Poverty:  map[string]string{"H": data.PovertyNone},
	}
	res := run(t, in, DefaultSettings())
	if len(res.Allocations) != 0 || len(res.Unserved) != 0 {
		t.Fatalf("served %+v unserved %+v", res.Allocations, res.Unserved)
	}
	if c := res.Conflicts; len(c) != 2 || c[0].Reason != "" || c[0].KeptSchoolID != "S1" || c[1].Reason != ReasonTier1NotPoor || c[1].KeptSchoolID != "S1" || c[1].ServedTier != 0 {
		t.Fatalf("conflicts %+v", c)
	}
}
