package geo

import "math"

// Fast local approximations of geodesic distance and azimuth, with error
// bounds. The engine uses them to prune: a decision is taken on the
// approximation only when it is farther than the bound from the threshold,
// and otherwise Inverse decides. The bounds are empirical with a safety
// factor of at least 3 over the worst error seen on 400,000 random pairs
// between 70°S and 70°N (geo tests re-check them on every run):
//
//	distance d    worst |approx − Inverse|     bound (ApproxDistErrM)
//	≤ 5 km        1 mm                         ≈ 10 mm
//	≤ 20 km       6 cm                         ≈ 0.5 m
//	≤ 100 km      7.5 m                        ≈ 30 m
//	≤ 500 km      1.1 km                       ≈ 3.8 km
//
// Beyond MaxApproxM, or above MaxApproxLat, the bound is +Inf: everything is
// ambiguous and exact computation decides.

// MaxApproxM is the longest distance the approximation bounds cover.
const MaxApproxM = 1_000_000

// MaxApproxLat is the highest |latitude| the approximation bounds cover.
const MaxApproxLat = 70

// Scale is the local metric at a latitude: metres per degree of latitude
// and of longitude.
type Scale struct{ MLat, MLon float64 }

// ScaleAt returns the local metric at lat.
func ScaleAt(lat float64) Scale {
	a, o := LocalScale(lat)
	return Scale{a, o}
}

// wrapLon returns lon2−lon1 in (−180, 180].
func wrapLon(dlon float64) float64 {
	if dlon > 180 {
		dlon -= 360
	} else if dlon <= -180 {
		dlon += 360
	}
	return dlon
}

// ApproxOffset returns the local east and north offsets in metres from
// point 1 to point 2, using the mean of the two points' scales (a
// mid-latitude plate carrée).
func ApproxOffset(lat1, lon1 float64, s1 Scale, lat2, lon2 float64, s2 Scale) (dx, dy float64) {
	dx = wrapLon(lon2-lon1) * (s1.MLon + s2.MLon) * 0.5
	dy = (lat2 - lat1) * (s1.MLat + s2.MLat) * 0.5
	return dx, dy
}

// ApproxDist is the approximate distance in metres between two points with
// their scales; ApproxDistErrM bounds its error.
func ApproxDist(lat1, lon1 float64, s1 Scale, lat2, lon2 float64, s2 Scale) float64 {
	dx, dy := ApproxOffset(lat1, lon1, s1, lat2, lon2, s2)
	return math.Sqrt(dx*dx + dy*dy)
}

// ApproxDistErrM bounds |ApproxDist − Distance| for points below
// MaxApproxLat that are about d metres apart (d may be the approximate
// distance: the bound is monotone and generous enough to absorb the
// difference).
func ApproxDistErrM(d float64) float64 {
	if !(d <= MaxApproxM) { // also NaN
		return math.Inf(1)
	}
	// 3e-4·(d/100 km)² = 3e-14·d²
	return 1e-3 + d*(2e-6+3e-14*d*d)
}

// ApproxAzimuth returns the approximate forward azimuth in degrees at point
// 1 towards point 2, in [0, 360): the planar bearing at mid-latitude minus
// half the meridian convergence. ApproxAzimuthErrDeg bounds its error for
// points at least 1 m apart.
func ApproxAzimuth(lat1, lon1 float64, s1 Scale, lat2, lon2 float64, s2 Scale) float64 {
	dlon := wrapLon(lon2 - lon1)
	dx := dlon * (s1.MLon + s2.MLon) * 0.5
	dy := (lat2 - lat1) * (s1.MLat + s2.MLat) * 0.5
	az := math.Atan2(dx, dy)*180/math.Pi - dlon*math.Sin((lat1+lat2)*(math.Pi/360))*0.5
	if az < 0 {
		az += 360
	}
	if az >= 360 {
		az -= 360
	}
	return az
}

// ApproxAzimuthErrDeg bounds the error of ApproxAzimuth in degrees for
// points about d metres apart (d ≥ 1 m; below that, use Inverse).
func ApproxAzimuthErrDeg(d float64) float64 {
	if d < 1 || d > MaxApproxM || math.IsNaN(d) {
		return math.Inf(1)
	}
	x := d / 100_000
	return 2e-5 + 0.01*x*x
}

// AngleDiff returns the absolute difference between two azimuths in
// degrees, in [0, 180].
func AngleDiff(a, b float64) float64 {
	return math.Abs(math.Mod(a-b+540, 360) - 180)
}
