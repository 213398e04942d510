package api

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/go-chi/chi/v5"
)

// undocumented are routes that are not part of the JSON API: the web app.
func undocumented(path string) bool {
	return path == "/" || strings.HasSuffix(path, "/*")
}

var chiParam = regexp.MustCompile(`\{([^}:]+):[^}]*\}`)

// routedOperations lists "METHOD /path" for every route of the router,
// with chi's {name:regexp} written as OpenAPI's {name}.
func routedOperations(t *testing.T, h http.Handler) map[string]bool {
	t.Helper()
	r, ok := h.(chi.Routes)
	if !ok {
		t.Fatalf("the handler is a %T, not a chi router", h)
	}
	out := map[string]bool{}
	err := chi.Walk(r, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		route = chiParam.ReplaceAllString(route, "{$1}")
		if len(route) > 1 {
			route = strings.TrimSuffix(route, "/")
		}
		if !undocumented(route) {
			out[method+" "+route] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func documentedOperations(doc *openapi3.T) map[string]bool {
	out := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			out[method+" "+path] = true
		}
	}
	return out
}

// TestOpenAPIMatchesRouter keeps /api/openapi.json true: every route is
// documented and every documented operation is routed.
func TestOpenAPIMatchesRouter(t *testing.T) {
	doc, err := loadOpenAPI(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{deps: Deps{}}
	s.metrics = newMetrics("test")
	routed := routedOperations(t, s.routes())
	documented := documentedOperations(doc)
	var missing, extra []string
	for op := range routed {
		if !documented[op] {
			missing = append(missing, op)
		}
	}
	for op := range documented {
		if !routed[op] {
			extra = append(extra, op)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("routes missing from api/openapi.yaml:\n  %s", strings.Join(missing, "\n  "))
	}
	if len(extra) > 0 {
		t.Errorf("api/openapi.yaml documents operations that are not routed:\n  %s", strings.Join(extra, "\n  "))
	}
	if len(routed) < 8 {
		t.Fatalf("only %d routes found: the walk is broken", len(routed))
	}
}

func TestOpenAPIServed(t *testing.T) {
	ts := newTestServer(t)
	code, hdr, b := ts.do("GET", "/api/openapi.json", "", nil)
	if code != 200 || hdr.Get("Content-Type") != "application/json" {
		t.Fatalf("openapi.json = %d %s", code, hdr.Get("Content-Type"))
	}
	doc, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if doc.Info.Version != "test" || doc.Paths.Find("/api/v1/jobs/{id}") == nil {
		t.Fatalf("served document: version %q, jobs path %v", doc.Info.Version, doc.Paths.Find("/api/v1/jobs/{id}") != nil)
	}
}

// validating wraps the API so that every response a test provokes is
// checked against the OpenAPI document (status documented, body matching
// its schema). Failures are reported on t.
func validating(t *testing.T, h http.Handler) http.Handler {
	t.Helper()
	doc, err := loadOpenAPI(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	doc.Servers = nil // match paths on any host
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		body := rec.Body.Bytes()
		_, _ = w.Write(body)

		route, params, err := router.FindRoute(r)
		if err != nil {
			if undocumented(r.URL.Path) || err == routers.ErrPathNotFound && rec.Code == 404 {
				return
			}
			mu.Lock()
			t.Errorf("openapi: %s %s is not documented: %v", r.Method, r.URL.Path, err)
			mu.Unlock()
			return
		}
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{
				Request: r, PathParams: params, Route: route,
				Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
			},
			Status: rec.Code,
			Header: rec.Header(),
			Body:   io.NopCloser(bytes.NewReader(body)),
			Options: &openapi3filter.Options{
				IncludeResponseStatus: true,
				// Binary bodies (tiles, XLSX) are not decoded.
				ExcludeResponseBody: !strings.Contains(rec.Header().Get("Content-Type"), "json"),
			},
		}
		if err := openapi3filter.ValidateResponse(r.Context(), in); err != nil {
			mu.Lock()
			t.Errorf("openapi: %s %s answered %d not as documented: %v", r.Method, r.URL.Path, rec.Code, err)
			mu.Unlock()
		}
	})
}
