package scorecard_test

import (
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/fixtures"
	"github.com/touchstone-dev/touchstone/internal/scorecard"
	"github.com/touchstone-dev/touchstone/internal/scorecard/verdict"
)

func TestQuantityFloatIsTheExactDecimal(t *testing.T) {
	for in, want := range map[string]float64{
		"0.6":   0.6, // not 0.6000000000000001: a value of 0.6 meets a maximum of 0.6
		"1500m": 1.5,
		"7200":  7200,
		"2k":    2000,
		"1e3":   1000,
		"-0.25": -0.25,
		"0":     0,
	} {
		if got := scorecard.QuantityFloat(resource.MustParse(in)); got != want {
			t.Errorf("QuantityFloat(%s) = %v, want %v", in, got, want)
		}
	}
}

func TestBounds(t *testing.T) {
	for in, want := range map[string]string{
		"80..":   ">= 80",
		"..7200": "<= 7200",
		"0.5..2": "0.5 .. 2",
		"..":     "any value",
	} {
		if got := scorecard.Bounds(fixtures.Target(in)).String(); got != want {
			t.Errorf("Bounds(%s) = %s, want %s", in, got, want)
		}
	}
	// The reason for QuantityFloat: a ratio of exactly 0.6 meets "at most 0.6".
	if !scorecard.Bounds(fixtures.Target("..0.6")).Contains(0.6) {
		t.Error("0.6 is outside the target <= 0.6")
	}
	if scorecard.Bounds(fixtures.Target("0.6..")).Contains(0.5999) {
		t.Error("0.5999 is inside the target >= 0.6")
	}
}

func TestThresholds(t *testing.T) {
	if got, want := scorecard.Thresholds(&cxv1alpha1.ScorecardSpec{}), (verdict.Thresholds{Pass: 90, Warning: 75}); got != want {
		t.Errorf("defaults: %+v, want %+v", got, want)
	}
	spec := &cxv1alpha1.ScorecardSpec{Thresholds: &cxv1alpha1.Thresholds{Pass: *fixtures.Quantity("92.5"), Warning: *fixtures.Quantity("60")}}
	if got, want := scorecard.Thresholds(spec), (verdict.Thresholds{Pass: 92.5, Warning: 60}); got != want {
		t.Errorf("set: %+v, want %+v", got, want)
	}
}

func TestInputHasTheSpecButNoValue(t *testing.T) {
	w := fixtures.Target("70..")
	in := scorecard.Input(cxv1alpha1.Objective{Name: "csat", Target: fixtures.Target("80.."), Warning: &w, Key: true})
	if in.Name != "csat" || in.Weight != 1 || !in.Key || in.HasValue {
		t.Errorf("input %+v: want csat, weight 1 (the default), key, no value", in)
	}
	if in.Target.String() != ">= 80" || in.Warning == nil || in.Warning.String() != ">= 70" {
		t.Errorf("target %s, warning %v: want >= 80 and >= 70", in.Target, in.Warning)
	}
	if in := scorecard.Input(cxv1alpha1.Objective{Name: "backlog", Target: fixtures.Target("..15"), Weight: 4}); in.Weight != 4 || in.Warning != nil {
		t.Errorf("input %+v: want weight 4 and no warning band", in)
	}
}

func TestSetValue(t *testing.T) {
	for _, tc := range []struct {
		text, reason string
		value        float64
		hasValue     bool
		wantReason   string
	}{
		{text: "72.5", value: 72.5, hasValue: true},
		{text: "-12", value: -12, hasValue: true},
		{reason: `survey "csat" has not been evaluated yet`, wantReason: `survey "csat" has not been evaluated yet`},
		{text: "n/a", wantReason: `the source published "n/a", which is not a number`},
	} {
		in := verdict.Objective{Name: "o"}
		scorecard.SetValue(&in, tc.text, tc.reason)
		if in.HasValue != tc.hasValue || in.Value != tc.value || in.NoDataReason != tc.wantReason {
			t.Errorf("SetValue(%q, %q) = %v/%v/%q, want %v/%v/%q", tc.text, tc.reason,
				in.Value, in.HasValue, in.NoDataReason, tc.value, tc.hasValue, tc.wantReason)
		}
	}
}

