package importer

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/geo"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// tableSpec describes how one table kind is imported.
type tableSpec[T, R any] struct {
	kind, table, idCol string
	read               readFunc[T]
	// areas: what the kind needs of the areas (none, codes, the index).
	areas areaNeed
	// prep checks a record against the loaded data and turns it into the
	// row to write; false: it reported why the record is rejected.
	prep func(p *prep, row int, v T) (R, bool)
	copy func(p *prep, src postgis.Source[R]) (int64, error)
	// key returns the record's id and the ids it refers to (refs[i] is
	// checked against refChecks[i]).
	key       func(v T) (id string, refs [2]string)
	refChecks []refCheck
	// after runs after the COPY (e.g. donors).
	after func(p *prep) error
	// setup runs before the file is read (loads what prep needs from the
	// database: prep cannot query while COPY runs on the transaction).
	setup func(p *prep) error
}

type areaNeed int

const (
	noAreas areaNeed = iota
	areaCodes
	areaIndex
)

// refCheck is a reference column checked against another table.
type refCheck struct {
	col, table, refCol, kind string
}

// prep is the per-file state of the conversion stage. It runs on one
// goroutine: its errors are merged after the pipeline ends.
type prep struct {
	j          *job
	file       string
	areas      *areaSet
	errs       data.ValidationError
	warns      []data.FieldError
	warnsTrunc int
	donors     map[string]bool
	donorOrder []string // donor names in file order
	// scopeHouseholds: the households of the import's area scope (students).
	scopeHouseholds map[string]bool
}

// ownOperator reports a row of another operator than the import's scope.
func (p *prep) ownOperator(row int, op string) bool {
	if p.j.opts.Operator == "" || data.SameOperator(p.j.opts.Operator, op) {
		return true
	}
	p.fail(row, "operator", op, fmt.Sprintf("this row belongs to operator %s: you may import only rows of %s", op, p.j.opts.Operator))
	return false
}

// inArea reports a point located outside the import's area scope.
func (p *prep) inArea(row int, code string) bool {
	if p.j.inScope(code) {
		return true
	}
	p.fail(row, colAreaCode, code, fmt.Sprintf("area %s is outside your area %s: you may import only rows of %s and the areas below it",
		p.areas.label(code), p.areas.label(p.j.opts.AreaCode), p.j.opts.AreaCode))
	return false
}

