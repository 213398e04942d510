package allocation

import (
	"fmt"
	"strings"

	"github.com/gapmap/gapmap/data"
)

// Connectivity is what the coverage run found at one home (defined in
// package data; coverage.ReadHouseholdConnectivity reads it from
// entities.csv).
type Connectivity = data.Connectivity

// Input is everything one allocation run reads, in memory.
type Input struct {
	// Areas: the tree valid on the run date, every parent of every area
	// used included, each code once (ValidFrom/ValidTo are not read).
	Areas       []data.Area       `json:"areas"`
	Schools     []data.School     `json:"schools"`
	Students    []data.Student    `json:"students"`
	Devices     []data.Device     `json:"devices"`
	SimPackages []data.SimPackage `json:"sim_packages"`
	// Connectivity per household id. A household missing here is
	// "unknown" and treated as having no connectivity.
	Connectivity map[string]Connectivity `json:"connectivity"`
	// Served: student ids served in committed runs (never served again).
	Served map[string]bool `json:"served"`
	// AllocatedDevices: device ids handed out in committed runs.
	AllocatedDevices map[string]bool `json:"allocated_devices"`
	// SimUsed: SIMs of each package (by id) handed out in committed runs.
	SimUsed map[string]int `json:"sim_used"`
	// Poverty: the poverty status (data.Poverty*) of each household by id.
	// When it is non-nil, eligibility is checked (see CheckEligibility):
	// tier 1 needs a poor household, tier 2 a poor or near-poor one, tier 3
	// the student's COVID-19 orphan flag. A household absent from the map is
	// not checked. nil: no household data, eligibility is not checked.
	Poverty map[string]string `json:"poverty,omitempty"`
}

// Flags of an allocation.
const (
	FlagNone              = ""                   // device, and a SIM where the home needs one
	FlagNeedsSim          = "needs_sim"          // 4G home, but no SIM of a covering operator in stock
	FlagNeedsConnectivity = "needs_connectivity" // no 4G, no fiber: counted in build-out demand
)

// Reasons of an allocation: what the home's connectivity made of the bundle.
const (
	ReasonFiber     = "home has fiber: device only"
	Reason4GSim     = "home has 4G: device and a SIM of an operator covering the home"
	Reason4GNoStock = "home has 4G, but no SIM of an operator covering it is in stock: device only"
	Reason4GNoOp    = "home has 4G, but the coverage run named no operator: device only"
	ReasonNoNetwork = "home has no 4G and no fiber: device only, flagged for build-out"
	// Reason4GSim3G: the 3G fallback at a 4G home (no 4G SIM fits).
	Reason4GSim3G = "home has 4G, but no SIM of an operator whose 4G covers it is in stock: device and a 3G SIM of an operator whose 3G covers the home"
	// Reason3GSim: the 3G fallback at a home with 3G only.
	Reason3GSim       = "home has 3G only (no 4G, no fiber): device and a 3G SIM of an operator covering the home"
	ReasonNoCoverage  = "home has no coverage result: treated as no connectivity, flagged for build-out"
	ReasonWaitNoStock = "no device left for this school this run"
	// ReasonWaitNoWiFi: the school's remaining devices are desktops without
	// a Wi-Fi adapter, which go only to fiber homes.
	ReasonWaitNoWiFi = "only desktops without Wi-Fi left for this school: they need a fiber home"
)

// Networks of a SIM given (Allocation.SimNetwork): the SIM's operator
// covers the home with 4G, or only with 3G (the 3G fallback).
const (
	SimNetwork4G = "4G"
	SimNetwork3G = "3G"
)

// Allocation is one student's device (and SIM).
type Allocation struct {
	StudentID    string `json:"student_id"`
	SchoolID     string `json:"school_id"`
	AreaCode     string `json:"area_code"` // the school's area
	Priority     int    `json:"priority"`
	Connectivity string `json:"connectivity"` // fiber | 4g | 3g | 2g | none | unknown
	DeviceID     string `json:"device_id"`
	DeviceType   string `json:"device_type"`
	SimPackageID string `json:"sim_package_id,omitempty"`
	SimOperator  string `json:"sim_operator,omitempty"`
	// SimNetwork: "4G", or "3G" when the SIM's operator covers the home with
	// 3G only (given when no 4G SIM fits); "" without a SIM.
	SimNetwork string `json:"sim_network,omitempty"`
	Flag       string `json:"flag,omitempty"`
	Reason     string `json:"reason"`
	// Rank is the student's place in the school's pool (1 = first),
	// PoolSize the needs at the school, SchoolSeats the devices the school
	// received: the student was served because Rank <= SchoolSeats.
	Rank        int `json:"rank"`
	PoolSize    int `json:"pool_size"`
	SchoolSeats int `json:"school_seats"`
	// TypeRank is the device type's place in the school level's preference
	// (0 = first choice).
	TypeRank int `json:"type_rank"`
}

