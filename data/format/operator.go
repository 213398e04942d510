package format

import (
	"strings"

	"github.com/gapmap/gapmap/data"
)

// AccountOperators lists the operators an operator account can be bound
// to: the mobile networks, and the fiber-only operators FPT and CMC.
// VNPT's account is "vinaphone" (VNPT runs both VinaPhone and its fiber).
func AccountOperators() []string {
	return []string{data.OpViettel, data.OpVinaphone, data.OpMobifone, data.OpVietnamobile, data.OpGmobile, data.OpFPT, "cmc"}
}

// NormalizeOperator reads an operator name as the files spell it (any case,
// the usual Vietnamese and English aliases: "VNPT" = vinaphone, "Mobi" =
// mobifone, "FPT Telecom" = fpt) and returns its normalised name; ok is
// false for an operator an account cannot be bound to.
func NormalizeOperator(s string) (name string, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	if v, ok := mobileOperatorEnum("operator").lookup(s); ok {
		return v, true
	}
	if v, ok := fiberOperatorEnum().lookup(s); ok && (v == data.OpFPT || v == "cmc") {
		return v, true
	}
	return "", false
}
