package stats_test

import (
	"math"
	mrand "math/rand"
	"math/rand/v2"
	"testing"
	"testing/quick"

	"github.com/touchstone-dev/touchstone/internal/stats"
)

var scales = []stats.Scale{nps, five, seven, signed, {Min: 0, Max: 100}, {Min: 4, Max: 4}}

// randomTally fills a random subset of scale points with counts whose
// magnitude is spread from 1 to 1e16, so tiny and huge n both occur.
func randomTally(rng *rand.Rand, s stats.Scale) stats.Tally {
	t := stats.NewTally(s)
	if rng.IntN(10) == 0 {
		return t // empty
	}
	filled := 1 + rng.IntN(s.Points())
	for range filled {
		mag := math.Pow(10, float64(rng.IntN(17)))
		n := int64(rng.Float64()*mag) + 1
		if err := t.Add(s.Min+rng.IntN(s.Points()), n); err != nil {
			panic(err)
		}
	}
	return t
}

func TestPropertyEvaluateBounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(20240310, 1))
	levels := []float64{0.8, 0.9, 0.95, 0.99, 0.999}
	for i := range 20_000 {
		s := scales[rng.IntN(len(scales))]
		tl := randomTally(rng, s)
		level := levels[rng.IntN(len(levels))]
		threshold := s.Min + rng.IntN(s.Points())
		n := tl.N()
		kinds := []stats.Options{
			{Kind: stats.CSAT, Threshold: threshold, ConfidenceLevel: level},
			{Kind: stats.CES, Threshold: threshold, ConfidenceLevel: level},
			{Kind: stats.Rating, ConfidenceLevel: level, HasThreshold: rng.IntN(2) == 0, Threshold: threshold},
		}
		if s == nps {
			kinds = append(kinds, stats.Options{Kind: stats.NPS, ConfidenceLevel: level})
		}
		for _, o := range kinds {
			r := stats.Score(tl, o)
			fail := func(what string) {
				t.Fatalf("case %d %s on %q (N=%d): %s: %+v", i, o.Kind, tl.String(), n, what, r)
			}
			if r.N != n {
				fail("N")
			}
			if n == 0 {
				if !math.IsNaN(r.Score) || !math.IsNaN(r.Lower) || !math.IsNaN(r.Mean) || !math.IsNaN(r.ThresholdPercent) {
					fail("empty tally must give NaN")
				}
				continue
			}
			lo, hi := float64(s.Min), float64(s.Max) // range of a mean
			switch o.Kind {
			case stats.NPS:
				lo, hi = -100, 100
				if sum := r.PromoterPercent + r.PassivePercent + r.DetractorPercent; math.Abs(sum-100) > 1e-9 {
					fail("category percents do not sum to 100")
				}
				if r.Promoters+r.Passives+r.Detractors != n {
					fail("categories do not sum to N")
				}
			case stats.CSAT:
				lo, hi = 0, 100
			}
			if !(r.Score >= lo && r.Score <= hi) {
				fail("score out of range")
			}
			if !(r.Mean >= float64(s.Min) && r.Mean <= float64(s.Max)) {
				fail("mean out of range")
			}
			if n >= 2 || o.Kind == stats.NPS || o.Kind == stats.CSAT {
				// The NPS interval is centred on the adjusted score, and
				// need not contain the raw one (see TestNPSAdjustedWaldProperties).
				centre := r.Score
				if o.Kind == stats.NPS {
					centre = r.AdjustedScore
				}
				if !(r.Lower <= centre && centre <= r.Upper) {
					fail("interval does not contain its centre")
				}
				if o.Kind != stats.CES && o.Kind != stats.Rating && !(r.Lower >= lo && r.Upper <= hi) {
					fail("interval leaves the score range")
				}
				if !(r.MarginOfError >= 0) || !(r.StdErr >= 0) {
					fail("negative or NaN margin or standard error")
				}
			}
			if o.Kind == stats.CSAT || o.Kind == stats.CES || o.HasThreshold {
				if !(r.ThresholdPercent >= 0 && r.ThresholdPercent <= 100) ||
					!(r.ThresholdLower <= r.ThresholdPercent && r.ThresholdPercent <= r.ThresholdUpper) ||
					!(r.ThresholdLower >= 0 && r.ThresholdUpper <= 100) {
					fail("threshold percent or its interval out of range")
				}
			} else if !math.IsNaN(r.ThresholdPercent) {
				fail("threshold percent without a threshold")
			}
		}
	}
}

func TestPropertyMergeCommutativeAssociative(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	merge := func(a, b stats.Tally) stats.Tally {
		out := a.Clone()
		if err := out.Merge(b); err != nil {
			t.Fatal(err)
		}
		return out
	}
	for range 5_000 {
		s := scales[rng.IntN(len(scales))]
		a, b, c := randomTally(rng, s), randomTally(rng, s), randomTally(rng, s)
		if ab, ba := merge(a, b), merge(b, a); !ab.Equal(ba) {
			t.Fatalf("a+b = %q, b+a = %q", ab.String(), ba.String())
		}
		if l, r := merge(merge(a, b), c), merge(a, merge(b, c)); !l.Equal(r) {
			t.Fatalf("(a+b)+c = %q, a+(b+c) = %q", l.String(), r.String())
		}
		if got := merge(a, b).N(); got != a.N()+b.N() {
			t.Fatalf("N(a+b) = %d, want %d", got, a.N()+b.N())
		}
		if e := merge(a, stats.Tally{Scale: s}); !e.Equal(a) { // empty is the identity
			t.Fatalf("a+empty = %q, want %q", e.String(), a.String())
		}
	}
}

func TestPropertyStringRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 5_000 {
		s := scales[rng.IntN(len(scales))]
		tl := randomTally(rng, s)
		text := tl.String()
		back, err := stats.ParseTally(s, text)
		if err != nil {
			t.Fatalf("ParseTally(%q): %v", text, err)
		}
		if !back.Equal(tl) || back.String() != text {
			t.Fatalf("round trip %q → %q", text, back.String())
		}
	}
}

// TestQuickNPSRange uses testing/quick (fixed seed) on the bare formulas.
func TestQuickNPSRange(t *testing.T) {
	cfg := &quick.Config{MaxCount: 20_000, Rand: mrand.New(mrand.NewSource(42))}
	npsInRange := func(p, d, pa uint32) bool {
		n := int64(p) + int64(d) + int64(pa)
		v := stats.NetPromoterScore(int64(p), int64(d), n)
		if n == 0 {
			return math.IsNaN(v)
		}
		moe := stats.NPSMarginOfError(float64(p)/float64(n), float64(d)/float64(n), n, z95)
		return v >= -100 && v <= 100 && moe >= 0
	}
	if err := quick.Check(npsInRange, cfg); err != nil {
		t.Error(err)
	}
	wilsonContains := func(x, extra uint32, zRaw uint16) bool {
		n := int64(x) + int64(extra)
		z := float64(zRaw) / 10000 // 0..6.5
		lo, hi := stats.WilsonInterval(int64(x), n, z)
		if n == 0 {
			return math.IsNaN(lo) && math.IsNaN(hi)
		}
		p := float64(x) / float64(n)
		return 0 <= lo && lo <= p && p <= hi && hi <= 1
	}
	if err := quick.Check(wilsonContains, cfg); err != nil {
		t.Error(err)
	}
}
