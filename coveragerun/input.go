package coveragerun

import (
	"context"
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
	if in.Dataset, err = format.ReadDir(ctx, dir); err != nil {
		return coverage.Input{}, nil, &format.DatasetError{Dir: dir, Err: err}
	}
	warnings = format.CheckReferences(in.Dataset)
	if in.Polygons, in.Measurements, err = ReadOverrides(ctx, polygons, measurements); err != nil {
		return in, warnings, err
	}
	return in, warnings, nil
}
