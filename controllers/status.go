package controllers

import (
	"context"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// setCondition sets one condition, keeping its lastTransitionTime when the
// status did not change, so that an unchanged condition never causes a
// write.
func setCondition(conds *[]metav1.Condition, generation int64, typ string, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(conds, metav1.Condition{
		Type:               typ,
		Status:             status,
		ObservedGeneration: generation,
		Reason:             reason,
		Message:            message,
	})
}

// patchStatus writes the status of obj with a merge patch computed against
// orig, a copy taken before the reconcile changed anything. It does nothing
// when the statuses are semantically equal, so that a reconcile that
// learned nothing new never writes (and never wakes the watchers).
func patchStatus(ctx context.Context, c client.Client, orig, obj client.Object, oldStatus, newStatus any) (bool, error) {
	if equality.Semantic.DeepEqual(oldStatus, newStatus) {
		return false, nil
	}
	return true, c.Status().Patch(ctx, obj, client.MergeFrom(orig))
}

// boolStatus turns a bool into a condition status.
func boolStatus(ok bool) metav1.ConditionStatus {
	if ok {
		return metav1.ConditionTrue
	}
	return metav1.ConditionFalse
}
