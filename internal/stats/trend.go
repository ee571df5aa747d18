package stats

import "math"

// Trend compares a window's Result with the previous window's.
type Trend struct {
	Change      float64 // current.Score - previous.Score; NaN when either is NaN
	Significant bool    // two-sided test rejects "no change" at level
	Statistic   float64 // z (or Welch t) statistic; NaN when undefined
}

// CompareWindows tests whether the score moved between two windows.
//
// The statistic is the change over its standard error,
//
//	Δ / √(SE₁² + SE₂²),
//
// built from each Result's StdErr. NPS and CSAT use it as a two-sample z
// test: significant when |z| > ZScore(level). CES and Rating use Welch's t
// test (means with unequal variances): the same statistic compared with
// TScore(level, ν), ν from WelchDegreesOfFreedom. Welch needs each
// window's sᵢ²/nᵢ, which is exactly StdErrᵢ², so Results suffice.
//
// NPS is tested the adjusted-Wald way (Lewis and Sauro, MeasuringU 2021,
// after Rocks 2016): Δ is the change of the adjusted centres
// (Result.AdjustedScore) and SEᵢ the adjusted standard errors
// (NPSAdjustedStandardError), so that two windows of unanimous answers do
// not read as infinitely certain. Trend.Change is still the change of the
// published (raw) scores.
//
// Example (NPS, level 0.95): current 40 (60 promoters, 20 detractors of
// 100: adjusted centre 38.834951, SE′ 7.885385), previous 20 (50 and 30 of
// 100: 19.417476, SE′ 8.553420) → z = 19.417476/√(62.179300 + 73.160998)
// = 19.417476/11.633586 = 1.669088 < 1.959964: not significant.
//
// Example (Rating, level 0.95): current mean 4.2 (SE² 0.0622222, n 10),
// previous 3.5 (SE² 0.05, n 20) → t = 0.7/√0.1122222 = 2.089560,
// ν = 22.42, t_ν = 2.072: significant.
//
// Undefined cases give Statistic NaN and Significant false: a NaN score or
// standard error, fewer than 2 responses in either window, an unknown kind,
// or both standard errors 0 with equal scores. When both standard errors
// are 0 but the scores differ (CSAT, CES, Rating: the NPS adjusted
// standard error is never 0), every response in each window agreed and
// the windows disagree: the change is reported as significant with
// Statistic ±Inf. Significant is always false for a level not in (0, 1).
func CompareWindows(current, previous Result, kind Kind, level float64) Trend {
	tr := Trend{Change: current.Score - previous.Score, Statistic: math.NaN()}
	se1, se2 := current.StdErr, previous.StdErr
	delta := tr.Change
	if kind == NPS {
		delta = current.AdjustedScore - previous.AdjustedScore
	}
	if math.IsNaN(tr.Change) || math.IsInf(tr.Change, 0) || math.IsNaN(delta) || !kind.Valid() ||
		current.N < 2 || previous.N < 2 || !(se1 >= 0) || !(se2 >= 0) {
		return tr
	}
	se := math.Hypot(se1, se2) // √(SE₁²+SE₂²) without overflow
	if se == 0 {
		if delta != 0 {
			tr.Statistic = math.Copysign(math.Inf(1), delta)
			tr.Significant = validLevel(level)
		}
		return tr
	}
	tr.Statistic = delta / se
	var crit float64
	switch kind {
	case NPS, CSAT:
		crit = ZScore(level)
	case CES, Rating:
		crit = TScore(level, WelchDegreesOfFreedom(se1, current.N, se2, previous.N))
	}
	tr.Significant = math.Abs(tr.Statistic) > crit // false when crit is NaN
	return tr
}
