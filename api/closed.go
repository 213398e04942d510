package api

// The gaps an operator's network closed between two coverage runs:
// aggregated cells only, with the privacy rule of data.SmallCount (the
// person counts of a small cell are withheld, and left out of the totals,
// for every role but admin and planner).

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/gapmap/gapmap/coverage"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
)

// closedCellView is a cell closed between two runs.
type closedCellView struct {
	H3                string  `json:"h3"`
	Res               int     `json:"res"`
	AreaCode          string  `json:"area_code"`
	Lat               float64 `json:"lat"`
	Lon               float64 `json:"lon"`
	Suppressed        bool    `json:"suppressed"`
	Households        count   `json:"households"`
	StudentsT1        count   `json:"students_t1"`
	StudentsT2        count   `json:"students_t2"`
	StudentsT3        count   `json:"students_t3"`
	UnconnectedBefore count   `json:"unconnected_students_before"`
	UnconnectedAfter  count   `json:"unconnected_students_after"`
	Schools           int     `json:"schools"`
	SchoolStudents    int     `json:"school_students"`
	WasGap            bool    `json:"was_gap"`
	IsGap             bool    `json:"is_gap"`
	GapIDBefore       string  `json:"gap_id_before,omitempty"`
}

// closedTotals sums the closed cells; person counts over the cells shown
// (not suppressed) only.
type closedTotals struct {
	Cells             int `json:"cells"`
	GapCells          int `json:"gap_cells"`
	SuppressedCells   int `json:"suppressed_cells"`
	Households        int `json:"households"`
	StudentsT1        int `json:"students_t1"`
	StudentsT2        int `json:"students_t2"`
	StudentsT3        int `json:"students_t3"`
	UnconnectedBefore int `json:"unconnected_students_before"`
	UnconnectedAfter  int `json:"unconnected_students_after"`
	Schools           int `json:"schools"`
	SchoolStudents    int `json:"school_students"`
}

// coverageClosed: GET /api/v1/coverage/runs/{run}/closed?since=PREV&operator=OP&res=5..9&area=CODE&limit=
// the cells that were uncovered in run PREV (default: the newest run
// before {run} that is not a what-if) and are served in {run}: with an
// operator, cells with demand it did not serve with 4G and now serves;
// without, gap cells that are no longer gaps. An operator account sees
// its own operator only (the default).
func (s *Server) coverageClosed(w http.ResponseWriter, r *http.Request) error {
	id, err := runParam(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if err := textParams(map[string]string{"operator": q.Get("operator"), "area": q.Get("area")}); err != nil {
		return err
	}
	op := coverage.NormalizeOperator(strings.TrimSpace(q.Get("operator")))
	u := principal(r.Context())
	if u.Role == data.RoleOperator {
		own := coverage.NormalizeOperator(u.Operator)
		if op != "" && op != own {
			return errForbidden("an operator account sees the gaps its own network closed (" + own + ")")
		}
		op = own
	}
	limit, err := intParam(r, "limit", 1000, 1, 50000)
	if err != nil {
		return err
	}
	run, err := s.deps.Store.CoverageRun(r.Context(), id)
	if err != nil {
		return err
	}
	res := 9
	var params struct {
		Resolution *int `json:"resolution"`
	}
	if json.Unmarshal(run.Parameters, &params) == nil && params.Resolution != nil {
		res = *params.Resolution
	}
	if res, err = intParam(r, "res", res, 0, 15); err != nil {
		return err
	}
	var since int64
	if v := strings.TrimSpace(q.Get("since")); v != "" {
		since, err = strconv.ParseInt(v, 10, 64)
		if err != nil || since <= 0 || since >= run.ID {
			return fieldError("since", v, "the id of a coverage run older than "+strconv.FormatInt(run.ID, 10))
		}
		if _, err := s.deps.Store.CoverageRun(r.Context(), since); err != nil {
			return err
		}
	} else if since, err = s.deps.Store.PreviousCoverageRun(r.Context(), run.ID); err != nil {
		return err
	}
	area := strings.TrimSpace(q.Get("area"))
	if area != "" {
		ok, err := s.deps.Store.AreaExists(r.Context(), area)
		if err != nil {
			return err
		}
		if !ok {
			return &data.NotFoundError{Kind: "area", ID: area}
		}
	}
	rows, err := s.deps.Store.ClosedCells(r.Context(), postgis.ClosedQuery{RunID: run.ID, SinceID: since, Res: res, Operator: op, AreaCode: area})
	if err != nil {
		return err
	}
	k, all := s.privacyK(), privileged(u)
	var tot closedTotals
	out := make([]closedCellView, 0, min(len(rows), limit))
	for i := range rows {
		c := &rows[i]
		hide := !all && data.SmallCount(c.Households, k)
		tot.Cells++
		tot.Schools += c.Schools
		tot.SchoolStudents += c.SchoolStudents
		if c.WasGap {
			tot.GapCells++
		}
		if hide {
			tot.SuppressedCells++
		} else {
			tot.Households += c.Households
			tot.StudentsT1 += c.Students[1]
			tot.StudentsT2 += c.Students[2]
			tot.StudentsT3 += c.Students[3]
			tot.UnconnectedBefore += c.UnconnectedBefore
			tot.UnconnectedAfter += c.UnconnectedAfter
		}
		if len(out) < limit {
			out = append(out, closedCellView{H3: c.Cell.String(), Res: c.Res, AreaCode: c.AreaCode, Lat: round7(c.Lat), Lon: round7(c.Lon),
				Suppressed: hide, Households: cnt(c.Households, hide), StudentsT1: cnt(c.Students[1], hide), StudentsT2: cnt(c.Students[2], hide),
				StudentsT3: cnt(c.Students[3], hide), UnconnectedBefore: cnt(c.UnconnectedBefore, hide), UnconnectedAfter: cnt(c.UnconnectedAfter, hide),
				Schools: c.Schools, SchoolStudents: c.SchoolStudents, WasGap: c.WasGap, IsGap: c.IsGap, GapIDBefore: c.GapIDBefore})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"run_id": run.ID, "since_run_id": since, "operator": op, "res": res, "privacy_k": k,
		"totals": tot, "cells": out, "truncated": len(rows) > limit, "limit": limit})
	return nil
}
