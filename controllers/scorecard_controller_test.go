package controllers_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/controllers"
	"github.com/touchstone-dev/touchstone/internal/fixtures"
	"github.com/touchstone-dev/touchstone/internal/receive"
)

// testScorecardOptions adapts the scorecard defaults for the tests: a
// missing PrometheusRule CRD is looked for again every second, and new
// sources are waited for 3s.
func testScorecardOptions(o controllers.ScorecardOptions) controllers.ScorecardOptions {
	o.AlertingRecheckInterval = time.Second
	// Long enough for a new Touchpoint's first round, short enough for
	// the tests of a source that does not exist.
	o.SourceGrace = 3 * time.Second
	return o
}

// The scorecard tests read real sources: Surveys score responses posted to
// the real receiver; Touchpoints have HTTP collectors served by a local
// server, and the tests also write the same values into the Touchpoint's
// status through the API server, as the collectors do, so that a test does
// not wait for a collector run.

// scTouchpoint is a Touchpoint whose metric values the test controls.
type scTouchpoint struct {
	*cxv1alpha1.Touchpoint
	mu     sync.Mutex
	values map[string]string // "" = no value (the server answers 503)
}

// newSCTouchpoint creates a Touchpoint with one HTTP collector per metric
// and publishes the given values.
func newSCTouchpoint(t *testing.T, g Gomega, ns, name string, values map[string]string) *scTouchpoint {
	t.Helper()
	f := &scTouchpoint{values: map[string]string{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		v, ok := f.values[strings.TrimPrefix(r.URL.Path, "/")]
		f.mu.Unlock()
		if !ok || v == "" {
			http.Error(w, "no value", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"value": %s}`, v)
	}))
	t.Cleanup(srv.Close)

	tp := newTouchpoint(ns, name)
	for _, m := range sortedKeys(values) {
		tp.Spec.Collectors = append(tp.Spec.Collectors, cxv1alpha1.Collector{
			Name:     strings.ReplaceAll(m, "_", "-"),
			Metric:   m,
			Unit:     unitOf(m),
			Interval: &metav1.Duration{Duration: 10 * time.Second},
			Timeout:  &metav1.Duration{Duration: 5 * time.Second},
			HTTP:     &cxv1alpha1.HTTPSource{URL: srv.URL + "/" + m, JSONPath: "{.value}"},
		})
	}
	g.Expect(k8s.Create(context.Background(), tp)).To(Succeed())
	f.Touchpoint = tp
	f.set(g, values)
	return f
}

func unitOf(metric string) cxv1alpha1.Unit {
	switch {
	case strings.HasSuffix(metric, "_seconds"):
		return cxv1alpha1.UnitSeconds
	case strings.HasSuffix(metric, "_ratio"):
		return cxv1alpha1.UnitRatio
	}
	return cxv1alpha1.UnitCount
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// set changes metric values: the collectors' server answers them, and the
// Touchpoint's status says them.
func (f *scTouchpoint) set(g Gomega, values map[string]string) {
	f.mu.Lock()
	maps.Copy(f.values, values)
	var metrics []cxv1alpha1.MetricStatus
	now := metav1.Now()
	for _, m := range sortedKeys(f.values) {
		ms := cxv1alpha1.MetricStatus{Name: m, Value: f.values[m], Unit: unitOf(m),
			Source: strings.ReplaceAll(m, "_", "-"), Since: &now}
		if ms.Value == "" {
			ms.Reason = "the collector has not succeeded yet: 503 Service Unavailable"
		}
		metrics = append(metrics, ms)
	}
	f.mu.Unlock()
	ctx := context.Background()
	eventually(g, func() error {
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(f.Touchpoint), f.Touchpoint); err != nil {
			return err
		}
		f.Status.Metrics = metrics
		return k8s.Status().Update(ctx, f.Touchpoint)
	}).Should(Succeed())
}

// scToken is the receiver token of the scorecard tests' Surveys.
const scToken = "scorecard-test-token"

// newSCSurvey creates a Survey (with its Touchpoint and receiver Secret)
// and posts the given scores to the real receiver.
func newSCSurvey(t *testing.T, g Gomega, ns, name string, typ cxv1alpha1.SurveyType, minResponses int32, scores []int) *cxv1alpha1.Survey {
	t.Helper()
	ctx := context.Background()
	if err := k8s.Create(ctx, newReceiverSecret(ns, scToken)); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	g.Expect(k8s.Create(ctx, newTouchpoint(ns, name+"-home"))).To(Succeed())
	svy := newSurvey(ns, name, name+"-home", typ)
	svy.Spec.MinResponses = minResponses
	g.Expect(k8s.Create(ctx, svy)).To(Succeed())
	eventually(g, readyReason(ctx, svy)).ShouldNot(BeEmpty())
	postSCResponses(t, g, svy, "first", scores)
	return svy
}

// postSCResponses posts scores to a Survey and waits until its status
// counts them.
func postSCResponses(t *testing.T, g Gomega, svy *cxv1alpha1.Survey, prefix string, scores []int) {
	t.Helper()
	ctx := context.Background()
	g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(svy), svy)).To(Succeed())
	want := svy.Status.Responses + int64(len(scores))
	if len(scores) > 0 {
		var b strings.Builder
		b.WriteString(`{"responses":[`)
		for i, s := range scores {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"id":"%s-%d","score":%d}`, prefix, i, s)
		}
		b.WriteString(`]}`)
		req, err := http.NewRequest(http.MethodPost, receiverURL+receive.PathOf(svy.Namespace, svy.Name), strings.NewReader(b.String()))
		g.Expect(err).NotTo(HaveOccurred())
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+scToken)
		resp, err := http.DefaultClient.Do(req)
		g.Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		g.Expect(resp.StatusCode).To(Equal(http.StatusOK))
	}
	eventually(g, func() int64 {
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(svy), svy)).To(Succeed())
		return svy.Status.Responses
	}).Should(Equal(want))
}

