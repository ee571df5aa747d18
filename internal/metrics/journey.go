package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Journey series. Each is labelled with the namespace and name of the
// Journey; the stage series also with the stage (at most ten values).
var (
	journeyStageSatisfaction = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cx_journey_stage_satisfaction",
		Help: "Satisfaction of a Journey stage on a 0..100 scale: the response-weighted mean of its Surveys' scores, normalised (NPS (x+100)/2, CSAT as is, CES and Rating (x-min)/(max-min)*100). Absent while no Survey of the stage has enough responses.",
	}, []string{"namespace", "journey", "stage"})
	journeyStageMarginOfError = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cx_journey_stage_margin_of_error",
		Help: "Margin of error of cx_journey_stage_satisfaction at the Journey's confidence level, on the same 0..100 scale. Absent while undefined.",
	}, []string{"namespace", "journey", "stage"})
	journeyStageTouchpoints = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cx_journey_stage_touchpoints",
		Help: "Touchpoints of a Journey stage, by whether they are measured (measured=\"true\": a metric with a value or a Survey with responses in its window).",
	}, []string{"namespace", "journey", "stage", "measured"})
	journeyCoverageRatio = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cx_journey_coverage_ratio",
		Help: "Share of a Journey's declared stages that have at least one measured Touchpoint, 0..1.",
	}, []string{"namespace", "journey"})
	journeySpread = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cx_journey_spread",
		Help: "Spread of a Journey's stage satisfaction, best stage minus worst, 0..100. Absent with fewer than two scored stages.",
	}, []string{"namespace", "journey"})

	journeySeries published
)

func init() {
	crmetrics.Registry.MustRegister(journeyStageSatisfaction, journeyStageMarginOfError, journeyStageTouchpoints,
		journeyCoverageRatio, journeySpread)
}

// JourneyStage is what is published for one stage.
type JourneyStage struct {
	// Stage is the stage's name.
	Stage string
	// Satisfaction and MarginOfError on 0..100; NaN when undefined (the
	// series is then absent).
	Satisfaction, MarginOfError float64
	// Touchpoints and Measured count the stage's Touchpoints, all and
	// measured.
	Touchpoints, Measured int
}

// JourneyValues are the numbers published for one Journey.
type JourneyValues struct {
	// CoverageRatio is measured stages over declared stages, 0..1.
	CoverageRatio float64
	// Spread is max − min of the stage satisfaction; NaN when undefined.
	Spread float64
	// Stages are the declared stages.
	Stages []JourneyStage
}

// SetJourney publishes the series of one Journey and removes those it no
// longer has (a stage no longer declared, a satisfaction that went
// missing).
func SetJourney(namespace, name string, v JourneyValues) {
	journeySeries.update(namespace+"/"+name, func(g *gauges) {
		g.set(journeyCoverageRatio, v.CoverageRatio, namespace, name)
		g.set(journeySpread, v.Spread, namespace, name)
		for _, s := range v.Stages {
			g.set(journeyStageSatisfaction, s.Satisfaction, namespace, name, s.Stage)
			g.set(journeyStageMarginOfError, s.MarginOfError, namespace, name, s.Stage)
			g.set(journeyStageTouchpoints, float64(s.Measured), namespace, name, s.Stage, "true")
			g.set(journeyStageTouchpoints, float64(s.Touchpoints-s.Measured), namespace, name, s.Stage, "false")
		}
	})
}

// DeleteJourney removes every series of one Journey.
func DeleteJourney(namespace, name string) {
	journeySeries.delete(namespace + "/" + name)
}
