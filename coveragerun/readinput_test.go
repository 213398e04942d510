package coveragerun_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/gapmap/gapmap/coverage"
	"github.com/gapmap/gapmap/coveragerun"
	"github.com/gapmap/gapmap/data/gen"
	"github.com/gapmap/gapmap/data/importer"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
)

// ReadInput keeps the households in columns and counts the students as
// they stream out of the database instead of holding the records: the
// counts and every output file are those of an analysis of the whole
// records (ReadDataset).
func TestReadInputStreamsHomesAndStudents(t *testing.T) {
	ctx := context.Background()
	st := pgtest.New(t)
	dir := importGenerated(t, st, 6)
	streamed, err := coveragerun.ReadInput(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if streamed.Homes == nil || streamed.Students == nil || len(streamed.Dataset.Households) != 0 || len(streamed.Dataset.Students) != 0 {
		t.Fatalf("ReadInput kept %d households (homes %v) and %d students (tally %v)", len(streamed.Dataset.Households),
			streamed.Homes != nil, len(streamed.Dataset.Students), streamed.Students != nil)
	}
	whole, err := st.ReadDataset(ctx)
	if err != nil {
		t.Fatal(err)
	}
	homes := readLines(t, filepath.Join(dir, "households.csv"))
	students := readLines(t, filepath.Join(dir, "students.csv"))
	if got, want := streamed.HouseholdCount(), len(whole.Households); got != want || want != len(homes)-1 || want == 0 {
		t.Fatalf("%d households kept, %d read, %d rows", got, want, len(homes)-1)
	}
	if got, want := streamed.StudentCount(), len(whole.Students); got != want || want != len(students)-1 || want == 0 {
		t.Fatalf("%d students counted, %d read, %d rows", got, want, len(students)-1)
	}
	if len(streamed.Dataset.Schools) != len(whole.Schools) || len(streamed.Dataset.Sectors) != len(whole.Sectors) || len(whole.Sectors) == 0 {
		t.Fatalf("schools %d and %d, sectors %d and %d", len(streamed.Dataset.Schools), len(whole.Schools), len(streamed.Dataset.Sectors), len(whole.Sectors))
	}
	outs := map[string]string{}
	for name, in := range map[string]coverage.Input{"streamed": streamed, "whole": {Dataset: whole}} {
		in.Date = time.Date(2026, time.June, 1, 0, 0, 0, 0, time.UTC)
		run, err := coveragerun.AnalyzeOffline(ctx, in, coverage.DefaultSettings())
		if err != nil {
			t.Fatal(err)
		}
		if run.Result.NumEntities() != len(whole.Schools)+len(whole.Households) {
			t.Fatalf("%s: %d entities", name, run.Result.NumEntities())
		}
		outs[name] = filepath.Join(t.TempDir(), name)
		if err := coveragerun.WriteFiles(run.Result, outs[name]); err != nil {
			t.Fatal(err)
		}
	}
	sameOutputs(t, outs["streamed"], outs["whole"])
}

// importGenerated generates a small province (gen --scale 0.03, seed) and
// imports it into st; it returns the directory of the files.
func importGenerated(t *testing.T, st *postgis.Store, seed int64) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := gen.Generate(t.Context(), gen.Options{Seed: seed, Scale: 0.03, OutDir: dir}); err != nil {
		t.Fatal(err)
	}
	if _, err := importer.ImportDir(t.Context(), st, dir, importer.Options{}); err != nil {
		t.Fatal(err)
	}
	return dir
}
