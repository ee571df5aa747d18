package scorecard

import (
	"strconv"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/scorecard/verdict"
)

// SurveyInterval is the interval a Survey publishes with a value, for
// objectives with decision Confident: status.confidenceInterval with Score
// (at spec.confidenceLevel, labelled with the survey's type, so that a
// reason reads "NPS 32.9, 95% interval 21.2..44.6"), the forecast's
// prediction interval with Forecast (labelled "projected NPS": a card
// then warns only when even the interval's best end misses the target),
// and nil for every other value (a sample size or a margin has no
// interval) or while the status has no interval that parses.
func SurveyInterval(svy *cxv1alpha1.Survey, value cxv1alpha1.SurveyValue) *verdict.Interval {
	label := string(svy.Spec.Type)
	var lower, upper string
	switch value {
	case "", cxv1alpha1.SurveyValueScore:
		ci := svy.Status.ConfidenceInterval
		if ci == nil {
			return nil
		}
		lower, upper = ci.Lower, ci.Upper
	case cxv1alpha1.SurveyValueForecast:
		f := svy.Status.Forecast
		if f == nil || f.Score == "" {
			return nil
		}
		lower, upper, label = f.Lower, f.Upper, "projected "+label
	default:
		return nil
	}
	lo, errLo := strconv.ParseFloat(lower, 64)
	hi, errHi := strconv.ParseFloat(upper, 64)
	if errLo != nil || errHi != nil {
		return nil
	}
	return &verdict.Interval{Lower: lo, Upper: hi, Level: svy.Spec.ConfidenceLevelOrDefault(), Label: label}
}
