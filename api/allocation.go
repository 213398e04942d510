package api

// Allocation over HTTP: inventory upload with the intake check, previews as
// background jobs, commits, a run's results per area and per school, the
// handover list of a school (XLSX) and handover updates. The use cases are
// in allocation/runs (the CLI calls the same code); the outputs are written
// by allocation/report.
//
// Who may do what: operators never reach these routes (403). Planners,
// officers and admins read everything they may see; an officer sees only
// schools and students in its area and below (any other is 404, as if it
// did not exist). Viewers see aggregates only: runs, per-area and per-school
// counts, never a student. Only officers and admins upload inventory,
// commit and record handovers; planners may also preview.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gapmap/gapmap/allocation"
	"github.com/gapmap/gapmap/allocation/report"
	"github.com/gapmap/gapmap/allocation/runs"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/go-chi/chi/v5"
)

// jobKindAllocationPreview is the background job kind of a preview.
const jobKindAllocationPreview = "allocation_preview"

func (s *Server) allocRuns() *runs.Service { return &runs.Service{Store: s.deps.Store} }

// allocScope is the area codes a request may see students in: nil for
// everything (admin, planner, viewer), an officer's area and every area
// below it otherwise (empty when its area no longer exists).
func (s *Server) allocScope(r *http.Request) ([]string, error) {
	u := principal(r.Context())
	if u == nil || u.Role != data.RoleOfficer {
		return nil, nil
	}
	codes, err := s.deps.Store.AreaSubtree(r.Context(), u.AreaCode)
	if errors.Is(err, data.ErrNotFound) {
		return []string{}, nil
	}
	return codes, err
}

// allocScopeArea is the officer's area ("" for everyone else).
func allocScopeArea(r *http.Request) string {
	if u := principal(r.Context()); u != nil && u.Role == data.RoleOfficer {
		return u.AreaCode
	}
	return ""
}

// allocRunView reads the run of the {id} path parameter as the request may
// see it (schoolID: one school only, "" for all).
func (s *Server) allocRunView(r *http.Request, schoolID string) (int64, *report.View, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return 0, nil, err
	}
	v, err := s.allocView(r, id, schoolID)
	return id, v, err
}

// allocView reads run id as the request may see it.
func (s *Server) allocView(r *http.Request, id int64, schoolID string) (*report.View, error) {
	sc := runs.Scope{AreaCode: allocScopeArea(r), SchoolID: schoolID}
	v, err := s.allocRuns().View(r.Context(), id, sc)
	if errors.Is(err, data.ErrNotFound) && sc.AreaCode != "" {
		var nf *data.NotFoundError
		if errors.As(err, &nf) && nf.Kind == "area" {
			// The officer's area is gone: it sees nothing.
			return nil, &data.NotFoundError{Kind: "allocation run", ID: strconv.FormatInt(id, 10)}
		}
	}
	return v, err
}

// ---- inventory ----

// uploadInventory: POST /api/v1/allocation/inventory, multipart/form-data
// with a file field "devices" and/or "sim_packages" (CSV, XLSX or .csv.gz,
// Vietnamese headers accepted). All files are imported in one transaction
// (nothing is written on any error: 422 lists every row problem); the
// answer has the intake check of every device (ok / repair / inspect /
// liquidate with reason codes; inspect: a required condition is not stated,
// reasons unknown_<column>) and SIM package.
func (s *Server) uploadInventory(w http.ResponseWriter, r *http.Request) error {
	parts, err := s.readUploads(w, r, format.KindDevices, format.KindSimPackages)
	if err != nil {
		return err
	}
	var files []runs.InventoryFile
	for _, p := range parts {
		files = append(files, runs.InventoryFile{Kind: p.Field, Name: p.Name, Body: p.Body})
	}
	if len(files) == 0 {
		return errBadRequest("no file: send a devices and/or a sim_packages file field", nil)
	}
	inv, err := s.allocRuns().ImportInventory(r.Context(), files, allocation.DefaultSettings())
	detail := map[string]any{}
	for _, f := range files {
		detail[f.Kind] = f.Name
	}
	if err != nil {
		detail["error"] = classify(err).code
		_ = s.deps.Store.Audit(r.Context(), actorName(r), "import_failed", "allocation inventory", detail, r.RemoteAddr)
		return err
	}
	detail["devices"], detail["sim_packages"] = len(inv.Devices), len(inv.SimPackages)
	_ = s.deps.Store.Audit(r.Context(), actorName(r), "import", "allocation inventory", detail, r.RemoteAddr)
	writeJSON(w, http.StatusOK, inv)
	return nil
}

