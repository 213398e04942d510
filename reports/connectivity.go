package reports

import (
	"context"
	"strconv"
	"time"

	"github.com/gapmap/gapmap/data/postgis"
)

// OperatorAny is the operator of the rows that count every operator
// together: a home without mobile Internet has no 4G or 3G of any operator.
const OperatorAny = "any"

// ConnectivityRow is, for one area and one operator (OperatorAny: all of
// them), the homes (every household, whatever its students) of the
// coverage run without mobile Internet (no 4G and no 3G), those of the
// baseline run, and the points closed and opened between the two.
type ConnectivityRow struct {
	AreaCode string `json:"area_code"` // "" for the total
	AreaName string `json:"area_name"`
	Level    string `json:"level"`
	Depth    int    `json:"depth"`
	Operator string `json:"operator"`
	Homes    int    `json:"homes"`
	Without  int    `json:"without_mobile"`
	// PctWith: homes with mobile Internet, % of all homes.
	PctWith       float64 `json:"pct_with_mobile"`
	BaselineHomes int     `json:"baseline_homes"`
	WithoutBefore int     `json:"without_mobile_baseline"`
	Closed        int     `json:"closed"` // none in the baseline, some now
	Opened        int     `json:"opened"` // some in the baseline, none now
	New           int     `json:"new_without"`
	Gone          int     `json:"gone_without"`
	// PctClosed: Closed as a % of the baseline's homes without.
	PctClosed float64 `json:"pct_closed"`
	// NeededPer30Days: homes without that must be connected every 30 days
	// to reach none by the target day (0 without a target day; all of them
	// when the day has passed).
	NeededPer30Days int `json:"needed_per_30_days"`
}

// ConnectivityReport is the Sở TTTT measure.
type ConnectivityReport struct {
	Source       Source            `json:"source"`
	DaysToTarget *int              `json:"days_to_target,omitempty"`
	Operators    []string          `json:"operators"`
	Rows         []ConnectivityRow `json:"rows"`
}

// Meta returns the report's source.
func (r *ConnectivityReport) Meta() Source { return r.Source }

const (
	cvHomes = iota
	cvWithout
	cvWithoutBefore
	cvBaseHomes
	cvClosed
	cvOpened
	cvNew
	cvGone
	cvN
)

// Connectivity makes the Sở TTTT measure.
func (s *Service) Connectivity(ctx context.Context, o Options) (Report, error) {
	if o.Run < 0 {
		return nil, bad("run", "", "the coverage run id must be positive (0: the newest)")
	}
	f, err := s.Store.ConnectivityFacts(ctx, o.Run, o.Baseline)
	if err != nil {
		return nil, err
	}
	return buildConnectivity(f, o, s.Version)
}

