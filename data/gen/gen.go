// Package gen generates realistic synthetic gapmap data: households
// clustered in villages inside real (or built-in) commune polygons with
// census counts, students and their schools, base-station sectors of four
// operators that leave real coverage gaps, fiber nodes and routes, donated
// devices and SIM-data packages. It writes the exchange files that
// `gapmap import` reads back.
//
// Output is deterministic for a seed: every random stream is keyed by the
// seed, a purpose and an area code (or chunk number), work is spread over
// workers per chunk of villages, and files are written in a fixed order, so
// the same options write byte-identical files on any machine and any number
// of cores. Households and students are streamed: memory stays bounded at
// any --scale (the national 26.9M households included).
package gen

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/geo"
	"golang.org/x/sync/errgroup"
)

// Options of a generation.
type Options struct {
	// AreasPath is an area GeoJSON (Polygon/MultiPolygon features, raw or in
	// gapmap's normalised format); "" uses the built-in sample province.
	AreasPath string
	// Seed makes the output reproducible.
	Seed int64
	// Scale multiplies every count (households, schools, sites, …); 0 means
	// 1. Household counts follow the census × Scale exactly.
	Scale float64
	// OutDir receives the files (created; existing files are replaced).
	OutDir string
	// Progress, when set, is called with the stage, the work done and the
	// total of the stage; calls never overlap.
	Progress func(stage string, done, total int64)
	// Workers bounds the parallelism; 0 means GOMAXPROCS.
	Workers int
	// Names adds the optional full_name and birth_date columns to
	// students.csv (internal data; every other file is unchanged). Pupils
	// with the same name and date of birth at one school or household are
	// taken for one child by the allocation, as in real lists.
	Names bool
	// LegacyDistricts keeps the three tiers province → district → commune
	// (before 1 July 2025) in areas.geojson, undated. By default the areas
	// are two-tier, as since the 2025 reform: the districts are left out,
	// each commune's parent is its province and the reparented communes are
	// valid from 2025-07-01 (ReformDate); the households, schools and
	// network are the same either way, and devices or SIM packages
	// earmarked for a district go to its province.
	LegacyDistricts bool
	// MaxRangeM, when > 0, makes every sector state its range (range_m):
	// drawn uniformly in [MaxRangeM/2, MaxRangeM], rounded down to 50 m
	// (at least 50 m), from a stream of its own, so every other value of the
	// output is unchanged. It measures the engine with long ranges (rural 4G
	// on 700–900 MHz reaches 10–15 km); 0 keeps the usual sites, most of
	// which leave the range to the analysis's range table.
	MaxRangeM float64
}

// ReformDate is the day the two-tier local government took effect in
// Vietnam (districts abolished, province → commune): 1 July 2025.
func ReformDate() time.Time { return time.Date(2025, time.July, 1, 0, 0, 0, 0, time.UTC) }

// Stats counts what was written, per file.
type Stats struct {
	Areas, Communes   int   // areas.geojson: all areas, of which leaves
	Households        int64 // households.csv rows
	Students          int64 // students.csv rows
	PriorityStudents  int64 // students of tiers 1–3
	Schools           int64 // schools.csv rows
	Sites             int64 // distinct site_id in sites.csv
	Sectors           int64 // sites.csv rows
	Sectors4G         int64 // of which 4G
	FiberNodes        int64 // fiber_nodes.csv rows
	FiberRoutes       int64 // fiber_routes.geojson features
	Devices           int64 // devices.csv rows
	DevicesBelowSpecs int64 // of which failing the minimum specs
	SimPackages       int64 // sim_packages.csv rows
	SimQuantity       int64 // total quantity of SIM packages
}

// Output file names.
const (
	FileAreas       = "areas.geojson"
	FileSchools     = "schools.csv"
	FileHouseholds  = "households.csv"
	FileStudents    = "students.csv"
	FileSites       = "sites.csv"
	FileFiberNodes  = "fiber_nodes.csv"
	FileFiberRoutes = "fiber_routes.geojson"
	FileDevices     = "devices.csv"
	FileSimPackages = "sim_packages.csv"
)

// Files lists the output files in the order they are written.
func Files() []string {
	return []string{FileAreas, FileSites, FileFiberNodes, FileFiberRoutes, FileHouseholds, FileStudents, FileSchools, FileDevices, FileSimPackages}
}

