package metrics

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

var scorecardFamilies = []string{
	"cx_scorecard_score", "cx_scorecard_result", "cx_scorecard_objective_value", "cx_scorecard_objective_met",
	"cx_scorecard_objective_result",
}

func scorecardsIn(namespaces ...string) prometheus.Collector {
	return inNamespaces(namespaces, scorecardScore, scorecardResult, scorecardObjectiveValue, scorecardObjectiveMet, scorecardObjectiveResult)
}

func TestSetScorecardPublishesEverySeries(t *testing.T) {
	t.Parallel()
	const ns = "metrics-test-scorecard-set"
	t.Cleanup(func() { DeleteScorecard(ns, "checkout") })

	SetScorecard(ns, "checkout", ScorecardValues{Score: 62.5, Result: "Warning", Objectives: []ScorecardObjective{
		{Name: "nps", Value: 42, Met: true, Result: "Pass"},
		{Name: "latency", Value: 0.75, Met: false, Result: "Inconclusive"},
		{Name: "csat", Value: math.NaN(), Met: false, Result: "NoData"}, // no data
	}})

	expectExposition(t, scorecardsIn(ns), ""+
		family("cx_scorecard_score", "gauge",
			`cx_scorecard_score{namespace="metrics-test-scorecard-set",scorecard="checkout"} 62.5`)+
		family("cx_scorecard_result", "gauge",
			`cx_scorecard_result{namespace="metrics-test-scorecard-set",result="Fail",scorecard="checkout"} 0`,
			`cx_scorecard_result{namespace="metrics-test-scorecard-set",result="Pass",scorecard="checkout"} 0`,
			`cx_scorecard_result{namespace="metrics-test-scorecard-set",result="Warning",scorecard="checkout"} 1`)+
		family("cx_scorecard_objective_value", "gauge",
			`cx_scorecard_objective_value{namespace="metrics-test-scorecard-set",objective="latency",scorecard="checkout"} 0.75`,
			`cx_scorecard_objective_value{namespace="metrics-test-scorecard-set",objective="nps",scorecard="checkout"} 42`)+
		family("cx_scorecard_objective_met", "gauge",
			`cx_scorecard_objective_met{namespace="metrics-test-scorecard-set",objective="csat",scorecard="checkout"} 0`,
			`cx_scorecard_objective_met{namespace="metrics-test-scorecard-set",objective="latency",scorecard="checkout"} 0`,
			`cx_scorecard_objective_met{namespace="metrics-test-scorecard-set",objective="nps",scorecard="checkout"} 1`)+
		family("cx_scorecard_objective_result", "gauge", objectiveResults("metrics-test-scorecard-set", "checkout",
			"csat", "NoData", "latency", "Inconclusive", "nps", "Pass")...),
		scorecardFamilies...)
}

