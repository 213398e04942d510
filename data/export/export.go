// Package export writes the telecom operators' file of uncovered points:
// H3 cell centres with counts by tier, and school points, as CSV, XLSX,
// GeoJSON or KML. Two views: the points without 4G of one operator
// (ViewOperator) and the points with neither 4G nor fiber at all
// (ViewNoNetwork).
//
// Privacy (Decree 13/2023/NĐ-CP): a Point holds counts only, never a
// household or student id, name or position. Merge enforces k-anonymity on
// households: a cell with fewer than k households is merged into its parent
// cell (with all of the parent's other descendants) until the merged cell
// holds at least k, so every exported cell holds ≥ k households and the
// exported totals equal the input's. School points are public (the school
// registry) and are not merged.
//
// The writers stream: each point is written as it comes, and touch no file
// or database.
package export

import (
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/gapmap/gapmap/geo"
	"github.com/paulmach/orb"
)

// Kinds of points.
const (
	KindCell   = "cell"
	KindSchool = "school"
)

// Views of the export.
const (
	// ViewOperator: cells with demand that the operator does not serve
	// with 4G, and schools without its 4G.
	ViewOperator = "operator"
	// ViewNoNetwork: cells with demand and neither 4G (any operator) nor
	// fiber ("lõm sóng"), and schools without 4G or fiber.
	ViewNoNetwork = "no_network"
)

// Views lists the views.
func Views() []string { return []string{ViewOperator, ViewNoNetwork} }

// DefaultK is the default smallest number of households of an exported
// cell.
const DefaultK = 5

// Cell is one uncovered cell of the analysis resolution, the input of
// Merge.
type Cell struct {
	Cell               geo.Cell
	AreaCode, AreaName string
	Households         int
	// Students living in the cell by tier (index 1..3; 0 unused), and those
	// of them at homes without 4G or fiber.
	Students, Unconnected [4]int
	// The cell's gap area: id, rank (0: none), score and nearest 4G
	// distance (NaN: unknown).
	GapID      string
	GapRank    int
	GapScore   float64
	Nearest4GM float64
}

// Point is one row of the export: a cell (possibly merged) or a school.
type Point struct {
	Kind string // KindCell or KindSchool
	// H3 is the cell (for a school, the analysis cell it lies in) and Res
	// its resolution (coarser than the analysis for a merged cell).
	H3  string
	Res int
	// Lat, Lon: the cell centre or the school position (WGS84).
	Lat, Lon float64
	// Hexagon is the closed outline of a cell (lon/lat); nil for schools.
	Hexagon            orb.Ring
	AreaCode, AreaName string
	// Counts of a cell: homes, tier 1–3 students living there (by tier) and
	// those at homes without 4G or fiber; Cells is the number of analysis
	// cells merged into it (1 when not merged).
	Households            int
	Students, Unconnected [4]int
	Cells                 int
	// A school: id, name and level (public registry), enrolment and
	// connectivity class.
	SchoolID, Name, Level string
	SchoolStudents        int
	Connectivity          string
	// Nearest4GM in metres (a cell: its gap area's); NaN when unknown.
	Nearest4GM float64
	// The gap area (a merged cell: its best-ranked one); rank 0 and score
	// NaN when none.
	GapID    string
	GapRank  int
	GapScore float64
}

// Totals are the person counts of a set of cells.
type Totals struct {
	Households            int    `json:"households"`
	Students, Unconnected [4]int `json:"-"`
	Cells                 int    `json:"cells"`
}

// Add adds the counts of a cell point.
func (t *Totals) Add(p *Point) {
	if p.Kind != KindCell {
		return
	}
	t.Households += p.Households
	t.Cells += p.Cells
	for k := range t.Students {
		t.Students[k] += p.Students[k]
		t.Unconnected[k] += p.Unconnected[k]
	}
}

type mergeAcc struct {
	p      Point
	byArea map[string]int // households by area code
	names  map[string]string
}

func (a *mergeAcc) add(b *mergeAcc) {
	a.p.Households += b.p.Households
	a.p.Cells += b.p.Cells
	for k := range a.p.Students {
		a.p.Students[k] += b.p.Students[k]
		a.p.Unconnected[k] += b.p.Unconnected[k]
	}
	for code, n := range b.byArea {
		a.byArea[code] += n
	}
	for code, name := range b.names {
		a.names[code] = name
	}
	if b.p.GapRank > 0 && (a.p.GapRank == 0 || b.p.GapRank < a.p.GapRank) {
		a.p.GapID, a.p.GapRank, a.p.GapScore = b.p.GapID, b.p.GapRank, b.p.GapScore
	}
	if !math.IsNaN(b.p.Nearest4GM) && (math.IsNaN(a.p.Nearest4GM) || b.p.Nearest4GM < a.p.Nearest4GM) {
		a.p.Nearest4GM = b.p.Nearest4GM
	}
}

