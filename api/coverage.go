package api

// Coverage runs, cells, gap areas, the planner and what-if. Runs are
// background jobs (kind "coverage", one at a time) that call the same
// use cases as gapmap analyze and gapmap plan (package coveragerun).
// Everything served here is aggregated: no household point, no student.
// Roles other than admin and planner get the person counts of a cell or
// gap area with fewer than Config.PrivacyK households withheld.

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gapmap/gapmap/coverage"
	"github.com/gapmap/gapmap/coveragerun"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/go-chi/chi/v5"
)

// jobKindCoverage is the job kind of coverage runs, plans and what-ifs:
// one of them at a time (each holds the whole dataset in memory).
const jobKindCoverage = "coverage"

// privileged roles see every count; the others see aggregates with small
// counts withheld.
func privileged(u *data.User) bool {
	return u != nil && (u.Role == data.RoleAdmin || u.Role == data.RolePlanner)
}

func (s *Server) privacyK() int {
	if s.deps.Config.PrivacyK < 1 {
		return DefaultConfig().PrivacyK
	}
	return s.deps.Config.PrivacyK
}

// runParam reads {run}: a positive id or "latest" (0).
func runParam(r *http.Request) (int64, error) {
	v := chi.URLParam(r, "run")
	if v == "latest" {
		return 0, nil
	}
	return pathID(r, "run")
}

// settingsFrom overlays the JSON object raw on the default settings.
func settingsFrom(raw json.RawMessage) (coverage.Settings, error) {
	s := coverage.DefaultSettings()
	if len(raw) > 0 && !bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil {
			return s, fieldError("settings", "", "not valid coverage settings: "+err.Error())
		}
	}
	if err := s.Validate(); err != nil {
		return s, fieldError("settings", "", err.Error())
	}
	return s, nil
}

func fieldError(column, value, reason string) error {
	v := &data.ValidationError{}
	v.Add(data.FieldError{Column: column, Value: value, Reason: reason})
	return v
}

// decodeOptionalJSON is decodeJSON that accepts an empty body.
func decodeOptionalJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return decodeJSON(w, r, v)
}

// startCoverageJob starts fn as the coverage job and answers 202 with it.
func (s *Server) startCoverageJob(w http.ResponseWriter, r *http.Request, mode string, params map[string]any,
	fn func(ctx context.Context, o coveragerun.Options) (*coveragerun.Run, error), settings coverage.Settings) error {
	actor, remote := actorName(r), r.RemoteAddr
	params["mode"] = mode
	job, err := s.jobs.start(r.Context(), jobKindCoverage, actor, params, func(ctx context.Context, progress progressFunc) (any, error) {
		run, err := fn(ctx, coveragerun.Options{Settings: settings, Progress: coveragerun.Progress(progress)})
		if err != nil {
			return nil, err
		}
		out := run.Outcome()
		sanitizeOutcome(&out)
		_ = s.deps.Store.Audit(context.WithoutCancel(ctx), actor, "coverage_"+mode, "coverage run "+strconv.FormatInt(run.ID, 10),
			map[string]any{"run_id": run.ID, "counts": out.Counts, "what_if_sectors": out.WhatIf}, remote)
		return out, nil
	})
	if err != nil {
		return err
	}
	_ = s.deps.Store.Audit(r.Context(), actor, "coverage_"+mode+"_start", "job "+strconv.FormatInt(job.ID, 10), params, remote)
	writeJSON(w, http.StatusAccepted, viewJob(job))
	return nil
}

// sanitizeOutcome replaces the non-finite numbers JSON cannot carry.
func sanitizeOutcome(o *coveragerun.Outcome) {
	if o.Plan == nil {
		return
	}
	steps := append([]coverage.PlanStep(nil), o.Plan.Steps...)
	for i := range steps {
		if math.IsNaN(steps[i].CostPerBeneficiaryVND) || math.IsInf(steps[i].CostPerBeneficiaryVND, 0) {
			steps[i].CostPerBeneficiaryVND = -1
		}
	}
	o.Plan.Steps = steps
}