// ---- previews and commits ----

// allocationRequest is the body of a preview or a commit.
type allocationRequest struct {
	// Settings: fields of allocation.Settings (snake_case); missing ones
	// keep their defaults.
	Settings json.RawMessage `json:"settings,omitempty"`
	// Date YYYY-MM-DD: areas valid on that day are used (default today).
	Date string `json:"date,omitempty"`
	// PreviewRunID (commit only): commit with the settings and date of
	// this preview run.
	PreviewRunID int64 `json:"preview_run_id,omitempty"`
	// TierOrder: strict or fair; replaces settings.tier_order when given.
	TierOrder string `json:"tier_order,omitempty"`
}

func (q allocationRequest) options(r *http.Request) (runs.Options, error) {
	o := runs.Options{Settings: allocation.DefaultSettings(), Actor: actorName(r), Date: time.Now()}
	ve := &data.ValidationError{}
	if len(q.Settings) > 0 && string(q.Settings) != "null" {
		dec := json.NewDecoder(bytes.NewReader(q.Settings))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&o.Settings); err != nil {
			ve.Add(data.FieldError{File: "request", Column: "settings", Reason: "not valid allocation settings: " + err.Error()})
		}
	}
	if o.Settings.Policy != allocation.PolicyReadyFirst && o.Settings.Policy != allocation.PolicyNeedFirst {
		ve.Add(data.FieldError{File: "request", Column: "settings.policy", Value: o.Settings.Policy,
			Reason: fmt.Sprintf("use %s or %s", allocation.PolicyReadyFirst, allocation.PolicyNeedFirst)})
	}
	column := "settings.tier_order"
	if q.TierOrder != "" {
		o.Settings.TierOrder, column = q.TierOrder, "tier_order"
	}
	if o.Settings.TierOrder != allocation.TierOrderStrict && o.Settings.TierOrder != allocation.TierOrderFair {
		ve.Add(data.FieldError{File: "request", Column: column, Value: o.Settings.TierOrder,
			Reason: fmt.Sprintf("use %s (tier 1 everywhere first; the default) or %s (area-fair shares)", allocation.TierOrderStrict, allocation.TierOrderFair)})
	}
	var se *data.ValidationError
	if err := runs.CheckSettings(o.Settings); errors.As(err, &se) {
		for _, fe := range se.Errors {
			if strings.HasPrefix(fe.Column, "area_weights") {
				fe.File, fe.Column = "request", "settings."+fe.Column
				ve.Add(fe)
			}
		}
	}
	if q.Date != "" {
		d, err := time.Parse("2006-01-02", q.Date)
		if err != nil {
			ve.Add(data.FieldError{File: "request", Column: "date", Value: q.Date, Reason: "write the date as YYYY-MM-DD"})
		}
		o.Date = d
	}
	return o, ve.Err()
}

// allocationOutcome is what a preview job or a commit answers.
type allocationOutcome struct {
	RunID        int64        `json:"run_id"`
	Status       string       `json:"status"`
	Summary      runs.Summary `json:"summary"`
	Allocated    int          `json:"allocated"`
	Sims         int          `json:"sims"`
	Needs        int          `json:"needs"`
	UnknownHomes int          `json:"unknown_homes"`
}

func outcomeOf(o *runs.Outcome) allocationOutcome {
	v := o.View
	return allocationOutcome{RunID: o.Run.ID, Status: o.Run.Status, Allocated: len(v.Allocations), Sims: v.SimsGiven(),
		Needs: o.Needs, UnknownHomes: o.UnknownHomes,
		Summary: runs.Summary{Totals: v.Totals, Unserved: len(v.Unserved), RejectedDevices: len(v.RejectedDevices),
			UnusedDevices: v.UnusedDevices, Conflicts: len(v.Conflicts), AlreadyServed: v.AlreadyServed, AlreadyAllocated: v.AlreadyAllocated}}
}

