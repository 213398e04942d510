package reports

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
)

// Period is one period of a report: its label and its first and last day.
type Period struct {
	Label string `json:"label"`
	From  string `json:"from"`
	To    string `json:"to"`
	from  time.Time
	to    time.Time
}

// MaxPeriods bounds the periods of one report (ten years by month).
const MaxPeriods = 120

// Periods splits [from, to] into calendar months, quarters or years; the
// first and last are cut at from and to.
func Periods(from, to time.Time, kind string) ([]Period, error) {
	var months int
	switch kind {
	case PeriodMonth, "":
		months = 1
	case PeriodQuarter:
		months = 3
	case PeriodYear:
		months = 12
	default:
		return nil, bad("period", kind, "the period must be month, quarter or year")
	}
	var out []Period
	y, m, _ := from.Date()
	start := time.Date(y, time.Month((int(m)-1)/months*months+1), 1, 0, 0, 0, 0, time.UTC)
	for !start.After(to) {
		next := start.AddDate(0, months, 0)
		p := Period{from: start, to: next.AddDate(0, 0, -1)}
		if p.from.Before(from) {
			p.from = from
		}
		if p.to.After(to) {
			p.to = to
		}
		switch months {
		case 1:
			p.Label = start.Format("2006-01")
		case 3:
			p.Label = fmt.Sprintf("%d-Q%d", start.Year(), (int(start.Month())-1)/3+1)
		default:
			p.Label = start.Format("2006")
		}
		p.From, p.To = day(p.from), day(p.to)
		out = append(out, p)
		start = next
		if len(out) > MaxPeriods {
			return nil, bad("period", kind, fmt.Sprintf("the report would have more than %d periods: choose a longer period or a shorter span", MaxPeriods))
		}
	}
	return out, nil
}

func in(d, from, to time.Time) bool { return !d.Before(from) && !d.After(to) }

// ProgressRow is one area in one period. Needs are the lists as imported
// today; the other figures are what happened in the period and what had
// happened by its last day (to date).
type ProgressRow struct {
	AreaCode string `json:"area_code"` // "" for the total
	AreaName string `json:"area_name"`
	Level    string `json:"level"`
	Depth    int    `json:"depth"`
	Period   string `json:"period"`
	// Students of tiers 1–3 without a device when imported.
	NeedTier1 int `json:"need_tier1"`
	NeedTier2 int `json:"need_tier2"`
	NeedTier3 int `json:"need_tier3"`
	Need      int `json:"need"`
	// Allocated by committed runs and handed over (devices; a SIM handed
	// over with its device).
	DevicesAllocated        int `json:"devices_allocated"`
	DevicesAllocatedToDate  int `json:"devices_allocated_to_date"`
	SimsAllocated           int `json:"sims_allocated"`
	SimsAllocatedToDate     int `json:"sims_allocated_to_date"`
	DevicesHandedOver       int `json:"devices_handed_over"`
	DevicesHandedOverToDate int `json:"devices_handed_over_to_date"`
	SimsHandedOver          int `json:"sims_handed_over"`
	SimsHandedOverToDate    int `json:"sims_handed_over_to_date"`
	DevicesReturned         int `json:"devices_returned"`
	DevicesReturnedToDate   int `json:"devices_returned_to_date"`
	// Returned devices inspected "ok", back in stock (on the inspection
	// day); SIM renewals (top-ups, on the day recorded); SIMs allocated on
	// the 3G fallback by committed runs.
	DevicesRestocked       int `json:"devices_restocked"`
	DevicesRestockedToDate int `json:"devices_restocked_to_date"`
	SimRenewals            int `json:"sim_renewals"`
	SimRenewalsToDate      int `json:"sim_renewals_to_date"`
	Sims3GAllocatedToDate  int `json:"sims_3g_allocated_to_date"`
	// Unmet: needs without a device allocated by the period's end.
	Unmet int `json:"unmet"`
	// The phase-2 target: tier 1–2 students with a device (one they had
	// when imported, or one handed over and not returned) among all tier
	// 1–2 students.
	StudentsTier12 int     `json:"students_tier12"`
	EquippedTier12 int     `json:"equipped_tier12"`
	PctTier12      float64 `json:"pct_tier12_equipped"`
	// With a preview run (Options.PreviewRun), on the rows of the last
	// period only (the plan comes after the as-of day; nil elsewhere):
	// what the preview would allocate, the needs still unmet after it
	// (need − devices allocated to date − devices planned) and the tier 1–2
	// students equipped once every device allocated and planned is handed
	// over (equipped + tier 1–2 devices allocated and not yet handed over
	// + tier 1–2 devices planned).
	DevicesPlanned          *int     `json:"devices_planned,omitempty"`
	SimsPlanned             *int     `json:"sims_planned,omitempty"`
	Sims3GPlanned           *int     `json:"sims_3g_planned,omitempty"`
	UnmetAfterPlan          *int     `json:"unmet_after_plan,omitempty"`
	EquippedTier12AfterPlan *int     `json:"equipped_tier12_after_plan,omitempty"`
	PctTier12AfterPlan      *float64 `json:"pct_tier12_after_plan,omitempty"`
}

