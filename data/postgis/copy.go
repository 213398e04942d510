package postgis

import (
	"context"
	"fmt"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/geo"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// SRID of every geometry in the store.
const SRID = 4326

// Source yields rows one at a time; ok=false ends the stream. A non-nil
// error aborts the COPY (and so the caller's transaction).
type Source[T any] func() (row T, ok bool, err error)

// SliceSource yields the rows of s in order.
func SliceSource[T any](s []T) Source[T] {
	i := 0
	return func() (T, bool, error) {
		var zero T
		if i >= len(s) {
			return zero, false, nil
		}
		i++
		return s[i-1], true, nil
	}
}

// ChanSource yields the rows received from ch until it is closed or ctx is
// done.
func ChanSource[T any](ctx context.Context, ch <-chan T) Source[T] {
	return func() (T, bool, error) {
		var zero T
		select {
		case r, ok := <-ch:
			return r, ok, nil
		case <-ctx.Done():
			return zero, false, ctx.Err()
		}
	}
}

// SchoolRow is a school with its H3 cell at geo.AnalysisRes (0: computed
// by the copy).
type SchoolRow struct {
	data.School
	Cell geo.Cell
}

// HouseholdRow is a household with its H3 cell (0: computed by the copy).
type HouseholdRow struct {
	data.Household
	Cell geo.Cell
}

// SectorRow is a sector with its H3 cell (0: computed by the copy).
type SectorRow struct {
	data.Sector
	Cell geo.Cell
}

// FiberNodeRow is a fiber node with its H3 cell (0: computed by the copy).
type FiberNodeRow struct {
	data.FiberNode
	Cell geo.Cell
}

func cellOf(c geo.Cell, lat, lon float64) (int64, error) {
	if c != 0 {
		return int64(c), nil
	}
	c, err := geo.CellOf(lat, lon, geo.AnalysisRes)
	return int64(c), err
}

func text(s string) pgtype.Text { return pgtype.Text{String: s, Valid: s != ""} }

// copyRows runs one binary COPY of the rows of next into table; fill turns
// a row into the values of cols (it may reuse the slice it is given).
func copyRows[T any](ctx context.Context, tx pgx.Tx, table string, cols []string, next Source[T], fill func(T, []any) error) (int64, error) {
	vals := make([]any, len(cols))
	n, err := tx.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromFunc(func() ([]any, error) {
		r, ok, err := next()
		if err != nil || !ok {
			return nil, err
		}
		if err := fill(r, vals); err != nil {
			return nil, err
		}
		return vals, nil
	}))
	if err != nil {
		return n, fmt.Errorf("copy into %s: %w%s", table, err, hintMigrate(err))
	}
	return n, nil
}

// CopySchools writes schools with binary COPY inside tx.
func CopySchools(ctx context.Context, tx pgx.Tx, next Source[SchoolRow]) (int64, error) {
	cols := []string{"school_id", "name", "level", "area_code", "students", "internet", "h3", "geom"}
	return binaryCopy(ctx, tx, "schools", cols, next, func(w *copyWriter, r SchoolRow) error {
		c, err := cellOf(r.Cell, r.Lat, r.Lon)
		if err != nil {
			return fmt.Errorf("school %s: %w", r.ID, err)
		}
		students, err := int32Of("students", r.Students)
		if err != nil {
			return fmt.Errorf("school %s: %w", r.ID, err)
		}
		internet := r.Internet
		if internet == "" {
			internet = data.InternetNone
		}
		w.begin(len(cols))
		w.text(r.ID)
		w.text(r.Name)
		w.text(r.Level)
		w.text(r.AreaCode)
		w.int4(students)
		w.text(internet)
		w.int8(c)
		w.point(r.Lat, r.Lon)
		return nil
	})
}

// CopyHouseholds writes households with binary COPY inside tx.
func CopyHouseholds(ctx context.Context, tx pgx.Tx, next Source[HouseholdRow]) (int64, error) {
	cols := []string{"household_id", "area_code", "location_precision", "poverty", "members", "h3", "geom"}
	return binaryCopy(ctx, tx, "households", cols, next, func(w *copyWriter, r HouseholdRow) error {
		c, err := cellOf(r.Cell, r.Lat, r.Lon)
		if err != nil {
			return fmt.Errorf("household %s: %w", r.ID, err)
		}
		prec, pov, members := r.Precision, r.Poverty, r.Members
		if prec == "" {
			prec = data.PrecisionGPS
		}
		if pov == "" {
			pov = data.PovertyNone
		}
		if members == 0 {
			members = 1
		}
		m, err := int32Of("members", members)
		if err != nil {
			return fmt.Errorf("household %s: %w", r.ID, err)
		}
		w.begin(len(cols))
		w.text(r.ID)
		w.text(r.AreaCode)
		w.text(prec)
		w.text(pov)
		w.int4(m)
		w.int8(c)
		w.point(r.Lat, r.Lon)
		return nil
	})
}