// scores repeats score n times, for building response lists.
func scores(parts ...[2]int) []int {
	var out []int
	for _, p := range parts {
		for range p[1] {
			out = append(out, p[0])
		}
	}
	return out
}

// scView is what a test checks of a card: score, result, the Ready
// reason and one line per objective.
type scView struct {
	Score, Result, Ready string
	Objectives           []string
}

// view fetches a card and summarizes its status, or returns an empty view
// while the current generation has not been evaluated.
func view(sc *cxv1alpha1.Scorecard) func() scView {
	return func() scView {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(sc), sc); err != nil {
			return scView{Ready: "get: " + err.Error()}
		}
		ready := condition(sc.Status.Conditions, cxv1alpha1.ConditionReady)
		if ready == nil || sc.Status.ObservedGeneration != sc.Generation || ready.ObservedGeneration != sc.Generation {
			return scView{}
		}
		v := scView{Score: sc.Status.Score, Result: string(sc.Status.Result), Ready: string(ready.Status) + "/" + ready.Reason}
		for _, o := range sc.Status.Objectives {
			v.Objectives = append(v.Objectives, fmt.Sprintf("%s value=%s target=%s %s score=%s/%d", o.Name, o.Value, o.Target, o.Result, o.Score, o.Weight))
		}
		return v
	}
}

// objectiveStatus returns the status of one objective of a fetched card.
func objectiveStatus(sc *cxv1alpha1.Scorecard, name string) cxv1alpha1.ObjectiveStatus {
	for _, o := range sc.Status.Objectives {
		if o.Name == name {
			return o
		}
	}
	return cxv1alpha1.ObjectiveStatus{}
}

// resultEvents lists the notes of a card's ResultChanged events, oldest
// first.
func resultEvents(g Gomega, sc *cxv1alpha1.Scorecard) func() []string {
	return func() []string {
		var list eventsv1.EventList
		g.Expect(k8s.List(context.Background(), &list, client.InNamespace(sc.Namespace))).To(Succeed())
		var events []eventsv1.Event
		for _, e := range list.Items {
			if e.Regarding.Kind == "Scorecard" && e.Regarding.Name == sc.Name && e.Reason == "ResultChanged" {
				events = append(events, e)
			}
		}
		sort.Slice(events, func(i, j int) bool { return events[i].EventTime.Before(&events[j].EventTime) })
		notes := make([]string, 0, len(events))
		for _, e := range events {
			notes = append(notes, e.Type+": "+e.Note)
		}
		return notes
	}
}

