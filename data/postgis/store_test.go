package postgis_test

import (
	"context"
	"errors"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
	"github.com/gapmap/gapmap/geo"
	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
)

func square(lon, lat, d float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{lon, lat}, {lon + d, lat}, {lon + d, lat + d}, {lon, lat + d}, {lon, lat}}}}
}

func ptr[T any](v T) *T { return &v }

func sample() *data.Dataset {
	from := time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)
	return &data.Dataset{
		Areas: []data.Area{
			{Code: "24", Name: "Bắc Giang", Level: "province", Environment: "rural", Population: 1800677, Households: 477487},
			{Code: "213", Name: "TP Bắc Giang", Level: "district", ParentCode: "24", ValidFrom: &from, Geom: square(106.1, 21.2, 0.2)},
			{Code: "7210", Name: "Trần Nguyên Hãn", Level: "commune", ParentCode: "213", Environment: "urban", Geom: square(106.15, 21.25, 0.05)},
		},
		Schools: []data.School{
			{ID: "S1", Name: "THCS Trần Phú", Level: data.LevelLower, Lat: 21.27, Lon: 106.17, AreaCode: "7210", Students: 420, Internet: data.InternetFiber},
		},
		Households: []data.Household{
			{ID: "H1", Lat: 21.26, Lon: 106.16, AreaCode: "7210", Precision: data.PrecisionGPS, Poverty: data.PovertyPoor, Members: 4},
			{ID: "H2", Lat: 21.21, Lon: 106.11, AreaCode: "213", Precision: data.PrecisionVillage, Poverty: data.PovertyNone, Members: 2},
		},
		Students: []data.Student{
			{ID: "ST1", HouseholdID: "H1", SchoolID: "S1", Grade: 7, Priority: data.TierPoor, HasDevice: false},
			{ID: "ST2", HouseholdID: "H2", SchoolID: "S1", Grade: 8, Priority: data.TierNone, HasDevice: true},
		},
		Sectors: []data.Sector{
			{ID: "V1/1", SiteID: "V1", Operator: data.OpViettel, Technology: data.Tech4G, BandMHz: 1800, Lat: 21.25, Lon: 106.15, AntennaHeightM: 30, AzimuthDeg: ptr(120.0), BeamwidthDeg: 65, RangeM: 3000, Status: data.StatusActive},
			{ID: "M1/1", SiteID: "M1", Operator: data.OpMobifone, Technology: data.Tech3G, BandMHz: 2100, Lat: 21.22, Lon: 106.12, AntennaHeightM: 25, BeamwidthDeg: 360, Status: data.StatusPlanned},
		},
		FiberNodes:  []data.FiberNode{{ID: "N1", Operator: data.OpFPT, Kind: "pop", Lat: 21.23, Lon: 106.13}},
		FiberRoutes: []data.FiberRoute{{ID: "R1", Operator: "vnpt", Line: orb.LineString{{106.13, 21.23}, {106.16, 21.26}, {106.17, 21.27}}}},
		Devices: []data.Device{
			{ID: "D1", Donor: "Quỹ Vì em", Type: data.DeviceLaptop, OS: "windows", OSVersion: "10", CPUGHz: 1.6, CPUModel: "Intel Celeron N4020", RAMGB: 4, StorageGB: 128, FreeStorageGB: 60, HasCharger: data.CondYes, AVOK: data.CondYes, ScreenOK: data.CondYes, KeyboardOK: data.CondYes, HasMonitor: data.CondYes, WiFi: data.CondYes, BatteryOK: data.CondNo, Serial: "X1", AreaCode: "213"},
			{ID: "D2", Donor: "QUỸ VÌ EM", Type: data.DevicePhone, OS: "android", OSVersion: "9", RAMGB: 2, StorageGB: 32, FreeStorageGB: 20, HasCharger: data.CondNo, Headphones: data.CondYes, IMEI: "356938035643809"}, // other conditions unknown (NULL)
		},
		SimPackages: []data.SimPackage{{ID: "P1", Operator: data.OpViettel, GBPerDay: 4, Months: 3, Quantity: 500, AreaCode: "24"}},
	}
}

