package atomicfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// CheckDir accepts a writable directory and one that can be created (and
// creates nothing); it refuses a file in the directory's place, a file in
// the place of a parent, and a directory in the place of a named file.
func TestCheckDir(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, "a-file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "taken"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := CheckDir(root, "a.csv", "b.csv"); err != nil {
		t.Errorf("writable directory: %v", err)
	}
	missing := filepath.Join(root, "new", "out")
	if err := CheckDir(missing, "a.csv"); err != nil {
		t.Errorf("directory to create: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "new")); !os.IsNotExist(err) {
		t.Errorf("CheckDir created %s (%v)", filepath.Join(root, "new"), err)
	}
	for _, c := range []struct {
		dir, name, want string
	}{
		{file, "a.csv", "is not a directory"},
		{filepath.Join(file, "out"), "a.csv", "not a directory"},
		{root, "taken", "directory"},
	} {
		if err := CheckDir(c.dir, c.name); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s/%s: %v, want %q", c.dir, c.name, err, c.want)
		}
	}
	entries, err := os.ReadDir(root)
	if err != nil || len(entries) != 2 {
		t.Errorf("CheckDir left %d entries in %s (%v)", len(entries), root, err)
	}
}
