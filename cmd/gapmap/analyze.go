package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/gapmap/gapmap/coverage"
	"github.com/gapmap/gapmap/coveragerun"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/internal/atomicfile"
	"github.com/gapmap/gapmap/internal/procstat"
)

const analyzeSynopsis = `analyze --in DIR --out OUT [flags]     (offline, on files)
       gapmap analyze [flags]                         (on the database)

Decides for every school and every home of a student whether online learning
is possible there: 4G (from which operators), fiber, 3G/2G only or nothing.
Distances are exact ellipsoidal geodesics (WGS84, as PostGIS geography). It
aggregates the answers into H3 cells (res 9, rolled up to 8…5), finds the gap
areas (neighbouring cells with tier 1–3 students or schools that have neither
4G nor fiber) and ranks them by weighted beneficiaries per billion VND of the
cheaper of a new site or a fiber extension, every score component shown.

Offline (--in DIR): reads the exchange files of DIR (as written by gapmap gen
or prepared by hand: areas.geojson, schools.csv, households.csv, students.csv,
sites.csv, fiber_nodes.csv, fiber_routes.geojson) and writes into OUT:
  entities.csv   one row per school and household: connectivity, 4G operators,
                 exact distances to the nearest 4G site (overall and per
                 operator) and to fiber, 0.01 m precision
  cells.csv      H3 cells (res 9 and the roll-ups): counts by tier, unconnected
                 students, FCC-style served shares per operator, fiber share
  gaps.geojson   ranked gap areas ("lõm sóng") with their score components
  summary.json   the parameters of the run and the totals by area and class
PERSONAL DATA: entities.csv holds household ids and positions. It is an
internal file for the allocation engine (gapmap allocate --coverage OUT):
never send it to operators or publish it (Decree 13/2023/NĐ-CP). cells.csv,
gaps.geojson and summary.json hold counts per cell and gap area (no ids, no
home positions; gap distances are measured from cell centres), for planners:
a cell may hold a single home, so give operators and the public the output of
gapmap export uncovered, which merges cells of fewer than k households
(default 5) into their parent cell.

Database (no --in): reads the dataset from DATABASE_URL and stores a coverage
run (coverage_runs, coverage_entities, coverage_cells, gap_areas) that the
API, the vector tiles, QGIS and gapmap allocate read; --out also writes the
files.`

// coverageFlags are the flags analyze, plan and bench coverage share.
type coverageFlags struct {
	in, settings, polygons, measurements string
	includePlanned                       bool
	workers                              int
	date                                 string
}

// analysisDate parses a --date flag (YYYY-MM-DD); "" is today in Vietnam.
func analysisDate(v string) (time.Time, error) {
	if v == "" {
		return data.VietnamDay(time.Now()), nil
	}
	return dayFlag("date", v, time.Time{})
}

// dayFlag parses the day of flag --name (YYYY-MM-DD); an empty value is
// def.
func dayFlag(name, v string, def time.Time) (time.Time, error) {
	if v == "" {
		return def, nil
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return d, usageError{fmt.Sprintf("--%s %q: write the date as YYYY-MM-DD", name, v)}
	}
	return d, nil
}

func (c *coverageFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.in, "in", "", "offline: directory of exchange files (as written by gapmap gen)")
	fs.StringVar(&c.settings, "settings", "", "JSON file of coverage settings (fields of coverage.Settings, e.g. {\"fiber_node_m\": 300}; missing fields keep their defaults)")
	fs.StringVar(&c.polygons, "polygons", "", "GeoJSON of operator coverage polygons (properties operator, technology): they replace the model for that operator and technology")
	fs.StringVar(&c.measurements, "measurements", "", "CSV of field measurements (lat,lon,operator,technology,rsrp_dbm,time): they confirm or refute cells")
	fs.BoolVar(&c.includePlanned, "include-planned", false, "count sectors with status planned as active (what-if on the whole plan)")
	fs.IntVar(&c.workers, "workers", 0, "goroutines (default: all cores); results do not depend on it")
	fs.StringVar(&c.date, "date", "", "analysis date YYYY-MM-DD: points are placed in the areas valid that day, and a run on the database records it (default today, Vietnam time)")
}

// coverageSettings returns the defaults overlaid with --settings and the flags.
func (c *coverageFlags) coverageSettings() (coverage.Settings, error) {
	s := coverage.DefaultSettings()
	if c.settings != "" {
		f, err := os.Open(c.settings)
		if err != nil {
			return s, fmt.Errorf("reading the settings file: %w", err)
		}
		defer f.Close()
		if s, err = coverage.ReadSettings(f); err != nil {
			return s, fmt.Errorf("%s: %w", c.settings, err)
		}
	}
	if c.includePlanned {
		s.IncludePlanned = true
	}
	s.Workers = c.workers
	return s, s.Validate()
}

