package stats_test

import (
	"fmt"
	"testing"

	"github.com/touchstone-dev/touchstone/internal/stats"
)

// segmentPipeline is what a reconcile adds per segment with expected
// shares and weighting, on top of recompute: the minimum group size, the
// representation test and the post-stratified score over the capped
// values.
func segmentPipeline(st *windowState, shares []float64) (stats.Weighted, error) {
	kept, other, err := stats.CapValues(st.segments, segmentCap)
	if err != nil {
		return stats.Weighted{}, err
	}
	g, err := stats.ApplyMinimumGroupSize(kept, other, 0, 5)
	if err != nil {
		return stats.Weighted{}, err
	}
	cells := make([]stats.RepresentationCell, 0, len(g.Values)+1)
	strata := make([]stats.Stratum, 0, len(g.Values)+1)
	rest := 1.0
	for i, v := range g.Values {
		cells = append(cells, stats.RepresentationCell{Value: v.Value, Observed: v.Tally.N(), ExpectedShare: shares[i]})
		strata = append(strata, stats.Stratum{Value: v.Value, Weight: shares[i], Tally: v.Tally})
		rest -= shares[i]
	}
	cells = append(cells, stats.RepresentationCell{Value: stats.OtherValue, Observed: g.Other.N(), ExpectedShare: rest})
	strata = append(strata, stats.Stratum{Value: stats.OtherValue, Weight: rest, Tally: g.Other})
	stats.AssessRepresentation(cells, 0.95)
	return stats.PostStratify(strata, windowOpts), nil
}

// BenchmarkSegmentRepresentationAndWeighting measures segmentPipeline on
// the 90-day, 20-value window of BenchmarkWindow90Days20Segments: its
// cost depends on the number of values published (at 10 responses a day
// most fold under the minimum group size), not on the responses.
func BenchmarkSegmentRepresentationAndWeighting(b *testing.B) {
	shares := make([]float64, segmentValues)
	for i := range shares {
		shares[i] = 0.9 / segmentCap
	}
	for _, perDay := range []int64{10, 1_000_000} {
		b.Run(fmt.Sprintf("responsesPerDay=%d", perDay), func(b *testing.B) {
			days, st := makeWindow(perDay)
			if _, err := recompute(days, st); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := segmentPipeline(st, shares); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
