// Package importbench measures the households import (gapmap bench
// import) on a generated file of about 1M rows into a fresh PostGIS
// database, against the ceiling of a plain COPY of the same file into an
// unindexed table, in the same run.
package importbench

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/gapmap/gapmap/data/gen"
	"github.com/gapmap/gapmap/data/importer"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/internal/procstat"
	"github.com/jackc/pgx/v5"
)

// Options of a benchmark run.
type Options struct {
	DatabaseURL string    // the server's URL; the scratch database is created beside it
	Database    string    // name of the scratch database (default gapmap_bench_import)
	Households  int       // approximate number of households (≥ 1000)
	Runs        int       // repetitions, the median is reported (≥ 1)
	Keep        bool      // keep the scratch database and files
	Progress    io.Writer // one line per step; nil for none
}

// DefaultDatabase is the scratch database each run creates afresh.
const DefaultDatabase = "gapmap_bench_import"

// sampleHouseholds is the built-in sample province's at scale 1.
const sampleHouseholds = 34_750

// TargetRowsPerSecond is the import's target (median).
const TargetRowsPerSecond = 250_000

// Report is the outcome of a run.
type Report struct {
	Households int64
	Runs       int
	Bulk       bool      // the import took the bulk path
	Import     []float64 // rows/s of each run
	RawCopy    []float64 // rows/s of the plain COPY of each run
	PeakRSS    int64     // bytes (VmHWM, generator included)
}

// Run generates the sample province scaled to about o.Households
// households, then o.Runs times: creates the scratch database, imports the
// areas, times the households import (validation, point-in-polygon, H3,
// binary COPY, keys), and times a plain text COPY of the same CSV into an
// unindexed table.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.Runs < 1 || o.Households < 1000 {
		return nil, fmt.Errorf("importbench: runs must be ≥ 1 and households ≥ 1000")
	}
	progress := o.Progress
	if progress == nil {
		progress = io.Discard
	}
	dir, err := os.MkdirTemp("", "gapmap-bench-import-")
	if err != nil {
		return nil, err
	}
	if !o.Keep {
		defer os.RemoveAll(dir)
	}
	st, err := gen.Generate(ctx, gen.Options{Seed: 1, Scale: float64(o.Households) / sampleHouseholds, OutDir: dir})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "bench import: %d households generated in %s\n", st.Households, dir)

	scratch := o.Database
	if scratch == "" {
		scratch = DefaultDatabase
	}
	scratchURL, err := urlWithDatabase(o.DatabaseURL, scratch)
	if err != nil {
		return nil, err
	}
	rep := &Report{Households: st.Households, Runs: o.Runs}
	for r := 0; r < o.Runs; r++ {
		if err := recreateDatabase(ctx, o.DatabaseURL, scratch); err != nil {
			return nil, err
		}
		rate, isBulk, err := timeImport(ctx, scratchURL, dir, st.Households)
		if err != nil {
			return nil, err
		}
		rep.Bulk = isBulk
		rep.Import = append(rep.Import, rate)
		cr, err := timeRawCopy(ctx, scratchURL, filepath.Join(dir, gen.FileHouseholds), st.Households)
		if err != nil {
			return nil, err
		}
		rep.RawCopy = append(rep.RawCopy, cr)
		fmt.Fprintf(progress, "run %d: import %.0f rows/s, plain COPY %.0f rows/s\n", r+1, rate, cr)
	}
	if !o.Keep {
		if err := dropDatabase(ctx, o.DatabaseURL, scratch); err != nil {
			return nil, err
		}
	}
	rep.PeakRSS, _ = procstat.PeakRSS()
	return rep, nil
}

// Write prints the report's table.
func (r *Report) Write(w io.Writer) error {
	mi, mr := Median(r.Import), Median(r.RawCopy)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "bench import\t%d households, %d runs, bulk path %v\t\n", r.Households, r.Runs, r.Bulk)
	fmt.Fprintf(tw, "gapmap import households (median)\t%.0f rows/s\ttarget ≥ 250000\t%s\n", mi, verdict(mi >= TargetRowsPerSecond))
	fmt.Fprintf(tw, "plain COPY, no indexes (median, baseline)\t%.0f rows/s\t\t\n", mr)
	fmt.Fprintf(tw, "ratio import / plain COPY\t%.2f\t\t\n", mi/mr)
	fmt.Fprintf(tw, "peak RSS of this process (VmHWM, generator included)\t%s\t\t\n", procstat.FormatBytes(r.PeakRSS))
	return tw.Flush()
}

func timeImport(ctx context.Context, dbURL, dir string, rows int64) (rate float64, bulk bool, err error) {
	st, err := postgis.Open(ctx, dbURL)
	if err != nil {
		return 0, false, err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return 0, false, err
	}
	if _, err := importer.Import(ctx, st, "areas", filepath.Join(dir, gen.FileAreas), importer.Options{}); err != nil {
		return 0, false, err
	}
	start := time.Now()
	sum, err := importer.Import(ctx, st, "households", filepath.Join(dir, gen.FileHouseholds), importer.Options{})
	if err != nil {
		return 0, false, err
	}
	if sum.Inserted != rows {
		return 0, false, fmt.Errorf("imported %d households, want %d", sum.Inserted, rows)
	}
	return float64(rows) / time.Since(start).Seconds(), sum.Bulk, nil
}

func timeRawCopy(ctx context.Context, dbURL, path string, rows int64) (float64, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DROP TABLE IF EXISTS households_raw; CREATE TABLE households_raw (household_id text, lat double precision, lon double precision, area_code text, location_precision text, poverty text, members integer)`); err != nil {
		return 0, err
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	start := time.Now()
	tag, err := conn.PgConn().CopyFrom(ctx, f, "COPY households_raw FROM STDIN WITH (FORMAT csv, HEADER true)")
	if err != nil {
		return 0, fmt.Errorf("plain COPY baseline: %w", err)
	}
	if tag.RowsAffected() != rows {
		return 0, fmt.Errorf("plain COPY loaded %d rows, want %d", tag.RowsAffected(), rows)
	}
	rate := float64(rows) / time.Since(start).Seconds()
	_, err = conn.Exec(ctx, `DROP TABLE households_raw`)
	return rate, err
}

func urlWithDatabase(raw, db string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("DATABASE_URL is not a URL: %w", err)
	}
	u.Path = "/" + db
	return u.String(), nil
}

func adminConn(ctx context.Context, base string) (*pgx.Conn, error) {
	admin, err := urlWithDatabase(base, "postgres")
	if err != nil {
		return nil, err
	}
	return pgx.Connect(ctx, admin)
}

func recreateDatabase(ctx context.Context, base, name string) error {
	if err := dropDatabase(ctx, base, name); err != nil {
		return err
	}
	c, err := adminConn(ctx, base)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("create scratch database %s: %w", name, err)
	}
	return nil
}

func dropDatabase(ctx context.Context, base, name string) error {
	c, err := adminConn(ctx, base)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	return err
}

// Median of xs (0 for none).
func Median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func verdict(ok bool) string {
	if ok {
		return "ok"
	}
	return "BELOW TARGET"
}
