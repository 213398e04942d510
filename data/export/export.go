// Package export writes the telecom operators' file of uncovered points:
// gap cells (aggregated H3 cells with demand and neither 4G nor fiber) and
// schools without 4G or fiber, as CSV, XLSX, GeoJSON or KML.
//
// Privacy (Decree 13/2023/NĐ-CP): a Point holds counts only, never a
// household or student id or a household position. In a cell with fewer
// than Options.MinCount households (but at least one), the household and
// student counts are written as "<MinCount" (e.g. "<3") in every format.
// School rows are not suppressed: schools and their enrolment are public.
//
// The writers are pure: they write to an io.Writer and touch no file or
// database.
package export

import (
	"fmt"
	"math"
	"strconv"

	"github.com/paulmach/orb"
)

// Kinds of points.
const (
	KindGapCell = "gap_cell"
	KindSchool  = "school"
)

// DefaultMinCount is the smallest household count shown as a number.
const DefaultMinCount = 3

// Point is one uncovered point: a gap cell or a school.
type Point struct {
	Kind string // KindGapCell or KindSchool
	// H3 is the cell id (for a school, the cell it lies in).
	H3 string
	// SchoolID, Name, Level describe a school (empty for a cell).
	SchoolID, Name, Level string
	// Lat, Lon: the cell centre or the school position (WGS84).
	Lat, Lon float64
	// Hexagon is the closed outline of a gap cell (lon/lat); nil for schools.
	Hexagon            orb.Ring
	AreaCode, AreaName string
	// Counts of a gap cell: homes, tier 1–3 students living there, tier 1–3
	// students at homes without 4G or fiber, and schools. Suppressed when
	// 0 < Households < MinCount.
	Households, StudentsT123, UnconnectedT123, Schools int
	// SchoolStudents: enrolment of a school, or of the schools of a cell.
	SchoolStudents int
	// Connectivity of a school (fiber, 4g, 3g, 2g, none); empty for cells.
	Connectivity string
	// Nearest4GM is the distance to the nearest 4G site in metres (for a
	// cell, that of its gap area); NaN when unknown.
	Nearest4GM float64
	// GapID, GapRank, GapScore: the gap area of the point (rank 0 and score
	// NaN when it is in none).
	GapID    string
	GapRank  int
	GapScore float64
}

// Options controls the output.
type Options struct {
	// MinCount: household and student counts of a cell with fewer than
	// MinCount households are written as "<MinCount"; 0 means
	// DefaultMinCount, 1 disables the suppression.
	MinCount int
	// Operator, when set, names the mobile operator the file is for (the
	// points are those without its 4G); it appears in titles only.
	Operator string
}

func (o Options) minCount() int {
	if o.MinCount <= 0 {
		return DefaultMinCount
	}
	return o.MinCount
}

// Suppressed reports whether the person counts of p are withheld.
func (o Options) Suppressed(p *Point) bool {
	return p.Kind == KindGapCell && p.Households > 0 && p.Households < o.minCount()
}

// Title is the document title.
func (o Options) Title() string {
	if o.Operator != "" {
		return "Điểm chưa có sóng 4G của " + o.Operator + " / Points without " + o.Operator + " 4G"
	}
	return "Điểm lõm sóng (không 4G, không cáp quang) / Uncovered points (no 4G, no fiber)"
}

// column is one attribute of the table.
type column struct {
	key   string // CSV header, GeoJSON property, KML Data name
	label string // XLSX header (Vietnamese / English)
	value func(o Options, p *Point) any
}

