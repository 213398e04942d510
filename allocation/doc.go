// Package allocation hands donated devices and operator SIM-data packages
// to students: fairly between areas, strictly by priority tier inside a
// school, and with an explanation for every decision. It is pure: no
// database, no HTTP, no files; callers pass an Input in memory and get a
// Result. Identical input and settings give an identical Result, whatever
// the order of the input slices (every list is sorted, ties are broken by
// code or id).
//
// # Intake
//
// CheckDevice applies the minimum specs of the programme (seed 004) and
// gives one reason code per failed rule. A failing device is "repair" when
// every failed rule is fixable (charger, free storage, speaker/mic/camera,
// screen, keyboard, monitor and peripherals, Wi-Fi adapter; also a missing
// OS or device type: re-inspect) and "liquidate" otherwise (OS too old or
// not Android/iOS on a phone or tablet, RAM, CPU, disk; free storage when
// the whole storage is below the minimum). Either way it is never
// allocated. CheckSim rejects packages below MinGBPerDay for MinMonths.
//
// # Needs
//
// A need is a student of tier 1–3 without a device who is not in
// Input.Served. A student id listed more than once (at two schools, or
// twice) is one student: the record at the smallest school id is kept and
// the others are dropped and reported in Result.Conflicts; fix the data and
// run again. The same child under two ids (the same name, folded by
// data.FoldName, and date of birth, at the same household or school) is
// served once: the other ids are ReasonSameChild conflicts (Conflict.SameAs).
//
// Eligibility (when Input.Poverty is given): tier 1 needs a poor household,
// tier 2 a poor or near-poor one, tier 3 the student's COVID-19 orphan flag
// (data.Student.CovidOrphan; hardship alone is not tier 3). A claimed tier
// that is not supported is served at the tier the household supports (a
// near-poor household: 2; a poor one: 1, for a tier-3 claim without the
// flag), otherwise not served, and reported in Result.Conflicts with a
// reason code (Reason*): never served silently at the claimed tier.
//
// # Between areas: capped Sainte-Laguë down the tree
//
// The areas form a tree of any depth (ParentCode); a virtual root sits
// above the top areas and holds the stock with an empty AreaCode. Schools
// hang under their AreaCode, at any level. A device with an AreaCode is
// held by that area: it serves that subtree first; what the subtree cannot
// use (its needs are all met) returns up, to be apportioned to others.
// So, with demand(v) the needs in the subtree of v and stock(v) the passing
// devices held in it, the subtree serves local(v) = min(demand, stock) from
// within, and the whole input serves min(needs, devices): no device is left
// while a need remains.
//
// Top-down, each area's seats are shared between its child areas and its
// own schools by Sainte-Laguë (divisors 1, 3, 5, …) with a priority queue:
// the unit with the highest weight/(2s+1) takes the next seat. Each unit
// starts with local(unit) seats (its own stock, never taken away) and stops
// at its cap, its demand. The weight is the sum over its needs of
// TierWeights[tier] × ConnectivityWeights[class]. Ties go to areas before
// schools, then to the smaller code. Because seats are handed out one at a
// time and caps only remove seats, more devices in the common pool never
// give any area or school fewer (house monotonicity). A device given to an
// area's own stock never gives that area fewer either, but it counts
// against the area's share: a sibling that received from the parent's pool
// can then receive one fewer.
//
// That is the fair tier order (Settings.TierOrder = TierOrderFair). The
// default, TierOrderStrict, follows the programme's literal order ("HSSV
// thuộc hộ nghèo, HSSV thuộc hộ cận nghèo, …"): local(v) is split by tier
// (the stock held in a subtree serves its own needs tier by tier, bottom
// up: a school's own stock its own pool, an area's own stock and the
// surplus of its parts the needs left below it), and the top-down
// apportionment runs once per tier, each unit starting from its local
// tier-k seats and capped at its tier-k demand. An area receives tier-2
// seats from its parent only when every tier-1 need under the parent is
// met, and so on: no device reaches a lower tier while a higher-tier need
// it could serve waits, except stock held where the lower tier studies.
// Result.Units then has one explanation per unit and tier (Tier 1–3).
//
// Stock held by a school (data.Device.SchoolID) serves that school's pool
// first (in tier order); what the school cannot use joins its area's pool.
// A SIM package held by a school serves its own 4G recipients first, then
// joins the stock of the school's area.
//
// Priority areas: an area tagged mountain, coastal or lockdown
// (data.Area.PriorityTags) multiplies the weight of every need in it and
// below it by Settings.AreaWeights of its tags (a tag counted once on the
// path, different tags multiplied). UnitExplanation.AreaWeight and
// AreaSummary.AreaWeight show the factor.
//
// Every unit's explanation (Result.Units) carries its exact quota (the
// parent's seats × weight share, unrounded), own stock, cap, seats and the
// rule that decided (sainte-lague, own stock, capped at demand, tie broken
// by code).
//
// # Concrete devices
//
// Seats are filled with concrete devices deepest stock first: an area's
// own devices (and the surplus returned by its children) go to open seats
// in its subtree, the rest return to its parent. At each area, device types
// go first to the schools that rank them first (Settings.DeviceTypeByLevel),
// then second, and so on; a type short of the demand at one rank is shared
// between those schools by Sainte-Laguë on their open seats. Types a level
// does not list are used only after the listed ones: nobody waits because
// only a less preferred type is left. Within a type, devices go by id.
//
// # Students
//
// Inside a school the pool is ordered by tier, then by the connectivity
// policy (ready-first: fiber and 4G homes first; need-first: the others
// first), then by student id; the school's devices go to the first students
// of the pool, most preferred type (then smallest device id) first. The
// bundle follows the home: fiber, device only; 4G, device and a SIM of an
// operator that covers the home when one is in stock (else flagged
// needs_sim); 3G, 2G, none or no coverage result, device flagged
// needs_connectivity and counted in the build-out demand.
//
// SIMs are given after devices, tier 1 first across all schools, schools
// taking turns within a tier. A package with an AreaCode serves only that
// subtree (it does not return up). The SIM comes from the preferred
// operator (Settings.OperatorPreference; none by default), then the nearest
// stock (the school's area before its parents), then the package with the
// most SIMs left, then the smallest package id. After every 4G match of the
// run, the 3G fallback: a served home of class 4G or 3G still without a SIM
// gets, in the same order and by the same choice, a SIM of an operator
// whose 3G covers it (Connectivity.Operators3G; Allocation.SimNetwork "3G").
// A 3G SIM thus never takes stock a 4G home of the run could use.
package allocation
