package controllers_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/fixtures"
	"github.com/touchstone-dev/touchstone/internal/stats"
)

// postDay posts one day's responses to a Survey through the real receiver,
// submitted on the day daysAgo days before today (at noon UTC; today: now).
func postDay(t *testing.T, g Gomega, svy *cxv1alpha1.Survey, daysAgo int, scores []int) {
	t.Helper()
	at := time.Now().UTC()
	if daysAgo > 0 {
		at = stats.DayOf(at).Start().AddDate(0, 0, -daysAgo).Add(12 * time.Hour)
	}
	var b strings.Builder
	b.WriteString(`{"responses":[`)
	for i, s := range scores {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"d%d-%d","score":%d,"submittedAt":%q}`, daysAgo, i, s, at.Format(time.RFC3339))
	}
	b.WriteString(`]}`)
	code, out := post(t, svy.Namespace, svy.Name, scToken, b.String())
	g.Expect(code).To(Equal(http.StatusOK), "%v", out)
}

// TestSurveyForecastFromPostedDays posts 28 days of NPS responses with a
// known trend through the real receiver and checks status.forecast, the
// forecast series and a Scorecard objective that reads it against the fit
// worked by hand.
//
// Day i (i = 0 is 27 days ago, i = 27 today; x = i − 27) has 100
// responses: 20 detractors, and 60 − i + eᵢ promoters, eᵢ = +2, −2, −2, +2
// repeating (a pattern that sums to 0 and is orthogonal to x over each
// block of four). The daily NPS is 40 − i + eᵢ = 13 − x + eᵢ, so the
// weighted fit (equal weights of 100) is exactly NPS = 13 − x, residuals
// ±2:
//
//	s² = Σ w r² / (k − 2) = 100·28·4 / 26 = 430.769
//	Σw = 2800, x̄ = −13.5, Sxx = 100 · 28·(28² − 1)/12 = 182700
//	window 28 days: the next window's mean day is x₀ = 14.5 → 13 − 14.5 = −1.5
//	1/2800 + (14.5 + 13.5)²/182700 + 1/2800 = 0.00500547
//	SE = √(430.769 · 0.00500547) = 1.468402, t₂₆ = 2.055529
//	interval −1.5 ± 3.018343 = −4.518 .. 1.518
//	slope −1 ± 2.055529·√(430.769/182700) = −1 ± 0.099811
func TestSurveyForecastFromPostedDays(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	today := stats.DayOf(time.Now())

	g.Expect(k8s.Create(ctx, newReceiverSecret(ns, scToken))).To(Succeed())
	g.Expect(k8s.Create(ctx, newTouchpoint(ns, "referrals"))).To(Succeed())
	svy := newSurvey(ns, "relationship-nps", "referrals", cxv1alpha1.SurveyNPS)
	svy.Spec.Window = &metav1.Duration{Duration: 28 * 24 * time.Hour}
	g.Expect(k8s.Create(ctx, svy)).To(Succeed())
	eventually(g, readyReason(ctx, svy)).ShouldNot(BeEmpty())

	sign := []int{2, -2, -2, 2}
	for i := range 28 {
		promoters := 60 - i + sign[i%4]
		postDay(t, g, svy, 27-i, scores([2]int{10, promoters}, [2]int{8, 80 - promoters}, [2]int{3, 20}))
		if i == 12 {
			// 13 days: no forecast yet, and the status says why.
			eventually(g, func() *cxv1alpha1.SurveyForecast {
				g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(svy), svy)).To(Succeed())
				return svy.Status.Forecast
			}).Should(Equal(&cxv1alpha1.SurveyForecast{Horizon: "28d", BasedOnDays: 13,
				Reason: "13 of the 14 days with responses a forecast needs, in the last 28 days"}))
		}
	}
	surveyStatus(g, svy, 2800)
	if stats.DayOf(time.Now()) != today {
		t.Skip("the test crossed midnight UTC: the window moved under the posted days")
	}
	// The window's NPS is the mean of the days: 40 − 13.5 = 26.5.
	g.Expect(svy.Status.Score).To(Equal("26.5"))
	eventually(g, func() *cxv1alpha1.SurveyForecast {
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(svy), svy)).To(Succeed())
		return svy.Status.Forecast
	}).Should(Equal(&cxv1alpha1.SurveyForecast{
		Horizon: "28d", Score: "-1.5", Lower: "-4.5", Upper: "1.5", SlopePerDay: "-1",
		SlopeInterval: &cxv1alpha1.Interval{Lower: "-1.1", Upper: "-0.9"}, BasedOnDays: 28,
	}))
	labels := func(bound string) map[string]string {
		return map[string]string{"namespace": ns, "survey": "relationship-nps", "bound": bound}
	}
	eventually(g, series("cx_survey_forecast_score", labels("point"))).Should(BeNumerically("~", -1.5, 1e-9))
	g.Expect(series("cx_survey_forecast_score", labels("lower"))()).To(BeNumerically("~", -4.518343, 1e-5))
	g.Expect(series("cx_survey_forecast_score", labels("upper"))()).To(BeNumerically("~", 1.518343, 1e-5))

	// A card warns before the score falls: the window reads 26.5, but the
	// forecast, −1.5, misses the target >= 0 and is inside the warning
	// band >= −5.
	card := fixtures.Scorecard(ns, "outlook",
		fixtures.FromSurvey(fixtures.Objective("nps-outlook", 1, "0..", "-5.."), "relationship-nps", cxv1alpha1.SurveyValueForecast))
	g.Expect(k8s.Create(ctx, card)).To(Succeed())
	eventually(g, view(card)).Should(Equal(scView{Score: "50", Result: "Fail", Ready: "True/ObjectivesEvaluated",
		Objectives: []string{"nps-outlook value=-1.5 target=>= 0 Warning score=0.5/1"}}))
}
