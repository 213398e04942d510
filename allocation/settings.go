package allocation

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/gapmap/gapmap/data"
)

// Connectivity policies: which homes come first within a priority tier of a
// school's pool.
const (
	// PolicyReadyFirst serves homes with fiber or 4G first: the device is
	// usable on the day it is handed over.
	PolicyReadyFirst = "ready-first"
	// PolicyNeedFirst serves homes without 4G or fiber first (3G, 2G, none or
	// unknown): the device is flagged for build-out.
	PolicyNeedFirst = "need-first"
)

// Tier orders: how the priority tiers share the stock between areas and
// schools (Settings.TierOrder).
const (
	// TierOrderStrict follows the programme documents' literal order ("HSSV
	// thuộc hộ nghèo, HSSV thuộc hộ cận nghèo, …"): the stock is apportioned
	// to every tier-1 need of the whole tree first, then to tier 2 with what
	// is left, then to tier 3. No lower-tier student is served from stock a
	// waiting higher-tier student could have received, except that stock
	// held by a school or an area serves its own students first (in tier
	// order). The default.
	TierOrderStrict = "strict"
	// TierOrderFair shares the stock between areas and schools in proportion
	// to their weighted needs (TierWeights × ConnectivityWeights ×
	// AreaWeights), all tiers together: an area with only tier-3 needs gets
	// its share while tier-1 needs wait elsewhere.
	TierOrderFair = "fair"
)

// Connectivity classes of a home (Connectivity.Class). ClassUnknown is only
// written in results, for a household the coverage run did not classify.
const (
	ClassFiber   = data.ClassFiber
	Class4G      = data.Class4G
	Class3G      = data.Class3G
	Class2G      = data.Class2G
	ClassNone    = data.ClassNone
	ClassUnknown = "unknown"
)

// Settings are the planner's choices. Start from DefaultSettings and change
// what you need; Allocate rejects incomplete settings with a message naming
// the field.
type Settings struct {
	// Policy orders homes within a tier: PolicyReadyFirst (default) or
	// PolicyNeedFirst.
	Policy string `json:"policy"`
	// TierOrder: TierOrderStrict (default) or TierOrderFair.
	TierOrder string `json:"tier_order"`
	// AreaWeights multiplies the weight of every need in an area tagged
	// with a priority tag (data.Area.PriorityTags: mountain, coastal,
	// lockdown) and in every unit below it. A tag without a weight weighs 1;
	// an area with several tags (its own and its parents', each counted
	// once) multiplies them. Default: mountain 1.5, coastal 1.3, lockdown
	// 1.5.
	AreaWeights map[string]float64 `json:"area_weights"`
	// TierWeights weighs one need of each tier (1, 2, 3) when devices are
	// apportioned between areas and schools. All three must be > 0: tiers are
	// served strictly in order inside a school whatever the weights; the
	// weights only decide how much each area and school receives.
	TierWeights map[int]float64 `json:"tier_weights"`
	// ConnectivityWeights multiplies the tier weight by the home's class.
	// "fiber", "4g" and "none" are required; "3g" and "2g" fall back to the
	// "none" weight, and so does a home without a coverage result.
	// Default: every class 1 (connectivity does not change the shares).
	ConnectivityWeights map[string]float64 `json:"connectivity_weights"`
	// DeviceTypeByLevel lists, per school level (data.Level*), the device
	// types in order of preference. Types a level does not list come after
	// the listed ones, in the order laptop, tablet, phone, desktop: a pupil is
	// never left without a device because only a less preferred type is in
	// stock. A level missing from the map uses laptop, tablet, phone,
	// desktop.
	DeviceTypeByLevel map[string][]string `json:"device_type_by_level"`
	// OperatorPreference ranks SIM operators (first preferred). Operators
	// not listed come after, and among equals the SIM is taken from the
	// nearest stock (the school's own area before its parents), then from the
	// package with the most SIMs left. Empty (default): no operator
	// preference.
	OperatorPreference []string `json:"operator_preference"`
	// DesktopWiFiRequired: a desktop without a Wi-Fi adapter goes only to a
	// fiber home, and the adapter must be stated at intake (seed 004: "when
	// the home uses a wireless network"). Default true.
	DesktopWiFiRequired bool `json:"desktop_wifi_required"`
	// MinGBPerDay and MinMonths are the SIM package minimum (seed 004:
	// 2 GB/day for 3 months).
	MinGBPerDay float64 `json:"min_gb_per_day"`
	MinMonths   int     `json:"min_months"`
}

