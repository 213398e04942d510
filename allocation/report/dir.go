package report

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gapmap/gapmap/internal/atomicfile"
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
// *NotReplaceableError); a symbolic link is written through. On any error
// (ctx cancelled included) out is left as it was.
//
// Files: README.txt, allocations.csv, unserved.csv, area_summary.csv,
// explanation.csv, explanation.md, rejected_devices.csv, rejected_sims.csv,
// sim_stock.csv, conflicts.csv, by_area/AREA.csv, handover/SCHOOL.xlsx
// (names from FileNames: unique per school and area).
func WriteDir(ctx context.Context, out string, v *View) error {
	st, err := StageDir(ctx, out, v)
	if err != nil {
		return err
	}
	return st.Commit()
}

// Staged is a directory of outputs written next to its destination, not
// yet in place.
type Staged struct {
	tmp, out string
	done     bool
}

// StageDir writes every output of v next to out without touching out:
// Commit puts it in place, Abort removes it. It fails as WriteDir does,
// leaving nothing behind.
func StageDir(ctx context.Context, out string, v *View) (*Staged, error) {
	out, err := outputDir(out)
	if err != nil {
		return nil, err
	}
	if err := checkReplaceable(out); err != nil {
		return nil, err
	}
	parent := filepath.Dir(out)
	if err := os.MkdirAll(parent, 0o750); err != nil {
		return nil, fmt.Errorf("create %s: %w", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(out)+".partial-")
	if err != nil {
		return nil, fmt.Errorf("create a directory next to %s: %w", out, err)
	}
	if err := writeAll(ctx, tmp, v); err != nil {
		_ = os.RemoveAll(tmp)
		return nil, err
	}
	return &Staged{tmp: tmp, out: out}, nil
}

// Commit puts the staged files in place of the destination.
func (s *Staged) Commit() error {
	if s.done {
		return nil
	}
	s.done = true
	if err := replaceDir(s.tmp, s.out); err != nil {
		_ = os.RemoveAll(s.tmp)
		return err
	}
	return nil
}

// Abort removes the staged files; the destination is untouched.
func (s *Staged) Abort() {
	if !s.done {
		s.done = true
		_ = os.RemoveAll(s.tmp)
	}
}

// OutputFile is one file of a run's outputs: its path in the output
// directory (slash-separated) and what writes it.
type OutputFile struct {
	Name  string
	Write func(io.Writer) error
}

// Files lists every output file of v in a fixed order: README.txt,
// allocations.csv, unserved.csv, area_summary.csv, explanation.csv,
// explanation.md, rejected_devices.csv, rejected_sims.csv, sim_stock.csv,
// conflicts.csv, then by_area/AREA.csv by area code and
// handover/SCHOOL.xlsx in the run's order (names from FileNames). WriteDir
// and WriteZip write exactly these.
func Files(v *View) []OutputFile {
	bind := func(f func(io.Writer, *View) error) func(io.Writer) error {
		return func(w io.Writer) error { return f(w, v) }
	}
	files := []OutputFile{
		{"README.txt", bind(WriteReadme)},
		{"allocations.csv", bind(WriteAllocations)},
		{"unserved.csv", bind(WriteUnserved)},
		{"area_summary.csv", bind(WriteAreaSummary)},
		{"explanation.csv", bind(WriteExplanationCSV)},
		{"explanation.md", bind(WriteExplanationMD)},
		{"rejected_devices.csv", bind(WriteRejectedDevices)},
		{"rejected_sims.csv", bind(WriteRejectedSims)},
		{"sim_stock.csv", bind(WriteSimStock)},
		{"conflicts.csv", bind(WriteConflicts)},
	}
	lists := v.AreaLists()
	codes := make([]string, 0, len(lists))
	for c := range lists {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	areaNames := FileNames(codes)
	for _, code := range codes {
		in := make(map[int]bool, len(lists[code]))
		for _, i := range lists[code] {
			in[i] = true
		}
		files = append(files, OutputFile{"by_area/" + areaNames[code] + ".csv", func(w io.Writer) error {
			return v.writeAllocationRows(w, func(i int) bool { return in[i] })
		}})
	}
	names := v.HandoverNames()
	for _, id := range v.SchoolIDs() {
		files = append(files, OutputFile{"handover/" + names[id] + ".xlsx", func(w io.Writer) error { return WriteHandover(w, v, id) }})
	}
	return files
}

// writeAll writes every output of v into the empty directory tmp, several
// files at a time (the handover lists take most of the time).
func writeAll(ctx context.Context, tmp string, v *View) error {
	if err := os.Chmod(tmp, 0o750); err != nil {
		return fmt.Errorf("create a directory next to %s: %w", tmp, err)
	}
	if err := os.WriteFile(filepath.Join(tmp, markerFile), []byte(v.Run.Label()+"\n"), 0o640); err != nil {
		return fmt.Errorf("write %s: %w", markerFile, err)
	}
	for _, d := range []string{"by_area", "handover"} {
		if err := os.MkdirAll(filepath.Join(tmp, d), 0o750); err != nil {
			return fmt.Errorf("create %s/: %w", d, err)
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, runtime.GOMAXPROCS(0)))
	for _, f := range Files(v) {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			return writeFile(filepath.Join(tmp, filepath.FromSlash(f.Name)), f.Write)
		})
	}
	return g.Wait()
}

