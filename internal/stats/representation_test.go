package stats_test

import (
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/touchstone-dev/touchstone/internal/stats"
)

// chiSquareSurvival1 and chiSquareSurvival3 are the closed forms of the
// chi-square survival function for 1 and 3 degrees of freedom, an
// independent check of gonum's:
//
//	P(χ²₁ ≥ x) = erfc(√(x/2))
//	P(χ²₃ ≥ x) = erfc(√(x/2)) + √(2x/π)·e^(−x/2)
func chiSquareSurvival1(x float64) float64 { return math.Erfc(math.Sqrt(x / 2)) }
func chiSquareSurvival3(x float64) float64 {
	return math.Erfc(math.Sqrt(x/2)) + math.Sqrt(2*x/math.Pi)*math.Exp(-x/2)
}

func TestChiSquareGoodnessOfFit(t *testing.T) {
	// Mendel's peas, 9:3:3:1 of 556: E = 312.75, 104.25, 104.25, 34.75;
	// χ² = 2.25²/312.75 + 3.75²/104.25 + 3.25²/104.25 + 2.75²/34.75
	//    = 0.016187 + 0.134892 + 0.101319 + 0.217626 = 0.470024;
	// p = erfc(√0.235012) + √(0.940048/π)·e^(−0.235012) = 0.925426.
	x, df, p := stats.ChiSquareGoodnessOfFit([]int64{315, 108, 101, 32}, []float64{9, 3, 3, 1})
	checkNear(t, "Mendel χ²", x, 0.4700239808, 1e-9)
	if df != 3 {
		t.Errorf("Mendel df = %d, want 3", df)
	}
	checkNear(t, "Mendel p", p, 0.9254258951, 1e-9)
	checkNear(t, "Mendel p (closed form)", p, chiSquareSurvival3(x), 1e-12)
	checkNear(t, "Mendel p (gonum)", p, distuv.ChiSquared{K: 3}.Survival(0.4700239808153477), 1e-12)

	// 80 pro and 20 free against 50/50: E 50, 50; χ² = 900/50 + 900/50 =
	// 36; p = erfc(√18) = 1.973175e-9.
	x, df, p = stats.ChiSquareGoodnessOfFit([]int64{80, 20}, []float64{0.5, 0.5})
	checkNear(t, "80/20 χ²", x, 36, 1e-12)
	checkNear(t, "80/20 p", p, 1.9731752900753963e-9, 1e-9)
	checkNear(t, "80/20 p (closed form)", p, chiSquareSurvival1(36), 1e-9)
	if df != 1 {
		t.Errorf("80/20 df = %d", df)
	}

	// A perfect fit: χ² 0, p 1.
	x, _, p = stats.ChiSquareGoodnessOfFit([]int64{25, 75}, []float64{0.25, 0.75})
	checkNear(t, "perfect χ²", x, 0, 0)
	checkNear(t, "perfect p", p, 1, 1e-12)

	for _, bad := range []struct {
		name     string
		observed []int64
		shares   []float64
	}{
		{"one group", []int64{5}, []float64{1}},
		{"lengths differ", []int64{5, 5}, []float64{1}},
		{"no responses", []int64{0, 0}, []float64{0.5, 0.5}},
		{"zero share", []int64{5, 5}, []float64{1, 0}},
		{"negative count", []int64{5, -1}, []float64{0.5, 0.5}},
		{"NaN share", []int64{5, 5}, []float64{0.5, nan}},
	} {
		x, df, p := stats.ChiSquareGoodnessOfFit(bad.observed, bad.shares)
		if !math.IsNaN(x) || df != 0 || !math.IsNaN(p) {
			t.Errorf("%s: %v %v %v, want NaN 0 NaN", bad.name, x, df, p)
		}
	}
}

func TestRepresentationRatio(t *testing.T) {
	// 41% of responses, 25% of customers: 0.41/0.25 = 1.64.
	checkNear(t, "ratio", stats.RepresentationRatio(0.41, 0.25), 1.64, 1e-12)
	checkNear(t, "no expected share", stats.RepresentationRatio(0.41, 0), nan, 0)
	checkNear(t, "negative share", stats.RepresentationRatio(-0.1, 0.5), nan, 0)
}

