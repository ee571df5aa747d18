package collect

import (
	"fmt"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/metrics"
)

// DefaultStaleAfterFailures is how many failed runs in a row make a
// collected metric lose its last value.
const DefaultStaleAfterFailures = 3

// SourceDerived is the source of a derived metric in status.
const SourceDerived = "derived"

// StatusInput is what BuildStatus computes a touchpoint's status from.
type StatusInput struct {
	// Spec is the touchpoint's spec.
	Spec *cxv1alpha1.TouchpointSpec
	// Previous is the status as last written.
	Previous *cxv1alpha1.TouchpointStatus
	// Collectors is the scheduler's snapshot of the touchpoint.
	Collectors []CollectorState
	// Derived are the compiled derived metrics.
	Derived *Derivations
	// Now is the current time.
	Now time.Time
	// StaleAfterFailures is how many failed runs in a row make a metric
	// lose its last value (default DefaultStaleAfterFailures).
	StaleAfterFailures int32
}

// StatusResult is the computed status of a touchpoint's metrics and
// collectors.
type StatusResult struct {
	// Metrics are the collected metrics in spec order, then the derived.
	Metrics []cxv1alpha1.MetricStatus
	// Collectors are the collectors in spec order.
	Collectors []cxv1alpha1.CollectorStatus
	// Values are the metric values to publish as cx_touchpoint_value:
	// every metric that has a value in status.
	Values []metrics.TouchpointValue
	// Healthy counts the collectors whose last run succeeded.
	Healthy int
	// Pending are the collectors that never ran; Failing those whose last
	// run failed, and FailingErrors "name: error" for each of them.
	Pending, Failing, FailingErrors []string
	// Warnings are "name: warning" for each collector whose last
	// successful run qualified its value (a list read only in part).
	Warnings []string
	// Invalid says which collectors' specs cannot be used (a where or
	// value that does not compile, a JSONPath that does not parse), each
	// naming its field; nil when all can.
	Invalid error
}

// BuildStatus computes the metrics and collectors of a touchpoint's
// status.
//
// A collector that has not run since the operator started (or since its
// spec changed) keeps what the previous status says of it and of its
// metric, so that a restart or a leader change does not blank values.
// Otherwise its metric has the value of its last successful run, kept
// through up to StaleAfterFailures-1 failed runs in a row; after that, or
// when it never succeeded, no value and a reason naming the collector and
// its error. Derived metrics are evaluated over the metrics that have a
// value. A metric's since moves only when its value changes (or is lost);
// all times are whole seconds, as the API server stores them.
//
// It also checks the collectors' specs beyond what admission can (CEL
// expressions, JSONPaths): Invalid reports those that cannot be used.
func BuildStatus(in StatusInput) StatusResult {
	b := newStatusBuilder(in)
	for _, c := range in.Spec.Collectors {
		b.addCollector(c)
	}
	b.res.Invalid = CheckCollectors(in.Spec)
	if len(in.Spec.Derived) > 0 && in.Derived != nil {
		results := in.Derived.Evaluate(b.values)
		for i, d := range in.Spec.Derived {
			var dv DerivedValue
			if i < len(results) {
				dv = results[i]
			}
			b.addDerived(d, dv)
		}
	}
	return b.res
}

// statusBuilder accumulates a StatusResult, one collector or derived
// metric at a time, in spec order.
type statusBuilder struct {
	now            metav1.Time
	stale          int32
	states         map[string]CollectorState
	prevMetrics    map[string]cxv1alpha1.MetricStatus
	prevCollectors map[string]cxv1alpha1.CollectorStatus
	// values are the metrics with a value so far, for the derived ones.
	values map[string]float64
	res    StatusResult
}

func newStatusBuilder(in StatusInput) *statusBuilder {
	b := &statusBuilder{
		now:            metav1.NewTime(in.Now.Truncate(time.Second)),
		stale:          in.StaleAfterFailures,
		states:         make(map[string]CollectorState, len(in.Collectors)),
		prevMetrics:    map[string]cxv1alpha1.MetricStatus{},
		prevCollectors: map[string]cxv1alpha1.CollectorStatus{},
		values:         map[string]float64{},
	}
	if b.stale <= 0 {
		b.stale = DefaultStaleAfterFailures
	}
	for _, st := range in.Collectors {
		b.states[st.Name] = st
	}
	if in.Previous != nil {
		for _, m := range in.Previous.Metrics {
			b.prevMetrics[m.Name] = m
		}
		for _, c := range in.Previous.Collectors {
			b.prevCollectors[c.Name] = c
		}
	}
	return b
}

