package data

// Connectivity classes of a school or home, best first: fiber wins over
// 4G, 5G counts as 4G. The coverage engine writes them, the allocation
// engine and the exports read them; they are defined here once.
const (
	ClassFiber = "fiber"
	Class4G    = "4g"
	Class3G    = "3g"
	Class2G    = "2g"
	ClassNone  = "none"
)

// ConnectivityClasses lists the connectivity classes, best first.
func ConnectivityClasses() []string {
	return []string{ClassFiber, Class4G, Class3G, Class2G, ClassNone}
}

// IsConnectivityClass reports whether s is one of ConnectivityClasses.
func IsConnectivityClass(s string) bool {
	switch s {
	case ClassFiber, Class4G, Class3G, Class2G, ClassNone:
		return true
	}
	return false
}

// Entity kinds of a coverage run (coverage_entities.entity_type, the
// entity_type column of entities.csv).
const (
	EntitySchool    = "school"
	EntityHousehold = "household"
)

// Connectivity is what a coverage run found for one home: its class and
// the mobile operators whose 4G (and 3G) covers it.
type Connectivity struct {
	Class       string   `json:"class"`        // fiber | 4g | 3g | 2g | none ("" = not classified)
	Operators4G []string `json:"operators_4g"` // operators whose 4G covers the home (any order, any case)
	// Operators3G: operators whose 3G covers the home (the 3G SIM fallback).
	Operators3G []string `json:"operators_3g,omitempty"`
}

// SmallCount reports whether an aggregate (a cell, a gap area) is below
// the privacy threshold k: it holds fewer than k households, so its person
// counts must not be shown to those who may not see personal data. A cell
// without households may still count pupils (at a school), so it is small
// too. The tile SQL in data/postgis mirrors this rule (households < k).
func SmallCount(households, k int) bool { return households < k }
