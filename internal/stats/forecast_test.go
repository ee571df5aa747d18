package stats_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/touchstone-dev/touchstone/internal/stats"
)

// t quantiles used below (two-sided 95%): t₁₄ = 2.144786688, t₂ = 4.302653.

func TestFitLinearTrend(t *testing.T) {
	// The doc comment's example: x̄ = −1.5, Sxx = 5, Sxy = 14, β = 2.8,
	// α = 52.2, residuals 0.2, −0.6, 0.6, −0.2, s² = 0.8/2 = 0.4.
	line, err := stats.FitLinearTrend([]float64{-3, -2, -1, 0}, []float64{44, 46, 50, 52}, []float64{1, 1, 1, 1})
	if err != nil {
		t.Fatal(err)
	}
	checkNear(t, "slope", line.Slope, 2.8, 1e-12)
	checkNear(t, "intercept", line.Intercept, 52.2, 1e-12)
	checkNear(t, "mean x", line.MeanX, -1.5, 1e-12)
	checkNear(t, "Sxx", line.Sxx, 5, 1e-12)
	checkNear(t, "s²", line.ResidualVariance, 0.4, 1e-12)
	checkNear(t, "total weight", line.TotalWeight, 4, 0)
	// Slope interval: 2.8 ± t₂·√(0.4/5) = 2.8 ± 4.302653·0.282843 = 2.8 ± 1.216974.
	lo, hi := line.SlopeInterval(0.95)
	checkNear(t, "slope lower", lo, 2.8-1.216974, 1e-6)
	checkNear(t, "slope upper", hi, 2.8+1.216974, 1e-6)

	// Weights count like repeated points: the point (0, 52) with weight 3
	// is the same fit as three points (0, 52).
	weighted, err := stats.FitLinearTrend([]float64{-3, -2, -1, 0}, []float64{44, 46, 50, 52}, []float64{1, 1, 1, 3})
	if err != nil {
		t.Fatal(err)
	}
	repeated, err := stats.FitLinearTrend([]float64{-3, -2, -1, 0, 0, 0}, []float64{44, 46, 50, 52, 52, 52}, []float64{1, 1, 1, 1, 1, 1})
	if err != nil {
		t.Fatal(err)
	}
	checkNear(t, "weighted slope", weighted.Slope, repeated.Slope, 1e-12)
	checkNear(t, "weighted intercept", weighted.Intercept, repeated.Intercept, 1e-12)

	for name, pts := range map[string][3][]float64{
		"two points":      {{0, 1}, {1, 2}, {1, 1}},
		"lengths differ":  {{0, 1, 2}, {1, 2}, {1, 1, 1}},
		"zero weight":     {{0, 1, 2}, {1, 2, 3}, {1, 0, 1}},
		"all on one day":  {{2, 2, 2}, {1, 2, 3}, {1, 1, 1}},
		"negative weight": {{0, 1, 2}, {1, 2, 3}, {1, -1, 1}},
	} {
		if _, err := stats.FitLinearTrend(pts[0], pts[1], pts[2]); err == nil {
			t.Errorf("%s: fitted, want an error", name)
		}
	}
}

// csatDays builds daily CSAT tallies on 1..5 (threshold 4): day i has n[i]
// responses of which sat[i] answer 5 and the rest 1.
func csatDays(t *testing.T, n, sat []int64) []stats.Tally {
	t.Helper()
	days := make([]stats.Tally, len(n))
	for i := range n {
		days[i] = tallyOf(t, five, 5, sat[i], 1, n[i]-sat[i])
	}
	return days
}

var csatOpts = stats.Options{Kind: stats.CSAT, Threshold: 4, ConfidenceLevel: 0.95}

