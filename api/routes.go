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
			r.Get("/coverage/runs", s.handle(s.listCoverageRuns))
			r.With(s.requireRole(data.RolePlanner)).Post("/coverage/runs", s.handle(s.startCoverageRun))
			r.Get("/coverage/runs/{run}", s.handle(s.getCoverageRun))
			r.Get("/coverage/runs/{run}/cells", s.handle(s.coverageCells))
			r.Get("/coverage/runs/{run}/gaps", s.handle(s.coverageGaps))
			r.Get("/coverage/runs/{run}/plan", s.handle(s.coveragePlan))
			r.With(s.requireRole(data.RolePlanner)).Post("/coverage/plan", s.handle(s.startPlan))
			r.With(s.requireRole(data.RolePlanner)).Post("/coverage/whatif", s.handle(s.startWhatIf))

			// Exports for operators.
			r.With(s.requireRole(data.RolePlanner, data.RoleViewer, data.RoleOperator)).Get("/exports/uncovered", s.handle(s.exportUncovered))

			// Allocation.
		})
	})

	// Vector tiles.

	return r
}
