package api

import (
	"bytes"
	"html"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
)

// The web app (package web, built by `make web`) is served from Deps.Web:
// index.html at / and the bundle, styles and MapLibre's worker under
// /assets/. Without it, / shows the server-rendered summary page.

// webHeaders are the security headers of the app's pages: everything from
// this origin only (no CDN, no external request), MapLibre's workers
// included.
// A configured base map's origin (Config.BasemapStyle) is the one other
// host the page may fetch from.
func webHeaders(h http.Header, basemapOrigin string) {
	extra := ""
	if basemapOrigin != "" {
		extra = " " + basemapOrigin
	}
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; worker-src 'self' blob:; "+
		"img-src 'self' data: blob:"+extra+"; style-src 'self' 'unsafe-inline'; connect-src 'self'"+extra+"; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
}

// webIndex: GET /: the app's page (or the summary page without the app).
func (s *Server) webIndex(w http.ResponseWriter, r *http.Request) error {
	if s.deps.Web == nil {
		return s.home(w, r)
	}
	b, err := fs.ReadFile(s.deps.Web, "index.html")
	if err != nil {
		return s.home(w, r)
	}
	origin := ""
	if u, err := url.Parse(s.deps.Config.BasemapStyle); err == nil && s.deps.Config.BasemapStyle != "" && u.Host != "" {
		origin = u.Scheme + "://" + u.Host
		meta := `<meta name="gapmap-basemap" content="` + html.EscapeString(s.deps.Config.BasemapStyle) + `">`
		b = bytes.Replace(b, []byte("</head>"), []byte(meta+"\n</head>"), 1)
	}
	webHeaders(w.Header(), origin)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, err = w.Write(b)
	return err
}

// webAssets serves /assets/* from the built app.
func (s *Server) webAssets() http.Handler {
	if s.deps.Web == nil {
		return http.NotFoundHandler()
	}
	files := http.FileServerFS(s.deps.Web)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		webHeaders(w.Header(), "")
		w.Header().Set("Cache-Control", "no-cache")
		if strings.HasSuffix(r.URL.Path, ".mjs") {
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		}
		files.ServeHTTP(w, r)
	})
}
