package verdict

import (
	"strings"
	"testing"
)

// confident is an objective with decision Confident and a 95% NPS interval.
func confident(v, lo, hi float64, target Bounds, warning *Bounds, weight int32) Objective {
	o := value("nps", v, target, warning, weight)
	o.Decision = Confident
	o.Interval = &Interval{Lower: lo, Upper: hi, Level: 0.95, Label: "NPS"}
	return o
}

func TestJudgeConfident(t *testing.T) {
	band := new(atLeast(10))
	for _, tc := range []struct {
		name   string
		o      Objective
		result Result
		earned float64
		reason string
	}{
		// target >= 30, warning >= 10, weight 3.
		{"whole interval inside passes", confident(41.5, 35, 48, atLeast(30), band, 3), Pass, 3,
			"NPS 41.5, 95% interval 35..48: inside the target >= 30"},
		{"lower end on the bound passes (inclusive)", confident(40, 30, 50, atLeast(30), band, 3), Pass, 3, ""},
		// The example: the estimate passes, the interval cannot tell.
		{"straddling the target is inconclusive", confident(32.9, 21.2, 44.6, atLeast(30), band, 3), Inconclusive, 1.5,
			"NPS 32.9, 95% interval 21.2..44.6: cannot tell whether >= 30"},
		{"outside the target, inside the band warns", confident(19.5, 12, 27, atLeast(30), band, 3), Warning, 1.5,
			"NPS 19.5, 95% interval 12..27: misses the target >= 30 but is inside the warning band >= 10"},
		{"outside the target, straddling the band is inconclusive", confident(13, 4, 22, atLeast(30), band, 3), Inconclusive, 1.5,
			"NPS 13, 95% interval 4..22: misses the target >= 30, cannot tell whether >= 10"},
		{"wholly outside the band fails", confident(-0.5, -9, 8, atLeast(30), band, 3), Fail, 0,
			"NPS -0.5, 95% interval -9..8: outside the target >= 30 and the warning band >= 10"},
		// No warning band: wholly outside the target fails, straddling is inconclusive.
		{"no band: outside fails", confident(20, 12, 28, atLeast(30), nil, 2), Fail, 0,
			"NPS 20, 95% interval 12..28: outside the target >= 30"},
		{"no band: straddling is inconclusive", confident(28, 20, 36, atLeast(30), nil, 2), Inconclusive, 1, ""},
		// Upper bounds and ranges.
		{"max straddled", confident(7000, 6000, 8000, atMost(7200), nil, 1), Inconclusive, 0.5,
			"NPS 7000, 95% interval 6000..8000: cannot tell whether <= 7200"},
		{"range straddled on both sides", confident(1, 0.2, 2.5, between(0.5, 2), new(between(0.1, 3)), 1), Inconclusive, 0.5,
			"NPS 1, 95% interval 0.2..2.5: cannot tell whether within 0.5 .. 2"},
		{"range straddled on one side", confident(1, 0.2, 1.5, between(0.5, 2), nil, 1), Inconclusive, 0.5,
			"NPS 1, 95% interval 0.2..1.5: cannot tell whether >= 0.5"},
		{"range above, inside the band", confident(2.4, 2.2, 2.6, between(0.5, 2), new(between(0.1, 3)), 1), Warning, 0.5, ""},
		// The interval is widened to contain the estimate: one promoter
		// (NPS 100, adjusted interval -48.5..98.5) against >= 99 cannot
		// fail confidently; it is inconclusive.
		{"estimate outside its interval", confident(100, -48.5, 98.5, atLeast(99), nil, 1), Inconclusive, 0.5,
			"NPS 100, 95% interval -48.5..98.5: cannot tell whether >= 99"},
		// A key objective fails the card only on a confident failure.
		{"key inconclusive does not fail the card", func() Objective {
			o := confident(32.9, 21.2, 44.6, atLeast(30), band, 3)
			o.Key = true
			return o
		}(), Inconclusive, 1.5, "NPS 32.9, 95% interval 21.2..44.6: cannot tell whether >= 30"},
		{"key confident failure", func() Objective {
			o := confident(-0.5, -9, 8, atLeast(30), band, 3)
			o.Key = true
			return o
		}(), Fail, 0, "NPS -0.5, 95% interval -9..8: outside the target >= 30 and the warning band >= 10 (key objective: fails the card)"},
		// Without an interval, Confident judges the estimate and says so.
		{"no interval: judged as an estimate", func() Objective {
			o := value("answers", 25, atLeast(30), nil, 1)
			o.Decision = Confident
			return o
		}(), Fail, 0, "25 is outside the target >= 30 (decision Confident: the source publishes no interval, so the estimate is judged)"},
		{"unusable interval: judged as an estimate", func() Objective {
			o := confident(32.9, 44.6, 21.2, atLeast(30), band, 3) // reversed
			return o
		}(), Pass, 3, "32.9 is inside the target >= 30 (decision Confident: the source publishes no interval, so the estimate is judged)"},
		// Estimate ignores the interval.
		{"estimate ignores the interval", func() Objective {
			o := confident(32.9, 21.2, 44.6, atLeast(30), band, 3)
			o.Decision = Estimate
			return o
		}(), Pass, 3, "32.9 is inside the target >= 30"},
		// No data stays no data.
		{"no data", Objective{Name: "nps", Target: atLeast(30), Weight: 3, Decision: Confident, NoDataReason: "too few answers",
			Interval: &Interval{Lower: 1, Upper: 2, Level: 0.95}}, NoData, 0, "too few answers"},
		// A level outside (0, 1) is not printed as a percentage.
		{"unknown level", func() Objective {
			o := confident(32.9, 21.2, 44.6, atLeast(30), band, 3)
			o.Interval.Level, o.Interval.Label = 0, ""
			return o
		}(), Inconclusive, 1.5, "32.9, interval 21.2..44.6: cannot tell whether >= 30"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Judge(tc.o)
			if r.Result != tc.result || r.Earned != tc.earned {
				t.Fatalf("got %s earning %v, want %s earning %v (%s)", r.Result, r.Earned, tc.result, tc.earned, r.Reason)
			}
			if tc.reason != "" && r.Reason != tc.reason {
				t.Fatalf("reason %q, want %q", r.Reason, tc.reason)
			}
			if r.Met() != (tc.result == Pass) {
				t.Fatalf("Met() = %v for %s", r.Met(), r.Result)
			}
		})
	}
}