// An update moves the 1 of cx_scorecard_result to the new result, removes
// the series of a removed objective and the value of an objective that
// lost its data, and publishes the value of one that gained data.
func TestSetScorecardUpdate(t *testing.T) {
	t.Parallel()
	const ns = "metrics-test-scorecard-update"
	t.Cleanup(func() { DeleteScorecard(ns, "onboarding") })

	SetScorecard(ns, "onboarding", ScorecardValues{Score: 50, Result: "Fail", Objectives: []ScorecardObjective{
		{Name: "nps", Value: 42, Met: true},
		{Name: "latency", Value: 3, Met: false},
		{Name: "csat", Value: math.NaN(), Met: false},
		{Name: "ces", Value: 5.5, Met: true},
	}})
	SetScorecard(ns, "onboarding", ScorecardValues{Score: 100, Result: "Pass", Objectives: []ScorecardObjective{
		{Name: "nps", Value: 45, Met: true},
		{Name: "csat", Value: 0.875, Met: true},
		{Name: "ces", Value: math.NaN(), Met: false},
	}})

	expectExposition(t, scorecardsIn(ns), ""+
		family("cx_scorecard_score", "gauge",
			`cx_scorecard_score{namespace="metrics-test-scorecard-update",scorecard="onboarding"} 100`)+
		family("cx_scorecard_result", "gauge",
			`cx_scorecard_result{namespace="metrics-test-scorecard-update",result="Fail",scorecard="onboarding"} 0`,
			`cx_scorecard_result{namespace="metrics-test-scorecard-update",result="Pass",scorecard="onboarding"} 1`,
			`cx_scorecard_result{namespace="metrics-test-scorecard-update",result="Warning",scorecard="onboarding"} 0`)+
		family("cx_scorecard_objective_value", "gauge",
			`cx_scorecard_objective_value{namespace="metrics-test-scorecard-update",objective="csat",scorecard="onboarding"} 0.875`,
			`cx_scorecard_objective_value{namespace="metrics-test-scorecard-update",objective="nps",scorecard="onboarding"} 45`)+
		family("cx_scorecard_objective_met", "gauge",
			`cx_scorecard_objective_met{namespace="metrics-test-scorecard-update",objective="ces",scorecard="onboarding"} 0`,
			`cx_scorecard_objective_met{namespace="metrics-test-scorecard-update",objective="csat",scorecard="onboarding"} 1`,
			`cx_scorecard_objective_met{namespace="metrics-test-scorecard-update",objective="nps",scorecard="onboarding"} 1`),
		scorecardFamilies...)

	// Without objectives only the score and the results remain.
	SetScorecard(ns, "onboarding", ScorecardValues{Score: 0, Result: "Fail"})
	expectExposition(t, scorecardsIn(ns), ""+
		family("cx_scorecard_score", "gauge",
			`cx_scorecard_score{namespace="metrics-test-scorecard-update",scorecard="onboarding"} 0`)+
		family("cx_scorecard_result", "gauge",
			`cx_scorecard_result{namespace="metrics-test-scorecard-update",result="Fail",scorecard="onboarding"} 1`,
			`cx_scorecard_result{namespace="metrics-test-scorecard-update",result="Pass",scorecard="onboarding"} 0`,
			`cx_scorecard_result{namespace="metrics-test-scorecard-update",result="Warning",scorecard="onboarding"} 0`),
		scorecardFamilies...)
}

// A NaN score is an absent series, not a NaN sample.
func TestSetScorecardUndefinedScoreIsAbsent(t *testing.T) {
	t.Parallel()
	const ns = "metrics-test-scorecard-nan"
	t.Cleanup(func() { DeleteScorecard(ns, "empty") })

	SetScorecard(ns, "empty", ScorecardValues{Score: 20, Result: "Fail"})
	SetScorecard(ns, "empty", ScorecardValues{Score: math.NaN(), Result: "Fail"})
	if n := testutil.CollectAndCount(scorecardsIn(ns), "cx_scorecard_score"); n != 0 {
		t.Errorf("cx_scorecard_score has %d series, want none", n)
	}
	if n := testutil.CollectAndCount(scorecardsIn(ns), "cx_scorecard_result"); n != 3 {
		t.Errorf("cx_scorecard_result has %d series, want 3", n)
	}
}

