package data

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// AreaSuccessor records that from Effective on, the unit OldCode continues
// (wholly or in part) as NewCode: a merge is several rows with the same
// NewCode, a split several rows with the same OldCode whose Share (the
// fraction of OldCode's households that went to NewCode) sums to 1. A
// rename or a new parent with a new code is one row with Share 1.
type AreaSuccessor struct {
	OldCode   string    `json:"old_code"`
	NewCode   string    `json:"new_code"`
	Effective time.Time `json:"effective"` // first day NewCode is valid
	Share     float64   `json:"share"`     // (0, 1]
}

// AreaShare is one unit a code stands for on a date, with the fraction of
// the code's figures it receives.
type AreaShare struct {
	Code     string  `json:"code"`
	Fraction float64 `json:"fraction"`
}

// Successors resolves old area codes to the units valid on a date.
type Successors struct {
	byOld map[string][]AreaSuccessor // sorted by Effective, then NewCode
}

// NewSuccessors checks the table and indexes it: shares in (0, 1], the
// shares of one old code on one day summing to at most 1, no code its own
// successor and no cycle (a code reached again while following it).
func NewSuccessors(rows []AreaSuccessor) (*Successors, error) {
	s := &Successors{byOld: map[string][]AreaSuccessor{}}
	sum := map[string]float64{}
	for i, r := range rows {
		switch {
		case r.OldCode == "" || r.NewCode == "":
			return nil, bad(i, "old_code", "old_code and new_code are required")
		case r.OldCode == r.NewCode:
			return nil, bad(i, "old_code", fmt.Sprintf("%s cannot succeed itself", r.OldCode))
		case !(r.Share > 0 && r.Share <= 1):
			return nil, bad(i, "share", fmt.Sprintf("share of %s → %s must be in (0, 1], got %g", r.OldCode, r.NewCode, r.Share))
		case r.Effective.IsZero():
			return nil, bad(i, "effective", fmt.Sprintf("%s → %s needs the day it took effect", r.OldCode, r.NewCode))
		}
		key := r.OldCode + "\x00" + r.Effective.Format(time.DateOnly)
		sum[key] += r.Share
		if sum[key] > 1+1e-9 {
			return nil, bad(i, "share", fmt.Sprintf("the shares of %s on %s sum to more than 1", r.OldCode, r.Effective.Format(time.DateOnly)))
		}
		s.byOld[r.OldCode] = append(s.byOld[r.OldCode], r)
	}
	for _, list := range s.byOld {
		sort.Slice(list, func(i, j int) bool {
			if !list[i].Effective.Equal(list[j].Effective) {
				return list[i].Effective.Before(list[j].Effective)
			}
			return list[i].NewCode < list[j].NewCode
		})
	}
	for old := range s.byOld {
		if err := s.checkCycle(old, map[string]bool{}); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *Successors) checkCycle(code string, path map[string]bool) error {
	if path[code] {
		return bad(-1, "new_code", fmt.Sprintf("the successors of %s lead back to it", code))
	}
	path[code] = true
	defer delete(path, code)
	seen := map[string]bool{}
	for _, r := range s.byOld[code] {
		if seen[r.NewCode] {
			continue
		}
		seen[r.NewCode] = true
		if err := s.checkCycle(r.NewCode, path); err != nil {
			return err
		}
	}
	return nil
}

// Resolve returns the units that code stands for on day d, with the
// fraction of code's figures each receives, ordered by code. A code with no
// change effective on or before d stands for itself. Changes are followed
// in order (a commune merged in 2020 and again in 2025 lands on the 2025
// unit); when an old code's shares on its latest day sum to less than 1 the
// rest stays with the old code.
func (s *Successors) Resolve(code string, d time.Time) []AreaShare {
	acc := map[string]float64{}
	s.resolve(code, d, 1, acc, 0)
	out := make([]AreaShare, 0, len(acc))
	for c, f := range acc {
		out = append(out, AreaShare{Code: c, Fraction: f})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

func (s *Successors) resolve(code string, d time.Time, f float64, acc map[string]float64, depth int) {
	var latest []AreaSuccessor
	if s != nil && depth < 64 {
		for _, r := range s.byOld[code] {
			if r.Effective.After(d) {
				break
			}
			if len(latest) > 0 && !latest[0].Effective.Equal(r.Effective) {
				latest = latest[:0]
			}
			latest = append(latest, r)
		}
	}
	rest := 1.0
	for _, r := range latest {
		s.resolve(r.NewCode, d, f*r.Share, acc, depth+1)
		rest -= r.Share
	}
	if rest > 1e-9 {
		acc[code] += f * rest
	}
}

// RollUp carries whole-number figures recorded under any code onto the
// units valid on day d. A split code's count is divided by its shares with
// the largest-remainder rule (ties to the smaller code), so the total is
// exactly preserved.
func (s *Successors) RollUp(counts map[string]int, d time.Time) map[string]int {
	out := make(map[string]int, len(counts))
	codes := make([]string, 0, len(counts))
	for c := range counts {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		n := counts[c]
		shares := s.Resolve(c, d)
		if len(shares) == 1 {
			out[shares[0].Code] += n
			continue
		}
		type part struct {
			code string
			rem  float64
		}
		parts := make([]part, len(shares))
		given := 0
		for i, sh := range shares {
			exact := float64(n) * sh.Fraction
			whole := int(math.Floor(exact + 1e-9))
			out[sh.Code] += whole
			given += whole
			parts[i] = part{sh.Code, exact - float64(whole)}
		}
		sort.SliceStable(parts, func(i, j int) bool {
			if parts[i].rem != parts[j].rem {
				return parts[i].rem > parts[j].rem
			}
			return parts[i].code < parts[j].code
		})
		for i := 0; given < n; i++ {
			out[parts[i%len(parts)].code]++
			given++
		}
	}
	return out
}

// bad is a successor-table error of row i (0-based; -1: the table as a
// whole).
func bad(i int, column, reason string) error {
	return &ValidationError{Errors: []FieldError{{File: "successors", Row: i + 1, Column: column, Reason: reason}}}
}
