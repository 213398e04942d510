// Package bench measures the coverage analysis (gapmap bench coverage) on
// synthetic data generated on real boundaries: the province of Bắc Giang on
// its real communes (1×) and the communes tiled N times (N×, 56× ≈ the
// country). Every measured analysis is the offline analyze of gapmap analyze
// --in DIR --out OUT, end to end (reading the files, classifying, writing the
// outputs), each in a process of its own (ChildMain) so that its peak memory
// is its own. In the same run, the PostGIS baseline (SQL only,
// postgis.CoverageBaseline) classifies every entity of the province and the
// report compares the answers (Compare).
package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gapmap/gapmap/coverage"
	"github.com/gapmap/gapmap/coveragerun"
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
	Communes string // bac_giang/communes.geojson (FindCommunes)
	// Runs is the number of analyses per scale (medians reported), ≥ 1.
	Runs int
	// Scales lists the multiples of the province to measure; 1 (the
	// province, which the baseline needs) is always measured.
	Scales []int
	// MaxRangeM > 0 generates every sector with a stated range in
	// [MaxRangeM/2, MaxRangeM] (gen.Options.MaxRangeM).
	MaxRangeM      float64
	BaselineSample int    // entities the PostGIS baseline classifies (0: every one)
	NoBaseline     bool   // leave the PostGIS baseline out
	DatabaseURL    string // where the baseline runs
	Work           string // directory for the generated files ("": a temporary one, removed)
	Seed           int64
	Workers        int // goroutines of each analysis (0: all cores)
	// Child is the command that runs one measured analysis: it is started
	// with the arguments --in DIR --out OUT --workers N appended and must
	// run ChildMain with them (gapmap: the hidden "bench coverage child").
	Child    []string
	ChildEnv []string  // added to the child's environment
	Progress io.Writer // progress lines; nil for none
}

// Measure is one end-to-end analysis (or, in Scale.Median, the medians of
// each figure over the runs).
type Measure struct {
	ReadS    float64 `json:"read_s"`    // reading the exchange files
	AnalyzeS float64 `json:"analyze_s"` // classification, cells, gaps (coverage.Analyze)
	WriteS   float64 `json:"write_s"`   // the four output files
	WallS    float64 `json:"wall_s"`    // the whole process, start to exit (the parent's clock)
	PeakMB   float64 `json:"peak_mb"`   // VmHWM of the process
	Entities int     `json:"entities"`
	Sectors  int     `json:"sectors"`
	Phases   string  `json:"phases"` // coverage.FormatTimings of the analysis
	// Geodesics is coverage.Result.Geodesics: the exact geodesics of the
	// classification (the same in every run of a scale).
	Geodesics int64 `json:"geodesics"`
}

// Scale is the measure of one dataset: Scale × the province.
type Scale struct {
	Scale    int
	Entities int
	Sectors  int
	// Geodesics is the classification's exact geodesics (Measure.Geodesics).
	Geodesics int64
	Runs      []Measure
	Median    Measure // per-figure medians of Runs
}

// Agreement compares the engine's answers with PostGIS's.
type Agreement struct {
	N               int     // entities compared
	SameOps         int     // identical sets of 4G operators
	MaxNearestDiffM float64 // largest |Δ| of the nearest-4G distance (+Inf: one side has none)
	NearestOver1M   int     // entities whose nearest-4G distances differ by more than 1 m
	Disagreements   []string
}

// OK reports 100% identical operator sets and every nearest-4G distance
// within 1 m.
func (a Agreement) OK() bool { return a.N > 0 && a.SameOps == a.N && a.NearestOver1M == 0 }

// Answer is the engine's answer for one entity.
type Answer struct {
	Label      string   // "household HH…", for the report
	Operators  []string // 4G operators, sorted
	Nearest4GM float64  // +Inf: no 4G sector
}

// maxListed bounds Agreement.Disagreements.
const maxListed = 10

