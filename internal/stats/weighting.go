package stats

import (
	"math"
)

// KishEffectiveSampleSize returns Kish's effective sample size of
// weighted responses, the number of unweighted responses that would give
// an estimate the same precision:
//
//	n_eff = (Σ wᵢ)² / Σ wᵢ²
//
// over responses i; with groups of cₕ responses sharing a weight wₕ,
// (Σ cₕ·wₕ)² / Σ cₕ·wₕ². The scale of the weights does not matter.
//
// Examples: equal weights give n_eff = n. Post-stratifying 80 pro and 20
// free responses to 50/50 weights each pro response 0.5/80 and each free
// one 0.5/20: (0.5 + 0.5)² / (80·(0.5/80)² + 20·(0.5/20)²) =
// 1 / (0.003125 + 0.0125) = 64 — the correction costs 36 responses.
// NaN when the lengths differ, a count or weight is negative or NaN, or
// every weight is 0.
func KishEffectiveSampleSize(counts []int64, weights []float64) float64 {
	if len(counts) != len(weights) {
		return math.NaN()
	}
	var sum, sumSq float64
	for h, c := range counts {
		w := weights[h]
		if c < 0 || !(w >= 0) || math.IsInf(w, 0) {
			return math.NaN()
		}
		sum += float64(c) * w
		sumSq += float64(c) * w * w
	}
	if !(sumSq > 0) {
		return math.NaN()
	}
	return sum * sum / sumSq
}

// NPSStratum is one stratum of a post-stratified NPS: its share Weight of
// the customer base and the proportions P of promoters and D of
// detractors among its N responses. N is a float so that an interval
// method that adjusts the counts can pass its own proportions: the
// adjusted Wald method passes P = (promoters + ¾)/(n + 3),
// D = (detractors + ¾)/(n + 3), N = n + 3.
type NPSStratum struct {
	Weight, P, D, N float64
}

// PostStratifiedNPS returns the post-stratified NPS and its standard
// error, in NPS points, from each stratum's weight Wₕ (summing to 1) and
// proportions:
//
//	NPS_w = Σ Wₕ·(pₕ − dₕ)·100
//	SE_w  = √(Σ Wₕ²·(pₕ + dₕ − (pₕ − dₕ)²)/nₕ)·100
//
// Each stratum's term is the variance of its NPS (NPSStandardError
// squared), so the formula holds for whichever proportions the interval
// method uses: raw ones for the Wald interval (the estimate is then the
// weighted NPS itself), adjusted ones for the adjusted Wald interval (the
// estimate is then the interval's centre).
//
// Example: pro W 0.5, p 0.4, d 0.3, n 80 (NPS 10); free W 0.5, p 0.7,
// d 0.1, n 20 (NPS 60) → NPS_w = 0.5·10 + 0.5·60 = 35 (unweighted: 20);
// variances 0.7 − 0.01 = 0.69 and 0.8 − 0.36 = 0.44, SE_w =
// √(0.25·0.69/80 + 0.25·0.44/20)·100 = √(0.00215625 + 0.0055)·100 = 8.75.
// NaN, NaN when a stratum has N ≤ 0 and a weight > 0, proportions that
// are not proportions, or a negative weight.
func PostStratifiedNPS(strata []NPSStratum) (estimate, stdErr float64) {
	var est, v float64
	for _, s := range strata {
		if !(s.Weight >= 0) || !(s.P >= 0) || !(s.D >= 0) || !(s.P+s.D <= 1+1e-9) {
			return math.NaN(), math.NaN()
		}
		if s.Weight == 0 {
			continue
		}
		if !(s.N > 0) {
			return math.NaN(), math.NaN()
		}
		est += s.Weight * (s.P - s.D)
		v += s.Weight * s.Weight * max(s.P+s.D-(s.P-s.D)*(s.P-s.D), 0) / s.N
	}
	return est * 100, math.Sqrt(v) * 100
}

// StratifiedVariance returns the variance of a post-stratified estimate
// Σ Wₕ·θₕ whose strata are sampled independently, from each stratum's
// weight Wₕ, per-response variance σₕ² and size nₕ:
//
//	V = Σ Wₕ²·σₕ²/nₕ
//
// σ² is p(1−p) for a proportion and the sample variance s² for a mean.
//
// Example (CSAT): strata W 0.5, p 0.9, n 80 and W 0.5, p 0.6, n 20 →
// 0.25·0.09/80 + 0.25·0.24/20 = 0.00028125 + 0.003 = 0.00328125.
// NaN when the lengths differ, a weight or variance is negative or NaN,
// or a stratum with a weight > 0 has no response.
func StratifiedVariance(weights, variances []float64, counts []int64) float64 {
	if len(weights) != len(variances) || len(weights) != len(counts) {
		return math.NaN()
	}
	var v float64
	for h, w := range weights {
		if !(w >= 0) {
			return math.NaN()
		}
		if w == 0 {
			continue
		}
		if counts[h] <= 0 || !(variances[h] >= 0) {
			return math.NaN()
		}
		v += w * w * variances[h] / float64(counts[h])
	}
	return v
}

