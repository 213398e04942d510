package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gapmap/gapmap/api"
	"github.com/gapmap/gapmap/data/postgis"
)

// storeAdapter gives the API what it needs from the PostGIS store.
type storeAdapter struct{ *postgis.Store }

func (s storeAdapter) Ping(ctx context.Context) error { return s.Pool().Ping(ctx) }

// cmdServe runs the HTTP API and web app until interrupted.
func cmdServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "serve", "serve [--addr :8080]\n\nMigrates the schema, then serves the API and web app on --addr until interrupted.")
	addr := fs.String("addr", ":8080", "listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := postgis.Open(ctx, databaseURL(e))
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, nil))
	srv := &http.Server{
		Addr:              *addr,
		Handler:           api.NewServer(api.Deps{Store: storeAdapter{st}, Logger: logger, Version: "dev"}),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another gapmap running? use --addr)", *addr, err)
	}
	fmt.Fprintf(e.stdout, "serve: listening on http://%s\n", displayAddr(ln.Addr()))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdownCtx); err != nil {
			return err
		}
		if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}

func displayAddr(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok && t.IP.IsUnspecified() {
		return fmt.Sprintf("localhost:%d", t.Port)
	}
	return a.String()
}
