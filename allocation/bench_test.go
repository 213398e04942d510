package allocation

import (
	"context"
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