// Explain is the allocation in one sentence.
func (a Allocation) Explain() string {
	var b strings.Builder
	fmt.Fprintf(&b, "student %s (tier %d, home %s) is #%d of %d needs at school %s, which received %d device(s): %s %s",
		a.StudentID, a.Priority, a.Connectivity, a.Rank, a.PoolSize, a.SchoolID, a.SchoolSeats, a.DeviceType, a.DeviceID)
	if a.TypeRank > 0 {
		fmt.Fprintf(&b, " (choice %d for the school level)", a.TypeRank+1)
	}
	if a.SimPackageID != "" {
		if a.SimNetwork == SimNetwork3G {
			fmt.Fprintf(&b, " and a %s SIM (3G) from package %s", a.SimOperator, a.SimPackageID)
		} else {
			fmt.Fprintf(&b, " and a %s SIM from package %s", a.SimOperator, a.SimPackageID)
		}
	}
	b.WriteString("; ")
	b.WriteString(a.Reason)
	return b.String()
}

// Unserved is a need left waiting: no student is left out silently.
type Unserved struct {
	StudentID    string `json:"student_id"`
	SchoolID     string `json:"school_id"`
	AreaCode     string `json:"area_code"`
	Priority     int    `json:"priority"`
	Connectivity string `json:"connectivity"`
	Rank         int    `json:"rank"` // place in the school's pool
	PoolSize     int    `json:"pool_size"`
	SchoolSeats  int    `json:"school_seats"`
	Reason       string `json:"reason"`
}

// UnitExplanation tells how one area or school got its devices from the
// area above it.
type UnitExplanation struct {
	Parent string `json:"parent"` // area code that apportioned ("" = the whole input)
	Kind   string `json:"kind"`   // "area" or "school"
	// Tier: with the strict tier order, the tier these seats are for (a
	// unit has one explanation per tier with needs); 0 with the fair order
	// (all tiers together).
	Tier int `json:"tier,omitempty"`
	// AreaWeight multiplied the unit's weight: the product of the
	// Settings.AreaWeights of the priority tags of its area and the areas
	// above (1 when none).
	AreaWeight float64 `json:"area_weight"`
	Seat               // Code is the area code or the school id
}

// AreaSummary counts one area's subtree (the area and everything below).
type AreaSummary struct {
	Code       string `json:"code"`
	Name       string `json:"name,omitempty"`
	Level      string `json:"level,omitempty"`
	ParentCode string `json:"parent_code,omitempty"`
	NeedsTier1 int    `json:"needs_tier1"`
	NeedsTier2 int    `json:"needs_tier2"`
	NeedsTier3 int    `json:"needs_tier3"`
	Needs      int    `json:"needs"`     // all tiers
	Allocated  int    `json:"allocated"` // devices given (= seats of the subtree)
	Unmet      int    `json:"unmet"`     // Needs − Allocated
	SimsGiven  int    `json:"sims_given"`
	Sims3G     int    `json:"sims_3g"`   // of SimsGiven, SIMs on 3G (the 3G fallback)
	NeedsSim   int    `json:"needs_sim"` // allocations flagged needs_sim
	// NeedsConnectivity counts allocations flagged needs_connectivity;
	// NoConnectivity counts every need (served or not) whose home has no 4G
	// and no fiber: the build-out demand.
	NeedsConnectivity int `json:"needs_connectivity"`
	NoConnectivity    int `json:"no_connectivity"`
	// Stock: passing devices held in the subtree at the start.
	// FromOwnStock of them were used inside the subtree, ReturnedToParent
	// went up as surplus; FromParent devices came from outside.
	Stock            int `json:"stock"`
	FromOwnStock     int `json:"from_own_stock"`
	FromParent       int `json:"from_parent"`
	ReturnedToParent int `json:"returned_to_parent"`
	// SimStock: SIMs (passing packages, remaining) held in the subtree.
	SimStock int `json:"sim_stock"`
	// AllocatedTier1..3 split Allocated by tier.
	AllocatedTier1 int `json:"allocated_tier1"`
	AllocatedTier2 int `json:"allocated_tier2"`
	AllocatedTier3 int `json:"allocated_tier3"`
	// Pupils counts every pupil listed at the subtree's schools (each id
	// once), priority 0 included; PupilsWithoutDevice those without a
	// device before this run (neither has_device nor served by a committed
	// run), whatever their tier. Equipped = Pupils − PupilsWithoutDevice +
	// the devices given: pupils with a device once this run is handed over;
	// EquippedPct = 100 × Equipped / Pupils (0 when there is no pupil).
	Pupils              int     `json:"pupils"`
	PupilsWithoutDevice int     `json:"pupils_without_device"`
	Equipped            int     `json:"equipped"`
	EquippedPct         float64 `json:"equipped_pct"`
	// Tier12Pupils: pupils of tier 1 or 2 (the tier served at for a need,
	// the listed tier for a pupil who has a device); Tier12Equipped of them
	// with a device once this run is handed over; Tier12EquippedPct the
	// phase-2 target rate (100 when there is no such pupil).
	Tier12Pupils      int     `json:"tier12_pupils"`
	Tier12Equipped    int     `json:"tier12_equipped"`
	Tier12EquippedPct float64 `json:"tier12_equipped_pct"`
	// PriorityTags: the area's priority tags, its parents' included;
	// AreaWeight their weight (Settings.AreaWeights multiplied; 1: none).
	PriorityTags []string `json:"priority_tags,omitempty"`
	AreaWeight   float64  `json:"area_weight"`
}

