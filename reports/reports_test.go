package reports_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
	"github.com/gapmap/gapmap/reports"
	"github.com/xuri/excelize/v2"
)

func d(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// fixture is a hand-checked small province: P with communes C1 and C2;
// the commune OLD was abolished on 2025-07-01 and continues as C2 (its
// school S2 and homes are still recorded under OLD). Six students, two
// donors (and SIMs of no known donor), two allocation runs, handovers in
// September and October 2026 (one device returned), and two coverage runs.
func fixture(ctx context.Context, t *testing.T) (*postgis.Store, int64, int64) {
	t.Helper()
	st := pgtest.New(t)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := st.Pool().Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	pt := `ST_SetSRID(ST_MakePoint(106.05, 21.25), 4326)`
	exec(`INSERT INTO areas (code, name, level, parent_code, valid_from, valid_to) VALUES
		('P', 'Tỉnh Thử', 'province', NULL, NULL, NULL),
		('C1', 'Xã Một', 'commune', 'P', NULL, NULL),
		('C2', 'Xã Hai', 'commune', 'P', '2025-07-01', NULL),
		('OLD', 'Xã Cũ', 'commune', 'P', NULL, '2025-07-01')`)
	exec(`INSERT INTO area_successors (old_code, new_code, effective, share) VALUES ('OLD', 'C2', '2025-07-01', 1)`)
	exec(`INSERT INTO schools (school_id, name, level, area_code, h3, geom) VALUES
		('S1', 'Tiểu học Một', 'primary', 'C1', 0, ` + pt + `),
		('S2', 'THCS Cũ', 'lower', 'OLD', 0, ` + pt + `),
		('S3', 'THCS Hai', 'lower', 'C2', 0, ` + pt + `)`)
	exec(`INSERT INTO households (household_id, area_code, poverty, h3, geom) VALUES
		('H1', 'C1', 'poor', 0, ` + pt + `), ('H2', 'C1', 'near_poor', 0, ` + pt + `), ('H3', 'C1', 'poor', 0, ` + pt + `),
		('H4', 'OLD', 'poor', 0, ` + pt + `), ('H5', 'OLD', 'none', 0, ` + pt + `), ('H6', 'C2', 'near_poor', 0, ` + pt + `)`)
	exec(`INSERT INTO students (student_id, household_id, school_id, grade, priority, has_device, covid_orphan) VALUES
		('A1', 'H1', 'S1', 3, 1, false, false), ('A2', 'H2', 'S1', 4, 2, false, false), ('A3', 'H3', 'S1', 5, 1, true, false),
		('B1', 'H4', 'S2', 7, 1, false, false), ('B2', 'H5', 'S2', 8, 3, false, true), ('E1', 'H6', 'S3', 6, 2, false, false),
		('Z1', 'H5', 'S2', 8, 0, false, false)`)
	exec(`INSERT INTO donors (donor_id, name) VALUES ('quy-a', 'Quỹ A'), ('dn-b', 'Doanh nghiệp B')`)
	exec(`INSERT INTO devices (device_id, donor_id, type, received_on, area_code) VALUES
		('D1', 'quy-a', 'tablet', '2026-09-03', NULL), ('D2', 'quy-a', 'laptop', '2026-10-10', 'C1'),
		('D3', 'dn-b', 'phone', '2026-09-20', 'OLD'), ('D4', 'dn-b', 'phone', NULL, NULL)`)
	exec(`INSERT INTO sim_packages (package_id, operator, gb_per_day, months, quantity, donor_id, received_on) VALUES
		('P1', 'viettel', 4, 3, 10, 'dn-b', '2026-09-01'), ('P2', 'mobifone', 2, 3, 5, NULL, NULL)`)
	// Run 1 on 10 September (Vietnam time); run 2 at 20:00 UTC on 30
	// September, which is 1 October in Vietnam; a preview counts nowhere.
	var r1, r2 int64
	if err := st.Pool().QueryRow(ctx, `INSERT INTO allocation_runs (actor, policy, status, created_at)
		VALUES ('cô Lan', 'need-first', 'committed', '2026-09-10 10:00+07') RETURNING id`).Scan(&r1); err != nil {
		t.Fatal(err)
	}
	if err := st.Pool().QueryRow(ctx, `INSERT INTO allocation_runs (actor, policy, status, created_at)
		VALUES ('cô Lan', 'need-first', 'committed', '2026-09-30 20:00+00') RETURNING id`).Scan(&r2); err != nil {
		t.Fatal(err)
	}
	exec(`INSERT INTO allocation_runs (actor, policy, status, created_at) VALUES ('cô Lan', 'need-first', 'preview', '2026-09-12 10:00+07')`)
	exec(`INSERT INTO allocations (run_id, student_id, benefit, device_id, device_type, sim_package_id, sim_operator, sim_network, school_id, area_code, priority, connectivity, created_at) VALUES
		($1, 'A1', 'device', 'D1', 'tablet', NULL, '', '', 'S1', 'C1', 1, '4g', '2026-09-10 10:00+07'),
		($1, 'A1', 'sim', NULL, '', 'P1', 'viettel', '4G', 'S1', 'C1', 1, '4g', '2026-09-10 10:00+07'),
		($1, 'B1', 'device', 'D3', 'phone', NULL, '', '', 'S2', 'OLD', 1, '4g', '2026-09-10 10:00+07'),
		($2, 'A2', 'device', 'D2', 'laptop', NULL, '', '', 'S1', 'C1', 2, 'fiber', '2026-09-30 20:00+00'),
		($2, 'B2', 'sim', NULL, '', 'P2', 'mobifone', '3G', 'S2', 'OLD', 3, '3g', '2026-09-30 20:00+00')`, r1, r2)
	exec(`INSERT INTO handovers (student_id, run_id, school_id, device_id, sim_package_id, handed_over_on, returned_on, status) VALUES
		('A1', $1, 'S1', 'D1', 'P1', '2026-09-15', NULL, 'handed_over'),
		('B1', $1, 'S2', 'D3', NULL, '2026-10-05', '2026-10-20', 'returned'),
		('A2', $2, 'S1', 'D2', NULL, NULL, NULL, 'pending')`, r1, r2)
	// SIM service: A1's SIM issued with the device (counted once), B2's
	// SIM handed over on its own on 12 October (no device: it counts as
	// handed over from its issue period), A1 renewed on 25 October.
	exec(`INSERT INTO sim_periods (student_id, kind, package_id, operator, network, months, run_id, recorded_on, activated_on, starts_on, ends_on) VALUES
		('A1', 'issue', 'P1', 'viettel', '4G', 3, $1, '2026-09-15', '2026-09-15', '2026-09-15', '2026-12-15'),
		('B2', 'issue', 'P2', 'mobifone', '3G', 3, $2, '2026-10-12', '2026-10-12', '2026-10-12', '2027-01-12')`, r1, r2)
	exec(`INSERT INTO sim_periods (student_id, kind, package_id, operator, network, months, recorded_on, activated_on, starts_on, ends_on) VALUES
		('A1', 'renewal', 'P1', 'viettel', '4G', 3, '2026-10-25', '2026-10-25', '2026-12-15', '2027-03-15')`)
	// B1's returned device is inspected ok on 25 October (back in stock);
	// D4 (never allocated) is sold on 28 October for 1,500,000 đồng.
	exec(`INSERT INTO device_inspections (device_id, allocation_id, inspected_on, inspector, result)
		SELECT 'D3', id, '2026-10-25', 'thầy Nam', 'ok' FROM allocations WHERE student_id = 'B1' AND benefit = 'device'`)
	var sale int64
	if err := st.Pool().QueryRow(ctx, `INSERT INTO liquidations (sold_on, buyer, amount_vnd, actor) VALUES ('2026-10-28', 'Cửa hàng X', 1500000, 'cô Lan') RETURNING id`).Scan(&sale); err != nil {
		t.Fatal(err)
	}
	exec(`INSERT INTO liquidation_devices (device_id, liquidation_id, device_type) VALUES ('D4', $1, 'phone')`, sale)

	// Coverage: the baseline in June (OLD's homes under OLD), the run in
	// November (under C2); H5 has gone, H6 is new.
	var base, run int64
	if err := st.Pool().QueryRow(ctx, `INSERT INTO coverage_runs (parameters, operators, created_at)
		VALUES ('{}', '{viettel,mobifone}', '2026-06-01 08:00+00') RETURNING id`).Scan(&base); err != nil {
		t.Fatal(err)
	}
	if err := st.Pool().QueryRow(ctx, `INSERT INTO coverage_runs (parameters, operators, created_at)
		VALUES ('{}', '{viettel,mobifone}', '2026-11-15 08:00+00') RETURNING id`).Scan(&run); err != nil {
		t.Fatal(err)
	}
	for _, e := range []struct {
		run            int64
		id, area, conn string
		g4, g3, g2     []string
	}{
		{base, "H1", "C1", "4g", []string{"viettel"}, nil, nil},
		{base, "H2", "C1", "none", nil, nil, nil},
		{base, "H3", "OLD", "3g", nil, []string{"mobifone"}, nil},
		{base, "H4", "OLD", "none", nil, nil, nil},
		{base, "H5", "OLD", "2g", nil, nil, []string{"viettel"}},
		{run, "H1", "C1", "none", nil, nil, nil},
		{run, "H2", "C1", "4g", []string{"mobifone"}, nil, nil},
		{run, "H3", "C2", "3g", nil, []string{"mobifone"}, nil},
		{run, "H4", "C2", "4g", []string{"viettel"}, nil, nil},
		{run, "H6", "C2", "none", nil, nil, nil},
	} {
		z := func(s []string) []string {
			if s == nil {
				return []string{}
			}
			return s
		}
		exec(`INSERT INTO coverage_entities (run_id, entity_type, entity_id, area_code, h3, connectivity, operators_4g, operators_3g, operators_2g, geom)
			VALUES ($1, 'household', $2, $3, 0, $4, $5, $6, $7, `+pt+`)`, e.run, e.id, e.area, e.conn, z(e.g4), z(e.g3), z(e.g2))
	}
	// A school of the run is not a home: not counted.
	exec(`INSERT INTO coverage_entities (run_id, entity_type, entity_id, area_code, h3, connectivity, geom)
		VALUES ($1, 'school', 'S1', 'C1', 0, 'none', `+pt+`)`, run)
	return st, base, run
}

func progressInts(r reports.ProgressRow) []int {
	return []int{r.NeedTier1, r.NeedTier2, r.NeedTier3, r.Need, r.DevicesAllocated, r.DevicesAllocatedToDate, r.SimsAllocated, r.SimsAllocatedToDate,
		r.DevicesHandedOver, r.DevicesHandedOverToDate, r.SimsHandedOver, r.SimsHandedOverToDate, r.DevicesReturnedToDate, r.Unmet,
		r.StudentsTier12, r.EquippedTier12,
		r.DevicesReturned, r.DevicesRestocked, r.DevicesRestockedToDate, r.SimRenewals, r.SimRenewalsToDate, r.Sims3GAllocatedToDate}
}

func TestProgress(t *testing.T) {
	ctx := context.Background()
	st, _, _ := fixture(ctx, t)
	svc := &reports.Service{Store: st, Version: "test"}
	rep, err := svc.Make(ctx, reports.KindProgress, reports.Options{From: d("2026-09-01"), To: d("2026-10-31"), Period: reports.PeriodMonth})
	if err != nil {
		t.Fatal(err)
	}
	r := rep.(*reports.ProgressReport)
	type want struct {
		code, name, level, period string
		ints                      []int
		pct                       float64
	}
	// t1 t2 t3 need  da dac  sa sac  dh dhc  sh shc retc unmet st12 eq12 |
	// ret restock restock-to-date renewals renewals-to-date 3G-to-date
	p9 := []int{2, 2, 1, 5, 2, 2, 1, 1, 1, 1, 1, 1, 0, 3, 5, 2, 0, 0, 0, 0, 0, 0}
	// October: B2's SIM handed over without a device; B1's device
	// returned and back in stock; A1's renewal; B2's SIM on 3G.
	p10 := []int{2, 2, 1, 5, 1, 3, 1, 2, 1, 2, 1, 2, 1, 2, 5, 2, 1, 1, 1, 1, 1, 1}
	wants := []want{
		{"", "Tổng cộng / Total", "", "2026-09", p9, 40},
		{"", "Tổng cộng / Total", "", "2026-10", p10, 40},
		{"P", "Tỉnh Thử", "province", "2026-09", p9, 40},
		{"P", "Tỉnh Thử", "province", "2026-10", p10, 40},
		// A2's device (20:00 UTC on 30 September) is October's in Vietnam.
		{"C1", "Xã Một", "commune", "2026-09", []int{1, 1, 0, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 3, 2, 0, 0, 0, 0, 0, 0}, 66.7},
		{"C1", "Xã Một", "commune", "2026-10", []int{1, 1, 0, 2, 1, 2, 0, 1, 0, 1, 0, 1, 0, 0, 3, 2, 0, 0, 0, 1, 1, 0}, 66.7},
		// OLD's school and allocations land on C2; B1's device came back.
		{"C2", "Xã Hai", "commune", "2026-09", []int{1, 1, 1, 3, 1, 1, 0, 0, 0, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0}, 0},
		{"C2", "Xã Hai", "commune", "2026-10", []int{1, 1, 1, 3, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 0, 1, 1, 1, 0, 0, 1}, 0},
	}
	if len(r.Areas) != len(wants) {
		t.Fatalf("%d rows: %+v", len(r.Areas), r.Areas)
	}
	for i, w := range wants {
		g := r.Areas[i]
		if g.AreaCode != w.code || g.AreaName != w.name || g.Level != w.level || g.Period != w.period ||
			!reflect.DeepEqual(progressInts(g), w.ints) || g.PctTier12 != w.pct {
			t.Errorf("row %d: got %s %s %s %s %v %v, want %+v", i, g.AreaCode, g.AreaName, g.Level, g.Period, progressInts(g), g.PctTier12, w)
		}
	}
	wantRes := []reports.ResourceRow{
		{Donor: "", Kind: "sim", Period: "2026-09", Received: 0, ReceivedToDate: 5, Undated: 5},
		{Donor: "", Kind: "sim", Period: "2026-10", Received: 0, ReceivedToDate: 5, Undated: 5},
		{Donor: "Doanh nghiệp B", Kind: "phone", Period: "2026-09", Received: 1, ReceivedToDate: 2, Undated: 1},
		{Donor: "Doanh nghiệp B", Kind: "phone", Period: "2026-10", Received: 0, ReceivedToDate: 2, Undated: 1},
		{Donor: "Doanh nghiệp B", Kind: "sim", Period: "2026-09", Received: 10, ReceivedToDate: 10},
		{Donor: "Doanh nghiệp B", Kind: "sim", Period: "2026-10", Received: 0, ReceivedToDate: 10},
		{Donor: "Quỹ A", Kind: "laptop", Period: "2026-09", Received: 0, ReceivedToDate: 0},
		{Donor: "Quỹ A", Kind: "laptop", Period: "2026-10", Received: 1, ReceivedToDate: 1},
		{Donor: "Quỹ A", Kind: "tablet", Period: "2026-09", Received: 1, ReceivedToDate: 1},
		{Donor: "Quỹ A", Kind: "tablet", Period: "2026-10", Received: 0, ReceivedToDate: 1},
	}
	if !reflect.DeepEqual(r.Resources, wantRes) {
		t.Errorf("resources\n got %+v\nwant %+v", r.Resources, wantRes)
	}
	wantSales := []reports.SaleRow{{Period: "2026-09"}, {Period: "2026-10", DevicesSold: 1, DevicesSoldToDate: 1, AmountVND: 1500000, AmountVNDToDate: 1500000}}
	if !reflect.DeepEqual(r.Sales, wantSales) {
		t.Errorf("sales %+v", r.Sales)
	}
	for _, a := range r.Areas {
		if a.DevicesPlanned != nil || a.SimsPlanned != nil || a.Sims3GPlanned != nil || a.UnmetAfterPlan != nil || a.EquippedTier12AfterPlan != nil || a.PctTier12AfterPlan != nil {
			t.Errorf("no preview, yet planned figures on %s %s", a.AreaCode, a.Period)
		}
	}
	src := r.Source
	if src.Report != "progress" || src.From != "2026-09-01" || src.To != "2026-10-31" || src.AsOf != "2026-10-31" || src.Period != "month" ||
		src.Area != "" || src.Version != "test" || len(src.Runs) != 2 || src.Runs[0].Kind != "allocation" || src.PreviewRun != nil || len(src.Notes) != 8 ||
		!src.Runs[0].Created.Equal(time.Date(2026, 9, 10, 3, 0, 0, 0, time.UTC)) || !src.Runs[1].Created.Equal(time.Date(2026, 9, 30, 20, 0, 0, 0, time.UTC)) {
		t.Errorf("source %+v", src)
	}
	if len(r.Periods) != 2 || r.Periods[0].Label != "2026-09" || r.Periods[0].From != "2026-09-01" || r.Periods[0].To != "2026-09-30" ||
		r.Periods[1].Label != "2026-10" || r.Periods[1].From != "2026-10-01" || r.Periods[1].To != "2026-10-31" {
		t.Errorf("periods %+v", r.Periods)
	}
}

// One commune's subtree, one quarter: the resources held there only; no
// total row. Before run 2 the September run alone counts.
func TestProgressAreaQuarter(t *testing.T) {
	ctx := context.Background()
	st, _, _ := fixture(ctx, t)
	svc := &reports.Service{Store: st, Version: "test"}
	rep, err := svc.Progress(ctx, reports.Options{From: d("2026-08-15"), To: d("2026-09-30"), Period: reports.PeriodQuarter, Area: "C2"})
	if err != nil {
		t.Fatal(err)
	}
	r := rep.(*reports.ProgressReport)
	if len(r.Areas) != 1 || r.Areas[0].AreaCode != "C2" || r.Areas[0].Period != "2026-Q3" ||
		!reflect.DeepEqual(progressInts(r.Areas[0]), []int{1, 1, 1, 3, 1, 1, 0, 0, 0, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0}) {
		t.Fatalf("rows %+v", r.Areas)
	}
	if r.Periods[0].From != "2026-08-15" || r.Periods[0].To != "2026-09-30" {
		t.Errorf("period %+v", r.Periods[0])
	}
	want := []reports.ResourceRow{{Donor: "Doanh nghiệp B", Kind: "phone", Period: "2026-Q3", Received: 1, ReceivedToDate: 1}}
	if !reflect.DeepEqual(r.Resources, want) {
		t.Errorf("resources %+v", r.Resources)
	}
	if len(r.Source.Runs) != 1 || r.Source.Area != "C2" {
		t.Errorf("source %+v", r.Source)
	}
	if !reflect.DeepEqual(r.Sales, []reports.SaleRow{{Period: "2026-Q3"}}) {
		t.Errorf("sales %+v", r.Sales)
	}
	// An abolished or unknown area is not found; bad options are
	// validation errors.
	if _, err := svc.Progress(ctx, reports.Options{From: d("2026-09-01"), To: d("2026-09-30"), Area: "OLD"}); !isNotFound(err) {
		t.Errorf("OLD: %v", err)
	}
	if _, err := svc.Progress(ctx, reports.Options{From: d("2026-09-30"), To: d("2026-09-01")}); !isValidation(err) {
		t.Errorf("reversed: %v", err)
	}
	if _, err := svc.Progress(ctx, reports.Options{From: d("2026-09-01"), To: d("2026-09-30"), Period: "week"}); !isValidation(err) {
		t.Errorf("week: %v", err)
	}
	// At most 120 periods: ten years by month pass, eleven do not.
	if ps, err := reports.Periods(d("2016-01-01"), d("2025-12-31"), reports.PeriodMonth); err != nil || len(ps) != 120 || ps[119].Label != "2025-12" {
		t.Errorf("ten years: %d periods, %v", len(ps), err)
	}
	if _, err := svc.Progress(ctx, reports.Options{From: d("2015-01-01"), To: d("2025-12-31"), Period: reports.PeriodMonth}); !isValidation(err) {
		t.Errorf("eleven years by month: %v", err)
	}
}

func isNotFound(err error) bool {
	var nf *data.NotFoundError
	return err != nil && errors.As(err, &nf)
}

func isValidation(err error) bool {
	var ve *data.ValidationError
	return err != nil && errors.As(err, &ve)
}

func TestDonorTrail(t *testing.T) {
	ctx := context.Background()
	st, _, _ := fixture(ctx, t)
	svc := &reports.Service{Store: st, Version: "test"}
	rep, err := svc.Donors(ctx, reports.Options{To: d("2026-10-31")})
	if err != nil {
		t.Fatal(err)
	}
	r := rep.(*reports.DonorReport)
	wantTot := []reports.DonorTotal{
		{Donor: "", Kind: "sim", Received: 5, Allocated: 1, HandedOver: 0, InStock: 4},
		{Donor: "Doanh nghiệp B", Kind: "phone", Received: 2, Allocated: 1, HandedOver: 1, InStock: 1},
		{Donor: "Doanh nghiệp B", Kind: "sim", Received: 10, Allocated: 1, HandedOver: 1, InStock: 9},
		{Donor: "Quỹ A", Kind: "laptop", Received: 1, Allocated: 1, HandedOver: 0, InStock: 0},
		{Donor: "Quỹ A", Kind: "tablet", Received: 1, Allocated: 1, HandedOver: 1, InStock: 0},
	}
	if !reflect.DeepEqual(r.Totals, wantTot) {
		t.Errorf("totals\n got %+v\nwant %+v", r.Totals, wantTot)
	}
	wantSch := []reports.DonorSchoolRow{
		{Donor: "", Kind: "sim", AreaCode: "C2", AreaName: "Xã Hai", SchoolID: "S2", SchoolName: "THCS Cũ", Allocated: 1, HandedOver: 0},
		{Donor: "Doanh nghiệp B", Kind: "phone", AreaCode: "C2", AreaName: "Xã Hai", SchoolID: "S2", SchoolName: "THCS Cũ", Allocated: 1, HandedOver: 1},
		{Donor: "Doanh nghiệp B", Kind: "sim", AreaCode: "C1", AreaName: "Xã Một", SchoolID: "S1", SchoolName: "Tiểu học Một", Allocated: 1, HandedOver: 1},
		{Donor: "Quỹ A", Kind: "laptop", AreaCode: "C1", AreaName: "Xã Một", SchoolID: "S1", SchoolName: "Tiểu học Một", Allocated: 1, HandedOver: 0},
		{Donor: "Quỹ A", Kind: "tablet", AreaCode: "C1", AreaName: "Xã Một", SchoolID: "S1", SchoolName: "Tiểu học Một", Allocated: 1, HandedOver: 1},
	}
	if !reflect.DeepEqual(r.Schools, wantSch) {
		t.Errorf("schools\n got %+v\nwant %+v", r.Schools, wantSch)
	}
	// Publishable: no student, household or device id anywhere.
	var b bytes.Buffer
	if err := reports.WriteJSON(&b, rep); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"A1", "A2", "B1", "B2", "H1", "H4", "D1", "D3", "P1", "P2"} {
		if strings.Contains(b.String(), `"`+id+`"`) {
			t.Errorf("the donor trail names %s", id)
		}
	}
}

