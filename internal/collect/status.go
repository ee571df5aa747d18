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
func BuildStatus(in StatusInput) StatusResult {
	now := metav1.NewTime(in.Now.Truncate(time.Second))
	stale := in.StaleAfterFailures
	if stale <= 0 {
		stale = DefaultStaleAfterFailures
	}
	states := make(map[string]CollectorState, len(in.Collectors))
	for _, st := range in.Collectors {
		states[st.Name] = st
	}
	prevMetrics := map[string]cxv1alpha1.MetricStatus{}
	prevCollectors := map[string]cxv1alpha1.CollectorStatus{}
	if in.Previous != nil {
		for _, m := range in.Previous.Metrics {
			prevMetrics[m.Name] = m
		}
		for _, c := range in.Previous.Collectors {
			prevCollectors[c.Name] = c
		}
	}
	since := func(m *cxv1alpha1.MetricStatus) {
		if pm, ok := prevMetrics[m.Name]; ok && pm.Value == m.Value && pm.Since != nil {
			m.Since = pm.Since.DeepCopy()
			return
		}
		m.Since = now.DeepCopy()
	}

	var res StatusResult
	values := map[string]float64{}
	publish := func(m cxv1alpha1.MetricStatus, raw float64, haveRaw bool) {
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
		values[m.Name] = raw
		res.Values = append(res.Values, metrics.TouchpointValue{Metric: m.Name, Unit: string(m.Unit), Value: raw})
	}

	for _, c := range in.Spec.Collectors {
		st, ok := states[c.Name]
		ran := ok && st.Ran
		pm, hasPM := prevMetrics[c.Metric]
		hasPM = hasPM && pm.Source == c.Name
		pc, hasPC := prevCollectors[c.Name]

		m := cxv1alpha1.MetricStatus{Name: c.Metric, Unit: c.Unit, Source: c.Name}
		raw, haveRaw := 0.0, false
		last := ""
		if st.HasValue {
			last, raw, haveRaw = FormatValue(st.Value), st.Value, true
		} else if hasPM {
			last = pm.Value
		}
		switch {
		case !ran && hasPM:
			m.Value, m.Reason = pm.Value, pm.Reason
		case !ran:
			m.Reason = fmt.Sprintf("collector %s has not run yet", c.Name)
		case last != "" && st.ConsecutiveFailures < stale:
			m.Value = last
		default:
			m.Reason = fmt.Sprintf("collector %s failed: %s", c.Name, st.LastError)
			haveRaw = false
		}
		since(&m)
		res.Metrics = append(res.Metrics, m)
		publish(m, raw, haveRaw && m.Value == last)

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
		res.Collectors = append(res.Collectors, cs)
		switch {
		case cs.LastRunTime == nil:
			res.Pending = append(res.Pending, c.Name)
		case cs.ConsecutiveFailures > 0 || cs.LastError != "":
			res.Failing = append(res.Failing, c.Name)
			res.FailingErrors = append(res.FailingErrors, c.Name+": "+cs.LastError)
		default:
			res.Healthy++
		}
	}

	if len(in.Spec.Derived) > 0 && in.Derived != nil {
		results := in.Derived.Evaluate(values)
		for i, d := range in.Spec.Derived {
			m := cxv1alpha1.MetricStatus{Name: d.Metric, Unit: d.Unit, Source: SourceDerived}
			var dv DerivedValue
			if i < len(results) {
				dv = results[i]
			}
			if dv.OK {
				m.Value = FormatValue(dv.Value)
			} else {
				m.Reason = dv.Reason
			}
			since(&m)
			res.Metrics = append(res.Metrics, m)
			publish(m, dv.Value, dv.OK)
		}
	}
	return res
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
