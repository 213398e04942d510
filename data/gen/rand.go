package gen

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
)

// Every random stream is a PCG generator keyed by the user's seed, a purpose
// and a stable name (an area code, a chunk number), so areas and chunks can
// be generated in any order on any number of workers and still produce the
// same values.

// splitmix64 is a strong 64-bit mixer (Steele, Lea, Flood 2014).
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func hashString(s string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return h.Sum64()
}

// newRand returns the stream for (seed, purpose, key, n).
func newRand(seed int64, purpose, key string, n uint64) *rand.Rand {
	s1 := splitmix64(uint64(seed) ^ hashString(purpose))
	s2 := splitmix64(hashString(key) ^ splitmix64(n+0x51ed27))
	return rand.New(rand.NewPCG(s1, s2))
}

// uniform returns a value in [lo, hi).
func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }

// chance reports true with probability p.
func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

// pick returns an index drawn with the given weights (not necessarily
// normalised).
func pick(r *rand.Rand, w []float64) int {
	t := 0.0
	for _, x := range w {
		t += x
	}
	u := r.Float64() * t
	for i, x := range w {
		if u < x {
			return i
		}
		u -= x
	}
	return len(w) - 1
}

// stochasticRound rounds x down or up with probability of its fraction, so
// the expected value is x.
func stochasticRound(r *rand.Rand, x float64) int {
	if x <= 0 {
		return 0
	}
	f := math.Floor(x)
	if r.Float64() < x-f {
		return int(f) + 1
	}
	return int(f)
}

// apportion splits total into integers proportional to w that sum to total
// exactly (largest remainder; ties to the lower index).
func apportion(total int, w []float64) []int {
	out := make([]int, len(w))
	if len(w) == 0 || total <= 0 {
		return out
	}
	sum := 0.0
	for _, x := range w {
		sum += x
	}
	if sum <= 0 {
		out[0] = total
		return out
	}
	type rem struct {
		i int
		r float64
	}
	rs := make([]rem, len(w))
	given := 0
	for i, x := range w {
		q := float64(total) * x / sum
		out[i] = int(math.Floor(q))
		given += out[i]
		rs[i] = rem{i, q - math.Floor(q)}
	}
	slices.SortStableFunc(rs, func(a, b rem) int {
		switch {
		case a.r > b.r:
			return -1
		case a.r < b.r:
			return 1
		}
		return a.i - b.i
	})
	for k := 0; given < total; k++ {
		out[rs[k%len(rs)].i]++
		given++
	}
	return out
}

// round6 rounds a coordinate to 6 decimals (≈0.1 m), the precision of the
// files, so that what is checked is what is written.
func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }
