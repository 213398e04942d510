package postgis_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
)

// BenchmarkCopyHouseholds measures the store's binary COPY alone (rows made
// in memory, H3 computed by the copy goroutine) into an empty households
// table with its keys in place (no bulk load: see importer's benchmarks).
func BenchmarkCopyHouseholds(b *testing.B) {
	const n = 1_000_000
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s := pgtest.New(b)
		tx, err := s.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := postgis.CopyAreas(ctx, tx, postgis.SliceSource([]data.Area{{Code: "A", Name: "A", Level: "province", Geom: square(105, 21, 1)}})); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		k := 0
		start := time.Now()
		got, err := postgis.CopyHouseholds(ctx, tx, func() (postgis.HouseholdRow, bool, error) {
			if k == n {
				return postgis.HouseholdRow{}, false, nil
			}
			k++
			return postgis.HouseholdRow{Household: data.Household{
				ID: fmt.Sprintf("H%07d", k), Lat: 21 + float64(k%1000)/1000, Lon: 105 + float64(k/1000)/1000,
				AreaCode: "A", Precision: "gps", Poverty: "none", Members: 1 + k%7,
			}}, true, nil
		})
		if err != nil || got != n {
			b.Fatal(got, err)
		}
		if err := tx.Commit(ctx); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "rows/s")
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
}
