package journey

import (
	"slices"

	"k8s.io/apimachinery/pkg/api/equality"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/cadence"
)

// StatusChange classifies what changed between the status last written
// (prev) and the status just computed (next); the controller writes an
// urgent change at once and a refresh at most once per
// --journey-status-interval (internal/cadence):
//   - cadence.Spec: observedGeneration moved (a new spec);
//   - cadence.Condition: what a CX lead or a pipeline must see at once: a
//     condition's status or reason, the coverage, which stages or
//     Touchpoints are unmeasured, how many stages have a satisfaction,
//     the weakest or strongest stage (found or lost), the card's result;
//   - cadence.Refresh: anything else: stage satisfaction and margins,
//     response counts, spread, the card's score, messages;
//   - cadence.None: nothing.
//
// Example: a Survey's new score moves its stage from 71.3 to 71.5: a
// refresh. The same Survey losing its last response in the window leaves
// its stage unmeasured: coverage 9/10 becomes 8/10, a Condition, written
// at once.
func StatusChange(prev, next *cxv1alpha1.JourneyStatus) cadence.Change {
	switch {
	case prev.ObservedGeneration != next.ObservedGeneration:
		return cadence.Spec
	case cadence.ConditionsChanged(prev.Conditions, next.Conditions),
		prev.Coverage != next.Coverage,
		!slices.Equal(prev.UnmeasuredStages, next.UnmeasuredStages),
		!slices.Equal(prev.UnmeasuredTouchpoints, next.UnmeasuredTouchpoints),
		scored(prev) != scored(next),
		weakest(prev) != weakest(next), strongest(prev) != strongest(next),
		cardResult(prev) != cardResult(next):
		return cadence.Condition
	case !equality.Semantic.DeepEqual(prev, next):
		return cadence.Refresh
	}
	return cadence.None
}

func scored(st *cxv1alpha1.JourneyStatus) int32 {
	if st.Consistency == nil {
		return 0
	}
	return st.Consistency.ScoredStages
}

func weakest(st *cxv1alpha1.JourneyStatus) cxv1alpha1.Stage {
	if st.Consistency == nil {
		return ""
	}
	return st.Consistency.Weakest
}

func strongest(st *cxv1alpha1.JourneyStatus) cxv1alpha1.Stage {
	if st.Consistency == nil {
		return ""
	}
	return st.Consistency.Strongest
}

func cardResult(st *cxv1alpha1.JourneyStatus) cxv1alpha1.ScorecardResult {
	if st.Scorecard == nil {
		return ""
	}
	return st.Scorecard.Result
}