// SaleRow is what the sales (liquidations) of devices sold and raised in
// a period and to date, province-wide (a sale is not an area's).
type SaleRow struct {
	Period            string `json:"period"`
	DevicesSold       int    `json:"devices_sold"`
	DevicesSoldToDate int    `json:"devices_sold_to_date"`
	AmountVND         int64  `json:"amount_vnd"`
	AmountVNDToDate   int64  `json:"amount_vnd_to_date"`
}

// ResourceRow is what one donor gave of one kind (a device type, or
// "sim": SIMs) in a period and to date; Undated counts those without a
// received day (in the to-date figure, in no period).
type ResourceRow struct {
	Donor          string `json:"donor"`
	Kind           string `json:"kind"`
	Period         string `json:"period"`
	Received       int    `json:"received"`
	ReceivedToDate int    `json:"received_to_date"`
	Undated        int    `json:"undated"`
}

// ProgressReport is progress to date per area and period.
type ProgressReport struct {
	Source    Source        `json:"source"`
	Periods   []Period      `json:"periods"`
	Areas     []ProgressRow `json:"areas"`
	Resources []ResourceRow `json:"resources"`
	Sales     []SaleRow     `json:"sales"`
}

// Meta returns the report's source.
func (r *ProgressReport) Meta() Source { return r.Source }

// Per-area vector layout: the needs, then per period the period figures.
const (
	pvNeed1 = iota
	pvNeed2
	pvNeed3
	pvStudents12
	pvHad12
	pvPlanDev
	pvPlanSim
	pvPlanSim3G
	pvPlanDev12
	pvFixed
)

const (
	ppDevAlloc = iota
	ppDevAllocCum
	ppSimAlloc
	ppSimAllocCum
	ppDevHO
	ppDevHOCum
	ppSimHO
	ppSimHOCum
	ppReturned
	ppReturnedCum
	ppEquipped12
	ppRestock
	ppRestockCum
	ppRenew
	ppRenewCum
	ppSim3GCum
	ppDevAlloc12Cum
	ppDevHO12Cum
	ppN
)

// Progress makes the progress report.
func (s *Service) Progress(ctx context.Context, o Options) (Report, error) {
	if err := o.checkPeriod(); err != nil {
		return nil, err
	}
	periods, err := Periods(o.From, o.To, o.Period)
	if err != nil {
		return nil, err
	}
	if o.PreviewRun < 0 {
		return nil, bad("preview_run", fmt.Sprint(o.PreviewRun), "a preview run id (0: none)")
	}
	f, err := s.Store.ProgressFacts(ctx, o.To, o.PreviewRun)
	if err != nil {
		return nil, err
	}
	return buildProgress(f, o, periods, s.Version)
}

