package stats_test

import (
	"strings"
	"testing"

	"github.com/touchstone-dev/touchstone/internal/stats"
)

func TestKishEffectiveSampleSize(t *testing.T) {
	// Equal weights: (Σ w)²/Σ w² = (100w)²/(100w²) = 100 = n.
	checkNear(t, "equal", stats.KishEffectiveSampleSize([]int64{80, 20}, []float64{2, 2}), 100, 1e-12)
	// 80 and 20 responses weighted to 50/50: w = 0.5/80 and 0.5/20;
	// 1 / (80·(0.5/80)² + 20·(0.5/20)²) = 1/(0.003125 + 0.0125) = 64.
	checkNear(t, "skewed", stats.KishEffectiveSampleSize([]int64{80, 20}, []float64{0.5 / 80, 0.5 / 20}), 64, 1e-12)
	// 50 and 50 weighted 1 and 3: (50 + 150)² / (50 + 450) = 40000/500 = 80.
	checkNear(t, "1:3", stats.KishEffectiveSampleSize([]int64{50, 50}, []float64{1, 3}), 80, 1e-12)
	// Zero weights drop out: (10)²/10 = 10.
	checkNear(t, "zero weight", stats.KishEffectiveSampleSize([]int64{10, 90}, []float64{1, 0}), 10, 1e-12)
	checkNear(t, "all zero", stats.KishEffectiveSampleSize([]int64{10}, []float64{0}), nan, 0)
	checkNear(t, "negative", stats.KishEffectiveSampleSize([]int64{10}, []float64{-1}), nan, 0)
	checkNear(t, "lengths", stats.KishEffectiveSampleSize([]int64{10}, nil), nan, 0)
}

func TestPostStratifiedNPS(t *testing.T) {
	// The doc example: 0.5·10 + 0.5·60 = 35;
	// SE = √(0.25·0.69/80 + 0.25·0.44/20)·100 = √0.00765625·100 = 8.75.
	est, se := stats.PostStratifiedNPS([]stats.NPSStratum{{Weight: 0.5, P: 0.4, D: 0.3, N: 80}, {Weight: 0.5, P: 0.7, D: 0.1, N: 20}})
	checkNear(t, "estimate", est, 35, 1e-12)
	checkNear(t, "SE", se, 8.75, 1e-12)
	// One stratum of weight 1 is the plain NPS and NPSStandardError:
	// p 0.6, d 0.2, n 100 → 40 and 8.
	est, se = stats.PostStratifiedNPS([]stats.NPSStratum{{Weight: 1, P: 0.6, D: 0.2, N: 100}})
	checkNear(t, "single estimate", est, 40, 1e-12)
	checkNear(t, "single SE", se, stats.NPSStandardError(0.6, 0.2, 100), 1e-12)
	// Adjusted proportions pass through unchanged (the formula does not
	// care which): all 10 passives, adjusted p' = d' = 0.75/13, n' = 13 →
	// centre 0, SE = √(1.5/13/13)·100 = 9.421114.
	est, se = stats.PostStratifiedNPS([]stats.NPSStratum{{Weight: 1, P: 0.75 / 13, D: 0.75 / 13, N: 13}})
	checkNear(t, "adjusted centre", est, 0, 0)
	checkNear(t, "adjusted SE", se, 9.4211141, 1e-7)
	for _, bad := range [][]stats.NPSStratum{
		{{Weight: 0.5, P: 0.4, D: 0.3, N: 0}},
		{{Weight: -1, P: 0.4, D: 0.3, N: 10}},
		{{Weight: 1, P: 0.8, D: 0.3, N: 10}},
	} {
		if est, se := stats.PostStratifiedNPS(bad); !near(est, nan, 0) || !near(se, nan, 0) {
			t.Errorf("%+v: %v %v, want NaN", bad, est, se)
		}
	}
}

func TestStratifiedVarianceAndDegreesOfFreedom(t *testing.T) {
	// 0.25·0.09/80 + 0.25·0.24/20 = 0.00028125 + 0.003 = 0.00328125.
	checkNear(t, "V", stats.StratifiedVariance([]float64{0.5, 0.5}, []float64{0.09, 0.24}, []int64{80, 20}), 0.00328125, 1e-12)
	// a = 0.25·0.622222/10 = 0.0155556, 0.25·1/20 = 0.0125;
	// ν = 0.0280556²/(0.0155556²/9 + 0.0125²/19) = 22.418628 (the Welch example's
	// 22.42: the common factor 0.25 cancels).
	checkNear(t, "ν", stats.StratifiedDegreesOfFreedom([]float64{0.5, 0.5}, []float64{5.6 / 9, 1}, []int64{10, 20}), 22.418627665, 1e-9)
	checkNear(t, "ν = Welch", stats.StratifiedDegreesOfFreedom([]float64{1, 1}, []float64{0.622222, 1}, []int64{10, 20}),
		stats.WelchDegreesOfFreedom(0.249444, 10, 0.223607, 20), 1e-4)
	checkNear(t, "V empty stratum", stats.StratifiedVariance([]float64{0.5}, []float64{0.1}, []int64{0}), nan, 0)
	checkNear(t, "ν single response", stats.StratifiedDegreesOfFreedom([]float64{0.5, 0.5}, []float64{1, 1}, []int64{1, 20}), nan, 0)
	checkNear(t, "ν no spread", stats.StratifiedDegreesOfFreedom([]float64{1}, []float64{0}, []int64{10}), nan, 0)
}

