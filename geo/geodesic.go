package geo

/*
#cgo LDFLAGS: -lproj
#include <geodesic.h>

static struct geod_geodesic wgs84;
static void gapmap_geod_setup(void) { geod_init(&wgs84, 6378137.0, 1.0/298.257223563); }
static void gapmap_inverse(double lat1, double lon1, double lat2, double lon2, double *s12, double *azi1, double *azi2) {
	geod_inverse(&wgs84, lat1, lon1, lat2, lon2, s12, azi1, azi2);
}
static double gapmap_distance(double lat1, double lon1, double lat2, double lon2) {
	double s12;
	geod_geninverse(&wgs84, lat1, lon1, lat2, lon2, &s12, 0, 0, 0, 0, 0, 0);
	return s12;
}
static void gapmap_distances(double lat1, double lon1, const double *lat2, const double *lon2, double *s12, int n) {
	for (int i = 0; i < n; i++)
		geod_geninverse(&wgs84, lat1, lon1, lat2[i], lon2[i], &s12[i], 0, 0, 0, 0, 0, 0);
}
static void gapmap_direct(double lat1, double lon1, double azi1, double s12, double *lat2, double *lon2) {
	geod_direct(&wgs84, lat1, lon1, azi1, s12, lat2, lon2, 0);
}
static double gapmap_ring_area(double *lats, double *lons, int n) {
	double area = 0, perim = 0;
	geod_polygonarea(&wgs84, lats, lons, n, &area, &perim);
	return area;
}
*/
import "C"

import (
	"math"
	"sync"
	"unsafe"

	"github.com/paulmach/orb"
)

// The geodesic computations use Karney's algorithms as shipped in PROJ
// (geodesic.h), the same code PostGIS uses for geography distances, on the
// WGS84 ellipsoid: results agree with ST_Distance(geography) to well under a
// millimetre.

var setupOnce sync.Once // immutable after init: the ellipsoid parameters

func setup() { setupOnce.Do(func() { C.gapmap_geod_setup() }) }

// Inverse returns the ellipsoidal distance in metres from (lat1, lon1) to
// (lat2, lon2) and the forward azimuth at the first point in degrees
// clockwise from north, in [0, 360).
func Inverse(lat1, lon1, lat2, lon2 float64) (distM, aziDeg float64) {
	setup()
	var s12, a1, a2 C.double
	C.gapmap_inverse(C.double(lat1), C.double(lon1), C.double(lat2), C.double(lon2), &s12, &a1, &a2)
	az := float64(a1)
	if az < 0 {
		az += 360
	}
	return float64(s12), az
}

// Distance returns the ellipsoidal distance in metres, the same value as
// Inverse's (it skips the azimuths: ≈10% faster).
func Distance(lat1, lon1, lat2, lon2 float64) float64 {
	setup()
	return float64(C.gapmap_distance(C.double(lat1), C.double(lon1), C.double(lat2), C.double(lon2)))
}

// Distances sets out[i] to Distance(lat, lon, lat2[i], lon2[i]), the same
// value to the bit, for every i < len(out), in one call into PROJ: the
// call's own cost is about a tenth of a short geodesic's, so the many
// geodesics from one point are cheaper together. lat2 and lon2 must be at
// least as long as out.
func Distances(lat, lon float64, lat2, lon2, out []float64) {
	n := len(out)
	if n == 0 {
		return
	}
	if len(lat2) < n || len(lon2) < n {
		panic("geo.Distances: fewer points than distances")
	}
	setup()
	C.gapmap_distances(C.double(lat), C.double(lon), (*C.double)(unsafe.Pointer(&lat2[0])), (*C.double)(unsafe.Pointer(&lon2[0])),
		(*C.double)(unsafe.Pointer(&out[0])), C.int(n))
}

// Direct returns the point reached from (lat, lon) going distM metres on
// azimuth aziDeg.
func Direct(lat, lon, aziDeg, distM float64) (lat2, lon2 float64) {
	setup()
	var la, lo C.double
	C.gapmap_direct(C.double(lat), C.double(lon), C.double(aziDeg), C.double(distM), &la, &lo)
	return float64(la), float64(lo)
}

// WGS84 radii used by the fast approximations.
const (
	wgs84A  = 6378137.0
	wgs84F  = 1 / 298.257223563
	wgs84E2 = wgs84F * (2 - wgs84F)
)

// LocalScale returns metres per degree of latitude and of longitude at lat
// on the WGS84 ellipsoid (meridian and prime-vertical radii). Over a few
// tens of kilometres a local flat projection with these scales is within a
// fraction of a percent of the geodesic distance; callers use it to prune
// and confirm with Inverse near a threshold.
func LocalScale(lat float64) (mPerDegLat, mPerDegLon float64) {
	phi := lat * math.Pi / 180
	s := math.Sin(phi)
	w := math.Sqrt(1 - wgs84E2*s*s)
	m := wgs84A * (1 - wgs84E2) / (w * w * w) // meridian radius
	n := wgs84A / w                           // prime vertical radius
	return m * math.Pi / 180, n * math.Cos(phi) * math.Pi / 180
}

// RingAreaM2 returns the area in square metres enclosed by a lon/lat ring on
// the WGS84 ellipsoid (Karney's geodesic polygon area, as
// ST_Area(geography)), whatever the ring's orientation.
func RingAreaM2(r orb.Ring) float64 {
	n := len(r)
	if n > 1 && r[0] == r[n-1] {
		n--
	}
	if n < 3 {
		return 0
	}
	setup()
	lats := make([]C.double, n)
	lons := make([]C.double, n)
	for i := 0; i < n; i++ {
		lats[i], lons[i] = C.double(r[i][1]), C.double(r[i][0])
	}
	return math.Abs(float64(C.gapmap_ring_area(&lats[0], &lons[0], C.int(n))))
}

// AreaM2 returns the ellipsoidal area of a MultiPolygon in square metres:
// outer rings less their holes.
func AreaM2(mp orb.MultiPolygon) float64 {
	total := 0.0
	for _, p := range mp {
		for i, r := range p {
			a := RingAreaM2(r)
			if i == 0 {
				total += a
			} else {
				total -= a
			}
		}
	}
	return math.Max(total, 0)
}
