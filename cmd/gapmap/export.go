package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/gapmap/gapmap/coveragerun"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/export"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/internal/atomicfile"
)

const exportSynopsis = `export uncovered [--in OUT] [--run ID] [--operator OP | --view no_network] [--area CODE] [--k N] [--format csv|xlsx|geojson|kml] --out FILE

Xuất điểm chưa có sóng cho nhà mạng: tâm các ô H3 (độ phân giải của lần phân
tích, mặc định 9) có nhu cầu (học sinh ưu tiên 1–3 hoặc trường học) kèm số hộ
và số học sinh theo diện ưu tiên, và các trường học. Với --operator OP: các
điểm chưa có 4G của OP; không có --operator: các điểm không có 4G của nhà mạng
nào và không có cáp quang. Không có dữ liệu cá nhân: không mã hộ, mã học sinh
hay vị trí hộ. Ô có ít hơn --k hộ (mặc định 5) được gộp vào ô cha cho đến khi
đủ k hộ, nên tổng số vẫn đúng.

Exports the uncovered points for telecom operators: H3 cell centres (the
analysis resolution, 9 by default) with demand — tier 1–3 students or a
school — with their households and students by tier (and those at homes
without 4G or fiber), and the schools as points (id, name, level,
enrolment, connectivity). Two views: with --operator OP (--view operator),
the points without OP's 4G (FCC-style served share for cells); without it
(--view no_network), the points with neither 4G of any operator nor fiber.
--area CODE keeps one area and everything below it.
PRIVACY: no household or student id and no household position is written.
A cell with fewer than --k households (default 5) is merged into its parent
cell, with the parent's other cells, until it holds at least k: every
exported cell holds ≥ k households and the totals stay exact. The API's
export (GET /api/v1/exports/uncovered) is the same code.

Source: without --in, the latest coverage run in DATABASE_URL, or --run ID.
--in OUT reads the files of gapmap analyze --out OUT instead (cells.csv,
gaps.geojson, summary.json and only the school rows of entities.csv); add
--schools FILE (the analysed schools.csv) for school names and levels.
Formats: csv (UTF-8 BOM, Excel-safe), xlsx (bilingual header), geojson
(RFC 7946, lon/lat, points), kml (KML 2.2, cells with their hexagon); by
default from the --out extension. --out - writes to standard output.
--out FILE is written through a temporary file renamed into place; a
symlink is written through (its target replaced), a character device
(/dev/null, /dev/stdout) or a FIFO is written to directly, never replaced;
a directory, block device or socket is refused.`

type exportFlags struct {
	in, schools, operator, view, area, format, out string
	runID                                          int64
	k                                              int
}

func cmdExport(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fs := newFlags(e, "export", exportSynopsis)
		if err := fs.Parse(args); err != nil {
			return err
		}
		return usageError{"export needs a report: gapmap export uncovered --out FILE (see gapmap export uncovered --help)"}
	}
	switch args[0] {
	case "uncovered":
		return cmdExportUncovered(ctx, e, args[1:])
	}
	return usageError{fmt.Sprintf("unknown export %q: use gapmap export uncovered", args[0])}
}

func cmdExportUncovered(ctx context.Context, e *env, args []string) error {
	var f exportFlags
	fs := newFlags(e, "export uncovered", exportSynopsis)
	fs.StringVar(&f.in, "in", "", "offline: output directory of gapmap analyze --out (default: the database)")
	fs.StringVar(&f.schools, "schools", "", "offline: schools.csv of the analysed input, for school names and levels")
	fs.Int64Var(&f.runID, "run", 0, "database: coverage run id (default: the latest run)")
	fs.StringVar(&f.operator, "operator", "", "mobile operator (e.g. viettel): points without its 4G instead of points without any 4G or fiber")
	fs.StringVar(&f.view, "view", "", "operator (needs --operator) or no_network (default: operator when --operator is given)")
	fs.StringVar(&f.area, "area", "", "area code: only this area and the areas below it")
	fs.StringVar(&f.format, "format", "", "csv, xlsx, geojson or kml (default: from the --out extension, else csv)")
	fs.StringVar(&f.out, "out", "", "output file (required; - for standard output)")
	fs.IntVar(&f.k, "k", export.DefaultK, "privacy threshold: a cell with fewer households is merged into its parent cell until it holds k")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("export uncovered takes no arguments (got %q)", fs.Args())}
	}
	if f.out == "" {
		return usageError{"--out FILE is required (- for standard output)"}
	}
	if f.k < 1 {
		return usageError{"--k must be 1 or more"}
	}
	if f.in != "" && f.runID != 0 {
		return usageError{"--run reads the database; it cannot be combined with --in"}
	}
	if f.format == "" {
		f.format = export.FormatOf(f.out)
	}
	f.format = strings.ToLower(f.format)
	if !slices.Contains(export.Formats(), f.format) {
		return usageError{fmt.Sprintf("--format %q: use csv, xlsx, geojson or kml", f.format)}
	}
	if v := strings.ToLower(strings.TrimSpace(f.view)); v != "" && !slices.Contains(export.Views(), v) {
		return usageError{fmt.Sprintf("--view %q: use one of %s", f.view, strings.Join(export.Views(), ", "))}
	}
	// Before any work: --out must be a file this command may write (never
	// a directory or a device it would replace).
	if f.out != "-" {
		if err := atomicfile.Check(f.out); err != nil {
			return fmt.Errorf("--out %s: %w", f.out, err)
		}
	}
	q := coveragerun.ExportQuery{RunID: f.runID, View: f.view, Operator: f.operator, AreaCode: f.area, Format: f.format, K: f.k}
	var x *coveragerun.Export
	var err error
	if f.in != "" {
		x, err = coveragerun.PrepareExportFromFiles(ctx, f.in, f.schools, q)
	} else {
		var st *postgis.Store
		if st, err = openStore(ctx, e, false); err != nil {
			return err
		}
		defer st.Close()
		x, err = coveragerun.PrepareExport(ctx, st, q)
		if errors.Is(err, data.ErrNotFound) && f.runID == 0 {
			err = fmt.Errorf("%w: run gapmap analyze first", err)
		}
	}
	if err != nil {
		return err
	}
	if err := writeExportFile(f.out, e.stdout, func(w io.Writer) error { return x.WriteTo(ctx, w) }); err != nil {
		return err
	}
	if f.out != "-" {
		from := "offline run " + f.in
		if x.Stats.RunID != 0 {
			from = fmt.Sprintf("coverage run %d", x.Stats.RunID)
		}
		fmt.Fprintf(e.stdout, "%s: %d uncovered cells (%d households) and %d schools written to %s (%s; every cell holds at least %d households, smaller ones merged into their parent cell%s)\n",
			from, x.Stats.Cells, x.Stats.Households, x.Stats.Schools, f.out, f.format, f.k, withheldNote(x.Stats.WithheldHouseholds))
	}
	return nil
}

func withheldNote(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("; %d households withheld: their whole region holds fewer than k", n)
}

// writeExportFile writes path under the policy of package atomicfile (a
// regular file through a temporary file renamed into place; a symlink
// written through; a character device or a FIFO written to directly;
// anything else refused), or to stdout for "-".
func writeExportFile(path string, stdout io.Writer, fn func(io.Writer) error) error {
	if path == "-" {
		return fn(stdout)
	}
	if err := atomicfile.Write(path, fn); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