func buildConnectivity(f postgis.ConnectivityFacts, o Options, version string) (*ConnectivityReport, error) {
	asOf := o.AsOf
	if asOf.IsZero() {
		y, m, d := f.Run.Created.UTC().Date()
		asOf = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	succ, err := successors(f.Successors)
	if err != nil {
		return nil, err
	}
	t := newTree(f.Areas, asOf)
	order, depth, err := t.order(o.Area)
	if err != nil {
		return nil, err
	}
	ops := append([]string{OperatorAny}, f.Operators...)
	idx := map[string]int{"": 0}
	for i, op := range f.Operators {
		idx[op] = i + 1
	}
	n := cvN * len(ops)
	raw := map[string]vec{}
	for _, g := range f.Gaps {
		i, ok := idx[g.Operator]
		if !ok {
			continue
		}
		v := raw[g.AreaCode]
		if v == nil {
			v = make(vec, n)
			raw[g.AreaCode] = v
		}
		b := i * cvN
		v[b+cvHomes] += g.Homes
		v[b+cvWithout] += g.Without
		v[b+cvWithoutBefore] += g.WithoutBefore
		v[b+cvBaseHomes] += g.BaselineHomes
		v[b+cvClosed] += g.Closed
		v[b+cvOpened] += g.Opened
		v[b+cvNew] += g.New
		v[b+cvGone] += g.Gone
	}
	sums := t.sumUp(rollUp(succ, asOf, raw, n), n)
	r := &ConnectivityReport{Operators: ops, Rows: []ConnectivityRow{}}
	var daysLeft int
	if !o.TargetDate.IsZero() {
		daysLeft = int(o.TargetDate.Sub(asOf).Hours() / 24)
		r.DaysToTarget = &daysLeft
	}
	rows := func(code, name, level string, d int, v vec) {
		for i, op := range ops {
			b := i * cvN
			row := ConnectivityRow{AreaCode: code, AreaName: name, Level: level, Depth: d, Operator: op,
				Homes: v.at(b + cvHomes), Without: v.at(b + cvWithout), BaselineHomes: v.at(b + cvBaseHomes),
				WithoutBefore: v.at(b + cvWithoutBefore), Closed: v.at(b + cvClosed), Opened: v.at(b + cvOpened),
				New: v.at(b + cvNew), Gone: v.at(b + cvGone)}
			row.PctWith = pct(row.Homes-row.Without, row.Homes)
			row.PctClosed = pct(row.Closed, row.WithoutBefore)
			if r.DaysToTarget != nil {
				if daysLeft <= 0 {
					row.NeededPer30Days = row.Without
				} else {
					row.NeededPer30Days = (row.Without*30 + daysLeft - 1) / daysLeft
				}
			}
			r.Rows = append(r.Rows, row)
		}
	}
	if o.Area == "" {
		rows("", "Tổng cộng / Total", "", 0, sums[totalKey])
		if v := sums[""]; v != nil {
			rows("?", "Ngoài các địa bàn hiện hành / outside today's areas", "", 0, v)
		}
	}
	for _, c := range order {
		if o.Levels > 0 && depth[c] >= o.Levels {
			continue
		}
		a := t.areas[c]
		rows(c, a.Name, a.Level, depth[c], sums[c])
	}
	runs := []postgis.RunRef{f.Run}
	if f.Baseline.ID != 0 {
		runs = append(runs, f.Baseline)
	}
	notes := []string{
		"Điểm chưa có Internet di động: hộ gia đình (mọi hộ, có hay không có học sinh) không có 4G và không có 3G của nhà mạng nào theo lượt phân tích vùng phủ / A point without mobile Internet: a home (every household, with or without students) with no 4G and no 3G of any operator in the coverage run",
		"Theo nhà mạng: không có 4G/3G của nhà mạng đó / Per operator: no 4G/3G of that operator",
		"Đã xóa: không có ở lượt gốc, có ở lượt này; phát sinh: ngược lại / Closed: none in the baseline, some now; opened: the reverse",
	}
	if f.Baseline.ID == 0 {
		notes = append(notes, "Không có lượt gốc để so sánh / No baseline run to compare with")
	} else {
		notes = append(notes, "Lượt gốc / Baseline: coverage #"+strconv.FormatInt(f.Baseline.ID, 10)+"; lượt hiện tại / current: coverage #"+strconv.FormatInt(f.Run.ID, 10))
	}
	r.Source = Source{Report: KindConnectivity, Title: "Điểm chưa có Internet di động (Sở TTTT) / Points without mobile Internet",
		AsOf: day(asOf), Area: o.Area, Levels: o.Levels, TargetDate: day(o.TargetDate), Runs: runs, Version: version, Notes: notes}
	return r, nil
}

func operatorName(op string) string {
	if op == OperatorAny {
		return "Tất cả nhà mạng (any)"
	}
	return op
}

// Tables returns the report's table for CSV and XLSX.
func (r *ConnectivityReport) Tables() []Table {
	t := Table{Sheet: "Điểm chưa có Internet", Title: "Điểm chưa có Internet di động theo địa bàn và nhà mạng / Points without mobile Internet by area and operator",
		Columns: []Column{
			{"area_code", "Mã địa bàn"}, {"area_name", "Tên địa bàn"}, {"level", "Cấp"}, {"operator", "Nhà mạng"},
			{"homes", "Số hộ"}, {"without_mobile", "Điểm chưa có Internet di động"}, {"pct_with_mobile", "Tỷ lệ % hộ có Internet di động"},
			{"baseline_homes", "Số hộ (lượt gốc)"}, {"without_mobile_baseline", "Điểm chưa có (lượt gốc)"},
			{"closed", "Đã xóa từ lượt gốc"}, {"opened", "Phát sinh từ lượt gốc"}, {"new_without", "Hộ mới chưa có"},
			{"gone_without", "Hộ chưa có không còn trong danh sách"}, {"pct_closed", "Tỷ lệ % đã xóa"},
			{"needed_per_30_days", "Cần xóa mỗi 30 ngày để đạt hạn"},
		}}
	for _, x := range r.Rows {
		t.Rows = append(t.Rows, []any{x.AreaCode, x.AreaName, x.Level, operatorName(x.Operator), x.Homes, x.Without, x.PctWith,
			x.BaselineHomes, x.WithoutBefore, x.Closed, x.Opened, x.New, x.Gone, x.PctClosed, x.NeededPer30Days})
	}
	return []Table{t}
}
