package runs

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/gapmap/gapmap/allocation"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
)

// ProgrammeStart is the first day a handover can have happened: the
// programme "Sóng và máy tính cho em" began in September 2021 (the Prime
// Minister's Office launched it with letter 6235/VPCP-KGVX of 7 September
// 2021; plan 3667/KH-BTTTT-BGDĐT of 21 September 2021 set it in motion).
var ProgrammeStart = time.Date(2021, time.September, 1, 0, 0, 0, 0, time.UTC)

// vietnam is the programme's time zone (UTC+7, no daylight saving): "today"
// is Vietnam's today.
var vietnam = time.FixedZone("ICT", 7*3600)

// MobileOperators are the operators a SIM package can belong to.
func MobileOperators() []string {
	return []string{data.OpViettel, data.OpVinaphone, data.OpMobifone, data.OpVietnamobile, data.OpGmobile}
}

// ParseOperators reads a comma-separated list of SIM operators in order of
// preference (any case and the usual aliases: VNPT = vinaphone) and returns
// their normalised names. An operator that is not a mobile network is an
// error naming it.
func ParseOperators(list string) ([]string, error) {
	var out, bad []string
	for _, op := range strings.Split(list, ",") {
		if op = strings.TrimSpace(op); op == "" {
			continue
		}
		n, ok := mobileOperator(op)
		if !ok {
			bad = append(bad, fmt.Sprintf("%q", op))
			continue
		}
		out = append(out, n)
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("unknown SIM operator %s: use %s", strings.Join(bad, ", "), strings.Join(MobileOperators(), ", "))
	}
	return out, nil
}

func mobileOperator(op string) (string, bool) {
	n, ok := format.NormalizeOperator(op)
	if !ok {
		return "", false
	}
	for _, m := range MobileOperators() {
		if n == m {
			return n, true
		}
	}
	return "", false
}

// CheckSettings refuses values of the run's choices that the engine would
// not recognise: an unknown policy or SIM operator is a
// *data.ValidationError naming the field.
func CheckSettings(s allocation.Settings) error {
	ve := &data.ValidationError{}
	if s.Policy != allocation.PolicyReadyFirst && s.Policy != allocation.PolicyNeedFirst {
		ve.Add(data.FieldError{File: "settings", Column: "policy", Value: s.Policy,
			Reason: fmt.Sprintf("use %s or %s", allocation.PolicyReadyFirst, allocation.PolicyNeedFirst)})
	}
	if s.TierOrder != allocation.TierOrderStrict && s.TierOrder != allocation.TierOrderFair {
		ve.Add(data.FieldError{File: "settings", Column: "tier_order", Value: s.TierOrder,
			Reason: fmt.Sprintf("use %s (tier 1 everywhere first; the default) or %s (area-fair shares)", allocation.TierOrderStrict, allocation.TierOrderFair)})
	}
	tags := make([]string, 0, len(s.AreaWeights))
	for k := range s.AreaWeights {
		tags = append(tags, k)
	}
	slices.Sort(tags)
	for _, k := range tags {
		w := s.AreaWeights[k]
		if !slices.Contains(data.AreaTags(), k) {
			ve.Add(data.FieldError{File: "settings", Column: "area_weights", Value: k,
				Reason: "not a priority area tag: use " + strings.Join(data.AreaTags(), ", ")})
		} else if !(w > 0) || math.IsInf(w, 0) {
			ve.Add(data.FieldError{File: "settings", Column: "area_weights." + k, Value: fmt.Sprint(w),
				Reason: "a weight is a number > 0 (1: no priority)"})
		}
	}
	for i, op := range s.OperatorPreference {
		if _, ok := mobileOperator(op); !ok {
			ve.Add(data.FieldError{File: "settings", Column: fmt.Sprintf("operator_preference[%d]", i), Value: op,
				Reason: "not a SIM operator: use " + strings.Join(MobileOperators(), ", ")})
		}
	}
	return ve.Err()
}

// ICCIDProblem says what is wrong with an ICCID (the number printed on a
// SIM card, ITU-T E.118): 19 or 20 digits, the last one the Luhn check
// digit of the others. "" when it is valid.
func ICCIDProblem(iccid string) string {
	for _, c := range iccid {
		if c < '0' || c > '9' {
			return "an ICCID has digits only (19 or 20, printed on the SIM card; no spaces or letters)"
		}
	}
	if n := len(iccid); n < 19 || n > 20 {
		return fmt.Sprintf("an ICCID has 19 or 20 digits (ITU-T E.118), this one %d", n)
	}
	if !luhnValid(iccid) {
		return "the ICCID's last digit is not its Luhn check digit: a digit was mistyped"
	}
	return ""
}

// CheckICCID is ICCIDProblem as a *data.ValidationError naming the field
// (nil for a valid or empty ICCID), for callers that check before they
// reach the database.
func CheckICCID(file, iccid string) error {
	if iccid == "" {
		return nil
	}
	if p := ICCIDProblem(iccid); p != "" {
		return &data.ValidationError{Errors: []data.FieldError{{File: file, Column: "iccid", Value: iccid, Reason: p}}}
	}
	return nil
}

// luhnValid checks the Luhn check digit (the last) of a string of digits.
func luhnValid(digits string) bool {
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// civil is the calendar day of t (in t's own location) as a UTC midnight.
func civil(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// dayProblem says what is wrong with the day of a handover or a return:
// before the programme began, in the future (Vietnam's today), or before
// notBefore (the allocation's date, the handover's day), named by what.
func dayProblem(on time.Time, notBefore time.Time, what string) string {
	day := civil(on)
	today := civil(time.Now().In(vietnam))
	switch {
	case day.Before(ProgrammeStart):
		return fmt.Sprintf("the day is before the programme began (%s)", ProgrammeStart.Format("2006-01-02"))
	case day.After(today):
		return fmt.Sprintf("the day is in the future (today is %s in Vietnam)", today.Format("2006-01-02"))
	case !notBefore.IsZero() && day.Before(civil(notBefore)):
		return fmt.Sprintf("the day is before %s (%s)", what, civil(notBefore).Format("2006-01-02"))
	}
	return ""
}

// checkHandoverDay validates the day of a handover (or a return, after
// the handover's day) of studentID's committed allocation. A student
// without one is a *data.NotFoundError.
func (s *Service) checkHandoverDay(ctx context.Context, file, studentID string, on time.Time, ve *data.ValidationError) error {
	if p := dayProblem(on, time.Time{}, ""); p != "" {
		ve.Add(data.FieldError{File: file, Column: "date", Value: civil(on).Format("2006-01-02"), Reason: p})
		return nil
	}
	row, runID, err := s.Allocation(ctx, studentID, nil)
	if err != nil {
		return err
	}
	rep, err := s.Store.AllocationRunReport(ctx, runID)
	if err != nil {
		return err
	}
	notBefore, what := rep.RunDate, fmt.Sprintf("the allocation (run %d)", runID)
	if file == "return" && row.Handover != nil && row.Handover.HandedOverOn != nil && row.Handover.HandedOverOn.After(notBefore) {
		notBefore, what = *row.Handover.HandedOverOn, "the handover"
	}
	if p := dayProblem(on, notBefore, what); p != "" {
		ve.Add(data.FieldError{File: file, Column: "date", Value: civil(on).Format("2006-01-02"), Reason: p})
	}
	return nil
}
