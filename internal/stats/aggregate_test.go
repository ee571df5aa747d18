package stats_test

import (
	"math"
	"testing"

	"github.com/touchstone-dev/touchstone/internal/stats"
)

func TestNearestRankQuantile(t *testing.T) {
	odd := []float64{10, 20, 30, 40, 50}
	even := []float64{10, 20, 30, 40}
	ties := []float64{5, 5, 5, 7, 7, 9}
	hundred := make([]float64, 100)
	for i := range hundred {
		hundred[i] = float64(i + 1) // 1..100: the k-th value is k
	}
	tests := []struct {
		name   string
		sorted []float64
		q      float64
		want   float64
	}{
		// Odd count: k = ⌈q·5⌉.
		{"odd median", odd, 0.5, 30},    // ⌈2.5⌉ = 3 → x₍₃₎
		{"odd p90", odd, 0.9, 50},       // ⌈4.5⌉ = 5
		{"odd p20", odd, 0.2, 10},       // ⌈1⌉ = 1: a whole rank stays
		{"odd p21", odd, 0.21, 20},      // ⌈1.05⌉ = 2
		{"odd p80", odd, 0.8, 40},       // ⌈4⌉ = 4
		{"odd min rank", odd, 0.01, 10}, // ⌈0.05⌉ = 1
		// Even count: the lower middle value, never the mean of the two.
		{"even median", even, 0.5, 20}, // ⌈2⌉ = 2
		{"even p90", even, 0.9, 40},    // ⌈3.6⌉ = 4
		{"even p75", even, 0.75, 30},   // ⌈3⌉ = 3
		{"even p76", even, 0.76, 40},   // ⌈3.04⌉ = 4
		// Ties: 5, 5, 5, 7, 7, 9 (n = 6).
		{"ties median", ties, 0.5, 5}, // ⌈3⌉ = 3 → the third 5
		{"ties p51", ties, 0.51, 7},   // ⌈3.06⌉ = 4 → the first 7
		{"ties p90", ties, 0.9, 9},    // ⌈5.4⌉ = 6
		// One element: every quantile is it.
		{"one median", []float64{42}, 0.5, 42},
		{"one p1", []float64{42}, 0.01, 42},
		{"one p99", []float64{42}, 0.99, 42},
		// Decimal ranks that binary rounding would move: 0.07·100 is
		// 7.000000000000001 in float64, the rank is 7.
		{"p7 of 100", hundred, 0.07, 7},
		{"p29 of 100", hundred, 0.29, 29},
		{"p57 of 100", hundred, 0.57, 57},
		{"p90 of 100", hundred, 0.9, 90},
		{"p99 of 100", hundred, 0.99, 99},
		{"p995 of 100", hundred, 0.995, 100}, // ⌈99.5⌉
		// Undefined.
		{"empty", nil, 0.5, nan},
		{"q above 1", odd, 1.5, nan},
		{"q NaN", odd, nan, nan},
	}
	for _, tt := range tests {
		got := stats.NearestRankQuantile(tt.sorted, tt.q)
		if !(got == tt.want || math.IsNaN(got) && math.IsNaN(tt.want)) {
			t.Errorf("%s: NearestRankQuantile(%v, %v) = %v, want %v", tt.name, tt.sorted, tt.q, got, tt.want)
		}
	}
	// Every rank of 1..1000 at q = k/1000 is exactly k.
	thousand := make([]float64, 1000)
	for i := range thousand {
		thousand[i] = float64(i + 1)
	}
	for k := 1; k <= 1000; k++ {
		q := float64(k) / 1000
		if got := stats.NearestRankQuantile(thousand, q); got != float64(k) {
			t.Fatalf("q = %v of 1..1000: got %v, want %d", q, got, k)
		}
	}
}

func TestMedian(t *testing.T) {
	for _, tt := range []struct {
		sorted []float64
		want   float64
	}{
		{[]float64{3, 5, 9}, 5},
		{[]float64{3, 5, 9, 11}, 5}, // the lower middle value
		{[]float64{1, 1}, 1},
		{[]float64{-2}, -2},
		{nil, nan},
	} {
		got := stats.Median(tt.sorted)
		if !(got == tt.want || math.IsNaN(got) && math.IsNaN(tt.want)) {
			t.Errorf("Median(%v) = %v, want %v", tt.sorted, got, tt.want)
		}
	}
}

func TestSummary(t *testing.T) {
	var s stats.Summary
	if s.Sum() != 0 || !math.IsNaN(s.Mean()) || !math.IsNaN(s.Min()) || !math.IsNaN(s.Max()) {
		t.Errorf("empty summary: sum %v mean %v min %v max %v; want 0, NaN, NaN, NaN", s.Sum(), s.Mean(), s.Min(), s.Max())
	}
	for _, x := range []float64{30, 45, 120, 5} {
		s.Add(x)
	}
	// n = 4, Σ = 200, x̄ = 50, min 5, max 120.
	if s.N != 4 || s.Sum() != 200 || s.Mean() != 50 || s.Min() != 5 || s.Max() != 120 {
		t.Errorf("summary of 30, 45, 120, 5: n %d sum %v mean %v min %v max %v", s.N, s.Sum(), s.Mean(), s.Min(), s.Max())
	}
	// Compensated: 1e16 + 1 + 1 − 1e16 is 2, where naive summation gives 0
	// (1e16 + 1 rounds back to 1e16).
	var c stats.Summary
	for _, x := range []float64{1e16, 1, 1, -1e16} {
		c.Add(x)
	}
	if c.Sum() != 2 {
		t.Errorf("compensated sum of 1e16, 1, 1, -1e16 = %v, want 2", c.Sum())
	}
	// 0.1 added 10⁵ times is 10000 to the last bit with compensation.
	var d stats.Summary
	for range 100_000 {
		d.Add(0.1)
	}
	if math.Abs(d.Sum()-10000) > 1e-9 {
		t.Errorf("0.1 × 10⁵ = %v, want 10000", d.Sum())
	}
}

func TestProportion(t *testing.T) {
	checkNear(t, "Proportion", stats.Proportion(45, 50), 0.9, 0)
	checkNear(t, "Proportion", stats.Proportion(0, 7), 0, 0)
	checkNear(t, "Proportion", stats.Proportion(0, 0), nan, 0)
}
