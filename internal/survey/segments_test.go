package survey

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
)

func plan(values ...string) cxv1alpha1.SegmentTally {
	seg := cxv1alpha1.SegmentTally{Name: "plan"}
	for i := 0; i+1 < len(values); i += 2 {
		seg.Values = append(seg.Values, cxv1alpha1.SegmentValueTally{Value: values[i], Counts: values[i+1]})
	}
	return seg
}

func expected(pairs ...string) []cxv1alpha1.ExpectedShare {
	var out []cxv1alpha1.ExpectedShare
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, cxv1alpha1.ExpectedShare{Value: pairs[i], Share: resource.MustParse(pairs[i+1])})
	}
	return out
}

func weightedNPSSpec(shares ...string) *cxv1alpha1.SurveySpec {
	return &cxv1alpha1.SurveySpec{
		Type: cxv1alpha1.SurveyNPS, Window: &metav1.Duration{Duration: 7 * 24 * time.Hour},
		Retention: &metav1.Duration{Duration: 30 * 24 * time.Hour},
		Segments:  []cxv1alpha1.SurveySegment{{Name: "plan", Expected: expected(shares...)}},
		Weighting: &cxv1alpha1.SurveyWeighting{Method: cxv1alpha1.WeightingPostStratified, Segments: []string{"plan"}},
	}
}

func statusOf(t *testing.T, spec *cxv1alpha1.SurveySpec, expected Expected, tallies ...cxv1alpha1.ResponseTally) cxv1alpha1.SurveyStatus {
	t.Helper()
	if expected == nil {
		expected = SpecExpectations(spec)
	}
	s, err := SummarizeWith(spec, "u", tallies, now, expected)
	if err != nil {
		t.Fatal(err)
	}
	var st cxv1alpha1.SurveyStatus
	s.ApplyTo(spec, &st)
	return st
}

func segmentValues(st cxv1alpha1.SurveyStatus) map[string]cxv1alpha1.SegmentValueStatus {
	out := map[string]cxv1alpha1.SegmentValueStatus{}
	for _, v := range st.Segments[0].Values {
		out[v.Value] = v
	}
	return out
}

