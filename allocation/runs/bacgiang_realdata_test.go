package runs_test

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gapmap/gapmap/allocation"
	"github.com/gapmap/gapmap/allocation/report"
	"github.com/gapmap/gapmap/allocation/runs"
	"github.com/gapmap/gapmap/coverage"
	"github.com/gapmap/gapmap/coveragerun"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/gen"
	"github.com/gapmap/gapmap/data/importer"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
	"github.com/gapmap/gapmap/internal/realdata"
)

// TestProgrammeRulesOnBacGiang runs the programme's rules of issue 11 on
// the real communes of Bắc Giang (two-tier, as since July 2025), in
// PostGIS: a generated province (a fifth of the census households) with
// hand-made defects added to its files — devices whose charger is not
// stated, devices held by one school, pupils claiming tier 1 from a
// household that is not poor, the same child under a second id — then
// imported, analysed, and allocated under both tier orders, committed,
// handed over, returned, inspected and allocated again.
func TestProgrammeRulesOnBacGiang(t *testing.T) {
	if testing.Short() {
		t.Skip("the real-data programme test takes a while")
	}
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := gen.Generate(ctx, gen.Options{Seed: 3, Scale: 0.2, Names: true, OutDir: dir,
		AreasPath: realdata.Path(t, "bac_giang", "communes.geojson")}); err != nil {
		t.Fatal(err)
	}

	// Defects and edge cases, written into the generated files.
	households := readTable(t, filepath.Join(dir, "households.csv"))
	poverty := map[string]string{}
	for _, r := range households.rows {
		poverty[r[households.col["household_id"]]] = r[households.col["poverty"]]
	}
	students := readTable(t, filepath.Join(dir, "students.csv"))
	sc := students.col
	tier1At := map[string]int{}
	for _, r := range students.rows {
		if r[sc["priority"]] == "1" && r[sc["has_device"]] == "false" {
			tier1At[r[sc["school_id"]]]++
		}
	}
	holder := ""
	for s, n := range tier1At {
		if holder == "" || n > tier1At[holder] || (n == tier1At[holder] && s < holder) {
			holder = s
		}
	}
	if tier1At[holder] < 20 {
		t.Fatalf("no school with 20 tier-1 pupils (best %s: %d)", holder, tier1At[holder])
	}
	var claimed []string // tier 0 pupils of non-poor homes now claiming tier 1
	var twin []string    // a tier-1 pupil listed again under another id
	for _, r := range students.rows {
		switch {
		case len(claimed) < 5 && r[sc["priority"]] == "0" && r[sc["has_device"]] == "false" && poverty[r[sc["household_id"]]] == data.PovertyNone:
			r[sc["priority"]] = "1"
			claimed = append(claimed, r[sc["student_id"]])
		case twin == nil && r[sc["priority"]] == "1" && r[sc["has_device"]] == "false" && r[sc["full_name"]] != "" && poverty[r[sc["household_id"]]] == data.PovertyPoor:
			twin = slices.Clone(r)
		}
	}
	if len(claimed) < 5 || twin == nil {
		t.Fatalf("fixtures: %d tier-0 pupils of non-poor homes, twin %v", len(claimed), twin)
	}
	twinID := twin[sc["student_id"]]
	twin[sc["student_id"]] = "HSTWIN0001"
	students.rows = append(students.rows, twin)
	students.write(t)

	devices := readTable(t, filepath.Join(dir, "devices.csv"))
	dc := devices.col
	var unstated, held []string
	for _, r := range devices.rows {
		typ := r[dc["type"]]
		switch {
		case len(unstated) < 5 && (typ == data.DevicePhone || typ == data.DeviceTablet):
			r[dc["has_charger"]] = "" // not stated: needs an inspection
			unstated = append(unstated, r[dc["device_id"]])
		case len(held) < 10 && typ == data.DeviceLaptop:
			r[dc["school_id"]], r[dc["area_code"]] = holder, ""
			held = append(held, r[dc["device_id"]])
		}
	}
	devices.write(t)

	st := pgtest.New(t)
	day := time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)
	if _, err := importer.ImportDir(ctx, st, dir, importer.Options{Date: day}); err != nil {
		t.Fatal(err)
	}
	if _, err := coveragerun.Analyze(ctx, st, coveragerun.Options{Settings: coverage.DefaultSettings(), Date: day}); err != nil {
		t.Fatal(err)
	}
	var valid []string // the codes of the units valid on day
	rows, err := st.Pool().Query(ctx, `SELECT code FROM areas WHERE (valid_from IS NULL OR valid_from <= $1)
		AND (valid_to IS NULL OR valid_to > $1) ORDER BY code`, day)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		valid = append(valid, c)
	}
	if rows.Err() != nil || len(valid) != 231 {
		t.Fatalf("%d areas valid on %s (%v), want the province and its 230 communes", len(valid), day.Format(time.DateOnly), rows.Err())
	}

	svc := &runs.Service{Store: st}
	preview := func(order string) *report.View {
		s := allocation.DefaultSettings()
		s.TierOrder = order
		out, err := svc.Preview(ctx, runs.Options{Settings: s, Actor: "test", Date: day}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return out.View
	}
	strict, fair := preview(allocation.TierOrderStrict), preview(allocation.TierOrderFair)

	for name, v := range map[string]*report.View{"strict": strict, "fair": fair} {
		checkProgrammeRules(t, name, v, valid, programmeCase{claimed: claimed, twin: [2]string{twinID, "HSTWIN0001"},
			unstated: unstated, held: held, holder: holder})
	}
	// Strict serves tier 1 before anyone else; fair shares by area.
	if s, f := strict.Totals.AllocatedTier1, fair.Totals.AllocatedTier1; s < f || s == 0 {
		t.Errorf("tier 1 served: strict %d, fair %d; strict must serve at least as many", s, f)
	}
	waiting := 0
	for _, u := range strict.Unserved {
		if u.Priority == 1 && u.Reason == allocation.ReasonWaitNoStock {
			waiting++
		}
	}
	if waiting == 0 {
		t.Fatal("every tier-1 pupil was served: the stock is too large to test the strict order")
	}
	t.Logf("strict: tier 1/2/3 served %d/%d/%d, %d tier-1 pupils waiting; fair: %d/%d/%d; 3G SIMs %d",
		strict.Totals.AllocatedTier1, strict.Totals.AllocatedTier2, strict.Totals.AllocatedTier3, waiting,
		fair.Totals.AllocatedTier1, fair.Totals.AllocatedTier2, fair.Totals.AllocatedTier3, strict.Totals.Sims3G)
	heldSet := map[string]bool{}
	for _, d := range held {
		heldSet[d] = true
	}
	for _, a := range strict.Allocations {
		// While tier-1 pupils wait, a lower tier is served only from a
		// school's own stock or with a desktop without Wi-Fi (fiber homes
		// only, which the waiting pupils may not have).
		if a.Priority > 1 && !heldSet[a.DeviceID] && a.DeviceType != data.DeviceDesktop {
			t.Errorf("strict: tier-%d pupil %s got %s (%s) while %d tier-1 pupils wait", a.Priority, a.StudentID, a.DeviceID, a.DeviceType, waiting)
		}
	}

	// Commit, hand over, return, inspect: the device goes to another pupil
	// and the one who returned it is never served again.
	committed, err := svc.Commit(ctx, runs.Options{Settings: allocation.DefaultSettings(), Actor: "test", Date: day}, nil)
	if err != nil {
		t.Fatal(err)
	}
	first := committed.View.Allocations[0]
	on := time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC)
	if err := svc.Handover(ctx, "test", first.StudentID, "", on); err != nil {
		t.Fatal(err)
	}
	if err := svc.Return(ctx, "test", first.StudentID, "moved away", on.AddDate(0, 0, 10)); err != nil {
		t.Fatal(err)
	}
	again := preview(allocation.TierOrderStrict)
	for _, a := range again.Allocations {
		if a.DeviceID == first.DeviceID {
			t.Fatalf("returned device %s allocated to %s before any inspection", a.DeviceID, a.StudentID)
		}
	}
	if _, err := svc.Inspect(ctx, "inspector", runs.InspectRequest{DeviceID: first.DeviceID, Result: "ok", Date: on.AddDate(0, 0, 11)}); err != nil {
		t.Fatal(err)
	}
	again = preview(allocation.TierOrderStrict)
	got := ""
	for _, a := range again.Allocations {
		if a.StudentID == first.StudentID {
			t.Errorf("%s returned a device and was served again (%s)", a.StudentID, a.DeviceID)
		}
		if a.DeviceID == first.DeviceID {
			got = a.StudentID
		}
	}
	if got == "" {
		t.Errorf("the inspected device %s did not go back to a waiting pupil", first.DeviceID)
	}
	if again.AlreadyAllocated != len(committed.View.Allocations)-1 || again.AlreadyServed < len(committed.View.Allocations) {
		t.Errorf("after the commit: %d devices held, %d pupils served before; committed %d", again.AlreadyAllocated, again.AlreadyServed, len(committed.View.Allocations))
	}
}