// DefaultSettings returns the programme defaults: ready-first; tier weights
// 3, 2, 1; every connectivity class weighs 1; device types per level as in
// the programme guidance (primary: tablet, phone; lower and upper secondary:
// laptop, tablet, phone, desktop; GDNN-GDTX, vocational, college,
// university: laptop, desktop, tablet, phone); no operator preference;
// desktops need Wi-Fi; SIMs need 2 GB/day for 3 months.
func DefaultSettings() Settings {
	secondary := []string{data.DeviceLaptop, data.DeviceTablet, data.DevicePhone, data.DeviceDesktop}
	adult := []string{data.DeviceLaptop, data.DeviceDesktop, data.DeviceTablet, data.DevicePhone}
	return Settings{
		Policy:      PolicyReadyFirst,
		TierOrder:   TierOrderStrict,
		AreaWeights: map[string]float64{data.AreaTagMountain: 1.5, data.AreaTagCoastal: 1.3, data.AreaTagLockdown: 1.5},
		TierWeights: map[int]float64{data.TierPoor: 3, data.TierNearPoor: 2, data.TierCovid: 1},
		ConnectivityWeights: map[string]float64{
			ClassFiber: 1, Class4G: 1, Class3G: 1, Class2G: 1, ClassNone: 1,
		},
		DeviceTypeByLevel: map[string][]string{
			data.LevelPrimary:    {data.DeviceTablet, data.DevicePhone},
			data.LevelLower:      slices.Clone(secondary),
			data.LevelUpper:      slices.Clone(secondary),
			data.LevelGDNNGDTX:   slices.Clone(adult),
			data.LevelVocational: slices.Clone(adult),
			data.LevelCollege:    slices.Clone(adult),
			data.LevelUniversity: slices.Clone(adult),
		},
		DesktopWiFiRequired: true,
		MinGBPerDay:         2,
		MinMonths:           3,
	}
}

// Device types as small integers, in the fallback order.
const (
	tLaptop = iota
	tTablet
	tPhone
	tDesktop
	numTypes
)

// typeName is the name of a device type index.
func typeName(t int) string {
	switch t {
	case tLaptop:
		return data.DeviceLaptop
	case tTablet:
		return data.DeviceTablet
	case tPhone:
		return data.DevicePhone
	case tDesktop:
		return data.DeviceDesktop
	}
	return ""
}

func typeIndex(s string) int {
	switch s {
	case data.DeviceLaptop:
		return tLaptop
	case data.DeviceTablet:
		return tTablet
	case data.DevicePhone:
		return tPhone
	case data.DeviceDesktop:
		return tDesktop
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case data.DeviceLaptop:
		return tLaptop
	case data.DeviceTablet:
		return tTablet
	case data.DevicePhone:
		return tPhone
	case data.DeviceDesktop:
		return tDesktop
	}
	return -1
}

// Connectivity classes as small integers.
const (
	cFiber = iota
	c4G
	c3G
	c2G
	cNone
	cUnknown
	numClasses
)

// className is the name of a connectivity class index.
func className(c int) string {
	switch c {
	case cFiber:
		return ClassFiber
	case c4G:
		return Class4G
	case c3G:
		return Class3G
	case c2G:
		return Class2G
	case cNone:
		return ClassNone
	}
	return ClassUnknown
}

// classIndex parses a connectivity class; "" is unknown, -1 is invalid.
func classIndex(s string) int {
	switch s {
	case ClassFiber:
		return cFiber
	case Class4G:
		return c4G
	case Class3G:
		return c3G
	case Class2G:
		return c2G
	case ClassNone:
		return cNone
	case "":
		return cUnknown
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case ClassFiber:
		return cFiber
	case Class4G:
		return c4G
	case Class3G:
		return c3G
	case Class2G:
		return c2G
	case ClassNone:
		return cNone
	case "", ClassUnknown:
		return cUnknown
	}
	return -1
}

// Priority area tags as small integers (bits of a tag mask).
const (
	tagMountain = iota
	tagCoastal
	tagLockdown
	numAreaTags
)

// areaTagIndex parses a priority area tag (data.AreaTag*); -1 is unknown.
func areaTagIndex(s string) int {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case data.AreaTagMountain:
		return tagMountain
	case data.AreaTagCoastal:
		return tagCoastal
	case data.AreaTagLockdown:
		return tagLockdown
	}
	return -1
}

// ready reports whether a class makes the device usable at once.
func ready(class int) bool { return class == cFiber || class == c4G }

// rules is Settings checked and turned into arrays for the hot paths.
type rules struct {
	needFirst bool
	strict    bool
	areaW     [numAreaTags]float64
	tierW     [4]float64
	classW    [numClasses]float64
	levels    map[string]int    // school level → index into order/rank
	order     [][numTypes]uint8 // per level: device types, most preferred first
	rank      [][numTypes]uint8 // per level: rank of each device type
	fallback  int               // level index for levels not in the settings
	opRank    map[string]int    // normalised operator → preference rank
	settings  Settings
}