// Compare compares ours with theirs, entity by entity (same order; a
// missing answer on either side is a disagreement).
func Compare(ours []Answer, theirs []postgis.BaselineResult) Agreement {
	a := Agreement{N: max(len(ours), len(theirs))}
	note := func(s string) {
		if len(a.Disagreements) < maxListed {
			a.Disagreements = append(a.Disagreements, s)
		}
	}
	for k := 0; k < a.N; k++ {
		if k >= len(ours) || k >= len(theirs) {
			a.NearestOver1M++
			a.MaxNearestDiffM = math.Inf(1)
			note(fmt.Sprintf("entity %d: answered by one side only", k))
			continue
		}
		x, y := ours[k], theirs[k]
		o, t := strings.Join(x.Operators, ";"), strings.Join(y.Operators, ";")
		if o == t {
			a.SameOps++
		} else {
			note(fmt.Sprintf("%s: 4G operators ours {%s}, PostGIS {%s}", x.Label, o, t))
		}
		d := 0.0
		switch ia, ib := math.IsInf(x.Nearest4GM, 1), math.IsInf(y.Nearest4GM, 1); {
		case ia && ib:
		case ia != ib || math.IsNaN(x.Nearest4GM) || math.IsNaN(y.Nearest4GM):
			d = math.Inf(1)
		default:
			d = math.Abs(x.Nearest4GM - y.Nearest4GM)
		}
		if d > a.MaxNearestDiffM {
			a.MaxNearestDiffM = d
		}
		if d > 1 {
			a.NearestOver1M++
			note(fmt.Sprintf("%s: nearest 4G ours %.2f m, PostGIS %.2f m", x.Label, x.Nearest4GM, y.Nearest4GM))
		}
	}
	return a
}

// Baseline is the PostGIS side of the comparison, on the province.
type Baseline struct {
	Sample, Total int // entities classified by PostGIS, entities of the province
	Sectors4G     int
	ClassifyS     float64 // the classification query (BaselineSQL)
	NearestS      float64 // the nearest-4G query (BaselineNearestSQL)
	Agreement
}

// Report is the outcome of a run.
type Report struct {
	Scales    []Scale // ascending; Scales[0] is the province (1×)
	Baseline  *Baseline
	MaxRangeM float64
	Runs      int
	Procs     int // GOMAXPROCS
	GoVersion string
	// GeodesicUS is the cost of one exact geodesic on this machine, in
	// µs (GeodesicCost, measured before the runs).
	GeodesicUS float64
	// LoadAvg is the machine's load averages (1, 5, 15 min) at the start
	// and at the end of the run ("" where unknown): above the number of
	// cores, other work shared the CPU and every time is inflated.
	LoadAvg [2]string
}