func TestWilsonIntervalOfShare(t *testing.T) {
	lo, hi := stats.WilsonIntervalOfShare(0.8, 100, z95)
	wlo, whi := stats.WilsonInterval(80, 100, z95)
	checkNear(t, "lower = WilsonInterval", lo, wlo, 1e-12)
	checkNear(t, "upper = WilsonInterval", hi, whi, 1e-12)
	// n 64: den 1 + 3.841459/64 = 1.060023, centre (0.8 + 0.030011)/1.060023
	// = 0.783012, half 1.848979·√(0.0025 + 0.000234477) = 0.096687 → [0.686326, 0.879700].
	lo, hi = stats.WilsonIntervalOfShare(0.8, 64, z95)
	checkNear(t, "n 64 lower", lo, 0.68632557950, 1e-9)
	checkNear(t, "n 64 upper", hi, 0.87969998463, 1e-9)
	lo, hi = stats.WilsonIntervalOfShare(1, 57.5, z95)
	checkNear(t, "p 1 lower", lo, 57.5/(57.5+z95*z95), 1e-9)
	checkNear(t, "p 1 upper", hi, 1, 0)
	lo, _ = stats.WilsonIntervalOfShare(0.5, 0, z95)
	checkNear(t, "n 0", lo, nan, 0)
}

// npsStrata are the strata of the acceptance example: pro 80 responses
// with 32 promoters, 24 passives, 24 detractors (NPS 10); free 20 with 14
// promoters, 4 passives, 2 detractors (NPS 60). Unweighted: 46 promoters,
// 26 detractors of 100 = NPS 20.
func npsStrata(t *testing.T, proShare, freeShare float64) []stats.Stratum {
	return []stats.Stratum{
		{Value: "free", Weight: freeShare, Tally: mustTally(t, nps, "6:2 8:4 10:14")},
		{Value: "pro", Weight: proShare, Tally: mustTally(t, nps, "0:24 7:24 9:32")},
	}
}

func TestPostStratifyNPS(t *testing.T) {
	o := stats.Options{Kind: stats.NPS, ConfidenceLevel: 0.95}
	// The unweighted score of the same responses is 20.
	all := mustTally(t, nps, "0:24 6:2 7:24 8:4 9:32 10:14")
	checkNear(t, "unweighted", stats.Score(all, o).Score, 20, 1e-12)

	// Weighted to 50/50: 0.5·10 + 0.5·60 = 35. The interval is the
	// adjusted Wald one of each stratum, as Score's:
	//   pro  p′ = 32.75/83 = 0.39457831, d′ = 24.75/83 = 0.29819277,
	//        p′−d′ = 0.09638554, var/n′ = (0.69277108 − 0.00929017)/83 = 0.00823471
	//   free p′ = 14.75/23 = 0.64130435, d′ = 2.75/23 = 0.11956522,
	//        p′−d′ = 0.52173913, var/n′ = (0.76086957 − 0.27221172)/23 = 0.02124599
	//   centre 0.5·9.638554 + 0.5·52.173913 = 30.906234
	//   SE √(0.25·0.00823471 + 0.25·0.02124599)·100 = 8.584973
	//   interval 30.906234 ± 1.959964·8.584973 = [14.079996, 47.732471],
	//   margin (half its width) 16.826237.
	// Kish: 1/(0.25/80 + 0.25/20) = 64.
	w := stats.PostStratify(npsStrata(t, 0.5, 0.5), o)
	checkNear(t, "score", w.Result.Score, 35, 1e-12)
	checkNear(t, "SE", w.Result.StdErr, 8.584972778, 1e-8)
	checkNear(t, "MOE", w.Result.MarginOfError, 16.826237453, 1e-8)
	checkNear(t, "lower", w.Result.Lower, 14.079996177, 1e-8)
	checkNear(t, "upper", w.Result.Upper, 47.732471083, 1e-8)
	checkNear(t, "n_eff", w.EffectiveN, 64, 1e-12)
	if w.Result.N != 100 || len(w.Dropped) != 0 {
		t.Errorf("N %d dropped %v", w.Result.N, w.Dropped)
	}

	// Weighted to the sample's own shares (0.8/0.2): the unweighted score,
	// and n_eff = n.
	w = stats.PostStratify(npsStrata(t, 0.8, 0.2), o)
	checkNear(t, "self-weighted score", w.Result.Score, 20, 1e-12)
	checkNear(t, "self-weighted n_eff", w.EffectiveN, 100, 1e-12)

	// A stratum with a weight and no response is dropped and the others'
	// weights scaled up: 0.4/0.8 and 0.4/0.8 is 50/50 again.
	strata := append(npsStrata(t, 0.4, 0.4), stats.Stratum{Value: "other", Weight: 0.2, Tally: stats.NewTally(nps)})
	w = stats.PostStratify(strata, o)
	checkNear(t, "dropped score", w.Result.Score, 35, 1e-12)
	if strings.Join(w.Dropped, ",") != "other" {
		t.Errorf("dropped %v, want other", w.Dropped)
	}
	// A stratum with responses and weight 0 counts in N, not in the score:
	// free alone, 60; n_eff = 20.
	w = stats.PostStratify(npsStrata(t, 0, 1), o)
	checkNear(t, "zero weight score", w.Result.Score, 60, 1e-12)
	checkNear(t, "zero weight n_eff", w.EffectiveN, 20, 1e-12)
	if w.Result.N != 100 {
		t.Errorf("zero weight N %d, want 100", w.Result.N)
	}
	// No weight anywhere: undefined.
	w = stats.PostStratify(npsStrata(t, 0, 0), o)
	checkNear(t, "no weight", w.Result.Score, nan, 0)
}

