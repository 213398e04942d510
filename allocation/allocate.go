package allocation

import (
	"cmp"
	"context"
	"fmt"
	"hash/maphash"
	"slices"
	"strings"

	"github.com/gapmap/gapmap/data"
)

// need is one student to serve, in the hot paths.
type need struct {
	stu    int32  // index in Input.Students
	school int32  // school position
	ops    uint64 // operators (SIM operator ids) whose 4G covers the home
	ops3   uint64 // operators (SIM operator ids) whose 3G covers the home (the 3G fallback)
	tier   uint8
	class  uint8
	named  bool // the coverage run named at least one 4G operator
}

// simPkg is one passing SIM package.
type simPkg struct {
	orig      int32 // index in Input.SimPackages
	node      int32
	op        int // operator id
	used      int // Input.SimUsed
	remaining int
	given     int
}

// engine holds one run's working state.
type engine struct {
	ctx context.Context
	in  *Input
	r   *rules
	t   *tree
	sc  *schoolIndex
	res *Result

	// devices
	devRank []int32 // index in Input.Devices → rank by id
	devType []uint8
	held    []*[numTypes][]int32 // per node: passing devices held there, by type, by id
	supply  []int32              // per node: passing devices held in the subtree

	// SIMs
	pkgs     []simPkg
	pkgsAt   [][]int32 // per node: packages held there, by id
	ops      []string  // operator id → normalised name
	opRankOf []int     // operator id → preference rank

	// students
	eligibility []Conflict // eligibility conflicts, in student order
	needs       []need     // in pool order: school position, then tier, connectivity policy, id
	needStart   []int32    // per school position, len schools+1

	// counts
	demand     []int32 // per node
	weight     []float64
	local      []int32
	nodeSeats  []int32
	schoolSeat []int32
	returned   []int32
	assigned   []int32 // devices per school position, flat, offsets seatStart
	seatStart  []int32
	unused     []int32

	// priority policies (policy.go)
	tagMask      []uint8              // per node: priority tags of the node and its parents
	areaW        []float64            // per node: product of the weights of its tags
	schoolHeld   []*[numTypes][]int32 // per school position: devices it holds (nil: no school holds any)
	schoolSupply []int32              // per school position: passing devices it holds
	schoolPkgs   [][]int32            // per school position: SIM packages it holds
	tierSeats    [][4]int32           // strict: per node, seats by tier
	pupils       []pupilCount         // per school position

	// servedK[s]: the pool indices of school s's served students, in
	// allocation order (not always the first ranks: a desktop without
	// Wi-Fi skips homes that are not fiber).
	servedK [][]int32
}

// Allocate turns devices and SIM packages into allocations, school by
// school. It is pure and deterministic: identical input (in any order) and
// settings give identical results. See the package documentation for the
// rules. Input problems (unknown area codes, duplicate ids, …) come back as
// one *InputError listing them all; nothing is allocated then.
func Allocate(ctx context.Context, in Input, s Settings) (*Result, error) {
	r, err := s.resolve()
	if err != nil {
		return nil, err
	}
	e := &engine{ctx: ctx, in: &in, r: r, res: &Result{}}
	var pb problems
	e.t = buildTree(in.Areas, &pb)
	e.sc = indexSchools(in.Schools, e.t, r, &pb)
	e.areaFactors(&pb)
	e.intakeDevices(&pb)
	e.intakeSims(&pb)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := e.readStudents(&pb); err != nil {
		return nil, err
	}
	if err := pb.err(); err != nil {
		return nil, err
	}
	steps := []func() error{e.poolNeeds, e.apportion, e.placeDevices, e.serveStudents, e.giveSchoolSims, e.giveSims, e.summarise}
	for _, step := range steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := step(); err != nil {
			return nil, err
		}
	}
	return e.res, nil
}

// intakeDevices checks every device not allocated before and puts the
// passing ones in the stock of the node that holds them.
func (e *engine) intakeDevices(pb *problems) {
	devs := e.in.Devices
	ord := make([]int32, len(devs))
	for i := range ord {
		ord[i] = int32(i)
	}
	slices.SortFunc(ord, func(a, b int32) int { return strings.Compare(devs[a].ID, devs[b].ID) })
	nodes := len(e.t.code)
	e.devRank = make([]int32, len(devs))
	e.devType = make([]uint8, len(devs))
	e.held = make([]*[numTypes][]int32, nodes)
	e.supply = make([]int32, nodes)
	for k, i := range ord {
		d := &devs[i]
		e.devRank[i] = int32(k)
		if d.ID == "" {
			pb.add("device #%d (serial %q) has no id; give every device a unique id", i+1, d.Serial)
			continue
		}
		if k > 0 && devs[ord[k-1]].ID == d.ID {
			pb.add("device id %q appears more than once; device ids must be unique", d.ID)
			continue
		}
		if e.in.AllocatedDevices[d.ID] {
			e.res.AlreadyAllocated++
			continue
		}
		v, school, ok := e.holder(d.AreaCode, d.SchoolID, "device "+d.ID, pb)
		if !ok {
			continue
		}
		chk := CheckDevice(*d, e.r.settings)
		if !chk.OK {
			e.res.RejectedDevices = append(e.res.RejectedDevices, DeviceCheck{DeviceID: d.ID, SpecResult: chk})
			continue
		}
		if len(chk.Warnings) > 0 {
			e.res.DeviceWarnings = append(e.res.DeviceWarnings, DeviceCheck{DeviceID: d.ID, SpecResult: chk})
		}
		t := typeIndex(d.Type)
		e.devType[i] = uint8(t)
		if school >= 0 {
			if e.schoolHeld == nil {
				n := len(e.sc.orig)
				e.schoolHeld = make([]*[numTypes][]int32, n)
				e.schoolSupply = make([]int32, n)
			}
			if e.schoolHeld[school] == nil {
				e.schoolHeld[school] = new([numTypes][]int32)
			}
			e.schoolHeld[school][t] = append(e.schoolHeld[school][t], i)
			e.schoolSupply[school]++
			e.supply[v]++
			continue
		}
		if e.held[v] == nil {
			e.held[v] = new([numTypes][]int32)
		}
		e.held[v][t] = append(e.held[v][t], i)
		e.supply[v]++
	}
}

