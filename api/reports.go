package api

// The reports owed upward (package reports): counts only, as JSON, CSV or
// XLSX. Planner, officer, viewer and admin read every report; an operator
// reads the connectivity report only (points without mobile Internet per
// area and operator: no personal data, and the operators' own business).

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gapmap/gapmap/reports"
)

// report: GET /api/v1/reports/{kind}?format=json|csv|xlsx&from=&to=&period=
// &area=&level=&levels=&monthly_target=&run=&baseline=&as_of=&target_date=
// &preview_run=
func (s *Server) report(kind string) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		params := map[string]string{}
		for _, p := range []string{"format", "from", "to", "period", "area", "level", "as_of", "target_date", "baseline"} {
			params[p] = strings.TrimSpace(q.Get(p))
		}
		if err := textParams(params); err != nil {
			return err
		}
		format := strings.ToLower(params["format"])
		switch format {
		case "":
			format = reports.FormatJSON
		case reports.FormatJSON, reports.FormatCSV, reports.FormatXLSX:
		default:
			return fieldError("format", params["format"], "json, csv or xlsx")
		}
		o := reports.Options{Period: params["period"], Area: params["area"], Level: params["level"], Baseline: -1}
		var err error
		for _, d := range []struct {
			name string
			dst  *time.Time
		}{{"from", &o.From}, {"to", &o.To}, {"as_of", &o.AsOf}, {"target_date", &o.TargetDate}} {
			if *d.dst, err = reports.ParseDay(d.name, params[d.name]); err != nil {
				return err
			}
		}
		if o.Levels, err = intParam(r, "levels", 0, 0, 100); err != nil {
			return err
		}
		if o.MonthlyTarget, err = intParam(r, "monthly_target", 0, 0, 1_000_000); err != nil {
			return err
		}
		if v := strings.TrimSpace(q.Get("run")); v != "" && v != "latest" {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id <= 0 {
				return fieldError("run", v, "a coverage run id (or latest)")
			}
			o.Run = id
		}
		if v := strings.TrimSpace(q.Get("preview_run")); v != "" && kind == reports.KindProgress {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id <= 0 {
				return fieldError("preview_run", v, "the id of a preview allocation run")
			}
			o.PreviewRun = id
		}
		switch v := params["baseline"]; v {
		case "", "previous":
		case "none":
			o.Baseline = 0
		default:
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id <= 0 {
				return fieldError("baseline", v, "a coverage run id, previous (the default) or none")
			}
			o.Baseline = id
		}
		o.DefaultDays(kind, time.Now())
		svc := &reports.Service{Store: s.deps.Store, Version: s.deps.Version}
		rep, err := svc.Make(r.Context(), kind, o)
		if err != nil {
			return err
		}
		var b bytes.Buffer
		if err := reports.Write(&b, rep, format); err != nil {
			return err
		}
		w.Header().Set("Content-Type", reports.ContentType(format))
		if format != reports.FormatJSON {
			w.Header().Set("Content-Disposition", `attachment; filename="`+reportFileName(rep.Meta(), format)+`"`)
		}
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusOK)
		_, err = w.Write(b.Bytes())
		return err
	}
}

// reportFileName names a report's file by its kind, area and days, e.g.
// progress_24_2026-01-01_2026-09-30.xlsx (codes and days only: safe in a
// header).
func reportFileName(s reports.Source, format string) string {
	parts := []string{s.Report}
	for _, p := range []string{s.Area, s.From, s.To} {
		if p != "" && s.Report != reports.KindConnectivity {
			parts = append(parts, p)
		}
	}
	if s.Report == reports.KindConnectivity {
		if s.Area != "" {
			parts = append(parts, s.Area)
		}
		parts = append(parts, s.AsOf)
	}
	name := strings.Join(parts, "_")
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '-'
	}, name)
	return safe + "." + format
}
