package stats_test

import (
	"math"
	"testing"

	"github.com/touchstone-dev/touchstone/internal/stats"
)

func TestZScore(t *testing.T) {
	tests := []struct{ level, want float64 }{
		{0.80, 1.281551566},                                     // Φ⁻¹(0.90)
		{0.90, 1.644853627},                                     // Φ⁻¹(0.95)
		{0.95, 1.959963985},                                     // Φ⁻¹(0.975)
		{0.99, 2.575829304},                                     // Φ⁻¹(0.995)
		{0, nan}, {1, nan}, {-0.5, nan}, {1.5, nan}, {nan, nan}, // level must be in (0,1)
	}
	for _, tt := range tests {
		checkNear(t, "ZScore", stats.ZScore(tt.level), tt.want, 1e-9)
	}
}

func TestTScore(t *testing.T) {
	tests := []struct{ level, df, want float64 }{
		{0.95, 1, 12.706204736},      // T⁻¹₁(0.975), Cauchy: tan(0.475π)
		{0.95, 2, 4.302652730},       // T⁻¹₂(0.975)
		{0.95, 9, 2.262157163},       // 10 responses
		{0.95, 99, 1.984216952},      // 100 responses
		{0.95, 22.42, 2.071622859},   // fractional Welch df
		{0.95, 9999999, 1.959964219}, // 1e7 responses: z + 2.37e-7
		{0.95, 1e12, z95},            // beyond 1e7 df: normal limit
		{0.95, math.Inf(1), z95},     //
		{0.95, 0, nan}, {0.95, -1, nan}, {0.95, nan, nan}, {1, 9, nan}, {0, 9, nan},
	}
	for _, tt := range tests {
		checkNear(t, "TScore", stats.TScore(tt.level, tt.df), tt.want, 1e-9)
	}
	// The switch to the normal quantile at 1e7 df moves the value by < 3e-7.
	if d := stats.TScore(0.95, 1e7) - stats.TScore(0.95, 1e7+1); d < 0 || d > 3e-7 {
		t.Errorf("jump at the normal limit = %g", d)
	}
}

func TestNetPromoterScore(t *testing.T) {
	tests := []struct {
		name                  string
		promoters, detractors int64
		n                     int64
		want                  float64
	}{
		{"handbook", 60, 20, 100, 40},                         // (60-20)/100·100
		{"all promoters", 7, 0, 7, 100},                       // 7/7·100
		{"all detractors", 0, 7, 7, -100},                     // -7/7·100
		{"all passives", 0, 0, 7, 0},                          // 0/7
		{"one promoter", 1, 0, 1, 100},                        // 1/1·100
		{"thirds", 1, 1, 3, 0},                                // (1-1)/3
		{"one third", 2, 1, 3, 100.0 / 3},                     // (2-1)/3·100 = 33.333…
		{"ten million", 5_000_000, 2_000_000, 10_000_000, 30}, // 3e6/1e7·100
		{"near MaxInt64", 4e18, 0, 8e18, 50},                  // 4e18/8e18·100
		{"n=0", 0, 0, 0, nan},
		{"negative", -1, 0, 5, nan},
		{"too many", 3, 3, 5, nan}, // 3+3 > 5
	}
	for _, tt := range tests {
		checkNear(t, tt.name, stats.NetPromoterScore(tt.promoters, tt.detractors, tt.n), tt.want, 1e-12)
	}
}

func TestNPSMarginOfError(t *testing.T) {
	tests := []struct {
		name    string
		p, d    float64
		n       int64
		se, moe float64
	}{
		// var = p+d-(p-d)² = 0.8-0.16 = 0.64; SE = √(0.64/100)·100 = 8; MOE = 1.959964·8 = 15.679712
		{"handbook", 0.6, 0.2, 100, 8, 15.67971188},
		// var = 0.95+0.05-0.9² = 1-0.81 = 0.19; SE = √(0.19/20)·100 = 9.746794; MOE = 19.103366
		{"near 100", 0.95, 0.05, 20, 9.746794345, 19.10336589},
		// var = 0.5+0.5-0² = 1; SE = √(1/4)·100 = 50; MOE = 97.998199
		{"polarised", 0.5, 0.5, 4, 50, 97.99819925},
		// var = 1+0-1² = 0: no spread, MOE 0
		{"all promoters", 1, 0, 50, 0, 0},
		{"one response", 0, 1, 1, 0, 0},
		// var = 0.7-0.09 = 0.61; SE = √(0.61/1e7)·100 = 0.024698178; MOE = 0.048407540
		{"ten million", 0.5, 0.2, 10_000_000, 0.02469817807, 0.04840753951},
		{"n=0", 0.5, 0.2, 0, nan, nan},
		{"not proportions", 0.7, 0.5, 10, nan, nan}, // p+d > 1
		{"negative", -0.1, 0.5, 10, nan, nan},
	}
	for _, tt := range tests {
		checkNear(t, tt.name+" SE", stats.NPSStandardError(tt.p, tt.d, tt.n), tt.se, 1e-9)
		checkNear(t, tt.name+" MOE", stats.NPSMarginOfError(tt.p, tt.d, tt.n, z95), tt.moe, 1e-9)
	}
}