// survey is an evaluated Survey; sufficient is the DataSufficient status,
// "" for no condition.
func survey(sufficient metav1.ConditionStatus, mutate func(*cxv1alpha1.SurveyStatus)) *cxv1alpha1.Survey {
	svy := &cxv1alpha1.Survey{ObjectMeta: metav1.ObjectMeta{Name: "csat"}}
	svy.Status = cxv1alpha1.SurveyStatus{
		ObservedGeneration: 1, Responses: 12,
		Score: "42", MarginOfError: "6.1", Mean: "4.2", ThresholdPercent: "81.5",
	}
	if sufficient != "" {
		svy.Status.Conditions = []metav1.Condition{{Type: cxv1alpha1.ConditionDataSufficient, Status: sufficient, Message: "12 of 30 responses"}}
	}
	if mutate != nil {
		mutate(&svy.Status)
	}
	return svy
}

func TestSurveyValue(t *testing.T) {
	nps := func(st *cxv1alpha1.SurveyStatus) {
		st.NPS = &cxv1alpha1.NPSBreakdown{PromoterPercent: "55", DetractorPercent: "13"}
	}
	for _, tc := range []struct {
		name      string
		svy       *cxv1alpha1.Survey
		value     cxv1alpha1.SurveyValue
		text, why string
	}{
		{"not evaluated", survey(metav1.ConditionTrue, func(st *cxv1alpha1.SurveyStatus) { st.ObservedGeneration = 0 }),
			cxv1alpha1.SurveyValueResponses, "", `survey "csat" has not been evaluated yet`},
		// The sample size is readable whatever it is: that is what an
		// "enough answers" objective checks.
		{"responses below the minimum", survey(metav1.ConditionFalse, nil), cxv1alpha1.SurveyValueResponses, "12", ""},
		{"score below the minimum", survey(metav1.ConditionFalse, nil), cxv1alpha1.SurveyValueScore,
			"", `survey "csat" has insufficient data: 12 of 30 responses`},
		{"no DataSufficient condition", survey("", nil), cxv1alpha1.SurveyValueScore,
			"", `survey "csat" has not reported whether its data is sufficient`},
		{"score by default", survey(metav1.ConditionTrue, nil), "", "42", ""},
		{"margin of error", survey(metav1.ConditionTrue, nil), cxv1alpha1.SurveyValueMarginOfError, "6.1", ""},
		{"mean", survey(metav1.ConditionTrue, nil), cxv1alpha1.SurveyValueMean, "4.2", ""},
		{"threshold percent", survey(metav1.ConditionTrue, nil), cxv1alpha1.SurveyValueThresholdPercent, "81.5", ""},
		{"promoters", survey(metav1.ConditionTrue, nps), cxv1alpha1.SurveyValuePromoterPercent, "55", ""},
		{"detractors", survey(metav1.ConditionTrue, nps), cxv1alpha1.SurveyValueDetractorPercent, "13", ""},
		{"promoters of a non-NPS survey", survey(metav1.ConditionTrue, nil), cxv1alpha1.SurveyValuePromoterPercent,
			"", `survey "csat" publishes no PromoterPercent`},
		{"an empty value", survey(metav1.ConditionTrue, func(st *cxv1alpha1.SurveyStatus) { st.Mean = "" }), cxv1alpha1.SurveyValueMean,
			"", `survey "csat" publishes no Mean`},
		{"forecast", survey(metav1.ConditionTrue, func(st *cxv1alpha1.SurveyStatus) {
			st.Forecast = &cxv1alpha1.SurveyForecast{Score: "38.5", Lower: "35.5", Upper: "41.5", BasedOnDays: 28}
		}), cxv1alpha1.SurveyValueForecast, "38.5", ""},
		{"no forecast yet", survey(metav1.ConditionTrue, func(st *cxv1alpha1.SurveyStatus) {
			st.Forecast = &cxv1alpha1.SurveyForecast{BasedOnDays: 9, Reason: "9 of the 14 days with responses a forecast needs, in the last 30 days"}
		}), cxv1alpha1.SurveyValueForecast, "", `survey "csat" has no forecast: 9 of the 14 days with responses a forecast needs, in the last 30 days`},
		{"no forecast field", survey(metav1.ConditionTrue, nil), cxv1alpha1.SurveyValueForecast,
			"", `survey "csat" has no forecast: it has not made one yet`},
		// A forecast from too few responses is not read either.
		{"forecast below the minimum", survey(metav1.ConditionFalse, func(st *cxv1alpha1.SurveyStatus) {
			st.Forecast = &cxv1alpha1.SurveyForecast{Score: "38.5", BasedOnDays: 28}
		}), cxv1alpha1.SurveyValueForecast, "", `survey "csat" has insufficient data: 12 of 30 responses`},
	} {
		text, why := scorecard.SurveyValue(tc.svy, tc.value)
		if text != tc.text || why != tc.why {
			t.Errorf("%s: got %q, %q; want %q, %q", tc.name, text, why, tc.text, tc.why)
		}
	}
}

