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
			r.Get("/areas", s.handle(s.listAreas))
			r.Get("/areas/geojson", s.handle(s.areasGeoJSON))
			r.Get("/areas/{code}/summary", s.handle(s.areaSummary))
			r.Get("/schools", s.handle(s.listSchools))
			r.Get("/sites", s.handle(s.listSites))
			r.Get("/fiber/nodes", s.handle(s.listFiberNodes))
			r.Get("/fiber/routes", s.handle(s.listFiberRoutes))
			r.With(s.requireRole(data.RolePlanner, data.RoleOperator, data.RoleOfficer)).Post("/imports/{kind}", s.handle(s.importFile))
			r.With(s.requireRole(data.RolePlanner, data.RoleOperator)).Delete("/sites/{id}", s.handle(s.deleteNetwork("sites")))
			r.With(s.requireRole(data.RolePlanner, data.RoleOperator)).Delete("/fiber/nodes/{id}", s.handle(s.deleteNetwork("fiber_nodes")))
			r.With(s.requireRole(data.RolePlanner, data.RoleOperator)).Delete("/fiber/routes/{id}", s.handle(s.deleteNetwork("fiber_routes")))
			r.With(s.requireRole(data.RolePlanner, data.RoleOperator)).Delete("/coverage-polygons/{id}", s.handle(s.deleteNetwork("coverage_polygons")))
			r.With(s.requireRole(data.RolePlanner, data.RoleOperator)).Delete("/measurements/{id}", s.handle(s.deleteNetwork("measurements")))

			// Coverage runs, cells, gaps, planner.

			// Exports for operators.

			// Allocation.
		})
	})

	// Vector tiles.

	return r
}
