package controllers_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/fixtures"
)

// The journey tests map real objects: Touchpoints whose collectors read a
// local HTTP server, and Surveys scored from responses posted to the real
// receiver.

// newJourneyTouchpoint creates a Touchpoint of a stage with the given
// labels. With a value, it has one HTTP collector that reads it, and the
// function waits until the collector has published it (the Touchpoint is
// then measured); without, it has no collector.
func newJourneyTouchpoint(t *testing.T, g Gomega, ns, name string, stage cxv1alpha1.Stage, journey, value string) *cxv1alpha1.Touchpoint {
	t.Helper()
	tp := &cxv1alpha1.Touchpoint{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"journey": journey}},
		Spec:       cxv1alpha1.TouchpointSpec{Stage: stage},
	}
	if value != "" {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"value": %s}`, value)
		}))
		t.Cleanup(srv.Close)
		tp.Spec.Collectors = []cxv1alpha1.Collector{{Name: "value", Metric: "value_ratio", Unit: cxv1alpha1.UnitRatio,
			Interval: &metav1.Duration{Duration: time.Minute}, HTTP: &cxv1alpha1.HTTPSource{URL: srv.URL, JSONPath: "{.value}"}}}
	}
	g.Expect(k8s.Create(context.Background(), tp)).To(Succeed())
	if value != "" {
		eventually(g, func() string {
			g.Expect(k8s.Get(context.Background(), client.ObjectKeyFromObject(tp), tp)).To(Succeed())
			if len(tp.Status.Metrics) == 0 {
				return ""
			}
			return tp.Status.Metrics[0].Value
		}).Should(Equal(value))
	}
	return tp
}

// newJourneySurvey creates a Survey at a Touchpoint and posts scores to the
// real receiver (the namespace's receiver Secret holds scToken).
func newJourneySurvey(t *testing.T, g Gomega, ns, name, touchpoint string, typ cxv1alpha1.SurveyType, scores []int) *cxv1alpha1.Survey {
	t.Helper()
	ctx := context.Background()
	if err := k8s.Create(ctx, newReceiverSecret(ns, scToken)); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	svy := newSurvey(ns, name, touchpoint, typ)
	g.Expect(k8s.Create(ctx, svy)).To(Succeed())
	eventually(g, readyReason(ctx, svy)).ShouldNot(BeEmpty())
	postSCResponses(t, g, svy, "first", scores)
	return svy
}

// jnyView is what a test checks of a Journey: coverage, consistency, one
// line per stage, the unmeasured Touchpoints and the Ready reason.
type jnyView struct {
	Coverage, Weakest, Strongest, Spread, SD, Ready string
	Stages                                          []string
	Unmeasured                                      []string
}

// journeyView fetches a Journey and summarizes its status, or returns an
// empty view while the current generation has not been mapped.
func journeyView(jny *cxv1alpha1.Journey) func() jnyView {
	return func() jnyView {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(jny), jny); err != nil {
			return jnyView{Ready: "get: " + err.Error()}
		}
		st := jny.Status
		ready := condition(st.Conditions, cxv1alpha1.ConditionReady)
		if ready == nil || st.ObservedGeneration != jny.Generation {
			return jnyView{}
		}
		v := jnyView{Coverage: st.Coverage, Ready: string(ready.Status) + "/" + ready.Reason, Unmeasured: st.UnmeasuredTouchpoints}
		if c := st.Consistency; c != nil {
			v.Weakest, v.Strongest, v.Spread, v.SD = string(c.Weakest), string(c.Strongest), c.Spread, c.StandardDeviation
		}
		for _, s := range st.Stages {
			if s.Touchpoints == 0 {
				continue
			}
			line := fmt.Sprintf("%s %d/%d", s.Name, s.MeasuredTouchpoints, s.Touchpoints)
			if s.Satisfaction != "" {
				line += fmt.Sprintf(" %s n=%d", s.Satisfaction, s.Responses)
			}
			v.Stages = append(v.Stages, line)
		}
		return v
	}
}

// stageOf returns one stage of a fetched Journey.
func stageOf(jny *cxv1alpha1.Journey, name cxv1alpha1.Stage) cxv1alpha1.JourneyStageStatus {
	for _, s := range jny.Status.Stages {
		if s.Name == name {
			return s
		}
	}
	return cxv1alpha1.JourneyStageStatus{}
}

// marginOf reads a Survey's published margin of error.
func marginOf(g Gomega, svy *cxv1alpha1.Survey) float64 {
	g.Expect(k8s.Get(context.Background(), client.ObjectKeyFromObject(svy), svy)).To(Succeed())
	m, err := strconv.ParseFloat(svy.Status.MarginOfError, 64)
	g.Expect(err).NotTo(HaveOccurred(), "survey %s margin %q", svy.Name, svy.Status.MarginOfError)
	return m
}

// TestJourneyMapsTheLifecycle maps a small shop, checks coverage, stage
// satisfaction (worked by hand from the posted responses), the weakest
// stage and the series, then changes the world under it: a survey's score,
// a Touchpoint added, relabelled and removed. Each change reaches the map
// through the watches.
func TestJourneyMapsTheLifecycle(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)

	newJourneyTouchpoint(t, g, ns, "landing", cxv1alpha1.StageAwareness, "customer", "0.41")
	newJourneyTouchpoint(t, g, ns, "helpdesk", cxv1alpha1.StageSupport, "customer", "")
	newJourneyTouchpoint(t, g, ns, "referrals", cxv1alpha1.StageAdvocacy, "customer", "")
	invoices := newJourneyTouchpoint(t, g, ns, "invoices", cxv1alpha1.StageBilling, "customer", "")
	staff := newJourneyTouchpoint(t, g, ns, "staff-desk", cxv1alpha1.StageSupport, "staff", "")

	// CSAT on 1..5: 40 of 50 answers are 4 or 5 → 80, on the 0..100 scale 80.
	csat := newJourneySurvey(t, g, ns, "support-csat", "helpdesk", cxv1alpha1.SurveyCSAT,
		scores([2]int{5, 20}, [2]int{4, 20}, [2]int{1, 10}))
	// NPS: 20 promoters, 10 passives, 10 detractors of 40 → 25 → (25+100)/2 = 62.5.
	supportNPS := newJourneySurvey(t, g, ns, "support-nps", "helpdesk", cxv1alpha1.SurveyNPS,
		scores([2]int{10, 20}, [2]int{8, 10}, [2]int{5, 10}))
	// NPS: 36 promoters, 4 passives of 40 → 90 → 95.
	relationship := newJourneySurvey(t, g, ns, "relationship-nps", "referrals", cxv1alpha1.SurveyNPS,
		scores([2]int{9, 16}, [2]int{10, 20}, [2]int{7, 4}))
	// A Survey at a Touchpoint the Journey does not select is not on the map.
	newJourneySurvey(t, g, ns, "staff-csat", "staff-desk", cxv1alpha1.SurveyCSAT, scores([2]int{1, 30}))

	card := fixtures.Scorecard(ns, "customer-card",
		fixtures.FromSurvey(fixtures.Objective("nps", 1, "50..", ""), "relationship-nps", ""))
	g.Expect(k8s.Create(ctx, card)).To(Succeed())

	jny := &cxv1alpha1.Journey{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "customer"},
		Spec: cxv1alpha1.JourneySpec{
			TouchpointSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"journey": "customer"}},
			ScorecardRef:       &cxv1alpha1.LocalObjectReference{Name: "customer-card"},
		},
	}
	g.Expect(k8s.Create(ctx, jny)).To(Succeed())

	// Support: 80 (n 50) and 62.5 (n 40): w = 5/9, 4/9 →
	// 80·5/9 + 62.5·4/9 = 44.4444 + 27.7778 = 72.2222 → 72.2.
	// Advocacy: 95 (n 40). Spread 95 − 72.2222 = 22.7778 → 22.8; population
	// standard deviation of two values: half the spread, 11.3889 → 11.4.
	// Measured: Awareness (a value), Support and Advocacy (surveys); Billing
	// has a Touchpoint without data: coverage 3 of the 10 stages.
	eventually(g, journeyView(jny)).Should(Equal(jnyView{
		Coverage: "3/10", Weakest: "Support", Strongest: "Advocacy", Spread: "22.8", SD: "11.4", Ready: "True/Mapped",
		Stages:     []string{"Awareness 1/1", "Support 1/1 72.2 n=90", "Billing 0/1", "Advocacy 1/1 95 n=40"},
		Unmeasured: []string{"invoices"},
	}))
	// The margins combine the surveys' published ones (a CSAT margin is on
	// 0..100 already, an NPS margin halves): Support √((5/9·m_csat)² +
	// (4/9·m_nps/2)²); Advocacy m_nps/2. Support is called the weakest
	// because its interval stays clear of Advocacy's.
	support, advocacy := stageOf(jny, cxv1alpha1.StageSupport), stageOf(jny, cxv1alpha1.StageAdvocacy)
	wantSupport := math.Hypot(5.0/9*marginOf(g, csat), 4.0/9*marginOf(g, supportNPS)/2)
	g.Expect(strconv.ParseFloat(support.MarginOfError, 64)).To(BeNumerically("~", wantSupport, 0.051))
	g.Expect(strconv.ParseFloat(advocacy.MarginOfError, 64)).To(BeNumerically("~", marginOf(g, relationship)/2, 0.051))
	g.Expect(72.2222+wantSupport).To(BeNumerically("<", 95-marginOf(g, relationship)/2), "the test's intervals must not overlap")
	g.Expect(support.Surveys).To(Equal([]cxv1alpha1.JourneySurveyStatus{
		{Name: "support-csat", Type: cxv1alpha1.SurveyCSAT, Responses: 50, Satisfaction: "80"},
		{Name: "support-nps", Type: cxv1alpha1.SurveyNPS, Responses: 40, Satisfaction: "62.5"},
	}))
	g.Expect(stageOf(jny, cxv1alpha1.StageBilling).Reason).To(Equal("no Survey is asked at this stage's Touchpoints"))
	g.Expect(jny.Status.UnmeasuredStages).To(Equal([]cxv1alpha1.Stage{"Consideration", "Acquisition", "Onboarding",
		"Adoption", "Billing", "Renewal", "Offboarding"}))
	g.Expect(jny.Status.Consistency.Summary).To(HavePrefix("Support is the weakest stage (72.2 ± "))
	g.Expect(condition(jny.Status.Conditions, cxv1alpha1.ConditionStagesMeasured).Message).To(ContainSubstring("Billing (1 Touchpoint, none measured)"))
	eventually(g, func() *cxv1alpha1.JourneyScorecard {
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(jny), jny)).To(Succeed())
		return jny.Status.Scorecard
	}).Should(Equal(&cxv1alpha1.JourneyScorecard{Name: "customer-card", Score: "100", Result: cxv1alpha1.ResultPass}))

	labels := func(stage string) map[string]string {
		return map[string]string{"namespace": ns, "journey": "customer", "stage": stage}
	}
	eventually(g, series("cx_journey_stage_satisfaction", labels("Support"))).Should(BeNumerically("~", 72.2222, 1e-3))
	g.Expect(series("cx_journey_stage_satisfaction", labels("Billing"))()).To(Equal("absent"))
	g.Expect(series("cx_journey_coverage_ratio", map[string]string{"namespace": ns, "journey": "customer"})()).To(Equal(0.3))
	g.Expect(series("cx_journey_stage_touchpoints", map[string]string{"namespace": ns, "journey": "customer", "stage": "Billing", "measured": "false"})()).To(Equal(1.0))

	// A survey's score changes: 20 more detractors make support-nps 20
	// promoters, 10 passives, 30 detractors of 60 → −16.7 (displayed) →
	// (−16.7 + 100)/2 = 41.65. Support: 80·50/110 + 41.65·60/110 = 36.3636
	// + 22.7182 = 59.0818 → 59.1, n 110. Spread 95 − 59.08 = 35.9.
	postSCResponses(t, g, supportNPS, "more", scores([2]int{0, 20}))
	eventually(g, journeyView(jny)).Should(HaveField("Stages", ContainElement("Support 1/1 59.1 n=110")))
	g.Expect(jny.Status.Consistency.Spread).To(Equal("35.9"))

	// A Touchpoint added to the journey: Acquisition is measured.
	newJourneyTouchpoint(t, g, ns, "checkout", cxv1alpha1.StageAcquisition, "customer", "0.64")
	eventually(g, journeyView(jny)).Should(HaveField("Coverage", "4/10"))

	// Relabelled: landing leaves the journey (Awareness is off the map),
	// staff-desk joins it (Support has a second Touchpoint, measured by
	// its survey; staff-csat, 30 answers of 1 → 0, joins the stage:
	// 80·50/140 + 41.65·60/140 + 0·30/140 = 28.5714 + 17.85 = 46.4214 → 46.4).
	landing := &cxv1alpha1.Touchpoint{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "landing"}}
	updateSpec(g, landing, func() { landing.Labels["journey"] = "marketing" })
	updateSpec(g, staff, func() { staff.Labels["journey"] = "customer" })
	eventually(g, journeyView(jny)).Should(Equal(jnyView{
		Coverage: "3/10", Weakest: "Support", Strongest: "Advocacy", Spread: "48.6", SD: "24.3", Ready: "True/Mapped",
		Stages:     []string{"Acquisition 1/1", "Support 2/2 46.4 n=140", "Billing 0/1", "Advocacy 1/1 95 n=40"},
		Unmeasured: []string{"invoices"},
	}))

	// Removed: without invoices, Billing has no Touchpoint.
	g.Expect(k8s.Delete(ctx, invoices)).To(Succeed())
	eventually(g, journeyView(jny)).Should(HaveField("Unmeasured", BeEmpty()))
	g.Expect(stageOf(jny, cxv1alpha1.StageBilling).Reason).To(Equal("no Touchpoint on the map at this stage"))
	g.Expect(condition(jny.Status.Conditions, cxv1alpha1.ConditionStagesMeasured).Message).To(ContainSubstring("Billing (no Touchpoint)"))

	// Deleting the Journey deletes its series.
	g.Expect(k8s.Delete(ctx, jny)).To(Succeed())
	eventually(g, series("cx_journey_coverage_ratio", map[string]string{"namespace": ns, "journey": "customer"})).Should(Equal("absent"))
	g.Expect(series("cx_journey_stage_satisfaction", labels("Support"))()).To(Equal("absent"))
}

// TestJourneyReadyReasons: a Journey that selects nothing is not Ready and
// says why; so is one whose Scorecard does not exist, until it does.
func TestJourneyReadyReasons(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)

	empty := &cxv1alpha1.Journey{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "everything"}}
	g.Expect(k8s.Create(ctx, empty)).To(Succeed())
	eventually(g, readyReason(ctx, empty)).Should(Equal(cxv1alpha1.ReasonNoTouchpoints))
	ready := condition(empty.Status.Conditions, cxv1alpha1.ConditionReady)
	g.Expect(ready.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(ready.Message).To(Equal("the namespace has no Touchpoint (spec.touchpointSelector selects every Touchpoint of the namespace)"))
	g.Expect(empty.Status.Coverage).To(Equal("0/10"))
	g.Expect(empty.Spec.Stages).To(HaveLen(10), "the API server defaults spec.stages to every stage")

	nobody := &cxv1alpha1.Journey{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "nobody"}, Spec: cxv1alpha1.JourneySpec{
		TouchpointSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"journey": "nobody"}},
		ScorecardRef:       &cxv1alpha1.LocalObjectReference{Name: "later"},
	}}
	g.Expect(k8s.Create(ctx, nobody)).To(Succeed())
	eventually(g, readyReason(ctx, nobody)).Should(Equal(cxv1alpha1.ReasonNoTouchpoints))
	g.Expect(condition(nobody.Status.Conditions, cxv1alpha1.ConditionReady).Message).To(
		Equal("spec.touchpointSelector matches no Touchpoint in the namespace: journey=nobody"))

	// A Touchpoint that matches: the empty journey maps it too; the
	// selecting one now misses its Scorecard.
	newJourneyTouchpoint(t, g, ns, "helpdesk", cxv1alpha1.StageSupport, "nobody", "3")
	eventually(g, readyReason(ctx, empty)).Should(Equal(cxv1alpha1.ReasonMapped))
	// Measured once its collector published its value (a status change
	// the watch passes on).
	eventually(g, journeyView(empty)).Should(HaveField("Coverage", "1/10"))
	eventually(g, readyReason(ctx, nobody)).Should(Equal(cxv1alpha1.ReasonScorecardNotFound))
	g.Expect(condition(nobody.Status.Conditions, cxv1alpha1.ConditionReady).Message).To(
		Equal(`scorecard "later" named in spec.scorecardRef does not exist`))

	// The Scorecard is created: the watch brings it.
	g.Expect(k8s.Create(ctx, fixtures.Scorecard(ns, "later",
		fixtures.FromTouchpoint(fixtures.Objective("value", 1, "1..", ""), "helpdesk", "value_ratio")))).To(Succeed())
	eventually(g, readyReason(ctx, nobody)).Should(Equal(cxv1alpha1.ReasonMapped))
	eventually(g, func() string {
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(nobody), nobody)).To(Succeed())
		if nobody.Status.Scorecard == nil {
			return ""
		}
		return nobody.Status.Scorecard.Score + " " + string(nobody.Status.Scorecard.Result)
	}).Should(Equal("100 Pass"))
	g.Expect(condition(nobody.Status.Conditions, cxv1alpha1.ConditionStagesMeasured).Reason).To(Equal(cxv1alpha1.ReasonStagesUnmeasured))

	// A selector the API accepts but that cannot be parsed.
	bad := &cxv1alpha1.Journey{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "bad"}, Spec: cxv1alpha1.JourneySpec{
		TouchpointSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "journey", Operator: "Near", Values: []string{"customer"}}}},
	}}
	g.Expect(k8s.Create(ctx, bad)).To(Succeed())
	eventually(g, readyReason(ctx, bad)).Should(Equal(cxv1alpha1.ReasonInvalidSpec))
	g.Expect(condition(bad.Status.Conditions, cxv1alpha1.ConditionReady).Message).To(HavePrefix("spec.touchpointSelector: "))
	g.Expect(strings.Contains(condition(bad.Status.Conditions, cxv1alpha1.ConditionReady).Message, "Near")).To(BeTrue())
}
