package format

import (
	"fmt"
	"hash/maphash"
	"math"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/gapmap/gapmap/data"
)

// rowCtx is the row being parsed, with helpers that parse a field and
// report its problems. A helper that reports a problem sets bad; the row is
// then not passed on.
type rowCtx struct {
	file   string
	cols   []column
	header []string // as written
	idx    []int    // column → position, -1 absent
	rec    []string
	row    int
	xlsx   bool
	bad    bool
	failed []bool // columns already reported in this row
	errs   *data.ValidationError
	ids    *dupSet
	intern map[string]string
	// pending, when set (a worker of the parallel reader), receives the
	// ids to check instead of ids, with their hashes under idSeed (the
	// seed of the merger's ids).
	pending *[]pendingID
	idSeed  maphash.Seed
	// arena, when set, holds the text values kept from rows (a worker of
	// the parallel reader: one allocation per 64 KiB instead of one per
	// value).
	arena *[]byte
}

// keep returns s as a string that does not share the row's memory.
func (r *rowCtx) keep(s string) string {
	if r.arena == nil || s == "" {
		return strings.Clone(s)
	}
	a := *r.arena
	if cap(a)-len(a) < len(s) {
		a = make([]byte, 0, max(64<<10, len(s)))
	}
	start := len(a)
	a = append(a, s...)
	*r.arena = a
	return unsafe.String(&a[start], len(s))
}

// clone returns a row context for a worker of the parallel reader: the
// same columns, its own interned codes, ids checked by the merger.
func (r *rowCtx) clone() *rowCtx {
	c := *r
	if r.ids != nil {
		c.idSeed = r.ids.seed
	}
	c.ids, c.intern, c.failed = nil, make(map[string]string), make([]bool, len(r.cols))
	c.arena = new([]byte)
	return &c
}

func newRowCtx(t *table, cols []column, m *headerMatch) *rowCtx {
	return &rowCtx{
		file: t.file, cols: cols, header: m.header, idx: m.idx, xlsx: t.xlsx, errs: t.errs,
		ids: newDupSet(), intern: make(map[string]string), failed: make([]bool, len(cols)),
	}
}

// start begins a row.
func (r *rowCtx) start(row int, rec []string) {
	r.row, r.rec, r.bad = row, rec, false
	clear(r.failed)
}

// precheck reports, before the row is parsed, the values that no parser
// should see: longer than MaxFieldBytes, not UTF-8, holding a NUL byte,
// or an XLSX formula without a saved value. Each such column is reported
// once; the other columns are still parsed and checked.
func (r *rowCtx) precheck(t *table) {
	for f, i := range r.idx {
		if i < 0 || i >= len(r.rec) {
			continue
		}
		v := r.rec[i]
		if int64(len(v)) > t.lim.MaxFieldBytes {
			r.fail(f, v, fmt.Sprintf("the value is %s long, over the limit of %s for one value (limit MaxFieldBytes)",
				byteSize(int64(len(v))), byteSize(t.lim.MaxFieldBytes)))
			continue
		}
		if why := badByte(v); why != "" {
			r.fail(f, v, why)
		}
	}
	for _, c := range t.formulaCols(r.row) {
		for f, i := range r.idx {
			if i == c {
				r.fail(f, "", formulaReason(t.sheetName(), r.row, c))
			}
		}
	}
}

// checkWidth reports a row whose number of fields differs from the
// header's. Blank trailing fields are tolerated, and in XLSX (where empty
// trailing cells are not stored) so are short rows.
func (r *rowCtx) checkWidth() bool {
	n, h := len(r.rec), len(r.header)
	if n == h || (n < h && r.xlsx) {
		return true
	}
	if n > h && blank(r.rec[h:]) {
		return true
	}
	unit := "fields"
	if r.xlsx {
		unit = "cells"
	}
	reason := fmt.Sprintf("this row has %d %s but the header has %d", n, unit, h)
	if !r.xlsx {
		reason += ": check for an unquoted separator inside a value (e.g. a decimal comma as in 21,5): put such values in double quotes, or save the file from Excel again"
	} else {
		reason += ": add a header for the extra cells or delete them"
	}
	r.bad = true
	for _, f := range r.rec {
		if strings.IndexByte(f, '\n') >= 0 {
			reason += " (a value here spans several lines: is a closing double quote missing?)"
			break
		}
	}
	r.errs.Add(data.FieldError{File: r.file, Row: r.row, Value: clip(strings.Join(r.rec, ",")), Reason: reason})
	return false
}

