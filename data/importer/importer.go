// Package importer loads users' files into the PostGIS store, all or
// nothing, reporting every problem of a file at once.
//
// A file is read by data/format, which checks each row on its own (numbers,
// Vietnam's extent, enumerations, required fields, duplicates inside the
// file). The importer adds what needs the database or other data:
//
//   - ids that already exist in the database;
//   - references: a student's household and school, an area_code of a
//     school, household, device or SIM package, an area's parent;
//   - areas: no cycles in the parent links, valid geometry (ST_IsValid; an
//     invalid boundary is repaired — each part ST_MakeValid, the parts
//     merged — and a warning gives the area before and after; one that
//     repairs to nothing is an error);
//   - points: schools and households get their area by point-in-polygon
//     against the areas in the database (the deepest area containing the
//     point), and their H3 cell at the analysis resolution.
//
// # The area of a point
//
// A school or household without an area_code gets the deepest loaded area
// containing it; a point in no area is an error ("in no area"). When the
// file gives an area_code, it must exist; the file is trusted over the
// boundaries (boundaries are older and coarser than registers: slivers, a
// 232 km² hole in the Bắc Giang communes), with two refinements: when the
// point lies in a descendant of the given area (the file gives a district,
// the point is in one of its communes) the deeper area is stored; when the
// point lies in an area unrelated to the given one, or in none, the given
// code is kept and a warning says so.
//
// # All or nothing
//
// Every import runs in one transaction; any error rolls it back and the
// result is a *data.ValidationError listing every problem (file, row,
// column, value, reason). A dry run does everything, including the
// database checks, and rolls back. ImportDir imports a whole directory in
// one transaction (each file in a savepoint), so a directory is all or
// nothing too, and later files are checked against the earlier ones.
//
// # Speed
//
// Rows stream from the file through a pipeline of goroutines with bounded
// channels (parse → area lookup and H3 → binary COPY into the table), so
// memory stays flat whatever the file size. Database checks cost nothing
// on the fast path: the table's keys and foreign keys check every row as
// COPY writes it. If COPY fails on a key, the file's savepoint is rolled
// back and the file is read a second time into a temporary staging table,
// where set-based queries (anti-joins) find every offending row at once.
// A large file going into an empty table is bulk-loaded: the table's
// indexes and keys are dropped and re-created after the COPY, as the
// PostgreSQL manual recommends for populating a database (see
// postgis.BulkLoad).
//
// Errors of the importer's own checks name columns by their canonical
// English names (school_id, lat, …); errors from data/format name them as
// written in the file.
package importer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Options tune an import.
type Options struct {
	// DryRun validates everything, database checks included, and writes
	// nothing.
	DryRun bool
	// Replace deletes the rows of the kind before importing (ImportDir:
	// every table), in the same transaction.
	Replace bool
	// Progress, when set, is called with the number of rows done so far of
	// the current file, every few thousand rows and at the end of a file.
	// Calls come from the import's goroutines, one at a time.
	Progress func(rowsDone int64)
	// OnFile, when set, is called as each file starts (kind, base name).
	OnFile func(kind, file string)
	// Operator scopes the import to one operator's network (an operator's
	// upload, or --operator): only network kinds (sites, fiber nodes and
	// routes, coverage polygons, measurements) may be imported, a row of
	// another operator is a row error, and Replace deletes only this
	// operator's rows. VNPT and VinaPhone are one operator
	// (data.SameOperator).
	Operator string
	// AreaCode scopes the import to one area and its descendants (an
	// officer's upload): only schools, households and students may be
	// imported, a school or household located outside the area, or a
	// student whose household is outside it, is a row error, and Replace
	// deletes only the rows of the area.
	AreaCode string

	bulk bulkPolicy // tests force one path or the other
}

type bulkPolicy int

const (
	bulkAuto   bulkPolicy = iota // empty table and a file of bulkMinBytes or more
	bulkNever                    // always COPY with the keys in place
	bulkAlways                   // whenever the table is empty
)

// bulkMinBytes is the file size from which an empty table is bulk-loaded
// (≈ 5 000 households or students in CSV; below it the few milliseconds of
// DDL cost more than they save).
const bulkMinBytes = 256 << 10

// Summary describes one imported file.
type Summary struct {
	Kind, File string
	// Rows is the number of records read that passed the file's own checks.
	Rows int64
	// Inserted is the number of rows written (on a dry run: that would have
	// been written; nothing is committed).
	Inserted int64
	Duration time.Duration
	// Warnings are problems that did not stop the import (e.g. a point
	// outside the area its area_code names). At most 1000 are kept;
	// WarningsTruncated counts the others.
	Warnings          []data.FieldError
	WarningsTruncated int
	DryRun            bool
	// Bulk reports that the table was empty and loaded with its indexes
	// re-created afterwards.
	Bulk bool
}

