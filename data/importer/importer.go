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
// # Concurrency and replace
//
// Before it reads or deletes anything, an import takes the import locks of
// the tables it writes and of the tables linked to them by foreign keys
// (postgis.ImportLockTables, postgis.LockImport): two imports of the same
// kind, or of linked kinds, run one after the other, so two replaces never
// merge and two loads into an empty table never deadlock. A conflict the
// server resolves by cancelling the import (deadlock, serialization
// failure, lock or statement timeout) is a *postgis.RetryableError.
//
// A replace of students, devices or SIM packages locks the allocation
// records (SHARE) and notes the rows they refer to; at the end each must
// be back (a row with the same id in the new file), else every missing one
// is a row error and nothing is written. Replace on a directory empties
// only the kinds it holds a file of; ReplaceAll empties every table.
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
	// Replace deletes the rows of the kind before importing, in the same
	// transaction. For ImportDir it empties the kinds the directory holds
	// a file of, and only those (see ReplaceAll).
	Replace bool
	// ReplaceAll (ImportDir only) empties every data table, including the
	// kinds the directory holds no file of, before importing. It implies
	// Replace.
	ReplaceAll bool
	// OnReplace, when set, is called once before anything is deleted, with
	// the kinds a Replace is about to empty (in the order they are
	// emptied: dependants first) and the non-empty kinds it keeps.
	OnReplace func(emptied, kept []string)
	// OnWait, when set, is called once when another import holds the lock
	// of a table this import needs (see postgis.LockImport): the import
	// waits for it, and ctx cancels the wait.
	OnWait func(tables []string)
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
	// Then, when set, runs inside the import's transaction once every
	// file is in without a problem, before the commit (not on a dry run):
	// what it writes is committed with the import, and its error rolls the
	// whole import back (e.g. linking replacement devices to a sale).
	Then func(ctx context.Context, tx pgx.Tx) error

	// Date is the import's date (zero: today in Vietnam): a school or
	// household is placed in the deepest area valid that day, and an
	// area_code that is not valid that day (a unit abolished by the 2025
	// reform, say) is replaced by the area valid that day containing the
	// point, with a warning.
	Date time.Time

	bulk bulkPolicy // tests force one path or the other
}

// day is the import's date as a calendar day.
func (o Options) day() time.Time {
	if o.Date.IsZero() {
		return data.VietnamDay(time.Now())
	}
	return data.Day(o.Date)
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
	op := "import " + kind
	if opts.ReplaceAll {
		return Summary{}, &data.ValidationError{Errors: []data.FieldError{{File: filepath.Base(path), Reason: "replace-all empties every table and applies to a directory only: to replace the " + kind + " alone, use replace"}}}
	}
	j, err := begin(ctx, store, opts)
	if err != nil {
		return Summary{}, err
	}
	defer j.rollback()
	if err := j.lock([]string{kind}, []string{path}); err != nil {
		return Summary{}, retryable(op, err)
	}
	if opts.Replace {
		if j.opts.OnReplace != nil {
			j.opts.OnReplace([]string{kind}, nil)
		}
		if err := j.protect([]string{kind}); err != nil {
			return Summary{}, retryable(op, err)
		}
		if err := j.deleteKind(kind); err != nil {
			return Summary{}, retryable(op, err)
		}
	}
	sum, err := j.importFile(kind, path)
	if err != nil {
		return sum, retryable(op, err)
	}
	if err := j.finish(); err != nil {
		return sum, retryable(op, err)
	}
	return sum, nil
}

// retryable turns a conflict the server resolved by cancelling the
// import (deadlock, serialization failure, lock timeout) into a
// *postgis.RetryableError; other errors are returned as they are.
func retryable(op string, err error) error {
	if err == nil {
		return nil
	}
	var re *postgis.RetryableError
	if errors.As(err, &re) {
		return err
	}
	if postgis.IsRetryable(err) {
		return &postgis.RetryableError{Op: op, Cause: err}
	}
	return err
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
	var kinds []string
	for _, f := range files {
		kinds = append(kinds, f.kind)
	}
	replace := opts.Replace || opts.ReplaceAll
	var emptied []string
	if replace {
		emptied = replaceKindsOf(kinds, opts)
	}
	j, err := begin(ctx, store, opts)
	if err != nil {
		return nil, err
	}
	defer j.rollback()
	const op = "import the directory"
	lockKinds := kinds
	if replace {
		lockKinds = append(slices.Clone(kinds), emptied...)
	}
	var paths []string
	for _, f := range files {
		paths = append(paths, f.path)
	}
	if err := j.lock(lockKinds, paths); err != nil {
		return nil, retryable(op, err)
	}
	if replace {
		if err := j.replaceKinds(emptied); err != nil {
			return nil, retryable(op, err)
		}
	}
	var sums []Summary
	for _, f := range files {
		sum, err := j.importFile(f.kind, f.path)
		if err != nil {
			return sums, retryable(op, err)
		}
		sums = append(sums, sum)
	}
	if err := j.finish(); err != nil {
		return sums, retryable(op, err)
	}
	return sums, nil
}

