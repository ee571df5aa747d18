package scorecard

import (
	"strconv"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/scorecard/verdict"
)

// SurveyInterval is the confidence interval a Survey publishes with a
// value, for objectives with decision Confident: status.confidenceInterval
// with Score (at spec.confidenceLevel, labelled with the survey's type, so
// that a reason reads "NPS 32.9, 95% interval 21.2..44.6"), and nil for
// every other value (a sample size or a margin has no interval) or while
// the status has no interval that parses.
func SurveyInterval(svy *cxv1alpha1.Survey, value cxv1alpha1.SurveyValue) *verdict.Interval {
	if value != "" && value != cxv1alpha1.SurveyValueScore {
		return nil
	}
	ci := svy.Status.ConfidenceInterval
	if ci == nil {
		return nil
	}
	lo, errLo := strconv.ParseFloat(ci.Lower, 64)
	hi, errHi := strconv.ParseFloat(ci.Upper, 64)
	if errLo != nil || errHi != nil {
		return nil
	}
	return &verdict.Interval{Lower: lo, Upper: hi, Level: svy.Spec.ConfidenceLevelOrDefault(), Label: string(svy.Spec.Type)}
}