func write(ctx context.Context, t testing.TB, s *postgis.Store, ds *data.Dataset) {
	t.Helper()
	tx, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	schools := make([]postgis.SchoolRow, len(ds.Schools))
	for i, v := range ds.Schools {
		schools[i] = postgis.SchoolRow{School: v}
	}
	hh := make([]postgis.HouseholdRow, len(ds.Households))
	for i, v := range ds.Households {
		hh[i] = postgis.HouseholdRow{Household: v}
	}
	sec := make([]postgis.SectorRow, len(ds.Sectors))
	for i, v := range ds.Sectors {
		sec[i] = postgis.SectorRow{Sector: v}
	}
	fn := make([]postgis.FiberNodeRow, len(ds.FiberNodes))
	for i, v := range ds.FiberNodes {
		fn[i] = postgis.FiberNodeRow{FiberNode: v}
	}
	var donors []string
	for _, d := range ds.Devices {
		donors = append(donors, d.Donor)
	}
	// Children before parents: the parent FK is deferred.
	areas := append([]data.Area(nil), ds.Areas...)
	for i, j := 0, len(areas)-1; i < j; i, j = i+1, j-1 {
		areas[i], areas[j] = areas[j], areas[i]
	}
	steps := []func() (int64, error){
		func() (int64, error) { return postgis.CopyAreas(ctx, tx, postgis.SliceSource(areas)) },
		func() (int64, error) { return postgis.CopySchools(ctx, tx, postgis.SliceSource(schools)) },
		func() (int64, error) { return postgis.CopyHouseholds(ctx, tx, postgis.SliceSource(hh)) },
		func() (int64, error) { return postgis.CopyStudents(ctx, tx, postgis.SliceSource(ds.Students)) },
		func() (int64, error) { return postgis.CopySectors(ctx, tx, postgis.SliceSource(sec)) },
		func() (int64, error) { return postgis.CopyFiberNodes(ctx, tx, postgis.SliceSource(fn)) },
		func() (int64, error) { return postgis.CopyFiberRoutes(ctx, tx, postgis.SliceSource(ds.FiberRoutes)) },
		func() (int64, error) { return postgis.EnsureDonors(ctx, tx, donors) },
		func() (int64, error) { return postgis.CopyDevices(ctx, tx, postgis.SliceSource(ds.Devices)) },
		func() (int64, error) { return postgis.CopySimPackages(ctx, tx, postgis.SliceSource(ds.SimPackages)) },
	}
	for i, st := range steps {
		if _, err := st(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := pgtest.New(t)
	in := sample()
	write(ctx, t, s, in)

	got, err := s.ReadDataset(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := sample()
	// Stored forms: the donor is stored once under its first spelling; an
	// omni sector's beam is 360°.
	want.Devices[1].Donor = "Quỹ Vì em"
	// Reads are ordered by id.
	sort.Slice(want.Areas, func(i, j int) bool { return want.Areas[i].Code < want.Areas[j].Code })
	sort.Slice(want.Sectors, func(i, j int) bool { return want.Sectors[i].ID < want.Sectors[j].ID })
	for _, pair := range []struct {
		name      string
		got, want any
	}{
		{"areas", got.Areas, want.Areas},
		{"schools", got.Schools, want.Schools},
		{"households", got.Households, want.Households},
		{"students", got.Students, want.Students},
		{"sectors", got.Sectors, want.Sectors},
		{"fiber nodes", got.FiberNodes, want.FiberNodes},
		{"fiber routes", got.FiberRoutes, want.FiberRoutes},
		{"devices", got.Devices, want.Devices},
		{"sim packages", got.SimPackages, want.SimPackages},
	} {
		if !reflect.DeepEqual(pair.got, pair.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", pair.name, pair.got, pair.want)
		}
	}

	n, err := s.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantN := map[string]int64{"areas": 3, "area_successors": 0, "schools": 1, "households": 2, "students": 2, "sites": 2, "fiber_nodes": 1, "fiber_routes": 1, "donors": 1, "devices": 2, "sim_packages": 1, "coverage_polygons": 0, "measurements": 0}
	if !reflect.DeepEqual(n, wantN) {
		t.Errorf("counts = %v, want %v", n, wantN)
	}

	// The H3 cell is stored with each point.
	var cells []geo.Cell
	if err := s.EachHousehold(ctx, func(r postgis.HouseholdRow) error {
		cells = append(cells, r.Cell)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i, h := range in.Households {
		c, _ := geo.CellOf(h.Lat, h.Lon, geo.AnalysisRes)
		if cells[i] != c {
			t.Errorf("household %s cell = %v, want %v", h.ID, cells[i], c)
		}
	}
	donors, err := s.Donors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(donors) != 1 || donors[0].ID != "quy-vi-em" || donors[0].Name != "Quỹ Vì em" {
		t.Errorf("donors = %+v, want one quy-vi-em", donors)
	}
	// Geometry types as GIS tools see them.
	var types []string
	rows, err := s.Pool().Query(ctx, `SELECT f_table_name || ':' || type FROM geometry_columns
		WHERE f_table_name = ANY($1) ORDER BY 1`, postgis.Tables())
	if err != nil {
		t.Fatal(err)
	}
	types, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	wantTypes := []string{"areas:MULTIPOLYGON", "coverage_polygons:MULTIPOLYGON", "fiber_nodes:POINT", "fiber_routes:LINESTRING", "households:POINT", "measurements:POINT", "schools:POINT", "sites:POINT"}
	if !reflect.DeepEqual(types, wantTypes) {
		t.Errorf("geometry columns = %v, want %v", types, wantTypes)
	}
}

func TestMigrateIsIdempotentAndConcurrent(t *testing.T) {
	ctx := context.Background()
	u := pgtest.NewURL(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := postgis.Open(ctx, u)
			if err != nil {
				errs[i] = err
				return
			}
			defer s.Close()
			errs[i] = s.Migrate(ctx)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("migrate %d: %v", i, err)
		}
	}
	s := pgtest.New(t)
	cur, latest, err := s.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cur != latest || cur == 0 {
		t.Errorf("schema version %d, latest %d", cur, latest)
	}
}

func TestMigrateFreshDatabase(t *testing.T) {
	// A database without PostGIS: Open works, Migrate installs PostGIS and
	// the schema, and geometry works afterwards on the same store.
	ctx := context.Background()
	u := pgtest.NewURL(t)
	admin, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, `DROP SCHEMA public CASCADE; CREATE SCHEMA public; DROP EXTENSION IF EXISTS postgis CASCADE`); err != nil {
		t.Fatal(err)
	}
	admin.Close(ctx)
	s, err := postgis.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Counts(ctx); err == nil {
		t.Fatal("Counts on an empty database: want an error")
	} else if want := "the schema is missing"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
	var se *data.SchemaError
	if err := s.CheckSchema(ctx); !errors.As(err, &se) || se.Current != 0 || se.Latest == 0 {
		t.Errorf("CheckSchema on an empty database: %v, want a SchemaError at version 0", err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	write(ctx, t, s, sample())
	ds, err := s.ReadDataset(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ds.Areas[0].Code != "213" || len(ds.Areas[0].Geom) != 1 {
		t.Errorf("area geometry not read back: %+v", ds.Areas[0])
	}
}

func TestDonorID(t *testing.T) {
	for in, want := range map[string]string{
		"Quỹ Vì em":             "quy-vi-em",
		"  Tập đoàn Viettel ":   "tap-doan-viettel",
		"ĐOÀN THANH NIÊN":       "doan-thanh-nien",
		"Hội Chữ thập đỏ (VN)!": "hoi-chu-thap-do-vn",
	} {
		if got := postgis.DonorID(in); got != want {
			t.Errorf("DonorID(%q) = %q, want %q", in, got, want)
		}
	}
	if a, b := postgis.DonorID("希望"), postgis.DonorID("希望"); a != b || len(a) != len("donor-")+8 {
		t.Errorf("DonorID of a non-Latin name = %q, %q", a, b)
	}
}