// val is the trimmed value of column f ("" when absent), with the Excel
// formula escape undone.
func (r *rowCtx) val(f int) string {
	i := r.idx[f]
	if i < 0 || i >= len(r.rec) {
		return ""
	}
	s := r.rec[i]
	if len(s) > 1 && s[0] == '\'' {
		s = UnescapeCell(s)
	}
	return strings.TrimSpace(s)
}

// name is the column's header as written, or its canonical name.
func (r *rowCtx) name(f int) string {
	if i := r.idx[f]; i >= 0 {
		return data.SafeText(r.header[i])
	}
	return r.cols[f].name
}

// label names column f in a reason: the header as the file writes it,
// followed by the standard name when they differ ("Băng tần (band_mhz)"),
// so the user finds the column in the file and in the format reference.
func (r *rowCtx) label(f int) string {
	n := r.name(f)
	if std := r.cols[f].name; !strings.EqualFold(n, std) {
		return n + " (" + std + ")"
	}
	return n
}

// fail reports a problem with column f; a column already reported in this
// row is not reported again.
func (r *rowCtx) fail(f int, value, reason string) {
	r.bad = true
	if r.failed != nil {
		if r.failed[f] {
			return
		}
		r.failed[f] = true
	}
	r.errs.Add(data.FieldError{File: r.file, Row: r.row, Column: r.name(f), Value: clip(value), Reason: reason})
}

