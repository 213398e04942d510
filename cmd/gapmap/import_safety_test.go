package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data/gen"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
)

// End to end on PostGIS: after a committed allocation, `import students
// FILE --replace` without the allocated students fails and lists each of
// them; `import DIR --replace` says what it empties and keeps the other
// kinds; --replace-all is for a directory only.
func TestImportReplaceSafety(t *testing.T) {
	ctx := context.Background()
	dir, out := t.TempDir(), filepath.Join(t.TempDir(), "alloc")
	if _, err := gen.Generate(ctx, gen.Options{Seed: 3, Scale: 0.05, OutDir: dir}); err != nil {
		t.Fatal(err)
	}
	url := pgtest.NewURL(t)
	e, stdout, stderr := allocTestEnv(map[string]string{"DATABASE_URL": url, "USER": "cô Lan"})
	for _, args := range [][]string{{"import", dir}, {"analyze"}, {"allocate", "--commit", "--out", out}} {
		if err := run(ctx, args, e); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, stderr)
		}
	}
	st, err := postgis.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var allocated int
	var keep string
	if err := st.Pool().QueryRow(ctx, `SELECT count(DISTINCT student_id) FROM allocations`).Scan(&allocated); err != nil || allocated == 0 {
		t.Fatalf("%d allocated students, %v", allocated, err)
	}
	if err := st.Pool().QueryRow(ctx, `SELECT student_id || ',' || household_id || ',' || school_id || ',' || grade || ',0,false'
		FROM students WHERE student_id NOT IN (SELECT student_id FROM allocations) ORDER BY 1 LIMIT 1`).Scan(&keep); err != nil {
		t.Fatal(err)
	}
	before, err := st.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}

	students := filepath.Join(t.TempDir(), "students.csv")
	if err := os.WriteFile(students, []byte("student_id,household_id,school_id,grade,priority,has_device\n"+keep+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	err = run(ctx, []string{"import", "students", students, "--replace"}, e)
	if err == nil || !strings.Contains(err.Error(), "nothing was written") {
		t.Fatalf("got %v", err)
	}
	// The terminal shows the first 20; the file it names holds every one.
	if n := strings.Count(stderr.String(), "received a device in committed allocation run 1"); n != min(allocated, 20) {
		t.Errorf("%d allocated students printed, want %d:\n%.2000s", n, min(allocated, 20), stderr)
	}
	if allocated > 20 {
		_, path, ok := strings.Cut(stderr.String(), "the whole list is in ")
		if !ok {
			t.Fatalf("no problem file named:\n%s", stderr)
		}
		path, _, _ = strings.Cut(path, "\n")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(b), "received a device in committed allocation run 1"); n != allocated {
			t.Errorf("%s lists %d allocated students, want %d", path, n, allocated)
		}
	}
	if !strings.Contains(stderr.String(), "replace: emptying students\n") {
		t.Errorf("stderr:\n%.500s", stderr)
	}
	after, err := st.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after["students"] != before["students"] {
		t.Errorf("students %d → %d", before["students"], after["students"])
	}

	// A directory holding only fiber nodes: only they are replaced.
	nodes := t.TempDir()
	b, err := os.ReadFile(filepath.Join(dir, "fiber_nodes.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(nodes, "fiber_nodes.csv"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	stdout.Reset()
	if err := run(ctx, []string{"import", nodes, "--replace"}, e); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stderr.String(), "replace: emptying fiber_nodes; keeping areas, schools, households, students, sites") ||
		!strings.Contains(stderr.String(), "(not in the directory: --replace-all empties them too)") {
		t.Errorf("stderr:\n%s", stderr)
	}
	if after, err = st.Counts(ctx); err != nil {
		t.Fatal(err)
	}
	if after["students"] != before["students"] || after["households"] != before["households"] || after["fiber_nodes"] != before["fiber_nodes"] {
		t.Errorf("counts %v → %v", before, after)
	}

	var ue usageError
	if err := run(ctx, []string{"import", "students", students, "--replace-all"}, e); !errors.As(err, &ue) {
		t.Errorf("got %v, want a usage error", err)
	}
}
