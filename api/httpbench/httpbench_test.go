package httpbench_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gapmap/gapmap/api/httpbench"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
	"github.com/gapmap/gapmap/geo"
)

// A short benchmark on a small run: every request succeeds, both servers
// serve hex tiles at every zoom, the report holds its figures, and the
// benchmark's account is disabled afterwards.
func TestRunShort(t *testing.T) {
	st := pgtest.New(t)
	ctx := t.Context()
	pool := st.Pool()
	var run int64
	if err := pool.QueryRow(ctx, `INSERT INTO coverage_runs (parameters) VALUES ('{}') RETURNING id`).Scan(&run); err != nil {
		t.Fatal(err)
	}
	seen := map[geo.Cell]bool{}
	for i := range 20 {
		c9, err := geo.CellOf(21.3+0.004*float64(i%5), 106.2+0.004*float64(i/5), 9)
		if err != nil {
			t.Fatal(err)
		}
		for res := 9; res >= 5; res-- {
			c, err := c9.Parent(res)
			if err != nil {
				t.Fatal(err)
			}
			if seen[c] {
				continue
			}
			seen[c] = true
			ring, err := c.Boundary()
			if err != nil {
				t.Fatal(err)
			}
			var w strings.Builder
			for j, p := range ring {
				if j > 0 {
					w.WriteString(",")
				}
				w.WriteString(strings.TrimSpace(strings.Join([]string{ftoa(p[0]), ftoa(p[1])}, " ")))
			}
			if _, err := pool.Exec(ctx, `INSERT INTO coverage_cells (run_id, h3, res, households, students_t1, geom)
				VALUES ($1, $2, $3, 10, 3, ST_GeomFromText('POLYGON((' || $4 || '))', 4326))`, run, int64(c), res, w.String()); err != nil {
				t.Fatal(err)
			}
		}
	}
	var progress bytes.Buffer
	rep, err := httpbench.Run(ctx, httpbench.Options{Store: st, Clients: 4, Duration: 700 * time.Millisecond, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Run != run || rep.Hex.Requests == 0 || rep.API.Requests == 0 || rep.Baseline.Requests == 0 || rep.Ratio <= 0 {
		t.Fatalf("report %+v", rep)
	}
	if n := rep.Hex.Errors + rep.API.Errors + rep.Baseline.Errors; n != 0 {
		t.Fatalf("%d errors: %v", n, rep.FirstErrors)
	}
	if len(rep.HexByZoom) != 9 || rep.HexByZoom[0].Name != "z6" || rep.TilesPerZoom[14] == 0 {
		t.Fatalf("zooms %+v, tiles %v", rep.HexByZoom, rep.TilesPerZoom)
	}
	for _, z := range append(rep.HexByZoom, rep.BaselineByZoom...) {
		if z.Requests == 0 || z.P50 <= 0 || z.P95 < z.P50 || z.P99 < z.P95 {
			t.Errorf("zoom %s: %+v", z.Name, z)
		}
	}
	var out bytes.Buffer
	if err := rep.Write(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"gapmap hex tiles", "baseline hex tiles", "throughput ratio", "p95", "errors: 0"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	var disabled bool
	if err := pool.QueryRow(ctx, `SELECT bool_and(disabled) FROM users WHERE name LIKE 'bench-http-%'`).Scan(&disabled); err != nil || !disabled {
		t.Errorf("the benchmark account is not disabled (%v)", err)
	}
}

func ftoa(f float64) string { return strings.TrimRight(strings.TrimRight(fmtF(f), "0"), ".") }

func fmtF(f float64) string { return strconv.FormatFloat(f, 'f', 9, 64) }