// maxWarnings bounds the warnings kept per file.
const maxWarnings = 1000

// String is the one-line summary the CLI prints, e.g.
// "households.csv: imported 480,000 households in 1.9s (252,631 rows/s)".
func (s Summary) String() string {
	var b strings.Builder
	b.WriteString(s.File + ": ")
	if s.DryRun {
		fmt.Fprintf(&b, "dry run: %s %s valid, nothing written", humanInt(s.Inserted), s.Kind)
	} else {
		fmt.Fprintf(&b, "imported %s %s", humanInt(s.Inserted), s.Kind)
	}
	fmt.Fprintf(&b, " in %s", s.Duration.Round(time.Millisecond))
	if s.Duration > 0 && s.Rows > 0 {
		fmt.Fprintf(&b, " (%s rows/s)", humanInt(int64(float64(s.Rows)/s.Duration.Seconds())))
	}
	if n := len(s.Warnings) + s.WarningsTruncated; n > 0 {
		fmt.Fprintf(&b, ", %d warning(s)", n)
	}
	return b.String()
}

func humanInt(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return s
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Kinds lists the kinds Import accepts, in dependency order.
func Kinds() []string { return format.Kinds() }

// Import imports one file of kind into the store, all or nothing. A
// problem with the data is returned as a *data.ValidationError (nothing was
// written); other errors are operational (database unreachable, cancelled).
func Import(ctx context.Context, store *postgis.Store, kind, path string, opts Options) (Summary, error) {
	if !knownKind(kind) {
		return Summary{}, unknownKind(kind)
	}
	if err := checkScope(kind, opts); err != nil {
		return Summary{}, err
	}
	j, err := begin(ctx, store, opts)
	if err != nil {
		return Summary{}, err
	}
	defer j.rollback()
	if opts.Replace {
		if err := j.deleteKind(kind); err != nil {
			return Summary{}, err
		}
	}
	sum, err := j.importFile(kind, path)
	if err != nil {
		return sum, err
	}
	if err := j.finish(); err != nil {
		return sum, err
	}
	return sum, nil
}

// ImportDir imports every known file of dir — <kind>.csv, .xlsx or .csv.gz
// for tables, <kind>.geojson or .json for areas and fiber routes — in
// dependency order, in one transaction: the directory is all or nothing.
// Every file is checked even after one fails, so one run shows every
// problem; rows of a file with errors stay visible to the later files of
// the run (so a student is not reported for a household that was only
// rejected for its own reason) unless the file failed on a database key.
func ImportDir(ctx context.Context, store *postgis.Store, dir string, opts Options) ([]Summary, error) {
	files, err := dirFiles(dir)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if err := checkScope(f.kind, opts); err != nil {
			return nil, err
		}
	}
	j, err := begin(ctx, store, opts)
	if err != nil {
		return nil, err
	}
	defer j.rollback()
	if opts.Replace {
		if err := j.replaceAll(); err != nil {
			return nil, err
		}
	}
	var sums []Summary
	for _, f := range files {
		sum, err := j.importFile(f.kind, f.path)
		if err != nil {
			return sums, err
		}
		sums = append(sums, sum)
	}
	if err := j.finish(); err != nil {
		return sums, err
	}
	return sums, nil
}

type kindFile struct{ kind, path string }