// A perfect line: 14 days whose percent satisfied falls exactly 2 points a
// day, from 70 (13 days ago) to 44 (today), on 100 or 50 responses a day.
// The fit is the line itself, the residual variance 0, so the interval is
// the point: y = 44 − 2x at x₀ = (7+1)/2 = 4 gives 36; over 30 days
// x₀ = 15.5 gives 13.
func TestForecastOfAPerfectLine(t *testing.T) {
	var n, sat []int64
	for i := range 14 {
		x := int64(i - 13)
		p := 44 - 2*x // percent satisfied
		ni := int64(100)
		if i%2 == 1 {
			ni = 50
		}
		n, sat = append(n, ni), append(sat, p*ni/100)
	}
	f, err := stats.ForecastDays(csatDays(t, n, sat), csatOpts, 7)
	if err != nil {
		t.Fatal(err)
	}
	checkNear(t, "score", f.Score, 36, 1e-9)
	checkNear(t, "lower", f.Lower, 36, 1e-9)
	checkNear(t, "upper", f.Upper, 36, 1e-9)
	checkNear(t, "slope", f.SlopePerDay, -2, 1e-9)
	checkNear(t, "slope lower", f.SlopeLower, -2, 1e-9)
	checkNear(t, "slope upper", f.SlopeUpper, -2, 1e-9)
	if f.BasedOnDays != 14 || f.HorizonDays != 7 {
		t.Errorf("based on %d days, horizon %d; want 14 and 7", f.BasedOnDays, f.HorizonDays)
	}
	f, err = stats.ForecastDays(csatDays(t, n, sat), csatOpts, 30)
	if err != nil {
		t.Fatal(err)
	}
	checkNear(t, "score over 30 days", f.Score, 13, 1e-9)

	// Rising 2 points a day, y = 70 + 2x (44 thirteen days ago, 70 today),
	// the line leaves 0..100 within 30 days (70 + 2·15.5 = 101): the
	// forecast is clamped to 100.
	for i := range sat {
		sat[i] = (70 + 2*int64(i-13)) * n[i] / 100
	}
	f, err = stats.ForecastDays(csatDays(t, n, sat), csatOpts, 30)
	if err != nil {
		t.Fatal(err)
	}
	checkNear(t, "rising slope", f.SlopePerDay, 2, 1e-9)
	checkNear(t, "clamped score", f.Score, 100, 0)
	checkNear(t, "clamped upper", f.Upper, 100, 0)
}

// A flat noisy series: 16 days of 50 responses, percent satisfied 54, 46,
// 46, 54 repeated (±4 around 50). The pattern sums to 0 and is orthogonal
// to the day (Σ eᵢ·i = 0 over each block of four), so the fit is flat at
// 50, and:
//
//	s² = Σ w r² / (k − 2) = 50·16·16 / 14 = 914.2857
//	Sxx = 50 · Σ (x − x̄)² = 50 · 340 = 17000, x̄ = −7.5
//	slope 0 ± t₁₄·√(914.2857/17000) = 0 ± 2.144787·0.231909 = ±0.497394
//	horizon 16: x₀ = 8.5, 1/800 + 16²/17000 + 1/800 = 0.0175588,
//	SE = √(914.2857·0.0175588) = 4.006717, 50 ± 8.593553
//
// The slope interval contains 0: there is no trend to speak of.
func TestForecastOfAFlatNoisySeries(t *testing.T) {
	var n, sat []int64
	for i := range 16 {
		s := int64(27) // 54%
		if i%4 == 1 || i%4 == 2 {
			s = 23 // 46%
		}
		n, sat = append(n, 50), append(sat, s)
	}
	f, err := stats.ForecastDays(csatDays(t, n, sat), csatOpts, 16)
	if err != nil {
		t.Fatal(err)
	}
	checkNear(t, "score", f.Score, 50, 1e-9)
	checkNear(t, "slope", f.SlopePerDay, 0, 1e-9)
	checkNear(t, "slope lower", f.SlopeLower, -0.497394, 1e-5)
	checkNear(t, "slope upper", f.SlopeUpper, 0.497394, 1e-5)
	if !(f.SlopeLower < 0 && f.SlopeUpper > 0) {
		t.Errorf("slope interval %v..%v does not contain 0", f.SlopeLower, f.SlopeUpper)
	}
	checkNear(t, "lower", f.Lower, 50-8.593553, 1e-6)
	checkNear(t, "upper", f.Upper, 50+8.593553, 1e-6)
}