// CopyStudents writes students with binary COPY inside tx.
func CopyStudents(ctx context.Context, tx pgx.Tx, next Source[data.Student]) (int64, error) {
	cols := []string{"student_id", "household_id", "school_id", "grade", "priority", "has_device", "covid_orphan", "full_name", "birth_date"}
	return binaryCopy(ctx, tx, "students", cols, next, func(w *copyWriter, r data.Student) error {
		grade, err := int16Of("grade", r.Grade)
		if err != nil {
			return fmt.Errorf("student %s: %w", r.ID, err)
		}
		prio, err := int16Of("priority", r.Priority)
		if err != nil {
			return fmt.Errorf("student %s: %w", r.ID, err)
		}
		w.begin(len(cols))
		w.text(r.ID)
		w.text(r.HouseholdID)
		w.text(r.SchoolID)
		w.int2(grade)
		w.int2(prio)
		w.boolean(r.HasDevice)
		w.boolean(r.CovidOrphan)
		w.text(r.FullName)
		w.dateOrNull(r.BirthDate)
		return nil
	})
}

// CopySectors writes base-station sectors into the sites table with binary
// COPY inside tx. An omni sector stores a NULL azimuth and a 360° beam; a
// zero range stores NULL (the coverage model decides).
func CopySectors(ctx context.Context, tx pgx.Tx, next Source[SectorRow]) (int64, error) {
	cols := []string{"sector_id", "site_id", "operator", "technology", "band_mhz", "antenna_height_m", "azimuth_deg", "beamwidth_deg", "range_m", "status", "h3", "geom"}
	return binaryCopy(ctx, tx, "sites", cols, next, func(w *copyWriter, r SectorRow) error {
		c, err := cellOf(r.Cell, r.Lat, r.Lon)
		if err != nil {
			return fmt.Errorf("sector %s: %w", r.ID, err)
		}
		band, err := int32Of("band_mhz", r.BandMHz)
		if err != nil {
			return fmt.Errorf("sector %s: %w", r.ID, err)
		}
		status := r.Status
		if status == "" {
			status = data.StatusActive
		}
		w.begin(len(cols))
		w.text(r.ID)
		w.text(r.SiteID)
		w.text(r.Operator)
		w.text(r.Technology)
		w.int4(band)
		w.float8(r.AntennaHeightM)
		beam := r.BeamwidthDeg
		if r.AzimuthDeg != nil {
			w.float8(*r.AzimuthDeg)
		} else {
			w.null()
			beam = 360
		}
		if beam <= 0 {
			beam = 360
		}
		w.float8(beam)
		if r.RangeM > 0 {
			w.float8(r.RangeM)
		} else {
			w.null()
		}
		w.text(status)
		w.int8(c)
		w.point(r.Lat, r.Lon)
		return nil
	})
}

// CopyFiberNodes writes fiber access nodes with binary COPY inside tx.
func CopyFiberNodes(ctx context.Context, tx pgx.Tx, next Source[FiberNodeRow]) (int64, error) {
	cols := []string{"node_id", "operator", "kind", "h3", "geom"}
	return binaryCopy(ctx, tx, "fiber_nodes", cols, next, func(w *copyWriter, r FiberNodeRow) error {
		c, err := cellOf(r.Cell, r.Lat, r.Lon)
		if err != nil {
			return fmt.Errorf("fiber node %s: %w", r.ID, err)
		}
		w.begin(len(cols))
		w.text(r.ID)
		w.text(r.Operator)
		w.text(r.Kind)
		w.int8(c)
		w.point(r.Lat, r.Lon)
		return nil
	})
}

// CopyFiberRoutes writes fiber routes (LineString) with binary COPY inside
// tx.
func CopyFiberRoutes(ctx context.Context, tx pgx.Tx, next Source[data.FiberRoute]) (int64, error) {
	return copyRows(ctx, tx, "fiber_routes", []string{"route_id", "operator", "geom"}, next, func(r data.FiberRoute, v []any) error {
		if len(r.Line) < 2 {
			return fmt.Errorf("fiber route %s: a line needs at least 2 points, got %d", r.ID, len(r.Line))
		}
		v[0], v[1], v[2] = r.ID, r.Operator, lineString(r.Line)
		return nil
	})
}