// replaceKindsOf returns the kinds a Replace of a directory empties, in
// the order they are emptied (dependants first): the kinds of the
// directory's files, or with ReplaceAll every kind of the import's scope.
func replaceKindsOf(dirKinds []string, opts Options) []string {
	all := Kinds()
	switch {
	case opts.Operator != "":
		all = networkKinds()
	case opts.AreaCode != "":
		all = areaKinds()
	}
	var out []string
	for i := len(all) - 1; i >= 0; i-- {
		if opts.ReplaceAll || slices.Contains(dirKinds, all[i]) {
			out = append(out, all[i])
		}
	}
	return out
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
	// protected: RememberAllocated noted the allocated rows of the kinds
	// being replaced; finish checks that they are still there.
	protected bool
	// files: the file imported for each kind (names the lost rows).
	files map[string]string
	// mayBulk: the locks taken allow a bulk load (see lock).
	mayBulk bool
}

func begin(ctx context.Context, store *postgis.Store, opts Options) (*job, error) {
	tx, err := store.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return &job{ctx: ctx, store: store, tx: tx, opts: opts, errs: &data.ValidationError{}, failed: map[string]bool{}, files: map[string]string{}}, nil
}

func (j *job) rollback() {
	if !j.done {
		_ = j.tx.Rollback(context.WithoutCancel(j.ctx))
	}
}

