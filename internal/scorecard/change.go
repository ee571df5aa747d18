package scorecard

import (
	"k8s.io/apimachinery/pkg/api/equality"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/cadence"
)

// StatusChange classifies what changed between the status last written
// (prev) and the status just computed (next). A Scorecard has no cadence
// of its own (its sources have one, and it follows them), but its writes
// share the operator's status write budget, where urgent changes go
// first:
//   - cadence.Spec: observedGeneration moved (a new spec);
//   - cadence.Condition: a verdict: the card's result, an objective's
//     result (Pass, Warning, Fail, NoData), an objective added or
//     removed, or a condition's status or reason;
//   - cadence.Refresh: the score or an objective's value, score or
//     reason, with the same verdicts;
//   - cadence.None: nothing.
func StatusChange(prev, next *cxv1alpha1.ScorecardStatus) cadence.Change {
	switch {
	case prev.ObservedGeneration != next.ObservedGeneration:
		return cadence.Spec
	case prev.Result != next.Result, cadence.ConditionsChanged(prev.Conditions, next.Conditions),
		objectiveVerdictsChanged(prev.Objectives, next.Objectives):
		return cadence.Condition
	case !equality.Semantic.DeepEqual(prev, next):
		return cadence.Refresh
	}
	return cadence.None
}

func objectiveVerdictsChanged(prev, next []cxv1alpha1.ObjectiveStatus) bool {
	if len(prev) != len(next) {
		return true
	}
	before := make(map[string]cxv1alpha1.ObjectiveResult, len(prev))
	for _, o := range prev {
		before[o.Name] = o.Result
	}
	for _, o := range next {
		if r, ok := before[o.Name]; !ok || r != o.Result {
			return true
		}
	}
	return false
}
