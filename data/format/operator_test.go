package format

import "testing"

func TestNormalizeOperator(t *testing.T) {
	for in, want := range map[string]string{
		"Viettel": "viettel", " VNPT ": "vinaphone", "vinaphone": "vinaphone", "Mobi": "mobifone", "MBF": "mobifone",
		"Vietnamobile": "vietnamobile", "Gtel": "gmobile", "FPT Telecom": "fpt", "fpt": "fpt", "CMC": "cmc",
		"": "", "telstra": "", "other": "", "khác": "",
	} {
		got, ok := NormalizeOperator(in)
		if got != want || ok != (want != "") {
			t.Errorf("NormalizeOperator(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, op := range AccountOperators() {
		if got, ok := NormalizeOperator(op); !ok || got != op {
			t.Errorf("NormalizeOperator(%q) = %q, %v", op, got, ok)
		}
	}
}
