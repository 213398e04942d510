package api

import (
	"net/http"

	"github.com/gapmap/gapmap/data"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes lists every route of the service.
func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.RequestID, s.observe, middleware.Recoverer, s.authenticate)

	// Operations.
	r.Get("/healthz", s.handle(s.healthz))
	r.Get("/readyz", s.handle(s.readyz))
	r.Method(http.MethodGet, "/metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}))
	r.Get("/api/summary", s.handle(s.summary))
	r.Get("/", s.handle(s.home))

	r.Route("/api/v1", func(r chi.Router) {
		r.Get("/summary", s.handle(s.summary))

		// Accounts and sessions.

		r.Group(func(r chi.Router) {
			r.Use(s.requireUser)

			// Background jobs.
			r.Get("/jobs", s.handle(s.listJobs))
			r.Get("/jobs/{id}", s.handle(s.getJob))
			r.With(s.requireRole(data.RolePlanner, data.RoleOfficer)).Post("/jobs/{id}/cancel", s.handle(s.cancelJob))

			// Areas, schools, network.

			// Coverage runs, cells, gaps, planner.

			// Exports for operators.

			// Allocation.
		})
	})

	// Vector tiles.
	s.tiles = newTileService(s.jobs.base, s.deps.Store, s.deps.Config.PrivacyK)
	r.Group(func(r chi.Router) {
		r.Use(s.requireUser)
		r.Get("/tiles/{layer}.json", s.handle(s.tileJSON))
		r.Get("/tiles/{layer}/{z}/{x}/{y}.mvt", s.handle(s.tile))
	})

	return r
}