// TestScorecardScoresWeightedObjectives walks a support card through
// source changes: every score below is worked by hand, every change of
// source re-evaluates the card (watches, no timer), every change of result
// records one Event, and the cx_scorecard_* series follow.
func TestScorecardScoresWeightedObjectives(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)

	helpdesk := newSCTouchpoint(t, g, ns, "helpdesk", map[string]string{
		"first_response_seconds": "10000", "backlog_per_agent": "12"})
	// CSAT on 1..5: 8 of 10 answers are 4 or 5 -> score 80.
	csat := newSCSurvey(t, g, ns, "support-csat", cxv1alpha1.SurveyCSAT, 10, scores([2]int{5, 6}, [2]int{4, 2}, [2]int{2, 1}, [2]int{1, 1}))

	sc := fixtures.Scorecard(ns, "support",
		fixtures.AsKey(fixtures.FromSurvey(fixtures.Objective("csat", 3, "85..", "75.."), "support-csat", "")),
		fixtures.FromSurvey(fixtures.Objective("answers", 1, "10..", ""), "support-csat", cxv1alpha1.SurveyValueResponses),
		fixtures.FromTouchpoint(fixtures.Objective("first-response", 2, "..7200", "..14400"), "helpdesk", "first_response_seconds"),
		fixtures.FromTouchpoint(fixtures.Objective("backlog", 1, "..15", "..25"), "helpdesk", "backlog_per_agent"),
	)
	g.Expect(k8s.Create(ctx, sc)).To(Succeed())

	// csat 80: Warning 1.5 of 3; answers 10 >= 10: Pass 1; first response
	// 10000 in ..14400: Warning 1 of 2; backlog 12 <= 15: Pass 1.
	// 1.5 + 1 + 1 + 1 = 4.5 of 7 = 64.29 -> Fail (< 75).
	eventually(g, view(sc)).Should(Equal(scView{Score: "64.29", Result: "Fail", Ready: "True/ObjectivesEvaluated", Objectives: []string{
		"csat value=80 target=>= 85 Warning score=1.5/3",
		"answers value=10 target=>= 10 Pass score=1/1",
		"first-response value=10000 target=<= 7200 Warning score=1/2",
		"backlog value=12 target=<= 15 Pass score=1/1",
	}}))
	g.Expect(objectiveStatus(sc, "csat").Reason).To(Equal("80 misses the target >= 85 but is inside the warning band >= 75"))
	g.Expect(objectiveStatus(sc, "csat").Warning).To(Equal(">= 75"))
	g.Expect(objectiveStatus(sc, "csat").Key).To(BeTrue())
	g.Expect(objectiveStatus(sc, "backlog").Reason).To(Equal("12 is inside the target <= 15"))
	g.Expect(condition(sc.Status.Conditions, cxv1alpha1.ConditionReady).Message).To(
		Equal("4 objectives evaluated: score 64.29, result Fail (score 64.29 is below the warning threshold 75)"))
	g.Expect(condition(sc.Status.Conditions, cxv1alpha1.ConditionAlertingReady)).To(BeNil())

	card := map[string]string{"namespace": ns, "scorecard": "support"}
	with := func(k, v string) map[string]string {
		m := map[string]string{k: v}
		maps.Copy(m, card)
		return m
	}
	eventually(g, series("cx_scorecard_score", card)).Should(BeNumerically("~", 4.5*100/7, 1e-9))
	g.Expect(series("cx_scorecard_result", with("result", "Fail"))()).To(Equal(1.0))
	g.Expect(series("cx_scorecard_result", with("result", "Warning"))()).To(Equal(0.0))
	g.Expect(series("cx_scorecard_result", with("result", "Pass"))()).To(Equal(0.0))
	g.Expect(series("cx_scorecard_objective_value", with("objective", "first-response"))()).To(Equal(10000.0))
	g.Expect(series("cx_scorecard_objective_met", with("objective", "first-response"))()).To(Equal(0.0))
	g.Expect(series("cx_scorecard_objective_met", with("objective", "backlog"))()).To(Equal(1.0))
	// The first result is a transition too. (Its score is the one of the
	// first evaluation, which may have run before the manager's cache held
	// every source: it is Fail either way.)
	firstEvent := MatchRegexp(`^Warning: result None -> Fail \(score [0-9.]+\)$`)
	eventually(g, resultEvents(g, sc)).Should(HaveExactElements(firstEvent))

	// A faster first response passes: 1.5 + 1 + 2 + 1 = 5.5 of 7 = 78.57 -> Warning.
	helpdesk.set(g, map[string]string{"first_response_seconds": "3600"})
	eventually(g, view(sc)).Should(HaveField("Score", "78.57"))
	g.Expect(sc.Status.Result).To(Equal(cxv1alpha1.ResultWarning))
	eventually(g, series("cx_scorecard_result", with("result", "Warning"))).Should(Equal(1.0))
	g.Expect(series("cx_scorecard_result", with("result", "Fail"))()).To(Equal(0.0))
	eventually(g, resultEvents(g, sc)).Should(HaveExactElements(firstEvent,
		"Warning: result Fail -> Warning (score 78.57)",
	))

	// Ten more 5s: 18 of 20 satisfied -> CSAT 90 passes, 20 answers pass:
	// 3 + 1 + 2 + 1 = 7 of 7 = 100 -> Pass.
	postSCResponses(t, g, csat, "second", scores([2]int{5, 10}))
	eventually(g, view(sc)).Should(Equal(scView{Score: "100", Result: "Pass", Ready: "True/ObjectivesEvaluated", Objectives: []string{
		"csat value=90 target=>= 85 Pass score=3/3",
		"answers value=20 target=>= 10 Pass score=1/1",
		"first-response value=3600 target=<= 7200 Pass score=2/2",
		"backlog value=12 target=<= 15 Pass score=1/1",
	}}))
	eventually(g, resultEvents(g, sc)).Should(HaveExactElements(firstEvent,
		"Warning: result Fail -> Warning (score 78.57)",
		"Normal: result Warning -> Pass (score 100)",
	))
	eventually(g, series("cx_scorecard_objective_met", with("objective", "csat"))).Should(Equal(1.0))

	// A backlog of 30 is outside even the warning band:
	// 3 + 1 + 2 + 0 = 6 of 7 = 85.71 -> Warning.
	helpdesk.set(g, map[string]string{"backlog_per_agent": "30"})
	eventually(g, view(sc)).Should(HaveField("Score", "85.71"))
	g.Expect(sc.Status.Result).To(Equal(cxv1alpha1.ResultWarning))
	g.Expect(objectiveStatus(sc, "backlog").Reason).To(Equal("30 is outside the target <= 15 and the warning band <= 25"))

	// Deleting the card deletes its series.
	g.Expect(k8s.Delete(ctx, sc)).To(Succeed())
	for _, name := range []string{"cx_scorecard_score", "cx_scorecard_result", "cx_scorecard_objective_value", "cx_scorecard_objective_met"} {
		eventually(g, series(name, card)).Should(Equal("absent"), name)
	}
}