// StratifiedDegreesOfFreedom returns the Satterthwaite degrees of freedom
// of a post-stratified mean, for its t interval:
//
//	ν = (Σ aₕ)² / Σ aₕ²/(nₕ − 1),  aₕ = Wₕ²·sₕ²/nₕ
//
// It generalises WelchDegreesOfFreedom (two strata, weights 1 and −1) and
// lies between the smallest nₕ − 1 and Σ (nₕ − 1).
//
// Example: W 0.5, s² 0.622222, n 10 and W 0.5, s² 1, n 20 →
// a = 0.0155556, 0.0125; ν = 0.0280556² / (0.0155556²/9 + 0.0125²/19) =
// 0.000787114 / 0.0000351097 = 22.42.
// NaN when the lengths differ, a stratum with a weight > 0 has fewer than
// 2 responses or a variance that is negative or NaN, or every aₕ is 0.
func StratifiedDegreesOfFreedom(weights, variances []float64, counts []int64) float64 {
	if len(weights) != len(variances) || len(weights) != len(counts) {
		return math.NaN()
	}
	var sum, den float64
	for h, w := range weights {
		if !(w >= 0) {
			return math.NaN()
		}
		if w == 0 {
			continue
		}
		if counts[h] < 2 || !(variances[h] >= 0) {
			return math.NaN()
		}
		a := w * w * variances[h] / float64(counts[h])
		sum += a
		den += a * a / float64(counts[h]-1)
	}
	if !(den > 0) {
		return math.NaN()
	}
	return sum * sum / den
}

// WilsonIntervalOfShare returns the Wilson score interval of a share p
// estimated with an effective sample size n that need not be whole, as
// proportions in [0, 1]:
//
//	(p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n)
//
// It is WilsonInterval for a weighted share: with n the design's
// effective sample size p(1−p)/V (V the share's variance), as Stata's
// `proportion, citype(wilson)` does for survey data.
//
// Example: p 0.8, n 100, z 1.959964 → [0.711171, 0.866633], the same as
// WilsonInterval(80, 100, z); at n 64: [0.686326, 0.879700].
// NaN, NaN unless 0 ≤ p ≤ 1, n > 0 and z ≥ 0.
func WilsonIntervalOfShare(p, n, z float64) (lower, upper float64) {
	if !(p >= 0 && p <= 1) || !(n > 0) || math.IsInf(n, 0) || !(z >= 0) {
		return math.NaN(), math.NaN()
	}
	z2 := z * z
	den := 1 + z2/n
	center := (p + z2/(2*n)) / den
	half := z / den * math.Sqrt(p*(1-p)/n+z2/(4*n*n))
	lower, upper = center-half, center+half
	if p == 0 {
		lower = 0
	}
	if p == 1 {
		upper = 1
	}
	return max(min(lower, p), 0), min(max(upper, p), 1)
}

// Stratum is one cell of a post-stratification: the responses with one
// segment value (or "other") and the value's share of the customer base.
type Stratum struct {
	Value  string
	Weight float64
	Tally  Tally
}

// Weighted is a post-stratified score.
type Weighted struct {
	// Result holds N (every response of the strata), Score,
	// MarginOfError, Lower, Upper and StdErr; its other numbers are NaN.
	Result Result
	// EffectiveN is Kish's effective sample size.
	EffectiveN float64
	// Dropped lists the strata with a weight but no response: their
	// weight is shared among the others (the weights are scaled to sum to
	// 1 over the strata with responses).
	Dropped []string
}

// npsIntervalStratum is the one place that chooses the proportions of
// the NPS interval for weighting: the adjusted Wald ones that Score uses
// (NPSAdjustedWaldInterval), (P+¾)/(n+3) and (D+¾)/(n+3) over n+3, so
// that a weighted interval never collapses where an unweighted one would
// not.
func npsIntervalStratum(t Tally, weight float64) NPSStratum {
	n := float64(t.N()) + 3
	p := (float64(t.AtOrAbove(PromoterMin)) + 0.75) / n
	d := (float64(t.CountBetween(npsScale.Min, PassiveMin-1)) + 0.75) / n
	return NPSStratum{Weight: weight, P: p, D: d, N: n}
}

