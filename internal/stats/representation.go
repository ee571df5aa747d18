package stats

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"
)

// MinExpectedCount is the smallest expected count of a group that the
// chi-square test trusts (Cochran's rule): below it the distribution of
// the statistic is too far from chi-square for its p-value to mean much.
const MinExpectedCount = 5

// ChiSquareGoodnessOfFit returns Pearson's goodness-of-fit statistic of
// observed counts against expected shares, its degrees of freedom and its
// p-value:
//
//	χ² = Σ (Oᵢ − Eᵢ)² / Eᵢ,  Eᵢ = n·sᵢ,  df = k − 1,  p = P(χ²_df ≥ χ²)
//
// with n = Σ Oᵢ, k groups and sᵢ the expected shares (scaled to sum to 1).
// The p-value is the survival function of gonum's chi-square distribution.
//
// Example (Mendel's peas, 9:3:3:1): observed 315, 108, 101, 32 (n = 556),
// expected 312.75, 104.25, 104.25, 34.75 → χ² = 5.0625/312.75 +
// 14.0625/104.25 + 10.5625/104.25 + 7.5625/34.75 = 0.016187 + 0.134892 +
// 0.101319 + 0.217626 = 0.470024, df 3, p = 0.9254: the counts fit.
//
// The p-value is trustworthy when every Eᵢ ≥ MinExpectedCount (see
// AssessRepresentation, which merges groups until they are).
// NaN, 0, NaN with fewer than 2 groups, lengths that differ, n == 0, a
// negative count, or a share that is negative, NaN or 0 (an expected
// count of 0 makes the statistic infinite: merge such groups first).
func ChiSquareGoodnessOfFit(observed []int64, shares []float64) (statistic float64, df int, p float64) {
	k := len(observed)
	if k < 2 || len(shares) != k {
		return math.NaN(), 0, math.NaN()
	}
	var n int64
	var total float64
	for i := range observed {
		if observed[i] < 0 || !(shares[i] > 0) || math.IsInf(shares[i], 0) {
			return math.NaN(), 0, math.NaN()
		}
		n += observed[i]
		total += shares[i]
	}
	if n == 0 {
		return math.NaN(), 0, math.NaN()
	}
	for i := range observed {
		e := float64(n) * shares[i] / total
		d := float64(observed[i]) - e
		statistic += d * d / e
	}
	df = k - 1
	return statistic, df, distuv.ChiSquared{K: float64(df)}.Survival(statistic)
}

// RepresentationRatio returns share / expected: how many times more often
// a value appears among the responses than in the customer base. Above 1
// it is over-represented, below 1 under-represented.
//
// Example: pro is 41% of the responses and 25% of the customers → 1.64.
// NaN unless expected > 0 and share ≥ 0.
func RepresentationRatio(share, expected float64) float64 {
	if !(expected > 0) || !(share >= 0) {
		return math.NaN()
	}
	return share / expected
}

// RepresentationCell is one group of a representation test: its
// responses and its expected share of the customer base.
type RepresentationCell struct {
	Value         string
	Observed      int64
	ExpectedShare float64
}

// Representation is the outcome of AssessRepresentation.
type Representation struct {
	// N is the number of responses tested.
	N int64
	// Tested is false when too few responses leave fewer than two groups
	// with an expected count of MinExpectedCount; the numbers are then NaN.
	Tested    bool
	ChiSquare float64
	DF        int
	PValue    float64
	// Significant: the responses differ from the expected shares at the
	// confidence level (PValue < 1 − level).
	Significant bool
	// Merged lists the groups combined because an expected count was
	// below MinExpectedCount, each as its values joined by "+".
	Merged []string
	// Largest is the tested group that departs most from its expected
	// share (the largest |O − E|/√E, Pearson's residual).
	Largest RepresentationCell
	// LargestShare is Largest's share of the responses.
	LargestShare float64
}

// AssessRepresentation tests whether the responses of one segment follow
// the expected shares of the customer base, with ChiSquareGoodnessOfFit
// at a confidence level.
//
// Groups with an expected count n·s below MinExpectedCount are merged
// first, the one with the smallest expected count into the next smallest,
// until every group reaches it (merging keeps the test valid and shows
// the merge in Merged). With fewer than two groups left the test is not
// run (Tested false): "too few responses to test". Groups with an expected
// share of 0 and no responses are dropped.
//
// Example (level 0.95): pro 80 responses, expected 0.5; free 20, expected
// 0.5 → E = 50, 50, χ² = 30²/50 + 30²/50 = 36, df 1, p = 1.97e-9 < 0.05:
// significant, Largest pro (share 0.8 against 0.5; both have residual
// 4.24, and the over-represented is named on ties).
func AssessRepresentation(cells []RepresentationCell, level float64) Representation {
	r := Representation{ChiSquare: math.NaN(), PValue: math.NaN()}
	type group struct {
		values   []string
		observed int64
		share    float64
	}
	var groups []group
	var total float64
	for _, c := range cells {
		if c.Observed < 0 || !(c.ExpectedShare >= 0) {
			return r
		}
		r.N += c.Observed
		total += c.ExpectedShare
		if c.ExpectedShare == 0 && c.Observed == 0 {
			continue
		}
		groups = append(groups, group{values: []string{c.Value}, observed: c.Observed, share: c.ExpectedShare})
	}
	if r.N == 0 || !(total > 0) {
		return r
	}
	expected := func(g group) float64 { return float64(r.N) * g.share / total }
	for len(groups) >= 2 {
		slices.SortStableFunc(groups, func(a, b group) int { return cmp.Compare(expected(a), expected(b)) })
		if expected(groups[0]) >= MinExpectedCount {
			break
		}
		a, b := groups[0], groups[1]
		groups[1] = group{values: append(append([]string{}, b.values...), a.values...),
			observed: a.observed + b.observed, share: a.share + b.share}
		groups = groups[1:]
	}
	if len(groups) < 2 || expected(groups[0]) < MinExpectedCount {
		return r
	}
	observed := make([]int64, len(groups))
	shares := make([]float64, len(groups))
	var largest float64
	largestOver := false
	for i, g := range groups {
		observed[i], shares[i] = g.observed, g.share
		if len(g.values) > 1 {
			r.Merged = append(r.Merged, strings.Join(g.values, "+"))
		}
		e := expected(g)
		res := math.Abs(float64(g.observed)-e) / math.Sqrt(e)
		over := float64(g.observed) > e
		// On a tie (two groups always tie), name the over-represented one.
		if i == 0 || res > largest*(1+1e-12) || (res >= largest*(1-1e-12) && over && !largestOver) {
			largest, largestOver = res, over
			r.Largest = RepresentationCell{Value: strings.Join(g.values, "+"), Observed: g.observed, ExpectedShare: g.share / total}
		}
	}
	slices.Sort(r.Merged)
	r.LargestShare = float64(r.Largest.Observed) / float64(r.N)
	r.ChiSquare, r.DF, r.PValue = ChiSquareGoodnessOfFit(observed, shares)
	r.Tested = !math.IsNaN(r.PValue)
	r.Significant = r.Tested && validLevel(level) && r.PValue < 1-level
	return r
}
