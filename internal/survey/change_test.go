package survey

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/cadence"
)

// TestStatusChangeAsResponsesArrive walks an NPS Survey with
// minResponses 3 through responses arriving one by one, each step computed
// as the controller does (Summarize, ApplyTo, Conditions) from the status
// written at the step before.
func TestStatusChangeAsResponsesArrive(t *testing.T) {
	t.Parallel()
	spec := &cxv1alpha1.SurveySpec{Type: cxv1alpha1.SurveyNPS, MinResponses: 3}
	missing := &ReferenceProblem{Reason: cxv1alpha1.ReasonTouchpointNotFound, Message: `touchpoint "x" does not exist`}
	written := &cxv1alpha1.SurveyStatus{}
	for i, step := range []struct {
		name   string
		gen    int64
		counts string
		refs   *ReferenceProblem
		want   cadence.Change
	}{
		{"created: no response", 1, "", nil, cadence.Spec},
		{"reconciled again", 1, "", nil, cadence.None},
		{"the first response: a score appears", 1, "10:1", nil, cadence.Refresh},
		{"the second", 1, "0:1 10:1", nil, cadence.Refresh},
		{"the third: DataSufficient and Ready", 1, "0:1 9:1 10:1", nil, cadence.Condition},
		{"the fourth", 1, "0:1 9:1 10:2", nil, cadence.Refresh},
		{"its Touchpoint deleted", 1, "0:1 9:1 10:2", missing, cadence.Condition},
		{"a new spec", 2, "0:1 9:1 10:2", missing, cadence.Spec},
	} {
		var tallies []cxv1alpha1.ResponseTally
		if step.counts != "" {
			tallies = append(tallies, tally("u", 0, step.counts))
		}
		sum, err := Summarize(spec, "u", tallies, now)
		if err != nil {
			t.Fatal(err)
		}
		next := written.DeepCopy()
		next.ObservedGeneration = step.gen
		next.ReceiverPath = "/api/v1/namespaces/shop/surveys/nps/responses"
		sum.ApplyTo(spec, next)
		for _, c := range Conditions(spec, sum.Current.N, step.refs) {
			c.ObservedGeneration = step.gen
			meta.SetStatusCondition(&next.Conditions, c)
		}
		if got := StatusChange(written, next); got != step.want {
			t.Errorf("step %d, %s: %v, want %v", i, step.name, got, step.want)
		}
		written = next
	}
}