// TestScorecardNoDataIsNeverMet gives a card every kind of missing value:
// a Survey below its minimum sample size, a metric without value, a metric
// the Touchpoint does not have, a Survey that does not exist. Each scores
// 0 and is not met; reading the sample size itself is always allowed.
func TestScorecardNoDataIsNeverMet(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)

	newSCTouchpoint(t, g, ns, "renewal", map[string]string{"churn_ratio": "", "renewal_ratio": "0.8"})
	// 5 NPS answers (10, 10, 10, 8, 3), 30 needed: the score is not read.
	nps := newSCSurvey(t, g, ns, "relationship-nps", cxv1alpha1.SurveyNPS, 30, []int{10, 10, 10, 8, 3})

	sc := fixtures.Scorecard(ns, "journey",
		fixtures.FromSurvey(fixtures.Objective("nps", 2, "30..", "10.."), "relationship-nps", cxv1alpha1.SurveyValueScore),
		fixtures.FromSurvey(fixtures.Objective("nps-answers", 1, "30..", ""), "relationship-nps", cxv1alpha1.SurveyValueResponses),
		fixtures.FromTouchpoint(fixtures.Objective("churn", 1, "..0.03", "..0.05"), "renewal", "churn_ratio"),
		fixtures.FromTouchpoint(fixtures.Objective("renewals", 1, "100..", ""), "renewal", "renewals"),
		fixtures.FromTouchpoint(fixtures.Objective("renewal-rate", 1, "0.75..", ""), "renewal", "renewal_ratio"),
		fixtures.FromSurvey(fixtures.Objective("ghost", 1, "1..", ""), "does-not-exist", ""),
	)
	g.Expect(k8s.Create(ctx, sc)).To(Succeed())

	// nps NoData 0 of 2; nps-answers 5 < 30 Fail 0; churn NoData 0;
	// renewals NoData 0; renewal-rate 0.8 >= 0.75 Pass 1; ghost NoData 0.
	// 1 of 7 = 14.29 -> Fail.
	eventually(g, view(sc)).Should(Equal(scView{Score: "14.29", Result: "Fail", Ready: "False/SourceNotFound", Objectives: []string{
		"nps value= target=>= 30 NoData score=0/2",
		"nps-answers value=5 target=>= 30 Fail score=0/1",
		"churn value= target=<= 0.03 NoData score=0/1",
		"renewals value= target=>= 100 NoData score=0/1",
		"renewal-rate value=0.8 target=>= 0.75 Pass score=1/1",
		"ghost value= target=>= 1 NoData score=0/1",
	}}))
	g.Expect(objectiveStatus(sc, "nps").Reason).To(HavePrefix(`survey "relationship-nps" has insufficient data: `))
	g.Expect(objectiveStatus(sc, "churn").Reason).To(HavePrefix(`touchpoint "renewal" metric churn_ratio has no value`))
	g.Expect(objectiveStatus(sc, "renewals").Reason).To(Equal(`touchpoint "renewal" has no metric renewals (yet)`))
	g.Expect(objectiveStatus(sc, "ghost").Reason).To(Equal(`survey "does-not-exist" does not exist`))
	g.Expect(condition(sc.Status.Conditions, cxv1alpha1.ConditionReady).Message).To(
		Equal(`missing sources, whose objectives have no data: survey "does-not-exist" (objective ghost)`))
	labels := map[string]string{"namespace": ns, "scorecard": "journey", "objective": "nps"}
	eventually(g, series("cx_scorecard_objective_met", labels)).Should(Equal(0.0))
	g.Expect(series("cx_scorecard_objective_value", labels)()).To(Equal("absent"))

	// Without the missing source the card is Ready, and the message counts
	// the objectives without data: 1 of 6 = 16.67 -> Fail.
	updateSpec(g, sc, func() { sc.Spec.Objectives = sc.Spec.Objectives[:5] })
	eventually(g, view(sc)).Should(HaveField("Ready", "True/ObjectivesEvaluated"))
	g.Expect(sc.Status.Score).To(Equal("16.67"))
	g.Expect(condition(sc.Status.Conditions, cxv1alpha1.ConditionReady).Message).To(HaveSuffix(
		"; 3 of 5 objectives have no data and score 0: nps, churn, renewals"))

	// 25 more answers make 30: 15 promoters, 9 passives, 6 detractors ->
	// NPS 50 - 20 = 30, exactly the target (inclusive): nps Pass 2;
	// nps-answers 30 >= 30 Pass 1; renewal-rate Pass 1; 4 of 6 = 66.67 -> Fail.
	postSCResponses(t, g, nps, "more", scores([2]int{10, 12}, [2]int{8, 8}, [2]int{3, 5}))
	eventually(g, view(sc)).Should(Equal(scView{Score: "66.67", Result: "Fail", Ready: "True/ObjectivesEvaluated", Objectives: []string{
		"nps value=30 target=>= 30 Pass score=2/2",
		"nps-answers value=30 target=>= 30 Pass score=1/1",
		"churn value= target=<= 0.03 NoData score=0/1",
		"renewals value= target=>= 100 NoData score=0/1",
		"renewal-rate value=0.8 target=>= 0.75 Pass score=1/1",
	}}))
	eventually(g, series("cx_scorecard_objective_value", labels)).Should(Equal(30.0))
	g.Expect(series("cx_scorecard_objective_met", labels)()).To(Equal(1.0))
}

