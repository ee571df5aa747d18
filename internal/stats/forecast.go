package stats

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/stat"
)

// Forecasts: a weighted least-squares line through a survey's daily scores,
// extended one window ahead. A linear trend is a short-horizon
// extrapolation of what the window shows, not a model of what causes it:
// it cannot foresee a launch, a price change or a season, and it reads a
// step as a slope.
//
//	FitLinearTrend(x, y, w)       y = α + β·x minimizing Σ wᵢ(yᵢ − α − β·xᵢ)²   (gonum stat.LinearRegression)
//	ResidualVariance              s² = Σ wᵢ rᵢ² / (k − 2)
//	SlopeInterval(level)          β ± t_{k−2} · √(s² / Sxx),  Sxx = Σ wᵢ(xᵢ − x̄w)²
//	PredictionInterval(x₀, m, l)  ŷ(x₀) ± t_{k−2} · s · √(1/Σw + (x₀ − x̄w)²/Sxx + 1/m)
//	ForecastDays(days, o, h)      the score of the h days after the last day, from the daily tallies

// MinForecastDays is the fewest days with responses a forecast is made
// from: two weeks, so that a weekly pattern cannot pass for a trend on its
// own and the t quantile has at least 12 degrees of freedom.
const MinForecastDays = 14

// ErrTooFewDays is returned (wrapped, with the counts) when a series has
// fewer than MinForecastDays days with responses.
var ErrTooFewDays = errors.New("too few days with responses for a forecast")

// LinearTrend is a weighted least-squares line through daily scores, with
// what its intervals need.
type LinearTrend struct {
	// Intercept α and Slope β of ŷ = α + β·x (x in days).
	Intercept, Slope float64
	// Days is the number of points k fitted.
	Days int
	// TotalWeight is Σw; MeanX the weighted mean x̄w of x; Sxx the weighted
	// sum of squares Σ wᵢ(xᵢ − x̄w)².
	TotalWeight, MeanX, Sxx float64
	// ResidualVariance s² = Σ wᵢ rᵢ² / (k − 2): with weights equal to each
	// day's responses, the variance of one response around the line (days
	// that scatter more than their sample sizes explain widen it).
	ResidualVariance float64
}

// FitLinearTrend fits ŷ = α + β·x to the points (xᵢ, yᵢ) with weights wᵢ
// by weighted least squares (gonum's stat.LinearRegression), and estimates
// the residual variance s² = Σ wᵢ(yᵢ − ŷᵢ)² / (k − 2).
//
// Weighting by each day's responses makes a day of 200 answers count 200
// times a day of one: it is the same line as an ordinary least-squares fit
// of every response against its day.
//
// Example: x = −3, −2, −1, 0, y = 44, 46, 50, 52, w = 1, 1, 1, 1 →
// x̄ = −1.5, ȳ = 48, Sxx = 2.25 + 0.25 + 0.25 + 2.25 = 5,
// Sxy = (−1.5)(−4) + (−0.5)(−2) + (0.5)(2) + (1.5)(4) = 14, β = 14/5 = 2.8,
// α = 48 − 2.8·(−1.5) = 52.2; fitted 43.8, 46.6, 49.4, 52.2, residuals
// 0.2, −0.6, 0.6, −0.2, s² = (0.04 + 0.36 + 0.36 + 0.04)/2 = 0.4.
//
// It fails on slices of different lengths, fewer than three points, a
// weight that is not positive, or x values that are all equal.
func FitLinearTrend(x, y, w []float64) (LinearTrend, error) {
	k := len(x)
	switch {
	case len(y) != k || len(w) != k:
		return LinearTrend{}, fmt.Errorf("trend: %d x, %d y and %d weights", k, len(y), len(w))
	case k < 3:
		return LinearTrend{}, fmt.Errorf("trend: %d points; a line with an error estimate needs at least 3", k)
	}
	for i, wi := range w {
		if !(wi > 0) || math.IsInf(wi, 0) || math.IsNaN(x[i]) || math.IsNaN(y[i]) {
			return LinearTrend{}, fmt.Errorf("trend: point %d (x %v, y %v, weight %v) is not usable", i, x[i], y[i], wi)
		}
	}
	t := LinearTrend{Days: k, TotalWeight: floats.Sum(w)}
	var popVar float64
	t.MeanX, popVar = stat.PopMeanVariance(x, w)
	t.Sxx = popVar * t.TotalWeight
	if !(t.Sxx > 0) {
		return LinearTrend{}, errors.New("trend: every point is on the same day")
	}
	t.Intercept, t.Slope = stat.LinearRegression(x, y, w, false)
	var ss float64
	for i := range x {
		r := y[i] - t.At(x[i])
		ss += w[i] * r * r
	}
	t.ResidualVariance = ss / float64(k-2)
	return t, nil
}