type programmeCase struct {
	claimed        []string
	twin           [2]string
	unstated, held []string
	holder         string
}

// checkProgrammeRules checks one preview of TestProgrammeRulesOnBacGiang.
func checkProgrammeRules(t *testing.T, name string, v *report.View, valid []string, c programmeCase) {
	t.Helper()
	if len(v.Allocations) == 0 {
		t.Fatalf("%s: nothing allocated", name)
	}
	students, devices := map[string]bool{}, map[string]bool{}
	for _, a := range v.Allocations {
		if students[a.StudentID] || devices[a.DeviceID] {
			t.Fatalf("%s: %s or %s allocated twice", name, a.StudentID, a.DeviceID)
		}
		students[a.StudentID], devices[a.DeviceID] = true, true
		if _, ok := slices.BinarySearch(valid, a.AreaCode); !ok {
			t.Errorf("%s: %s allocated in area %s, not valid on the run's day", name, a.StudentID, a.AreaCode)
		}
		if a.SimNetwork == allocation.SimNetwork3G && a.Connectivity != data.Class3G && a.Connectivity != data.Class4G {
			t.Errorf("%s: 3G SIM for a %s home (%s)", name, a.Connectivity, a.StudentID)
		}
	}
	// Unknown charger: needs an inspection, never allocated.
	status := map[string]report.RejectedDevice{}
	for _, r := range v.RejectedDevices {
		status[r.DeviceID] = r
	}
	for _, d := range c.unstated {
		r, ok := status[d]
		if devices[d] || !ok || (r.Status != allocation.StatusInspect && r.Status != allocation.StatusLiquidate) || !slices.Contains(r.Reasons, allocation.ReasonUnknownCharger) {
			t.Errorf("%s: device %s without a stated charger: allocated %v, check %+v", name, d, devices[d], r)
		}
	}
	// Tier 1 claimed from a non-poor home: a conflict, not served.
	conflict := map[string]allocation.Conflict{}
	for _, x := range v.Conflicts {
		conflict[x.StudentID] = x
	}
	for _, s := range c.claimed {
		x := conflict[s]
		if students[s] || x.Reason != allocation.ReasonTier1NotPoor || x.ServedTier != 0 || x.Poverty != data.PovertyNone {
			t.Errorf("%s: pupil %s claiming tier 1 from a non-poor home: served %v, conflict %+v", name, s, students[s], x)
		}
	}
	// The same child under two ids: served once at most, listed.
	x := conflict[c.twin[1]]
	if x.Reason != allocation.ReasonSameChild || x.SameAs != c.twin[0] || students[c.twin[1]] {
		t.Errorf("%s: second id of one child: served %v, conflict %+v", name, students[c.twin[1]], x)
	}
	// The school's own laptops serve its own pupils (it has more tier-1
	// needs than laptops).
	for _, a := range v.Allocations {
		if slices.Contains(c.held, a.DeviceID) && a.SchoolID != c.holder {
			t.Errorf("%s: device %s held by %s went to %s at %s", name, a.DeviceID, c.holder, a.StudentID, a.SchoolID)
		}
	}
	passing := 0
	for _, d := range c.held {
		if _, rejected := status[d]; !rejected {
			passing++
			if !devices[d] {
				t.Errorf("%s: device %s held by %s was not used", name, d, c.holder)
			}
		}
	}
	if passing == 0 {
		t.Errorf("%s: none of the school's laptops passed the intake", name)
	}
}

// table is a CSV file read whole, to be edited and written back.
type table struct {
	path   string
	header []string
	col    map[string]int
	rows   [][]string
}

func readTable(t *testing.T, path string) *table {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(b), "\uFEFF"))).ReadAll()
	if err != nil || len(recs) < 2 {
		t.Fatalf("%s: %v (%d records)", path, err, len(recs))
	}
	tb := &table{path: path, header: recs[0], col: map[string]int{}, rows: recs[1:]}
	for i, h := range recs[0] {
		tb.col[h] = i
	}
	return tb
}

func (tb *table) write(t *testing.T) {
	t.Helper()
	f, err := os.Create(tb.path)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	if err := w.Write(tb.header); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteAll(tb.rows); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