func TestPostStratifyCSAT(t *testing.T) {
	o := stats.Options{Kind: stats.CSAT, Threshold: 4, ConfidenceLevel: 0.95}
	// a: 72 of 80 satisfied (0.9), b: 12 of 20 (0.6), 50/50 → 75%.
	// V = 0.00328125 (TestStratifiedVariance), SE 5.728220;
	// effective size 0.75·0.25/V = 57.142857; Wilson at it:
	// [0.624440, 0.844065] → margin (84.4065 − 62.4440)/2 = 10.98125.
	strata := []stats.Stratum{
		{Value: "a", Weight: 0.5, Tally: mustTally(t, five, "2:8 5:72")},
		{Value: "b", Weight: 0.5, Tally: mustTally(t, five, "1:8 4:12")},
	}
	w := stats.PostStratify(strata, o)
	checkNear(t, "score", w.Result.Score, 75, 1e-12)
	checkNear(t, "SE", w.Result.StdErr, 5.7282196187, 1e-9)
	checkNear(t, "lower", w.Result.Lower, 62.443974258, 1e-9)
	checkNear(t, "upper", w.Result.Upper, 84.406479207, 1e-9)
	checkNear(t, "MOE", w.Result.MarginOfError, (84.406479207-62.443974258)/2, 1e-9)
	// Every response satisfied: V = 0, the Wilson interval at Kish's n_eff
	// (here 100) does not collapse: lower 100/(100 + z²) = 96.3009%.
	all := []stats.Stratum{
		{Value: "a", Weight: 0.5, Tally: mustTally(t, five, "5:50")},
		{Value: "b", Weight: 0.5, Tally: mustTally(t, five, "5:50")},
	}
	w = stats.PostStratify(all, o)
	checkNear(t, "all satisfied lower", w.Result.Lower, 100*100/(100+z95*z95), 1e-9)
	checkNear(t, "all satisfied upper", w.Result.Upper, 100, 0)
}

func TestPostStratifyMean(t *testing.T) {
	o := stats.Options{Kind: stats.Rating, ConfidenceLevel: 0.95}
	// a: 3:2 4:4 5:4 (mean 4.2, s² 0.622222, n 10); b: 2..5 five each
	// (mean 3.5, s² 25/19 = 1.315789, n 20); 50/50 → 3.85.
	// V = 0.25·0.622222/10 + 0.25·1.315789/20 = 0.0155556 + 0.0164474 =
	// 0.0320029, SE 0.178894; ν = V²/(0.0155556²/9 + 0.0164474²/19) = 24.904958;
	// t(0.975, 24.905) = 2.059937, half 0.368510 → [3.481490, 4.218510].
	strata := []stats.Stratum{
		{Value: "a", Weight: 0.5, Tally: mustTally(t, five, "3:2 4:4 5:4")},
		{Value: "b", Weight: 0.5, Tally: mustTally(t, five, "2:5 3:5 4:5 5:5")},
	}
	w := stats.PostStratify(strata, o)
	checkNear(t, "score", w.Result.Score, 3.85, 1e-12)
	checkNear(t, "SE", w.Result.StdErr, 0.17889361078, 1e-9)
	checkNear(t, "lower", w.Result.Lower, 3.4814904048, 1e-8)
	checkNear(t, "upper", w.Result.Upper, 4.2185095952, 1e-8)
	checkNear(t, "MOE", w.Result.MarginOfError, 0.3685095952, 1e-7)
	// A stratum of one response has no variance: no margin.
	strata[0].Tally = mustTally(t, five, "4:1")
	w = stats.PostStratify(strata, o)
	checkNear(t, "single response score", w.Result.Score, 0.5*4+0.5*3.5, 1e-12)
	checkNear(t, "single response MOE", w.Result.MarginOfError, nan, 0)
}
