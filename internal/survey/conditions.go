package survey

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
)

// ReferenceProblem is what keeps a Survey from receiving: an object it
// names that does not exist (its Touchpoint, a receiver Secret or a key of
// it), a Secret it cannot use, or a mapping that does not compile. Reason
// is the Ready condition's reason (TouchpointNotFound, SecretNotFound,
// SecretKeyNotFound, InvalidSigningSecret, InvalidMapping), Message says
// which.
type ReferenceProblem struct {
	Reason, Message string
}

// MappingProblem is the problem of a Survey whose spec.receiver.mapping
// does not compile; err names the expression's field.
func MappingProblem(err error) *ReferenceProblem {
	return &ReferenceProblem{Reason: cxv1alpha1.ReasonInvalidMapping, Message: err.Error()}
}

// Conditions are a Survey's DataSufficient and Ready conditions (the
// controller sets their generation), from the sample size n of its window
// and the first of its references that does not resolve (nil when all do).
//
// DataSufficient is True once the window holds spec.minResponses
// responses. Ready is False for a missing reference first, then
// InsufficientData below the minimum (the score is shown but not
// trustworthy), True (Reconciled) otherwise.
func Conditions(spec *cxv1alpha1.SurveySpec, n int64, refs *ReferenceProblem) []metav1.Condition {
	minN := spec.MinResponsesOrDefault()
	window := fmt.Sprintf("the last %d days", spec.WindowDays())
	sufficient := metav1.Condition{Type: cxv1alpha1.ConditionDataSufficient, Status: metav1.ConditionTrue,
		Reason: cxv1alpha1.ReasonSufficientData, Message: fmt.Sprintf("%d responses in %s (minimum %d)", n, window, minN)}
	if n < minN {
		sufficient.Status, sufficient.Reason = metav1.ConditionFalse, cxv1alpha1.ReasonInsufficientData
		sufficient.Message = fmt.Sprintf("%d of the %d responses needed in %s", n, minN, window)
	}
	ready := metav1.Condition{Type: cxv1alpha1.ConditionReady}
	switch {
	case refs != nil:
		ready.Status, ready.Reason, ready.Message = metav1.ConditionFalse, refs.Reason, refs.Message
	case n < minN:
		ready.Status, ready.Reason = metav1.ConditionFalse, cxv1alpha1.ReasonInsufficientData
		ready.Message = fmt.Sprintf("the score is shown but not trustworthy: %d of the %d responses needed in %s", n, minN, window)
	default:
		ready.Status, ready.Reason = metav1.ConditionTrue, cxv1alpha1.ReasonReconciled
		ready.Message = fmt.Sprintf("score computed from %d responses in %s", n, window)
	}
	return []metav1.Condition{sufficient, ready}
}

// TalliesUnreadable is the Ready condition of a Survey one of whose
// tallies cannot be read: a bug or tampering, which retrying does not fix.
func TalliesUnreadable(err error) metav1.Condition {
	return metav1.Condition{Type: cxv1alpha1.ConditionReady, Status: metav1.ConditionFalse,
		Reason: cxv1alpha1.ReasonTalliesUnreadable, Message: "cannot read the survey's tallies: " + err.Error()}
}
