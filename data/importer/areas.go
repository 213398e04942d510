package importer

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/geo"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// areaSet is the areas of the database as seen by the import's
// transaction: every code with its dated versions, the parents and names
// of the versions valid on the import's date, and the point-in-polygon
// index of those versions when a kind needs it.
type areaSet struct {
	day      time.Time           // the import's date (Options.Date)
	versions map[string][]period // every version of every code
	parent   map[string]string   // versions valid on day
	name     map[string]string
	ix       *geo.AreaIndex // nil until loaded
	hasGeom  bool
}

// period is the validity of one version of an area: [from, to), nil bounds
// open.
type period struct{ from, to *time.Time }

func (p period) overlaps(q period) bool {
	// [a, b) and [c, d) overlap when a < d and c < b.
	before := func(x, y *time.Time) bool { return x == nil || y == nil || x.Before(*y) }
	return before(p.from, q.to) && before(q.from, p.to)
}

func (p period) String() string {
	f, t := "…", "…"
	if p.from != nil {
		f = p.from.Format(time.DateOnly)
	}
	if p.to != nil {
		t = p.to.Format(time.DateOnly)
	}
	return "[" + f + ", " + t + ")"
}

// known reports whether code has a version, valid on any day.
func (a *areaSet) known(code string) bool { return len(a.versions[code]) > 0 }

// validNow reports whether code has a version valid on the import's date.
func (a *areaSet) validNow(code string) bool {
	_, ok := a.parent[code]
	return ok
}

// areaCodes returns the job's areas, loading codes (and, with geometry,
// the index) on first use.
func (j *job) areaCodes(withIndex bool) (*areaSet, error) {
	if j.areas != nil && (!withIndex || j.areas.ix != nil) {
		return j.areas, nil
	}
	day := j.opts.day()
	a := &areaSet{day: day, versions: map[string][]period{}, parent: map[string]string{}, name: map[string]string{}}
	if withIndex {
		areas, err := postgis.ReadAreas(j.ctx, j.tx)
		if err != nil {
			return nil, err
		}
		for i := range areas {
			x := &areas[i]
			a.versions[x.Code] = append(a.versions[x.Code], period{x.ValidFrom, x.ValidTo})
			if !x.ValidOn(day) {
				continue
			}
			a.parent[x.Code], a.name[x.Code] = x.ParentCode, x.Name
			if len(x.Geom) > 0 {
				a.hasGeom = true
			}
		}
		a.ix = geo.NewAreaIndex(areas, day)
	} else {
		rows, err := j.tx.Query(j.ctx, `SELECT code, coalesce(parent_code, ''), name, valid_from, valid_to FROM areas`)
		if err != nil {
			return nil, fmt.Errorf("read the areas: %w", err)
		}
		for rows.Next() {
			var c, p, n string
			var from, to pgtype.Date
			if err := rows.Scan(&c, &p, &n, &from, &to); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read the areas: %w", err)
			}
			x := data.Area{Code: c}
			if from.Valid {
				x.ValidFrom = &from.Time
			}
			if to.Valid {
				x.ValidTo = &to.Time
			}
			a.versions[c] = append(a.versions[c], period{x.ValidFrom, x.ValidTo})
			if x.ValidOn(day) {
				a.parent[c], a.name[c] = p, n
			}
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read the areas: %w", err)
		}
	}
	j.areas = a
	return a, nil
}

// isAncestor reports whether anc is a strict ancestor of code.
func (a *areaSet) isAncestor(anc, code string) bool {
	c := a.parent[code]
	for i := 0; c != "" && i < 256; i++ {
		if c == anc {
			return true
		}
		c = a.parent[c]
	}
	return false
}

// periods lists the validity of code's versions.
func (a *areaSet) periods(code string) string {
	var out []string
	for _, p := range a.versions[code] {
		out = append(out, p.String())
	}
	return strings.Join(out, ", ")
}

func (a *areaSet) label(code string) string {
	if n := a.name[code]; n != "" {
		return code + " (" + n + ")"
	}
	return code
}

func latLonText(lat, lon float64) string { return fmt.Sprintf("%.4f,%.4f", lat, lon) }

func coordValue(lat, lon float64) string {
	return strconv.FormatFloat(lat, 'f', -1, 64) + "," + strconv.FormatFloat(lon, 'f', -1, 64)
}

// Column names the importer's own checks report.
const (
	colLatLon   = "lat/lon"
	colAreaCode = "area_code"
)