// The acceptance example: 80 pro responses with NPS 10 and 20 free ones
// with NPS 60 (the customer base is 50/50). Unweighted NPS 20, weighted 35.
func TestWeightedNPSMovesFrom20To35(t *testing.T) {
	spec := weightedNPSSpec("pro", "0.5", "free", "0.5")
	// Previous window, sampled 50/50: pro 50 (NPS 10), free 50 (NPS 60):
	// unweighted and weighted 35.
	st := statusOf(t, spec, nil,
		tally("u", 0, "0:24 6:2 7:24 8:4 9:32 10:14", plan("pro", "0:24 7:24 9:32", "free", "6:2 8:4 10:14")),
		tally("u", 8, "0:15 6:5 7:15 8:10 9:20 10:35", plan("pro", "0:15 7:15 9:20", "free", "6:5 8:10 10:35")))

	// Weighted: 0.5·10 + 0.5·60 = 35. Interval: the adjusted Wald one of
	// each stratum (stats.PostStratify's worked example): centre 30.91, SE
	// 8.585, [14.08, 47.73], margin (half its width) 16.83.
	if st.Score != "35" || st.MarginOfError != "16.8" || *st.ConfidenceInterval != (cxv1alpha1.Interval{Lower: "14.1", Upper: "47.7"}) {
		t.Errorf("weighted score %q ± %q %+v, want 35 ± 16.8 [14.1, 47.7]", st.Score, st.MarginOfError, st.ConfidenceInterval)
	}
	// Unweighted: 46 promoters, 26 detractors of 100 = 20. Adjusted Wald:
	// p′ = 46.75/103 = 0.453883, d′ = 26.75/103 = 0.259709, centre 19.42,
	// SE √((0.713592 − 0.037704)/103)·100 = 8.1006, 19.42 ± 15.88 =
	// [3.5, 35.3]. Kish: 1/(0.25/80 + 0.25/20) = 64.
	w := st.Weighting
	if w == nil || w.Segment != "plan" || w.Method != cxv1alpha1.WeightingPostStratified || w.EffectiveResponses != "64" ||
		w.Unweighted.Score != "20" || w.Unweighted.MarginOfError != "15.9" ||
		*w.Unweighted.ConfidenceInterval != (cxv1alpha1.Interval{Lower: "3.5", Upper: "35.3"}) {
		t.Errorf("weighting %+v", w)
	} else if !strings.Contains(w.Message, "free 0.5, pro 0.5") || !strings.Contains(w.Message, "effective sample size 64 of 100") {
		t.Errorf("weighting message %q", w.Message)
	}
	// The breakdown stays the responses as received.
	if st.Responses != 100 || st.NPS.Promoters != 46 || st.NPS.Detractors != 26 {
		t.Errorf("n %d breakdown %+v", st.Responses, st.NPS)
	}
	// The trend compares weighted with weighted: 35 against 35 (the
	// unweighted scores, 20 against 35, would read Down 15).
	if st.Previous.Score != "35" || st.Trend == nil || st.Trend.Change != "0" || st.Trend.Direction != cxv1alpha1.TrendFlat {
		t.Errorf("previous %+v trend %+v, want 35 and Flat 0", st.Previous, st.Trend)
	}

	// Per value: free 20 of 100 = 0.2 against 0.5, ratio 0.4; its NPS 60,
	// adjusted Wald p′ 14.75/23, d′ 2.75/23: SE 14.576, margin
	// 1.959964·14.576 = 28.57. pro 0.8 against 0.5, ratio 1.6, NPS 10, p′
	// 32.75/83, d′ 24.75/83: SE 9.0745, margin 17.79. Nothing else: no
	// "other" (the listed shares leave no rest and every response has a
	// listed plan).
	vals := segmentValues(st)
	if len(vals) != 2 ||
		vals["free"] != (cxv1alpha1.SegmentValueStatus{Value: "free", Responses: 20, Score: "60", MarginOfError: "28.6", Share: "0.2", ExpectedShare: "0.5", Ratio: "0.4"}) ||
		vals["pro"] != (cxv1alpha1.SegmentValueStatus{Value: "pro", Responses: 80, Score: "10", MarginOfError: "17.8", Share: "0.8", ExpectedShare: "0.5", Ratio: "1.6"}) {
		t.Errorf("values %+v", vals)
	}
	// χ² = 30²/50 + 30²/50 = 36, df 1, p = erfc(√18) = 1.97e-9.
	r := st.Segments[0].Representation
	want := cxv1alpha1.SegmentRepresentation{Result: cxv1alpha1.RepresentationUnrepresentative, ChiSquare: "36", DegreesOfFreedom: 1,
		PValue: "2e-09", Message: "plan: responses over-represent pro (80% vs 50%), p < 0.001"}
	if r == nil || *r != want {
		t.Errorf("representation %+v, want %+v", r, want)
	}
	if st.Segments[0].Responses != 100 {
		t.Errorf("segment responses %d", st.Segments[0].Responses)
	}
}

