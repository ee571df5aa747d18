package scorecard

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/cadence"
)

func TestStatusChange(t *testing.T) {
	t.Parallel()
	base := func() *cxv1alpha1.ScorecardStatus {
		return &cxv1alpha1.ScorecardStatus{
			ObservedGeneration: 1, Score: "75", Result: cxv1alpha1.ResultWarning,
			Conditions: []metav1.Condition{{Type: cxv1alpha1.ConditionReady, Status: metav1.ConditionTrue,
				Reason: cxv1alpha1.ReasonObjectivesEvaluated, Message: "2 objectives evaluated", ObservedGeneration: 1}},
			Objectives: []cxv1alpha1.ObjectiveStatus{
				{Name: "csat", Value: "82", Target: ">= 80", Result: cxv1alpha1.ObjectivePass, Score: "1", Weight: 1},
				{Name: "wait", Value: "400", Target: "<= 300", Result: cxv1alpha1.ObjectiveFail, Score: "0", Weight: 1},
			},
		}
	}
	for _, tc := range []struct {
		name   string
		change func(st *cxv1alpha1.ScorecardStatus)
		want   cadence.Change
	}{
		{"nothing", func(*cxv1alpha1.ScorecardStatus) {}, cadence.None},
		{"a value inside the same verdict", func(st *cxv1alpha1.ScorecardStatus) { st.Objectives[0].Value = "83" }, cadence.Refresh},
		{"a reason's text", func(st *cxv1alpha1.ScorecardStatus) { st.Objectives[1].Reason = "400 misses the target <= 300" }, cadence.Refresh},
		{"an objective's verdict", func(st *cxv1alpha1.ScorecardStatus) {
			st.Objectives[1].Value, st.Objectives[1].Result = "290", cxv1alpha1.ObjectivePass
		}, cadence.Condition},
		{"the card's result", func(st *cxv1alpha1.ScorecardStatus) { st.Result = cxv1alpha1.ResultPass }, cadence.Condition},
		{"Ready", func(st *cxv1alpha1.ScorecardStatus) { st.Conditions[0].Reason = cxv1alpha1.ReasonSourceNotFound }, cadence.Condition},
		{"an objective removed", func(st *cxv1alpha1.ScorecardStatus) { st.Objectives = st.Objectives[:1] }, cadence.Condition},
		{"a new spec", func(st *cxv1alpha1.ScorecardStatus) { st.ObservedGeneration = 2 }, cadence.Spec},
	} {
		prev := base()
		next := prev.DeepCopy()
		tc.change(next)
		if got := StatusChange(prev, next); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
