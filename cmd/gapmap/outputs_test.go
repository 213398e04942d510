package main

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gapmap/gapmap/allocation/report"
	"github.com/gapmap/gapmap/data/postgis"
)

// nodeOf is what os.Lstat says of path: its type and inode.
type node struct {
	mode fs.FileMode
	ino  uint64
}

func nodeOf(t *testing.T, path string) node {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatalf("lstat %s: %v", path, err)
	}
	return node{fi.Mode().Type(), fi.Sys().(*syscall.Stat_t).Ino}
}

// TestOutputsNeverReplaceSpecialFiles: export and plan write to a FIFO
// and /dev/null directly and through a symlink to its target; none of them
// is replaced (os.Lstat before and after); a directory is refused.
func TestOutputsNeverReplaceSpecialFiles(t *testing.T) {
	ctx := context.Background()
	in, out := exportFixture(t)
	dir := t.TempDir()
	e, stdout, _ := allocTestEnv(nil)
	export := func(path string, extra ...string) error {
		return run(ctx, append([]string{"export", "uncovered", "--in", out, "--format", "csv", "--out", path}, extra...), e)
	}
	// The bytes the export writes, for comparison.
	if err := export(filepath.Join(dir, "plain.csv")); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(filepath.Join(dir, "plain.csv"))
	if len(want) < 100 {
		t.Fatalf("export wrote %d bytes", len(want))
	}

	// /dev/null (as root a rename would put a regular file in its place).
	before := nodeOf(t, "/dev/null")
	if err := export("/dev/null"); err != nil {
		t.Fatalf("export to /dev/null: %v", err)
	}
	if after := nodeOf(t, "/dev/null"); after != before || after.mode&fs.ModeCharDevice == 0 {
		t.Fatalf("/dev/null replaced: %v → %v", before, after)
	}

	// A FIFO: its reader gets the file, the FIFO stays.
	fifo := filepath.Join(dir, "pipe.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	before = nodeOf(t, fifo)
	got := make(chan []byte, 1)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- nil
			return
		}
		b, _ := io.ReadAll(f)
		f.Close()
		got <- b
	}()
	if err := export(fifo); err != nil {
		t.Fatalf("export to a FIFO: %v", err)
	}
	select {
	case b := <-got:
		if !bytes.Equal(b, want) {
			t.Errorf("the FIFO's reader got %d bytes, want the %d of the export", len(b), len(want))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the FIFO's reader got nothing")
	}
	if after := nodeOf(t, fifo); after != before {
		t.Fatalf("FIFO replaced: %v → %v", before, after)
	}

	// A symlink: written through to its target; the link stays.
	target := filepath.Join(dir, "target.csv")
	os.WriteFile(target, []byte("old"), 0o640)
	link := filepath.Join(dir, "link.csv")
	if err := os.Symlink("target.csv", link); err != nil {
		t.Fatal(err)
	}
	before = nodeOf(t, link)
	targetBefore := nodeOf(t, target)
	if err := export(link); err != nil {
		t.Fatalf("export to a symlink: %v", err)
	}
	if after := nodeOf(t, link); after != before {
		t.Fatalf("symlink replaced: %v → %v", before, after)
	}
	if b, _ := os.ReadFile(target); !bytes.Equal(b, want) {
		t.Errorf("the link's target holds %d bytes, want the export's %d", len(b), len(want))
	}
	if after := nodeOf(t, target); after.mode != targetBefore.mode {
		t.Errorf("the target is no longer a regular file: %v", after)
	}
	if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o640 {
		t.Errorf("the target's permissions changed to %v", fi.Mode().Perm())
	}

	// A directory is refused before any work, with a clear message.
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	before = nodeOf(t, sub)
	if err := export(sub); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("export to a directory: %v", err)
	}
	if after := nodeOf(t, sub); after != before {
		t.Errorf("directory replaced")
	}
	// - is standard output.
	stdout.Reset()
	if err := export("-"); err != nil || !bytes.Equal(stdout.Bytes(), want) {
		t.Errorf("export to -: %v, %d bytes", err, stdout.Len())
	}

	// plan --out: the same policy (one package for every command).
	planLink := filepath.Join(dir, "plan-link.geojson")
	os.Symlink("plan.geojson", planLink)
	before = nodeOf(t, "/dev/null")
	for _, p := range []string{"/dev/null", planLink} {
		if err := run(ctx, []string{"plan", "--in", in, "--sites", "1", "--out", p}, e); err != nil {
			t.Fatalf("plan --out %s: %v", p, err)
		}
	}
	if after := nodeOf(t, "/dev/null"); after != before {
		t.Fatalf("plan replaced /dev/null")
	}
	if fi, err := os.Lstat(planLink); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("plan replaced its symlink: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "plan.geojson")); err != nil || !bytes.Contains(b, []byte("FeatureCollection")) {
		t.Errorf("plan not written through its symlink: %v", err)
	}
	// analyze and plan check --out before they work: a directory where a
	// file goes, or a file where a directory goes, stops them at once.
	os.Mkdir(filepath.Join(sub, "cells.csv"), 0o755)
	for _, args := range [][]string{
		{"analyze", "--in", in, "--out", sub},
		{"analyze", "--in", in, "--out", target},
		{"plan", "--in", in, "--sites", "1", "--out", sub},
	} {
		if err := run(ctx, args, e); err == nil || !strings.Contains(err.Error(), "nothing was done") {
			t.Errorf("%v: %v, want refused before any work", args, err)
		}
	}
	if fi, err := os.Stat(filepath.Join(sub, "cells.csv")); err != nil || !fi.IsDir() {
		t.Errorf("analyze replaced a directory: %v", err)
	}
}

