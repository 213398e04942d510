package format

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/paulmach/orb"
)

// Field measurements.
const (
	msID = iota
	msOperator
	msTech
	msLat
	msLon
	msRSRP
	msTime
	msN
)

func measurementColumns() []column {
	c := make([]column, msN)
	c[msID] = column{name: "measurement_id", aliases: []string{"mã đo", "mã phép đo", "measurement id", "id"}}
	c[msOperator] = column{name: "operator", required: true, aliases: []string{"nhà mạng", "doanh nghiệp", "mạng", "mno"}}
	c[msTech] = column{name: "technology", required: true, aliases: []string{"công nghệ", "tech", "radio"}}
	c[msLat] = latColumn()
	c[msLon] = lonColumn()
	c[msRSRP] = column{name: "rsrp_dbm", required: true, aliases: []string{"rsrp", "cường độ tín hiệu", "mức thu", "signal_dbm", "rsrp (dbm)"}}
	c[msTime] = column{name: "time", aliases: []string{"thời gian", "thời điểm", "ngày đo", "timestamp", "measured_at"}}
	return c
}

// MeasurementHeader is the header of measurements.csv.
func MeasurementHeader() []string { return columnNames(measurementColumns()) }

// MeasurementRecord is one row of measurements.csv.
func MeasurementRecord(m data.Measurement) []string {
	t := ""
	if !m.Time.IsZero() {
		t = m.Time.Format(time.RFC3339)
	}
	return []string{m.ID, m.Operator, m.Technology, fmtFloat(m.Lat), fmtFloat(m.Lon), fmtFloat(m.RSRPDBm), t}
}

// ReadMeasurements streams field measurements from measurements.csv/.xlsx
// (see ReadSchools): operator (a mobile operator), technology (2G…5G, LTE,
// NR…), lat, lon, rsrp_dbm (−160 to −20), time (optional: RFC 3339,
// "2006-01-02 15:04:05", "2006-01-02", or dd/mm/yyyy [hh:mm[:ss]]; without
// a zone it is Vietnam time, UTC+7) and measurement_id (optional: by
// default operator/technology/lat,lon/time, so the same measurement twice
// is a duplicate).
func ReadMeasurements(ctx context.Context, path string, errs *data.ValidationError, fn func(row int, m data.Measurement) error) error {
	return readMeasurements(ctx, fileRef{path: path}, errs, fn)
}

// ReadMeasurementsFrom is ReadMeasurements on an uploaded file: name's
// extension picks CSV or XLSX and names the file in errors.
func ReadMeasurementsFrom(ctx context.Context, r io.Reader, name string, errs *data.ValidationError, fn func(row int, m data.Measurement) error) error {
	return readMeasurements(ctx, fileRef{path: name, r: r}, errs, fn)
}

func readMeasurements(ctx context.Context, ref fileRef, errs *data.ValidationError, fn func(row int, m data.Measurement) error) error {
	operator, tech := mobileOperatorEnum("operator"), technologyEnum()
	return readTable(ctx, ref, errs, measurementColumns(), func(r *rowCtx) data.Measurement {
		var m data.Measurement
		m.Operator = r.choice(msOperator, operator, "", true)
		m.Technology = r.choice(msTech, tech, "", true)
		m.Lat, m.Lon = r.latLon(msLat, msLon)
		if v, ok := r.float(msRSRP, 0, true, noUnit); ok {
			if v < -160 || v > -20 {
				r.outOfRange(msRSRP, "from -160 to -20 dBm")
			}
			m.RSRPDBm = v
		}
		if s := r.str(msTime); s != "" {
			t, err := parseTime(s)
			if err != nil {
				r.fail(msTime, s, "time must be a date and time such as 2024-05-01 08:30:00, 2024-05-01T08:30:00+07:00 or 01/05/2024 08:30")
			}
			m.Time = t
		}
		m.ID = r.str(msID)
		if r.bad {
			return m
		}
		if m.ID == "" {
			m.ID = MeasurementID(m)
		}
		r.unique(msID, m.ID, m.ID)
		return m
	}, fn)
}

// MeasurementID is the default id of a measurement without one.
func MeasurementID(m data.Measurement) string {
	id := m.Operator + "/" + m.Technology + "/" + strconv.FormatFloat(m.Lat, 'f', 6, 64) + "," + strconv.FormatFloat(m.Lon, 'f', 6, 64)
	if !m.Time.IsZero() {
		id += "/" + m.Time.UTC().Format(time.RFC3339)
	}
	return id
}

