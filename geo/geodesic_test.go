package geo

import (
	"math"
	"testing"
)

func TestInverseKnown(t *testing.T) {
	// Hà Nội (Hoàn Kiếm) to Bắc Giang city centre; reference from PostGIS
	// 3.3: ST_Distance(geography) = 44536.06069116 m,
	// degrees(ST_Azimuth(geography)) = 52.4873092303126.
	d, az := Inverse(21.0285, 105.8542, 21.2731, 106.1946)
	if math.Abs(d-44536.06069116) > 1e-6 {
		t.Errorf("distance = %.8f m", d)
	}
	if math.Abs(az-52.4873092303126) > 1e-9 {
		t.Errorf("azimuth = %.2f", az)
	}
	lat, lon := Direct(21.0285, 105.8542, az, d)
	if math.Abs(lat-21.2731) > 1e-9 || math.Abs(lon-106.1946) > 1e-9 {
		t.Errorf("direct back = %.9f %.9f", lat, lon)
	}
}

func TestLocalScale(t *testing.T) {
	mlat, mlon := LocalScale(21)
	if math.Abs(mlat-110_733) > 50 || math.Abs(mlon-103_950) > 100 {
		t.Errorf("scale = %.0f %.0f", mlat, mlon)
	}
}

// benchTargets are six points 0.5–14 km from (21.3, 105.9) in Bắc Giang,
// like the six geodesics of one entity (four operators' nearest sites,
// the nearest fiber node and route).
func benchTargets() (lat, lon []float64) {
	for k, d := range []float64{500, 1800, 3200, 6100, 9000, 14000} {
		la, lo := Direct(21.3, 105.9, float64(k)*61, d)
		lat, lon = append(lat, la), append(lon, lo)
	}
	return lat, lon
}

// One geodesic per call into PROJ (ns/op per geodesic).
func BenchmarkDistance(b *testing.B) {
	lat, lon := benchTargets()
	s := 0.0
	for i := 0; b.Loop(); i++ {
		s += Distance(21.3, 105.9, lat[i%6], lon[i%6])
	}
	_ = s
}

// Six geodesics per call into PROJ (ns/op per geodesic, comparable with
// BenchmarkDistance).
func BenchmarkDistances(b *testing.B) {
	lat, lon := benchTargets()
	out := make([]float64, 6)
	for i := 0; b.Loop(); i++ {
		if i%6 == 0 {
			Distances(21.3, 105.9, lat, lon, out)
		}
	}
	_ = out
}
