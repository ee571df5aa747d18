package controllers_test

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/fixtures"
)

// TestScorecardConfidentWalksInconclusiveToPass posts NPS answers of one
// mix (half promoters, a tenth detractors: NPS 40) through the real
// receiver in three steps. The estimate passes a target of >= 30 from the
// start; the adjusted-Wald interval straddles 30 until enough answers
// narrow it above, so the Confident objective walks Inconclusive ->
// Inconclusive -> Pass, and the card with it.
func TestScorecardConfidentWalksInconclusiveToPass(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)

	// 10 promoters, 8 passives, 2 detractors: NPS (10-2)/20 = 40.
	// Adjusted: n' = 23, p' = 10.75/23 = .467391, d' = 2.75/23 = .119565,
	// centre 34.782609, variance .586957 - .120983 = .465974,
	// SE' = sqrt(.465974/23)*100 = 14.233664, half 27.897469 -> 6.9 .. 62.7.
	nps := newSCSurvey(t, g, ns, "relationship-nps", cxv1alpha1.SurveyNPS, 10,
		scores([2]int{10, 6}, [2]int{9, 4}, [2]int{8, 5}, [2]int{7, 3}, [2]int{3, 2}))
	sc := fixtures.Scorecard(ns, "journey",
		fixtures.AsKey(fixtures.Confident(fixtures.FromSurvey(fixtures.Objective("nps", 2, "30..", "10.."), "relationship-nps", ""))),
		fixtures.FromSurvey(fixtures.Objective("nps-estimate", 1, "30..", "10.."), "relationship-nps", ""),
		fixtures.Confident(fixtures.FromSurvey(fixtures.Objective("answers", 1, "20..", ""), "relationship-nps", cxv1alpha1.SurveyValueResponses)),
	)
	g.Expect(k8s.Create(ctx, sc)).To(Succeed())

	// nps Inconclusive 1 of 2 (key, but only a confident failure fails the
	// card); nps-estimate 40 >= 30 Pass 1; answers 20 >= 20 Pass 1 (no
	// interval: judged as the estimate). 3 of 4 = 75 -> Warning.
	eventually(g, view(sc)).Should(Equal(scView{Score: "75", Result: "Warning", Ready: "True/ObjectivesEvaluated", Objectives: []string{
		"nps value=40 target=>= 30 Inconclusive score=1/2",
		"nps-estimate value=40 target=>= 30 Pass score=1/1",
		"answers value=20 target=>= 20 Pass score=1/1",
	}}))
	g.Expect(objectiveStatus(sc, "nps").Reason).To(Equal("NPS 40, 95% interval 6.9..62.7: cannot tell whether >= 30"))
	g.Expect(objectiveStatus(sc, "answers").Reason).To(Equal(
		"20 is inside the target >= 20 (decision Confident: the source publishes no interval, so the estimate is judged)"))
	g.Expect(condition(sc.Status.Conditions, cxv1alpha1.ConditionReady).Message).To(HaveSuffix(
		"; 1 of 3 objectives are inconclusive (their interval cannot tell) and score half: nps"))

	labels := map[string]string{"namespace": ns, "scorecard": "journey", "objective": "nps"}
	result := func(r string) func() any {
		m := maps.Clone(labels)
		m["result"] = r
		return series("cx_scorecard_objective_result", m)
	}
	eventually(g, result("Inconclusive")).Should(Equal(1.0))
	for _, r := range []string{"Pass", "Warning", "Fail", "NoData"} {
		g.Expect(result(r)()).To(Equal(0.0), r)
	}
	g.Expect(series("cx_scorecard_objective_met", labels)()).To(Equal(0.0), "Inconclusive is never met")
	g.Expect(series("cx_scorecard_objective_value", labels)()).To(Equal(40.0))

	// 80 more of the same mix, n = 100: NPS 40; n' = 103, p' = 50.75/103,
	// d' = 10.75/103, centre 38.834951, variance .446272, SE' 6.582354,
	// half 12.901176 -> 25.9 .. 51.7: still inconclusive.
	postSCResponses(t, g, nps, "second", scores([2]int{10, 24}, [2]int{9, 16}, [2]int{8, 20}, [2]int{7, 12}, [2]int{3, 8}))
	eventually(g, func() string {
		view(sc)()
		return objectiveStatus(sc, "nps").Reason
	}).Should(Equal("NPS 40, 95% interval 25.9..51.7: cannot tell whether >= 30"))
	g.Expect(sc.Status.Result).To(Equal(cxv1alpha1.ResultWarning))

	// 100 more, n = 200: n' = 203, p' = 100.75/203 = .496305,
	// d' = 20.75/203 = .102217, centre 39.408867, variance .443216,
	// SE' 4.672613, half 9.158154 -> 30.3 .. 48.6, wholly >= 30: Pass.
	// 4 of 4 = 100 -> Pass.
	postSCResponses(t, g, nps, "third", scores([2]int{10, 30}, [2]int{9, 20}, [2]int{8, 25}, [2]int{7, 15}, [2]int{3, 10}))
	eventually(g, view(sc)).Should(Equal(scView{Score: "100", Result: "Pass", Ready: "True/ObjectivesEvaluated", Objectives: []string{
		"nps value=40 target=>= 30 Pass score=2/2",
		"nps-estimate value=40 target=>= 30 Pass score=1/1",
		"answers value=200 target=>= 20 Pass score=1/1",
	}}))
	g.Expect(objectiveStatus(sc, "nps").Reason).To(Equal("NPS 40, 95% interval 30.3..48.6: inside the target >= 30"))
	eventually(g, result("Pass")).Should(Equal(1.0))
	g.Expect(result("Inconclusive")()).To(Equal(0.0))
	g.Expect(series("cx_scorecard_objective_met", labels)()).To(Equal(1.0))
	// The card warned, then passed. (Its very first evaluation may have
	// run before the manager's cache held the Survey's status, and failed
	// for want of data: one more Event first.)
	eventually(g, resultEvents(g, sc)).Should(ContainElement("Normal: result Warning -> Pass (score 100)"))
	events := resultEvents(g, sc)()
	g.Expect(events[len(events)-1]).To(Equal("Normal: result Warning -> Pass (score 100)"))
	g.Expect(events[len(events)-2]).To(HaveSuffix("-> Warning (score 75)"))
}

