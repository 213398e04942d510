package coveragerun_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/coverage"
	"github.com/gapmap/gapmap/coveragerun"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/gen"
)

// ReadFiles keeps the households in columns and counts the students as it
// reads them instead of keeping the records: the warnings, counts and
// every output file are those of an analysis of the same files with the
// whole records in memory.
func TestReadFilesTalliesStudents(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := gen.Generate(ctx, gen.Options{Seed: 4, Scale: 0.03, OutDir: dir}); err != nil {
		t.Fatal(err)
	}
	// Two schools report no count (their pupils are counted from the
	// list); one student has an unknown home, one an unknown school.
	schools := readLines(t, filepath.Join(dir, "schools.csv"))
	for k := 1; k <= 2; k++ {
		f := strings.Split(schools[k], ",")
		f[6] = "0"
		schools[k] = strings.Join(f, ",")
	}
	writeLines(t, filepath.Join(dir, "schools.csv"), schools)
	students := readLines(t, filepath.Join(dir, "students.csv"))
	first := strings.Split(students[1], ",")
	students = append(students,
		"HS_NOHOME,HH_NOPE,"+first[2]+",7,1,false,false",
		"HS_NOSCHOOL,"+first[1]+",S_NOPE,7,2,false,false")
	writeLines(t, filepath.Join(dir, "students.csv"), students)
	// A home with an area code that is not in areas.
	homes := readLines(t, filepath.Join(dir, "households.csv"))
	f := strings.Split(homes[len(homes)-1], ",")
	f[0], f[3] = "HH_ODDAREA", "99999"
	homes = append(homes, strings.Join(f, ","))
	writeLines(t, filepath.Join(dir, "households.csv"), homes)

	streamed, warnings, err := coveragerun.ReadFiles(ctx, dir, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if streamed.Students == nil || len(streamed.Dataset.Students) != 0 || streamed.Homes == nil || len(streamed.Dataset.Households) != 0 {
		t.Fatalf("ReadFiles kept %d students (tally %v) and %d households (homes %v)", len(streamed.Dataset.Students),
			streamed.Students != nil, len(streamed.Dataset.Households), streamed.Homes != nil)
	}
	whole, err := format.ReadDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := streamed.StudentCount(), len(whole.Students); got != want || want != len(students)-1 {
		t.Fatalf("%d students counted, %d read, %d rows", got, want, len(students)-1)
	}
	if got, want := streamed.HouseholdCount(), len(whole.Households); got != want || want != len(homes)-1 {
		t.Fatalf("%d households kept, %d read, %d rows", got, want, len(homes)-1)
	}
	var ve *data.ValidationError
	if !errors.As(warnings, &ve) || len(ve.Errors) != 3 ||
		ve.Errors[0].Reason != "HH_ODDAREA: area 99999 is not in areas" ||
		ve.Errors[1].Reason != "student HS_NOHOME: household HH_NOPE is not in households" ||
		ve.Errors[2].Reason != "student HS_NOSCHOOL: school S_NOPE is not in schools" {
		t.Fatalf("warnings %#v", warnings)
	}
	// The same problems as CheckReferences finds in the whole records.
	var wantVE *data.ValidationError
	if !errors.As(format.CheckReferences(whole), &wantVE) || !sameProblems(ve.Errors, wantVE.Errors) {
		t.Fatalf("warnings %v, want %v", ve.Errors, wantVE)
	}

	outs := map[string]string{}
	for name, in := range map[string]coverage.Input{"streamed": streamed, "whole": {Dataset: whole, Date: streamed.Date}} {
		run, err := coveragerun.AnalyzeOffline(ctx, in, coverage.DefaultSettings())
		if err != nil {
			t.Fatal(err)
		}
		r := run.Result
		if r.Stats.StudentsWithoutHome != 1 {
			t.Fatalf("%s: %d students without a home, want 1", name, r.Stats.StudentsWithoutHome)
		}
		// The schools without a reported count have the pupils listing them.
		for k := 1; k <= 2; k++ {
			id := strings.Split(schools[k], ",")[0]
			listed := 0
			for _, s := range whole.Students {
				if s.SchoolID == id {
					listed++
				}
			}
			found := false
			for i := range r.NumEntities() {
				if x := r.Entity(i); x.ID == id {
					found = true
					if x.SchoolStudents != listed || listed == 0 {
						t.Fatalf("%s: school %s has %d students, %d list it", name, id, x.SchoolStudents, listed)
					}
				}
			}
			if !found {
				t.Fatalf("%s: school %s not analysed", name, id)
			}
		}
		outs[name] = filepath.Join(t.TempDir(), name)
		if err := coveragerun.WriteFiles(r, outs[name]); err != nil {
			t.Fatal(err)
		}
	}
	sameOutputs(t, outs["streamed"], outs["whole"])
}

// sameOutputs fails unless the four output files of two analyses are
// present, non-empty and identical byte for byte.
func sameOutputs(t *testing.T, dirA, dirB string) {
	t.Helper()
	for _, f := range coveragerun.OutputFiles() {
		a, errA := os.ReadFile(filepath.Join(dirA, f))
		b, errB := os.ReadFile(filepath.Join(dirB, f))
		if errA != nil || errB != nil || len(a) == 0 || !bytes.Equal(a, b) {
			t.Fatalf("%s differs between %s and %s (%v, %v)", f, dirA, dirB, errA, errB)
		}
	}
}

func sameProblems(a, b []data.FieldError) bool {
	key := func(es []data.FieldError) []string {
		var k []string
		for _, e := range es {
			k = append(k, fmt.Sprintf("%s|%s|%s|%s", e.File, e.Column, e.Value, e.Reason))
		}
		slices.Sort(k)
		return k
	}
	return slices.Equal(key(a), key(b))
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}

func writeLines(t *testing.T, path string, lines []string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}