// startCoverageRun: POST /api/v1/coverage/runs {"settings":{…}, "date":
// "YYYY-MM-DD"} (both optional; date: the analysis date, default today in
// Vietnam — points go to the areas valid that day): analyse the database
// and store a run, in the background (202 with the
// job; progress, cancel and result at /api/v1/jobs/{id}).
func (s *Server) startCoverageRun(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Settings json.RawMessage `json:"settings"`
		Date     string          `json:"date"`
	}
	if err := decodeOptionalJSON(w, r, &body); err != nil {
		return err
	}
	st, err := settingsFrom(body.Settings)
	if err != nil {
		return err
	}
	day := data.VietnamDay(time.Now())
	if body.Date != "" {
		if day, err = time.Parse(time.DateOnly, body.Date); err != nil {
			return fieldError("date", body.Date, "write the analysis date as YYYY-MM-DD (e.g. 2025-07-01): points go to the areas valid that day")
		}
	}
	store := s.deps.Store
	return s.startCoverageJob(w, r, "analyze", map[string]any{"settings": json.RawMessage(orEmpty(body.Settings)), "date": day.Format(time.DateOnly)},
		func(ctx context.Context, o coveragerun.Options) (*coveragerun.Run, error) {
			o.Date = day
			return coveragerun.Analyze(ctx, store, o)
		}, st)
}

func orEmpty(b json.RawMessage) json.RawMessage {
	if len(bytes.TrimSpace(b)) == 0 {
		return json.RawMessage("{}")
	}
	return b
}