func buildProgress(f postgis.ProgressFacts, o Options, periods []Period, version string) (*ProgressReport, error) {
	succ, err := successors(f.Successors)
	if err != nil {
		return nil, err
	}
	t := newTree(f.Areas, o.To)
	order, depth, err := t.order(o.Area)
	if err != nil {
		return nil, err
	}
	n := pvFixed + ppN*len(periods)
	raw := map[string]vec{}
	get := func(c string) vec {
		if raw[c] == nil {
			raw[c] = make(vec, n)
		}
		return raw[c]
	}
	for _, x := range f.Needs {
		v := get(x.AreaCode)
		if !x.HadDevice {
			v[pvNeed1+x.Tier-1] += x.Students
		}
		if x.Tier <= 2 {
			v[pvStudents12] += x.Students
			if x.HadDevice {
				v[pvHad12] += x.Students
			}
		}
	}
	for _, x := range f.Allocations {
		v := get(x.AreaCode)
		for pi, p := range periods {
			b := pvFixed + pi*ppN
			alloc, cum := ppDevAlloc, ppDevAllocCum
			if x.Benefit == "sim" {
				alloc, cum = ppSimAlloc, ppSimAllocCum
			}
			if in(x.Day, p.from, p.to) {
				v[b+alloc] += x.N
			}
			if !x.Day.After(p.to) {
				v[b+cum] += x.N
				if x.Benefit == "sim" && x.Network == "3G" {
					v[b+ppSim3GCum] += x.N
				}
				if x.Benefit != "sim" && x.Tier <= 2 {
					v[b+ppDevAlloc12Cum] += x.N
				}
			}
		}
	}
	for _, x := range f.Handovers {
		v := get(x.AreaCode)
		for pi, p := range periods {
			b := pvFixed + pi*ppN
			if in(x.On, p.from, p.to) {
				v[b+ppDevHO] += x.N
			}
			if x.ReturnedOn != nil && in(*x.ReturnedOn, p.from, p.to) {
				v[b+ppReturned] += x.N
			}
			if x.On.After(p.to) {
				continue
			}
			v[b+ppDevHOCum] += x.N
			if x.Tier <= 2 {
				v[b+ppDevHO12Cum] += x.N
			}
			returned := x.ReturnedOn != nil && !x.ReturnedOn.After(p.to)
			if returned {
				v[b+ppReturnedCum] += x.N
			} else if x.Tier <= 2 {
				v[b+ppEquipped12] += x.N
			}
		}
	}
	dated := func(xs []postgis.DatedCount, inPeriod, toDate int) {
		for _, x := range xs {
			v := get(x.AreaCode)
			for pi, p := range periods {
				b := pvFixed + pi*ppN
				if in(x.On, p.from, p.to) {
					v[b+inPeriod] += x.N
				}
				if !x.On.After(p.to) {
					v[b+toDate] += x.N
				}
			}
		}
	}
	dated(f.SimHandovers, ppSimHO, ppSimHOCum)
	dated(f.Restocked, ppRestock, ppRestockCum)
	dated(f.Renewals, ppRenew, ppRenewCum)
	for _, x := range f.Planned {
		v := get(x.AreaCode)
		v[pvPlanDev] += x.Devices
		v[pvPlanSim] += x.Sims
		v[pvPlanSim3G] += x.Sims3G
		if x.Tier >= 1 && x.Tier <= 2 {
			v[pvPlanDev12] += x.Devices
		}
	}
	sums := t.sumUp(rollUp(succ, o.To, raw, n), n)
	r := &ProgressReport{Periods: periods, Areas: []ProgressRow{}, Resources: []ResourceRow{}}
	rows := func(code, name, level string, d int, v vec) {
		for pi, p := range periods {
			b := pvFixed + pi*ppN
			row := ProgressRow{AreaCode: code, AreaName: name, Level: level, Depth: d, Period: p.Label,
				NeedTier1: v.at(pvNeed1), NeedTier2: v.at(pvNeed2), NeedTier3: v.at(pvNeed3),
				DevicesAllocated: v.at(b + ppDevAlloc), DevicesAllocatedToDate: v.at(b + ppDevAllocCum),
				SimsAllocated: v.at(b + ppSimAlloc), SimsAllocatedToDate: v.at(b + ppSimAllocCum),
				DevicesHandedOver: v.at(b + ppDevHO), DevicesHandedOverToDate: v.at(b + ppDevHOCum),
				SimsHandedOver: v.at(b + ppSimHO), SimsHandedOverToDate: v.at(b + ppSimHOCum),
				DevicesReturned: v.at(b + ppReturned), DevicesReturnedToDate: v.at(b + ppReturnedCum),
				DevicesRestocked: v.at(b + ppRestock), DevicesRestockedToDate: v.at(b + ppRestockCum),
				SimRenewals: v.at(b + ppRenew), SimRenewalsToDate: v.at(b + ppRenewCum), Sims3GAllocatedToDate: v.at(b + ppSim3GCum),
				StudentsTier12: v.at(pvStudents12), EquippedTier12: v.at(pvHad12) + v.at(b+ppEquipped12)}
			row.Need = row.NeedTier1 + row.NeedTier2 + row.NeedTier3
			row.Unmet = max(0, row.Need-row.DevicesAllocatedToDate)
			row.PctTier12 = pct(row.EquippedTier12, row.StudentsTier12)
			if f.Preview != nil && pi == len(periods)-1 {
				dev, sim, sim3g := v.at(pvPlanDev), v.at(pvPlanSim), v.at(pvPlanSim3G)
				unmet := max(0, row.Need-row.DevicesAllocatedToDate-dev)
				pending12 := max(0, v.at(b+ppDevAlloc12Cum)-v.at(b+ppDevHO12Cum))
				eq := min(row.StudentsTier12, row.EquippedTier12+pending12+v.at(pvPlanDev12))
				pc := pct(eq, row.StudentsTier12)
				row.DevicesPlanned, row.SimsPlanned, row.Sims3GPlanned = &dev, &sim, &sim3g
				row.UnmetAfterPlan, row.EquippedTier12AfterPlan, row.PctTier12AfterPlan = &unmet, &eq, &pc
			}
			r.Areas = append(r.Areas, row)
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
	r.Resources = resourceRows(f.Received, succ, o, periods, order)
	r.Sales = saleRows(f.Sales, periods)
	r.Source = Source{Report: KindProgress, Title: "Tiến độ thực hiện theo địa bàn và kỳ / Progress to date by area and period",
		From: day(o.From), To: day(o.To), Period: periodName(o.Period), AsOf: day(o.To), Area: o.Area, Levels: o.Levels, Runs: runsOrEmpty(f.Runs),
		PreviewRun: f.Preview, Version: version,
		Notes: []string{
			"Nhu cầu: học sinh diện 1–3 chưa có thiết bị theo danh sách nhập hiện tại / Need: tier 1–3 students without a device in the lists as imported today",
			"Đã phân bổ: theo các lượt phân bổ đã chốt, theo ngày phân bổ (giờ Việt Nam) / Allocated: by committed runs, on the day allocated (Vietnam time)",
			"Đã bàn giao: theo ngày bàn giao; SIM tính theo ngày bàn giao cùng thiết bị, hoặc ngày kích hoạt ghi nhận khi bàn giao SIM riêng / Handed over: on the handover day; a SIM on the day handed over with its device, else on the day its service was issued (a SIM handed over without a device)",
			"Trả lại: theo ngày trả; nhập lại kho: thiết bị trả lại được kiểm tra đạt, theo ngày kiểm tra; gia hạn SIM: theo ngày ghi nhận; SIM 3G: SIM phân bổ theo mạng 3G / Returned: on the return day; back in stock: returned devices inspected ok, on the inspection day; SIM renewals: on the day recorded; SIMs on 3G: SIMs allocated on the 3G fallback",
			"Thanh lý: thiết bị bán và số tiền thu được theo ngày bán, toàn tỉnh / Sales: devices sold and money raised (VND) on the day sold, whole province",
			"Chưa đáp ứng = nhu cầu − thiết bị đã phân bổ đến cuối kỳ / Unmet = need − devices allocated by the period's end",
			"% diện 1–2 có thiết bị = (đã có khi nhập + đã nhận, chưa trả) / tổng HS diện 1–2 / % tier 1–2 equipped = (had one when imported + handed over, not returned) / all tier 1–2 students",
			"Số liệu theo mã địa bàn cũ được chuyển sang đơn vị hiện hành theo bảng kế thừa / Figures under old area codes are rolled into the units valid on the as-of day",
		}}
	if f.Preview != nil {
		later := 0
		for _, run := range f.Runs {
			if run.ID > f.Preview.ID {
				later++
			}
		}
		r.Source.Notes = append(r.Source.Notes,
			fmt.Sprintf("Kế hoạch: phân bổ dự kiến của lượt xem trước #%d, ở các dòng kỳ cuối; chưa đáp ứng sau kế hoạch = nhu cầu − đã phân bổ − dự kiến; diện 1–2 sau kế hoạch = có thiết bị + đã phân bổ chưa bàn giao + dự kiến / Plan: the allocations preview run #%d would make, on the last period's rows; unmet after plan = need − allocated − planned; tier 1–2 after plan = equipped + allocated not yet handed over + planned", f.Preview.ID, f.Preview.ID))
		if later > 0 {
			r.Source.Notes = append(r.Source.Notes,
				fmt.Sprintf("Cảnh báo: %d lượt đã chốt sau lượt xem trước #%d; kế hoạch có thể trùng / Warning: %d run(s) committed after preview run #%d: the plan may overlap them", later, f.Preview.ID, later, f.Preview.ID))
		}
	}
	return r, nil
}

func saleRows(sales []postgis.SaleCount, periods []Period) []SaleRow {
	out := make([]SaleRow, 0, len(periods))
	for _, p := range periods {
		row := SaleRow{Period: p.Label}
		for _, x := range sales {
			if in(x.On, p.from, p.to) {
				row.DevicesSold += x.Devices
				row.AmountVND += x.AmountVND
			}
			if !x.On.After(p.to) {
				row.DevicesSoldToDate += x.Devices
				row.AmountVNDToDate += x.AmountVND
			}
		}
		out = append(out, row)
	}
	return out
}

func periodName(p string) string {
	if p == "" {
		return PeriodMonth
	}
	return p
}

func runsOrEmpty(r []postgis.RunRef) []postgis.RunRef {
	if r == nil {
		return []postgis.RunRef{}
	}
	return r
}

// inSubtree returns the share of n held under code that lands in the
// areas of order (all of it when area is "").
func inSubtree(succ *data.Successors, d time.Time, code string, n int, area string, set map[string]bool) int {
	if area == "" {
		return n
	}
	got := 0
	for c, k := range succ.RollUp(map[string]int{code: n}, d) {
		if set[c] {
			got += k
		}
	}
	return got
}

func resourceRows(rec []postgis.ReceivedCount, succ *data.Successors, o Options, periods []Period, order []string) []ResourceRow {
	set := make(map[string]bool, len(order))
	for _, c := range order {
		set[c] = true
	}
	type key struct{ donor, kind string }
	type acc struct {
		undated int
		byDay   map[time.Time]int
	}
	m := map[key]*acc{}
	for _, x := range rec {
		n := inSubtree(succ, o.To, x.AreaCode, x.N, o.Area, set)
		if n == 0 {
			continue
		}
		k := key{x.Donor, x.Kind}
		if m[k] == nil {
			m[k] = &acc{byDay: map[time.Time]int{}}
		}
		if x.On == nil {
			m[k].undated += n
		} else {
			m[k].byDay[*x.On] += n
		}
	}
	keys := make([]key, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].donor != keys[j].donor {
			return keys[i].donor < keys[j].donor
		}
		return keys[i].kind < keys[j].kind
	})
	out := []ResourceRow{}
	for _, k := range keys {
		a := m[k]
		for _, p := range periods {
			row := ResourceRow{Donor: k.donor, Kind: k.kind, Period: p.Label, Undated: a.undated, ReceivedToDate: a.undated}
			for d, n := range a.byDay {
				if in(d, p.from, p.to) {
					row.Received += n
				}
				if !d.After(p.to) {
					row.ReceivedToDate += n
				}
			}
			out = append(out, row)
		}
	}
	return out
}