// clip bounds a value kept in an error: a broken quote can make one field
// hold the rest of the file.
func clip(s string) string {
	const n = 200
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

func (r *rowCtx) missing(f int) {
	r.fail(f, "", fmt.Sprintf("missing %s: every row needs one", r.label(f)))
}

// text returns a text field; numbers stored by Excel with 17 digits are
// shown as Excel shows them.
func (r *rowCtx) text(f int, required bool) (string, bool) {
	s := r.val(f)
	if s == "" {
		if required {
			r.missing(f)
			return "", false
		}
		return "", true
	}
	if r.xlsx {
		s = excelNumberText(s)
	}
	if !validText(s) {
		r.fail(f, s, "the text has invalid characters (not UTF-8, or a NUL byte): save the file as 'CSV UTF-8' or .xlsx")
		return "", false
	}
	return s, true
}

// str returns an optional text field as its own copy.
func (r *rowCtx) str(f int) string {
	s, _ := r.text(f, false)
	return r.keep(s)
}

// req returns a required text field as its own copy.
func (r *rowCtx) req(f int) string {
	s, _ := r.text(f, true)
	return r.keep(s)
}

// code returns an optional, often repeated text field (area code, school
// id), shared between rows.
func (r *rowCtx) code(f int, required bool) string {
	s, ok := r.text(f, required)
	if !ok || s == "" {
		return ""
	}
	if v, ok := r.intern[s]; ok {
		return v
	}
	c := r.keep(s)
	if len(r.intern) < 1<<16 {
		r.intern[c] = c
	}
	return c
}

// id returns a required identifier and reports one seen earlier in the file.
func (r *rowCtx) id(f int) string {
	s, ok := r.text(f, true)
	if !ok {
		return ""
	}
	r.unique(f, s, s)
	return r.keep(s)
}

// unique reports id when it was seen before in this file.
func (r *rowCtx) unique(f int, value, id string) {
	if r.pending != nil {
		pos := int32(len(r.errs.Errors))
		if r.failed[f] {
			pos = -1
		}
		// Substrings of the chunk, which is not reused before the check;
		// the hash is computed here, off the merger's path.
		*r.pending = append(*r.pending, pendingID{h: idHash(r.idSeed, id), f: int32(f), value: value, id: id, errPos: pos})
		return
	}
	if first, dup := r.ids.add(id, r.row); dup {
		what := r.cols[f].name
		if id != value {
			what += " (id " + id + ")"
		}
		r.fail(f, value, fmt.Sprintf("duplicate %s: first seen at row %d", what, first))
	}
}

// latLon parses a required coordinate pair inside Vietnam.
func (r *rowCtx) latLon(fLat, fLon int) (lat, lon float64) {
	ls, os := r.val(fLat), r.val(fLon)
	lat, okLat := r.coord(fLat, ls, "latitude", "21.0285")
	lon, okLon := r.coord(fLon, os, "longitude", "105.8542")
	// Each coordinate is checked on its own, so a bad latitude does not
	// hide a bad longitude.
	latIn := okLat && lat >= minLat && lat <= maxLat
	lonIn := okLon && lon >= minLon && lon <= maxLon
	if latIn && lonIn {
		return lat, lon
	}
	swapped := okLat && okLon && lon >= minLat && lon <= maxLat && lat >= minLon && lat <= maxLon
	if okLat && !latIn {
		r.fail(fLat, ls, "latitude "+fmtFloat(lat)+" is outside Vietnam (6.0–23.5)"+coordHint(lat, swapped))
	}
	if okLon && !lonIn {
		r.fail(fLon, os, "longitude "+fmtFloat(lon)+" is outside Vietnam (102.0–118.0)"+coordHint(lon, swapped))
	}
	return 0, 0
}

func coordHint(v float64, swapped bool) string {
	switch {
	case swapped:
		return ": latitude and longitude look swapped"
	case v == 0:
		return ": 0 means no location; fill in the coordinates"
	case math.Abs(v) > 1000:
		return ": this looks like projected metres (VN-2000?); convert to WGS 84 decimal degrees"
	}
	return ""
}

func (r *rowCtx) coord(f int, s, what, example string) (float64, bool) {
	if s == "" {
		r.missing(f)
		return 0, false
	}
	v, ok := parseNum(s)
	if !ok {
		r.fail(f, s, what+" is not a number: write decimal degrees such as "+example+" (not degrees-minutes-seconds)")
		return 0, false
	}
	return v, true
}

// unit scales a number written with a unit suffix.
type unit int

const (
	noUnit unit = iota
	unitGB
	unitGHz
	unitMHz
	unitMetre
)

type unitSuffix struct {
	suffix string
	scale  float64
}

func unitSuffixes(u unit) []unitSuffix {
	switch u {
	case unitGB:
		return []unitSuffix{{"gb/ngày", 1}, {"gb/day", 1}, {"gb", 1}, {"g", 1}, {"tb", 1024}, {"mb", 1.0 / 1024}}
	case unitGHz:
		return []unitSuffix{{"ghz", 1}, {"mhz", 1.0 / 1000}}
	case unitMHz:
		return []unitSuffix{{"mhz", 1}, {"ghz", 1000}}
	case unitMetre:
		return []unitSuffix{{"km", 1000}, {"m", 1}}
	}
	return nil
}

// unitScale removes a unit suffix ("128 GB", "2,4GHz") and returns the
// number part with the factor to the column's unit.
func unitScale(s string, u unit) (string, float64, bool) {
	l := strings.ToLower(s)
	for _, e := range unitSuffixes(u) {
		if t, ok := strings.CutSuffix(l, e.suffix); ok {
			return strings.TrimSpace(t), e.scale, true
		}
	}
	return s, 1, false
}

// float parses an optional (or required) decimal field; def is returned
// when it is empty. ok is false when a problem was reported.
func (r *rowCtx) float(f int, def float64, required bool, u unit) (float64, bool) {
	s := r.val(f)
	if s == "" {
		if required {
			r.missing(f)
			return 0, false
		}
		return def, true
	}
	if v, ok := parseNum(s); ok {
		return v, true
	}
	if t, scale, ok := unitScale(s, u); ok {
		if v, ok := parseNum(t); ok {
			return v * scale, true
		}
	}
	r.fail(f, s, r.label(f)+" is not a number: write digits such as 12.5 (a decimal comma, 12,5, is also accepted)")
	return 0, false
}

// integer parses an optional (or required) whole-number field.
func (r *rowCtx) integer(f int, def int, required bool) (int, bool) {
	s := r.val(f)
	if s == "" {
		if required {
			r.missing(f)
			return 0, false
		}
		return def, true
	}
	if n, ok := parseInt(s); ok {
		return n, true
	}
	if r.xlsx {
		if n, ok := parseInt(excelNumberText(s)); ok {
			return n, true
		}
	}
	r.fail(f, s, r.label(f)+" must be a whole number written with digits only, such as 12 (no thousands separators)")
	return 0, false
}

// outOfRange reports a number outside its allowed range.
func (r *rowCtx) outOfRange(f int, rule string) {
	r.fail(f, r.val(f), r.label(f)+" "+r.val(f)+" is out of range: it must be "+rule)
}

// choice parses an enumerated field; def is used when it is empty.
func (r *rowCtx) choice(f int, e *enum, def string, required bool) string {
	s := r.val(f)
	if s == "" {
		if required {
			r.missing(f)
		}
		return def
	}
	v, ok := e.lookup(s)
	if !ok {
		r.fail(f, s, e.reason(s))
	}
	return v
}

// flag parses a yes/no field; def is used when it is empty or absent.
func (r *rowCtx) flag(f int, def bool) bool {
	s := r.val(f)
	if s == "" {
		return def
	}
	v, ok := parseBool(s)
	if !ok {
		r.fail(f, s, r.label(f)+" "+strconv.Quote(s)+" is not yes/no: write true or false (also 1/0, có/không, x or empty)"+punctHint(s))
	}
	return v
}

// cond reads a yes/no condition; a missing column or an empty cell is
// unknown (the device then needs an inspection).
func (r *rowCtx) cond(f int) data.Cond {
	if r.val(f) == "" {
		return data.CondUnknown
	}
	return data.CondOf(r.flag(f, false))
}

// dupSet remembers the 64-bit hash of every id seen in a file with the row
// where it was first seen: 12 bytes an id (hash and row side by side, so
// an insert touches one cache line), in an open-addressing table. Two ids
// with the same hash would be reported as duplicates; with 27 million ids
// the chance of that is about 2 in 100 000.
type dupSet struct {
	seed    maphash.Seed
	entries []dupEntry // hash 0 = empty
	n       int
	sink    uint32 // keeps the loads of touch
}

// dupEntry is a hash (split in two halves so an entry is 12 bytes) and
// the row where it was first seen.
type dupEntry struct {
	lo, hi uint32
	row    int32
}

func newDupSet() *dupSet { return &dupSet{seed: maphash.MakeSeed()} }

// idHash is the hash of id that a dupSet of this seed stores (never 0).
func idHash(seed maphash.Seed, id string) uint64 {
	h := maphash.String(seed, id)
	if h == 0 {
		h = 1
	}
	return h
}

// add records id at row; it returns the first row and true when id was
// already there.
func (d *dupSet) add(id string, row int) (int, bool) {
	return d.addHash(idHash(d.seed, id), row)
}

// addHash is add for an id whose idHash is h.
func (d *dupSet) addHash(h uint64, row int) (int, bool) {
	if d.entries == nil {
		d.entries = make([]dupEntry, 1024)
	}
	lo, hi := uint32(h), uint32(h>>32)
	mask := uint64(len(d.entries) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		e := &d.entries[i]
		if e.lo == lo && e.hi == hi {
			return int(e.row), true
		}
		if e.lo == 0 && e.hi == 0 {
			e.lo, e.hi, e.row = lo, hi, int32(min(row, math.MaxInt32))
			d.n++
			if d.n*4 >= len(d.entries)*3 {
				d.resize(2 * len(d.entries))
			}
			return 0, false
		}
	}
}

// dupTableSize is the number of slots that hold n ids without growing.
func dupTableSize(n int) int {
	size := 1024
	for size*3 <= n*4 {
		size *= 2
	}
	return size
}

// reserve makes room for n ids in all (those already there included), so
// that the table does not grow before it holds them.
func (d *dupSet) reserve(n int) {
	if size := dupTableSize(n); size > len(d.entries) {
		d.resize(size)
	}
}

// resize moves the entries into a table of size slots (a power of two).
func (d *dupSet) resize(size int) {
	d.adopt(make([]dupEntry, size))
}

// adopt moves the entries into e (empty, its length a power of two) when
// it is larger than the table.
func (d *dupSet) adopt(e []dupEntry) {
	if len(e) <= len(d.entries) {
		return
	}
	old := d.entries
	d.entries = e
	mask := uint64(len(e) - 1)
	for _, x := range old {
		if x.lo == 0 && x.hi == 0 {
			continue
		}
		h := uint64(x.hi)<<32 | uint64(x.lo)
		i := h & mask
		for e[i].lo != 0 || e[i].hi != 0 {
			i = (i + 1) & mask
		}
		e[i] = x
	}
}

// prefaultedTable returns an empty table of size slots whose pages were
// written once, so that the ids added to it do not each wait for the
// kernel to map a fresh page (about 3 s a GB on a virtual machine, where
// it took a third of the merger's time at 7M ids). It stops early,
// returning nil, once stop is set.
func prefaultedTable(size int, stop *atomic.Bool) []dupEntry {
	e := make([]dupEntry, size)
	const page = 4096 / int(unsafe.Sizeof(dupEntry{}))
	for k, i := 0, 0; i < len(e); k, i = k+1, i+page {
		if k%256 == 0 && stop.Load() {
			return nil
		}
		e[i].row = 0
	}
	return e
}

// touch loads the slots of the hashes of ps, so that adding them next
// finds them in the cache: these loads do not wait on each other, as the
// probes of add do.
func (d *dupSet) touch(ps []pendingID) {
	if len(d.entries) == 0 {
		return
	}
	mask := uint64(len(d.entries) - 1)
	var x uint32
	for i := range ps {
		x += d.entries[ps[i].h&mask].lo
	}
	d.sink = x
}

// day returns an optional date field: YYYY-MM-DD, or day first as
// Vietnamese files write it (D/M/YYYY, D-M-YYYY, D.M.YYYY), or an Excel
// date serial in an .xlsx cell; nil when empty or wrong (reported).
func (r *rowCtx) day(f int) *time.Time {
	s, ok := r.text(f, false)
	if !ok || s == "" {
		return nil
	}
	if t, ok := parseDay(s, r.xlsx); ok {
		return &t
	}
	r.fail(f, s, r.label(f)+" must be a date written YYYY-MM-DD or DD/MM/YYYY, such as 2026-09-05 or 05/09/2026")
	return nil
}

// parseDay parses the date forms day accepts.
func parseDay(s string, xlsx bool) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if len(s) > 10 && (s[10] == 'T' || s[10] == ' ') {
		s = s[:10]
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	for _, sep := range []string{"/", "-", "."} {
		parts := strings.Split(s, sep)
		if len(parts) != 3 || len(parts[2]) != 4 {
			continue
		}
		d, e1 := strconv.Atoi(parts[0])
		m, e2 := strconv.Atoi(parts[1])
		y, e3 := strconv.Atoi(parts[2])
		if e1 != nil || e2 != nil || e3 != nil || m < 1 || m > 12 || d < 1 || y < 1900 || y > 2200 {
			return time.Time{}, false
		}
		t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
		if t.Day() != d {
			return time.Time{}, false
		}
		return t, true
	}
	// An Excel date serial: days since 1899-12-30. In a CSV file (saved
	// from a sheet whose cell lost its date format) only 1954–2119.
	if n, err := strconv.Atoi(s); err == nil && ((xlsx && n > 0 && n < 120000) || (n > 20000 && n < 80000)) {
		return time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n), true
	}
	return time.Time{}, false
}
