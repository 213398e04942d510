package coverage

import (
	"encoding/json"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// fmtM formats a distance in metres with 0.01 m precision ("" for +Inf).
func fmtM(d float64) string {
	if math.IsInf(d, 0) || math.IsNaN(d) {
		return ""
	}
	return strconv.FormatFloat(d, 'f', 2, 64)
}

func fmtCoord(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

func fmtShare(x float64) string { return strconv.FormatFloat(x, 'f', 4, 64) }

// EntityHeader is the header of entities.csv. The file holds household
// ids and positions: it is internal (for the allocation engine), never for
// operators or the public.
func (r *Result) EntityHeader() []string {
	h := []string{
		"entity_type", "entity_id", "lat", "lon", "area_code", "h3", "connectivity",
		"operators_4g", "nearest_4g_m", "nearest_4g_site", "nearest_fiber_m", "fiber_node_m", "fiber_route_m",
		"operators_3g", "operators_2g",
		"students", "students_t1", "students_t2", "students_t3", "no_device_t123", "school_students", "gap_id",
	}
	for _, o := range r.Operators {
		h = append(h, "nearest_4g_m_"+o)
	}
	return h
}

// EntityRecord returns the CSV record of entity i, reusing rec.
func (r *Result) EntityRecord(i int, rec []string) []string {
	x := r.Entity(i)
	rec = append(rec[:0],
		x.Kind, x.ID, fmtCoord(x.Lat), fmtCoord(x.Lon), x.AreaCode, x.Cell.String(), x.Class,
		strings.Join(x.Operators4G, ";"), fmtM(x.Nearest4GM), x.Nearest4GSite, fmtM(x.NearestFiberM), fmtM(x.FiberNodeM), fmtM(x.FiberRouteM),
		strings.Join(x.Operators3G, ";"), strings.Join(x.Operators2G, ";"),
		strconv.Itoa(x.Students[0]+x.Students[1]+x.Students[2]+x.Students[3]),
		strconv.Itoa(x.Students[1]), strconv.Itoa(x.Students[2]), strconv.Itoa(x.Students[3]),
		strconv.Itoa(x.NoDeviceT123), strconv.Itoa(x.SchoolStudents), x.Gap,
	)
	for _, d := range x.Nearest4GByOperator {
		rec = append(rec, fmtM(d))
	}
	return rec
}

// CellHeader is the header of cells.csv.
func (r *Result) CellHeader() []string {
	h := []string{
		"h3", "res", "area_code", "households", "schools", "school_students",
		"students_t0", "students_t1", "students_t2", "students_t3", "no_device_t123",
		"households_fiber", "households_4g", "households_3g", "households_2g", "households_none",
		"unconnected_households", "unconnected_students_t0", "unconnected_students_t1", "unconnected_students_t2", "unconnected_students_t3",
		"unconnected_schools", "share_4g_any", "share_fiber", "served_operators", "gap", "gap_cells", "gap_id", "cells",
	}
	for _, o := range r.Operators {
		h = append(h, "share_4g_"+o)
	}
	return h
}

// EachCell calls fn with every cell: the analysis cells, then each
// roll-up resolution in Settings order.
func (r *Result) EachCell(fn func(c *CellStats) error) error {
	for k := range r.Cells {
		if err := fn(&r.Cells[k]); err != nil {
			return err
		}
	}
	for _, rs := range r.Rollups {
		for k := range rs {
			if err := fn(&rs[k]); err != nil {
				return err
			}
		}
	}
	return nil
}

// CellRecord returns the CSV record of a cell, reusing rec.
func (r *Result) CellRecord(c *CellStats, rec []string) []string {
	it := strconv.Itoa
	rec = append(rec[:0],
		c.Cell.String(), it(c.Res), c.AreaCode, it(c.Households), it(c.Schools), it(c.SchoolStudents),
		it(c.Students[0]), it(c.Students[1]), it(c.Students[2]), it(c.Students[3]), it(c.NoDeviceT123),
		it(c.HouseholdsByClass[0]), it(c.HouseholdsByClass[1]), it(c.HouseholdsByClass[2]), it(c.HouseholdsByClass[3]), it(c.HouseholdsByClass[4]),
		it(c.UnconnectedHouseholds), it(c.UnconnectedStudents[0]), it(c.UnconnectedStudents[1]), it(c.UnconnectedStudents[2]), it(c.UnconnectedStudents[3]),
		it(c.UnconnectedSchools), fmtShare(c.Share4GAny), fmtShare(c.ShareFiber), strings.Join(r.opNames(c.Served), ";"),
		strconv.FormatBool(c.Gap), it(c.GapCells), c.GapID, it(c.Cells),
	)
	for _, s := range c.Share4G {
		rec = append(rec, fmtShare(s))
	}
	return rec
}

// num returns x for JSON, nil when it is not finite.
func num(x float64) any {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return nil
	}
	return x
}

// round keeps JSON numbers short and stable.
func round(x float64, digits int) any {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return nil
	}
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

// GapProperties returns the GeoJSON properties of a gap area: counts and
// every score component.
func (r *Result) GapProperties(g *GapArea) map[string]any {
	s := &g.Score
	return map[string]any{
		"id": g.ID, "rank": g.Rank, "area_code": g.AreaCode, "environment": g.Environment,
		"cells": len(g.Cells), "centroid_lat": round(g.CentroidLat, 7), "centroid_lon": round(g.CentroidLon, 7),
		"households": g.Households, "students_t0": g.Students[0], "students_t1": g.Students[1], "students_t2": g.Students[2], "students_t3": g.Students[3],
		"no_device_t123": g.NoDeviceT123, "schools": g.Schools, "school_students": g.SchoolStudents,
		"nearest_4g_m": round(g.Nearest4GM, 2), "nearest_4g_site": g.Nearest4GSite, "nearest_fiber_m": round(g.NearestFiberM, 2),
		"weighted_tier1": round(s.TierWeighted[1], 4), "weighted_tier2": round(s.TierWeighted[2], 4), "weighted_tier3": round(s.TierWeighted[3], 4),
		"weighted_schools": round(s.SchoolWeighted, 4), "weighted_beneficiaries": round(s.WeightedBeneficiaries, 4),
		"area_km2": round(s.AreaKm2, 4), "site_range_m": round(s.SiteRangeM, 2), "sites_needed": s.SitesNeeded,
		"site_unit_cost_vnd": round(s.SiteUnitCostVND, 0), "site_cost_vnd": round(s.SiteCostVND, 0),
		"fiber_km": round(s.FiberKm, 3), "fiber_trunk_cost_vnd": round(s.FiberTrunkCostVND, 0), "premises": s.Premises,
		"fiber_drop_cost_vnd": round(s.FiberDropCostVND, 0), "fiber_cost_vnd": num(nilIfNoFiber(s)),
		"option": s.Option, "cost_vnd": round(s.CostVND, 0), "cost_per_beneficiary_vnd": round(s.CostPerBeneficiaryVND, 0),
		"score": round(s.Score, 6),
	}
}

func nilIfNoFiber(s *Score) float64 {
	if math.IsNaN(s.FiberKm) {
		return math.NaN()
	}
	return math.Round(s.FiberCostVND)
}

// WriteGapsGeoJSON writes the ranked gap areas as a GeoJSON
// FeatureCollection of MultiPolygons (no personal data: counts only).
func (r *Result) WriteGapsGeoJSON(w io.Writer) error {
	fs := make([]Feature, 0, len(r.Gaps))
	for k := range r.Gaps {
		g := &r.Gaps[k]
		fs = append(fs, Feature{Geometry: MultiPolygonGeometry(g.Outline), Properties: r.GapProperties(g)})
	}
	return WriteFeatureCollection(w, fs)
}

// Feature is a GeoJSON feature (encoding/json keeps property order
// stable: keys are sorted).
type Feature struct {
	Type       string         `json:"type"`
	Geometry   *Geometry      `json:"geometry"`
	Properties map[string]any `json:"properties"`
}

// Geometry is a GeoJSON geometry.
type Geometry struct {
	Type        string `json:"type"`
	Coordinates any    `json:"coordinates"`
}

// MultiPolygonGeometry converts a MultiPolygon, rounding coordinates to
// 1e-7° (≈1 cm).
func MultiPolygonGeometry(mp orb.MultiPolygon) *Geometry {
	rmp := roundGeom(mp)
	coords := make([][][][2]float64, len(rmp))
	for i, p := range rmp {
		coords[i] = make([][][2]float64, len(p))
		for j, ring := range p {
			coords[i][j] = make([][2]float64, len(ring))
			for k, pt := range ring {
				coords[i][j][k] = [2]float64(pt)
			}
		}
	}
	return &Geometry{Type: "MultiPolygon", Coordinates: coords}
}

// PointGeometry is a GeoJSON point, rounded to 1e-7°.
func PointGeometry(lat, lon float64) *Geometry {
	return &Geometry{Type: "Point", Coordinates: [2]float64{math.Round(lon*1e7) / 1e7, math.Round(lat*1e7) / 1e7}}
}

// WriteFeatureCollection writes features as a GeoJSON FeatureCollection,
// one feature per line.
func WriteFeatureCollection(w io.Writer, fs []Feature) error {
	if _, err := io.WriteString(w, `{"type":"FeatureCollection","features":[`); err != nil {
		return err
	}
	for i := range fs {
		fs[i].Type = "Feature"
		b, err := json.Marshal(&fs[i])
		if err != nil {
			return err
		}
		sep := "\n"
		if i > 0 {
			sep = ",\n"
		}
		if _, err := io.WriteString(w, sep); err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "\n]}\n")
	return err
}

// roundGeom rounds coordinates to 1e-7° (≈1 cm), enough for cells.
func roundGeom(mp orb.MultiPolygon) orb.MultiPolygon {
	out := make(orb.MultiPolygon, len(mp))
	for i, p := range mp {
		out[i] = make(orb.Polygon, len(p))
		for j, ring := range p {
			out[i][j] = make(orb.Ring, len(ring))
			for k, pt := range ring {
				out[i][j][k] = orb.Point{math.Round(pt[0]*1e7) / 1e7, math.Round(pt[1]*1e7) / 1e7}
			}
		}
	}
	return out
}

// Summary is the content of summary.json: the parameters of the run and
// the totals by area and class. It holds no personal data.
type Summary struct {
	Engine    string        `json:"engine"`
	Settings  Settings      `json:"settings"`
	Operators []string      `json:"operators"`
	WhatIf    []string      `json:"what_if_sectors,omitempty"`
	Counts    SummaryCounts `json:"counts"`
	Stats     BuildStats    `json:"input_problems"`
	Total     AreaSummary   `json:"total"`
	Areas     []AreaSummary `json:"areas"`
	TopGaps   []any         `json:"top_gaps"`
}

// SummaryCounts are the sizes of a run.
type SummaryCounts struct {
	Schools    int `json:"schools"`
	Households int `json:"households"`
	Students   int `json:"students"`
	Sectors    int `json:"sectors"`
	Cells      int `json:"cells"`
	GapCells   int `json:"gap_cells"`
	GapAreas   int `json:"gap_areas"`
}

// Summary returns the run summary, with the top n gap areas.
func (r *Result) Summary(n int) Summary {
	s := Summary{
		Engine: "gapmap coverage", Settings: r.Settings, Operators: r.Operators, WhatIf: r.WhatIfSectors,
		Stats: r.Stats, Total: r.Total, Areas: r.Areas,
		Counts: SummaryCounts{
			Schools: len(r.in.Dataset.Schools), Households: r.in.HouseholdCount(), Students: r.in.StudentCount(),
			Sectors: r.Sectors, Cells: len(r.Cells), GapAreas: len(r.Gaps),
		},
		TopGaps: []any{},
	}
	for k := range r.Cells {
		s.Counts.GapCells += r.Cells[k].GapCells
	}
	for k := 0; k < len(r.Gaps) && k < n; k++ {
		s.TopGaps = append(s.TopGaps, r.GapProperties(&r.Gaps[k]))
	}
	return s
}

// WriteSummaryJSON writes summary.json (indented, stable).
func (r *Result) WriteSummaryJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r.Summary(20))
}