// Tables returns the report's tables for CSV and XLSX.
func (r *ProgressReport) Tables() []Table {
	areas := Table{Sheet: "Tiến độ", Title: "Tiến độ theo địa bàn / Progress by area", Columns: []Column{
		{"area_code", "Mã địa bàn"}, {"area_name", "Tên địa bàn"}, {"level", "Cấp"}, {"period", "Kỳ"},
		{"need_tier1", "Nhu cầu - hộ nghèo"}, {"need_tier2", "Nhu cầu - hộ cận nghèo"}, {"need_tier3", "Nhu cầu - khó khăn do COVID-19"}, {"need", "Tổng nhu cầu"},
		{"devices_allocated", "Thiết bị phân bổ trong kỳ"}, {"devices_allocated_to_date", "Thiết bị phân bổ lũy kế"},
		{"sims_allocated", "SIM phân bổ trong kỳ"}, {"sims_allocated_to_date", "SIM phân bổ lũy kế"},
		{"devices_handed_over", "Thiết bị bàn giao trong kỳ"}, {"devices_handed_over_to_date", "Thiết bị bàn giao lũy kế"},
		{"sims_handed_over", "SIM bàn giao trong kỳ"}, {"sims_handed_over_to_date", "SIM bàn giao lũy kế"},
		{"devices_returned", "Thiết bị trả lại trong kỳ"}, {"devices_returned_to_date", "Thiết bị đã trả lại lũy kế"},
		{"devices_restocked", "Thiết bị nhập lại kho trong kỳ"}, {"devices_restocked_to_date", "Thiết bị nhập lại kho lũy kế"},
		{"sim_renewals", "Gia hạn SIM trong kỳ"}, {"sim_renewals_to_date", "Gia hạn SIM lũy kế"}, {"sims_3g_allocated_to_date", "SIM 3G phân bổ lũy kế"},
		{"unmet", "Chưa đáp ứng"},
		{"students_tier12", "Tổng HS diện 1–2"}, {"equipped_tier12", "HS diện 1–2 có thiết bị"}, {"pct_tier12_equipped", "Tỷ lệ % diện 1–2 có thiết bị"},
	}}
	plan := r.Source.PreviewRun != nil
	if plan {
		areas.Columns = append(areas.Columns, []Column{{"devices_planned", "Thiết bị dự kiến phân bổ"}, {"sims_planned", "SIM dự kiến phân bổ"},
			{"sims_3g_planned", "Trong đó SIM 3G"}, {"unmet_after_plan", "Chưa đáp ứng sau kế hoạch"},
			{"equipped_tier12_after_plan", "HS diện 1–2 có thiết bị sau kế hoạch"}, {"pct_tier12_after_plan", "Tỷ lệ % diện 1–2 sau kế hoạch"}}...)
	}
	for _, a := range r.Areas {
		row := []any{a.AreaCode, a.AreaName, a.Level, a.Period, a.NeedTier1, a.NeedTier2, a.NeedTier3, a.Need,
			a.DevicesAllocated, a.DevicesAllocatedToDate, a.SimsAllocated, a.SimsAllocatedToDate,
			a.DevicesHandedOver, a.DevicesHandedOverToDate, a.SimsHandedOver, a.SimsHandedOverToDate,
			a.DevicesReturned, a.DevicesReturnedToDate, a.DevicesRestocked, a.DevicesRestockedToDate,
			a.SimRenewals, a.SimRenewalsToDate, a.Sims3GAllocatedToDate,
			a.Unmet, a.StudentsTier12, a.EquippedTier12, a.PctTier12}
		if plan {
			row = append(row, intOrNil(a.DevicesPlanned), intOrNil(a.SimsPlanned), intOrNil(a.Sims3GPlanned),
				intOrNil(a.UnmetAfterPlan), intOrNil(a.EquippedTier12AfterPlan), floatOrNil(a.PctTier12AfterPlan))
		}
		areas.Rows = append(areas.Rows, row)
	}
	res := Table{Sheet: "Nguồn lực tiếp nhận", Title: "Nguồn lực tiếp nhận theo nhà tài trợ và loại / Resources received by donor and kind", Columns: []Column{
		{"donor", "Nhà tài trợ"}, {"kind", "Loại"}, {"period", "Kỳ"}, {"received", "Tiếp nhận trong kỳ"}, {"received_to_date", "Tiếp nhận lũy kế"},
		{"undated", "Chưa ghi ngày tiếp nhận"},
	}}
	for _, x := range r.Resources {
		res.Rows = append(res.Rows, []any{donorName(x.Donor), kindName(x.Kind), x.Period, x.Received, x.ReceivedToDate, x.Undated})
	}
	sales := Table{Sheet: "Thanh lý", Title: "Thanh lý thiết bị toàn tỉnh / Devices sold (liquidations) in the whole province", Columns: []Column{
		{"period", "Kỳ"}, {"devices_sold", "Thiết bị bán trong kỳ"}, {"devices_sold_to_date", "Thiết bị bán lũy kế"},
		{"amount_vnd", "Tiền thu được trong kỳ (đồng)"}, {"amount_vnd_to_date", "Tiền thu được lũy kế (đồng)"},
	}}
	for _, x := range r.Sales {
		sales.Rows = append(sales.Rows, []any{x.Period, x.DevicesSold, x.DevicesSoldToDate, x.AmountVND, x.AmountVNDToDate})
	}
	return []Table{areas, res, sales}
}

// intOrNil and floatOrNil are a planned figure's cell (empty when nil).
func intOrNil(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func floatOrNil(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func donorName(d string) string {
	if d == "" {
		return "(không rõ / unknown)"
	}
	return d
}

// kindName is a resource kind in Vietnamese, then its key.
func kindName(k string) string {
	switch k {
	case data.DevicePhone:
		return "Điện thoại thông minh (phone)"
	case data.DeviceTablet:
		return "Máy tính bảng (tablet)"
	case data.DeviceLaptop:
		return "Máy tính xách tay (laptop)"
	case data.DeviceDesktop:
		return "Máy tính để bàn (desktop)"
	case "sim":
		return "SIM data (sim)"
	}
	return k
}
