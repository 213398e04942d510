package coverage

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/gapmap/gapmap/data/format"
)

// The fast number formats of entities.csv write exactly what strconv
// writes, ties and the odd cases included.
func TestFastNumberFormats(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	metres := []float64{0, math.Copysign(0, -1), 0.005, 0.015, 0.125, 1.005, 2.675, 1e-9, 0.994999999, 0.995, 9999999.995,
		1e7, 1e7 + 0.125, 123456789.125, math.Inf(1), math.NaN(), math.MaxFloat64, 5e-324, 1406.51, 26426.83}
	coords := []float64{0, math.Copysign(0, -1), 21, -21, 21.5, 105.95137, -105.95137, 21.403362, 1e-7, 1.2345678, 1.23456789,
		0.1 + 0.2, 999.9999999, 1000.5, -1000.5, 1e-300, 123.456e10, 21.4033620000001}
	for range 400_000 {
		metres = append(metres, rng.Float64()*30000, math.Round(rng.Float64()*3e6)/100+0.005*float64(rng.IntN(2)),
			float64(rng.IntN(1<<20))/8, rng.ExpFloat64()*1e4)
		coords = append(coords, math.Round((rng.Float64()*180-90)*1e6)/1e6, math.Round((rng.Float64()*360-180)*1e7)/1e7,
			rng.Float64()*360-180, float64(rng.IntN(2000)-1000)/8)
	}
	for _, d := range metres {
		want := ""
		if !math.IsInf(d, 0) && !math.IsNaN(d) {
			want = string(format.AppendCSVNumber(strconv.AppendFloat(nil, d, 'f', 2, 64), 0))
		}
		if got := string(appendMetres([]byte("x"), d)); got != "x"+want {
			t.Fatalf("appendMetres(%v) = %q, want %q", d, got, "x"+want)
		}
	}
	for _, v := range coords {
		want := string(format.AppendCSVNumber(strconv.AppendFloat(nil, v, 'f', -1, 64), 0))
		if got := string(appendCoord([]byte("x"), v)); got != "x"+want {
			t.Fatalf("appendCoord(%v) = %q, want %q", v, got, "x"+want)
		}
	}
}