// A segment value below minSegmentResponses appears nowhere in status.
func TestSmallSegmentValuesAreNeverPublished(t *testing.T) {
	spec := &cxv1alpha1.SurveySpec{Type: cxv1alpha1.SurveyNPS, MinSegmentResponses: 5,
		Segments: []cxv1alpha1.SurveySegment{{Name: "plan"}}}
	// pro 10, free 8, team 3, enterprise 2: team and enterprise fold into
	// other (5 responses, scored: 10:3 + 0:2 → NPS (3−2)/5 = 20).
	st := statusOf(t, spec, nil, tally("u", 0, "0:2 7:8 9:10 10:3",
		plan("pro", "9:10", "free", "7:8", "team", "10:3", "enterprise", "0:2")))
	vals := segmentValues(st)
	if len(vals) != 3 || vals["pro"].Score != "100" || vals["free"].Score != "0" ||
		vals["other"].Responses != 5 || vals["other"].Score != "20" {
		t.Errorf("values %+v", vals)
	}
	data, _ := json.Marshal(st)
	for _, hidden := range []string{"team", "enterprise"} {
		if strings.Contains(string(data), hidden) {
			t.Errorf("status names %s: %s", hidden, data)
		}
	}

	// pro 9, free 6, team 3: team folds, and free too, since other's 3
	// would otherwise be total − pro − free.
	st = statusOf(t, spec, nil, tally("u", 0, "0:3 7:6 9:9", plan("pro", "9:9", "free", "7:6", "team", "0:3")))
	vals = segmentValues(st)
	if len(vals) != 2 || vals["other"].Responses != 9 || vals["other"].Score != "-33.3" {
		t.Errorf("secondary fold: values %+v, want pro and other 9 (NPS −33.3)", vals)
	}

	// pro 10, team 3, and 7 responses without a plan: team's 3 hide among
	// the 10 unscored responses, and other shows its count only.
	st = statusOf(t, spec, nil, tally("u", 0, "0:3 7:7 9:10", plan("pro", "9:10", "team", "0:3")))
	vals = segmentValues(st)
	if len(vals) != 2 || vals["other"] != (cxv1alpha1.SegmentValueStatus{Value: "other", Responses: 3}) || st.Segments[0].Responses != 13 {
		t.Errorf("count-only other: %+v (segment responses %d)", vals, st.Segments[0].Responses)
	}

	// All below the floor: other with its count only.
	st = statusOf(t, spec, nil, tally("u", 0, "9:3", plan("pro", "9:2", "free", "9:1")))
	if vals := segmentValues(st); len(vals) != 1 || vals["other"] != (cxv1alpha1.SegmentValueStatus{Value: "other", Responses: 3}) {
		t.Errorf("all small: %+v", vals)
	}
}

// Responses without the weighted segment are weighted with other, whose
// share is the rest.
func TestWeightingCountsUnassignedResponsesWithOther(t *testing.T) {
	spec := weightedNPSSpec("pro", "0.4", "free", "0.4")
	// pro 10 promoters (NPS 100), free 10 detractors (−100), 6 passives
	// without a plan (other, NPS 0): 0.4·100 − 0.4·100 + 0.2·0 = 0.
	// Kish: 1/(0.16/10 + 0.16/10 + 0.04/6) = 25.86.
	st := statusOf(t, spec, nil, tally("u", 0, "0:10 7:6 10:10", plan("pro", "10:10", "free", "0:10")))
	if st.Score != "0" || st.Weighting.EffectiveResponses != "25.9" || st.Weighting.Unweighted.Score != "0" {
		t.Errorf("score %q weighting %+v", st.Score, st.Weighting)
	}
	// other is listed to show that the rest of the base (0.2) has no
	// response with a plan.
	if vals := segmentValues(st); vals["other"] != (cxv1alpha1.SegmentValueStatus{Value: "other", Responses: 0, Share: "0", ExpectedShare: "0.2", Ratio: "0"}) {
		t.Errorf("other %+v", vals["other"])
	}
	// 20 responses against 0.4/0.4/0.2 — E 8, 8, 4: other (4 < 5) merges
	// with free: 10 vs E 12 and pro 10 vs 8: χ² = 4/12 + 4/8 = 0.833, p = 0.36.
	r := st.Segments[0].Representation
	if r.Result != cxv1alpha1.RepresentationConsistent || r.PValue != "0.36" ||
		r.Message != "plan: responses are consistent with the expected shares (p = 0.36 at 95% confidence); free and other tested as one group, so that each group expects at least 5 responses" {
		t.Errorf("representation %+v", r)
	}
}

