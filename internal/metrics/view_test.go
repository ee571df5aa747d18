package metrics

import (
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

// The vectors of this package are package variables registered with
// controller-runtime's global registry, and the tests of this package run
// in parallel. Each test therefore publishes the series of objects in
// namespaces of its own and compares only those, through a view that
// drops every other sample.

// view is a prometheus.Collector that forwards the descriptors of the
// collectors it wraps and only those of their samples whose labels keep
// accepts.
type view struct {
	collectors []prometheus.Collector
	keep       func(labels map[string]string) bool
}

func (v view) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range v.collectors {
		c.Describe(ch)
	}
}

func (v view) Collect(ch chan<- prometheus.Metric) {
	in := make(chan prometheus.Metric)
	go func() {
		defer close(in)
		for _, c := range v.collectors {
			c.Collect(in)
		}
	}()
	for m := range in {
		var pb dto.Metric
		if err := m.Write(&pb); err != nil {
			ch <- prometheus.NewInvalidMetric(m.Desc(), err)
			continue
		}
		labels := make(map[string]string, len(pb.GetLabel()))
		for _, lp := range pb.GetLabel() {
			labels[lp.GetName()] = lp.GetValue()
		}
		if v.keep(labels) {
			ch <- m
		}
	}
}

// inNamespaces shows the samples of cs whose namespace label is one of
// namespaces.
func inNamespaces(namespaces []string, cs ...prometheus.Collector) prometheus.Collector {
	return view{collectors: cs, keep: func(l map[string]string) bool {
		return slices.Contains(namespaces, l["namespace"])
	}}
}

// where shows the samples of cs whose label name has value value.
func where(name, value string, cs ...prometheus.Collector) prometheus.Collector {
	return view{collectors: cs, keep: func(l map[string]string) bool { return l[name] == value }}
}

// help is the HELP text of each family, as it must be exposed.
var help = map[string]string{
	"cx_survey_score":             "Score of a Survey over its rolling window: NPS -100..100, CSAT percent satisfied 0..100, CES and Rating mean. Absent while the window holds no response.",
	"cx_survey_responses":         "Responses counted in a Survey's rolling window (the sample size n of cx_survey_score).",
	"cx_survey_margin_of_error":   "Half-width of the confidence interval of cx_survey_score at the Survey's confidence level, in score units. Absent while undefined.",
	"cx_survey_min_responses":     "Sample size below which a Survey's data is insufficient (spec.minResponses); compare with cx_survey_responses.",
	"cx_survey_nps_ratio":         "Share of an NPS Survey's responses in each category (promoter 9-10, passive 7-8, detractor 0-6), 0..1.",
	"cx_survey_segment_score":     `Score of the responses of a Survey that carry one segment value. Values past the Survey's cap or answered fewer than spec.minSegmentResponses times count as "other", which has no score while it holds too few responses.`,
	"cx_survey_segment_responses": "Responses of a Survey's rolling window that carry one segment value.",
	"cx_survey_forecast_score":    "Score a Survey is projected to have one window ahead, from a weighted linear trend of its daily scores: bound=point, or the lower and upper ends of its prediction interval. Absent while the window has fewer than 14 days with responses.",

	"cx_journey_stage_satisfaction":    "Satisfaction of a Journey stage on a 0..100 scale: the response-weighted mean of its Surveys' scores, normalised (NPS (x+100)/2, CSAT as is, CES and Rating (x-min)/(max-min)*100). Absent while no Survey of the stage has enough responses.",
	"cx_journey_stage_margin_of_error": "Margin of error of cx_journey_stage_satisfaction at the Journey's confidence level, on the same 0..100 scale. Absent while undefined.",
	"cx_journey_stage_touchpoints":     `Touchpoints of a Journey stage, by whether they are measured (measured="true": a metric with a value or a Survey with responses in its window).`,
	"cx_journey_coverage_ratio":        "Share of a Journey's declared stages that have at least one measured Touchpoint, 0..1.",
	"cx_journey_spread":                "Spread of a Journey's stage satisfaction, best stage minus worst, 0..100. Absent with fewer than two scored stages.",

	"cx_survey_tallies": "ResponseTally objects of a Survey by state: open (taking responses), sealed (full or quiet, waiting to be compacted), compacted (one per day, counts without response ids).",

	"cx_survey_tally_compactions_total": "Compactions of a Survey's quiet tallies into its compacted tally of the day, by result: success (merged), conflict (a concurrent write; retried at the next pass), failure (an error; retried at the next pass).",
	"cx_receiver_remembered_ids":        "Response id hashes the receiver holds in memory to recognise retries: those of the tallies written within their Survey's deduplication window, in the lanes used in the last hour.",

	"cx_survey_segment_representation_ratio":   "Share of a Survey's responses with one segment value divided by the value's expected share of the customer base: above 1 over-represented, below 1 under-represented. Only for segments with expected shares.",
	"cx_survey_segment_representation_p_value": "p-value of the chi-square test that a Survey's responses follow a segment's expected shares (small: the sample does not represent the customer base). Absent while there are too few responses to test.",
	"cx_survey_unweighted_score":               "Score of a weighted Survey's responses as received, beside the weighted cx_survey_score. Only for Surveys with spec.weighting.",
	"cx_survey_effective_responses":            "Kish's effective sample size of a weighted Survey's score: the unweighted responses that would give the same precision. Only for Surveys with spec.weighting.",

	"cx_scorecard_score":            "Weighted score of a Scorecard, 0..100: 100 * (weights of passing objectives + half the weights of warning and inconclusive ones) / all weights. Objectives without data score 0.",
	"cx_scorecard_result":           "Published result of a Scorecard (it changes once a new result has held for the card's stabilization window): 1 for the current result (Pass, Warning or Fail), 0 for the others.",
	"cx_scorecard_objective_value":  "Value a Scorecard objective read from its source, in the source's unit. Absent while the objective has no data.",
	"cx_scorecard_objective_met":    "1 when a Scorecard objective passes (its value, or for decision Confident its whole interval, is inside its target), 0 otherwise: Warning, Inconclusive, Fail and no data are not met.",
	"cx_scorecard_objective_result": "Result of a Scorecard objective: 1 for the current one (Pass, Warning, Inconclusive, Fail or NoData), 0 for the others.",

	"cx_touchpoint_value":                         "Latest value of a Touchpoint metric, collected or derived, in base units (the unit label says which). Absent while the metric has no value.",
	"cx_collector_runs_total":                     "Runs of a Touchpoint collector, by result: success, or failure (unreachable source, timeout, error status, unusable answer, missing Secret).",
	"cx_collector_duration_seconds":               "Duration of the runs of the Touchpoint collectors of a namespace, successful or not, in seconds.",
	"cx_collector_last_duration_seconds":          "Duration of the last run of a Touchpoint collector, successful or not, in seconds. Absent until it runs.",
	"cx_collector_last_success_timestamp_seconds": "Unix time of the start of the last successful run of a Touchpoint collector, in seconds. Absent until the collector succeeds.",

	"cx_status_writes_total":          "Status writes of the operator, by kind and cause: spec (a new generation) and condition (a condition or verdict changed) are written at once; refresh (values only) at most once per the kind's status interval, within the status write budget.",
	"cx_status_writes_deferred_total": "Value refreshes of status the status write budget (--status-writes-per-second) deferred: each was given a later slot and written then, none was dropped. Waiting for the status interval is not counted.",

	"cx_receiver_responses_total": "Survey responses received, by result: accepted (durably counted), duplicate (a retry of a counted id), ignored (deliveries a mapping skips, answered 2xx), rejected (4xx), failed (429/503, not stored; the sender should retry).",
	"cx_receiver_requests_total":  "HTTP requests to the survey response receiver, by status code.",
}

