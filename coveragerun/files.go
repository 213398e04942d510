package coveragerun

// The export of an offline run (the files of gapmap analyze --out), through
// the same merge and writers as a stored run.

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
	"github.com/gapmap/gapmap/geo"
)

func fieldError(column, value, reason string) error {
	v := &data.ValidationError{}
	v.Add(data.FieldError{Column: column, Value: value, Reason: reason})
	return v
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
	return "", fieldError("operator", op, "not an operator of this coverage run ("+strings.Join(operators, ", ")+")")
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

// PrepareExportFromFiles prepares the export of an offline run: the
// output directory dir of gapmap analyze --out (summary.json, gaps.geojson,
// cells.csv and only the school rows of entities.csv) and, optionally, the
// analysed schools.csv for school names and levels. q.RunID is ignored;
// q.AreaCode keeps the points attributed to that very area (the files hold
// no area tree).
func PrepareExportFromFiles(ctx context.Context, dir, schoolsCSV string, q ExportQuery) (*Export, error) {
	q, err := checkQuery(q)
	if err != nil {
		return nil, err
	}
	pts, schools, withheld, err := uncoveredFromFiles(ctx, dir, schoolsCSV, &q)
	if err != nil {
		return nil, err
	}
	e := &Export{q: q, cells: pts, schools: schools, Stats: ExportStats{View: q.View, Operator: q.Operator, AreaCode: q.AreaCode,
		Format: q.Format, K: q.K, Cells: len(pts), Schools: len(schools), WithheldHouseholds: withheld}}
	for i := range pts {
		e.Stats.Households += pts[i].Households
	}
	return e, nil
}

func uncoveredFromFiles(ctx context.Context, dir, schoolsCSV string, q *ExportQuery) ([]export.Point, []export.Point, int, error) {
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
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		return nil, nil, 0, fmt.Errorf("%w (is %s an output directory of gapmap analyze --out?)", err, dir)
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		return nil, nil, 0, fmt.Errorf("%s: %w", filepath.Join(dir, "summary.json"), err)
	}
	op, err := checkOperator(q.Operator, sum.Operators)
	if err != nil {
		return nil, nil, 0, err
	}
	q.Operator = op
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
	b, err = os.ReadFile(filepath.Join(dir, "gaps.geojson"))
	if err != nil {
		return nil, nil, 0, err
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
		return nil, nil, 0, fmt.Errorf("%s: %w", filepath.Join(dir, "gaps.geojson"), err)
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
	var cells []export.Cell
	resText := strconv.Itoa(res)
	err = csvTable(ctx, filepath.Join(dir, "cells.csv"), func(get func(string) string) error {
		if get("res") != resText {
			return nil
		}
		if q.AreaCode != "" && get("area_code") != q.AreaCode {
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
		return nil, nil, 0, err
	}
	pts, withheld, err := export.Merge(cells, q.K)
	if err != nil {
		return nil, nil, 0, err
	}

	// schools.csv (optional): names and levels.
	names := map[string]data.School{}
	if schoolsCSV != "" {
		var verr data.ValidationError
		err := format.ReadSchools(ctx, schoolsCSV, &verr, func(_ int, s data.School) error {
			names[s.ID] = s
			return nil
		})
		if err == nil {
			err = verr.Err()
		}
		if err != nil {
			return nil, nil, 0, fmt.Errorf("reading %s: %w", schoolsCSV, err)
		}
	}

	// entities.csv: school rows only; household rows are skipped unread.
	var schools []export.Point
	err = csvTable(ctx, filepath.Join(dir, "entities.csv"), func(get func(string) string) error {
		if get("entity_type") != data.EntitySchool {
			return nil
		}
		if q.AreaCode != "" && get("area_code") != q.AreaCode {
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
		return nil, nil, 0, err
	}
	slices.SortFunc(schools, func(a, b export.Point) int { return strings.Compare(a.SchoolID, b.SchoolID) })
	return pts, schools, withheld.Households, nil
}
