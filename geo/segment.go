package geo

import "math"

// Point-to-segment distance with PostGIS geography semantics: the segment
// is the great-circle edge between its ends on a sphere (lat/lon taken as
// spherical coordinates, as liblwgeom does); the closest point of the edge
// to the query is found on that sphere, and the reported distance is the
// ellipsoidal geodesic (Inverse) between the query and that closest point.
// This is what ST_Distance(geography, geography) returns for a point and a
// line on the WGS84 spheroid (lwgeom ptarray_distance_spheroid), so the
// distances agree with PostGIS to well under a millimetre.

type vec3 struct{ x, y, z float64 }

func (a vec3) dot(b vec3) float64 { return a.x*b.x + a.y*b.y + a.z*b.z }

func (a *vec3) normalize() {
	d := math.Sqrt(a.x*a.x + a.y*a.y + a.z*a.z)
	if d <= 1e-12 {
		*a = vec3{}
		return
	}
	a.x /= d
	a.y /= d
	a.z /= d
}

// gpt is a point in radians on the sphere.
type gpt struct{ lat, lon float64 }

func toGpt(lat, lon float64) gpt { return gpt{math.Pi * lat / 180, math.Pi * lon / 180} }

func (g gpt) cart() vec3 {
	cl := math.Cos(g.lat)
	return vec3{cl * math.Cos(g.lon), cl * math.Sin(g.lon), math.Sin(g.lat)}
}

// crossLL is the cross product of two points from their lat/lon, stable for
// nearby points (the formulation liblwgeom calls robust_cross_product).
func crossLL(p, q gpt) vec3 {
	lonPlus := (q.lon + p.lon) / -2.0
	lonMinus := (q.lon - p.lon) / 2.0
	sMinus := math.Sin(p.lat - q.lat)
	sPlus := math.Sin(p.lat + q.lat)
	sinPlus, cosPlus := math.Sincos(lonPlus)
	sinMinus, cosMinus := math.Sincos(lonMinus)
	return vec3{
		sMinus*sinPlus*cosMinus - sPlus*cosPlus*sinMinus,
		sMinus*cosPlus*cosMinus + sPlus*sinPlus*sinMinus,
		math.Cos(p.lat) * math.Cos(q.lat) * math.Sin(q.lon-p.lon),
	}
}

// sphereDist is the central angle between two points (Vincenty's formula on
// the sphere).
func sphereDist(s, e gpt) float64 {
	dlon := e.lon - s.lon
	sinDlon, cosDlon := math.Sincos(dlon)
	sinLatE, cosLatE := math.Sincos(e.lat)
	sinLatS, cosLatS := math.Sincos(s.lat)
	a1 := cosLatE * sinDlon
	a2 := cosLatS*sinLatE - sinLatS*cosLatE*cosDlon
	a := math.Sqrt(a1*a1 + a2*a2)
	b := sinLatS*sinLatE + cosLatS*cosLatE*cosDlon
	return math.Atan2(a, b)
}

// inCone reports whether p lies between the ends of the edge s–e (within
// the cone their bisector defines).
func inCone(s, e, p gpt) bool {
	vs, ve := s.cart(), e.cart()
	if vs.x == -ve.x && vs.y == -ve.y && vs.z == -ve.z {
		return true
	}
	vp := p.cart()
	c := vec3{vs.x + ve.x, vs.y + ve.y, vs.z + ve.z}
	c.normalize()
	sc, pc := vs.dot(c), vp.dot(c)
	return pc > sc || math.Abs(pc-sc) < 2e-16
}

// onPlane reports whether p lies on the great circle of s–e.
func onPlane(s, e, p gpt) bool {
	n := crossLL(s, e)
	n.normalize()
	return math.Abs(n.dot(p.cart())) <= 1e-12
}

// closestOnEdge returns the point of the great-circle edge s–e closest to p
// on the sphere.
func closestOnEdge(s, e, p gpt) gpt {
	if s == e {
		return s
	}
	n := crossLL(s, e)
	n.normalize()
	pc := p.cart()
	d := pc.dot(n)
	k := vec3{pc.x - n.x*d, pc.y - n.y*d, pc.z - n.z*d}
	k.normalize()
	gk := gpt{math.Asin(k.z), math.Atan2(k.y, k.x)}
	best, bestD := gk, math.Inf(1)
	if inCone(s, e, gk) && onPlane(s, e, gk) {
		bestD = sphereDist(p, gk)
	}
	if d := sphereDist(p, s); d < bestD {
		best, bestD = s, d
	}
	if d := sphereDist(p, e); d < bestD {
		best = e
	}
	return best
}