func TestAssessRepresentation(t *testing.T) {
	cell := func(v string, o int64, s float64) stats.RepresentationCell {
		return stats.RepresentationCell{Value: v, Observed: o, ExpectedShare: s}
	}
	tests := []struct {
		name        string
		cells       []stats.RepresentationCell
		tested      bool
		chi, p      float64
		df          int
		significant bool
		largest     string
		merged      string
	}{
		// pro 41 of 100, expected 25%: E 25 and 75, χ² = 16²/25 + 16²/75 =
		// 10.24 + 3.413333 = 13.653333, p = erfc(√6.826667) = 0.00021985.
		// pro's residual 16/5 = 3.2 exceeds free's 16/√75 = 1.85.
		{"skewed", []stats.RepresentationCell{cell("pro", 41, 0.25), cell("free", 59, 0.75)}, true,
			13.653333333, 0.0002198506826384, 1, true, "pro", ""},
		// team's E = 100·0.02 = 2 < 5 merges into the next smallest, b
		// (E 49, before c in order): b+team 53 against E 51, c 47 against
		// 49: χ² = 4/51 + 4/49 = 0.160064, p = erfc(√0.080032) = 0.689098.
		// c departs most: |47 − 49|/√49 = 0.2857 > |53 − 51|/√51 = 0.2801.
		{"small expected count merged", []stats.RepresentationCell{cell("team", 3, 0.02), cell("b", 50, 0.49), cell("c", 47, 0.49)}, true,
			0.16006402561, 0.68909757682, 1, false, "c", "b+team"},
		// 6 responses, 50/50: E 3 and 3, merged into one group: untestable.
		{"too few responses", []stats.RepresentationCell{cell("a", 4, 0.5), cell("b", 2, 0.5)}, false,
			nan, nan, 0, false, "", ""},
		// Values nobody expected (other, share 0) merge into the smallest
		// expected group: pro+other 55 vs E 50, free 45 vs 50: χ² = 25/50 +
		// 25/50 = 1, p = erfc(√0.5) = 0.317311.
		{"unexpected values", []stats.RepresentationCell{cell("pro", 50, 0.5), cell("free", 45, 0.5), cell("other", 5, 0)}, true,
			1, 0.31731050786, 1, false, "pro+other", "pro+other"},
		// A group expected at 0 with no response is dropped, not merged.
		{"empty zero group", []stats.RepresentationCell{cell("pro", 41, 0.25), cell("free", 59, 0.75), cell("other", 0, 0)}, true,
			13.653333333, 0.0002198506826384, 1, true, "pro", ""},
		{"no responses", []stats.RepresentationCell{cell("a", 0, 0.5), cell("b", 0, 0.5)}, false, nan, nan, 0, false, "", ""},
	}
	for _, tt := range tests {
		r := stats.AssessRepresentation(tt.cells, 0.95)
		if r.Tested != tt.tested || r.DF != tt.df || r.Significant != tt.significant || r.Largest.Value != tt.largest ||
			strings.Join(r.Merged, ",") != tt.merged {
			t.Errorf("%s: tested %v df %d significant %v largest %q merged %v, want %v %d %v %q %q", tt.name,
				r.Tested, r.DF, r.Significant, r.Largest.Value, r.Merged, tt.tested, tt.df, tt.significant, tt.largest, tt.merged)
		}
		checkNear(t, tt.name+" χ²", r.ChiSquare, tt.chi, 1e-9)
		checkNear(t, tt.name+" p", r.PValue, tt.p, 1e-8)
	}
	// The skewed example names pro at 41% of responses, 25% expected.
	r := stats.AssessRepresentation(tests[0].cells, 0.95)
	checkNear(t, "largest share", r.LargestShare, 0.41, 1e-12)
	checkNear(t, "largest expected", r.Largest.ExpectedShare, 0.25, 1e-12)
	// With two groups the residuals tie (|O−E| is the same, E differs:
	// 80/20 vs 50/50 gives 30/√50 both): the over-represented one is named.
	r = stats.AssessRepresentation([]stats.RepresentationCell{cell("free", 20, 0.5), cell("pro", 80, 0.5)}, 0.95)
	if r.Largest.Value != "pro" || !r.Significant {
		t.Errorf("tie: largest %q significant %v, want pro, true", r.Largest.Value, r.Significant)
	}
	// p 0.0002 is not significant at a level of 0.9999 (α 0.0001).
	if r := stats.AssessRepresentation(tests[0].cells, 0.9999); r.Significant {
		t.Errorf("p %v significant at 0.9999", r.PValue)
	}
}
