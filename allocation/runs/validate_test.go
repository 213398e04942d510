package runs_test

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/allocation"
	"github.com/gapmap/gapmap/allocation/runs"
	"github.com/gapmap/gapmap/data"
)

// luhnDigit computes the Luhn check digit of a string of digits, the
// textbook way (independently of the code under test).
func luhnDigit(body string) string {
	sum := 0
	for i := 0; i < len(body); i++ {
		d := int(body[len(body)-1-i] - '0')
		if i%2 == 0 { // doubled: the rightmost digit of the body and every second one
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return strconv.Itoa((10 - sum%10) % 10)
}

func TestICCID(t *testing.T) {
	body19 := "898404800000123456" // 18 digits + check = 19
	body20 := "8984048000001234567"
	valid19, valid20 := body19+luhnDigit(body19), body20+luhnDigit(body20)
	// The ITU-T E.118 example from Wikipedia's Luhn article: 79927398713.
	if luhnDigit("7992739871") != "3" {
		t.Fatalf("the test's Luhn digit is wrong: %s", luhnDigit("7992739871"))
	}
	for _, ok := range []string{valid19, valid20, "8984048000000000001"} {
		if p := runs.ICCIDProblem(ok); p != "" {
			t.Errorf("%s: %s, want valid", ok, p)
		}
	}
	wrong := valid19[:18] + strconv.Itoa((int(valid19[18]-'0')+1)%10)
	swapped := valid19[:16] + string(valid19[17]) + string(valid19[16]) + valid19[18:]
	for _, c := range []struct{ iccid, want string }{
		{wrong, "Luhn"},
		{swapped, "Luhn"},
		{valid19[:18], "19 or 20 digits"},              // 18 digits
		{valid20 + "0", "19 or 20 digits"},             // 21
		{"89840480000000000000001", "19 or 20 digits"}, // 23
		{"8984 0480 0000 0000 001", "digits only"},     // spaces
		{"898404800000000000F", "digits only"},         // a hex digit
		{"-898404800000000000", "digits only"},         // a sign
		{"８９８４０４８０００００００００００１", "digits only"},         // full-width digits
	} {
		if p := runs.ICCIDProblem(c.iccid); !strings.Contains(p, c.want) {
			t.Errorf("%q: %q, want it to say %q", c.iccid, p, c.want)
		}
	}
}

func TestParseOperatorsAndSettings(t *testing.T) {
	ops, err := runs.ParseOperators(" Viettel, VNPT ,mobifone,")
	if err != nil || !slices.Equal(ops, []string{"viettel", "vinaphone", "mobifone"}) {
		t.Errorf("ParseOperators: %v, %v", ops, err)
	}
	for _, bad := range []string{"evil", "viettel,evil", "fpt", "'; DROP TABLE x; --"} {
		if _, err := runs.ParseOperators(bad); err == nil || !strings.Contains(err.Error(), "unknown SIM operator") {
			t.Errorf("ParseOperators(%q): %v, want refused", bad, err)
		}
	}
	s := allocation.DefaultSettings()
	if err := runs.CheckSettings(s); err != nil {
		t.Errorf("defaults: %v", err)
	}
	s.Policy, s.OperatorPreference = "x", []string{"viettel", "evil"}
	var ve *data.ValidationError
	if err := runs.CheckSettings(s); !errors.As(err, &ve) || len(ve.Errors) != 2 ||
		ve.Errors[0].Column != "policy" || ve.Errors[1].Column != "operator_preference[1]" || ve.Errors[1].Value != "evil" {
		t.Errorf("bad settings: %v", err)
	}
}
