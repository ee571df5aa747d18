package scorecard

import (
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/cadence"
)

// StatusChange classifies what changed between the status last written
// (prev) and the status just computed (next). A Scorecard has no cadence
// of its own (its sources have one, and it follows them), but its writes
// share the operator's status write budget, where urgent changes go
// first:
//   - cadence.Spec: observedGeneration moved (a new spec);
//   - cadence.Condition: a verdict: the card's result, a result that
//     starts or stops pending (spec.stabilizationWindow), an objective's
//     result (Pass, Warning, Fail, NoData, Inconclusive), an objective
//     added or removed, or a condition's status or reason;
//   - cadence.Refresh: the score or an objective's value, score or
//     reason, with the same verdicts;
//   - cadence.None: nothing.
func StatusChange(prev, next *cxv1alpha1.ScorecardStatus) cadence.Change {
	switch {
	case prev.ObservedGeneration != next.ObservedGeneration:
		return cadence.Spec
	case prev.Result != next.Result, prev.PendingResult != next.PendingResult,
		cadence.ConditionsChanged(prev.Conditions, next.Conditions),
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

// DefaultSourceGrace is how long a card waits by default for a new
// source's first status (a Touchpoint's first collector round, a Survey's
// or a card's first evaluation), or for a source a new card names to be
// created, before it reads that source as having no data, or as not
// found.
const DefaultSourceGrace = 15 * time.Second

// AwaitSource returns until when a card should wait before it is judged,
// for a source that exists but has no status yet (observedGeneration 0:
// the operator has not evaluated it since it was created), at most grace
// after the source's creation; zero when it need not wait.
//
// Cards are applied with their sources (kubectl apply, a GitOps sync):
// judged at once, a card would report its objectives as no data, Fail,
// with a ResultChanged Event, for the second it takes the sources to
// report (or to be created), then write and record again. Waiting, it is
// written once, with its real result; a source that never reports, or a
// name that matches nothing, is reported as before once the grace is
// over.
func AwaitSource(source metav1.Object, observedGeneration int64, grace time.Duration, now time.Time) time.Time {
	if observedGeneration != 0 {
		return time.Time{}
	}
	return graceAfter(source, grace, now)
}

// AwaitMissingSource returns until when a new card should wait for a
// source it names that does not exist yet, at most grace after the card's
// creation (applied together, the card may come first: kustomize orders
// Scorecards before Surveys and Touchpoints); zero when it need not wait:
// then SourceNotFound says so.
func AwaitMissingSource(card metav1.Object, grace time.Duration, now time.Time) time.Time {
	return graceAfter(card, grace, now)
}

// graceAfter is grace after obj's creation, zero once it is past.
func graceAfter(obj metav1.Object, grace time.Duration, now time.Time) time.Time {
	until := obj.GetCreationTimestamp().Add(grace)
	if !until.After(now) {
		return time.Time{}
	}
	return until
}
