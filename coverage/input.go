package coverage

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/paulmach/orb"
)

// OperatorPolygon is an operator's own coverage area for one technology.
// When an operator uploads polygons for a technology, they replace the
// sector model for that operator and technology: inside = covered,
// outside = not covered.
type OperatorPolygon struct {
	Operator     string
	Technology   string // 2G, 3G, 4G, 5G (5G counts as 4G-capable)
	MultiPolygon orb.MultiPolygon
}

// Measurement is one field measurement (drive test, crowd-sourced app).
type Measurement struct {
	Lat, Lon   float64
	Operator   string
	Technology string
	RSRPDBm    float64
	Time       time.Time // zero when absent
}

// Input is what Analyze reads: the dataset plus the optional operator
// polygons and field measurements.
type Input struct {
	Dataset      *data.Dataset
	Polygons     []OperatorPolygon
	Measurements []Measurement
}

// normOperator lower-cases an operator name and maps common aliases.
func normOperator(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	switch strings.NewReplacer(" ", "", "-", "", "_", "", ".", "").Replace(s) {
	case "viettel", "45204":
		return data.OpViettel
	case "vinaphone", "vnptvinaphone", "vnpt", "45202":
		return data.OpVinaphone
	case "mobifone", "45201":
		return data.OpMobifone
	case "vietnamobile", "45205":
		return data.OpVietnamobile
	case "gmobile", "beeline", "45207":
		return data.OpGmobile
	}
	return s
}

// normTech upper-cases a technology and maps aliases (LTE → 4G, …).
func normTech(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	switch s {
	case "LTE", "4", "LTE-A":
		return data.Tech4G
	case "NR", "5", "5GNR":
		return data.Tech5G
	case "UMTS", "WCDMA", "HSPA", "3":
		return data.Tech3G
	case "GSM", "EDGE", "GPRS", "2":
		return data.Tech2G
	}
	return s
}

// measurementColumns maps each column to its accepted header names.
func measurementColumns() map[string][]string {
	return map[string][]string{
		"lat":        {"lat", "latitude", "vi_do", "vĩ độ", "vi do"},
		"lon":        {"lon", "lng", "long", "longitude", "kinh_do", "kinh độ", "kinh do"},
		"operator":   {"operator", "nha_mang", "nhà mạng", "nha mang", "mno"},
		"technology": {"technology", "tech", "radio", "cong_nghe", "công nghệ", "cong nghe"},
		"rsrp_dbm":   {"rsrp_dbm", "rsrp", "signal_dbm"},
		"time":       {"time", "timestamp", "thoi_gian", "thời gian", "measured_at"},
	}
}