func TestMonthlyHandovers(t *testing.T) {
	ctx := context.Background()
	st, _, _ := fixture(ctx, t)
	svc := &reports.Service{Store: st, Version: "test"}
	rep, err := svc.Handovers(ctx, reports.Options{From: d("2026-09-01"), To: d("2026-11-30"), Level: "commune", MonthlyTarget: 1})
	if err != nil {
		t.Fatal(err)
	}
	r := rep.(*reports.HandoverReport)
	if !reflect.DeepEqual(r.Months, []string{"2026-09", "2026-10", "2026-11"}) {
		t.Errorf("months %v", r.Months)
	}
	wantAreas := []reports.HandoverArea{
		{AreaCode: "C1", AreaName: "Xã Một", Level: "commune", HandedOver: 1, Months: 3, MonthsBelow: 2},
		{AreaCode: "C2", AreaName: "Xã Hai", Level: "commune", HandedOver: 1, Months: 3, MonthsBelow: 2},
	}
	if !reflect.DeepEqual(r.Areas, wantAreas) {
		t.Errorf("areas %+v", r.Areas)
	}
	var got []string
	for _, m := range r.Rows {
		got = append(got, fmt.Sprintf("%s %s %d %v", m.AreaCode, m.Month, m.HandedOver, m.BelowTarget))
	}
	want := []string{"C1 2026-09 1 false", "C1 2026-10 0 true", "C1 2026-11 0 true", "C2 2026-09 0 true", "C2 2026-10 1 false", "C2 2026-11 0 true"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows %v", got)
	}
	var b bytes.Buffer
	if err := reports.WriteCSV(&b, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "\nC1,Xã Một,commune,1,0*,0*,1,2\n") || !strings.Contains(b.String(), "\nC2,Xã Hai,commune,0*,1,0*,1,2\n") {
		t.Errorf("the month × area grid:\n%s", b.String())
	}
	// In XLSX the months below target are numbers on a red background.
	b.Reset()
	if err := reports.WriteXLSX(&b, rep); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows("Theo tháng")
	if err != nil {
		t.Fatal(err)
	}
	at := -1
	for i, r := range rows {
		if len(r) > 0 && r[0] == "C1" {
			at = i + 1
		}
	}
	if at < 0 || !reflect.DeepEqual(rows[at-1], []string{"C1", "Xã Một", "commune", "1", "0", "0", "1", "2"}) {
		t.Fatalf("grid rows %v", rows)
	}
	fill := func(ref string) string {
		id, err := x.GetCellStyle("Theo tháng", ref)
		if err != nil {
			t.Fatal(err)
		}
		st, err := x.GetStyle(id)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Fill.Color) == 0 {
			return ""
		}
		return st.Fill.Color[0]
	}
	if got := fill(fmt.Sprintf("D%d", at)); got != "" {
		t.Errorf("September (on target) is filled %q", got)
	}
	if got := fill(fmt.Sprintf("E%d", at)); got != "F8CBAD" {
		t.Errorf("October (below) is filled %q", got)
	}
	if typ, err := x.GetCellType("Theo tháng", fmt.Sprintf("E%d", at)); err != nil || typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
		t.Errorf("October is text (%v, %v)", typ, err)
	}
}

