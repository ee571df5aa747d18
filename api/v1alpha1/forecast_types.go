package v1alpha1

// SurveyForecast projects a Survey's score one window ahead from the daily
// scores of its window: a weighted least-squares line through the days
// with responses (weights: each day's responses; NPS fits the daily
// promoter and detractor shares and combines them), read at the middle of
// the next window, with a prediction interval at spec.confidenceLevel. It
// needs at least 14 days with responses in the window. A linear trend is a
// short-horizon extrapolation of what the window shows, not a model of its
// causes. Numbers are rounded display strings.
type SurveyForecast struct {
	// horizon is how far ahead the projected window ends, the length of
	// spec.window, for example "30d": score is what status.score is
	// expected to read then.
	// +optional
	Horizon string `json:"horizon,omitempty"`

	// score projected for the window that ends one horizon from today;
	// empty when there is no forecast (see reason).
	// +optional
	Score string `json:"score,omitempty"`

	// lower bound of the prediction interval of score.
	// +optional
	Lower string `json:"lower,omitempty"`

	// upper bound of the prediction interval of score.
	// +optional
	Upper string `json:"upper,omitempty"`

	// slopePerDay is the trend of the daily score, in score points per
	// day.
	// +optional
	SlopePerDay string `json:"slopePerDay,omitempty"`

	// slopeInterval is the confidence interval of slopePerDay: when it
	// contains 0, the window shows no clear trend.
	// +optional
	SlopeInterval *Interval `json:"slopeInterval,omitempty"`

	// basedOnDays is the number of days with responses the line is fitted
	// to.
	// +optional
	BasedOnDays int32 `json:"basedOnDays"`

	// reason says why there is no forecast, for example "9 of the 14 days
	// with responses needed".
	// +optional
	Reason string `json:"reason,omitempty"`
}
