package controllers

import (
	"context"
	"reflect"
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

	"github.com/touchstone-dev/touchstone/internal/cadence"
	"github.com/touchstone-dev/touchstone/internal/metrics"
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
// controllers of a manager (Setup makes it), so that every status write
// of the operator draws from one budget.
type statusWriter struct {
	client client.Client
	// budget is the status write budget (--status-writes-per-second);
	// nil means none.
	budget *cadence.Budget
	// stale remembers the objects whose last write conflicted, so that
	// the watch event of the newer object wakes the controller even when
	// its predicates filter status-only updates out.
	stale sync.Map // staleKey -> struct{}

	mu sync.Mutex
	// written is when this process last wrote each object's status, or
	// first saw it: the start of its cadence.
	written map[staleKey]time.Time
}

// newStatusWriter returns the status writer of a manager, with a budget
// of writesPerSecond (none when 0 or less).
func newStatusWriter(c client.Client, writesPerSecond float64) *statusWriter {
	return &statusWriter{client: c, budget: cadence.NewBudget(writesPerSecond), written: map[staleKey]time.Time{}}
}

// staleKey identifies an object across kinds.
type staleKey struct {
	kind string
	key  types.NamespacedName
}

func keyOf(obj client.Object) staleKey {
	return staleKey{kind: kindOf(obj), key: client.ObjectKeyFromObject(obj)}
}

func (k staleKey) String() string { return k.kind + "/" + k.key.String() }

// kindOf is the kind of a typed API object ("Touchpoint"), without the
// scheme: the objects the writer gets are typed, and their Go type is
// named after their kind.
func kindOf(obj client.Object) string {
	return reflect.Indirect(reflect.ValueOf(obj)).Type().Name()
}

// statusResult is what a status write did.
type statusResult struct {
	// Written is true when the status was written.
	Written bool
	// RequeueNow is true when the write conflicted and the cache already
	// holds the newer object: the reconcile should run again at once.
	RequeueNow bool
	// RetryAfter, when positive, says that a refresh was not written
	// yet: it is due after its cadence, or its slot in the budget comes,
	// this much later. The reconcile must requeue the object after it
	// (nothing else would bring it back), and then computes the status
	// again, from newer values.
	RetryAfter time.Duration
}

// write writes the status of obj, a copy of orig that the reconcile
// changed, as an update of the status subresource carrying orig's
// resourceVersion (optimistic lock), when change and its cadence say it
// is time. An update rather than a merge patch: the API server then need
// not encode the stored object to apply a patch to it, which was a third
// of its CPU per status write (BenchmarkTouchpointStatusCost's profile);
// the whole status is the operator's, so nothing is lost by replacing it. change is the kind
// package's classification of the change (collect.StatusChange,
// survey.StatusChange, scorecard.StatusChange):
//   - cadence.None, or obj equal to orig: nothing is written (a reconcile
//     that learned nothing new never writes, and never wakes watchers);
//   - cadence.Spec and cadence.Condition: written at once, ahead of
//     refreshes in the budget, never held back by it;
//   - cadence.Refresh: written once interval has passed since this
//     process last wrote the object (or first saw it: after a restart
//     the first refresh of an object waits one interval too), and when
//     the budget has a token for it; otherwise RetryAfter says when to
//     try again. An interval of 0 or less is no cadence (budget only).
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
func (w *statusWriter) write(ctx context.Context, orig, obj client.Object, change cadence.Change, interval time.Duration) (statusResult, error) {
	if change == cadence.None || equality.Semantic.DeepEqual(orig, obj) {
		return statusResult{}, nil
	}
	key := keyOf(obj)
	now := time.Now()
	if change.Urgent() {
		w.budget.Urgent(key.String(), now)
	} else if wait := w.refreshWait(key, now, interval); wait > 0 {
		return statusResult{RetryAfter: wait}, nil
	}
	err := w.client.Status().Update(ctx, obj)
	if err == nil {
		w.mu.Lock()
		w.written[key] = now
		w.mu.Unlock()
		metrics.ObserveStatusWrite(key.kind, change.String())
		return statusResult{Written: true}, nil
	}
	if !apierrors.IsConflict(err) {
		return statusResult{}, err
	}
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

// refreshWait is how long a refresh of key must wait at now: until one
// interval after the last write (or first sight), then until its slot in
// the budget. A refresh the budget defers is counted in
// cx_status_writes_deferred_total.
func (w *statusWriter) refreshWait(key staleKey, now time.Time, interval time.Duration) time.Duration {
	w.mu.Lock()
	last, ok := w.written[key]
	if !ok {
		last = now
		w.written[key] = now
	}
	w.mu.Unlock()
	if due := cadence.Due(cadence.Refresh, last, interval); due.After(now) {
		return due.Sub(now)
	}
	wait, deferred := w.budget.Refresh(key.String(), now)
	if deferred {
		metrics.ObserveStatusWriteDeferred(key.kind)
	}
	return wait
}

// forget drops what the writer remembers of an object that is gone; obj
// is an object of its kind (its name is not read).
func (w *statusWriter) forget(obj client.Object, name types.NamespacedName) {
	key := staleKey{kind: kindOf(obj), key: name}
	w.mu.Lock()
	delete(w.written, key)
	w.mu.Unlock()
	w.stale.Delete(key)
	w.budget.Forget(key.String(), time.Now())
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

// earliest is the earlier of two requeue delays, 0 meaning none.
func earliest(a, b time.Duration) time.Duration {
	switch {
	case a <= 0:
		return b
	case b <= 0:
		return a
	}
	return min(a, b)
}

// later is the later of two times.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