func TestWilsonInterval(t *testing.T) {
	tests := []struct {
		name   string
		x, n   int64
		lo, hi float64
	}{
		// z² = 3.841459; den = 1+z²/100 = 1.038415; centre = (0.8+z²/200)/den = 0.788902;
		// half = z/den·√(0.8·0.2/100 + z²/40000) = 0.077731 → [0.711171, 0.866633]
		{"80 of 100", 80, 100, 0.7111708344, 0.8666330667},
		// den = 1+z²/10 = 1.384146; centre = (0.4+z²/20)/den = 0.427753; half = z/den·√(0.024+z²/400) = 0.259573
		{"4 of 10", 4, 10, 0.1681803297, 0.6873262303},
		// all successes: lower = n/(n+z²) = 1/4.841459 = 0.206549, upper 1
		{"1 of 1", 1, 1, 0.2065493144, 1},
		// no successes: lower 0, upper = z²/(n+z²) = 3.841459/4.841459 = 0.793451
		{"0 of 1", 0, 1, 0, 0.7934506856},
		// lower = 200/203.841459 = 0.981155
		{"200 of 200", 200, 200, 0.9811546736, 1},
		// upper = 3.841459/203.841459 = 0.018845
		{"0 of 200", 0, 200, 0, 0.01884532638},
		// p = 0.85, half ≈ z·√(0.85·0.15/1e7) = 1.959964·1.129159e-4 = 2.21311e-4, centre 0.849999866
		{"ten million", 8_500_000, 10_000_000, 0.8497785545, 0.8502211766},
		{"n=0", 0, 0, nan, nan},
		{"more successes than n", 5, 4, nan, nan},
		{"negative", -1, 4, nan, nan},
	}
	for _, tt := range tests {
		lo, hi := stats.WilsonInterval(tt.x, tt.n, z95)
		checkNear(t, tt.name+" lower", lo, tt.lo, 1e-9)
		checkNear(t, tt.name+" upper", hi, tt.hi, 1e-9)
	}
	if lo, hi := stats.WilsonInterval(3, 4, nan); !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Errorf("NaN z gave %v %v", lo, hi)
	}
	if lo, hi := stats.WilsonInterval(3, 4, 0); lo != 0.75 || hi != 0.75 { // z = 0: the point estimate 3/4
		t.Errorf("z=0 gave %v %v", lo, hi)
	}
}

func TestPercentStandardError(t *testing.T) {
	tests := []struct {
		p    float64
		n    int64
		want float64
	}{
		{0.8, 100, 4},                     // √(0.8·0.2/100)·100 = √0.0016·100
		{0.5, 1, 50},                      // √(0.25/1)·100
		{1, 50, 0},                        // no spread
		{0, 50, 0},                        //
		{0.85, 10_000_000, 0.01129158979}, // √(0.1275/1e7)·100
		{0.5, 0, nan},
		{1.5, 10, nan},
		{nan, 10, nan},
	}
	for _, tt := range tests {
		checkNear(t, "PercentStandardError", stats.PercentStandardError(tt.p, tt.n), tt.want, 1e-9)
	}
}

