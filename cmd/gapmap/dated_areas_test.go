package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/gen"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
)

func readAreaFile(t *testing.T, path string) []data.Area {
	t.Helper()
	var out []data.Area
	errs := &data.ValidationError{}
	if err := format.ReadAreas(context.Background(), path, errs, func(_ int, a data.Area) error { out = append(out, a); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestGenTwoTierAndDates: gen writes the sample province two-tier (20
// communes under the province, valid from 2025-07-01) and three-tier with
// --legacy-districts; analyze --date places the homes in the areas valid
// that day (before the communes existed: the province) and says the date.
func TestGenTwoTierAndDates(t *testing.T) {
	ctx := context.Background()
	e, stdout, stderr := allocTestEnv(map[string]string{"DATABASE_URL": pgtest.NewURL(t)})
	two, three := t.TempDir(), t.TempDir()
	if err := run(ctx, []string{"gen", "--seed", "3", "--scale", "0.02", "--out", two}, e); err != nil {
		t.Fatalf("gen: %v\n%s", err, stderr)
	}
	if !strings.Contains(stdout.String(), ": 21 areas (20 communes)") {
		t.Errorf("gen output: %s", stdout)
	}
	if err := run(ctx, []string{"gen", "--seed", "3", "--scale", "0.02", "--legacy-districts", "--out", three}, e); err != nil {
		t.Fatalf("gen --legacy-districts: %v\n%s", err, stderr)
	}
	levels := func(dir string) map[string]int {
		m := map[string]int{}
		for _, a := range readAreaFile(t, filepath.Join(dir, gen.FileAreas)) {
			m[a.Level]++
			switch {
			case a.Level == "commune" && dir == two && (a.ParentCode != "99" || a.ValidFrom == nil || a.ValidFrom.Format("2006-01-02") != "2025-07-01" || a.ValidTo != nil):
				t.Errorf("two-tier commune %s: parent %q, valid %v–%v", a.Code, a.ParentCode, a.ValidFrom, a.ValidTo)
			case dir == three && (a.ValidFrom != nil || a.ValidTo != nil):
				t.Errorf("legacy area %s is dated", a.Code)
			}
		}
		return m
	}
	if got := levels(two); got["province"] != 1 || got["district"] != 0 || got["commune"] != 20 {
		t.Errorf("two-tier levels %v", got)
	}
	if got := levels(three); got["province"] != 1 || got["district"] != 3 || got["commune"] != 20 {
		t.Errorf("three-tier levels %v", got)
	}
	// The same homes either way.
	h2, err := os.ReadFile(filepath.Join(two, gen.FileHouseholds))
	if err != nil {
		t.Fatal(err)
	}
	h3, err := os.ReadFile(filepath.Join(three, gen.FileHouseholds))
	if err != nil {
		t.Fatal(err)
	}
	if string(h2) != string(h3) {
		t.Error("households differ between two and three tiers")
	}

	if err := run(ctx, []string{"import", "--date", "01/07/2025", two}, e); err == nil || !strings.Contains(err.Error(), `--date "01/07/2025": write the date as YYYY-MM-DD`) {
		t.Errorf("import with a bad date: %v", err)
	}
	if err := run(ctx, []string{"import", "--date", "2026-01-01", two}, e); err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}
	stdout.Reset()
	if err := run(ctx, []string{"analyze", "--date", "2024-01-01"}, e); err != nil {
		t.Fatalf("analyze 2024: %v\n%s", err, stderr)
	}
	if err := run(ctx, []string{"analyze", "--date", "2026-01-01"}, e); err != nil {
		t.Fatalf("analyze 2026: %v\n%s", err, stderr)
	}
	if !strings.Contains(stdout.String(), "coverage run 1 stored (areas valid on 2024-01-01)") || !strings.Contains(stdout.String(), "coverage run 2 stored (areas valid on 2026-01-01)") {
		t.Errorf("analyze output:\n%s", stdout)
	}
	st, err := postgis.Open(ctx, e.getenv("DATABASE_URL"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var homes int
	if err := st.Pool().QueryRow(ctx, `SELECT count(*) FROM households`).Scan(&homes); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		run            int
		inProvince, in int
	}{{1, homes, 0}, {2, 0, 20}} {
		var prov, communes int
		if err := st.Pool().QueryRow(ctx, `SELECT count(*) FILTER (WHERE area_code = '99'), count(DISTINCT area_code) FILTER (WHERE area_code <> '99')
			FROM coverage_entities WHERE run_id = $1 AND entity_type = 'household'`, c.run).Scan(&prov, &communes); err != nil {
			t.Fatal(err)
		}
		if prov != c.inProvince || communes != c.in {
			t.Errorf("run %d: %d homes in the province and homes in %d communes, want %d and %d", c.run, prov, communes, c.inProvince, c.in)
		}
	}
}
