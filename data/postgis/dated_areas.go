package postgis

import (
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/jackc/pgx/v5/pgtype"
)

// vietnamToday is today's date in Vietnam as an SQL expression.
const vietnamToday = "(now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date"

// Dated areas: a code may have several versions, each valid on
// [valid_from, valid_to) (NULL bounds open; migration 00013 keeps them
// from overlapping). Every query that finds an area by code picks the
// version valid on the relevant day — the run's date for a coverage run's
// figures, today otherwise — so no row is duplicated.

// Day returns the calendar day of t (its date in t's location) as midnight
// UTC, the form DATE columns are compared with.
func Day(t time.Time) time.Time { return data.Day(t) }

// validOn is the SQL condition "the area version alias is valid on day",
// day being an SQL date expression.
func validOn(alias, day string) string {
	return "((" + alias + ".valid_from IS NULL OR " + alias + ".valid_from <= " + day + ") AND (" +
		alias + ".valid_to IS NULL OR " + alias + ".valid_to > " + day + "))"
}

// areaNameJoin is a LEFT JOIN LATERAL giving alias.name, the name of the
// area code (an SQL expression) on day: the version valid that day, else
// the latest version; one row at most, so the join never duplicates.
func areaNameJoin(alias, code, day string) string {
	return `LEFT JOIN LATERAL (SELECT x.name FROM areas x WHERE x.code = ` + code + `
			ORDER BY ` + validOn("x", day) + ` DESC, x.valid_from DESC NULLS LAST LIMIT 1) ` + alias + ` ON true`
}

// sqlDay is day as a DATE parameter; NULL when day is zero (the query then
// uses its default, usually today in Vietnam).
func sqlDay(day time.Time) pgtype.Date {
	if day.IsZero() {
		return pgtype.Date{}
	}
	return pgtype.Date{Time: Day(day), Valid: true}
}
