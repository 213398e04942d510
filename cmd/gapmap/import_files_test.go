package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data/postgis/pgtest"
)

// Issue 9, what the CLI prints about a file: the encoding it assumed (a
// warning), and errors with control characters escaped.
func TestImportPrintsEncodingAndEscapes(t *testing.T) {
	ctx := context.Background()
	vars := map[string]string{"DATABASE_URL": pgtest.NewURL(t)}
	dir := t.TempDir()
	// Windows-1258: "ghi chú" (ú = FA) in an ignored column.
	path := filepath.Join(dir, "do_kiem.csv")
	if err := os.WriteFile(path, []byte("operator,technology,lat,lon,rsrp_dbm,ghi ch\xfa\r\nViettel,4G,21.3,106.2,-90,t\xf4\xf2t\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e, _, stderr := allocTestEnv(vars)
	if err := run(ctx, []string{"import", "measurements", path, "--dry-run"}, e); err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr.String(), "warning: do_kiem.csv: the file is not UTF-8: it was read as Windows-1258") {
		t.Errorf("stderr %q", stderr)
	}
	// An escape sequence in a value never reaches the terminal raw.
	if err := os.WriteFile(path, []byte("operator,technology,lat,lon,rsrp_dbm\n\x1b[2J\x1b]0;x\x07,4G,21.3,106.2,-90\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e, _, stderr = allocTestEnv(vars)
	if err := run(ctx, []string{"import", "measurements", path, "--dry-run"}, e); err == nil {
		t.Fatal("import of a bad operator succeeded")
	}
	if s := stderr.String(); strings.ContainsAny(s, "\x1b\x07") || !strings.Contains(s, `do_kiem.csv:2: column operator: value "\x1b[2J\x1b]0;x\a"`) {
		t.Errorf("stderr %q", s)
	}
}