// startPlan: POST /api/v1/coverage/plan {"sites":K} or {"budget_vnd":X},
// optional "settings": the build-out plan as a background run, stored with
// its plan.
func (s *Server) startPlan(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Sites     int             `json:"sites"`
		BudgetVND float64         `json:"budget_vnd"`
		Settings  json.RawMessage `json:"settings"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	if (body.Sites > 0) == (body.BudgetVND > 0) || body.Sites < 0 || body.BudgetVND < 0 || math.IsInf(body.BudgetVND, 0) {
		return fieldError("sites", "", "give either sites (a number of new sites > 0) or budget_vnd (> 0), not both")
	}
	st, err := settingsFrom(body.Settings)
	if err != nil {
		return err
	}
	po := coverage.PlanOptions{Sites: body.Sites, BudgetVND: body.BudgetVND}
	store := s.deps.Store
	return s.startCoverageJob(w, r, "plan", map[string]any{"sites": body.Sites, "budget_vnd": body.BudgetVND, "settings": orEmpty(body.Settings)},
		func(ctx context.Context, o coveragerun.Options) (*coveragerun.Run, error) {
			return coveragerun.Plan(ctx, store, o, po)
		}, st)
}

// proposedSite is a site of a what-if request.
type proposedSite struct {
	ID             string   `json:"id"`
	Operator       string   `json:"operator"`
	Technology     string   `json:"technology"`
	BandMHz        int      `json:"band_mhz"`
	Lat            *float64 `json:"lat"`
	Lon            *float64 `json:"lon"`
	AntennaHeightM float64  `json:"antenna_height_m"`
	AzimuthDeg     *float64 `json:"azimuth_deg"`
	BeamwidthDeg   float64  `json:"beamwidth_deg"`
	RangeM         float64  `json:"range_m"`
}

// startWhatIf: POST /api/v1/coverage/whatif {"sites":[{operator, lat, lon,
// technology (4G), band_mhz (1800), azimuth_deg, beamwidth_deg, range_m}]}:
// the run with the proposed sites added, stored with what_if set; the
// result compares it with the run without them.
func (s *Server) startWhatIf(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Sites    []proposedSite  `json:"sites"`
		Settings json.RawMessage `json:"settings"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	var verr data.ValidationError
	if len(body.Sites) == 0 || len(body.Sites) > 1000 {
		verr.Add(data.FieldError{Column: "sites", Reason: "propose between 1 and 1000 sites"})
	}
	add := make([]data.Sector, 0, len(body.Sites))
	seen := map[string]bool{}
	for i, p := range body.Sites {
		row := i + 1
		bad := func(col, val, reason string) {
			verr.Add(data.FieldError{File: "sites", Row: row, Column: col, Value: val, Reason: reason})
		}
		sec := data.Sector{ID: strings.TrimSpace(p.ID), Operator: coverage.NormalizeOperator(p.Operator), Technology: strings.ToUpper(strings.TrimSpace(p.Technology)),
			BandMHz: p.BandMHz, AntennaHeightM: p.AntennaHeightM, AzimuthDeg: p.AzimuthDeg, BeamwidthDeg: p.BeamwidthDeg, RangeM: p.RangeM, Status: data.StatusPlanned}
		if sec.ID == "" {
			sec.ID = "whatif-" + strconv.Itoa(row)
		}
		if seen[sec.ID] {
			bad("id", sec.ID, "the id is used twice")
		}
		seen[sec.ID] = true
		sec.SiteID = sec.ID
		switch sec.Operator {
		case data.OpViettel, data.OpVinaphone, data.OpMobifone, data.OpVietnamobile, data.OpGmobile:
		default:
			bad("operator", p.Operator, "use viettel, vinaphone, mobifone, vietnamobile or gmobile")
		}
		if sec.Technology == "" {
			sec.Technology = data.Tech4G
		}
		switch sec.Technology {
		case data.Tech2G, data.Tech3G, data.Tech4G, data.Tech5G:
		default:
			bad("technology", p.Technology, "use 2G, 3G, 4G or 5G")
		}
		if sec.BandMHz == 0 {
			sec.BandMHz = 1800
		}
		if sec.BandMHz < 0 || sec.BandMHz > 100000 {
			bad("band_mhz", strconv.Itoa(p.BandMHz), "a band in MHz, e.g. 1800")
		}
		if p.Lat == nil || *p.Lat < 6 || *p.Lat > 23.5 {
			bad("lat", "", "a latitude inside Vietnam (6.0–23.5) is required")
		} else {
			sec.Lat = *p.Lat
		}
		if p.Lon == nil || *p.Lon < 102 || *p.Lon > 118 {
			bad("lon", "", "a longitude inside Vietnam (102.0–118.0) is required")
		} else {
			sec.Lon = *p.Lon
		}
		if sec.AntennaHeightM == 0 {
			sec.AntennaHeightM = 30
		}
		if p.AzimuthDeg != nil {
			if *p.AzimuthDeg < 0 || *p.AzimuthDeg >= 360 {
				bad("azimuth_deg", "", "an azimuth in [0, 360)")
			}
			if !(p.BeamwidthDeg > 0 && p.BeamwidthDeg <= 360) {
				bad("beamwidth_deg", "", "a directional site needs a beamwidth in (0, 360]")
			}
		}
		if p.RangeM < 0 || p.RangeM > 100000 {
			bad("range_m", "", "a range in metres up to 100000 (0: the model's)")
		}
		add = append(add, sec)
	}
	if err := verr.Err(); err != nil {
		return err
	}
	st, err := settingsFrom(body.Settings)
	if err != nil {
		return err
	}
	store := s.deps.Store
	return s.startCoverageJob(w, r, "whatif", map[string]any{"sites": body.Sites, "settings": orEmpty(body.Settings)},
		func(ctx context.Context, o coveragerun.Options) (*coveragerun.Run, error) {
			return coveragerun.WhatIf(ctx, store, o, add)
		}, st)
}

// coverageRunView is a run as listed.
type coverageRunView struct {
	ID         int64           `json:"id"`
	CreatedAt  string          `json:"created_at"`
	Date       string          `json:"date"` // the analysis date: the areas valid that day
	Operators  []string        `json:"operators"`
	WhatIf     []string        `json:"what_if_sectors"`
	Entities   int             `json:"entities"`
	Cells      int             `json:"cells"`
	GapAreas   int             `json:"gap_areas"`
	HasPlan    bool            `json:"has_plan"`
	Summary    json.RawMessage `json:"summary"`
	Parameters json.RawMessage `json:"parameters,omitempty"`
	Plan       json.RawMessage `json:"plan,omitempty"`
}

