package collect

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
)

// Conditions are a Touchpoint's Ready and CollectorsHealthy conditions
// (the controller sets their generation).
//
// Ready is False for a configuration problem first (InvalidCollector,
// InvalidExpression, SecretNotFound, SecretKeyNotFound), then
// CollectorsFailing when the last
// run of a collector failed, then CollectorsPending until every collector
// has run once; True (CollectorsSucceeded) otherwise. Derived metrics
// without a value (an input without value, a division by zero) say why in
// their reason and do not change Ready.
//
// CollectorsHealthy is True (CollectorsSucceeded) when the last run of
// every collector succeeded, False with CollectorsFailing (naming them and
// their errors) or CollectorsPending otherwise. Its message also carries
// the warnings of healthy collectors (a list read only in part), so that a
// partial value is never silent.
func Conditions(res StatusResult, exprErr error, secretErr *Error) []metav1.Condition {
	total := len(res.Collectors)
	healthy := metav1.Condition{Type: cxv1alpha1.ConditionCollectorsHealthy}
	switch {
	case len(res.Failing) > 0:
		healthy.Status, healthy.Reason = metav1.ConditionFalse, cxv1alpha1.ReasonCollectorsFailing
		healthy.Message = fmt.Sprintf("%d of %d collectors failing: %s", len(res.Failing), total, strings.Join(res.FailingErrors, "; "))
	case len(res.Pending) > 0:
		healthy.Status, healthy.Reason = metav1.ConditionFalse, cxv1alpha1.ReasonCollectorsPending
		healthy.Message = "waiting for the first run of " + strings.Join(res.Pending, ", ")
	case total == 0:
		healthy.Status, healthy.Reason, healthy.Message = metav1.ConditionTrue, cxv1alpha1.ReasonCollectorsSucceeded, "the touchpoint has no collectors"
	default:
		healthy.Status, healthy.Reason = metav1.ConditionTrue, cxv1alpha1.ReasonCollectorsSucceeded
		healthy.Message = fmt.Sprintf("the last run of all %d collectors succeeded", total)
	}
	if len(res.Warnings) > 0 {
		healthy.Message += "; " + strings.Join(res.Warnings, "; ")
	}

	ready := metav1.Condition{Type: cxv1alpha1.ConditionReady, Status: metav1.ConditionFalse}
	switch {
	case res.Invalid != nil:
		ready.Reason, ready.Message = cxv1alpha1.ReasonInvalidCollector, res.Invalid.Error()
	case exprErr != nil:
		ready.Reason, ready.Message = cxv1alpha1.ReasonInvalidExpression, exprErr.Error()
	case secretErr != nil:
		ready.Reason, ready.Message = secretErr.Reason, secretErr.Message
	case len(res.Failing) > 0:
		ready.Reason, ready.Message = cxv1alpha1.ReasonCollectorsFailing, "failing collectors: "+strings.Join(res.Failing, ", ")
	case len(res.Pending) > 0:
		ready.Reason, ready.Message = cxv1alpha1.ReasonCollectorsPending, "waiting for the first run of "+strings.Join(res.Pending, ", ")
	default:
		ready.Status, ready.Reason, ready.Message = metav1.ConditionTrue, cxv1alpha1.ReasonCollectorsSucceeded, healthy.Message
	}
	return []metav1.Condition{healthy, ready}
}
