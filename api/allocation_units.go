package api

// The explanation of a run's shares: how every area and school got its
// devices from the area above it (the apportionment's units). Counts only
// (seats, weights, quotas): no student, so viewers may read it too. An
// officer sees its area and below.

import (
	"net/http"

	"github.com/gapmap/gapmap/allocation"
)

// allocationUnitView is one apportioned unit with the names the page shows.
type allocationUnitView struct {
	allocation.UnitExplanation
	Name       string `json:"name,omitempty"`
	ParentName string `json:"parent_name,omitempty"`
}

// allocationUnits: GET /api/v1/allocation/runs/{id}/units: every area's
// and school's share of a run, in tree order.
func (s *Server) allocationUnits(w http.ResponseWriter, r *http.Request) error {
	id, v, err := s.allocRunView(r, "")
	if err != nil {
		return err
	}
	areaName := map[string]string{}
	for _, a := range v.Areas {
		areaName[a.Code] = a.Name
	}
	out := make([]allocationUnitView, 0, len(v.Units))
	for _, u := range v.Units {
		uv := allocationUnitView{UnitExplanation: u, ParentName: areaName[u.Parent]}
		if u.Kind == "school" {
			uv.Name = v.Schools[u.Code].Name
		} else {
			uv.Name = areaName[u.Code]
		}
		out = append(out, uv)
	}
	writeJSON(w, http.StatusOK, map[string]any{"run_id": id, "status": v.Run.Mode, "units": out})
	return nil
}
