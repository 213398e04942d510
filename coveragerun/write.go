package coveragerun

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/gapmap/gapmap/coverage"
	"github.com/gapmap/gapmap/internal/atomicfile"
)

// OutputFiles are the names of the files WriteFiles writes, in its order.
func OutputFiles() []string {
	return []string{"entities.csv", "cells.csv", "gaps.geojson", "summary.json"}
}

// WriteFiles writes the four result files of a run into dir (created if
// needed): entities.csv, cells.csv, gaps.geojson and summary.json, each
// through a temporary file renamed into place, the four at the same time
// (entities.csv, the big one, formats its rows in parallel too). An error
// names the first file, in that order, that failed. entities.csv holds
// personal data (household ids and positions).
func WriteFiles(r *coverage.Result, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating the output directory: %w", err)
	}
	files := []struct {
		name  string
		write func(io.Writer) error
	}{
		{"entities.csv", r.WriteEntitiesCSV},
		{"cells.csv", r.WriteCellsCSV},
		{"gaps.geojson", r.WriteGapsGeoJSON},
		{"summary.json", r.WriteSummaryJSON},
	}
	errs := make([]error, len(files))
	var wg sync.WaitGroup
	for k, f := range files {
		wg.Go(func() {
			if err := atomicfile.Write(filepath.Join(dir, f.name), f.write); err != nil {
				errs[k] = fmt.Errorf("writing %s: %w", f.name, err)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// WritePlanFile writes the plan's GeoJSON (counts only, no ids and no home
// positions) to path, its directory created if needed.
func WritePlanFile(path string, p *coverage.Plan, r *coverage.Result) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating the plan's directory: %w", err)
	}
	if err := atomicfile.Write(path, func(w io.Writer) error { return p.WriteGeoJSON(w, r) }); err != nil {
		return fmt.Errorf("writing the plan: %w", err)
	}
	return nil
}
