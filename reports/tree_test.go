package reports

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gapmap/gapmap/data"
	"github.com/gapmap/gapmap/data/postgis"
)

// Properties of the roll-up into today's units and the sums up the tree,
// on random trees, successor tables (merges, splits with shares) and
// counts: the grand total is the sum of every count recorded (nothing lost
// or made up, whatever the codes); every area's figure is its own plus its
// children's; an area not valid today has no row; what lands on no valid
// area is exactly the unplaced figure.
func TestRollUpSumUpProperties(t *testing.T) {
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	eff := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	ended := eff
	for seed := uint64(1); seed <= 300; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		// A root, some live children and grandchildren, some abolished units.
		areas := []postgis.ReportArea{{Code: "R", Name: "R", Level: "province"}}
		var live, dead []string
		for i := 0; i < 2+r.IntN(5); i++ {
			c := fmt.Sprintf("D%d", i)
			areas = append(areas, postgis.ReportArea{Code: c, Name: c, Level: "district", ParentCode: "R"})
			live = append(live, c)
			for j := 0; j < r.IntN(4); j++ {
				k := fmt.Sprintf("%s.%d", c, j)
				areas = append(areas, postgis.ReportArea{Code: k, Name: k, Level: "commune", ParentCode: c})
				live = append(live, k)
			}
		}
		var succ []data.AreaSuccessor
		for i := 0; i < 1+r.IntN(4); i++ {
			c := fmt.Sprintf("OLD%d", i)
			areas = append(areas, postgis.ReportArea{Code: c, Name: c, Level: "commune", ParentCode: live[0], ValidTo: &ended})
			dead = append(dead, c)
			if r.IntN(2) == 0 { // continued whole
				succ = append(succ, data.AreaSuccessor{OldCode: c, NewCode: live[r.IntN(len(live))], Effective: eff, Share: 1})
			} else { // split in two
				a, b := live[r.IntN(len(live))], live[r.IntN(len(live))]
				if a == b {
					succ = append(succ, data.AreaSuccessor{OldCode: c, NewCode: a, Effective: eff, Share: 1})
				} else {
					sh := 0.1 + 0.8*r.Float64()
					succ = append(succ, data.AreaSuccessor{OldCode: c, NewCode: a, Effective: eff, Share: sh},
						data.AreaSuccessor{OldCode: c, NewCode: b, Effective: eff, Share: 1 - sh})
				}
			}
		}
		s, err := data.NewSuccessors(succ)
		if err != nil {
			t.Fatal(err)
		}
		const n = 3
		raw := map[string]vec{}
		want := make(vec, n)
		wantUnplaced := make(vec, n)
		codes := append(append(append([]string{}, live...), dead...), "GONE", "") // GONE: no area, no successor
		for _, c := range codes {
			v := vec{r.IntN(20), r.IntN(5), r.IntN(1000)}
			raw[c] = v
			for i := range v {
				want[i] += v[i]
				if c == "GONE" || c == "" {
					wantUnplaced[i] += v[i]
				}
			}
		}
		tr := newTree(areas, day)
		sums := tr.sumUp(rollUp(s, day, raw, n), n)
		for i := 0; i < n; i++ {
			if sums[totalKey][i] != want[i] || sums[""].at(i) != wantUnplaced[i] || sums["R"][i] != want[i]-wantUnplaced[i] {
				t.Fatalf("seed %d: total %v want %v, unplaced %v want %v, root %v", seed, sums[totalKey], want, sums[""], wantUnplaced, sums["R"])
			}
		}
		order, depth, err := tr.order("")
		if err != nil {
			t.Fatal(err)
		}
		if len(order) != 1+len(live) || depth["R"] != 0 {
			t.Fatalf("seed %d: order %v", seed, order)
		}
		for _, c := range dead {
			if _, ok := tr.areas[c]; ok {
				t.Fatalf("seed %d: abolished %s listed", seed, c)
			}
		}
		for _, c := range order {
			for i := 0; i < n; i++ {
				kids := 0
				for _, k := range tr.children[c] {
					kids += sums[k].at(i)
				}
				own := 0
				if v := rollUp(s, day, raw, n)[c]; v != nil {
					own = v[i]
				}
				if sums[c].at(i) != own+kids {
					t.Fatalf("seed %d: %s[%d] = %d, own %d + children %d", seed, c, i, sums[c].at(i), own, kids)
				}
			}
		}
	}
}
