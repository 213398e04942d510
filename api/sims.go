package api

// SIM service periods over HTTP (issue 11, item 3): the SIMs whose service
// ends soon, and renewals (top-ups). Internal: student ids; officers (in
// their area and below) and admins only. The use cases are in
// allocation/runs.

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gapmap/gapmap/allocation/report"
	"github.com/gapmap/gapmap/allocation/runs"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/go-chi/chi/v5"
)

// simsEnding: GET /api/v1/allocation/sims/ending?within_days=30&on=DATE
// &school_id=ID&format=json|csv|xlsx.
func (s *Server) simsEnding(w http.ResponseWriter, r *http.Request) error {
	days, err := intParam(r, "within_days", 30, 0, runs.MaxEndingWindow)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var on time.Time
	if v := strings.TrimSpace(q.Get("on")); v != "" {
		if on, err = time.Parse("2006-01-02", v); err != nil {
			return fieldError("on", v, "a day written YYYY-MM-DD")
		}
	}
	format := strings.TrimSpace(q.Get("format"))
	switch format {
	case "", "json", "csv", "xlsx":
	default:
		return fieldError("format", format, "json, csv or xlsx")
	}
	rows, err := s.allocRuns().SimsEnding(r.Context(), days, on, runs.Scope{AreaCode: allocScopeArea(r), SchoolID: strings.TrimSpace(q.Get("school_id"))})
	if err != nil {
		return err
	}
	if on.IsZero() {
		on = time.Now().In(time.FixedZone("ICT", 7*3600))
	}
	_ = s.deps.Store.Audit(r.Context(), actorName(r), "export", "SIMs ending", map[string]any{"within_days": days, "area": allocScopeArea(r), "rows": len(rows)}, r.RemoteAddr)
	if format == "" || format == "json" {
		if rows == nil {
			rows = []report.SimEnding{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"within_days": days, "from": on.Format("2006-01-02"),
			"to": on.AddDate(0, 0, days).Format("2006-01-02"), "sims": rows})
		return nil
	}
	var buf bytes.Buffer
	name := fmt.Sprintf("sim_het_han_%d_ngay.%s", days, format)
	title := fmt.Sprintf("SIM hết hạn trong %d ngày kể từ %s (nội bộ: có mã học sinh)", days, on.Format("02/01/2006"))
	if err := report.WriteSimsEnding(&buf, name, rows, title); err != nil {
		return err
	}
	ctype := "text/csv; charset=utf-8"
	if format == "xlsx" {
		ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, name))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(buf.Bytes())
	return err
}

// renewalRequest is the body of a renewal.
type renewalRequest struct {
	PackageID string `json:"package_id"`
	Date      string `json:"date,omitempty"` // YYYY-MM-DD, default today
}

// simPeriodView is one service period of a student's SIM.
type simPeriodView struct {
	Kind        string `json:"kind"`
	PackageID   string `json:"package_id"`
	Operator    string `json:"operator"`
	Network     string `json:"network"`
	Months      int    `json:"months"`
	ActivatedOn string `json:"activated_on"`
	StartsOn    string `json:"starts_on"`
	EndsOn      string `json:"ends_on"`
}

func periodView(p postgis.SimPeriod) simPeriodView {
	d := func(t time.Time) string { return t.Format("2006-01-02") }
	return simPeriodView{Kind: p.Kind, PackageID: p.PackageID, Operator: p.Operator, Network: p.Network, Months: p.Months,
		ActivatedOn: d(p.ActivatedOn), StartsOn: d(p.StartsOn), EndsOn: d(p.EndsOn)}
}

// renewSim: POST /api/v1/allocation/students/{student_id}/renew
// {package_id, date}: one SIM of the package, the service extended.
func (s *Server) renewSim(w http.ResponseWriter, r *http.Request) error {
	var q renewalRequest
	if err := decodeJSON(w, r, &q); err != nil {
		return err
	}
	var on time.Time
	if v := strings.TrimSpace(q.Date); v != "" {
		var err error
		if on, err = time.Parse("2006-01-02", v); err != nil {
			return fieldError("date", v, "a day written YYYY-MM-DD")
		}
	}
	scope, err := s.allocScope(r)
	if err != nil {
		return err
	}
	student := chi.URLParam(r, "student_id")
	out, err := s.allocRuns().Renew(r.Context(), actorName(r), runs.Renewal{StudentID: student, PackageID: q.PackageID, On: on, AreaCodes: scope})
	if err != nil {
		return err
	}
	_ = s.deps.Store.Audit(r.Context(), actorName(r), "sim_renewal", "student "+student,
		map[string]any{"package_id": q.PackageID, "date": q.Date, "ends_on": out.Period.EndsOn.Format("2006-01-02")}, r.RemoteAddr)
	periods := make([]simPeriodView, len(out.Periods))
	for i, p := range out.Periods {
		periods[i] = periodView(p)
	}
	writeJSON(w, http.StatusOK, map[string]any{"student_id": student, "renewal": periodView(out.Period), "periods": periods})
	return nil
}