// locate returns the area code to store for a point (see the package
// documentation), reporting problems to p.
func (p *prep) locate(row int, lat, lon float64, given string) (string, bool) {
	a := p.areas
	if given != "" && a.known(given) && !a.validNow(given) {
		// A unit abolished or not yet created on the import's date: the
		// point goes to the deepest area valid that day, never to it.
		if !a.hasGeom {
			p.fail(row, colAreaCode, given, fmt.Sprintf("area %s is not valid on %s (its versions: %s), and no area valid that day has a boundary to place the point: give the code valid on %s or import with --date inside its validity",
				given, a.day.Format(time.DateOnly), a.periods(given), a.day.Format(time.DateOnly)))
			return "", false
		}
		found, ok := a.ix.Lookup(lat, lon)
		if !ok {
			p.fail(row, colAreaCode, given, fmt.Sprintf("area %s is not valid on %s (its versions: %s), and no area valid that day contains %s: give the code valid on %s or fix the coordinates",
				given, a.day.Format(time.DateOnly), a.periods(given), latLonText(lat, lon), a.day.Format(time.DateOnly)))
			return "", false
		}
		p.warn(row, colAreaCode, given, fmt.Sprintf("area %s is not valid on %s (its versions: %s): stored %s, the area valid that day containing %s",
			given, a.day.Format(time.DateOnly), a.periods(given), a.label(found), latLonText(lat, lon)))
		return found, true
	}
	if given != "" {
		if _, ok := a.parent[given]; !ok {
			p.fail(row, colAreaCode, given, fmt.Sprintf("area_code %s is not a loaded area: import the areas first (or in the same directory) or fix the code", given))
			return "", false
		}
		if !a.hasGeom {
			return given, true
		}
		found, ok := a.ix.Lookup(lat, lon)
		switch {
		case !ok:
			p.warn(row, colLatLon, coordValue(lat, lon), fmt.Sprintf("no loaded area contains %s; kept area_code %s", latLonText(lat, lon), given))
			return given, true
		case found == given || a.isAncestor(found, given):
			return given, true
		case a.isAncestor(given, found):
			return found, true // a deeper area inside the given one
		default:
			p.warn(row, colAreaCode, given, fmt.Sprintf("the point %s lies in area %s, not in %s; kept %s (fix the code or the coordinates if the file is wrong)",
				latLonText(lat, lon), a.label(found), a.label(given), given))
			return given, true
		}
	}
	if !a.hasGeom {
		p.fail(row, colAreaCode, "", "missing area_code, and no loaded area has a boundary to find it from the coordinates: fill in area_code or import the areas' boundaries first")
		return "", false
	}
	found, ok := a.ix.Lookup(lat, lon)
	if !ok {
		p.fail(row, colLatLon, coordValue(lat, lon), fmt.Sprintf("in no area: no area valid on %s contains %s — load the commune boundaries valid that day first, import with another --date, or fix the coordinates", a.day.Format(time.DateOnly), latLonText(lat, lon)))
		return "", false
	}
	return found, true
}

// checkArea checks an optional area_code of a record without a location.
func (p *prep) checkArea(row int, code string) bool {
	if code == "" {
		return true
	}
	if !p.areas.known(code) {
		p.fail(row, colAreaCode, code, fmt.Sprintf("area_code %s is not a loaded area: import the areas first (or in the same directory) or fix the code", code))
		return false
	}
	return true
}

