package reports

import (
	"context"
	"strconv"
)

// HandoverMonth is the devices one area handed over in one month.
type HandoverMonth struct {
	AreaCode   string `json:"area_code"`
	AreaName   string `json:"area_name"`
	Level      string `json:"level"`
	Month      string `json:"month"`
	HandedOver int    `json:"handed_over"`
	// BelowTarget: fewer than the monthly target (false without a target).
	BelowTarget bool `json:"below_target"`
}

// HandoverArea is one area over the whole period.
type HandoverArea struct {
	AreaCode    string `json:"area_code"`
	AreaName    string `json:"area_name"`
	Level       string `json:"level"`
	HandedOver  int    `json:"handed_over"`
	Months      int    `json:"months"`
	MonthsBelow int    `json:"months_below"`
}

// HandoverReport is the monthly handovers per area.
type HandoverReport struct {
	Source Source          `json:"source"`
	Months []string        `json:"months"`
	Areas  []HandoverArea  `json:"areas"`
	Rows   []HandoverMonth `json:"rows"`
}

// Meta returns the report's source.
func (r *HandoverReport) Meta() Source { return r.Source }

// Handovers makes the monthly handover report.
func (s *Service) Handovers(ctx context.Context, o Options) (Report, error) {
	if err := o.checkPeriod(); err != nil {
		return nil, err
	}
	if o.MonthlyTarget < 0 {
		return nil, bad("monthly-target", strconv.Itoa(o.MonthlyTarget), "the monthly target must be 0 (none) or more")
	}
	months, err := Periods(o.From, o.To, PeriodMonth)
	if err != nil {
		return nil, err
	}
	f, err := s.Store.ProgressFacts(ctx, o.To, 0)
	if err != nil {
		return nil, err
	}
	succ, err := successors(f.Successors)
	if err != nil {
		return nil, err
	}
	t := newTree(f.Areas, o.To)
	order, _, err := t.order(o.Area)
	if err != nil {
		return nil, err
	}
	raw := map[string]vec{}
	for _, x := range f.Handovers {
		for i, m := range months {
			if in(x.On, m.from, m.to) {
				if raw[x.AreaCode] == nil {
					raw[x.AreaCode] = make(vec, len(months))
				}
				raw[x.AreaCode][i] += x.N
			}
		}
	}
	sums := t.sumUp(rollUp(succ, o.To, raw, len(months)), len(months))
	r := &HandoverReport{Areas: []HandoverArea{}, Rows: []HandoverMonth{}}
	for _, m := range months {
		r.Months = append(r.Months, m.Label)
	}
	for _, c := range order {
		a := t.areas[c]
		if o.Level != "" && a.Level != o.Level {
			continue
		}
		sum := HandoverArea{AreaCode: c, AreaName: a.Name, Level: a.Level, Months: len(months)}
		for i, m := range months {
			n := sums[c].at(i)
			below := o.MonthlyTarget > 0 && n < o.MonthlyTarget
			r.Rows = append(r.Rows, HandoverMonth{AreaCode: c, AreaName: a.Name, Level: a.Level, Month: m.Label, HandedOver: n, BelowTarget: below})
			sum.HandedOver += n
			if below {
				sum.MonthsBelow++
			}
		}
		r.Areas = append(r.Areas, sum)
	}
	r.Source = Source{Report: KindHandovers, Title: "Thiết bị bàn giao hằng tháng theo địa bàn / Monthly handovers by area",
		From: day(o.From), To: day(o.To), Period: PeriodMonth, AsOf: day(o.To), Area: o.Area, Level: o.Level, Target: o.MonthlyTarget,
		Runs: runsOrEmpty(f.Runs), Version: s.Version,
		Notes: []string{
			"Thiết bị đã bàn giao cho học sinh theo tháng của ngày bàn giao (kể cả thiết bị sau đó trả lại) / Devices handed over, by the month of the handover day (returns later included)",
			"Dưới chỉ tiêu: ít hơn chỉ tiêu mỗi tháng / Below target: fewer than the monthly target",
		}}
	return r, nil
}

// Tables returns the report's tables for CSV and XLSX: the month × area
// table first (one column per month), then the long form.
func (r *HandoverReport) Tables() []Table {
	grid := Table{Sheet: "Theo tháng", Title: "Thiết bị bàn giao: tháng × địa bàn (* hoặc ô đỏ: dưới chỉ tiêu) / Devices handed over: month × area (* or red: below target)",
		Columns: []Column{{"area_code", "Mã địa bàn"}, {"area_name", "Tên địa bàn"}, {"level", "Cấp"}}}
	for _, m := range r.Months {
		grid.Columns = append(grid.Columns, Column{m, "Tháng " + m})
	}
	grid.Columns = append(grid.Columns, Column{"handed_over", "Tổng"}, Column{"months_below", "Số tháng dưới chỉ tiêu"})
	k := 0
	for _, a := range r.Areas {
		row := []any{a.AreaCode, a.AreaName, a.Level}
		for range r.Months {
			m := r.Rows[k]
			k++
			if m.BelowTarget {
				row = append(row, Below(m.HandedOver))
			} else {
				row = append(row, m.HandedOver)
			}
		}
		row = append(row, a.HandedOver, a.MonthsBelow)
		grid.Rows = append(grid.Rows, row)
	}
	long := Table{Sheet: "Chi tiết", Title: "Theo địa bàn và tháng / By area and month", Columns: []Column{
		{"area_code", "Mã địa bàn"}, {"area_name", "Tên địa bàn"}, {"level", "Cấp"}, {"month", "Tháng"},
		{"handed_over", "Đã bàn giao"}, {"below_target", "Dưới chỉ tiêu"},
	}}
	for _, m := range r.Rows {
		long.Rows = append(long.Rows, []any{m.AreaCode, m.AreaName, m.Level, m.Month, m.HandedOver, m.BelowTarget})
	}
	return []Table{grid, long}
}