// ParseMeasurements reads field measurements from CSV with the header
// lat, lon, operator, technology, rsrp_dbm, time (time optional; RFC 3339
// or "2006-01-02 15:04:05"; Vietnamese aliases accepted; a UTF-8 BOM is
// skipped). name labels errors. Every bad row is reported; nothing is
// returned then.
func ParseMeasurements(r io.Reader, name string) ([]Measurement, error) {
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && string(b) == "\ufeff" {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%s is empty: expected a header lat,lon,operator,technology,rsrp_dbm,time", name)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	columns := measurementColumns()
	col := map[string]int{}
	headerName := map[string]string{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		for key, aliases := range columns {
			for _, a := range aliases {
				if h == a {
					if _, dup := col[key]; !dup {
						col[key] = i
						headerName[key] = header[i]
					}
				}
			}
		}
	}
	var missing []string
	for _, k := range []string{"lat", "lon", "operator", "technology", "rsrp_dbm"} {
		if _, ok := col[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: missing column(s) %s: the header needs lat,lon,operator,technology,rsrp_dbm (time optional)", name, strings.Join(missing, ", "))
	}
	var verr data.ValidationError
	var out []Measurement
	row := 1
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		row++
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				verr.Add(data.FieldError{File: name, Row: row, Reason: pe.Err.Error()})
				continue
			}
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		get := func(k string) string {
			i, ok := col[k]
			if !ok || i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		fail := func(k, v, why string) {
			verr.Add(data.FieldError{File: name, Row: row, Column: headerName[k], Value: v, Reason: why})
		}
		num := func(k string, lo, hi float64, what string) (float64, bool) {
			v := get(k)
			f, err := strconv.ParseFloat(strings.Replace(v, ",", ".", 1), 64)
			if err != nil || math.IsNaN(f) || f < lo || f > hi {
				fail(k, v, fmt.Sprintf("%s must be a number between %g and %g", what, lo, hi))
				return 0, false
			}
			return f, true
		}
		m := Measurement{}
		ok1, ok2, ok3 := false, false, false
		m.Lat, ok1 = num("lat", -90, 90, "latitude")
		m.Lon, ok2 = num("lon", -180, 180, "longitude")
		m.RSRPDBm, ok3 = num("rsrp_dbm", -160, -20, "RSRP (dBm)")
		m.Operator = normOperator(get("operator"))
		if m.Operator == "" {
			fail("operator", "", "operator is empty: use viettel, vinaphone, mobifone, vietnamobile or gmobile")
		}
		m.Technology = normTech(get("technology"))
		switch m.Technology {
		case data.Tech2G, data.Tech3G, data.Tech4G, data.Tech5G:
		default:
			fail("technology", get("technology"), "technology must be 2G, 3G, 4G or 5G")
			ok1 = false
		}
		if v := get("time"); v != "" {
			t, err := parseTime(v)
			if err != nil {
				fail("time", v, "time must be RFC 3339 (2024-05-01T08:30:00+07:00) or 2024-05-01 08:30:00")
				ok1 = false
			}
			m.Time = t
		}
		if ok1 && ok2 && ok3 && m.Operator != "" {
			out = append(out, m)
		}
	}
	if err := verr.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func parseTime(v string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("bad time %q", v)
}

// ParseOperatorPolygons reads operator coverage polygons from a GeoJSON
// FeatureCollection of Polygon or MultiPolygon features with the
// properties operator (nha_mang) and technology (cong_nghe). name labels
// errors.
func ParseOperatorPolygons(r io.Reader, name string) ([]OperatorPolygon, error) {
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Properties map[string]any `json:"properties"`
			Geometry   *struct {
				Type        string          `json:"type"`
				Coordinates json.RawMessage `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	if err := json.NewDecoder(r).Decode(&fc); err != nil {
		return nil, fmt.Errorf("%s is not GeoJSON: %w", name, err)
	}
	if fc.Type != "FeatureCollection" {
		return nil, fmt.Errorf("%s: expected a GeoJSON FeatureCollection, got %q", name, fc.Type)
	}
	prop := func(p map[string]any, keys ...string) string {
		for _, k := range keys {
			for pk, v := range p {
				if strings.EqualFold(pk, k) {
					if s, ok := v.(string); ok {
						return s
					}
				}
			}
		}
		return ""
	}
	var verr data.ValidationError
	var out []OperatorPolygon
	for i, f := range fc.Features {
		fail := func(col, v, why string) {
			verr.Add(data.FieldError{File: name, Row: i + 1, Column: col, Value: v, Reason: why})
		}
		op := normOperator(prop(f.Properties, "operator", "nha_mang", "nhà mạng"))
		tech := normTech(prop(f.Properties, "technology", "tech", "cong_nghe", "công nghệ"))
		if op == "" {
			fail("operator", "", "each feature needs an operator property (viettel, vinaphone, mobifone, …)")
			continue
		}
		if techGroup(tech) < 0 {
			fail("technology", tech, "technology must be 2G, 3G, 4G or 5G")
			continue
		}
		if f.Geometry == nil {
			fail("geometry", "", "the feature has no geometry")
			continue
		}
		var mp orb.MultiPolygon
		switch f.Geometry.Type {
		case "Polygon":
			var p [][][2]float64
			if err := json.Unmarshal(f.Geometry.Coordinates, &p); err != nil {
				fail("geometry", "", "bad Polygon coordinates: "+err.Error())
				continue
			}
			mp = orb.MultiPolygon{polygonOf(p)}
		case "MultiPolygon":
			var ps [][][][2]float64
			if err := json.Unmarshal(f.Geometry.Coordinates, &ps); err != nil {
				fail("geometry", "", "bad MultiPolygon coordinates: "+err.Error())
				continue
			}
			for _, p := range ps {
				mp = append(mp, polygonOf(p))
			}
		default:
			fail("geometry", f.Geometry.Type, "coverage areas must be Polygon or MultiPolygon")
			continue
		}
		out = append(out, OperatorPolygon{Operator: op, Technology: tech, MultiPolygon: mp})
	}
	if err := verr.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func polygonOf(p [][][2]float64) orb.Polygon {
	poly := make(orb.Polygon, 0, len(p))
	for _, r := range p {
		ring := make(orb.Ring, len(r))
		for i, x := range r {
			ring[i] = orb.Point(x)
		}
		poly = append(poly, ring)
	}
	return poly
}