// collidingIDs rewrites the hand-checked province: schools X/1, X:1, X_1
// (one file name once cleaned) and one whose id has 300 characters, each
// with students in need, and devices for everyone.
func collidingIDs(long string) func(in string) {
	return func(in string) {
		edit := func(name string, pairs ...string) {
			p := filepath.Join(in, name)
			b, _ := os.ReadFile(p)
			s := strings.NewReplacer(pairs...).Replace(string(b))
			os.WriteFile(p, []byte(s), 0o644)
		}
		edit("schools.csv", "\nS1,", "\nX/1,", "\nS2,", "\nX:1,")
		f, _ := os.OpenFile(filepath.Join(in, "schools.csv"), os.O_APPEND|os.O_WRONLY, 0)
		io.WriteString(f, "X_1,Tiểu học X gạch dưới,primary,21.25,106.05,7210,100,fiber\n"+long+",Trường mã dài,lower,21.26,106.06,7211,100,4g\n")
		f.Close()
		edit("students.csv", "ST1,H1,S1,", "ST1,H1,X/1,", "ST6,H6,S1,", "ST6,H6,X/1,", "ST2,H2,S1,", "ST2,H2,X_1,",
			"ST3,H3,S2,", "ST3,H3,X:1,", "ST4,H4,S2,", "ST4,H4,"+long+",", "ST5,H5,S2,", "ST5,H5,X:1,")
		f, _ = os.OpenFile(filepath.Join(in, "devices.csv"), os.O_APPEND|os.O_WRONLY, 0)
		io.WriteString(f, "DV6,Quỹ Vì em,tablet,android,10,,3,32,20,true,true,true,true,true,true,SN-T6,,\n"+
			"DV7,Quỹ Vì em,tablet,android,10,,3,32,20,true,true,true,true,true,true,SN-T7,,\n")
		f.Close()
	}
}