// CopyAreas writes areas (MultiPolygon, may be empty) with binary COPY
// inside tx. The parent link is checked at commit (DEFERRABLE), so the
// order of the rows does not matter.
func CopyAreas(ctx context.Context, tx pgx.Tx, next Source[data.Area]) (int64, error) {
	return copyRows(ctx, tx, "areas", []string{"code", "name", "level", "parent_code", "valid_from", "valid_to", "population", "households", "environment", "geom", "priority_tags"}, next, func(a data.Area, v []any) error {
		var g any // untyped nil: NULL
		if len(a.Geom) > 0 {
			g = multiPolygon(a.Geom)
		}
		v[0], v[1], v[2], v[3], v[4], v[5] = a.Code, a.Name, a.Level, text(a.ParentCode), date(a.ValidFrom), date(a.ValidTo)
		v[6], v[7], v[8], v[9] = a.Population, a.Households, a.Environment, g
		v[10] = a.PriorityTags
		if a.PriorityTags == nil {
			v[10] = []string{}
		}
		return nil
	})
}

func date(t *time.Time) pgtype.Date {
	if t == nil {
		return pgtype.Date{}
	}
	return pgtype.Date{Time: *t, Valid: true}
}

// CopyDevices writes devices with binary COPY inside tx. Each device's
// donor (by name) must exist: call EnsureDonors first, or rely on the
// deferred foreign key and call it before commit.
func CopyDevices(ctx context.Context, tx pgx.Tx, next Source[data.Device]) (int64, error) {
	return copyRows(ctx, tx, "devices", []string{"device_id", "donor_id", "type", "os", "os_version", "cpu_ghz", "ram_gb", "storage_gb", "free_storage_gb", "has_charger", "av_ok", "screen_ok", "keyboard_ok", "has_monitor", "wifi", "serial", "imei", "area_code", "cpu_model", "headphones", "battery_ok", "school_id", "received_on"}, next, func(d data.Device, v []any) error {
		var donor pgtype.Text
		if d.Donor != "" {
			donor = pgtype.Text{String: DonorID(d.Donor), Valid: true}
		}
		v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8] = d.ID, donor, d.Type, d.OS, d.OSVersion, d.CPUGHz, d.RAMGB, d.StorageGB, d.FreeStorageGB
		v[9], v[10], v[11], v[12], v[13], v[14] = d.HasCharger.Ptr(), d.AVOK.Ptr(), d.ScreenOK.Ptr(), d.KeyboardOK.Ptr(), d.HasMonitor.Ptr(), d.WiFi.Ptr()
		v[15], v[16], v[17], v[18] = d.Serial, d.IMEI, text(d.AreaCode), d.CPUModel
		v[19], v[20], v[21] = d.Headphones.Ptr(), d.BatteryOK.Ptr(), text(d.SchoolID)
		v[22] = date(d.ReceivedOn)
		return nil
	})
}

// CopySimPackages writes SIM-data packages with binary COPY inside tx;
// each package's donor (by name) must exist, as for CopyDevices.
func CopySimPackages(ctx context.Context, tx pgx.Tx, next Source[data.SimPackage]) (int64, error) {
	return copyRows(ctx, tx, "sim_packages", []string{"package_id", "operator", "gb_per_day", "months", "quantity", "area_code", "school_id", "donor_id", "received_on"}, next, func(p data.SimPackage, v []any) error {
		var donor pgtype.Text
		if p.Donor != "" {
			donor = pgtype.Text{String: DonorID(p.Donor), Valid: true}
		}
		v[0], v[1], v[2], v[3], v[4], v[5] = p.ID, p.Operator, p.GBPerDay, p.Months, p.Quantity, text(p.AreaCode)
		v[6], v[7], v[8] = text(p.SchoolID), donor, date(p.ReceivedOn)
		return nil
	})
}

// EnsureDonors inserts the donors named in names that are not stored yet
// (donor_id = DonorID(name); names that give the same id are one donor,
// stored under the first spelling seen) and returns how many were added.
func EnsureDonors(ctx context.Context, tx pgx.Tx, names []string) (int64, error) {
	seen := make(map[string]bool, len(names))
	ids := make([]string, 0, len(names))
	spell := make([]string, 0, len(names))
	for _, n := range names {
		if n == "" {
			continue
		}
		id := DonorID(n)
		if seen[id] {
			continue
		}
		seen[id] = true
		ids = append(ids, id)
		spell = append(spell, n)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	// A different id may already carry the same spelling: never happens
	// with DonorID, but keep the UNIQUE(name) constraint from failing the
	// import by skipping such names.
	tag, err := tx.Exec(ctx, `
		INSERT INTO donors (donor_id, name)
		SELECT u.id, u.name FROM unnest($1::text[], $2::text[]) AS u(id, name)
		WHERE NOT EXISTS (SELECT 1 FROM donors d WHERE d.name = u.name)
		ON CONFLICT (donor_id) DO NOTHING`, ids, spell)
	if err != nil {
		return 0, fmt.Errorf("add donors: %w%s", err, hintMigrate(err))
	}
	return tag.RowsAffected(), nil
}