// importAreas imports an areas GeoJSON. Areas are few (thousands), so they
// are held in memory and checked as a whole: duplicates against the
// database, parents present in the file or the database, no cycles, valid
// geometries (ST_IsValid, after they are written inside the savepoint;
// repaired with a warning when possible).
func (j *job) importAreas(path string, sum *Summary) error {
	file := sum.File
	ferrs := &data.ValidationError{}
	type feat struct {
		n int
		a data.Area
	}
	var feats []feat
	err := format.ReadAreas(j.ctx, path, ferrs, func(n int, a data.Area) error {
		feats = append(feats, feat{n, a})
		return nil
	})
	if err != nil && !isFileErr(err, ferrs) {
		return err
	}
	sum.Rows = int64(len(feats))
	have, err := j.areaCodes(false)
	if err != nil {
		return err
	}
	fail := func(n int, col, val, reason string) {
		ferrs.Add(data.FieldError{File: file, Row: n, Column: col, Value: val, Reason: reason})
	}
	inFile := make(map[string]int, len(feats))
	for _, f := range feats {
		if _, ok := inFile[f.a.Code]; !ok {
			inFile[f.a.Code] = f.n
		}
	}
	// A code may have several dated versions (its boundary or parent
	// changed), in the file or the file and the database, as long as their
	// validity periods [valid_from, valid_to) do not overlap.
	type version struct {
		n int // feature number, 0: in the database
		p period
	}
	versions := map[string][]version{}
	var keep []data.Area
	byCode := map[string]int{}
	for _, f := range feats {
		a := f.a
		p := period{a.ValidFrom, a.ValidTo}
		clash := false
		for _, dbp := range have.versions[a.Code] {
			if p.from == nil && p.to == nil && dbp.from == nil && dbp.to == nil {
				clash = true
				fail(f.n, "code", a.Code, fmt.Sprintf("area code %s already exists in the database: remove it from the file, or replace the existing areas with this file", a.Code))
				break
			}
			if p.overlaps(dbp) {
				clash = true
				fail(f.n, "valid_from", a.Code, fmt.Sprintf("area %s valid %s overlaps its version already in the database, valid %s: a code may have several versions only when their validity does not overlap — set valid_to of the old version and valid_from of the new one (valid_to is the first day a version no longer holds), or replace the existing areas with this file",
					a.Code, p, dbp))
				break
			}
		}
		for _, v := range versions[a.Code] {
			if !clash && p.overlaps(v.p) {
				clash = true
				fail(f.n, "valid_from", a.Code, fmt.Sprintf("area %s valid %s overlaps its version at feature %d, valid %s: two versions of one code must not be valid on the same day (valid_to is the first day a version no longer holds)",
					a.Code, p, v.n, v.p))
			}
		}
		if clash {
			continue
		}
		versions[a.Code] = append(versions[a.Code], version{f.n, p})
		if a.ParentCode != "" {
			if _, ok := inFile[a.ParentCode]; !ok && !have.known(a.ParentCode) {
				fail(f.n, "parent_code", a.ParentCode, fmt.Sprintf("parent_code %s is neither in this file nor in the database: import the parent areas first or fix the code", a.ParentCode))
			}
		}
		if _, ok := byCode[a.Code]; !ok {
			byCode[a.Code] = f.n
		}
		keep = append(keep, a)
	}
	// Cycles through the parent links, over the file and the database.
	parentOf := make(map[string]string, len(feats))
	for _, f := range feats {
		parentOf[f.a.Code] = f.a.ParentCode
	}
	reported := map[string]bool{}
	for _, f := range feats {
		seen := map[string]int{}
		var chain []string
		c := f.a.Code
		for c != "" && !reported[c] {
			if at, ok := seen[c]; ok {
				cycle := append(chain[at:], c)
				for _, x := range cycle {
					reported[x] = true
				}
				// Report on the area of the cycle that comes first in the file.
				first, firstN := cycle[0], inFile[cycle[0]]
				for _, x := range cycle {
					if n, ok := inFile[x]; ok && (firstN == 0 || n < firstN) {
						first, firstN = x, n
					}
				}
				fail(firstN, "parent_code", parentOf[first], "the parent links form a cycle: "+strings.Join(cycle, " → ")+": an area cannot be its own ancestor")
				break
			}
			seen[c] = len(chain)
			chain = append(chain, c)
			if p, ok := parentOf[c]; ok {
				c = p
			} else {
				c = have.parent[c]
			}
		}
	}

	if _, err := j.tx.Exec(j.ctx, "SAVEPOINT gapmap_file"); err != nil {
		return fmt.Errorf("import %s: %w", file, err)
	}
	n, err := postgis.CopyAreas(j.ctx, j.tx, postgis.SliceSource(keep))
	if err != nil {
		if _, rerr := j.tx.Exec(j.ctx, "ROLLBACK TO SAVEPOINT gapmap_file"); rerr != nil {
			return fmt.Errorf("import %s: %w", file, rerr)
		}
		if pe := asPgError(err); pe != nil {
			ferrs.Add(data.FieldError{File: file, Reason: "the database rejected the areas: " + pgMessage(pe)})
			j.addAll(ferrs)
			return nil
		}
		return err
	}
	codes := make([]string, 0, len(keep))
	for _, a := range keep {
		codes = append(codes, a.Code)
	}
	// Invalid boundaries are repaired when that gives a polygon: each part
	// made valid (ST_MakeValid), then the parts merged (a district written
	// as the overlapping polygons of its communes is common), keeping only
	// polygons. The repair is stored and reported as a warning with the
	// area before and after; a boundary that repairs to nothing is an error.
	rows, err := j.tx.Query(j.ctx, `
		WITH r AS (
			SELECT b.id, b.code, ST_IsValidReason(b.geom) AS reason, ST_Area(b.geom::geography) / 1e6 AS before_km2,
			       (SELECT ST_Multi(ST_CollectionExtract(ST_Union(ST_MakeValid(d.geom)), 3)) FROM ST_Dump(b.geom) d) AS g
			FROM areas b
			WHERE b.code = ANY($1::text[]) AND b.geom IS NOT NULL AND NOT ST_IsValid(b.geom)
		), u AS (
			UPDATE areas a SET geom = r.g FROM r WHERE a.id = r.id AND NOT ST_IsEmpty(r.g) RETURNING a.code
		)
		SELECT code, reason, before_km2, CASE WHEN ST_IsEmpty(g) THEN 0 ELSE ST_Area(g::geography) / 1e6 END, NOT ST_IsEmpty(g)
		FROM r`, codes)
	if err != nil {
		return fmt.Errorf("check the area geometries: %w", err)
	}
	type invalid struct {
		code, reason  string
		before, after float64
		repaired      bool
	}
	bad, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (invalid, error) {
		var v invalid
		err := r.Scan(&v.code, &v.reason, &v.before, &v.after, &v.repaired)
		return v, err
	})
	if err != nil {
		return fmt.Errorf("check the area geometries: %w", err)
	}
	sort.Slice(bad, func(a, b int) bool { return byCode[bad[a].code] < byCode[bad[b].code] })
	for _, b := range bad {
		if !b.repaired {
			fail(byCode[b.code], "geometry", "", "the boundary is not a valid polygon and cannot be repaired ("+b.reason+
				"): fix it (QGIS: Vector ▸ Geometry Tools ▸ Fix Geometries, or ogr2ogr -makevalid) and import again")
			continue
		}
		if len(sum.Warnings) >= maxWarnings {
			sum.WarningsTruncated++
			continue
		}
		sum.Warnings = append(sum.Warnings, data.FieldError{File: file, Row: byCode[b.code], Column: "geometry", Value: b.code,
			Reason: fmt.Sprintf("the boundary of %s was not valid (%s): stored it repaired (each part made valid, the parts merged), %.2f km² → %.2f km²; check it, or fix the source (QGIS: Fix Geometries) and import again",
				b.code, b.reason, b.before, b.after)})
	}
	if err := j.deriveParentGeometries(codes); err != nil {
		return fmt.Errorf("import %s: %w", file, err)
	}
	if _, err := j.tx.Exec(j.ctx, "RELEASE SAVEPOINT gapmap_file"); err != nil {
		return fmt.Errorf("import %s: %w", file, err)
	}
	sum.Inserted = n
	if j.opts.Progress != nil {
		j.opts.Progress(n)
	}
	j.areas = nil // the index must see the new areas
	j.addAll(ferrs)
	return nil
}