// TestScorecardKeyObjectiveFailsTheCard checks that a failing key
// objective fails a card whatever its score, that a warning one does not,
// and that custom thresholds apply.
func TestScorecardKeyObjectiveFailsTheCard(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)

	checkout := newSCTouchpoint(t, g, ns, "checkout", map[string]string{"conversion_ratio": "0.7", "payment_error_ratio": "0.08"})
	sc := fixtures.Scorecard(ns, "purchase",
		fixtures.FromTouchpoint(fixtures.Objective("conversion", 10, "0.6..", "0.45.."), "checkout", "conversion_ratio"),
		fixtures.AsKey(fixtures.FromTouchpoint(fixtures.Objective("payment-errors", 1, "..0.02", "..0.05"), "checkout", "payment_error_ratio")),
	)
	sc.Spec.Thresholds = &cxv1alpha1.Thresholds{Pass: *fixtures.Quantity("80"), Warning: *fixtures.Quantity("60")}
	g.Expect(k8s.Create(ctx, sc)).To(Succeed())

	// conversion Pass 10; payment errors 0.08 > 0.05 Fail 0 (key):
	// 10 of 11 = 90.91, above the pass threshold 80, but the key fails it.
	eventually(g, view(sc)).Should(HaveField("Score", "90.91"))
	g.Expect(sc.Status.Result).To(Equal(cxv1alpha1.ResultFail))
	g.Expect(objectiveStatus(sc, "payment-errors").Reason).To(Equal(
		"0.08 is outside the target <= 0.02 and the warning band <= 0.05 (key objective: fails the card)"))
	g.Expect(condition(sc.Status.Conditions, cxv1alpha1.ConditionReady).Message).To(ContainSubstring(
		"key objective payment-errors failed or has no data (score 90.91)"))

	// In the warning band the key objective no longer fails the card:
	// 10 + 0.5 = 10.5 of 11 = 95.45 -> Pass.
	checkout.set(g, map[string]string{"payment_error_ratio": "0.05"})
	eventually(g, view(sc)).Should(HaveField("Score", "95.45"))
	g.Expect(sc.Status.Result).To(Equal(cxv1alpha1.ResultPass))

	// Conversion in its warning band: 5 + 0.5 = 5.5 of 11 = 50 -> Fail
	// (< 60); at exactly 0.6 it passes again (bounds are inclusive).
	checkout.set(g, map[string]string{"conversion_ratio": "0.5"})
	eventually(g, view(sc)).Should(HaveField("Score", "50"))
	g.Expect(sc.Status.Result).To(Equal(cxv1alpha1.ResultFail))
	checkout.set(g, map[string]string{"conversion_ratio": "0.6", "payment_error_ratio": "0.02"})
	eventually(g, view(sc)).Should(HaveField("Score", "100"))
	g.Expect(sc.Status.Result).To(Equal(cxv1alpha1.ResultPass))
}

