package gen

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
)

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(b), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// Names: students.csv gains full_name and birth_date, every other file and
// column is the same; siblings share the family name; the date of birth
// fits the grade; the file reads back.
func TestNames(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	generate(t, Options{Seed: 5, Scale: 0.02, OutDir: a})
	generate(t, Options{Seed: 5, Scale: 0.02, OutDir: b, Names: true})
	for _, name := range Files() {
		if name != FileStudents && sha(t, filepath.Join(a, name)) != sha(t, filepath.Join(b, name)) {
			t.Errorf("%s changes with names", name)
		}
	}
	plain, named := readCSV(t, filepath.Join(a, FileStudents)), readCSV(t, filepath.Join(b, FileStudents))
	if len(plain) != len(named) || len(plain) < 100 {
		t.Fatalf("%d rows without names, %d with", len(plain), len(named))
	}
	if strings.Join(named[0], ",") != strings.Join(format.StudentHeaderWithNames(), ",") {
		t.Errorf("header %v", named[0])
	}
	family := map[string]string{}
	for i := 1; i < len(named); i++ {
		p, n := plain[i], named[i]
		if strings.Join(n[:len(p)], ",") != strings.Join(p, ",") {
			t.Fatalf("row %d: %v, without names %v", i, n, p)
		}
		name, birth := n[len(p)], n[len(p)+1]
		parts := strings.Fields(name)
		if len(parts) != 3 {
			t.Fatalf("row %d: name %q", i, name)
		}
		if f, ok := family[n[1]]; ok && f != parts[0] {
			t.Errorf("household %s: family names %q and %q", n[1], f, parts[0])
		}
		family[n[1]] = parts[0]
		d, err := time.Parse("2006-01-02", birth)
		grade := 0
		for _, c := range n[3] {
			grade = grade*10 + int(c-'0')
		}
		if err != nil || d.Year() != 2025-6-max(grade-1, 0) {
			t.Errorf("row %d: grade %d, born %q", i, grade, birth)
		}
	}
	var got []data.Student
	if err := format.ReadStudents(context.Background(), filepath.Join(b, FileStudents), nil, func(_ int, s data.Student) error {
		got = append(got, s)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(named)-1 || got[0].FullName == "" || got[0].BirthDate == "" {
		t.Errorf("read back %d students, first %+v", len(got), got[0])
	}
}
