package stats

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// normalLimitDF is the number of degrees of freedom above which TScore uses
// the normal quantile. gonum's Student's t quantile is accurate to ~1e-9 up
// to 1e7 degrees of freedom but degrades beyond (at 1e15 it is wrong by
// more than 1), while t_ν − z ≈ z(z²+1)/(4ν) < 2e-6 for ν > 1e7 at any
// level up to 0.9999 — far below anything a score displays.
const normalLimitDF = 1e7

func validLevel(level float64) bool { return level > 0 && level < 1 }

// ZScore returns the two-sided critical value of the standard normal
// distribution for a confidence level: z = Φ⁻¹((1+level)/2).
//
// A level of 0.95 leaves 2.5% in each tail, so z = Φ⁻¹(0.975) = 1.959964.
// Other common values: 0.90 → 1.644854, 0.99 → 2.575829.
// NaN unless 0 < level < 1.
func ZScore(level float64) float64 {
	if !validLevel(level) {
		return math.NaN()
	}
	return distuv.UnitNormal.Quantile((1 + level) / 2)
}

// TScore returns the two-sided critical value of Student's t distribution
// with df degrees of freedom: t = T⁻¹_df((1+level)/2). It replaces ZScore
// when a standard deviation is estimated from the sample itself, which
// widens the interval for small samples.
//
// Example: level 0.95, df 9 (10 responses) → T⁻¹₉(0.975) = 2.262157,
// against z = 1.959964. Fractional df (from Welch) are allowed.
// Above 1e7 degrees of freedom the normal quantile is used (see
// normalLimitDF). NaN unless 0 < level < 1 and df > 0.
func TScore(level, df float64) float64 {
	if !validLevel(level) || !(df > 0) {
		return math.NaN()
	}
	if df > normalLimitDF {
		return ZScore(level)
	}
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile((1 + level) / 2)
}

// NPS categories on the 0..10 scale.
const (
	PromoterMin = 9 // promoters answer 9–10
	PassiveMin  = 7 // passives answer 7–8; detractors answer 0–6
)

// NetPromoterScore returns NPS = (promoters − detractors) / n · 100, a number
// in [−100, 100]. On the 0..10 scale promoters answer 9–10, passives 7–8
// and detractors 0–6; passives count in n only.
//
// Example: 60 promoters, 20 detractors, 100 responses →
// (60−20)/100·100 = 40.
// NaN when n == 0 or the counts are impossible (negative, or more
// promoters plus detractors than responses).
func NetPromoterScore(promoters, detractors, n int64) float64 {
	if n <= 0 || promoters < 0 || detractors < 0 || promoters > n-detractors {
		return math.NaN()
	}
	// Divide first: |promoters−detractors| ≤ n keeps the ratio within ±1
	// after rounding, so the score never leaves [−100, 100].
	return float64(promoters-detractors) / float64(n) * 100
}

// NPSStandardError returns the standard error of NPS in NPS points:
// SE = √((p + d − (p − d)²) / n) · 100, with p and d the promoter and
// detractor proportions. It is the standard deviation of a response
// scored +1 (promoter), 0 (passive) or −1 (detractor), divided by √n.
//
// Example: p = 0.6, d = 0.2, n = 100 → variance 0.6+0.2−0.4² = 0.64,
// SE = √(0.64/100)·100 = 8.
// NaN when n == 0 or p, d are not proportions with p + d ≤ 1.
func NPSStandardError(p, d float64, n int64) float64 {
	// 1e-9 tolerates rounding in p and d computed as count/n.
	if n <= 0 || !(p >= 0) || !(d >= 0) || !(p+d <= 1+1e-9) {
		return math.NaN()
	}
	v := p + d - (p-d)*(p-d)
	// Rounding can push an exact 0 slightly negative (all promoters).
	v = max(v, 0)
	return math.Sqrt(v/float64(n)) * 100
}

