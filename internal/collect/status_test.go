package collect

import (
	"math"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/metrics"
)

func statusSpec() *cxv1alpha1.TouchpointSpec {
	return &cxv1alpha1.TouchpointSpec{
		Stage: cxv1alpha1.StageRenewal,
		Collectors: []cxv1alpha1.Collector{
			{Name: "churned", Metric: "churned", Unit: cxv1alpha1.UnitCount},
			{Name: "customers", Metric: "customers_at_start", Unit: cxv1alpha1.UnitCount},
		},
		Derived: []cxv1alpha1.DerivedMetric{{Metric: "churn_ratio", Unit: cxv1alpha1.UnitRatio, Expression: "churned / customers_at_start"}},
	}
}

func statusDerived(spec *cxv1alpha1.TouchpointSpec) *Derivations {
	return CompileDerived([]string{"churned", "customers_at_start"}, []Derived{{Metric: "churn_ratio", Expression: spec.Derived[0].Expression}})
}

func ok1(name string, v float64, at time.Time) CollectorState {
	return CollectorState{Name: name, Ran: true, LastRun: at, LastSuccess: at, NextRun: at.Add(time.Minute), HasValue: true, Value: v}
}

func metricOf(res StatusResult, name string) cxv1alpha1.MetricStatus {
	for _, m := range res.Metrics {
		if m.Name == name {
			return m
		}
	}
	return cxv1alpha1.MetricStatus{Name: "absent"}
}

func TestBuildStatusValuesAndSince(t *testing.T) {
	spec := statusSpec()
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 700_000_000, time.UTC)
	in := StatusInput{Spec: spec, Previous: &cxv1alpha1.TouchpointStatus{}, Derived: statusDerived(spec), Now: t0,
		Collectors: []CollectorState{ok1("churned", 5, t0), ok1("customers", 200, t0)}}
	res := BuildStatus(in)

	if len(res.Metrics) != 3 || res.Healthy != 2 || len(res.Pending)+len(res.Failing) != 0 {
		t.Fatalf("result: %+v", res)
	}
	ratio := metricOf(res, "churn_ratio")
	if ratio.Value != "0.025" || ratio.Source != SourceDerived || ratio.Unit != cxv1alpha1.UnitRatio {
		t.Errorf("churn_ratio: %+v", ratio)
	}
	churned := metricOf(res, "churned")
	if churned.Value != "5" || churned.Source != "churned" || !churned.Since.Equal(&metav1.Time{Time: t0.Truncate(time.Second)}) {
		t.Errorf("churned: %+v", churned)
	}
	if c := res.Collectors[0]; c.LastRunTime.Nanosecond() != 0 || c.NextRunTime.Nanosecond() != 0 || c.LastSuccessTime == nil {
		t.Errorf("collector times are not whole seconds: %+v", c)
	}
	wantValues := []metrics.TouchpointValue{{Metric: "churned", Unit: "count", Value: 5}, {Metric: "customers_at_start", Unit: "count", Value: 200}, {Metric: "churn_ratio", Unit: "ratio", Value: 0.025}}
	if len(res.Values) != 3 {
		t.Fatalf("values: %+v", res.Values)
	}
	for i, v := range wantValues {
		if res.Values[i] != v {
			t.Errorf("value %d: %+v, want %+v", i, res.Values[i], v)
		}
	}

	// A minute later, same values: since does not move, and only run
	// times differ, which is not a significant change.
	prev := &cxv1alpha1.TouchpointStatus{Metrics: res.Metrics, Collectors: res.Collectors, HealthyCollectors: "2/2"}
	t1 := t0.Add(time.Minute)
	in.Previous, in.Now = prev, t1
	in.Collectors = []CollectorState{ok1("churned", 5, t1), ok1("customers", 200, t1)}
	res2 := BuildStatus(in)
	next := &cxv1alpha1.TouchpointStatus{Metrics: res2.Metrics, Collectors: res2.Collectors, HealthyCollectors: "2/2"}
	if SignificantChange(prev, next) {
		t.Errorf("unchanged values are a significant change:\n%+v\n%+v", prev, next)
	}
	if res2.Collectors[0].LastRunTime.Equal(res.Collectors[0].LastRunTime) {
		t.Error("the run time did not move (the test proves nothing)")
	}

	// A new value moves since, and is significant.
	in.Collectors[0].Value = 6
	res3 := BuildStatus(in)
	if m := metricOf(res3, "churned"); m.Value != "6" || !m.Since.Equal(&metav1.Time{Time: t1.Truncate(time.Second)}) {
		t.Errorf("new value: %+v", m)
	}
	if m := metricOf(res3, "churn_ratio"); m.Value != "0.03" {
		t.Errorf("derived after the new value: %+v", m)
	}
	if !SignificantChange(prev, &cxv1alpha1.TouchpointStatus{Metrics: res3.Metrics, Collectors: res3.Collectors, HealthyCollectors: "2/2"}) {
		t.Error("a new value is not significant")
	}
}