func viewCoverageRun(r postgis.CoverageRun, full bool) coverageRunView {
	v := coverageRunView{ID: r.ID, CreatedAt: r.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"), Date: r.Date.Format(time.DateOnly), Operators: nonNilStrings(r.Operators),
		WhatIf: nonNilStrings(r.WhatIf), Entities: r.Entities, Cells: r.Cells, GapAreas: r.GapAreas, HasPlan: r.Plan != nil,
		Summary: json.RawMessage(r.Summary)}
	if len(v.Summary) == 0 {
		v.Summary = json.RawMessage("{}")
	}
	if full {
		v.Parameters = json.RawMessage(r.Parameters)
		if r.Plan != nil {
			v.Plan = json.RawMessage(r.Plan)
		}
	}
	return v
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// intParam reads an optional integer query parameter within [lo, hi].
func intParam(r *http.Request, name string, def, lo, hi int) (int, error) {
	v := strings.TrimSpace(r.URL.Query().Get(name))
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fieldError(name, v, "an integer from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi))
	}
	return n, nil
}

// listCoverageRuns: GET /api/v1/coverage/runs?limit=&offset=: newest first.
func (s *Server) listCoverageRuns(w http.ResponseWriter, r *http.Request) error {
	limit, err := intParam(r, "limit", 50, 1, 500)
	if err != nil {
		return err
	}
	offset, err := intParam(r, "offset", 0, 0, math.MaxInt32)
	if err != nil {
		return err
	}
	runs, total, err := s.deps.Store.ListCoverageRuns(r.Context(), limit, offset)
	if err != nil {
		return err
	}
	out := make([]coverageRunView, 0, len(runs))
	for _, run := range runs {
		out = append(out, viewCoverageRun(run, false))
	}
	writeJSON(w, http.StatusOK, map[string]any{"runs": out, "total": total, "limit": limit, "offset": offset})
	return nil
}

// getCoverageRun: GET /api/v1/coverage/runs/{run} ({run}: an id or
// "latest"): parameters, totals by area and class, the plan's options.
func (s *Server) getCoverageRun(w http.ResponseWriter, r *http.Request) error {
	id, err := runParam(r)
	if err != nil {
		return err
	}
	run, err := s.deps.Store.CoverageRun(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewCoverageRun(run, true))
	return nil
}

// coverageRunAreas: GET /api/v1/coverage/runs/{run}/areas?date=: the
// run's households, students and gap figures per unit valid on date
// (default today), rolled up through the successor table, so an older run
// compares with a newer one across a reform. Aggregates per area only.
func (s *Server) coverageRunAreas(w http.ResponseWriter, r *http.Request) error {
	id, err := runParam(r)
	if err != nil {
		return err
	}
	day, err := dateParam(r)
	if err != nil {
		return err
	}
	run, err := s.deps.Store.CoverageRun(r.Context(), id)
	if err != nil {
		return err
	}
	out, err := coveragerun.RollUpRun(r.Context(), s.deps.Store, run.ID, day)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"run_id": out.RunID, "run_date": out.RunDate.Format(time.DateOnly),
		"date": out.Date.Format(time.DateOnly), "areas": out.Areas})
	return nil
}

// count is a person count, withheld (null) for a small cell.
type count = *int

func cnt(n int, hide bool) count {
	if hide {
		return nil
	}
	return &n
}

// cellView is an aggregated H3 cell.
type cellView struct {
	H3                    string             `json:"h3"`
	Res                   int                `json:"res"`
	Lat                   float64            `json:"lat"`
	Lon                   float64            `json:"lon"`
	AreaCode              string             `json:"area_code"`
	Suppressed            bool               `json:"suppressed"`
	Households            count              `json:"households"`
	StudentsT1            count              `json:"students_t1"`
	StudentsT2            count              `json:"students_t2"`
	StudentsT3            count              `json:"students_t3"`
	NoDeviceT123          count              `json:"no_device_t123"`
	HouseholdsFiber       count              `json:"households_fiber"`
	Households4G          count              `json:"households_4g"`
	Households3G          count              `json:"households_3g"`
	Households2G          count              `json:"households_2g"`
	HouseholdsNone        count              `json:"households_none"`
	UnconnectedHouseholds count              `json:"unconnected_households"`
	UnconnectedT1         count              `json:"unconnected_students_t1"`
	UnconnectedT2         count              `json:"unconnected_students_t2"`
	UnconnectedT3         count              `json:"unconnected_students_t3"`
	Schools               int                `json:"schools"`
	SchoolStudents        int                `json:"school_students"`
	UnconnectedSchools    int                `json:"unconnected_schools"`
	Share4GAny            float64            `json:"share_4g_any"`
	ShareFiber            float64            `json:"share_fiber"`
	Share4G               map[string]float64 `json:"share_4g"`
	ServedOperators       []string           `json:"served_operators"`
	Gap                   bool               `json:"gap"`
	GapCells              int                `json:"gap_cells"`
	GapID                 string             `json:"gap_id,omitempty"`
	Cells                 int                `json:"cells"`
}

