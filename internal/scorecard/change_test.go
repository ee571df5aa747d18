package scorecard

import (
	"testing"
	"time"

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
		{"a new result pending for the stabilization window", func(st *cxv1alpha1.ScorecardStatus) {
			st.PendingResult, st.PendingSince = cxv1alpha1.ResultPass, &metav1.Time{Time: time.Unix(1700000000, 0)}
		}, cadence.Condition},
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

// A card waits for a source that exists without a status, up to the grace
// after the source was created; not for one with a status.
func TestAwaitSource(t *testing.T) {
	t.Parallel()
	created := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	tp := &cxv1alpha1.Touchpoint{ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(created)}}
	for _, tc := range []struct {
		name     string
		observed int64
		now      time.Time
		want     time.Time
	}{
		{"new, no status: wait until 15s after its creation", 0, created.Add(time.Second), created.Add(DefaultSourceGrace)},
		{"reported", 1, created.Add(time.Second), time.Time{}},
		{"no status after the grace: read as no data", 0, created.Add(DefaultSourceGrace), time.Time{}},
	} {
		if got := AwaitSource(tp, tc.observed, DefaultSourceGrace, tc.now); !got.Equal(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	// A source that does not exist: a new card waits, an older one does
	// not (SourceNotFound).
	card := &cxv1alpha1.Scorecard{ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(created)}}
	if got := AwaitMissingSource(card, DefaultSourceGrace, created.Add(time.Second)); !got.Equal(created.Add(DefaultSourceGrace)) {
		t.Errorf("missing source of a new card: %v, want %v", got, created.Add(DefaultSourceGrace))
	}
	if got := AwaitMissingSource(card, DefaultSourceGrace, created.Add(time.Minute)); !got.IsZero() {
		t.Errorf("missing source of a card a minute old: %v, want no wait", got)
	}
}