func TestBuildStatusFailuresAndStaleness(t *testing.T) {
	spec := statusSpec()
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	failing := func(n int32, hadValue bool) CollectorState {
		st := CollectorState{Name: "customers", Ran: true, LastRun: t0, NextRun: t0.Add(time.Minute), ConsecutiveFailures: n,
			LastError: "connection refused", ErrorKind: ErrConnection}
		if hadValue {
			st.HasValue, st.Value, st.LastSuccess = true, 200, t0.Add(-time.Hour)
		}
		return st
	}
	in := StatusInput{Spec: spec, Previous: &cxv1alpha1.TouchpointStatus{}, Derived: statusDerived(spec), Now: t0}

	// Never succeeded: no value, the reason names the collector and error.
	in.Collectors = []CollectorState{ok1("churned", 5, t0), failing(1, false)}
	res := BuildStatus(in)
	if m := metricOf(res, "customers_at_start"); m.Value != "" || m.Reason != "collector customers failed: connection refused" {
		t.Errorf("never succeeded: %+v", m)
	}
	if m := metricOf(res, "churn_ratio"); m.Value != "" || m.Reason != "no value yet for customers_at_start" {
		t.Errorf("derived over a missing input: %+v", m)
	}
	if res.Healthy != 1 || len(res.Failing) != 1 || res.FailingErrors[0] != "customers: connection refused" {
		t.Errorf("health: %+v", res)
	}
	if len(res.Values) != 1 {
		t.Errorf("published values: %+v", res.Values)
	}

	// Failing after a success: the last value is kept for two failures,
	// dropped at the third.
	for n, want := range map[int32]string{1: "200", 2: "200", 3: "", 4: ""} {
		in.Collectors = []CollectorState{ok1("churned", 5, t0), failing(n, true)}
		m := metricOf(BuildStatus(in), "customers_at_start")
		if m.Value != want {
			t.Errorf("after %d failures: %+v, want value %q", n, m, want)
		}
		if c := BuildStatus(in).Collectors[1]; c.ConsecutiveFailures != n || c.LastError != "connection refused" || c.LastSuccessTime == nil {
			t.Errorf("collector after %d failures: %+v", n, c)
		}
	}
}

func TestBuildStatusKeepsPreviousUntilFirstRun(t *testing.T) {
	spec := statusSpec()
	since := metav1.NewTime(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))
	last := metav1.NewTime(time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC))
	prev := &cxv1alpha1.TouchpointStatus{
		Metrics: []cxv1alpha1.MetricStatus{
			{Name: "churned", Value: "5", Unit: "count", Source: "churned", Since: &since},
			{Name: "customers_at_start", Value: "200", Unit: "count", Source: "customers", Since: &since},
		},
		Collectors: []cxv1alpha1.CollectorStatus{{Name: "churned", LastRunTime: &last, LastSuccessTime: &last}},
	}
	// After a restart, nothing has run yet.
	res := BuildStatus(StatusInput{Spec: spec, Previous: prev, Derived: statusDerived(spec), Now: time.Now()})
	if m := metricOf(res, "churned"); m.Value != "5" || !m.Since.Equal(&since) {
		t.Errorf("carried metric: %+v", m)
	}
	if m := metricOf(res, "churn_ratio"); m.Value != "0.025" {
		t.Errorf("derived over carried values: %+v", m)
	}
	if res.Collectors[0].LastRunTime == nil || res.Healthy != 1 || len(res.Pending) != 1 || res.Pending[0] != "customers" {
		t.Errorf("carried collectors: %+v", res)
	}
	if len(res.Values) != 3 {
		t.Errorf("published values: %+v", res.Values)
	}
	// A metric with no previous entry waits for its collector.
	spec.Collectors = append(spec.Collectors, cxv1alpha1.Collector{Name: "new", Metric: "renewals", Unit: "count"})
	res = BuildStatus(StatusInput{Spec: spec, Previous: prev, Derived: statusDerived(spec), Now: time.Now()})
	if m := metricOf(res, "renewals"); m.Value != "" || m.Reason != "collector new has not run yet" {
		t.Errorf("new metric: %+v", m)
	}
}

func TestBuildStatusDivisionByZero(t *testing.T) {
	spec := statusSpec()
	t0 := time.Now()
	res := BuildStatus(StatusInput{Spec: spec, Previous: &cxv1alpha1.TouchpointStatus{}, Derived: statusDerived(spec), Now: t0,
		Collectors: []CollectorState{ok1("churned", 5, t0), ok1("customers", 0, t0)}})
	m := metricOf(res, "churn_ratio")
	if m.Value != "" || m.Reason != "division by zero" {
		t.Errorf("churn_ratio: %+v", m)
	}
	for _, v := range res.Values {
		if math.IsInf(v.Value, 0) || math.IsNaN(v.Value) || v.Metric == "churn_ratio" {
			t.Errorf("published %+v", v)
		}
	}
}

