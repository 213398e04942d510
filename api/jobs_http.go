package api

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/gapmap/gapmap/data"
	"github.com/go-chi/chi/v5"
)

// jobView is a job as the API shows it.
type jobView struct {
	data.Job
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
}

func viewJob(j data.Job) jobView {
	v := jobView{Job: j, Params: json.RawMessage(j.Params), Result: json.RawMessage(j.Result)}
	if len(v.Params) == 0 {
		v.Params = json.RawMessage("{}")
	}
	if len(v.Result) == 0 {
		v.Result = json.RawMessage("{}")
	}
	return v
}

// pathID reads a positive integer path parameter.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errBadRequest(name+" must be a positive integer", err)
	}
	return id, nil
}

// getJob: GET /api/v1/jobs/{id}: status, phase, percent, result.
func (s *Server) getJob(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	j, err := s.deps.Store.JobByID(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewJob(j))
	return nil
}

// listJobs: GET /api/v1/jobs?kind=K: the newest 50.
func (s *Server) listJobs(w http.ResponseWriter, r *http.Request) error {
	js, err := s.deps.Store.ListJobs(r.Context(), r.URL.Query().Get("kind"), 50)
	if err != nil {
		return err
	}
	out := make([]jobView, 0, len(js))
	for _, j := range js {
		out = append(out, viewJob(j))
	}
	writeJSON(w, http.StatusOK, map[string]any{"jobs": out})
	return nil
}

// cancelJob: POST /api/v1/jobs/{id}/cancel. 202 while it stops; 409 when it
// is not running.
func (s *Server) cancelJob(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	j, err := s.deps.Store.JobByID(r.Context(), id)
	if err != nil {
		return err
	}
	if j.Status != data.JobRunning || !s.jobs.cancel(id) {
		return &data.ConflictError{Reason: "job " + strconv.FormatInt(id, 10) + " is not running (" + j.Status + ")"}
	}
	_ = s.deps.Store.Audit(r.Context(), actorName(r), "job_cancel", "job "+strconv.FormatInt(id, 10), map[string]string{"kind": j.Kind}, r.RemoteAddr)
	writeJSON(w, http.StatusAccepted, viewJob(j))
	return nil
}
