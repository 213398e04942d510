package importbench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data/postgis"
)

// TestRunSmall runs the benchmark on a small file into a scratch database
// of its own, and checks the report and that the database is gone.
func TestRunSmall(t *testing.T) {
	ctx := context.Background()
	base := postgis.URL("", os.Getenv)
	name := fmt.Sprintf("gapmap_bench_import_test_%d", time.Now().UnixNano())
	var progress bytes.Buffer
	rep, err := Run(ctx, Options{DatabaseURL: base, Database: name, Households: 2000, Runs: 1, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Households < 1000 || rep.Households > 4000 || rep.Runs != 1 {
		t.Fatalf("report %+v", rep)
	}
	if len(rep.Import) != 1 || rep.Import[0] <= 0 || len(rep.RawCopy) != 1 || rep.RawCopy[0] <= 0 {
		t.Fatalf("rates %v %v", rep.Import, rep.RawCopy)
	}
	if rep.PeakRSS <= 0 {
		t.Fatalf("peak RSS %d", rep.PeakRSS)
	}
	if !strings.Contains(progress.String(), "run 1: import ") {
		t.Fatalf("progress %q", progress.String())
	}
	var out bytes.Buffer
	if err := rep.Write(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{fmt.Sprintf("%d households, 1 runs, bulk path %v", rep.Households, rep.Bulk),
		"gapmap import households (median)", "plain COPY, no indexes (median, baseline)", "ratio import / plain COPY", "peak RSS of this process"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	c, err := adminConn(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var n int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("scratch database %s left behind", name)
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := Median(c.in); got != c.want {
			t.Errorf("Median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}
