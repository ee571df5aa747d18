package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Scorecard series. Each is labelled with the namespace and name of the
// Scorecard; the objective series also with the objective's name, and
// cx_scorecard_result with each possible result.
var (
	scorecardScore = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cx_scorecard_score",
		Help: "Weighted score of a Scorecard, 0..100: 100 * (weights of passing objectives + half the weights of warning and inconclusive ones) / all weights. Objectives without data score 0.",
	}, []string{"namespace", "scorecard"})
	scorecardResult = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cx_scorecard_result",
		Help: "Published result of a Scorecard (it changes once a new result has held for the card's stabilization window): 1 for the current result (Pass, Warning or Fail), 0 for the others.",
	}, []string{"namespace", "scorecard", "result"})
	scorecardObjectiveValue = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cx_scorecard_objective_value",
		Help: "Value a Scorecard objective read from its source, in the source's unit. Absent while the objective has no data.",
	}, []string{"namespace", "scorecard", "objective"})
	scorecardObjectiveMet = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cx_scorecard_objective_met",
		Help: "1 when a Scorecard objective passes (its value, or for decision Confident its whole interval, is inside its target), 0 otherwise: Warning, Inconclusive, Fail and no data are not met.",
	}, []string{"namespace", "scorecard", "objective"})
	scorecardObjectiveResult = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cx_scorecard_objective_result",
		Help: "Result of a Scorecard objective: 1 for the current one (Pass, Warning, Inconclusive, Fail or NoData), 0 for the others.",
	}, []string{"namespace", "scorecard", "objective", "result"})

	scorecardSeries published
)

// ScorecardResults are the values cx_scorecard_result takes a series for.
var ScorecardResults = []string{"Pass", "Warning", "Fail"}

// ObjectiveResults are the values cx_scorecard_objective_result takes a
// series for.
var ObjectiveResults = []string{"Pass", "Warning", "Inconclusive", "Fail", "NoData"}

func init() {
	crmetrics.Registry.MustRegister(scorecardScore, scorecardResult, scorecardObjectiveValue, scorecardObjectiveMet,
		scorecardObjectiveResult)
}

// ScorecardObjective is what is published for one objective.
type ScorecardObjective struct {
	// Name of the objective.
	Name string
	// Value read from the source; NaN when the objective has no data
	// (the value series is then absent).
	Value float64
	// Met is true when the objective passes.
	Met bool
	// Result is Pass, Warning, Inconclusive, Fail or NoData; empty
	// publishes no cx_scorecard_objective_result series.
	Result string
}

// ScorecardValues are the numbers published for one Scorecard.
type ScorecardValues struct {
	// Score is the total score, 0..100.
	Score float64
	// Result is the published result, Pass, Warning or Fail (after the
	// card's stabilization window).
	Result string
	// Objectives are the objectives' values.
	Objectives []ScorecardObjective
}

// SetScorecard publishes the series of one Scorecard and removes those it
// no longer has (a removed or renamed objective, a value that went
// missing).
func SetScorecard(namespace, name string, v ScorecardValues) {
	scorecardSeries.update(namespace+"/"+name, func(g *gauges) {
		g.set(scorecardScore, v.Score, namespace, name)
		for _, r := range ScorecardResults {
			current := 0.0
			if r == v.Result {
				current = 1
			}
			g.set(scorecardResult, current, namespace, name, r)
		}
		for _, o := range v.Objectives {
			g.set(scorecardObjectiveValue, o.Value, namespace, name, o.Name)
			met := 0.0
			if o.Met {
				met = 1
			}
			g.set(scorecardObjectiveMet, met, namespace, name, o.Name)
			if o.Result == "" {
				continue
			}
			for _, r := range ObjectiveResults {
				current := 0.0
				if r == o.Result {
					current = 1
				}
				g.set(scorecardObjectiveResult, current, namespace, name, o.Name, r)
			}
		}
	})
}

// DeleteScorecard removes every series of one Scorecard.
func DeleteScorecard(namespace, name string) {
	scorecardSeries.delete(namespace + "/" + name)
	labels := prometheus.Labels{"namespace": namespace, "scorecard": name}
	for _, vec := range []*prometheus.GaugeVec{scorecardScore, scorecardResult, scorecardObjectiveValue, scorecardObjectiveMet, scorecardObjectiveResult} {
		vec.DeletePartialMatch(labels)
	}
}
