package report

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"
)

// markerFile marks a directory written by WriteDir, so a later run may
// replace it.
const markerFile = ".gapmap-allocation"

// NotReplaceableError: the output directory holds other files; it is never
// overwritten.
type NotReplaceableError struct {
	Dir    string
	Reason string
}

func (e *NotReplaceableError) Error() string { return e.Dir + ": " + e.Reason }

// WriteDir writes every output of v into a fresh directory next to out and
// then puts it in place of out, so a reader never sees a mix of two runs (a
// stale handover list would be printed for the wrong students). A directory
// that is neither empty nor an earlier output is not replaced (a
// *NotReplaceableError).
//
// Files: README.txt, allocations.csv, unserved.csv, area_summary.csv,
// explanation.csv, explanation.md, rejected_devices.csv, rejected_sims.csv,
// sim_stock.csv, conflicts.csv, by_area/AREA.csv, handover/SCHOOL.xlsx.
func WriteDir(ctx context.Context, out string, v *View) error {
	out = filepath.Clean(out)
	if err := checkReplaceable(out); err != nil {
		return err
	}
	parent := filepath.Dir(out)
	if err := os.MkdirAll(parent, 0o750); err != nil {
		return fmt.Errorf("create %s: %w", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(out)+".partial-")
	if err != nil {
		return fmt.Errorf("create a directory next to %s: %w", out, err)
	}
	ok := false
	defer func() {
		if !ok {
			_ = os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o750); err != nil {
		return fmt.Errorf("create a directory next to %s: %w", out, err)
	}
	files := []struct {
		name  string
		write func(io.Writer, *View) error
	}{
		{"README.txt", WriteReadme},
		{"allocations.csv", WriteAllocations},
		{"unserved.csv", WriteUnserved},
		{"area_summary.csv", WriteAreaSummary},
		{"explanation.csv", WriteExplanationCSV},
		{"explanation.md", WriteExplanationMD},
		{"rejected_devices.csv", WriteRejectedDevices},
		{"rejected_sims.csv", WriteRejectedSims},
		{"sim_stock.csv", WriteSimStock},
		{"conflicts.csv", WriteConflicts},
	}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := writeFile(filepath.Join(tmp, f.name), func(w io.Writer) error { return f.write(w, v) }); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, markerFile), []byte(v.Run.Label()+"\n"), 0o640); err != nil {
		return fmt.Errorf("write %s: %w", markerFile, err)
	}
	if err := writeAreaLists(ctx, tmp, v); err != nil {
		return err
	}
	if err := writeHandovers(ctx, tmp, v); err != nil {
		return err
	}
	if err := replaceDir(tmp, out); err != nil {
		return err
	}
	ok = true
	return nil
}

// writeFile creates path and writes it with fn.
func writeFile(path string, fn func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := fn(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// writeAreaLists writes by_area/<code>.csv for every area with allocations
// in its subtree.
func writeAreaLists(ctx context.Context, dir string, v *View) error {
	lists := v.AreaLists()
	codes := make([]string, 0, len(lists))
	for c := range lists {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	for _, code := range codes {
		if err := ctx.Err(); err != nil {
			return err
		}
		in := make(map[int]bool, len(lists[code]))
		for _, i := range lists[code] {
			in[i] = true
		}
		err := writeFile(filepath.Join(dir, "by_area", FileName(code)+".csv"), func(w io.Writer) error {
			return v.writeAllocationRows(w, func(i int) bool { return in[i] })
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// writeHandovers writes handover/<school_id>.xlsx for every school with
// allocations, several at a time.
func writeHandovers(ctx context.Context, dir string, v *View) error {
	if err := os.MkdirAll(filepath.Join(dir, "handover"), 0o750); err != nil {
		return fmt.Errorf("create handover/: %w", err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, runtime.GOMAXPROCS(0)))
	for _, id := range v.SchoolIDs() {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			return writeFile(filepath.Join(dir, "handover", FileName(id)+".xlsx"), func(w io.Writer) error { return WriteHandover(w, v, id) })
		})
	}
	return g.Wait()
}

// FileName keeps an id usable as a file name on every system.
func FileName(id string) string {
	s := strings.Map(func(r rune) rune {
		if r < 32 || strings.ContainsRune(`<>:"/\|?*`, r) {
			return '_'
		}
		return r
	}, strings.TrimSpace(id))
	if s == "" || s == "." || s == ".." {
		return "_" + s
	}
	return s
}

// checkReplaceable refuses to replace a directory that is not ours.
func checkReplaceable(out string) error {
	fi, err := os.Stat(out)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return &NotReplaceableError{Dir: out, Reason: "is a file: give a directory"}
	}
	if _, err := os.Stat(filepath.Join(out, markerFile)); err == nil {
		return nil
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		return &NotReplaceableError{Dir: out, Reason: "is a directory with other files in it; it is not replaced: give a new or empty directory, or an earlier allocation output"}
	}
	return nil
}

// replaceDir puts tmp in place of out.
func replaceDir(tmp, out string) error {
	old := ""
	if _, err := os.Stat(out); err == nil {
		old = tmp + ".old"
		if err := os.Rename(out, old); err != nil {
			return fmt.Errorf("move the previous %s aside: %w", out, err)
		}
	}
	if err := os.Rename(tmp, out); err != nil {
		if old != "" {
			_ = os.Rename(old, out)
		}
		return fmt.Errorf("put the new files in %s: %w", out, err)
	}
	if old != "" {
		if err := os.RemoveAll(old); err != nil {
			return fmt.Errorf("remove the previous files (moved to %s): %w", old, err)
		}
	}
	return nil
}
