package reports

import (
	"context"
	"sort"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
)

// DonorTotal is what one donor gave of one kind and what became of it.
type DonorTotal struct {
	Donor      string `json:"donor"`
	Kind       string `json:"kind"`
	Received   int    `json:"received"`
	Allocated  int    `json:"allocated"`
	HandedOver int    `json:"handed_over"`
	// InStock: received and not allocated (received − allocated, never
	// below 0).
	InStock int `json:"in_stock"`
}

// DonorSchoolRow is what one donor's resources of one kind became in one
// school (counts only).
type DonorSchoolRow struct {
	Donor      string `json:"donor"`
	Kind       string `json:"kind"`
	AreaCode   string `json:"area_code"`
	AreaName   string `json:"area_name"`
	SchoolID   string `json:"school_id"`
	SchoolName string `json:"school_name"`
	Allocated  int    `json:"allocated"`
	HandedOver int    `json:"handed_over"`
}

// DonorReport is the donor trail: publishable (schools and counts).
type DonorReport struct {
	Source  Source           `json:"source"`
	Totals  []DonorTotal     `json:"totals"`
	Schools []DonorSchoolRow `json:"schools"`
}

// Meta returns the report's source.
func (r *DonorReport) Meta() Source { return r.Source }

// Donors makes the donor trail as of o.To.
func (s *Service) Donors(ctx context.Context, o Options) (Report, error) {
	if o.To.IsZero() {
		return nil, bad("to", "", "the donor trail needs --to, its as-of day (YYYY-MM-DD)")
	}
	f, err := s.Store.DonorFacts(ctx, o.To)
	if err != nil {
		return nil, err
	}
	return buildDonors(f, o, s.Version)
}

// mainUnit is the unit valid on d that receives the largest share of code
// (ties to the smaller code): where a school's figures go.
func mainUnit(succ *data.Successors, code string, d time.Time) string {
	best, bf := code, -1.0
	for _, sh := range succ.Resolve(code, d) {
		if sh.Fraction > bf+1e-9 {
			best, bf = sh.Code, sh.Fraction
		}
	}
	return best
}

func buildDonors(f postgis.DonorFacts, o Options, version string) (*DonorReport, error) {
	succ, err := successors(f.Successors)
	if err != nil {
		return nil, err
	}
	t := newTree(f.Areas, o.To)
	order, _, err := t.order(o.Area)
	if err != nil {
		return nil, err
	}
	set := make(map[string]bool, len(order))
	for _, c := range order {
		set[c] = true
	}
	r := &DonorReport{Totals: []DonorTotal{}, Schools: []DonorSchoolRow{}}
	type key struct{ donor, kind string }
	tot := map[key]*DonorTotal{}
	total := func(k key) *DonorTotal {
		if tot[k] == nil {
			tot[k] = &DonorTotal{Donor: k.donor, Kind: k.kind}
		}
		return tot[k]
	}
	type skey struct{ donor, kind, area, school string }
	schools := map[skey]*DonorSchoolRow{}
	for _, x := range f.Trail {
		area := mainUnit(succ, x.AreaCode, o.To)
		if o.Area != "" && !set[area] {
			continue
		}
		k := skey{x.Donor, x.Kind, area, x.SchoolID}
		row := schools[k]
		if row == nil {
			row = &DonorSchoolRow{Donor: x.Donor, Kind: x.Kind, AreaCode: area, AreaName: t.areas[area].Name, SchoolID: x.SchoolID, SchoolName: x.SchoolName}
			schools[k] = row
		}
		row.Allocated += x.Allocated
		row.HandedOver += x.HandedOver
		tt := total(key{x.Donor, x.Kind})
		tt.Allocated += x.Allocated
		tt.HandedOver += x.HandedOver
	}
	for _, x := range f.Received {
		if n := inSubtree(succ, o.To, x.AreaCode, x.N, o.Area, set); n > 0 {
			total(key{x.Donor, x.Kind}).Received += n
		}
	}
	for _, v := range tot {
		v.InStock = max(0, v.Received-v.Allocated)
		r.Totals = append(r.Totals, *v)
	}
	sort.Slice(r.Totals, func(i, j int) bool {
		a, b := r.Totals[i], r.Totals[j]
		if a.Donor != b.Donor {
			return a.Donor < b.Donor
		}
		return a.Kind < b.Kind
	})
	for _, v := range schools {
		r.Schools = append(r.Schools, *v)
	}
	sort.Slice(r.Schools, func(i, j int) bool {
		a, b := r.Schools[i], r.Schools[j]
		switch {
		case a.Donor != b.Donor:
			return a.Donor < b.Donor
		case a.Kind != b.Kind:
			return a.Kind < b.Kind
		case a.AreaCode != b.AreaCode:
			return a.AreaCode < b.AreaCode
		}
		return a.SchoolID < b.SchoolID
	})
	r.Source = Source{Report: KindDonors, Title: "Nguồn lực của nhà tài trợ đã đến đâu / The donor trail",
		AsOf: day(o.To), To: day(o.To), Area: o.Area, Runs: runsOrEmpty(f.Runs), Version: version,
		Notes: []string{
			"Chỉ có số lượng theo địa bàn và trường, không có thông tin cá nhân; được phép công bố / Counts by area and school only, no personal data: publishable",
			"Đã phân bổ: theo các lượt phân bổ đã chốt đến ngày báo cáo; đã bàn giao: đến ngày báo cáo / Allocated by committed runs up to the as-of day; handed over by that day",
			"Còn trong kho = đã tiếp nhận − đã phân bổ / In stock = received − allocated",
			"Trường thuộc mã địa bàn cũ được tính vào đơn vị hiện hành nhận phần lớn nhất / A school under an old area code counts in the unit valid today that received the largest share",
		}}
	return r, nil
}

// Tables returns the report's tables for CSV and XLSX.
func (r *DonorReport) Tables() []Table {
	tot := Table{Sheet: "Theo nhà tài trợ", Title: "Tổng hợp theo nhà tài trợ / Totals by donor", Columns: []Column{
		{"donor", "Nhà tài trợ"}, {"kind", "Loại"}, {"received", "Đã tiếp nhận"}, {"allocated", "Đã phân bổ"},
		{"handed_over", "Đã bàn giao"}, {"in_stock", "Còn trong kho"},
	}}
	for _, x := range r.Totals {
		tot.Rows = append(tot.Rows, []any{donorName(x.Donor), kindName(x.Kind), x.Received, x.Allocated, x.HandedOver, x.InStock})
	}
	sch := Table{Sheet: "Theo trường", Title: "Theo địa bàn và trường / By area and school", Columns: []Column{
		{"donor", "Nhà tài trợ"}, {"kind", "Loại"}, {"area_code", "Mã địa bàn"}, {"area_name", "Tên địa bàn"},
		{"school_id", "Mã trường"}, {"school_name", "Tên trường"}, {"allocated", "Đã phân bổ"}, {"handed_over", "Đã bàn giao"},
	}}
	for _, x := range r.Schools {
		sch.Rows = append(sch.Rows, []any{donorName(x.Donor), kindName(x.Kind), x.AreaCode, x.AreaName, x.SchoolID, x.SchoolName, x.Allocated, x.HandedOver})
	}
	return []Table{tot, sch}
}