// family is the exposition text of one family: its HELP and TYPE lines and
// the sample lines given. Without samples it is empty: the family is
// expected absent.
func family(name, typ string, samples ...string) string {
	if len(samples) == 0 {
		return ""
	}
	h, ok := help[name]
	if !ok {
		panic("no help text for " + name)
	}
	return "# HELP " + name + " " + h + "\n# TYPE " + name + " " + typ + "\n" + strings.Join(samples, "\n") + "\n"
}

// expectExposition fails the test unless the families names of c expose
// exactly expected. A family of names missing from expected must be
// absent from c.
func expectExposition(t *testing.T, c prometheus.Collector, expected string, names ...string) {
	t.Helper()
	if len(names) == 0 {
		t.Fatal("expectExposition needs the names of the families it compares")
	}
	if err := testutil.CollectAndCompare(c, strings.NewReader(expected), names...); err != nil {
		t.Errorf("unexpected exposition of %v:\n%v", names, err)
	}
}

// TestViewShowsOnlyItsNamespaces checks the helpers themselves: a view
// hides the other namespaces' series, and a comparison with a wrong
// expectation fails.
func TestViewShowsOnlyItsNamespaces(t *testing.T) {
	t.Parallel()
	const mine, other = "metrics-test-view", "metrics-test-view-other"
	surveyScore.WithLabelValues(mine, "s", "tp", "NPS").Set(12)
	surveyScore.WithLabelValues(other, "s", "tp", "NPS").Set(34)
	t.Cleanup(func() {
		surveyScore.DeleteLabelValues(mine, "s", "tp", "NPS")
		surveyScore.DeleteLabelValues(other, "s", "tp", "NPS")
	})

	v := inNamespaces([]string{mine}, surveyScore)
	expectExposition(t, v, family("cx_survey_score", "gauge",
		`cx_survey_score{namespace="metrics-test-view",survey="s",touchpoint="tp",type="NPS"} 12`,
	), "cx_survey_score")
	if n := testutil.CollectAndCount(v, "cx_survey_score"); n != 1 {
		t.Errorf("view counts %d series, want 1", n)
	}
	if n := testutil.CollectAndCount(inNamespaces([]string{mine, other}, surveyScore), "cx_survey_score"); n != 2 {
		t.Errorf("view of both namespaces counts %d series, want 2", n)
	}

	for name, wrong := range map[string]string{
		"wrong value": family("cx_survey_score", "gauge",
			`cx_survey_score{namespace="metrics-test-view",survey="s",touchpoint="tp",type="NPS"} 13`),
		"wrong label": family("cx_survey_score", "gauge",
			`cx_survey_score{namespace="metrics-test-view",survey="s",touchpoint="tp",type="CSAT"} 12`),
		"absent": "",
		"extra series": family("cx_survey_score", "gauge",
			`cx_survey_score{namespace="metrics-test-view",survey="s",touchpoint="tp",type="NPS"} 12`,
			`cx_survey_score{namespace="metrics-test-view",survey="t",touchpoint="tp",type="NPS"} 12`),
	} {
		if err := testutil.CollectAndCompare(v, strings.NewReader(wrong), "cx_survey_score"); err == nil {
			t.Errorf("%s: comparison passed, want a difference", name)
		}
	}
}