func TestTouchpointValue(t *testing.T) {
	tp := &cxv1alpha1.Touchpoint{ObjectMeta: metav1.ObjectMeta{Name: "helpdesk"}}
	tp.Status.Metrics = []cxv1alpha1.MetricStatus{
		{Name: "backlog_per_agent", Value: "12.5"},
		{Name: "churn_ratio", Reason: "division by zero: customers_at_start is 0"},
		{Name: "first_response_seconds"},
	}
	for metric, want := range map[string][2]string{
		"backlog_per_agent":      {"12.5", ""},
		"churn_ratio":            {"", `touchpoint "helpdesk" metric churn_ratio has no value: division by zero: customers_at_start is 0`},
		"first_response_seconds": {"", `touchpoint "helpdesk" metric first_response_seconds has no value yet`},
		"csat":                   {"", `touchpoint "helpdesk" has no metric csat (yet)`},
	} {
		text, why := scorecard.TouchpointValue(tp, metric)
		if [2]string{text, why} != want {
			t.Errorf("%s: got %q, %q; want %q", metric, text, why, want)
		}
	}
}

func TestNestedCardValue(t *testing.T) {
	sc := &cxv1alpha1.Scorecard{ObjectMeta: metav1.ObjectMeta{Name: "stage"}}
	if text, why := scorecard.NestedCardValue(sc); text != "" || why != `scorecard "stage" has no score yet` {
		t.Errorf("unscored card: %q, %q", text, why)
	}
	sc.Status.Score = "58.33"
	if text, why := scorecard.NestedCardValue(sc); text != "58.33" || why != "" {
		t.Errorf("scored card: %q, %q", text, why)
	}
}

func TestSourceNotFoundAndCycleReason(t *testing.T) {
	for _, tc := range []struct {
		o            cxv1alpha1.Objective
		missing, why string
	}{
		{cxv1alpha1.Objective{Name: "csat", Survey: &cxv1alpha1.SurveySource{Name: "support-csat"}},
			`survey "support-csat" (objective csat)`, `survey "support-csat" does not exist`},
		{cxv1alpha1.Objective{Name: "backlog", Touchpoint: &cxv1alpha1.TouchpointSource{Name: "helpdesk", Metric: "backlog"}},
			`touchpoint "helpdesk" (objective backlog)`, `touchpoint "helpdesk" does not exist`},
		{cxv1alpha1.Objective{Name: "purchase", Scorecard: &cxv1alpha1.LocalObjectReference{Name: "purchase-experience"}},
			`scorecard "purchase-experience" (objective purchase)`, `scorecard "purchase-experience" does not exist`},
		{cxv1alpha1.Objective{Name: "nothing"}, "", ""},
	} {
		missing, why := scorecard.SourceNotFound(tc.o)
		if missing != tc.missing || why != tc.why {
			t.Errorf("%s: got %q, %q; want %q, %q", tc.o.Name, missing, why, tc.missing, tc.why)
		}
	}
	if got := scorecard.CycleReason([]string{"journey", "stage", "journey"}); got != "reference cycle: journey -> stage -> journey" {
		t.Errorf("CycleReason: %q", got)
	}
}