func normOperator(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func positive(w float64) bool { return w > 0 && !math.IsInf(w, 0) && !math.IsNaN(w) }

// resolve validates s; the error names the field and what to do.
func (s Settings) resolve() (*rules, error) {
	var bad []string
	r := &rules{levels: map[string]int{}, opRank: map[string]int{}, settings: s}
	switch s.Policy {
	case PolicyReadyFirst:
	case PolicyNeedFirst:
		r.needFirst = true
	default:
		bad = append(bad, fmt.Sprintf("Policy %q is unknown: use %q or %q", s.Policy, PolicyReadyFirst, PolicyNeedFirst))
	}
	switch s.TierOrder {
	case TierOrderStrict:
		r.strict = true
	case TierOrderFair:
	default:
		bad = append(bad, fmt.Sprintf("TierOrder %q is unknown: use %q (tier 1 everywhere first, the default) or %q (area-fair shares by weighted need)", s.TierOrder, TierOrderStrict, TierOrderFair))
	}
	for i := range r.areaW {
		r.areaW[i] = 1
	}
	for k, w := range s.AreaWeights {
		t := areaTagIndex(k)
		switch {
		case t < 0:
			bad = append(bad, fmt.Sprintf("AreaWeights has tag %q: use mountain, coastal or lockdown", k))
		case !positive(w):
			bad = append(bad, fmt.Sprintf("AreaWeights[%q] must be a number > 0 (got %v); 1 leaves the area's needs as they are", k, w))
		default:
			r.areaW[t] = w
		}
	}
	for t := 1; t <= 3; t++ {
		w, ok := s.TierWeights[t]
		if !ok || !positive(w) {
			bad = append(bad, fmt.Sprintf("TierWeights[%d] must be a number > 0 (got %v); use a small value such as 0.1 to give a tier less weight", t, w))
		}
		r.tierW[t] = w
	}
	for k := range s.TierWeights {
		if k < 1 || k > 3 {
			bad = append(bad, fmt.Sprintf("TierWeights has tier %d: only tiers 1, 2 and 3 are needs", k))
		}
	}
	for _, c := range []int{cFiber, c4G, cNone} {
		w, ok := s.ConnectivityWeights[className(c)]
		if !ok || !positive(w) {
			bad = append(bad, fmt.Sprintf("ConnectivityWeights[%q] must be a number > 0 (got %v)", className(c), w))
		}
		r.classW[c] = w
	}
	for _, c := range []int{c3G, c2G} {
		w, ok := s.ConnectivityWeights[className(c)]
		if !ok {
			w = r.classW[cNone]
		} else if !positive(w) {
			bad = append(bad, fmt.Sprintf("ConnectivityWeights[%q] must be a number > 0 (got %v)", className(c), w))
		}
		r.classW[c] = w
	}
	r.classW[cUnknown] = r.classW[cNone]
	for k := range s.ConnectivityWeights {
		if c := classIndex(k); c < 0 || c == cUnknown || k != className(c) {
			bad = append(bad, fmt.Sprintf("ConnectivityWeights has class %q: use fiber, 4g, 3g, 2g or none", k))
		}
	}
	addLevel := func(name string, list []string) {
		var ord, rk [numTypes]uint8
		var seen [numTypes]bool
		n := 0
		for _, ts := range list {
			t := typeIndex(ts)
			if t < 0 {
				bad = append(bad, fmt.Sprintf("DeviceTypeByLevel[%q] has device type %q: use phone, tablet, laptop or desktop", name, ts))
				continue
			}
			if seen[t] {
				continue
			}
			seen[t] = true
			ord[n] = uint8(t)
			n++
		}
		for t := range numTypes {
			if !seen[t] {
				ord[n] = uint8(t)
				n++
			}
		}
		for i, t := range ord {
			rk[t] = uint8(i)
		}
		r.levels[name] = len(r.order)
		r.order = append(r.order, ord)
		r.rank = append(r.rank, rk)
	}
	levelNames := make([]string, 0, len(s.DeviceTypeByLevel))
	for k := range s.DeviceTypeByLevel {
		levelNames = append(levelNames, k)
	}
	slices.Sort(levelNames)
	for _, k := range levelNames {
		addLevel(k, s.DeviceTypeByLevel[k])
	}
	r.fallback = len(r.order)
	addLevel("", nil)
	for i, op := range s.OperatorPreference {
		n := normOperator(op)
		if n == "" {
			bad = append(bad, fmt.Sprintf("OperatorPreference[%d] is empty: remove it or name an operator", i))
			continue
		}
		if _, dup := r.opRank[n]; !dup {
			r.opRank[n] = i
		}
	}
	if !positive(s.MinGBPerDay) {
		bad = append(bad, fmt.Sprintf("MinGBPerDay must be > 0 (got %v); the programme minimum is 2", s.MinGBPerDay))
	}
	if s.MinMonths <= 0 {
		bad = append(bad, fmt.Sprintf("MinMonths must be > 0 (got %d); the programme minimum is 3", s.MinMonths))
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("allocation settings: %s; start from allocation.DefaultSettings() and change only what you need", strings.Join(bad, "; "))
	}
	return r, nil
}

func (r *rules) level(name string) int {
	if i, ok := r.levels[name]; ok {
		return i
	}
	if i, ok := r.levels[strings.ToLower(strings.TrimSpace(name))]; ok {
		return i
	}
	return r.fallback
}

func (r *rules) operatorRank(op string) int {
	if i, ok := r.opRank[op]; ok {
		return i
	}
	return len(r.settings.OperatorPreference)
}