// Run generates the datasets and measures them.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.Runs < 1 {
		return nil, errors.New("bench: runs must be at least 1")
	}
	if len(o.Child) == 0 {
		return nil, errors.New("bench: no child command")
	}
	scales := []int{1}
	for _, s := range o.Scales {
		if s < 1 {
			return nil, fmt.Errorf("bench: scale %d must be at least 1", s)
		}
		if !slices.Contains(scales, s) {
			scales = append(scales, s)
		}
	}
	sort.Ints(scales)
	progress := o.Progress
	if progress == nil {
		progress = io.Discard
	}
	log := func(format string, a ...any) { fmt.Fprintf(progress, format+"\n", a...) }
	dir := o.Work
	if dir == "" {
		d, err := os.MkdirTemp("", "gapmap-bench-coverage-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	rep := &Report{MaxRangeM: o.MaxRangeM, Runs: o.Runs, Procs: runtime.GOMAXPROCS(0), GoVersion: runtime.Version()}
	rep.LoadAvg[0] = procstat.LoadAvg()
	defer func() { rep.LoadAvg[1] = procstat.LoadAvg() }()
	rep.GeodesicUS = GeodesicCost(3)
	for _, n := range scales {
		in := filepath.Join(dir, fmt.Sprintf("x%d", n))
		areas := o.Communes
		if n > 1 {
			areas = filepath.Join(dir, fmt.Sprintf("areas_x%d.geojson", n))
			if err := tileAreas(o.Communes, areas, n); err != nil {
				return nil, err
			}
		}
		log("generating %d× the province …", n)
		t0 := time.Now()
		if _, err := gen.Generate(ctx, gen.Options{AreasPath: areas, Seed: o.Seed, Scale: 1, OutDir: in, MaxRangeM: o.MaxRangeM, Workers: o.Workers}); err != nil {
			return nil, fmt.Errorf("generating %d× the province: %w", n, err)
		}
		log("generated in %.1fs", time.Since(t0).Seconds())
		sc := Scale{Scale: n}
		for k := 0; k < o.Runs; k++ {
			m, err := runChild(ctx, o, in, filepath.Join(dir, fmt.Sprintf("out_x%d", n)))
			if err != nil {
				return nil, err
			}
			log("%d× run %d: %.2fs end to end (read %.2fs, analyse %.2fs, write %.2fs), peak %.0f MB",
				n, k+1, m.WallS, m.ReadS, m.AnalyzeS, m.WriteS, m.PeakMB)
			sc.Runs = append(sc.Runs, m)
		}
		sc.Median = medians(sc.Runs)
		sc.Entities, sc.Sectors, sc.Geodesics = sc.Runs[0].Entities, sc.Runs[0].Sectors, sc.Runs[0].Geodesics
		rep.Scales = append(rep.Scales, sc)
		os.RemoveAll(filepath.Join(dir, fmt.Sprintf("out_x%d", n)))
		if n == 1 && !o.NoBaseline {
			b, err := runBaseline(ctx, o, in, log)
			if err != nil {
				return nil, fmt.Errorf("%w: %w", ErrBaseline, err)
			}
			rep.Baseline = b
		}
		os.RemoveAll(in)
		if n > 1 {
			os.Remove(areas)
		}
	}
	return rep, nil
}

// ParseScales reads a comma-separated list of multiples of the province
// (whole numbers ≥ 1), as --scales gives it.
func ParseScales(list string) ([]int, error) {
	var scales []int
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q: give whole multiples ≥ 1, e.g. 1,4,16", list)
		}
		scales = append(scales, n)
	}
	return scales, nil
}

// runChild runs one end-to-end analysis in a process of its own.
func runChild(ctx context.Context, o Options, in, out string) (Measure, error) {
	args := append(slices.Clone(o.Child[1:]), "--in", in, "--out", out, "--workers", strconv.Itoa(o.Workers))
	cmd := exec.CommandContext(ctx, o.Child[0], args...)
	cmd.Env = append(os.Environ(), o.ChildEnv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	t0 := time.Now()
	err := cmd.Run()
	wall := time.Since(t0).Seconds()
	if err != nil {
		return Measure{}, fmt.Errorf("analysis of %s: %w: %s", in, err, strings.TrimSpace(stderr.String()))
	}
	var m Measure
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &m); err != nil {
		return Measure{}, fmt.Errorf("analysis of %s: its answer %q: %w", in, stdout.String(), err)
	}
	m.WallS = wall
	return m, nil
}