// vietnamTime is UTC+7, for times written without a zone.
func vietnamTime() *time.Location { return time.FixedZone("ICT", 7*3600) }

func parseTime(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02",
		"02/01/2006 15:04:05", "02/01/2006 15:04", "02/01/2006"} {
		if t, err := time.ParseInLocation(layout, v, vietnamTime()); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("bad time %q", v)
}

// ReadCoveragePolygons streams operators' coverage polygons from a GeoJSON
// FeatureCollection of Polygon or MultiPolygon features. Properties:
// operator (nha_mang, nhà mạng; a mobile operator), technology (cong_nghe,
// công nghệ, tech: 2G…5G, LTE, NR…), and polygon_id (or id, or the feature
// id; default "<operator>/<technology>/<feature number>").
func ReadCoveragePolygons(ctx context.Context, path string, errs *data.ValidationError, fn func(feature int, p data.OperatorPolygon) error) error {
	return readCoveragePolygons(ctx, fileRef{path: path}, errs, fn)
}

// ReadCoveragePolygonsFrom is ReadCoveragePolygons on an uploaded file
// (name labels errors and must end in .geojson or .json).
func ReadCoveragePolygonsFrom(ctx context.Context, r io.Reader, name string, errs *data.ValidationError, fn func(feature int, p data.OperatorPolygon) error) error {
	return readCoveragePolygons(ctx, fileRef{path: name, r: r}, errs, fn)
}

func readCoveragePolygons(ctx context.Context, ref fileRef, errs *data.ValidationError, fn func(feature int, p data.OperatorPolygon) error) error {
	return run(errs, func(errs *data.ValidationError) error {
		operator, tech := mobileOperatorEnum("operator"), technologyEnum()
		seen := newDupSet()
		return readFeatures(ctx, ref, errs, func(f *featureCtx, raw *rawFeature) error {
			var p data.OperatorPolygon
			if s, key, ok := f.prop("operator", "nha_mang", "nhà mạng", "doanh nghiệp", "mno"); ok {
				v, ok := operator.lookup(s)
				if !ok {
					f.fail(key, s, operator.reason(s))
				}
				p.Operator = v
			} else if key == "" {
				f.fail("operator", "", `the feature has no operator: add an "operator" property (viettel, vinaphone, mobifone, vietnamobile, gmobile)`)
			}
			if s, key, ok := f.prop("technology", "cong_nghe", "công nghệ", "tech", "radio"); ok {
				v, ok := tech.lookup(s)
				if !ok {
					f.fail(key, s, tech.reason(s))
				}
				p.Technology = v
			} else if key == "" {
				f.fail("technology", "", `the feature has no technology: add a "technology" property (2G, 3G, 4G or 5G)`)
			}
			id, idKey, ok := f.prop("polygon_id", "id", "ma_vung", "mã vùng")
			if !ok && idKey == "" {
				if s, ok2 := scalarText(f.id); ok2 && s != "" {
					id, idKey = s, "id"
				}
			}
			if id != "" && !validText(id) {
				f.fail(idKey, id, "the polygon_id has invalid characters")
			}
			g, gok := f.geometry(raw.Geometry)
			if gok {
				switch g := g.(type) {
				case nil:
					f.fail("geometry", "", "the feature has no geometry: a coverage area needs a Polygon or MultiPolygon")
				case orb.Polygon:
					if q, ok := f.polygon(g); ok {
						p.MultiPolygon = orb.MultiPolygon{q}
					}
				case orb.MultiPolygon:
					for _, x := range g {
						q, ok := f.polygon(x)
						if !ok {
							break
						}
						p.MultiPolygon = append(p.MultiPolygon, q)
					}
					if len(g) == 0 {
						f.fail("geometry", "", "the MultiPolygon has no polygons")
					}
				default:
					f.fail("geometry", g.GeoJSONType(), "a coverage area needs a Polygon or MultiPolygon geometry, not "+g.GeoJSONType())
				}
			}
			if f.bad {
				return nil
			}
			if id == "" {
				id, idKey = p.Operator+"/"+strings.ToLower(p.Technology)+"/"+strconv.Itoa(f.n), "polygon_id"
			}
			p.ID = id
			if first, dup := seen.add(id, f.n); dup {
				f.fail(idKey, id, fmt.Sprintf("duplicate polygon_id %s: first seen at feature %d", id, first))
				return nil
			}
			if err := fn(f.n, p); err != nil {
				return fmt.Errorf("%s feature %d: %w", f.file, f.n, err)
			}
			return nil
		})
	})
}
