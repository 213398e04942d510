package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gapmap/gapmap/data"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/jackc/pgx/v5/pgconn"
)

// apiError is an error with a status, a stable code and a message safe to
// show to the client; cause goes to the log only.
type apiError struct {
	status  int
	code    string
	msg     string
	details any
	cause   error
}

func (e *apiError) Error() string {
	if e.cause != nil {
		return e.msg + ": " + e.cause.Error()
	}
	return e.msg
}

func (e *apiError) Unwrap() error { return e.cause }

// Error codes of the API.
const (
	codeBadRequest   = "bad_request"
	codeValidation   = "validation_failed"
	codeUnauthorized = "unauthorized"
	codeForbidden    = "forbidden"
	codeNotFound     = "not_found"
	codeConflict     = "conflict"
	codeTooLarge     = "too_large"
	codeRateLimited  = "rate_limited"
	codeUnavailable  = "unavailable"
	codeInternal     = "internal"
)

func errBadRequest(msg string, cause error) error {
	return &apiError{status: http.StatusBadRequest, code: codeBadRequest, msg: msg, cause: cause}
}

func errNotFound(msg string) error {
	return &apiError{status: http.StatusNotFound, code: codeNotFound, msg: msg}
}

func errForbidden(msg string) error {
	return &apiError{status: http.StatusForbidden, code: codeForbidden, msg: msg}
}

func errUnauthorized(msg string) error {
	return &apiError{status: http.StatusUnauthorized, code: codeUnauthorized, msg: msg}
}

func errUnavailable(msg string, cause error) error {
	return &apiError{status: http.StatusServiceUnavailable, code: codeUnavailable, msg: msg, cause: cause}
}

// fieldDetail is one problem of a validation error, as the client sees it.
type fieldDetail struct {
	File   string `json:"file,omitempty"`
	Row    int    `json:"row,omitempty"`
	Column string `json:"column,omitempty"`
	Value  string `json:"value,omitempty"`
	Reason string `json:"reason"`
}

// errValidation lists every problem of an input; nothing was written.
func errValidation(v *data.ValidationError) error {
	ds := make([]fieldDetail, 0, len(v.Errors))
	for _, e := range v.Errors {
		ds = append(ds, fieldDetail{File: e.File, Row: e.Row, Column: e.Column, Value: e.Value, Reason: e.Reason})
	}
	msg := fmt.Sprintf("%d problem(s) found; nothing was written", v.Len())
	if v.Truncated > 0 {
		msg += fmt.Sprintf(" (the first %d are listed)", len(v.Errors))
	}
	return &apiError{status: http.StatusUnprocessableEntity, code: codeValidation, msg: msg, details: ds, cause: v}
}

// classify turns any error into what the client may see.
func classify(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var ve *data.ValidationError
	if errors.As(err, &ve) {
		errors.As(errValidation(ve), &ae)
		return ae
	}
	var nf *data.NotFoundError
	if errors.As(err, &nf) {
		return &apiError{status: http.StatusNotFound, code: codeNotFound, msg: nf.Error(), cause: err}
	}
	var ce *data.ConflictError
	if errors.As(err, &ce) {
		return &apiError{status: http.StatusConflict, code: codeConflict, msg: ce.Reason, cause: err}
	}
	if errors.Is(err, data.ErrForbidden) {
		return &apiError{status: http.StatusForbidden, code: codeForbidden, msg: "you may not do this", cause: err}
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &apiError{status: http.StatusRequestEntityTooLarge, code: codeTooLarge, msg: fmt.Sprintf("the upload is larger than %d bytes", mbe.Limit), cause: err}
	}
	if errors.Is(err, context.Canceled) {
		// The client went away (499 in nginx's terms); nobody reads the answer.
		return &apiError{status: 499, code: "cancelled", msg: "request cancelled", cause: err}
	}
	var pe *pgconn.PgError
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &pe) && pe.Code == "57014" { // query_canceled: the statement timeout
		return &apiError{status: http.StatusServiceUnavailable, code: codeUnavailable, msg: "the request took too long; try a smaller area or try again later", cause: err}
	}
	return &apiError{status: http.StatusInternalServerError, code: codeInternal, msg: "internal error; the server log has the details", cause: err}
}

// handle adapts a handler that returns an error.
func (s *Server) handle(h func(w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	}
}

// writeError answers {"error":{"code","message","details"}} and logs the
// cause. When the handler had already started the body, only the log gets it.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	ae := classify(err)
	level := slog.LevelInfo
	if ae.status >= 500 {
		level = slog.LevelError
	}
	s.deps.Logger.Log(r.Context(), level, "request failed", "request_id", middleware.GetReqID(r.Context()),
		"method", r.Method, "path", r.URL.Path, "status", ae.status, "code", ae.code, "err", err)
	if ww, ok := w.(middleware.WrapResponseWriter); ok && ww.Status() != 0 {
		return
	}
	body := map[string]any{"code": ae.code, "message": ae.msg}
	if ae.details != nil {
		body["details"] = ae.details
	}
	writeJSON(w, ae.status, map[string]any{"error": body})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decodeJSON reads a JSON request body into v (at most 1 MiB, no unknown
// fields).
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return errBadRequest("send the body as application/json", nil)
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errBadRequest("the request body is empty: send a JSON object", err)
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return errBadRequest("the request body is not valid JSON for this endpoint: "+err.Error(), err)
	}
	return nil
}
