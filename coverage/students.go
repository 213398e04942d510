package coverage

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"strings"

	"github.com/gapmap/gapmap/data"
)

// StudentTally is all the analysis needs of the student list: the
// students of each household by priority tier, those of tier 1–3 without
// a device, the students of each school (when a school reports no count)
// and the students whose household is unknown. A reader of a large
// dataset counts the students as it reads them (Add) instead of keeping
// millions of records: a tally takes 10 bytes per household whatever the
// number of students. Analyze builds one from Dataset.Students when the
// input has none.
type StudentTally struct {
	households homes
	tab        *idTable
	cursor     int32
	// stud and noDev are indexed like the households.
	stud  [][4]uint16
	noDev []uint16
	// schoolCount is nil when every school reports its count. Its values
	// are pointers so that counting never writes a key: a map assignment
	// stores the caller's string, which may share a reader's large block.
	schoolCount map[string]*int32
	students    int
	withoutHome int
}

// NewStudentTally returns an empty tally of the students of the
// households and schools of in (household ids must be unique: the error
// names a duplicate); workers goroutines index the households (0: all
// cores).
func NewStudentTally(ctx context.Context, in *Input, workers int) (*StudentTally, error) {
	households, schools := in.homes(), in.Dataset.Schools
	nh := households.len()
	if nh > math.MaxInt32-1 {
		return nil, fmt.Errorf("%d households exceed the engine's limit of %d: partition the run by province", nh, math.MaxInt32-1)
	}
	w := workers
	if w <= 0 {
		w = runtime.GOMAXPROCS(0)
	}
	tab, dup, err := newIDTable(ctx, nh, func(j int32) string { return households.id(int(j)) }, w)
	if err != nil {
		return nil, err
	}
	if dup != "" {
		return nil, fmt.Errorf("duplicate household id %q: household ids must be unique", dup)
	}
	t := &StudentTally{households: households, tab: tab, cursor: -1,
		stud: make([][4]uint16, nh), noDev: make([]uint16, nh)}
	for i := range schools {
		if schools[i].Students <= 0 {
			t.schoolCount = map[string]*int32{}
			break
		}
	}
	return t, nil
}

// Home returns the index of the household with the given id, -1 when there
// is none. Lists are usually grouped by household in household order: a
// cursor on the household list finds most homes without hashing.
func (t *StudentTally) Home(id string) int32 {
	c, nh := t.cursor, int32(t.households.len())
	switch {
	case c >= 0 && t.households.id(int(c)) == id:
		return c
	case c >= 0 && c+1 < nh && t.households.id(int(c+1)) == id:
		t.cursor = c + 1
		return c + 1
	}
	j := t.tab.find(id, func(j int32) string { return t.households.id(int(j)) })
	if j >= 0 {
		t.cursor = j
	}
	return j
}

// Add counts one student; it returns false when the student's household
// is not among the households (the student is counted as without a home).
// Add is not safe for concurrent use.
func (t *StudentTally) Add(s *data.Student) bool {
	h := t.Home(s.HouseholdID)
	t.count(s, h)
	return h >= 0
}

// count counts student s of household h (-1: unknown).
func (t *StudentTally) count(s *data.Student, h int32) {
	t.students++
	if t.schoolCount != nil && s.SchoolID != "" {
		c, ok := t.schoolCount[s.SchoolID]
		if !ok {
			c = new(int32)
			t.schoolCount[strings.Clone(s.SchoolID)] = c
		}
		*c++
	}
	if h < 0 {
		t.withoutHome++
		return
	}
	tier := s.Priority
	if tier < 0 || tier > 3 {
		tier = 0
	}
	if t.stud[h][tier] < math.MaxUint16 {
		t.stud[h][tier]++
	}
	if tier > 0 && !s.HasDevice && t.noDev[h] < math.MaxUint16 {
		t.noDev[h]++
	}
}

// Done frees the index of the households once every student is added:
// Add must not be called after.
func (t *StudentTally) Done() { t.tab = nil }

// Students returns the number of students counted.
func (t *StudentTally) Students() int { return t.students }

// tallyStudents counts the students of a dataset: the homes are found in
// parallel, then counted in order.
func tallyStudents(ctx context.Context, in *Input, w int) (*StudentTally, error) {
	ds := in.Dataset
	t, err := NewStudentTally(ctx, in, w)
	if err != nil {
		return nil, err
	}
	home := make([]int32, len(ds.Students))
	shard := (len(ds.Students) + w - 1) / max(w, 1)
	if err := parallel(ctx, w, 1, w, func(lo, hi int) {
		for g := lo; g < hi; g++ {
			// Each worker has its own cursor.
			c := &StudentTally{households: t.households, tab: t.tab, cursor: -1}
			for k := g * shard; k < min(len(ds.Students), (g+1)*shard); k++ {
				home[k] = c.Home(ds.Students[k].HouseholdID)
			}
		}
	}); err != nil {
		return nil, err
	}
	for k := range ds.Students {
		t.count(&ds.Students[k], home[k])
	}
	return t, ctx.Err()
}
