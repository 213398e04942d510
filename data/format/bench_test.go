package format

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/gapmap/gapmap/data"
)

// BenchmarkReadHouseholdsCSV reads a generated households.csv of 200k rows
// (the shape of Bắc Giang's 480k homes) and reports rows/s.
func BenchmarkReadHouseholdsCSV(b *testing.B) {
	const n = 200_000
	path := filepath.Join(b.TempDir(), "households.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	w, err := NewCSV(bw, HouseholdHeader())
	if err != nil {
		b.Fatal(err)
	}
	poverty := []string{"none", "none", "none", "near_poor", "poor"}
	for i := range n {
		h := data.Household{
			ID:        "24" + strconv.Itoa(1_000_000+i),
			Lat:       21.1 + float64(i%9973)*0.0000731,
			Lon:       106.0 + float64(i%7919)*0.0000917,
			AreaCode:  "0" + strconv.Itoa(7000+i%230),
			Precision: "gps",
			Poverty:   poverty[i%len(poverty)],
			Members:   1 + i%8,
		}
		if err := w.Write(HouseholdRecord(h)); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	b.ReportAllocs()
	loops := 0
	for b.Loop() {
		rows := 0
		errs := &data.ValidationError{}
		err := ReadHouseholds(context.Background(), path, errs, func(int, data.Household) error { rows++; return nil })
		if err != nil || errs.Len() > 0 || rows != n {
			b.Fatalf("rows %d, err %v %v", rows, err, errs.Err())
		}
		loops++
	}
	b.ReportMetric(float64(n*loops)/b.Elapsed().Seconds(), "rows/s")
}
