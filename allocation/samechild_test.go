package allocation

import (
	"fmt"
	"slices"
	"testing"

	"github.com/gapmap/gapmap/data"
)

func named(id, schoolID string, tier int, household, name, birth string) data.Student {
	s := student(id, schoolID, tier, household)
	s.FullName, s.BirthDate = name, birth
	return s
}

// The same child under two ids (same folded name and date of birth, same
// household or school) is served once; namesakes elsewhere, other dates
// of birth and records without a date are not matched.
func TestSameChildTwoIDs(t *testing.T) {
	in := Input{
		Areas:   []data.Area{area("P", "")},
		Schools: []data.School{school("S1", data.LevelUpper, "P"), school("S2", data.LevelUpper, "P")},
		Students: []data.Student{
			named("a1", "S1", 1, "H1", "Nguyễn Văn Đức", "2012-05-03"),
			named("a2", "S2", 1, "H1", " nguyen  van duc", "2012-05-03"), // same household
			named("b1", "S1", 1, "H2", "Trần Thị Lan", "2013-01-01"),
			named("b2", "S1", 2, "H3", "TRẦN THỊ LAN", "2013-01-01"), // same school
			named("c1", "S1", 1, "H4", "Lê Văn Nam", "2012-02-02"),
			named("c2", "S2", 1, "H5", "Lê Văn Nam", "2012-02-02"), // namesake elsewhere
			named("d1", "S1", 1, "H6", "Phạm An", "2012-03-03"),
			named("d2", "S1", 1, "H6", "Phạm An", "2011-03-03"), // other date of birth
			named("e1", "S1", 1, "H7", "Hoàng Mai", ""),
			named("e2", "S1", 1, "H7", "Hoàng Mai", ""), // no date of birth
			named("f0", "S1", 1, "H8", "Vu Ha", "2012-04-04"),
			named("f1", "S1", 1, "H8", "Vũ Hà", "2012-04-04"), // served before: kept
			named("g0", "S1", 0, "H9", "Đỗ Minh", "2012-06-06"),
			named("g1", "S1", 2, "H9", "Do Minh", "2012-06-06"), // in need: kept
		},
		Served: map[string]bool{"f1": true},
	}
	for i := range 14 {
		in.Devices = append(in.Devices, laptop(fmt.Sprintf("L%02d", i), ""))
	}
	res := run(t, in, DefaultSettings())
	var served []string
	for _, a := range res.Allocations {
		served = append(served, a.StudentID)
	}
	slices.Sort(served)
	if want := []string{"a1", "b1", "c1", "c2", "d1", "d2", "e1", "e2", "g1"}; !slices.Equal(served, want) {
		t.Errorf("served %v, want %v", served, want)
	}
	if res.AlreadyServed != 1 || len(res.Unserved) != 0 {
		t.Errorf("already served %d, unserved %+v", res.AlreadyServed, res.Unserved)
	}
	type c struct {
		id, sameAs, kept string
		schools          string
		claimed          int
	}
	want := []c{{"a2", "a1", "S1", "S1,S2", 1}, {"b2", "b1", "S1", "S1,S1", 2}, {"f0", "f1", "S1", "S1,S1", 1}, {"g0", "g1", "S1", "S1,S1", 0}}
	var got []c
	for _, k := range res.Conflicts {
		if k.Reason != ReasonSameChild || k.ServedTier != 0 {
			t.Errorf("conflict %+v", k)
			continue
		}
		got = append(got, c{k.StudentID, k.SameAs, k.KeptSchoolID, k.SchoolIDs[0] + "," + k.SchoolIDs[1], k.ClaimedTier})
	}
	if !slices.Equal(got, want) {
		t.Errorf("same-child conflicts %+v, want %+v", got, want)
	}
	if tot := res.Totals; tot.Needs != 9 || tot.NeedsTier1 != 8 || tot.NeedsTier2 != 1 {
		t.Errorf("totals %+v", tot)
	}
}

func TestFoldName(t *testing.T) {
	for in, want := range map[string]string{
		"Nguyễn  Văn ĐỨC": "nguyen van duc", " đặng thị-hồng ": "dang thi hong", "": "", "Ngô Quyền.": "ngo quyen",
	} {
		if got := data.FoldName(in); got != want {
			t.Errorf("FoldName(%q) = %q, want %q", in, got, want)
		}
	}
}