// stabilize creates a card with a window of 0, waits until it passes (its
// cache may not hold its source's value at the very first evaluation),
// then sets the window, so that a test starts from a published Pass.
func stabilize(g Gomega, sc *cxv1alpha1.Scorecard, window *metav1.Duration) {
	g.Expect(k8s.Create(context.Background(), sc)).To(Succeed())
	eventually(g, view(sc)).Should(HaveField("Result", "Pass"))
	updateSpec(g, sc, func() { sc.Spec.StabilizationWindow = window })
	eventually(g, view(sc)).Should(HaveField("Result", "Pass"))
}

// TestScorecardStabilizationWindowDampsANoisySource flips a card's only
// source between passing and failing every few seconds: with
// stabilizationWindow 1m the published result, its Events and
// cx_scorecard_result do not move, while the live score does. A failure
// that holds is published once it has held for the whole minute, by the
// controller coming back at the deadline (nothing else changes then).
func TestScorecardStabilizationWindowDampsANoisySource(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	checkout := newSCTouchpoint(t, g, ns, "checkout", map[string]string{"conversion_ratio": "0.7"})
	sc := fixtures.Scorecard(ns, "purchase",
		fixtures.FromTouchpoint(fixtures.Objective("conversion", 1, "0.6..", ""), "checkout", "conversion_ratio"))
	stabilize(g, sc, &metav1.Duration{Duration: time.Minute})
	card := map[string]string{"namespace": ns, "scorecard": "purchase"}
	cardResult := func(r string) func() any {
		m := maps.Clone(card)
		m["result"] = r
		return series("cx_scorecard_result", m)
	}

	eventually(g, resultEvents(g, sc)).Should(ContainElement("Normal: result None -> Pass (score 100)"))
	settled := len(resultEvents(g, sc)())
	start := time.Now()

	// Noise: 0.5 (Fail) and 0.7 (Pass) in turn, every 3 seconds. Each
	// value is seen (the live score follows it), but the result holds.
	for i := range 6 {
		value, score := "0.5", "0"
		if i%2 == 1 {
			value, score = "0.7", "100"
		}
		checkout.set(g, map[string]string{"conversion_ratio": value})
		eventually(g, view(sc)).Should(HaveField("Score", score))
		g.Expect(sc.Status.Result).To(Equal(cxv1alpha1.ResultPass))
		if score == "0" {
			g.Expect(sc.Status.PendingResult).To(Equal(cxv1alpha1.ResultFail))
			g.Expect(sc.Status.PendingSince).NotTo(BeNil())
			g.Expect(cardResult("Pass")()).To(Equal(1.0))
			g.Expect(series("cx_scorecard_score", card)()).To(Equal(0.0))
		} else {
			g.Expect(sc.Status.PendingResult).To(BeEmpty())
			g.Expect(sc.Status.PendingSince).To(BeNil())
		}
		time.Sleep(3 * time.Second) // the noise's period, not a wait for a result
	}

	// A failure that holds: pending at once, published after the window.
	checkout.set(g, map[string]string{"conversion_ratio": "0.5"})
	failedAt := time.Now()
	eventually(g, view(sc)).Should(HaveField("Score", "0"))
	g.Expect(sc.Status.Result).To(Equal(cxv1alpha1.ResultPass))
	g.Expect(sc.Status.PendingResult).To(Equal(cxv1alpha1.ResultFail))
	g.Expect(condition(sc.Status.Conditions, cxv1alpha1.ConditionReady).Message).To(ContainSubstring(
		"; result Pass stays published until Fail has held for the stabilization window of 1m (since "))
	g.Eventually(view(sc)).WithTimeout(90 * time.Second).WithPolling(200 * time.Millisecond).Should(HaveField("Result", "Fail"))
	published := time.Now()
	g.Expect(published.Sub(failedAt)).To(BeNumerically(">=", time.Minute), "published before the failure held for the window")
	g.Expect(published.Sub(failedAt)).To(BeNumerically("<", time.Minute+15*time.Second), "the controller did not come back at the deadline")
	g.Expect(sc.Status.PendingResult).To(BeEmpty())
	g.Expect(sc.Status.PendingSince).To(BeNil())
	eventually(g, cardResult("Fail")).Should(Equal(1.0))
	g.Expect(cardResult("Pass")()).To(Equal(0.0))

	// One Event over the noise and the failure, more than a minute and a
	// quarter: at most one per minute.
	eventually(g, resultEvents(g, sc)).Should(HaveLen(settled + 1))
	events := resultEvents(g, sc)()
	g.Expect(events[settled]).To(MatchRegexp(
		`^Warning: result Pass -> Fail \(score 0; held since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ for the 1m stabilization window\)$`))
	g.Expect(time.Since(start)).To(BeNumerically(">", 75*time.Second))
}