// allocationError makes the store's typed errors the client's.
func allocationError(err error) error {
	var nc *postgis.NoCoverageError
	if errors.As(err, &nc) {
		return &data.ConflictError{Reason: "there is no coverage result to allocate with: run a coverage analysis first"}
	}
	var ce *postgis.ConflictError
	if errors.As(err, &ce) {
		return &data.ConflictError{Reason: fmt.Sprintf("another allocation run committed first; nothing of this run was written (failed run %d): commit again to serve what is left", ce.FailedRun)}
	}
	var ie *allocation.InputError
	if errors.As(err, &ie) {
		ve := &data.ValidationError{}
		for _, p := range ie.Problems {
			ve.Add(data.FieldError{File: "allocation input", Reason: p})
		}
		return ve
	}
	return err
}

// startPreview: POST /api/v1/allocation/previews {settings, date}: a
// background job (kind allocation_preview; 202 with the job, 409 when one
// is running). The job's result has the preview run's id and totals; its
// results are then read like any run's.
func (s *Server) startPreview(w http.ResponseWriter, r *http.Request) error {
	var q allocationRequest
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &q); err != nil {
			return err
		}
	}
	if q.PreviewRunID != 0 {
		return errBadRequest("preview_run_id is for commits", nil)
	}
	o, err := q.options(r)
	if err != nil {
		return err
	}
	svc := s.allocRuns()
	job, err := s.jobs.start(r.Context(), jobKindAllocationPreview, actorName(r), q, func(ctx context.Context, progress progressFunc) (any, error) {
		out, err := svc.Preview(ctx, o, runs.Progress(progress))
		if err != nil {
			return nil, allocationError(err)
		}
		return outcomeOf(out), nil
	})
	if err != nil {
		return err
	}
	_ = s.deps.Store.Audit(r.Context(), actorName(r), "allocation_preview", "job "+strconv.FormatInt(job.ID, 10),
		map[string]any{"policy": o.Settings.Policy, "tier_order": o.Settings.TierOrder, "date": o.Date.Format("2006-01-02")}, r.RemoteAddr)
	writeJSON(w, http.StatusAccepted, viewJob(job))
	return nil
}

// commitAllocation: POST /api/v1/allocation/commits {preview_run_id} or
// {settings, date}: allocates in one transaction (201 with the run). When
// another commit got there first nothing is written (409): commit again.
func (s *Server) commitAllocation(w http.ResponseWriter, r *http.Request) error {
	// A commit allocates across the whole area tree: an officer below the
	// top of the tree (a district, a commune, a school) previews and hands
	// over, but the province's officer commits.
	if u := principal(r.Context()); u != nil && u.Role == data.RoleOfficer {
		root, err := s.deps.Store.IsRootArea(r.Context(), u.AreaCode)
		if err != nil && !errors.Is(err, data.ErrNotFound) {
			return err
		}
		if !root {
			return errForbidden("a commit allocates across the whole province: only an officer of the province (the top area) or an admin may commit; previews and handovers stay open to you")
		}
	}
	var q allocationRequest
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &q); err != nil {
			return err
		}
	}
	svc := s.allocRuns()
	var (
		out *runs.Outcome
		err error
	)
	detail := map[string]any{}
	if q.PreviewRunID < 0 {
		// Not a run: without this check it would commit with the default
		// settings.
		return &data.ValidationError{Errors: []data.FieldError{{File: "request", Column: "preview_run_id",
			Value: strconv.FormatInt(q.PreviewRunID, 10), Reason: "a preview run id is a positive integer"}}}
	}
	if q.PreviewRunID > 0 {
		if len(q.Settings) > 0 || q.Date != "" || q.TierOrder != "" {
			return errBadRequest("give preview_run_id or settings and date, not both", nil)
		}
		detail["preview_run_id"] = q.PreviewRunID
		out, err = svc.CommitPreview(r.Context(), q.PreviewRunID, actorName(r), nil)
	} else {
		o, verr := q.options(r)
		if verr != nil {
			return verr
		}
		detail["policy"], detail["tier_order"], detail["date"] = o.Settings.Policy, o.Settings.TierOrder, o.Date.Format("2006-01-02")
		out, err = svc.Commit(r.Context(), o, nil)
	}
	if err != nil {
		detail["error"] = err.Error()
		_ = s.deps.Store.Audit(r.Context(), actorName(r), "allocation_commit_failed", "allocation", detail, r.RemoteAddr)
		return allocationError(err)
	}
	res := outcomeOf(out)
	detail["devices"], detail["sims"] = res.Allocated, res.Sims
	_ = s.deps.Store.Audit(r.Context(), actorName(r), "allocation_commit", "allocation run "+strconv.FormatInt(out.Run.ID, 10), detail, r.RemoteAddr)
	writeJSON(w, http.StatusCreated, res)
	return nil
}

