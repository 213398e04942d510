package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

// sameNode says whether two Lstat results are the same inode of the same
// type: the file was not replaced.
func sameNode(t *testing.T, a, b fs.FileInfo) bool {
	t.Helper()
	sa, sb := a.Sys().(*syscall.Stat_t), b.Sys().(*syscall.Stat_t)
	return a.Mode().Type() == b.Mode().Type() && sa.Ino == sb.Ino && sa.Dev == sb.Dev
}

func TestWriteNeverReplacesSpecialFiles(t *testing.T) {
	dir := t.TempDir()

	// /dev/null: written to, never replaced (as root a rename would break
	// the machine).
	before, err := os.Lstat("/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	if err := Write("/dev/null", writeString("discarded")); err != nil {
		t.Fatalf("write /dev/null: %v", err)
	}
	after, err := os.Lstat("/dev/null")
	if err != nil || !sameNode(t, before, after) || after.Mode()&fs.ModeCharDevice == 0 {
		t.Fatalf("/dev/null replaced: %v → %v (%v)", before.Mode(), after.Mode(), err)
	}

	// A FIFO: written to directly (a reader gets the bytes), still a FIFO.
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	before, _ = os.Lstat(fifo)
	got := make(chan string, 1)
	go func() {
		f, err := os.Open(fifo) // blocks until the writer opens
		if err != nil {
			got <- "open: " + err.Error()
			return
		}
		b, _ := io.ReadAll(f)
		f.Close()
		got <- string(b)
	}()
	if err := Write(fifo, writeString("through the pipe")); err != nil {
		t.Fatalf("write FIFO: %v", err)
	}
	if s := <-got; s != "through the pipe" {
		t.Errorf("the FIFO's reader got %q", s)
	}
	after, err = os.Lstat(fifo)
	if err != nil || !sameNode(t, before, after) || after.Mode()&fs.ModeNamedPipe == 0 {
		t.Fatalf("FIFO replaced: %v → %v (%v)", before.Mode(), after.Mode(), err)
	}

	// A symlink to a regular file: the link stays, its target gets the
	// new content (atomically).
	target := filepath.Join(dir, "real.csv")
	if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.csv")
	if err := os.Symlink("real.csv", link); err != nil {
		t.Fatal(err)
	}
	before, _ = os.Lstat(link)
	if err := Write(link, writeString("new")); err != nil {
		t.Fatalf("write through link: %v", err)
	}
	after, err = os.Lstat(link)
	if err != nil || !sameNode(t, before, after) || after.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("symlink replaced: %v → %v (%v)", before.Mode(), after.Mode(), err)
	}
	if b, _ := os.ReadFile(target); string(b) != "new" {
		t.Errorf("target holds %q, want new", b)
	}
	if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o600 {
		t.Errorf("the target's mode changed to %v", fi.Mode().Perm())
	}

	// A dangling symlink: its target is created, the link stays.
	dangling := filepath.Join(dir, "dangling.csv")
	if err := os.Symlink(filepath.Join(dir, "made.csv"), dangling); err != nil {
		t.Fatal(err)
	}
	if err := Write(dangling, writeString("made")); err != nil {
		t.Fatalf("write through a dangling link: %v", err)
	}
	if fi, err := os.Lstat(dangling); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("dangling link replaced: %v %v", fi, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "made.csv")); string(b) != "made" {
		t.Errorf("made.csv holds %q", b)
	}

	// A symlink to /dev/null: written to, the link and the device stay.
	devlink := filepath.Join(dir, "null-link")
	if err := os.Symlink("/dev/null", devlink); err != nil {
		t.Fatal(err)
	}
	before, _ = os.Lstat(devlink)
	if err := Write(devlink, writeString("x")); err != nil {
		t.Fatalf("write a link to /dev/null: %v", err)
	}
	if after, err := os.Lstat(devlink); err != nil || !sameNode(t, before, after) {
		t.Errorf("link to /dev/null replaced: %v", err)
	}

	// Directories, links to directories and sockets are refused.
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	dirlink := filepath.Join(dir, "dirlink")
	os.Symlink(sub, dirlink)
	for _, p := range []string{sub, dirlink} {
		var se *SpecialFileError
		if err := Write(p, writeString("x")); !errors.As(err, &se) || !strings.Contains(err.Error(), "directory") {
			t.Errorf("write %s: %v, want a SpecialFileError naming a directory", p, err)
		}
		if fi, err := os.Lstat(p); err != nil || fi.Mode().IsRegular() {
			t.Errorf("%s replaced by a file", p)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 8 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("files left: %v", names)
	}
}

func TestFIFOWithoutReaderIsAnError(t *testing.T) {
	// FIFOWait is not waited for here: what openDirect waits on (ENXIO
	// while no process reads) is checked once.
	dir := t.TempDir()
	fifo := filepath.Join(dir, "p")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
	if !errors.Is(err, syscall.ENXIO) {
		t.Fatalf("opening a FIFO without a reader: %v, want ENXIO (what openDirect waits on)", err)
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	if err := Check(filepath.Join(dir, "a.csv")); err != nil {
		t.Errorf("new file: %v", err)
	}
	if err := Check(filepath.Join(dir, "missing", "a.csv")); err == nil {
		t.Error("a file in a missing directory passed the check")
	}
	if err := Check("/dev/null"); err != nil {
		t.Errorf("/dev/null: %v", err)
	}
	if err := Check(dir); err == nil {
		t.Error("a directory passed the check")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("the check left files: %v", ents)
	}
}
