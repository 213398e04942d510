// Package geo holds gapmap's geometry helpers: H3 cells (point → cell,
// polygon → cells, parents, children, neighbours), ellipsoidal geodesic
// distance and azimuth on WGS84, and spatial indexes (points within range,
// point in area).
package geo

import (
	"fmt"

	"github.com/paulmach/orb"
	"github.com/uber/h3-go/v4"
)

// AnalysisRes is the default H3 resolution for analysis (≈0.1 km² per cell).
const AnalysisRes = 9

// Cell is an H3 cell id as stored in PostGIS (bigint). H3 ids fit in 63 bits.
type Cell int64

// CellOf returns the H3 cell at res that contains (lat, lon).
func CellOf(lat, lon float64, res int) (Cell, error) {
	c, err := h3.LatLngToCell(h3.NewLatLng(lat, lon), res)
	if err != nil {
		return 0, fmt.Errorf("h3 cell of %.6f,%.6f at res %d: %w", lat, lon, res, err)
	}
	return Cell(c), nil
}

// H3 returns the h3-go value of c.
func (c Cell) H3() h3.Cell { return h3.Cell(c) }

// String is the usual hexadecimal H3 string.
func (c Cell) String() string { return h3.Cell(c).String() }

// ParseCell parses a hexadecimal H3 string.
func ParseCell(s string) (Cell, error) {
	c := h3.CellFromString(s)
	if !c.IsValid() {
		return 0, fmt.Errorf("%q is not a valid H3 cell", s)
	}
	return Cell(c), nil
}

// Res is the resolution of c.
func (c Cell) Res() int { return h3.Cell(c).Resolution() }

// Parent returns the ancestor of c at res.
func (c Cell) Parent(res int) (Cell, error) {
	p, err := h3.Cell(c).Parent(res)
	return Cell(p), err
}

// Children returns the descendants of c at res.
func (c Cell) Children(res int) ([]Cell, error) {
	cs, err := h3.Cell(c).Children(res)
	if err != nil {
		return nil, err
	}
	return toCells(cs), nil
}

// Disk returns c and its neighbours within k steps.
func (c Cell) Disk(k int) ([]Cell, error) {
	cs, err := h3.Cell(c).GridDisk(k)
	if err != nil {
		return nil, err
	}
	return toCells(cs), nil
}

// Center returns the centre of c.
func (c Cell) Center() (lat, lon float64, err error) {
	ll, err := h3.Cell(c).LatLng()
	return ll.Lat, ll.Lng, err
}

// Boundary returns the cell outline as a closed ring (lon/lat).
func (c Cell) Boundary() (orb.Ring, error) {
	b, err := h3.Cell(c).Boundary()
	if err != nil {
		return nil, err
	}
	r := make(orb.Ring, 0, len(b)+1)
	for _, ll := range b {
		r = append(r, orb.Point{ll.Lng, ll.Lat})
	}
	return append(r, r[0]), nil
}

// DescendantRange returns the inclusive range of ids of c's descendants at
// res, so that "all res cells under c" is a btree range scan on a bigint
// column. It relies on H3's layout: digits below c's resolution are 7
// (unused) in c and 0..6 in its descendants.
func (c Cell) DescendantRange(res int) (lo, hi Cell, err error) {
	first, err := h3.Cell(c).CenterChild(res)
	if err != nil {
		return 0, 0, err
	}
	// The smallest descendant has all digits res(c)+1..res = 0 which is the
	// center child; the largest has them = 6.
	h := uint64(first)
	for r := c.Res() + 1; r <= res; r++ {
		shift := uint(3 * (15 - r))
		h = h&^(7<<shift) | 6<<shift
	}
	return Cell(first), Cell(h), nil
}

// PolygonCells returns the res cells whose centres lie in the polygon.
func PolygonCells(p orb.Polygon, res int) ([]Cell, error) {
	if len(p) == 0 {
		return nil, nil
	}
	gp := h3.GeoPolygon{GeoLoop: ringToLoop(p[0])}
	for _, h := range p[1:] {
		gp.Holes = append(gp.Holes, ringToLoop(h))
	}
	cs, err := h3.PolygonToCells(gp, res)
	if err != nil {
		return nil, err
	}
	return toCells(cs), nil
}

// CellsOutline returns the outline of a set of cells as a MultiPolygon.
func CellsOutline(cells []Cell) (orb.MultiPolygon, error) {
	hs := make([]h3.Cell, len(cells))
	for i, c := range cells {
		hs[i] = h3.Cell(c)
	}
	gps, err := h3.CellsToMultiPolygon(hs)
	if err != nil {
		return nil, err
	}
	mp := make(orb.MultiPolygon, 0, len(gps))
	for _, gp := range gps {
		poly := orb.Polygon{loopToRing(gp.GeoLoop)}
		for _, h := range gp.Holes {
			poly = append(poly, loopToRing(h))
		}
		mp = append(mp, poly)
	}
	return mp, nil
}

func ringToLoop(r orb.Ring) h3.GeoLoop {
	n := len(r)
	if n > 1 && r[0] == r[n-1] {
		n--
	}
	l := make(h3.GeoLoop, n)
	for i := 0; i < n; i++ {
		l[i] = h3.NewLatLng(r[i][1], r[i][0])
	}
	return l
}

func loopToRing(l h3.GeoLoop) orb.Ring {
	r := make(orb.Ring, 0, len(l)+1)
	for _, ll := range l {
		r = append(r, orb.Point{ll.Lng, ll.Lat})
	}
	if len(r) > 0 {
		r = append(r, r[0])
	}
	return r
}

func toCells(cs []h3.Cell) []Cell {
	out := make([]Cell, 0, len(cs))
	for _, c := range cs {
		if c != 0 {
			out = append(out, Cell(c))
		}
	}
	return out
}