// DeleteScorecard removes every series of one Scorecard and none of
// another's, in the same namespace or with the same name elsewhere.
func TestDeleteScorecard(t *testing.T) {
	t.Parallel()
	const ns, otherNS = "metrics-test-scorecard-delete", "metrics-test-scorecard-delete-other"
	t.Cleanup(func() {
		DeleteScorecard(ns, "a")
		DeleteScorecard(ns, "b")
		DeleteScorecard(otherNS, "a")
	})
	card := ScorecardValues{Score: 75, Result: "Pass", Objectives: []ScorecardObjective{
		{Name: "nps", Value: 30, Met: true},
		{Name: "csat", Value: math.NaN(), Met: false},
	}}
	SetScorecard(ns, "a", card)
	SetScorecard(ns, "b", ScorecardValues{Score: 10, Result: "Fail", Objectives: []ScorecardObjective{
		{Name: "nps", Value: -5, Met: false},
	}})
	SetScorecard(otherNS, "a", card)

	DeleteScorecard(ns, "a")

	expectExposition(t, scorecardsIn(ns), ""+
		family("cx_scorecard_score", "gauge",
			`cx_scorecard_score{namespace="metrics-test-scorecard-delete",scorecard="b"} 10`)+
		family("cx_scorecard_result", "gauge",
			`cx_scorecard_result{namespace="metrics-test-scorecard-delete",result="Fail",scorecard="b"} 1`,
			`cx_scorecard_result{namespace="metrics-test-scorecard-delete",result="Pass",scorecard="b"} 0`,
			`cx_scorecard_result{namespace="metrics-test-scorecard-delete",result="Warning",scorecard="b"} 0`)+
		family("cx_scorecard_objective_value", "gauge",
			`cx_scorecard_objective_value{namespace="metrics-test-scorecard-delete",objective="nps",scorecard="b"} -5`)+
		family("cx_scorecard_objective_met", "gauge",
			`cx_scorecard_objective_met{namespace="metrics-test-scorecard-delete",objective="nps",scorecard="b"} 0`),
		scorecardFamilies...)
	expectExposition(t, scorecardsIn(otherNS), ""+
		family("cx_scorecard_score", "gauge",
			`cx_scorecard_score{namespace="metrics-test-scorecard-delete-other",scorecard="a"} 75`)+
		family("cx_scorecard_result", "gauge",
			`cx_scorecard_result{namespace="metrics-test-scorecard-delete-other",result="Fail",scorecard="a"} 0`,
			`cx_scorecard_result{namespace="metrics-test-scorecard-delete-other",result="Pass",scorecard="a"} 1`,
			`cx_scorecard_result{namespace="metrics-test-scorecard-delete-other",result="Warning",scorecard="a"} 0`)+
		family("cx_scorecard_objective_value", "gauge",
			`cx_scorecard_objective_value{namespace="metrics-test-scorecard-delete-other",objective="nps",scorecard="a"} 30`)+
		family("cx_scorecard_objective_met", "gauge",
			`cx_scorecard_objective_met{namespace="metrics-test-scorecard-delete-other",objective="csat",scorecard="a"} 0`,
			`cx_scorecard_objective_met{namespace="metrics-test-scorecard-delete-other",objective="nps",scorecard="a"} 1`),
		scorecardFamilies...)

	// Published again after its deletion, then deleted: all gone again.
	SetScorecard(ns, "a", card)
	if n := testutil.CollectAndCount(scorecardsIn(ns), scorecardFamilies...); n != 6+7 {
		t.Errorf("%d series in %s after publishing a again, want 13", n, ns)
	}
	DeleteScorecard(ns, "a")
	DeleteScorecard(ns, "b")
	if n := testutil.CollectAndCount(scorecardsIn(ns), scorecardFamilies...); n != 0 {
		t.Errorf("%d series in %s after deleting both, want none", n, ns)
	}
	if n := testutil.CollectAndCount(scorecardsIn(otherNS), scorecardFamilies...); n != 7 {
		t.Errorf("%d series of %s/a, want 7", n, otherNS)
	}
}

// objectiveResults are the exposition lines of cx_scorecard_objective_result
// for objective/result pairs given in the order of the objectives' names:
// 1 for the given result, 0 for the four others (sorted like the
// exposition, by label value).
func objectiveResults(ns, card string, pairs ...string) []string {
	results := slices.Clone(ObjectiveResults)
	slices.Sort(results)
	var lines []string
	for i := 0; i+1 < len(pairs); i += 2 {
		for _, r := range results {
			v := 0
			if r == pairs[i+1] {
				v = 1
			}
			lines = append(lines, fmt.Sprintf(`cx_scorecard_objective_result{namespace=%q,objective=%q,result=%q,scorecard=%q} %d`, ns, pairs[i], r, card, v))
		}
	}
	return lines
}
