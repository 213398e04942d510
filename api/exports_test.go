package api_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/api"
	"github.com/gapmap/gapmap/data/export"
	"github.com/gapmap/gapmap/internal/exporttest"
)

// exportSums are the person counts of an export's cells.
type exportSums struct {
	households, cells, schools, minHH int
	students, unconnected             [4]int
}

func sumExport(t *testing.T, rows exporttest.Rows) exportSums {
	t.Helper()
	s := exportSums{minHH: 1 << 30}
	for _, r := range rows {
		switch r["kind"] {
		case export.KindCell:
			s.cells++
			n := exporttest.Int(t, r, "households")
			s.households += n
			s.minHH = min(s.minHH, n)
			for k := 1; k <= 3; k++ {
				s.students[k] += exporttest.Int(t, r, "students_t"+strconv.Itoa(k))
				s.unconnected[k] += exporttest.Int(t, r, "unconnected_students_t"+strconv.Itoa(k))
			}
			if r["h3"] == "" || r["lat"] == "" || r["res"] == "" || exporttest.Int(t, r, "merged_cells") < 1 {
				t.Errorf("cell row %v", r)
			}
			for _, col := range []string{"school_id", "school_name", "school_students"} {
				if r[col] != "" {
					t.Errorf("cell row with %s: %v", col, r)
				}
			}
		case export.KindSchool:
			s.schools++
			if r["school_id"] == "" || r["households"] != "" {
				t.Errorf("school row %v", r)
			}
		default:
			t.Errorf("row of kind %q", r["kind"])
		}
	}
	return s
}