// addCollector adds a collector's metric and status.
func (b *statusBuilder) addCollector(c cxv1alpha1.Collector) {
	st, ok := b.states[c.Name]
	ran := ok && st.Ran
	pm, hasPM := b.prevMetrics[c.Metric]
	hasPM = hasPM && pm.Source == c.Name
	pc, hasPC := b.prevCollectors[c.Name]

	m := cxv1alpha1.MetricStatus{Name: c.Metric, Unit: c.Unit, Source: c.Name}
	raw, haveRaw := 0.0, false
	last := ""
	if st.HasValue {
		last, raw, haveRaw = FormatValue(st.Value), st.Value, true
	} else if hasPM && st.NoValue == "" {
		last = pm.Value
	}
	switch {
	case !ran && hasPM:
		m.Value, m.Reason = pm.Value, pm.Reason
	case !ran:
		m.Reason = fmt.Sprintf("collector %s has not run yet", c.Name)
	case st.NoValue != "" && st.ConsecutiveFailures == 0:
		// The last run succeeded and found nothing to measure.
		m.Reason = fmt.Sprintf("collector %s: %s", c.Name, st.NoValue)
	case last != "" && st.ConsecutiveFailures < b.stale:
		m.Value = last
	default:
		m.Reason = fmt.Sprintf("collector %s failed: %s", c.Name, st.LastError)
		haveRaw = false
	}
	b.addMetric(m, raw, haveRaw && m.Value == last)

	var cs cxv1alpha1.CollectorStatus
	switch {
	case !ran && hasPC:
		cs = pc
	case !ran:
		cs = cxv1alpha1.CollectorStatus{Name: c.Name}
	default:
		cs = cxv1alpha1.CollectorStatus{
			Name:                c.Name,
			LastRunTime:         wholeSeconds(st.LastRun),
			NextRunTime:         wholeSeconds(st.NextRun),
			ConsecutiveFailures: st.ConsecutiveFailures,
			LastError:           st.LastError,
		}
		if !st.LastSuccess.IsZero() {
			cs.LastSuccessTime = wholeSeconds(st.LastSuccess)
		} else if hasPC {
			cs.LastSuccessTime = pc.LastSuccessTime
		}
	}
	b.res.Collectors = append(b.res.Collectors, cs)
	switch {
	case cs.LastRunTime == nil:
		b.res.Pending = append(b.res.Pending, c.Name)
	case cs.ConsecutiveFailures > 0 || cs.LastError != "":
		b.res.Failing = append(b.res.Failing, c.Name)
		b.res.FailingErrors = append(b.res.FailingErrors, c.Name+": "+cs.LastError)
	default:
		b.res.Healthy++
		if st.Warning != "" && ran {
			b.res.Warnings = append(b.res.Warnings, c.Name+": "+st.Warning)
		}
	}
}

// addDerived adds a derived metric from its evaluation.
func (b *statusBuilder) addDerived(d cxv1alpha1.DerivedMetric, dv DerivedValue) {
	m := cxv1alpha1.MetricStatus{Name: d.Metric, Unit: d.Unit, Source: SourceDerived}
	if dv.OK {
		m.Value = FormatValue(dv.Value)
	} else {
		m.Reason = dv.Reason
	}
	b.addMetric(m, dv.Value, dv.OK)
}

// addMetric appends a metric with its since, and publishes its value: raw
// when haveRaw (the unrounded value), else parsed from the status text
// (a value kept from the previous status).
func (b *statusBuilder) addMetric(m cxv1alpha1.MetricStatus, raw float64, haveRaw bool) {
	if pm, ok := b.prevMetrics[m.Name]; ok && pm.Value == m.Value && pm.Since != nil {
		m.Since = pm.Since.DeepCopy()
	} else {
		m.Since = b.now.DeepCopy()
	}
	b.res.Metrics = append(b.res.Metrics, m)
	if m.Value == "" {
		return
	}
	if !haveRaw {
		f, err := strconv.ParseFloat(m.Value, 64)
		if err != nil {
			return
		}
		raw = f
	}
	b.values[m.Name] = raw
	b.res.Values = append(b.res.Values, metrics.TouchpointValue{Metric: m.Name, Unit: string(m.Unit), Value: raw})
}

// wholeSeconds is t truncated to seconds, nil for the zero time.
func wholeSeconds(t time.Time) *metav1.Time {
	if t.IsZero() {
		return nil
	}
	mt := metav1.NewTime(t.Truncate(time.Second))
	return &mt
}

// SignificantChange reports whether next differs from prev in anything
// but the collectors' run times (lastRunTime, lastSuccessTime,
// nextRunTime): only such a change is worth a status write. Collector
// times in status are therefore those known at the last write.
func SignificantChange(prev, next *cxv1alpha1.TouchpointStatus) bool {
	a, b := prev.DeepCopy(), next.DeepCopy()
	for _, s := range []*cxv1alpha1.TouchpointStatus{a, b} {
		for i := range s.Collectors {
			c := &s.Collectors[i]
			c.LastRunTime, c.LastSuccessTime, c.NextRunTime = nil, nil, nil
		}
	}
	return !equality.Semantic.DeepEqual(a, b)
}

// Transition is a collector that started failing or recovered.
type Transition struct {
	// Collector is the collector's name.
	Collector string
	// Failing is true when it started failing, false when it recovered.
	Failing bool
	// Failures is, for a recovery, how many runs had failed in a row.
	Failures int32
}

// Transitions compares the collectors of two statuses: those whose last
// run now fails and did not (or had not run), and those that succeed again
// after failing.
func Transitions(prev, next []cxv1alpha1.CollectorStatus) []Transition {
	before := map[string]cxv1alpha1.CollectorStatus{}
	for _, c := range prev {
		before[c.Name] = c
	}
	var out []Transition
	for _, c := range next {
		p, had := before[c.Name]
		switch {
		case c.ConsecutiveFailures > 0 && (!had || p.ConsecutiveFailures == 0):
			out = append(out, Transition{Collector: c.Name, Failing: true})
		case c.ConsecutiveFailures == 0 && c.LastRunTime != nil && had && p.ConsecutiveFailures > 0:
			out = append(out, Transition{Collector: c.Name, Failures: p.ConsecutiveFailures})
		}
	}
	return out
}
