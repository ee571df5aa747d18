package stats

import (
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/stat"
)

// Stage satisfaction: the scores of different survey types put on one
// 0..100 scale, combined per lifecycle stage, and compared across stages.
//
//	NormalizedScore(x, k, s)      NPS (x+100)/2; CSAT x; CES, Rating (x−min)/(max−min)·100
//	NormalizedMargin(m, k, s)     the same scale factor: NPS m/2; CSAT m; means m/(max−min)·100
//	MarginStandardError(m, k, n, level)  SE = m / z (NPS, CSAT) or m / t_{n−1} (means)
//	CombineScores(parts, level)   S = Σ wᵢ·sᵢ, wᵢ = nᵢ/Σn; margin z·√Σ (wᵢ·SEᵢ)²
//	Spread(v)                     max − min
//	PopulationStdDev(v)           √(Σ (vᵢ − v̄)² / k)
//	IntervalsOverlap(a, ma, b, mb)  |a − b| ≤ ma + mb

// NormalizedScore puts a survey score on the common 0..100 scale of stage
// satisfaction, 0 the worst possible score and 100 the best:
//
//	NPS          (x + 100) / 2            −100..100 → 0..100
//	CSAT         x                        already a percentage
//	CES, Rating  (x − min)/(max − min)·100   a mean on the scale min..max
//
// Examples: NPS 36 → 68; CSAT 82.5 → 82.5; a CES mean of 5.5 on 1..7 →
// 4.5/6·100 = 75; a Rating mean of 4.2 on 1..5 → 3.2/4·100 = 80.
// The result is clamped to 0..100; NaN for NaN, an unknown kind or a
// scale of one point.
func NormalizedScore(x float64, k Kind, s Scale) float64 {
	var v float64
	switch k {
	case NPS:
		v = (x + 100) / 2
	case CSAT:
		v = x
	case CES, Rating:
		if s.Max <= s.Min {
			return math.NaN()
		}
		v = (x - float64(s.Min)) / float64(s.Max-s.Min) * 100
	default:
		return math.NaN()
	}
	if math.IsNaN(v) {
		return v
	}
	return clamp(v, 0, 100)
}

// NormalizedMargin is a margin of error (or standard error) of a survey
// score on the 0..100 scale of NormalizedScore: the same scale factor,
// without the shift. NPS m/2; CSAT m; CES and Rating m/(max − min)·100.
//
// Examples: an NPS margin of 15.5 → 7.75; a CES margin of 0.3 on 1..7 →
// 5. NaN for NaN, an unknown kind or a scale of one point.
func NormalizedMargin(m float64, k Kind, s Scale) float64 {
	switch k {
	case NPS:
		return m / 2
	case CSAT:
		return m
	case CES, Rating:
		if s.Max <= s.Min {
			return math.NaN()
		}
		return m / float64(s.Max-s.Min) * 100
	}
	return math.NaN()
}

// MarginStandardError recovers the standard error behind a published
// margin of error: SE = m / z(level) for NPS and CSAT (normal intervals;
// for CSAT's Wilson interval, approximately), SE = m / t_{n−1}(level) for
// the t interval of CES and Rating means.
//
// Examples: NPS margin 15.68 at 0.95 → 15.68/1.959964 = 8; a mean's
// margin 0.564281 from 10 responses at 0.95 → 0.564281/2.262157 =
// 0.249444. NaN when the margin is NaN or negative, or the level is not in
// (0, 1); for means also when n < 2.
func MarginStandardError(m float64, k Kind, n int64, level float64) float64 {
	if !(m >= 0) {
		return math.NaN()
	}
	switch k {
	case NPS, CSAT:
		return m / ZScore(level)
	case CES, Rating:
		if n < 2 {
			return math.NaN()
		}
		return m / TScore(level, float64(n-1))
	}
	return math.NaN()
}

// WeightedScore is one part of a combined score: a score, its standard
// error and the responses it rests on (its weight).
type WeightedScore struct {
	Score, StdErr float64
	N             int64
}

// CombineScores is the response-weighted mean of independent scores, with
// its margin of error at the given level:
//
//	S = Σ wᵢ·sᵢ,  wᵢ = nᵢ / Σn
//	SE(S) = √Σ (wᵢ·SEᵢ)²          (independent samples: different respondents)
//	margin = z(level) · SE(S)
//
// When the parts share the level, z·SEᵢ is their own margin mᵢ and the
// margin is √Σ (wᵢ·mᵢ)².
//
// Example (0.95): 68 ± 7.75 from 88 responses and 82.5 ± 10.5 from 40 →
// w = 0.6875, 0.3125; S = 46.75 + 25.78125 = 72.53125; SEs 7.75/1.959964
// = 3.954154 and 10.5/1.959964 = 5.357241; SE(S) = √((0.6875·3.954154)² +
// (0.3125·5.357241)²) = √(7.390139 + 2.802738) = 3.192629; margin
// 1.959964·3.192629 = 6.257437 (= √((0.6875·7.75)² + (0.3125·10.5)²)).
//
// Parts with no responses are left out; the score is NaN when no part
// remains, the margin NaN when a remaining part's standard error is.
func CombineScores(parts []WeightedScore, level float64) (score, margin float64) {
	var total int64
	for _, p := range parts {
		if p.N > 0 {
			total += p.N
		}
	}
	if total == 0 {
		return math.NaN(), math.NaN()
	}
	var variance float64
	for _, p := range parts {
		if p.N <= 0 {
			continue
		}
		w := float64(p.N) / float64(total)
		score += w * p.Score
		variance += w * w * p.StdErr * p.StdErr
	}
	return score, ZScore(level) * math.Sqrt(variance)
}

// Spread is the range of values, max − min: how far apart the best and the
// worst stage are. Example: 62, 80, 71 → 18. NaN for fewer than two values.
func Spread(v []float64) float64 {
	if len(v) < 2 {
		return math.NaN()
	}
	return floats.Max(v) - floats.Min(v)
}

// PopulationStdDev is the standard deviation of values taken as the whole
// population (the stages of a journey are all its stages, not a sample of
// them): √(Σ (vᵢ − v̄)² / k), from gonum's stat.PopStdDev.
// Example: 62, 80, 71 → v̄ = 71, √((81 + 81 + 0)/3) = √54 = 7.348469.
// NaN for fewer than two values.
func PopulationStdDev(v []float64) float64 {
	if len(v) < 2 {
		return math.NaN()
	}
	return stat.PopStdDev(v, nil)
}

// IntervalsOverlap reports whether the intervals a ± ma and b ± mb share a
// point: |a − b| ≤ ma + mb. Two intervals that do not overlap differ
// clearly (at a stricter level than each interval's own); two that do may
// still differ, but the data cannot say so with confidence.
// Examples: 62 ± 5 and 80 ± 6 → 18 > 11: no; 70 ± 5 and 80 ± 6 → 10 ≤ 11:
// yes. A NaN anywhere counts as overlapping (nothing can be told apart).
func IntervalsOverlap(a, ma, b, mb float64) bool {
	d := math.Abs(a - b)
	if math.IsNaN(d) || math.IsNaN(ma) || math.IsNaN(mb) {
		return true
	}
	return d <= ma+mb
}
