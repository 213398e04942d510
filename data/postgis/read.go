package postgis

import (
	"context"
	"fmt"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/geo"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/twpayne/go-geom"
)

// Querier is what reads need: a pool, a connection or a transaction.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// each runs query and calls scan for every row, streaming (rows are not
// buffered beyond pgx's read buffer).
func each(ctx context.Context, q Querier, what, query string, scan func(pgx.Rows) error) error {
	rows, err := q.Query(ctx, query)
	if err != nil {
		return fmt.Errorf("read %s: %w%s", what, err, hintMigrate(err))
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("read %s: %w", what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w%s", what, err, hintMigrate(err))
	}
	return nil
}

// EachArea streams the areas of q ordered by code.
func EachArea(ctx context.Context, q Querier, fn func(data.Area) error) error {
	return each(ctx, q, "areas", `SELECT code, name, level, coalesce(parent_code, ''), valid_from, valid_to,
		population, households, environment, geom, priority_tags FROM areas ORDER BY code`, func(rows pgx.Rows) error {
		var a data.Area
		var from, to pgtype.Date
		var g geom.T
		if err := rows.Scan(&a.Code, &a.Name, &a.Level, &a.ParentCode, &from, &to, &a.Population, &a.Households, &a.Environment, &g, &a.PriorityTags); err != nil {
			return err
		}
		if len(a.PriorityTags) == 0 {
			a.PriorityTags = nil
		}
		if from.Valid {
			t := from.Time
			a.ValidFrom = &t
		}
		if to.Valid {
			t := to.Time
			a.ValidTo = &t
		}
		switch g := g.(type) {
		case nil:
		case *geom.MultiPolygon:
			a.Geom = toOrbMultiPolygon(g)
		default:
			return fmt.Errorf("area %s: geometry is %T, want MultiPolygon", a.Code, g)
		}
		return fn(a)
	})
}

// ReadAreas returns every area of q (a pool or a transaction) ordered by
// code.
func ReadAreas(ctx context.Context, q Querier) ([]data.Area, error) {
	var out []data.Area
	err := EachArea(ctx, q, func(a data.Area) error {
		out = append(out, a)
		return nil
	})
	return out, err
}

// EachArea streams the areas ordered by code.
func (s *Store) EachArea(ctx context.Context, fn func(data.Area) error) error {
	return EachArea(ctx, s.pool, fn)
}

// EachSchool streams the schools ordered by id, with their H3 cells.
func (s *Store) EachSchool(ctx context.Context, fn func(SchoolRow) error) error {
	return eachSchool(ctx, s.pool, fn)
}

func eachSchool(ctx context.Context, q Querier, fn func(SchoolRow) error) error {
	return each(ctx, q, "schools", `SELECT school_id, name, level, area_code, students, internet, h3,
		ST_Y(geom), ST_X(geom) FROM schools ORDER BY school_id`, func(rows pgx.Rows) error {
		var r SchoolRow
		var c int64
		if err := rows.Scan(&r.ID, &r.Name, &r.Level, &r.AreaCode, &r.Students, &r.Internet, &c, &r.Lat, &r.Lon); err != nil {
			return err
		}
		r.Cell = geo.Cell(c)
		return fn(r)
	})
}

// EachHousehold streams the households ordered by id, with their H3 cells.
func (s *Store) EachHousehold(ctx context.Context, fn func(HouseholdRow) error) error {
	return eachHousehold(ctx, s.pool, fn)
}

func eachHousehold(ctx context.Context, q Querier, fn func(HouseholdRow) error) error {
	const query = `SELECT household_id, area_code, location_precision, poverty, members, h3,
		ST_Y(geom), ST_X(geom) FROM households ORDER BY household_id`
	if conn := connOf(q); conn != nil {
		d := &copyDecoder{intern: map[string]string{}}
		return copyOut(ctx, conn, "households", query, 8, func(f [][]byte) error {
			var r HouseholdRow
			r.ID, r.AreaCode, r.Precision, r.Poverty = d.text(f, 0), d.code(f, 1), d.code(f, 2), d.code(f, 3)
			r.Members, r.Cell = int(d.int(f, 4)), geo.Cell(d.int(f, 5))
			r.Lat, r.Lon = d.float(f, 6), d.float(f, 7)
			if d.err != nil {
				return d.err
			}
			return fn(r)
		})
	}
	return each(ctx, q, "households", query, func(rows pgx.Rows) error {
		var r HouseholdRow
		var c int64
		if err := rows.Scan(&r.ID, &r.AreaCode, &r.Precision, &r.Poverty, &r.Members, &c, &r.Lat, &r.Lon); err != nil {
			return err
		}
		r.Cell = geo.Cell(c)
		return fn(r)
	})
}

// EachStudent streams the students ordered by id.
func (s *Store) EachStudent(ctx context.Context, fn func(data.Student) error) error {
	return eachStudent(ctx, s.pool, fn)
}

func eachStudent(ctx context.Context, q Querier, fn func(data.Student) error) error {
	const query = `SELECT student_id, household_id, school_id, grade, priority, has_device, covid_orphan,
		full_name, coalesce(to_char(birth_date, 'YYYY-MM-DD'), '')
		FROM students ORDER BY student_id`
	if conn := connOf(q); conn != nil {
		d := &copyDecoder{intern: map[string]string{}}
		return copyOut(ctx, conn, "students", query, 9, func(f [][]byte) error {
			var r data.Student
			r.ID, r.HouseholdID, r.SchoolID = d.text(f, 0), d.text(f, 1), d.code(f, 2)
			r.Grade, r.Priority = int(d.int(f, 3)), int(d.int(f, 4))
			r.HasDevice, r.CovidOrphan = d.bool(f, 5), d.bool(f, 6)
			r.FullName, r.BirthDate = d.text(f, 7), d.text(f, 8)
			if d.err != nil {
				return d.err
			}
			return fn(r)
		})
	}
	return each(ctx, q, "students", query, func(rows pgx.Rows) error {
		var r data.Student
		var grade, prio int16
		if err := rows.Scan(&r.ID, &r.HouseholdID, &r.SchoolID, &grade, &prio, &r.HasDevice, &r.CovidOrphan, &r.FullName, &r.BirthDate); err != nil {
			return err
		}
		r.Grade, r.Priority = int(grade), int(prio)
		return fn(r)
	})
}

// EachSector streams the base-station sectors ordered by id, with their H3
// cells.
func (s *Store) EachSector(ctx context.Context, fn func(SectorRow) error) error {
	return eachSector(ctx, s.pool, fn)
}

func eachSector(ctx context.Context, q Querier, fn func(SectorRow) error) error {
	return each(ctx, q, "sites", `SELECT sector_id, site_id, operator, technology, band_mhz, antenna_height_m,
		azimuth_deg, beamwidth_deg, coalesce(range_m, 0), status, h3, ST_Y(geom), ST_X(geom)
		FROM sites ORDER BY sector_id`, func(rows pgx.Rows) error {
		var r SectorRow
		var az pgtype.Float8
		var c int64
		if err := rows.Scan(&r.ID, &r.SiteID, &r.Operator, &r.Technology, &r.BandMHz, &r.AntennaHeightM,
			&az, &r.BeamwidthDeg, &r.RangeM, &r.Status, &c, &r.Lat, &r.Lon); err != nil {
			return err
		}
		if az.Valid {
			v := az.Float64
			r.AzimuthDeg = &v
		}
		r.Cell = geo.Cell(c)
		return fn(r)
	})
}

// EachFiberNode streams the fiber nodes ordered by id, with their H3 cells.
func (s *Store) EachFiberNode(ctx context.Context, fn func(FiberNodeRow) error) error {
	return eachFiberNode(ctx, s.pool, fn)
}

func eachFiberNode(ctx context.Context, q Querier, fn func(FiberNodeRow) error) error {
	return each(ctx, q, "fiber nodes", `SELECT node_id, operator, kind, h3, ST_Y(geom), ST_X(geom)
		FROM fiber_nodes ORDER BY node_id`, func(rows pgx.Rows) error {
		var r FiberNodeRow
		var c int64
		if err := rows.Scan(&r.ID, &r.Operator, &r.Kind, &c, &r.Lat, &r.Lon); err != nil {
			return err
		}
		r.Cell = geo.Cell(c)
		return fn(r)
	})
}

// EachFiberRoute streams the fiber routes ordered by id.
func (s *Store) EachFiberRoute(ctx context.Context, fn func(data.FiberRoute) error) error {
	return eachFiberRoute(ctx, s.pool, fn)
}

func eachFiberRoute(ctx context.Context, q Querier, fn func(data.FiberRoute) error) error {
	return each(ctx, q, "fiber routes", `SELECT route_id, operator, geom FROM fiber_routes ORDER BY route_id`, func(rows pgx.Rows) error {
		var r data.FiberRoute
		var l geom.LineString
		if err := rows.Scan(&r.ID, &r.Operator, &l); err != nil {
			return err
		}
		r.Line = toOrbLine(&l)
		return fn(r)
	})
}

// EachDevice streams the devices ordered by id; Donor is the donor's stored
// name.
func (s *Store) EachDevice(ctx context.Context, fn func(data.Device) error) error {
	return eachDevice(ctx, s.pool, fn)
}

func eachDevice(ctx context.Context, q Querier, fn func(data.Device) error) error {
	return each(ctx, q, "devices", `SELECT `+deviceColumns+`
		FROM devices d LEFT JOIN donors o ON o.donor_id = d.donor_id ORDER BY d.device_id`, func(rows pgx.Rows) error {
		d, err := scanDevice(rows)
		if err != nil {
			return err
		}
		return fn(d)
	})
}

// deviceColumns are the columns scanDevice reads (devices d, donors o).
const deviceColumns = `d.device_id, coalesce(o.name, ''), d.type, d.os, d.os_version, d.cpu_ghz,
		d.ram_gb, d.storage_gb, d.free_storage_gb, d.has_charger, d.av_ok, d.screen_ok, d.keyboard_ok,
		d.has_monitor, d.wifi, d.serial, d.imei, coalesce(d.area_code, ''), d.cpu_model, d.headphones, d.battery_ok,
		coalesce(d.school_id, ''), d.received_on`

// simPackageColumns are the columns scanSimPackage reads (sim_packages p,
// donors o).
const simPackageColumns = `p.package_id, p.operator, p.gb_per_day, p.months, p.quantity, coalesce(p.area_code, ''),
		coalesce(p.school_id, ''), coalesce(o.name, ''), p.received_on`

func scanSimPackage(r pgx.Rows) (data.SimPackage, error) {
	var p data.SimPackage
	err := r.Scan(&p.ID, &p.Operator, &p.GBPerDay, &p.Months, &p.Quantity, &p.AreaCode, &p.SchoolID, &p.Donor, &p.ReceivedOn)
	return p, err
}

func scanDevice(r pgx.Rows) (data.Device, error) {
	var d data.Device
	err := r.Scan(&d.ID, &d.Donor, &d.Type, &d.OS, &d.OSVersion, &d.CPUGHz, &d.RAMGB, &d.StorageGB,
		&d.FreeStorageGB, &d.HasCharger, &d.AVOK, &d.ScreenOK, &d.KeyboardOK, &d.HasMonitor, &d.WiFi,
		&d.Serial, &d.IMEI, &d.AreaCode, &d.CPUModel, &d.Headphones, &d.BatteryOK, &d.SchoolID, &d.ReceivedOn)
	return d, err
}

// EachSimPackage streams the SIM-data packages ordered by id.
func (s *Store) EachSimPackage(ctx context.Context, fn func(data.SimPackage) error) error {
	return eachSimPackage(ctx, s.pool, fn)
}

func eachSimPackage(ctx context.Context, q Querier, fn func(data.SimPackage) error) error {
	return each(ctx, q, "SIM packages", `SELECT `+simPackageColumns+`
		FROM sim_packages p LEFT JOIN donors o ON o.donor_id = p.donor_id ORDER BY p.package_id`, func(rows pgx.Rows) error {
		p, err := scanSimPackage(rows)
		if err != nil {
			return err
		}
		return fn(p)
	})
}

// Donors returns every donor ordered by id.
func (s *Store) Donors(ctx context.Context) ([]data.Donor, error) {
	var out []data.Donor
	err := each(ctx, s.pool, "donors", `SELECT donor_id, name, kind FROM donors ORDER BY donor_id`, func(rows pgx.Rows) error {
		var d data.Donor
		if err := rows.Scan(&d.ID, &d.Name, &d.Kind); err != nil {
			return err
		}
		out = append(out, d)
		return nil
	})
	return out, err
}

// ReadDataset reads every table into memory for the engine, streaming row
// by row (the slices are the only copy), from one consistent snapshot.
// Slices are ordered by id.
func (s *Store) ReadDataset(ctx context.Context) (*data.Dataset, error) {
	return s.ReadDatasetWith(ctx, DatasetOptions{})
}

// DatasetOptions changes what ReadDatasetWith keeps. A reader of a whole
// country keeps the households in columns and counts the students instead
// of holding their records (gigabytes at that size).
type DatasetOptions struct {
	// Households, when set, is called once the areas and schools are read,
	// with the number of households; the households are passed to the
	// function it returns, in id order, and Dataset.Households stays empty.
	Households func(ds *data.Dataset, rows int) (func(data.Household) error, error)
	// Students is the same for the students (the households are read by
	// then); Dataset.Students stays empty.
	Students func(ds *data.Dataset, rows int) (func(data.Student) error, error)
}

// ReadDatasetWith is ReadDataset with options.
func (s *Store) ReadDatasetWith(ctx context.Context, o DatasetOptions) (*data.Dataset, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("read the dataset: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	n, err := counts(ctx, tx)
	if err != nil {
		return nil, err
	}
	ds := &data.Dataset{
		Areas:       make([]data.Area, 0, n["areas"]),
		Schools:     make([]data.School, 0, n["schools"]),
		Sectors:     make([]data.Sector, 0, n["sites"]),
		FiberNodes:  make([]data.FiberNode, 0, n["fiber_nodes"]),
		FiberRoutes: make([]data.FiberRoute, 0, n["fiber_routes"]),
		Devices:     make([]data.Device, 0, n["devices"]),
		SimPackages: make([]data.SimPackage, 0, n["sim_packages"]),
	}
	if o.Households == nil {
		ds.Households = make([]data.Household, 0, n["households"])
	}
	if o.Students == nil {
		ds.Students = make([]data.Student, 0, n["students"])
	}
	if n["coverage_polygons"] > 0 {
		ds.Polygons = make([]data.OperatorPolygon, 0, n["coverage_polygons"])
	}
	if n["measurements"] > 0 {
		ds.Measurements = make([]data.Measurement, 0, n["measurements"])
	}
	steps := []func() error{
		func() error {
			return EachArea(ctx, tx, func(a data.Area) error { ds.Areas = append(ds.Areas, a); return nil })
		},
		func() error {
			return eachSchool(ctx, tx, func(r SchoolRow) error { ds.Schools = append(ds.Schools, r.School); return nil })
		},
		func() error {
			if o.Households == nil {
				return eachHousehold(ctx, tx, func(r HouseholdRow) error { ds.Households = append(ds.Households, r.Household); return nil })
			}
			fn, err := o.Households(ds, int(n["households"]))
			if err != nil {
				return err
			}
			return eachHousehold(ctx, tx, func(r HouseholdRow) error { return fn(r.Household) })
		},
		func() error {
			if o.Students == nil {
				return eachStudent(ctx, tx, func(r data.Student) error { ds.Students = append(ds.Students, r); return nil })
			}
			fn, err := o.Students(ds, int(n["students"]))
			if err != nil {
				return err
			}
			return eachStudent(ctx, tx, fn)
		},
		func() error {
			return eachSector(ctx, tx, func(r SectorRow) error { ds.Sectors = append(ds.Sectors, r.Sector); return nil })
		},
		func() error {
			return eachFiberNode(ctx, tx, func(r FiberNodeRow) error { ds.FiberNodes = append(ds.FiberNodes, r.FiberNode); return nil })
		},
		func() error {
			return eachFiberRoute(ctx, tx, func(r data.FiberRoute) error { ds.FiberRoutes = append(ds.FiberRoutes, r); return nil })
		},
		func() error {
			return eachDevice(ctx, tx, func(d data.Device) error { ds.Devices = append(ds.Devices, d); return nil })
		},
		func() error {
			return eachSimPackage(ctx, tx, func(p data.SimPackage) error { ds.SimPackages = append(ds.SimPackages, p); return nil })
		},
		func() error {
			return eachCoveragePolygon(ctx, tx, func(p data.OperatorPolygon) error { ds.Polygons = append(ds.Polygons, p); return nil })
		},
		func() error {
			return eachMeasurement(ctx, tx, func(m data.Measurement) error { ds.Measurements = append(ds.Measurements, m); return nil })
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return ds, nil
}