// TestScorecardPendingResultSurvivesARestart leaves in a card's status
// what an operator that stopped would have left: a pending result seen
// almost a whole (default, 5m) window ago. The controller computes from
// status, not from its memory, so it publishes the result within seconds,
// not five minutes after it first sees it.
func TestScorecardPendingResultSurvivesARestart(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	checkout := newSCTouchpoint(t, g, ns, "checkout", map[string]string{"conversion_ratio": "0.7"})
	sc := fixtures.Scorecard(ns, "purchase",
		fixtures.FromTouchpoint(fixtures.Objective("conversion", 1, "0.6..", ""), "checkout", "conversion_ratio"))
	stabilize(g, sc, nil)
	g.Expect(sc.Spec.StabilizationWindow).To(Equal(&metav1.Duration{Duration: 5 * time.Minute}), "the API's default")

	checkout.set(g, map[string]string{"conversion_ratio": "0.5"})
	eventually(g, view(sc)).Should(HaveField("Score", "0"))
	g.Expect(sc.Status.PendingResult).To(Equal(cxv1alpha1.ResultFail))

	// Failing since 4m55s ago, as far as the status says.
	eventually(g, func() error {
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(sc), sc); err != nil {
			return err
		}
		sc.Status.PendingSince = &metav1.Time{Time: time.Now().Add(-5*time.Minute + 5*time.Second).Truncate(time.Second)}
		return k8s.Status().Update(ctx, sc)
	}).Should(Succeed())
	rewritten := time.Now()
	g.Eventually(view(sc)).WithTimeout(30 * time.Second).WithPolling(200 * time.Millisecond).Should(HaveField("Result", "Fail"))
	g.Expect(time.Since(rewritten)).To(BeNumerically("<", 20*time.Second))
	eventually(g, resultEvents(g, sc)).Should(ContainElement(ContainSubstring("result Pass -> Fail (score 0; held since ")))
	g.Expect(strings.Join(resultEvents(g, sc)(), "\n")).To(ContainSubstring("for the 5m stabilization window"))
}
