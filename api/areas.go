package api

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gapmap/gapmap/data/postgis"
	"github.com/go-chi/chi/v5"
)

// listAreas: GET /api/v1/areas: the area tree (codes, names, levels,
// parents; no boundaries).
func (s *Server) listAreas(w http.ResponseWriter, r *http.Request) error {
	day, err := dateParam(r)
	if err != nil {
		return err
	}
	areas, err := s.deps.Store.AreaTree(r.Context(), day)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"areas": areas})
	return nil
}

// areaSuccessors: GET /api/v1/areas/successors: the successor table of
// area codes (mergers, splits, renames with household shares).
func (s *Server) areaSuccessors(w http.ResponseWriter, r *http.Request) error {
	rows, err := s.deps.Store.AreaSuccessorRows(r.Context())
	if err != nil {
		return err
	}
	type row struct {
		OldCode   string  `json:"old_code"`
		NewCode   string  `json:"new_code"`
		Effective string  `json:"effective"`
		Share     float64 `json:"share"`
	}
	out := make([]row, 0, len(rows))
	for _, x := range rows {
		out = append(out, row{x.OldCode, x.NewCode, x.Effective.Format(time.DateOnly), x.Share})
	}
	writeJSON(w, http.StatusOK, map[string]any{"successors": out})
	return nil
}

// dateParam reads the optional query parameter date (YYYY-MM-DD): the
// areas valid that day; zero when absent (today in Vietnam).
func dateParam(r *http.Request) (time.Time, error) {
	v := r.URL.Query().Get("date")
	if v == "" {
		return time.Time{}, nil
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return d, errBadRequest("date must be a day written YYYY-MM-DD (e.g. 2025-07-01)", err)
	}
	return d, nil
}

// areasGeoJSON: GET /api/v1/areas/geojson?parent=&level=&code=&simplify=:
// boundaries as a GeoJSON FeatureCollection; simplify is a tolerance in
// degrees (e.g. 0.001 ≈ 100 m), at most 0.1.
func (s *Server) areasGeoJSON(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	o := postgis.AreasGeoJSONOptions{Parent: q.Get("parent"), Level: q.Get("level"), Code: q.Get("code")}
	if err := textParams(map[string]string{"parent": o.Parent, "level": o.Level, "code": o.Code}); err != nil {
		return err
	}
	day, err := dateParam(r)
	if err != nil {
		return err
	}
	o.Date = day
	if v := q.Get("simplify"); v != "" {
		t, err := strconv.ParseFloat(v, 64)
		if err != nil || !(t >= 0 && t <= 0.1) { // also rejects NaN
			return errBadRequest("simplify must be a tolerance in degrees from 0 to 0.1 (e.g. 0.001)", err)
		}
		o.Tolerance = t
	}
	fc, err := s.deps.Store.AreasGeoJSON(r.Context(), o)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/geo+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(fc)
	return err
}

// areaSummary: GET /api/v1/areas/{code}/summary?run=ID: students by tier,
// homes by connectivity class, coverage %, schools without Internet, from
// the latest coverage run or the given one. Aggregates only.
func (s *Server) areaSummary(w http.ResponseWriter, r *http.Request) error {
	if err := textParams(map[string]string{"the area code": chi.URLParam(r, "code")}); err != nil {
		return err
	}
	var run int64
	if v := r.URL.Query().Get("run"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return errBadRequest("run must be a coverage run id (a positive integer)", err)
		}
		run = id
	}
	sum, err := s.deps.Store.AreaSummaryOf(r.Context(), chi.URLParam(r, "code"), run)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sum)
	return nil
}

// listSchools: GET /api/v1/schools?area=&run=&limit=&offset=: school
// points with their connectivity in a coverage run (school points are
// public).
func (s *Server) listSchools(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, offset, err := pageParams(r)
	if err != nil {
		return err
	}
	var run int64
	if v := q.Get("run"); v != "" {
		if run, err = strconv.ParseInt(v, 10, 64); err != nil || run <= 0 {
			return errBadRequest("run must be a coverage run id (a positive integer)", err)
		}
	}
	if err := textParams(map[string]string{"area": q.Get("area")}); err != nil {
		return err
	}
	page, err := s.deps.Store.ListSchools(r.Context(), q.Get("area"), run, limit, offset)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// pageParams reads limit (1–1000, default 100) and offset (≥ 0).
func pageParams(r *http.Request) (int, int, error) {
	q := r.URL.Query()
	limit, offset := 100, 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return 0, 0, errBadRequest("limit must be a whole number from 1 to 1000", err)
		}
		limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, errBadRequest("offset must be a whole number, 0 or more", err)
		}
		offset = n
	}
	return limit, offset, nil
}

// textParams answers 400 when a parameter (name → value) is not UTF-8
// text or holds a NUL byte: PostgreSQL text cannot hold either, and such
// a value would otherwise fail in the database as a 500.
func textParams(params map[string]string) error {
	for name, v := range params {
		if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			return errBadRequest(name+" must be UTF-8 text without NUL bytes", nil)
		}
	}
	return nil
}

// allFinite reports whether every value is a finite number (not NaN or ±Inf).
func allFinite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}
