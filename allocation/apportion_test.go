package allocation

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func seatsOf(t *testing.T, total int, units []Unit) []int {
	t.Helper()
	res, err := Apportion(total, units)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int, len(res))
	for i, s := range res {
		out[i] = s.Seats
	}
	return out
}

func uncapped(weights ...float64) []Unit {
	u := make([]Unit, len(weights))
	for i, w := range weights {
		u[i] = Unit{Code: string(rune('A' + i)), Weight: w, Cap: math.MaxInt32}
	}
	return u
}

// Votes 53, 24, 23 for 7 seats. Hand computation, divisors 1, 3, 5, 7:
//
//	A 53: 53.00, 17.67, 10.60, 7.57
//	B 24: 24.00,  8.00,  4.80
//	C 23: 23.00,  7.67,  4.60
//
// The 7 largest: 53 (A), 24 (B), 23 (C), 17.67 (A), 10.60 (A), 8.00 (B),
// 7.67 (C) → A 3, B 2, C 2. (The 4, 2, 1 often quoted for these votes is
// D'Hondt's, with divisors 1, 2, 3, 4: 53, 26.5, 24, 23, 17.67, 13.25, 12.)
// Check with Webster's divisor form: d = 15.3 gives 3.46 → 3, 1.57 → 2,
// 1.50 → 2; 7 seats.
func TestApportionSainteLague532423(t *testing.T) {
	got := seatsOf(t, 7, uncapped(53, 24, 23))
	if want := []int{3, 2, 2}; !slices.Equal(got, want) {
		t.Fatalf("53/24/23 for 7 seats: got %v, want %v", got, want)
	}
	// D'Hondt's 4/2/1 only appears with fewer votes for C: 53/24/16 →
	// divisors 1,3,5,7: 53, 24, 17.67, 16, 10.6, 8, 7.57 → A 4, B 2, C 1.
	got = seatsOf(t, 7, uncapped(53, 24, 16))
	if want := []int{4, 2, 1}; !slices.Equal(got, want) {
		t.Fatalf("53/24/16 for 7 seats: got %v, want %v", got, want)
	}
}

// The textbook Sainte-Laguë example (e.g. Wikipedia, "Sainte-Laguë
// method"): A 100,000, B 80,000, C 30,000, D 20,000 votes, 8 seats.
//
//	A: 100000, 33333, 20000, 14286
//	B:  80000, 26667, 16000, 11429
//	C:  30000, 10000
//	D:  20000,  6667
//
// The 8 largest: 100000 A, 80000 B, 33333 A, 30000 C, 26667 B, 20000 A,
// 20000 D, 16000 B → A 3, B 3, C 1, D 1 (D'Hondt would give 4, 3, 1, 0).
func TestApportionTextbook(t *testing.T) {
	got := seatsOf(t, 8, uncapped(100000, 80000, 30000, 20000))
	if want := []int{3, 3, 1, 1}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	// One seat fewer: the 7th seat is the 20000 tie between A and D; A wins
	// by code.
	res, err := Apportion(6, uncapped(100000, 80000, 30000, 20000))
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Seats != 3 || res[3].Seats != 0 || res[0].Rule != RuleSainteLague+"; "+RuleTie || res[3].Rule != RuleSainteLague+"; "+RuleTie {
		t.Fatalf("6 seats: %+v", res)
	}
	if res[1].Rule != RuleSainteLague {
		t.Fatalf("B was not in the tie: %+v", res[1])
	}
}

// A capped at 2: hand computation, divisors 1, 3, 5:
//
//	A 100: 100, 33.3 | 20 (beyond the cap)
//	B  50:  50, 16.7, 10
//	C  31:  31, 10.33
//
// 6 seats: 100 A, 50 B, 33.3 A, 31 C, 16.7 B, 10.33 C → A 2, B 2, C 2.
// Uncapped, A's 20 would have taken the 5th seat (A 3, B 2, C 1).
func TestApportionCapped(t *testing.T) {
	units := []Unit{{Code: "A", Weight: 100, Cap: 2}, {Code: "B", Weight: 50, Cap: 10}, {Code: "C", Weight: 31, Cap: 10}}
	res, err := Apportion(6, units)
	if err != nil {
		t.Fatal(err)
	}
	want := []int{2, 2, 2}
	for i, s := range res {
		if s.Seats != want[i] {
			t.Fatalf("got %+v, want seats %v", res, want)
		}
	}
	if !res[0].Capped || res[0].Rule != RuleSainteLague+"; "+RuleCapped {
		t.Fatalf("A: %+v", res[0])
	}
	if q := 6 * 100 / 181.0; math.Abs(res[0].Quota-q) > 1e-12 {
		t.Fatalf("A quota %v, want %v", res[0].Quota, q)
	}
	if res[1].Rule != RuleSainteLague || res[1].Capped {
		t.Fatalf("B: %+v", res[1])
	}
	uncappedSeats := seatsOf(t, 6, []Unit{{Code: "A", Weight: 100, Cap: 10}, units[1], units[2]})
	if !slices.Equal(uncappedSeats, []int{3, 2, 1}) {
		t.Fatalf("uncapped: %v", uncappedSeats)
	}
	// With C at 30 the 6th seat is a tie, 50/5 = 30/3 = 10: B wins by code.
	units[2].Weight = 30
	res, _ = Apportion(6, units)
	if res[1].Seats != 3 || res[2].Seats != 1 || res[1].Rule != RuleSainteLague+"; "+RuleTie || res[2].Rule != RuleSainteLague+"; "+RuleTie {
		t.Fatalf("tie: %+v", res)
	}
	// More seats than caps: each unit gets its cap, the rest is not used.
	res, _ = Apportion(100, units)
	used := 0
	for _, s := range res {
		used += s.Seats
		if !s.Capped || s.Rule != RuleSainteLague+"; "+RuleCapped {
			t.Fatalf("all capped: %+v", s)
		}
	}
	if used != 22 {
		t.Fatalf("used %d seats, want 22", used)
	}
}