// parseBBox reads "min_lon,min_lat,max_lon,max_lat".
func parseBBox(v string) (*[4]float64, error) {
	if v == "" {
		return nil, nil
	}
	parts := strings.Split(v, ",")
	bad := fieldError("bbox", v, "give min_lon,min_lat,max_lon,max_lat in degrees (WGS84)")
	if len(parts) != 4 {
		return nil, bad
	}
	var b [4]float64
	for i, p := range parts {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, bad
		}
		b[i] = x
	}
	if b[0] >= b[2] || b[1] >= b[3] || b[0] < -180 || b[2] > 180 || b[1] < -90 || b[3] > 90 {
		return nil, bad
	}
	return &b, nil
}

// coverageCells: GET /api/v1/coverage/runs/{run}/cells?res=5..9&area=CODE&bbox=…&limit=
// aggregated cells of one resolution in an area (and below) and/or a
// bounding box.
func (s *Server) coverageCells(w http.ResponseWriter, r *http.Request) error {
	id, err := runParam(r)
	if err != nil {
		return err
	}
	res, err := intParam(r, "res", 9, 5, 9)
	if err != nil {
		return err
	}
	limit, err := intParam(r, "limit", 5000, 1, 50000)
	if err != nil {
		return err
	}
	bbox, err := parseBBox(r.URL.Query().Get("bbox"))
	if err != nil {
		return err
	}
	area := strings.TrimSpace(r.URL.Query().Get("area"))
	run, err := s.deps.Store.CoverageRun(r.Context(), id)
	if err != nil {
		return err
	}
	if area != "" {
		ok, err := s.deps.Store.AreaExists(r.Context(), area)
		if err != nil {
			return err
		}
		if !ok {
			return &data.NotFoundError{Kind: "area", ID: area}
		}
	}
	rows, more, err := s.deps.Store.CoverageCells(r.Context(), postgis.CellQuery{RunID: run.ID, Res: res, AreaCode: area, BBox: bbox, Limit: limit})
	if err != nil {
		return err
	}
	k, all := s.privacyK(), privileged(principal(r.Context()))
	out := make([]cellView, 0, len(rows))
	for i := range rows {
		c := &rows[i]
		hide := !all && data.SmallCount(c.Households, k)
		v := cellView{H3: c.Cell.String(), Res: c.Res, Lat: round7(c.Lat), Lon: round7(c.Lon), AreaCode: c.AreaCode, Suppressed: hide,
			Households: cnt(c.Households, hide), StudentsT1: cnt(c.Students[1], hide), StudentsT2: cnt(c.Students[2], hide), StudentsT3: cnt(c.Students[3], hide),
			NoDeviceT123: cnt(c.NoDeviceT123, hide), HouseholdsFiber: cnt(c.HouseholdsByClass[0], hide), Households4G: cnt(c.HouseholdsByClass[1], hide),
			Households3G: cnt(c.HouseholdsByClass[2], hide), Households2G: cnt(c.HouseholdsByClass[3], hide), HouseholdsNone: cnt(c.HouseholdsByClass[4], hide),
			UnconnectedHouseholds: cnt(c.UnconnectedHouseholds, hide), UnconnectedT1: cnt(c.UnconnectedStudents[1], hide),
			UnconnectedT2: cnt(c.UnconnectedStudents[2], hide), UnconnectedT3: cnt(c.UnconnectedStudents[3], hide),
			Schools: c.Schools, SchoolStudents: c.SchoolStudents, UnconnectedSchools: c.UnconnectedSchools,
			Share4GAny: c.Share4GAny, ShareFiber: c.ShareFiber, Share4G: map[string]float64{}, ServedOperators: nonNilStrings(c.ServedOperators),
			Gap: c.Gap, GapCells: c.GapCells, GapID: c.GapID, Cells: c.Cells}
		for o, sh := range c.Share4G {
			if o < len(run.Operators) {
				v.Share4G[run.Operators[o]] = sh
			}
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"run_id": run.ID, "res": res, "privacy_k": k, "cells": out, "truncated": more})
	return nil
}

