package survey

import (
	"k8s.io/apimachinery/pkg/api/equality"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/cadence"
)

// StatusChange classifies what changed between the status last written
// (prev) and the status just computed (next); the controller writes an
// urgent change at once and a refresh at most once per
// --survey-status-interval (internal/cadence):
//   - cadence.Spec: observedGeneration moved (a new spec);
//   - cadence.Condition: a condition appeared or changed its status or
//     reason: DataSufficient once the window holds minResponses (or no
//     longer does), Ready (a reference found or lost, enough data, a
//     tally that cannot be read); or the receiver path;
//   - cadence.Refresh: anything else: the score, n, margins, breakdowns,
//     trend, segments, the last response time, the window's start, a
//     condition's message (which counts the responses);
//   - cadence.None: nothing.
//
// Example: with minResponses 30, responses 12 to 29 are refreshes; the
// 30th turns DataSufficient and Ready True: a Condition, written at once.
func StatusChange(prev, next *cxv1alpha1.SurveyStatus) cadence.Change {
	switch {
	case prev.ObservedGeneration != next.ObservedGeneration:
		return cadence.Spec
	case cadence.ConditionsChanged(prev.Conditions, next.Conditions), prev.ReceiverPath != next.ReceiverPath:
		return cadence.Condition
	case !equality.Semantic.DeepEqual(prev, next):
		return cadence.Refresh
	}
	return cadence.None
}