// TestNestedScorecardsFollowTheirStages builds a journey card from two
// stage cards: a change at a stage's source re-evaluates the stage, whose
// new score re-evaluates the journey.
func TestNestedScorecardsFollowTheirStages(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)

	newSCTouchpoint(t, g, ns, "checkout", map[string]string{"conversion_ratio": "0.7"})
	helpdesk := newSCTouchpoint(t, g, ns, "helpdesk", map[string]string{"first_response_seconds": "3600", "backlog_per_agent": "40"})

	journey := fixtures.Scorecard(ns, "journey",
		fixtures.FromCard(fixtures.Objective("purchase", 2, "90..", "75.."), "purchase"),
		fixtures.AsKey(fixtures.FromCard(fixtures.Objective("support", 2, "90..", "75.."), "support")),
	)
	g.Expect(k8s.Create(ctx, journey)).To(Succeed())
	// Neither stage exists yet: 0 of 4 = 0 -> Fail, not Ready.
	eventually(g, view(journey)).Should(HaveField("Ready", "False/SourceNotFound"))
	g.Expect(journey.Status.Score).To(Equal("0"))

	purchase := fixtures.Scorecard(ns, "purchase",
		fixtures.FromTouchpoint(fixtures.Objective("conversion", 1, "0.6..", ""), "checkout", "conversion_ratio"))
	support := fixtures.Scorecard(ns, "support",
		fixtures.FromTouchpoint(fixtures.Objective("first-response", 1, "..7200", ""), "helpdesk", "first_response_seconds"),
		fixtures.FromTouchpoint(fixtures.Objective("backlog", 1, "..15", "..25"), "helpdesk", "backlog_per_agent"))
	g.Expect(k8s.Create(ctx, purchase)).To(Succeed())
	g.Expect(k8s.Create(ctx, support)).To(Succeed())

	// purchase: 1 of 1 = 100. support: first response Pass 1, backlog 40
	// Fail 0 -> 1 of 2 = 50.
	// journey: purchase 100 Pass 2; support 50 < 75 Fail 0 (key) ->
	// 2 of 4 = 50 -> Fail.
	eventually(g, view(journey)).Should(Equal(scView{Score: "50", Result: "Fail", Ready: "True/ObjectivesEvaluated", Objectives: []string{
		"purchase value=100 target=>= 90 Pass score=2/2",
		"support value=50 target=>= 90 Fail score=0/2",
	}}))

	// backlog 20 warns: support 1 + 0.5 = 1.5 of 2 = 75 -> journey support
	// Warning 1: 2 + 1 = 3 of 4 = 75 -> Warning.
	helpdesk.set(g, map[string]string{"backlog_per_agent": "20"})
	eventually(g, view(journey)).Should(Equal(scView{Score: "75", Result: "Warning", Ready: "True/ObjectivesEvaluated", Objectives: []string{
		"purchase value=100 target=>= 90 Pass score=2/2",
		"support value=75 target=>= 90 Warning score=1/2",
	}}))

	// backlog 10: support 100 -> journey 4 of 4 = 100 -> Pass.
	helpdesk.set(g, map[string]string{"backlog_per_agent": "10"})
	eventually(g, view(journey)).Should(HaveField("Score", "100"))
	g.Expect(journey.Status.Result).To(Equal(cxv1alpha1.ResultPass))
}