// DeviceCheck is the intake check of one device.
type DeviceCheck struct {
	DeviceID string `json:"device_id"`
	SpecResult
}

// SimCheck is the check of one SIM package.
type SimCheck struct {
	PackageID string `json:"package_id"`
	SimResult
}

// SimStock is one passing package after the run.
type SimStock struct {
	PackageID string `json:"package_id"`
	Operator  string `json:"operator"` // normalised (lower case)
	AreaCode  string `json:"area_code"`
	Quantity  int    `json:"quantity"`
	UsedEarly int    `json:"used_early"` // handed out in committed runs (Input.SimUsed)
	Given     int    `json:"given"`      // handed out in this run
	Remaining int    `json:"remaining"`
}

// Conflict is a student id found more than once. The student is served at
// most once: only the record at the smallest school id (then the smallest
// priority, household, grade) is kept; fix the data and run again.
//
// A Conflict with a Reason (one of the Reason* eligibility codes) is a
// student whose claimed tier the household's poverty status or the COVID-19
// flag does not support: the student is served at ServedTier (0: not served)
// and the conflict says so; fix the lists and run again.
type Conflict struct {
	StudentID    string   `json:"student_id"`
	SchoolIDs    []string `json:"school_ids"` // every school the id appears at, sorted (repeats kept)
	KeptSchoolID string   `json:"kept_school_id"`
	// Eligibility conflicts only (Reason not empty).
	Reason      string `json:"reason,omitempty"`
	ClaimedTier int    `json:"claimed_tier,omitempty"`
	ServedTier  int    `json:"served_tier,omitempty"` // 0: not served
	Poverty     string `json:"poverty,omitempty"`     // the household's status
	// SameAs: for ReasonSameChild, the id kept for the same child.
	SameAs string `json:"same_as,omitempty"`
}

// Eligibility reason codes of a Conflict.
const (
	// Tier 1 claimed, the household is near-poor: served at tier 2.
	ReasonTier1NearPoor = "tier1_household_near_poor"
	// Tier 1 claimed, the household is neither poor nor near-poor: not served.
	ReasonTier1NotPoor = "tier1_household_not_poor"
	// Tier 2 claimed, the household is neither poor nor near-poor: not served.
	ReasonTier2NotNearPoor = "tier2_household_not_near_poor"
	// Tier 3 claimed without the COVID-19 orphan flag: served at the tier the
	// household supports (1 poor, 2 near-poor), otherwise not served.
	ReasonTier3NoCovid = "tier3_not_covid_orphan"
	// The same child under two ids: the same name (diacritics and case
	// folded) and date of birth, at the same household or school. Served
	// once, under SameAs (the id served before, else one in need, else the
	// smallest id);
	// this id is not served (ServedTier 0).
	ReasonSameChild = "same_child_two_ids"
)

// Result is one allocation run. Every list is sorted: identical input gives
// identical output, whatever the order of the input slices.
type Result struct {
	// TierOrder is the tier order the run used (Settings.TierOrder).
	TierOrder string `json:"tier_order"`
	// Allocations in area-tree order (preorder, children by code; an area's
	// own schools before its children's), then school id, then rank.
	Allocations []Allocation `json:"allocations"`
	// Unserved needs, in the same order.
	Unserved []Unserved `json:"unserved"`
	// Areas: one summary per area, by code. Totals is the whole input.
	Areas  []AreaSummary `json:"areas"`
	Totals AreaSummary   `json:"totals"`
	// Units: how each area and school with needs got its seats, in tree
	// order; within one parent, areas (by code) before schools (by id).
	Units []UnitExplanation `json:"units"`
	// RejectedDevices failed the intake check (by id); DeviceWarnings passed
	// with a warning. AlreadyAllocated counts devices skipped because
	// Input.AllocatedDevices lists them.
	RejectedDevices  []DeviceCheck `json:"rejected_devices"`
	DeviceWarnings   []DeviceCheck `json:"device_warnings"`
	AlreadyAllocated int           `json:"already_allocated"`
	// UnusedDevices passed but found no need (by id): every need was met.
	UnusedDevices []string   `json:"unused_devices"`
	RejectedSims  []SimCheck `json:"rejected_sims"`
	SimStock      []SimStock `json:"sim_stock"`
	// Conflicts: student ids at more than one school (or listed twice),
	// then eligibility conflicts (Reason set); by student id each.
	Conflicts []Conflict `json:"conflicts"`
	// AlreadyServed counts needs skipped because Input.Served lists them.
	AlreadyServed int `json:"already_served"`
}

// InputError lists every problem found in an input; nothing was allocated.
type InputError struct {
	Problems []string `json:"problems"`
	More     int      `json:"more"` // problems beyond the ones kept
}

func (e *InputError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "allocation input has %d problem(s); nothing was allocated. Fix them and run again:", len(e.Problems)+e.More)
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p)
	}
	if e.More > 0 {
		fmt.Fprintf(&b, "\n  … and %d more", e.More)
	}
	return b.String()
}