// NPS fits the promoter and detractor shares and combines them. 16 days of
// 100 responses: promoters 35 − x % (50% 15 days ago, 35% today) with
// residuals +2, −2, −2, +2; detractors 20% with residuals −1, +1, +1, −1,
// so a day with more promoters has fewer detractors. NPS = 15 − x with
// residuals ±3:
//
//	s² = Σ w (rₚ − r_d)² / 14 = 100·16·9/14 = 1028.5714
//	(adding the shares' variances as if independent would give
//	100·16·(4+1)/14 = 571.43: too narrow)
//	Sxx = 100·340 = 34000; horizon 16: x₀ = 8.5 → NPS 15 − 8.5 = 6.5,
//	1/1600 + 256/34000 + 1/1600 = 0.00877941, SE = √(1028.5714·0.00877941)
//	= 3.005044, 6.5 ± 2.144787·3.005044 = 6.5 ± 6.445165
//	slope −1 ± 2.144787·√(1028.5714/34000) = −1 ± 0.373046
func TestForecastOfNPSCombinesTheShares(t *testing.T) {
	opts := stats.Options{Kind: stats.NPS, ConfidenceLevel: 0.95}
	sign := []int64{1, -1, -1, 1}
	var days []stats.Tally
	for i := range 16 {
		x := int64(i - 15)
		p := 35 - x + 2*sign[i%4]
		d := 20 - sign[i%4]
		days = append(days, tallyOf(t, nps, 10, p, 8, 100-p-d, 0, d))
	}
	f, err := stats.ForecastDays(days, opts, 16)
	if err != nil {
		t.Fatal(err)
	}
	checkNear(t, "score", f.Score, 6.5, 1e-9)
	checkNear(t, "lower", f.Lower, 6.5-6.445165, 1e-6)
	checkNear(t, "upper", f.Upper, 6.5+6.445165, 1e-6)
	checkNear(t, "slope", f.SlopePerDay, -1, 1e-9)
	checkNear(t, "slope lower", f.SlopeLower, -1-0.373046, 1e-5)
	checkNear(t, "slope upper", f.SlopeUpper, -1+0.373046, 1e-5)
}

// Too few days: no forecast, and the error says how many days there are
// and how many are needed. Days without responses do not count.
func TestForecastNeedsFourteenDays(t *testing.T) {
	var days []stats.Tally
	for i := range 20 {
		if i%3 == 0 && i < 18 { // 6 empty days among the first 18
			days = append(days, stats.NewTally(five))
			continue
		}
		days = append(days, tallyOf(t, five, 5, 10, 2, 5))
	}
	// 20 days, 6 of them empty: 14 with responses, enough.
	if _, err := stats.ForecastDays(days, csatOpts, 7); err != nil {
		t.Fatalf("14 days with responses: %v", err)
	}
	f, err := stats.ForecastDays(days[2:], csatOpts, 7) // drops an empty day and a day with responses
	if !errors.Is(err, stats.ErrTooFewDays) {
		t.Fatalf("13 days with responses: err %v, want ErrTooFewDays", err)
	}
	if !strings.Contains(err.Error(), "13 of the 14 needed") {
		t.Errorf("error %q does not say 13 of the 14 needed", err)
	}
	if f.BasedOnDays != 13 {
		t.Errorf("BasedOnDays = %d, want 13", f.BasedOnDays)
	}
	if _, err := stats.ForecastDays(nil, csatOpts, 7); !errors.Is(err, stats.ErrTooFewDays) {
		t.Errorf("no days: err %v, want ErrTooFewDays", err)
	}
}

// Means are clamped to the scale: a CES mean rising a quarter point a day,
// 1 + i/4 over 14 days (1 to 4.25 today), reaches 4.25 + 15.5/4 = 8.125
// in the middle of the next 30 days, above the 1..7 scale.
func TestForecastOfMeansStaysOnTheScale(t *testing.T) {
	opts := stats.Options{Kind: stats.CES, Threshold: 5, ConfidenceLevel: 0.95}
	var days []stats.Tally
	for i := range 14 {
		// 20 responses: 5·(4−k) at a and 5·k at a+1 have mean a + k/4.
		a, k := int64(1+i/4), int64(i%4)
		days = append(days, tallyOf(t, seven, a, 5*(4-k), a+1, 5*k))
	}
	f, err := stats.ForecastDays(days, opts, 7)
	if err != nil {
		t.Fatal(err)
	}
	// x₀ = 4: 4.25 + 4/4 = 5.25, inside the scale.
	checkNear(t, "slope", f.SlopePerDay, 0.25, 1e-9)
	checkNear(t, "score", f.Score, 5.25, 1e-9)
	f, err = stats.ForecastDays(days, opts, 30)
	if err != nil {
		t.Fatal(err)
	}
	checkNear(t, "clamped score", f.Score, 7, 0)
	checkNear(t, "clamped upper", f.Upper, 7, 0)
}
