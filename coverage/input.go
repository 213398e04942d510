package coverage

import (
	"strings"
	"time"

	"github.com/gapmap/gapmap/data"
)

// OperatorPolygon is an operator's own coverage area for one technology
// (data.OperatorPolygon: read by data/format, stored by data/postgis).
// When an operator uploads polygons for a technology, they replace the
// sector model for that operator and technology: inside = covered,
// outside = not covered.
type OperatorPolygon = data.OperatorPolygon

// Measurement is one field measurement (drive test, crowd-sourced app):
// data.Measurement, read by data/format, stored by data/postgis.
type Measurement = data.Measurement

// Input is what Analyze reads: the dataset plus the optional operator
// polygons and field measurements, and the analysis date.
type Input struct {
	Dataset *data.Dataset
	// Date is the analysis date (required): only the areas valid that day
	// are used (data.Area.ValidOn), and a school or home whose area_code
	// is a unit not valid that day (abolished by a merger, say) is placed
	// by its point in the deepest area valid that day.
	Date         time.Time
	Polygons     []OperatorPolygon
	Measurements []Measurement
	// Homes, when set, is the households, and Dataset.Households is not
	// used: a reader of a large dataset keeps them in columns.
	Homes *Homes
	// Students, when set, counts the students of the households and
	// Dataset.Students is not used: a reader of a large dataset tallies the
	// students as it reads them instead of keeping them.
	Students *StudentTally
}

// HouseholdCount returns the number of households of the input.
func (in *Input) HouseholdCount() int { return in.homes().len() }

// StudentCount returns the number of students of the input.
func (in *Input) StudentCount() int {
	if in.Students != nil {
		return in.Students.Students()
	}
	return len(in.Dataset.Students)
}

// normOperator lower-cases an operator name and maps common aliases.
func normOperator(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	squeezed := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '_' || r == '.' {
			return -1
		}
		return r
	}, s)
	switch squeezed {
	case "viettel", "45204":
		return data.OpViettel
	case "vinaphone", "vnptvinaphone", "vnpt", "45202":
		return data.OpVinaphone
	case "mobifone", "45201":
		return data.OpMobifone
	case "vietnamobile", "45205":
		return data.OpVietnamobile
	case "gmobile", "beeline", "45207":
		return data.OpGmobile
	}
	return s
}

// normTech upper-cases a technology and maps aliases (LTE → 4G, …).
func normTech(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	switch s {
	case "LTE", "4", "LTE-A":
		return data.Tech4G
	case "NR", "5", "5GNR":
		return data.Tech5G
	case "UMTS", "WCDMA", "HSPA", "3":
		return data.Tech3G
	case "GSM", "EDGE", "GPRS", "2":
		return data.Tech2G
	}
	return s
}