// ---- runs and their results ----

// allocationRunView is a recorded run as the API shows it.
type allocationRunView struct {
	ID          int64           `json:"id"`
	CreatedAt   time.Time       `json:"created_at"`
	Actor       string          `json:"actor"`
	Policy      string          `json:"policy"`
	Status      string          `json:"status"`
	CoverageRun int64           `json:"coverage_run,omitempty"`
	Devices     int             `json:"devices"`
	Sims        int             `json:"sims"`
	Settings    json.RawMessage `json:"settings"`
	Summary     json.RawMessage `json:"summary"`
	Error       string          `json:"error,omitempty"`
}

func viewAllocationRun(run postgis.AllocationRun) allocationRunView {
	v := allocationRunView{ID: run.ID, CreatedAt: run.CreatedAt, Actor: run.Actor, Policy: run.Policy, Status: run.Status,
		CoverageRun: run.CoverageRun, Devices: run.Devices, Sims: run.Sims, Settings: run.Settings, Summary: run.Summary, Error: run.Error}
	if len(v.Settings) == 0 {
		v.Settings = json.RawMessage("{}")
	}
	if len(v.Summary) == 0 {
		v.Summary = json.RawMessage("{}")
	}
	return v
}

// listAllocationRuns: GET /api/v1/allocation/runs: every run, newest first
// (province-wide counts: aggregates).
func (s *Server) listAllocationRuns(w http.ResponseWriter, r *http.Request) error {
	rs, err := s.allocRuns().Runs(r.Context())
	if err != nil {
		return err
	}
	out := make([]allocationRunView, 0, len(rs))
	for _, run := range rs {
		out = append(out, viewAllocationRun(run))
	}
	writeJSON(w, http.StatusOK, map[string]any{"runs": out})
	return nil
}

