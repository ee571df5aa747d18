package controllers

import (
	"context"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
)

// Every kind writes its status the same way: the reconciler computes the
// whole new status on a copy of the object it read, sets its conditions
// with setConditions, and calls writeStatus once.

// maxConditionMessage bounds a condition message. The API allows 32768
// bytes; a status stays readable far below.
const maxConditionMessage = 4096

// setConditions sets each condition on conds for the given generation. A
// condition whose status did not change keeps its lastTransitionTime, so
// that an unchanged condition never causes a write. Messages are trimmed to
// maxConditionMessage bytes on a UTF-8 boundary, here and nowhere else.
func setConditions(conds *[]metav1.Condition, generation int64, cs ...metav1.Condition) {
	for _, c := range cs {
		c.ObservedGeneration = generation
		c.Message = trimMessage(c.Message, maxConditionMessage)
		meta.SetStatusCondition(conds, c)
	}
}

// trimMessage bounds s to max bytes, cutting on a rune boundary and ending
// with "..." when it cuts.
func trimMessage(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max - len("...")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// writeStatus writes the status of obj, a copy of orig that the reconcile
// changed, as a merge patch carrying orig's resourceVersion (optimistic
// lock). It does not write when obj and orig are semantically equal, so
// that a reconcile that learned nothing new never writes (and never wakes
// the watchers). It reports whether it wrote.
//
// Conflicts: a conflict means the cache was behind the server (another
// write of the object landed after the copy the reconcile read). The
// reconcile computed from stale inputs, so nothing is written and no error
// is returned: the watch brings the newer object, and the next reconcile
// (caused by that event, or by the next change of the object's inputs)
// computes from it. Nothing is retried on a timer, and no transition is
// written (or its Event recorded) twice.
func writeStatus(ctx context.Context, c client.Client, orig, obj client.Object) (bool, error) {
	if equality.Semantic.DeepEqual(orig, obj) {
		return false, nil
	}
	err := c.Status().Patch(ctx, obj, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{}))
	if apierrors.IsConflict(err) {
		logf.FromContext(ctx).V(1).Info("status not written: the cache is behind the server, the watch brings the newer object")
		return false, nil
	}
	return err == nil, err
}
