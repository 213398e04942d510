// Package realdata finds the real Vietnamese test data (boundaries, census
// counts) that lives beside the repository in ../shared/realdata. It is test
// data only: the product never reads it at run time.
package realdata

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the real-data directory: $GAPMAP_REALDATA, else
// ../shared/realdata next to the repository root (the directory holding
// go.mod). A test that needs it fails, never skips, when it is missing.
func Dir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("GAPMAP_REALDATA"); d != "" {
		if _, err := os.Stat(d); err != nil {
			t.Fatalf("GAPMAP_REALDATA=%s: %v", d, err)
		}
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory; set GAPMAP_REALDATA to the real test data directory")
		}
		dir = parent
	}
	d := filepath.Join(dir, "..", "shared", "realdata")
	if _, err := os.Stat(d); err != nil {
		t.Fatalf("real test data not found at %s (expected ../shared/realdata next to the repository); set GAPMAP_REALDATA: %v", d, err)
	}
	return d
}

// Path returns a file below the real-data directory, failing when it is
// missing.
func Path(t testing.TB, elem ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{Dir(t)}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("real test data file missing: %v", err)
	}
	return p
}
