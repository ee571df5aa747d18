package journey_test

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/cadence"
	"github.com/touchstone-dev/touchstone/internal/journey"
)

func TestStatusChange(t *testing.T) {
	base := func() *cxv1alpha1.JourneyStatus {
		return &cxv1alpha1.JourneyStatus{
			ObservedGeneration: 1, Coverage: "9/10", Touchpoints: 13,
			Stages:                []cxv1alpha1.JourneyStageStatus{{Name: cxv1alpha1.StageAdvocacy, Satisfaction: "71.3", MarginOfError: "3.4"}},
			UnmeasuredStages:      []cxv1alpha1.Stage{cxv1alpha1.StageOffboarding},
			UnmeasuredTouchpoints: []string{"cancellation"},
			Consistency:           &cxv1alpha1.JourneyConsistency{ScoredStages: 5, Spread: "7.8", Weakest: cxv1alpha1.StageAdvocacy, Strongest: cxv1alpha1.StageOnboarding},
			Scorecard:             &cxv1alpha1.JourneyScorecard{Name: "customer-journey", Score: "68.18", Result: cxv1alpha1.ResultFail},
			Conditions:            []metav1.Condition{{Type: cxv1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: "Mapped", Message: "9 of 10 stages measured"}},
		}
	}
	cases := []struct {
		name   string
		change func(*cxv1alpha1.JourneyStatus)
		want   cadence.Change
	}{
		{"nothing", func(*cxv1alpha1.JourneyStatus) {}, cadence.None},
		{"new generation", func(s *cxv1alpha1.JourneyStatus) { s.ObservedGeneration = 2 }, cadence.Spec},
		{"stage satisfaction", func(s *cxv1alpha1.JourneyStatus) { s.Stages[0].Satisfaction = "71.5" }, cadence.Refresh},
		{"spread", func(s *cxv1alpha1.JourneyStatus) { s.Consistency.Spread = "8" }, cadence.Refresh},
		{"card score", func(s *cxv1alpha1.JourneyStatus) { s.Scorecard.Score = "70" }, cadence.Refresh},
		{"condition message", func(s *cxv1alpha1.JourneyStatus) { s.Conditions[0].Message = "other words" }, cadence.Refresh},
		{"coverage", func(s *cxv1alpha1.JourneyStatus) { s.Coverage = "10/10"; s.UnmeasuredStages = nil }, cadence.Condition},
		{"unmeasured touchpoints", func(s *cxv1alpha1.JourneyStatus) {
			s.UnmeasuredTouchpoints = append(s.UnmeasuredTouchpoints, "exit-survey")
		}, cadence.Condition},
		{"a stage scored", func(s *cxv1alpha1.JourneyStatus) { s.Consistency.ScoredStages = 6 }, cadence.Condition},
		{"weakest lost", func(s *cxv1alpha1.JourneyStatus) { s.Consistency.Weakest = "" }, cadence.Condition},
		{"strongest moved", func(s *cxv1alpha1.JourneyStatus) { s.Consistency.Strongest = cxv1alpha1.StageSupport }, cadence.Condition},
		{"no consistency yet", func(s *cxv1alpha1.JourneyStatus) { s.Consistency = nil }, cadence.Condition},
		{"card result", func(s *cxv1alpha1.JourneyStatus) { s.Scorecard.Result = cxv1alpha1.ResultWarning }, cadence.Condition},
		{"ready reason", func(s *cxv1alpha1.JourneyStatus) { s.Conditions[0].Reason = "NoTouchpoints" }, cadence.Condition},
	}
	for _, tc := range cases {
		next := base()
		tc.change(next)
		if got := journey.StatusChange(base(), next); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
