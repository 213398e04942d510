// Package bench measures the coverage engine (gapmap bench coverage) on
// synthetic data generated on real boundaries: the province of Bắc Giang on
// its real communes and, optionally, a national dataset of the communes
// tiled N times; and, in the same run, the PostGIS baseline (SQL only,
// postgis.CoverageBaseline) on a sample of the province's entities.
package bench

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
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/gen"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/internal/procstat"
)

var (
	// ErrNoRealData: FindCommunes did not find the real communes.
	ErrNoRealData = errors.New("bac_giang/communes.geojson not found")
	// ErrBaseline wraps the errors of the PostGIS baseline.
	ErrBaseline = errors.New("PostGIS baseline")
)

// Options of a benchmark run.
type Options struct {
	Communes       string // bac_giang/communes.geojson (FindCommunes)
	Runs           int    // analyses of the province (median reported), ≥ 1
	NationalRuns   int    // analyses of the national dataset, ≥ 1
	NationalScale  int    // copies of the province in the national dataset; 0 leaves it out
	SkipNational   bool   // leave the national dataset out
	BaselineSample int    // entities the PostGIS baseline classifies (0: all)
	NoBaseline     bool   // leave the PostGIS baseline out
	DatabaseURL    string // where the baseline runs
	Work           string // directory for the generated files ("": a temporary one, removed)
	Seed           int64
	Settings       coverage.Settings
	Progress       io.Writer // progress lines; nil for none
}

// Dataset is the measure of one dataset.
type Dataset struct {
	Name                       string
	Entities, Sectors, Cells   int
	Gaps                       int
	ParseS                     float64
	RunsS                      []float64
	MedianS                    float64
	RSSAfterParseMB, PeakRSSMB float64
	Phases                     []coverage.Timing
}

// Baseline compares the PostGIS baseline with the engine on a sample.
type Baseline struct {
	Sample, Total           int
	PGClassifyS, PGNearestS float64
	PGPerEntityMS           float64
	OursPerEntityMS         float64
	Ratio                   float64
	SameOps                 int
	MaxNearestDiffM         float64
	Disagreements           []string
}

// Report is the outcome of a run.
type Report struct {
	Datasets  []Dataset
	Baseline  *Baseline // nil without the baseline
	Procs     int       // GOMAXPROCS
	GoVersion string
}

// Run generates and measures the datasets.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.Runs < 1 || o.NationalRuns < 1 {
		return nil, errors.New("bench: runs and national runs must be at least 1")
	}
	progress := o.Progress
	if progress == nil {
		progress = io.Discard
	}
	dir := o.Work
	if dir == "" {
		d, err := os.MkdirTemp("", "gapmap-bench-coverage-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	rep := &Report{Procs: runtime.GOMAXPROCS(0), GoVersion: runtime.Version()}
	log := func(format string, a ...any) { fmt.Fprintf(progress, format+"\n", a...) }

	// Province.
	provDir := filepath.Join(dir, "bac_giang")
	log("generating Bắc Giang on %s …", o.Communes)
	if _, err := gen.Generate(ctx, gen.Options{AreasPath: o.Communes, Seed: o.Seed, Scale: 1, OutDir: provDir}); err != nil {
		return nil, fmt.Errorf("generating the province: %w", err)
	}
	prov, res, err := benchDataset(ctx, progress, "bac_giang", provDir, o.Settings, o.Runs)
	if err != nil {
		return nil, err
	}
	rep.Datasets = append(rep.Datasets, prov)
	if !o.NoBaseline {
		log("PostGIS baseline on a sample of %d entities …", o.BaselineSample)
		b, err := runBaseline(ctx, o.DatabaseURL, res, o.BaselineSample, o.Seed, prov.MedianS/float64(prov.Entities))
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBaseline, err)
		}
		rep.Baseline = b
	}
	res = nil
	os.RemoveAll(provDir)
	runtime.GC()
	debug.FreeOSMemory()

	// National.
	if !o.SkipNational && o.NationalScale > 0 {
		natDir := filepath.Join(dir, "national")
		areas := filepath.Join(dir, "national_areas.geojson")
		log("tiling the communes %d times …", o.NationalScale)
		if err := tileAreas(o.Communes, areas, o.NationalScale); err != nil {
			return nil, err
		}
		log("generating the national dataset (minutes) …")
		t0 := time.Now()
		if _, err := gen.Generate(ctx, gen.Options{AreasPath: areas, Seed: o.Seed, Scale: 1, OutDir: natDir}); err != nil {
			return nil, fmt.Errorf("generating the national dataset: %w", err)
		}
		log("generated in %.0fs", time.Since(t0).Seconds())
		nat, _, err := benchDataset(ctx, progress, fmt.Sprintf("national (×%d)", o.NationalScale), natDir, o.Settings, o.NationalRuns)
		if err != nil {
			return nil, err
		}
		rep.Datasets = append(rep.Datasets, nat)
		os.RemoveAll(natDir)
	}
	return rep, nil
}

