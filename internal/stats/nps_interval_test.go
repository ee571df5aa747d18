package stats_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/touchstone-dev/touchstone/internal/stats"
)

// TestNPSAdjustedWald checks the adjusted-Wald formulas against values
// worked by hand (z = 1.959964).
func TestNPSAdjustedWald(t *testing.T) {
	tests := []struct {
		name                  string
		promoters, detractors int64
		n                     int64
		p, d, nAdj            float64 // AdjustedNPSShares
		centre, se            float64
		lower, upper          float64
	}{
		// 60 promoters, 20 passives, 20 detractors (raw NPS 40):
		// n′ = 100 + 3 = 103; p′ = (60 + .75)/103 = 60.75/103 = .5898058; d′ = 20.75/103 = .2014563;
		// centre 100·(.5898058 − .2014563) = 38.834951;
		// variance p′ + d′ − (p′ − d′)² = .7912621 − .3883495² = .7912621 − .1508154 = .6404468;
		// SE′ = √(.6404468/103)·100 = √.00621793·100 = 7.885385;
		// half-width 1.959964·7.885385 = 15.455071 → [23.379880, 54.290022].
		{"60/20/20 of 100", 60, 20, 100, 0.5898058252, 0.2014563107, 103,
			38.83495146, 7.885385219, 23.37988042, 54.29002249},
		// 50 passives (raw NPS 0; the plain Wald interval is "0 ± 0"):
		// n′ = 53; p′ = d′ = .75/53 = .0141509; centre 0;
		// variance .0283019 − 0² = .0283019; SE′ = √(.0283019/53)·100 = √.000533998·100 = 2.310839;
		// half-width 1.959964·2.310839 = 4.529162 → [−4.529162, 4.529162].
		{"50 passives", 0, 0, 50, 0.01415094340, 0.01415094340, 53,
			0, 2.310839380, -4.529161959, 4.529161959},
		// 100 detractors (raw NPS −100; the plain Wald interval is "−100 ± 0"):
		// n′ = 103; p′ = .75/103 = .0072816; d′ = 100.75/103 = .9781553; centre −97.087379;
		// variance .9854369 − (−.9708738)² = .9854369 − .9425959 = .0428410;
		// SE′ = √(.0428410/103)·100 = √.000415932·100 = 2.039441; half-width 3.997231;
		// −97.087379 − 3.997231 = −101.084609 is clamped to −100 → [−100, −93.090148], asymmetric.
		{"100 detractors", 0, 100, 100, 0.007281553398, 0.9781553398, 103,
			-97.08737864, 2.039440816, -100, -93.09014809},
		// The README's example, 20 promoters and 10 detractors of 40 (raw NPS 25):
		// n′ = 43; p′ = 20.75/43 = .4825581; d′ = 10.75/43 = .25; centre 23.255814;
		// variance .7325581 − .2325581² = .7325581 − .0540833 = .6784749; SE′ = √(.6784749/43)·100 = 12.561244;
		// half-width 24.619586 → [−1.363772, 47.875400].
		{"README 20/10/10 of 40", 20, 10, 40, 0.4825581395, 0.25, 43,
			23.25581395, 12.56124393, -1.363771761, 47.87539966},
	}
	for _, tt := range tests {
		p, d, nAdj := stats.AdjustedNPSShares(tt.promoters, tt.detractors, tt.n)
		checkNear(t, tt.name+" p′", p, tt.p, 1e-9)
		checkNear(t, tt.name+" d′", d, tt.d, 1e-9)
		checkNear(t, tt.name+" n′", nAdj, tt.nAdj, 0)
		checkNear(t, tt.name+" centre", stats.AdjustedNetPromoterScore(tt.promoters, tt.detractors, tt.n), tt.centre, 1e-9)
		checkNear(t, tt.name+" SE′", stats.NPSAdjustedStandardError(tt.promoters, tt.detractors, tt.n), tt.se, 1e-9)
		lo, hi := stats.NPSAdjustedWaldInterval(tt.promoters, tt.detractors, tt.n, z95)
		checkNear(t, tt.name+" lower", lo, tt.lower, 1e-9)
		checkNear(t, tt.name+" upper", hi, tt.upper, 1e-9)
	}
}

