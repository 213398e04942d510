package runs_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gapmap/gapmap/allocation"
	"github.com/gapmap/gapmap/allocation/runs"
	"github.com/gapmap/gapmap/coverage"
	"github.com/gapmap/gapmap/coveragerun"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/gen"
)

// OfflineFiles reads the exchange files and an analysis output directory
// and allocates; its read errors are typed.
func TestOfflineFiles(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	in, cov := filepath.Join(root, "in"), filepath.Join(root, "cov")
	if _, err := gen.Generate(ctx, gen.Options{Seed: 2, Scale: 0.03, OutDir: in}); err != nil {
		t.Fatal(err)
	}
	input, _, err := coveragerun.ReadFiles(ctx, in, "", "")
	if err != nil {
		t.Fatal(err)
	}
	run, err := coveragerun.AnalyzeOffline(ctx, input, coverage.DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	if err := coveragerun.WriteFiles(run.Result, cov); err != nil {
		t.Fatal(err)
	}
	o := runs.Options{Settings: allocation.DefaultSettings(), Date: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Actor: "t"}

	conn, path, err := runs.ReadCoverage(ctx, cov)
	if err != nil || path != filepath.Join(cov, "entities.csv") || len(conn) != input.HouseholdCount() {
		t.Fatalf("ReadCoverage: %d homes from %s, %v; want %d", len(conn), path, err, input.HouseholdCount())
	}
	out, err := runs.OfflineFiles(ctx, runs.Files{Dir: in, Coverage: cov}, o)
	if err != nil {
		t.Fatal(err)
	}
	if out.View.Run.Coverage != path || out.UnknownHomes != 0 || out.Needs == 0 {
		t.Fatalf("with coverage: coverage %q, %d unknown of %d", out.View.Run.Coverage, out.UnknownHomes, out.Needs)
	}
	out, err = runs.OfflineFiles(ctx, runs.Files{Dir: in, NoCoverage: "none"}, o)
	if err != nil || out.View.Run.Coverage != "none" {
		t.Fatalf("without coverage: %v", err)
	}

	_, err = runs.OfflineFiles(ctx, runs.Files{Dir: in, Coverage: filepath.Join(root, "nowhere")}, o)
	var ce *runs.CoverageFileError
	if !errors.As(err, &ce) || !errors.Is(err, fs.ErrNotExist) || ce.Path != filepath.Join(root, "nowhere") {
		t.Fatalf("missing coverage: %v", err)
	}
	bad := filepath.Join(root, "bad")
	if err := os.MkdirAll(bad, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "schools.csv"), []byte("school_id,name\nS1,X\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = runs.OfflineFiles(ctx, runs.Files{Dir: bad, Coverage: cov}, o)
	var de *format.DatasetError
	if !errors.As(err, &de) || de.Dir != bad || !errors.As(err, new(*data.ValidationError)) || err.Error()[:len("read "+bad+": ")] != "read "+bad+": " {
		t.Fatalf("bad files: %v", err)
	}
}
