package postgis_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
	"github.com/gapmap/gapmap/data/postgis/pgtest"
)

func BenchmarkExpCopy(b *testing.B) {
	const n = 1_000_000
	ctx := context.Background()
	ids := make([]string, n)
	for k := range ids {
		ids[k] = fmt.Sprintf("H%07d", k)
	}
	for i := 0; i < b.N; i++ {
		s := pgtest.New(b)
		tx, err := s.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := postgis.CopyAreas(ctx, tx, postgis.SliceSource([]data.Area{{Code: "A", Name: "A", Level: "province", Geom: square(105, 21, 1)}})); err != nil {
			b.Fatal(err)
		}
		if _, err := tx.Exec(ctx, "SET CONSTRAINTS ALL IMMEDIATE"); err != nil {
			b.Fatal(err)
		}
		if os.Getenv("EXP_DROP") != "" {
			for _, q := range strings.Split(os.Getenv("EXP_DROP"), ";") {
				if _, err := tx.Exec(ctx, q); err != nil {
					tx.Rollback(ctx)
					b.Fatal(err)
				}
			}
		}
		k := 0
		start := time.Now()
		got, err := postgis.CopyHouseholds(ctx, tx, func() (postgis.HouseholdRow, bool, error) {
			if k == n {
				return postgis.HouseholdRow{}, false, nil
			}
			k++
			return postgis.HouseholdRow{Household: data.Household{
				ID: ids[k-1], Lat: 21 + float64(k%1000)/1000, Lon: 105 + float64(k/1000)/1000,
				AreaCode: "A", Precision: "gps", Poverty: "none", Members: 1 + k%7,
			}, Cell: 0x89411c0c8c3ffff}, true, nil
		})
		if err != nil || got != n {
			b.Fatal(got, err)
		}
		el := time.Since(start)
		if err := tx.Commit(ctx); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(n)/el.Seconds(), "rows/s")
		s.Close()
	}
}