// Shares that cannot be read leave a weighted Survey without a score,
// never with the unweighted one under its name.
func TestWeightingWithoutSharesHasNoScore(t *testing.T) {
	spec := weightedNPSSpec()
	spec.Segments[0].Expected = nil
	spec.Segments[0].ExpectedFrom = &cxv1alpha1.ExpectedSharesSource{TouchpointRef: cxv1alpha1.LocalObjectReference{Name: "crm"}, MetricPrefix: "customers_"}
	exp, problem := ResolveExpected(spec, nil)
	if problem == nil || problem.Reason != cxv1alpha1.ReasonTouchpointNotFound ||
		problem.Message != `touchpoint "crm" named in spec.segments[0].expectedFrom.touchpointRef does not exist` {
		t.Errorf("problem %+v", problem)
	}
	st := statusOf(t, spec, exp, tally("u", 0, "0:10 9:10", plan("pro", "9:10", "free", "0:10")))
	if st.Score != "" || st.MarginOfError != "" || st.ConfidenceInterval != nil || st.Weighting.Unweighted.Score != "0" ||
		st.Weighting.EffectiveResponses != "" || !strings.HasPrefix(st.Weighting.Message, "not applied: the expected shares of plan are unavailable") {
		t.Errorf("status %+v weighting %+v", st, st.Weighting)
	}
	if r := st.Segments[0].Representation; r.Result != cxv1alpha1.RepresentationNotTested ||
		r.Message != `plan: no expected shares: touchpoint "crm" does not exist` {
		t.Errorf("representation %+v", r)
	}
}