// TestScorecardReferenceCyclesAreReported closes cycles of nested cards
// (two cards, one card on itself, three cards closed by the last edge):
// each card on a cycle says so in its Ready condition, the objectives on
// the cycle have no data, and nothing is rewritten in a loop. Breaking the
// cycle brings the cards back.
func TestScorecardReferenceCyclesAreReported(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	newSCTouchpoint(t, g, ns, "checkout", map[string]string{"conversion_ratio": "0.7"})

	a := fixtures.Scorecard(ns, "a", fixtures.FromCard(fixtures.Objective("b", 1, "90..", ""), "b"),
		fixtures.FromTouchpoint(fixtures.Objective("conversion", 1, "0.6..", ""), "checkout", "conversion_ratio"))
	b := fixtures.Scorecard(ns, "b", fixtures.FromCard(fixtures.Objective("a", 1, "90..", ""), "a"))
	self := fixtures.Scorecard(ns, "self", fixtures.FromCard(fixtures.Objective("me", 1, "90..", ""), "self"))
	for _, sc := range []*cxv1alpha1.Scorecard{a, b, self} {
		g.Expect(k8s.Create(ctx, sc)).To(Succeed())
	}

	// a: b on the cycle NoData 0, conversion Pass 1 -> 1 of 2 = 50.
	eventually(g, view(a)).Should(Equal(scView{Score: "50", Result: "Fail", Ready: "False/ReferenceCycle", Objectives: []string{
		"b value= target=>= 90 NoData score=0/1",
		"conversion value=0.7 target=>= 0.6 Pass score=1/1",
	}}))
	g.Expect(objectiveStatus(a, "b").Reason).To(Equal("reference cycle: a -> b -> a"))
	g.Expect(condition(a.Status.Conditions, cxv1alpha1.ConditionReady).Message).To(Equal(
		"scorecards refer to each other in a cycle, so those objectives have no data: a -> b -> a (objective b)"))
	eventually(g, view(b)).Should(HaveField("Ready", "False/ReferenceCycle"))
	g.Expect(objectiveStatus(b, "a").Reason).To(Equal("reference cycle: b -> a -> b"))
	eventually(g, view(self)).Should(HaveField("Ready", "False/ReferenceCycle"))
	g.Expect(objectiveStatus(self, "me").Reason).To(Equal("reference cycle: self -> self"))

	// No hot loop: once settled, the cards are not written again.
	for _, sc := range []*cxv1alpha1.Scorecard{a, b, self} {
		rv := sc.ResourceVersion
		g.Consistently(func() string {
			g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(sc), sc)).To(Succeed())
			return sc.ResourceVersion
		}).WithTimeout(1500*time.Millisecond).WithPolling(100*time.Millisecond).Should(Equal(rv), sc.Name)
	}

	// Breaking the cycle at b: b reads the touchpoint (100), a reads b.
	updateSpec(g, b, func() {
		b.Spec.Objectives = []cxv1alpha1.Objective{fixtures.FromTouchpoint(fixtures.Objective("conversion", 1, "0.6..", ""), "checkout", "conversion_ratio")}
	})
	eventually(g, view(b)).Should(HaveField("Ready", "True/ObjectivesEvaluated"))
	g.Expect(b.Status.Score).To(Equal("100"))
	// a: b 100 Pass 1, conversion Pass 1 -> 100.
	eventually(g, view(a)).Should(Equal(scView{Score: "100", Result: "Pass", Ready: "True/ObjectivesEvaluated", Objectives: []string{
		"b value=100 target=>= 90 Pass score=1/1",
		"conversion value=0.7 target=>= 0.6 Pass score=1/1",
	}}))

	// A longer cycle closed by its last edge: x -> y -> z, then z -> x.
	// x never changed, yet it learns of the cycle.
	x := fixtures.Scorecard(ns, "x", fixtures.FromCard(fixtures.Objective("y", 1, "90..", ""), "y"))
	y := fixtures.Scorecard(ns, "y", fixtures.FromCard(fixtures.Objective("z", 1, "90..", ""), "z"))
	z := fixtures.Scorecard(ns, "z", fixtures.FromTouchpoint(fixtures.Objective("conversion", 1, "0.6..", ""), "checkout", "conversion_ratio"))
	for _, sc := range []*cxv1alpha1.Scorecard{x, y, z} {
		g.Expect(k8s.Create(ctx, sc)).To(Succeed())
	}
	eventually(g, view(x)).Should(HaveField("Score", "100"))
	updateSpec(g, z, func() {
		z.Spec.Objectives = append(z.Spec.Objectives, fixtures.FromCard(fixtures.Objective("x", 1, "90..", ""), "x"))
	})
	eventually(g, view(x)).Should(HaveField("Ready", "False/ReferenceCycle"))
	g.Expect(objectiveStatus(x, "y").Reason).To(Equal("reference cycle: x -> y -> z -> x"))
	eventually(g, view(y)).Should(HaveField("Ready", "False/ReferenceCycle"))
	eventually(g, view(z)).Should(HaveField("Ready", "False/ReferenceCycle"))
	g.Expect(objectiveStatus(z, "x").Reason).To(Equal("reference cycle: z -> x -> y -> z"))
}

