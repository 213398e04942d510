package coveragerun_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/coverage"
	"github.com/gapmap/gapmap/coveragerun"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/gen"
)

// WriteFiles writes the four files of a run, each readable back with the
// run's counts; WritePlanFile writes one feature per site and gap area;
// the text reports carry the run's totals.
func TestWriteFilesAndReports(t *testing.T) {
	ctx := context.Background()
	in := t.TempDir()
	if _, err := gen.Generate(ctx, gen.Options{Seed: 3, Scale: 0.03, OutDir: in}); err != nil {
		t.Fatal(err)
	}
	input, warnings, err := coveragerun.ReadFiles(ctx, in, "", "")
	if err != nil || warnings != nil {
		t.Fatalf("ReadFiles: %v (warnings %v)", err, warnings)
	}
	run, err := coveragerun.AnalyzeOffline(ctx, input, coverage.DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	r := run.Result
	if run.ID != 0 || run.AnalyseTime <= 0 || r.NumEntities() != len(input.Dataset.Schools)+input.HouseholdCount() {
		t.Fatalf("offline run: id %d, %v, %d entities", run.ID, run.AnalyseTime, r.NumEntities())
	}
	out := filepath.Join(t.TempDir(), "nested", "out")
	if err := coveragerun.WriteFiles(r, out); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if got := strings.Join(names, ","); got != "cells.csv,entities.csv,gaps.geojson,summary.json" {
		t.Fatalf("files %s", got)
	}
	if want := slices.Sorted(slices.Values(coveragerun.OutputFiles())); !slices.Equal(names, want) {
		t.Fatalf("files %q, OutputFiles %q", names, want)
	}
	if n := csvRows(t, filepath.Join(out, "entities.csv")); n != r.NumEntities() {
		t.Fatalf("entities.csv has %d rows, want %d", n, r.NumEntities())
	}
	cells := 0
	_ = r.EachCell(func(*coverage.CellStats) error { cells++; return nil })
	if n := csvRows(t, filepath.Join(out, "cells.csv")); n != cells {
		t.Fatalf("cells.csv has %d rows, want %d", n, cells)
	}
	var fc struct {
		Features []json.RawMessage `json:"features"`
	}
	readJSON(t, filepath.Join(out, "gaps.geojson"), &fc)
	if len(fc.Features) != len(r.Gaps) {
		t.Fatalf("gaps.geojson has %d features, want %d", len(fc.Features), len(r.Gaps))
	}
	var summary map[string]any
	readJSON(t, filepath.Join(out, "summary.json"), &summary)
	if len(summary) == 0 {
		t.Fatal("summary.json is empty")
	}

	if _, err := coveragerun.PlanOffline(ctx, input, coverage.DefaultSettings(), coverage.PlanOptions{Sites: 2, BudgetVND: 1e9}); !errors.As(err, new(*data.ValidationError)) {
		t.Fatalf("sites and budget: %v", err)
	}
	planned, err := coveragerun.PlanOffline(ctx, input, coverage.DefaultSettings(), coverage.PlanOptions{Sites: 2})
	if err != nil {
		t.Fatal(err)
	}
	p := planned.Plan
	if planned.After == nil || planned.After.WeightedUnconnected() > planned.Result.WeightedUnconnected() {
		t.Fatalf("what-if of the plan: %v", planned.After)
	}
	if len(p.Steps) != 2 || len(r.Gaps) == 0 {
		t.Fatalf("%d sites planned, %d gap areas: the test wants both", len(p.Steps), len(r.Gaps))
	}
	planPath := filepath.Join(t.TempDir(), "a", "plan.geojson")
	if err := coveragerun.WritePlanFile(planPath, p, planned.Result); err != nil {
		t.Fatal(err)
	}
	fc.Features = nil
	readJSON(t, planPath, &fc)
	if len(fc.Features) != len(p.Steps)+len(p.Gaps) {
		t.Fatalf("plan.geojson has %d features, want %d sites + %d gap areas", len(fc.Features), len(p.Steps), len(p.Gaps))
	}

	var totals bytes.Buffer
	if err := r.WriteTotals(&totals); err != nil {
		t.Fatal(err)
	}
	h := r.Total.Households
	want := fmt.Sprintf("%d homes: fiber %d, 4G %d, 3G only %d, 2G only %d, none %d", h.Fiber+h.G4+h.G3+h.G2+h.None, h.Fiber, h.G4, h.G3, h.G2, h.None)
	if !strings.HasPrefix(totals.String(), want) {
		t.Fatalf("totals %q, want prefix %q", totals.String(), want)
	}
	if !strings.Contains(totals.String(), fmt.Sprintf("; %d gap areas\n", len(r.Gaps))) {
		t.Fatalf("totals lack the gap count: %q", totals.String())
	}
	var plan bytes.Buffer
	if err := p.WriteReport(&plan, r, nil); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(plan.String(), "\n"), "\n")
	if len(lines) != 2+len(p.Steps)+1 || !strings.HasPrefix(lines[0], fmt.Sprintf("%d gap areas, ", len(r.Gaps))) ||
		!strings.HasPrefix(lines[len(lines)-1], "per gap area: ") {
		t.Fatalf("plan report:\n%s", plan.String())
	}
	if got := coverage.FormatTimings([]coverage.Timing{{Phase: "read", Seconds: 0.125}, {Phase: "cells", Seconds: 2}}); got != "read 0.12s, cells 2.00s" && got != "read 0.13s, cells 2.00s" {
		t.Fatalf("FormatTimings = %q", got)
	}
}

func csvRows(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return len(recs) - 1
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
