package format

import (
	"context"
	"os"
	"testing"
)

// BenchmarkReadDir reads the exchange files of $GAPMAP_BENCH_DIR (e.g. the
// output of gapmap gen --areas …/bac_giang/communes.geojson): the read
// phase of gapmap analyze --in DIR. Skipped without the variable.
func BenchmarkReadDir(b *testing.B) {
	dir := os.Getenv("GAPMAP_BENCH_DIR")
	if dir == "" {
		b.Skip("GAPMAP_BENCH_DIR is not set")
	}
	b.ReportAllocs()
	for b.Loop() {
		ds, err := ReadDir(context.Background(), dir)
		if err != nil {
			b.Fatal(err)
		}
		if len(ds.Households) == 0 {
			b.Fatal("no households")
		}
	}
}
