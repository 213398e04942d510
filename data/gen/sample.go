package gen

import (
	"math"

	"github.com/gapmap/gapmap/data"
	"github.com/paulmach/orb"
)

// The built-in sample province: "Tỉnh Lâm Sơn", fictional, in the hills of
// northern Vietnam around 105.6–106.2 E, 21.85–22.25 N. A river valley runs
// from south-west to north-east with the provincial city in the middle,
// small lowland communes along the valley and large, thinly settled
// mountain communes on both sides: 3 districts, 20 communes, about 35,000
// households. Communes are the cells of a power (weighted Voronoi) diagram
// of hand-placed seats inside a convex outline, so they tile the province
// without gaps; shared borders bend a little, the same way on both sides.

type sampleCommune struct {
	code, name, district string
	x, y                 float64 // seat, km east/north of the province centre
	w                    float64 // power-diagram weight, km² (larger → larger cell)
	hh                   int
	popPerHH             float64
}

const (
	sampleLon0 = 105.9
	sampleLat0 = 22.05
)

func sampleCommunes() []sampleCommune {
	// Seats in km along the valley axis, which runs from (-20, -10) km
	// towards (20, 12) km, and across it (positive: north-west).
	const ax, ay = 40.0, 22.0
	l := math.Hypot(ax, ay)
	at := func(a, off float64) (float64, float64) {
		return -20 + a*ax/l - off*ay/l, -10 + a*ay/l + off*ax/l
	}
	type seat struct {
		code, name, district string
		a, off, w            float64
		hh                   int
		pph                  float64
	}
	// Weights were fitted so the cells get the intended sizes: wards of
	// ≈2 km², suburban communes of ≈7 km², valley communes of ≈25 km²,
	// mountain communes of 130–220 km².
	seats := []seat{
		// Thành phố Lâm Sơn: three wards and three suburban communes.
		{"99001", "Phường Minh Khai", "990", 26.5, 0.7, -82, 2380, 3.4},
		{"99004", "Phường Hoàng Văn Thụ", "990", 27.1, -0.35, -80.3, 2115, 3.5},
		{"99007", "Phường Tân Giang", "990", 25.9, -0.35, -84.7, 1860, 3.5},
		{"99010", "Xã Hưng Đạo", "990", 28.75, 1.3, -70.8, 2610, 3.7},
		{"99013", "Xã Đồng Tiến", "990", 24.25, 1.3, -87.4, 2745, 3.7},
		{"99016", "Xã Quang Trung", "990", 26.5, -2.6, -80, 2480, 3.6},
		// Huyện Yên Khê: the valley south-west of the city and its hills.
		{"99101", "Thị trấn Yên Khê", "991", 19, -0.5, -81.8, 2950, 3.7},
		{"99104", "Xã Yên Lạc", "991", 13, 0.8, -75, 2215, 3.8},
		{"99107", "Xã Tân Tiến", "991", 7.5, -0.7, -66, 1980, 3.9},
		{"99110", "Xã Phú Thượng", "991", 2.5, 0.6, -75.8, 1765, 3.9},
		{"99113", "Xã Khau Tinh", "991", 5, 10, 5.4, 1025, 4.2},
		{"99116", "Xã Nà Phặc", "991", 17, 11, -1.5, 1425, 4.1},
		{"99119", "Xã Cao Sơn", "991", 7, -10, -8.6, 865, 4.3},
		{"99122", "Xã Thượng Quan", "991", 19, -11, -10.7, 1170, 4.2},
		// Huyện Phia Oắc: the narrower valley north-east and the high hills.
		{"99201", "Thị trấn Nà Pài", "992", 34.5, 0.4, -30.8, 2140, 3.8},
		{"99204", "Xã Thanh Sơn", "992", 40.5, -0.6, 9, 1530, 4.0},
		{"99207", "Xã Phiêng Luông", "992", 31, 11, 39, 950, 4.3},
		{"99210", "Xã Sín Chải", "992", 43, 9, 101, 680, 4.5},
		{"99213", "Xã Pù Nhi", "992", 32, -10, 12.7, 1100, 4.3},
		{"99216", "Xã Nậm Xé", "992", 43, -9, 68.2, 765, 4.4},
	}
	out := make([]sampleCommune, len(seats))
	for i, s := range seats {
		x, y := at(s.a, s.off)
		out[i] = sampleCommune{code: s.code, name: s.name, district: s.district, x: x, y: y, w: s.w, hh: s.hh, popPerHH: s.pph}
	}
	return out
}

// sampleOutline is the province outline in km (convex, counter-clockwise).
func sampleOutline() [][2]float64 {
	return [][2]float64{{-24, -6}, {-18, -17}, {-6, -21}, {8, -20}, {20, -14}, {25, -2}, {23, 11}, {13, 19}, {-4, 21}, {-16, 17}, {-23, 8}}
}

