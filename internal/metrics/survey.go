package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

var surveyLabels = []string{"namespace", "survey", "touchpoint", "type"}

func withLabels(extra ...string) []string {
	return append(append([]string{}, surveyLabels...), extra...)
}

var (
	surveyScore = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cx_survey_score",
		Help: "Score of a Survey over its rolling window: NPS -100..100, CSAT percent satisfied 0..100, CES and Rating mean. Absent while the window holds no response.",
	}, surveyLabels)
	surveyResponses = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cx_survey_responses",
		Help: "Responses counted in a Survey's rolling window (the sample size n of cx_survey_score).",
	}, surveyLabels)
	surveyMarginOfError = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cx_survey_margin_of_error",
		Help: "Half-width of the confidence interval of cx_survey_score at the Survey's confidence level, in score units. Absent while undefined.",
	}, surveyLabels)
	surveyMinResponses = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cx_survey_min_responses",
		Help: "Sample size below which a Survey's data is insufficient (spec.minResponses); compare with cx_survey_responses.",
	}, surveyLabels)
	surveyNPSRatio = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cx_survey_nps_ratio",
		Help: "Share of an NPS Survey's responses in each category (promoter 9-10, passive 7-8, detractor 0-6), 0..1.",
	}, withLabels("category"))
	surveySegmentScore = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cx_survey_segment_score",
		Help: "Score of the responses of a Survey that carry one segment value. Values past the Survey's cap or answered fewer than spec.minSegmentResponses times count as \"other\", which has no score while it holds too few responses.",
	}, withLabels("segment", "value"))
	surveySegmentResponses = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cx_survey_segment_responses",
		Help: "Responses of a Survey's rolling window that carry one segment value.",
	}, withLabels("segment", "value"))
	surveySegmentRepresentationRatio = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cx_survey_segment_representation_ratio",
		Help: "Share of a Survey's responses with one segment value divided by the value's expected share of the customer base: above 1 over-represented, below 1 under-represented. Only for segments with expected shares.",
	}, withLabels("segment", "value"))
	surveySegmentRepresentationPValue = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cx_survey_segment_representation_p_value",
		Help: "p-value of the chi-square test that a Survey's responses follow a segment's expected shares (small: the sample does not represent the customer base). Absent while there are too few responses to test.",
	}, withLabels("segment"))
	surveyUnweightedScore = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cx_survey_unweighted_score",
		Help: "Score of a weighted Survey's responses as received, beside the weighted cx_survey_score. Only for Surveys with spec.weighting.",
	}, surveyLabels)
	surveyEffectiveResponses = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cx_survey_effective_responses",
		Help: "Kish's effective sample size of a weighted Survey's score: the unweighted responses that would give the same precision. Only for Surveys with spec.weighting.",
	}, surveyLabels)

	surveySeries published
)

func init() {
	crmetrics.Registry.MustRegister(surveyScore, surveyResponses, surveyMarginOfError, surveyMinResponses,
		surveyNPSRatio, surveySegmentScore, surveySegmentResponses, surveySegmentRepresentationRatio,
		surveySegmentRepresentationPValue, surveyUnweightedScore, surveyEffectiveResponses)
}

// SurveyLabels identify one Survey's series.
type SurveyLabels struct {
	Namespace, Survey, Touchpoint, Type string
}

// SurveySegment is the score of one segment value. Score is NaN for a
// group whose count alone may be published.
type SurveySegment struct {
	Segment, Value string
	Responses      int64
	Score          float64
	// Expected is true when the segment has expected shares: then
	// RepresentationRatio is published (unless NaN).
	Expected            bool
	RepresentationRatio float64
}

// SurveyRepresentation is the representation test of one segment.
type SurveyRepresentation struct {
	Segment string
	PValue  float64
}

// SurveyValues are the numbers published for one Survey. NaN means
// undefined: the series is absent rather than NaN.
type SurveyValues struct {
	Score, MarginOfError                        float64
	Responses, MinResponses                     int64
	PromoterRatio, PassiveRatio, DetractorRatio float64
	Segments                                    []SurveySegment
	Representation                              []SurveyRepresentation
	// Weighting is set when Score is weighted.
	Weighting *SurveyWeighting
}

// SurveyWeighting are the numbers beside a weighted score.
type SurveyWeighting struct {
	UnweightedScore, EffectiveResponses float64
}

// SetSurvey publishes the series of one Survey and removes those it no
// longer has (a segment value that left the window, a changed touchpoint).
func SetSurvey(l SurveyLabels, v SurveyValues) {
	lv := []string{l.Namespace, l.Survey, l.Touchpoint, l.Type}
	with := func(extra ...string) []string { return append(append([]string{}, lv...), extra...) }
	surveySeries.update(l.Namespace+"/"+l.Survey, func(g *gauges) {
		g.set(surveyScore, v.Score, lv...)
		g.set(surveyResponses, float64(v.Responses), lv...)
		g.set(surveyMinResponses, float64(v.MinResponses), lv...)
		g.set(surveyMarginOfError, v.MarginOfError, lv...)
		g.set(surveyNPSRatio, v.PromoterRatio, with("promoter")...)
		g.set(surveyNPSRatio, v.PassiveRatio, with("passive")...)
		g.set(surveyNPSRatio, v.DetractorRatio, with("detractor")...)
		if w := v.Weighting; w != nil {
			g.set(surveyUnweightedScore, w.UnweightedScore, lv...)
			g.set(surveyEffectiveResponses, w.EffectiveResponses, lv...)
		}
		for _, s := range v.Segments {
			g.set(surveySegmentResponses, float64(s.Responses), with(s.Segment, s.Value)...)
			g.set(surveySegmentScore, s.Score, with(s.Segment, s.Value)...)
			if s.Expected {
				g.set(surveySegmentRepresentationRatio, s.RepresentationRatio, with(s.Segment, s.Value)...)
			}
		}
		for _, r := range v.Representation {
			g.set(surveySegmentRepresentationPValue, r.PValue, with(r.Segment)...)
		}
	})
}

// DeleteSurvey removes every series of one Survey.
func DeleteSurvey(namespace, name string) {
	surveySeries.delete(namespace + "/" + name)
}
