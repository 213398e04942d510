package coverage

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// radixSortByKey sorts the keys in place and returns the stable
// permutation, for any number of varying bytes (odd and even pass counts).
func TestRadixSortByKey(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	for _, tc := range []struct {
		n    int
		mask uint64
	}{
		{0, 0}, {1, ^uint64(0)}, {2, 0}, {1000, 0xFF}, {1000, 0xFF00FF}, {5000, 0x0F_0000_00FF_FF00}, {5000, ^uint64(0)}, {3000, 0x7},
	} {
		base := rng.Uint64() &^ tc.mask
		keys := make([]uint64, tc.n)
		for i := range keys {
			keys[i] = base | rng.Uint64()&tc.mask
		}
		orig := slices.Clone(keys)
		want := make([]uint32, tc.n)
		for i := range want {
			want[i] = uint32(i)
		}
		slices.SortStableFunc(want, func(a, b uint32) int {
			switch {
			case orig[a] < orig[b]:
				return -1
			case orig[a] > orig[b]:
				return 1
			}
			return 0
		})
		perm := radixSortByKey(keys)
		if !slices.Equal(perm, want) {
			t.Fatalf("n=%d mask=%x: permutation differs from a stable sort", tc.n, tc.mask)
		}
		for i := range keys {
			if keys[i] != orig[perm[i]] {
				t.Fatalf("n=%d mask=%x: keys[%d]=%x, want %x", tc.n, tc.mask, i, keys[i], orig[perm[i]])
			}
		}
		if !slices.IsSorted(keys) {
			t.Fatalf("n=%d mask=%x: keys not sorted", tc.n, tc.mask)
		}
	}
}
