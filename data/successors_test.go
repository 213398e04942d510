package data

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func day(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }

func TestSuccessorsResolveAndRollUp(t *testing.T) {
	s, err := NewSuccessors([]AreaSuccessor{
		// 2020: A and B merge into M.
		{OldCode: "A", NewCode: "M", Effective: day("2020-01-01"), Share: 1},
		{OldCode: "B", NewCode: "M", Effective: day("2020-01-01"), Share: 1},
		// 2025: M splits 60/40 into X and Y; C is renamed Z.
		{OldCode: "M", NewCode: "X", Effective: day("2025-07-01"), Share: 0.6},
		{OldCode: "M", NewCode: "Y", Effective: day("2025-07-01"), Share: 0.4},
		{OldCode: "C", NewCode: "Z", Effective: day("2025-07-01"), Share: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Resolve("A", day("2019-06-01")), []AreaShare{{"A", 1}}; !reflect.DeepEqual(got, want) {
		t.Errorf("before the merge: %v, want %v", got, want)
	}
	if got, want := s.Resolve("A", day("2021-01-01")), []AreaShare{{"M", 1}}; !reflect.DeepEqual(got, want) {
		t.Errorf("after the merge: %v, want %v", got, want)
	}
	if got, want := s.Resolve("A", day("2025-07-01")), []AreaShare{{"X", 0.6}, {"Y", 0.4}}; !reflect.DeepEqual(got, want) {
		t.Errorf("after the split: %v, want %v", got, want)
	}
	if got, want := s.Resolve("Q", day("2025-07-01")), []AreaShare{{"Q", 1}}; !reflect.DeepEqual(got, want) {
		t.Errorf("unknown code: %v, want %v", got, want)
	}
	// 7 in A, 3 in B, 5 in M, 2 in C: M gets 15 → X 9, Y 6; Z 2.
	got := s.RollUp(map[string]int{"A": 7, "B": 3, "M": 5, "C": 2}, day("2026-01-01"))
	if want := map[string]int{"X": 9, "Y": 6, "Z": 2}; !reflect.DeepEqual(got, want) {
		t.Errorf("roll-up %v, want %v", got, want)
	}
	// Each source is apportioned on its own and the total stays exact:
	// A 7 → 4.2/2.8 → X 4, Y 3; B 3 → 1.8/1.2 → X 2, Y 1.
	got = s.RollUp(map[string]int{"A": 7, "B": 3}, day("2026-01-01"))
	if want := map[string]int{"X": 6, "Y": 4}; !reflect.DeepEqual(got, want) {
		t.Errorf("roll-up %v, want %v", got, want)
	}
	// Shares below 1: the rest stays with the old code.
	p, err := NewSuccessors([]AreaSuccessor{{OldCode: "P", NewCode: "Q", Effective: day("2025-07-01"), Share: 0.25}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.RollUp(map[string]int{"P": 8}, day("2025-07-01")), map[string]int{"P": 6, "Q": 2}; !reflect.DeepEqual(got, want) {
		t.Errorf("partial roll-up %v, want %v", got, want)
	}
}

func TestSuccessorsRefuseBadTables(t *testing.T) {
	d := day("2025-07-01")
	for name, rows := range map[string][]AreaSuccessor{
		"self":        {{OldCode: "A", NewCode: "A", Effective: d, Share: 1}},
		"zero share":  {{OldCode: "A", NewCode: "B", Effective: d, Share: 0}},
		"over one":    {{OldCode: "A", NewCode: "B", Effective: d, Share: 0.7}, {OldCode: "A", NewCode: "C", Effective: d, Share: 0.7}},
		"no day":      {{OldCode: "A", NewCode: "B", Share: 1}},
		"cycle":       {{OldCode: "A", NewCode: "B", Effective: d, Share: 1}, {OldCode: "B", NewCode: "A", Effective: day("2026-01-01"), Share: 1}},
		"empty codes": {{OldCode: "", NewCode: "B", Effective: d, Share: 1}},
	} {
		_, err := NewSuccessors(rows)
		var ve *ValidationError
		if !errors.As(err, &ve) || len(ve.Errors) != 1 || ve.Errors[0].File != "successors" || ve.Errors[0].Reason == "" {
			t.Errorf("%s: got %v, want one successors field error", name, err)
		}
	}
}