// finish commits, or rolls back on a dry run or when errors were found.
func (j *job) finish() error {
	j.done = true
	if err := j.checkAllocated(); err != nil {
		_ = j.tx.Rollback(j.ctx)
		return err
	}
	if j.errs.Len() > 0 {
		_ = j.tx.Rollback(j.ctx)
		return j.errs
	}
	if j.opts.DryRun {
		return j.tx.Rollback(j.ctx)
	}
	if j.opts.Then != nil {
		if err := j.opts.Then(j.ctx, j.tx); err != nil {
			_ = j.tx.Rollback(j.ctx)
			return err
		}
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

// protect, before a replace of kinds deletes anything, locks the
// allocation records against changes until the import ends and notes the
// rows of kinds they refer to (students, devices, SIM packages), which
// must still be there at the end: checkAllocated.
func (j *job) protect(kinds []string) error {
	if !slices.ContainsFunc(kinds, postgis.IsProtected) {
		return nil
	}
	if err := postgis.LockAllocationsShared(j.ctx, j.tx); err != nil {
		return err
	}
	noted, err := postgis.RememberAllocated(j.ctx, j.tx, kinds)
	j.protected = j.protected || noted
	return err
}

// checkAllocated adds an error for every allocated row that a replace
// removed and the new files did not bring back (same id).
func (j *job) checkAllocated() error {
	if !j.protected {
		return nil
	}
	lost, err := postgis.LostAllocated(j.ctx, j.tx)
	if err != nil {
		return err
	}
	for _, a := range lost {
		if table, _, _ := postgis.TableOf(a.Kind); j.failed[table] {
			continue // the file failed on a database key: its rows are not in; its errors say why
		}
		file := j.files[a.Kind]
		if file == "" {
			file = a.Kind
		}
		j.errs.Add(data.FieldError{File: file, Column: idColumn(a.Kind), Value: a.ID, Reason: allocatedReason(a)})
	}
	return nil
}

func idColumn(kind string) string {
	_, col, _ := postgis.TableOf(kind)
	return col
}

// allocatedReason explains why a row cannot disappear.
func allocatedReason(a postgis.Allocated) string {
	var what string
	switch a.Kind {
	case format.KindStudents:
		what = "student " + a.ID + " received a device"
	case format.KindDevices:
		what = "device " + a.ID + " was given to a student"
	default:
		what = fmt.Sprintf("SIM package %s issued %d SIM(s)", a.ID, a.Count)
	}
	state := map[string]string{
		"handed_over": "handed over",
		"returned":    "handed over, then returned",
		"pending":     "handover pending",
		"allocated":   "allocated",
	}[a.Status]
	fix := "keep it in the file with the same id"
	if a.Status == "pending" || a.Status == "allocated" {
		fix += ", or cancel the allocation first"
	}
	return fmt.Sprintf("%s in committed allocation run %d (%s), and the replace would delete it: the allocation records keep referring to it, so %s", what, a.Run, state, fix)
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

// replaceKinds empties the kinds (in this order: dependants first), or,
// for a scoped import, the scope's rows of them. It says first, through
// OnReplace, what it empties and which non-empty kinds it keeps.
func (j *job) replaceKinds(kinds []string) error {
	scope := Kinds()
	switch {
	case j.opts.Operator != "":
		scope = networkKinds()
	case j.opts.AreaCode != "":
		scope = areaKinds()
	}
	if j.opts.OnReplace != nil {
		var kept []string
		for _, k := range scope {
			if slices.Contains(kinds, k) {
				continue
			}
			table, _, err := postgis.TableOf(k)
			if err != nil {
				return err
			}
			empty, err := postgis.IsEmpty(j.ctx, j.tx, table)
			if err != nil {
				return err
			}
			if !empty {
				kept = append(kept, k)
			}
		}
		j.opts.OnReplace(slices.Clone(kinds), kept)
	}
	if err := j.protect(kinds); err != nil {
		return err
	}
	if j.opts.Operator == "" && j.opts.AreaCode == "" {
		if j.opts.ReplaceAll {
			return j.truncateAll()
		}
		// One TRUNCATE when no table outside the set refers to the set;
		// else row by row, where a reference from a kept table is an error
		// that names it.
		var names []string
		for _, k := range kinds {
			table, _, err := postgis.TableOf(k)
			if err != nil {
				return err
			}
			names = append(names, pgx.Identifier{table}.Sanitize())
		}
		if err := j.exec("SAVEPOINT gapmap_truncate"); err != nil {
			return err
		}
		if _, err := j.tx.Exec(j.ctx, "TRUNCATE "+strings.Join(names, ", ")); err == nil {
			return j.exec("RELEASE SAVEPOINT gapmap_truncate")
		} else if pe := asPgError(err); pe == nil || pe.Code != "0A000" {
			return fmt.Errorf("replace: empty the tables: %w", err)
		}
		if err := j.exec("ROLLBACK TO SAVEPOINT gapmap_truncate"); err != nil {
			return err
		}
	}
	for _, k := range kinds {
		if err := j.deleteKind(k); err != nil {
			return err
		}
	}
	return nil
}

// truncateAll empties every table (ReplaceAll on a directory).
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

// lock takes the import locks of the tables of kinds, of the tables that
// refer to them (exclusive) and of the tables they refer to (shared): see
// postgis.ImportLockTables; the tables they refer to exclusively too when
// one of the files may be bulk-loaded (see useBulk). It runs before
// anything is read.
func (j *job) lock(kinds, paths []string) error {
	switch j.opts.bulk {
	case bulkAlways:
		j.mayBulk = true
	case bulkAuto:
		for _, p := range paths {
			if st, err := os.Stat(p); err == nil && st.Size() >= bulkMinBytes {
				j.mayBulk = true
			}
		}
	}
	var tables []string
	for _, k := range kinds {
		t, _, err := postgis.TableOf(k)
		if err != nil {
			return err
		}
		tables = append(tables, t)
		if k == format.KindDevices || k == format.KindSimPackages {
			tables = append(tables, "donors") // written by a devices or SIM packages import
		}
	}
	if j.opts.ReplaceAll && j.opts.Operator == "" && j.opts.AreaCode == "" {
		tables = postgis.Tables()
	}
	locks, err := postgis.ImportLockTables(j.ctx, j.tx, tables, j.mayBulk)
	if err != nil {
		return err
	}
	return postgis.LockImport(j.ctx, j.tx, locks, j.opts.OnWait)
}

// importFile imports one file inside the job's transaction, adding its
// problems to j.errs.
func (j *job) importFile(kind, path string) (Summary, error) {
	start := time.Now()
	sum := Summary{Kind: kind, File: filepath.Base(path), DryRun: j.opts.DryRun}
	j.files[kind] = sum.File
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
	case format.KindSuccessors:
		err = j.importSuccessors(path, &sum)
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
