// Package format reads and writes users' files for gapmap: CSV and XLSX
// tables (schools, households, students, sites, fiber nodes, devices, SIM
// packages) and GeoJSON (areas, fiber routes).
//
// Readers stream: they call a function for every valid record and add one
// data.FieldError per problem to a data.ValidationError, so a user sees every
// problem of a file at once. Headers are matched by English canonical name or
// Vietnamese alias, ignoring case, accents, spacing and a byte-order mark
// (see columns.go for the alias table). Values are trimmed; empty lines are
// skipped; Vietnamese decimal commas ("21,5") are accepted when the value has
// no ".".
//
// Table files are read in bounded memory under Limits (line, value,
// decompressed size and ratio; see limits.go and WithLimits); the encoding
// assumed when a CSV file is not UTF-8 is reported as a warning in the
// ValidationError; error text never carries raw control characters.
//
// Writers stream too: CSV writes a UTF-8 BOM and a header, and escapes cells
// Excel would run as formulas (see EscapeCell); every reader undoes that
// escape, so a file written by this package reads back equal.
package format

// Kinds of input files, in import order (areas first: the others refer to
// them).
const (
	KindAreas       = "areas"
	KindSchools     = "schools"
	KindHouseholds  = "households"
	KindStudents    = "students"
	KindSites       = "sites"
	KindFiberNodes  = "fiber_nodes"
	KindFiberRoutes = "fiber_routes"
	KindDevices     = "devices"
	KindSimPackages = "sim_packages"
	// Operators' own coverage areas (GeoJSON) and field measurements
	// (table).
	KindCoveragePolygons = "coverage_polygons"
	KindMeasurements     = "measurements"
)

// Kinds lists the file kinds in import order.
func Kinds() []string {
	return []string{KindAreas, KindSuccessors, KindSchools, KindHouseholds, KindStudents, KindSites,
		KindFiberNodes, KindFiberRoutes, KindDevices, KindSimPackages, KindCoveragePolygons, KindMeasurements}
}

// Vietnam's extent, used to reject coordinates that cannot be in Vietnam
// (swapped, projected, or from another country).
const (
	minLat = 6.0
	maxLat = 23.5
	minLon = 102.0
	maxLon = 118.0
)

// IsGeoJSON reports whether files of kind are GeoJSON (else CSV or XLSX).
func IsGeoJSON(kind string) bool {
	return kind == KindAreas || kind == KindFiberRoutes || kind == KindCoveragePolygons
}
