package metrics

import (
	"math"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

var surveyFamilies = []string{
	"cx_survey_score", "cx_survey_responses", "cx_survey_margin_of_error", "cx_survey_min_responses",
	"cx_survey_nps_ratio", "cx_survey_segment_score", "cx_survey_segment_responses",
	"cx_survey_segment_representation_ratio", "cx_survey_segment_representation_p_value",
	"cx_survey_unweighted_score", "cx_survey_effective_responses",
}

func surveyCollectors() []prometheus.Collector {
	return []prometheus.Collector{surveyScore, surveyResponses, surveyMarginOfError, surveyMinResponses,
		surveyNPSRatio, surveySegmentScore, surveySegmentResponses, surveySegmentRepresentationRatio,
		surveySegmentRepresentationPValue, surveyUnweightedScore, surveyEffectiveResponses}
}

func surveysIn(namespaces ...string) prometheus.Collector {
	return inNamespaces(namespaces, surveyCollectors()...)
}

func TestSetSurveyPublishesEverySeries(t *testing.T) {
	t.Parallel()
	const ns = "metrics-test-survey-set"
	t.Cleanup(func() { DeleteSurvey(ns, "checkout-nps") })

	SetSurvey(SurveyLabels{Namespace: ns, Survey: "checkout-nps", Touchpoint: "checkout", Type: "NPS"}, SurveyValues{
		Score: 40, MarginOfError: 7.5, Responses: 120, MinResponses: 30,
		PromoterRatio: 0.55, PassiveRatio: 0.3, DetractorRatio: 0.15,
		Segments: []SurveySegment{
			{Segment: "country", Value: "de", Responses: 80, Score: 50},
			{Segment: "country", Value: "fr", Responses: 40, Score: 20},
			{Segment: "plan", Value: "other", Responses: 0, Score: -10},
		},
	})

	expectExposition(t, surveysIn(ns), ""+
		family("cx_survey_score", "gauge",
			`cx_survey_score{namespace="metrics-test-survey-set",survey="checkout-nps",touchpoint="checkout",type="NPS"} 40`)+
		family("cx_survey_responses", "gauge",
			`cx_survey_responses{namespace="metrics-test-survey-set",survey="checkout-nps",touchpoint="checkout",type="NPS"} 120`)+
		family("cx_survey_margin_of_error", "gauge",
			`cx_survey_margin_of_error{namespace="metrics-test-survey-set",survey="checkout-nps",touchpoint="checkout",type="NPS"} 7.5`)+
		family("cx_survey_min_responses", "gauge",
			`cx_survey_min_responses{namespace="metrics-test-survey-set",survey="checkout-nps",touchpoint="checkout",type="NPS"} 30`)+
		family("cx_survey_nps_ratio", "gauge",
			`cx_survey_nps_ratio{category="detractor",namespace="metrics-test-survey-set",survey="checkout-nps",touchpoint="checkout",type="NPS"} 0.15`,
			`cx_survey_nps_ratio{category="passive",namespace="metrics-test-survey-set",survey="checkout-nps",touchpoint="checkout",type="NPS"} 0.3`,
			`cx_survey_nps_ratio{category="promoter",namespace="metrics-test-survey-set",survey="checkout-nps",touchpoint="checkout",type="NPS"} 0.55`)+
		family("cx_survey_segment_score", "gauge",
			`cx_survey_segment_score{namespace="metrics-test-survey-set",segment="country",survey="checkout-nps",touchpoint="checkout",type="NPS",value="de"} 50`,
			`cx_survey_segment_score{namespace="metrics-test-survey-set",segment="country",survey="checkout-nps",touchpoint="checkout",type="NPS",value="fr"} 20`,
			`cx_survey_segment_score{namespace="metrics-test-survey-set",segment="plan",survey="checkout-nps",touchpoint="checkout",type="NPS",value="other"} -10`)+
		family("cx_survey_segment_responses", "gauge",
			`cx_survey_segment_responses{namespace="metrics-test-survey-set",segment="country",survey="checkout-nps",touchpoint="checkout",type="NPS",value="de"} 80`,
			`cx_survey_segment_responses{namespace="metrics-test-survey-set",segment="country",survey="checkout-nps",touchpoint="checkout",type="NPS",value="fr"} 40`,
			`cx_survey_segment_responses{namespace="metrics-test-survey-set",segment="plan",survey="checkout-nps",touchpoint="checkout",type="NPS",value="other"} 0`),
		surveyFamilies...)
}

// A weighted Survey with a segment with expected shares publishes the
// unweighted score, the effective sample size, each value's
// representation ratio and the segment's p-value; a count-only "other"
// (score NaN) has its count and ratio but no score, and a segment without
// expected shares no ratio.
func TestSetSurveyPublishesRepresentationAndWeighting(t *testing.T) {
	t.Parallel()
	const ns = "metrics-test-survey-weighted"
	t.Cleanup(func() { DeleteSurvey(ns, "nps") })

	SetSurvey(SurveyLabels{Namespace: ns, Survey: "nps", Touchpoint: "renewal", Type: "NPS"}, SurveyValues{
		Score: 35, MarginOfError: 17.15, Responses: 100, MinResponses: 30,
		PromoterRatio: 0.46, PassiveRatio: 0.28, DetractorRatio: 0.26,
		Segments: []SurveySegment{
			{Segment: "plan", Value: "free", Responses: 20, Score: 60, Expected: true, RepresentationRatio: 0.4},
			{Segment: "plan", Value: "pro", Responses: 77, Score: 10, Expected: true, RepresentationRatio: 1.54},
			{Segment: "plan", Value: "other", Responses: 3, Score: math.NaN(), Expected: true, RepresentationRatio: math.NaN()},
			{Segment: "region", Value: "eu", Responses: 100, Score: 20, RepresentationRatio: 0},
		},
		Representation: []SurveyRepresentation{{Segment: "plan", PValue: 2e-9}},
		Weighting:      &SurveyWeighting{UnweightedScore: 20, EffectiveResponses: 64},
	})
	lv := `namespace="metrics-test-survey-weighted",survey="nps",touchpoint="renewal",type="NPS"`
	seg := func(segment, value string) string {
		return `namespace="metrics-test-survey-weighted",segment="` + segment + `",survey="nps",touchpoint="renewal",type="NPS",value="` + value + `"`
	}
	expectExposition(t, inNamespaces([]string{ns}, surveySegmentScore, surveySegmentResponses, surveySegmentRepresentationRatio,
		surveySegmentRepresentationPValue, surveyUnweightedScore, surveyEffectiveResponses), ""+
		family("cx_survey_segment_score", "gauge",
			`cx_survey_segment_score{`+seg("plan", "free")+`} 60`,
			`cx_survey_segment_score{`+seg("plan", "pro")+`} 10`,
			`cx_survey_segment_score{`+seg("region", "eu")+`} 20`)+
		family("cx_survey_segment_responses", "gauge",
			`cx_survey_segment_responses{`+seg("plan", "free")+`} 20`,
			`cx_survey_segment_responses{`+seg("plan", "other")+`} 3`,
			`cx_survey_segment_responses{`+seg("plan", "pro")+`} 77`,
			`cx_survey_segment_responses{`+seg("region", "eu")+`} 100`)+
		family("cx_survey_segment_representation_ratio", "gauge",
			`cx_survey_segment_representation_ratio{`+seg("plan", "free")+`} 0.4`,
			`cx_survey_segment_representation_ratio{`+seg("plan", "pro")+`} 1.54`)+
		family("cx_survey_segment_representation_p_value", "gauge",
			`cx_survey_segment_representation_p_value{namespace="metrics-test-survey-weighted",segment="plan",survey="nps",touchpoint="renewal",type="NPS"} 2e-09`)+
		family("cx_survey_unweighted_score", "gauge", `cx_survey_unweighted_score{`+lv+`} 20`)+
		family("cx_survey_effective_responses", "gauge", `cx_survey_effective_responses{`+lv+`} 64`),
		"cx_survey_segment_score", "cx_survey_segment_responses", "cx_survey_segment_representation_ratio",
		"cx_survey_segment_representation_p_value", "cx_survey_unweighted_score", "cx_survey_effective_responses")

	// Weighting switched off: its two series go.
	SetSurvey(SurveyLabels{Namespace: ns, Survey: "nps", Touchpoint: "renewal", Type: "NPS"}, SurveyValues{
		Score: 20, MarginOfError: 16.16, Responses: 100, MinResponses: 30,
		PromoterRatio: 0.46, PassiveRatio: 0.28, DetractorRatio: 0.26,
	})
	if n := testutil.CollectAndCount(surveysIn(ns), "cx_survey_unweighted_score", "cx_survey_effective_responses",
		"cx_survey_segment_representation_ratio", "cx_survey_segment_representation_p_value"); n != 0 {
		t.Errorf("%d weighting and representation series left, want none", n)
	}
}

// An undefined score, margin, ratio or segment score is an absent series,
// never a NaN (or ±Inf) sample; the counts are always published.
func TestSetSurveyUndefinedValuesAreAbsent(t *testing.T) {
	t.Parallel()
	const ns = "metrics-test-survey-undefined"
	t.Cleanup(func() { DeleteSurvey(ns, "empty-csat") })

	SetSurvey(SurveyLabels{Namespace: ns, Survey: "empty-csat", Touchpoint: "support", Type: "CSAT"}, SurveyValues{
		Score: math.NaN(), MarginOfError: math.Inf(1), Responses: 0, MinResponses: 30,
		PromoterRatio: math.NaN(), PassiveRatio: math.NaN(), DetractorRatio: math.NaN(),
		Segments: []SurveySegment{{Segment: "channel", Value: "email", Responses: 0, Score: math.NaN()}},
	})

	expectExposition(t, surveysIn(ns), ""+
		family("cx_survey_responses", "gauge",
			`cx_survey_responses{namespace="metrics-test-survey-undefined",survey="empty-csat",touchpoint="support",type="CSAT"} 0`)+
		family("cx_survey_min_responses", "gauge",
			`cx_survey_min_responses{namespace="metrics-test-survey-undefined",survey="empty-csat",touchpoint="support",type="CSAT"} 30`)+
		family("cx_survey_segment_responses", "gauge",
			`cx_survey_segment_responses{namespace="metrics-test-survey-undefined",segment="channel",survey="empty-csat",touchpoint="support",type="CSAT",value="email"} 0`),
		surveyFamilies...)
	for _, name := range []string{"cx_survey_score", "cx_survey_margin_of_error", "cx_survey_nps_ratio", "cx_survey_segment_score"} {
		if n := testutil.CollectAndCount(surveysIn(ns), name); n != 0 {
			t.Errorf("%s has %d series, want none", name, n)
		}
	}
}

// A score that becomes undefined removes its series; when it is defined
// again the series comes back.
func TestSetSurveyValueBecomingUndefinedRemovesSeries(t *testing.T) {
	t.Parallel()
	const ns = "metrics-test-survey-nan-later"
	t.Cleanup(func() { DeleteSurvey(ns, "ces") })
	l := SurveyLabels{Namespace: ns, Survey: "ces", Touchpoint: "onboarding", Type: "CES"}

	SetSurvey(l, SurveyValues{Score: 5.25, MarginOfError: 0.5, Responses: 40, MinResponses: 30,
		PromoterRatio: math.NaN(), PassiveRatio: math.NaN(), DetractorRatio: math.NaN()})
	expectExposition(t, surveysIn(ns), ""+
		family("cx_survey_score", "gauge",
			`cx_survey_score{namespace="metrics-test-survey-nan-later",survey="ces",touchpoint="onboarding",type="CES"} 5.25`)+
		family("cx_survey_responses", "gauge",
			`cx_survey_responses{namespace="metrics-test-survey-nan-later",survey="ces",touchpoint="onboarding",type="CES"} 40`)+
		family("cx_survey_margin_of_error", "gauge",
			`cx_survey_margin_of_error{namespace="metrics-test-survey-nan-later",survey="ces",touchpoint="onboarding",type="CES"} 0.5`)+
		family("cx_survey_min_responses", "gauge",
			`cx_survey_min_responses{namespace="metrics-test-survey-nan-later",survey="ces",touchpoint="onboarding",type="CES"} 30`),
		surveyFamilies...)

	// The window emptied: score and margin go away, counts stay.
	SetSurvey(l, SurveyValues{Score: math.NaN(), MarginOfError: math.NaN(), Responses: 0, MinResponses: 30,
		PromoterRatio: math.NaN(), PassiveRatio: math.NaN(), DetractorRatio: math.NaN()})
	expectExposition(t, surveysIn(ns), ""+
		family("cx_survey_responses", "gauge",
			`cx_survey_responses{namespace="metrics-test-survey-nan-later",survey="ces",touchpoint="onboarding",type="CES"} 0`)+
		family("cx_survey_min_responses", "gauge",
			`cx_survey_min_responses{namespace="metrics-test-survey-nan-later",survey="ces",touchpoint="onboarding",type="CES"} 30`),
		surveyFamilies...)

	// Responses arrived again.
	SetSurvey(l, SurveyValues{Score: 4, MarginOfError: math.NaN(), Responses: 1, MinResponses: 30,
		PromoterRatio: math.NaN(), PassiveRatio: math.NaN(), DetractorRatio: math.NaN()})
	expectExposition(t, surveysIn(ns), ""+
		family("cx_survey_score", "gauge",
			`cx_survey_score{namespace="metrics-test-survey-nan-later",survey="ces",touchpoint="onboarding",type="CES"} 4`)+
		family("cx_survey_responses", "gauge",
			`cx_survey_responses{namespace="metrics-test-survey-nan-later",survey="ces",touchpoint="onboarding",type="CES"} 1`)+
		family("cx_survey_min_responses", "gauge",
			`cx_survey_min_responses{namespace="metrics-test-survey-nan-later",survey="ces",touchpoint="onboarding",type="CES"} 30`),
		surveyFamilies...)
}

// A second SetSurvey with fewer segment values removes exactly the series
// of the values that left and updates the others.
func TestSetSurveyRemovesOnlyDisappearedSegments(t *testing.T) {
	t.Parallel()
	const ns = "metrics-test-survey-segments"
	t.Cleanup(func() { DeleteSurvey(ns, "rating") })
	l := SurveyLabels{Namespace: ns, Survey: "rating", Touchpoint: "delivery", Type: "Rating"}
	noRatios := SurveyValues{PromoterRatio: math.NaN(), PassiveRatio: math.NaN(), DetractorRatio: math.NaN()}

	v := noRatios
	v.Score, v.MarginOfError, v.Responses, v.MinResponses = 4.5, 0.25, 60, 10
	v.Segments = []SurveySegment{
		{Segment: "country", Value: "de", Responses: 30, Score: 4.75},
		{Segment: "country", Value: "fr", Responses: 20, Score: 4.25},
		{Segment: "plan", Value: "pro", Responses: 10, Score: 4},
	}
	SetSurvey(l, v)
	if n := testutil.CollectAndCount(surveysIn(ns), "cx_survey_segment_score", "cx_survey_segment_responses"); n != 6 {
		t.Fatalf("%d segment series after the first update, want 6", n)
	}

	v = noRatios
	v.Score, v.MarginOfError, v.Responses, v.MinResponses = 4.75, 0.5, 31, 10
	v.Segments = []SurveySegment{{Segment: "country", Value: "de", Responses: 31, Score: 4.75}}
	SetSurvey(l, v)
	expectExposition(t, surveysIn(ns), ""+
		family("cx_survey_score", "gauge",
			`cx_survey_score{namespace="metrics-test-survey-segments",survey="rating",touchpoint="delivery",type="Rating"} 4.75`)+
		family("cx_survey_responses", "gauge",
			`cx_survey_responses{namespace="metrics-test-survey-segments",survey="rating",touchpoint="delivery",type="Rating"} 31`)+
		family("cx_survey_margin_of_error", "gauge",
			`cx_survey_margin_of_error{namespace="metrics-test-survey-segments",survey="rating",touchpoint="delivery",type="Rating"} 0.5`)+
		family("cx_survey_min_responses", "gauge",
			`cx_survey_min_responses{namespace="metrics-test-survey-segments",survey="rating",touchpoint="delivery",type="Rating"} 10`)+
		family("cx_survey_segment_score", "gauge",
			`cx_survey_segment_score{namespace="metrics-test-survey-segments",segment="country",survey="rating",touchpoint="delivery",type="Rating",value="de"} 4.75`)+
		family("cx_survey_segment_responses", "gauge",
			`cx_survey_segment_responses{namespace="metrics-test-survey-segments",segment="country",survey="rating",touchpoint="delivery",type="Rating",value="de"} 31`),
		surveyFamilies...)

	// No segment at all any more.
	v = noRatios
	v.Score, v.MarginOfError, v.Responses, v.MinResponses = 4.75, 0.5, 31, 10
	SetSurvey(l, v)
	if n := testutil.CollectAndCount(surveysIn(ns), "cx_survey_segment_score", "cx_survey_segment_responses"); n != 0 {
		t.Errorf("%d segment series after the segments went away, want none", n)
	}
	if n := testutil.CollectAndCount(surveysIn(ns), surveyFamilies...); n != 4 {
		t.Errorf("%d series in all, want 4 (score, responses, margin, min responses)", n)
	}
}

// A changed touchpoint or type moves every series to the new labels: none
// is left behind under the old ones.
func TestSetSurveyChangedLabelsReplaceSeries(t *testing.T) {
	t.Parallel()
	const ns = "metrics-test-survey-relabel"
	t.Cleanup(func() { DeleteSurvey(ns, "feedback") })
	v := SurveyValues{Score: 80, MarginOfError: math.NaN(), Responses: 5, MinResponses: 3,
		PromoterRatio: math.NaN(), PassiveRatio: math.NaN(), DetractorRatio: math.NaN(),
		Segments: []SurveySegment{{Segment: "plan", Value: "free", Responses: 5, Score: 80}}}

	SetSurvey(SurveyLabels{Namespace: ns, Survey: "feedback", Touchpoint: "signup", Type: "CSAT"}, v)
	SetSurvey(SurveyLabels{Namespace: ns, Survey: "feedback", Touchpoint: "checkout", Type: "Rating"}, v)

	expectExposition(t, surveysIn(ns), ""+
		family("cx_survey_score", "gauge",
			`cx_survey_score{namespace="metrics-test-survey-relabel",survey="feedback",touchpoint="checkout",type="Rating"} 80`)+
		family("cx_survey_responses", "gauge",
			`cx_survey_responses{namespace="metrics-test-survey-relabel",survey="feedback",touchpoint="checkout",type="Rating"} 5`)+
		family("cx_survey_min_responses", "gauge",
			`cx_survey_min_responses{namespace="metrics-test-survey-relabel",survey="feedback",touchpoint="checkout",type="Rating"} 3`)+
		family("cx_survey_segment_score", "gauge",
			`cx_survey_segment_score{namespace="metrics-test-survey-relabel",segment="plan",survey="feedback",touchpoint="checkout",type="Rating",value="free"} 80`)+
		family("cx_survey_segment_responses", "gauge",
			`cx_survey_segment_responses{namespace="metrics-test-survey-relabel",segment="plan",survey="feedback",touchpoint="checkout",type="Rating",value="free"} 5`),
		surveyFamilies...)
}

// DeleteSurvey removes every series of one Survey and none of another
// Survey's, in the same namespace or with the same name elsewhere.
func TestDeleteSurvey(t *testing.T) {
	t.Parallel()
	const ns, otherNS = "metrics-test-survey-delete", "metrics-test-survey-delete-other"
	t.Cleanup(func() {
		DeleteSurvey(ns, "a")
		DeleteSurvey(ns, "b")
		DeleteSurvey(otherNS, "a")
	})
	full := SurveyValues{Score: 10, MarginOfError: 2, Responses: 50, MinResponses: 30,
		PromoterRatio: 0.5, PassiveRatio: 0.25, DetractorRatio: 0.25,
		Segments: []SurveySegment{{Segment: "country", Value: "de", Responses: 50, Score: 10}}}
	SetSurvey(SurveyLabels{Namespace: ns, Survey: "a", Touchpoint: "tp", Type: "NPS"}, full)
	SetSurvey(SurveyLabels{Namespace: ns, Survey: "b", Touchpoint: "tp", Type: "NPS"}, SurveyValues{
		Score: -20, MarginOfError: math.NaN(), Responses: 3, MinResponses: 30,
		PromoterRatio: 0, PassiveRatio: 0.5, DetractorRatio: 0.5})
	SetSurvey(SurveyLabels{Namespace: otherNS, Survey: "a", Touchpoint: "tp", Type: "NPS"}, full)
	// Every series has a count: 4 + 3 ratios + 2 segment series.
	if n := testutil.CollectAndCount(surveysIn(otherNS), surveyFamilies...); n != 9 {
		t.Fatalf("%d series of %s/a, want 9", n, otherNS)
	}

	DeleteSurvey(ns, "a")

	expectExposition(t, surveysIn(ns), ""+
		family("cx_survey_score", "gauge",
			`cx_survey_score{namespace="metrics-test-survey-delete",survey="b",touchpoint="tp",type="NPS"} -20`)+
		family("cx_survey_responses", "gauge",
			`cx_survey_responses{namespace="metrics-test-survey-delete",survey="b",touchpoint="tp",type="NPS"} 3`)+
		family("cx_survey_min_responses", "gauge",
			`cx_survey_min_responses{namespace="metrics-test-survey-delete",survey="b",touchpoint="tp",type="NPS"} 30`)+
		family("cx_survey_nps_ratio", "gauge",
			`cx_survey_nps_ratio{category="detractor",namespace="metrics-test-survey-delete",survey="b",touchpoint="tp",type="NPS"} 0.5`,
			`cx_survey_nps_ratio{category="passive",namespace="metrics-test-survey-delete",survey="b",touchpoint="tp",type="NPS"} 0.5`,
			`cx_survey_nps_ratio{category="promoter",namespace="metrics-test-survey-delete",survey="b",touchpoint="tp",type="NPS"} 0`),
		surveyFamilies...)
	expectExposition(t, surveysIn(otherNS), ""+
		family("cx_survey_score", "gauge",
			`cx_survey_score{namespace="metrics-test-survey-delete-other",survey="a",touchpoint="tp",type="NPS"} 10`)+
		family("cx_survey_responses", "gauge",
			`cx_survey_responses{namespace="metrics-test-survey-delete-other",survey="a",touchpoint="tp",type="NPS"} 50`)+
		family("cx_survey_margin_of_error", "gauge",
			`cx_survey_margin_of_error{namespace="metrics-test-survey-delete-other",survey="a",touchpoint="tp",type="NPS"} 2`)+
		family("cx_survey_min_responses", "gauge",
			`cx_survey_min_responses{namespace="metrics-test-survey-delete-other",survey="a",touchpoint="tp",type="NPS"} 30`)+
		family("cx_survey_nps_ratio", "gauge",
			`cx_survey_nps_ratio{category="detractor",namespace="metrics-test-survey-delete-other",survey="a",touchpoint="tp",type="NPS"} 0.25`,
			`cx_survey_nps_ratio{category="passive",namespace="metrics-test-survey-delete-other",survey="a",touchpoint="tp",type="NPS"} 0.25`,
			`cx_survey_nps_ratio{category="promoter",namespace="metrics-test-survey-delete-other",survey="a",touchpoint="tp",type="NPS"} 0.5`)+
		family("cx_survey_segment_score", "gauge",
			`cx_survey_segment_score{namespace="metrics-test-survey-delete-other",segment="country",survey="a",touchpoint="tp",type="NPS",value="de"} 10`)+
		family("cx_survey_segment_responses", "gauge",
			`cx_survey_segment_responses{namespace="metrics-test-survey-delete-other",segment="country",survey="a",touchpoint="tp",type="NPS",value="de"} 50`),
		surveyFamilies...)

	// Deleting again, or deleting a Survey never published, changes nothing.
	DeleteSurvey(ns, "a")
	DeleteSurvey(ns, "never-published")
	if n := testutil.CollectAndCount(surveysIn(ns), surveyFamilies...); n != 6 {
		t.Errorf("%d series in %s after deleting again, want 6 (those of b)", n, ns)
	}

	// A Survey published again after its deletion has its series again, and
	// deleting it then removes them all.
	SetSurvey(SurveyLabels{Namespace: ns, Survey: "a", Touchpoint: "tp", Type: "NPS"}, full)
	if n := testutil.CollectAndCount(surveysIn(ns), surveyFamilies...); n != 15 {
		t.Errorf("%d series in %s after publishing a again, want 15", n, ns)
	}
	DeleteSurvey(ns, "a")
	DeleteSurvey(ns, "b")
	if n := testutil.CollectAndCount(surveysIn(ns), surveyFamilies...); n != 0 {
		t.Errorf("%d series in %s after deleting both, want none", n, ns)
	}
	if n := testutil.CollectAndCount(surveysIn(otherNS), surveyFamilies...); n != 9 {
		t.Errorf("%d series of %s/a after deleting %s's, want 9", n, otherNS, ns)
	}
}
