package format

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data"
)

// Priority area tags (issue 11): a text list or an array, Vietnamese names
// accepted, "bãi ngang, ven biển" one tag, sorted and each once; a tag not
// known is a problem of its feature.
func TestReadAreaPriorityTags(t *testing.T) {
	p := writeFile(t, "areas.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"A","name":"A","priority_tags":"lockdown, mountain; lockdown"},"geometry":null},
{"type":"Feature","properties":{"code":"B","name":"B","ưu tiên":"Bãi ngang, ven biển"},"geometry":null},
{"type":"Feature","properties":{"code":"C","name":"C","vùng ưu tiên":["Miền núi","phong tỏa"]},"geometry":null},
{"type":"Feature","properties":{"code":"D","name":"D","priority_tags":""},"geometry":null},
{"type":"Feature","properties":{"code":"E","name":"E","priority_tags":"desert"},"geometry":null},
{"type":"Feature","properties":{"code":"F","name":"F","priority_tags":3},"geometry":null}
]}`)
	res := read(t, ReadAreas, p)
	if res.err != nil {
		t.Fatal(res.err)
	}
	got := map[string][]string{}
	for _, a := range res.recs {
		got[a.Code] = a.PriorityTags
	}
	want := map[string][]string{"A": {"mountain", "lockdown"}, "B": {"coastal"}, "C": {"mountain", "lockdown"}, "D": nil}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tags %v, want %v", got, want)
	}
	if res.errs.Len() != 2 {
		t.Fatalf("problems:\n%s", dump(res.errs))
	}
	wantErr(t, res.errs, data.FieldError{File: "areas.geojson", Row: 5, Column: "priority_tags", Value: "desert", Reason: `priority tag "desert" is not accepted: use one of mountain, coastal, lockdown`})
	wantErr(t, res.errs, data.FieldError{File: "areas.geojson", Row: 6, Column: "priority_tags", Reason: "must be text"})

	// Written back and read again: the same tags.
	var buf bytes.Buffer
	if err := WriteAreasGeoJSON(&buf, []data.Area{{Code: "A", Name: "A", Level: "commune", PriorityTags: []string{"mountain", "coastal"}}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"priority_tags":"mountain,coastal"`) {
		t.Errorf("written: %s", buf.String())
	}
	back := read(t, ReadAreas, writeFile(t, "back.geojson", buf.String())).clean(t)
	if len(back.recs) != 1 || !slices.Equal(back.recs[0].PriorityTags, []string{"mountain", "coastal"}) {
		t.Errorf("read back %+v", back.recs)
	}
}

// Devices and SIM packages held by a school: school_id ("mã trường"), and
// the references checked: the school exists, area_code empty or the
// school's.
func TestHolderSchool(t *testing.T) {
	dv := read(t, ReadDevices, writeFile(t, "devices.csv", "Mã thiết bị,Loại thiết bị,Mã trường,Mã xã\nD1,laptop,SCH1,\nD2,tablet,,C1\n")).clean(t)
	if len(dv.recs) != 2 || dv.recs[0].SchoolID != "SCH1" || dv.recs[0].AreaCode != "" || dv.recs[1].SchoolID != "" || dv.recs[1].AreaCode != "C1" {
		t.Fatalf("devices %+v", dv.recs)
	}
	sp := read(t, ReadSimPackages, writeFile(t, "sim_packages.csv", "package_id,operator,gb_per_day,months,quantity,school_id\nP1,viettel,4,3,10,SCH1\n")).clean(t)
	if len(sp.recs) != 1 || sp.recs[0].SchoolID != "SCH1" {
		t.Fatalf("SIM packages %+v", sp.recs)
	}
	// Written and read back.
	if rec, hi := DeviceRecord(dv.recs[0]), slices.Index(DeviceHeader(), "school_id"); len(rec) != len(DeviceHeader()) || hi < 0 || rec[hi] != "SCH1" {
		t.Errorf("device record %v header %v", rec, DeviceHeader())
	}
	if rec, hi := SimPackageRecord(sp.recs[0]), slices.Index(SimPackageHeader(), "school_id"); len(rec) != len(SimPackageHeader()) || hi < 0 || rec[hi] != "SCH1" {
		t.Errorf("SIM package record %v", rec)
	}
	ds := &data.Dataset{
		Areas:       []data.Area{{Code: "C1"}, {Code: "C2"}},
		Schools:     []data.School{{ID: "SCH1", AreaCode: "C1"}},
		Devices:     []data.Device{{ID: "D1", SchoolID: "SCH1"}, {ID: "D2", SchoolID: "SCH1", AreaCode: "C1"}, {ID: "D3", SchoolID: "SCH1", AreaCode: "C2"}, {ID: "D4", SchoolID: "SCH9"}},
		SimPackages: []data.SimPackage{{ID: "P1", SchoolID: "SCH9"}},
	}
	err := CheckReferences(ds)
	var ve *data.ValidationError
	if !errors.As(err, &ve) || ve.Len() != 3 {
		t.Fatalf("CheckReferences: %v", err)
	}
	wantErr(t, ve, data.FieldError{File: KindDevices, Column: "area_code", Value: "C2", Reason: "D3 is held by school SCH1 of area C1"})
	wantErr(t, ve, data.FieldError{File: KindDevices, Column: "school_id", Value: "SCH9", Reason: "D4: school SCH9 is not in schools"})
	wantErr(t, ve, data.FieldError{File: KindSimPackages, Column: "school_id", Value: "SCH9", Reason: "P1: school SCH9 is not in schools"})
}
