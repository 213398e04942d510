// Package api serves gapmap over HTTP: health, a summary of the loaded data
// and (as the product grows) the JSON API, vector tiles and exports. All
// routes are in routes.go. Handlers return errors with a safe message for the
// client and the cause for the log.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
)

// Store is what the API needs from the system of record.
type Store interface {
	Ping(ctx context.Context) error
	// Counts returns the number of rows per table.
	Counts(ctx context.Context) (map[string]int64, error)
}

// Deps are the server's dependencies.
type Deps struct {
	Store   Store
	Logger  *slog.Logger
	Version string
}

// NewServer returns the HTTP handler of gapmap.
func NewServer(d Deps) http.Handler {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	s := &server{deps: d, homePage: template.Must(template.New("home").Parse(homeHTML))}
	return s.routes()
}

type server struct {
	deps     Deps
	homePage *template.Template
}

// httpError carries a status and a message safe to show to the client; the
// wrapped cause goes to the log only.
type httpError struct {
	status int
	msg    string
	cause  error
}

func (e *httpError) Error() string {
	if e.cause != nil {
		return e.msg + ": " + e.cause.Error()
	}
	return e.msg
}

func (e *httpError) Unwrap() error { return e.cause }

func errorf(status int, cause error, msg string) error {
	return &httpError{status: status, msg: msg, cause: cause}
}

// handle adapts a handler that returns an error.
func (s *server) handle(h func(w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		status, msg := http.StatusInternalServerError, "internal error"
		var he *httpError
		if errors.As(err, &he) {
			status, msg = he.status, he.msg
		}
		s.deps.Logger.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
		writeJSON(w, status, map[string]string{"error": msg})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