// NPSMarginOfError returns the plain Wald margin of error of NPS in NPS
// points: MOE = z · √((p + d − (p − d)²) / n) · 100 = z · NPSStandardError.
//
// Example: p = 0.6, d = 0.2, n = 100, z = 1.959964 → SE = 8,
// MOE = 1.959964·8 = 15.68, interval 40 ± 15.68 = [24.32, 55.68].
// The normal approximation is rough for small n: with one response
// (or all responses in one category) the variance term is 0 and so is the
// MOE, a false certainty. Score therefore publishes the adjusted-Wald
// interval instead (NPSAdjustedWaldInterval, nps_interval.go); this
// formula stays for comparison and for readers of the literature.
// NaN when n == 0.
func NPSMarginOfError(p, d float64, n int64, z float64) float64 {
	return z * NPSStandardError(p, d, n)
}

// WilsonInterval returns the Wilson score interval of a proportion, as
// proportions in [0, 1]:
//
//	(p̂ + z²/2n ± z·√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n),  p̂ = successes/n.
//
// Unlike p̂ ± z·√(p̂(1−p̂)/n) it never leaves [0, 1] and does not collapse
// to a point when p̂ is 0 or 1, which matters for CSAT's many 100% days.
//
// Example: 80 of 100 at z = 1.959964 (z² = 3.841459): denominator
// 1 + 3.841459/100 = 1.038415, centre (0.8 + 3.841459/200)/1.038415 =
// 0.819207/1.038415 = 0.788902, half-width 1.959964/1.038415 ·
// √(0.8·0.2/100 + 3.841459/40000) = 1.887457·0.041183 = 0.077731 →
// [0.711171, 0.866633]. With all n successes the lower end is n/(n+z²).
// NaN, NaN when n == 0, successes is not in [0, n] or z is negative or NaN.
func WilsonInterval(successes, n int64, z float64) (lower, upper float64) {
	if n <= 0 || successes < 0 || successes > n || !(z >= 0) {
		return math.NaN(), math.NaN()
	}
	nf := float64(n)
	p := float64(successes) / nf
	z2 := z * z
	den := 1 + z2/nf
	center := (p + z2/(2*nf)) / den
	half := z / den * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	lower, upper = center-half, center+half
	// The ends are exactly 0 and 1 at p̂ = 0 and 1; rounding must neither
	// leave [0, 1] nor exclude p̂ itself.
	if successes == 0 {
		lower = 0
	}
	if successes == n {
		upper = 1
	}
	return max(min(lower, p), 0), min(max(upper, p), 1)
}

// PercentStandardError returns the standard error of a percentage in
// percentage points: SE = √(p(1−p)/n) · 100, p a proportion in [0, 1].
// CSAT uses it for trend tests (the Wilson interval is for display).
//
// Example: p = 0.8, n = 100 → √(0.8·0.2/100)·100 = √0.0016·100 = 4.
// NaN when n == 0 or p is not in [0, 1].
func PercentStandardError(p float64, n int64) float64 {
	if n <= 0 || !(p >= 0 && p <= 1) {
		return math.NaN()
	}
	return math.Sqrt(p*(1-p)/float64(n)) * 100
}

// offsetMoments returns the mean of the scale-point offsets (score − Min)
// and the population variance Σ (cᵢ/n)·(i − mean)², as two passes over the
// ≤ MaxPoints counts. Weighting by cᵢ/n instead of summing cᵢ·i keeps
// every term small however large n is, and when all responses share one
// score the weight is exactly 1, so the mean is exact and the variance
// exactly 0.
func offsetMoments(t Tally) (mean, popVar float64, n int64) {
	n = t.N()
	if t.Validate() != nil || n == 0 {
		return math.NaN(), math.NaN(), n
	}
	nf := float64(n)
	for i, c := range t.Counts {
		if c != 0 {
			mean += float64(c) / nf * float64(i)
		}
	}
	for i, c := range t.Counts {
		if c != 0 {
			dev := float64(i) - mean
			popVar += float64(c) / nf * dev * dev
		}
	}
	return mean, popVar, n
}

