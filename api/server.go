// Package api serves gapmap over HTTP: the JSON API under /api/v1, vector
// tiles, exports, accounts and roles, background jobs, health and metrics.
// Every route is in routes.go. Handlers return errors: an *apiError carries
// a status, a code and a message safe for the client; anything else is
// logged with its cause and answered with a neutral 500.
package api

import (
	"context"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/gapmap/gapmap/data/postgis"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Config holds the service's settings (flags and environment in cmd).
type Config struct {
	// PrivacyK is the smallest number of households an exported or tiled
	// cell may show; smaller cells are merged into their parent cell.
	PrivacyK int
	// SecureCookies marks the session cookie Secure (behind TLS).
	SecureCookies bool
	// SessionLifetime is how long a web session lasts.
	SessionLifetime time.Duration
	// LoginLimit is the number of login attempts allowed per client
	// address and per user name in LoginWindow.
	LoginLimit  int
	LoginWindow time.Duration
	// MaxUploadBytes bounds an uploaded file.
	MaxUploadBytes int64
	// BasemapStyle is a MapLibre style URL drawn under gapmap's layers
	// (a deployment with Internet); "" keeps the administrative areas as
	// the base layer and every request on this server.
	BasemapStyle string
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		PrivacyK:        5,
		SessionLifetime: 12 * time.Hour,
		LoginLimit:      10,
		LoginWindow:     time.Minute,
		MaxUploadBytes:  512 << 20,
	}
}

// Deps are the server's dependencies.
type Deps struct {
	Store   *postgis.Store
	Logger  *slog.Logger
	Version string
	Config  Config
	// Web is the built web app (index.html, assets/); nil serves the
	// summary page at / instead.
	Web fs.FS
}

// Server is gapmap's HTTP handler. Close it to cancel its background jobs.
type Server struct {
	deps    Deps
	handler http.Handler
	jobs    *jobRunner
	metrics *metrics
	// homePage is the server-rendered start page.
	homePage *template.Template
	// openapiDoc is /api/openapi.json, rendered at start.
	openapiDoc []byte
	openapiErr error
	// sess holds web sessions, CSRF checks and the login limits.
	sess *sessionAuth
	// tiles builds and caches the vector tiles (tiles.go).
	tiles *tileService
	// tokens remembers checked API tokens for tile requests (tokencache.go).
	tokens tokenCache
}

// NewServer returns the HTTP handler of gapmap. Background jobs started
// through it run under ctx: cancelling ctx (or calling Close) cancels them,
// and they are recorded as cancelled.
func NewServer(ctx context.Context, d Deps) *Server {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Config == (Config{}) {
		d.Config = DefaultConfig()
	}
	s := &Server{deps: d}
	s.metrics = newMetrics(d.Version)
	s.homePage = template.Must(template.New("home").Parse(homeHTML))
	s.jobs = newJobRunner(ctx, d.Store, d.Logger)
	s.openapiDoc, s.openapiErr = openapiJSON(ctx, d.Version)
	if s.openapiErr != nil {
		d.Logger.Error("the OpenAPI document did not load", "err", s.openapiErr)
	}
	s.sess = newSessionAuth(ctx, d)
	s.tiles = newTileService(ctx, d.Store, d.Config.PrivacyK)
	s.handler = s.routes()
	return s
}

// ServeHTTP serves one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Close cancels the running background jobs and waits for them to record
// their end, or for ctx.
func (s *Server) Close(ctx context.Context) error { return s.jobs.shutdown(ctx) }

type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
}

func newMetrics(version string) *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{
		registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gapmap_http_requests_total", Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "gapmap_http_request_duration_seconds", Help: "HTTP request duration by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gapmap_http_in_flight_requests", Help: "Requests being served.",
		}),
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "gapmap_build_info", Help: "The running build.", ConstLabels: prometheus.Labels{"version": version},
	})
	build.Set(1)
	reg.MustRegister(m.requests, m.duration, m.inFlight, build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
