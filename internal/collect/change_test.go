package collect

import (
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/cadence"
)

// touchpointStatus is the status the controller computes from the last
// written status and the scheduler's states: BuildStatus, then the
// conditions, at generation gen.
func touchpointStatus(spec *cxv1alpha1.TouchpointSpec, prev *cxv1alpha1.TouchpointStatus, gen int64, states []CollectorState, now time.Time) *cxv1alpha1.TouchpointStatus {
	res := BuildStatus(StatusInput{Spec: spec, Previous: prev, Collectors: states, Derived: statusDerived(spec), Now: now})
	next := prev.DeepCopy()
	next.ObservedGeneration = gen
	next.Metrics, next.Collectors = res.Metrics, res.Collectors
	next.HealthyCollectors = fmt.Sprintf("%d/%d", res.Healthy, len(res.Collectors))
	for _, c := range Conditions(res, nil, nil) {
		c.ObservedGeneration = gen
		meta.SetStatusCondition(&next.Conditions, c)
	}
	return next
}

// TestStatusChangeAlongATouchpointsLife walks a Touchpoint of two
// collectors (churned, customers) and a derived churn_ratio through its
// life, each step computed from the status written at the step before,
// and checks what each change is.
func TestStatusChangeAlongATouchpointsLife(t *testing.T) {
	t.Parallel()
	spec := statusSpec()
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * 10 * time.Second) }
	failed := func(n int32, err string, value float64, s int) CollectorState {
		return CollectorState{Name: "customers", Ran: true, LastRun: at(s), NextRun: at(s + 1), LastSuccess: at(0),
			ConsecutiveFailures: n, LastError: err, ErrorKind: ErrConnection, HasValue: true, Value: value}
	}
	pending := []CollectorState{{Name: "churned"}, {Name: "customers"}}

	written := &cxv1alpha1.TouchpointStatus{}
	for i, step := range []struct {
		name   string
		gen    int64
		states []CollectorState
		want   cadence.Change
	}{
		{"created: first status, collectors pending", 1, pending, cadence.Spec},
		{"reconciled again before any run", 1, pending, cadence.None},
		{"first runs: values appear, Ready", 1, []CollectorState{ok1("churned", 5, at(1)), ok1("customers", 200, at(1))}, cadence.Condition},
		{"same values, later run times", 1, []CollectorState{ok1("churned", 5, at(2)), ok1("customers", 200, at(2))}, cadence.None},
		{"a value changes (and the derived one)", 1, []CollectorState{ok1("churned", 6, at(3)), ok1("customers", 200, at(3))}, cadence.Refresh},
		{"customers starts failing, keeping its value", 1, []CollectorState{ok1("churned", 6, at(4)), failed(1, "connection refused", 200, 4)}, cadence.Condition},
		{"its second failure, another error", 1, []CollectorState{ok1("churned", 6, at(5)), failed(2, "timed out (timeout 5s)", 200, 5)}, cadence.Refresh},
		{"its third failure: the value is lost", 1, []CollectorState{ok1("churned", 6, at(6)), failed(3, "timed out (timeout 5s)", 200, 6)}, cadence.Condition},
		{"it recovers", 1, []CollectorState{ok1("churned", 6, at(7)), ok1("customers", 300, at(7))}, cadence.Condition},
		{"customers at 0: churn_ratio loses its value", 1, []CollectorState{ok1("churned", 6, at(8)), ok1("customers", 0, at(8))}, cadence.Condition},
		{"churned changes while churn_ratio has none", 1, []CollectorState{ok1("churned", 7, at(9)), ok1("customers", 0, at(9))}, cadence.Refresh},
		{"a new spec", 2, []CollectorState{ok1("churned", 7, at(10)), ok1("customers", 0, at(10))}, cadence.Spec},
	} {
		next := touchpointStatus(spec, written, step.gen, step.states, at(i))
		if got := StatusChange(written, next); got != step.want {
			t.Errorf("step %d, %s: %v, want %v\nwritten: %+v\nnext:    %+v", i, step.name, got, step.want, written, next)
		}
		written = next
	}
}

// Each rule on its own, on statuses built by hand.
func TestStatusChangeRules(t *testing.T) {
	t.Parallel()
	base := func() *cxv1alpha1.TouchpointStatus {
		spec := statusSpec()
		t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
		return touchpointStatus(spec, &cxv1alpha1.TouchpointStatus{}, 1,
			[]CollectorState{ok1("churned", 5, t0), {Name: "customers", Ran: true, LastRun: t0, ConsecutiveFailures: 1, LastError: "refused"}}, t0)
	}
	for _, tc := range []struct {
		name   string
		change func(st *cxv1alpha1.TouchpointStatus)
		want   cadence.Change
	}{
		{"a condition message only", func(st *cxv1alpha1.TouchpointStatus) { st.Conditions[0].Message += "!" }, cadence.Refresh},
		{"a derived metric's reason only", func(st *cxv1alpha1.TouchpointStatus) { st.Metrics[2].Reason = "division by zero" }, cadence.Refresh},
		{"a failing collector's error only", func(st *cxv1alpha1.TouchpointStatus) { st.Collectors[1].LastError = "timed out" }, cadence.Refresh},
		{"another collector starts failing (conditions alike)", func(st *cxv1alpha1.TouchpointStatus) {
			st.Collectors[0].ConsecutiveFailures, st.Collectors[0].LastError = 1, "refused"
		}, cadence.Condition},
		{"healthyCollectors", func(st *cxv1alpha1.TouchpointStatus) { st.HealthyCollectors = "0/2" }, cadence.Condition},
		{"a metric removed", func(st *cxv1alpha1.TouchpointStatus) { st.Metrics = st.Metrics[:2] }, cadence.Condition},
		{"a metric's unit", func(st *cxv1alpha1.TouchpointStatus) { st.Metrics[0].Unit = cxv1alpha1.UnitPercent }, cadence.Condition},
		{"run times only", func(st *cxv1alpha1.TouchpointStatus) { st.Collectors[0].NextRunTime = nil }, cadence.None},
	} {
		prev := base()
		next := prev.DeepCopy()
		tc.change(next)
		if got := StatusChange(prev, next); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// A spec change waits for the collectors it started: until the last one's
// planned start plus its timeout plus a second; not for collectors that
// have run.
func TestFirstRoundDeadline(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	spec := statusSpec()
	spec.Collectors[1].Timeout = &metav1.Duration{Duration: 3 * time.Second}
	for _, tc := range []struct {
		name   string
		states []CollectorState
		want   time.Time
	}{
		{"new: both due at once", []CollectorState{{Name: "churned", NextRun: t0}, {Name: "customers", NextRun: t0.Add(500 * time.Millisecond)}},
			// churned: t0 + 10s (default timeout) + 1s; customers: t0 + 0.5s + 3s + 1s.
			t0.Add(11 * time.Second)},
		{"customers changed", []CollectorState{ok1("churned", 5, t0), {Name: "customers", NextRun: t0}}, t0.Add(4 * time.Second)},
		{"all ran", []CollectorState{ok1("churned", 5, t0), ok1("customers", 200, t0)}, time.Time{}},
	} {
		if got := FirstRoundDeadline(spec, tc.states); !got.Equal(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