func TestExpectationsFromTouchpoint(t *testing.T) {
	seg := &cxv1alpha1.SurveySegment{Name: "plan", ExpectedFrom: &cxv1alpha1.ExpectedSharesSource{
		TouchpointRef: cxv1alpha1.LocalObjectReference{Name: "crm"}, MetricPrefix: "customers_"}}
	tp := func(unit cxv1alpha1.Unit, kv ...string) *cxv1alpha1.Touchpoint {
		t := &cxv1alpha1.Touchpoint{ObjectMeta: metav1.ObjectMeta{Name: "crm"}}
		t.Status.Metrics = append(t.Status.Metrics, cxv1alpha1.MetricStatus{Name: "revenue", Value: "1000", Unit: cxv1alpha1.UnitCount})
		for i := 0; i+1 < len(kv); i += 2 {
			t.Status.Metrics = append(t.Status.Metrics, cxv1alpha1.MetricStatus{Name: kv[i], Value: kv[i+1], Unit: unit})
		}
		return t
	}
	tests := []struct {
		name    string
		tp      *cxv1alpha1.Touchpoint
		shares  map[string]float64
		problem string
	}{
		// Counts cover the base: 250/1000 and 750/1000.
		{"counts", tp(cxv1alpha1.UnitCount, "customers_pro", "250", "customers_free", "750"),
			map[string]float64{"pro": 0.25, "free": 0.75}, ""},
		// Percent / 100; the 5% left is the rest.
		{"percent", tp(cxv1alpha1.UnitPercent, "customers_pro", "25", "customers_free", "70"),
			map[string]float64{"pro": 0.25, "free": 0.70}, ""},
		// 0.5 + 0.505 = 1.005: rounding, scaled to 1.
		{"ratio rounding", tp(cxv1alpha1.UnitRatio, "customers_pro", "0.5", "customers_free", "0.505"),
			map[string]float64{"pro": 0.5 / 1.005, "free": 0.505 / 1.005}, ""},
		{"ratio above 1", tp(cxv1alpha1.UnitRatio, "customers_pro", "0.6", "customers_free", "0.45"), nil,
			`touchpoint "crm" metrics customers_*: the shares of free, pro add up to 1.05, more than 1`},
		{"no metric", tp(cxv1alpha1.UnitRatio), nil, `touchpoint "crm" has no metric named customers_<value>`},
		{"no value", &cxv1alpha1.Touchpoint{ObjectMeta: metav1.ObjectMeta{Name: "crm"}, Status: cxv1alpha1.TouchpointStatus{
			Metrics: []cxv1alpha1.MetricStatus{{Name: "customers_pro", Unit: cxv1alpha1.UnitCount, Reason: "collector crm never succeeded."}}}}, nil,
			`touchpoint "crm": metric customers_pro has no value yet (collector crm never succeeded)`},
		{"wrong unit", tp(cxv1alpha1.UnitSeconds, "customers_pro", "3"), nil,
			`touchpoint "crm": the metrics customers_* have unit seconds; shares need ratio, percent or count`},
		{"other", tp(cxv1alpha1.UnitCount, "customers_other", "3"), nil,
			`touchpoint "crm": metric customers_other names the value "other", the bucket of the values not listed`},
		{"missing", nil, nil, `touchpoint "crm" does not exist`},
	}
	for _, tt := range tests {
		e := FromTouchpoint(seg, tt.tp)
		if e.Problem != tt.problem {
			t.Errorf("%s: problem %q, want %q", tt.name, e.Problem, tt.problem)
			continue
		}
		if len(e.Shares) != len(tt.shares) {
			t.Errorf("%s: shares %v, want %v", tt.name, e.Shares, tt.shares)
		}
		for k, v := range tt.shares {
			if d := e.Shares[k] - v; d > 1e-12 || d < -1e-12 {
				t.Errorf("%s: share of %s %v, want %v", tt.name, k, e.Shares[k], v)
			}
		}
	}
	// Unusable metrics make the Ready problem ExpectedSharesUnavailable.
	spec := &cxv1alpha1.SurveySpec{Segments: []cxv1alpha1.SurveySegment{*seg}}
	_, problem := ResolveExpected(spec, map[string]*cxv1alpha1.Touchpoint{"crm": tp(cxv1alpha1.UnitRatio)})
	if problem == nil || problem.Reason != cxv1alpha1.ReasonExpectedSharesUnavailable ||
		problem.Message != `spec.segments[0].expectedFrom (segment plan): touchpoint "crm" has no metric named customers_<value>` {
		t.Errorf("problem %+v", problem)
	}
	if got := ExpectedFromTouchpoints(spec); len(got) != 1 || got[0] != "crm" {
		t.Errorf("touchpoints %v", got)
	}
}

// Values not listed in expected shares count under other, whose expected
// share is the rest; a listed value below the floor hands its share to
// other too.
func TestUnlistedValuesCountAsOther(t *testing.T) {
	spec := &cxv1alpha1.SurveySpec{Type: cxv1alpha1.SurveyNPS,
		Segments: []cxv1alpha1.SurveySegment{{Name: "plan", Expected: expected("pro", "0.3", "free", "0.6", "team", "0.05")}}}
	// pro 30, free 60, team 2 (below 5), unlisted edu 8: other = team +
	// edu = 10, expected 1 − 0.3 − 0.6 = 0.1; 100 responses.
	st := statusOf(t, spec, nil, tally("u", 0, "9:100", plan("pro", "9:30", "free", "9:60", "team", "9:2", "edu", "9:8")))
	vals := segmentValues(st)
	if len(vals) != 3 || vals["other"].Responses != 10 || vals["other"].ExpectedShare != "0.1" || vals["other"].Ratio != "1" ||
		vals["pro"].Ratio != "1" || vals["free"].Ratio != "1" {
		t.Errorf("values %+v", vals)
	}
	// A perfect fit: χ² 0, p 1.
	if r := st.Segments[0].Representation; r.Result != cxv1alpha1.RepresentationConsistent || r.ChiSquare != "0" || r.PValue != "1" {
		t.Errorf("representation %+v", r)
	}
}

