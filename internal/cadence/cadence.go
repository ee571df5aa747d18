// Package cadence decides when a change of an object's status may be
// written. Status is for people, GitOps tools and Scorecards; the cx_*
// series carry every value live. So a change that someone must see at
// once (a new spec, a condition) is written at once, while a change of
// values only (a refresh) is written at most once per interval of its
// kind: a Touchpoint whose metric changes on every run costs the API
// server one write per interval, not one per run.
//
// What counts as what is each kind's decision (internal/collect for
// Touchpoints, internal/survey for Surveys, internal/scorecard for
// Scorecards); this package holds the vocabulary and the deadline. It is
// pure: no clock, no client.
package cadence

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Change is what changed between the status last written and the status
// just computed, from the least to the most urgent.
type Change int

// The changes, in order of urgency.
const (
	// None: nothing worth a write.
	None Change = iota
	// Refresh: values only. Written at most once per interval.
	Refresh
	// Condition: something a user or a GitOps tool must see at once (a
	// condition's status or reason, a collector that starts failing or
	// recovers, a value that appears or is lost). Written at once.
	Condition
	// Spec: status.observedGeneration moved. Written at once.
	Spec
)

// String is the change's name, as the cause label of
// cx_status_writes_total says it.
func (c Change) String() string {
	switch c {
	case Refresh:
		return "refresh"
	case Condition:
		return "condition"
	case Spec:
		return "spec"
	}
	return "none"
}

// Urgent reports whether the change is written at once, ahead of value
// refreshes.
func (c Change) Urgent() bool { return c >= Condition }

// Due is when a change may be written, given when the object's status was
// last written (or, when this process never wrote it, first seen): an
// urgent change at once (the zero time), a refresh one interval after the
// last write. An interval of 0 or less means no cadence.
//
// Example: a Touchpoint written at 10:00:00 with a 60s interval whose
// value changes at 10:00:10 is due at 10:01:00; the same change with a
// collector that started failing is due at once.
func Due(c Change, lastWrite time.Time, interval time.Duration) time.Time {
	if c.Urgent() || c == None || interval <= 0 || lastWrite.IsZero() {
		return time.Time{}
	}
	return lastWrite.Add(interval)
}

// Max returns the most urgent of the changes.
func Max(cs ...Change) Change {
	out := None
	for _, c := range cs {
		out = max(out, c)
	}
	return out
}

// ConditionsChanged reports whether a condition appeared, went away, or
// changed its status or reason. A message alone is not such a change (it
// may carry an error text that differs from run to run); neither is a
// lastTransitionTime, which only moves with the status.
func ConditionsChanged(prev, next []metav1.Condition) bool {
	if len(prev) != len(next) {
		return true
	}
	before := make(map[string]metav1.Condition, len(prev))
	for _, c := range prev {
		before[c.Type] = c
	}
	for _, c := range next {
		p, ok := before[c.Type]
		if !ok || p.Status != c.Status || p.Reason != c.Reason || p.ObservedGeneration != c.ObservedGeneration {
			return true
		}
	}
	return false
}
