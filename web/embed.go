// Package web holds gapmap's web app, built by `make web` (npm ci, then
// esbuild) into web/dist and embedded in the binary: the map and planning
// UI served by `gapmap serve` at /, with MapLibre GL JS and no request to
// any other host. Its browser tests (test/, driven by browser_test.go)
// run headless Chromium against a real server and database.
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS // read-only: the built app

// Assets returns the built app (index.html and assets/), or an error when
// it was not built (a binary built without `make web`).
func Assets() (fs.FS, error) {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		return nil, err
	}
	if _, err := fs.Stat(sub, "index.html"); err != nil {
		return nil, ErrNotBuilt
	}
	return sub, nil
}

// ErrNotBuilt says the binary holds no web app.
var ErrNotBuilt = errNotBuilt{}

type errNotBuilt struct{}

func (errNotBuilt) Error() string {
	return "the web app is not built into this binary (web/dist is empty)"
}