// during is the SQL condition "area version c is valid on some day that
// version p is" (a child of a parent's version, with dated areas).
func during(c, p string) string {
	return "daterange(" + c + ".valid_from, " + c + ".valid_to, '[)') && daterange(" + p + ".valid_from, " + p + ".valid_to, '[)')"
}

// deriveParentGeometries gives each imported area that has no geometry but
// has children with one the union of its children's boundaries, deepest
// first, so a file may carry polygons at the leaves only (communes) and
// still locate points at the district and province levels. Gaps between
// the children (the Bắc Giang commune hole) stay gaps.
func (j *job) deriveParentGeometries(codes []string) error {
	for {
		tag, err := j.tx.Exec(j.ctx, `
			UPDATE areas p
			SET geom = (SELECT ST_Multi(ST_CollectionExtract(ST_Union(c.geom), 3)) FROM areas c WHERE c.parent_code = p.code AND c.geom IS NOT NULL AND `+during("c", "p")+`)
			WHERE p.code = ANY($1::text[]) AND p.geom IS NULL
			  AND EXISTS (SELECT 1 FROM areas c WHERE c.parent_code = p.code AND c.geom IS NOT NULL AND `+during("c", "p")+`)
			  AND NOT EXISTS (SELECT 1 FROM areas c WHERE c.parent_code = p.code AND c.geom IS NULL AND `+during("c", "p")+`
			                  AND EXISTS (SELECT 1 FROM areas g WHERE g.parent_code = c.code AND `+during("g", "c")+`))`, codes)
		if err != nil {
			return fmt.Errorf("derive parent boundaries from their children: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
	}
}
