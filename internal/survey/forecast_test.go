package survey

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
)

// csatTally is a CSAT tally (1..5) of daysAgo with sat answers of 5 and the
// rest of n answers of 1.
func csatTally(name string, daysAgo int, sat, n int) cxv1alpha1.ResponseTally {
	counts := fmt.Sprintf("1:%d 5:%d", n-sat, sat)
	if sat == n {
		counts = fmt.Sprintf("5:%d", n)
	}
	day := now.AddDate(0, 0, -daysAgo).Format(time.DateOnly)
	return cxv1alpha1.ResponseTally{ObjectMeta: metav1.ObjectMeta{Name: name}, SurveyUID: "u", Day: day, ScaleMin: 1, ScaleMax: 5, Counts: counts}
}

// Summarize keeps the window's tallies per day (several tallies of one day
// are summed) and forecasts from them. 14 days of 50 responses whose
// percent satisfied falls 2 points a day, from 70 thirteen days ago to 44
// today, lie on the line y = 44 − 2x: over the next 30 days (x₀ = 15.5)
// it projects 44 − 31 = 13, with no residual and so no width.
func TestSummarizeForecastsFromTheDays(t *testing.T) {
	spec := &cxv1alpha1.SurveySpec{Type: cxv1alpha1.SurveyCSAT}
	var tallies []cxv1alpha1.ResponseTally
	for ago := range 14 {
		sat := (44 + 2*ago) / 2 // percent of 50 responses
		// Two lanes on each day: 20 + 30 responses.
		tallies = append(tallies, csatTally(fmt.Sprintf("a%d", ago), ago, sat*20/50, 20), csatTally(fmt.Sprintf("b%d", ago), ago, sat-sat*20/50, 30))
	}
	s, err := Summarize(spec, "u", tallies, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Days) != 30 || s.Days[29].N() != 50 || s.Days[16].N() != 50 || s.Days[15].N() != 0 {
		t.Fatalf("days: %d, today %d, 13 days ago %d, 14 days ago %d", len(s.Days), s.Days[29].N(), s.Days[16].N(), s.Days[15].N())
	}
	var st cxv1alpha1.SurveyStatus
	s.ApplyTo(spec, &st)
	want := cxv1alpha1.SurveyForecast{Horizon: "30d", Score: "13", Lower: "13", Upper: "13", SlopePerDay: "-2",
		SlopeInterval: &cxv1alpha1.Interval{Lower: "-2", Upper: "-2"}, BasedOnDays: 14}
	if st.Forecast == nil || !reflect.DeepEqual(*st.Forecast, want) {
		t.Errorf("forecast %+v, want %+v", st.Forecast, want)
	}

	// 13 days: no forecast, and why.
	s, err = Summarize(spec, "u", tallies[2:], now)
	if err != nil {
		t.Fatal(err)
	}
	s.ApplyTo(spec, &st)
	if st.Forecast.Score != "" || st.Forecast.BasedOnDays != 13 ||
		st.Forecast.Reason != "13 of the 14 days with responses a forecast needs, in the last 30 days" {
		t.Errorf("13 days: %+v", st.Forecast)
	}

	// A window shorter than 14 days never forecasts, and says so.
	spec.Window = &metav1.Duration{Duration: 7 * 24 * time.Hour}
	s, err = Summarize(spec, "u", tallies, now)
	if err != nil {
		t.Fatal(err)
	}
	s.ApplyTo(spec, &st)
	if st.Forecast.Score != "" || !strings.Contains(st.Forecast.Reason, "more than the window of 7 days holds") {
		t.Errorf("7-day window: %+v", st.Forecast)
	}
}
