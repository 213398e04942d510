package data

import (
	"strings"
	"time"

	"github.com/paulmach/orb"
)

// OperatorPolygon is an operator's own coverage area for one technology.
// When an operator uploads polygons for a technology, they replace the
// sector model for that operator and technology: inside = covered,
// outside = not covered.
type OperatorPolygon struct {
	ID           string           `json:"id"` // unique; defaults to "<operator>/<technology>/<feature>"
	Operator     string           `json:"operator"`
	Technology   string           `json:"technology"` // 2G, 3G, 4G, 5G (5G counts as 4G-capable)
	MultiPolygon orb.MultiPolygon `json:"multipolygon"`
}

// Measurement is one field measurement (drive test, crowd-sourced app).
type Measurement struct {
	ID         string    `json:"id"` // unique; defaults to operator/technology/lat,lon/time
	Lat        float64   `json:"lat"`
	Lon        float64   `json:"lon"`
	Operator   string    `json:"operator"`
	Technology string    `json:"technology"`
	RSRPDBm    float64   `json:"rsrp_dbm"`
	Time       time.Time `json:"time"` // zero when absent
}

// SameOperator reports whether the operator a user is bound to (as stored
// on the account, any case) owns a row of operator op. VNPT and VinaPhone
// are one operator (VinaPhone is VNPT's mobile brand).
func SameOperator(account, op string) bool {
	norm := func(s string) string {
		s = strings.ToLower(strings.TrimSpace(s))
		s = strings.NewReplacer(" ", "", "-", "", "_", "").Replace(s)
		switch s {
		case "vnpt", "vnptvinaphone", "vinaphone":
			return OpVinaphone
		}
		return s
	}
	a := norm(account)
	return a != "" && a == norm(op)
}

// OperatorAliases returns the stored operator values that belong to the
// operator of an account (VNPT's fiber rows are stored as "vnpt", its
// mobile rows as "vinaphone").
func OperatorAliases(account string) []string {
	a := strings.ToLower(strings.TrimSpace(account))
	if SameOperator(a, OpVinaphone) {
		return []string{OpVinaphone, "vnpt"}
	}
	return []string{a}
}
