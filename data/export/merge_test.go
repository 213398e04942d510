package export

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gapmap/gapmap/geo"
)

func mustCell(t *testing.T, lat, lon float64, res int) geo.Cell {
	t.Helper()
	c, err := geo.CellOf(lat, lon, res)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Hand-checked: a res-8 parent whose res-9 children hold 3, 10 and 1
// households is exported whole (14 households, 3 cells) with k = 5; a cell
// of 7 households elsewhere stays as it is.
func TestMergeHandChecked(t *testing.T) {
	p := mustCell(t, 21.5, 105.8, 8)
	kids, err := p.Children(9)
	if err != nil {
		t.Fatal(err)
	}
	far := mustCell(t, 21.9, 106.2, 9)
	cells := []Cell{
		{Cell: kids[0], AreaCode: "A", AreaName: "Xã A", Households: 3, Students: [4]int{0, 2, 1, 0}, Unconnected: [4]int{0, 2, 0, 0}, GapID: "G2", GapRank: 2, GapScore: 1.5, Nearest4GM: 900},
		{Cell: kids[1], AreaCode: "B", AreaName: "Xã B", Households: 10, Students: [4]int{0, 1, 1, 1}, Unconnected: [4]int{0, 1, 1, 1}, GapID: "G1", GapRank: 1, GapScore: 2.5, Nearest4GM: 1200},
		{Cell: kids[2], AreaCode: "A", AreaName: "Xã A", Households: 1, Students: [4]int{0, 1, 0, 0}, GapScore: math.NaN(), Nearest4GM: math.NaN()},
		{Cell: kids[3], AreaCode: "C", Households: 0}, // a school-only cell: no person counts, left out
		{Cell: far, AreaCode: "D", Households: 7, Students: [4]int{0, 0, 0, 4}, Unconnected: [4]int{0, 0, 0, 4}, GapScore: math.NaN(), Nearest4GM: math.NaN()},
	}
	pts, withheld, err := Merge(cells, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 2 || withheld.Households != 0 {
		t.Fatalf("got %d points, withheld %+v: %+v", len(pts), withheld, pts)
	}
	m := pts[0] // gap rank 1 first
	if m.H3 != p.String() || m.Res != 8 || m.Households != 14 || m.Cells != 3 || m.Students != [4]int{0, 4, 2, 1} || m.Unconnected != [4]int{0, 3, 1, 1} ||
		m.AreaCode != "B" || m.AreaName != "Xã B" || m.GapID != "G1" || m.GapRank != 1 || m.GapScore != 2.5 || m.Nearest4GM != 900 || len(m.Hexagon) != 7 {
		t.Errorf("merged parent %+v", m)
	}
	if lat, lon, _ := p.Center(); m.Lat != lat || m.Lon != lon {
		t.Errorf("merged point at %v,%v, want the parent's centre %v,%v", m.Lat, m.Lon, lat, lon)
	}
	d := pts[1]
	if d.H3 != far.String() || d.Res != 9 || d.Households != 7 || d.Cells != 1 || d.AreaCode != "D" || d.GapRank != 0 || !math.IsNaN(d.GapScore) {
		t.Errorf("untouched cell %+v", d)
	}
	// k = 1 keeps every cell with households as it is.
	if pts, _, _ := Merge(cells, 1); len(pts) != 4 {
		t.Errorf("k=1: %d points", len(pts))
	}
	// Fewer than k households in all: withheld, reported.
	pts, withheld, _ = Merge(cells[2:3], 5)
	if len(pts) != 0 || withheld.Households != 1 || withheld.Students[1] != 1 {
		t.Errorf("a lone home: %+v withheld %+v", pts, withheld)
	}
}

// On random provinces: every point holds ≥ k households, no point lies
// inside another, and points plus withheld sum to the input exactly.
func TestMergeProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 200; iter++ {
		k := 1 + rng.IntN(12)
		n := 1 + rng.IntN(300)
		seen := map[geo.Cell]bool{}
		var cells []Cell
		var total Totals
		for len(cells) < n {
			c := mustCell(t, 21+rng.Float64()*0.3, 105.5+rng.Float64()*0.3, 9)
			if seen[c] {
				continue
			}
			seen[c] = true
			hh := rng.IntN(9)
			x := Cell{Cell: c, AreaCode: "A", Households: hh, Students: [4]int{0, rng.IntN(hh + 1), rng.IntN(hh + 1), rng.IntN(2)}, GapScore: math.NaN(), Nearest4GM: math.NaN()}
			x.Unconnected = [4]int{0, x.Students[1], 0, x.Students[3]}
			cells = append(cells, x)
			if hh > 0 {
				total.Households += hh
				for k := range total.Students {
					total.Students[k] += x.Students[k]
					total.Unconnected[k] += x.Unconnected[k]
				}
				total.Cells++
			}
		}
		pts, withheld, err := Merge(cells, k)
		if err != nil {
			t.Fatal(err)
		}
		got := withheld
		out := map[geo.Cell]bool{}
		for i := range pts {
			p := &pts[i]
			if p.Households < k {
				t.Fatalf("iter %d k %d: point %s holds %d households", iter, k, p.H3, p.Households)
			}
			got.Add(p)
			c, err := geo.ParseCell(p.H3)
			if err != nil {
				t.Fatal(err)
			}
			out[c] = true
		}
		if got != total {
			t.Fatalf("iter %d k %d: points+withheld %+v, input %+v", iter, k, got, total)
		}
		if withheld.Households > 0 && total.Households >= k && len(pts) == 0 {
			t.Fatalf("iter %d: all withheld though the total %d ≥ k %d", iter, total.Households, k)
		}
		for c := range out {
			for r := c.Res() - 1; r >= 0; r-- {
				a, _ := c.Parent(r)
				if out[a] {
					t.Fatalf("iter %d: point %s lies inside point %s", iter, c, a)
				}
			}
		}
	}
}
