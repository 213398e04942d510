package coveragerun_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gapmap/gapmap/coverage"
	"github.com/gapmap/gapmap/coveragerun"
	"github.com/gapmap/gapmap/data/format"
	"github.com/gapmap/gapmap/data/importer"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
)

// A coverage run started from the database uses the operator coverage
// polygons stored there: a home without any coverage inside an uploaded
// Viettel 4G polygon is then served by Viettel 4G.
func TestAnalyzeUsesStoredPolygons(t *testing.T) {
	ctx := context.Background()
	st := pgtest.New(t)
	importGenerated(t, st, 7)
	before, err := coveragerun.Analyze(ctx, st, coveragerun.Options{Settings: coverage.DefaultSettings()})
	if err != nil {
		t.Fatal(err)
	}
	var id string
	var lat, lon float64
	err = st.Pool().QueryRow(ctx, `SELECT entity_id, ST_Y(geom), ST_X(geom) FROM coverage_entities
		WHERE run_id = $1 AND entity_type = 'household' AND connectivity = 'none' ORDER BY entity_id LIMIT 1`, before.ID).Scan(&id, &lat, &lon)
	if err != nil {
		t.Fatalf("no home without coverage in the generated province: %v", err)
	}
	d := 0.0005 // about 50 m around the home
	poly := fmt.Sprintf(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"operator":"viettel","technology":"4G","polygon_id":"VT-T1"},
		"geometry":{"type":"Polygon","coordinates":[[[%f,%f],[%f,%f],[%f,%f],[%f,%f],[%f,%f]]]}}]}`,
		lon-d, lat-d, lon+d, lat-d, lon+d, lat+d, lon-d, lat+d, lon-d, lat-d)
	if _, err := importer.ImportReader(ctx, st, format.KindCoveragePolygons, "vung_phu.geojson", strings.NewReader(poly), importer.Options{}); err != nil {
		t.Fatal(err)
	}
	after, err := coveragerun.Analyze(ctx, st, coveragerun.Options{Settings: coverage.DefaultSettings()})
	if err != nil {
		t.Fatal(err)
	}
	var class string
	var ops []string
	if err := st.Pool().QueryRow(ctx, `SELECT connectivity, operators_4g FROM coverage_entities
		WHERE run_id = $1 AND entity_type = 'household' AND entity_id = $2`, after.ID, id).Scan(&class, &ops); err != nil {
		t.Fatal(err)
	}
	if class != "4g" || !slices.Equal(ops, []string{"viettel"}) {
		t.Fatalf("home %s inside the stored Viettel polygon: %s %v, want 4g [viettel]", id, class, ops)
	}
}