// maxOperators bounds the distinct SIM operators (a bit set per home).
const maxOperators = 64

// intakeSims checks the SIM packages and indexes the passing ones.
func (e *engine) intakeSims(pb *problems) {
	pk := e.in.SimPackages
	ord := make([]int32, len(pk))
	for i := range ord {
		ord[i] = int32(i)
	}
	slices.SortFunc(ord, func(a, b int32) int { return strings.Compare(pk[a].ID, pk[b].ID) })
	e.pkgsAt = make([][]int32, len(e.t.code))
	opID := map[string]int{}
	for k, i := range ord {
		p := &pk[i]
		if p.ID == "" {
			pb.add("SIM package #%d (%s) has no id; give every package a unique id", i+1, p.Operator)
			continue
		}
		if k > 0 && pk[ord[k-1]].ID == p.ID {
			pb.add("SIM package id %q appears more than once; package ids must be unique", p.ID)
			continue
		}
		v, school, ok := e.holder(p.AreaCode, p.SchoolID, "SIM package "+p.ID, pb)
		if !ok {
			continue
		}
		chk := CheckSim(*p, e.r.settings)
		if !chk.OK {
			e.res.RejectedSims = append(e.res.RejectedSims, SimCheck{PackageID: p.ID, SimResult: chk})
			continue
		}
		name := normOperator(p.Operator)
		id, ok := opID[name]
		if !ok {
			if len(e.ops) == maxOperators {
				pb.add("SIM packages name more than %d operators (%q is one too many); normalise operator names", maxOperators, p.Operator)
				continue
			}
			id = len(e.ops)
			opID[name] = id
			e.ops = append(e.ops, name)
			e.opRankOf = append(e.opRankOf, e.r.operatorRank(name))
		}
		used := e.in.SimUsed[p.ID]
		if school >= 0 {
			if e.schoolPkgs == nil {
				e.schoolPkgs = make([][]int32, len(e.sc.orig))
			}
			e.schoolPkgs[school] = append(e.schoolPkgs[school], int32(len(e.pkgs)))
		} else {
			e.pkgsAt[v] = append(e.pkgsAt[v], int32(len(e.pkgs)))
		}
		e.pkgs = append(e.pkgs, simPkg{orig: i, node: v, op: id, used: used, remaining: max(0, p.Quantity-used)})
	}
}

// opBit returns the bit of a home's operator name, 0 when no SIM package
// is of that operator.
func (e *engine) opBit(name string) uint64 {
	name = strings.TrimSpace(name)
	for id, op := range e.ops {
		if strings.EqualFold(op, name) {
			return 1 << uint(id)
		}
	}
	return 0
}

