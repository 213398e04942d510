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

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/export"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/geo"
)

const exportSynopsis = `export uncovered [--in OUT] [--run ID] [--operator OP] [--format csv|xlsx|geojson|kml] --out FILE

Xuất "điểm lõm sóng" cho nhà mạng: mỗi ô H3 (độ phân giải của lần phân tích,
mặc định 9) có nhu cầu (học sinh ưu tiên 1–3 hoặc trường học) mà không có 4G
và không có cáp quang, tại tâm ô kèm hình lục giác (GeoJSON/KML), với số hộ,
số học sinh, số trường; và mỗi trường chưa có 4G hay cáp quang. Với
--operator OP: các ô có nhu cầu mà OP chưa phủ 4G, và các trường chưa có 4G
của OP. Không có dữ liệu cá nhân: không mã hộ, mã học sinh hay vị trí hộ.
Ô có ít hơn --min-count hộ (mặc định 3) ghi số liệu là "<3".

Exports the uncovered points for telecom operators: every gap cell (demand —
tier 1–3 students or a school — and neither 4G nor fiber) as a point at the
cell centre, plus its hexagon in GeoJSON and KML, with its area, counts
(households, tier 1–3 students, unconnected tier 1–3 students, schools),
the nearest 4G distance of its gap area and the gap area's id, rank and
score; and every school without 4G or fiber (id, name, level, position,
students). With --operator OP: the cells with demand that OP does not serve
with 4G (FCC-style served share), and the schools without OP's 4G.
PRIVACY: no household or student id and no household position is written.
Small-count suppression: in a cell with fewer than --min-count households
(default 3), the household and student counts are written as "<3" (GeoJSON
also sets "suppressed": true). School rows are not suppressed (public).

Source: --in OUT reads the files of gapmap analyze --out OUT (cells.csv,
gaps.geojson, summary.json and only the school rows of entities.csv); add
--schools FILE (the analysed schools.csv) for school names and levels.
Without --in: the latest coverage run in DATABASE_URL, or --run ID.
Formats: csv (UTF-8 BOM, Excel-safe), xlsx (bilingual header), geojson
(RFC 7946, lon/lat), kml (KML 2.2); by default from the --out extension.
--out - writes to standard output.`

