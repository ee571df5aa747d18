package stats

import (
	"math"

	"gonum.org/v1/gonum/stat"
)

// Aggregates of a list of values, for collectors that reduce the items of
// a source (tickets, ratings, conversations...) to one number. As
// everywhere in this package, what cannot be computed (the mean of no
// value) is NaN, never 0.

// Summary accumulates the count, sum, minimum and maximum of a stream of
// values in one pass and constant memory, so that a collector can reduce
// the pages of a list as they arrive. The sum is compensated (Neumaier's
// variant of Kahan summation), so that adding 10⁵ values loses no more
// precision than adding a few.
//
// Example: adding 3, 1 and 2 → N = 3, Sum = 6, Min = 1, Max = 3, Mean = 2.
// The zero Summary is empty: Mean, Min and Max are NaN.
type Summary struct {
	// N counts the values added.
	N int64
	// sum and comp are the running sum and its compensation.
	sum, comp float64
	min, max  float64
}

// Add adds one value.
func (s *Summary) Add(x float64) {
	if s.N == 0 {
		s.min, s.max = x, x
	} else {
		s.min, s.max = math.Min(s.min, x), math.Max(s.max, x)
	}
	s.N++
	t := s.sum + x
	if math.Abs(s.sum) >= math.Abs(x) {
		s.comp += (s.sum - t) + x
	} else {
		s.comp += (x - t) + s.sum
	}
	s.sum = t
}

// Sum is Σ xᵢ: 0 when empty (the sum of nothing).
func (s Summary) Sum() float64 { return s.sum + s.comp }

// Mean is the arithmetic mean x̄ = Σ xᵢ / n.
//
// Example: 30, 45, 120, 5 → 200/4 = 50. NaN when empty.
func (s Summary) Mean() float64 {
	if s.N == 0 {
		return math.NaN()
	}
	return s.Sum() / float64(s.N)
}

// Min is the smallest value; NaN when empty.
func (s Summary) Min() float64 {
	if s.N == 0 {
		return math.NaN()
	}
	return s.min
}

// Max is the largest value; NaN when empty.
func (s Summary) Max() float64 {
	if s.N == 0 {
		return math.NaN()
	}
	return s.max
}

// rankTolerance keeps a rank q·n that is a whole number in decimal from
// moving up by one through binary rounding: 0.07 × 100 is
// 7.000000000000001 in float64, and the nearest rank must be 7, not 8.
// It is far below the gap between a whole rank and the next fraction a
// quantile written with a few decimals can give (for q with d decimals,
// q·n is whole or at least 10⁻ᵈ away from one), for lists of up to
// 10⁷ values.
const rankTolerance = 1e-12

// NearestRankQuantile returns the q-quantile of sorted (ascending) values
// by the nearest-rank definition: the smallest value v such that at least
// a fraction q of the values are at most v,
//
//	Q(q) = x₍ₖ₎ with k = ⌈q·n⌉ (1-based, k at least 1),
//
// which is gonum's stat.Quantile with stat.Empirical (the inverse of the
// empirical distribution function), the estimator it delegates to. The
// result is always one of the values, never an interpolation between
// two, and reads the way helpdesks report reply times: "90% of the
// tickets were answered within Q(0.9)".
//
// Examples: sorted 10, 20, 30, 40, 50 (n = 5): Q(0.5) = x₍₃₎ = 30 and
// Q(0.9) = x₍₅₎ = 50 (⌈4.5⌉ = 5); sorted 10, 20, 30, 40 (n = 4):
// Q(0.5) = x₍₂₎ = 20 (⌈2⌉ = 2; not the 25 of interpolating estimators),
// Q(0.9) = x₍₄₎ = 40. NaN when there is no value or q is outside [0, 1].
func NearestRankQuantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 || !(q >= 0 && q <= 1) {
		return math.NaN()
	}
	return stat.Quantile(q*(1-rankTolerance), stat.Empirical, sorted, nil)
}

// Median is the nearest-rank median, NearestRankQuantile(sorted, 0.5):
// the middle value of an odd count, the lower of the two middle values of
// an even count.
//
// Examples: 3, 5, 9 → 5; 3, 5, 9, 11 → 5. NaN when empty.
func Median(sorted []float64) float64 { return NearestRankQuantile(sorted, 0.5) }

// Proportion is the share k/n of n items that have a property, 0..1.
//
// Example: 45 ratings "good" of 50 received → 45/50 = 0.9. NaN when n is
// 0 (the share of nothing is undefined, not 0).
func Proportion(k, n int64) float64 {
	if n <= 0 {
		return math.NaN()
	}
	return float64(k) / float64(n)
}
