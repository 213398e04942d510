package allocation

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data"
)

// randomInput builds a small random instance: a forest of depth ≤ 4,
// schools at any level, duplicate student ids, missing and mixed-case
// connectivity, failing and area-held devices and SIMs, committed runs.
func randomInput(rng *rand.Rand) Input {
	var in Input
	nAreas := 1 + rng.IntN(9)
	for i := range nAreas {
		a := data.Area{Code: fmt.Sprintf("A%d", i)}
		if i > 0 && rng.IntN(5) > 0 {
			a.ParentCode = fmt.Sprintf("A%d", rng.IntN(i))
		}
		in.Areas = append(in.Areas, a)
	}
	levels := data.SchoolLevels()
	nSchools := 1 + rng.IntN(7)
	for i := range nSchools {
		in.Schools = append(in.Schools, data.School{
			ID: fmt.Sprintf("S%d", i), Level: levels[rng.IntN(len(levels))], AreaCode: fmt.Sprintf("A%d", rng.IntN(nAreas)),
		})
	}
	for i := range in.Areas {
		if rng.IntN(4) == 0 {
			in.Areas[i].PriorityTags = []string{data.AreaTags()[rng.IntN(3)]}
		}
	}
	ops := []string{"viettel", "Vinaphone", "mobifone"}
	classes := []string{ClassFiber, Class4G, Class4G, "4G", Class3G, Class2G, ClassNone, ""}
	in.Connectivity = map[string]Connectivity{}
	nHomes := 1 + rng.IntN(12)
	for h := range nHomes {
		if rng.IntN(8) == 0 {
			continue // no coverage result
		}
		c := Connectivity{Class: classes[rng.IntN(len(classes))]}
		for _, op := range ops {
			if rng.IntN(2) == 0 {
				c.Operators4G = append(c.Operators4G, op)
			}
			if rng.IntN(2) == 0 {
				c.Operators3G = append(c.Operators3G, op)
			}
		}
		in.Connectivity[fmt.Sprintf("H%d", h)] = c
	}
	nStudents := rng.IntN(40)
	in.Served = map[string]bool{}
	for i := range nStudents {
		id := fmt.Sprintf("st%02d", i)
		if i > 0 && rng.IntN(10) == 0 {
			id = fmt.Sprintf("st%02d", rng.IntN(i)) // the same student listed again
		}
		s := data.Student{
			ID: id, SchoolID: fmt.Sprintf("S%d", rng.IntN(nSchools)), Priority: rng.IntN(4),
			HouseholdID: fmt.Sprintf("H%d", rng.IntN(nHomes)), HasDevice: rng.IntN(10) == 0, Grade: rng.IntN(3),
		}
		if rng.IntN(15) == 0 {
			in.Served[id] = true
		}
		in.Students = append(in.Students, s)
	}
	in.AllocatedDevices = map[string]bool{}
	for i := range rng.IntN(30) {
		var d data.Device
		switch rng.IntN(3) {
		case 0:
			d = goodPhone()
		case 1:
			d = goodLaptop()
		default:
			d = goodDesktop()
		}
		if rng.IntN(2) == 0 && d.Type == data.DevicePhone {
			d.Type = data.DeviceTablet
		}
		d.ID = fmt.Sprintf("D%02d", i)
		if rng.IntN(5) == 0 {
			d.RAMGB = 1
		}
		if rng.IntN(8) == 0 {
			d.AVOK = data.CondNo
		}
		if rng.IntN(4) == 0 { // a condition the file does not state (issue 11)
			conds := []*data.Cond{&d.HasCharger, &d.AVOK, &d.ScreenOK, &d.KeyboardOK, &d.HasMonitor, &d.WiFi}
			*conds[rng.IntN(len(conds))] = data.CondUnknown
		}
		if rng.IntN(3) == 0 {
			d.AreaCode = fmt.Sprintf("A%d", rng.IntN(nAreas))
		}
		if rng.IntN(4) == 0 { // held by a school (issue 11)
			sc := in.Schools[rng.IntN(nSchools)]
			d.SchoolID, d.AreaCode = sc.ID, ""
			if rng.IntN(2) == 0 {
				d.AreaCode = sc.AreaCode
			}
		}
		if rng.IntN(12) == 0 {
			in.AllocatedDevices[d.ID] = true
		}
		in.Devices = append(in.Devices, d)
	}
	in.SimUsed = map[string]int{}
	for i := range rng.IntN(5) {
		p := sim(fmt.Sprintf("P%d", i), ops[rng.IntN(len(ops))], "", rng.IntN(6))
		if rng.IntN(2) == 0 {
			p.AreaCode = fmt.Sprintf("A%d", rng.IntN(nAreas))
		}
		if rng.IntN(6) == 0 {
			p.Months = 1
		}
		if rng.IntN(4) == 0 {
			in.SimUsed[p.ID] = rng.IntN(3)
		}
		if rng.IntN(4) == 0 {
			p.SchoolID, p.AreaCode = fmt.Sprintf("S%d", rng.IntN(nSchools)), ""
		}
		in.SimPackages = append(in.SimPackages, p)
	}
	return in
}

