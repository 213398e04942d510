package coverage

import (
	"context"
	"hash/fnv"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/gen"
)

// bacGiang generates Bắc Giang (the real communes, seed 1) once per test
// binary into a temporary directory and parses it; it skips when the real
// communes are not beside the module.
var bacGiang = sync.OnceValues(func() (*data.Dataset, error) {
	communes, err := filepath.Abs("../../shared/realdata/bac_giang/communes.geojson")
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(communes); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "gapmap-coverage-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	if _, err := gen.Generate(ctx, gen.Options{AreasPath: communes, Seed: 1, Scale: 1, OutDir: dir}); err != nil {
		return nil, err
	}
	return format.ReadDir(ctx, dir)
})

// withRange returns a shallow copy of ds whose sectors all have range_m
// r (long rural 4G ranges: the cost of classification grows with range).
func withRange(ds *data.Dataset, r float64) *data.Dataset {
	c := *ds
	c.Sectors = append([]data.Sector(nil), ds.Sectors...)
	for i := range c.Sectors {
		c.Sectors[i].RangeM = r
	}
	return &c
}

// fingerprint hashes every per-entity answer of a run (masks, class,
// distances bit for bit, nearest site) and the cells: equal fingerprints
// before and after a change mean bit-identical results.
func fingerprint(r *Result) uint64 {
	h := fnv.New64a()
	var b [8]byte
	put := func(v uint64) {
		for k := range b {
			b[k] = byte(v >> (8 * k))
		}
		h.Write(b[:])
	}
	e := r.e
	for i := 0; i < e.n; i++ {
		for _, mk := range e.covMasks(i) {
			put(uint64(mk))
		}
		put(uint64(e.class[i]))
		put(math.Float64bits(e.nearest4(i)))
		put(uint64(e.near4Site[i]))
		put(math.Float64bits(e.node[i]))
		put(math.Float64bits(e.route[i]))
		put(uint64(r.gapOf(i)))
	}
	for _, d := range e.nearOp {
		put(math.Float64bits(d))
	}
	for _, c := range r.Cells {
		put(uint64(c.Cell))
		for _, s := range c.Share4G {
			put(math.Float64bits(s))
		}
		put(math.Float64bits(c.Share4GAny))
		put(math.Float64bits(c.ShareFiber))
		put(uint64(c.Served))
	}
	for _, g := range r.Gaps {
		h.Write([]byte(g.ID))
		put(math.Float64bits(g.Score.Score))
	}
	return h.Sum64()
}

// BenchmarkAnalyzeBacGiang is a whole analysis of Bắc Giang (≈478k homes
// and schools, parsing excluded) with the generator's sectors (ranges from
// the table) and with every sector's range at 15 km. It reports the
// classification phase (classify_s), the whole analysis (analyze_s) and
// the results' fingerprint; live_B/entity is the heap a Result keeps
// (after a GC) per school or household.
func BenchmarkAnalyzeBacGiang(b *testing.B) {
	ds, err := bacGiang()
	if err != nil {
		b.Skipf("Bắc Giang not available: %v", err)
	}
	for _, c := range []struct {
		name string
		ds   *data.Dataset
	}{
		{"table", ds},
		{"range15km", withRange(ds, 15000)},
	} {
		b.Run(c.name, func(b *testing.B) {
			in := Input{Dataset: c.ds, Date: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			var classify, total, live float64
			var fp uint64
			var ms runtime.MemStats
			for b.Loop() {
				runtime.GC()
				runtime.ReadMemStats(&ms)
				before := ms.HeapAlloc
				t0 := time.Now()
				r, err := Analyze(context.Background(), in, DefaultSettings())
				if err != nil {
					b.Fatal(err)
				}
				total += time.Since(t0).Seconds()
				for _, t := range r.Timings {
					if t.Phase == "classify" {
						classify += t.Seconds
					}
				}
				b.StopTimer()
				runtime.GC()
				runtime.ReadMemStats(&ms)
				live += float64(ms.HeapAlloc) - float64(before)
				fp = fingerprint(r)
				runtime.KeepAlive(r)
				b.StartTimer()
				if os.Getenv("GAPMAP_BENCH_PHASES") != "" {
					b.Log(FormatTimings(r.Timings))
				}
			}
			b.ReportMetric(classify/float64(b.N), "classify_s")
			b.ReportMetric(total/float64(b.N), "analyze_s")
			b.ReportMetric(live/float64(b.N)/float64(len(c.ds.Schools)+len(c.ds.Households)), "live_B/entity")
			b.ReportMetric(float64(fp>>40), "fp_hi24")
			b.ReportMetric(float64(fp&0xFFFFFF), "fp_lo24")
		})
	}
}
