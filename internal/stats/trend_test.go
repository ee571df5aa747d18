package stats_test

import (
	"math"
	"testing"

	"github.com/touchstone-dev/touchstone/internal/stats"
)

func TestCompareWindows(t *testing.T) {
	npsOpts := stats.Options{Kind: stats.NPS, ConfidenceLevel: 0.95}
	csatOpts := stats.Options{Kind: stats.CSAT, Threshold: 4, ConfidenceLevel: 0.95}
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
		// Adjusted Wald, n′ = 103 each. Current 60 P, 20 D: p′ = 60.75/103 = .589806, d′ = 20.75/103 = .201456,
		// centre 38.834951, var .791262-.150815 = .640447, SE′² = .640447/103·1e4 = 62.179300.
		// Previous 50 P, 30 D: p′ = 50.75/103 = .492718, d′ = 30.75/103 = .298544, centre 19.417476,
		// var .791262-.037703 = .753558, SE′² = 73.160998.
		// z = (38.834951-19.417476)/√(62.179300+73.160998) = 19.417476/11.633586 = 1.669088 < 1.959964.
		// The raw change is 20. (The plain Wald z was 20/√(64+76) = 1.690309.)
		{"NPS 100 vs 100", eval(nps, "3:20 8:20 10:60", npsOpts), eval(nps, "0:30 7:20 10:50", npsOpts),
			stats.NPS, 0.95, 20, 1.669087880, false},
		// 10× the responses, n′ = 1003: centres 600.75/1003-200.75/1003 = 39.880359 and 19.940179,
		// SE′ 2.526151 and 2.751491: z = 19.940179/3.735223 = 5.338369 > 1.959964
		{"NPS 1000 vs 1000", eval(nps, "3:200 8:200 10:600", npsOpts), eval(nps, "0:300 7:200 10:500", npsOpts),
			stats.NPS, 0.95, 20, 5.338369045, true},
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
		// NPS of unanimous windows is no longer exact: 5 promoters vs 5 detractors, n′ = 8,
		// centres ±(5.75-.75)/8·100 = ±62.5, var .8125-.390625 = .421875, SE′ = √(.421875/8)·100 = 22.963966:
		// z = 125/√(2·527.34375) = 125/32.475953 = 3.849002 (the plain Wald gave +Inf)
		{"NPS unanimous windows", eval(nps, "10:5", npsOpts), eval(nps, "0:5", npsOpts), stats.NPS, 0.95, 200, 3.849001795, true},
		// both SE 0, scores differ: every response agreed within each window, the windows disagree
		// (CSAT 5 of 5 satisfied vs 0 of 5: PercentStandardError 0 both)
		{"both exact, different", eval(five, "5:5", csatOpts), eval(five, "1:5", csatOpts), stats.CSAT, 0.95, 100, inf, true},
		{"both exact, different, down", stats.Result{N: 9, Score: 3}, stats.Result{N: 9, Score: 5}, stats.CES, 0.95, -2, -inf, true},
		{"both exact, bad level", stats.Result{N: 9, Score: 3}, stats.Result{N: 9, Score: 5}, stats.CES, 0, -2, -inf, false},
		// both SE 0, same score: nothing to test (CSAT 100% of 5 and 100% of 7)
		{"both exact, equal", eval(five, "5:5", csatOpts), eval(five, "4:7", csatOpts), stats.CSAT, 0.95, 0, nan, false},
		// NPS 100 (5 promoters) vs 100 (7): raw change 0, but the adjusted centres differ: 62.5 vs
		// (7.75-.75)/10·100 = 70, SE′ 22.963966 and √(.36/10)·100 = 18.973666:
		// z = -7.5/√(527.34375+360) = -7.5/29.788308 = -0.251777, not significant
		{"NPS unanimous, equal", eval(nps, "10:5", npsOpts), eval(nps, "9:7", npsOpts), stats.NPS, 0.95, 0, -0.2517765719, false},
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