// At is the line's value α + β·x.
func (t LinearTrend) At(x float64) float64 { return t.Intercept + t.Slope*x }

// SlopeInterval is the confidence interval of the slope:
// β ± t_{k−2} · √(s² / Sxx).
//
// Example: s² = 182.857143 (= 2560/14), Sxx = 3400, k = 16, level 0.95 →
// SE = √0.0537815 = 0.231909, t₁₄ = 2.144787, half-width 0.497394: a slope
// of 0 gives [−0.497, 0.497], which contains 0 (no trend to speak of).
func (t LinearTrend) SlopeInterval(level float64) (lower, upper float64) {
	return t.slopeInterval(TScore(level, float64(t.Days-2)))
}

// slopeInterval is SlopeInterval with the t quantile given.
func (t LinearTrend) slopeInterval(tq float64) (lower, upper float64) {
	half := tq * math.Sqrt(t.ResidualVariance/t.Sxx)
	return t.Slope - half, t.Slope + half
}

// PredictionInterval is the interval that holds, at the confidence level,
// the mean of m future responses at x₀, for a line fitted with weights
// equal to responses:
//
//	ŷ(x₀) ± t_{k−2} · s · √(1/Σw + (x₀ − x̄w)²/Sxx + 1/m).
//
// The first two terms are the uncertainty of the line at x₀ (wider the
// farther x₀ lies from the data); 1/m is the noise of m responses around
// it.
//
// Example: s² = 182.857143, Σw = 160, x̄w = −7.5, Sxx = 3400, k = 16,
// x₀ = 8.5, m = 160, level 0.95 → 1/160 + 256/3400 + 1/160 = 0.0877941,
// SE = √(182.857143·0.0877941) = 4.006717, t₁₄ = 2.144787, half-width
// 8.593553: a flat line at 50 gives [41.41, 58.59].
func (t LinearTrend) PredictionInterval(x0, m, level float64) (lower, upper float64) {
	return t.predictionInterval(x0, m, TScore(level, float64(t.Days-2)))
}

// predictionInterval is PredictionInterval with the t quantile given.
func (t LinearTrend) predictionInterval(x0, m, tq float64) (lower, upper float64) {
	d := x0 - t.MeanX
	half := tq * math.Sqrt(t.ResidualVariance*(1/t.TotalWeight+d*d/t.Sxx+1/m))
	y := t.At(x0)
	return y - half, y + half
}

// Forecast is the projected score of a survey one horizon ahead.
type Forecast struct {
	// HorizonDays is the length of the projected window, in days after
	// the last day of the data.
	HorizonDays int
	// Score is the projected score of that window; Lower and Upper its
	// prediction interval, clamped to the score's range.
	Score, Lower, Upper float64
	// SlopePerDay is the trend, in score points per day, with its
	// confidence interval SlopeLower..SlopeUpper.
	SlopePerDay, SlopeLower, SlopeUpper float64
	// BasedOnDays is the number of days with responses fitted.
	BasedOnDays int
}