// runSums are the run's own totals over the cells an export must carry:
// the gap cells (no network), or the cells with demand an operator does
// not serve, at the analysis resolution.
func (e *covEnv) runSums(operator string) (s exportSums) {
	e.t.Helper()
	err := e.st.Pool().QueryRow(context.Background(), `SELECT coalesce(sum(households), 0),
			coalesce(sum(students_t1), 0), coalesce(sum(students_t2), 0), coalesce(sum(students_t3), 0),
			coalesce(sum(unconnected_students_t1), 0), coalesce(sum(unconnected_students_t2), 0), coalesce(sum(unconnected_students_t3), 0)
		FROM coverage_cells WHERE run_id = $1 AND res = 9 AND CASE WHEN $2 = '' THEN gap
			ELSE NOT ($2 = ANY (served_operators)) AND (students_t1 + students_t2 + students_t3 > 0 OR schools > 0) END`, e.runID, operator).
		Scan(&s.households, &s.students[1], &s.students[2], &s.students[3], &s.unconnected[1], &s.unconnected[2], &s.unconnected[3])
	if err != nil {
		e.t.Fatal(err)
	}
	err = e.st.Pool().QueryRow(context.Background(), `SELECT count(*) FROM coverage_entities WHERE run_id = $1 AND entity_type = 'school'
		AND CASE WHEN $2 = '' THEN connectivity NOT IN ('fiber', '4g') ELSE NOT ($2 = ANY (operators_4g)) END`, e.runID, operator).Scan(&s.schools)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func TestExportUncovered(t *testing.T) {
	e := newCovEnv(t, true)
	ctx := context.Background()
	// A school whose name looks like a formula (CSV must escape it).
	const formula = `=HYPERLINK("http://evil.example","x")`
	tag, err := e.st.Pool().Exec(ctx, `UPDATE schools SET name = $2 WHERE school_id = (SELECT entity_id FROM coverage_entities
		WHERE run_id = $1 AND entity_type = 'school' AND connectivity NOT IN ('fiber', '4g') ORDER BY entity_id LIMIT 1)`, e.runID, formula)
	if err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("rename a school: %v %v", tag, err)
	}
	// The run's totals; its unconnected students by tier are those of the
	// gap areas.
	want := e.runSums("")
	var gapT [4]int
	if err := e.st.Pool().QueryRow(ctx, `SELECT sum(students_t1), sum(students_t2), sum(students_t3) FROM gap_areas WHERE run_id = $1`, e.runID).
		Scan(&gapT[1], &gapT[2], &gapT[3]); err != nil {
		t.Fatal(err)
	}
	if want.unconnected != gapT || want.households == 0 || want.schools == 0 {
		t.Fatalf("run totals: cells %+v, gap areas by tier %v", want, gapT)
	}
	var smallCells, gapCells int
	if err := e.st.Pool().QueryRow(ctx, `SELECT count(*) FILTER (WHERE households BETWEEN 1 AND 4), count(*) FILTER (WHERE households > 0)
		FROM coverage_cells WHERE run_id = $1 AND res = 9 AND gap`, e.runID).Scan(&smallCells, &gapCells); err != nil {
		t.Fatal(err)
	}
	if smallCells == 0 {
		t.Fatal("the fixture must hold gap cells with fewer than 5 households")
	}
	var hhIDs []string
	rows, err := e.st.Pool().Query(ctx, `SELECT household_id FROM households`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		hhIDs = append(hhIDs, id)
	}
	rows.Close()
	personID := regexp.MustCompile(`HH\d{8}|HS\d{7}`)

	for _, f := range export.Formats() {
		t.Run(f, func(t *testing.T) {
			code, b, h := e.do("planner", http.MethodGet, "/api/v1/exports/uncovered?format="+f, nil)
			if code != http.StatusOK {
				t.Fatalf("status %d: %s", code, b)
			}
			if h.Get("Content-Type") != export.ContentType(f) || !strings.Contains(h.Get("Content-Disposition"), `filename="uncovered_run`) {
				t.Errorf("headers %v", h)
			}
			if m := personID.Find(b); m != nil {
				t.Fatalf("person id %s in the %s export", m, f)
			}
			for _, id := range hhIDs {
				if bytes.Contains(b, []byte(id)) {
					t.Fatalf("household id %s in the %s export", id, f)
				}
			}
			rows := exporttest.Parse(t, f, b)
			got := sumExport(t, rows)
			if got.minHH < 5 {
				t.Errorf("a cell holds %d households, fewer than k=5", got.minHH)
			}
			if got.households != want.households || got.students != want.students || got.unconnected != want.unconnected || got.schools != want.schools {
				t.Errorf("%s totals %+v, the run's %+v", f, got, want)
			}
			if got.cells == 0 || got.cells >= gapCells {
				t.Errorf("%s: %d cells for %d gap cells with homes (%d small): nothing merged?", f, got.cells, gapCells, smallCells)
			}
			named := false
			for _, r := range rows {
				named = named || r["school_name"] == formula
			}
			if !named {
				t.Errorf("%s: the school named %s is missing or altered", f, formula)
			}
			switch f {
			case "csv":
				if !bytes.HasPrefix(b, []byte("\ufeff")) || !bytes.Contains(b, []byte(`"'=HYPERLINK(""http://evil.example"",""x"")"`)) {
					t.Errorf("CSV: no BOM or the formula cell is not escaped")
				}
			case "geojson", "kml":
				if n := exporttest.OGRFeatureCount(t, "x."+f, b); n != len(rows) {
					t.Errorf("ogrinfo reads %d features in the %s export, want %d", n, f, len(rows))
				}
			}
		})
	}

	// A larger k merges more and keeps the totals.
	code, b, _ := e.do("viewer", http.MethodGet, "/api/v1/exports/uncovered?k=40", nil)
	if code != http.StatusOK {
		t.Fatalf("k=40: %d %s", code, b)
	}
	k40 := sumExport(t, exporttest.ParseCSV(t, b))
	if k40.minHH < 40 || k40.households != want.households || k40.students != want.students {
		t.Errorf("k=40: %+v, run %+v", k40, want)
	}
	if code, _, _ := e.do("viewer", http.MethodGet, "/api/v1/exports/uncovered?k=2", nil); code != http.StatusUnprocessableEntity {
		t.Errorf("k below the server's threshold: %d", code)
	}

	// The operator view, and the roles.
	code, b, h := e.do("viettel", http.MethodGet, "/api/v1/exports/uncovered?format=csv", nil)
	if code != http.StatusOK || !strings.Contains(h.Get("Content-Disposition"), "_viettel.csv") {
		t.Fatalf("viettel's own export: %d %v %s", code, h, b)
	}
	wantVT := e.runSums("viettel")
	vt := sumExport(t, exporttest.ParseCSV(t, b))
	if vt.households != wantVT.households || vt.students != wantVT.students || vt.schools != wantVT.schools || vt.minHH < 5 || vt.households < want.households {
		t.Errorf("viettel view %+v, run %+v", vt, wantVT)
	}
	for _, c := range []struct {
		user, query string
		want        int
	}{
		{"viettel", "?operator=viettel&format=kml", http.StatusOK},
		{"viettel", "?view=no_network", http.StatusOK},
		{"viettel", "?view=operator&format=geojson", http.StatusOK},
		{"viettel", "?operator=VNPT", http.StatusForbidden},
		{"viettel", "?operator=mobifone", http.StatusForbidden},
		{"viettel", "?view=operator&operator=vinaphone", http.StatusForbidden},
		{"mobifone", "?operator=mobifone", http.StatusOK},
		{"mobifone", "?operator=viettel", http.StatusForbidden},
		{"viewer", "?operator=mobifone", http.StatusOK},
		{"admin", "?view=no_network&format=xlsx", http.StatusOK},
		{"planner", "?area=99001", http.StatusOK},
		{"planner", "?area=nowhere", http.StatusNotFound},
		{"planner", "?run=999", http.StatusNotFound},
		{"planner", "?format=pdf", http.StatusUnprocessableEntity},
		{"planner", "?view=operator", http.StatusUnprocessableEntity},
		{"planner", "?view=everything", http.StatusUnprocessableEntity},
		{"officer", "", http.StatusForbidden},
		{"", "", http.StatusUnauthorized},
	} {
		if code, b, _ := e.do(c.user, http.MethodGet, "/api/v1/exports/uncovered"+c.query, nil); code != c.want {
			t.Errorf("%s %s: %d, want %d: %.200s", c.user, c.query, code, c.want, b)
		}
	}

	// By area: only that area's points.
	_, b, _ = e.do("planner", http.MethodGet, "/api/v1/exports/uncovered?area=99001", nil)
	for _, r := range exporttest.ParseCSV(t, b) {
		if r["kind"] == export.KindSchool && r["area_code"] != "99001" {
			t.Errorf("area 99001 export holds a school of %s", r["area_code"])
		}
	}

	audit, err := e.st.AuditLog(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range audit {
		if a.Action == "export_uncovered" {
			n++
			if a.Object != "coverage run "+strconv.FormatInt(e.runID, 10) {
				t.Errorf("audit object %q", a.Object)
			}
		}
	}
	if n < 10 {
		t.Errorf("%d exports audited", n)
	}
}

// Config.PrivacyK is the server's threshold.
func TestExportPrivacyKFromConfig(t *testing.T) {
	e := newCovEnv(t, true)
	cfg := api.DefaultConfig()
	cfg.PrivacyK = 25
	srv := httptest.NewServer(api.Validating(t, api.NewServer(context.Background(), api.Deps{Store: e.st, Config: cfg})))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/exports/uncovered", nil)
	req.Header.Set("Authorization", "Bearer "+e.tokens["viewer"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	got := sumExport(t, exporttest.ParseCSV(t, buf.Bytes()))
	want := e.runSums("")
	if resp.StatusCode != http.StatusOK || got.minHH < 25 || got.households != want.households {
		t.Errorf("PrivacyK 25: status %d, %+v, run %+v", resp.StatusCode, got, want)
	}
}