// TestAllocateCollidingSchoolIDs: school ids that clean to one file name
// and a 300-character id each get their own handover list (with their
// students), README.txt says which file is which school, and every file of
// the committed run is written again identical, byte for byte.
func TestAllocateCollidingSchoolIDs(t *testing.T) {
	ctx := context.Background()
	long := strings.Repeat("L", 300)
	root, e, _, s := allocDatabaseProvinceWith(ctx, t, collidingIDs(long))
	first := filepath.Join(root, "committed")
	if err := run(ctx, []string{"allocate", "--commit", "--out", first}, e); err != nil {
		t.Fatalf("commit: %v", err)
	}
	recs := allocReadCSV(t, filepath.Join(first, "allocations.csv"))
	bySchool := map[string][]string{}
	for _, r := range recs[1:] {
		bySchool[r[1]] = append(bySchool[r[1]], r[0])
	}
	schools := []string{"X/1", "X:1", "X_1", long}
	for _, id := range schools {
		if len(bySchool[id]) == 0 {
			t.Fatalf("school %.20q has no allocation: %v", id, bySchool)
		}
	}
	ents, err := os.ReadDir(filepath.Join(first, "handover"))
	if err != nil || len(ents) != len(schools) {
		t.Fatalf("%d handover lists for %d schools (%v)", len(ents), len(schools), err)
	}
	names := report.FileNames(schools)
	readme, _ := os.ReadFile(filepath.Join(first, "README.txt"))
	for _, id := range schools {
		rows := allocXLSXRows(t, filepath.Join(first, "handover", names[id]+".xlsx"))
		if !strings.Contains(rows[1][0], "Mã trường: "+id+" ·") {
			t.Errorf("%s.xlsx is not the list of %.20q: %q", names[id], id, rows[1][0])
		}
		var students []string
		for _, r := range rows[3:] {
			if len(r) > 1 && strings.HasPrefix(r[1], "ST") {
				students = append(students, r[1])
			}
		}
		slices.Sort(students)
		slices.Sort(bySchool[id])
		if !slices.Equal(students, bySchool[id]) {
			t.Errorf("%s.xlsx lists %v, want %v", names[id], students, bySchool[id])
		}
		if names[id] != id && !bytes.Contains(readme, []byte("handover/"+names[id]+".xlsx")) {
			t.Errorf("README.txt does not name %s.xlsx", names[id])
		}
	}
	if len(names[long]) > 120 {
		t.Errorf("the 300-character id got a %d-byte file name", len(names[long]))
	}

	var runID int64
	if err := s.Pool().QueryRow(ctx, `SELECT id FROM allocation_runs WHERE status = 'committed'`).Scan(&runID); err != nil {
		t.Fatal(err)
	}
	again := filepath.Join(root, "again")
	if err := run(ctx, []string{"allocate", "--run", allocFloat(float64(runID)), "--out", again}, e); err != nil {
		t.Fatalf("--run: %v", err)
	}
	files := allocTree(t, first)
	if got := allocTree(t, again); !slices.Equal(got, files) {
		t.Fatalf("written again: %v, want %v", got, files)
	}
	for _, f := range files {
		a, _ := os.ReadFile(filepath.Join(first, f))
		b, _ := os.ReadFile(filepath.Join(again, f))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs when written again", f)
		}
	}
}

