package survey

import (
	"errors"
	"fmt"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/stats"
)

// addDay adds the counts of one tally to its day of the window. The days
// share one block of counts, allocated at the first tally: a window of 92
// days on an 11-point scale is about 8 KiB, whatever the responses.
func (w *windowSums) addDay(day stats.Day, counts stats.Tally) error {
	if w.days == nil {
		n, points := w.window.Days(), w.scale.Points()
		block := make([]int64, n*points)
		w.days = make([]stats.Tally, n)
		for i := range w.days {
			w.days[i] = stats.Tally{Scale: w.scale, Counts: block[i*points : (i+1)*points : (i+1)*points]}
		}
	}
	return w.days[day-w.window.First].Merge(counts)
}

// forecast projects the score one window ahead from the days of the window
// (stats.ForecastDays), or says why it cannot.
func forecast(spec *cxv1alpha1.SurveySpec, days []stats.Tally, opts stats.Options) (stats.Forecast, string) {
	window := spec.WindowDays()
	if window < stats.MinForecastDays {
		return stats.Forecast{}, fmt.Sprintf("a forecast needs %d days with responses, more than the window of %d days holds",
			stats.MinForecastDays, window)
	}
	f, err := stats.ForecastDays(days, opts, window)
	switch {
	case errors.Is(err, stats.ErrTooFewDays):
		return f, fmt.Sprintf("%d of the %d days with responses a forecast needs, in the last %d days",
			f.BasedOnDays, stats.MinForecastDays, window)
	case err != nil:
		return stats.Forecast{}, "no forecast: " + err.Error()
	}
	return f, ""
}

// forecastStatus renders the forecast for status.forecast, rounded like the
// score (the slope one decimal finer).
func (s Summary) forecastStatus(spec *cxv1alpha1.SurveySpec) *cxv1alpha1.SurveyForecast {
	d := decimals(stats.Kind(spec.Type))
	out := &cxv1alpha1.SurveyForecast{Horizon: fmt.Sprintf("%dd", spec.WindowDays()), BasedOnDays: int32(s.Forecast.BasedOnDays)}
	if s.NoForecast != "" {
		out.Reason = s.NoForecast
		return out
	}
	f := s.Forecast
	out.Score, out.Lower, out.Upper = stats.Format(f.Score, d), stats.Format(f.Lower, d), stats.Format(f.Upper, d)
	out.SlopePerDay = stats.Format(f.SlopePerDay, d+1)
	out.SlopeInterval = &cxv1alpha1.Interval{Lower: stats.Format(f.SlopeLower, d+1), Upper: stats.Format(f.SlopeUpper, d+1)}
	return out
}