// Merge turns cells into cell points under the privacy rule: while a point
// holds fewer than k households, its parent cell replaces it and every
// other point inside that parent, summing their counts. It returns the
// points (sorted by gap rank, then cell) and the counts it had to withhold:
// only when the cells of a whole resolution-0 cell hold fewer than k
// households together. Cells without households carry no person count and
// are left out (their schools are school points). Every returned point
// holds at least k households; the totals of the points plus the withheld
// counts equal the totals of cells.
func Merge(cells []Cell, k int) ([]Point, Totals, error) {
	if k < 1 {
		k = 1
	}
	rows := make(map[geo.Cell]*mergeAcc, len(cells))
	maxRes := 0
	for i := range cells {
		c := &cells[i]
		if c.Households <= 0 {
			continue
		}
		a, ok := rows[c.Cell]
		if !ok {
			a = &mergeAcc{p: Point{Kind: KindCell, Nearest4GM: math.NaN(), GapScore: math.NaN()}, byArea: map[string]int{}, names: map[string]string{}}
			rows[c.Cell] = a
		}
		one := &mergeAcc{p: Point{Households: c.Households, Students: c.Students, Unconnected: c.Unconnected, Cells: 1,
			GapID: c.GapID, GapRank: c.GapRank, GapScore: c.GapScore, Nearest4GM: c.Nearest4GM},
			byArea: map[string]int{c.AreaCode: c.Households}, names: map[string]string{c.AreaCode: c.AreaName}}
		if c.GapRank <= 0 {
			one.p.GapScore = math.NaN()
		}
		a.add(one)
		maxRes = max(maxRes, c.Cell.Res())
	}
	for r := maxRes; r > 0; r-- {
		bad := map[geo.Cell]bool{}
		for c, a := range rows {
			if c.Res() == r && a.p.Households < k {
				p, err := c.Parent(r - 1)
				if err != nil {
					return nil, Totals{}, fmt.Errorf("export: parent of %s: %w", c, err)
				}
				bad[p] = true
			}
		}
		if len(bad) == 0 {
			break
		}
		for c, a := range rows {
			if c.Res() < r {
				continue
			}
			p, err := c.Parent(r - 1)
			if err != nil {
				return nil, Totals{}, fmt.Errorf("export: parent of %s: %w", c, err)
			}
			if !bad[p] {
				continue
			}
			dst, ok := rows[p]
			if !ok {
				dst = &mergeAcc{p: Point{Kind: KindCell, Nearest4GM: math.NaN(), GapScore: math.NaN()}, byArea: map[string]int{}, names: map[string]string{}}
				rows[p] = dst
			}
			dst.add(a)
			delete(rows, c)
		}
	}
	var withheld Totals
	pts := make([]Point, 0, len(rows))
	for c, a := range rows {
		p := a.p
		if p.Households < k {
			withheld.Add(&p)
			continue
		}
		p.H3, p.Res = c.String(), c.Res()
		var err error
		if p.Lat, p.Lon, err = c.Center(); err != nil {
			return nil, Totals{}, fmt.Errorf("export: cell %s: %w", c, err)
		}
		if p.Hexagon, err = c.Boundary(); err != nil {
			return nil, Totals{}, fmt.Errorf("export: cell %s: %w", c, err)
		}
		// The area holding most of the households (ties: the smaller code).
		best, bestN := "", -1
		for code, n := range a.byArea {
			if n > bestN || n == bestN && code < best {
				best, bestN = code, n
			}
		}
		p.AreaCode, p.AreaName = best, a.names[best]
		pts = append(pts, p)
	}
	sort.Slice(pts, func(i, j int) bool {
		ri, rj := pts[i].GapRank, pts[j].GapRank
		if ri <= 0 {
			ri = math.MaxInt
		}
		if rj <= 0 {
			rj = math.MaxInt
		}
		if ri != rj {
			return ri < rj
		}
		return pts[i].H3 < pts[j].H3
	})
	return pts, withheld, nil
}

// Options controls the output.
type Options struct {
	// K is the privacy threshold the points were merged with (titles only).
	K int
	// View and Operator (ViewOperator only) name what the file holds.
	View     string
	Operator string
}

