package survey

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/stats"
)

// BenchmarkSummarize90Days sums a 90-day NPS window of one tally a day
// (and its previous window) and forecasts from it, as the Survey
// controller does on each status update; the Forecast sub-benchmark is
// the forecast alone, so that one run gives its share of the cost.
func BenchmarkSummarize90Days(b *testing.B) {
	spec := &cxv1alpha1.SurveySpec{Type: cxv1alpha1.SurveyNPS,
		Window: &metav1.Duration{Duration: 90 * 24 * time.Hour}, Retention: &metav1.Duration{Duration: 180 * 24 * time.Hour}}
	var tallies []cxv1alpha1.ResponseTally
	for ago := range 180 {
		tallies = append(tallies, tally("u", ago, fmt.Sprintf("0:%d 3:5 7:20 8:15 9:30 10:%d", 10+ago%7, 20+ago%5)))
	}
	b.Run("Summarize", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s, err := Summarize(spec, "u", tallies, now)
			if err != nil || s.NoForecast != "" {
				b.Fatal(err, s.NoForecast)
			}
		}
	})
	s, err := Summarize(spec, "u", tallies, now)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("Forecast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := stats.ForecastDays(s.Days, Options(spec), 90); err != nil {
				b.Fatal(err)
			}
		}
	})
}
