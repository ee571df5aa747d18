package scorecard_test

import (
	"testing"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/fixtures"
	"github.com/touchstone-dev/touchstone/internal/scorecard"
	"github.com/touchstone-dev/touchstone/internal/scorecard/verdict"
)

func TestSurveyInterval(t *testing.T) {
	svy := &cxv1alpha1.Survey{Spec: cxv1alpha1.SurveySpec{Type: cxv1alpha1.SurveyNPS, ConfidenceLevel: fixtures.Quantity("0.9")}}
	svy.Status.Score = "32.9"
	svy.Status.ConfidenceInterval = &cxv1alpha1.Interval{Lower: "21.2", Upper: "44.6"}
	want := verdict.Interval{Lower: 21.2, Upper: 44.6, Level: 0.9, Label: "NPS"}
	for _, v := range []cxv1alpha1.SurveyValue{"", cxv1alpha1.SurveyValueScore} {
		if got := scorecard.SurveyInterval(svy, v); got == nil || *got != want {
			t.Errorf("value %q: %+v, want %+v", v, got, want)
		}
	}
	// Values without an interval of their own.
	for _, v := range []cxv1alpha1.SurveyValue{cxv1alpha1.SurveyValueResponses, cxv1alpha1.SurveyValueMarginOfError,
		cxv1alpha1.SurveyValueMean, cxv1alpha1.SurveyValuePromoterPercent} {
		if got := scorecard.SurveyInterval(svy, v); got != nil {
			t.Errorf("value %s has an interval: %+v", v, got)
		}
	}
	// The default level, and no interval while the status has none.
	svy.Spec.ConfidenceLevel = nil
	if got := scorecard.SurveyInterval(svy, ""); got == nil || got.Level != cxv1alpha1.DefaultConfidenceLevel {
		t.Errorf("default level: %+v", got)
	}
	svy.Status.ConfidenceInterval = &cxv1alpha1.Interval{Lower: "", Upper: "44.6"}
	if got := scorecard.SurveyInterval(svy, ""); got != nil {
		t.Errorf("unparsable interval: %+v", got)
	}
	svy.Status.ConfidenceInterval = nil
	if got := scorecard.SurveyInterval(svy, ""); got != nil {
		t.Errorf("no interval: %+v", got)
	}
}

func TestInputCarriesTheDecision(t *testing.T) {
	o := fixtures.Objective("nps", 1, "30..", "")
	if got := scorecard.Input(o).Decision; got != verdict.Estimate {
		t.Errorf("default decision %q, want Estimate", got)
	}
	o.Decision = cxv1alpha1.DecisionConfident
	if got := scorecard.Input(o).Decision; got != verdict.Confident {
		t.Errorf("decision %q, want Confident", got)
	}
}