// readStudents finds the needs: students of tiers 1–3 without a device,
// not served before, each id once (see Conflict).
func (e *engine) readStudents(pb *problems) error {
	st := e.in.Students
	dropped, err := e.conflicts()
	if err != nil {
		return err
	}
	dropped = e.sameChild(dropped)
	e.needs = make([]need, 0, len(st)/2)
	e.pupils = make([]pupilCount, len(e.sc.orig))
	for i := range st {
		if i&0xffff == 0 {
			if err := e.ctx.Err(); err != nil {
				return err
			}
		}
		if dropped != nil && dropped[i] {
			continue
		}
		s := &st[i]
		if s.ID == "" {
			pb.add("student #%d (school %q) has no id; give every student a unique id", i+1, s.SchoolID)
			continue
		}
		pos, ok := e.sc.pos[s.SchoolID]
		if !ok {
			pb.ref("school", s.SchoolID, "student "+s.ID)
			continue
		}
		if s.Priority < data.TierNone || s.Priority > data.TierCovid {
			pb.add("student %q has priority %d; use 0 (none), 1 (poor), 2 (near-poor) or 3 (COVID hardship)", s.ID, s.Priority)
			continue
		}
		pc := &e.pupils[pos]
		pc.pupils++
		servedBefore := len(e.in.Served) > 0 && e.in.Served[s.ID]
		if !s.HasDevice && !servedBefore {
			pc.without++
		}
		if s.HasDevice || servedBefore {
			if s.Priority == data.TierPoor || s.Priority == data.TierNearPoor {
				pc.tier12++
				pc.tier12Equipped++
			}
		}
		if s.Priority == data.TierNone || s.HasDevice {
			continue
		}
		if servedBefore {
			e.res.AlreadyServed++
			continue
		}
		tier := s.Priority
		if e.in.Poverty != nil {
			if tier = e.eligible(s); tier == data.TierNone {
				continue
			}
		}
		if tier == data.TierPoor || tier == data.TierNearPoor {
			pc.tier12++
		}
		n := need{stu: int32(i), school: pos, tier: uint8(tier), class: cUnknown}
		if c, ok := e.in.Connectivity[s.HouseholdID]; ok {
			cl := classIndex(c.Class)
			if cl < 0 {
				pb.ref("class", c.Class, s.HouseholdID)
				continue
			}
			n.class = uint8(cl)
			if cl == c4G {
				n.named = len(c.Operators4G) > 0
				for _, op := range c.Operators4G {
					n.ops |= e.opBit(op)
				}
			}
			if cl == c4G || cl == c3G {
				for _, op := range c.Operators3G {
					n.ops3 |= e.opBit(op)
				}
			}
		}
		e.needs = append(e.needs, n)
	}
	slices.SortStableFunc(e.eligibility, func(a, b Conflict) int { return strings.Compare(a.StudentID, b.StudentID) })
	e.res.Conflicts = append(e.res.Conflicts, e.eligibility...)
	return nil
}

// eligible returns the tier student s is served at: its claimed tier when
// the household's poverty status (and, for tier 3, the COVID-19 orphan flag)
// supports it, else the tier the household supports (a near-poor household
// claiming tier 1 is served at tier 2; a poor or near-poor household claiming
// tier 3 without the flag at tier 1 or 2), else 0 (not served). Every
// mismatch is recorded as a Conflict with its reason code.
func (e *engine) eligible(s *data.Student) int {
	pov, known := e.in.Poverty[s.HouseholdID]
	if !known && s.Priority != data.TierCovid {
		return s.Priority
	}
	supported := data.TierNone
	switch pov {
	case data.PovertyPoor:
		supported = data.TierPoor
	case data.PovertyNearPoor:
		supported = data.TierNearPoor
	}
	served, reason := s.Priority, ""
	switch s.Priority {
	case data.TierPoor:
		if supported != data.TierPoor {
			served, reason = supported, ReasonTier1NotPoor
			if supported == data.TierNearPoor {
				reason = ReasonTier1NearPoor
			}
		}
	case data.TierNearPoor:
		if supported == data.TierNone {
			served, reason = data.TierNone, ReasonTier2NotNearPoor
		}
	case data.TierCovid:
		if !s.CovidOrphan {
			served, reason = supported, ReasonTier3NoCovid
		}
	}
	if reason != "" {
		e.eligibility = append(e.eligibility, Conflict{StudentID: s.ID, SchoolIDs: []string{s.SchoolID}, KeptSchoolID: s.SchoolID,
			Reason: reason, ClaimedTier: s.Priority, ServedTier: served, Poverty: pov})
	}
	return served
}

// conflicts finds student ids listed more than once and keeps one record
// of each: the one at the smallest school id (then smallest priority,
// household id, grade, has_device false first). It returns the records to
// drop (nil when there is none).
func (e *engine) conflicts() ([]bool, error) {
	st := e.in.Students
	type hk struct {
		h uint64
		i int32
	}
	seed := maphash.MakeSeed()
	keys := make([]hk, len(st))
	for i := range st {
		keys[i] = hk{maphash.String(seed, st[i].ID), int32(i)}
	}
	radixSort(keys, func(k hk) uint64 { return k.h })
	if err := e.ctx.Err(); err != nil {
		return nil, err
	}
	var dropped []bool
	var group []int32
	for a := 0; a < len(keys); {
		b := a + 1
		for b < len(keys) && keys[b].h == keys[a].h {
			b++
		}
		if b-a > 1 {
			group = group[:0]
			for _, k := range keys[a:b] {
				group = append(group, k.i)
			}
			slices.SortFunc(group, func(x, y int32) int { return compareRecords(&st[x], &st[y]) })
			for g := 0; g < len(group); {
				h := g + 1
				for h < len(group) && st[group[h]].ID == st[group[g]].ID {
					h++
				}
				if h-g > 1 {
					if dropped == nil {
						dropped = make([]bool, len(st))
					}
					c := Conflict{StudentID: st[group[g]].ID, KeptSchoolID: st[group[g]].SchoolID}
					for _, x := range group[g:h] {
						c.SchoolIDs = append(c.SchoolIDs, st[x].SchoolID)
					}
					for _, x := range group[g+1 : h] {
						dropped[x] = true
					}
					e.res.Conflicts = append(e.res.Conflicts, c)
				}
				g = h
			}
		}
		a = b
	}
	slices.SortFunc(e.res.Conflicts, func(a, b Conflict) int { return strings.Compare(a.StudentID, b.StudentID) })
	return dropped, nil
}

