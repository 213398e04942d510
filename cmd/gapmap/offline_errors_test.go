package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The offline commands keep their advice on the errors the use cases
// return typed: bad exchange files, a missing coverage result, no students.
func TestOfflineErrorAdvice(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	in, cov := allocProvince(t, root)
	e, _, errs := allocTestEnv(nil)
	out := filepath.Join(root, "out")

	err := run(ctx, []string{"allocate", "--in", in, "--coverage", filepath.Join(root, "nowhere"), "--out", out}, e)
	if err == nil || !strings.HasPrefix(err.Error(), "read the coverage result: open "+filepath.Join(root, "nowhere")) ||
		!strings.HasSuffix(err.Error(), " (run `gapmap analyze --in DIR --out OUT` and pass --coverage OUT)") {
		t.Fatalf("missing coverage: %v", err)
	}

	bad := filepath.Join(root, "bad")
	allocWriteFiles(t, bad, map[string]string{"schools.csv": "school_id,name,level,lat,lon,area_code,students,internet\nS1,X,primary,99,106,1,3,fiber\n"})
	err = run(ctx, []string{"allocate", "--in", bad, "--coverage", cov, "--out", out}, e)
	if err == nil || !strings.HasPrefix(err.Error(), "read "+bad+": ") || !strings.HasSuffix(err.Error(), "\nfix the files and run again") {
		t.Fatalf("bad files, allocate: %v", err)
	}
	err = run(ctx, []string{"analyze", "--in", bad, "--out", out}, e)
	if err == nil || !strings.HasPrefix(err.Error(), "the input files of "+bad+" have problems; fix them and run again:\n") {
		t.Fatalf("bad files, analyze: %v", err)
	}

	empty := filepath.Join(root, "empty")
	allocWriteFiles(t, empty, map[string]string{"schools.csv": "school_id,name,level,lat,lon,area_code,students,internet\nS1,X,primary,21.25,106.05,,300,fiber\n"})
	err = run(ctx, []string{"allocate", "--in", empty, "--no-coverage", "--out", out}, e)
	if err == nil || err.Error() != empty+" has no students: allocate needs students.csv (and schools.csv, areas.geojson, devices.csv, sim_packages.csv)" {
		t.Fatalf("no students: %v", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("a failed run wrote %s: %v", out, err)
	}

	// Broken references warn and the analysis goes on.
	errs.Reset()
	orphan := filepath.Join(root, "orphan")
	allocWriteFiles(t, orphan, map[string]string{"students.csv": "student_id,household_id,school_id,grade,priority,has_device\nST1,H9,S9,3,1,false\n",
		"households.csv": "household_id,lat,lon,area_code,location_precision,poverty,members\nH1,21.25,106.05,,gps,poor,4\n"})
	if err := run(ctx, []string{"analyze", "--in", orphan, "--out", filepath.Join(root, "orphan-out")}, e); err != nil {
		t.Fatalf("analyze with broken references: %v", err)
	}
	if !strings.HasPrefix(errs.String(), "warning: ") || !strings.Contains(errs.String(), "household H9 is not in households") {
		t.Fatalf("no warning: %q", errs.String())
	}
}
