// Package stats is Touchstone's statistics engine: it turns counts of survey
// responses into scores, confidence intervals and trends, and renders
// numbers for display (Format, FormatSignificant). It is pure Go: it imports
// nothing from Kubernetes, only gonum for the distributions.
//
// Everything works on a Tally (responses counted per scale point), never on
// individual responses, so the cost of scoring a window depends on the number
// of scale points (at most MaxPoints) and days, not on how many people
// answered. Day tallies of a rolling window are combined with Tally.Merge.
//
// # Formulas
//
// One exported function per formula; each doc comment carries a worked example.
//
//	ZScore(level)               z = Φ⁻¹((1+level)/2)                        0.95 → 1.959964
//	TScore(level, df)           t = T⁻¹_df((1+level)/2)                     0.95, 9 → 2.262157
//	NetPromoterScore(P, D, n)   NPS = (P−D)/n·100, P: 9–10, D: 0–6 on 0..10
//	NPSStandardError(p, d, n)   SE = √((p+d−(p−d)²)/n)·100
//	NPSMarginOfError(p, d, n,z) MOE = z·SE (plain Wald; 0 when all answers share a category)
//	AdjustedNPSShares(P, D, n)  n′ = n+3, p′ = (P+¾)/n′, d′ = (D+¾)/n′      (Rocks 2016)
//	AdjustedNetPromoterScore    100·(p′−d′)
//	NPSAdjustedStandardError    SE′ = √((p′+d′−(p′−d′)²)/n′)·100
//	NPSAdjustedWaldInterval     100·(p′−d′) ± z·SE′ clamped to [−100, 100]
//	WilsonInterval(x, n, z)     (p̂ + z²/2n ± z√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n)
//	PercentStandardError(p, n)  SE = √(p(1−p)/n)·100
//	Mean(t)                     x̄ = Σ cᵢ·xᵢ / n
//	SampleVariance(t)           s² = Σ cᵢ·(xᵢ−x̄)² / (n−1)
//	MeanStandardError(s², n)    SE = √(s²/n)
//	TInterval(x̄, s², n, level)  x̄ ± t_{n−1}·√(s²/n)
//	WelchDegreesOfFreedom       ν = (SE₁²+SE₂²)² / (SE₁⁴/(n₁−1) + SE₂⁴/(n₂−1))
//	CompareWindows              z (or Welch t) = Δ / √(SE₁²+SE₂²); NPS: Δ and SE adjusted
//
// Segments: privacy, representation and weighting:
//
//	ApplyMinimumGroupSize       k-anonymity floor: values below min fold into other, then
//	                            secondary folds so no group of 1..min−1 is derivable
//	ChiSquareGoodnessOfFit      χ² = Σ (Oᵢ−Eᵢ)²/Eᵢ, df = k−1, p = P(χ²_df ≥ χ²)
//	AssessRepresentation        χ² test after merging groups with Eᵢ < 5 (Cochran)
//	RepresentationRatio         share / expected share
//	KishEffectiveSampleSize     n_eff = (Σ wᵢ)² / Σ wᵢ²
//	PostStratifiedNPS           Σ Wₕ(pₕ−dₕ)·100, SE = √(Σ Wₕ²(pₕ+dₕ−(pₕ−dₕ)²)/nₕ)·100
//	StratifiedVariance          V = Σ Wₕ²σₕ²/nₕ
//	StratifiedDegreesOfFreedom  ν = (Σ aₕ)² / Σ aₕ²/(nₕ−1), aₕ = Wₕ²sₕ²/nₕ
//	WilsonIntervalOfShare       Wilson interval at a fractional (effective) n
//	PostStratify                Σ Wₕ·scoreₕ with its interval, per Kind
//
// Aggregates of a list of values (what collectors reduce a source's items
// with):
//
//	Summary                     n, Σx (compensated), min, max, x̄ = Σx/n, in one pass
//	NearestRankQuantile(x, q)   Q(q) = x₍ₖ₎, k = ⌈q·n⌉ (gonum stat.Empirical)   10,20,30,40: Q(.5) = 20
//	Median(x)                   NearestRankQuantile(x, 0.5)                     3,5,9,11 → 5
//	Proportion(k, n)            k/n                                             45, 50 → 0.9
//
// Score applies them per survey Kind:
//
//	NPS     Score = NPS, adjusted-Wald interval (clamped), MOE its half-width
//	CSAT    Score = percent of responses at or above Threshold, Wilson interval
//	CES     Score = mean, t interval; ThresholdPercent = percent "easy"
//	Rating  Score = mean, t interval; optional ThresholdPercent
//
// # Undefined is NaN
//
// A number that cannot be computed — any score of an empty tally, a variance
// of a single response, a change against a window without data — is NaN,
// never 0, so "no data" cannot be mistaken for "a score of zero". Format
// renders NaN as "" for display.
//
// Quantiles come from gonum's stat/distuv; there are no hand-written tables.
package stats