// getAllocationRun: GET /api/v1/allocation/runs/{id}: the run and the
// totals the caller may see (an officer: its area's).
func (s *Server) getAllocationRun(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	run, err := s.deps.Store.AllocationRunByID(r.Context(), id)
	if err != nil {
		return err
	}
	out := map[string]any{"run": viewAllocationRun(run)}
	if run.Status != postgis.RunFailed {
		v, err := s.allocView(r, id, "")
		if err != nil {
			return err
		}
		out["totals"] = v.Totals
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// allocationAreas: GET /api/v1/allocation/runs/{id}/areas: per area (every
// level): needs by tier, allocated, unmet, SIMs, stock and surplus.
func (s *Server) allocationAreas(w http.ResponseWriter, r *http.Request) error {
	id, v, err := s.allocRunView(r, "")
	if err != nil {
		return err
	}
	areas := v.Areas
	if areas == nil {
		areas = []allocation.AreaSummary{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"run_id": id, "status": v.Run.Mode, "totals": v.Totals, "areas": areas})
	return nil
}

// schoolCount is one school's counts in a run.
type schoolCount struct {
	SchoolID   string `json:"school_id"`
	Name       string `json:"name"`
	AreaCode   string `json:"area_code"`
	Allocated  int    `json:"allocated"`
	Sims       int    `json:"sims"`
	Sims3G     int    `json:"sims_3g"` // of Sims, on 3G (the 3G fallback)
	Pending    int    `json:"pending"`
	HandedOver int    `json:"handed_over"`
	Returned   int    `json:"returned"`
	Unserved   int    `json:"unserved"`
}

// allocationSchools: GET /api/v1/allocation/runs/{id}/schools: per school
// with allocations or needs left: counts only (no student).
func (s *Server) allocationSchools(w http.ResponseWriter, r *http.Request) error {
	id, v, err := s.allocRunView(r, "")
	if err != nil {
		return err
	}
	by := map[string]*schoolCount{}
	var order []string
	get := func(sid, area string) *schoolCount {
		c := by[sid]
		if c == nil {
			c = &schoolCount{SchoolID: sid, Name: v.Schools[sid].Name, AreaCode: area}
			by[sid] = c
			order = append(order, sid)
		}
		return c
	}
	for _, a := range v.Allocations {
		c := get(a.SchoolID, a.AreaCode)
		c.Allocated++
		if a.SimPackageID != "" {
			c.Sims++
			if a.SimNetwork == allocation.SimNetwork3G {
				c.Sims3G++
			}
		}
		if a.Handover != nil {
			switch a.Handover.Status {
			case postgis.HandoverHandedOver:
				c.HandedOver++
			case postgis.HandoverReturned:
				c.Returned++
			default:
				c.Pending++
			}
		}
	}
	for _, u := range v.Unserved {
		get(u.SchoolID, u.AreaCode).Unserved++
	}
	out := make([]schoolCount, 0, len(order))
	for _, sid := range order {
		out = append(out, *by[sid])
	}
	writeJSON(w, http.StatusOK, map[string]any{"run_id": id, "status": v.Run.Mode, "schools": out})
	return nil
}

// allocationSchool: GET /api/v1/allocation/runs/{id}/schools/{school_id}:
// the school's students served (device, SIM, handover) and left waiting,
// and how the school got its seats. Personal data: not for viewers.
func (s *Server) allocationSchool(w http.ResponseWriter, r *http.Request) error {
	sid := chi.URLParam(r, "school_id")
	id, v, err := s.allocRunView(r, sid)
	if err != nil {
		return err
	}
	school, ok := v.Schools[sid]
	if !ok {
		return &data.NotFoundError{Kind: "school", ID: sid}
	}
	rows := v.Allocations
	if rows == nil {
		rows = []report.Row{}
	}
	unserved := v.Unserved
	if unserved == nil {
		unserved = []allocation.Unserved{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"run_id": id, "status": v.Run.Mode, "school_id": sid, "name": school.Name,
		"area_code": school.AreaCode, "allocations": rows, "unserved": unserved, "units": v.Units})
	return nil
}

// handoverXLSX: GET /api/v1/allocation/runs/{id}/schools/{school_id}/handover.xlsx:
// the printable handover list (Vietnamese headers, A4 landscape) with what
// was handed over already.
func (s *Server) handoverXLSX(w http.ResponseWriter, r *http.Request) error {
	sid := chi.URLParam(r, "school_id")
	id, v, err := s.allocRunView(r, sid)
	if err != nil {
		return err
	}
	if _, ok := v.Schools[sid]; !ok {
		return &data.NotFoundError{Kind: "school", ID: sid}
	}
	var buf bytes.Buffer
	if err := report.WriteHandover(&buf, v, sid); err != nil {
		return err
	}
	_ = s.deps.Store.Audit(r.Context(), actorName(r), "export", "handover list", map[string]any{"run_id": id, "school_id": sid, "rows": len(v.Allocations)}, r.RemoteAddr)
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="ban_giao_%s_dot_%d.xlsx"`, strings.ReplaceAll(report.FileName(sid), `"`, "_"), id))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(buf.Bytes())
	return err
}

// allocationFilesZip: GET /api/v1/allocation/runs/{id}/files.zip: every
// output file of a run (what gapmap allocate --run N --out DIR writes, the
// same bytes) as one ZIP archive, written again from the database: a
// committed run's allocations as they stand now. An officer gets its
// area's part. Personal data: not for viewers.
func (s *Server) allocationFilesZip(w http.ResponseWriter, r *http.Request) error {
	id, v, err := s.allocRunView(r, "")
	if err != nil {
		return err
	}
	// Built in memory first: an error is still an error answer, not half
	// an archive.
	var buf bytes.Buffer
	if err := report.WriteZip(r.Context(), &buf, v); err != nil {
		return err
	}
	_ = s.deps.Store.Audit(r.Context(), actorName(r), "export", "allocation files",
		map[string]any{"run_id": id, "area": allocScopeArea(r), "allocations": len(v.Allocations)}, r.RemoteAddr)
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="phan_bo_dot_%d.zip"`, id))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(buf.Bytes())
	return err
}

// ---- one student's allocation and its handover ----

// studentAllocation is a student's committed allocation.
type studentAllocation struct {
	RunID      int64      `json:"run_id"`
	Allocation report.Row `json:"allocation"`
}

// studentAllocationScoped finds a student's allocation where the caller may
// see it (an officer: in its area; elsewhere 404).
func (s *Server) studentAllocationScoped(r *http.Request) (studentAllocation, error) {
	scope, err := s.allocScope(r)
	if err != nil {
		return studentAllocation{}, err
	}
	row, run, err := s.allocRuns().Allocation(r.Context(), chi.URLParam(r, "student_id"), scope)
	return studentAllocation{RunID: run, Allocation: row}, err
}

// getStudentAllocation: GET /api/v1/allocation/students/{student_id}.
func (s *Server) getStudentAllocation(w http.ResponseWriter, r *http.Request) error {
	a, err := s.studentAllocationScoped(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

// handoverRequest is the body of a handover, a return or a cancellation.
type handoverRequest struct {
	ICCID  string `json:"iccid,omitempty"`
	Date   string `json:"date,omitempty"` // YYYY-MM-DD, default today
	Reason string `json:"reason,omitempty"`
	// SimActivated (handover only): the day the SIM was activated,
	// YYYY-MM-DD (default: the handover day).
	SimActivated string `json:"sim_activated,omitempty"`
}

func (q handoverRequest) day() (time.Time, error) {
	if q.Date == "" {
		return time.Now(), nil
	}
	d, err := time.Parse("2006-01-02", q.Date)
	if err != nil {
		return d, &data.ValidationError{Errors: []data.FieldError{{File: "request", Column: "date", Value: q.Date, Reason: "write the date as YYYY-MM-DD"}}}
	}
	return d, nil
}

// updateHandover: POST /api/v1/allocation/students/{student_id}/{action}
// with action handover {iccid, date}, return {reason, date} or cancel
// {reason}. A handover is final: a second one, or cancelling what was
// handed over, is 409.
func (s *Server) updateHandover(action string) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		var q handoverRequest
		if r.ContentLength != 0 {
			if err := decodeJSON(w, r, &q); err != nil {
				return err
			}
		}
		a, err := s.studentAllocationScoped(r)
		if err != nil {
			return err
		}
		student := a.Allocation.StudentID
		svc, actor := s.allocRuns(), actorName(r)
		q.ICCID, q.Reason = strings.TrimSpace(q.ICCID), strings.TrimSpace(q.Reason)
		day, err := q.day()
		if err != nil {
			return err
		}
		var activated time.Time
		if v := strings.TrimSpace(q.SimActivated); v != "" {
			if action != "handover" {
				return errBadRequest("sim_activated goes with a handover", nil)
			}
			if activated, err = time.Parse("2006-01-02", v); err != nil {
				return fieldError("sim_activated", v, "a day written YYYY-MM-DD")
			}
		}
		switch action {
		case "handover":
			// runs checks the ICCID (19–20 digits, Luhn) and the days (not
			// before the programme or the allocation, not in the future).
			err = svc.HandoverActivated(r.Context(), actor, student, q.ICCID, day, activated)
		case "return":
			err = svc.Return(r.Context(), actor, student, q.Reason, day)
		case "cancel":
			if q.ICCID != "" || q.Date != "" {
				return errBadRequest("a cancellation takes a reason only", nil)
			}
			_, err = svc.Cancel(r.Context(), actor, student, q.Reason)
		}
		if err != nil {
			return err
		}
		_ = s.deps.Store.Audit(r.Context(), actor, "allocation_"+action, "student "+student,
			map[string]any{"run_id": a.RunID, "iccid": q.ICCID, "date": q.Date, "reason": q.Reason}, r.RemoteAddr)
		if action == "cancel" {
			writeJSON(w, http.StatusOK, map[string]any{"student_id": student, "cancelled": true})
			return nil
		}
		a, err = s.studentAllocationScoped(r)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, a)
		return nil
	}
}