func TestConnectivity(t *testing.T) {
	ctx := context.Background()
	st, base, run := fixture(ctx, t)
	svc := &reports.Service{Store: st, Version: "test"}
	rep, err := svc.Connectivity(ctx, reports.Options{Run: run, Baseline: base, TargetDate: d("2027-01-14")})
	if err != nil {
		t.Fatal(err)
	}
	r := rep.(*reports.ConnectivityReport)
	if r.DaysToTarget == nil || *r.DaysToTarget != 60 || !reflect.DeepEqual(r.Operators, []string{"any", "viettel", "mobifone"}) {
		t.Fatalf("days %v operators %v", r.DaysToTarget, r.Operators)
	}
	// homes, without, baseline homes, without before, closed, opened, new, gone, needed per 30 days
	type w struct {
		code, op string
		ints     []int
		with, cl float64
	}
	wants := []w{
		{"", "any", []int{5, 2, 5, 3, 2, 1, 1, 1, 1}, 60, 66.7},
		{"", "viettel", []int{5, 4, 5, 4, 1, 1, 1, 1, 2}, 20, 25},
		{"", "mobifone", []int{5, 3, 5, 4, 1, 0, 1, 1, 2}, 40, 25},
		{"P", "any", []int{5, 2, 5, 3, 2, 1, 1, 1, 1}, 60, 66.7},
		{"P", "viettel", []int{5, 4, 5, 4, 1, 1, 1, 1, 2}, 20, 25},
		{"P", "mobifone", []int{5, 3, 5, 4, 1, 0, 1, 1, 2}, 40, 25},
		{"C1", "any", []int{2, 1, 2, 1, 1, 1, 0, 0, 1}, 50, 100},
		{"C1", "viettel", []int{2, 2, 2, 1, 0, 1, 0, 0, 1}, 0, 0},
		{"C1", "mobifone", []int{2, 1, 2, 2, 1, 0, 0, 0, 1}, 50, 50},
		{"C2", "any", []int{3, 1, 3, 2, 1, 0, 1, 1, 1}, 66.7, 50},
		{"C2", "viettel", []int{3, 2, 3, 3, 1, 0, 1, 1, 1}, 33.3, 33.3},
		{"C2", "mobifone", []int{3, 2, 3, 2, 0, 0, 1, 1, 1}, 33.3, 0},
	}
	if len(r.Rows) != len(wants) {
		t.Fatalf("%d rows %+v", len(r.Rows), r.Rows)
	}
	for i, x := range wants {
		g := r.Rows[i]
		ints := []int{g.Homes, g.Without, g.BaselineHomes, g.WithoutBefore, g.Closed, g.Opened, g.New, g.Gone, g.NeededPer30Days}
		if g.AreaCode != x.code || g.Operator != x.op || !reflect.DeepEqual(ints, x.ints) || g.PctWith != x.with || g.PctClosed != x.cl {
			t.Errorf("row %d: got %s %s %v %v %v, want %+v", i, g.AreaCode, g.Operator, ints, g.PctWith, g.PctClosed, x)
		}
	}
	src := r.Source
	if src.AsOf != "2026-11-15" || src.TargetDate != "2027-01-14" || len(src.Runs) != 2 || src.Runs[0].ID != run || src.Runs[1].ID != base ||
		src.Runs[0].Kind != "coverage" {
		t.Errorf("source %+v", src)
	}
	// Baseline -1: the run before; run 0: the newest. The same report.
	again, err := svc.Connectivity(ctx, reports.Options{Baseline: -1, TargetDate: d("2027-01-14")})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, rep) {
		t.Errorf("newest run against the one before differs")
	}
	// Without a baseline: only today's points.
	alone, err := svc.Connectivity(ctx, reports.Options{Run: base})
	if err != nil {
		t.Fatal(err)
	}
	a := alone.(*reports.ConnectivityReport)
	if a.DaysToTarget != nil || a.Rows[0].Homes != 5 || a.Rows[0].Without != 3 || a.Rows[0].Closed != 0 || a.Rows[0].New != 0 || a.Rows[0].WithoutBefore != 0 ||
		len(a.Source.Runs) != 1 || a.Source.AsOf != "2026-06-01" {
		t.Errorf("alone %+v %+v", a.Rows[0], a.Source)
	}
	if _, err := svc.Connectivity(ctx, reports.Options{Run: run + 100}); !isNotFound(err) {
		t.Errorf("missing run: %v", err)
	}
}

