package postgis_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/gapmap/gapmap/allocation"
	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
)

// Stock held by a school and priority area tags (migration 00016) are
// stored and read back into the allocation input, where the engine serves
// the school's own students first and weighs the tagged area.
func TestPriorityPoliciesStored(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	good := func(id, typ string) data.Device {
		return data.Device{ID: id, Type: typ, OS: "android", OSVersion: "11", RAMGB: 3, StorageGB: 32, FreeStorageGB: 20,
			HasCharger: data.CondYes, AVOK: data.CondYes, ScreenOK: data.CondYes, KeyboardOK: data.CondYes, HasMonitor: data.CondYes, WiFi: data.CondYes}
	}
	in := allocation.Input{
		Areas: []data.Area{
			{Code: "P", Name: "Province", Level: "province"},
			{Code: "C1", Name: "Mountain commune", Level: "commune", ParentCode: "P", PriorityTags: []string{data.AreaTagMountain, data.AreaTagLockdown}},
			{Code: "C2", Name: "Plain commune", Level: "commune", ParentCode: "P"},
		},
		Schools: []data.School{{ID: "S1", Name: "S1", Level: data.LevelLower, AreaCode: "C1"}, {ID: "S2", Name: "S2", Level: data.LevelLower, AreaCode: "C2"}},
		Students: []data.Student{
			{ID: "a1", HouseholdID: "H1", SchoolID: "S1", Grade: 7, Priority: 1},
			{ID: "b3", HouseholdID: "H2", SchoolID: "S2", Grade: 7, Priority: 3},
			{ID: "b1", HouseholdID: "H3", SchoolID: "S2", Grade: 7, Priority: 1},
		},
		Devices:     []data.Device{good("T1", data.DeviceTablet), good("T2", data.DeviceTablet)},
		SimPackages: []data.SimPackage{{ID: "PK", Operator: "viettel", GBPerDay: 4, Months: 3, Quantity: 1}},
		Connectivity: map[string]allocation.Connectivity{
			"H1": {Class: allocation.ClassFiber}, "H2": {Class: allocation.Class4G, Operators4G: []string{"viettel"}},
			"H3": {Class: allocation.Class4G, Operators4G: []string{"viettel"}},
		},
	}
	in.Devices[1].SchoolID, in.Devices[1].AreaCode = "S2", "C2"
	in.SimPackages[0].SchoolID = "S2"
	storeAllocationInput(ctx, t, s, in)

	ai, err := s.ReadAllocationInput(ctx, time.Now(), func(string, data.Connectivity) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	ds := ai.Dataset
	tags := map[string][]string{}
	for _, a := range ds.Areas {
		tags[a.Code] = a.PriorityTags
	}
	if !slices.Equal(tags["C1"], []string{"mountain", "lockdown"}) || tags["C2"] != nil || tags["P"] != nil {
		t.Fatalf("tags read back %v", tags)
	}
	devs := map[string]data.Device{}
	for _, d := range ds.Devices {
		devs[d.ID] = d
	}
	if devs["T1"].SchoolID != "" || devs["T2"].SchoolID != "S2" || devs["T2"].AreaCode != "C2" || len(ds.SimPackages) != 1 || ds.SimPackages[0].SchoolID != "S2" {
		t.Fatalf("stock read back: devices %+v, SIM packages %+v", ds.Devices, ds.SimPackages)
	}
	// The same through the streaming readers.
	var streamed []string
	if err := s.EachDevice(ctx, func(d data.Device) error { streamed = append(streamed, d.ID+"@"+d.SchoolID); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.EachSimPackage(ctx, func(p data.SimPackage) error { streamed = append(streamed, p.ID+"@"+p.SchoolID); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(streamed, []string{"T1@", "T2@S2", "PK@S2"}) {
		t.Fatalf("streamed %v", streamed)
	}

	// Allocate on what was read: S2's own tablet and SIM serve S2 (b1, tier
	// 1, first), the province's tablet goes to a1 (tier 1) rather than b3.
	read := in
	read.Areas, read.Schools, read.Students, read.Devices, read.SimPackages = ds.Areas, ds.Schools, ds.Students, ds.Devices, ds.SimPackages
	res, err := allocation.Allocate(ctx, read, allocation.DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]allocation.Allocation{}
	for _, a := range res.Allocations {
		got[a.StudentID] = a
	}
	if len(got) != 2 || got["a1"].DeviceID != "T1" || got["b1"].DeviceID != "T2" || got["b1"].SimPackageID != "PK" {
		t.Fatalf("allocations %+v", res.Allocations)
	}
	for _, a := range res.Areas {
		if a.Code == "C1" && (a.AreaWeight != 1.5*1.5 || !slices.Equal(a.PriorityTags, []string{"mountain", "lockdown"})) {
			t.Fatalf("C1 summary %+v", a)
		}
	}

	// A tag outside the list is refused by the database.
	if _, err := s.Pool().Exec(ctx, `UPDATE areas SET priority_tags = '{desert}' WHERE code = 'C2'`); err == nil {
		t.Fatal("priority tag desert stored")
	}
	// A device held by a school that does not exist is refused.
	if _, err := s.Pool().Exec(ctx, `UPDATE devices SET school_id = 'S9' WHERE device_id = 'T1'`); err == nil {
		t.Fatal("device held by unknown school S9 stored")
	}
}
