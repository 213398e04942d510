package format

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gapmap/gapmap/data"
)

// fileExts are the file name endings read for a kind, in preference order.
func fileExts(kind string) []string {
	if IsGeoJSON(kind) {
		return []string{".geojson", ".json"}
	}
	return []string{".csv", ".xlsx", ".csv.gz"}
}

// ReadDir reads every known file present in dir — <kind>.csv, .xlsx or
// .csv.gz for tables, <kind>.geojson or .json for areas and fiber_routes,
// names compared without regard to case — into memory. Every problem of
// every file is collected; the error is then a *data.ValidationError and
// the dataset holds the valid records (so a caller can show both). It does
// not check references between files: see CheckReferences.
func ReadDir(ctx context.Context, dir string) (*data.Dataset, error) {
	return ReadDirWith(ctx, dir, DirOptions{})
}

// DirOptions changes what ReadDirWith does with the records of a kind.
type DirOptions struct {
	// Students, when set, is called when the students file is reached
	// (areas, schools and households are read by then); the students are
	// passed to the function it returns, and Dataset.Students stays empty;
	// rows estimates the rows of the file (0: unknown).
	// A reader of a large dataset counts the students instead of keeping
	// them.
	Students func(ds *data.Dataset, rows int) (func(row int, s data.Student) error, error)
	// Households is the same for the households (areas and schools are
	// read by then); Dataset.Households stays empty.
	Households func(ds *data.Dataset, rows int) (func(row int, h data.Household) error, error)
}

// ReadDirWith is ReadDir with options.
func ReadDirWith(ctx context.Context, dir string, o DirOptions) (*data.Dataset, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading input directory: %w", err)
	}
	byName := make(map[string]string, len(entries))
	for _, e := range entries {
		if !e.IsDir() {
			byName[strings.ToLower(e.Name())] = e.Name()
		}
	}
	errs := &data.ValidationError{}
	ds := &data.Dataset{}
	found := 0
	for _, kind := range Kinds() {
		var files []string
		for _, ext := range fileExts(kind) {
			if name, ok := byName[kind+ext]; ok {
				files = append(files, name)
			}
		}
		if len(files) == 0 {
			continue
		}
		found++
		if len(files) > 1 {
			errs.Add(data.FieldError{File: files[0], Reason: fmt.Sprintf("%s are both present: keep only one %s file", strings.Join(files, " and "), kind)})
			continue
		}
		path := filepath.Join(dir, files[0])
		var err error
		switch kind {
		case KindAreas:
			err = ReadAreas(ctx, path, errs, func(_ int, a data.Area) error { ds.Areas = append(ds.Areas, a); return nil })
		case KindSchools:
			err = ReadSchools(ctx, path, errs, func(_ int, s data.School) error { ds.Schools = append(ds.Schools, s); return nil })
		case KindHouseholds:
			if o.Households != nil {
				fn, ferr := o.Households(ds, rowsHint(path))
				if ferr != nil {
					return ds, ferr
				}
				err = ReadHouseholds(ctx, path, errs, fn)
				break
			}
			ds.Households = slices.Grow(ds.Households, rowsHint(path))
			err = ReadHouseholds(ctx, path, errs, func(_ int, h data.Household) error { ds.Households = append(ds.Households, h); return nil })
		case KindStudents:
			if o.Students != nil {
				fn, ferr := o.Students(ds, rowsHint(path))
				if ferr != nil {
					return ds, ferr
				}
				err = ReadStudents(ctx, path, errs, fn)
				break
			}
			ds.Students = slices.Grow(ds.Students, rowsHint(path))
			err = ReadStudents(ctx, path, errs, func(_ int, s data.Student) error { ds.Students = append(ds.Students, s); return nil })
		case KindSites:
			err = ReadSites(ctx, path, errs, func(_ int, s data.Sector) error { ds.Sectors = append(ds.Sectors, s); return nil })
		case KindFiberNodes:
			err = ReadFiberNodes(ctx, path, errs, func(_ int, n data.FiberNode) error { ds.FiberNodes = append(ds.FiberNodes, n); return nil })
		case KindFiberRoutes:
			err = ReadFiberRoutes(ctx, path, errs, func(_ int, r data.FiberRoute) error { ds.FiberRoutes = append(ds.FiberRoutes, r); return nil })
		case KindDevices:
			err = ReadDevices(ctx, path, errs, func(_ int, d data.Device) error { ds.Devices = append(ds.Devices, d); return nil })
		case KindSimPackages:
			err = ReadSimPackages(ctx, path, errs, func(_ int, p data.SimPackage) error { ds.SimPackages = append(ds.SimPackages, p); return nil })
		case KindCoveragePolygons:
			err = ReadCoveragePolygons(ctx, path, errs, func(_ int, p data.OperatorPolygon) error { ds.Polygons = append(ds.Polygons, p); return nil })
		case KindMeasurements:
			err = ReadMeasurements(ctx, path, errs, func(_ int, m data.Measurement) error { ds.Measurements = append(ds.Measurements, m); return nil })
		}
		var ve *data.ValidationError
		if err != nil && !(errors.As(err, &ve) && ve == errs) {
			return ds, err // cancelled
		}
	}
	if found == 0 {
		var want []string
		for _, k := range Kinds() {
			want = append(want, k+fileExts(k)[0])
		}
		errs.Add(data.FieldError{File: filepath.Base(dir), Reason: "no input file found: expected one or more of " + strings.Join(want, ", ") + " (tables may also be .xlsx)"})
	}
	return ds, errs.Err()
}