func randomSettings(rng *rand.Rand) Settings {
	s := DefaultSettings()
	if rng.IntN(2) == 0 {
		s.Policy = PolicyNeedFirst
	}
	if rng.IntN(2) == 0 {
		s.TierWeights = map[int]float64{1: 1 + rng.Float64()*4, 2: 1 + rng.Float64()*2, 3: 0.1 + rng.Float64()}
		s.ConnectivityWeights = map[string]float64{ClassFiber: 1, Class4G: 1, ClassNone: 0.5 + rng.Float64()*2}
	}
	if rng.IntN(3) == 0 {
		s.OperatorPreference = []string{"mobifone"}
	}
	if rng.IntN(2) == 0 {
		s.TierOrder = TierOrderFair
	}
	if rng.IntN(3) == 0 {
		s.AreaWeights = map[string]float64{data.AreaTagMountain: 0.5 + rng.Float64()*3, data.AreaTagLockdown: 2}
	}
	return s
}

// ancestry answers "is area a inside the subtree of area top?" ("" is the
// root of everything).
type ancestry map[string]string

func newAncestry(areas []data.Area) ancestry {
	m := ancestry{}
	for _, a := range areas {
		m[a.Code] = a.ParentCode
	}
	return m
}

func (m ancestry) within(a, top string) bool {
	for steps := 0; steps <= len(m)+1; steps++ {
		if a == top {
			return true
		}
		if a == "" {
			return false
		}
		a = m[a]
	}
	return false
}

// expectedNeeds applies the need rules independently of the engine.
func expectedNeeds(in Input) map[string]data.Student {
	kept := map[string]data.Student{}
	for _, s := range in.Students {
		if k, ok := kept[s.ID]; !ok || compareRecords(&s, &k) < 0 {
			kept[s.ID] = s
		}
	}
	needs := map[string]data.Student{}
	for id, s := range kept {
		if s.Priority >= 1 && s.Priority <= 3 && !s.HasDevice && !in.Served[id] {
			needs[id] = s
		}
	}
	return needs
}