// workedCard is the worked example of internal/scorecard/verdict: thresholds
// 90 / 75; csat (weight 3, key, >= 80, warning >= 70) reads 85 and
// passes; backlog (weight 1, <= 15, warning <= 25) reads 20 and warns;
// first-response (weight 2, <= 7200) has no data. Earned 3 + 0.5 + 0 = 3.5
// of 6: score 58.33, below 75: Fail.
func workedCard() (*cxv1alpha1.ScorecardSpec, []verdict.Objective, verdict.CardResult) {
	csatWarning, backlogWarning := fixtures.Target("70.."), fixtures.Target("..25")
	spec := &cxv1alpha1.ScorecardSpec{Objectives: []cxv1alpha1.Objective{
		{Name: "csat", Weight: 3, Key: true, Target: fixtures.Target("80.."), Warning: &csatWarning},
		{Name: "backlog", Weight: 1, Target: fixtures.Target("..15"), Warning: &backlogWarning},
		{Name: "first-response", Weight: 2, Target: fixtures.Target("..7200")},
	}}
	values := [][2]string{{"85", ""}, {"20", ""}, {"", `touchpoint "helpdesk" metric first_response_seconds has no value yet`}}
	var inputs []verdict.Objective
	for i, o := range spec.Objectives {
		in := scorecard.Input(o)
		scorecard.SetValue(&in, values[i][0], values[i][1])
		inputs = append(inputs, in)
	}
	// A stale number next to no data must not be shown.
	inputs[2].Value = 9000
	return spec, inputs, verdict.JudgeCard(inputs, scorecard.Thresholds(spec))
}

func TestStatuses(t *testing.T) {
	_, inputs, card := workedCard()
	want := []cxv1alpha1.ObjectiveStatus{
		{Name: "csat", Value: "85", Target: ">= 80", Warning: ">= 70", Key: true, Result: cxv1alpha1.ObjectivePass,
			Score: "3", Weight: 3, Reason: "85 is inside the target >= 80"},
		{Name: "backlog", Value: "20", Target: "<= 15", Warning: "<= 25", Result: cxv1alpha1.ObjectiveWarning,
			Score: "0.5", Weight: 1, Reason: "20 misses the target <= 15 but is inside the warning band <= 25"},
		{Name: "first-response", Target: "<= 7200", Result: cxv1alpha1.ObjectiveNoData,
			Score: "0", Weight: 2, Reason: `touchpoint "helpdesk" metric first_response_seconds has no value yet`},
	}
	if got := scorecard.Statuses(inputs, card); !reflect.DeepEqual(got, want) {
		t.Errorf("Statuses:\n got %+v\nwant %+v", got, want)
	}
}

func TestReady(t *testing.T) {
	spec, _, card := workedCard()
	check := func(name string, got metav1.Condition, status metav1.ConditionStatus, reason, message string) {
		t.Helper()
		want := metav1.Condition{Type: cxv1alpha1.ConditionReady, Status: status, Reason: reason, Message: message}
		if got != want {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, want)
		}
	}

	// Objectives without data are data: Ready stays True and counts them.
	check("evaluated", scorecard.Ready(spec, card, nil, nil), metav1.ConditionTrue, cxv1alpha1.ReasonObjectivesEvaluated,
		"3 objectives evaluated: score 58.33, result Fail (score 58.33 is below the warning threshold 75); "+
			"1 of 3 objectives have no data and score 0: first-response")

	missing := []string{`touchpoint "helpdesk" (objective first-response)`}
	check("missing source", scorecard.Ready(spec, card, nil, missing), metav1.ConditionFalse, cxv1alpha1.ReasonSourceNotFound,
		`missing sources, whose objectives have no data: touchpoint "helpdesk" (objective first-response)`)

	// A cycle wins over a missing source, and each path is named once, by
	// the first objective on it in the spec's order.
	cycles := map[string][]string{
		"first-response": {"journey", "stage", "journey"},
		"backlog":        {"journey", "stage", "journey"},
		"csat":           {"journey", "checkout", "stage", "journey"},
	}
	check("cycle", scorecard.Ready(spec, card, cycles, missing), metav1.ConditionFalse, cxv1alpha1.ReasonReferenceCycle,
		"scorecards refer to each other in a cycle, so those objectives have no data: "+
			"journey -> checkout -> stage -> journey (objective csat); journey -> stage -> journey (objective backlog)")
}