// Generate writes a synthetic dataset into opts.OutDir.
func Generate(ctx context.Context, opts Options) (Stats, error) {
	var st Stats
	if opts.OutDir == "" {
		return st, errors.New("gen: no output directory")
	}
	scale := opts.Scale
	if scale == 0 {
		scale = 1
	}
	if scale < 0 || math.IsNaN(scale) || math.IsInf(scale, 0) {
		return st, fmt.Errorf("gen: scale %v must be a positive number", opts.Scale)
	}
	if opts.MaxRangeM < 0 || math.IsNaN(opts.MaxRangeM) || opts.MaxRangeM > maxRangeLimitM {
		return st, fmt.Errorf("gen: max range %v m must be between 0 and %d", opts.MaxRangeM, maxRangeLimitM)
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	progress := func(stage string, done, total int64) {
		if opts.Progress != nil {
			opts.Progress(stage, done, total)
		}
	}
	seed := opts.Seed

	var in []data.Area
	if opts.AreasPath == "" {
		in = sampleAreas()
	} else {
		var err error
		if in, err = loadAreaFile(opts.AreasPath); err != nil {
			return st, err
		}
	}
	rg, err := buildRegion(in, seed, scale)
	if err != nil {
		return st, err
	}
	if !opts.LegacyDistricts {
		rg.twoTier()
	}
	st.Areas, st.Communes = len(rg.outputAreas()), len(rg.communes)
	progress("areas", int64(len(rg.areas)), int64(len(rg.areas)))

	// Plan villages, sites and fiber cabinets per commune, in parallel.
	samplers := make([]*sampler, len(rg.communes))
	{
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(workers)
		for i, c := range rg.communes {
			g.Go(func() error {
				if err := gctx.Err(); err != nil {
					return err
				}
				s := newSampler(c, rg.index)
				samplers[i] = s
				c.planVillages(seed, s)
				c.planSites(seed, s)
				c.planFiber(seed, s, c == c.group.town)
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return st, err
		}
	}
	progress("plan", int64(len(rg.communes)), int64(len(rg.communes)))

	schools := planSchools(rg, seed, scale, samplers)
	byGroup, post := indexSchools(schools)
	{
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(workers)
		for _, c := range rg.communes {
			g.Go(func() error {
				if err := gctx.Err(); err != nil {
					return err
				}
				assignSchools(c, schools, byGroup, post)
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return st, err
		}
	}
	chunks := chunksOf(rg.communes)
	sectors := numberSites(rg)
	longRanges(sectors, seed, opts.MaxRangeM)
	nodes := numberNodes(rg)
	routes := planRoutes(seed, rg, nodes)

	if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
		return st, fmt.Errorf("gen: %w", err)
	}
	out := &outputs{dir: opts.OutDir}
	defer out.abort()

	if err := out.write(FileAreas, func(w io.Writer) error { return format.WriteAreasGeoJSON(w, rg.outputAreas()) }); err != nil {
		return st, err
	}
	seen := ""
	err = out.csv(FileSites, format.SiteHeader(), func(w *format.CSV) error {
		for i := range sectors {
			s := &sectors[i]
			if s.SiteID != seen {
				st.Sites++
				seen = s.SiteID
			}
			if s.Technology == data.Tech4G {
				st.Sectors4G++
			}
			if err := w.Write(format.SiteRecord(*s)); err != nil {
				return err
			}
		}
		st.Sectors = int64(len(sectors))
		return nil
	})
	if err != nil {
		return st, err
	}
	err = out.csv(FileFiberNodes, format.FiberNodeHeader(), func(w *format.CSV) error {
		for i := range nodes {
			if err := w.Write(format.FiberNodeRecord(nodes[i].FiberNode)); err != nil {
				return err
			}
		}
		st.FiberNodes = int64(len(nodes))
		return nil
	})
	if err != nil {
		return st, err
	}
	if err := out.write(FileFiberRoutes, func(w io.Writer) error { return format.WriteFiberRoutesGeoJSON(w, routes) }); err != nil {
		return st, err
	}
	st.FiberRoutes = int64(len(routes))
	progress("network", st.Sectors+st.FiberNodes+st.FiberRoutes, st.Sectors+st.FiberNodes+st.FiberRoutes)

	// Households and students, streamed.
	hf, err := out.open(FileHouseholds)
	if err != nil {
		return st, err
	}
	sf, err := out.open(FileStudents)
	if err != nil {
		return st, err
	}
	hw, err := format.NewCSV(hf.bw, format.HouseholdHeader())
	if err != nil {
		return st, fmt.Errorf("gen: %s: %w", FileHouseholds, err)
	}
	header := format.StudentHeader()
	if opts.Names {
		header = format.StudentHeaderWithNames()
	}
	sw, err := format.NewCSV(sf.bw, header)
	if err != nil {
		return st, fmt.Errorf("gen: %s: %w", FileStudents, err)
	}
	hc, err := writeHomes(ctx, seed, workers, chunks, samplers, schools, hw, sw, opts.Names, progress)
	if err != nil {
		return st, err
	}
	for _, x := range []struct {
		w *format.CSV
		f *outFile
	}{{hw, hf}, {sw, sf}} {
		if err := x.w.Flush(); err != nil {
			return st, fmt.Errorf("gen: %s: %w", x.f.name, err)
		}
		if err := x.f.close(); err != nil {
			return st, err
		}
	}
	st.Households, st.Students, st.PriorityStudents = hc.households, hc.students, hc.needs

	setInternet(seed, schools, nodes)
	err = out.csv(FileSchools, format.SchoolHeader(), func(w *format.CSV) error {
		for _, s := range schools {
			if err := w.Write(format.SchoolRecord(s.School)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return st, err
	}
	st.Schools = int64(len(schools))

	// Donations: devices for 15–25% of the tier 1–3 needs, SIM packages for
	// 20–30%.
	r := newRand(seed, "donations", "", 0)
	var districts []string
	var distW []float64
	for _, g := range rg.groups {
		if len(g.communes) == 1 && g.communes[0].code == g.code {
			continue // a root leaf, not a district
		}
		hh := 0
		for _, c := range g.communes {
			hh += c.hh
		}
		districts = append(districts, g.code)
		distW = append(distW, float64(hh))
	}
	nDevices := int(math.Round(float64(hc.needs) * uniform(r, 0.15, 0.25)))
	names, weights := donors(rg.rootName)
	dg := &deviceGen{r: newRand(seed, "devices", "", 0), donors: names, weights: weights, districts: districts, distW: distW}
	err = out.csv(FileDevices, format.DeviceHeader(), func(w *format.CSV) error {
		for dg.n < nDevices {
			for _, d := range dg.batch(nDevices - dg.n) {
				if !meetsSpecs(&d) {
					st.DevicesBelowSpecs++
				}
				d.AreaCode = rg.outCode(d.AreaCode)
				if err := w.Write(format.DeviceRecord(d)); err != nil {
					return err
				}
			}
			if dg.n%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
		}
		st.Devices = int64(dg.n)
		return nil
	})
	if err != nil {
		return st, err
	}
	simTotal := int(math.Round(float64(hc.needs) * uniform(r, 0.2, 0.3)))
	rows := max(6, int(math.Round(12*scale)))
	packs := simPackages(newRand(seed, "sim", "", 0), simTotal, rows, districts)
	err = out.csv(FileSimPackages, format.SimPackageHeader(), func(w *format.CSV) error {
		for _, p := range packs {
			st.SimQuantity += int64(p.Quantity)
			p.AreaCode = rg.outCode(p.AreaCode)
			if err := w.Write(format.SimPackageRecord(p)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return st, err
	}
	st.SimPackages = int64(len(packs))
	progress("donations", st.Devices+st.SimPackages, st.Devices+st.SimPackages)
	if err := out.commit(); err != nil {
		return st, err
	}
	return st, nil
}

// numberSites gives sites and sectors their IDs (per operator, in commune
// order: "VTL00001/1") and returns the sectors in file order.
func numberSites(rg *region) []data.Sector {
	prefix := [4]string{"VTL", "VNP", "MBF", "VNM"}
	var next [4]int
	var out []data.Sector
	for _, c := range rg.communes {
		for si := range c.sites {
			s := &c.sites[si]
			next[s.op]++
			id := fmt.Sprintf("%s%05d", prefix[s.op], next[s.op])
			for k := range s.sectors {
				sec := s.sectors[k]
				sec.SiteID = id
				sec.ID = fmt.Sprintf("%s/%d", id, k+1)
				out = append(out, sec)
			}
		}
	}
	return out
}

// maxRangeLimitM bounds Options.MaxRangeM (the longest range of the
// coverage range table is 14.4 km; 100 km is far beyond any cell).
const maxRangeLimitM = 100_000

// longRanges gives every sector a stated range in [maxM/2, maxM] (rounded
// down to 50 m, at least 50 m) when maxM > 0, from the stream
// (seed, "max-range"), in file order.
func longRanges(sectors []data.Sector, seed int64, maxM float64) {
	if maxM <= 0 {
		return
	}
	r := newRand(seed, "max-range", "", 0)
	for i := range sectors {
		rng := math.Floor(uniform(r, maxM/2, maxM)/50) * 50
		sectors[i].RangeM = math.Max(rng, 50)
	}
}

// numberNodes gives fiber nodes their IDs in commune order.
func numberNodes(rg *region) []nodeRef {
	var out []nodeRef
	for _, c := range rg.communes {
		for _, n := range c.nodes {
			out = append(out, nodeRef{
				FiberNode: data.FiberNode{
					ID:       fmt.Sprintf("FN%06d", len(out)+1),
					Operator: fiberOperators()[n.op],
					Kind:     n.kind,
					Lat:      n.lat,
					Lon:      n.lon,
				},
				op:    n.op,
				group: c.group,
			})
		}
	}
	return out
}

// setInternet decides each school's reported internet from its distance to
// the nearest fiber node: fiber near the network, 4G or nothing far away.
func setInternet(seed int64, schools []*school, nodes []nodeRef) {
	grid := newPointGrid(0.02) // ≈2 km: 1 cell covers 1.5 km, 3 cells 5 km
	for i := range nodes {
		grid.add(nodes[i].Lat, nodes[i].Lon, i)
	}
	for _, s := range schools {
		r := newRand(seed, "internet", s.ID, 0)
		mLat, mLon := geo.LocalScale(s.Lat)
		within := func(m float64) func(int) bool {
			return func(i int) bool {
				dx, dy := (nodes[i].Lon-s.Lon)*mLon, (nodes[i].Lat-s.Lat)*mLat
				return dx*dx+dy*dy <= m*m
			}
		}
		d := math.Inf(1)
		switch {
		case grid.any(s.Lat, s.Lon, 1, within(1500)):
			d = 1500
		case grid.any(s.Lat, s.Lon, 3, within(5000)):
			d = 5000
		}
		kinds := []string{data.InternetFiber, data.InternetADSL, data.Internet4G, data.InternetNone}
		var w []float64
		switch {
		case d <= 1500:
			w = []float64{0.93, 0.04, 0.03, 0}
		case d <= 5000:
			w = []float64{0.55, 0.15, 0.22, 0.08}
		default:
			w = []float64{0.08, 0.05, 0.5, 0.37}
		}
		s.Internet = kinds[pick(r, w)]
	}
}

// pointGrid buckets points by a square grid of cell degrees.
type pointGrid struct {
	cell  float64
	cells map[[2]int][]int
}

func newPointGrid(cell float64) *pointGrid {
	return &pointGrid{cell: cell, cells: map[[2]int][]int{}}
}

func (g *pointGrid) key(lat, lon float64) [2]int {
	return [2]int{int(math.Floor(lon / g.cell)), int(math.Floor(lat / g.cell))}
}

func (g *pointGrid) add(lat, lon float64, i int) {
	k := g.key(lat, lon)
	g.cells[k] = append(g.cells[k], i)
}

// any reports whether fn is true for a point within k cells of (lat, lon),
// stopping at the first.
func (g *pointGrid) any(lat, lon float64, k int, fn func(int) bool) bool {
	c := g.key(lat, lon)
	for dx := -k; dx <= k; dx++ {
		for dy := -k; dy <= k; dy++ {
			for _, i := range g.cells[[2]int{c[0] + dx, c[1] + dy}] {
				if fn(i) {
					return true
				}
			}
		}
	}
	return false
}

// outputs writes files under temporary names and renames them into place
// once everything is written, so a failed run leaves the old files.
type outputs struct {
	dir   string
	files []*outFile
}

type outFile struct {
	name string
	f    *os.File
	bw   *bufio.Writer
	done bool
}

func (o *outputs) open(name string) (*outFile, error) {
	f, err := os.Create(filepath.Join(o.dir, name+".tmp"))
	if err != nil {
		return nil, fmt.Errorf("gen: %w", err)
	}
	of := &outFile{name: name, f: f, bw: bufio.NewWriterSize(f, 1<<20)}
	o.files = append(o.files, of)
	return of, nil
}

func (f *outFile) close() error {
	if f.done {
		return nil
	}
	f.done = true
	if err := f.bw.Flush(); err != nil {
		_ = f.f.Close()
		return fmt.Errorf("gen: %s: %w", f.name, err)
	}
	if err := f.f.Close(); err != nil {
		return fmt.Errorf("gen: %s: %w", f.name, err)
	}
	return nil
}

func (o *outputs) write(name string, fn func(io.Writer) error) error {
	f, err := o.open(name)
	if err != nil {
		return err
	}
	if err := fn(f.bw); err != nil {
		return fmt.Errorf("gen: %s: %w", name, err)
	}
	return f.close()
}

func (o *outputs) csv(name string, header []string, fn func(*format.CSV) error) error {
	return o.write(name, func(w io.Writer) error {
		c, err := format.NewCSV(w, header)
		if err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
		return c.Flush()
	})
}

// commit renames the files into place, in a fixed order.
func (o *outputs) commit() error {
	for _, f := range o.files {
		if err := f.close(); err != nil {
			return err
		}
	}
	for _, f := range o.files {
		p := filepath.Join(o.dir, f.name)
		if err := os.Rename(p+".tmp", p); err != nil {
			return fmt.Errorf("gen: %w", err)
		}
	}
	o.files = nil
	return nil
}

// abort removes the temporary files of a failed run.
func (o *outputs) abort() {
	for _, f := range o.files {
		if !f.done {
			_ = f.f.Close()
		}
		_ = os.Remove(filepath.Join(o.dir, f.name+".tmp"))
	}
}
