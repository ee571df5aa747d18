package controllers

import (
	"context"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
)

// Every kind writes its status the same way: the reconciler computes the
// whole new status on a copy of the object it read, sets its conditions
// with setConditions, and calls statusWriter.write once.

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

// trimMessage bounds s to limit bytes, cutting on a rune boundary and
// ending with "..." when it cuts.
func trimMessage(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := limit - len("...")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// statusWriter writes the status of every kind. One is shared by all the
// controllers of a manager (Setup makes it).
type statusWriter struct {
	client client.Client
	// stale remembers the objects whose last write conflicted, so that
	// the watch event of the newer object wakes the controller even when
	// its predicates filter status-only updates out.
	stale sync.Map // staleKey -> struct{}
}

// staleKey identifies an object across kinds.
type staleKey struct {
	kind string
	key  types.NamespacedName
}

func keyOf(obj client.Object) staleKey {
	return staleKey{kind: fmt.Sprintf("%T", obj), key: client.ObjectKeyFromObject(obj)}
}

// statusResult is what a status write did.
type statusResult struct {
	// Written is true when the status was written.
	Written bool
	// RequeueNow is true when the write conflicted and the cache already
	// holds the newer object: the reconcile should run again at once.
	RequeueNow bool
}

// write writes the status of obj, a copy of orig that the reconcile
// changed, as a merge patch carrying orig's resourceVersion (optimistic
// lock). It does not write when obj and orig are semantically equal, so
// that a reconcile that learned nothing new never writes (and never wakes
// the watchers).
//
// Conflicts: a conflict means the cache was behind the server (another
// write of the object, often this controller's previous one, landed after
// the copy the reconcile read). The reconcile computed from stale inputs,
// so nothing is written and no error is returned; the watch brings the
// newer object and the next reconcile computes from it. Because the
// controllers filter status-only updates out of their watches, the object
// is marked stale first, and stalePredicate lets its next update through;
// when the cache already holds the newer object, RequeueNow says so.
// Nothing is retried on a timer, and no transition is written (or its
// Event recorded) twice.
func (w *statusWriter) write(ctx context.Context, orig, obj client.Object) (statusResult, error) {
	if equality.Semantic.DeepEqual(orig, obj) {
		return statusResult{}, nil
	}
	err := w.client.Status().Patch(ctx, obj, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{}))
	if !apierrors.IsConflict(err) {
		return statusResult{Written: err == nil}, err
	}
	key := keyOf(obj)
	w.stale.Store(key, struct{}{})
	latest := obj.DeepCopyObject().(client.Object)
	if gerr := w.client.Get(ctx, key.key, latest); gerr == nil && latest.GetResourceVersion() != orig.GetResourceVersion() {
		// The newer object reached the cache meanwhile: its event has
		// passed already.
		w.stale.Delete(key)
		logf.FromContext(ctx).V(1).Info("status not written: the cache was behind the server; reconciling the newer object")
		return statusResult{RequeueNow: true}, nil
	}
	logf.FromContext(ctx).V(1).Info("status not written: the cache is behind the server, waiting for the newer object")
	return statusResult{}, nil
}

// stalePredicate passes the next update of an object whose status write
// conflicted, whatever else the controller's predicates filter.
func (w *statusWriter) stalePredicate() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc:  func(event.CreateEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
		UpdateFunc: func(e event.UpdateEvent) bool {
			_, stale := w.stale.LoadAndDelete(keyOf(e.ObjectNew))
			return stale
		},
	}
}

// requeueNow is the result of a reconcile that must run again at once
// (statusResult.RequeueNow).
const requeueNow = time.Millisecond