// TestAllocateOutCheckedFirst: an --out that cannot be written stops
// allocate --commit (and a preview) before the database changes: no run,
// no allocation, a message that says so.
func TestAllocateOutCheckedFirst(t *testing.T) {
	ctx := context.Background()
	root, e, _, s := allocDatabaseProvince(ctx, t)
	file := filepath.Join(root, "a-file")
	os.WriteFile(file, []byte("x"), 0o644)
	foreign := filepath.Join(root, "foreign")
	os.Mkdir(foreign, 0o755)
	os.WriteFile(filepath.Join(foreign, "notes.txt"), []byte("mine"), 0o644)
	for _, c := range []struct{ out, want string }{
		{file, "is a file"},
		{filepath.Join(file, "alloc"), "not a directory"},
		{foreign, "other files in it"},
		{filepath.Join(root, strings.Repeat("n", 300)), "file name too long"},
		{"/dev/null", "character device"},
	} {
		for _, args := range [][]string{{"allocate", "--commit", "--out", c.out}, {"allocate", "--out", c.out}} {
			err := run(ctx, args, e)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "nothing was done") {
				t.Errorf("%v: %v, want %q and nothing was done", args, err, c.want)
			}
		}
	}
	var runs, allocs int
	if err := s.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM allocation_runs), (SELECT count(*) FROM allocations)`).Scan(&runs, &allocs); err != nil {
		t.Fatal(err)
	}
	if runs != 0 || allocs != 0 {
		t.Fatalf("refused outputs recorded %d runs and %d allocations", runs, allocs)
	}
	if b, _ := os.ReadFile(filepath.Join(foreign, "notes.txt")); string(b) != "mine" {
		t.Fatal("the foreign directory was changed")
	}
	if err := run(ctx, []string{"allocate", "--commit", "--out", filepath.Join(root, "ok")}, e); err != nil {
		t.Fatalf("a writable --out: %v", err)
	}
}

// TestOutputFlagsRefused: unknown values of flags are refused, before any
// work.
func TestOutputFlagsRefused(t *testing.T) {
	ctx := context.Background()
	e, _, _ := allocTestEnv(nil)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"allocate", "--in", "x", "--no-coverage", "--out", "y", "--prefer-operators", "evil"}, `unknown SIM operator "evil"`},
		{[]string{"allocate", "--prefer-operators", "viettel,fpt"}, `unknown SIM operator "fpt"`},
		{[]string{"allocate", "--policy", "x"}, `--policy "x"`},
		{[]string{"export", "uncovered", "--in", "x", "--format", "x", "--out", "y"}, `--format "x"`},
		{[]string{"export", "uncovered", "--in", "x", "--view", "x", "--out", "y"}, `--view "x"`},
	} {
		err := run(ctx, c.args, e)
		if !isUsage(err) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want a usage error saying %s", c.args, err, c.want)
		}
	}
}

// TestHandoverChecksICCIDAndDate: gapmap handover refuses an ICCID that is
// not 19–20 digits with a valid Luhn digit, and a day before the programme,
// before the allocation's run date or in the future, naming the field.
func TestHandoverChecksICCIDAndDate(t *testing.T) {
	ctx := context.Background()
	root, e, _, s := allocDatabaseProvince(ctx, t)
	if err := run(ctx, []string{"allocate", "--commit", "--date", "2026-11-01", "--out", filepath.Join(root, "a")}, e); err != nil {
		t.Fatal(err)
	}
	tomorrow := time.Now().Add(48 * time.Hour).Format("2006-01-02")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"handover", "ST1", "--iccid", "8984048000000000002", "--date", "2026-11-20"}, "column iccid"},
		{[]string{"handover", "ST1", "--iccid", "898404800000000001", "--date", "2026-11-20"}, "19 or 20 digits"},
		{[]string{"handover", "ST1", "--iccid", "8984048000000000001", "--date", "2020-01-01"}, "before the programme began (2021-09-01)"},
		{[]string{"handover", "ST1", "--iccid", "8984048000000000001", "--date", "2026-10-31"}, "before the allocation"},
		{[]string{"handover", "ST1", "--iccid", "8984048000000000001", "--date", tomorrow}, "in the future"},
	} {
		err := run(ctx, c.args, e)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.args, err, c.want)
		}
	}
	var status string
	if err := s.Pool().QueryRow(ctx, `SELECT status FROM handovers WHERE student_id = 'ST1'`).Scan(&status); err != nil || status != postgis.HandoverPending {
		t.Fatalf("ST1 after refused handovers: %q, %v", status, err)
	}
	if err := run(ctx, []string{"handover", "ST1", "--iccid", "8984048000000000001", "--date", "2026-11-01"}, e); err != nil {
		t.Fatalf("a handover on the run's day: %v", err)
	}
	if err := run(ctx, []string{"handover", "ST1", "--return", "--reason", "chuyển trường", "--date", "2026-10-31"}, e); err == nil ||
		!strings.Contains(err.Error(), "before") {
		t.Errorf("a return before the handover: %v", err)
	}
}