// WriteZip writes every output of v (Files, the same bytes WriteDir writes)
// as a ZIP archive to w, the entries dated with the run's date.
func WriteZip(ctx context.Context, w io.Writer, v *View) error {
	zw := zip.NewWriter(w)
	for _, f := range Files(v) {
		if err := ctx.Err(); err != nil {
			return err
		}
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: v.Run.Date.UTC()})
		if err != nil {
			return err
		}
		if err := f.Write(fw); err != nil {
			return fmt.Errorf("write %s: %w", f.Name, err)
		}
	}
	return zw.Close()
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

// maxNameBytes bounds the part of a file name taken from an id (the
// extension and a hash come on top): far below the 255 bytes of common
// file systems, and short enough for a path to print.
const maxNameBytes = 100

// cleanName is id made usable as a file name on every system: control
// characters and <>:"/\|?* become _, a Windows device name (CON, NUL,
// COM1, …) and a trailing dot or space get a _, and the name is cut to
// maxNameBytes at a character boundary. cut says whether it was cut.
func cleanName(id string) (name string, cut bool) {
	s := strings.Map(func(r rune) rune {
		if r < 32 || r == 0x7f || strings.ContainsRune(`<>:"/\|?*`, r) {
			return '_'
		}
		return r
	}, strings.TrimSpace(id))
	s = strings.ToValidUTF8(s, "_")
	if len(s) > maxNameBytes {
		n := maxNameBytes
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s, cut = s[:n], true
	}
	if s == "" || s == "." || s == ".." || strings.HasSuffix(s, ".") || strings.HasSuffix(s, " ") || windowsDevice(s) {
		s += "_"
	}
	return s, cut
}

func windowsDevice(s string) bool {
	base := strings.ToUpper(s)
	if i := strings.IndexByte(base, '.'); i >= 0 {
		base = base[:i]
	}
	switch base {
	case "CON", "PRN", "AUX", "NUL":
		return true
	}
	return len(base) == 4 && (strings.HasPrefix(base, "COM") || strings.HasPrefix(base, "LPT")) && base[3] >= '1' && base[3] <= '9'
}

// idHash is a short hash of an id that tells apart ids whose cleaned names
// are the same.
func idHash(id string, n int) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])[:n]
}

// FileName is a file name (without extension) for one id on its own: the
// cleaned id, with a short hash of the id added when the id is too long
// for a file name. Within a directory use FileNames, which also tells
// apart ids whose cleaned names collide.
func FileName(id string) string {
	return FileNames([]string{id})[id]
}