// checkInvariants checks every property of one run against its input.
func checkInvariants(t *testing.T, in Input, s Settings, res *Result) {
	t.Helper()
	byID := map[string]data.Device{}
	for _, d := range in.Devices {
		byID[d.ID] = d
	}
	for _, rj := range res.RejectedDevices {
		u := unknownRequired(byID[rj.DeviceID], s)
		if len(u) == 0 {
			continue
		}
		if rj.Status != StatusInspect && rj.Status != StatusLiquidate {
			t.Fatalf("device %s with unknown %v has status %s, want inspect (or liquidate)", rj.DeviceID, u, rj.Status)
		}
		for _, c := range u {
			if !slices.Contains(rj.Reasons, "unknown_"+c) {
				t.Fatalf("device %s: reasons %v do not name unknown %s", rj.DeviceID, rj.Reasons, c)
			}
		}
	}
	anc := newAncestry(in.Areas)
	schools := map[string]data.School{}
	for _, sc := range in.Schools {
		schools[sc.ID] = sc
	}
	devices := map[string]data.Device{}
	passing := 0
	for _, d := range in.Devices {
		if d.SchoolID != "" {
			d.AreaCode = schools[d.SchoolID].AreaCode // held where its school is
		}
		devices[d.ID] = d
		if !in.AllocatedDevices[d.ID] && CheckDevice(d, s).OK {
			passing++
		}
	}
	pkgs := map[string]data.SimPackage{}
	for _, p := range in.SimPackages {
		if p.SchoolID != "" {
			p.AreaCode = schools[p.SchoolID].AreaCode
		}
		pkgs[p.ID] = p
	}
	needs := expectedNeeds(in)

	// None left out, nobody twice: allocations and unserved are the needs.
	seen := map[string]bool{}
	for _, a := range res.Allocations {
		if seen[a.StudentID] {
			t.Fatalf("student %s listed twice", a.StudentID)
		}
		seen[a.StudentID] = true
	}
	for _, u := range res.Unserved {
		if seen[u.StudentID] {
			t.Fatalf("student %s both served and waiting (or waiting twice)", u.StudentID)
		}
		seen[u.StudentID] = true
	}
	if len(seen) != len(needs) {
		t.Fatalf("%d students in the result, %d needs", len(seen), len(needs))
	}
	for id := range needs {
		if !seen[id] {
			t.Fatalf("need %s left out", id)
		}
	}
	// Every need served when devices suffice; no device idle while a need
	// waits (every passing device may reach any need once its area's needs
	// are met).
	if want := min(len(needs), passing); len(res.Allocations) != want {
		t.Fatalf("served %d, want min(needs %d, passing devices %d)", len(res.Allocations), len(needs), passing)
	}
	if len(res.UnusedDevices) > 0 && len(res.Unserved) > 0 {
		t.Fatalf("devices %v left while %d needs wait", res.UnusedDevices, len(res.Unserved))
	}

	// Devices: once, passing, not allocated before, legal for the area.
	unmetIn := func(areaCode string) bool {
		for _, u := range res.Unserved {
			if anc.within(u.AreaCode, areaCode) {
				return true
			}
		}
		return false
	}
	used := map[string]bool{}
	simGiven := map[string]int{}
	for _, a := range res.Allocations {
		st := needs[a.StudentID]
		if a.SchoolID != st.SchoolID || a.Priority != st.Priority {
			t.Fatalf("allocation %+v does not match the kept record %+v", a, st)
		}
		if used[a.DeviceID] {
			t.Fatalf("device %s given twice", a.DeviceID)
		}
		used[a.DeviceID] = true
		d, ok := devices[a.DeviceID]
		if !ok || !CheckDevice(d, s).OK || in.AllocatedDevices[a.DeviceID] {
			t.Fatalf("device %s must not be allocated", a.DeviceID)
		}
		if u := unknownRequired(d, s); len(u) > 0 {
			t.Fatalf("device %s allocated with unknown required conditions %v", d.ID, u)
		}
		if !anc.within(a.AreaCode, d.AreaCode) && unmetIn(d.AreaCode) {
			t.Fatalf("device %s held by %s left its area while needs there wait", d.ID, d.AreaCode)
		}
		home, known := in.Connectivity[st.HouseholdID]
		if a.SimPackageID != "" {
			p := pkgs[a.SimPackageID]
			simGiven[p.ID]++
			if !CheckSim(p, s).OK {
				t.Fatalf("failing SIM package %s given", p.ID)
			}
			switch a.SimNetwork {
			case SimNetwork4G:
				if !known || classIndex(home.Class) != c4G || !slices.ContainsFunc(home.Operators4G, func(op string) bool { return strings.EqualFold(op, p.Operator) }) {
					t.Fatalf("4G SIM %s (%s) given to %s whose home is %+v", p.ID, p.Operator, a.StudentID, home)
				}
			case SimNetwork3G:
				// A 3G SIM only where its operator has 3G at the home.
				if cl := classIndex(home.Class); !known || (cl != c4G && cl != c3G) || !slices.ContainsFunc(home.Operators3G, func(op string) bool { return strings.EqualFold(op, p.Operator) }) {
					t.Fatalf("3G SIM %s (%s) given to %s whose home is %+v", p.ID, p.Operator, a.StudentID, home)
				}
				if a.Flag != FlagNone || a.Reason == Reason4GSim {
					t.Fatalf("3G SIM allocation %+v", a)
				}
			default:
				t.Fatalf("SIM %s given to %s with network %q", p.ID, a.StudentID, a.SimNetwork)
			}
			if !anc.within(a.AreaCode, p.AreaCode) {
				t.Fatalf("SIM %s held by %s given in %s", p.ID, p.AreaCode, a.AreaCode)
			}
		}
		wantFlag := FlagNone
		switch {
		case a.SimNetwork == SimNetwork3G:
		case !known || !ready(classIndex(home.Class)):
			wantFlag = FlagNeedsConnectivity
		case classIndex(home.Class) == c4G && a.SimPackageID == "":
			wantFlag = FlagNeedsSim
		}
		if a.Flag != wantFlag {
			t.Fatalf("allocation %+v: flag %q, want %q", a, a.Flag, wantFlag)
		}
	}
	remaining := map[string]int{}
	for _, p := range res.SimStock {
		remaining[p.PackageID] = p.Remaining
		start := max(0, pkgs[p.PackageID].Quantity-in.SimUsed[p.PackageID])
		if p.Given != simGiven[p.PackageID] || p.Remaining != start-p.Given || p.Remaining < 0 {
			t.Fatalf("SIM stock %+v (given in allocations %d)", p, simGiven[p.PackageID])
		}
	}
	// No SIM left that a student still without one could have had (4G,
	// or 3G at a 4G or 3G home), and no 3G SIM where a 4G SIM fits: the
	// 3G fallback runs after every 4G match, and stock only goes down.
	for _, a := range res.Allocations {
		home, known := in.Connectivity[needs[a.StudentID].HouseholdID]
		cl := classIndex(home.Class)
		if !known || (cl != c4G && cl != c3G) || a.SimNetwork == SimNetwork4G {
			continue
		}
		for _, p := range pkgs {
			if remaining[p.ID] == 0 || !anc.within(a.AreaCode, p.AreaCode) || !CheckSim(p, s).OK {
				continue
			}
			has := func(op string) bool { return strings.EqualFold(op, p.Operator) }
			if cl == c4G && slices.ContainsFunc(home.Operators4G, has) {
				t.Fatalf("student %s has no 4G SIM (network %q) while package %s (%s, 4G at the home) has %d left", a.StudentID, a.SimNetwork, p.ID, p.Operator, remaining[p.ID])
			}
			if a.SimPackageID == "" && slices.ContainsFunc(home.Operators3G, has) && (cl == c3G || len(home.Operators4G) > 0) {
				t.Fatalf("student %s has no SIM while package %s (%s, 3G at the home) has %d left", a.StudentID, p.ID, p.Operator, remaining[p.ID])
			}
		}
	}
	for _, id := range res.UnusedDevices {
		if used[id] || !CheckDevice(devices[id], s).OK {
			t.Fatalf("unused device %s", id)
		}
	}
	checkPolicies(t, in, s, res, needs, devices, pkgs)

	// Tier order: in each school, the served are exactly the first ranks,
	// and no served student has a lower tier (higher number) than one left
	// waiting.
	type pool struct {
		maxServedTier, minWaitingTier, served, size int
	}
	pools := map[string]*pool{}
	get := func(id string) *pool {
		if pools[id] == nil {
			pools[id] = &pool{minWaitingTier: 99}
		}
		return pools[id]
	}
	for _, a := range res.Allocations {
		p := get(a.SchoolID)
		p.maxServedTier = max(p.maxServedTier, a.Priority)
		p.served++
		if a.Rank > a.SchoolSeats || a.SchoolSeats > a.PoolSize {
			t.Fatalf("allocation rank %d of seats %d pool %d", a.Rank, a.SchoolSeats, a.PoolSize)
		}
	}
	for _, u := range res.Unserved {
		p := get(u.SchoolID)
		p.minWaitingTier = min(p.minWaitingTier, u.Priority)
		if u.Rank <= u.SchoolSeats {
			t.Fatalf("waiting student %s has rank %d within the %d seats", u.StudentID, u.Rank, u.SchoolSeats)
		}
	}
	for id, p := range pools {
		if p.maxServedTier > p.minWaitingTier {
			t.Fatalf("school %s served tier %d while tier %d waits", id, p.maxServedTier, p.minWaitingTier)
		}
	}

	// Caps and summaries.
	total := 0
	for _, a := range res.Areas {
		if a.Allocated > a.Needs || a.Unmet != a.Needs-a.Allocated || a.Allocated < 0 {
			t.Fatalf("area %+v", a)
		}
		if a.FromOwnStock+a.ReturnedToParent != a.Stock || a.FromOwnStock+a.FromParent != a.Allocated || a.FromParent < 0 {
			t.Fatalf("area stock flow %+v", a)
		}
		if a.ParentCode == "" {
			total += a.Allocated
		}
	}
	if total != res.Totals.Allocated || res.Totals.Allocated != len(res.Allocations) || res.Totals.Needs != len(needs) {
		t.Fatalf("totals %+v, roots %d, allocations %d, needs %d", res.Totals, total, len(res.Allocations), len(needs))
	}
	for _, u := range res.Units {
		if u.Seats > u.Cap && u.Seats != u.Held || u.Seats < u.Held {
			t.Fatalf("unit %+v", u)
		}
	}
	perSchool := map[string]int{}
	for _, a := range res.Allocations {
		perSchool[a.SchoolID]++
	}
	unitSeats := map[string]int{} // strict: one unit per tier
	for _, u := range res.Units {
		if u.Kind == "school" {
			unitSeats[u.Code] += u.Seats
		}
		if (u.Tier != 0) != (s.TierOrder == TierOrderStrict) {
			t.Fatalf("unit %+v with tier order %s", u, s.TierOrder)
		}
	}
	for code, n := range unitSeats {
		if perSchool[code] != n {
			t.Fatalf("school %s has %d seats in its units but %d allocations", code, n, perSchool[code])
		}
	}
}