type exportFlags struct {
	in, schools, operator, format, out string
	runID                              int64
	minCount                           int
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
	fs.StringVar(&f.format, "format", "", "csv, xlsx, geojson or kml (default: from the --out extension, else csv)")
	fs.StringVar(&f.out, "out", "", "output file (required; - for standard output)")
	fs.IntVar(&f.minCount, "min-count", export.DefaultMinCount, "cells with fewer households show household and student counts as \"<N\" (1 disables)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("export uncovered takes no arguments (got %q)", fs.Args())}
	}
	if f.out == "" {
		return usageError{"--out FILE is required (- for standard output)"}
	}
	if f.minCount < 1 {
		return usageError{"--min-count must be 1 or more"}
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
	var pts []export.Point
	var operator string
	var err error
	if f.in != "" {
		pts, operator, err = uncoveredFromFiles(ctx, f)
	} else {
		pts, operator, err = uncoveredFromDatabase(ctx, e, f)
	}
	if err != nil {
		return err
	}
	opts := export.Options{MinCount: f.minCount, Operator: operator}
	var cells, schools int
	for i := range pts {
		if pts[i].Kind == export.KindGapCell {
			cells++
		} else {
			schools++
		}
	}
	if err := writeExportFile(f.out, e.stdout, func(w io.Writer) error { return export.Write(w, f.format, pts, opts) }); err != nil {
		return err
	}
	if f.out != "-" {
		fmt.Fprintf(e.stdout, "%d uncovered cells and %d schools written to %s (%s; counts of cells with fewer than %d households shown as <%d)\n",
			cells, schools, f.out, f.format, f.minCount, f.minCount)
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

// cellPoint returns the centre of a cell and its closed hexagon (lon/lat).
func cellPoint(c geo.Cell) (pt export.Point, err error) {
	pt.Lat, pt.Lon, err = c.Center()
	if err != nil {
		return pt, fmt.Errorf("cell %s: %w", c, err)
	}
	if pt.Hexagon, err = c.Boundary(); err != nil {
		return pt, fmt.Errorf("cell %s: %w", c, err)
	}
	pt.Kind, pt.H3 = export.KindGapCell, c.String()
	return pt, nil
}

// Database ------------------------------------------------------------------

func uncoveredFromDatabase(ctx context.Context, e *env, f exportFlags) ([]export.Point, string, error) {
	st, err := openStore(ctx, e, false)
	if err != nil {
		return nil, "", err
	}
	defer st.Close()
	q := st.Pool()
	var runInfo postgis.CoverageRun
	if f.runID != 0 {
		runInfo, err = postgis.CoverageRunByID(ctx, q, f.runID)
	} else {
		runInfo, err = postgis.LatestCoverageRun(ctx, q)
	}
	if err != nil {
		return nil, "", err
	}
	op, err := checkOperator(f.operator, runInfo.Operators)
	if err != nil {
		return nil, "", err
	}
	var params struct {
		Resolution *int `json:"resolution"`
	}
	res := 9
	if err := json.Unmarshal(runInfo.Parameters, &params); err == nil && params.Resolution != nil {
		res = *params.Resolution
	}
	cells, err := postgis.UncoveredCells(ctx, q, runInfo.ID, res, op)
	if err != nil {
		return nil, "", err
	}
	schools, err := postgis.UncoveredSchools(ctx, q, runInfo.ID, op)
	if err != nil {
		return nil, "", err
	}
	pts := make([]export.Point, 0, len(cells)+len(schools))
	for _, c := range cells {
		pt, err := cellPoint(c.Cell)
		if err != nil {
			return nil, "", err
		}
		pt.AreaCode, pt.AreaName, pt.Households, pt.StudentsT123 = c.AreaCode, c.AreaName, c.Households, c.StudentsT123
		pt.UnconnectedT123, pt.Schools, pt.SchoolStudents = c.UnconnectedT123, c.Schools, c.SchoolStudents
		pt.Nearest4GM, pt.GapID, pt.GapRank, pt.GapScore = c.GapNearest4GM, c.GapID, c.GapRank, c.GapScore
		pts = append(pts, pt)
	}
	for _, s := range schools {
		pts = append(pts, export.Point{
			Kind: export.KindSchool, H3: s.Cell.String(), SchoolID: s.SchoolID, Name: s.Name, Level: s.Level,
			Lat: s.Lat, Lon: s.Lon, AreaCode: s.AreaCode, AreaName: s.AreaName, SchoolStudents: s.Students,
			Connectivity: s.Connectivity, Nearest4GM: s.Nearest4GM, GapID: s.GapID, GapRank: s.GapRank, GapScore: s.GapScore,
		})
	}
	return pts, op, nil
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

func uncoveredFromFiles(ctx context.Context, f exportFlags) ([]export.Point, string, error) {
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
		return nil, "", fmt.Errorf("%w (is %s an output directory of gapmap analyze --out?)", err, f.in)
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		return nil, "", fmt.Errorf("%s: %w", filepath.Join(f.in, "summary.json"), err)
	}
	op, err := checkOperator(f.operator, sum.Operators)
	if err != nil {
		return nil, "", err
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
		return nil, "", err
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
		return nil, "", fmt.Errorf("%s: %w", filepath.Join(f.in, "gaps.geojson"), err)
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
	var pts []export.Point
	resText := strconv.Itoa(res)
	err = csvTable(ctx, filepath.Join(f.in, "cells.csv"), func(get func(string) string) error {
		if get("res") != resText {
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
		pt, err := cellPoint(c)
		if err != nil {
			return err
		}
		pt.AreaCode, pt.Households, pt.Schools, pt.SchoolStudents = get("area_code"), n[0], n[1], n[2]
		pt.StudentsT123, pt.UnconnectedT123, pt.Nearest4GM = n[3]+n[4]+n[5], n[6]+n[7]+n[8], math.NaN()
		pt.AreaName = areaNames[pt.AreaCode]
		gapOf(&pt, get("gap_id"))
		if g, ok := gaps[pt.GapID]; ok && pt.GapID != "" {
			pt.Nearest4GM = g.nearest4GM
		}
		pts = append(pts, pt)
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	slices.SortStableFunc(pts, func(a, b export.Point) int {
		ra, rb := a.GapRank, b.GapRank
		if ra == 0 {
			ra = math.MaxInt
		}
		if rb == 0 {
			rb = math.MaxInt
		}
		if ra != rb {
			return ra - rb
		}
		return strings.Compare(a.H3, b.H3)
	})

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
			return nil, "", fmt.Errorf("reading %s: %w", f.schools, err)
		}
	}

	// entities.csv: school rows only; household rows are skipped unread.
	var schools []export.Point
	err = csvTable(ctx, filepath.Join(f.in, "entities.csv"), func(get func(string) string) error {
		if get("entity_type") != "school" {
			return nil
		}
		class := get("connectivity")
		if op == "" {
			if class == "fiber" || class == "4g" {
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
			Kind: export.KindSchool, H3: get("h3"), SchoolID: get("entity_id"), Lat: lat, Lon: lon,
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
		return nil, "", err
	}
	slices.SortFunc(schools, func(a, b export.Point) int { return strings.Compare(a.SchoolID, b.SchoolID) })
	return append(pts, schools...), op, nil
}