// CheckReferences checks the references between the files of a dataset:
// each student's household and school exist; each area's parent exists;
// and, when areas are given, each non-empty area_code of schools,
// households, devices and SIM packages names an area. It returns a
// *data.ValidationError (FieldError.File is the kind, Row is 0: records in
// memory have no row) or nil. The importer does the same against the
// database.
func CheckReferences(ds *data.Dataset) error {
	errs := &data.ValidationError{}
	set := func(n int, id func(int) string) map[string]struct{} {
		m := make(map[string]struct{}, n)
		for i := range n {
			m[id(i)] = struct{}{}
		}
		return m
	}
	areas := set(len(ds.Areas), func(i int) string { return ds.Areas[i].Code })
	if len(ds.Students) > 0 {
		households := set(len(ds.Households), func(i int) string { return ds.Households[i].ID })
		refs := NewStudentRefs(ds, len(ds.Households) > 0)
		for i := range ds.Students {
			_, ok := households[ds.Students[i].HouseholdID]
			refs.Check(errs, &ds.Students[i], ok)
		}
	}
	if len(ds.Areas) == 0 {
		return errs.Err()
	}
	for _, a := range ds.Areas {
		if _, ok := areas[a.ParentCode]; a.ParentCode != "" && !ok {
			errs.Add(data.FieldError{File: KindAreas, Column: "parent_code", Value: a.ParentCode,
				Reason: fmt.Sprintf("area %s: parent %s is not in areas", a.Code, a.ParentCode)})
		}
	}
	check := func(kind, id, code string) { checkArea(errs, areas, kind, id, code) }
	for _, s := range ds.Schools {
		check(KindSchools, s.ID, s.AreaCode)
	}
	for _, h := range ds.Households {
		check(KindHouseholds, h.ID, h.AreaCode)
	}
	for _, d := range ds.Devices {
		check(KindDevices, d.ID, d.AreaCode)
	}
	for _, p := range ds.SimPackages {
		check(KindSimPackages, p.ID, p.AreaCode)
	}
	checkHolders(ds, errs)
	return errs.Err()
}

// checkArea reports a non-empty area code that is not in areas.
func checkArea(errs *data.ValidationError, areas map[string]struct{}, kind, id, code string) {
	if _, ok := areas[code]; code != "" && !ok {
		errs.Add(data.FieldError{File: kind, Column: "area_code", Value: code,
			Reason: fmt.Sprintf("%s: area %s is not in areas", id, code)})
	}
}

// HouseholdRefs checks the area code of households one at a time, as
// CheckReferences does.
type HouseholdRefs struct{ areas map[string]struct{} }