// Same inputs, same bytes: CSV and JSON of every report, made twice; the
// XLSX carries the Vietnamese headers and the numbers.
func TestReproducible(t *testing.T) {
	ctx := context.Background()
	st, base, run := fixture(ctx, t)
	svc := &reports.Service{Store: st, Version: "v1.2.3"}
	opts := map[string]reports.Options{
		reports.KindProgress:     {From: d("2026-09-01"), To: d("2026-12-31"), Period: reports.PeriodQuarter},
		reports.KindDonors:       {To: d("2026-10-31")},
		reports.KindHandovers:    {From: d("2026-09-01"), To: d("2026-10-31"), MonthlyTarget: 2},
		reports.KindConnectivity: {Run: run, Baseline: base, TargetDate: d("2026-12-31")},
	}
	for _, kind := range reports.Kinds() {
		for _, f := range []string{reports.FormatCSV, reports.FormatJSON} {
			var out [2]bytes.Buffer
			for i := range out {
				rep, err := svc.Make(ctx, kind, opts[kind])
				if err != nil {
					t.Fatal(err)
				}
				if err := reports.Write(&out[i], rep, f); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(out[0].Bytes(), out[1].Bytes()) || out[0].Len() == 0 {
				t.Errorf("%s %s differs between two makes", kind, f)
			}
			s := out[0].String()
			switch f {
			case reports.FormatCSV:
				if !strings.HasPrefix(s, "\ufeffBáo cáo / Report,") || !strings.Contains(s, "Phiên bản gapmap / gapmap version,v1.2.3\n") {
					t.Errorf("%s CSV header block:\n%s", kind, s)
				}
			case reports.FormatJSON:
				var m struct {
					Source reports.Source `json:"source"`
				}
				if err := json.Unmarshal(out[0].Bytes(), &m); err != nil || m.Source.Report != kind || m.Source.Version != "v1.2.3" || len(m.Source.Runs) == 0 {
					t.Errorf("%s JSON source %+v %v", kind, m.Source, err)
				}
			}
		}
	}
	rep, err := svc.Make(ctx, reports.KindProgress, opts[reports.KindProgress])
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := reports.WriteXLSX(&b, rep); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if got := x.GetSheetList(); !reflect.DeepEqual(got, []string{"Tiến độ", "Nguồn lực tiếp nhận", "Thanh lý"}) {
		t.Fatalf("sheets %v", got)
	}
	rows, err := x.GetRows("Tiến độ")
	if err != nil {
		t.Fatal(err)
	}
	var head, keys, total []string
	for i, r := range rows {
		if len(r) > 0 && r[0] == "Mã địa bàn" {
			head, keys, total = r, rows[i+1], rows[i+2]
			break
		}
	}
	if len(head) != 27 || head[4] != "Nhu cầu - hộ nghèo" || keys[4] != "need_tier1" || total[1] != "Tổng cộng / Total" ||
		total[3] != "2026-Q3" || total[7] != "5" || total[9] != "2" || total[26] != "40" || keys[18] != "devices_restocked" || total[18] != "0" {
		t.Errorf("xlsx header %v\nkeys %v\ntotal %v", head, keys, total)
	}
}

// A preview run's plan: what it would allocate (from its recorded report)
// on the last period's rows, the needs unmet and the tier 1–2 students
// equipped after it; the source names the preview.
func TestProgressPreview(t *testing.T) {
	ctx := context.Background()
	st, _, _ := fixture(ctx, t)
	var prev int64
	if err := st.Pool().QueryRow(ctx, `INSERT INTO allocation_runs (actor, policy, status, created_at)
		VALUES ('cô Lan', 'need-first', 'preview', '2026-10-30 09:00+07') RETURNING id`).Scan(&prev); err != nil {
		t.Fatal(err)
	}
	// E1 (tier 2, C2): a device and a 3G SIM; B2 (tier 3, school under
	// OLD, now C2): a device and a 4G SIM; Z9 (tier 1, C1): a device only.
	report := `{"allocations": [
		{"student_id": "E1", "school_id": "S3", "area_code": "C2", "priority": 2, "device_id": "D8", "device_type": "phone", "sim_package_id": "P1", "sim_network": "3G"},
		{"student_id": "B2", "school_id": "S2", "area_code": "OLD", "priority": 3, "device_id": "D9", "device_type": "phone", "sim_package_id": "P2", "sim_network": "4G"},
		{"student_id": "Z9", "school_id": "S1", "area_code": "C1", "priority": 1, "device_id": "D7", "device_type": "tablet"}]}`
	if _, err := st.Pool().Exec(ctx, `INSERT INTO allocation_run_reports (run_id, run_date, report) VALUES ($1, '2026-10-30', $2::jsonb)`, prev, report); err != nil {
		t.Fatal(err)
	}
	svc := &reports.Service{Store: st, Version: "test"}
	opts := reports.Options{From: d("2026-09-01"), To: d("2026-10-31"), Period: reports.PeriodMonth, PreviewRun: prev}
	rep, err := svc.Make(ctx, reports.KindProgress, opts)
	if err != nil {
		t.Fatal(err)
	}
	r := rep.(*reports.ProgressReport)
	// devices, SIMs, 3G, unmet after, tier 1–2 equipped after; % after.
	type plan struct {
		code, period string
		ints         []int
		pct          float64
	}
	wants := []plan{
		{"", "2026-09", nil, 0},
		// Need 5 − allocated 3 − planned 3 → 0; equipped 2 + A2's device
		// (allocated, pending) + Z9 and E1 (planned) = 5 of 5 (B2 is tier 3).
		{"", "2026-10", []int{3, 2, 1, 0, 5}, 100},
		{"P", "2026-09", nil, 0},
		{"P", "2026-10", []int{3, 2, 1, 0, 5}, 100},
		{"C1", "2026-09", nil, 0},
		// Need 2 − 2 − 1 → 0; 2 + A2 + Z9 = 4, at most the 3 students.
		{"C1", "2026-10", []int{1, 0, 0, 0, 3}, 100},
		{"C2", "2026-09", nil, 0},
		// Need 3 − 1 − 2 → 0; B1 returned (not equipped, served once):
		// E1 alone = 1 of 2.
		{"C2", "2026-10", []int{2, 2, 1, 0, 1}, 50},
	}
	if len(r.Areas) != len(wants) {
		t.Fatalf("%d rows", len(r.Areas))
	}
	for i, w := range wants {
		g := r.Areas[i]
		if g.AreaCode != w.code || g.Period != w.period {
			t.Fatalf("row %d is %s %s, want %s %s", i, g.AreaCode, g.Period, w.code, w.period)
		}
		if w.ints == nil {
			if g.DevicesPlanned != nil || g.SimsPlanned != nil || g.Sims3GPlanned != nil || g.UnmetAfterPlan != nil || g.EquippedTier12AfterPlan != nil || g.PctTier12AfterPlan != nil {
				t.Errorf("row %d (%s %s): planned figures before the last period", i, w.code, w.period)
			}
			continue
		}
		if g.DevicesPlanned == nil || g.SimsPlanned == nil || g.Sims3GPlanned == nil || g.UnmetAfterPlan == nil || g.EquippedTier12AfterPlan == nil || g.PctTier12AfterPlan == nil {
			t.Fatalf("row %d (%s %s): planned figures missing", i, w.code, w.period)
		}
		got := []int{*g.DevicesPlanned, *g.SimsPlanned, *g.Sims3GPlanned, *g.UnmetAfterPlan, *g.EquippedTier12AfterPlan}
		if !reflect.DeepEqual(got, w.ints) || *g.PctTier12AfterPlan != w.pct {
			t.Errorf("row %d (%s %s): got %v %v, want %v %v", i, w.code, w.period, got, *g.PctTier12AfterPlan, w.ints, w.pct)
		}
	}
	// The committed figures are those without the preview.
	plain, err := svc.Make(ctx, reports.KindProgress, reports.Options{From: opts.From, To: opts.To, Period: opts.Period})
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range plain.(*reports.ProgressReport).Areas {
		if !reflect.DeepEqual(progressInts(a), progressInts(r.Areas[i])) || a.PctTier12 != r.Areas[i].PctTier12 {
			t.Errorf("row %d: the preview changed a committed figure", i)
		}
	}
	src := r.Source
	if src.PreviewRun == nil || src.PreviewRun.ID != prev || src.PreviewRun.Kind != "allocation_preview" ||
		!src.PreviewRun.Created.Equal(time.Date(2026, 10, 30, 2, 0, 0, 0, time.UTC)) || len(src.Runs) != 2 || len(src.Notes) != 9 ||
		!strings.Contains(src.Notes[8], fmt.Sprintf("preview run #%d would make", prev)) {
		t.Errorf("source %+v", src)
	}
	var b bytes.Buffer
	if err := reports.WriteCSV(&b, rep); err != nil {
		t.Fatal(err)
	}
	csv := b.String()
	for _, want := range []string{
		fmt.Sprintf("Kế hoạch theo lượt xem trước / Plan of preview run,allocation_preview #%d (2026-10-30 02:00:00Z)\n", prev),
		",sims_3g_allocated_to_date,unmet,students_tier12,equipped_tier12,pct_tier12_equipped,devices_planned,sims_planned,sims_3g_planned,unmet_after_plan,equipped_tier12_after_plan,pct_tier12_after_plan\n",
		"\nC2,Xã Hai,commune,2026-09,1,1,1,3,1,1,0,0,0,0,0,0,0,0,0,0,0,0,0,2,2,0,0,,,,,,\n",
		"\nC2,Xã Hai,commune,2026-10,1,1,1,3,0,1,1,1,1,1,1,1,1,1,1,1,0,0,1,2,2,0,0,2,2,1,0,1,50\n",
		"\n2026-10,1,1,1500000,1500000\n",
	} {
		if !strings.Contains(csv, want) {
			t.Errorf("CSV lacks %q:\n%s", want, csv)
		}
	}
	// A run committed after the preview: a warning that the plan may
	// overlap it.
	if _, err := st.Pool().Exec(ctx, `INSERT INTO allocation_runs (actor, policy, status, created_at) VALUES ('cô Lan', 'need-first', 'committed', '2026-10-31 08:00+07')`); err != nil {
		t.Fatal(err)
	}
	rep2, err := svc.Make(ctx, reports.KindProgress, opts)
	if err != nil {
		t.Fatal(err)
	}
	if n := rep2.Meta().Notes; len(n) != 10 || !strings.Contains(n[9], fmt.Sprintf("1 run(s) committed after preview run #%d", prev)) {
		t.Errorf("notes %v", n)
	}
	// A committed run is not a preview; an unknown run and a preview
	// recorded without a report are not found; a negative id is invalid.
	var committed, bare int64
	if err := st.Pool().QueryRow(ctx, `SELECT min(id) FROM allocation_runs WHERE status = 'committed'`).Scan(&committed); err != nil {
		t.Fatal(err)
	}
	if err := st.Pool().QueryRow(ctx, `SELECT min(id) FROM allocation_runs WHERE status = 'preview'`).Scan(&bare); err != nil {
		t.Fatal(err)
	}
	var ce *data.ConflictError
	if _, err := svc.Progress(ctx, reports.Options{From: opts.From, To: opts.To, PreviewRun: committed}); !errors.As(err, &ce) {
		t.Errorf("committed run: %v", err)
	}
	if _, err := svc.Progress(ctx, reports.Options{From: opts.From, To: opts.To, PreviewRun: bare}); !isNotFound(err) || bare == prev {
		t.Errorf("preview without a report (%d): %v", bare, err)
	}
	if _, err := svc.Progress(ctx, reports.Options{From: opts.From, To: opts.To, PreviewRun: prev + 100}); !isNotFound(err) {
		t.Errorf("unknown run: %v", err)
	}
	if _, err := svc.Progress(ctx, reports.Options{From: opts.From, To: opts.To, PreviewRun: -1}); !isValidation(err) {
		t.Errorf("negative: %v", err)
	}
}