// loadScopeHouseholds reads the households of the area scope.
func (p *prep) loadScopeHouseholds() error {
	if p.j.opts.AreaCode == "" {
		return nil
	}
	if _, err := p.j.areaCodes(false); err != nil {
		return err
	}
	rows, err := p.j.tx.Query(p.j.ctx, `SELECT household_id FROM households WHERE area_code = ANY($1::text[])`, p.j.scopeAreas())
	if err != nil {
		return fmt.Errorf("read the households of area %s: %w", p.j.opts.AreaCode, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("read the households of area %s: %w", p.j.opts.AreaCode, err)
	}
	p.scopeHouseholds = make(map[string]bool, len(ids))
	for _, id := range ids {
		p.scopeHouseholds[id] = true
	}
	return nil
}

// intColumn is a whole-number column and the range the database stores:
// its type's (integer, smallint) narrowed by its CHECK constraint.
type intColumn struct {
	name     string // as the file's canonical header writes it
	v        int
	min, max int64
}

const maxInteger = math.MaxInt32 // PostgreSQL integer

// inRange reports, as ordinary row errors, the numbers the database could
// not store (beyond the column's type or its CHECK range), so that they
// never reach COPY, which would reject the whole file without a row.
func (p *prep) inRange(row int, cols ...intColumn) bool {
	ok := true
	for _, c := range cols {
		if int64(c.v) < c.min || int64(c.v) > c.max {
			p.fail(row, c.name, strconv.Itoa(c.v), fmt.Sprintf("%s %d is out of range: it must be from %d to %d", c.name, c.v, c.min, c.max))
			ok = false
		}
	}
	return ok
}

func (p *prep) fail(row int, col, val, reason string) {
	p.errs.Add(data.FieldError{File: p.file, Row: row, Column: col, Value: val, Reason: reason})
}

func (p *prep) warn(row int, col, val, reason string) {
	if len(p.warns) >= maxWarnings {
		p.warnsTrunc++
		return
	}
	p.warns = append(p.warns, data.FieldError{File: p.file, Row: row, Column: col, Value: val, Reason: reason})
}

func (p *prep) cell(row int, lat, lon float64) (geo.Cell, bool) {
	c, err := geo.CellOf(lat, lon, geo.AnalysisRes)
	if err != nil {
		p.fail(row, colLatLon, coordValue(lat, lon), "cannot compute the H3 cell of this point: "+err.Error())
		return 0, false
	}
	return c, true
}

func schoolSpec() *tableSpec[data.School, postgis.SchoolRow] {
	return &tableSpec[data.School, postgis.SchoolRow]{
		kind: format.KindSchools, table: "schools", idCol: "school_id", read: format.ReadSchools, areas: areaIndex,
		prep: func(p *prep, row int, s data.School) (postgis.SchoolRow, bool) {
			if !p.inRange(row, intColumn{"students", s.Students, 0, maxInteger}) {
				return postgis.SchoolRow{}, false
			}
			code, ok := p.locate(row, s.Lat, s.Lon, s.AreaCode)
			if !ok || !p.inArea(row, code) {
				return postgis.SchoolRow{}, false
			}
			s.AreaCode = code
			c, ok := p.cell(row, s.Lat, s.Lon)
			return postgis.SchoolRow{School: s, Cell: c}, ok
		},
		copy: func(p *prep, src postgis.Source[postgis.SchoolRow]) (int64, error) {
			return postgis.CopySchools(p.j.ctx, p.j.tx, src)
		},
		key: func(s data.School) (string, [2]string) { return s.ID, [2]string{} },
	}
}

func householdSpec() *tableSpec[data.Household, postgis.HouseholdRow] {
	return &tableSpec[data.Household, postgis.HouseholdRow]{
		kind: format.KindHouseholds, table: "households", idCol: "household_id", read: format.ReadHouseholds, areas: areaIndex,
		prep: func(p *prep, row int, h data.Household) (postgis.HouseholdRow, bool) {
			if !p.inRange(row, intColumn{"members", h.Members, 1, 100}) {
				return postgis.HouseholdRow{}, false
			}
			code, ok := p.locate(row, h.Lat, h.Lon, h.AreaCode)
			if !ok || !p.inArea(row, code) {
				return postgis.HouseholdRow{}, false
			}
			h.AreaCode = code
			c, ok := p.cell(row, h.Lat, h.Lon)
			return postgis.HouseholdRow{Household: h, Cell: c}, ok
		},
		copy: func(p *prep, src postgis.Source[postgis.HouseholdRow]) (int64, error) {
			return postgis.CopyHouseholds(p.j.ctx, p.j.tx, src)
		},
		key: func(h data.Household) (string, [2]string) { return h.ID, [2]string{} },
	}
}

func studentSpec() *tableSpec[data.Student, data.Student] {
	return &tableSpec[data.Student, data.Student]{
		kind: format.KindStudents, table: "students", idCol: "student_id", read: format.ReadStudents,
		prep: func(p *prep, row int, s data.Student) (data.Student, bool) {
			if !p.inRange(row, intColumn{"grade", s.Grade, 0, 20}, intColumn{"priority", s.Priority, 0, 3}) {
				return s, false
			}
			if p.scopeHouseholds != nil && !p.scopeHouseholds[s.HouseholdID] {
				p.fail(row, "household_id", s.HouseholdID, fmt.Sprintf("household %s is not a household of your area %s: you may import only students living in %s and the areas below it",
					s.HouseholdID, p.j.opts.AreaCode, p.j.opts.AreaCode))
				return s, false
			}
			return s, true
		},
		setup: (*prep).loadScopeHouseholds,
		copy: func(p *prep, src postgis.Source[data.Student]) (int64, error) {
			return postgis.CopyStudents(p.j.ctx, p.j.tx, src)
		},
		key: func(s data.Student) (string, [2]string) { return s.ID, [2]string{s.HouseholdID, s.SchoolID} },
		refChecks: []refCheck{
			{col: "household_id", table: "households", refCol: "household_id", kind: format.KindHouseholds},
			{col: "school_id", table: "schools", refCol: "school_id", kind: format.KindSchools},
		},
	}
}

func sectorSpec() *tableSpec[data.Sector, postgis.SectorRow] {
	return &tableSpec[data.Sector, postgis.SectorRow]{
		kind: format.KindSites, table: "sites", idCol: "sector_id", read: format.ReadSites,
		prep: func(p *prep, row int, s data.Sector) (postgis.SectorRow, bool) {
			if !p.inRange(row, intColumn{"band_mhz", s.BandMHz, 1, 100000}) {
				return postgis.SectorRow{}, false
			}
			if !p.ownOperator(row, s.Operator) {
				return postgis.SectorRow{}, false
			}
			c, ok := p.cell(row, s.Lat, s.Lon)
			return postgis.SectorRow{Sector: s, Cell: c}, ok
		},
		copy: func(p *prep, src postgis.Source[postgis.SectorRow]) (int64, error) {
			return postgis.CopySectors(p.j.ctx, p.j.tx, src)
		},
		key: func(s data.Sector) (string, [2]string) { return s.ID, [2]string{} },
	}
}

func fiberNodeSpec() *tableSpec[data.FiberNode, postgis.FiberNodeRow] {
	return &tableSpec[data.FiberNode, postgis.FiberNodeRow]{
		kind: format.KindFiberNodes, table: "fiber_nodes", idCol: "node_id", read: format.ReadFiberNodes,
		prep: func(p *prep, row int, n data.FiberNode) (postgis.FiberNodeRow, bool) {
			if !p.ownOperator(row, n.Operator) {
				return postgis.FiberNodeRow{}, false
			}
			c, ok := p.cell(row, n.Lat, n.Lon)
			return postgis.FiberNodeRow{FiberNode: n, Cell: c}, ok
		},
		copy: func(p *prep, src postgis.Source[postgis.FiberNodeRow]) (int64, error) {
			return postgis.CopyFiberNodes(p.j.ctx, p.j.tx, src)
		},
		key: func(n data.FiberNode) (string, [2]string) { return n.ID, [2]string{} },
	}
}

func fiberRouteSpec() *tableSpec[data.FiberRoute, data.FiberRoute] {
	return &tableSpec[data.FiberRoute, data.FiberRoute]{
		kind: format.KindFiberRoutes, table: "fiber_routes", idCol: "route_id", read: format.ReadFiberRoutes,
		prep: func(p *prep, row int, r data.FiberRoute) (data.FiberRoute, bool) {
			if !p.ownOperator(row, r.Operator) {
				return r, false
			}
			if len(r.Line) < 2 {
				p.fail(row, "geometry", "", "a route needs a line of at least 2 points")
				return r, false
			}
			return r, true
		},
		copy: func(p *prep, src postgis.Source[data.FiberRoute]) (int64, error) {
			return postgis.CopyFiberRoutes(p.j.ctx, p.j.tx, src)
		},
		key: func(r data.FiberRoute) (string, [2]string) { return r.ID, [2]string{} },
	}
}

func coveragePolygonSpec() *tableSpec[data.OperatorPolygon, data.OperatorPolygon] {
	return &tableSpec[data.OperatorPolygon, data.OperatorPolygon]{
		kind: format.KindCoveragePolygons, table: "coverage_polygons", idCol: "polygon_id", read: format.ReadCoveragePolygons,
		prep: func(p *prep, row int, v data.OperatorPolygon) (data.OperatorPolygon, bool) {
			return v, p.ownOperator(row, v.Operator)
		},
		copy: func(p *prep, src postgis.Source[data.OperatorPolygon]) (int64, error) {
			return postgis.CopyCoveragePolygons(p.j.ctx, p.j.tx, src)
		},
		key: func(v data.OperatorPolygon) (string, [2]string) { return v.ID, [2]string{} },
	}
}

func measurementSpec() *tableSpec[data.Measurement, data.Measurement] {
	return &tableSpec[data.Measurement, data.Measurement]{
		kind: format.KindMeasurements, table: "measurements", idCol: "measurement_id", read: format.ReadMeasurements,
		prep: func(p *prep, row int, m data.Measurement) (data.Measurement, bool) {
			if !p.ownOperator(row, m.Operator) {
				return m, false
			}
			_, ok := p.cell(row, m.Lat, m.Lon)
			return m, ok
		},
		copy: func(p *prep, src postgis.Source[data.Measurement]) (int64, error) {
			return postgis.CopyMeasurements(p.j.ctx, p.j.tx, src)
		},
		key: func(m data.Measurement) (string, [2]string) { return m.ID, [2]string{} },
	}
}

func deviceSpec() *tableSpec[data.Device, data.Device] {
	return &tableSpec[data.Device, data.Device]{
		kind: format.KindDevices, table: "devices", idCol: "device_id", read: format.ReadDevices, areas: areaCodes,
		prep: func(p *prep, row int, d data.Device) (data.Device, bool) {
			if !p.checkArea(row, d.AreaCode) {
				return d, false
			}
			if d.Donor != "" && !p.donors[d.Donor] {
				p.donors[d.Donor] = true
				p.donorOrder = append(p.donorOrder, d.Donor)
			}
			return d, true
		},
		copy: func(p *prep, src postgis.Source[data.Device]) (int64, error) {
			return postgis.CopyDevices(p.j.ctx, p.j.tx, src)
		},
		key: func(d data.Device) (string, [2]string) { return d.ID, [2]string{d.SchoolID} },
		refChecks: []refCheck{
			{col: "school_id", table: "schools", refCol: "school_id", kind: format.KindSchools},
		},
		after: func(p *prep) error {
			// A donor written several ways is stored under its first
			// spelling in the file.
			_, err := postgis.EnsureDonors(p.j.ctx, p.j.tx, p.donorOrder)
			return err
		},
	}
}

func simPackageSpec() *tableSpec[data.SimPackage, data.SimPackage] {
	return &tableSpec[data.SimPackage, data.SimPackage]{
		kind: format.KindSimPackages, table: "sim_packages", idCol: "package_id", read: format.ReadSimPackages, areas: areaCodes,
		prep: func(p *prep, row int, s data.SimPackage) (data.SimPackage, bool) {
			if !p.inRange(row, intColumn{"months", s.Months, 1, 120}, intColumn{"quantity", s.Quantity, 0, maxInteger}) {
				return s, false
			}
			if !p.checkArea(row, s.AreaCode) {
				return s, false
			}
			if s.Donor != "" && !p.donors[s.Donor] {
				p.donors[s.Donor] = true
				p.donorOrder = append(p.donorOrder, s.Donor)
			}
			return s, true
		},
		copy: func(p *prep, src postgis.Source[data.SimPackage]) (int64, error) {
			return postgis.CopySimPackages(p.j.ctx, p.j.tx, src)
		},
		key: func(s data.SimPackage) (string, [2]string) { return s.ID, [2]string{s.SchoolID} },
		refChecks: []refCheck{
			{col: "school_id", table: "schools", refCol: "school_id", kind: format.KindSchools},
		},
		after: func(p *prep) error {
			_, err := postgis.EnsureDonors(p.j.ctx, p.j.tx, p.donorOrder)
			return err
		},
	}
}

// newPrep returns the conversion state for one pass over a file, or false
// when the file cannot be imported at all (reported in j.errs).
func (j *job) newPrep(file string, need areaNeed) (*prep, bool, error) {
	p := &prep{j: j, file: file, donors: map[string]bool{}}
	if need == noAreas {
		return p, true, nil
	}
	a, err := j.areaCodes(need == areaIndex)
	if err != nil {
		return nil, false, err
	}
	if need == areaIndex && len(a.parent) == 0 {
		j.errs.Add(data.FieldError{File: file, Reason: "no areas are loaded in the database: import the areas (GeoJSON boundaries) first, or in the same directory"})
		return nil, false, nil
	}
	p.areas = a
	return p, true, nil
}

func (j *job) addAll(v *data.ValidationError) {
	for _, e := range v.Errors {
		j.errs.Add(e)
	}
	j.errs.Truncated += v.Truncated
}

func isFileErr(err error, ferrs *data.ValidationError) bool {
	var ve *data.ValidationError
	return errors.As(err, &ve) && ve == ferrs
}

func asPgError(err error) *pgconn.PgError {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}

// dataError reports whether pe is about the data (SQLSTATE classes 22,
// data exception, and 23, integrity constraint violation) rather than the
// server (disk full, connection lost…).
func dataError(pe *pgconn.PgError) bool {
	return strings.HasPrefix(pe.Code, "22") || strings.HasPrefix(pe.Code, "23")
}

func (j *job) exec(sql string) error {
	if _, err := j.tx.Exec(j.ctx, sql); err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}

// runTable imports one table file: the fast path (COPY straight into the
// table, in bulk mode when the table is empty and the file large), then,
// only if the database rejected a row, the diagnostic pass.
func runTable[T, R any](j *job, path string, sum *Summary, sp *tableSpec[T, R]) error {
	p, ok, err := j.newPrep(sum.File, sp.areas)
	if err != nil || !ok {
		return err
	}
	if sp.setup != nil {
		if err := sp.setup(p); err != nil {
			return err
		}
	}
	if err := j.exec("SAVEPOINT gapmap_file"); err != nil {
		return err
	}
	var bl *postgis.BulkLoad
	bulk, err := j.useBulk(sp.table, path)
	if err != nil {
		return err
	}
	if bulk {
		bl, err = postgis.PrepareBulkLoad(j.ctx, j.tx, sp.table)
		if err != nil {
			// A cancellation or a conflict with another transaction is
			// the import's error, never hidden behind a fallback.
			if j.ctx.Err() != nil {
				return j.ctx.Err()
			}
			if postgis.IsRetryable(err) {
				return err
			}
			// Not the owner of the table, or a deferred check of an earlier
			// file failed: load with the keys in place instead.
			if rerr := j.exec("ROLLBACK TO SAVEPOINT gapmap_file"); rerr != nil {
				return fmt.Errorf("%w (after: %v)", rerr, err)
			}
			bl = nil
		}
	}
	sum.Bulk = bl != nil
	ferrs := &data.ValidationError{}
	var copied int64
	nread, _, dbErr := pipeline(j.ctx, sp.read, path, ferrs,
		func(row int, v T) (R, bool) { return sp.prep(p, row, v) },
		j.opts.Progress,
		func(src postgis.Source[R]) error {
			n, err := sp.copy(p, src)
			copied = n
			return err
		})
	if dbErr == nil && sp.after != nil {
		dbErr = sp.after(p)
	}
	if dbErr == nil && bl != nil {
		dbErr = bl.Finish(j.ctx)
	}
	sum.Rows = nread
	if dbErr != nil {
		pe := asPgError(dbErr)
		if pe == nil || j.ctx.Err() != nil || !dataError(pe) {
			return dbErr
		}
		// The database rejected a row: find every such row.
		if err := j.exec("ROLLBACK TO SAVEPOINT gapmap_file"); err != nil {
			return err
		}
		j.failed[sp.table] = true
		sum.Bulk = false
		return diagnose(j, path, sum, sp, pe)
	}
	if err := j.exec("RELEASE SAVEPOINT gapmap_file"); err != nil {
		return err
	}
	sum.Inserted = copied
	// The reader's warnings (e.g. the encoding it assumed) come first.
	sum.Warnings, sum.WarningsTruncated = append(ferrs.Warnings, p.warns...), p.warnsTrunc
	j.addAll(ferrs)
	j.addAll(&p.errs)
	return nil
}

// useBulk decides the bulk path: an empty table, a large file, and no
// error so far in this transaction (a bulk load runs the deferred checks of
// the earlier files, which must not fail for their own reasons here).
// An error reading the table is returned, not taken for "not empty": it
// has aborted the transaction, and every later statement would only say
// so.
func (j *job) useBulk(table, path string) (bool, error) {
	switch j.opts.bulk {
	case bulkNever:
		return false, nil
	case bulkAuto:
		st, err := os.Stat(path)
		if err != nil || st.Size() < bulkMinBytes {
			return false, nil
		}
	}
	if j.errs.Len() > 0 || !j.mayBulk {
		return false, nil
	}
	return postgis.IsEmpty(j.ctx, j.tx, table)
}

// stageRow is a record as the diagnostic pass stores it.
type stageRow struct {
	row  int
	id   string
	refs [2]string
}

// copyLine returns the tuple number of a COPY error context ("COPY
// households, line 42[, column …]").
func copyLine(where string) (int64, bool) {
	_, rest, ok := strings.Cut(where, ", line ")
	if !ok || !strings.HasPrefix(where, "COPY ") {
		return 0, false
	}
	end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if end >= 0 {
		rest = rest[:end]
	}
	n, err := strconv.ParseInt(rest, 10, 64)
	return n, err == nil
}

// diagnose reads the file again into a temporary staging table and finds,
// with set-based queries, every row the database would reject: ids that
// already exist, references to missing rows. The file's own errors are
// collected again on the way. fast is the error of the fast path: if no
// query explains it, it is reported as it is, on its row when COPY said
// which.
func diagnose[T, R any](j *job, path string, sum *Summary, sp *tableSpec[T, R], fast *pgconn.PgError) error {
	p, ok, err := j.newPrep(sum.File, sp.areas)
	if err != nil || !ok {
		return err
	}
	if sp.setup != nil {
		if err := sp.setup(p); err != nil {
			return err
		}
	}
	for _, q := range []string{
		`CREATE TEMP TABLE IF NOT EXISTS gapmap_import_stage (seq bigint, row integer, id text COLLATE "C", ref0 text COLLATE "C", ref1 text COLLATE "C") ON COMMIT DROP`,
		`TRUNCATE gapmap_import_stage`,
	} {
		if err := j.exec(q); err != nil {
			return err
		}
	}
	ferrs := &data.ValidationError{}
	var seq int64
	_, _, err = pipeline(j.ctx, sp.read, path, ferrs,
		func(row int, v T) (stageRow, bool) {
			if _, ok := sp.prep(p, row, v); !ok {
				return stageRow{}, false
			}
			id, refs := sp.key(v)
			return stageRow{row: row, id: id, refs: refs}, true
		},
		nil,
		func(src postgis.Source[stageRow]) error {
			vals := make([]any, 5)
			_, err := j.tx.CopyFrom(j.ctx, pgx.Identifier{"gapmap_import_stage"}, []string{"seq", "row", "id", "ref0", "ref1"},
				pgx.CopyFromFunc(func() ([]any, error) {
					r, ok, err := src()
					if err != nil || !ok {
						return nil, err
					}
					seq++
					vals[0], vals[1], vals[2], vals[3], vals[4] = seq, int32(r.row), r.id, nullable(r.refs[0]), nullable(r.refs[1])
					return vals, nil
				}))
			return err
		})
	if err != nil {
		return fmt.Errorf("check %s against the database: %w", sum.File, err)
	}
	var found []data.FieldError
	add := func(row int, col, val, reason string) {
		found = append(found, data.FieldError{File: sum.File, Row: row, Column: col, Value: val, Reason: reason})
	}
	// Ids already in the database.
	q := fmt.Sprintf(`SELECT s.row, s.id FROM gapmap_import_stage s WHERE EXISTS (SELECT 1 FROM %s t WHERE t.%s = s.id) ORDER BY s.row`,
		pgx.Identifier{sp.table}.Sanitize(), pgx.Identifier{sp.idCol}.Sanitize())
	if err := eachRowID(j, q, func(row int, id string) {
		add(row, sp.idCol, id, fmt.Sprintf("%s %s already exists in the database: remove the row, or replace the existing rows with this file", sp.idCol, id))
	}); err != nil {
		return err
	}
	// References to missing rows.
	var skipped []string
	for i, rc := range sp.refChecks {
		if j.failed[rc.table] {
			skipped = append(skipped, rc.kind) // its file failed: every reference would be reported
			continue
		}
		ref := "ref" + strconv.Itoa(i)
		q := fmt.Sprintf(`SELECT s.row, s.%[1]s FROM gapmap_import_stage s WHERE s.%[1]s IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM %[2]s t WHERE t.%[3]s = s.%[1]s) ORDER BY s.row`,
			ref, pgx.Identifier{rc.table}.Sanitize(), pgx.Identifier{rc.refCol}.Sanitize())
		if err := eachRowID(j, q, func(row int, id string) {
			add(row, rc.col, id, fmt.Sprintf("%s %s does not exist: import the %s first (or in the same directory), or fix the id", rc.col, id, rc.kind))
		}); err != nil {
			return err
		}
	}
	if len(found) == 0 && len(skipped) > 0 {
		add(0, "", "", fmt.Sprintf("not checked against the %s, whose file has errors: fix them and import again", strings.Join(skipped, " and ")))
	}
	if len(found) == 0 {
		// Nothing explains the fast path's error: report it as it is.
		e := data.FieldError{File: sum.File, Reason: "the database rejected the file: " + pgMessage(fast)}
		if n, ok := copyLine(fast.Where); ok {
			var row int32
			if err := j.tx.QueryRow(j.ctx, `SELECT row FROM gapmap_import_stage WHERE seq = $1`, n).Scan(&row); err == nil {
				e.Row = int(row)
				e.Reason = "the database rejected this row: " + pgMessage(fast)
			}
		}
		if fast.ColumnName != "" {
			e.Column = fast.ColumnName
		}
		found = append(found, e)
	}
	// The reader's warnings (e.g. the encoding it assumed) come first.
	sum.Warnings, sum.WarningsTruncated = append(ferrs.Warnings, p.warns...), p.warnsTrunc
	j.addAll(ferrs)
	j.addAll(&p.errs)
	for _, e := range found {
		j.errs.Add(e)
	}
	return nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func eachRowID(j *job, q string, fn func(row int, id string)) error {
	rows, err := j.tx.Query(j.ctx, q)
	if err != nil {
		return fmt.Errorf("check against the database: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var row int32
		var id string
		if err := rows.Scan(&row, &id); err != nil {
			return fmt.Errorf("check against the database: %w", err)
		}
		fn(int(row), id)
	}
	return rows.Err()
}
