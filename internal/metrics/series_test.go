package metrics

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// exposedSeries counts the series c exposes, as Prometheus stores them: a
// gauge or counter is one, a histogram its buckets (+Inf included), _sum
// and _count.
func exposedSeries(t *testing.T, c prometheus.Collector) int {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range families {
		for _, m := range f.GetMetric() {
			h := m.GetHistogram()
			if h == nil {
				n++
				continue
			}
			n += len(h.GetBucket()) + 2
			if k := len(h.GetBucket()); k == 0 || !math.IsInf(h.GetBucket()[k-1].GetUpperBound(), 1) {
				n++
			}
		}
	}
	return n
}

// TestSeriesPerObject counts what each kind costs Prometheus, per object,
// from a scrape of the series it publishes (the README's table):
//   - a collector: 2 run counters (success, failure), its last duration,
//     its last success time and its metric's value: 5, at most 6 (a
//     derived metric adds one value);
//   - a namespace with collectors: one duration histogram of 11 buckets,
//     +Inf, _sum and _count: 14, whatever the number of collectors;
//   - a Survey: score, responses, min responses, margin of error (4),
//     3 NPS ratios for an NPS Survey, 2 per segment value (3 with
//     expected shares: its representation ratio), 1 per segment with
//     expected shares (its p-value), 2 with spec.weighting (unweighted
//     score, effective n), 3 with a forecast (its point and bounds), 3
//     tally counts (open, sealed, compacted), and one receiver counter per
//     result it saw (at most 5);
//   - a Scorecard: score, 3 results, and 7 per objective (value, met, and
//     5 objective results);
//   - a Journey: coverage and spread, 2 touchpoint counts per stage
//     (measured or not), and 2 per scored stage (satisfaction, margin).
func TestSeriesPerObject(t *testing.T) {
	t.Parallel()
	const ns = "metrics-test-series-per-object"
	t.Cleanup(func() {
		DeleteTouchpoint(ns, "one")
		DeleteTouchpoint(ns, "three")
		DeleteSurvey(ns, "nps")
		DeleteReceiverSurvey(ns, "nps")
		DeleteScorecard(ns, "card")
		DeleteJourney(ns, "map")
	})
	start := time.Unix(1700000000, 0)
	tpSeries := func() int {
		return exposedSeries(t, inNamespaces([]string{ns}, touchpointValue, collectorRuns, collectorDuration, collectorLastDuration, collectorLastSuccess))
	}

	// One Touchpoint with one collector: 5 series and the namespace's 14.
	InitCollector(ns, "one", "latency")
	ObserveCollectorRun(ns, "one", "latency", true, start, 30*time.Millisecond)
	SetTouchpointValues(ns, "one", "Support", []TouchpointValue{{Metric: "latency_seconds", Unit: "seconds", Value: 0.3}})
	if n := tpSeries(); n != 5+14 {
		t.Errorf("one collector: %d series, want 5 + 14 for the namespace's histogram", n)
	}
	// Three more collectors on another Touchpoint: 5 more each, but 4 for
	// b, which has only failed (no last success yet); the histogram is
	// shared.
	for _, c := range []string{"a", "b", "c"} {
		InitCollector(ns, "three", c)
		ObserveCollectorRun(ns, "three", c, c != "b", start, time.Second)
	}
	SetTouchpointValues(ns, "three", "Support", []TouchpointValue{
		{Metric: "a", Unit: "count", Value: 1}, {Metric: "b", Unit: "count", Value: 2}, {Metric: "c", Unit: "count", Value: 3}})
	n := tpSeries()
	if n != 3*5+4+14 {
		t.Errorf("four collectors: %d series, want 3 x 5 + 4 + 14", n)
	}
	perCollector := float64(n-14) / 4
	if perCollector > 6 {
		t.Errorf("%.1f series per collector, want at most 6", perCollector)
	}

	// An NPS Survey with one segment of 2 values, whose receiver saw all
	// five results: 4 + 3 + 2 x 2 + 3 tally counts + 5 = 19.
	surveySeries := func() int {
		return exposedSeries(t, inNamespaces([]string{ns}, surveyScore, surveyResponses, surveyMarginOfError, surveyMinResponses,
			surveyNPSRatio, surveySegmentScore, surveySegmentResponses, surveySegmentRepresentationRatio,
			surveySegmentRepresentationPValue, surveyUnweightedScore, surveyEffectiveResponses, surveyForecastScore, surveyTallies,
			ReceiverResponses))
	}
	values := SurveyValues{
		Score: 20, MarginOfError: 12.5, Responses: 40, MinResponses: 30,
		PromoterRatio: 0.5, PassiveRatio: 0.2, DetractorRatio: 0.3,
		Segments: []SurveySegment{{Segment: "plan", Value: "free", Responses: 25, Score: 10}, {Segment: "plan", Value: "pro", Responses: 15, Score: 36.7}},
	}
	SetSurvey(SurveyLabels{Namespace: ns, Survey: "nps", Touchpoint: "one", Type: "NPS"}, values)
	for _, r := range []string{"accepted", "duplicate", "ignored", "rejected", "failed"} {
		ReceiverResponses.WithLabelValues(ns, "nps", r).Inc()
	}
	survey := surveySeries()
	if survey != 19 {
		t.Errorf("NPS Survey: %d series, want 19", survey)
	}
	// With expected shares for plan and spec.weighting: 2 ratios, 1
	// p-value and 2 weighting series more: 24; with a forecast, 3 more:
	// 27.
	for i := range values.Segments {
		values.Segments[i].Expected, values.Segments[i].RepresentationRatio = true, 1
	}
	values.Representation = []SurveyRepresentation{{Segment: "plan", PValue: 0.4}}
	values.Weighting = &SurveyWeighting{UnweightedScore: 18, EffectiveResponses: 37.5}
	SetSurvey(SurveyLabels{Namespace: ns, Survey: "nps", Touchpoint: "one", Type: "NPS"}, values)
	if n := surveySeries(); n != 24 {
		t.Errorf("NPS Survey with expected shares and weighting: %d series, want 24", n)
	}
	values.Forecast = &SurveyForecast{Point: 15, Lower: 5, Upper: 25}
	SetSurvey(SurveyLabels{Namespace: ns, Survey: "nps", Touchpoint: "one", Type: "NPS"}, values)
	if n := surveySeries(); n != 27 {
		t.Errorf("NPS Survey with expected shares, weighting and a forecast: %d series, want 27", n)
	}

	// A Scorecard of 3 objectives: 1 + 3 + 3 x (2 + 5) = 25.
	SetScorecard(ns, "card", ScorecardValues{Score: 50, Result: "Fail", Objectives: []ScorecardObjective{
		{Name: "a", Value: 1, Met: true, Result: "Pass"}, {Name: "b", Value: 2, Result: "Fail"}, {Name: "c", Value: 3, Result: "Warning"}}})
	card := exposedSeries(t, inNamespaces([]string{ns}, scorecardScore, scorecardResult, scorecardObjectiveValue, scorecardObjectiveMet,
		scorecardObjectiveResult))
	if card != 25 {
		t.Errorf("Scorecard of 3 objectives: %d series, want 25", card)
	}

	// A Journey of 10 stages, 3 of them scored: 2 + 10 x 2 + 3 x 2 = 28.
	jv := JourneyValues{CoverageRatio: 0.9, Spread: 7.8}
	for i := range 10 {
		st := JourneyStage{Stage: fmt.Sprintf("s%d", i), Satisfaction: math.NaN(), MarginOfError: math.NaN(), Touchpoints: 1, Measured: 1}
		if i < 3 {
			st.Satisfaction, st.MarginOfError = 70, 3
		}
		jv.Stages = append(jv.Stages, st)
	}
	SetJourney(ns, "map", jv)
	jny := exposedSeries(t, inNamespaces([]string{ns}, journeyCoverageRatio, journeySpread, journeyStageTouchpoints,
		journeyStageSatisfaction, journeyStageMarginOfError))
	if jny != 28 {
		t.Errorf("Journey of 10 stages, 3 scored: %d series, want 28", jny)
	}
	t.Logf("series: %.2f per collector (+14 per namespace), %d per NPS Survey (1 segment, 2 values), %d per Scorecard (3 objectives), %d per Journey (10 stages, 3 scored)",
		perCollector, survey, card, jny)
}