// sameChild finds the same child listed under two ids: records left by
// conflicts with the same folded full name (data.FoldName) and date of
// birth, at the same household or the same school. In each such group the
// id served in a committed run is kept, else an id in need (tier 1–3
// without a device), else the smallest id; every other
// record is dropped and listed as a ReasonSameChild conflict naming the
// kept id. Records without a name or a date of birth are never matched.
// It returns the records to drop (dropped, extended; nil when none).
func (e *engine) sameChild(dropped []bool) []bool {
	st := e.in.Students
	type key struct{ name, birth string }
	var groups map[key][]int32
	for i := range st {
		s := &st[i]
		if s.BirthDate == "" || s.FullName == "" || s.ID == "" || (dropped != nil && dropped[i]) {
			continue
		}
		n := data.FoldName(s.FullName)
		if n == "" {
			continue
		}
		if groups == nil {
			groups = map[key][]int32{}
		}
		k := key{n, s.BirthDate}
		groups[k] = append(groups[k], int32(i))
	}
	for _, g := range groups {
		if len(g) < 2 {
			continue
		}
		// Keep first: the id served before, then an id in need, then the
		// smallest id.
		rank := func(s *data.Student) int {
			switch {
			case e.in.Served[s.ID]:
				return 0
			case s.Priority > data.TierNone && !s.HasDevice:
				return 1
			}
			return 2
		}
		slices.SortFunc(g, func(a, b int32) int {
			if c := cmp.Compare(rank(&st[a]), rank(&st[b])); c != 0 {
				return c
			}
			return strings.Compare(st[a].ID, st[b].ID)
		})
		var kept []int32
		for _, x := range g {
			same := int32(-1)
			for _, k := range kept {
				if st[k].HouseholdID == st[x].HouseholdID || st[k].SchoolID == st[x].SchoolID {
					same = k
					break
				}
			}
			if same < 0 {
				kept = append(kept, x)
				continue
			}
			if dropped == nil {
				dropped = make([]bool, len(st))
			}
			dropped[x] = true
			schools := []string{st[x].SchoolID, st[same].SchoolID}
			slices.Sort(schools)
			e.eligibility = append(e.eligibility, Conflict{StudentID: st[x].ID, SchoolIDs: schools, KeptSchoolID: st[same].SchoolID,
				Reason: ReasonSameChild, ClaimedTier: st[x].Priority, SameAs: st[same].ID})
		}
	}
	return dropped
}

func compareRecords(a, b *data.Student) int {
	if c := strings.Compare(a.ID, b.ID); c != 0 {
		return c
	}
	if c := strings.Compare(a.SchoolID, b.SchoolID); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Priority, b.Priority); c != 0 {
		return c
	}
	if c := strings.Compare(a.HouseholdID, b.HouseholdID); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Grade, b.Grade); c != 0 {
		return c
	}
	if a.HasDevice != b.HasDevice {
		if !a.HasDevice {
			return -1
		}
		return 1
	}
	return 0
}

// radixSort sorts by a 64-bit key, least significant byte first.
func radixSort[T any](a []T, key func(T) uint64) {
	buf := make([]T, len(a))
	src, dst := a, buf
	for shift := uint(0); shift < 64; shift += 16 {
		var count [1 << 16]int
		for _, x := range src {
			count[(key(x)>>shift)&0xffff]++
		}
		sum := 0
		for i, c := range count {
			count[i] = sum
			sum += c
		}
		for _, x := range src {
			d := (key(x) >> shift) & 0xffff
			dst[count[d]] = x
			count[d]++
		}
		src, dst = dst, src
	}
	// Four passes: the sorted data is back in a.
}

// poolNeeds orders every school's pool: tier, then the connectivity
// policy's group, then student id.
func (e *engine) poolNeeds() error {
	nSchools := len(e.sc.orig)
	const perSchool = 6 // 3 tiers × 2 connectivity groups
	bucket := func(n *need) int {
		g := 0
		if ready(int(n.class)) == e.r.needFirst {
			g = 1
		}
		return int(n.school)*perSchool + int(n.tier-1)*2 + g
	}
	start := make([]int32, nSchools*perSchool+1)
	for i := range e.needs {
		start[bucket(&e.needs[i])+1]++
	}
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	sorted := make([]need, len(e.needs))
	cursor := slices.Clone(start[:len(start)-1])
	for i := range e.needs {
		b := bucket(&e.needs[i])
		sorted[cursor[b]] = e.needs[i]
		cursor[b]++
	}
	st := e.in.Students
	for b := 0; b+1 < len(start); b++ {
		if start[b+1]-start[b] > 1 {
			slices.SortFunc(sorted[start[b]:start[b+1]], func(x, y need) int { return strings.Compare(st[x.stu].ID, st[y.stu].ID) })
		}
	}
	e.needs = sorted
	e.needStart = make([]int32, nSchools+1)
	for s := 0; s <= nSchools; s++ {
		e.needStart[s] = start[s*perSchool]
	}
	return nil
}