// Values are nil (empty), int, float64 or string.
func columns() []column {
	count := func(n func(p *Point) int) func(o Options, p *Point) any {
		return func(o Options, p *Point) any {
			if p.Kind != KindGapCell {
				return nil
			}
			if o.Suppressed(p) {
				return "<" + strconv.Itoa(o.minCount())
			}
			return n(p)
		}
	}
	str := func(f func(p *Point) string) func(o Options, p *Point) any {
		return func(_ Options, p *Point) any {
			if s := f(p); s != "" {
				return s
			}
			return nil
		}
	}
	return []column{
		{"kind", "Loại điểm / Kind", str(func(p *Point) string { return p.Kind })},
		{"h3", "Mã ô H3 / H3 cell", str(func(p *Point) string { return p.H3 })},
		{"school_id", "Mã trường / School ID", str(func(p *Point) string { return p.SchoolID })},
		{"school_name", "Tên trường / School name", str(func(p *Point) string { return p.Name })},
		{"school_level", "Cấp học / Level", str(func(p *Point) string { return p.Level })},
		{"lat", "Vĩ độ / Latitude", func(_ Options, p *Point) any { return round(p.Lat, 7) }},
		{"lon", "Kinh độ / Longitude", func(_ Options, p *Point) any { return round(p.Lon, 7) }},
		{"area_code", "Mã địa bàn / Area code", str(func(p *Point) string { return p.AreaCode })},
		{"area_name", "Tên địa bàn / Area name", str(func(p *Point) string { return p.AreaName })},
		{"households", "Số hộ / Households", count(func(p *Point) int { return p.Households })},
		{"students_t123", "Học sinh ưu tiên 1–3 / Tier 1–3 students", count(func(p *Point) int { return p.StudentsT123 })},
		{"unconnected_students_t123", "HS ưu tiên chưa có kết nối / Unconnected tier 1–3 students", count(func(p *Point) int { return p.UnconnectedT123 })},
		{"schools", "Số trường / Schools", func(_ Options, p *Point) any {
			if p.Kind != KindGapCell {
				return nil
			}
			return p.Schools
		}},
		{"school_students", "Học sinh của trường / School students", func(_ Options, p *Point) any { return p.SchoolStudents }},
		{"connectivity", "Kết nối / Connectivity", str(func(p *Point) string { return p.Connectivity })},
		{"nearest_4g_m", "Khoảng cách tới trạm 4G gần nhất (m) / Nearest 4G (m)", func(_ Options, p *Point) any { return round(p.Nearest4GM, 1) }},
		{"gap_id", "Mã vùng lõm / Gap area", str(func(p *Point) string { return p.GapID })},
		{"gap_rank", "Thứ hạng vùng lõm / Gap rank", func(_ Options, p *Point) any {
			if p.GapRank <= 0 {
				return nil
			}
			return p.GapRank
		}},
		{"gap_score", "Điểm ưu tiên / Gap score", func(_ Options, p *Point) any { return round(p.GapScore, 6) }},
	}
}

// Header returns the machine column names (CSV header, GeoJSON
// properties, KML ExtendedData names).
func Header() []string {
	cs := columns()
	h := make([]string, len(cs))
	for i, c := range cs {
		h[i] = c.key
	}
	return h
}

// Labels returns the bilingual column labels of the XLSX header.
func Labels() []string {
	cs := columns()
	h := make([]string, len(cs))
	for i, c := range cs {
		h[i] = c.label
	}
	return h
}

// values returns the attribute values of p in column order.
func values(cs []column, o Options, p *Point, out []any) []any {
	out = out[:0]
	for _, c := range cs {
		out = append(out, c.value(o, p))
	}
	return out
}

func round(x float64, digits int) any {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

// text formats a value for CSV and KML.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// check rejects a point that cannot be written.
func check(i int, p *Point) error {
	if p.Kind != KindGapCell && p.Kind != KindSchool {
		return fmt.Errorf("export: point %d: kind %q (want %s or %s)", i, p.Kind, KindGapCell, KindSchool)
	}
	if math.IsNaN(p.Lat) || math.IsNaN(p.Lon) || p.Lat < -90 || p.Lat > 90 || p.Lon < -180 || p.Lon > 180 {
		return fmt.Errorf("export: point %d (%s%s): invalid position %v,%v", i, p.H3, p.SchoolID, p.Lat, p.Lon)
	}
	return nil
}