// FileNames gives every id a file name (without extension), unique in the
// set and the same for the same set of ids (deterministic):
//   - an id that is a usable file name keeps it;
//   - an id that had to be changed (characters a file system does not
//     accept, a Windows device name) keeps its cleaned name unless another
//     id of the set gets the same name, compared without case (Windows and
//     macOS do not tell X1 from x1);
//   - ids whose names collide, except the smallest that is its own clean
//     name, get
//     "~" and a short hash of the id added (X_1, X_1~3f2a9c1b, X_1~77d04e12);
//   - an id longer than a file name takes (100 bytes) is cut and always
//     gets the hash.
func FileNames(ids []string) map[string]string {
	type cand struct {
		id, name string
		cut      bool
	}
	cands := make([]cand, 0, len(ids))
	byKey := map[string][]int{}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		name, cut := cleanName(id)
		cands = append(cands, cand{id, name, cut})
		k := strings.ToLower(name)
		byKey[k] = append(byKey[k], len(cands)-1)
	}
	out := make(map[string]string, len(cands))
	taken := map[string]string{} // lower-case name → id
	// First the names that stay as they are, then the hashed ones, so a
	// hashed name never takes a plain one.
	var hashed []int
	// In a group of colliding names, only the smallest id that is its own
	// clean name stays plain.
	plainID := map[string]string{}
	for k, group := range byKey {
		for _, i := range group {
			c := cands[i]
			if c.cut || len(group) > 1 && c.name != c.id {
				continue
			}
			if p, ok := plainID[k]; !ok || c.id < p {
				plainID[k] = c.id
			}
		}
	}
	for i, c := range cands {
		if plainID[strings.ToLower(c.name)] == c.id {
			out[c.id] = c.name
			taken[strings.ToLower(c.name)] = c.id
			continue
		}
		hashed = append(hashed, i)
	}
	for _, i := range hashed {
		c := cands[i]
		for n := 8; ; n += 4 {
			name := c.name + "~" + idHash(c.id, min(n, 64))
			if other, ok := taken[strings.ToLower(name)]; !ok || other == c.id || n >= 64 {
				out[c.id] = name
				taken[strings.ToLower(name)] = c.id
				break
			}
		}
	}
	return out
}

// HandoverNames gives the file name (without .xlsx) of every school's
// handover list in handover/.
func (v *View) HandoverNames() map[string]string { return FileNames(v.SchoolIDs()) }

// AreaListNames gives the file name (without .csv) of every area's list in
// by_area/.
func (v *View) AreaListNames() map[string]string {
	codes := make([]string, 0)
	for c := range v.AreaLists() {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	return FileNames(codes)
}

// Renamed lists, sorted, the ids of names whose file name is not the id
// itself.
func Renamed(names map[string]string) []string {
	var ids []string
	for id, n := range names {
		if n != id {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// outputDir is the directory WriteDir writes: out, or where out's
// symbolic links lead (a link is written through, never replaced).
func outputDir(out string) (string, error) {
	out = filepath.Clean(out)
	real, err := atomicfile.FollowLinks(out)
	if err != nil {
		return "", &NotReplaceableError{Dir: out, Reason: err.Error()}
	}
	return real, nil
}

// CheckDir checks, writing no output, that WriteDir can put its files in
// out: out is new, empty or an earlier allocation output; its parent can
// be created and written; a file of the longest name WriteDir gives fits.
// It creates nothing that stays.
// A run calls it before it commits or records anything, so a directory
// that cannot be written stops the run before the database changes.
func CheckDir(out string) error {
	out, err := outputDir(out)
	if err != nil {
		return err
	}
	if err := checkReplaceable(out); err != nil {
		return err
	}
	// Nothing is created for good: the probe goes into the nearest parent
	// that exists.
	parent := filepath.Dir(out)
	for {
		fi, err := os.Stat(parent)
		if err == nil {
			if !fi.IsDir() {
				return fmt.Errorf("create %s: %s is not a directory", filepath.Dir(out), parent)
			}
			break
		}
		if !errors.Is(err, os.ErrNotExist) || parent == filepath.Dir(parent) {
			return fmt.Errorf("create %s: %w", filepath.Dir(out), err)
		}
		parent = filepath.Dir(parent)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(out)+".partial-")
	if err != nil {
		return fmt.Errorf("create a directory next to %s: %w", out, err)
	}
	defer os.RemoveAll(tmp)
	probe := filepath.Join(tmp, "handover", strings.Repeat("x", maxNameBytes)+"~"+strings.Repeat("0", 64)+".xlsx")
	if err := writeFile(probe, func(w io.Writer) error { _, err := io.WriteString(w, "check"); return err }); err != nil {
		return fmt.Errorf("write a file into %s: %w", out, err)
	}
	return nil
}

// checkReplaceable refuses to replace a directory that is not ours.
func checkReplaceable(out string) error {
	fi, err := os.Lstat(out)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		kind := "a file"
		switch m := fi.Mode(); {
		case m&os.ModeCharDevice != 0:
			kind = "a character device"
		case m&os.ModeDevice != 0:
			kind = "a block device"
		case m&os.ModeNamedPipe != 0:
			kind = "a FIFO"
		case m&os.ModeSocket != 0:
			kind = "a socket"
		}
		return &NotReplaceableError{Dir: out, Reason: "is " + kind + ", not a directory: it is never replaced; give a directory"}
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
