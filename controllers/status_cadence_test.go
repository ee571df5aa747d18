package controllers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/fixtures"
)

// The suite's status intervals (testOptions): short, so that the tests of
// the cadence see several intervals in a minute, and longer than a
// collector's shortest interval (10s), so that values change more often
// than status may be written.
const (
	testTouchpointStatusInterval = 15 * time.Second
	testSurveyStatusInterval     = 2 * time.Second
)

// writeSlack is how much earlier than its interval a write may be seen:
// the watch delivers events a little later or sooner than the operator
// wrote them.
const writeSlack = 500 * time.Millisecond

// countingSource serves, at each path, a JSON document {"n": k} where k
// counts the requests to that path: every collector run gets a new value.
// Paths listed in failing answer 503. It remembers when each value was
// served.
type countingSource struct {
	*httptest.Server
	mu      sync.Mutex
	counts  map[string]int
	failing map[string]bool
	served  map[string][]servedValue
}

type servedValue struct {
	at    time.Time
	value int // 0 for a failed request
}

func newCountingSource(t *testing.T) *countingSource {
	t.Helper()
	s := &countingSource{counts: map[string]int{}, failing: map[string]bool{}, served: map[string][]servedValue{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.failing[r.URL.Path] {
			s.served[r.URL.Path] = append(s.served[r.URL.Path], servedValue{at: time.Now()})
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		s.counts[r.URL.Path]++
		s.served[r.URL.Path] = append(s.served[r.URL.Path], servedValue{at: time.Now(), value: s.counts[r.URL.Path]})
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"n": %d}`, s.counts[r.URL.Path])
	}))
	t.Cleanup(s.Close)
	return s
}

// setFailing makes a path answer 503 (or serve values again).
func (s *countingSource) setFailing(path string, failing bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failing[path] = failing
}

// setCount makes the next value served at path count+1.
func (s *countingSource) setCount(path string, count int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[path] = count
}

// servedAt returns what was served at path.
func (s *countingSource) servedAt(path string) []servedValue {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]servedValue(nil), s.served[path]...)
}

// firstServed is when path first served a request matching ok after
// since (zero if never).
func (s *countingSource) firstServed(path string, since time.Time, ok func(servedValue) bool) time.Time {
	for _, v := range s.servedAt(path) {
		if v.at.After(since) && ok(v) {
			return v.at
		}
	}
	return time.Time{}
}

// countingCollector collects {.n} at path of src.
func countingCollector(src *countingSource, name string, interval time.Duration) cxv1alpha1.Collector {
	return cxv1alpha1.Collector{
		Name: name, Metric: strings.ReplaceAll(name, "-", "_"), Unit: cxv1alpha1.UnitCount,
		Interval: &metav1.Duration{Duration: interval}, Timeout: &metav1.Duration{Duration: 2 * time.Second},
		HTTP: &cxv1alpha1.HTTPSource{URL: src.URL + "/" + name, JSONPath: "{.n}"},
	}
}

// observedWrite is one status write of an object, as a watch saw it.
type observedWrite struct {
	at  time.Time
	obj client.Object
}

// watchWrites records the MODIFIED events of one object from now until
// the test ends.
func watchWrites(t *testing.T, list client.ObjectList, obj client.Object) func() []observedWrite {
	t.Helper()
	wc, err := client.NewWithWatch(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	w, err := wc.Watch(context.Background(), list, client.InNamespace(obj.GetNamespace()),
		client.MatchingFields{"metadata.name": obj.GetName()}, &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: obj.GetResourceVersion()}})
	if err != nil {
		t.Fatal(err)
	}
	return recordWrites(t, w)
}

// recordWrites records the MODIFIED events of w until the test ends, and
// returns a function giving those seen so far.
func recordWrites(t *testing.T, w watch.Interface) func() []observedWrite {
	t.Cleanup(w.Stop)
	var mu sync.Mutex
	var writes []observedWrite
	go func() {
		for e := range w.ResultChan() {
			if e.Type != watch.Modified {
				continue
			}
			mu.Lock()
			writes = append(writes, observedWrite{at: time.Now(), obj: e.Object.(client.Object)})
			mu.Unlock()
		}
	}()
	return func() []observedWrite {
		mu.Lock()
		defer mu.Unlock()
		return append([]observedWrite(nil), writes...)
	}
}

// TestTouchpointValuesRefreshAtTheStatusInterval runs three collectors
// (10s, 11s, 12s) whose values change on every run, for three status
// intervals: the status is written at most once per interval (each write
// at least an interval after the one before), yet values are refreshed
// (at least twice), and cx_touchpoint_value shows every value served.
func TestTouchpointValuesRefreshAtTheStatusInterval(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	src := newCountingSource(t)
	deleteTouchpointsAtEnd(t, ns)
	tp := newTouchpoint(ns, "checkout")
	tp.Spec.Collectors = []cxv1alpha1.Collector{
		countingCollector(src, "a", 10*time.Second), countingCollector(src, "b", 11*time.Second), countingCollector(src, "c", 12*time.Second)}
	g.Expect(k8s.Create(ctx, tp)).To(Succeed())
	eventually(g, tpStatusView(ctx, tp)).Should(HaveField("Ready", "True/CollectorsSucceeded"))

	// From the status that made it Ready: the write that starts the cadence.
	writes := watchWrites(t, &cxv1alpha1.TouchpointList{}, tp)
	start := time.Now()
	seen := map[string]map[float64]bool{"a": {}, "b": {}, "c": {}}
	deadline := start.Add(3 * testTouchpointStatusInterval)
	for time.Now().Before(deadline) {
		for name := range seen {
			if v, ok := seriesValue("cx_touchpoint_value", map[string]string{"namespace": ns, "touchpoint": "checkout", "metric": name}); ok {
				seen[name][v] = true
			}
		}
		time.Sleep(100 * time.Millisecond)
	}

	got := writes()
	runs := 0
	for name := range seen {
		for _, v := range src.servedAt("/" + name) {
			if v.at.After(start) {
				runs++
			}
			// Every value served (but one served in the last second,
			// which the gauge may not show yet) was in the gauge.
			if v.at.Before(deadline.Add(-time.Second)) && !seen[name][float64(v.value)] {
				t.Errorf("collector %s served %d at %v, which cx_touchpoint_value never showed (it showed %v)", name, v.value, v.at, seen[name])
			}
		}
	}
	t.Logf("%d runs with a new value, %d status writes in %v", runs, len(got), 3*testTouchpointStatusInterval)
	// 45s of runs every 10, 11 and 12s: about 12, twice the writes
	// allowed at least.
	if runs < 8 {
		t.Fatalf("only %d runs in three intervals: the test proves nothing", runs)
	}
	// The Ready write came just before start (eventually polls every
	// 100ms): a second before it is a safe lower bound.
	prev := start.Add(-time.Second)
	for i, w := range got {
		if w.at.Sub(prev) < testTouchpointStatusInterval-writeSlack {
			t.Errorf("write %d came %v after the one before, less than the interval %v", i, w.at.Sub(prev), testTouchpointStatusInterval)
		}
		prev = w.at
	}
	if len(got) > 3+1 || len(got) < 2 {
		t.Errorf("%d status writes in three intervals, want 2 to 4 (at most one per interval, with both ends)", len(got))
	}
}

// TestTouchpointConditionsAreWrittenAtOnce lets a collector's value change
// on every run, so that status waits for its interval, then makes the
// source fail right after a value refresh: the condition is written
// within a moment of the failing run, not at the next interval; and so is
// the recovery.
func TestTouchpointConditionsAreWrittenAtOnce(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	src := newCountingSource(t)
	deleteTouchpointsAtEnd(t, ns)
	tp := newTouchpoint(ns, "checkout")
	tp.Spec.Collectors = []cxv1alpha1.Collector{countingCollector(src, "a", 10*time.Second)}
	g.Expect(k8s.Create(ctx, tp)).To(Succeed())
	view := tpStatusView(ctx, tp)
	eventually(g, view).Should(HaveField("Ready", "True/CollectorsSucceeded"))

	// Wait for a value refresh: the next write is not due before an
	// interval, and the next run comes within 10s.
	writes := watchWrites(t, &cxv1alpha1.TouchpointList{}, tp)
	g.Eventually(func() int { return len(writes()) }).WithTimeout(testTouchpointStatusInterval + 15*time.Second).
		WithPolling(50 * time.Millisecond).Should(BeNumerically(">=", 1))
	refreshed := writes()[0].at
	src.setFailing("/a", true)

	eventually(g, view).WithTimeout(15 * time.Second).WithPolling(50 * time.Millisecond).
		Should(HaveField("CollectorsHealthy", "False/CollectorsFailing"))
	failed := src.firstServed("/a", refreshed, func(v servedValue) bool { return v.value == 0 })
	g.Expect(failed).NotTo(BeZero())
	t.Logf("the failing run came %v after the last refresh; its condition was in status %v after it",
		failed.Sub(refreshed).Round(time.Millisecond), time.Since(failed).Round(time.Millisecond))
	if d := time.Since(failed); d > 2*time.Second {
		t.Errorf("the failure was in status %v after the failing run, want within a moment", d)
	}
	g.Expect(failed.Sub(refreshed)).To(BeNumerically("<", testTouchpointStatusInterval-2*time.Second),
		"the failing run came too late after the refresh to tell a condition from a refresh")
	g.Expect(view().Ready).To(Equal("False/CollectorsFailing"))
	g.Expect(tp.Status.Metrics[0].Value).NotTo(BeEmpty(), "the value is kept through the first failure")

	// Recovery, also at once (the backoff makes the next run 20s later).
	src.setFailing("/a", false)
	before := time.Now()
	eventually(g, view).WithTimeout(40 * time.Second).WithPolling(50 * time.Millisecond).
		Should(HaveField("Ready", "True/CollectorsSucceeded"))
	recovered := src.firstServed("/a", before, func(v servedValue) bool { return v.value > 0 })
	g.Expect(recovered).NotTo(BeZero())
	if d := time.Since(recovered); d > 2*time.Second {
		t.Errorf("the recovery was in status %v after the successful run, want within a moment", d)
	}
}

// TestScorecardFollowsATouchpointWithinOneCadence moves a Touchpoint's
// value across a card's target right after a value refresh: the card's
// result changes at most one status interval after the run that served
// the new value.
func TestScorecardFollowsATouchpointWithinOneCadence(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	src := newCountingSource(t)
	deleteTouchpointsAtEnd(t, ns)
	src.setCount("/backlog", 1000) // above the target: the card fails
	tp := newTouchpoint(ns, "helpdesk")
	tp.Spec.Collectors = []cxv1alpha1.Collector{countingCollector(src, "backlog", 10*time.Second)}
	g.Expect(k8s.Create(ctx, tp)).To(Succeed())
	sc := fixtures.Scorecard(ns, "support", fixtures.AsKey(fixtures.FromTouchpoint(fixtures.Objective("backlog", 1, "..500", ""), "helpdesk", "backlog")))
	g.Expect(k8s.Create(ctx, sc)).To(Succeed())
	eventually(g, func() string { view(sc)(); return objectiveStatus(sc, "backlog").Value }).Should(Equal("1001"))
	g.Expect(sc.Status.Result).To(Equal(cxv1alpha1.ResultFail))

	g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(tp), tp)).To(Succeed())
	writes := watchWrites(t, &cxv1alpha1.TouchpointList{}, tp)
	g.Eventually(func() int { return len(writes()) }).WithTimeout(testTouchpointStatusInterval + 15*time.Second).
		WithPolling(50 * time.Millisecond).Should(BeNumerically(">=", 1))
	refreshed := writes()[0].at
	src.setCount("/backlog", 0) // the next run serves 1: inside the target

	g.Eventually(view(sc)).WithTimeout(testTouchpointStatusInterval + 15*time.Second).WithPolling(50 * time.Millisecond).
		Should(HaveField("Result", string(cxv1alpha1.ResultPass)))
	crossed := src.firstServed("/backlog", refreshed, func(v servedValue) bool { return v.value > 0 && v.value <= 500 })
	g.Expect(crossed).NotTo(BeZero())
	t.Logf("the run that crossed the target came %v after the last refresh; the card passed %v after it",
		crossed.Sub(refreshed).Round(time.Millisecond), time.Since(crossed).Round(time.Millisecond))
	if d := time.Since(crossed); d > testTouchpointStatusInterval+time.Second {
		t.Errorf("the card passed %v after the run that crossed its target, want within one status interval (%v)", d, testTouchpointStatusInterval)
	}
}

// TestSurveyStatusFollowsResponsesAtItsInterval posts a response every
// 100ms for five status intervals to a Survey with minResponses 10: the
// gauges follow within a moment; status is refreshed at most once per
// interval, except that DataSufficient turning True is written at once.
func TestSurveyStatusFollowsResponsesAtItsInterval(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	svy := newSurvey(ns, "csat", "support", cxv1alpha1.SurveyCSAT)
	svy.Spec.MinResponses = 10
	readySurvey(t, g, ns, svy)
	g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(svy), svy)).To(Succeed())
	writes := watchWrites(t, &cxv1alpha1.SurveyList{}, svy)

	var tenth time.Time
	posted := 0
	end := time.Now().Add(5 * testSurveyStatusInterval)
	for time.Now().Before(end) {
		code, body := post(t, ns, "csat", "token-"+ns, fmt.Sprintf(`{"id":"r-%d","score":5}`, posted))
		g.Expect(code).To(Equal(http.StatusOK), "%v", body)
		if posted++; posted == 10 {
			tenth = time.Now()
		}
		time.Sleep(100 * time.Millisecond)
	}
	n := float64(posted)
	lastPost := time.Now()
	labels := map[string]string{"namespace": ns, "survey": "csat"}
	g.Eventually(series("cx_survey_responses", labels)).WithTimeout(3 * time.Second).WithPolling(50 * time.Millisecond).Should(Equal(n))
	if d := time.Since(lastPost); d > 2*time.Second {
		t.Errorf("cx_survey_responses followed the last response after %v, want within a moment", d)
	}
	surveyStatus(g, svy, int64(n))

	var sufficientAt time.Time
	prev, prevConds := time.Time{}, []metav1.Condition(nil)
	for i, w := range writes() {
		s := w.obj.(*cxv1alpha1.Survey)
		c := condition(s.Status.Conditions, cxv1alpha1.ConditionDataSufficient)
		conditionChanged := i == 0 || !sameConditions(prevConds, s.Status.Conditions)
		if c != nil && c.Status == metav1.ConditionTrue && sufficientAt.IsZero() {
			sufficientAt = w.at
		}
		if !conditionChanged && !prev.IsZero() && w.at.Sub(prev) < testSurveyStatusInterval-writeSlack {
			t.Errorf("refresh %d came %v after the write before, less than the interval %v", i, w.at.Sub(prev), testSurveyStatusInterval)
		}
		prev, prevConds = w.at, s.Status.Conditions
	}
	t.Logf("%d responses in %v, %d status writes", int(n), 5*testSurveyStatusInterval, len(writes()))
	if len(writes()) > 5+3 {
		t.Errorf("%d status writes in five intervals, want at most one per interval and the condition changes", len(writes()))
	}
	g.Expect(sufficientAt).NotTo(BeZero())
	if d := sufficientAt.Sub(tenth); d > 2*time.Second {
		t.Errorf("DataSufficient was written %v after the 10th response, want within a moment", d)
	}
}

func sameConditions(a, b []metav1.Condition) bool {
	if len(a) != len(b) {
		return false
	}
	for _, c := range b {
		p := condition(a, c.Type)
		if p == nil || p.Status != c.Status || p.Reason != c.Reason {
			return false
		}
	}
	return true
}

// TestScorecardAppliedWithItsSourcesIsWrittenOnce applies a card together
// with its Touchpoint and Survey, as kubectl apply of a directory does:
// the card waits for its sources' first status, and is written once, with
// its real result and one ResultChanged Event, instead of failing (no
// data) for the second the sources take to report.
func TestScorecardAppliedWithItsSourcesIsWrittenOnce(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	src := newCountingSource(t)
	deleteTouchpointsAtEnd(t, ns)
	g.Expect(k8s.Create(ctx, newReceiverSecret(ns, "token-"+ns))).To(Succeed())
	sc := fixtures.Scorecard(ns, "support",
		fixtures.FromTouchpoint(fixtures.Objective("backlog", 1, "..500", ""), "helpdesk", "backlog"),
		fixtures.FromSurvey(fixtures.Objective("answers", 1, "0..", ""), "csat", cxv1alpha1.SurveyValueResponses))
	g.Expect(k8s.Create(ctx, sc)).To(Succeed())
	writes := watchWrites(t, &cxv1alpha1.ScorecardList{}, sc)
	tp := newTouchpoint(ns, "helpdesk")
	tp.Spec.Collectors = []cxv1alpha1.Collector{countingCollector(src, "backlog", time.Hour)}
	g.Expect(k8s.Create(ctx, tp)).To(Succeed())
	g.Expect(k8s.Create(ctx, newSurvey(ns, "csat", "helpdesk", cxv1alpha1.SurveyCSAT))).To(Succeed())

	eventually(g, view(sc)).Should(HaveField("Result", string(cxv1alpha1.ResultPass)))
	g.Expect(objectiveStatus(sc, "backlog").Value).To(Equal("1"))
	eventually(g, resultEvents(g, sc)).Should(Equal([]string{"Normal: result None -> Pass (score 100)"}))
	g.Consistently(func() int { return len(writes()) }).WithTimeout(2*time.Second).Should(Equal(1),
		"the card was written more than once: %v", writes)
}