// TestNPSAdjustedWaldUndefined: impossible counts and bad z give NaN; z = 0
// collapses the interval to its centre.
func TestNPSAdjustedWaldUndefined(t *testing.T) {
	for _, c := range []struct {
		name    string
		p, d, n int64
		z       float64
	}{
		{"n=0", 0, 0, 0, z95},
		{"negative promoters", -1, 0, 5, z95},
		{"negative detractors", 0, -1, 5, z95},
		{"more promoters and detractors than n", 3, 3, 5, z95},
		{"negative z", 3, 1, 5, -1},
		{"NaN z", 3, 1, 5, nan},
	} {
		lo, hi := stats.NPSAdjustedWaldInterval(c.p, c.d, c.n, c.z)
		if !math.IsNaN(lo) || !math.IsNaN(hi) {
			t.Errorf("%s: interval [%v, %v], want NaN", c.name, lo, hi)
		}
		if c.z == z95 && !math.IsNaN(stats.NPSAdjustedStandardError(c.p, c.d, c.n)) {
			t.Errorf("%s: SE′ defined", c.name)
		}
	}
	// z = 0: 60/20/20 of 100 → [38.834951, 38.834951].
	lo, hi := stats.NPSAdjustedWaldInterval(60, 20, 100, 0)
	checkNear(t, "z=0 lower", lo, 38.83495146, 1e-9)
	checkNear(t, "z=0 upper", hi, 38.83495146, 1e-9)
}

// TestNPSAdjustedWaldProperties checks, over random samples and levels:
// the interval lies in [−100, 100] and contains the adjusted centre; its
// width is positive for every n ≥ 1; and for a fixed mix of promoters,
// passives and detractors it narrows as the sample grows (it can only stay
// at the full width 200 while both ends are clamped, at 99% and above with
// a handful of answers). The plain Wald interval fails the second property
// whenever all answers share a category.
func TestNPSAdjustedWaldProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(2016, 70))
	levels := []float64{0.8, 0.9, 0.95, 0.99, 0.999}
	for i := range 20_000 {
		z := stats.ZScore(levels[rng.IntN(len(levels))])
		// Mostly small samples, where the adjustment matters, some huge.
		n := int64(1 + rng.IntN(60))
		if rng.IntN(5) == 0 {
			n = 1 + rng.Int64N(1e12)
		}
		promoters := rng.Int64N(n + 1)
		detractors := rng.Int64N(n - promoters + 1)
		switch rng.IntN(6) { // unanimous samples, the old degenerate cases
		case 0:
			promoters, detractors = n, 0
		case 1:
			promoters, detractors = 0, n
		case 2:
			promoters, detractors = 0, 0
		}
		lo, hi := stats.NPSAdjustedWaldInterval(promoters, detractors, n, z)
		centre := stats.AdjustedNetPromoterScore(promoters, detractors, n)
		if !(lo >= -100 && hi <= 100 && lo <= centre && centre <= hi) {
			t.Fatalf("case %d: P=%d D=%d n=%d z=%v: [%v, %v] with centre %v", i, promoters, detractors, n, z, lo, hi, centre)
		}
		if !(hi-lo > 0) {
			t.Fatalf("case %d: P=%d D=%d n=%d z=%v: width %v, want > 0", i, promoters, detractors, n, z, hi-lo)
		}
	}

	for i := range 2_000 {
		z := stats.ZScore(levels[rng.IntN(len(levels))])
		m := int64(1 + rng.IntN(20))
		a := rng.Int64N(m + 1)
		b := rng.Int64N(m - a + 1)
		prev := math.Inf(1)
		for _, k := range []int64{1, 2, 3, 5, 10, 30, 100, 1000, 1e5, 1e8} {
			lo, hi := stats.NPSAdjustedWaldInterval(k*a, k*b, k*m, z)
			width := hi - lo
			if width > prev || width == prev && width != 200 {
				t.Fatalf("case %d: mix %d/%d of %d at z=%v: width %v at ×%d, not below %v", i, a, b, m, z, width, k, prev)
			}
			prev = width
		}
	}
}
