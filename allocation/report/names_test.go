package report_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/allocation"
	"github.com/gapmap/gapmap/allocation/report"
	"github.com/xuri/excelize/v2"
)

func TestFileNamesUniqueAndDeterministic(t *testing.T) {
	long := strings.Repeat("Trường Tiểu học Biên Sơn ", 13)[:300]
	ids := []string{"X/1", "X_1", "X:1", "x_1", "S1", "CON", long, long + "b", "a\x1b[31m"}
	names := report.FileNames(ids)
	if len(names) != len(ids) {
		t.Fatalf("%d names for %d ids: %v", len(names), len(ids), names)
	}
	seen := map[string]string{}
	for _, id := range ids {
		n := names[id]
		k := strings.ToLower(n)
		if other, dup := seen[k]; dup {
			t.Errorf("%q and %q share the file name %q (case-insensitively)", id, other, n)
		}
		seen[k] = id
		if len(n)+len(".xlsx") > 255 || strings.ContainsAny(n, "/\\:<>|?*\"\x00\x1b") {
			t.Errorf("%q: name %q is not a usable file name", id, n)
		}
	}
	// Clean ids keep their names; the smallest clean id of a colliding
	// group keeps it, the others get a hash.
	if names["S1"] != "S1" || names["X_1"] != "X_1" {
		t.Errorf("clean ids renamed: S1 → %q, X_1 → %q", names["S1"], names["X_1"])
	}
	for _, id := range []string{"X/1", "X:1", "x_1"} {
		if !strings.HasPrefix(strings.ToLower(names[id]), "x_1~") || len(names[id]) != len("X_1~")+8 {
			t.Errorf("%q → %q, want X_1~ and an 8-digit hash", id, names[id])
		}
	}
	if names["CON"] != "CON_" {
		t.Errorf("CON → %q, want CON_ (a Windows device name)", names["CON"])
	}
	if n := names[long]; len(n) > 100+9 || !strings.Contains(n, "~") || n == names[long+"b"] {
		t.Errorf("a 300-byte id → %q (%d bytes)", n, len(n))
	}
	// Same set, another order: the same names.
	rev := slices.Clone(ids)
	slices.Reverse(rev)
	if again := report.FileNames(rev); !mapsEqual(again, names) {
		t.Errorf("names depend on the order:\n%v\n%v", names, again)
	}
	if report.FileName("X/1") != "X_1" || report.FileName(long) != report.FileNames([]string{long})[long] {
		t.Errorf("FileName alone: %q", report.FileName("X/1"))
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// collidingView: four schools whose ids clean to the same file name, and
// one of 300 characters, each with one allocation.
func collidingView() (*report.View, []string) {
	v := view()
	ids := []string{"X/1", "X_1", "X:1", strings.Repeat("S", 300)}
	v.Allocations = nil
	v.Schools = map[string]report.School{}
	for i, id := range ids {
		student := "ST" + string(rune('A'+i))
		v.Allocations = append(v.Allocations, report.Row{Allocation: allocation.Allocation{StudentID: student, SchoolID: id, AreaCode: "7210",
			Priority: 1, Connectivity: "fiber", DeviceID: "D" + student, DeviceType: "tablet"}, Handover: &report.Handover{Status: "pending"}})
		v.Schools[id] = report.School{Name: "Trường " + student, AreaCode: "7210"}
	}
	return v, ids
}

func TestWriteDirCollidingSchoolIDs(t *testing.T) {
	v, ids := collidingView()
	out := filepath.Join(t.TempDir(), "alloc")
	if err := report.WriteDir(context.Background(), out, v); err != nil {
		t.Fatalf("write: %v", err)
	}
	names := v.HandoverNames()
	ents, err := os.ReadDir(filepath.Join(out, "handover"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != len(ids) {
		t.Fatalf("%d handover lists for %d schools: %v", len(ents), len(ids), ents)
	}
	readme, _ := os.ReadFile(filepath.Join(out, "README.txt"))
	for i, id := range ids {
		f, err := excelize.OpenFile(filepath.Join(out, "handover", names[id]+".xlsx"))
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		rows, err := f.GetRows(f.GetSheetList()[0])
		f.Close()
		if err != nil || len(rows) < 4 || rows[3][1] != "ST"+string(rune('A'+i)) || !strings.Contains(rows[1][0], "Mã trường: "+id+" ") {
			t.Errorf("handover list of %q (%s): %q %v", id, names[id], rows, err)
		}
		if names[id] != id && !bytes.Contains(readme, []byte("handover/"+names[id]+".xlsx  school \""+id)) {
			t.Errorf("README.txt does not say which school %s.xlsx is:\n%s", names[id], readme)
		}
	}
	if !bytes.Contains(readme, []byte("File names that are not the id itself")) {
		t.Errorf("README.txt has no list of renamed files:\n%s", readme)
	}
}

func TestCheckDir(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, "file")
	os.WriteFile(file, []byte("x"), 0o644)
	other := filepath.Join(root, "other")
	os.Mkdir(other, 0o755)
	os.WriteFile(filepath.Join(other, "keep.txt"), []byte("mine"), 0o644)
	for _, c := range []struct{ dir, want string }{
		{file, "is a file"},
		{"/dev/null", "character device"},
		{filepath.Join(file, "sub"), "not a directory"},
		{other, "other files in it"},
		{filepath.Join(root, strings.Repeat("d", 300)), "name too long"},
	} {
		if err := report.CheckDir(c.dir); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("CheckDir(%s): %v, want %q", c.dir, err, c.want)
		}
	}
	if err := report.CheckDir(filepath.Join(root, "new", "alloc")); err != nil {
		t.Errorf("a new directory: %v", err)
	}
	// The checks leave nothing behind.
	ents, _ := os.ReadDir(root)
	if len(ents) != 2 {
		t.Errorf("CheckDir left %v", ents)
	}
	if b, _ := os.ReadFile(filepath.Join(other, "keep.txt")); string(b) != "mine" {
		t.Error("the foreign directory was changed")
	}
	// A symlink to an output directory is written through, not replaced.
	target := filepath.Join(root, "target")
	link := filepath.Join(root, "link")
	os.Symlink(target, link)
	if err := report.WriteDir(context.Background(), link, view()); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v", err)
	}
	if _, err := os.Stat(filepath.Join(target, "allocations.csv")); err != nil {
		t.Errorf("not written through the link: %v", err)
	}
}

func TestExplanationMDEscapesNames(t *testing.T) {
	v := view()
	hostile := "<script>alert(1)</script> | *bold* _it_ `code` [x](http://evil) & \n# Heading\r\n- item"
	v.Schools["S1"] = report.School{Name: hostile, AreaCode: "7210"}
	v.Areas[1].Name = "# <b>Trần</b> | Nguyên"
	v.Run.Actor = "*admin*\n## injected"
	v.Units = []allocation.UnitExplanation{
		{Parent: "7210", Kind: "school", Seat: allocation.Seat{Code: "S1", Seats: 2, Rule: "sainte_lague"}},
		{Parent: "", Kind: "area", Seat: allocation.Seat{Code: "7210", Seats: 2}},
	}
	var buf bytes.Buffer
	if err := report.WriteExplanationMD(&buf, v); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	for _, bad := range []string{"<script>", "</script>", "<b>", "*bold*", "_it_", "`code`", "[x]", "\n# Heading", "\n- item", "\n## injected", "*admin*", "Trần</b> | "} {
		if strings.Contains(md, bad) {
			t.Errorf("explanation.md holds %q raw:\n%s", bad, md)
		}
	}
	for _, want := range []string{
		`&lt;script&gt;alert(1)&lt;/script&gt; \| \*bold\* \_it\_ \` + "`code\\`" + ` \[x\](http://evil) &amp;  # Heading - item`,
		`area 7210 (\# &lt;b&gt;Trần&lt;/b&gt; \| Nguyên)`,
		`actor \*admin\* ## injected`,
	} {
		if !strings.Contains(md, want) {
			t.Errorf("explanation.md lacks %q:\n%s", want, md)
		}
	}
	// Every line that starts with # is one of ours.
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "# Allocation explained") && !strings.HasPrefix(line, "## ") && !strings.HasPrefix(line, "### From ") {
			t.Errorf("a heading from a name: %q", line)
		}
	}
}