// ChildMain runs one measured analysis, as gapmap analyze --in DIR --out
// OUT does (coveragerun.ReadFiles, AnalyzeOffline, WriteFiles, with the
// same memory limit), and writes its Measure as one JSON line to stdout
// (WallS left to the parent). args: --in DIR --out OUT [--workers N].
func ChildMain(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench coverage child", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	in := fs.String("in", "", "")
	out := fs.String("out", "", "")
	workers := fs.Int("workers", 0, "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" || *out == "" || fs.NArg() > 0 {
		return errors.New("bench coverage child: give --in DIR --out OUT [--workers N]")
	}
	procstat.LimitMemory(os.Getenv)
	s := coverage.DefaultSettings()
	s.Workers = *workers
	t0 := time.Now()
	input, _, err := coveragerun.ReadFiles(ctx, *in, "", "")
	if err != nil {
		return err
	}
	var m Measure
	m.ReadS = time.Since(t0).Seconds()
	t0 = time.Now()
	run, err := coveragerun.AnalyzeOffline(ctx, input, s)
	if err != nil {
		return err
	}
	m.AnalyzeS = time.Since(t0).Seconds()
	t0 = time.Now()
	if err := coveragerun.WriteFiles(run.Result, *out); err != nil {
		return err
	}
	m.WriteS = time.Since(t0).Seconds()
	m.PeakMB = procstat.StatusMB("VmHWM")
	m.Entities, m.Sectors, m.Phases = run.Result.NumEntities(), run.Result.Sectors, coverage.FormatTimings(run.Result.Timings)
	m.Geodesics = run.Result.Geodesics
	return json.NewEncoder(stdout).Encode(m)
}

// medians gives the median of each figure of ms (counts from ms[0]).
func medians(ms []Measure) Measure {
	med := func(f func(Measure) float64) float64 {
		xs := make([]float64, len(ms))
		for i, m := range ms {
			xs[i] = f(m)
		}
		sort.Float64s(xs)
		if n := len(xs); n%2 == 0 {
			return (xs[n/2-1] + xs[n/2]) / 2
		}
		return xs[len(xs)/2]
	}
	return Measure{
		ReadS:    med(func(m Measure) float64 { return m.ReadS }),
		AnalyzeS: med(func(m Measure) float64 { return m.AnalyzeS }),
		WriteS:   med(func(m Measure) float64 { return m.WriteS }),
		WallS:    med(func(m Measure) float64 { return m.WallS }),
		PeakMB:   med(func(m Measure) float64 { return m.PeakMB }),
		Entities: ms[0].Entities, Sectors: ms[0].Sectors, Phases: ms[len(ms)-1].Phases, Geodesics: ms[0].Geodesics,
	}
}

// runBaseline analyses the province in this process for the engine's
// answers and has PostGIS classify the same entities against the same
// effective sectors.
func runBaseline(ctx context.Context, o Options, in string, log func(string, ...any)) (*Baseline, error) {
	input, _, err := coveragerun.ReadFiles(ctx, in, "", "")
	if err != nil {
		return nil, err
	}
	s := coverage.DefaultSettings()
	s.Workers = o.Workers
	run, err := coveragerun.AnalyzeOffline(ctx, input, s)
	if err != nil {
		return nil, err
	}
	r := run.Result
	total := r.NumEntities()
	idx := make([]int, total)
	for i := range idx {
		idx[i] = i
	}
	if o.BaselineSample > 0 && o.BaselineSample < total {
		rng := rand.New(rand.NewSource(o.Seed))
		rng.Shuffle(total, func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		idx = idx[:o.BaselineSample]
		sort.Ints(idx)
	}
	pts := make([]postgis.BaselinePoint, len(idx))
	ours := make([]Answer, len(idx))
	for k, i := range idx {
		x := r.Entity(i)
		pts[k] = postgis.BaselinePoint{Lat: x.Lat, Lon: x.Lon}
		ours[k] = Answer{Label: x.Kind + " " + x.ID, Operators: x.Operators4G, Nearest4GM: x.Nearest4GM}
	}
	b := &Baseline{Sample: len(idx), Total: total}
	var secs []postgis.BaselineSector
	for _, s := range r.EffectiveSectors() {
		fourG := s.Technology == "4G" || s.Technology == "5G"
		if fourG {
			b.Sectors4G++
		}
		secs = append(secs, postgis.BaselineSector{
			Operator: s.Operator, Lat: s.Lat, Lon: s.Lon, RangeM: s.RangeM, AzimuthDeg: s.AzimuthDeg,
			BeamwidthDeg: s.BeamwidthDeg, FourG: fourG,
		})
	}
	st, err := postgis.Open(ctx, o.DatabaseURL)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	log("PostGIS classifies %d entities against %d 4G sectors (minutes) …", len(pts), b.Sectors4G)
	got, tc, tn, err := postgis.CoverageBaseline(ctx, st.Pool(), secs, pts)
	if err != nil {
		return nil, err
	}
	b.ClassifyS, b.NearestS = tc.Seconds(), tn.Seconds()
	log("PostGIS: classification %.1fs, nearest 4G %.1fs", b.ClassifyS, b.NearestS)
	b.Agreement = Compare(ours, got)
	return b, nil
}

// Columns of the scaling table, in order.
var Columns = []string{"scale", "entities", "sectors", "read_s", "analyze_s", "write_s", "e2e_s", "e2e_runs_s",
	"peak_MB", "peak_runs_MB", "us/entity", "analyze_vs_1x", "e2e_vs_1x"}

// Write prints the report: the scaling table, then the PostGIS comparison.
func (rep *Report) Write(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "gapmap analyze --in DIR --out OUT, end to end, one process per run; %d cores (GOMAXPROCS), %s\n", rep.Procs, rep.GoVersion)
	if rep.MaxRangeM > 0 {
		fmt.Fprintf(bw, "sector ranges: every sector states a range in [%.0f, %.0f] m (gen --max-range %.0f)\n", rep.MaxRangeM/2, rep.MaxRangeM, rep.MaxRangeM)
	} else {
		fmt.Fprintln(bw, "sector ranges: as generated (most from the range table, ≤ 14.4 km)")
	}
	fmt.Fprintf(bw, "medians of %d runs per scale", rep.Runs)
	if rep.LoadAvg[0] != "" || rep.LoadAvg[1] != "" {
		fmt.Fprintf(bw, "; load average %s at the start, %s at the end", rep.LoadAvg[0], rep.LoadAvg[1])
	}
	fmt.Fprint(bw, "\n\n")
	widths := []int{6, 10, 8, 8, 9, 8, 8, 20, 8, 20, 9, 13, 9}
	row := func(cells []string) {
		for i, c := range cells {
			if i > 0 {
				bw.WriteByte(' ')
			}
			if i == 0 || i == 7 || i == 9 {
				fmt.Fprintf(bw, "%-*s", widths[i], c)
			} else {
				fmt.Fprintf(bw, "%*s", widths[i], c)
			}
		}
		bw.WriteByte('\n')
	}
	row(Columns)
	var base *Scale
	for i := range rep.Scales {
		sc := &rep.Scales[i]
		if sc.Scale == 1 {
			base = sc
		}
		m := sc.Median
		walls := make([]string, len(sc.Runs))
		peaks := make([]string, len(sc.Runs))
		for k, r := range sc.Runs {
			walls[k] = strconv.FormatFloat(r.WallS, 'f', 2, 64)
			peaks[k] = strconv.FormatFloat(r.PeakMB, 'f', 0, 64)
		}
		vsA, vsE := "-", "-"
		if base != nil && base.Entities > 0 && sc.Entities > 0 {
			f := float64(sc.Entities) / float64(base.Entities)
			vsA = strconv.FormatFloat(m.AnalyzeS/(base.Median.AnalyzeS*f), 'f', 2, 64)
			vsE = strconv.FormatFloat(m.WallS/(base.Median.WallS*f), 'f', 2, 64)
		}
		perEntity := "-"
		if sc.Entities > 0 {
			perEntity = strconv.FormatFloat(1e6*m.WallS/float64(sc.Entities), 'f', 2, 64)
		}
		row([]string{strconv.Itoa(sc.Scale) + "×", strconv.Itoa(sc.Entities), strconv.Itoa(sc.Sectors),
			strconv.FormatFloat(m.ReadS, 'f', 2, 64), strconv.FormatFloat(m.AnalyzeS, 'f', 2, 64),
			strconv.FormatFloat(m.WriteS, 'f', 2, 64), strconv.FormatFloat(m.WallS, 'f', 2, 64), strings.Join(walls, ","),
			strconv.FormatFloat(m.PeakMB, 'f', 0, 64), strings.Join(peaks, ","), perEntity, vsA, vsE})
	}
	fmt.Fprintln(bw, "\nread_s, analyze_s, write_s: reading the files, the analysis (classification, cells, gaps), writing the")
	fmt.Fprintln(bw, "outputs; e2e_s: the whole process (start to exit); peak_MB: its VmHWM; us/entity: e2e_s per entity;")
	fmt.Fprintln(bw, "*_vs_1x: time per entity against the province's (1.00 = linear). Phases of the last run:")
	for _, sc := range rep.Scales {
		fmt.Fprintf(bw, "  %3d×  %s\n", sc.Scale, sc.Median.Phases)
	}
	procs := max(1, rep.Procs)
	// geodesicS is the time of n geodesics on every core.
	geodesicS := func(n int64) float64 { return float64(n) * rep.GeodesicUS / 1e6 / float64(procs) }
	if rep.GeodesicUS > 0 {
		fmt.Fprintf(bw, "\nexact geodesics of the classification (one per distance column of each distinct position), at %.3f µs each\n", rep.GeodesicUS)
		fmt.Fprintf(bw, "(median of 3 timings on one core), and their share of the analysis on %d cores:\n", rep.Procs)
		for _, sc := range rep.Scales {
			wall := geodesicS(sc.Geodesics)
			per, share := 0.0, 0.0
			if sc.Entities > 0 {
				per = float64(sc.Geodesics) / float64(sc.Entities)
			}
			if sc.Median.AnalyzeS > 0 {
				share = 100 * wall / sc.Median.AnalyzeS
			}
			fmt.Fprintf(bw, "  %3d×  %d geodesics (%.2f per entity): %.2f CPU s, %.2f s on %d cores, %.0f%% of analyze_s\n",
				sc.Scale, sc.Geodesics, per, wall*float64(procs), wall, procs, share)
		}
	}
	if bl := rep.Baseline; bl != nil {
		full := bl.Sample == bl.Total
		what := fmt.Sprintf("every entity: %d", bl.Total)
		if !full {
			what = fmt.Sprintf("a random sample of %d of %d entities", bl.Sample, bl.Total)
		}
		fmt.Fprintf(bw, "\nPostGIS baseline on the province (1×), %s, against %d 4G/5G sectors; SQL only, loading and indexing excluded:\n", what, bl.Sectors4G)
		fmt.Fprintf(bw, "  %-62s %10.2f s\n", "classification (ST_DWithin on geography + GiST, ST_Azimuth beam)", bl.ClassifyS)
		fmt.Fprintf(bw, "  %-62s %10.2f s\n", "nearest 4G (KNN on the GiST index, then ST_Distance)", bl.NearestS)
		if base != nil && base.Median.WallS > 0 {
			scale := 1.0
			if !full && bl.Sample > 0 {
				scale = float64(bl.Total) / float64(bl.Sample)
			}
			e2e := base.Median.WallS
			fmt.Fprintf(bw, "  %-62s %10.2f s\n", fmt.Sprintf("gapmap analyze on files, end to end (median of %d)", len(base.Runs)), e2e)
			note := ""
			if !full {
				note = fmt.Sprintf(" (PostGIS times extrapolated ×%.2f to the whole province)", scale)
			}
			fmt.Fprintf(bw, "  ratio: %.1f× (PostGIS classification / analyze end to end), %.1f× with the nearest-4G query%s\n",
				bl.ClassifyS*scale/e2e, (bl.ClassifyS+bl.NearestS)*scale/e2e, note)
			if floor := geodesicS(base.Geodesics); floor > 0 {
				fmt.Fprintf(bw, "  ceiling with exact distances: %.1f× (PostGIS classification / the geodesics alone, %.2f s on %d cores, nothing read or written)\n",
					bl.ClassifyS*scale/floor, floor, procs)
			}
		}
		verdict := "AGREE"
		if !bl.OK() {
			verdict = "DISAGREE"
		}
		share := 0.0
		if bl.N > 0 {
			share = 100 * float64(bl.SameOps) / float64(bl.N)
		}
		fmt.Fprintf(bw, "  agreement: %.4f%% identical 4G operator sets (%d/%d); nearest-4G distances max |Δ| %.6f m, %d beyond 1 m: %s\n",
			share, bl.SameOps, bl.N, bl.MaxNearestDiffM, bl.NearestOver1M, verdict)
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