// TestScorecardStatusIsNotRewrittenWhenNothingChanged reconciles a settled
// card and checks through its resourceVersion that nothing was written.
func TestScorecardStatusIsNotRewrittenWhenNothingChanged(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	newSCTouchpoint(t, g, ns, "checkout", map[string]string{"conversion_ratio": "0.7"})
	sc := fixtures.Scorecard(ns, "purchase", fixtures.FromTouchpoint(fixtures.Objective("conversion", 1, "0.6..", ""), "checkout", "conversion_ratio"))
	g.Expect(k8s.Create(ctx, sc)).To(Succeed())
	eventually(g, view(sc)).Should(HaveField("Score", "100"))
	// The card passes; it may have failed first, for as long as its cache
	// had not seen the Touchpoint's value (one Event per transition).
	eventually(g, resultEvents(g, sc)).Should(ContainElement(HaveSuffix("-> Pass (score 100)")))
	settled := len(resultEvents(g, sc)())

	reconciles := reconcileCount("scorecard")
	patch := client.MergeFrom(sc.DeepCopy())
	sc.SetAnnotations(map[string]string{"touch": "1"})
	g.Expect(k8s.Patch(ctx, sc, patch)).To(Succeed())
	annotated := sc.ResourceVersion
	eventually(g, func() float64 { return reconcileCount("scorecard") }).Should(BeNumerically(">", reconciles))
	g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(sc), sc)).To(Succeed())
	g.Expect(sc.ResourceVersion).To(Equal(annotated), "status was rewritten although nothing changed")
	g.Expect(resultEvents(g, sc)()).To(HaveLen(settled), "an Event was recorded although the result did not change")
}