// WriteGeoJSON writes the plan: one Point feature per new site (kind
// "site", in build order) and one per gap area at its centroid (kind
// "gap_option") with the site-versus-fiber comparison. No personal data.
func (p *Plan) WriteGeoJSON(w io.Writer, r *Result) error {
	var fs []Feature
	for k := range p.Steps {
		st := &p.Steps[k]
		fs = append(fs, Feature{Geometry: PointGeometry(st.Lat, st.Lon), Properties: map[string]any{
			"kind": "site", "rank": st.Rank, "h3": st.H3, "area_code": st.AreaCode, "environment": st.Environment,
			"range_m": round(st.RangeM, 2), "cost_vnd": round(st.CostVND, 0),
			"marginal_weighted": round(st.Weighted, 4), "marginal_households": st.Households, "marginal_schools": st.Schools,
			"marginal_students_t1": st.Students[1], "marginal_students_t2": st.Students[2], "marginal_students_t3": st.Students[3],
			"cumulative_weighted": round(st.CumulativeWeighted, 4), "cumulative_cost_vnd": round(st.CumulativeCostVND, 0),
			"cost_per_beneficiary_vnd": round(st.CostPerBeneficiaryVND, 0), "gaps": st.Gaps,
			"method": p.Method, "sector_id": st.Sector.ID,
		}})
	}
	for k := range p.Gaps {
		g := &p.Gaps[k]
		ga := &r.Gaps[g.Rank-1]
		fs = append(fs, Feature{Geometry: PointGeometry(ga.CentroidLat, ga.CentroidLon), Properties: map[string]any{
			"kind": "gap_option", "gap_id": g.GapID, "gap_rank": g.Rank, "weighted": round(g.Weighted, 4),
			"site_weighted": round(g.SiteWeighted, 4), "site_cost_vnd": round(g.SiteCostVND, 0),
			"site_cost_per_beneficiary_vnd": round(g.SiteCostPerBeneficiaryVND, 0), "site_estimated": g.SiteEstimated,
			"fiber_cost_vnd": round(g.FiberCostVND, 0), "fiber_cost_per_beneficiary_vnd": round(g.FiberCostPerBeneficiaryVND, 0),
			"recommended": g.Recommended,
		}})
	}
	return WriteFeatureCollection(w, fs)
}