// ForecastDays projects the score of the horizon days that follow the last
// of days, the daily tallies of a window (oldest first, the last one
// today; days without responses are empty tallies and are skipped). It is
// the score a rolling window of horizon days will show at the end of
// horizon days from now:
//
//   - each day with responses is a point: x its offset from the last day
//     (today is 0, yesterday −1), y its score, weight its responses;
//   - NPS fits the daily promoter share and the daily detractor share (in
//     percent) and combines the lines, NPS = promoter − detractor. Fits are
//     linear, so this is the line through the daily NPS; its error comes
//     from the paired residuals rₚ − r_d, because the two shares move
//     together (a day with more promoters often has fewer detractors, and
//     adding their variances as if independent would misstate the spread);
//     CSAT fits the daily percent at or above the threshold; CES and
//     Rating the daily mean;
//   - the projected window is days 1..horizon, whose mean day is
//     x₀ = (horizon + 1)/2, and is assumed to receive as many responses as
//     the days fitted (m = Σw): Score = ŷ(x₀) with PredictionInterval(x₀,
//     m, level), clamped to the score's range (−100..100, 0..100, or the
//     scale).
//
// Example (CSAT, level 0.95): 16 days of 50 responses whose percent
// satisfied goes 54, 46, 46, 54, 54, 46... (flat at 50, ±4), horizon 16 →
// s² = 50·16·16/14 = 914.2857, Sxx = 50·340 = 17000, Score 50,
// [41.41, 58.59], slope 0 with [−0.497, 0.497].
//
// It fails, wrapping ErrTooFewDays, with fewer than MinForecastDays days
// with responses, and when the options cannot score the tallies.
func ForecastDays(days []Tally, o Options, horizon int) (Forecast, error) {
	x, y, w := make([]float64, 0, len(days)), make([]float64, 0, len(days)), make([]float64, 0, len(days))
	var d []float64
	if o.Kind == NPS {
		d = make([]float64, 0, len(days))
	}
	var scale Scale
	for i, t := range days {
		n := t.N()
		if n == 0 {
			continue
		}
		if err := o.Validate(t.Scale); err != nil {
			return Forecast{}, err
		}
		scale = t.Scale
		nf := float64(n)
		x = append(x, float64(i-(len(days)-1)))
		w = append(w, nf)
		switch o.Kind {
		case NPS:
			y = append(y, percent(t.AtOrAbove(PromoterMin), n))
			d = append(d, percent(t.CountBetween(npsScale.Min, PassiveMin-1), n))
		case CSAT:
			y = append(y, percent(t.AtOrAbove(o.Threshold), n))
		default:
			y = append(y, Mean(t))
		}
	}
	if len(x) < MinForecastDays {
		return Forecast{BasedOnDays: len(x)}, fmt.Errorf("%w: %d of the %d needed", ErrTooFewDays, len(x), MinForecastDays)
	}
	if horizon < 1 {
		return Forecast{}, fmt.Errorf("forecast: horizon of %d days", horizon)
	}
	lo, hi := 0.0, 100.0
	var line LinearTrend
	var err error
	switch o.Kind {
	case NPS:
		lo = -100
		line, err = fitDifference(x, y, d, w)
	case CES, Rating:
		lo, hi = float64(scale.Min), float64(scale.Max)
		fallthrough
	default:
		line, err = FitLinearTrend(x, y, w)
	}
	if err != nil {
		return Forecast{}, err
	}
	x0 := float64(horizon+1) / 2
	f := Forecast{HorizonDays: horizon, BasedOnDays: line.Days, Score: line.At(x0), SlopePerDay: line.Slope}
	// One t quantile for both intervals: it is most of the cost.
	tq := TScore(o.ConfidenceLevel, float64(line.Days-2))
	f.Lower, f.Upper = line.predictionInterval(x0, line.TotalWeight, tq)
	f.SlopeLower, f.SlopeUpper = line.slopeInterval(tq)
	f.Score, f.Lower, f.Upper = clamp(f.Score, lo, hi), clamp(f.Lower, lo, hi), clamp(f.Upper, lo, hi)
	return f, nil
}

// fitDifference fits a line to a and a line to b (same x and weights) and
// returns their difference a − b, whose residual variance comes from the
// paired residuals Σ wᵢ(r_aᵢ − r_bᵢ)² / (k − 2): it includes the covariance
// of the two series, which fitting a − b directly would give too.
func fitDifference(x, a, b, w []float64) (LinearTrend, error) {
	la, err := FitLinearTrend(x, a, w)
	if err != nil {
		return la, err
	}
	lb, err := FitLinearTrend(x, b, w)
	if err != nil {
		return lb, err
	}
	diff := la
	diff.Intercept, diff.Slope = la.Intercept-lb.Intercept, la.Slope-lb.Slope
	var ss float64
	for i := range x {
		r := (a[i] - la.At(x[i])) - (b[i] - lb.At(x[i]))
		ss += w[i] * r * r
	}
	diff.ResidualVariance = ss / float64(len(x)-2)
	return diff, nil
}

func clamp(v, lo, hi float64) float64 { return max(lo, min(hi, v)) }