func TestTransitions(t *testing.T) {
	at := metav1.Now()
	prev := []cxv1alpha1.CollectorStatus{
		{Name: "ok-to-fail", LastRunTime: &at},
		{Name: "fail-to-ok", LastRunTime: &at, ConsecutiveFailures: 3, LastError: "x"},
		{Name: "still-failing", LastRunTime: &at, ConsecutiveFailures: 1, LastError: "x"},
		{Name: "pending-to-fail"},
	}
	next := []cxv1alpha1.CollectorStatus{
		{Name: "ok-to-fail", LastRunTime: &at, ConsecutiveFailures: 1, LastError: "y"},
		{Name: "fail-to-ok", LastRunTime: &at},
		{Name: "still-failing", LastRunTime: &at, ConsecutiveFailures: 2, LastError: "x"},
		{Name: "pending-to-fail", LastRunTime: &at, ConsecutiveFailures: 1, LastError: "y"},
		{Name: "new-ok", LastRunTime: &at},
	}
	got := Transitions(prev, next)
	want := []Transition{{Collector: "ok-to-fail", Failing: true}, {Collector: "fail-to-ok", Failures: 3}, {Collector: "pending-to-fail", Failing: true}}
	if len(got) != len(want) {
		t.Fatalf("transitions %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("transition %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestBuildStatusNoValueAndWarnings: a run that succeeds over an empty
// list leaves its metric without value (the previous status's value is
// not kept), with the reason, and the collector healthy; a partial list
// is said in CollectorsHealthy; a collector spec that cannot be used
// makes Ready False with InvalidCollector.
func TestBuildStatusNoValueAndWarnings(t *testing.T) {
	spec := statusSpec()
	t0 := time.Now()
	since := metav1.NewTime(t0.Add(-time.Hour).Truncate(time.Second))
	prev := &cxv1alpha1.TouchpointStatus{Metrics: []cxv1alpha1.MetricStatus{{Name: "churned", Value: "5", Unit: "count", Source: "churned", Since: &since}}}
	var churned CollectorState
	churned.Name = "churned"
	churned.apply(t0, Outcome{Value: 5}, nil)
	if changed := churned.apply(t0.Add(time.Minute), Outcome{NoValue: "the list is empty, so the median is undefined"}, nil); !changed {
		t.Error("losing the value is not a change")
	}
	customers := ok1("customers", 200, t0)
	customers.Warning = "read 10 pages (maxPages) and more remain: the value covers those 10 pages only"
	res := BuildStatus(StatusInput{Spec: spec, Previous: prev, Derived: statusDerived(spec), Now: t0, Collectors: []CollectorState{churned, customers}})
	if m := metricOf(res, "churned"); m.Value != "" || m.Reason != "collector churned: the list is empty, so the median is undefined" {
		t.Errorf("churned: %+v", m)
	}
	if m := metricOf(res, "churn_ratio"); m.Value != "" || m.Reason != "no value yet for churned" {
		t.Errorf("churn_ratio: %+v", m)
	}
	if res.Healthy != 2 || len(res.Values) != 1 {
		t.Errorf("healthy %d, values %+v", res.Healthy, res.Values)
	}
	conds := Conditions(res, nil, nil)
	if h := conds[0]; h.Status != metav1.ConditionTrue ||
		h.Message != "the last run of all 2 collectors succeeded; customers: read 10 pages (maxPages) and more remain: the value covers those 10 pages only" {
		t.Errorf("CollectorsHealthy: %+v", h)
	}
	if r := conds[1]; r.Status != metav1.ConditionTrue || r.Message != conds[0].Message {
		t.Errorf("Ready: %+v", r)
	}
	// The same empty list again changes nothing; a value again does.
	if churned.apply(t0.Add(2*time.Minute), Outcome{NoValue: "the list is empty, so the median is undefined"}, nil) {
		t.Error("the same outcome is a change")
	}
	if !churned.apply(t0.Add(3*time.Minute), Outcome{Value: 7}, nil) || !churned.HasValue || churned.NoValue != "" {
		t.Errorf("a value again: %+v", churned)
	}

	// A where that does not compile.
	spec.Collectors[0].HTTP = &cxv1alpha1.HTTPSource{URL: "http://x", JSONPath: "{.a[*]}",
		Aggregation: cxv1alpha1.Aggregation{Aggregate: cxv1alpha1.AggregateRatio, Where: "item.score = 'good'"}}
	res = BuildStatus(StatusInput{Spec: spec, Previous: prev, Derived: statusDerived(spec), Now: t0, Collectors: []CollectorState{churned, customers}})
	r := Conditions(res, nil, nil)[1]
	if r.Status != metav1.ConditionFalse || r.Reason != cxv1alpha1.ReasonInvalidCollector || !strings.HasPrefix(r.Message, "spec.collectors[0].http.where: ") {
		t.Errorf("Ready: %+v", r)
	}
}
