package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gapmap/gapmap/coveragerun"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/export"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/geo"
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
default from the --out extension. --out - writes to standard output.`

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
		switch strings.ToLower(filepath.Ext(f.out)) {
		case ".xlsx":
			f.format = "xlsx"
		case ".geojson", ".json":
			f.format = "geojson"
		case ".kml":
			f.format = "kml"
		default:
			f.format = "csv"
		}
	}
	f.format = strings.ToLower(f.format)
	if !slices.Contains(export.Formats(), f.format) {
		return usageError{fmt.Sprintf("--format %q: use csv, xlsx, geojson or kml", f.format)}
	}
	if f.in == "" {
		return exportUncoveredDatabase(ctx, e, f)
	}
	pts, operator, withheld, err := uncoveredFromFiles(ctx, f)
	if err != nil {
		return err
	}
	view := export.ViewNoNetwork
	if operator != "" {
		view = export.ViewOperator
	}
	if err := writeExportFile(f.out, e.stdout, func(w io.Writer) error {
		return export.Write(w, f.format, pts, export.Options{K: f.k, View: view, Operator: operator})
	}); err != nil {
		return err
	}
	var cells, schools int
	for i := range pts {
		if pts[i].Kind == export.KindCell {
			cells++
		} else {
			schools++
		}
	}
	if f.out != "-" {
		fmt.Fprintf(e.stdout, "%d uncovered cells and %d schools written to %s (%s; every cell holds at least %d households, smaller ones merged into their parent cell%s)\n",
			cells, schools, f.out, f.format, f.k, withheldNote(withheld))
	}
	return nil
}

func withheldNote(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("; %d households withheld: their whole region holds fewer than k", n)
}

// exportUncoveredDatabase writes the export of a stored run (the code the
// API runs).
func exportUncoveredDatabase(ctx context.Context, e *env, f exportFlags) error {
	st, err := postgis.Open(ctx, databaseURL(e))
	if err != nil {
		return err
	}
	defer st.Close()
	x, err := coveragerun.PrepareExport(ctx, st, coveragerun.ExportQuery{
		RunID: f.runID, View: f.view, Operator: f.operator, AreaCode: f.area, Format: f.format, K: f.k,
	})
	if errors.Is(err, data.ErrNotFound) && f.runID == 0 {
		return fmt.Errorf("%w: run gapmap analyze first", err)
	}
	if err != nil {
		return err
	}
	if err := writeExportFile(f.out, e.stdout, func(w io.Writer) error { return x.WriteTo(ctx, w) }); err != nil {
		return err
	}
	if f.out != "-" {
		fmt.Fprintf(e.stdout, "coverage run %d: %d uncovered cells (%d households) and %d schools written to %s (%s; every cell holds at least %d households, smaller ones merged into their parent cell%s)\n",
			x.Stats.RunID, x.Stats.Cells, x.Stats.Households, x.Stats.Schools, f.out, f.format, f.k, withheldNote(x.Stats.WithheldHouseholds))
	}
	return nil
}

// writeExportFile writes through a temporary file renamed into place, or
// to stdout for "-".
func writeExportFile(path string, stdout io.Writer, fn func(io.Writer) error) error {
	if path == "-" {
		return fn(stdout)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := fn(tmp); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// checkOperator returns the run's spelling of op, or an error listing them.
func checkOperator(op string, operators []string) (string, error) {
	if op == "" {
		return "", nil
	}
	for _, o := range operators {
		if strings.EqualFold(o, strings.TrimSpace(op)) {
			return o, nil
		}
	}
	return "", usageError{fmt.Sprintf("--operator %q is not an operator of this coverage run (%s)", op, strings.Join(operators, ", "))}
}

// Files ---------------------------------------------------------------------

// csvTable streams a CSV written by format.NewCSV (BOM, escaped cells),
// calling fn with a column lookup for each record.
func csvTable(ctx context.Context, path string, fn func(get func(col string) string) error) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	r := csv.NewReader(fh)
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return fmt.Errorf("%s: reading the header: %w", path, err)
	}
	idx := make(map[string]int, len(header))
	for i, h := range header {
		idx[strings.TrimPrefix(strings.TrimSpace(h), "\ufeff")] = i
	}
	var rec []string
	get := func(col string) string {
		i, ok := idx[col]
		if !ok || i >= len(rec) {
			return ""
		}
		return format.UnescapeCell(rec[i])
	}
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		rec, err = r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if err := fn(get); err != nil {
			return fmt.Errorf("%s line %d: %w", path, n+2, err)
		}
	}
}

func atoi(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	return strconv.Atoi(s)
}

func parseFloatOrNaN(s string) float64 {
	x, err := strconv.ParseFloat(s, 64)
	if s == "" || err != nil {
		return math.NaN()
	}
	return x
}

type gapInfo struct {
	rank       int
	score      float64
	nearest4GM float64
}

func uncoveredFromFiles(ctx context.Context, f exportFlags) ([]export.Point, string, int, error) {
	// summary.json: resolution, operators, area names.
	var sum struct {
		Settings struct {
			Resolution *int `json:"resolution"`
		} `json:"settings"`
		Operators []string `json:"operators"`
		Areas     []struct {
			Code string `json:"code"`
			Name string `json:"name"`
		} `json:"areas"`
	}
	b, err := os.ReadFile(filepath.Join(f.in, "summary.json"))
	if err != nil {
		return nil, "", 0, fmt.Errorf("%w (is %s an output directory of gapmap analyze --out?)", err, f.in)
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		return nil, "", 0, fmt.Errorf("%s: %w", filepath.Join(f.in, "summary.json"), err)
	}
	op, err := checkOperator(f.operator, sum.Operators)
	if err != nil {
		return nil, "", 0, err
	}
	res := 9
	if sum.Settings.Resolution != nil {
		res = *sum.Settings.Resolution
	}
	areaNames := make(map[string]string, len(sum.Areas))
	for _, a := range sum.Areas {
		areaNames[a.Code] = a.Name
	}

	// gaps.geojson: rank, score, nearest 4G by gap id.
	gaps := map[string]gapInfo{}
	b, err = os.ReadFile(filepath.Join(f.in, "gaps.geojson"))
	if err != nil {
		return nil, "", 0, err
	}
	var fc struct {
		Features []struct {
			Properties struct {
				ID         string   `json:"id"`
				Rank       int      `json:"rank"`
				Score      *float64 `json:"score"`
				Nearest4GM *float64 `json:"nearest_4g_m"`
			} `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		return nil, "", 0, fmt.Errorf("%s: %w", filepath.Join(f.in, "gaps.geojson"), err)
	}
	orNaN := func(p *float64) float64 {
		if p == nil {
			return math.NaN()
		}
		return *p
	}
	for _, ft := range fc.Features {
		p := ft.Properties
		gaps[p.ID] = gapInfo{rank: p.Rank, score: orNaN(p.Score), nearest4GM: orNaN(p.Nearest4GM)}
	}
	gapOf := func(pt *export.Point, id string) {
		pt.GapID, pt.GapScore = id, math.NaN()
		if g, ok := gaps[id]; ok && id != "" {
			pt.GapRank, pt.GapScore = g.rank, g.score
		}
	}

	// cells.csv: the uncovered cells of the analysis resolution.
	if f.view == export.ViewNoNetwork {
		op = ""
	} else if f.view == export.ViewOperator && op == "" {
		return nil, "", 0, usageError{"--view operator needs --operator OP"}
	}
	var cells []export.Cell
	resText := strconv.Itoa(res)
	err = csvTable(ctx, filepath.Join(f.in, "cells.csv"), func(get func(string) string) error {
		if get("res") != resText {
			return nil
		}
		if f.area != "" && get("area_code") != f.area {
			return nil
		}
		var n [9]int
		for i, col := range []string{"households", "schools", "school_students", "students_t1", "students_t2", "students_t3",
			"unconnected_students_t1", "unconnected_students_t2", "unconnected_students_t3"} {
			v, err := atoi(get(col))
			if err != nil {
				return fmt.Errorf("%s: %w", col, err)
			}
			n[i] = v
		}
		demand := n[3]+n[4]+n[5] > 0 || n[1] > 0
		if op == "" {
			if get("gap") != "true" {
				return nil
			}
		} else if !demand || slices.Contains(strings.Split(get("served_operators"), ";"), op) {
			return nil
		}
		c, err := geo.ParseCell(get("h3"))
		if err != nil {
			return err
		}
		x := export.Cell{Cell: c, AreaCode: get("area_code"), Households: n[0],
			Students: [4]int{0, n[3], n[4], n[5]}, Unconnected: [4]int{0, n[6], n[7], n[8]}, GapID: get("gap_id"), GapScore: math.NaN(), Nearest4GM: math.NaN()}
		x.AreaName = areaNames[x.AreaCode]
		if g, ok := gaps[x.GapID]; ok && x.GapID != "" {
			x.GapRank, x.GapScore, x.Nearest4GM = g.rank, g.score, g.nearest4GM
		}
		cells = append(cells, x)
		return nil
	})
	if err != nil {
		return nil, "", 0, err
	}
	pts, withheld, err := export.Merge(cells, f.k)
	if err != nil {
		return nil, "", 0, err
	}

	// schools.csv (optional): names and levels.
	names := map[string]data.School{}
	if f.schools != "" {
		var verr data.ValidationError
		err := format.ReadSchools(ctx, f.schools, &verr, func(_ int, s data.School) error {
			names[s.ID] = s
			return nil
		})
		if err == nil {
			err = verr.Err()
		}
		if err != nil {
			return nil, "", 0, fmt.Errorf("reading %s: %w", f.schools, err)
		}
	}

	// entities.csv: school rows only; household rows are skipped unread.
	var schools []export.Point
	err = csvTable(ctx, filepath.Join(f.in, "entities.csv"), func(get func(string) string) error {
		if get("entity_type") != data.EntitySchool {
			return nil
		}
		if f.area != "" && get("area_code") != f.area {
			return nil
		}
		class := get("connectivity")
		if op == "" {
			if class == data.ClassFiber || class == data.Class4G {
				return nil
			}
		} else if slices.Contains(strings.Split(get("operators_4g"), ";"), op) {
			return nil
		}
		lat, err1 := strconv.ParseFloat(get("lat"), 64)
		lon, err2 := strconv.ParseFloat(get("lon"), 64)
		if err := errors.Join(err1, err2); err != nil {
			return err
		}
		students, err := atoi(get("school_students"))
		if err != nil {
			return fmt.Errorf("school_students: %w", err)
		}
		pt := export.Point{
			Kind: export.KindSchool, H3: get("h3"), Res: res, SchoolID: get("entity_id"), Lat: lat, Lon: lon,
			AreaCode: get("area_code"), SchoolStudents: students, Connectivity: class, Nearest4GM: parseFloatOrNaN(get("nearest_4g_m")),
		}
		pt.AreaName = areaNames[pt.AreaCode]
		if s, ok := names[pt.SchoolID]; ok {
			pt.Name, pt.Level = s.Name, s.Level
		}
		gapOf(&pt, get("gap_id"))
		schools = append(schools, pt)
		return nil
	})
	if err != nil {
		return nil, "", 0, err
	}
	slices.SortFunc(schools, func(a, b export.Point) int { return strings.Compare(a.SchoolID, b.SchoolID) })
	return append(pts, schools...), op, withheld.Households, nil
}