func canonical(t *testing.T, res *Result) []byte {
	t.Helper()
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// shuffled copies in with every slice (and every home's operator list) in
// a random order.
func shuffled(rng *rand.Rand, in Input) Input {
	out := in
	shuffle := func(n int, swap func(i, j int)) { rng.Shuffle(n, swap) }
	out.Areas = slices.Clone(in.Areas)
	shuffle(len(out.Areas), func(i, j int) { out.Areas[i], out.Areas[j] = out.Areas[j], out.Areas[i] })
	out.Schools = slices.Clone(in.Schools)
	shuffle(len(out.Schools), func(i, j int) { out.Schools[i], out.Schools[j] = out.Schools[j], out.Schools[i] })
	out.Students = slices.Clone(in.Students)
	shuffle(len(out.Students), func(i, j int) { out.Students[i], out.Students[j] = out.Students[j], out.Students[i] })
	out.Devices = slices.Clone(in.Devices)
	shuffle(len(out.Devices), func(i, j int) { out.Devices[i], out.Devices[j] = out.Devices[j], out.Devices[i] })
	out.SimPackages = slices.Clone(in.SimPackages)
	shuffle(len(out.SimPackages), func(i, j int) { out.SimPackages[i], out.SimPackages[j] = out.SimPackages[j], out.SimPackages[i] })
	out.Connectivity = map[string]Connectivity{}
	for k, c := range in.Connectivity {
		ops := slices.Clone(c.Operators4G)
		shuffle(len(ops), func(i, j int) { ops[i], ops[j] = ops[j], ops[i] })
		ops3 := slices.Clone(c.Operators3G)
		shuffle(len(ops3), func(i, j int) { ops3[i], ops3[j] = ops3[j], ops3[i] })
		out.Connectivity[k] = Connectivity{Class: c.Class, Operators4G: ops, Operators3G: ops3}
	}
	return out
}

func TestPropertiesRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(2026, 4))
	ctx := context.Background()
	for iter := range 1500 {
		in := randomInput(rng)
		s := randomSettings(rng)
		res, err := Allocate(ctx, in, s)
		if err != nil {
			t.Fatalf("iter %d: %v", iter, err)
		}
		t.Run(fmt.Sprint(iter), func(t *testing.T) {
			checkInvariants(t, in, s, res)
		})
		if t.Failed() {
			b, _ := json.MarshalIndent(in, "", " ")
			t.Fatalf("input of iter %d:\n%s", iter, b)
		}

		// Determinism: the same input twice, and shuffled.
		want := canonical(t, res)
		again, err := Allocate(ctx, in, s)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(canonical(t, again), want) {
			t.Fatalf("iter %d: two runs differ", iter)
		}
		sh, err := Allocate(ctx, shuffled(rng, in), s)
		if err != nil {
			t.Fatal(err)
		}
		if got := canonical(t, sh); !bytes.Equal(got, want) {
			t.Fatalf("iter %d: shuffled input changes the output:\n%s\n%s", iter, want, got)
		}

		// House monotonicity: more devices in the common pool never give
		// any area or school fewer.
		more := in
		more.Devices = slices.Clone(in.Devices)
		for k := range 1 + rng.IntN(4) {
			d := goodLaptop()
			d.ID = fmt.Sprintf("extra%d", k)
			more.Devices = append(more.Devices, d)
		}
		resMore, err := Allocate(ctx, more, s)
		if err != nil {
			t.Fatal(err)
		}
		compareMonotone(t, iter, res, resMore, nil)

		// A device added to an area's own stock never gives that area (or
		// any area above it) fewer.
		if len(in.Areas) > 0 {
			holder := in.Areas[rng.IntN(len(in.Areas))].Code
			local := in
			local.Devices = slices.Clone(in.Devices)
			d := goodLaptop()
			d.ID, d.AreaCode = "extra-local", holder
			local.Devices = append(local.Devices, d)
			resLocal, err := Allocate(ctx, local, s)
			if err != nil {
				t.Fatal(err)
			}
			anc := newAncestry(in.Areas)
			compareMonotone(t, iter, res, resLocal, func(code string) bool { return anc.within(holder, code) })
			checkInvariants(t, local, s, resLocal)
		}
	}
}