// SegmentClosest returns the point (lat, lon in degrees) of the
// great-circle segment from (lat1, lon1) to (lat2, lon2) closest to
// (lat, lon), as PostGIS geography finds it.
func SegmentClosest(lat, lon, lat1, lon1, lat2, lon2 float64) (clat, clon float64) {
	c := closestOnEdge(toGpt(lat1, lon1), toGpt(lat2, lon2), toGpt(lat, lon))
	return 180.0 * c.lat / math.Pi, 180.0 * c.lon / math.Pi
}

// SegmentClosestSphere is SegmentClosest plus the central angle (radians)
// between the point and the closest point on the sphere. On WGS84 the
// ellipsoidal distance divided by the mean radius times this angle lies in
// [0.9944, 1.0057] (the meridian radius at the equator and the normal
// radius at a pole over the mean radius), which lets a caller compare
// candidate segments before computing any geodesic.
func SegmentClosestSphere(lat, lon, lat1, lon1, lat2, lon2 float64) (clat, clon, angle float64) {
	p := toGpt(lat, lon)
	c := closestOnEdge(toGpt(lat1, lon1), toGpt(lat2, lon2), p)
	return 180.0 * c.lat / math.Pi, 180.0 * c.lon / math.Pi, sphereDist(p, c)
}

// SegmentDistance returns the distance in metres from (lat, lon) to the
// great-circle segment (lat1, lon1)–(lat2, lon2) with PostGIS geography
// semantics (closest point on the sphere, then the ellipsoidal distance).
func SegmentDistance(lat, lon, lat1, lon1, lat2, lon2 float64) float64 {
	clat, clon := SegmentClosest(lat, lon, lat1, lon1, lat2, lon2)
	if clat == lat && clon == lon {
		return 0
	}
	return Distance(lat, lon, clat, clon)
}

// ApproxSegmentDist returns the approximate distance in metres from a point
// to a segment in the point's local plane, and a bound on its error with
// respect to SegmentDistance.
func ApproxSegmentDist(lat, lon float64, s Scale, lat1, lon1 float64, s1 Scale, lat2, lon2 float64, s2 Scale) (d, errM float64) {
	ax, ay := ApproxOffset(lat, lon, s, lat1, lon1, s1)
	bx, by := ApproxOffset(lat, lon, s, lat2, lon2, s2)
	ex, ey := bx-ax, by-ay
	l2 := ex*ex + ey*ey
	t := 0.0
	if l2 > 0 {
		t = -(ax*ex + ay*ey) / l2
		if t < 0 {
			t = 0
		} else if t > 1 {
			t = 1
		}
	}
	cx, cy := ax+t*ex, ay+t*ey
	d = math.Sqrt(cx*cx + cy*cy)
	// The great-circle edge bulges away from the straight line of the
	// local plane by about L²·tanφ/(8R), and PostGIS picks the closest
	// point on a sphere, not on the ellipsoid (the foot moves by up to
	// ~0.3% of d, which changes the distance by up to ~1e-5·d); the bound
	// below is several times both, plus the error of the ends' offsets.
	far := max(math.Sqrt(ax*ax+ay*ay), math.Sqrt(bx*bx+by*by))
	return d, ApproxDistErrM(far) + l2/(2*6_300_000) + 5e-5*d + 0.01
}

// Segment is a great-circle segment prepared for many closest-point
// queries: the same computation as SegmentClosestSphere with the
// per-segment parts (end points on the unit sphere, normal, bisector)
// computed once, so results are bit-identical.
type Segment struct {
	s, e     gpt
	vs, ve   vec3
	n        vec3 // normalised crossLL(s, e)
	c        vec3 // normalised bisector of vs, ve
	sc       float64
	degen    bool // zero length
	antipode bool
	sinS     float64
	cosS     float64
	sinE     float64
	cosE     float64
}

// NewSegment prepares the segment (lat1, lon1)–(lat2, lon2).
func NewSegment(lat1, lon1, lat2, lon2 float64) Segment {
	g := Segment{s: toGpt(lat1, lon1), e: toGpt(lat2, lon2)}
	g.degen = g.s == g.e
	g.vs, g.ve = g.s.cart(), g.e.cart()
	g.n = crossLL(g.s, g.e)
	g.n.normalize()
	g.antipode = g.vs.x == -g.ve.x && g.vs.y == -g.ve.y && g.vs.z == -g.ve.z
	g.c = vec3{g.vs.x + g.ve.x, g.vs.y + g.ve.y, g.vs.z + g.ve.z}
	g.c.normalize()
	g.sc = g.vs.dot(g.c)
	g.sinS, g.cosS = math.Sincos(g.s.lat)
	g.sinE, g.cosE = math.Sincos(g.e.lat)
	return g
}

