package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/api"
	"github.com/gapmap/gapmap/api/apitest"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/export"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/gen"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
	"github.com/gapmap/gapmap/internal/exporttest"
)

// exportFixture generates a small province and analyses it offline.
func exportFixture(t *testing.T) (in, out string) {
	t.Helper()
	ctx := context.Background()
	root := t.TempDir()
	in, out = filepath.Join(root, "in"), filepath.Join(root, "out")
	if _, err := gen.Generate(ctx, gen.Options{Seed: 1, Scale: 0.05, OutDir: in}); err != nil {
		t.Fatal(err)
	}
	e, _, stderr := allocTestEnv(nil)
	if err := run(ctx, []string{"analyze", "--in", in, "--out", out}, e); err != nil {
		t.Fatalf("analyze: %v\n%s", err, stderr)
	}
	return in, out
}

// exportExpected sums the res-9 gap cells of cells.csv with households
// (the cells an export carries), counts those with fewer than k households
// and the schools of entities.csv without 4G or fiber, and lists the
// household ids.
func exportExpected(t *testing.T, in, out string, k int) (households, cells, smallCells, schools int, householdIDs []string) {
	t.Helper()
	ctx := context.Background()
	err := csvTable(ctx, filepath.Join(out, "cells.csv"), func(get func(string) string) error {
		if get("res") == "9" && get("gap") == "true" {
			n, _ := atoi(get("households"))
			if n > 0 {
				cells++
				households += n
			}
			if n > 0 && n < k {
				smallCells++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = csvTable(ctx, filepath.Join(out, "entities.csv"), func(get func(string) string) error {
		if get("entity_type") == "school" && get("connectivity") != "fiber" && get("connectivity") != "4g" {
			schools++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var verr data.ValidationError
	err = format.ReadHouseholds(ctx, filepath.Join(in, "households.csv"), &verr, func(_ int, h data.Household) error {
		householdIDs = append(householdIDs, h.ID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if cells == 0 || smallCells == 0 || schools == 0 || len(householdIDs) == 0 {
		t.Fatalf("fixture too small: %d gap cells (%d small), %d unconnected schools, %d households", cells, smallCells, schools, len(householdIDs))
	}
	return households, cells, smallCells, schools, householdIDs
}

// checkExportRows checks every row of an export: no person id, cells with
// at least k households, schools unconnected (no 4G or fiber, in the
// no-network view); it returns the households of the cells, the number of
// cells and of schools.
func checkExportRows(t *testing.T, rows exporttest.Rows, k int, hhIDs []string, noNetwork bool) (households, cells, schools int) {
	t.Helper()
	hhSet := map[string]bool{}
	for _, id := range hhIDs {
		hhSet[id] = true
	}
	idPattern := regexp.MustCompile(`^(HH|HS)\d{7,8}$`)
	for _, r := range rows {
		for col, v := range r {
			if hhSet[v] || idPattern.MatchString(v) {
				t.Fatalf("household/student id %q in column %s", v, col)
			}
		}
		switch r["kind"] {
		case export.KindCell:
			cells++
			n := exporttest.Int(t, r, "households")
			if n < k {
				t.Errorf("cell %s holds %d households, fewer than k=%d", r["h3"], n, k)
			}
			households += n
			if r["h3"] == "" || r["lat"] == "" || r["lon"] == "" {
				t.Errorf("cell row without h3 or position: %v", r)
			}
		case export.KindSchool:
			schools++
			if noNetwork && (r["connectivity"] == "fiber" || r["connectivity"] == "4g") {
				t.Errorf("connected school exported: %v", r)
			}
		default:
			t.Errorf("row of kind %q", r["kind"])
		}
	}
	return households, cells, schools
}

func TestExportUncoveredOffline(t *testing.T) {
	ctx := context.Background()
	in, out := exportFixture(t)
	const k = 5
	wantHH, gapCells, small, wantSchools, hhIDs := exportExpected(t, in, out, k)
	t.Logf("%d gap cells with homes (%d with fewer than %d households, %d households), %d unconnected schools", gapCells, small, k, wantHH, wantSchools)
	dir := t.TempDir()
	for _, f := range export.Formats() {
		t.Run(f, func(t *testing.T) {
			path := filepath.Join(dir, "uncovered."+f)
			e, stdout, stderr := allocTestEnv(nil)
			err := run(ctx, []string{"export", "uncovered", "--in", out, "--schools", filepath.Join(in, "schools.csv"), "--format", f, "--out", path}, e)
			if err != nil {
				t.Fatalf("export: %v\n%s", err, stderr)
			}
			if !strings.Contains(stdout.String(), "uncovered cells") {
				t.Errorf("stdout: %s", stdout)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range hhIDs {
				if bytes.Contains(b, []byte(id)) {
					t.Fatalf("household id %s appears in the %s export", id, f)
				}
			}
			hh, cells, schools := checkExportRows(t, exporttest.Parse(t, f, b), k, hhIDs, true)
			if hh != wantHH || schools != wantSchools {
				t.Errorf("%s: %d households in cells, %d schools; want %d, %d", f, hh, schools, wantHH, wantSchools)
			}
			if cells == 0 || cells >= gapCells {
				t.Errorf("%s: %d cells; want fewer than the %d gap cells (small ones merged)", f, cells, gapCells)
			}
		})
	}
	var sum struct {
		Operators []string `json:"operators"`
	}
	if b, err := os.ReadFile(filepath.Join(out, "summary.json")); err != nil || json.Unmarshal(b, &sum) != nil || len(sum.Operators) == 0 {
		t.Fatalf("summary.json operators: %v", err)
	}
	// --operator: the cells with demand the operator does not serve; at
	// least the households of the gap cells (no 4G of anyone) are in them.
	e, _, stderr := allocTestEnv(nil)
	path := filepath.Join(dir, "op.csv")
	if err := run(ctx, []string{"export", "uncovered", "--in", out, "--operator", strings.ToUpper(sum.Operators[0]), "--out", path}, e); err != nil {
		t.Fatalf("export --operator: %v\n%s", err, stderr)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if hh, _, _ := checkExportRows(t, exporttest.ParseCSV(t, b), k, hhIDs, false); hh < wantHH {
		t.Errorf("--operator %s: %d households, fewer than the %d of the gap cells", sum.Operators[0], hh, wantHH)
	}
	if err := run(ctx, []string{"export", "uncovered", "--in", out, "--operator", "nobody", "--out", path}, e); err == nil {
		t.Error("an unknown operator was accepted")
	}
}

func TestExportUncoveredHelp(t *testing.T) {
	e, _, stderr := allocTestEnv(nil)
	if err := run(context.Background(), []string{"export", "uncovered", "--help"}, e); err == nil {
		t.Error("--help returned no error")
	}
	for _, s := range []string{"Xuất điểm chưa có sóng", "uncovered points", "--k", "merged into its parent"} {
		if !strings.Contains(stderr.String(), s) {
			t.Errorf("help lacks %q", s)
		}
	}
}

// TestExportUncoveredDatabase: the same province through PostGIS gives the
// same households and schools as the files, and the CLI writes the very
// bytes the API serves (one code path).
func TestExportUncoveredDatabase(t *testing.T) {
	ctx := context.Background()
	in, out := exportFixture(t)
	const k = 5
	wantHH, _, _, wantSchools, hhIDs := exportExpected(t, in, out, k)
	url := pgtest.NewURL(t)
	e, _, stderr := allocTestEnv(map[string]string{"DATABASE_URL": url})
	if err := run(ctx, []string{"import", in}, e); err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}
	if err := run(ctx, []string{"analyze"}, e); err != nil {
		t.Fatalf("analyze: %v\n%s", err, stderr)
	}
	path := filepath.Join(t.TempDir(), "db.csv")
	if err := run(ctx, []string{"export", "uncovered", "--out", path}, e); err != nil {
		t.Fatalf("export: %v\n%s", err, stderr)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range hhIDs {
		if bytes.Contains(b, []byte(id)) {
			t.Fatalf("household id %s in the database export", id)
		}
	}
	rows := exporttest.ParseCSV(t, b)
	hh, _, schools := checkExportRows(t, rows, k, hhIDs, true)
	named := 0
	for _, r := range rows {
		if r["kind"] == export.KindSchool && r["school_name"] != "" && r["area_name"] != "" {
			named++
		}
	}
	if hh != wantHH || schools != wantSchools || named != schools {
		t.Errorf("database: %d households, %d schools (%d named); want %d, %d", hh, schools, named, wantHH, wantSchools)
	}

	// The API's export of the same run is byte for byte the CLI's.
	st, err := postgis.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.CreateUser(ctx, data.User{Name: "planner", Role: data.RolePlanner}, "")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := st.NewToken(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(apitest.Validating(t, api.NewServer(ctx, api.Deps{Store: st})))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/exports/uncovered?format=csv", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, b) {
		t.Errorf("API export: status %d, %d bytes; the CLI wrote %d bytes (equal: %v)", resp.StatusCode, len(body), len(b), bytes.Equal(body, b))
	}

	if err := run(ctx, []string{"export", "uncovered", "--run", "999", "--out", path}, e); err == nil {
		t.Error("a missing run was accepted")
	}
}

// csvTable calls fn for each record of a CSV written by format.NewCSV,
// with a column lookup.
func csvTable(_ context.Context, path string, fn func(get func(col string) string) error) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
	if err != nil {
		return err
	}
	idx := map[string]int{}
	for i, h := range recs[0] {
		idx[h] = i
	}
	for _, rec := range recs[1:] {
		get := func(col string) string {
			i, ok := idx[col]
			if !ok {
				return ""
			}
			return format.UnescapeCell(rec[i])
		}
		if err := fn(get); err != nil {
			return err
		}
	}
	return nil
}

func atoi(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	return strconv.Atoi(s)
}