// PostStratify returns the post-stratified score of strata: each
// stratum's score weighted by its share of the customer base,
//
//	score_w = Σ Wₕ·scoreₕ,  Wₕ scaled to sum to 1 over strata with responses,
//
// with a margin of error from the stratified variance at o's confidence
// level:
//
//	NPS     PostStratifiedNPS; interval centre ± z·SE_w, clamped to [−100, 100]
//	CSAT    V = StratifiedVariance with σₕ² = pₕ(1−pₕ); WilsonIntervalOfShare of
//	        score_w at the effective size p(1−p)/V (Kish's n_eff when V = 0)
//	CES,    V = StratifiedVariance with σₕ² = sₕ²; t interval with
//	Rating  StratifiedDegreesOfFreedom
//
// and Kish's effective sample size from the response weights Wₕ/nₕ.
//
// Example (NPS, level 0.95): pro 80 responses with NPS 10 (32 promoters,
// 24 detractors), weight 0.5; free 20 with NPS 60 (14 and 2), weight 0.5 →
// score 35 (unweighted 20). The interval is the adjusted Wald one per
// stratum: pro p′ = 32.75/83 = 0.394578, d′ = 24.75/83 = 0.298193; free
// p′ = 14.75/23 = 0.641304, d′ = 2.75/23 = 0.119565; centre
// 0.5·9.6386 + 0.5·52.1739 = 30.91, SE √(0.25·0.0082347 + 0.25·0.0212460)·100
// = 8.585, interval 30.91 ± 1.959964·8.585 = [14.08, 47.73], margin (half
// its width) 16.83; n_eff 64.
//
// A stratum with a weight of 0 counts in N but not in the score. Result
// is all NaN (N still set) when no stratum with responses has a weight,
// the options fail Options.Validate, or the tallies are malformed.
func PostStratify(strata []Stratum, o Options) Weighted {
	w := Weighted{EffectiveN: math.NaN()}
	var total float64
	for _, s := range strata {
		if s.Tally.Validate() != nil || !(s.Weight >= 0) || math.IsInf(s.Weight, 0) {
			w.Result = undefined(0)
			return w
		}
		w.Result.N += s.Tally.N()
		if s.Tally.N() > 0 {
			total += s.Weight
		} else if s.Weight > 0 {
			w.Dropped = append(w.Dropped, s.Value)
		}
	}
	n := w.Result.N
	w.Result = undefined(n)
	if !(total > 0) || len(strata) == 0 || o.Validate(strata[0].Tally.Scale) != nil {
		return w
	}
	var (
		weights, variances, scores []float64
		counts                     []int64
		nps                        []NPSStratum
	)
	for _, s := range strata {
		if s.Tally.N() == 0 {
			continue
		}
		wh := s.Weight / total
		r := Score(s.Tally, o)
		weights, counts, scores = append(weights, wh), append(counts, s.Tally.N()), append(scores, r.Score)
		switch o.Kind {
		case NPS:
			nps = append(nps, npsIntervalStratum(s.Tally, wh))
		case CSAT:
			p := r.Score / 100
			variances = append(variances, p*(1-p))
		case CES, Rating:
			variances = append(variances, SampleVariance(s.Tally))
		}
	}
	perResponse := make([]float64, len(weights))
	w.Result.Score = 0
	for h := range weights {
		perResponse[h] = weights[h] / float64(counts[h])
		w.Result.Score += weights[h] * scores[h]
	}
	w.EffectiveN = KishEffectiveSampleSize(counts, perResponse)
	w.Result.Lower, w.Result.Upper, w.Result.StdErr = postStratifiedInterval(o, w.Result.Score, w.EffectiveN, weights, variances, counts, nps)
	// Half the interval's width, as Score reports it (for NPS the
	// interval may be clamped on one side).
	w.Result.MarginOfError = (w.Result.Upper - w.Result.Lower) / 2
	return w
}

// postStratifiedInterval is the interval and standard error of
// PostStratify's score, per kind.
func postStratifiedInterval(o Options, score, effectiveN float64, weights, variances []float64, counts []int64, nps []NPSStratum) (lower, upper, stdErr float64) {
	z := ZScore(o.ConfidenceLevel)
	switch o.Kind {
	case NPS:
		center, se := PostStratifiedNPS(nps)
		return max(center-z*se, -100), min(center+z*se, 100), se
	case CSAT:
		v := StratifiedVariance(weights, variances, counts)
		p := score / 100
		size := effectiveN
		if v > 0 {
			size = p * (1 - p) / v
		}
		lo, hi := WilsonIntervalOfShare(p, size, z)
		return lo * 100, hi * 100, math.Sqrt(v) * 100
	default: // CES, Rating
		v := StratifiedVariance(weights, variances, counts)
		se := math.Sqrt(v)
		if v == 0 {
			return score, score, 0
		}
		half := TScore(o.ConfidenceLevel, StratifiedDegreesOfFreedom(weights, variances, counts)) * se
		return score - half, score + half, se
	}
}