// load gives the settings and the input of an offline analyze or plan run
// (--in), with the memory limit for the big in-memory analysis set first.
func (c *coverageFlags) load(ctx context.Context, e *env) (coverage.Settings, coverage.Input, time.Duration, error) {
	s, err := c.coverageSettings()
	if err != nil {
		return s, coverage.Input{}, 0, err
	}
	day, err := analysisDate(c.date)
	if err != nil {
		return s, coverage.Input{}, 0, err
	}
	procstat.LimitMemory(e.getenv)
	t0 := time.Now()
	in, warnings, err := coveragerun.ReadFiles(ctx, c.in, c.polygons, c.measurements)
	in.Date = day
	if warnings != nil {
		fmt.Fprintf(e.stderr, "warning: %v\n", firstLines(warnings.Error(), 6))
	}
	var de *format.DatasetError
	var ve *data.ValidationError
	if errors.As(err, &de) && errors.As(de.Err, &ve) {
		return s, in, 0, fmt.Errorf("the input files of %s have problems; fix them and run again:\n%w", c.in, err)
	}
	return s, in, time.Since(t0), err
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = append(lines[:n], "…")
	}
	return strings.Join(lines, "\n")
}

func cmdAnalyze(ctx context.Context, e *env, args []string) error {
	var cf coverageFlags
	var out string
	fs := newFlags(e, "analyze", analyzeSynopsis)
	cf.register(fs)
	fs.StringVar(&out, "out", "", "directory for entities.csv, cells.csv, gaps.geojson, summary.json (required with --in)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("analyze takes no arguments (got %q): use --in DIR --out OUT", fs.Args())}
	}
	if cf.in != "" && out == "" {
		return usageError{"--out OUT is required with --in: the directory to write the results to"}
	}
	if out != "" {
		// Before the analysis: every file of OUT can be written.
		if err := checkOutputFiles(out, coveragerun.OutputFiles()...); err != nil {
			return err
		}
	}
	var r *coverage.Result
	if cf.in == "" {
		opts, st, err := cf.databaseRun(ctx, e)
		if err != nil {
			return err
		}
		defer st.Close()
		run, err := coveragerun.Analyze(ctx, st, opts)
		endPhases(e)
		if err != nil {
			return adviseImport(err)
		}
		r = run.Result
		fmt.Fprintf(e.stderr, "read the dataset in %.2fs; analysed in %.2fs (%s)\n", run.ReadTime.Seconds(), run.AnalyseTime.Seconds(), coverage.FormatTimings(r.Timings))
		fmt.Fprintf(e.stdout, "coverage run %d stored (areas valid on %s)\n", run.ID, opts.Date.Format(time.DateOnly))
	} else {
		s, in, readTime, err := cf.load(ctx, e)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "read %d schools, %d households, %d students, %d sectors in %.2fs\n",
			len(in.Dataset.Schools), in.HouseholdCount(), in.StudentCount(), len(in.Dataset.Sectors), readTime.Seconds())
		run, err := coveragerun.AnalyzeOffline(ctx, in, s)
		if err != nil {
			return err
		}
		r = run.Result
		fmt.Fprintf(e.stderr, "analysed in %.2fs (%s)\n", run.AnalyseTime.Seconds(), coverage.FormatTimings(r.Timings))
	}
	if out != "" {
		if err := coveragerun.WriteFiles(r, out); err != nil {
			return err
		}
	}
	if err := r.WriteTotals(e.stdout); err != nil {
		return err
	}
	if out != "" {
		fmt.Fprintf(e.stdout, "files in %s (entities.csv is internal: personal data)\n", out)
	}
	return nil
}

// databaseRun gives the options of a run on the database (settings,
// optional polygons and measurements files, progress on a terminal) and
// the open store.
func (c *coverageFlags) databaseRun(ctx context.Context, e *env) (coveragerun.Options, *postgis.Store, error) {
	s, err := c.coverageSettings()
	if err != nil {
		return coveragerun.Options{}, nil, err
	}
	day, err := analysisDate(c.date)
	if err != nil {
		return coveragerun.Options{}, nil, err
	}
	procstat.LimitMemory(e.getenv)
	polygons, measurements, err := coveragerun.ReadOverrides(ctx, c.polygons, c.measurements)
	if err != nil {
		return coveragerun.Options{}, nil, err
	}
	st, err := openStore(ctx, e, false)
	if err != nil {
		return coveragerun.Options{}, nil, err
	}
	return coveragerun.Options{Settings: s, Polygons: polygons, Measurements: measurements, Progress: phaseProgress(e), Date: day}, st, nil
}

// phaseProgress shows a run's phase and percent on a terminal.
func phaseProgress(e *env) coveragerun.Progress {
	if !e.isTerminal {
		return nil
	}
	return func(phase string, pct float64) { fmt.Fprintf(e.stderr, "\r\033[K%s %.0f%%", phase, pct) }
}

func endPhases(e *env) {
	if e.isTerminal {
		fmt.Fprint(e.stderr, "\r\033[K")
	}
}

// adviseImport adds what to do when the database holds nothing to analyse.
func adviseImport(err error) error {
	if errors.Is(err, data.ErrConflict) {
		return fmt.Errorf("%w (run gapmap import first, or use --in DIR)", err)
	}
	return err
}

// checkOutputFiles checks, before a long run, that the named files can be
// written in dir (atomicfile.CheckDir).
func checkOutputFiles(dir string, names ...string) error {
	if err := atomicfile.CheckDir(dir, names...); err != nil {
		return fmt.Errorf("--out %s: %w; nothing was done", dir, err)
	}
	return nil
}
