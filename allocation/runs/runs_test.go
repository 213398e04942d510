package runs_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/gapmap/gapmap/allocation"
	"github.com/gapmap/gapmap/allocation/report"
	"github.com/gapmap/gapmap/allocation/runs"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/importer"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
)

func square(lon, lat float64) string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	return `{"type":"Polygon","coordinates":[[[` + f(lon) + `,` + f(lat) + `],[` + f(lon+0.1) + `,` + f(lat) + `],[` +
		f(lon+0.1) + `,` + f(lat+0.1) + `],[` + f(lon) + `,` + f(lat+0.1) + `],[` + f(lon) + `,` + f(lat) + `]]]}`
}

// province stores the hand-checked province of cmd/gapmap's tests (see
// TestAllocateOffline there) with its coverage run.
func province(ctx context.Context, t *testing.T) *postgis.Store {
	t.Helper()
	st := pgtest.New(t)
	dir := t.TempDir()
	files := map[string]string{
		"areas.geojson": `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"24","name":"Bắc Giang","level":"province"},"geometry":` + square(106.0, 21.2) + `},
{"type":"Feature","properties":{"code":"213","name":"TP Bắc Giang","level":"district","parent_code":"24"},"geometry":` + square(106.0, 21.2) + `},
{"type":"Feature","properties":{"code":"7210","name":"Trần Nguyên Hãn","level":"commune","parent_code":"213"},"geometry":` + square(106.0, 21.2) + `},
{"type":"Feature","properties":{"code":"7211","name":"Ngô Quyền","level":"commune","parent_code":"213"},"geometry":` + square(106.0, 21.2) + `}]}`,
		"schools.csv": "school_id,name,level,lat,lon,area_code,students,internet\n" +
			"S1,Tiểu học Trần Phú,primary,21.25,106.05,7210,300,fiber\nS2,THCS Ngô Quyền,lower,21.26,106.06,7211,400,4g\n",
		"households.csv": "household_id,lat,lon,area_code,location_precision,poverty,members\n" +
			"H1,21.25,106.05,7210,gps,poor,4\nH2,21.25,106.05,7210,gps,near_poor,4\nH3,21.26,106.06,7211,gps,poor,4\n" +
			"H4,21.26,106.06,7211,gps,none,4\nH5,21.26,106.06,7211,gps,none,4\nH6,21.25,106.05,7210,gps,poor,4\n",
		"students.csv": "student_id,household_id,school_id,grade,priority,has_device,covid_orphan\n" +
			"ST1,H1,S1,3,1,false,\nST2,H2,S1,4,2,false,\nST3,H3,S2,7,1,false,\nST4,H4,S2,8,3,false,true\nST5,H5,S2,8,0,false,\nST6,H6,S1,2,1,false,\n",
		"devices.csv": "device_id,donor,type,os,os_version,cpu_ghz,ram_gb,storage_gb,free_storage_gb,has_charger,av_ok,screen_ok,keyboard_ok,has_monitor,wifi,serial,imei,area_code\n" +
			"DV1,Quỹ Vì em,tablet,android,10,,3,32,20,true,true,true,true,true,true,SN-T1,356938035643809,\n" +
			"DV2,Quỹ Vì em,tablet,android,11,,4,64,30,true,true,true,true,true,true,SN-T2,,213\n" +
			"DV3,Viettel,phone,android,9,,2,32,12,true,true,true,true,true,true,,356938035643817,\n" +
			"DV4,Cá nhân,laptop,windows,10,1.6,1,256,100,true,true,true,true,true,true,SN-L4,,\n" +
			"DV5,Cá nhân,phone,android,10,,3,32,20,false,true,true,true,true,true,,356938035643825,\n",
		"sim_packages.csv": "package_id,operator,gb_per_day,months,quantity,area_code\nP1,viettel,4,3,10,24\nP2,mobifone,1,3,10,\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := importer.ImportDir(ctx, st, dir, importer.Options{}); err != nil {
		t.Fatal(err)
	}
	var runID int64
	if err := st.Pool().QueryRow(ctx, `INSERT INTO coverage_runs (parameters) VALUES ('{}') RETURNING id`).Scan(&runID); err != nil {
		t.Fatal(err)
	}
	for _, h := range []struct {
		id, class string
		ops       []string
	}{{"H1", "4g", []string{"viettel", "vinaphone"}}, {"H2", "fiber", []string{"viettel"}}, {"H3", "none", []string{}},
		{"H4", "4g", []string{"mobifone"}}, {"H5", "4g", []string{"mobifone"}}} {
		if _, err := st.Pool().Exec(ctx, `INSERT INTO coverage_entities (run_id, entity_type, entity_id, h3, connectivity, operators_4g, geom)
			VALUES ($1, 'household', $2, 0, $3, $4, ST_SetSRID(ST_MakePoint(106.05, 21.25), 4326))`, runID, h.id, h.class, h.ops); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// normal drops what differs only in representation (times of day, nil
// against empty) before comparing two views.
func normal(t *testing.T, v *report.View) map[string]any {
	t.Helper()
	c := *v
	c.Run.Date = time.Date(v.Run.Date.Year(), v.Run.Date.Month(), v.Run.Date.Day(), 0, 0, 0, 0, time.UTC)
	b, err := json.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestPreviewCommitView: a preview and a commit read back from the store
// equal the views the runs returned; a handover and a cancellation show in
// the committed run read again; scopes keep an officer's area.
func TestPreviewCommitView(t *testing.T) {
	ctx := context.Background()
	st := province(ctx, t)
	svc := &runs.Service{Store: st}
	o := runs.Options{Settings: allocation.DefaultSettings(), Actor: "cô Lan", Date: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	var phases []string
	p, err := svc.Preview(ctx, o, func(phase string, _ float64) { phases = append(phases, phase) })
	if err != nil {
		t.Fatal(err)
	}
	if p.Run.Status != postgis.RunPreview || len(p.View.Allocations) != 3 || p.View.SimsGiven() != 1 || p.Needs != 5 || p.UnknownHomes != 1 {
		t.Fatalf("preview %+v: %d allocations", p.Run, len(p.View.Allocations))
	}
	if len(phases) < 3 || phases[len(phases)-1] != "done" {
		t.Errorf("progress phases %v", phases)
	}
	back, err := svc.View(ctx, p.Run.ID, runs.Scope{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(normal(t, back), normal(t, p.View)) {
		t.Errorf("preview read back differs:\n%v\n%v", normal(t, back), normal(t, p.View))
	}

	c, err := svc.CommitPreview(ctx, p.Run.ID, "cô Lan", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Run.Status != postgis.RunCommitted || c.Run.Devices != 3 || c.Run.Sims != 1 {
		t.Fatalf("commit %+v", c.Run)
	}
	if _, err := svc.CommitPreview(ctx, c.Run.ID, "cô Lan", nil); !errors.Is(err, data.ErrConflict) {
		t.Errorf("committing a committed run: %v, want a conflict", err)
	}
	back, err = svc.View(ctx, c.Run.ID, runs.Scope{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(normal(t, back), normal(t, c.View)) {
		t.Errorf("committed run read back differs:\n%v\n%v", normal(t, back), normal(t, c.View))
	}
	if back.Allocations[0].Handover == nil || back.Allocations[0].Handover.Status != postgis.HandoverPending || back.Run.Mode != report.ModeCommitted {
		t.Errorf("committed view %+v", back.Allocations[0])
	}

	// An officer of 7211 sees S2 only; the totals are its area's.
	sc, err := svc.View(ctx, c.Run.ID, runs.Scope{AreaCode: "7211"})
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Allocations) != 1 || sc.Allocations[0].StudentID != "ST3" || len(sc.Areas) != 1 || sc.Totals.Code != "7211" ||
		sc.Totals.Allocated != 1 || len(sc.Unserved) != 1 || sc.Unserved[0].StudentID != "ST4" || len(sc.Schools) != 1 {
		t.Errorf("scope 7211: %+v", sc)
	}
	if _, _, err := svc.Allocation(ctx, "ST3", []string{"7210"}); !errors.Is(err, data.ErrNotFound) {
		t.Errorf("ST3 outside 7210: %v, want not found", err)
	}

	// Today: a handover is neither before the run (dated today) nor in the
	// future.
	y, m, d := time.Now().Date()
	on := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if err := svc.Handover(ctx, "thầy Minh", "ST1", "8984048000000000001", on); err != nil {
		t.Fatal(err)
	}
	if err := svc.Handover(ctx, "thầy Minh", "ST1", "", on); !errors.Is(err, data.ErrConflict) {
		t.Errorf("second handover: %v, want a conflict", err)
	}
	if _, err := svc.Cancel(ctx, "thầy Minh", "ST6", ""); err == nil {
		t.Error("a cancellation without a reason was accepted")
	}
	if n, err := svc.Cancel(ctx, "thầy Minh", "ST6", "đã có máy"); err != nil || n != 1 {
		t.Fatalf("cancel ST6: %d rows, %v", n, err)
	}
	if err := svc.Handover(ctx, "thầy Minh", "ST6", "", on); !errors.Is(err, data.ErrNotFound) {
		t.Errorf("handover to a cancelled allocation: %v, want not found", err)
	}
	back, err = svc.View(ctx, c.Run.ID, runs.Scope{SchoolID: "S1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Allocations) != 1 || back.Allocations[0].StudentID != "ST1" {
		t.Fatalf("S1 after cancelling ST6: %+v", back.Allocations)
	}
	h := back.Allocations[0].Handover
	if h == nil || h.Status != postgis.HandoverHandedOver || h.SimICCID != "8984048000000000001" || h.HandedOverOn == nil || !h.HandedOverOn.Equal(on) {
		t.Errorf("ST1's handover: %+v", h)
	}
	if _, err := svc.View(ctx, 999, runs.Scope{}); !errors.Is(err, data.ErrNotFound) {
		t.Errorf("unknown run: %v", err)
	}
}
