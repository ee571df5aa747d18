package verdict

import (
	"math"
	"strings"
	"testing"
)

func atLeast(v float64) Bounds    { return Bounds{Min: new(v)} }
func atMost(v float64) Bounds     { return Bounds{Max: new(v)} }
func between(a, b float64) Bounds { return Bounds{Min: new(a), Max: new(b)} }

func value(name string, v float64, target Bounds, warning *Bounds, weight int32) Objective {
	return Objective{Name: name, Value: v, HasValue: true, Target: target, Warning: warning, Weight: weight}
}

func TestJudge(t *testing.T) {
	for _, tc := range []struct {
		name   string
		o      Objective
		result Result
		earned float64
		reason string
	}{
		// target >= 80, warning >= 70, weight 3.
		{"above min passes", value("csat", 85, atLeast(80), new(atLeast(70)), 3), Pass, 3, "85 is inside the target >= 80"},
		{"min is inclusive", value("csat", 80, atLeast(80), new(atLeast(70)), 3), Pass, 3, ""},
		{"warning band earns half", value("csat", 75, atLeast(80), new(atLeast(70)), 3), Warning, 1.5,
			"75 misses the target >= 80 but is inside the warning band >= 70"},
		{"warning min is inclusive", value("csat", 70, atLeast(80), new(atLeast(70)), 3), Warning, 1.5, ""},
		{"below warning fails", value("csat", 69.9, atLeast(80), new(atLeast(70)), 3), Fail, 0,
			"69.9 is outside the target >= 80 and the warning band >= 70"},
		// target <= 7200, warning <= 14400, weight 2.
		{"below max passes", value("first-response", 3600, atMost(7200), new(atMost(14400)), 2), Pass, 2, ""},
		{"max is inclusive", value("first-response", 7200, atMost(7200), new(atMost(14400)), 2), Pass, 2, ""},
		{"max warning band", value("first-response", 10000, atMost(7200), new(atMost(14400)), 2), Warning, 1, ""},
		{"above max warning fails", value("first-response", 20000, atMost(7200), new(atMost(14400)), 2), Fail, 0, ""},
		// target 0.5 .. 2, warning 0.25 .. 3, weight 1.
		{"inside range", value("ratio", 1, between(0.5, 2), new(between(0.25, 3)), 1), Pass, 1, "1 is inside the target 0.5 .. 2"},
		{"below range in band", value("ratio", 0.3, between(0.5, 2), new(between(0.25, 3)), 1), Warning, 0.5, ""},
		{"above range in band", value("ratio", 2.5, between(0.5, 2), new(between(0.25, 3)), 1), Warning, 0.5, ""},
		{"below band", value("ratio", 0.1, between(0.5, 2), new(between(0.25, 3)), 1), Fail, 0, ""},
		{"above band", value("ratio", 3.01, between(0.5, 2), new(between(0.25, 3)), 1), Fail, 0, ""},
		// No warning band: outside the target is a failure.
		{"no band fails", value("errors", 0.03, atMost(0.02), nil, 1), Fail, 0, "0.03 is outside the target <= 0.02"},
		// Weight 0 (unset in memory) counts as 1.
		{"weight defaults to 1", value("x", 1, atLeast(0), nil, 0), Pass, 1, ""},
		// No data.
		{"no value", Objective{Name: "nps", Target: atLeast(30), Weight: 3, NoDataReason: "survey nps has insufficient data"},
			NoData, 0, "survey nps has insufficient data"},
		{"no value without reason", Objective{Name: "nps", Target: atLeast(30), Weight: 3}, NoData, 0, "no value"},
		{"NaN is no data", value("nan", math.NaN(), atLeast(0), nil, 1), NoData, 0, "the value NaN is not a finite number"},
		{"Inf is no data", value("inf", math.Inf(1), atLeast(0), nil, 1), NoData, 0, "the value +Inf is not a finite number"},
		// A key objective says so when it fails the card.
		{"key fail", Objective{Name: "k", Value: 1, HasValue: true, Target: atLeast(2), Weight: 1, Key: true}, Fail, 0,
			"1 is outside the target >= 2 (key objective: fails the card)"},
		{"key no data", Objective{Name: "k", Target: atLeast(2), Weight: 1, Key: true, NoDataReason: "gone"}, NoData, 0,
			"gone (key objective: fails the card)"},
		{"key warning does not fail", Objective{Name: "k", Value: 1.5, HasValue: true, Target: atLeast(2), Warning: new(atLeast(1)),
			Weight: 2, Key: true}, Warning, 1, "1.5 misses the target >= 2 but is inside the warning band >= 1"},
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

func TestJudgeCard(t *testing.T) {
	th := Thresholds{Pass: 90, Warning: 75}
	pass := func(name string, w int32) Objective { return value(name, 1, atLeast(1), new(atLeast(0)), w) }
	warn := func(name string, w int32) Objective { return value(name, 0.5, atLeast(1), new(atLeast(0)), w) }
	fail := func(name string, w int32) Objective { return value(name, -1, atLeast(1), new(atLeast(0)), w) }
	noData := func(name string, w int32) Objective { return Objective{Name: name, Target: atLeast(1), Weight: w} }
	key := func(o Objective) Objective { o.Key = true; return o }

	for _, tc := range []struct {
		name       string
		objectives []Objective
		th         Thresholds
		score      float64
		result     Result
		failedKeys []string
		noData     []string
		reason     string
	}{
		{
			// 1 + 1 + 1 = 3 of 3 = 100 -> Pass.
			name: "all pass", objectives: []Objective{pass("a", 1), pass("b", 1), pass("c", 1)},
			score: 100, result: Pass, reason: "score 100 is at or above the pass threshold 90",
		},
		{
			// weights 3,1,2: Pass 3 + Warning 0.5 + Fail 0 = 3.5 of 6 = 58.33 -> Fail (< 75).
			name: "worked example", objectives: []Objective{pass("a", 3), warn("b", 1), fail("c", 2)},
			score: 3.5 * 100 / 6, result: Fail, reason: "score 58.33 is below the warning threshold 75",
		},
		{
			// 9 passes and 1 fail, weight 1 each: 9 of 10 = 90 -> Pass (the threshold is inclusive).
			name:       "pass threshold inclusive",
			objectives: []Objective{pass("a", 9), fail("b", 1)},
			score:      90, result: Pass,
		},
		{
			// Pass 8 + Warning 1 (weight 2) + Fail 0 (weight 2) = 9 of 12 = 75 -> Warning (inclusive).
			name:       "warning threshold inclusive",
			objectives: []Objective{pass("a", 8), warn("b", 2), fail("c", 2)},
			score:      75, result: Warning,
			reason: "score 75 is below the pass threshold 90, at or above the warning threshold 75",
		},
		{
			// Pass 3 + Warning 1 (weight 2) = 4 of 5 = 80 -> Warning.
			name: "warning", objectives: []Objective{pass("a", 3), warn("b", 2)},
			score: 80, result: Warning,
		},
		{
			// NoData scores like Fail: Pass 3 + NoData 0 (weight 1) = 3 of 4 = 75 -> Warning.
			name: "no data scores zero", objectives: []Objective{pass("a", 3), noData("b", 1)},
			score: 75, result: Warning, noData: []string{"b"},
		},
		{
			// All without data: 0 of 2 = 0 -> Fail, never met.
			name: "nothing but no data", objectives: []Objective{noData("a", 1), noData("b", 1)},
			score: 0, result: Fail, noData: []string{"a", "b"},
		},
		{
			// A failing key objective fails the card but keeps the score:
			// Pass 10 + Fail 0 (weight 1, key) = 10 of 11 = 90.91, above 90 -> still Fail.
			name: "failing key fails the card", objectives: []Objective{pass("a", 10), key(fail("k", 1))},
			score: 1000.0 / 11, result: Fail, failedKeys: []string{"k"},
			reason: "key objective k failed or has no data (score 90.91)",
		},
		{
			// A key objective without data fails the card too: 10 of 11 = 90.91 -> Fail.
			name: "key without data fails the card", objectives: []Objective{pass("a", 10), key(noData("k", 1))},
			score: 1000.0 / 11, result: Fail, failedKeys: []string{"k"}, noData: []string{"k"},
		},
		{
			// A key objective that only warns does not fail the card:
			// Pass 10 + Warning 0.5 = 10.5 of 11 = 95.45 -> Pass.
			name: "warning key does not fail the card", objectives: []Objective{pass("a", 10), key(warn("k", 1))},
			score: 1050.0 / 11, result: Pass,
		},
		{
			// Custom thresholds 80 / 60: Pass 2 + Warning 1 (2) + Fail 0 (1) = 3 of 5 = 60 -> Warning.
			name: "custom thresholds", th: Thresholds{Pass: 80, Warning: 60},
			objectives: []Objective{pass("a", 2), warn("b", 2), fail("c", 1)},
			score:      60, result: Warning,
		},
		{
			// Custom thresholds 80 / 60: Pass 1 + Warning 0.5 + Fail 0 + Fail 0 = 1.5 of 4 = 37.5 -> Fail.
			name: "custom thresholds fail", th: Thresholds{Pass: 80, Warning: 60},
			objectives: []Objective{pass("a", 1), warn("b", 1), fail("c", 1), fail("d", 1)},
			score:      37.5, result: Fail,
		},
		{
			name: "no objectives", objectives: nil, score: 0, result: Fail, reason: "no objectives",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			thresholds := th
			if tc.th != (Thresholds{}) {
				thresholds = tc.th
			}
			c := JudgeCard(tc.objectives, thresholds)
			if math.Abs(c.Score-tc.score) > 1e-9 || c.Result != tc.result {
				t.Fatalf("got score %v %s, want %v %s (%s)", c.Score, c.Result, tc.score, tc.result, c.Reason)
			}
			if strings.Join(c.FailedKeys, ",") != strings.Join(tc.failedKeys, ",") {
				t.Fatalf("failed keys %v, want %v", c.FailedKeys, tc.failedKeys)
			}
			if strings.Join(c.NoData, ",") != strings.Join(tc.noData, ",") {
				t.Fatalf("no data %v, want %v", c.NoData, tc.noData)
			}
			if tc.reason != "" && c.Reason != tc.reason {
				t.Fatalf("reason %q, want %q", c.Reason, tc.reason)
			}
			if len(c.Objectives) != len(tc.objectives) {
				t.Fatalf("%d objective results for %d objectives", len(c.Objectives), len(tc.objectives))
			}
		})
	}
}

func TestWholeScoresAreExact(t *testing.T) {
	// Every whole percentage must come out exact, so that 9 of 10 meets a
	// pass threshold of 90 instead of scoring 89.99999.
	for total := int32(2); total <= 100; total++ {
		for passed := int32(1); passed < total; passed++ {
			c := JudgeCard([]Objective{
				value("p", 1, atLeast(0), nil, passed),
				value("f", -1, atLeast(0), nil, total-passed),
			}, Thresholds{Pass: 90, Warning: 75})
			if passed*100%total == 0 && c.Score != float64(passed*100/total) {
				t.Fatalf("%d of %d: score %v, want %d", passed, total, c.Score, passed*100/total)
			}
		}
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		num  string
		scor string
	}{
		{0.6, "0.6", "0.6"},
		{7200, "7200", "7200"},
		{2.0 / 3, "0.6667", "0.67"},
		{3.5 * 100 / 6, "58.3333", "58.33"},
		{-0.00001, "0", "0"},
		{100, "100", "100"},
		{-12.5, "-12.5", "-12.5"},
	} {
		if got := FormatNumber(tc.v); got != tc.num {
			t.Errorf("FormatNumber(%v) = %q, want %q", tc.v, got, tc.num)
		}
		if got := FormatScore(tc.v); got != tc.scor {
			t.Errorf("FormatScore(%v) = %q, want %q", tc.v, got, tc.scor)
		}
	}
	for _, tc := range []struct {
		b    Bounds
		want string
	}{
		{atLeast(80), ">= 80"},
		{atMost(0.02), "<= 0.02"},
		{between(0.5, 2), "0.5 .. 2"},
		{Bounds{}, "any value"},
	} {
		if got := tc.b.String(); got != tc.want {
			t.Errorf("%v.String() = %q, want %q", tc.b, got, tc.want)
		}
	}
}
