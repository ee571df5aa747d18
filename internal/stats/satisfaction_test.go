package stats_test

import (
	"testing"

	"github.com/touchstone-dev/touchstone/internal/stats"
)

func TestNormalizedScore(t *testing.T) {
	for _, tc := range []struct {
		name  string
		x     float64
		kind  stats.Kind
		scale stats.Scale
		score float64
		// margin and wantMargin: NormalizedMargin(margin) == wantMargin
		margin, wantMargin float64
	}{
		// (36 + 100)/2 = 68; margin 10/2 = 5
		{name: "NPS", x: 36, kind: stats.NPS, scale: nps, score: 68, margin: 10, wantMargin: 5},
		{name: "NPS worst", x: -100, kind: stats.NPS, scale: nps, score: 0, margin: 10, wantMargin: 5},
		{name: "NPS best", x: 100, kind: stats.NPS, scale: nps, score: 100, margin: 10, wantMargin: 5},
		// CSAT is a percentage already
		{name: "CSAT", x: 82.5, kind: stats.CSAT, scale: five, score: 82.5, margin: 10, wantMargin: 10},
		// CES 5.5 on 1..7: 4.5/6·100 = 75; margin 0.3 → 0.3/6·100 = 5
		{name: "CES", x: 5.5, kind: stats.CES, scale: seven, score: 75, margin: 0.3, wantMargin: 5},
		// Rating 4.2 on 1..5: 3.2/4·100 = 80; margin 0.2 → 5
		{name: "Rating", x: 4.2, kind: stats.Rating, scale: five, score: 80, margin: 0.2, wantMargin: 5},
		// Rating 0 on -3..3: 3/6·100 = 50
		{name: "Rating on a signed scale", x: 0, kind: stats.Rating, scale: signed, score: 50, margin: 0.6, wantMargin: 10},
		{name: "unknown kind", x: 3, kind: "Likert", scale: five, score: nan, margin: 1, wantMargin: nan},
		{name: "one-point scale", x: 3, kind: stats.Rating, scale: stats.Scale{Min: 3, Max: 3}, score: nan, margin: 1, wantMargin: nan},
		{name: "NaN", x: nan, kind: stats.NPS, scale: nps, score: nan, margin: nan, wantMargin: nan},
	} {
		checkNear(t, tc.name+" score", stats.NormalizedScore(tc.x, tc.kind, tc.scale), tc.score, 1e-12)
		checkNear(t, tc.name+" margin", stats.NormalizedMargin(tc.margin, tc.kind, tc.scale), tc.wantMargin, 1e-12)
	}
}

func TestMarginStandardError(t *testing.T) {
	// NPS: 15.68 at 0.95 is 1.959964 · 8 (the NPSMarginOfError example).
	checkNear(t, "NPS", stats.MarginStandardError(1.959963985*8, stats.NPS, 100, 0.95), 8, 1e-9)
	// Mean: TInterval's example, half-width 0.564281 from n = 10: t₉ = 2.262157, SE 0.249444.
	checkNear(t, "mean", stats.MarginStandardError(0.564281, stats.Rating, 10, 0.95), 0.249444, 1e-5)
	checkNear(t, "mean of one response", stats.MarginStandardError(0.5, stats.CES, 1, 0.95), nan, 0)
	checkNear(t, "undefined margin", stats.MarginStandardError(nan, stats.CSAT, 10, 0.95), nan, 0)
	checkNear(t, "bad level", stats.MarginStandardError(1, stats.CSAT, 10, 1), nan, 0)
}

func TestCombineScores(t *testing.T) {
	// The doc comment's example: 68 ± 7.75 (n 88) and 82.5 ± 10.5 (n 40)
	// at 0.95 → 72.53125 ± 6.257437 = √((0.6875·7.75)² + (0.3125·10.5)²).
	z := 1.959963985
	score, margin := stats.CombineScores([]stats.WeightedScore{
		{Score: 68, StdErr: 7.75 / z, N: 88},
		{Score: 82.5, StdErr: 10.5 / z, N: 40},
		{Score: 10, StdErr: 1, N: 0}, // no responses: left out
	}, 0.95)
	checkNear(t, "score", score, 72.53125, 1e-12)
	checkNear(t, "margin", margin, 6.257437, 1e-6)

	// One part is itself.
	score, margin = stats.CombineScores([]stats.WeightedScore{{Score: 40, StdErr: 5, N: 30}}, 0.95)
	checkNear(t, "single score", score, 40, 1e-12)
	checkNear(t, "single margin", margin, 5*z, 1e-9)

	// An undefined standard error makes the margin undefined, not 0.
	_, margin = stats.CombineScores([]stats.WeightedScore{{Score: 40, StdErr: 5, N: 30}, {Score: 60, StdErr: nan, N: 1}}, 0.95)
	checkNear(t, "margin with an undefined part", margin, nan, 0)

	score, margin = stats.CombineScores(nil, 0.95)
	checkNear(t, "empty score", score, nan, 0)
	checkNear(t, "empty margin", margin, nan, 0)
}

func TestSpreadAndStdDev(t *testing.T) {
	// 62, 80, 71: spread 18; mean 71, √((81 + 81 + 0)/3) = √54 = 7.348469.
	v := []float64{62, 80, 71}
	checkNear(t, "spread", stats.Spread(v), 18, 1e-12)
	checkNear(t, "sd", stats.PopulationStdDev(v), 7.348469228, 1e-9)
	checkNear(t, "spread of one", stats.Spread([]float64{50}), nan, 0)
	checkNear(t, "sd of one", stats.PopulationStdDev([]float64{50}), nan, 0)
}

func TestIntervalsOverlap(t *testing.T) {
	for _, tc := range []struct {
		a, ma, b, mb float64
		want         bool
	}{
		{62, 5, 80, 6, false}, // 18 > 11
		{70, 5, 80, 6, true},  // 10 ≤ 11
		{69, 5, 80, 6, true},  // 11 ≤ 11: touching counts as overlapping
		{80, 6, 62, 5, false}, // order does not matter
		{62, nan, 80, 6, true},
		{nan, 1, 80, 6, true},
	} {
		if got := stats.IntervalsOverlap(tc.a, tc.ma, tc.b, tc.mb); got != tc.want {
			t.Errorf("IntervalsOverlap(%v ± %v, %v ± %v) = %v, want %v", tc.a, tc.ma, tc.b, tc.mb, got, tc.want)
		}
	}
}
