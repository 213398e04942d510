package runs_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"testing"
	"time"

	"github.com/gapmap/gapmap/allocation"
	"github.com/gapmap/gapmap/allocation/report"
	"github.com/gapmap/gapmap/allocation/runs"
)

// End to end against PostGIS: the poverty status and the covid_orphan flag
// stored in the database decide eligibility; the conflicts reach the view
// (read back from the store too) and conflicts.csv.
func TestPreviewEligibility(t *testing.T) {
	ctx := context.Background()
	st := province(ctx, t)
	// ST1 claims tier 1 in H1, now not poor; ST2 claims tier 2 in H2, now
	// poor (supported); ST4 claims tier 3 without the flag, household none.
	for _, q := range []string{
		`UPDATE households SET poverty = 'none' WHERE household_id = 'H1'`,
		`UPDATE households SET poverty = 'poor' WHERE household_id = 'H2'`,
		`UPDATE students SET covid_orphan = false WHERE student_id = 'ST4'`,
	} {
		if _, err := st.Pool().Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	svc := &runs.Service{Store: st}
	o := runs.Options{Settings: allocation.DefaultSettings(), Actor: "cô Lan", Date: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	p, err := svc.Preview(ctx, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]int{}
	for _, a := range p.View.Allocations {
		served[a.StudentID] = a.Priority
	}
	for _, u := range p.View.Unserved {
		served[u.StudentID] = u.Priority
	}
	if len(served) != 3 || served["ST2"] != 2 || served["ST3"] != 1 || served["ST6"] != 1 {
		t.Fatalf("served or waiting: %v", served)
	}
	c := p.View.Conflicts
	if len(c) != 2 || c[0].StudentID != "ST1" || c[0].Reason != allocation.ReasonTier1NotPoor || c[0].ServedTier != 0 || c[0].Poverty != "none" ||
		c[1].StudentID != "ST4" || c[1].Reason != allocation.ReasonTier3NoCovid || c[1].ClaimedTier != 3 || c[1].ServedTier != 0 {
		t.Fatalf("conflicts %+v", c)
	}
	back, err := svc.View(ctx, p.Run.ID, runs.Scope{})
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Conflicts) != 2 || back.Conflicts[1].Reason != allocation.ReasonTier3NoCovid {
		t.Fatalf("read back conflicts %+v", back.Conflicts)
	}
	var b bytes.Buffer
	if err := report.WriteConflicts(&b, p.View); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b.Bytes(), []byte("\xef\xbb\xbf")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"student_id", "school_ids", "kept_school_id", "action", "reason", "claimed_tier", "served_tier", "household_poverty"},
		{"ST1", "S1", "S1", "not served (tier 1 claimed, not supported): correct the student's tier, the household's poverty status or the covid_orphan flag", "tier1_household_not_poor", "1", "0", "none"},
		{"ST4", "S2", "S2", "not served (tier 3 claimed, not supported): correct the student's tier, the household's poverty status or the covid_orphan flag", "tier3_not_covid_orphan", "3", "0", "none"},
	}
	if len(rows) != len(want) {
		t.Fatalf("conflicts.csv %q", rows)
	}
	for i := range want {
		for j := range want[i] {
			if rows[i][j] != want[i][j] {
				t.Errorf("conflicts.csv row %d col %d: %q, want %q", i, j, rows[i][j], want[i][j])
			}
		}
	}
	var sum bytes.Buffer
	if err := report.WriteSummary(&sum, p.View, ""); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(sum.Bytes(), []byte("conflicts: 0 student ids listed more than once, 2 tiers the household or the COVID-19 flag does not support")) {
		t.Errorf("summary:\n%s", sum.String())
	}
}
