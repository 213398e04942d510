package format

import (
	"reflect"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data"
)

// Names and dates of birth: Vietnamese headers, both date forms, an
// impossible date, a date in the future.
func TestReadStudentNames(t *testing.T) {
	future := time.Now().AddDate(1, 0, 0).Format("02/01/2006")
	kindCase[data.Student]{
		kind: "students",
		rd:   ReadStudents,
		text: "Mã học sinh,Mã hộ,Mã trường,Lớp,Họ và tên,Ngày sinh\n" +
			"HS1,H1,T1,6,Nguyễn  Văn Đức ,05/09/2012\n" +
			"HS2,H1,T1,7,Trần Thị Lan,2011-01-31\n" +
			"HS3,H2,T2,8,,\n" +
			"HS4,H3,T2,8,Lê Nam,5/9/2012\n" +
			"HS5,H3,T2,8,Lê An,31/02/2012\n" +
			"HS6,H3,T2,8,Lê Bình," + future + "\n",
		rows: []int{2, 3, 4, 5},
		want: []data.Student{
			{ID: "HS1", HouseholdID: "H1", SchoolID: "T1", Grade: 6, FullName: "Nguyễn Văn Đức", BirthDate: "2012-09-05"},
			{ID: "HS2", HouseholdID: "H1", SchoolID: "T1", Grade: 7, FullName: "Trần Thị Lan", BirthDate: "2011-01-31"},
			{ID: "HS3", HouseholdID: "H2", SchoolID: "T2", Grade: 8},
			{ID: "HS4", HouseholdID: "H3", SchoolID: "T2", Grade: 8, FullName: "Lê Nam", BirthDate: "2012-09-05"},
		},
		errs: []data.FieldError{
			{Row: 6, Column: "Ngày sinh", Value: "31/02/2012", Reason: "write the date of birth as dd/mm/yyyy (05/09/2012) or yyyy-mm-dd (2012-09-05)"},
			{Row: 7, Column: "Ngày sinh", Value: future, Reason: "the date of birth is before 1950 or in the future"},
		},
	}.run(t)
	if h := StudentHeaderWithNames(); len(h) != len(StudentHeader())+2 || h[len(h)-2] != "full_name" || h[len(h)-1] != "birth_date" {
		t.Errorf("header %v", h)
	}
	if r := StudentRecordWithNames(data.Student{ID: "A", FullName: "Lê Nam", BirthDate: "2012-09-05"}); len(r) != len(StudentHeader())+2 || r[len(r)-2] != "Lê Nam" || r[len(r)-1] != "2012-09-05" {
		t.Errorf("record %v", r)
	}
}

// A date of birth typed into Excel as a date is a serial number.
func TestReadStudentBirthDateSerial(t *testing.T) {
	p := makeXLSX(t, "students.xlsx", [][]any{
		{"Mã học sinh", "Mã hộ", "Mã trường", "Lớp", "Họ tên", "Ngày sinh"},
		{"HS1", "H1", "T1", 6, "Lê Nam", 41157},
	})
	res := read(t, ReadStudents, p)
	want := []data.Student{{ID: "HS1", HouseholdID: "H1", SchoolID: "T1", Grade: 6, FullName: "Lê Nam", BirthDate: "2012-09-05"}}
	if !reflect.DeepEqual(res.recs, want) || res.errs.Len() != 0 {
		t.Errorf("got %+v, errors %v", res.recs, res.errs)
	}
}
