package stats_test

import (
	"fmt"
	"testing"

	"github.com/touchstone-dev/touchstone/internal/stats"
)

const (
	windowDays    = 90
	segmentValues = 20
	segmentCap    = 10
)

// dayData is what is stored per day: the day's tally and one tally per
// segment value (e.g. region).
type dayData struct {
	total    stats.Tally
	segments []stats.ValueTally
}

// windowState holds the accumulators reused across recomputations.
type windowState struct {
	total    stats.Tally
	segments []stats.ValueTally
	results  []stats.Result
}

// makeWindow builds windowDays days of exactly perDay responses each,
// spread unevenly over segmentValues segment values and the NPS scale
// (cell weight (day+value+point)%7+1; leftovers go one each to the first
// cells). With perDay 10 most segment tallies are empty or hold a single
// response; with 1e6 every cell holds thousands.
func makeWindow(perDay int64) ([]dayData, *windowState) {
	days := make([]dayData, windowDays)
	for d := range days {
		weight := func(v, p int) int64 { return int64((d+v+p)%7 + 1) }
		var total int64
		for v := range segmentValues {
			for p := range nps.Points() {
				total += weight(v, p)
			}
		}
		left := perDay
		for v := range segmentValues {
			for p := range nps.Points() {
				left -= perDay * weight(v, p) / total
			}
		}
		days[d].total = stats.NewTally(nps)
		for v := range segmentValues {
			seg := stats.NewTally(nps)
			for p := range nps.Points() {
				n := perDay * weight(v, p) / total
				if left > 0 {
					n, left = n+1, left-1
				}
				if err := seg.Add(p, n); err != nil {
					panic(err)
				}
			}
			if err := days[d].total.Merge(seg); err != nil {
				panic(err)
			}
			days[d].segments = append(days[d].segments, stats.ValueTally{Value: fmt.Sprintf("value-%02d", v), Tally: seg})
		}
	}
	st := &windowState{total: stats.NewTally(nps), results: make([]stats.Result, 0, segmentCap+1)}
	for v := range segmentValues {
		st.segments = append(st.segments, stats.ValueTally{Value: days[0].segments[v].Value, Tally: stats.NewTally(nps)})
	}
	return days, st
}

var windowOpts = stats.Options{Kind: stats.NPS, ConfidenceLevel: 0.95}

// recompute is what a reconcile does when the window slides: merge the
// window's days, score the whole and each segment, cap the segments.
func recompute(days []dayData, st *windowState) (stats.Result, error) {
	st.total.Reset()
	for i := range st.segments {
		st.segments[i].Tally.Reset()
	}
	for _, d := range days {
		if err := st.total.Merge(d.total); err != nil {
			return stats.Result{}, err
		}
		for i, s := range d.segments {
			if err := st.segments[i].Tally.Merge(s.Tally); err != nil {
				return stats.Result{}, err
			}
		}
	}
	overall := stats.Score(st.total, windowOpts)
	kept, other, err := stats.CapValues(st.segments, segmentCap)
	if err != nil {
		return stats.Result{}, err
	}
	st.results = st.results[:0]
	for _, k := range kept {
		st.results = append(st.results, stats.Score(k.Tally, windowOpts))
	}
	st.results = append(st.results, stats.Score(other, windowOpts))
	return overall, nil
}

func BenchmarkWindow90Days20Segments(b *testing.B) {
	for _, perDay := range []int64{10, 1_000_000} {
		b.Run(fmt.Sprintf("responsesPerDay=%d", perDay), func(b *testing.B) {
			days, st := makeWindow(perDay)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := recompute(days, st); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestWindowAllocationsIndependentOfResponses(t *testing.T) {
	allocs := func(perDay int64) float64 {
		days, st := makeWindow(perDay)
		var r stats.Result
		a := testing.AllocsPerRun(20, func() {
			var err error
			if r, err = recompute(days, st); err != nil {
				t.Fatal(err)
			}
		})
		if r.N != windowDays*perDay {
			t.Fatalf("window holds %d responses, want %d", r.N, windowDays*perDay)
		}
		return a
	}
	small, large := allocs(10), allocs(1_000_000)
	t.Logf("allocations per recompute: %v with 10 responses/day, %v with 1e6 responses/day", small, large)
	if small != large {
		t.Errorf("allocations depend on response count: %v vs %v", small, large)
	}
}

func BenchmarkScore(b *testing.B) {
	cases := []struct {
		tally stats.Tally
		opts  stats.Options
	}{
		{tallyOf(b, nps, 0, 2_000_000, 7, 3_000_000, 10, 5_000_000), stats.Options{Kind: stats.NPS, ConfidenceLevel: 0.95}},
		{tallyOf(b, five, 1, 1_500_000, 3, 1_000_000, 5, 7_500_000), stats.Options{Kind: stats.CSAT, Threshold: 4, ConfidenceLevel: 0.95}},
		{tallyOf(b, seven, 2, 1_000, 5, 5_000, 6, 4_000), stats.Options{Kind: stats.CES, Threshold: 5, ConfidenceLevel: 0.95}},
		{tallyOf(b, five, 3, 2, 4, 4, 5, 4), stats.Options{Kind: stats.Rating, ConfidenceLevel: 0.95}},
	}
	for _, c := range cases {
		b.Run(string(c.opts.Kind), func(b *testing.B) {
			b.ReportAllocs()
			var r stats.Result
			for b.Loop() {
				r = stats.Score(c.tally, c.opts)
			}
			_ = r
		})
	}
}

func BenchmarkCompareWindows(b *testing.B) {
	cur := stats.Result{N: 10, Score: 4.2, StdErr: 0.2494}
	prev := stats.Result{N: 20, Score: 3.5, StdErr: 0.2236}
	b.ReportAllocs()
	for b.Loop() {
		_ = stats.CompareWindows(cur, prev, stats.Rating, 0.95)
	}
}

func BenchmarkParseTally(b *testing.B) {
	text := "0:3 1:7 2:9 3:11 4:20 5:31 6:45 7:90 8:120 9:300 10:512"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := stats.ParseTally(nps, text); err != nil {
			b.Fatal(err)
		}
	}
}
