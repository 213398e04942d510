package allocation

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
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
	if mb, ok := peakRSSMB(); ok {
		b.ReportMetric(mb, "peakRSS-MB")
	}
}

// peakRSSMB reads the peak resident set size of this process (Linux).
func peakRSSMB() (float64, bool) {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				return 0, false
			}
			kb, err := strconv.ParseFloat(f[0], 64)
			if err != nil {
				return 0, false
			}
			return kb / 1024, true
		}
	}
	return 0, false
}