// compareMonotone fails if an area (among those only selects, nil = all)
// or, when only is nil, a school got fewer devices in after than in before.
func compareMonotone(t *testing.T, iter int, before, after *Result, only func(code string) bool) {
	t.Helper()
	got := map[string]int{}
	for _, a := range after.Areas {
		got[a.Code] = a.Allocated
	}
	for _, a := range before.Areas {
		if (only == nil || only(a.Code)) && got[a.Code] < a.Allocated {
			t.Fatalf("iter %d: area %s got %d, then %d with more devices", iter, a.Code, a.Allocated, got[a.Code])
		}
	}
	if only != nil {
		return
	}
	count := func(res *Result) map[string]int {
		m := map[string]int{}
		for _, a := range res.Allocations {
			m[a.SchoolID]++
		}
		return m
	}
	b, a := count(before), count(after)
	for id, n := range b {
		if a[id] < n {
			t.Fatalf("iter %d: school %s got %d, then %d with more devices", iter, id, n, a[id])
		}
	}
}

// The generator at a small scale, through every invariant, and twice the
// same for one seed.
func TestGenerateBenchSmall(t *testing.T) {
	in := GenerateBench(3, 30_000, 8_000, 22, 300)
	s := DefaultSettings()
	res := run(t, in, s)
	checkInvariants(t, in, s, res)
	if len(res.Allocations) == 0 || len(res.Unserved) == 0 || res.Totals.SimsGiven == 0 || len(res.RejectedDevices) == 0 {
		t.Fatalf("the generator should make a scarce, mixed instance: %+v", res.Totals)
	}
	var returned int
	for _, a := range res.Areas {
		returned += a.ReturnedToParent
	}
	again := run(t, GenerateBench(3, 30_000, 8_000, 22, 300), s)
	if !bytes.Equal(canonical(t, res), canonical(t, again)) {
		t.Fatal("GenerateBench is not deterministic")
	}
	// Plenty of devices: everyone served, the rest unused, surplus moved.
	rich := GenerateBench(4, 500, 4_000, 11, 40)
	res = run(t, rich, s)
	checkInvariants(t, rich, s, res)
	if len(res.Unserved) != 0 || len(res.UnusedDevices) == 0 {
		t.Fatalf("rich: unserved %d unused %d", len(res.Unserved), len(res.UnusedDevices))
	}
	returned = 0
	for _, a := range res.Areas {
		returned += a.ReturnedToParent
	}
	if returned == 0 {
		t.Fatal("rich: some area stock should have returned up")
	}
}

