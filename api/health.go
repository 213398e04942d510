package api

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// healthz answers while the process serves: liveness, no database.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": s.deps.Version})
	return nil
}

// readyz answers 200 when the database is reachable and its schema is the
// one this build expects, else 503 with the reason.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	if err := s.deps.Store.Pool().Ping(r.Context()); err != nil {
		return errUnavailable("the database is unreachable", err)
	}
	cur, latest, err := s.deps.Store.SchemaVersion(r.Context())
	if err != nil {
		return errUnavailable("cannot read the schema version", err)
	}
	if cur != latest {
		return errUnavailable("the database schema is at version "+strconv.FormatInt(cur, 10)+
			", this build needs "+strconv.FormatInt(latest, 10)+": migrate it", nil)
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "schema_version": cur, "version": s.deps.Version})
	return nil
}

// summary gives row counts per table: no personal data.
func (s *Server) summary(w http.ResponseWriter, r *http.Request) error {
	c, err := s.deps.Store.Counts(r.Context())
	if err != nil {
		return errUnavailable("cannot read the database", err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"tables": c})
	return nil
}

// observe logs every request (slog, with its request id) and counts it in
// the metrics by route pattern.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		s.metrics.inFlight.Inc()
		defer func() {
			s.metrics.inFlight.Dec()
			status := ww.Status()
			if status == 0 {
				status = http.StatusOK
			}
			route := chi.RouteContext(r.Context()).RoutePattern()
			if route == "" {
				route = "unmatched"
			}
			d := time.Since(start)
			s.metrics.requests.WithLabelValues(route, r.Method, strconv.Itoa(status)).Inc()
			s.metrics.duration.WithLabelValues(route).Observe(d.Seconds())
			level := slog.LevelDebug
			if status >= 500 {
				level = slog.LevelWarn
			}
			s.deps.Logger.Log(r.Context(), level, "request", "request_id", middleware.GetReqID(r.Context()),
				"method", r.Method, "path", r.URL.Path, "route", route, "status", status,
				"bytes", ww.BytesWritten(), "duration_ms", float64(d.Microseconds())/1000, "user", actorName(r))
		}()
		next.ServeHTTP(ww, r)
	})
}