// The Survey status example of the README ("kubectl get svy
// relationship-nps -o yaml"): 88 responses, 46 promoters, 28 passives, 14
// detractors; plan free 31 (12/10/9), pro 36 (22/11/3), and team 12 and
// plus 9, not listed, under other (12/7/2); expected free 0.55, pro 0.25.
func TestReadmeStatusExample(t *testing.T) {
	spec := weightedNPSSpec("free", "0.55", "pro", "0.25")
	st := statusOf(t, spec, nil, tally("u", 0, "0:14 7:28 9:46",
		plan("free", "0:9 7:10 9:12", "pro", "0:3 7:11 9:22", "team", "0:1 7:4 9:7", "plus", "0:1 7:3 9:5")))
	// Weighted: 0.55·9.68 + 0.25·52.78 + 0.2·47.62 = 28.04; unweighted 36.4.
	// Intervals by the adjusted Wald method, per stratum for the weighted
	// one: free p′ 12.75/34, d′ 9.75/34; pro p′ 22.75/39, d′ 3.75/39; other
	// p′ 12.75/24, d′ 2.75/24 → centre 25.37, SE 8.552, [8.6, 42.1],
	// margin 16.76. Unweighted: p′ 46.75/91, d′ 14.75/91 → centre 35.16,
	// SE 7.790, [19.9, 50.4], margin 15.27. Per value (half widths): free
	// 27.18, pro 20.87, other 27.49.
	// Kish: 1/(0.55²/31 + 0.25²/36 + 0.2²/21) = 74.6.
	// χ²: E 48.4, 22, 17.6 → 17.4²/48.4 + 14²/22 + 3.4²/17.6 = 15.82, df 2,
	// p = e^(−15.82/2) = 0.00037.
	if st.Score != "28" || st.MarginOfError != "16.8" || *st.ConfidenceInterval != (cxv1alpha1.Interval{Lower: "8.6", Upper: "42.1"}) ||
		st.Weighting.EffectiveResponses != "74.6" ||
		!reflect.DeepEqual(*st.Weighting.Unweighted, cxv1alpha1.UnweightedScore{Score: "36.4", MarginOfError: "15.3", ConfidenceInterval: &cxv1alpha1.Interval{Lower: "19.9", Upper: "50.4"}}) ||
		st.Weighting.Message != "score weighted by the expected shares of plan (free 0.55, pro 0.25, other 0.2); effective sample size 74.6 of 88 responses" {
		t.Errorf("score %s ± %s %+v, weighting %+v %+v", st.Score, st.MarginOfError, st.ConfidenceInterval, st.Weighting, st.Weighting.Unweighted)
	}
	want := []cxv1alpha1.SegmentValueStatus{
		{Value: "free", Responses: 31, Score: "9.7", MarginOfError: "27.2", Share: "0.352", ExpectedShare: "0.55", Ratio: "0.64"},
		{Value: "pro", Responses: 36, Score: "52.8", MarginOfError: "20.9", Share: "0.409", ExpectedShare: "0.25", Ratio: "1.64"},
		{Value: "other", Responses: 21, Score: "47.6", MarginOfError: "27.5", Share: "0.239", ExpectedShare: "0.2", Ratio: "1.19"},
	}
	for i, v := range want {
		if st.Segments[0].Values[i] != v {
			t.Errorf("value %d: %+v, want %+v", i, st.Segments[0].Values[i], v)
		}
	}
	r := *st.Segments[0].Representation
	if r != (cxv1alpha1.SegmentRepresentation{Result: cxv1alpha1.RepresentationUnrepresentative, ChiSquare: "15.82", DegreesOfFreedom: 2,
		PValue: "0.00037", Message: "plan: responses over-represent pro (41% vs 25%), p < 0.001"}) {
		t.Errorf("representation %+v", r)
	}
}