// sampleAreas returns the sample province, its districts and communes.
func sampleAreas() []data.Area {
	cs := sampleCommunes()
	cells := powerCells(cs)
	mLat := 110.74
	mLon := 111.32 * math.Cos(sampleLat0*math.Pi/180)
	toLL := func(p [2]float64) orb.Point {
		return orb.Point{sampleLon0 + p[0]/mLon, sampleLat0 + p[1]/mLat}
	}
	areas := []data.Area{
		{Code: "99", Name: "Tỉnh Lâm Sơn", Level: levelProvince},
		{Code: "990", Name: "Thành phố Lâm Sơn", Level: levelDistrict, ParentCode: "99"},
		{Code: "991", Name: "Huyện Yên Khê", Level: levelDistrict, ParentCode: "99"},
		{Code: "992", Name: "Huyện Phia Oắc", Level: levelDistrict, ParentCode: "99"},
	}
	for i, c := range cs {
		ring := orb.Ring{}
		cell := cells[i]
		for k := range cell {
			a, b := cell[k], cell[(k+1)%len(cell)]
			for _, p := range bentEdge(a, b) {
				ring = append(ring, toLL(p))
			}
		}
		ring = append(ring, ring[0])
		areas = append(areas, data.Area{
			Code:       c.code,
			Name:       c.name,
			Level:      levelCommune,
			ParentCode: c.district,
			Households: c.hh,
			Population: int(math.Round(float64(c.hh) * c.popPerHH)),
			Geom:       cleanGeom(orb.MultiPolygon{{ring}}),
		})
	}
	return areas
}

// powerCells returns the cells of the power diagram of the seats inside
// the outline, with corners snapped to 1 mm so that shared corners are
// identical.
func powerCells(cs []sampleCommune) [][][2]float64 {
	cells := make([][][2]float64, len(cs))
	for i := range cs {
		cell := sampleOutline()
		for j := range cs {
			if i == j {
				continue
			}
			// Power bisector: 2x·(pj−pi) ≤ |pj|²−|pi|² − wj + wi.
			ax, ay := 2*(cs[j].x-cs[i].x), 2*(cs[j].y-cs[i].y)
			b := cs[j].x*cs[j].x + cs[j].y*cs[j].y - cs[i].x*cs[i].x - cs[i].y*cs[i].y - cs[j].w + cs[i].w
			cell = clipHalfPlane(cell, ax, ay, b)
		}
		for k := range cell {
			cell[k] = [2]float64{math.Round(cell[k][0]*1e6) / 1e6, math.Round(cell[k][1]*1e6) / 1e6}
		}
		cells[i] = cell
	}
	return cells
}

// clipHalfPlane keeps the part of a convex polygon where ax·x + ay·y ≤ b
// (Sutherland–Hodgman against one line).
func clipHalfPlane(poly [][2]float64, ax, ay, b float64) [][2]float64 {
	var out [][2]float64
	in := func(p [2]float64) bool { return ax*p[0]+ay*p[1] <= b }
	for k := range poly {
		p, q := poly[k], poly[(k+1)%len(poly)]
		pin, qin := in(p), in(q)
		if pin {
			out = append(out, p)
		}
		if pin != qin {
			fp, fq := ax*p[0]+ay*p[1]-b, ax*q[0]+ay*q[1]-b
			t := fp / (fp - fq)
			out = append(out, [2]float64{p[0] + t*(q[0]-p[0]), p[1] + t*(q[1]-p[1])})
		}
	}
	return out
}

// bentEdge returns the points of the edge a→b without b: a and three
// intermediate points pushed sideways by up to 6% of the length. The bend
// depends only on the unordered pair {a, b}, so the neighbour on the other
// side draws the same border.
func bentEdge(a, b [2]float64) [][2]float64 {
	p, q := a, b
	flip := q[0] < p[0] || (q[0] == p[0] && q[1] < p[1])
	if flip {
		p, q = q, p
	}
	l := math.Hypot(q[0]-p[0], q[1]-p[1])
	if l < 0.3 {
		return [][2]float64{a}
	}
	h := splitmix64(math.Float64bits(p[0]) ^ splitmix64(math.Float64bits(p[1])^splitmix64(math.Float64bits(q[0])^splitmix64(math.Float64bits(q[1])))))
	nx, ny := -(q[1]-p[1])/l, (q[0]-p[0])/l
	mids := make([][2]float64, 3)
	for k := range mids {
		h = splitmix64(h)
		off := (float64(h%2001)/1000 - 1) * 0.06 * l
		t := float64(k+1) / 4
		mids[k] = [2]float64{p[0] + t*(q[0]-p[0]) + off*nx, p[1] + t*(q[1]-p[1]) + off*ny}
	}
	if flip {
		mids[0], mids[2] = mids[2], mids[0]
	}
	return [][2]float64{a, mids[0], mids[1], mids[2]}
}
