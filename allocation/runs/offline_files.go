package runs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gapmap/gapmap/allocation"
	"github.com/gapmap/gapmap/coverage"
	"github.com/gapmap/gapmap/data/format"
)

// Files names the inputs of an offline allocation.
type Files struct {
	// Dir holds the exchange files (areas.geojson, schools.csv,
	// students.csv, devices.csv, sim_packages.csv, …).
	Dir string
	// Coverage is the output directory of an offline analysis, or its
	// entities.csv; "" allocates without connectivity (every home unknown).
	Coverage string
	// NoCoverage describes the run's coverage in its outputs when Coverage
	// is "".
	NoCoverage string
}

// OfflineFiles reads the exchange files and the coverage result of f and
// allocates on them (Offline). A read error of the exchange files is a
// *format.DatasetError ("read DIR: …"); a coverage result that cannot be
// opened a *CoverageFileError.
func OfflineFiles(ctx context.Context, f Files, o Options) (*Outcome, error) {
	ds, err := format.ReadDir(ctx, f.Dir)
	if err != nil {
		return nil, &format.DatasetError{Dir: f.Dir, Prefix: "read " + f.Dir + ": ", Err: err}
	}
	if len(ds.Students) == 0 {
		return nil, fmt.Errorf("%s has no students: allocate needs students.csv (and schools.csv, areas.geojson, devices.csv, sim_packages.csv)", f.Dir)
	}
	var conn map[string]allocation.Connectivity
	label := f.NoCoverage
	if f.Coverage != "" {
		if conn, label, err = ReadCoverage(ctx, f.Coverage); err != nil {
			return nil, err
		}
	}
	return Offline(ctx, ds, conn, label, o)
}

// CoverageFileError: the coverage result could not be opened.
type CoverageFileError struct {
	Path string
	Err  error
}

func (e *CoverageFileError) Error() string { return "read the coverage result: " + e.Err.Error() }
func (e *CoverageFileError) Unwrap() error { return e.Err }

// ReadCoverage reads the homes' connectivity from the entities.csv of an
// offline analysis; path is the file or the analysis output directory. It
// returns the path of the file read.
func ReadCoverage(ctx context.Context, path string) (map[string]allocation.Connectivity, string, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, "entities.csv")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, path, &CoverageFileError{Path: path, Err: err}
	}
	defer f.Close()
	conn, err := coverage.ReadHouseholdConnectivity(ctx, path, f)
	return conn, path, err
}
