package importer

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
)

// benchHouseholds writes (once per machine: it is kept in the temporary
// directory) a households.csv of n rows: deterministic points spread over
// the test world's areas (see testAreas), without area_code, so every row
// goes through the point-in-polygon lookup.
func benchHouseholds(b *testing.B, n int) string {
	b.Helper()
	dir := filepath.Join(os.TempDir(), "gapmap-bench")
	path := filepath.Join(dir, fmt.Sprintf("households-%d-v1.csv", n))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	tmp, err := os.CreateTemp(dir, "households-*.csv.tmp")
	if err != nil {
		b.Fatal(err)
	}
	defer os.Remove(tmp.Name())
	bw := bufio.NewWriterSize(tmp, 1<<20)
	w, err := format.NewCSV(bw, format.HouseholdHeader())
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(24, 2021))
	poverty := []string{data.PovertyNone, data.PovertyNone, data.PovertyNone, data.PovertyNone, data.PovertyNearPoor, data.PovertyPoor}
	for i := 0; i < n; i++ {
		h := data.Household{
			ID:        fmt.Sprintf("24%08d", i),
			Lat:       21.0001 + rng.Float64()*0.1998,
			Lon:       105.0001 + rng.Float64()*0.3998,
			Precision: data.PrecisionGPS,
			Poverty:   poverty[rng.IntN(len(poverty))],
			Members:   1 + rng.IntN(8),
		}
		// Six decimals: about 10 cm, as a phone's GPS writes them.
		h.Lat = float64(int64(h.Lat*1e6)) / 1e6
		h.Lon = float64(int64(h.Lon*1e6)) / 1e6
		if err := w.Write(format.HouseholdRecord(h)); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := tmp.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		b.Fatal(err)
	}
	return path
}

// heapSampler records the peak of live heap objects while it runs.
type heapSampler struct {
	stop chan struct{}
	wg   sync.WaitGroup
	peak uint64
}

func sampleHeap() *heapSampler {
	h := &heapSampler{stop: make(chan struct{})}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			h.peak = max(h.peak, s[0].Value.Uint64())
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

func (h *heapSampler) Stop() uint64 {
	close(h.stop)
	h.wg.Wait()
	return h.peak
}

// BenchmarkImportHouseholds1M imports a 1M-row households.csv into a fresh
// database per iteration (areas loaded first, untimed): parse, point in
// polygon, H3, binary COPY, keys and indexes. It reports rows/s (mean
// over the iterations; the median per iteration is logged) and the peak
// live heap.
func BenchmarkImportHouseholds1M(b *testing.B) {
	const n = 1_000_000
	path := benchHouseholds(b, n)
	areas := areasFile(b, b.TempDir(), testAreas())
	ctx := context.Background()
	var total time.Duration
	var rates []float64
	var peak uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s := pgtest.New(b)
		mustImport(b, s, format.KindAreas, areas, Options{})
		runtime.GC()
		hs := sampleHeap()
		b.StartTimer()
		start := time.Now()
		sum, err := Import(ctx, s, format.KindHouseholds, path, Options{})
		el := time.Since(start)
		b.StopTimer()
		peak = max(peak, hs.Stop())
		if err != nil {
			b.Fatal(err)
		}
		if sum.Inserted != n {
			b.Fatalf("inserted %d rows, want %d", sum.Inserted, n)
		}
		total += el
		rates = append(rates, n/el.Seconds())
		b.Logf("iteration %d: %s (bulk %v): %.0f rows/s", i, el.Round(time.Millisecond), sum.Bulk, n/el.Seconds())
		s.Close()
		b.StartTimer()
	}
	b.StopTimer()
	sort.Float64s(rates)
	b.ReportMetric(float64(n*b.N)/total.Seconds(), "rows/s")
	b.ReportMetric(rates[len(rates)/2], "median-rows/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// BenchmarkImportHouseholdsKeysInPlace imports 200k households into a
// table that already has rows: no bulk load, every key and foreign key
// checked row by row as COPY writes it (the path of incremental imports).
func BenchmarkImportHouseholdsKeysInPlace(b *testing.B) {
	const n = 200_000
	path := benchHouseholds(b, n)
	dir := b.TempDir()
	areas := areasFile(b, dir, testAreas())
	seed := csvFile(b, dir, "households.csv", format.HouseholdHeader(), []string{"seed", "21.05", "105.05", "", "gps", "none", "1"})
	ctx := context.Background()
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s := pgtest.New(b)
		mustImport(b, s, format.KindAreas, areas, Options{})
		mustImport(b, s, format.KindHouseholds, seed, Options{})
		b.StartTimer()
		start := time.Now()
		sum, err := Import(ctx, s, format.KindHouseholds, path, Options{})
		total += time.Since(start)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if sum.Inserted != n || sum.Bulk {
			b.Fatalf("summary %+v", sum)
		}
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/total.Seconds(), "rows/s")
}