// apportion computes the seats of every area and school top-down.
func (e *engine) apportion() error {
	t, sc := e.t, e.sc
	nodes := len(t.code)
	nSchools := len(sc.orig)
	if e.r.strict {
		schoolW := make([][4]float64, nSchools)
		for s := range nSchools {
			f := e.areaW[sc.node[s]]
			for _, n := range e.needs[e.needStart[s]:e.needStart[s+1]] {
				schoolW[s][n.tier] += e.r.tierW[n.tier] * e.r.classW[n.class] * f
			}
		}
		return e.apportionStrict(schoolW)
	}
	e.demand = make([]int32, nodes)
	e.weight = make([]float64, nodes)
	schoolW := make([]float64, nSchools)
	for s := range nSchools {
		for _, n := range e.needs[e.needStart[s]:e.needStart[s+1]] {
			schoolW[s] += e.r.tierW[n.tier] * e.r.classW[n.class]
		}
		schoolW[s] *= e.areaW[sc.node[s]]
		v := sc.node[s]
		e.demand[v] += e.needStart[s+1] - e.needStart[s]
		e.weight[v] += schoolW[s]
	}
	for v := nodes - 1; v > 0; v-- {
		p := t.parent[v]
		e.demand[p] += e.demand[v]
		e.weight[p] += e.weight[v]
		e.supply[p] += e.supply[v]
	}
	e.local = make([]int32, nodes)
	for v := range nodes {
		e.local[v] = min(e.demand[v], e.supply[v])
	}
	e.nodeSeats = make([]int32, nodes)
	e.schoolSeat = make([]int32, nSchools)
	e.nodeSeats[0] = e.local[0]
	var (
		h                 slHeap
		w                 []float64
		held, caps, seats []int
		kinds             []int8
		ids               []int32
	)
	for v := range nodes {
		w, held, caps, seats, kinds, ids = w[:0], held[:0], caps[:0], seats[:0], kinds[:0], ids[:0]
		total := int(e.nodeSeats[v])
		for c := int32(v) + 1; c < t.end[v]; c = t.end[c] {
			if e.demand[c] == 0 {
				continue
			}
			w = append(w, e.weight[c])
			held = append(held, int(e.local[c]))
			caps = append(caps, int(e.demand[c]))
			kinds = append(kinds, 0)
			ids = append(ids, c)
			total -= int(e.local[c])
		}
		for s := sc.start[v]; s < sc.start[v+1]; s++ {
			if d := e.needStart[s+1] - e.needStart[s]; d > 0 {
				own := e.ownSchoolLocal(int(s))
				w = append(w, schoolW[s])
				held = append(held, own)
				caps = append(caps, int(d))
				kinds = append(kinds, 1)
				ids = append(ids, s)
				total -= own
			}
		}
		if len(w) == 0 {
			continue
		}
		for range w {
			seats = append(seats, 0)
		}
		if total < 0 {
			return fmt.Errorf("allocation: internal error: area %q has %d seats but its parts hold more; please report this with the input", t.code[v], e.nodeSeats[v])
		}
		out := h.run(total, w, held, caps, seats)
		if out.left != 0 {
			return fmt.Errorf("allocation: internal error: %d seats of area %q found no need; please report this with the input", out.left, t.code[v])
		}
		ex := explain(total, w, held, caps, seats, out)
		for k := range w {
			u := UnitExplanation{Parent: t.code[v], Seat: Seat{
				Weight: w[k], Quota: ex[k].quota, Held: held[k], Seats: seats[k], Cap: caps[k],
				Capped: seats[k] >= caps[k], Rule: ex[k].rule,
			}}
			if kinds[k] == 0 {
				u.Kind, u.Code, u.AreaWeight = "area", t.code[ids[k]], e.areaW[ids[k]]
				e.nodeSeats[ids[k]] = int32(seats[k])
			} else {
				u.Kind, u.Code, u.AreaWeight = "school", e.in.Schools[sc.orig[ids[k]]].ID, e.areaW[sc.node[ids[k]]]
				e.schoolSeat[ids[k]] = int32(seats[k])
			}
			e.res.Units = append(e.res.Units, u)
		}
	}
	return nil
}

