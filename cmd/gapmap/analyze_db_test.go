package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data/gen"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
)

// A province with no sites loaded yet is analysed and stored: every home
// is a gap, no operator has a share.
func TestAnalyzeDatabaseWithoutSectors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := gen.Generate(ctx, gen.Options{Seed: 2, Scale: 0.02, OutDir: dir}); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, gen.FileSites)); err != nil {
		t.Fatal(err)
	}
	e, stdout, stderr := allocTestEnv(map[string]string{"DATABASE_URL": pgtest.NewURL(t)})
	if err := run(ctx, []string{"import", dir}, e); err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}
	if err := run(ctx, []string{"analyze"}, e); err != nil {
		t.Fatalf("analyze without sectors: %v\n%s", err, stderr)
	}
	if !strings.Contains(stdout.String(), "coverage run 1 stored") {
		t.Fatalf("analyze output:\n%s", stdout)
	}
}
