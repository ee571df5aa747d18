package stats

import "math"

// The adjusted-Wald interval of the Net Promoter Score (Rocks 2016, "Interval
// Estimation for the 'Net Promoter Score'", The American Statistician 70(4);
// confirmed on real data by Lewis and Sauro, MeasuringU, 2021). The plain
// Wald interval NPS ± z·NPSStandardError collapses to a point when every
// response falls in one category (50 passives read "0 ± 0", 100 detractors
// "−100 ± 0"), so a small sample looks certain. Adding ¾ of a response to
// the promoters and to the detractors (and 3/2 to the passives, 3 in all)
// before computing the same variance keeps the interval honest at the
// extremes and, of the six methods Rocks compared, had the best coverage.

// AdjustedNPSShares returns the adjusted-Wald sample size and shares:
//
//	n′ = n + 3,  p′ = (promoters + ¾) / n′,  d′ = (detractors + ¾) / n′.
//
// Example: 60 promoters, 20 detractors of 100 → n′ = 103,
// p′ = 60.75/103 = 0.589806, d′ = 20.75/103 = 0.201456.
// NaN, NaN, NaN when n == 0 or the counts are impossible (negative, or more
// promoters plus detractors than responses). n′ is a float64 so that n
// close to the int64 limit does not overflow.
func AdjustedNPSShares(promoters, detractors, n int64) (p, d, nAdj float64) {
	if n <= 0 || promoters < 0 || detractors < 0 || promoters > n-detractors {
		return math.NaN(), math.NaN(), math.NaN()
	}
	nAdj = float64(n) + 3
	return (float64(promoters) + 0.75) / nAdj, (float64(detractors) + 0.75) / nAdj, nAdj
}

// AdjustedNetPromoterScore returns the centre of the adjusted-Wald
// interval, 100·(p′ − d′), with p′ and d′ from AdjustedNPSShares. It is
// pulled towards 0 from the raw NPS, by less the larger the sample; the
// published score stays the raw NPS, and this centre is what the interval
// and the trend test are built on.
//
// Example: 60 promoters, 20 detractors of 100 →
// 100·(0.589806 − 0.201456) = 38.834951 (the raw NPS is 40).
// NaN when AdjustedNPSShares is.
func AdjustedNetPromoterScore(promoters, detractors, n int64) float64 {
	p, d, _ := AdjustedNPSShares(promoters, detractors, n)
	return (p - d) * 100
}

// NPSAdjustedStandardError returns the adjusted-Wald standard error of NPS
// in NPS points:
//
//	SE′ = √((p′ + d′ − (p′ − d′)²) / n′) · 100,
//
// the variance of a response scored +1, 0, −1 (as in NPSStandardError)
// taken at the adjusted shares and sample size. It is never 0: with all
// responses in one category the added ¾s still spread the sample.
//
// Example: 60 promoters, 20 detractors of 100 → p′ + d′ = 0.791262,
// (p′ − d′)² = 0.150815, variance 0.640447, SE′ = √(0.640447/103)·100 =
// 7.885385. 50 passives → p′ = d′ = 0.75/53 = 0.014151, variance 0.028302,
// SE′ = √(0.028302/53)·100 = 2.310839 (the plain Wald SE is 0).
// NaN when AdjustedNPSShares is.
func NPSAdjustedStandardError(promoters, detractors, n int64) float64 {
	p, d, nAdj := AdjustedNPSShares(promoters, detractors, n)
	if math.IsNaN(nAdj) {
		return math.NaN()
	}
	return math.Sqrt((p+d-(p-d)*(p-d))/nAdj) * 100
}

// NPSAdjustedWaldInterval returns the adjusted-Wald confidence interval of
// NPS in NPS points:
//
//	100·(p′ − d′) ± z · SE′, clamped to [−100, 100],
//
// with the centre from AdjustedNetPromoterScore and SE′ from
// NPSAdjustedStandardError. Where a side is clamped the interval is
// asymmetric about its centre; it always contains the centre, and it has
// a positive width for every n ≥ 1 (z > 0).
//
// Examples at z = 1.959964:
//   - 60 promoters, 20 passives, 20 detractors: 38.834951 ± 1.959964·7.885385
//     = 38.834951 ± 15.455071 → [23.379880, 54.290022];
//   - 50 passives: 0 ± 1.959964·2.310839 → [−4.529162, 4.529162];
//   - 100 detractors: n′ = 103, d′ = 100.75/103 = 0.978155,
//     p′ = 0.75/103 = 0.007282, centre −97.087379, variance
//     0.985437 − 0.942596 = 0.042841, SE′ = 2.039441, half-width 3.997231
//     → [−101.084609 clamped to −100, −93.090148].
//
// NaN, NaN when AdjustedNPSShares is NaN or z is negative or NaN.
func NPSAdjustedWaldInterval(promoters, detractors, n int64, z float64) (lower, upper float64) {
	centre := AdjustedNetPromoterScore(promoters, detractors, n)
	half := z * NPSAdjustedStandardError(promoters, detractors, n)
	if math.IsNaN(centre) || !(z >= 0) {
		return math.NaN(), math.NaN()
	}
	return max(centre-half, -100), min(centre+half, 100)
}
