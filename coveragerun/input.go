package coveragerun

import (
	"context"
	"errors"
	"time"

	"github.com/gapmap/gapmap/coverage"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
)

// ReadOverrides reads the optional files of an analysis: operators'
// coverage polygons (GeoJSON) and field measurements (CSV); "" skips one.
func ReadOverrides(ctx context.Context, polygons, measurements string) ([]data.OperatorPolygon, []data.Measurement, error) {
	var ps []data.OperatorPolygon
	var ms []data.Measurement
	if polygons != "" {
		err := format.ReadCoveragePolygons(ctx, polygons, nil, func(_ int, p data.OperatorPolygon) error {
			ps = append(ps, p)
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	}
	if measurements != "" {
		err := format.ReadMeasurements(ctx, measurements, nil, func(_ int, m data.Measurement) error {
			ms = append(ms, m)
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	}
	return ps, ms, nil
}

// ReadFiles reads the input of an offline analysis: the exchange files of
// dir and the optional polygons and measurements files; the analysis date
// is today in Vietnam. warnings holds the
// broken references between the files (format.CheckReferences), which do
// not stop an analysis; err is a *format.DatasetError when the exchange files
// cannot be read.
func ReadFiles(ctx context.Context, dir, polygons, measurements string) (in coverage.Input, warnings, err error) {
	in.Date = data.VietnamDay(time.Now()) // the caller may set another analysis date
	// The households are kept in columns and the students counted per
	// home as they are read: the analysis needs no more, and the records
	// of a whole country would take gigabytes.
	refs := &data.ValidationError{}
	households := func(ds *data.Dataset, rows int) (func(int, data.Household) error, error) {
		in.Homes = coverage.NewHomes(rows)
		check := format.NewHouseholdRefs(ds)
		return func(_ int, h data.Household) error {
			check.Check(refs, &h)
			return in.Homes.Add(&h)
		}, nil
	}
	students := func(ds *data.Dataset, _ int) (func(int, data.Student) error, error) {
		tally, err := coverage.NewStudentTally(ctx, &coverage.Input{Dataset: ds, Homes: in.Homes}, 0)
		if err != nil {
			return nil, err
		}
		in.Students = tally
		check := format.NewStudentRefs(ds, in.Homes != nil && in.Homes.Len() > 0)
		return func(_ int, s data.Student) error {
			check.Check(refs, &s, tally.Add(&s))
			return nil
		}, nil
	}
	in.Dataset, err = format.ReadDirWith(ctx, dir, format.DirOptions{Households: households, Students: students})
	if in.Students != nil {
		in.Students.Done()
	}
	if err != nil {
		return coverage.Input{}, nil, &format.DatasetError{Dir: dir, Err: err}
	}
	warnings = format.CheckReferences(in.Dataset)
	if refs.Len() > 0 {
		// The households' and students' problems first, as they were read.
		var ve *data.ValidationError
		if errors.As(warnings, &ve) {
			for _, e := range ve.Errors {
				refs.Add(e)
			}
			refs.Truncated += ve.Truncated
		}
		warnings = refs.Err()
	}
	if in.Polygons, in.Measurements, err = ReadOverrides(ctx, polygons, measurements); err != nil {
		return in, warnings, err
	}
	return in, warnings, nil
}
