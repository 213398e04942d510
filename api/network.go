package api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/go-chi/chi/v5"
)

// networkFilter reads operator, area, bbox, limit and offset. An operator
// user sees only its own operator's network.
func networkFilter(r *http.Request) (postgis.NetworkFilter, error) {
	q := r.URL.Query()
	var f postgis.NetworkFilter
	var err error
	if f.Limit, f.Offset, err = pageParams(r); err != nil {
		return f, err
	}
	if op := strings.TrimSpace(q.Get("operator")); op != "" {
		f.Operators = data.OperatorAliases(op)
	}
	if u := principal(r.Context()); u != nil && u.Role == data.RoleOperator {
		if op := q.Get("operator"); op != "" && !data.SameOperator(u.Operator, op) {
			return f, errForbidden("an operator account sees only its own network (" + u.Operator + ")")
		}
		f.Operators = data.OperatorAliases(u.Operator)
	}
	if err := textParams(map[string]string{"operator": q.Get("operator"), "area": q.Get("area")}); err != nil {
		return f, err
	}
	f.AreaCode = q.Get("area")
	if v := q.Get("bbox"); v != "" {
		parts := strings.Split(v, ",")
		var b [4]float64
		ok := len(parts) == 4
		for i := 0; ok && i < 4; i++ {
			b[i], err = strconv.ParseFloat(strings.TrimSpace(parts[i]), 64)
			ok = err == nil
		}
		if !ok || !allFinite(b[:]...) || b[0] >= b[2] || b[1] >= b[3] {
			return f, errBadRequest("bbox must be minLon,minLat,maxLon,maxLat (e.g. 105.9,21.1,106.6,21.6)", err)
		}
		f.BBox = &b
	}
	return f, nil
}

// sectorView is a sector as the API shows it.
type sectorView struct {
	SectorID       string   `json:"sector_id"`
	SiteID         string   `json:"site_id"`
	Operator       string   `json:"operator"`
	Technology     string   `json:"technology"`
	BandMHz        int      `json:"band_mhz"`
	Lat            float64  `json:"lat"`
	Lon            float64  `json:"lon"`
	AntennaHeightM float64  `json:"antenna_height_m"`
	AzimuthDeg     *float64 `json:"azimuth_deg"` // null: omni
	BeamwidthDeg   float64  `json:"beamwidth_deg"`
	RangeM         float64  `json:"range_m,omitempty"`
	Status         string   `json:"status"`
}

// listSites: GET /api/v1/sites?operator=&area=&bbox=&limit=&offset=.
func (s *Server) listSites(w http.ResponseWriter, r *http.Request) error {
	f, err := networkFilter(r)
	if err != nil {
		return err
	}
	page, err := s.deps.Store.ListSectors(r.Context(), f)
	if err != nil {
		return err
	}
	items := make([]sectorView, len(page.Items))
	for i, x := range page.Items {
		items[i] = sectorView{x.ID, x.SiteID, x.Operator, x.Technology, x.BandMHz, x.Lat, x.Lon, x.AntennaHeightM, x.AzimuthDeg, x.BeamwidthDeg, x.RangeM, x.Status}
	}
	writeJSON(w, http.StatusOK, postgis.Page[sectorView]{Items: items, Total: page.Total, Limit: page.Limit, Offset: page.Offset})
	return nil
}

type fiberNodeView struct {
	NodeID   string  `json:"node_id"`
	Operator string  `json:"operator"`
	Kind     string  `json:"kind"`
	Lat      float64 `json:"lat"`
	Lon      float64 `json:"lon"`
}

// listFiberNodes: GET /api/v1/fiber/nodes (filters as listSites).
func (s *Server) listFiberNodes(w http.ResponseWriter, r *http.Request) error {
	f, err := networkFilter(r)
	if err != nil {
		return err
	}
	page, err := s.deps.Store.ListFiberNodes(r.Context(), f)
	if err != nil {
		return err
	}
	items := make([]fiberNodeView, len(page.Items))
	for i, x := range page.Items {
		items[i] = fiberNodeView{x.ID, x.Operator, x.Kind, x.Lat, x.Lon}
	}
	writeJSON(w, http.StatusOK, postgis.Page[fiberNodeView]{Items: items, Total: page.Total, Limit: page.Limit, Offset: page.Offset})
	return nil
}

type fiberRouteView struct {
	RouteID  string       `json:"route_id"`
	Operator string       `json:"operator"`
	Line     [][2]float64 `json:"line"` // [lon, lat] pairs
}

// listFiberRoutes: GET /api/v1/fiber/routes (filters as listSites).
func (s *Server) listFiberRoutes(w http.ResponseWriter, r *http.Request) error {
	f, err := networkFilter(r)
	if err != nil {
		return err
	}
	page, err := s.deps.Store.ListFiberRoutes(r.Context(), f)
	if err != nil {
		return err
	}
	items := make([]fiberRouteView, len(page.Items))
	for i, x := range page.Items {
		line := make([][2]float64, len(x.Line))
		for k, p := range x.Line {
			line[k] = [2]float64(p)
		}
		items[i] = fiberRouteView{x.ID, x.Operator, line}
	}
	writeJSON(w, http.StatusOK, postgis.Page[fiberRouteView]{Items: items, Total: page.Total, Limit: page.Limit, Offset: page.Offset})
	return nil
}

// deleteNetwork returns the handler of DELETE /api/v1/{kind}/{id}: an
// operator deletes only its own rows (403 otherwise); planner and admin
// any. Audited.
func (s *Server) deleteNetwork(kind string) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		u := principal(r.Context())
		var ops []string
		if u.Role == data.RoleOperator {
			ops = data.OperatorAliases(u.Operator)
		}
		id, err := url.PathUnescape(chi.URLParam(r, "id"))
		if err != nil {
			return errBadRequest("the id in the path is not valid", err)
		}
		if err := textParams(map[string]string{"the id in the path": id}); err != nil {
			return err
		}
		if err := s.deps.Store.DeleteNetworkRow(r.Context(), kind, id, ops); err != nil {
			return err
		}
		if err := s.deps.Store.Audit(r.Context(), u.Name, "delete", kind+"/"+id, map[string]any{"kind": kind, "id": id}, r.RemoteAddr); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}
