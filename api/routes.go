package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

func (s *server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.RequestID, middleware.RealIP, middleware.Recoverer)
	r.Get("/healthz", s.handle(s.health))
	r.Get("/api/summary", s.handle(s.summary))
	r.Get("/", s.handle(s.home))
	return r
}