// dirFiles finds the known files of dir in import order.
func dirFiles(dir string) ([]kindFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read the directory %s: %w", dir, err)
	}
	byName := make(map[string]string, len(entries))
	for _, e := range entries {
		if !e.IsDir() {
			byName[strings.ToLower(e.Name())] = e.Name()
		}
	}
	errs := &data.ValidationError{}
	var out []kindFile
	for _, kind := range Kinds() {
		exts := []string{".csv", ".xlsx", ".csv.gz"}
		if format.IsGeoJSON(kind) {
			exts = []string{".geojson", ".json"}
		}
		var found []string
		for _, ext := range exts {
			if n, ok := byName[kind+ext]; ok {
				found = append(found, n)
			}
		}
		switch len(found) {
		case 0:
		case 1:
			out = append(out, kindFile{kind, filepath.Join(dir, found[0])})
		default:
			errs.Add(data.FieldError{File: found[0], Reason: fmt.Sprintf("%s are all present: keep only one %s file", strings.Join(found, " and "), kind)})
		}
	}
	if len(out) == 0 && errs.Len() == 0 {
		var want []string
		for _, k := range Kinds() {
			ext := ".csv"
			if format.IsGeoJSON(k) {
				ext = ".geojson"
			}
			want = append(want, k+ext)
		}
		errs.Add(data.FieldError{File: filepath.Base(dir), Reason: "no input file found: expected one or more of " + strings.Join(want, ", ") + " (tables may also be .xlsx)"})
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// unknownKind is the error for a kind that is not imported: a
// *data.NotFoundError naming the known kinds.
func unknownKind(kind string) error {
	return fmt.Errorf("%w: use one of %s", &data.NotFoundError{Kind: "import kind", ID: kind}, strings.Join(Kinds(), ", "))
}

func knownKind(kind string) bool {
	for _, k := range Kinds() {
		if k == kind {
			return true
		}
	}
	return false
}

// job is one transaction of imports.
type job struct {
	ctx   context.Context
	store *postgis.Store
	tx    pgx.Tx
	opts  Options
	errs  *data.ValidationError // every file's errors
	areas *areaSet              // loaded on first use; reset by an areas import
	// failed holds the tables whose file failed on a database key: later
	// files skip reference checks against them (every reference would be
	// reported otherwise).
	failed map[string]bool
	done   bool
}

func begin(ctx context.Context, store *postgis.Store, opts Options) (*job, error) {
	tx, err := store.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return &job{ctx: ctx, store: store, tx: tx, opts: opts, errs: &data.ValidationError{}, failed: map[string]bool{}}, nil
}

func (j *job) rollback() {
	if !j.done {
		_ = j.tx.Rollback(context.WithoutCancel(j.ctx))
	}
}

// finish commits, or rolls back on a dry run or when errors were found.
func (j *job) finish() error {
	j.done = true
	if j.errs.Len() > 0 {
		_ = j.tx.Rollback(j.ctx)
		return j.errs
	}
	if j.opts.DryRun {
		return j.tx.Rollback(j.ctx)
	}
	if err := j.tx.Commit(j.ctx); err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			// A deferred check failed at commit: our own checks should
			// have caught it first.
			return &data.ValidationError{Errors: []data.FieldError{{Reason: "the database rejected the import at commit: " + pgMessage(pe)}}}
		}
		return fmt.Errorf("commit the import: %w", err)
	}
	return nil
}

// sortByRow orders the errors of one file by row (stable: a row's errors
// keep the order they were found in).
func sortByRow(errs []data.FieldError) {
	sort.SliceStable(errs, func(a, b int) bool { return errs[a].Row < errs[b].Row })
}

// deleteKind empties the table of kind (Replace on one file).
func (j *job) deleteKind(kind string) error {
	table, _, err := postgis.TableOf(kind)
	if err != nil {
		return err
	}
	if j.opts.AreaCode != "" {
		if _, err := j.areaCodes(false); err != nil {
			return err
		}
	}
	sql, args := "DELETE FROM "+pgx.Identifier{table}.Sanitize(), []any(nil)
	switch {
	case j.opts.Operator != "":
		sql, args = sql+" WHERE operator = ANY($1::text[])", []any{data.OperatorAliases(j.opts.Operator)}
	case j.opts.AreaCode != "" && kind == format.KindStudents:
		sql, args = sql+` WHERE household_id IN (SELECT household_id FROM households WHERE area_code = ANY($1::text[]))`, []any{j.scopeAreas()}
	case j.opts.AreaCode != "":
		sql, args = sql+" WHERE area_code = ANY($1::text[])", []any{j.scopeAreas()}
	}
	if _, err := j.tx.Exec(j.ctx, sql, args...); err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23503" {
			return &data.ValidationError{Errors: []data.FieldError{{File: kind, Reason: fmt.Sprintf(
				"cannot replace the %s: rows of %s refer to them; replace them together (a whole directory) or delete those rows first",
				kind, pe.TableName)}}}
		}
		return fmt.Errorf("replace %s: %w", kind, err)
	}
	return nil
}

// networkKinds are the kinds an operator owns.
func networkKinds() []string {
	return []string{format.KindSites, format.KindFiberNodes, format.KindFiberRoutes, format.KindCoveragePolygons, format.KindMeasurements}
}

// areaKinds are the kinds an officer imports for its area.
func areaKinds() []string {
	return []string{format.KindSchools, format.KindHouseholds, format.KindStudents}
}

