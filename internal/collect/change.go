package collect

import (
	"time"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/cadence"
)

// StatusChange classifies what changed between the status last written
// (prev) and the status just computed (next); the controller writes an
// urgent change at once and a refresh at most once per
// --touchpoint-status-interval (internal/cadence):
//   - cadence.Spec: observedGeneration moved (a new spec);
//   - cadence.Condition: a condition appeared or changed its status or
//     reason; a collector started failing, recovered, ran for the first
//     time, was added or removed; a metric got a value or lost it, was
//     added or removed; healthyCollectors changed;
//   - cadence.Refresh: anything else but run times: a value that changed
//     (and its since), the error or failure count of a collector that
//     keeps failing, the reason of a metric that has no value, a
//     condition's message;
//   - cadence.None: nothing, or run times only (lastRunTime,
//     lastSuccessTime, nextRunTime), which never cause a write.
//
// Example: a latency that goes from 0.31 to 0.29 is a Refresh; the same
// run failing instead is a Condition (the collector starts failing, and
// Ready turns False); its third failure in a row, which takes the value
// away, is a Condition again, while the second is a Refresh.
func StatusChange(prev, next *cxv1alpha1.TouchpointStatus) cadence.Change {
	switch {
	case prev.ObservedGeneration != next.ObservedGeneration:
		return cadence.Spec
	case cadence.ConditionsChanged(prev.Conditions, next.Conditions),
		prev.HealthyCollectors != next.HealthyCollectors,
		collectorsTransitioned(prev.Collectors, next.Collectors),
		metricsTransitioned(prev.Metrics, next.Metrics):
		return cadence.Condition
	case SignificantChange(prev, next):
		return cadence.Refresh
	}
	return cadence.None
}

// collectorsTransitioned reports whether a collector was added or
// removed, ran for the first time, started failing or recovered.
func collectorsTransitioned(prev, next []cxv1alpha1.CollectorStatus) bool {
	if len(prev) != len(next) {
		return true
	}
	before := make(map[string]cxv1alpha1.CollectorStatus, len(prev))
	for _, c := range prev {
		before[c.Name] = c
	}
	for _, c := range next {
		p, ok := before[c.Name]
		if !ok || (p.LastRunTime == nil) != (c.LastRunTime == nil) || failing(p) != failing(c) {
			return true
		}
	}
	return false
}

// failing is how the conditions see a collector: its last run failed.
func failing(c cxv1alpha1.CollectorStatus) bool {
	return c.ConsecutiveFailures > 0 || c.LastError != ""
}

// metricsTransitioned reports whether a metric was added or removed, or
// got or lost its value.
func metricsTransitioned(prev, next []cxv1alpha1.MetricStatus) bool {
	if len(prev) != len(next) {
		return true
	}
	before := make(map[string]cxv1alpha1.MetricStatus, len(prev))
	for _, m := range prev {
		before[m.Name] = m
	}
	for _, m := range next {
		p, ok := before[m.Name]
		if !ok || (p.Value == "") != (m.Value == "") || p.Unit != m.Unit || p.Source != m.Source {
			return true
		}
	}
	return false
}

// firstRoundSlack is the time a finished round takes to reach the
// Touchpoint's status (notify, reconcile).
const firstRoundSlack = time.Second

// FirstRoundDeadline is how long a spec change waits for the collectors
// it started (new ones, and those whose spec changed, all due at once)
// before it is written: until the last of them has run (the scheduler
// then wakes the controller), at most its planned start plus its timeout
// plus a second; zero when every collector has run.
//
// So a new Touchpoint's first status carries its first values (one write
// instead of "pending" then values, a second apart), and a changed
// collector's status never shows the value of its old spec under the new
// observedGeneration. A restart starts no collector anew: the restarted
// collectors keep what status says, and this never holds a write for
// them unless the spec changed meanwhile.
func FirstRoundDeadline(spec *cxv1alpha1.TouchpointSpec, states []CollectorState) time.Time {
	timeouts := make(map[string]time.Duration, len(spec.Collectors))
	for i := range spec.Collectors {
		timeouts[spec.Collectors[i].Name] = spec.Collectors[i].TimeoutOrDefault()
	}
	var deadline time.Time
	for _, st := range states {
		if st.Ran {
			continue
		}
		if d := st.NextRun.Add(timeouts[st.Name] + firstRoundSlack); d.After(deadline) {
			deadline = d
		}
	}
	return deadline
}
