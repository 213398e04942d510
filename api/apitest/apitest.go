// Package apitest holds test helpers for the HTTP API. It is imported by
// tests only (package api's own tests, package api_test and cmd/gapmap's
// tests); production code never imports it.
//
// It does not import package api, so that package api's internal tests can
// use it too: Validating reads the OpenAPI document from the handler it
// wraps (GET /api/openapi.json), which is the document clients get.
package apitest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Undocumented reports whether path is outside the JSON API (the web app):
// such routes are neither documented nor validated.
func Undocumented(path string) bool {
	return path == "/" || strings.HasSuffix(path, "/*")
}

// Document reads the OpenAPI document h serves at /api/openapi.json.
func Document(t testing.TB, h http.Handler) *openapi3.T {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/api/openapi.json", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /api/openapi.json = %d: %s", rec.Code, rec.Body.String())
	}
	doc, err := openapi3.NewLoader().LoadFromData(rec.Body.Bytes())
	if err != nil {
		t.Fatalf("the served OpenAPI document does not load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the served OpenAPI document is not valid: %v", err)
	}
	return doc
}

// Validating wraps the API h so that every response a test provokes is
// checked against the OpenAPI document h serves: the status must be
// documented for the operation and a JSON body must match its schema.
// Failures are reported on t (the response still reaches the client).
func Validating(t testing.TB, h http.Handler) http.Handler {
	t.Helper()
	doc := Document(t, h)
	doc.Servers = nil // match paths on any host
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
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
			if Undocumented(r.URL.Path) || err == routers.ErrPathNotFound && rec.Code == http.StatusNotFound {
				return
			}
			t.Errorf("openapi: %s %s is not documented: %v", r.Method, r.URL.Path, err)
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
			t.Errorf("openapi: %s %s answered %d not as documented: %v", r.Method, r.URL.Path, rec.Code, err)
		}
	})
}