// SegQuery is a query point prepared for Segment.ClosestSphere.
type SegQuery struct {
	p          gpt
	v          vec3
	sinP, cosP float64
}

// NewSegQuery prepares (lat, lon).
func NewSegQuery(lat, lon float64) SegQuery {
	q := SegQuery{p: toGpt(lat, lon)}
	q.v = q.p.cart()
	q.sinP, q.cosP = math.Sincos(q.p.lat)
	return q
}

// sphereDistPre is sphereDist(s, e) with the sines and cosines of the
// latitudes given.
func sphereDistPre(s, e gpt, sinLatS, cosLatS, sinLatE, cosLatE float64) float64 {
	dlon := e.lon - s.lon
	sinDlon, cosDlon := math.Sincos(dlon)
	a1 := cosLatE * sinDlon
	a2 := cosLatS*sinLatE - sinLatS*cosLatE*cosDlon
	a := math.Sqrt(a1*a1 + a2*a2)
	b := sinLatS*sinLatE + cosLatS*cosLatE*cosDlon
	return math.Atan2(a, b)
}

// ClosestSphere is SegmentClosestSphere for a prepared segment and point.
func (g *Segment) ClosestSphere(q *SegQuery) (clat, clon, angle float64) {
	var best gpt
	var bestD float64
	if g.degen {
		best, bestD = g.s, sphereDistPre(q.p, g.s, q.sinP, q.cosP, g.sinS, g.cosS)
	} else {
		d := q.v.dot(g.n)
		k := vec3{q.v.x - g.n.x*d, q.v.y - g.n.y*d, q.v.z - g.n.z*d}
		k.normalize()
		gk := gpt{math.Asin(k.z), math.Atan2(k.y, k.x)}
		best, bestD = gk, math.Inf(1)
		if g.inConePre(gk) && math.Abs(g.n.dot(gk.cart())) <= 1e-12 {
			bestD = sphereDist(q.p, gk)
		}
		if d := sphereDistPre(q.p, g.s, q.sinP, q.cosP, g.sinS, g.cosS); d < bestD {
			best, bestD = g.s, d
		}
		if d := sphereDistPre(q.p, g.e, q.sinP, q.cosP, g.sinE, g.cosE); d < bestD {
			best, bestD = g.e, d
		}
	}
	return 180.0 * best.lat / math.Pi, 180.0 * best.lon / math.Pi, bestD
}

func (g *Segment) inConePre(p gpt) bool {
	if g.antipode {
		return true
	}
	pc := p.cart().dot(g.c)
	return pc > g.sc || math.Abs(pc-g.sc) < 2e-16
}

// SplitGreatCircle returns n+1 points (lat, lon in degrees) dividing the
// great-circle edge (lat1, lon1)–(lat2, lon2) into n equal arcs on the
// sphere PostGIS geography edges live on; the first and last are the ends
// themselves. Sub-arcs lie on the edge's great circle, so the closest point
// of the edge is the closest of its sub-arcs' (up to rounding).
func SplitGreatCircle(lat1, lon1, lat2, lon2 float64, n int) [][2]float64 {
	out := make([][2]float64, 0, n+1)
	out = append(out, [2]float64{lat1, lon1})
	a, b := toGpt(lat1, lon1).cart(), toGpt(lat2, lon2).cart()
	omega := math.Acos(math.Max(-1, math.Min(1, a.dot(b))))
	so := math.Sin(omega)
	for k := 1; k < n; k++ {
		t := float64(k) / float64(n)
		var p vec3
		if so < 1e-15 {
			p = vec3{a.x + t*(b.x-a.x), a.y + t*(b.y-a.y), a.z + t*(b.z-a.z)}
		} else {
			wa, wb := math.Sin((1-t)*omega)/so, math.Sin(t*omega)/so
			p = vec3{wa*a.x + wb*b.x, wa*a.y + wb*b.y, wa*a.z + wb*b.z}
		}
		p.normalize()
		out = append(out, [2]float64{180 * math.Asin(p.z) / math.Pi, 180 * math.Atan2(p.y, p.x) / math.Pi})
	}
	return append(out, [2]float64{lat2, lon2})
}