func round7(x float64) float64 { return math.Round(x*1e7) / 1e7 }

// finite turns NaN/Inf into null.
func finite(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

// gapView is a ranked gap area.
type gapView struct {
	GapID                 string          `json:"gap_id"`
	Rank                  int             `json:"rank"`
	AreaCode              string          `json:"area_code"`
	Environment           string          `json:"environment"`
	Cells                 int             `json:"cells"`
	Suppressed            bool            `json:"suppressed"`
	Households            count           `json:"households"`
	StudentsT1            count           `json:"students_t1"`
	StudentsT2            count           `json:"students_t2"`
	StudentsT3            count           `json:"students_t3"`
	NoDeviceT123          count           `json:"no_device_t123"`
	Schools               int             `json:"schools"`
	SchoolStudents        int             `json:"school_students"`
	Beneficiaries         count           `json:"beneficiaries"`
	Nearest4GM            *float64        `json:"nearest_4g_m"`
	Nearest4GSite         string          `json:"nearest_4g_site,omitempty"`
	Nearest4GOperator     string          `json:"nearest_4g_operator,omitempty"`
	NearestFiberM         *float64        `json:"nearest_fiber_m"`
	WeightedBeneficiaries float64         `json:"weighted_beneficiaries"`
	Option                string          `json:"option"`
	CostVND               float64         `json:"cost_vnd"`
	Score                 float64         `json:"score"`
	Components            json.RawMessage `json:"components,omitempty"`
	Centroid              *[2]float64     `json:"centroid,omitempty"` // lon, lat
	Outline               json.RawMessage `json:"outline,omitempty"`  // GeoJSON MultiPolygon
}

// coverageGaps: GET /api/v1/coverage/runs/{run}/gaps?area=&operator=&min_beneficiaries=&sort=&order=&limit=&offset=
// ranked gap areas, filtered, sorted and paged.
func (s *Server) coverageGaps(w http.ResponseWriter, r *http.Request) error {
	id, err := runParam(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	gq := postgis.GapQuery{AreaCode: strings.TrimSpace(q.Get("area")), Sort: strings.TrimSpace(q.Get("sort"))}
	if op := strings.TrimSpace(q.Get("operator")); op != "" {
		gq.Operator = coverage.NormalizeOperator(op)
	}
	if gq.MinBeneficiaries, err = intParam(r, "min_beneficiaries", 0, 0, math.MaxInt32); err != nil {
		return err
	}
	if gq.Limit, err = intParam(r, "limit", 50, 1, 1000); err != nil {
		return err
	}
	if gq.Offset, err = intParam(r, "offset", 0, 0, math.MaxInt32); err != nil {
		return err
	}
	if gq.Sort != "" && !contains(postgis.GapSorts(), gq.Sort) {
		return fieldError("sort", gq.Sort, "use one of "+strings.Join(postgis.GapSorts(), ", "))
	}
	switch o := strings.ToLower(q.Get("order")); o {
	case "", "asc":
	case "desc":
		gq.Desc = true
	default:
		return fieldError("order", o, "use asc or desc")
	}
	run, err := s.deps.Store.CoverageRun(r.Context(), id)
	if err != nil {
		return err
	}
	gq.RunID = run.ID
	if gq.AreaCode != "" {
		ok, err := s.deps.Store.AreaExists(r.Context(), gq.AreaCode)
		if err != nil {
			return err
		}
		if !ok {
			return &data.NotFoundError{Kind: "area", ID: gq.AreaCode}
		}
	}
	rows, total, err := s.deps.Store.GapAreas(r.Context(), gq)
	if err != nil {
		return err
	}
	k, all := s.privacyK(), privileged(principal(r.Context()))
	out := make([]gapView, 0, len(rows))
	for i := range rows {
		g := &rows[i]
		hide := !all && data.SmallCount(g.Households, k)
		v := gapView{GapID: g.GapID, Rank: g.Rank, AreaCode: g.AreaCode, Environment: g.Environment, Cells: g.Cells, Suppressed: hide,
			Households: cnt(g.Households, hide), StudentsT1: cnt(g.Students[1], hide), StudentsT2: cnt(g.Students[2], hide), StudentsT3: cnt(g.Students[3], hide),
			NoDeviceT123: cnt(g.NoDeviceT123, hide), Schools: g.Schools, SchoolStudents: g.SchoolStudents, Beneficiaries: cnt(g.Beneficiaries, hide),
			Nearest4GM: finite(g.Nearest4GM), Nearest4GSite: g.Nearest4GSite, Nearest4GOperator: g.Nearest4GOp, NearestFiberM: finite(g.NearestFiberM),
			WeightedBeneficiaries: g.WeightedBeneficiaries, Option: g.Option, CostVND: g.CostVND, Score: g.Score}
		if !hide {
			v.Components = json.RawMessage(g.ComponentsJSON)
			v.Centroid = &[2]float64{round7(g.CentroidLon), round7(g.CentroidLat)}
			v.Outline = json.RawMessage(g.OutlineGeoJSON)
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"run_id": run.ID, "total": total, "limit": gq.Limit, "offset": gq.Offset, "privacy_k": k, "gaps": out})
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// planStepView is one new site of a stored plan.
type planStepView struct {
	Rank                  int      `json:"rank"`
	H3                    string   `json:"h3"`
	SectorID              string   `json:"sector_id"`
	AreaCode              string   `json:"area_code"`
	Environment           string   `json:"environment"`
	Lat                   float64  `json:"lat"`
	Lon                   float64  `json:"lon"`
	RangeM                float64  `json:"range_m"`
	CostVND               float64  `json:"cost_vnd"`
	MarginalWeighted      float64  `json:"marginal_weighted"`
	MarginalHouseholds    int      `json:"marginal_households"`
	MarginalStudentsT1    int      `json:"marginal_students_t1"`
	MarginalStudentsT2    int      `json:"marginal_students_t2"`
	MarginalStudentsT3    int      `json:"marginal_students_t3"`
	MarginalSchools       int      `json:"marginal_schools"`
	CumulativeWeighted    float64  `json:"cumulative_weighted"`
	CumulativeCostVND     float64  `json:"cumulative_cost_vnd"`
	CostPerBeneficiaryVND *float64 `json:"cost_per_beneficiary_vnd"`
	GapIDs                []string `json:"gap_ids"`
}

// coveragePlan: GET /api/v1/coverage/runs/{run}/plan: the run's build-out
// plan (404 when the run has none).
func (s *Server) coveragePlan(w http.ResponseWriter, r *http.Request) error {
	id, err := runParam(r)
	if err != nil {
		return err
	}
	run, err := s.deps.Store.CoverageRun(r.Context(), id)
	if err != nil {
		return err
	}
	if run.Plan == nil {
		return &data.NotFoundError{Kind: "plan of coverage run", ID: strconv.FormatInt(run.ID, 10)}
	}
	steps, err := s.deps.Store.PlanSteps(r.Context(), run.ID)
	if err != nil {
		return err
	}
	out := make([]planStepView, 0, len(steps))
	for _, p := range steps {
		out = append(out, planStepView{Rank: p.Rank, H3: p.Cell.String(), SectorID: p.SectorID, AreaCode: p.AreaCode, Environment: p.Environment,
			Lat: round7(p.Lat), Lon: round7(p.Lon), RangeM: p.RangeM, CostVND: p.CostVND, MarginalWeighted: p.MarginalWeighted,
			MarginalHouseholds: p.MarginalHouseholds, MarginalStudentsT1: p.MarginalStudentsT1, MarginalStudentsT2: p.MarginalStudentsT2,
			MarginalStudentsT3: p.MarginalStudentsT3, MarginalSchools: p.MarginalSchools, CumulativeWeighted: p.CumulativeWeighted,
			CumulativeCostVND: p.CumulativeCostVND, CostPerBeneficiaryVND: finite(p.CostPerBeneficiaryVND), GapIDs: nonNilStrings(p.GapIDs)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"run_id": run.ID, "plan": json.RawMessage(run.Plan), "steps": out})
	return nil
}