// NewHouseholdRefs returns the checker of households against the areas of
// ds (nothing is checked when there are none).
func NewHouseholdRefs(ds *data.Dataset) *HouseholdRefs {
	if len(ds.Areas) == 0 {
		return &HouseholdRefs{}
	}
	c := &HouseholdRefs{areas: make(map[string]struct{}, len(ds.Areas))}
	for i := range ds.Areas {
		c.areas[ds.Areas[i].Code] = struct{}{}
	}
	return c
}

// Check adds the reference problem of household h, if any, to errs.
func (c *HouseholdRefs) Check(errs *data.ValidationError, h *data.Household) {
	if c.areas != nil {
		checkArea(errs, c.areas, KindHouseholds, h.ID, h.AreaCode)
	}
}

// StudentRefs checks the references of students one at a time, as
// CheckReferences does: their household and their school exist.
type StudentRefs struct {
	schools                   map[string]struct{}
	anyHouseholds, anySchools bool
}

// NewStudentRefs returns the checker of students against the schools of
// ds and households (a kind without records is not checked: anyHouseholds
// tells whether there are households).
func NewStudentRefs(ds *data.Dataset, anyHouseholds bool) *StudentRefs {
	c := &StudentRefs{anyHouseholds: anyHouseholds, anySchools: len(ds.Schools) > 0,
		schools: make(map[string]struct{}, len(ds.Schools))}
	for i := range ds.Schools {
		c.schools[ds.Schools[i].ID] = struct{}{}
	}
	return c
}

// Check adds the reference problems of student s to errs; homeFound tells
// whether its household is among the households (the caller looks it up).
func (c *StudentRefs) Check(errs *data.ValidationError, s *data.Student, homeFound bool) {
	if !homeFound && c.anyHouseholds {
		errs.Add(data.FieldError{File: KindStudents, Column: "household_id", Value: s.HouseholdID,
			Reason: fmt.Sprintf("student %s: household %s is not in households", s.ID, s.HouseholdID)})
	}
	if _, ok := c.schools[s.SchoolID]; !ok && c.anySchools {
		errs.Add(data.FieldError{File: KindStudents, Column: "school_id", Value: s.SchoolID,
			Reason: fmt.Sprintf("student %s: school %s is not in schools", s.ID, s.SchoolID)})
	}
}

// checkHolders checks the school_id of devices and SIM packages held by a
// school: the school exists and the row's area_code, when given, is the
// school's area.
func checkHolders(ds *data.Dataset, errs *data.ValidationError) {
	if len(ds.Schools) == 0 {
		return
	}
	area := make(map[string]string, len(ds.Schools))
	for _, s := range ds.Schools {
		area[s.ID] = s.AreaCode
	}
	check := func(kind, id, school, code string) {
		if school == "" {
			return
		}
		sa, ok := area[school]
		switch {
		case !ok:
			errs.Add(data.FieldError{File: kind, Column: "school_id", Value: school,
				Reason: fmt.Sprintf("%s: school %s is not in schools", id, school)})
		case code != "" && code != sa:
			errs.Add(data.FieldError{File: kind, Column: "area_code", Value: code,
				Reason: fmt.Sprintf("%s is held by school %s of area %s: leave area_code empty or write %s", id, school, sa, sa)})
		}
	}
	for _, d := range ds.Devices {
		check(KindDevices, d.ID, d.SchoolID, d.AreaCode)
	}
	for _, p := range ds.SimPackages {
		check(KindSimPackages, p.ID, p.SchoolID, p.AreaCode)
	}
}

// rowsHint estimates the rows of a CSV file from its size and the lines
// of its first 64 KiB (0 when it cannot tell), so the records are stored
// without growing their slice.
func rowsHint(path string) int {
	if tableExt(path) != ".csv" {
		return 0
	}
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0
	}
	head := make([]byte, 64<<10)
	n, _ := io.ReadFull(f, head)
	lines := bytes.Count(head[:n], []byte{'\n'})
	if lines == 0 || n == 0 {
		return 0
	}
	est := st.Size() / int64(n) * int64(lines)
	est += est/32 + 16
	return int(min(est, st.Size()/8, 1<<31))
}
