package allocation

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/internal/procstat"
)

// BenchmarkAllocate runs Allocate on a national-scale input: 2M students,
// 500k devices, 700 districts, 11k communes (≈45k schools). It reports the
// process's peak RSS (VmHWM, Linux), generator included.
func BenchmarkAllocate(b *testing.B) {
	in := GenerateBench(1, 2_000_000, 500_000, 700, 11_000)
	s := DefaultSettings()
	ctx := context.Background()
	b.ReportAllocs()
	var res *Result
	for b.Loop() {
		var err error
		res, err = Allocate(ctx, in, s)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(in.Schools)), "schools")
	b.ReportMetric(float64(len(res.Allocations)), "allocations")
	if rss, ok := procstat.PeakRSS(); ok {
		b.ReportMetric(float64(rss)/(1<<20), "peakRSS-MB")
	}
}

// RunBench on a small input writes one row per run and the metrics table.
func TestRunBenchSmall(t *testing.T) {
	var out bytes.Buffer
	err := RunBench(context.Background(), BenchOptions{Runs: 2, Students: 2000, Devices: 500, Districts: 11, Communes: 40, Seed: 1, Settings: DefaultSettings()}, &out)
	if err != nil {
		t.Fatal(err)
	}
	s := out.String()
	in := GenerateBench(1, 2000, 500, 11, 40)
	for _, want := range []string{
		fmt.Sprintf("gapmap bench allocation: %d students, %d devices, %d areas, %d schools, %d SIM packages (seed 1)", len(in.Students), len(in.Devices), len(in.Areas), len(in.Schools), len(in.SimPackages)),
		"\n1  ", "\n2  ", "median wall (Allocate)", "min / max wall", "≤ 3.000 s", "needs (tiers 1–3, no device)", "allocations made", "SIMs given", "devices rejected at intake",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if err := RunBench(context.Background(), BenchOptions{Runs: 0, Students: 1, Districts: 1, Communes: 1}, &out); err == nil {
		t.Error("0 runs accepted")
	}
}
