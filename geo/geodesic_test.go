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
