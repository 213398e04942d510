package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gapmap/gapmap/coverage"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/gen"
	"github.com/gapmap/gapmap/data/postgis"
)

const benchCoverageSynopsis = `bench coverage [--realdata DIR] [--runs 3] [--national-scale 56 | --skip-national] [--baseline-sample 20000 | --no-baseline]

Measures the coverage engine on synthetic data generated on real boundaries:
  bac_giang   Bắc Giang province on its 230 real communes (≈478k homes)
  national    the real communes tiled N times (--national-scale, 56 ≈ 26.7M
              homes, ≈ Vietnam's 26.9M): counts as the country's, densities
              and ranges as a real province's (a plain ×56 on one province
              would put 56× the sites in the same place). Takes minutes;
              --skip-national leaves it out.
For each: the time to parse the files (reported apart), the median wall time
of --runs full analyses (every entity, cell, gap area), the peak resident
memory during the analyses (VmHWM, reset after parsing; it includes the
parsed dataset), and entities per second.
In the same run, the PostGIS baseline classifies a random sample of the
province's entities with SQL only (ST_DWithin on geography with GiST indexes
plus the beam test with ST_Azimuth; nearest 4G site by KNN then
ST_Distance) in DATABASE_URL, and the table shows the time per entity of
both, their ratio, and the agreement: share of entities with identical 4G
operator sets, largest difference of nearest-4G distances.`