// TestJudgeCardInconclusive: an Inconclusive objective earns half its
// weight, is listed, and does not fail the card even as a key objective.
func TestJudgeCardInconclusive(t *testing.T) {
	nps := confident(32.9, 21.2, 44.6, atLeast(30), new(atLeast(10)), 3)
	nps.Key = true
	other := value("csat", 85, atLeast(80), nil, 1)
	// Inconclusive 1.5 of 3 + Pass 1 = 2.5 of 4 = 62.5 -> Fail by score
	// (< 75), not through the key objective.
	c := JudgeCard([]Objective{nps, other}, Thresholds{Pass: 90, Warning: 75})
	if c.Score != 62.5 || c.Result != Fail || len(c.FailedKeys) != 0 {
		t.Fatalf("score %v %s, failed keys %v; want 62.5 Fail by score, no failed key", c.Score, c.Result, c.FailedKeys)
	}
	if strings.Join(c.Inconclusive, ",") != "nps" {
		t.Fatalf("inconclusive %v, want [nps]", c.Inconclusive)
	}
	if c.Reason != "score 62.5 is below the warning threshold 75" {
		t.Fatalf("reason %q", c.Reason)
	}
	// With thresholds 60 / 50 the same card passes: an inconclusive key
	// objective never fails it.
	if c := JudgeCard([]Objective{nps, other}, Thresholds{Pass: 60, Warning: 50}); c.Result != Pass {
		t.Fatalf("thresholds 60/50: %s (%s), want Pass", c.Result, c.Reason)
	}
}
