package format

import (
	"testing"

	"github.com/gapmap/gapmap/data"
)

// The covid_orphan column under its Vietnamese headers, with yes/no values
// in Vietnamese; absent, it defaults to false.
func TestReadStudentsCovidOrphan(t *testing.T) {
	for _, header := range []string{"Mồ côi do COVID-19", "Cha mẹ mất do COVID", "covid_orphan"} {
		// A reason names the column as the file writes it, then its standard name.
		label := header
		if header != "covid_orphan" {
			label += " (covid_orphan)"
		}
		t.Run(header, func(t *testing.T) {
			kindCase[data.Student]{
				kind: "students",
				rd:   ReadStudents,
				text: "Mã học sinh,Mã hộ,Mã trường,Lớp,Diện ưu tiên," + header + "\n" +
					"HS1,H1,T1,6,3,có\n" +
					"HS2,H2,T1,7,khó khăn,không\n" +
					"HS3,H3,T1,8,1,\n" +
					"HS4,H4,T1,8,3,maybe\n",
				rows: []int{2, 3, 4},
				want: []data.Student{
					{ID: "HS1", HouseholdID: "H1", SchoolID: "T1", Grade: 6, Priority: 3, CovidOrphan: true},
					{ID: "HS2", HouseholdID: "H2", SchoolID: "T1", Grade: 7, Priority: 3},
					{ID: "HS3", HouseholdID: "H3", SchoolID: "T1", Grade: 8, Priority: 1},
				},
				errs: []data.FieldError{
					{Row: 5, Column: header, Value: "maybe", Reason: label + ` "maybe" is not yes/no`},
				},
			}.run(t)
		})
	}
}

// The writer's header and record carry the flag, and read back.
func TestStudentRecordCovidOrphan(t *testing.T) {
	h := StudentHeader()
	if h[len(h)-1] != "covid_orphan" {
		t.Fatalf("header %v", h)
	}
	s := data.Student{ID: "A", HouseholdID: "H", SchoolID: "S", Grade: 3, Priority: 3, CovidOrphan: true}
	r := StudentRecord(s)
	if len(r) != len(h) || r[len(r)-1] != "true" {
		t.Fatalf("record %v", r)
	}
	roundTrip(t, KindStudents, h, StudentRecord, ReadStudents, []data.Student{s, {ID: "B", HouseholdID: "H", SchoolID: "S", Grade: 4}})
}