// placeDevices puts concrete devices on the seats, deepest stock first: the
// devices held at an area fill seats in its subtree; what the subtree cannot
// use returns to the parent's pool. At each area, device types go to the
// schools that rank them highest; a type short of the demand at one rank is
// shared between those schools by Sainte-Laguë on their open seats.
func (e *engine) placeDevices() error {
	t, sc := e.t, e.sc
	nodes := len(t.code)
	nSchools := len(sc.orig)
	e.seatStart = make([]int32, nSchools+1)
	for s := range nSchools {
		e.seatStart[s+1] = e.seatStart[s] + e.schoolSeat[s]
	}
	e.assigned = make([]int32, e.seatStart[nSchools])
	filled := make([]int32, nSchools)
	e.returned = make([]int32, nodes)
	dirty := make([]bool, nodes)
	var (
		h                 slHeap
		cand, units       []int32
		w                 []float64
		held, caps, seats []int
	)
	byRank := func(a, b int32) int { return cmp.Compare(e.devRank[a], e.devRank[b]) }
	for v := nodes - 1; v >= 0; v-- {
		e.placeSchoolStock(int32(v), filled, dirty)
		p := e.held[v]
		if p == nil {
			continue
		}
		if dirty[v] {
			for ty := range numTypes {
				slices.SortFunc(p[ty], byRank)
			}
		}
		cand = cand[:0]
		for s := sc.start[v]; s < sc.start[t.end[v]]; s++ {
			if filled[s] < e.schoolSeat[s] {
				cand = append(cand, s)
			}
		}
		for rank := range numTypes {
			for ty := range numTypes {
				if len(p[ty]) == 0 {
					continue
				}
				units, w, held, caps, seats = units[:0], w[:0], held[:0], caps[:0], seats[:0]
				open := 0
				for _, s := range cand {
					if int(e.r.order[sc.level[s]][rank]) != ty {
						continue
					}
					if u := int(e.schoolSeat[s] - filled[s]); u > 0 {
						units = append(units, s)
						w = append(w, float64(u))
						held = append(held, 0)
						caps = append(caps, u)
						seats = append(seats, 0)
						open += u
					}
				}
				if open == 0 {
					continue
				}
				h.run(len(p[ty]), w, held, caps, seats)
				for k, s := range units {
					n := seats[k]
					at := e.seatStart[s] + filled[s]
					copy(e.assigned[at:at+int32(n)], p[ty][:n])
					p[ty] = p[ty][n:]
					filled[s] += int32(n)
				}
			}
		}
		left := 0
		for ty := range numTypes {
			left += len(p[ty])
		}
		e.returned[v] = int32(left)
		if left == 0 {
			continue
		}
		if v == 0 {
			for ty := range numTypes {
				e.unused = append(e.unused, p[ty]...)
			}
			slices.SortFunc(e.unused, byRank)
			continue
		}
		pv := t.parent[v]
		if e.held[pv] == nil {
			e.held[pv] = new([numTypes][]int32)
		}
		for ty := range numTypes {
			if len(p[ty]) > 0 {
				e.held[pv][ty] = append(e.held[pv][ty], p[ty]...)
				dirty[pv] = true
			}
		}
	}
	for s := range nSchools {
		if filled[s] != e.schoolSeat[s] {
			return fmt.Errorf("allocation: internal error: school %q has %d of its %d devices; please report this with the input", e.in.Schools[sc.orig[s]].ID, filled[s], e.schoolSeat[s])
		}
	}
	return nil
}

// serveStudents hands each school's devices to the first students of its
// pool, most preferred type first, and lists the students left waiting.
func (e *engine) serveStudents() error {
	sc := e.sc
	st := e.in.Students
	devs := e.in.Devices
	nSchools := len(sc.orig)
	e.res.Allocations = make([]Allocation, 0, len(e.assigned))
	e.res.Unserved = make([]Unserved, 0, len(e.needs)-len(e.assigned))
	e.servedK = make([][]int32, nSchools)
	for s := range nSchools {
		school := &e.in.Schools[sc.orig[s]]
		rank := &e.r.rank[sc.level[s]]
		got := e.assigned[e.seatStart[s]:e.seatStart[s+1]]
		slices.SortFunc(got, func(a, b int32) int {
			if c := cmp.Compare(rank[e.devType[a]], rank[e.devType[b]]); c != 0 {
				return c
			}
			return cmp.Compare(e.devRank[a], e.devRank[b])
		})
		pool := e.needs[e.needStart[s]:e.needStart[s+1]]
		// A desktop without Wi-Fi goes only to a fiber home (seed 004: the
		// adapter is needed when the home uses a wireless network): each
		// student takes the first device left that fits.
		left := slices.Clone(got)
		noWiFi := func(d int32) bool {
			return e.r.settings.DesktopWiFiRequired && e.devType[d] == tDesktop && devs[d].WiFi == data.CondNo
		}
		for k := range pool {
			n := &pool[k]
			stu := &st[n.stu]
			pick := -1
			for j, d := range left {
				if n.class == cFiber || !noWiFi(d) {
					pick = j
					break
				}
			}
			if pick >= 0 {
				d := left[pick]
				left = slices.Delete(left, pick, pick+1)
				e.servedK[s] = append(e.servedK[s], int32(k))
				a := Allocation{
					StudentID: stu.ID, SchoolID: school.ID, AreaCode: school.AreaCode, Priority: int(n.tier),
					Connectivity: className(int(n.class)), DeviceID: devs[d].ID, DeviceType: typeName(int(e.devType[d])),
					Rank: k + 1, PoolSize: len(pool), SchoolSeats: len(got), TypeRank: int(rank[e.devType[d]]),
				}
				switch n.class {
				case cFiber:
					a.Reason = ReasonFiber
				case c4G:
					a.Reason, a.Flag = Reason4GNoStock, FlagNeedsSim // until giveSims finds one
				case cUnknown:
					a.Reason, a.Flag = ReasonNoCoverage, FlagNeedsConnectivity
				default:
					a.Reason, a.Flag = ReasonNoNetwork, FlagNeedsConnectivity
				}
				e.res.Allocations = append(e.res.Allocations, a)
				continue
			}
			reason := ReasonWaitNoStock
			if len(left) > 0 {
				reason = ReasonWaitNoWiFi
			}
			e.res.Unserved = append(e.res.Unserved, Unserved{
				StudentID: stu.ID, SchoolID: school.ID, AreaCode: school.AreaCode, Priority: int(n.tier),
				Connectivity: className(int(n.class)), Rank: k + 1, PoolSize: len(pool), SchoolSeats: len(got),
				Reason: reason,
			})
		}
		if len(left) > 0 {
			e.unused = append(e.unused, left...)
		}
	}
	e.res.UnusedDevices = make([]string, len(e.unused))
	for k, d := range e.unused {
		e.res.UnusedDevices[k] = devs[d].ID
	}
	return nil
}

