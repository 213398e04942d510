package runs_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gapmap/gapmap/allocation"
	"github.com/gapmap/gapmap/allocation/report"
	"github.com/gapmap/gapmap/allocation/runs"
	"github.com/gapmap/gapmap/data/importer"
	"github.com/xuri/excelize/v2"
)

// TestNamesEndToEnd: names and dates of birth imported with Vietnamese
// headers reach the handover list (a preview from memory, a committed run
// read back from PostGIS), never the stored report; the same child under
// two ids is listed in conflicts.csv and served once.
func TestNamesEndToEnd(t *testing.T) {
	ctx := context.Background()
	st := province(ctx, t)
	path := filepath.Join(t.TempDir(), "students.csv")
	body := "Mã học sinh,Mã hộ,Mã trường,Lớp,Diện ưu tiên,Mồ côi do COVID-19,Họ và tên,Ngày sinh\n" +
		"ST1,H1,S1,3,1,,Nguyễn Văn Đức,05/09/2012\nST2,H2,S1,4,2,,,\nST3,H3,S2,7,1,,Lê Thị Hoa,2010-01-31\n" +
		"ST4,H4,S2,8,3,x,,\nST5,H5,S2,8,0,,,\nST6,H6,S1,2,1,,,\n" +
		"ST7,H1,S1,3,1,,NGUYEN VAN DUC,2012-09-05\n" // ST1 again under another id
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := importer.Import(ctx, st, "students", path, importer.Options{Replace: true}); err != nil {
		t.Fatal(err)
	}
	svc := &runs.Service{Store: st}
	o := runs.Options{Settings: allocation.DefaultSettings(), Actor: "cô Lan", Date: time.Now()}
	p, err := svc.Preview(ctx, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	var same []allocation.Conflict
	for _, c := range p.View.Conflicts {
		if c.Reason == allocation.ReasonSameChild {
			same = append(same, c)
		}
	}
	if len(same) != 1 || same[0].StudentID != "ST7" || same[0].SameAs != "ST1" || same[0].KeptSchoolID != "S1" {
		t.Fatalf("same-child conflicts %+v", same)
	}
	for _, a := range p.View.Allocations {
		if a.StudentID == "ST7" {
			t.Errorf("ST7 served: %+v", a)
		}
	}
	var buf bytes.Buffer
	if err := report.WriteConflicts(&buf, p.View); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\ufeff"))).ReadAll()
	found := false
	for _, r := range recs {
		if r[0] == "ST7" {
			found = r[4] == "same_child_two_ids" && r[8] == "ST1" && r[6] == "0" && strings.Contains(r[3], "same child")
		}
	}
	if err != nil || !found || recs[0][8] != "same_as" {
		t.Errorf("conflicts.csv %q, %v", recs, err)
	}

	handoverRow := func(v *report.View, student string) []string {
		t.Helper()
		var b bytes.Buffer
		if err := report.WriteHandover(&b, v, "S1"); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(&b)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := f.GetRows(f.GetSheetList()[0])
		if err != nil {
			t.Fatal(err)
		}
		if rows[2][2] != "Họ và tên" || rows[2][3] != "Ngày sinh" {
			t.Errorf("header %q", rows[2])
		}
		for _, r := range rows[3:] {
			if len(r) > 1 && r[1] == student {
				return r
			}
		}
		t.Fatalf("%s not on the handover list: %q", student, rows)
		return nil
	}
	if r := handoverRow(p.View, "ST1"); r[2] != "Nguyễn Văn Đức" || r[3] != "05/09/2012" {
		t.Errorf("preview handover row %q", r)
	}
	c, err := svc.Commit(ctx, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	back, err := svc.View(ctx, c.Run.ID, runs.Scope{})
	if err != nil {
		t.Fatal(err)
	}
	if r := handoverRow(back, "ST1"); r[2] != "Nguyễn Văn Đức" || r[3] != "05/09/2012" {
		t.Errorf("committed handover row %q", r)
	}
	if r := handoverRow(back, "ST6"); r[2] != "" || r[3] != "" {
		t.Errorf("ST6 has no name: %q", r)
	}
	// The stored reports (preview and commit) hold no name or date of birth.
	var leaks int
	if err := st.Pool().QueryRow(ctx, `SELECT count(*) FROM allocation_run_reports
		WHERE report::text LIKE '%Đức%' OR report::text LIKE '%2012-09-05%' OR report::text LIKE '%full_name%'`).Scan(&leaks); err != nil || leaks != 0 {
		t.Errorf("%d stored reports hold personal names (%v)", leaks, err)
	}
}