func benchCoverage(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "bench coverage", benchCoverageSynopsis)
	realdata := fs.String("realdata", "", "directory of the real data (default: ../shared/realdata beside the repository)")
	runs := fs.Int("runs", 3, "analyses per dataset (the median is reported)")
	nationalRuns := fs.Int("national-runs", 3, "analyses of the national dataset")
	scale := fs.Int("national-scale", 56, "copies of the province in the national dataset (56 ≈ 26.7M homes)")
	skipNational := fs.Bool("skip-national", false, "leave the national dataset out (it takes minutes)")
	sample := fs.Int("baseline-sample", 20000, "entities the PostGIS baseline classifies (0: all; the full province takes minutes)")
	noBaseline := fs.Bool("no-baseline", false, "leave the PostGIS baseline out")
	work := fs.String("work", "", "directory for the generated files (default: a temporary one, removed at the end)")
	seed := fs.Int64("seed", 1, "generator seed")
	workers := fs.Int("workers", 0, "goroutines (default: all cores)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *runs < 1 || *nationalRuns < 1 {
		return usageError{"--runs and --national-runs must be at least 1"}
	}
	limitMemory(e.getenv)
	communes, err := realCommunesPath(*realdata)
	if err != nil {
		return err
	}
	dir := *work
	if dir == "" {
		d, err := os.MkdirTemp("", "gapmap-bench-coverage-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	s := coverage.DefaultSettings()
	s.Workers = *workers
	var rows []benchRow
	log := func(format string, a ...any) { fmt.Fprintf(e.stderr, format+"\n", a...) }

	// Province.
	provDir := filepath.Join(dir, "bac_giang")
	log("generating Bắc Giang on %s …", communes)
	if _, err := gen.Generate(ctx, gen.Options{AreasPath: communes, Seed: *seed, Scale: 1, OutDir: provDir}); err != nil {
		return fmt.Errorf("generating the province: %w", err)
	}
	prov, res, err := benchDataset(ctx, e, "bac_giang", provDir, s, *runs)
	if err != nil {
		return err
	}
	rows = append(rows, prov)
	var bl *baselineRow
	if !*noBaseline {
		log("PostGIS baseline on a sample of %d entities …", *sample)
		b, err := runBaseline(ctx, e, res, *sample, *seed, prov.medianS/float64(prov.entities))
		if err != nil {
			return fmt.Errorf("PostGIS baseline: %w (run with --no-baseline to skip it)", err)
		}
		bl = b
	}
	res = nil
	os.RemoveAll(provDir)
	runtime.GC()
	debug.FreeOSMemory()

	// National.
	if !*skipNational && *scale > 0 {
		natDir := filepath.Join(dir, "national")
		areas := filepath.Join(dir, "national_areas.geojson")
		log("tiling the communes %d times …", *scale)
		if err := tileAreas(communes, areas, *scale); err != nil {
			return err
		}
		log("generating the national dataset (minutes) …")
		t0 := time.Now()
		if _, err := gen.Generate(ctx, gen.Options{AreasPath: areas, Seed: *seed, Scale: 1, OutDir: natDir}); err != nil {
			return fmt.Errorf("generating the national dataset: %w", err)
		}
		log("generated in %.0fs", time.Since(t0).Seconds())
		nat, _, err := benchDataset(ctx, e, fmt.Sprintf("national (×%d)", *scale), natDir, s, *nationalRuns)
		if err != nil {
			return err
		}
		rows = append(rows, nat)
		os.RemoveAll(natDir)
	}
	printBench(e.stdout, rows, bl, runtime.GOMAXPROCS(0))
	return nil
}

type benchRow struct {
	name                       string
	entities, sectors, cells   int
	gaps                       int
	parseS                     float64
	runsS                      []float64
	medianS                    float64
	rssAfterParseMB, peakRSSMB float64
	phases                     []coverage.Timing
}

type baselineRow struct {
	sample, total        int
	pgClassifyS, pgNearS float64
	pgPerEntityMS        float64
	oursPerEntityMS      float64
	ratio                float64
	sameOps              int
	maxNearestDiffM      float64
	disagreements        []string
}

// benchDataset parses dir and analyses it runs times.
func benchDataset(ctx context.Context, e *env, name, dir string, s coverage.Settings, runs int) (benchRow, *coverage.Result, error) {
	row := benchRow{name: name}
	t0 := time.Now()
	ds, err := format.ReadDir(ctx, dir)
	if err != nil {
		return row, nil, fmt.Errorf("parsing %s: %w", name, err)
	}
	row.parseS = time.Since(t0).Seconds()
	runtime.GC()
	debug.FreeOSMemory()
	row.rssAfterParseMB = procStatusMB("VmRSS")
	resetPeakRSS()
	var last *coverage.Result
	for k := 0; k < runs; k++ {
		last = nil
		runtime.GC()
		t := time.Now()
		r, err := coverage.Analyze(ctx, coverage.Input{Dataset: ds}, s)
		if err != nil {
			return row, nil, err
		}
		d := time.Since(t).Seconds()
		row.runsS = append(row.runsS, d)
		fmt.Fprintf(e.stderr, "%s run %d: %.2fs (%s)\n", name, k+1, d, timingsText(r.Timings))
		last = r
	}
	row.peakRSSMB = procStatusMB("VmHWM")
	row.entities, row.sectors, row.cells, row.gaps = last.NumEntities(), last.Sectors, len(last.Cells), len(last.Gaps)
	row.phases = last.Timings
	sorted := append([]float64(nil), row.runsS...)
	sort.Float64s(sorted)
	row.medianS = sorted[len(sorted)/2]
	return row, last, nil
}

// runBaseline classifies a sample with PostGIS and compares.
func runBaseline(ctx context.Context, e *env, r *coverage.Result, n int, seed int64, oursPerEntityS float64) (*baselineRow, error) {
	st, err := postgis.Open(ctx, databaseURL(e))
	if err != nil {
		return nil, err
	}
	defer st.Close()
	total := r.NumEntities()
	idx := make([]int, total)
	for i := range idx {
		idx[i] = i
	}
	if n > 0 && n < total {
		rng := rand.New(rand.NewSource(seed))
		rng.Shuffle(total, func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		idx = idx[:n]
		sort.Ints(idx)
	}
	pts := make([]postgis.BaselinePoint, len(idx))
	for k, i := range idx {
		x := r.Entity(i)
		pts[k] = postgis.BaselinePoint{Lat: x.Lat, Lon: x.Lon}
	}
	var secs []postgis.BaselineSector
	for _, s := range r.EffectiveSectors() {
		secs = append(secs, postgis.BaselineSector{
			Operator: s.Operator, Lat: s.Lat, Lon: s.Lon, RangeM: s.RangeM, AzimuthDeg: s.AzimuthDeg,
			BeamwidthDeg: s.BeamwidthDeg, FourG: s.Technology == "4G" || s.Technology == "5G",
		})
	}
	got, tc, tn, err := postgis.CoverageBaseline(ctx, st.Pool(), secs, pts)
	if err != nil {
		return nil, err
	}
	b := &baselineRow{sample: len(idx), total: total, pgClassifyS: tc.Seconds(), pgNearS: tn.Seconds()}
	b.pgPerEntityMS = 1000 * tc.Seconds() / float64(len(idx))
	b.oursPerEntityMS = 1000 * oursPerEntityS
	b.ratio = b.pgPerEntityMS / b.oursPerEntityMS
	for k, i := range idx {
		x := r.Entity(i)
		ours := strings.Join(x.Operators4G, ";")
		theirs := strings.Join(got[k].Operators, ";")
		if ours == theirs {
			b.sameOps++
		} else if len(b.disagreements) < 10 {
			b.disagreements = append(b.disagreements, fmt.Sprintf("%s %s: ours {%s}, PostGIS {%s}", x.Kind, x.ID, ours, theirs))
		}
		a, c := x.Nearest4GM, got[k].Nearest4GM
		switch {
		case math.IsInf(a, 0) != math.IsInf(c, 0):
			b.maxNearestDiffM = math.Inf(1)
		case !math.IsInf(a, 0):
			b.maxNearestDiffM = math.Max(b.maxNearestDiffM, math.Abs(a-c))
		}
	}
	return b, nil
}

func printBench(w io.Writer, rows []benchRow, bl *baselineRow, procs int) {
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	fmt.Fprintf(bw, "coverage engine, %d cores (GOMAXPROCS), %s\n\n", procs, runtime.Version())
	fmt.Fprintf(bw, "%-16s %11s %8s %8s %6s %8s %10s %-22s %10s %10s %12s\n",
		"dataset", "entities", "sectors", "cells", "gaps", "parse_s", "analyze_s", "runs_s", "rss_MB", "peak_MB", "entities/s")
	for _, r := range rows {
		rs := make([]string, len(r.runsS))
		for i, x := range r.runsS {
			rs[i] = strconv.FormatFloat(x, 'f', 2, 64)
		}
		fmt.Fprintf(bw, "%-16s %11d %8d %8d %6d %8.2f %10.2f %-22s %10.0f %10.0f %12.0f\n",
			r.name, r.entities, r.sectors, r.cells, r.gaps, r.parseS, r.medianS, strings.Join(rs, " "),
			r.rssAfterParseMB, r.peakRSSMB, float64(r.entities)/r.medianS)
	}
	fmt.Fprintln(bw, "\nanalyze_s: median wall time of a full analysis (parsing excluded); rss_MB: resident after parsing;")
	fmt.Fprintln(bw, "peak_MB: VmHWM during the analyses (dataset included). Phases of the last run:")
	for _, r := range rows {
		fmt.Fprintf(bw, "  %-16s %s\n", r.name, timingsText(r.phases))
	}
	if bl != nil {
		fmt.Fprintf(bw, "\nPostGIS baseline (bac_giang, sample %d of %d entities, SQL only):\n", bl.sample, bl.total)
		fmt.Fprintf(bw, "  classification query %.2fs = %.4f ms/entity; nearest-4G query %.2fs\n", bl.pgClassifyS, bl.pgPerEntityMS, bl.pgNearS)
		fmt.Fprintf(bw, "  engine (full analysis, median) %.5f ms/entity → %.0f× faster; full province in PostGIS ≈ %.0fs\n",
			bl.oursPerEntityMS, bl.ratio, bl.pgPerEntityMS*float64(bl.total)/1000)
		fmt.Fprintf(bw, "  agreement: %.4f%% identical 4G operator sets (%d/%d), max |Δ nearest 4G| %.6f m\n",
			100*float64(bl.sameOps)/float64(bl.sample), bl.sameOps, bl.sample, bl.maxNearestDiffM)
		for _, d := range bl.disagreements {
			fmt.Fprintf(bw, "    %s\n", d)
		}
	}
}

// realCommunesPath finds bac_giang/communes.geojson.
func realCommunesPath(flagDir string) (string, error) {
	var cands []string
	if flagDir != "" {
		cands = append(cands, flagDir)
	} else {
		if wd, err := os.Getwd(); err == nil {
			for d := wd; ; d = filepath.Dir(d) {
				if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
					cands = append(cands, filepath.Join(d, "..", "shared", "realdata"))
					break
				}
				if filepath.Dir(d) == d {
					break
				}
			}
			cands = append(cands, filepath.Join(wd, "..", "shared", "realdata"))
		}
	}
	for _, c := range cands {
		p := filepath.Join(c, "bac_giang", "communes.geojson")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("bac_giang/communes.geojson not found in %s: pass --realdata DIR (the shared/realdata directory)", strings.Join(cands, ", "))
}

// tileAreas writes n copies of the communes, shifted on a grid southwards
// and eastwards, each copy a province of its own with unique names and
// codes.
func tileAreas(src, dst string, n int) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	var fc struct {
		Type     string           `json:"type"`
		Features []map[string]any `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	if len(fc.Features) == 0 {
		return errors.New(src + " has no features")
	}
	// Extent of the source.
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	var walk func(c any, fn func(p []any))
	walk = func(c any, fn func(p []any)) {
		arr, ok := c.([]any)
		if !ok || len(arr) == 0 {
			return
		}
		if _, isNum := arr[0].(float64); isNum {
			fn(arr)
			return
		}
		for _, x := range arr {
			walk(x, fn)
		}
	}
	for _, f := range fc.Features {
		g, _ := f["geometry"].(map[string]any)
		walk(g["coordinates"], func(p []any) {
			x, y := p[0].(float64), p[1].(float64)
			minX, maxX = math.Min(minX, x), math.Max(maxX, x)
			minY, maxY = math.Min(minY, y), math.Max(maxY, y)
		})
	}
	dx, dy := (maxX-minX)*1.05, (maxY-minY)*1.1
	cols := int(math.Ceil(math.Sqrt(float64(n))))
	out := struct {
		Type     string           `json:"type"`
		Features []map[string]any `json:"features"`
	}{Type: "FeatureCollection"}
	for t := 0; t < n; t++ {
		ox, oy := float64(t%cols)*dx, -float64(t/cols)*dy
		suffix := fmt.Sprintf(" T%02d", t+1)
		for _, f := range fc.Features {
			props := map[string]any{}
			for k, v := range f["properties"].(map[string]any) {
				props[k] = v
			}
			for _, k := range []string{"province", "district", "commune"} {
				if s, ok := props[k].(string); ok {
					props[k] = s + suffix
				}
			}
			if c, ok := props["gso_code_2025"].(string); ok && c != "" {
				props["gso_code_2025"] = fmt.Sprintf("%s%02d", c, t+1)
			}
			delete(props, "gadm41_gid3")
			g := f["geometry"].(map[string]any)
			raw, _ := json.Marshal(g["coordinates"])
			var coords any
			_ = json.Unmarshal(raw, &coords)
			walk(coords, func(p []any) {
				p[0] = p[0].(float64) + ox
				p[1] = p[1].(float64) + oy
			})
			out.Features = append(out.Features, map[string]any{
				"type": "Feature", "properties": props,
				"geometry": map[string]any{"type": g["type"], "coordinates": coords},
			})
		}
	}
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	if err := json.NewEncoder(bw).Encode(out); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// procStatusMB reads a kB field of /proc/self/status in MB (0 when absent).
func procStatusMB(field string) float64 {
	kb, _ := procStatusKB(field)
	return float64(kb) / 1024
}

// resetPeakRSS resets VmHWM to the current RSS (Linux ≥ 4.0).
func resetPeakRSS() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// limitMemory sets a soft memory limit for the big in-memory runs
// (analyze, plan, bench coverage) unless GOMEMLIMIT is set: the GC then
// collects harder instead of letting the heap grow to twice the live data
// (a national dataset is ~5.5 GB live before the engine starts). The limit
// is 11 GiB or three quarters of the machine's memory, the smaller.
func limitMemory(getenv func(string) string) {
	if getenv("GOMEMLIMIT") != "" {
		return
	}
	limit := int64(11 << 30)
	if total := procMeminfoBytes("MemTotal"); total > 0 && total*3/4 < limit {
		limit = total * 3 / 4
	}
	debug.SetMemoryLimit(limit)
}

// procMeminfoBytes reads a kB field of /proc/meminfo (0 when absent).
func procMeminfoBytes(field string) int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field+":") {
			f := strings.Fields(strings.TrimPrefix(line, field+":"))
			if len(f) > 0 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}
