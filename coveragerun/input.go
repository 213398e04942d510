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
	// The students are counted per home as they are read, not kept: the
	// analysis needs no more, and a national list would take gigabytes.
	refs := &data.ValidationError{}
	students := func(ds *data.Dataset) (func(int, data.Student) error, error) {
		tally, err := coverage.NewStudentTally(ctx, ds.Households, ds.Schools, 0)
		if err != nil {
			return nil, err
		}
		in.Students = tally
		check := format.NewStudentRefs(ds)
		return func(_ int, s data.Student) error {
			check.Check(refs, &s, tally.Add(&s))
			return nil
		}, nil
	}
	if in.Dataset, err = format.ReadDirWith(ctx, dir, format.DirOptions{Students: students}); err != nil {
		return coverage.Input{}, nil, &format.DatasetError{Dir: dir, Err: err}
	}
	warnings = format.CheckReferences(in.Dataset)
	if refs.Len() > 0 {
		// The students' problems first, as CheckReferences lists them.
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