// Own stock counts as seats already held: A holds 3 and has the same
// weight as B, so the 3 new seats all go to B (50/1, 50/3, 50/5 all beat
// A's 50/7).
func TestApportionHeld(t *testing.T) {
	res, err := Apportion(3, []Unit{{Code: "A", Weight: 50, Cap: 10, Held: 3}, {Code: "B", Weight: 50, Cap: 10}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Seats != 3 || res[1].Seats != 3 || res[0].Rule != RuleOwnStock {
		t.Fatalf("%+v", res)
	}
	if res[0].Quota != 3 || res[1].Quota != 3 {
		t.Fatalf("quota: %+v", res)
	}
}

func TestApportionTieOrderIndependent(t *testing.T) {
	a := seatsOf(t, 1, []Unit{{Code: "b", Weight: 10, Cap: 5}, {Code: "a", Weight: 10, Cap: 5}})
	if !slices.Equal(a, []int{0, 1}) {
		t.Fatalf("tie should go to code a: %v", a)
	}
}

func TestApportionErrors(t *testing.T) {
	for _, tc := range []struct {
		total int
		u     Unit
	}{
		{-1, Unit{Code: "A", Weight: 1, Cap: 1}},
		{1, Unit{Code: "A", Weight: math.NaN(), Cap: 1}},
		{1, Unit{Code: "A", Weight: 0, Cap: 1}},
		{1, Unit{Code: "A", Weight: 1, Cap: -1}},
	} {
		if _, err := Apportion(tc.total, []Unit{tc.u}); err == nil {
			t.Errorf("Apportion(%d, %+v): no error", tc.total, tc.u)
		}
	}
	if _, err := Apportion(1, []Unit{{Code: "A", Weight: 0, Cap: 0}}); err != nil {
		t.Errorf("a unit without room may weigh 0: %v", err)
	}
}

// Properties on random instances: seats within [Held, Cap] (Held kept even
// above Cap), the total used is min(total, room), house monotonicity, and
// every unit below its cap is behind every seat given (the Sainte-Laguë
// order holds).
func TestApportionProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for iter := range 2000 {
		n := 1 + rng.IntN(7)
		units := make([]Unit, n)
		room := 0
		for i := range units {
			units[i] = Unit{Code: fmt.Sprintf("u%d", rng.IntN(100)), Weight: float64(1 + rng.IntN(20)), Cap: rng.IntN(12), Held: rng.IntN(4)}
			if rng.IntN(3) == 0 {
				units[i].Weight = rng.Float64() * 10
			}
			room += max(0, units[i].Cap-units[i].Held)
		}
		total := rng.IntN(30)
		res, err := Apportion(total, units)
		if err != nil {
			t.Fatal(err)
		}
		next, err := Apportion(total+1+rng.IntN(3), units)
		if err != nil {
			t.Fatal(err)
		}
		used := 0
		for i, s := range res {
			if s.Seats < units[i].Held || (s.Seats > units[i].Cap && s.Seats != units[i].Held) {
				t.Fatalf("iter %d: unit %+v got %d", iter, units[i], s.Seats)
			}
			used += s.Seats - units[i].Held
			if next[i].Seats < s.Seats {
				t.Fatalf("iter %d: house monotonicity: unit %d got %d then %d with more seats", iter, i, s.Seats, next[i].Seats)
			}
		}
		if used != min(total, room) {
			t.Fatalf("iter %d: used %d, want %d", iter, used, min(total, room))
		}
		// The SL order: the lowest priority among seats given from the
		// pool is ≥ the highest next-seat priority of units below cap.
		lowGiven, highOpen := math.Inf(1), math.Inf(-1)
		for i, s := range res {
			u := units[i]
			if s.Seats > u.Held {
				lowGiven = min(lowGiven, u.Weight/float64(2*s.Seats-1))
			}
			if s.Seats < u.Cap {
				highOpen = max(highOpen, u.Weight/float64(2*s.Seats+1))
			}
		}
		if lowGiven < highOpen {
			t.Fatalf("iter %d: a seat of priority %v was given while %v waited: %+v → %+v", iter, lowGiven, highOpen, units, res)
		}
	}
}