// giveSims gives a SIM to every served student whose home has 4G, while
// stock lasts. Order: tier 1 recipients of every school before tier 2, and
// so on; within a tier, schools take turns (the first 4G recipient of
// every school, then the second, …), schools in tree order. For each
// student the SIM is of an operator covering the home, from a package held
// at the school's area or above: the preferred operator first
// (Settings.OperatorPreference), then the nearest stock, then the package
// with the most left, then the package id.
//
// The 3G fallback (the spec accepts 3G/4G data SIMs) runs after every 4G
// match of the run: a served home of class 4G or 3G still without a SIM
// gets, in the same order and by the same choice of package, a SIM of an
// operator whose 3G covers it (SimNetwork "3G"). A 3G SIM therefore never
// takes stock that a 4G home of the same run could use, and never goes to
// a home that a 4G SIM fits.
func (e *engine) giveSims() error {
	allocs := e.res.Allocations
	type rec struct {
		key uint64
		a   int32
		n   int32
	}
	var recs []rec
	ai := 0
	for s := range e.sc.orig {
		pool := e.needs[e.needStart[s]:e.needStart[s+1]]
		served := e.servedK[s]
		round := uint64(0)
		for j, k := range served {
			if pool[k].class == c4G || (pool[k].class == c3G && pool[k].ops3 != 0) {
				key := uint64(pool[k].tier)<<56 | round<<32 | uint64(s)
				recs = append(recs, rec{key, int32(ai + j), e.needStart[s] + k})
				round++
			}
		}
		ai += len(served)
	}
	slices.SortFunc(recs, func(a, b rec) int { return cmp.Compare(a.key, b.key) })
	// chain[v]: nodes holding packages on the path from v to the root,
	// nearest first.
	nodes := len(e.t.code)
	chain := make([][]int32, nodes)
	for v := range nodes {
		var up []int32
		if v > 0 {
			up = chain[e.t.parent[v]]
		}
		if len(e.pkgsAt[v]) > 0 {
			chain[v] = append([]int32{int32(v)}, up...)
		} else {
			chain[v] = up
		}
	}
	pkgs := e.in.SimPackages
	pick := func(n *need, ops uint64) int {
		best, bestNear := -1, 0
		for near, holder := range chain[e.sc.node[n.school]] {
			for _, pi := range e.pkgsAt[holder] {
				p := &e.pkgs[pi]
				if p.remaining == 0 || ops&(1<<uint(p.op)) == 0 {
					continue
				}
				if best < 0 || e.betterPkg(int(pi), near, best, bestNear) {
					best, bestNear = int(pi), near
				}
			}
		}
		return best
	}
	give := func(a *Allocation, best int, network string) {
		p := &e.pkgs[best]
		p.remaining--
		p.given++
		a.SimPackageID, a.SimOperator, a.SimNetwork = pkgs[p.orig].ID, e.ops[p.op], network
		a.Flag = FlagNone
	}
	// 4G first, for every home of the run.
	for _, rc := range recs {
		a := &allocs[rc.a]
		n := &e.needs[rc.n]
		if n.class != c4G || a.SimPackageID != "" {
			continue // not a 4G home, or served from its school's own package (giveSchoolSims)
		}
		if !n.named {
			a.Reason = Reason4GNoOp
			continue
		}
		if best := pick(n, n.ops); best >= 0 {
			give(a, best, SimNetwork4G)
			a.Reason = Reason4GSim
		}
	}
	// Then the 3G fallback, for the homes still without a SIM.
	for _, rc := range recs {
		a := &allocs[rc.a]
		n := &e.needs[rc.n]
		if a.SimPackageID != "" || n.ops3 == 0 {
			continue
		}
		if best := pick(n, n.ops3); best >= 0 {
			give(a, best, SimNetwork3G)
			if n.class == c4G {
				a.Reason = Reason4GSim3G
			} else {
				a.Reason = Reason3GSim
			}
		}
	}
	return nil
}

// betterPkg: preferred operator, then nearer stock, then more left, then
// the smaller package id (packages are indexed in id order).
func (e *engine) betterPkg(pi, near, qi, qNear int) bool {
	p, q := &e.pkgs[pi], &e.pkgs[qi]
	if a, b := e.opRankOf[p.op], e.opRankOf[q.op]; a != b {
		return a < b
	}
	if near != qNear {
		return near < qNear
	}
	if p.remaining != q.remaining {
		return p.remaining > q.remaining
	}
	return pi < qi
}

