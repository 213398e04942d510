package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/gapmap/gapmap/api"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/web"
)

// defaultServeAddr is loopback: a service holding students' personal data
// is not reachable from the network unless asked (--addr :8080).
const defaultServeAddr = "127.0.0.1:8080"

// serveConfig is what serve reads from flags and the environment.
type serveConfig struct {
	addr             string
	statementTimeout time.Duration
	shutdownTimeout  time.Duration
	logFormat        string
	logLevel         string
	api              api.Config
}

// cmdServe runs the HTTP API and web app until interrupted.
func cmdServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "serve", "serve [--addr 127.0.0.1:8080] [flags]\n\n"+
		"Migrates the schema, then serves the API, tiles and web app on --addr until SIGINT/SIGTERM.\n"+
		"By default only this machine can connect (loopback); --addr :8080 (or GAPMAP_ADDR=:8080) listens\n"+
		"on every interface, e.g. behind a reverse proxy on another host or in a container.\n"+
		"Each flag also reads an environment variable (GAPMAP_ADDR, GAPMAP_PRIVACY_K, …); a flag wins.")
	c := serveConfig{api: api.DefaultConfig()}
	envOr := func(name, def string) string {
		if v := strings.TrimSpace(e.getenv(name)); v != "" {
			return v
		}
		return def
	}
	envDur := func(name string, def time.Duration) time.Duration {
		if d, err := time.ParseDuration(envOr(name, "")); err == nil {
			return d
		}
		return def
	}
	envInt := func(name string, def int) int {
		if n, err := strconv.Atoi(envOr(name, "")); err == nil {
			return n
		}
		return def
	}
	fs.StringVar(&c.addr, "addr", envOr("GAPMAP_ADDR", defaultServeAddr), "listen address (GAPMAP_ADDR); :8080 listens on every interface")
	fs.DurationVar(&c.statementTimeout, "statement-timeout", envDur("GAPMAP_STATEMENT_TIMEOUT", 60*time.Second), "longest database statement of a request (GAPMAP_STATEMENT_TIMEOUT)")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", envDur("GAPMAP_SHUTDOWN_TIMEOUT", 30*time.Second), "how long requests in flight may finish after SIGTERM (GAPMAP_SHUTDOWN_TIMEOUT)")
	fs.StringVar(&c.logFormat, "log-format", envOr("GAPMAP_LOG_FORMAT", "json"), "log format: json or text (GAPMAP_LOG_FORMAT)")
	fs.StringVar(&c.logLevel, "log-level", envOr("GAPMAP_LOG_LEVEL", "info"), "log level: debug, info, warn, error (GAPMAP_LOG_LEVEL)")
	fs.IntVar(&c.api.PrivacyK, "privacy-k", envInt("GAPMAP_PRIVACY_K", c.api.PrivacyK), "smallest household count an exported or tiled cell may show (GAPMAP_PRIVACY_K)")
	fs.BoolVar(&c.api.SecureCookies, "secure-cookies", envOr("GAPMAP_SECURE_COOKIES", "") == "true", "mark session cookies Secure: set it behind TLS (GAPMAP_SECURE_COOKIES=true)")
	fs.DurationVar(&c.api.SessionLifetime, "session-lifetime", envDur("GAPMAP_SESSION_LIFETIME", c.api.SessionLifetime), "web session lifetime (GAPMAP_SESSION_LIFETIME)")
	fs.IntVar(&c.api.LoginLimit, "login-limit", envInt("GAPMAP_LOGIN_LIMIT", c.api.LoginLimit), "login attempts per --login-window per address and per user name (GAPMAP_LOGIN_LIMIT)")
	fs.DurationVar(&c.api.LoginWindow, "login-window", envDur("GAPMAP_LOGIN_WINDOW", c.api.LoginWindow), "the window of --login-limit (GAPMAP_LOGIN_WINDOW)")
	fs.StringVar(&c.api.BasemapStyle, "basemap-style", envOr("GAPMAP_BASEMAP_STYLE", ""), "a MapLibre style URL drawn under the map's layers, for a deployment with Internet (GAPMAP_BASEMAP_STYLE; default none: the administrative areas are the base layer)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if c.api.BasemapStyle != "" {
		if u, err := url.Parse(c.api.BasemapStyle); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return usageError{fmt.Sprintf("--basemap-style %q: give the absolute http(s) URL of a MapLibre style", c.api.BasemapStyle)}
		}
	}
	if c.api.PrivacyK < 1 {
		return usageError{"--privacy-k must be at least 1"}
	}
	logger, err := newLogger(e, c.logFormat, c.logLevel)
	if err != nil {
		return err
	}
	st, err := openDB(ctx, e, postgis.WithStatementTimeout(c.statementTimeout), postgis.WithMaxConns(16))
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	if n, err := st.AbandonJobs(ctx, "the server stopped while the job ran"); err != nil {
		return err
	} else if n > 0 {
		logger.Warn("jobs left running by a previous server marked cancelled", "jobs", n)
	}

	// Background jobs live until shutdown; requests get their own context.
	jobsCtx, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer stopJobs()
	assets, err := web.Assets()
	if err != nil {
		logger.Warn("the web app is not in this binary: / shows the summary page; build it with make web, then make build", "err", err)
		assets = nil
	}
	handler := api.NewServer(jobsCtx, api.Deps{Store: st, Logger: logger, Version: buildVersion(), Config: c.api, Web: assets})
	// Requests carry the values of ctx (the file limits) but not its
	// cancellation: on SIGTERM requests in flight finish (Shutdown).
	reqBase := context.WithoutCancel(ctx)
	srv := &http.Server{
		BaseContext:       func(net.Listener) context.Context { return reqBase },
		Addr:              c.addr,
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // uploads of large files
		WriteTimeout:      10 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another gapmap running? use --addr)", c.addr, err)
	}
	fmt.Fprintf(e.stdout, "serve: listening on http://%s\n", displayAddr(ln.Addr()))
	if t, ok := ln.Addr().(*net.TCPAddr); ok && !t.IP.IsLoopback() {
		logger.Warn("listening on a non-loopback address: other machines can reach the service", "addr", ln.Addr().String())
	}
	logger.Info("serving", "addr", ln.Addr().String(), "version", buildVersion())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	// Render the latest run's hex tiles before the first map asks for them.
	go func() {
		n, err := handler.WarmTiles(jobsCtx, 0)
		switch {
		case err == nil:
			logger.Info("hex tiles of the latest coverage run rendered", "tiles", n)
		case errors.Is(err, data.ErrNotFound):
			logger.Info("no coverage run yet: nothing to render")
		case jobsCtx.Err() == nil:
			logger.Warn("hex tiles not rendered in advance", "err", err)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// SIGTERM: stop accepting, cancel background jobs (recorded as
	// cancelled), let requests in flight finish.
	logger.Info("shutting down", "timeout", c.shutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), c.shutdownTimeout)
	defer cancel()
	stopJobs()
	jerr := handler.Close(sctx)
	serr := srv.Shutdown(sctx)
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return errors.Join(jerr, serr)
}

func newLogger(e *env, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{fmt.Sprintf("--log-level %q: use debug, info, warn or error", level)}
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(e.stderr, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(e.stderr, opts)), nil
	}
	return nil, usageError{fmt.Sprintf("--log-format %q: use json or text", format)}
}

// buildVersion is the module version and VCS revision the binary was built
// from.
func buildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" && (v == "" || v == "(devel)") {
		return rev + dirty
	}
	if v == "" {
		return "devel"
	}
	return v
}

func displayAddr(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok && t.IP.IsUnspecified() {
		return fmt.Sprintf("localhost:%d", t.Port)
	}
	return a.String()
}
