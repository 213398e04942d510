package importer_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/importer"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
)

// The day received of devices and SIM packages and the donor of a SIM
// package, under their Vietnamese headers, reach PostGIS and read back
// (migration 00017); the SIM package's donor is stored once in donors.
func TestImportReceivedAndSimDonor(t *testing.T) {
	ctx := context.Background()
	st := pgtest.New(t)
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	dev := write("devices.csv", "Mã thiết bị,Nhà tài trợ,Loại thiết bị,Ngày tiếp nhận\nD1,Quỹ A,tablet,05/09/2026\nD2,,phone,\n")
	sim := write("sim_packages.csv", "Mã gói,Nhà mạng,GB/ngày,Số tháng,Số lượng,Nhà tài trợ,Ngày tiếp nhận\nP1,viettel,4,3,10,Quỹ A,2026-09-01\nP2,mobifone,2,3,5,Doanh nghiệp B,\n")
	if _, err := importer.Import(ctx, st, format.KindDevices, dev, importer.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := importer.Import(ctx, st, format.KindSimPackages, sim, importer.Options{}); err != nil {
		t.Fatal(err)
	}
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	var devs []data.Device
	if err := st.EachDevice(ctx, func(d data.Device) error { devs = append(devs, d); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(devs) != 2 || devs[0].ReceivedOn == nil || !devs[0].ReceivedOn.Equal(day(2026, 9, 5)) || devs[0].Donor != "Quỹ A" || devs[1].ReceivedOn != nil {
		t.Errorf("devices %+v", devs)
	}
	var sims []data.SimPackage
	if err := st.EachSimPackage(ctx, func(p data.SimPackage) error { sims = append(sims, p); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(sims) != 2 || sims[0].Donor != "Quỹ A" || sims[0].ReceivedOn == nil || !sims[0].ReceivedOn.Equal(day(2026, 9, 1)) ||
		sims[1].Donor != "Doanh nghiệp B" || sims[1].ReceivedOn != nil {
		t.Errorf("SIM packages %+v", sims)
	}
	donors, err := st.Donors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(donors) != 2 {
		t.Errorf("donors %+v", donors)
	}
}