// Title is the document title.
func (o Options) Title() string {
	if o.View == ViewOperator && o.Operator != "" {
		return "Điểm chưa có sóng 4G của " + o.Operator + " / Points without " + o.Operator + " 4G"
	}
	return "Điểm lõm sóng (không 4G, không cáp quang) / Uncovered points (no 4G, no fiber)"
}

// column is one attribute of the table.
type column struct {
	key   string // CSV header, GeoJSON property, KML Data name
	label string // XLSX header (Vietnamese / English)
	value func(p *Point) any
}

// Values are nil (empty), int, float64 or string.
func columns() []column {
	cellInt := func(n func(p *Point) int) func(p *Point) any {
		return func(p *Point) any {
			if p.Kind != KindCell {
				return nil
			}
			return n(p)
		}
	}
	schoolStr := func(f func(p *Point) string) func(p *Point) any {
		return func(p *Point) any {
			if s := f(p); s != "" && p.Kind == KindSchool {
				return s
			}
			return nil
		}
	}
	str := func(f func(p *Point) string) func(p *Point) any {
		return func(p *Point) any {
			if s := f(p); s != "" {
				return s
			}
			return nil
		}
	}
	cs := []column{
		{"kind", "Loại điểm / Kind", str(func(p *Point) string { return p.Kind })},
		{"h3", "Mã ô H3 / H3 cell", str(func(p *Point) string { return p.H3 })},
		{"res", "Độ phân giải H3 / H3 resolution", cellInt(func(p *Point) int { return p.Res })},
		{"lat", "Vĩ độ / Latitude", func(p *Point) any { return round(p.Lat, 7) }},
		{"lon", "Kinh độ / Longitude", func(p *Point) any { return round(p.Lon, 7) }},
		{"area_code", "Mã địa bàn / Area code", str(func(p *Point) string { return p.AreaCode })},
		{"area_name", "Tên địa bàn / Area name", str(func(p *Point) string { return p.AreaName })},
		{"households", "Số hộ / Households", cellInt(func(p *Point) int { return p.Households })},
	}
	for t := 1; t <= 3; t++ {
		ts := strconv.Itoa(t)
		cs = append(cs, column{"students_t" + ts, "HS ưu tiên " + ts + " / Tier " + ts + " students", cellInt(func(p *Point) int { return p.Students[t] })})
	}
	for t := 1; t <= 3; t++ {
		ts := strconv.Itoa(t)
		cs = append(cs, column{"unconnected_students_t" + ts, "HS ưu tiên " + ts + " chưa có kết nối / Unconnected tier " + ts + " students",
			cellInt(func(p *Point) int { return p.Unconnected[t] })})
	}
	return append(cs,
		column{"merged_cells", "Số ô gộp / Cells merged", cellInt(func(p *Point) int { return p.Cells })},
		column{"school_id", "Mã trường / School ID", schoolStr(func(p *Point) string { return p.SchoolID })},
		column{"school_name", "Tên trường / School name", schoolStr(func(p *Point) string { return p.Name })},
		column{"school_level", "Cấp học / Level", schoolStr(func(p *Point) string { return p.Level })},
		column{"school_students", "Học sinh của trường / School students", func(p *Point) any {
			if p.Kind != KindSchool {
				return nil
			}
			return p.SchoolStudents
		}},
		column{"connectivity", "Kết nối / Connectivity", schoolStr(func(p *Point) string { return p.Connectivity })},
		column{"nearest_4g_m", "Khoảng cách tới trạm 4G gần nhất (m) / Nearest 4G (m)", func(p *Point) any { return round(p.Nearest4GM, 1) }},
		column{"gap_id", "Mã vùng lõm / Gap area", str(func(p *Point) string { return p.GapID })},
		column{"gap_rank", "Thứ hạng vùng lõm / Gap rank", func(p *Point) any {
			if p.GapRank <= 0 {
				return nil
			}
			return p.GapRank
		}},
		column{"gap_score", "Điểm ưu tiên / Gap score", func(p *Point) any { return round(p.GapScore, 6) }},
	)
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
func values(cs []column, p *Point, out []any) []any {
	out = out[:0]
	for _, c := range cs {
		out = append(out, c.value(p))
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
	if p.Kind != KindCell && p.Kind != KindSchool {
		return fmt.Errorf("export: point %d: kind %q (want %s or %s)", i, p.Kind, KindCell, KindSchool)
	}
	if math.IsNaN(p.Lat) || math.IsNaN(p.Lon) || p.Lat < -90 || p.Lat > 90 || p.Lon < -180 || p.Lon > 180 {
		return fmt.Errorf("export: point %d (%s%s): invalid position %v,%v", i, p.H3, p.SchoolID, p.Lat, p.Lon)
	}
	return nil
}
