package api

import (
	"context"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/api/apitest"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-chi/chi/v5"
)

// undocumented are routes that are not part of the JSON API: the web app.
var undocumented = apitest.Undocumented

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

// validating is apitest.Validating, for the tests of package api.
func validating(t *testing.T, h http.Handler) http.Handler {
	t.Helper()
	return apitest.Validating(t, h)
}
