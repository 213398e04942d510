package importer

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestOGRReadsTheTables checks that GIS tools see the imported tables with
// their geometry types (QGIS and ogr2ogr read PostGIS through GDAL).
func TestOGRReadsTheTables(t *testing.T) {
	ogrinfo, err := exec.LookPath("ogrinfo")
	if err != nil {
		t.Fatalf("ogrinfo is missing: install GDAL (apt-get install gdal-bin, or run `make setup`): %v", err)
	}
	u := pgtest.NewURL(t)
	s, err := postgis.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	importWorld(t, s, worldFiles(t, t.TempDir(), false), Options{})

	cfg, err := pgconn.ParseConfig(u)
	if err != nil {
		t.Fatal(err)
	}
	conn := "PG:dbname=" + cfg.Database + " host=" + cfg.Host + " port=" + strconv.Itoa(int(cfg.Port)) + " user=" + cfg.User
	if cfg.Password != "" {
		conn += " password=" + cfg.Password
	}
	out, err := exec.Command(ogrinfo, "-ro", "-so", conn).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
	for _, layer := range []string{
		"areas (Multi Polygon)", "schools (Point)", "households (Point)", "sites (Point)",
		"fiber_nodes (Point)", "fiber_routes (Line String)",
	} {
		if !strings.Contains(string(out), ": "+layer+"\n") {
			t.Errorf("ogrinfo does not list %q:\n%s", layer, out)
		}
	}
	// And reads the features: the schools layer has the 2 schools.
	out, err = exec.Command(ogrinfo, "-ro", "-so", conn, "schools").CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo schools: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "Feature Count: 2") || !strings.Contains(string(out), "4326") {
		t.Errorf("ogrinfo schools:\n%s", out)
	}
}
