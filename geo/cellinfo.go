package geo

import (
	"fmt"

	"github.com/uber/h3-go/v4"
)

// Ancestor returns the ancestor of a valid cell at res (≤ c.Res()) by bit
// manipulation (no cgo call): the resolution field is set to res and the
// digits below it to 7 (unused).
func (c Cell) Ancestor(res int) Cell {
	h := uint64(c)&^h3ResMask | uint64(res)<<h3ResOffset
	for r := res + 1; r <= 15; r++ {
		h = withDigit(h, r, 7)
	}
	return Cell(h)
}

// AreaM2 returns the area of the cell in square metres.
func (c Cell) AreaM2() (float64, error) {
	return h3.CellAreaM2(h3.Cell(c))
}

// EdgeLengthAvgM is the average hexagon edge length at res in metres.
func EdgeLengthAvgM(res int) (float64, error) {
	if res < 0 || res > 15 {
		return 0, fmt.Errorf("H3 resolution %d out of 0..15", res)
	}
	return h3.HexagonEdgeLengthAvgM(res)
}

// Neighbors returns the cells adjacent to c (grid distance 1), without c.
func (c Cell) Neighbors() ([]Cell, error) {
	cs, err := h3.Cell(c).GridDisk(1)
	if err != nil {
		return nil, err
	}
	out := make([]Cell, 0, 6)
	for _, x := range cs {
		if x != 0 && Cell(x) != c {
			out = append(out, Cell(x))
		}
	}
	return out, nil
}