// supports reports whether record s (its household's poverty status in pov,
// known tells whether the household is in Input.Poverty) supports serving
// s at tier.
func supports(s data.Student, pov string, known bool, tier int) bool {
	switch tier {
	case data.TierPoor:
		return pov == data.PovertyPoor || (!known && s.Priority == data.TierPoor)
	case data.TierNearPoor:
		return (pov == data.PovertyPoor && s.Priority >= data.TierNearPoor) || pov == data.PovertyNearPoor || (!known && s.Priority == data.TierNearPoor)
	case data.TierCovid:
		return s.Priority == data.TierCovid && s.CovidOrphan
	}
	return false
}

// With household poverty statuses and COVID-19 flags at random, no student
// is ever served (or waits) at a tier that its household's poverty status or
// the COVID-19 flag does not support, never above its claimed tier for tiers
// 1–2, and every mismatch among the needs is a conflict with a reason code.
func TestPropertyEligibility(t *testing.T) {
	rng := rand.New(rand.NewPCG(2026, 11))
	ctx := context.Background()
	povs := []string{data.PovertyPoor, data.PovertyNearPoor, data.PovertyNone}
	for iter := range 1000 {
		in := randomInput(rng)
		in.Poverty = map[string]string{}
		for h := range 12 {
			if rng.IntN(10) > 0 { // some households unknown
				in.Poverty[fmt.Sprintf("H%d", h)] = povs[rng.IntN(3)]
			}
		}
		for i := range in.Students {
			in.Students[i].CovidOrphan = rng.IntN(2) == 0
		}
		res, err := Allocate(ctx, in, randomSettings(rng))
		if err != nil {
			t.Fatalf("iter %d: %v", iter, err)
		}
		ok := func(id, school string, tier int) bool {
			for _, s := range in.Students {
				if s.ID == id && s.SchoolID == school {
					pov, known := in.Poverty[s.HouseholdID]
					if supports(s, pov, known, tier) && (s.Priority == data.TierCovid || tier >= s.Priority) {
						return true
					}
				}
			}
			return false
		}
		for _, a := range res.Allocations {
			if !ok(a.StudentID, a.SchoolID, a.Priority) {
				t.Fatalf("iter %d: %s served at tier %d, which its record does not support", iter, a.StudentID, a.Priority)
			}
		}
		for _, u := range res.Unserved {
			if !ok(u.StudentID, u.SchoolID, u.Priority) {
				t.Fatalf("iter %d: %s waits at tier %d, which its record does not support", iter, u.StudentID, u.Priority)
			}
		}
		reasons := map[string]Conflict{}
		for _, c := range res.Conflicts {
			if c.Reason == "" {
				continue
			}
			if _, dup := reasons[c.StudentID]; dup {
				t.Fatalf("iter %d: two eligibility conflicts for %s", iter, c.StudentID)
			}
			reasons[c.StudentID] = c
			if c.ServedTier == c.ClaimedTier {
				t.Fatalf("iter %d: conflict %+v serves the claimed tier", iter, c)
			}
		}
		// Every kept need whose claimed tier is not supported is a conflict,
		// and is served (or waits) at the conflict's served tier.
		at := map[string]int{}
		for _, a := range res.Allocations {
			at[a.StudentID] = a.Priority
		}
		for _, u := range res.Unserved {
			at[u.StudentID] = u.Priority
		}
		for id, c := range reasons {
			if at[id] != c.ServedTier {
				t.Fatalf("iter %d: conflict %+v, but served at tier %d", iter, c, at[id])
			}
		}
		// Without a conflict, a need is served (or waits) at its claimed tier.
		claimed := func(id, school string, tier int) bool {
			for _, s := range in.Students {
				if s.ID == id && s.SchoolID == school && s.Priority == tier {
					return true
				}
			}
			return false
		}
		for _, a := range res.Allocations {
			if _, has := reasons[a.StudentID]; !has && !claimed(a.StudentID, a.SchoolID, a.Priority) {
				t.Fatalf("iter %d: %s served at tier %d, not its claimed tier, without a conflict", iter, a.StudentID, a.Priority)
			}
		}
		for id := range at {
			if c, has := reasons[id]; has && c.ClaimedTier == at[id] {
				t.Fatalf("iter %d: %s at its claimed tier despite conflict", iter, id)
			}
		}
	}
}

