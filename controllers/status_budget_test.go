package controllers_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/controllers"
	"github.com/touchstone-dev/touchstone/internal/collect"
)

// startOwnOperator runs a second operator, with opts, on the suite's API
// server, its cache limited to ns, until the test ends. The objects it
// should reconcile carry ownOperatorLabel, which the suite's manager
// ignores. Its client has no client-side rate limit, like a deployed
// operator's (controller-runtime's GetConfig), so that the status write
// budget is the only limit on its writes.
func startOwnOperator(t *testing.T, ns string, opts controllers.Options) {
	t.Helper()
	c := rest.CopyConfig(cfg)
	c.QPS, c.Burst = -1, 0
	mgr, err := ctrl.NewManager(c, controllers.ManagerOptions(ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		// The suite's manager runs controllers of the same names in this
		// process.
		Controller: config.Controller{SkipNameValidation: new(true)},
		Cache:      cache.Options{DefaultNamespaces: map[string]cache.Config{ns: {}}},
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := controllers.Setup(mgr, opts); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "the test's own manager:", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		t.Fatal("the test's own manager's cache did not sync")
	}
}

// watchNamespaceWrites records the MODIFIED events of the Touchpoints of
// ns from now until the test ends.
func watchNamespaceWrites(t *testing.T, ns string) func() []observedWrite {
	t.Helper()
	wc, err := client.NewWithWatch(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	w, err := wc.Watch(context.Background(), &cxv1alpha1.TouchpointList{}, client.InNamespace(ns))
	if err != nil {
		t.Fatal(err)
	}
	return recordWrites(t, w)
}

// TestStatusWriteBudgetHolds runs an operator of its own with a budget of
// 2 status writes a second (--status-writes-per-second 2) and a 1s
// Touchpoint status interval, over 40 Touchpoints whose one collector
// (10s) serves a new value on every run: 40 / 10s = 4 refreshes a second
// are due, twice the budget. Over 40s, counted by a watch of the API
// server:
//   - the refreshes written are at most the budget: 2/s x 40s plus its
//     burst of 2 = 82; and at least half of that, 40 (the budget, not the
//     demand or anything else, is the limit);
//   - refreshes were deferred (cx_status_writes_deferred_total grew), by
//     more than 5s for some (at most 40 slots at 2/s: up to 20s), and
//     none was dropped: every Touchpoint's status took a newer value
//     within the window;
//   - cx_touchpoint_value of every Touchpoint shows the last value its
//     source served (or the one before, for a run in flight): the series
//     are live while status waits;
//   - a collector that starts failing meanwhile has its condition written
//     within 2s of the failing run, ahead of the refreshes waiting for
//     their slots.
func TestStatusWriteBudgetHolds(t *testing.T) {
	t.Parallel()
	const (
		n               = 40
		perSecond       = 2
		window          = 40 * time.Second
		collectInterval = 10 * time.Second
	)
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	src := newCountingSource(t)
	// Not testOptions: its receiver options take the suite's receiver
	// address. This operator has no receiver.
	opts := controllers.DefaultOptions()
	opts.StatusWritesPerSecond = perSecond
	opts.Collectors.StatusInterval = time.Second
	opts.Receiver.BindAddress = "0"
	startOwnOperator(t, ns, opts)
	deleteTouchpointsAtEnd(t, ns)
	writes := watchNamespaceWrites(t, ns)

	path := func(i int) string { return fmt.Sprintf("/tp-%02d", i) }
	for i := range n {
		tp := newTouchpoint(ns, fmt.Sprintf("tp-%02d", i))
		tp.Labels = map[string]string{ownOperatorLabel: "budget"}
		c := countingCollector(src, "n", collectInterval)
		c.HTTP.URL = src.URL + path(i)
		tp.Spec.Collectors = []cxv1alpha1.Collector{c}
		g.Expect(k8s.Create(ctx, tp)).To(Succeed())
	}
	g.Eventually(func() int {
		var list cxv1alpha1.TouchpointList
		g.Expect(k8s.List(ctx, &list, client.InNamespace(ns))).To(Succeed())
		ready := 0
		for _, tp := range list.Items {
			if c := condition(tp.Status.Conditions, cxv1alpha1.ConditionReady); c != nil && c.Status == metav1.ConditionTrue {
				ready++
			}
		}
		return ready
	}).WithTimeout(30*time.Second).WithPolling(200*time.Millisecond).Should(Equal(n), "Touchpoints Ready")

	// Let the refreshes pile up behind the budget (two runs of each
	// collector), then observe.
	time.Sleep(2 * collectInterval)
	deferred0, _ := seriesValue("cx_status_writes_deferred_total", map[string]string{"kind": "Touchpoint"})
	start := time.Now()
	time.Sleep(window / 4)
	failedAfter := time.Now()
	src.setFailing(path(0), true)
	time.Sleep(window - window/4)
	end := time.Now()
	deferred1, _ := seriesValue("cx_status_writes_deferred_total", map[string]string{"kind": "Touchpoint"})

	// The series are live: read them right at the end.
	for i := 1; i < n; i++ {
		served := src.servedAt(path(i))
		v, ok := seriesValue("cx_touchpoint_value", map[string]string{"namespace": ns, "touchpoint": fmt.Sprintf("tp-%02d", i), "metric": "n"})
		last := served[len(served)-1].value
		if !ok || (v != float64(last) && v != float64(last-1)) {
			t.Errorf("tp-%02d: cx_touchpoint_value is %v (present %v), want its last value served, %d (or %d)", i, v, ok, last, last-1)
		}
	}

	// Classify every write of the window as the operator does, against
	// the write of the same object before it.
	prev := map[string]*cxv1alpha1.Touchpoint{}
	refreshed := map[string]bool{}
	refreshes, urgent := 0, 0
	var maxLag time.Duration
	var failureWritten time.Time
	for _, w := range writes() {
		tp := w.obj.(*cxv1alpha1.Touchpoint)
		before := prev[tp.Name]
		prev[tp.Name] = tp
		if before == nil || w.at.Before(start) || w.at.After(end) {
			continue
		}
		if collect.StatusChange(&before.Status, &tp.Status).Urgent() {
			urgent++
			if c := condition(tp.Status.Conditions, cxv1alpha1.ConditionCollectorsHealthy); tp.Name == "tp-00" &&
				c != nil && c.Status == metav1.ConditionFalse && failureWritten.IsZero() {
				failureWritten = w.at
			}
			continue
		}
		refreshes++
		refreshed[tp.Name] = true
		// How long the value waited: since its source served it.
		if len(tp.Status.Metrics) == 1 && tp.Status.Metrics[0].Value != "" {
			value, err := strconv.Atoi(tp.Status.Metrics[0].Value)
			g.Expect(err).NotTo(HaveOccurred())
			for _, s := range src.servedAt("/" + tp.Name) {
				if s.value == value {
					maxLag = max(maxLag, w.at.Sub(s.at))
				}
			}
		}
	}
	t.Logf("over %v: %d refreshes (budget %d/s), %d urgent writes, %v refreshes deferred, the longest wait of a value %v, %d of %d Touchpoints refreshed",
		end.Sub(start).Round(time.Millisecond), refreshes, perSecond, urgent, deferred1-deferred0, maxLag.Round(time.Millisecond), len(refreshed), n)

	budget := int(perSecond*end.Sub(start).Seconds()) + perSecond
	if refreshes > budget {
		t.Errorf("%d refreshes in %v, more than the budget allows (%d)", refreshes, end.Sub(start), budget)
	}
	if refreshes < budget/2 {
		t.Errorf("only %d refreshes in %v: the budget (%d) was not the limit; the test proves nothing", refreshes, end.Sub(start), budget)
	}
	if deferred1 <= deferred0 {
		t.Errorf("cx_status_writes_deferred_total{kind=\"Touchpoint\"} did not grow (%v, then %v)", deferred0, deferred1)
	}
	if maxLag < 5*time.Second {
		t.Errorf("no value waited more than %v for its write: the budget deferred nothing", maxLag)
	}
	for i := 1; i < n; i++ {
		if name := fmt.Sprintf("tp-%02d", i); !refreshed[name] {
			t.Errorf("%s had no refresh written in %v: a deferred refresh was dropped", name, end.Sub(start))
		}
	}

	failed := src.firstServed(path(0), failedAfter, func(v servedValue) bool { return v.value == 0 })
	g.Expect(failed).NotTo(BeZero(), "the collector of tp-00 did not run after its source started failing")
	g.Expect(failureWritten).NotTo(BeZero(), "the failure of tp-00 was not written within the window")
	t.Logf("tp-00's failing run was written %v after it", failureWritten.Sub(failed).Round(time.Millisecond))
	if d := failureWritten.Sub(failed); d > 2*time.Second {
		t.Errorf("the failure of tp-00 was written %v after the failing run, want within 2s while refreshes wait for the budget", d)
	}
}
