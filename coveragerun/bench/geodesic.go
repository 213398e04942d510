package bench

import (
	"sort"
	"time"

	"github.com/gapmap/gapmap/geo"
)

// GeodesicCost measures the cost of one exact geodesic (geo.Distances, as
// the classification calls it: the six distances of one point at a time)
// on one core, in µs: the median of runs timings of 600,000 geodesics of
// 0.5–14 km from points in Bắc Giang.
func GeodesicCost(runs int) float64 {
	const points, per = 100_000, 6
	var lat, lon [per]float64
	for k, d := range [per]float64{500, 1800, 3200, 6100, 9000, 14000} {
		lat[k], lon[k] = geo.Direct(21.3, 105.9, float64(k)*61, d)
	}
	out := make([]float64, per)
	us := make([]float64, max(1, runs))
	for r := range us {
		t0 := time.Now()
		for i := 0; i < points; i++ {
			geo.Distances(21.3+float64(i%1000)*1e-5, 105.9-float64(i%997)*1e-5, lat[:], lon[:], out)
		}
		us[r] = float64(time.Since(t0).Microseconds()) / (points * per)
	}
	sort.Float64s(us)
	return us[len(us)/2]
}