// benchDataset parses dir and analyses it runs times.
func benchDataset(ctx context.Context, progress io.Writer, name, dir string, s coverage.Settings, runs int) (Dataset, *coverage.Result, error) {
	row := Dataset{Name: name}
	t0 := time.Now()
	ds, err := format.ReadDir(ctx, dir)
	if err != nil {
		return row, nil, fmt.Errorf("parsing %s: %w", name, err)
	}
	row.ParseS = time.Since(t0).Seconds()
	runtime.GC()
	debug.FreeOSMemory()
	row.RSSAfterParseMB = procstat.StatusMB("VmRSS")
	procstat.ResetPeakRSS()
	var last *coverage.Result
	for k := 0; k < runs; k++ {
		last = nil
		runtime.GC()
		t := time.Now()
		r, err := coverage.Analyze(ctx, coverage.Input{Dataset: ds, Date: data.VietnamDay(time.Now())}, s)
		if err != nil {
			return row, nil, err
		}
		d := time.Since(t).Seconds()
		row.RunsS = append(row.RunsS, d)
		fmt.Fprintf(progress, "%s run %d: %.2fs (%s)\n", name, k+1, d, coverage.FormatTimings(r.Timings))
		last = r
	}
	row.PeakRSSMB = procstat.StatusMB("VmHWM")
	row.Entities, row.Sectors, row.Cells, row.Gaps = last.NumEntities(), last.Sectors, len(last.Cells), len(last.Gaps)
	row.Phases = last.Timings
	sorted := append([]float64(nil), row.RunsS...)
	sort.Float64s(sorted)
	row.MedianS = sorted[len(sorted)/2]
	return row, last, nil
}

// runBaseline classifies a sample with PostGIS and compares.
func runBaseline(ctx context.Context, databaseURL string, r *coverage.Result, n int, seed int64, oursPerEntityS float64) (*Baseline, error) {
	st, err := postgis.Open(ctx, databaseURL)
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
	b := &Baseline{Sample: len(idx), Total: total, PGClassifyS: tc.Seconds(), PGNearestS: tn.Seconds()}
	b.PGPerEntityMS = 1000 * tc.Seconds() / float64(len(idx))
	b.OursPerEntityMS = 1000 * oursPerEntityS
	b.Ratio = b.PGPerEntityMS / b.OursPerEntityMS
	for k, i := range idx {
		x := r.Entity(i)
		ours := strings.Join(x.Operators4G, ";")
		theirs := strings.Join(got[k].Operators, ";")
		if ours == theirs {
			b.SameOps++
		} else if len(b.Disagreements) < 10 {
			b.Disagreements = append(b.Disagreements, fmt.Sprintf("%s %s: ours {%s}, PostGIS {%s}", x.Kind, x.ID, ours, theirs))
		}
		a, c := x.Nearest4GM, got[k].Nearest4GM
		switch {
		case math.IsInf(a, 0) != math.IsInf(c, 0):
			b.MaxNearestDiffM = math.Inf(1)
		case !math.IsInf(a, 0):
			b.MaxNearestDiffM = math.Max(b.MaxNearestDiffM, math.Abs(a-c))
		}
	}
	return b, nil
}

// Write prints the report's tables.
func (rep *Report) Write(w io.Writer) error {
	rows, bl, procs := rep.Datasets, rep.Baseline, rep.Procs
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "coverage engine, %d cores (GOMAXPROCS), %s\n\n", procs, rep.GoVersion)
	fmt.Fprintf(bw, "%-16s %11s %8s %8s %6s %8s %10s %-22s %10s %10s %12s\n",
		"dataset", "entities", "sectors", "cells", "gaps", "parse_s", "analyze_s", "runs_s", "rss_MB", "peak_MB", "entities/s")
	for _, r := range rows {
		rs := make([]string, len(r.RunsS))
		for i, x := range r.RunsS {
			rs[i] = strconv.FormatFloat(x, 'f', 2, 64)
		}
		fmt.Fprintf(bw, "%-16s %11d %8d %8d %6d %8.2f %10.2f %-22s %10.0f %10.0f %12.0f\n",
			r.Name, r.Entities, r.Sectors, r.Cells, r.Gaps, r.ParseS, r.MedianS, strings.Join(rs, " "),
			r.RSSAfterParseMB, r.PeakRSSMB, float64(r.Entities)/r.MedianS)
	}
	fmt.Fprintln(bw, "\nanalyze_s: median wall time of a full analysis (parsing excluded); rss_MB: resident after parsing;")
	fmt.Fprintln(bw, "peak_MB: VmHWM during the analyses (dataset included). Phases of the last run:")
	for _, r := range rows {
		fmt.Fprintf(bw, "  %-16s %s\n", r.Name, coverage.FormatTimings(r.Phases))
	}
	if bl != nil {
		fmt.Fprintf(bw, "\nPostGIS baseline (bac_giang, sample %d of %d entities, SQL only):\n", bl.Sample, bl.Total)
		fmt.Fprintf(bw, "  classification query %.2fs = %.4f ms/entity; nearest-4G query %.2fs\n", bl.PGClassifyS, bl.PGPerEntityMS, bl.PGNearestS)
		fmt.Fprintf(bw, "  engine (full analysis, median) %.5f ms/entity → %.0f× faster; full province in PostGIS ≈ %.0fs\n",
			bl.OursPerEntityMS, bl.Ratio, bl.PGPerEntityMS*float64(bl.Total)/1000)
		fmt.Fprintf(bw, "  agreement: %.4f%% identical 4G operator sets (%d/%d), max |Δ nearest 4G| %.6f m\n",
			100*float64(bl.SameOps)/float64(bl.Sample), bl.SameOps, bl.Sample, bl.MaxNearestDiffM)
		for _, d := range bl.Disagreements {
			fmt.Fprintf(bw, "    %s\n", d)
		}
	}
	return bw.Flush()
}

// FindCommunes finds bac_giang/communes.geojson in dir (the shared/realdata
// directory), or, when dir is "", in ../shared/realdata beside the module
// (found upwards from the working directory) or the working directory.
func FindCommunes(flagDir string) (string, error) {
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
	return "", fmt.Errorf("%w in %s", ErrNoRealData, strings.Join(cands, ", "))
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
