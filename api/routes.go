package api

import (
	"net/http"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/reports"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes lists every route of the service.
func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.RequestID, s.observe, middleware.Recoverer, s.saneInput, s.authenticate)

	// Operations.
	r.Get("/healthz", s.handle(s.healthz))
	r.Get("/readyz", s.handle(s.readyz))
	r.Method(http.MethodGet, "/metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}))
	r.Get("/api/summary", s.handle(s.summary))
	r.Get("/api/openapi.json", s.handle(s.openapi))
	r.Get("/", s.handle(s.webIndex))
	r.Method(http.MethodGet, "/assets/*", s.webAssets())

	r.Route("/api/v1", func(r chi.Router) {
		r.Get("/summary", s.handle(s.summary))

		// Accounts and sessions.
		r.Post("/login", s.handle(s.login))
		r.Post("/logout", s.handle(s.logout))
		r.With(s.requireUser).Get("/me", s.handle(s.me))
		r.Group(func(r chi.Router) {
			r.Use(s.requireRole()) // admin only
			r.Get("/users", s.handle(s.listUsers))
			r.Post("/users", s.handle(s.createUser))
			r.Post("/users/{name}/disable", s.handle(s.disableUser))
			r.Post("/users/{name}/tokens", s.handle(s.createToken))
			r.Get("/audit", s.handle(s.auditLog))
		})

		r.Group(func(r chi.Router) {
			r.Use(s.requireUser)

			// Background jobs.
			r.Get("/jobs", s.handle(s.listJobs))
			r.Get("/jobs/{id}", s.handle(s.getJob))
			r.With(s.requireRole(data.RolePlanner, data.RoleOfficer)).Post("/jobs/{id}/cancel", s.handle(s.cancelJob))

			// Areas, schools, network.
			r.Get("/areas", s.handle(s.listAreas))
			r.Get("/areas/geojson", s.handle(s.areasGeoJSON))
			r.Get("/areas/successors", s.handle(s.areaSuccessors))
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
			r.Get("/coverage/runs", s.handle(s.listCoverageRuns))
			r.With(s.requireRole(data.RolePlanner)).Post("/coverage/runs", s.handle(s.startCoverageRun))
			r.Get("/coverage/runs/{run}", s.handle(s.getCoverageRun))
			r.Get("/coverage/runs/{run}/cells", s.handle(s.coverageCells))
			r.Get("/coverage/runs/{run}/gaps", s.handle(s.coverageGaps))
			r.Get("/coverage/runs/{run}/plan", s.handle(s.coveragePlan))
			r.Get("/coverage/runs/{run}/closed", s.handle(s.coverageClosed))
			r.Get("/coverage/runs/{run}/areas", s.handle(s.coverageRunAreas))
			r.With(s.requireRole(data.RolePlanner)).Post("/coverage/plan", s.handle(s.startPlan))
			r.With(s.requireRole(data.RolePlanner)).Post("/coverage/whatif", s.handle(s.startWhatIf))

			// Exports for operators.
			r.With(s.requireRole(data.RolePlanner, data.RoleViewer, data.RoleOperator)).Get("/exports/uncovered", s.handle(s.exportUncovered))

			// The reports owed upward: counts only. An operator reads the
			// connectivity report (points without mobile Internet) only.
			r.Route("/reports", func(r chi.Router) {
				readers := s.requireRole(data.RolePlanner, data.RoleOfficer, data.RoleViewer)
				r.With(readers).Get("/progress", s.handle(s.report(reports.KindProgress)))
				r.With(readers).Get("/donors", s.handle(s.report(reports.KindDonors)))
				r.With(readers).Get("/handovers", s.handle(s.report(reports.KindHandovers)))
				r.With(s.requireRole(data.RolePlanner, data.RoleOfficer, data.RoleViewer, data.RoleOperator)).
					Get("/connectivity", s.handle(s.report(reports.KindConnectivity)))
			})

			// Allocation.
			r.Route("/allocation", func(r chi.Router) {
				r.Use(s.requireRole(data.RolePlanner, data.RoleOfficer, data.RoleViewer))
				officer := s.requireRole(data.RoleOfficer)
				reader := s.requireRole(data.RolePlanner, data.RoleOfficer)
				r.With(officer).Post("/inventory", s.handle(s.uploadInventory))
				r.With(reader).Post("/previews", s.handle(s.startPreview))
				r.With(officer).Post("/commits", s.handle(s.commitAllocation))
				r.Get("/runs", s.handle(s.listAllocationRuns))
				r.Get("/runs/{id}", s.handle(s.getAllocationRun))
				r.Get("/runs/{id}/areas", s.handle(s.allocationAreas))
				r.Get("/runs/{id}/schools", s.handle(s.allocationSchools))
				r.Get("/runs/{id}/units", s.handle(s.allocationUnits))
				r.With(reader).Get("/runs/{id}/schools/{school_id}", s.handle(s.allocationSchool))
				r.With(reader).Get("/runs/{id}/schools/{school_id}/handover.xlsx", s.handle(s.handoverXLSX))
				r.With(reader).Get("/runs/{id}/files.zip", s.handle(s.allocationFilesZip))
				r.With(reader).Get("/students/{student_id}", s.handle(s.getStudentAllocation))
				r.With(officer).Post("/students/{student_id}/handover", s.handle(s.updateHandover("handover")))
				r.With(officer).Post("/students/{student_id}/return", s.handle(s.updateHandover("return")))
				r.With(officer).Post("/students/{student_id}/cancel", s.handle(s.updateHandover("cancel")))
				// The device lifecycle: education roles only (a history names students).
				r.With(reader).Get("/devices", s.handle(s.listDevices))
				r.With(officer).Post("/devices/{id}/inspections", s.handle(s.inspectDevice))
				r.With(reader).Get("/devices/{id}/history", s.handle(s.getDeviceHistory))
				r.With(officer).Post("/liquidations", s.handle(s.createLiquidation))
				r.With(reader).Get("/liquidations", s.handle(s.listLiquidations))
				r.With(officer).Post("/liquidations/{id}/replacements", s.handle(s.uploadReplacements))
				// SIM periods: internal (student ids), education officers only.
				r.With(officer).Get("/sims/ending", s.handle(s.simsEnding))
				r.With(officer).Post("/students/{student_id}/renew", s.handle(s.renewSim))
			})
		})
	})

	// Vector tiles.
	r.Group(func(r chi.Router) {
		r.Use(s.requireUser)
		r.Get("/tiles/{layer}.json", s.handle(s.tileJSON))
		r.Get("/tiles/{layer}/{z}/{x}/{y}.mvt", s.handle(s.tile))
	})

	return r
}
