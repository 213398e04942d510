package runs_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gapmap/gapmap/allocation"
	"github.com/gapmap/gapmap/allocation/report"
	"github.com/gapmap/gapmap/allocation/runs"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
)

// errValidation stands for a *data.ValidationError in the tables below.
var errValidation = errors.New("validation")

func isErr(err, want error) bool {
	if want == errValidation {
		var ve *data.ValidationError
		return errors.As(err, &ve)
	}
	return errors.Is(err, want)
}

func day0(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// TestSimPeriodsAndRenewals: against PostGIS, a 3G home gets a 3G SIM,
// stored and read back as such; a handover opens the SIM's period
// (activation default or stated, + the package's months); the report of
// SIMs ending lists it; a renewal takes one SIM from stock, extends the
// end and is written to the ledger; what a renewal needs is checked; the
// last SIM of a package goes once under concurrent renewals, and
// concurrent renewals of one student chain.
func TestSimPeriodsAndRenewals(t *testing.T) {
	ctx := context.Background()
	st := province(ctx, t)
	pool := st.Pool()
	// ST3's home H3 has viettel 3G (no 4G, no fiber).
	if _, err := pool.Exec(ctx, `UPDATE coverage_entities SET connectivity = '3g', operators_3g = '{viettel}' WHERE entity_id = 'H3'`); err != nil {
		t.Fatal(err)
	}
	svc := &runs.Service{Store: st}
	today := day0(time.Now().In(time.FixedZone("ICT", 7*3600)))
	c, err := svc.Commit(ctx, runs.Options{Settings: allocation.DefaultSettings(), Actor: "cô Lan", Date: today}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Run.Devices != 3 || c.Run.Sims != 2 || c.View.Totals.Sims3G != 1 || c.View.Totals.SimsGiven != 2 {
		t.Fatalf("commit %+v totals %+v", c.Run, c.View.Totals)
	}
	var net3, net4 string
	if err := pool.QueryRow(ctx, `SELECT (SELECT sim_network FROM allocations WHERE student_id = 'ST3' AND benefit = 'sim'),
		(SELECT sim_network FROM allocations WHERE student_id = 'ST1' AND benefit = 'sim')`).Scan(&net3, &net4); err != nil {
		t.Fatal(err)
	}
	if net3 != "3G" || net4 != "4G" {
		t.Errorf("stored networks ST3 %q, ST1 %q", net3, net4)
	}

	// ST1: SIM activated about 80 days ago (stated); ST3: the handover day.
	act1 := today.AddDate(0, 0, -80)
	if act1.Day() > 28 {
		act1 = time.Date(act1.Year(), act1.Month(), 28, 0, 0, 0, 0, time.UTC)
	}
	if err := svc.HandoverActivated(ctx, "thầy Minh", "ST1", "", today, act1); err != nil {
		t.Fatal(err)
	}
	if err := svc.HandoverActivated(ctx, "thầy Minh", "ST6", "", today, today.AddDate(0, 0, 3)); !isErr(err, errValidation) || !strings.Contains(err.Error(), "sim_activated") {
		t.Errorf("activation in the future: %v", err)
	}
	if err := svc.Handover(ctx, "thầy Minh", "ST3", "", today); err != nil {
		t.Fatal(err)
	}
	end1, end3 := act1.AddDate(0, 3, 0), today.AddDate(0, 3, 0)
	if today.Day() > 28 { // PostgreSQL clamps to the month's last day
		end3 = time.Date(today.Year(), today.Month()+4, 0, 0, 0, 0, 0, time.UTC)
		if e := today.AddDate(0, 3, 0); e.Month() == today.Month()+3 {
			end3 = e
		}
	}
	p1, err := st.SimPeriods(ctx, "ST1")
	if err != nil || len(p1) != 1 {
		t.Fatalf("ST1 periods %+v, %v", p1, err)
	}
	if p := p1[0]; p.Kind != postgis.SimIssue || p.PackageID != "P1" || p.Operator != "viettel" || p.Network != "4G" || p.Months != 3 ||
		!p.ActivatedOn.Equal(act1) || !p.StartsOn.Equal(act1) || !p.EndsOn.Equal(end1) || p.RunID != c.Run.ID || !p.RecordedOn.Equal(today) {
		t.Errorf("ST1 period %+v (want activated %s, ends %s)", p, act1, end1)
	}
	if p, _ := st.SimPeriods(ctx, "ST6"); len(p) != 0 {
		t.Errorf("ST6 (no SIM) has periods %+v", p)
	}

	// SIMs ending within 30 days: ST1 only (ST3 ends in ~3 months).
	ending, err := svc.SimsEnding(ctx, 30, today, runs.Scope{})
	if err != nil {
		t.Fatal(err)
	}
	left := int(end1.Sub(today).Hours() / 24)
	if len(ending) != 1 || ending[0].StudentID != "ST1" || ending[0].SchoolID != "S1" || ending[0].AreaCode != "7210" || !ending[0].EndsOn.Equal(end1) ||
		ending[0].DaysLeft != left || ending[0].Network != "4G" || ending[0].Renewals != 0 || ending[0].HandoverStatus != postgis.HandoverHandedOver {
		t.Errorf("ending within 30: %+v (want ST1, ends %s, %d days left)", ending, end1, left)
	}
	all, err := svc.SimsEnding(ctx, 100, today, runs.Scope{})
	if err != nil || len(all) != 2 || all[1].StudentID != "ST3" || all[1].Network != "3G" || !all[1].EndsOn.Equal(end3) {
		t.Errorf("ending within 100: %+v, %v", all, err)
	}
	if sc, err := svc.SimsEnding(ctx, 100, today, runs.Scope{AreaCode: "7211"}); err != nil || len(sc) != 1 || sc[0].StudentID != "ST3" {
		t.Errorf("officer of 7211: %+v, %v", sc, err)
	}
	if _, err := svc.SimsEnding(ctx, -1, today, runs.Scope{}); !isErr(err, errValidation) {
		t.Errorf("negative window: %v", err)
	}
	var buf bytes.Buffer
	if err := report.WriteSimsEndingCSV(&buf, ending); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\ufeff"))).ReadAll()
	if err != nil || len(recs) != 2 || strings.Join(recs[0], ",") != strings.Join(report.SimsEndingHeader(), ",") ||
		recs[1][0] != "ST1" || recs[1][4] != "4G" || recs[1][7] != act1.Format("2006-01-02") || recs[1][8] != end1.Format("2006-01-02") {
		t.Errorf("sims_ending.csv %q, %v", recs, err)
	}

	// A renewal of ST1 today, before its end: the new period starts at the
	// end and lasts the package's months; one SIM of P1 more is issued; the
	// ledger has it.
	issued := func(pkg string) int {
		var n int
		if err := pool.QueryRow(ctx, `SELECT coalesce((SELECT issued FROM sim_stock WHERE package_id = $1), 0)`, pkg).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := issued("P1"); n != 2 {
		t.Fatalf("P1 issued %d before the renewal, want 2", n)
	}
	r, err := svc.Renew(ctx, "cô Lan", runs.Renewal{StudentID: "ST1", PackageID: "P1", On: today})
	if err != nil {
		t.Fatal(err)
	}
	end2 := end1.AddDate(0, 3, 0)
	if r.Period.Kind != postgis.SimRenewal || !r.Period.StartsOn.Equal(end1) || !r.Period.EndsOn.Equal(end2) || r.Period.Network != "4G" ||
		r.Period.Actor != "cô Lan" || len(r.Periods) != 2 || issued("P1") != 3 {
		t.Errorf("renewal %+v, periods %d, P1 issued %d", r.Period, len(r.Periods), issued("P1"))
	}
	var ledger int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM allocation_ledger WHERE action = 'allocate_sim' AND student_id = 'ST1'
		AND sim_package_id = 'P1' AND run_id IS NULL AND actor = 'cô Lan' AND reason LIKE 'renewal: 3 month(s) from %'`).Scan(&ledger); err != nil || ledger != 1 {
		t.Errorf("ledger renewals %d, %v", ledger, err)
	}
	if e, _ := svc.SimsEnding(ctx, 30, today, runs.Scope{}); len(e) != 0 {
		t.Errorf("after the renewal, ending within 30: %+v", e)
	}
	v, err := svc.View(ctx, c.Run.ID, runs.Scope{SchoolID: "S1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range v.Allocations {
		if a.StudentID != "ST1" {
			continue
		}
		if h := a.Handover; h == nil || h.SimActivatedOn == nil || !h.SimActivatedOn.Equal(act1) || h.SimEndsOn == nil || !h.SimEndsOn.Equal(end2) ||
			h.SimRenewals != 1 || a.SimNetwork != allocation.SimNetwork4G {
			t.Errorf("ST1 read back: %+v %+v", a, a.Handover)
		}
	}

	// What a renewal needs.
	if _, err := pool.Exec(ctx, `INSERT INTO sim_packages (package_id, operator, gb_per_day, months, quantity) VALUES
		('P3', 'vinaphone', 4, 3, 5), ('P4', 'viettel', 4, 3, 1)`); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		r    runs.Renewal
		want error
		text string
	}{
		{runs.Renewal{StudentID: "ST2", PackageID: "P1", On: today}, data.ErrNotFound, "ST2"},  // no SIM handed over
		{runs.Renewal{StudentID: "ST1", PackageID: "P2", On: today}, errValidation, "minimum"}, // 1 GB/day
		{runs.Renewal{StudentID: "ST1", PackageID: "P3", On: today}, errValidation, "vinaphone"},
		{runs.Renewal{StudentID: "ST1", PackageID: "P9", On: today}, data.ErrNotFound, "P9"},
		{runs.Renewal{StudentID: "ST1", PackageID: "P1", On: today.AddDate(0, 0, 2)}, errValidation, "future"},
		{runs.Renewal{StudentID: "ST3", PackageID: "P1", On: today, AreaCodes: []string{"7210"}}, data.ErrNotFound, "ST3"},
		{runs.Renewal{PackageID: "P1"}, errValidation, "student"},
	} {
		if _, err := svc.Renew(ctx, "cô Lan", c.r); !isErr(err, c.want) || !strings.Contains(err.Error(), c.text) {
			t.Errorf("renewal %+v: %v, want %v mentioning %q", c.r, err, c.want, c.text)
		}
	}
	if n := issued("P1"); n != 3 {
		t.Errorf("refused renewals changed the stock: P1 issued %d", n)
	}

	// P4 has one SIM: two concurrent renewals, one wins.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, s := range []string{"ST1", "ST3"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = svc.Renew(ctx, "cô Lan", runs.Renewal{StudentID: s, PackageID: "P4", On: today})
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, data.ErrConflict) || !strings.Contains(err.Error(), "no SIM left"):
			t.Errorf("losing renewal: %v", err)
		}
	}
	if won != 1 || issued("P4") != 1 {
		t.Errorf("P4: %d renewals won, issued %d", won, issued("P4"))
	}
	// Two concurrent renewals of ST3 (P1 has stock): they chain.
	before, _ := st.SimPeriods(ctx, "ST3")
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := svc.Renew(ctx, "cô Lan", runs.Renewal{StudentID: "ST3", PackageID: "P1", On: today}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	after, err := st.SimPeriods(ctx, "ST3")
	if err != nil || len(after) != len(before)+2 {
		t.Fatalf("ST3 periods %+v, %v", after, err)
	}
	for i := 1; i < len(after); i++ {
		if !after[i].StartsOn.Equal(after[i-1].EndsOn) {
			t.Errorf("ST3 period %d starts %s, the previous ends %s", i, after[i].StartsOn, after[i-1].EndsOn)
		}
	}
	// Periods are history.
	if _, err := pool.Exec(ctx, `DELETE FROM sim_periods WHERE student_id = 'ST1'`); err == nil || !strings.Contains(err.Error(), "history") {
		t.Errorf("deleting a period: %v", err)
	}
}