// unknownRequired lists, independently of CheckDevice, the required
// conditions of d that the file leaves unknown (issue 11): phones and
// tablets need a charger and working speaker/mic/camera; laptops a charger,
// screen, keyboard and audio/webcam; desktops screen, keyboard, audio,
// monitor and (when required by s) Wi-Fi.
func unknownRequired(d data.Device, s Settings) []string {
	var out []string
	need := func(c data.Cond, name string) {
		if !c.Known() {
			out = append(out, name)
		}
	}
	switch strings.ToLower(d.Type) {
	case data.DevicePhone, data.DeviceTablet:
		need(d.HasCharger, "has_charger")
		need(d.AVOK, "av_ok")
	case data.DeviceLaptop:
		need(d.HasCharger, "has_charger")
		need(d.ScreenOK, "screen_ok")
		need(d.KeyboardOK, "keyboard_ok")
		need(d.AVOK, "av_ok")
	case data.DeviceDesktop:
		need(d.ScreenOK, "screen_ok")
		need(d.KeyboardOK, "keyboard_ok")
		need(d.AVOK, "av_ok")
		need(d.HasMonitor, "has_monitor")
		if s.DesktopWiFiRequired {
			need(d.WiFi, "wifi")
		}
	}
	return out
}

// checkPolicies checks the priority policies of issue 11 on one run:
// stock held by a school serves its own students first; with the strict
// tier order no student is served from stock that a waiting student of a
// higher tier could have received; the summaries count every pupil.
// devices and pkgs hold the stock with AreaCode set to where it is held.
func checkPolicies(t *testing.T, in Input, s Settings, res *Result, needs map[string]data.Student,
	devices map[string]data.Device, pkgs map[string]data.SimPackage) {
	t.Helper()
	anc := newAncestry(in.Areas)
	home := func(studentID string) Connectivity { return in.Connectivity[needs[studentID].HouseholdID] }
	// usable: the waiting student could have received device d.
	usable := func(d data.Device, studentID string) bool {
		noWiFi := s.DesktopWiFiRequired && d.Type == data.DeviceDesktop && d.WiFi == data.CondNo
		return !noWiFi || classIndex(home(studentID).Class) == cFiber
	}
	waiting := map[string][]Unserved{} // by school
	for _, u := range res.Unserved {
		waiting[u.SchoolID] = append(waiting[u.SchoolID], u)
	}
	// lca is the deepest area holding both a and b ("" = the root).
	lca := func(a, b string) string {
		for x := a; ; x = anc[x] {
			if anc.within(b, x) {
				return x
			}
			if x == "" {
				return ""
			}
		}
	}
	for _, a := range res.Allocations {
		d := devices[a.DeviceID]
		// Held by a school: its own waiting students could have had it.
		if d.SchoolID != "" && d.SchoolID != a.SchoolID {
			for _, u := range waiting[d.SchoolID] {
				if usable(d, u.StudentID) {
					t.Fatalf("device %s of school %s went to %s at %s while %s waits at its own school", d.ID, d.SchoolID, a.StudentID, a.SchoolID, u.StudentID)
				}
			}
		}
		if s.TierOrder != TierOrderStrict {
			continue
		}
		// Strict: the device reached a.SchoolID through the pool of the
		// deepest area holding both (or it is the school's own); no student
		// of a higher tier (smaller number) there waits who could use it.
		if d.SchoolID == a.SchoolID {
			for _, u := range waiting[a.SchoolID] {
				if u.Priority < a.Priority && usable(d, u.StudentID) {
					t.Fatalf("strict: school %s's own device %s went to tier %d %s while tier %d %s waits there", a.SchoolID, d.ID, a.Priority, a.StudentID, u.Priority, u.StudentID)
				}
			}
			continue
		}
		top := lca(d.AreaCode, a.AreaCode)
		for _, u := range res.Unserved {
			if u.Priority < a.Priority && anc.within(u.AreaCode, top) && usable(d, u.StudentID) {
				t.Fatalf("strict: device %s (held at %q) went to tier %d %s at %s while tier %d %s waits at %s, inside area %q",
					d.ID, d.AreaCode, a.Priority, a.StudentID, a.SchoolID, u.Priority, u.StudentID, u.SchoolID, top)
			}
		}
	}
	// A school's SIM package serves its own 4G students first.
	for _, a := range res.Allocations {
		if a.SimPackageID == "" {
			continue
		}
		p := pkgs[a.SimPackageID]
		if p.SchoolID == "" || p.SchoolID == a.SchoolID {
			continue
		}
		for _, b := range res.Allocations {
			if b.SchoolID == p.SchoolID && b.Flag == FlagNeedsSim &&
				slices.ContainsFunc(home(b.StudentID).Operators4G, func(op string) bool { return strings.EqualFold(op, p.Operator) }) {
				t.Fatalf("SIM package %s of school %s went to %s at %s while %s there has none", p.ID, p.SchoolID, a.StudentID, a.SchoolID, b.StudentID)
			}
		}
	}
	// Summaries: every pupil (each id once), priority 0 included.
	kept := map[string]data.Student{}
	for _, st := range in.Students {
		if k, ok := kept[st.ID]; !ok || compareRecords(&st, &k) < 0 {
			kept[st.ID] = st
		}
	}
	without, t12 := 0, 0
	for id, st := range kept {
		if !st.HasDevice && !in.Served[id] {
			without++
		}
		if st.Priority == 1 || st.Priority == 2 {
			t12++
		}
	}
	tot := res.Totals
	if tot.Pupils != len(kept) || tot.PupilsWithoutDevice != without || tot.Equipped != len(kept)-without+len(res.Allocations) {
		t.Fatalf("totals: pupils %d without %d equipped %d; want %d, %d, %d", tot.Pupils, tot.PupilsWithoutDevice, tot.Equipped, len(kept), without, len(kept)-without+len(res.Allocations))
	}
	if in.Poverty == nil && tot.Tier12Pupils != t12 {
		t.Fatalf("tier 1–2 pupils %d, want %d", tot.Tier12Pupils, t12)
	}
	if tot.AllocatedTier1+tot.AllocatedTier2+tot.AllocatedTier3 != tot.Allocated {
		t.Fatalf("allocated by tier %d+%d+%d != %d", tot.AllocatedTier1, tot.AllocatedTier2, tot.AllocatedTier3, tot.Allocated)
	}
}
