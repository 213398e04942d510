package runs_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gapmap/gapmap/allocation"
	"github.com/gapmap/gapmap/allocation/report"
	"github.com/gapmap/gapmap/allocation/runs"
)

func countRuns(ctx context.Context, t *testing.T, svc *runs.Service) (runs_, allocations int) {
	t.Helper()
	if err := svc.Store.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM allocation_runs), (SELECT count(*) FROM allocations)`).Scan(&runs_, &allocations); err != nil {
		t.Fatal(err)
	}
	return runs_, allocations
}

// TestOutDirFaults: an output directory that cannot be written stops a
// run before anything is recorded; a preview interrupted while its files
// are written (Ctrl-C) records no run; a commit interrupted there keeps
// its allocations, and every file is written again from the database,
// identical to an uninterrupted run's.
func TestOutDirFaults(t *testing.T) {
	ctx := context.Background()
	svc := &runs.Service{Store: province(ctx, t)}
	root := t.TempDir()
	foreign := filepath.Join(root, "foreign")
	os.Mkdir(foreign, 0o755)
	os.WriteFile(filepath.Join(foreign, "thesis.docx"), []byte("mine"), 0o644)
	opts := func(out string) runs.Options {
		return runs.Options{Settings: allocation.DefaultSettings(), Actor: "cô Lan", Date: time.Now(), OutDir: out}
	}
	for _, out := range []string{foreign, filepath.Join(foreign, "thesis.docx"), "/dev/null", filepath.Join(root, string(bytes.Repeat([]byte("d"), 300)))} {
		for _, commit := range []bool{false, true} {
			var err error
			if commit {
				_, err = svc.Commit(ctx, opts(out), nil)
			} else {
				_, err = svc.Preview(ctx, opts(out), nil)
			}
			var oe *runs.OutputError
			if !errors.As(err, &oe) {
				t.Errorf("commit=%v --out %s: %v, want an OutputError", commit, out, err)
			}
		}
	}
	if r, a := countRuns(ctx, t, svc); r != 0 || a != 0 {
		t.Fatalf("after refused outputs: %d runs, %d allocations recorded; want none", r, a)
	}
	if b, _ := os.ReadFile(filepath.Join(foreign, "thesis.docx")); string(b) != "mine" {
		t.Fatal("a foreign file was changed")
	}

	// Ctrl-C while a preview's files are written: no run, no files.
	cctx, cancel := context.WithCancel(ctx)
	out := filepath.Join(root, "preview")
	_, err := svc.Preview(cctx, opts(out), func(phase string, _ float64) {
		if phase == "writing files" {
			cancel()
		}
	})
	var oe *runs.OutputError
	if !errors.As(err, &oe) || !errors.Is(err, context.Canceled) {
		t.Errorf("interrupted preview: %v, want an OutputError (cancelled)", err)
	}
	if r, _ := countRuns(ctx, t, svc); r != 0 {
		t.Errorf("an interrupted preview recorded %d run(s)", r)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("an interrupted preview left %s: %v", out, err)
	}
	if ents, _ := os.ReadDir(root); len(ents) != 1 {
		t.Errorf("temporary directories left: %v", ents)
	}

	// Ctrl-C while a commit's files are written: committed, the error
	// says which run; its files are written again, identical to those of
	// the commit read back.
	cctx, cancel = context.WithCancel(ctx)
	out = filepath.Join(root, "commit")
	o, err := svc.Commit(cctx, opts(out), func(phase string, _ float64) {
		if phase == "writing files" {
			cancel()
		}
	})
	var fe *runs.FilesError
	if !errors.As(err, &fe) || o == nil || fe.RunID != o.Run.ID || fe.RunID == 0 {
		t.Fatalf("interrupted commit: %v, want a FilesError naming the run", err)
	}
	if r, a := countRuns(ctx, t, svc); r != 1 || a != 4 {
		t.Errorf("interrupted commit: %d runs, %d allocation rows; want 1 and 4 (3 devices, 1 SIM)", r, a)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("an interrupted commit left %s: %v", out, err)
	}
	v, err := svc.View(ctx, fe.RunID, runs.Scope{})
	if err != nil {
		t.Fatal(err)
	}
	if err := report.WriteDir(ctx, out, v); err != nil {
		t.Fatal(err)
	}
	again := filepath.Join(root, "again")
	if err := report.WriteDir(ctx, again, v); err != nil {
		t.Fatal(err)
	}
	n := 0
	filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(out, p)
		a, _ := os.ReadFile(p)
		b, err := os.ReadFile(filepath.Join(again, rel))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs when written again (%v)", rel, err)
		}
		n++
		return nil
	})
	if n < 17 {
		t.Errorf("only %d files written again", n)
	}
}
