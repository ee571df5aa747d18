package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// The forecast of a Survey: one series per bound, published with the
// Survey's other series (SetSurvey) and deleted with them.
var surveyForecastScore = prometheus.NewGaugeVec(prometheus.GaugeOpts{
	Name: "cx_survey_forecast_score",
	Help: "Score a Survey is projected to have one window ahead, from a weighted linear trend of its daily scores: bound=point, or the lower and upper ends of its prediction interval. Absent while the window has fewer than 14 days with responses.",
}, withLabels("bound"))

func init() {
	crmetrics.Registry.MustRegister(surveyForecastScore)
}

// SurveyForecast is a Survey's projected score and its prediction
// interval.
type SurveyForecast struct {
	Point, Lower, Upper float64
}

// set records the three bounds of f for a Survey's label values.
func (f *SurveyForecast) set(g *gauges, lv []string) {
	if f == nil {
		return
	}
	with := func(bound string) []string { return append(append([]string{}, lv...), bound) }
	g.set(surveyForecastScore, f.Point, with("point")...)
	g.set(surveyForecastScore, f.Lower, with("lower")...)
	g.set(surveyForecastScore, f.Upper, with("upper")...)
}
