package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/gapmap/gapmap/data/gen"
	"github.com/gapmap/gapmap/data/importer"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/jackc/pgx/v5"
)

// benchImport measures `gapmap import households` on a generated file of
// about 1M rows into a fresh PostGIS database, against the ceiling of a
// plain COPY of the same file into an unindexed table, in the same run.
func benchImport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "bench import", "bench import [--households N] [--runs R]\n\n"+
		"Generates the sample province scaled to about N households, then R times: creates a scratch\n"+
		"database, imports the areas, and times the households import (validation, point-in-polygon,\n"+
		"H3, binary COPY, keys); and times a plain text COPY of the same CSV into an unindexed table\n"+
		"(the PostgreSQL ceiling). Prints medians and the ratio.")
	n := fs.Int("households", 1_000_000, "approximate number of households")
	runs := fs.Int("runs", 3, "repetitions (the median is reported)")
	keep := fs.Bool("keep", false, "keep the scratch database and files")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *runs < 1 || *n < 1000 {
		return usageError{"--runs must be ≥ 1 and --households ≥ 1000"}
	}
	dir, err := os.MkdirTemp("", "gapmap-bench-import-")
	if err != nil {
		return err
	}
	if !*keep {
		defer os.RemoveAll(dir)
	}
	const sampleHouseholds = 34_750 // the built-in sample province at scale 1
	st, err := gen.Generate(ctx, gen.Options{Seed: 1, Scale: float64(*n) / sampleHouseholds, OutDir: dir})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "bench import: %d households generated in %s\n", st.Households, dir)

	base := databaseURL(e)
	scratch := "gapmap_bench_import"
	scratchURL, err := urlWithDatabase(base, scratch)
	if err != nil {
		return err
	}
	var imp, raw []float64
	var bulk bool
	for r := 0; r < *runs; r++ {
		if err := recreateDatabase(ctx, base, scratch); err != nil {
			return err
		}
		rate, isBulk, err := timeImport(ctx, scratchURL, dir, st.Households)
		if err != nil {
			return err
		}
		bulk = isBulk
		imp = append(imp, rate)
		cr, err := timeRawCopy(ctx, scratchURL, filepath.Join(dir, gen.FileHouseholds), st.Households)
		if err != nil {
			return err
		}
		raw = append(raw, cr)
		fmt.Fprintf(e.stderr, "run %d: import %.0f rows/s, plain COPY %.0f rows/s\n", r+1, rate, cr)
	}
	if !*keep {
		if err := dropDatabase(ctx, base, scratch); err != nil {
			return err
		}
	}
	rss, _ := allocPeakRSS()
	mi, mr := median(imp), median(raw)
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "bench import\t%d households, %d runs, bulk path %v\t\n", st.Households, *runs, bulk)
	fmt.Fprintf(tw, "gapmap import households (median)\t%.0f rows/s\ttarget ≥ 250000\t%s\n", mi, targetVerdict(mi >= 250_000))
	fmt.Fprintf(tw, "plain COPY, no indexes (median, baseline)\t%.0f rows/s\t\t\n", mr)
	fmt.Fprintf(tw, "ratio import / plain COPY\t%.2f\t\t\n", mi/mr)
	fmt.Fprintf(tw, "peak RSS of this process (VmHWM, generator included)\t%s\t\t\n", allocBytes(rss))
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

func median(xs []float64) float64 {
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

func targetVerdict(ok bool) string {
	if ok {
		return "ok"
	}
	return "BELOW TARGET"
}
