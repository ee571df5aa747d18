package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// The tallies of a Survey are published by state, with the Survey's
// labels, and deleted with the Survey's other series.
func TestSetSurveyPublishesTalliesByState(t *testing.T) {
	t.Parallel()
	const ns = "metrics-test-survey-tallies"
	t.Cleanup(func() { DeleteSurvey(ns, "nps") })
	l := SurveyLabels{Namespace: ns, Survey: "nps", Touchpoint: "renewal", Type: "NPS"}

	SetSurvey(l, SurveyValues{Responses: 120, MinResponses: 30, OpenTallies: 1, SealedTallies: 4, CompactedTallies: 12})
	expectExposition(t, inNamespaces([]string{ns}, surveyTallies), family("cx_survey_tallies", "gauge",
		`cx_survey_tallies{namespace="metrics-test-survey-tallies",state="compacted",survey="nps",touchpoint="renewal",type="NPS"} 12`,
		`cx_survey_tallies{namespace="metrics-test-survey-tallies",state="open",survey="nps",touchpoint="renewal",type="NPS"} 1`,
		`cx_survey_tallies{namespace="metrics-test-survey-tallies",state="sealed",survey="nps",touchpoint="renewal",type="NPS"} 4`,
	), "cx_survey_tallies")

	// After a compaction: the sealed tallies are merged into the day's.
	SetSurvey(l, SurveyValues{Responses: 120, MinResponses: 30, OpenTallies: 1, SealedTallies: 0, CompactedTallies: 13})
	expectExposition(t, inNamespaces([]string{ns}, surveyTallies), family("cx_survey_tallies", "gauge",
		`cx_survey_tallies{namespace="metrics-test-survey-tallies",state="compacted",survey="nps",touchpoint="renewal",type="NPS"} 13`,
		`cx_survey_tallies{namespace="metrics-test-survey-tallies",state="open",survey="nps",touchpoint="renewal",type="NPS"} 1`,
		`cx_survey_tallies{namespace="metrics-test-survey-tallies",state="sealed",survey="nps",touchpoint="renewal",type="NPS"} 0`,
	), "cx_survey_tallies")

	DeleteSurvey(ns, "nps")
	if n := testutil.CollectAndCount(inNamespaces([]string{ns}, surveyTallies), "cx_survey_tallies"); n != 0 {
		t.Errorf("%d cx_survey_tallies series after the Survey's deletion, want none", n)
	}
}

// Compactions are counted per Survey and result, and deleted with the
// Survey (not another Survey's).
func TestSurveyTallyCompactionsAreDeletedWithTheSurvey(t *testing.T) {
	t.Parallel()
	const ns = "metrics-test-survey-compactions"
	t.Cleanup(func() { DeleteSurvey(ns, "a"); DeleteSurvey(ns, "b") })

	SurveyTallyCompactions.WithLabelValues(ns, "a", "success").Add(3)
	SurveyTallyCompactions.WithLabelValues(ns, "a", "conflict").Inc()
	SurveyTallyCompactions.WithLabelValues(ns, "a", "failure").Add(2)
	SurveyTallyCompactions.WithLabelValues(ns, "b", "success").Inc()
	expectExposition(t, inNamespaces([]string{ns}, SurveyTallyCompactions), family("cx_survey_tally_compactions_total", "counter",
		`cx_survey_tally_compactions_total{namespace="metrics-test-survey-compactions",result="conflict",survey="a"} 1`,
		`cx_survey_tally_compactions_total{namespace="metrics-test-survey-compactions",result="failure",survey="a"} 2`,
		`cx_survey_tally_compactions_total{namespace="metrics-test-survey-compactions",result="success",survey="a"} 3`,
		`cx_survey_tally_compactions_total{namespace="metrics-test-survey-compactions",result="success",survey="b"} 1`,
	), "cx_survey_tally_compactions_total")

	DeleteSurvey(ns, "a")
	expectExposition(t, inNamespaces([]string{ns}, SurveyTallyCompactions), family("cx_survey_tally_compactions_total", "counter",
		`cx_survey_tally_compactions_total{namespace="metrics-test-survey-compactions",result="success",survey="b"} 1`,
	), "cx_survey_tally_compactions_total")
}

// The receiver's remembered ids are one gauge without labels.
func TestReceiverRememberedIDs(t *testing.T) {
	t.Parallel()
	ReceiverRememberedIDs.Set(0)
	ReceiverRememberedIDs.Add(1500)
	ReceiverRememberedIDs.Sub(500)
	expectExposition(t, ReceiverRememberedIDs, family("cx_receiver_remembered_ids", "gauge",
		`cx_receiver_remembered_ids 1000`), "cx_receiver_remembered_ids")
}