// Mean returns the arithmetic mean score x̄ = Σ cᵢ·xᵢ / n of a tally,
// where cᵢ responses have score xᵢ. It works on counts, so its cost does
// not depend on n.
//
// Example: scale 1..5 with counts 3:2, 4:4, 5:4 (n = 10) →
// (3·2 + 4·4 + 5·4)/10 = 42/10 = 4.2.
// NaN for an empty or malformed tally.
func Mean(t Tally) float64 {
	m, _, _ := offsetMoments(t)
	return float64(t.Scale.Min) + m
}

// SampleVariance returns the sample variance s² = Σ cᵢ·(xᵢ − x̄)² / (n − 1)
// of a tally (Bessel's n−1 denominator, because x̄ is estimated from the
// same responses). It is computed in two passes over the scale points,
// which stays accurate for huge n where Σx² − n·x̄² would cancel.
//
// Example: counts 3:2, 4:4, 5:4, x̄ = 4.2 →
// (2·1.44 + 4·0.04 + 4·0.64)/9 = 5.6/9 = 0.622222.
// NaN when n < 2 or the tally is malformed.
func SampleVariance(t Tally) float64 {
	_, v, n := offsetMoments(t)
	if n < 2 {
		return math.NaN()
	}
	return v * (float64(n) / float64(n-1))
}

// MeanStandardError returns the standard error of a mean, SE = √(s²/n).
//
// Example: s² = 0.622222, n = 10 → √0.0622222 = 0.249444.
// NaN when n < 2 or the variance is negative or NaN.
func MeanStandardError(sampleVariance float64, n int64) float64 {
	if n < 2 || !(sampleVariance >= 0) {
		return math.NaN()
	}
	return math.Sqrt(sampleVariance / float64(n))
}

// TInterval returns the Student's t confidence interval of a mean:
// x̄ ± t_{(1+level)/2, n−1} · √(s²/n).
//
// Example: x̄ = 4.2, s² = 0.622222, n = 10, level 0.95 →
// t₉ = 2.262157, SE = 0.249444, half-width 0.564281 → [3.635719, 4.764281].
//
// When every response has the same score s² = 0 and the interval collapses
// to the mean (half-width 0): the sample shows no spread to estimate from,
// which is honest for large n and optimistic for small n.
// NaN, NaN when n < 2, the mean or variance is NaN, the variance is
// negative or the level is not in (0, 1).
func TInterval(mean, sampleVariance float64, n int64, level float64) (lower, upper float64) {
	se := MeanStandardError(sampleVariance, n)
	if math.IsNaN(mean) || math.IsNaN(se) || !validLevel(level) {
		return math.NaN(), math.NaN()
	}
	half := TScore(level, float64(n-1)) * se
	return mean - half, mean + half
}

// WelchDegreesOfFreedom returns the Welch–Satterthwaite degrees of freedom
// of the difference of two means, from each sample's standard error
// SEᵢ = √(sᵢ²/nᵢ) and size nᵢ:
//
//	ν = (SE₁² + SE₂²)² / (SE₁⁴/(n₁−1) + SE₂⁴/(n₂−1)).
//
// Example: SE₁² = 0.0622222 (n₁ = 10), SE₂² = 0.05 (n₂ = 20) →
// 0.1122222² / (0.0622222²/9 + 0.05²/19) = 0.0125938/0.000561757 = 22.42.
// NaN when either n < 2, a standard error is negative or NaN, or both are 0.
func WelchDegreesOfFreedom(se1 float64, n1 int64, se2 float64, n2 int64) float64 {
	if n1 < 2 || n2 < 2 || !(se1 >= 0) || !(se2 >= 0) || se1 == 0 && se2 == 0 {
		return math.NaN()
	}
	v1, v2 := se1*se1, se2*se2
	return (v1 + v2) * (v1 + v2) / (v1*v1/float64(n1-1) + v2*v2/float64(n2-1))
}