func TestMeanAndVariance(t *testing.T) {
	tests := []struct {
		name    string
		tally   stats.Tally
		mean, v float64
	}{
		// mean (3·2+4·4+5·4)/10 = 4.2; var (2·1.2²+4·0.2²+4·0.8²)/9 = (2.88+0.16+2.56)/9 = 5.6/9
		{"handbook", mustTally(t, five, "3:2 4:4 5:4"), 4.2, 5.6 / 9},
		// mean (1+5)/2 = 3; var (2²+2²)/1 = 8
		{"two", mustTally(t, five, "1:1 5:1"), 3, 8},
		{"one", mustTally(t, five, "4:1"), 4, nan}, // variance needs n ≥ 2
		{"empty", stats.NewTally(five), nan, nan},  //
		{"nil counts", stats.Tally{Scale: five}, nan, nan},
		{"all the same", mustTally(t, five, "2:1000"), 2, 0}, // exactly 0, not 1e-17
		// mean (-3·1 + 3·1)/2 = 0; var (9+9)/1 = 18
		{"signed", mustTally(t, signed, "-3:1 3:1"), 0, 18},
		// mean (9·2+10·8)/10 = 9.8; var (2·0.64+8·0.04)/9 = 1.6/9
		{"nps", mustTally(t, nps, "9:2 10:8"), 9.8, 1.6 / 9},
		// 1e7 responses half 5, half 6: mean 5.5; var 1e7·0.25/(1e7-1) = 0.250000025
		{"ten million", tallyOf(t, seven, 5, 5_000_000, 6, 5_000_000), 5.5, 0.2500000250000025},
		// 8e18 responses, half 1 half 7: mean 4, var 9·8e18/(8e18-1) = 9 (to float precision);
		// Σx² − n·x̄² would be 1.6e20 − 1.28e20 computed in float64 and lose digits.
		{"near MaxInt64", tallyOf(t, seven, 1, 4e18, 7, 4e18), 4, 9},
		{"max single", tallyOf(t, seven, 7, math.MaxInt64), 7, 0},
		{"malformed", stats.Tally{Scale: five, Counts: []int64{1, -1, 0, 0, 0}}, nan, nan},
	}
	for _, tt := range tests {
		checkNear(t, tt.name+" Mean", stats.Mean(tt.tally), tt.mean, 1e-12)
		checkNear(t, tt.name+" SampleVariance", stats.SampleVariance(tt.tally), tt.v, 1e-12)
	}
	if v := stats.SampleVariance(mustTally(t, five, "2:1000")); v != 0 {
		t.Errorf("variance of identical scores = %g, want exactly 0", v)
	}
}

func TestTInterval(t *testing.T) {
	tests := []struct {
		name       string
		mean, v    float64
		n          int64
		se, lo, hi float64
	}{
		// SE = √(0.622222/10) = 0.249444; t₉ = 2.262157; half = 0.564281
		{"handbook", 4.2, 5.6 / 9, 10, 0.2494438258, 3.635718863, 4.764281137},
		// SE = √(8/2) = 2; t₁ = 12.706205; half = 25.41241
		{"two", 3, 8, 2, 2, 3 - 25.41240947, 3 + 25.41240947},
		// variance 0: collapses to the mean
		{"no spread", 7, 0, 50, 0, 7, 7},
		// SE = √(0.250000025/1e7) = 1.581139e-4; t = 1.959964219; half = 3.098976e-4
		{"ten million", 5.5, 0.2500000250000025, 10_000_000, 1.581138909e-4, 5.5 - 3.098975687e-4, 5.5 + 3.098975687e-4},
		{"n=1", 4, 0, 1, nan, nan, nan},
		{"n=0", nan, nan, 0, nan, nan, nan},
		{"negative variance", 4, -1, 10, nan, nan, nan},
		{"NaN mean", nan, 1, 10, 0.316227766, nan, nan}, // SE √(1/10) is still defined
	}
	for _, tt := range tests {
		checkNear(t, tt.name+" SE", stats.MeanStandardError(tt.v, tt.n), tt.se, 1e-9)
		lo, hi := stats.TInterval(tt.mean, tt.v, tt.n, 0.95)
		checkNear(t, tt.name+" lower", lo, tt.lo, 1e-9)
		checkNear(t, tt.name+" upper", hi, tt.hi, 1e-9)
	}
	if lo, hi := stats.TInterval(4.2, 1, 10, 1); !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Errorf("level 1 gave %v %v", lo, hi)
	}
}

func TestWelchDegreesOfFreedom(t *testing.T) {
	tests := []struct {
		name string
		se1  float64
		n1   int64
		se2  float64
		n2   int64
		want float64
	}{
		// v₁ = 0.0622222, v₂ = 0.05: (0.1122222)² / (0.0622222²/9 + 0.05²/19)
		// = 0.01259383 / (0.000430178 + 0.000131579) = 0.01259383 / 0.000561757 = 22.41863
		{"handbook", math.Sqrt(5.6 / 90), 10, math.Sqrt(0.05), 20, 22.41862767},
		// equal SE and n: (2v)²/(2v²/(n-1)) = 2(n-1) = 18
		{"equal", 0.3, 10, 0.3, 10, 18},
		// one SE 0: v₂²/(v₂²/(n₂-1)) = n₂-1 = 19
		{"one exact", 0, 10, 0.3, 20, 19},
		{"both 0", 0, 10, 0, 20, nan},
		{"n=1", 0.3, 1, 0.3, 20, nan},
		{"NaN", nan, 10, 0.3, 20, nan},
	}
	for _, tt := range tests {
		checkNear(t, tt.name, stats.WelchDegreesOfFreedom(tt.se1, tt.n1, tt.se2, tt.n2), tt.want, 1e-8)
	}
}