// checkScope refuses a kind outside the import's scope.
func checkScope(kind string, opts Options) error {
	if opts.Operator != "" && opts.AreaCode != "" {
		return errors.New("an import is scoped to an operator or to an area, not both")
	}
	if opts.Operator != "" && !slices.Contains(networkKinds(), kind) {
		return fmt.Errorf("%s are not an operator's network: an import for one operator takes only %s: %w",
			kind, strings.Join(networkKinds(), ", "), data.ErrForbidden)
	}
	if opts.AreaCode != "" && !slices.Contains(areaKinds(), kind) {
		return fmt.Errorf("an import for one area takes only %s, not %s: %w", strings.Join(areaKinds(), ", "), kind, data.ErrForbidden)
	}
	return nil
}

// scopeAreas returns the scope area and its descendants (areas must be
// loaded).
func (j *job) scopeAreas() []string {
	out := []string{j.opts.AreaCode}
	for c := range j.areas.parent {
		if j.areas.isAncestor(j.opts.AreaCode, c) {
			out = append(out, c)
		}
	}
	return out
}

// inScope reports whether area code is the scope area or below it.
func (j *job) inScope(code string) bool {
	return j.opts.AreaCode == "" || code == j.opts.AreaCode || (j.areas != nil && j.areas.isAncestor(j.opts.AreaCode, code))
}

// replaceAll empties every table (Replace on a directory), or, for a
// scoped import, the scope's rows of every kind it may import.
func (j *job) replaceAll() error {
	var kinds []string
	switch {
	case j.opts.Operator != "":
		kinds = networkKinds()
	case j.opts.AreaCode != "":
		kinds = areaKinds()
	default:
		return j.truncateAll()
	}
	for i := len(kinds) - 1; i >= 0; i-- {
		if err := j.deleteKind(kinds[i]); err != nil {
			return err
		}
	}
	return nil
}

// truncateAll empties every table (Replace on a directory).
func (j *job) truncateAll() error {
	var names []string
	for _, t := range postgis.Tables() {
		names = append(names, pgx.Identifier{t}.Sanitize())
	}
	if _, err := j.tx.Exec(j.ctx, "TRUNCATE "+strings.Join(names, ", ")); err != nil {
		return fmt.Errorf("replace: empty the tables: %w", err)
	}
	return nil
}

// importFile imports one file inside the job's transaction, adding its
// problems to j.errs.
func (j *job) importFile(kind, path string) (Summary, error) {
	start := time.Now()
	sum := Summary{Kind: kind, File: filepath.Base(path), DryRun: j.opts.DryRun}
	first := len(j.errs.Errors)
	defer func() { sortByRow(j.errs.Errors[first:]) }()
	if j.opts.OnFile != nil {
		j.opts.OnFile(kind, sum.File)
	}
	if _, err := os.Stat(path); err != nil {
		reason := "cannot open the file: " + err.Error()
		if errors.Is(err, os.ErrNotExist) {
			reason = "file not found"
		}
		j.errs.Add(data.FieldError{File: sum.File, Reason: reason})
		return sum, nil
	}
	var err error
	switch kind {
	case format.KindAreas:
		err = j.importAreas(path, &sum)
	case format.KindSchools:
		err = runTable(j, path, &sum, schoolSpec())
	case format.KindHouseholds:
		err = runTable(j, path, &sum, householdSpec())
	case format.KindStudents:
		err = runTable(j, path, &sum, studentSpec())
	case format.KindSites:
		err = runTable(j, path, &sum, sectorSpec())
	case format.KindFiberNodes:
		err = runTable(j, path, &sum, fiberNodeSpec())
	case format.KindFiberRoutes:
		err = runTable(j, path, &sum, fiberRouteSpec())
	case format.KindDevices:
		err = runTable(j, path, &sum, deviceSpec())
	case format.KindSimPackages:
		err = runTable(j, path, &sum, simPackageSpec())
	case format.KindCoveragePolygons:
		err = runTable(j, path, &sum, coveragePolygonSpec())
	case format.KindMeasurements:
		err = runTable(j, path, &sum, measurementSpec())
	default:
		return sum, fmt.Errorf("unknown kind %q: use one of %s", kind, strings.Join(Kinds(), ", "))
	}
	sum.Duration = time.Since(start)
	return sum, err
}

// pgMessage is a PostgreSQL error as a sentence for the user.
func pgMessage(pe *pgconn.PgError) string {
	m := pe.Message
	if pe.Detail != "" {
		m += " (" + pe.Detail + ")"
	}
	return m
}