// summarise counts per area and lists the SIM stock.
func (e *engine) summarise() error {
	t, sc := e.t, e.sc
	nodes := len(t.code)
	sum := make([]AreaSummary, nodes)
	for s := range sc.orig {
		v := sc.node[s]
		m := &sum[v]
		for _, n := range e.needs[e.needStart[s]:e.needStart[s+1]] {
			switch n.tier {
			case 1:
				m.NeedsTier1++
			case 2:
				m.NeedsTier2++
			case 3:
				m.NeedsTier3++
			}
			if !ready(int(n.class)) {
				m.NoConnectivity++
			}
		}
	}
	ai := 0
	for s := range sc.orig {
		m := &sum[sc.node[s]]
		for k := ai; k < ai+len(e.servedK[s]); k++ {
			a := &e.res.Allocations[k]
			if a.SimPackageID != "" {
				m.SimsGiven++
				if a.SimNetwork == SimNetwork3G {
					m.Sims3G++
				}
			}
			switch a.Priority {
			case 1:
				m.AllocatedTier1++
			case 2:
				m.AllocatedTier2++
			case 3:
				m.AllocatedTier3++
			}
			switch a.Flag {
			case FlagNeedsSim:
				m.NeedsSim++
			case FlagNeedsConnectivity:
				m.NeedsConnectivity++
			}
		}
		ai += len(e.servedK[s])
		pc := &e.pupils[s]
		m.Pupils += int(pc.pupils)
		m.PupilsWithoutDevice += int(pc.without)
		m.Tier12Pupils += int(pc.tier12)
		m.Tier12Equipped += int(pc.tier12Equipped)
	}
	for i := range e.pkgs {
		sum[e.pkgs[i].node].SimStock += e.pkgs[i].remaining + e.pkgs[i].given
	}
	for v := nodes - 1; v > 0; v-- {
		m, p := &sum[v], &sum[t.parent[v]]
		p.NeedsTier1 += m.NeedsTier1
		p.NeedsTier2 += m.NeedsTier2
		p.NeedsTier3 += m.NeedsTier3
		p.NoConnectivity += m.NoConnectivity
		p.SimsGiven += m.SimsGiven
		p.Sims3G += m.Sims3G
		p.NeedsSim += m.NeedsSim
		p.NeedsConnectivity += m.NeedsConnectivity
		p.SimStock += m.SimStock
		p.AllocatedTier1 += m.AllocatedTier1
		p.AllocatedTier2 += m.AllocatedTier2
		p.AllocatedTier3 += m.AllocatedTier3
		p.Pupils += m.Pupils
		p.PupilsWithoutDevice += m.PupilsWithoutDevice
		p.Tier12Pupils += m.Tier12Pupils
		p.Tier12Equipped += m.Tier12Equipped
	}
	for v := range nodes {
		m := &sum[v]
		m.Code = t.code[v]
		if a := t.area[v]; a >= 0 {
			ar := &e.in.Areas[a]
			m.Name, m.Level, m.ParentCode = ar.Name, ar.Level, ar.ParentCode
		}
		m.Needs = m.NeedsTier1 + m.NeedsTier2 + m.NeedsTier3
		m.Allocated = int(e.nodeSeats[v])
		m.Unmet = m.Needs - m.Allocated
		m.Stock = int(e.supply[v])
		m.ReturnedToParent = int(e.returned[v])
		m.FromOwnStock = m.Stock - m.ReturnedToParent
		m.FromParent = m.Allocated - m.FromOwnStock
		// Devices given (a seat a desktop without Wi-Fi could not fill is
		// not a device given).
		m.Equipped = m.Pupils - m.PupilsWithoutDevice + m.AllocatedTier1 + m.AllocatedTier2 + m.AllocatedTier3
		m.Tier12Equipped += m.AllocatedTier1 + m.AllocatedTier2
		m.EquippedPct = percent(m.Equipped, m.Pupils, 0)
		m.Tier12EquippedPct = percent(m.Tier12Equipped, m.Tier12Pupils, 100)
		m.PriorityTags = tagNames(e.tagMask[v])
		m.AreaWeight = e.areaW[v]
	}
	e.res.TierOrder = e.r.settings.TierOrder
	e.res.Totals = sum[0]
	e.res.Areas = make([]AreaSummary, 0, len(t.sorted))
	for _, v := range t.sorted {
		e.res.Areas = append(e.res.Areas, sum[v])
	}
	pk := e.in.SimPackages
	e.res.SimStock = make([]SimStock, len(e.pkgs))
	for i, p := range e.pkgs {
		e.res.SimStock[i] = SimStock{
			PackageID: pk[p.orig].ID, Operator: e.ops[p.op], AreaCode: pk[p.orig].AreaCode,
			Quantity: pk[p.orig].Quantity, UsedEarly: p.used, Given: p.given, Remaining: p.remaining,
		}
	}
	return nil
}
