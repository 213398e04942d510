package coverage

// NormalizeOperator lower-cases an operator name and maps the common
// aliases (VNPT → vinaphone, MNC codes 452xx, …), as the engine does for
// sectors, polygons and measurements.
func NormalizeOperator(s string) string { return normOperator(s) }
