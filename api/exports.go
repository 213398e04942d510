package api

// Exports for operators: the uncovered points of a coverage run as CSV,
// XLSX, GeoJSON or KML, streamed; the same code as gapmap export uncovered
// (coveragerun.PrepareExport). An operator exports for its own operator
// only, or the "no network" view.

import (
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/gapmap/gapmap/coverage"
	"github.com/gapmap/gapmap/coveragerun"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/export"
)

// exportUncovered: GET /api/v1/exports/uncovered?format=csv|xlsx|geojson|kml
// &view=operator|no_network&operator=OP&area=CODE&run=ID&k=N. Every exported
// cell holds at least k households (k: the server's PrivacyK; a request may
// ask for more, never less).
func (s *Server) exportUncovered(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	eq := coveragerun.ExportQuery{
		View: strings.TrimSpace(q.Get("view")), Operator: strings.TrimSpace(q.Get("operator")),
		AreaCode: strings.TrimSpace(q.Get("area")), Format: strings.TrimSpace(q.Get("format")),
	}
	if v := strings.TrimSpace(q.Get("run")); v != "" && v != "latest" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return fieldError("run", v, "a coverage run id (or latest)")
		}
		eq.RunID = id
	}
	k, err := intParam(r, "k", s.privacyK(), s.privacyK(), math.MaxInt32)
	if err != nil {
		return err
	}
	eq.K = k
	u := principal(r.Context())
	if u.Role == data.RoleOperator {
		own := coverage.NormalizeOperator(u.Operator)
		op := coverage.NormalizeOperator(eq.Operator)
		switch {
		case strings.EqualFold(eq.View, export.ViewNoNetwork):
		case op == "":
			eq.Operator = own // an operator's default: its own network
		case op != own:
			return errForbidden("an operator account exports for its own operator (" + own + ") or the no_network view only")
		}
	}
	x, err := coveragerun.PrepareExport(r.Context(), s.deps.Store, eq)
	if err != nil {
		return err
	}
	_ = s.deps.Store.Audit(r.Context(), actorName(r), "export_uncovered", "coverage run "+strconv.FormatInt(x.Stats.RunID, 10), x.Stats, r.RemoteAddr)
	w.Header().Set("Content-Type", x.ContentType())
	w.Header().Set("Content-Disposition", `attachment; filename="`+x.FileName()+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	return x.WriteTo(r.Context(), w)
}
