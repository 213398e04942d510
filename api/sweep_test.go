package api

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/allocation"
	"github.com/gapmap/gapmap/allocation/runs"
	"github.com/gapmap/gapmap/coverage"
	"github.com/gapmap/gapmap/coveragerun"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/gen"
	"github.com/gapmap/gapmap/data/importer"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
	"github.com/go-chi/chi/v5"
)

// publicRoutes answer without a user: operations, the API document, the
// loaded-data counts, the start page and the web app's static files, and
// logging in and out.
func publicRoute(method, route string) bool {
	switch route {
	case "/", "/assets/*", "/healthz", "/readyz", "/metrics", "/api/openapi.json", "/api/summary", "/api/v1/summary", "/api/v1/login", "/api/v1/logout":
		return true
	}
	return false
}

// personIDs matches the generator's household and student ids.
var personIDs = regexp.MustCompile(`H[HS]\d{8}`)

// TestRoleSweep calls every route of the router on a generated, analysed
// and allocated province: anonymous requests get 401 everywhere but the
// public routes; for an operator and a viewer no GET route fails with a
// 5xx or returns a household or student id, and no route that changes
// anything is allowed to a viewer.
func TestRoleSweep(t *testing.T) {
	ctx := context.Background()
	st := pgtest.New(t)
	dir := t.TempDir()
	if _, err := gen.Generate(ctx, gen.Options{Seed: 11, Scale: 0.05, OutDir: dir}); err != nil {
		t.Fatal(err)
	}
	if _, err := importer.ImportDir(ctx, st, dir, importer.Options{}); err != nil {
		t.Fatal(err)
	}
	cov, err := coveragerun.Analyze(ctx, st, coveragerun.Options{Settings: coverage.DefaultSettings()})
	if err != nil {
		t.Fatal(err)
	}
	alloc, err := (&runs.Service{Store: st}).Commit(ctx, runs.Options{Settings: allocation.DefaultSettings(), Actor: "test"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var school, student, area string
	if err := st.Pool().QueryRow(ctx, `SELECT school_id, student_id, area_code FROM allocations WHERE run_id = $1 ORDER BY student_id LIMIT 1`, alloc.Run.ID).Scan(&school, &student, &area); err != nil {
		t.Fatal(err)
	}
	// A z12 tile holding that school.
	var z, x, y = 12, 0, 0
	if err := st.Pool().QueryRow(ctx, `SELECT floor((ST_X(geom) + 180) / 360 * 4096)::int,
		floor((1 - ln(tan(radians(ST_Y(geom))) + 1 / cos(radians(ST_Y(geom)))) / pi()) / 2 * 4096)::int FROM schools WHERE school_id = $1`, school).Scan(&x, &y); err != nil {
		t.Fatal(err)
	}

	// Names and dates of birth are internal: none may reach an operator
	// or a viewer (checked below on every GET).
	if _, err := st.Pool().Exec(ctx, `UPDATE students SET full_name = 'Bí Mật ' || student_id, birth_date = '2012-03-04'`); err != nil {
		t.Fatal(err)
	}
	s := NewServer(ctx, Deps{Store: st, Version: "test"})
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	hs := httptest.NewServer(s)
	defer hs.Close()
	tokens := map[data.Role]string{}
	for _, u := range []data.User{{Name: "op", Role: data.RoleOperator, Operator: "viettel"}, {Name: "viewer", Role: data.RoleViewer}} {
		created, err := st.CreateUser(ctx, u, "")
		if err != nil {
			t.Fatal(err)
		}
		if tokens[u.Role], err = st.NewToken(ctx, created.ID); err != nil {
			t.Fatal(err)
		}
	}

	fill := func(route string) []string {
		r := strings.NewReplacer("{run}", itoa(cov.ID), "{school_id}", school, "{student_id}", student, "{code}", area,
			"{z}", itoa(int64(z)), "{x}", itoa(int64(x)), "{y}", itoa(int64(y)), "{kind}", "sites", "{name}", "viewer")
		p := route
		switch {
		case strings.HasPrefix(p, "/api/v1/allocation/runs/{id}"):
			p = strings.Replace(p, "{id}", itoa(alloc.Run.ID), 1)
		case strings.HasPrefix(p, "/api/v1/jobs/{id}"):
			p = strings.Replace(p, "{id}", "1", 1)
		default:
			p = strings.Replace(p, "{id}", "X1", 1)
		}
		p = r.Replace(p)
		if strings.Contains(p, "{layer}") {
			var out []string
			for _, l := range []string{"cells", "gaps", "schools", "sectors", "fiber", "areas"} {
				out = append(out, strings.Replace(p, "{layer}", l, 1))
			}
			return out
		}
		return []string{p}
	}
	type op struct{ method, route string }
	var ops []op
	if err := chi.Walk(s.handler.(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		ops = append(ops, op{method, route})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].route+ops[i].method < ops[j].route+ops[j].method })
	if len(ops) < 50 {
		t.Fatalf("only %d routes walked", len(ops))
	}
	call := func(method, path, token string) (int, string) {
		req, _ := http.NewRequest(method, hs.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	checked := 0
	for _, o := range ops {
		for _, path := range fill(o.route) {
			// Anonymous: 401 except the public routes.
			if code, body := call(o.method, path, ""); !publicRoute(o.method, o.route) && code != http.StatusUnauthorized {
				t.Errorf("anonymous %s %s = %d, want 401: %.200s", o.method, path, code, body)
			}
			for role, tok := range tokens {
				if o.method != http.MethodGet {
					if role == data.RoleViewer && !publicRoute(o.method, o.route) {
						// A viewer changes nothing: refused before any body is read.
						if code, body := call(o.method, path, tok); code != http.StatusForbidden {
							t.Errorf("viewer %s %s = %d, want 403: %.200s", o.method, path, code, body)
						}
					}
					continue
				}
				code, body := call(o.method, path, tok)
				checked++
				if code >= 500 {
					t.Errorf("%s GET %s = %d: %.300s", role, path, code, body)
				}
				if ids := personIDs.FindAllString(body, 3); len(ids) > 0 {
					t.Errorf("%s GET %s (%d) shows household or student ids %v", role, path, code, ids)
				}
				if strings.Contains(body, "Bí Mật") || strings.Contains(body, "Bi Mat") || strings.Contains(body, "2012-03-04") || strings.Contains(body, "04/03/2012") {
					t.Errorf("%s GET %s (%d) shows a student's name or date of birth", role, path, code)
				}
			}
		}
	}
	if checked < 80 {
		t.Fatalf("only %d GET requests checked", checked)
	}
}
