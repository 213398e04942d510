package coveragerun_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/coverage"
	"github.com/gapmap/gapmap/coveragerun"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/gen"
)

// ReadFiles counts the students as it reads them instead of keeping them:
// the warnings, counts and every output file are those of an analysis of
// the same files with the whole student list in memory.
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

	streamed, warnings, err := coveragerun.ReadFiles(ctx, dir, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if streamed.Students == nil || len(streamed.Dataset.Students) != 0 {
		t.Fatalf("ReadFiles kept %d students (tally %v)", len(streamed.Dataset.Students), streamed.Students != nil)
	}
	whole, err := format.ReadDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := streamed.StudentCount(), len(whole.Students); got != want || want != len(students)-1 {
		t.Fatalf("%d students counted, %d read, %d rows", got, want, len(students)-1)
	}
	want := format.CheckReferences(whole)
	if warnings == nil || want == nil || warnings.Error() != want.Error() {
		t.Fatalf("warnings\n%v\nwant\n%v", warnings, want)
	}
	var ve *data.ValidationError
	if !errors.As(warnings, &ve) || len(ve.Errors) != 2 ||
		ve.Errors[0].Reason != "student HS_NOHOME: household HH_NOPE is not in households" ||
		ve.Errors[1].Reason != "student HS_NOSCHOOL: school S_NOPE is not in schools" {
		t.Fatalf("warnings %#v", warnings)
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
	for _, f := range []string{"entities.csv", "cells.csv", "gaps.geojson", "summary.json"} {
		a, errA := os.ReadFile(filepath.Join(outs["streamed"], f))
		b, errB := os.ReadFile(filepath.Join(outs["whole"], f))
		if errA != nil || errB != nil || len(a) == 0 || !bytes.Equal(a, b) {
			t.Fatalf("%s differs between the tallied and the whole student list (%v, %v)", f, errA, errB)
		}
	}
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
