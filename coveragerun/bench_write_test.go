package coveragerun

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/gapmap/gapmap/coverage"
)

// BenchmarkWriteFiles writes the four result files of an analysis of
// $GAPMAP_BENCH_DIR (the write phase of gapmap analyze --out). Skipped
// without the variable.
func BenchmarkWriteFiles(b *testing.B) {
	dir := os.Getenv("GAPMAP_BENCH_DIR")
	if dir == "" {
		b.Skip("GAPMAP_BENCH_DIR is not set")
	}
	ctx := context.Background()
	in, _, err := ReadFiles(ctx, dir, "", "")
	if err != nil {
		b.Fatal(err)
	}
	run, err := AnalyzeOffline(ctx, in, coverage.DefaultSettings())
	if err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(b.TempDir(), "out")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := WriteFiles(run.Result, out); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAnalyzeDir analyses the files of $GAPMAP_BENCH_DIR (read once,
// outside the timing): the analyse phase of gapmap analyze --in, to
// profile with -cpuprofile. It reports the exact geodesics per entity.
// Skipped without the variable.
func BenchmarkAnalyzeDir(b *testing.B) {
	dir := os.Getenv("GAPMAP_BENCH_DIR")
	if dir == "" {
		b.Skip("GAPMAP_BENCH_DIR is not set")
	}
	ctx := context.Background()
	in, _, err := ReadFiles(ctx, dir, "", "")
	if err != nil {
		b.Fatal(err)
	}
	var geodesics, entities float64
	b.ResetTimer()
	for b.Loop() {
		run, err := AnalyzeOffline(ctx, in, coverage.DefaultSettings())
		if err != nil {
			b.Fatal(err)
		}
		geodesics, entities = float64(run.Result.Geodesics), float64(run.Result.NumEntities())
	}
	b.ReportMetric(geodesics/entities, "geodesics/entity")
}
