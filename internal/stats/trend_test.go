package stats_test

import (
	"math"
	"testing"

	"github.com/touchstone-dev/touchstone/internal/stats"
)

func TestCompareWindows(t *testing.T) {
	npsOpts := stats.Options{Kind: stats.NPS, ConfidenceLevel: 0.95}
	eval := func(s stats.Scale, text string, o stats.Options) stats.Result {
		return stats.Score(mustTally(t, s, text), o)
	}
	inf := math.Inf(1)
	tests := []struct {
		name        string
		cur, prev   stats.Result
		kind        stats.Kind
		level       float64
		change      float64
		statistic   float64
		significant bool
	}{
		// 40 (SE 8) vs 20 (p=.5, d=.3: var .8-.04=.76, SE √(.76/100)·100=8.717798):
		// z = 20/√(64+76) = 20/11.832160 = 1.690309 < 1.959964
		{"NPS 100 vs 100", eval(nps, "3:20 8:20 10:60", npsOpts), eval(nps, "0:30 7:20 10:50", npsOpts),
			stats.NPS, 0.95, 20, 1.690308509, false},
		// same proportions, 10× the responses: SEs /√10, z = 1.690309·√10 = 5.345225 > 1.959964
		{"NPS 1000 vs 1000", eval(nps, "3:200 8:200 10:600", npsOpts), eval(nps, "0:300 7:200 10:500", npsOpts),
			stats.NPS, 0.95, 20, 5.345224838, true},
		// 80% (SE 4) vs 70% (SE √(.21/100)·100 = 4.582576): z = 10/√(16+21) = 10/6.082763 = 1.643990;
		// below z(0.95)=1.959964 and even z(0.90)=1.644854, above z(0.80)=1.281552
		{"CSAT 95%", stats.Result{N: 100, Score: 80, StdErr: 4}, stats.Result{N: 100, Score: 70, StdErr: 4.582575695},
			stats.CSAT, 0.95, 10, 1.643989873, false},
		{"CSAT 90%", stats.Result{N: 100, Score: 80, StdErr: 4}, stats.Result{N: 100, Score: 70, StdErr: 4.582575695},
			stats.CSAT, 0.90, 10, 1.643989873, false},
		{"CSAT 80%", stats.Result{N: 100, Score: 80, StdErr: 4}, stats.Result{N: 100, Score: 70, StdErr: 4.582575695},
			stats.CSAT, 0.80, 10, 1.643989873, true},
		// Welch: 4.2 (SE² 5.6/90 = 0.0622222, n 10) vs 3.5 (SE² 0.05, n 20): t = 0.7/√0.1122222 = 2.089578;
		// ν = 22.41863, t_ν(0.975) = 2.071630 → significant; t_ν(0.995) = 2.813841 → not at 99%
		{"Rating Welch 95%", stats.Result{N: 10, Score: 4.2, StdErr: math.Sqrt(5.6 / 90)}, stats.Result{N: 20, Score: 3.5, StdErr: math.Sqrt(0.05)},
			stats.Rating, 0.95, 0.7, 2.089578099, true},
		{"Rating Welch 99%", stats.Result{N: 10, Score: 4.2, StdErr: math.Sqrt(5.6 / 90)}, stats.Result{N: 20, Score: 3.5, StdErr: math.Sqrt(0.05)},
			stats.Rating, 0.99, 0.7, 2.089578099, false},
		// current all 5s (SE 0): t = 0.8/0.249444 = 3.207135, ν = n₂-1 = 9, t₉ = 2.262157 → significant
		{"CES one window without spread", stats.Result{N: 10, Score: 5, StdErr: 0}, stats.Result{N: 10, Score: 4.2, StdErr: math.Sqrt(5.6 / 90)},
			stats.CES, 0.95, 0.8, 3.207134903, true},
		// both SE 0, scores differ: every response agreed within each window, the windows disagree
		{"both exact, different", eval(nps, "10:5", npsOpts), eval(nps, "0:5", npsOpts), stats.NPS, 0.95, 200, inf, true},
		{"both exact, different, down", stats.Result{N: 9, Score: 3}, stats.Result{N: 9, Score: 5}, stats.CES, 0.95, -2, -inf, true},
		{"both exact, bad level", stats.Result{N: 9, Score: 3}, stats.Result{N: 9, Score: 5}, stats.CES, 0, -2, -inf, false},
		// both SE 0, same score: nothing to test
		{"both exact, equal", eval(nps, "10:5", npsOpts), eval(nps, "9:7", npsOpts), stats.NPS, 0.95, 0, nan, false},
		// undefined
		{"previous empty", eval(nps, "0:1 10:5", npsOpts), eval(nps, "", npsOpts), stats.NPS, 0.95, nan, nan, false},
		{"current n=1", eval(nps, "10:1", npsOpts), eval(nps, "0:30 7:20 10:50", npsOpts), stats.NPS, 0.95, 80, nan, false},
		{"Rating n=1", stats.Result{N: 1, Score: 5, StdErr: nan}, stats.Result{N: 10, Score: 4.2, StdErr: 0.25}, stats.Rating, 0.95, 0.8, nan, false},
		{"unknown kind", stats.Result{N: 100, Score: 80, StdErr: 4}, stats.Result{N: 100, Score: 70, StdErr: 4}, "", 0.95, 10, nan, false},
		{"bad level", stats.Result{N: 100, Score: 80, StdErr: 4}, stats.Result{N: 100, Score: 70, StdErr: 3}, stats.CSAT, 1.5, 10, 2, false}, // 10/√(16+9) = 2
	}
	for _, tt := range tests {
		got := stats.CompareWindows(tt.cur, tt.prev, tt.kind, tt.level)
		checkNear(t, tt.name+" Change", got.Change, tt.change, 1e-9)
		checkNear(t, tt.name+" Statistic", got.Statistic, tt.statistic, 1e-9)
		if got.Significant != tt.significant {
			t.Errorf("%s: Significant = %v, want %v", tt.name, got.Significant, tt.significant)
		}
	}
}
