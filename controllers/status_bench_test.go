package controllers_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/fixtures"
)

// changingPromSource implements the instant-query endpoint of the
// Prometheus HTTP API (GET or POST /api/v1/query, as client_golang's
// api/prometheus/v1 sends it; https://prometheus.io/docs/prometheus/latest/querying/api/#instant-queries)
// and answers every query with a one-sample vector whose value is the
// number of queries answered so far: the value changes on every query,
// as real latencies and ratios do.
type changingPromSource struct {
	*httptest.Server
	queries atomic.Int64
}

func newChangingPromSource(b *testing.B) *changingPromSource {
	s := &changingPromSource{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/query" {
			http.NotFound(w, r)
			return
		}
		if err := r.ParseForm(); err != nil || r.Form.Get("query") == "" {
			http.Error(w, `{"status":"error","errorType":"bad_data","error":"no query"}`, http.StatusBadRequest)
			return
		}
		n := s.queries.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[%.3f,"%d"]}]}}`,
			float64(time.Now().UnixMilli())/1000, n)
	}))
	b.Cleanup(s.Close)
	return s
}

// createAll creates objs with the given number of concurrent clients: 1
// as kubectl apply of a directory does (one object after the other, in
// order), more to set a benchmark up quickly.
func createAll(ctx context.Context, c client.Client, objs []client.Object, workers int) error {
	work := make(chan client.Object)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for range workers {
		wg.Go(func() {
			for o := range work {
				if err := c.Create(ctx, o); err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("creating %s: %w", o.GetName(), err)
					}
					mu.Unlock()
				}
			}
		})
	}
	for _, o := range objs {
		work <- o
	}
	close(work)
	wg.Wait()
	return first
}

// scrapeSeries counts the cx_* series of one namespace in a scrape of the
// operator's registry, per family, as the exposition format lists them (a
// histogram is its buckets, +Inf included, and _sum and _count).
func scrapeSeries(b *testing.B, namespace string) map[string]int {
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		b.Fatal(err)
	}
	out := map[string]int{}
	for _, f := range families {
		if !strings.HasPrefix(f.GetName(), "cx_") {
			continue
		}
		for _, m := range f.GetMetric() {
			if !hasLabel(m, "namespace", namespace) {
				continue
			}
			n := 1
			if h := m.GetHistogram(); h != nil {
				n = len(h.GetBucket()) + 2
				if k := len(h.GetBucket()); k == 0 || !math.IsInf(h.GetBucket()[k-1].GetUpperBound(), 1) {
					n++
				}
			}
			out[f.GetName()] += n
		}
	}
	return out
}

func hasLabel(m *dto.Metric, name, value string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == name && l.GetValue() == value {
			return true
		}
	}
	return false
}

// seriesSum adds the values of the series of a family whose labels
// include the given ones (0 when there are none).
func seriesSum(name string, labels map[string]string) float64 {
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		return 0
	}
	var total float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			for k, v := range labels {
				if !hasLabel(m, k, v) {
					continue series
				}
			}
			total += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return total
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// countModified counts the MODIFIED watch events of a kind in a namespace
// (each one is a write the API server stored and sent to every watcher)
// until ctx ends.
func countModified(ctx context.Context, b *testing.B, c client.WithWatch, list client.ObjectList, ns string) *atomic.Int64 {
	w, err := c.Watch(ctx, list, client.InNamespace(ns))
	if err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	go func() {
		<-ctx.Done()
		w.Stop()
	}()
	go func() {
		for e := range w.ResultChan() {
			if e.Type == watch.Modified {
				n.Add(1)
			}
		}
	}()
	return &n
}

// BenchmarkTouchpointStatusCost measures what status costs the API server
// when values change on every query: N Touchpoints, each with one
// Prometheus collector at 10s against a source whose value changes on
// every query, on a control plane and an operator of the benchmark's own
// (the operator's default options). Once every Touchpoint is Ready and the
// schedule has spread, it observes for 3 minutes
// ($TOUCHSTONE_STATUS_BENCH_DURATION, else $TOUCHSTONE_BENCH_DURATION) and
// reports:
//   - writes/min: status writes the API server stored (watch MODIFIED
//     events), and how many were condition or spec changes;
//   - apiserver-cpu-s (and etcd-cpu-s): CPU time of the kube-apiserver
//     (etcd) process in the window, from /proc/<pid>/stat;
//   - operator-cpu-% and rss-MiB: this process (the operator, with the
//     benchmark's source and watch), from /proc/self;
//   - queries/min against the source, and its ratio to the schedule's
//     6 x N (every collector every 10s);
//   - series/touchpoint: cx_* series of the namespace in a scrape, per
//     Touchpoint.
//
// N is 500 and 2,000 ($TOUCHSTONE_STATUS_BENCH_SIZES, comma-separated:
// make bench's short run, for CI, takes 100 and 400).
//
// Run it alone with:
//
//	go test -run '^$' -bench TouchpointStatusCost -benchtime=1x ./controllers/
func BenchmarkTouchpointStatusCost(b *testing.B) {
	for _, n := range envInts(b, "TOUCHSTONE_STATUS_BENCH_SIZES", 500, 2000) {
		b.Run(fmt.Sprintf("touchpoints=%d", n), func(b *testing.B) {
			for range b.N {
				benchStatusCost(b, n)
			}
		})
	}
}

func benchStatusCost(b *testing.B, n int) {
	const interval = 10 * time.Second
	window := envDuration(b, 3*time.Minute, "TOUCHSTONE_STATUS_BENCH_DURATION", "TOUCHSTONE_BENCH_DURATION")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	plane := startBenchPlane(b)
	opts := benchOptions()
	stop := plane.startOperator(b, opts)
	defer stop()
	src := newChangingPromSource(b)

	ns := fmt.Sprintf("load-%d", n)
	if err := plane.client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		b.Fatal(err)
	}
	writes := countModified(ctx, b, plane.client, &cxv1alpha1.TouchpointList{}, ns)
	objs := make([]client.Object, 0, n)
	for i := range n {
		tp := newTouchpoint(ns, fmt.Sprintf("tp-%05d", i))
		tp.Spec.Collectors = []cxv1alpha1.Collector{{
			Name: "latency", Metric: "latency_seconds", Unit: cxv1alpha1.UnitSeconds,
			Interval: &metav1.Duration{Duration: interval}, Timeout: &metav1.Duration{Duration: 5 * time.Second},
			Prometheus: &cxv1alpha1.PrometheusSource{Address: src.URL,
				Query: fmt.Sprintf(`histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket{touchpoint=%q}[5m])))`, tp.Name)},
		}}
		objs = append(objs, tp)
	}
	start := time.Now()
	if err := createAll(ctx, plane.client, objs, 8); err != nil {
		b.Fatal(err)
	}
	waitTouchpointsReady(ctx, b, plane.client, ns, n, 3*time.Minute)
	ready := time.Since(start)
	// The first run of every collector is at once; the schedule spreads
	// the Touchpoints over the interval from the second run on.
	time.Sleep(interval + 2*time.Second)

	conditionWrites := func() float64 {
		return seriesSum("cx_status_writes_total", map[string]string{"kind": "Touchpoint", "cause": "condition"}) +
			seriesSum("cx_status_writes_total", map[string]string{"kind": "Touchpoint", "cause": "spec"})
	}
	w0, q0, c0 := writes.Load(), src.queries.Load(), conditionWrites()
	api0, etcd0, self0 := processCPU(plane.apiserverPID), processCPU(plane.etcdPID), processCPU(0)
	requests0 := plane.apiRequests(b)
	t0 := time.Now()
	profiled := plane.profileAPIServer(b, os.Getenv("TOUCHSTONE_BENCH_APISERVER_PROFILE"), min(window, time.Minute))
	time.Sleep(window)
	elapsed := time.Since(t0)
	api, etcd, self := processCPU(plane.apiserverPID)-api0, processCPU(plane.etcdPID)-etcd0, processCPU(0)-self0
	requests := requestDelta(requests0, plane.apiRequests(b))
	<-profiled
	w, q, c := writes.Load()-w0, src.queries.Load()-q0, conditionWrites()-c0
	rss, peak := selfMemory()
	series := scrapeSeries(b, ns)

	minutes := elapsed.Minutes()
	expectedQueries := float64(n) * elapsed.Seconds() / interval.Seconds()
	b.ReportMetric(float64(w)/minutes, "writes/min")
	b.ReportMetric(c/minutes, "condition-writes/min")
	b.ReportMetric(api.Seconds(), "apiserver-cpu-s")
	b.ReportMetric(etcd.Seconds(), "etcd-cpu-s")
	b.ReportMetric(100*self.Seconds()/elapsed.Seconds(), "operator-cpu-%")
	b.ReportMetric(rss, "rss-MiB")
	b.ReportMetric(float64(q)/minutes, "queries/min")
	b.ReportMetric(float64(q)/expectedQueries, "queries/schedule")
	b.ReportMetric(float64(total(series))/float64(n), "series/touchpoint")
	b.Logf("%d Touchpoints Ready in %v; over %v: %d status writes (%.0f/min, %.0f condition/spec), kube-apiserver %.1fs CPU (%.0f%% of a core), etcd %.1fs, "+
		"operator %.1fs CPU (%.1f%%), RSS %.0f MiB (peak %.0f), %d queries (%.0f/min, %.4f of the schedule's %.0f), %d cx_* series (%.1f per Touchpoint: %v); API requests: %s",
		n, ready.Round(time.Millisecond), elapsed.Round(time.Second), w, float64(w)/minutes, c, api.Seconds(), 100*api.Seconds()/elapsed.Seconds(), etcd.Seconds(),
		self.Seconds(), 100*self.Seconds()/elapsed.Seconds(), rss, peak, q, float64(q)/minutes, float64(q)/expectedQueries, expectedQueries,
		total(series), float64(total(series))/float64(n), series, requests)

	if err := plane.client.DeleteAllOf(ctx, &cxv1alpha1.Touchpoint{}, client.InNamespace(ns)); err != nil {
		b.Fatal(err)
	}
}

// waitTouchpointsReady polls until n Touchpoints of ns are Ready.
func waitTouchpointsReady(ctx context.Context, b *testing.B, c client.Client, ns string, n int, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for {
		var list cxv1alpha1.TouchpointList
		if err := c.List(ctx, &list, client.InNamespace(ns)); err != nil {
			b.Fatal(err)
		}
		ready := 0
		for _, tp := range list.Items {
			if c := condition(tp.Status.Conditions, cxv1alpha1.ConditionReady); c != nil && c.Status == metav1.ConditionTrue {
				ready++
			}
		}
		if ready == n {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d Touchpoints Ready after %v", ready, n, timeout)
		}
		time.Sleep(2 * time.Second)
	}
}

// coldStartObjects are the objects of the cold-start benchmark: per i, a
// Touchpoint with one HTTP collector (60s), a CSAT Survey at it, and a
// Scorecard reading both; and the Survey's receiver Secret.
func coldStartObjects(ns, url string, perKind int) []client.Object {
	objs := []client.Object{newReceiverSecret(ns, "bench-token")}
	for i := range perKind {
		tp := newTouchpoint(ns, fmt.Sprintf("tp-%05d", i))
		tp.Spec.Collectors = []cxv1alpha1.Collector{httpCollector("open", "open_tickets", url, "open", time.Minute)}
		svy := newSurvey(ns, fmt.Sprintf("svy-%05d", i), tp.Name, cxv1alpha1.SurveyCSAT)
		sc := fixtures.Scorecard(ns, fmt.Sprintf("sc-%05d", i),
			fixtures.FromTouchpoint(fixtures.Objective("backlog", 1, "..100", ""), tp.Name, "open_tickets"),
			fixtures.FromSurvey(fixtures.Objective("answers", 1, "0..", ""), svy.Name, cxv1alpha1.SurveyValueResponses))
		objs = append(objs, tp, svy, sc)
	}
	return objs
}

// coldStartTracker follows the objects of a namespace through watches
// until each is in its final state: a Touchpoint Ready, a Survey
// reconciled with its Touchpoint found (InsufficientData: no responses
// yet), a Scorecard Ready with both objectives met (Pass).
type coldStartTracker struct {
	mu      sync.Mutex
	perKind int
	done    map[string]map[string]bool // kind -> name -> final
	at      map[string]time.Duration   // kind -> when its last object became final
	// reconciled counts the objects whose status has a Ready condition
	// for their generation (whatever it says); allReconciled is when the
	// last one of all kinds got it.
	reconciled    map[string]bool
	allReconciled time.Duration
	writes        map[string]int // kind -> MODIFIED events
	start         time.Time
	all           chan struct{}
}

func (t *coldStartTracker) observe(kind string, e watch.Event) {
	obj, ok := e.Object.(client.Object)
	if !ok {
		return
	}
	final, reconciled := false, false
	switch o := obj.(type) {
	case *cxv1alpha1.Touchpoint:
		c := condition(o.Status.Conditions, cxv1alpha1.ConditionReady)
		reconciled = c != nil && c.ObservedGeneration == o.Generation
		final = reconciled && c.Status == metav1.ConditionTrue
	case *cxv1alpha1.Survey:
		c := condition(o.Status.Conditions, cxv1alpha1.ConditionReady)
		reconciled = c != nil && c.ObservedGeneration == o.Generation
		final = reconciled && c.Reason == cxv1alpha1.ReasonInsufficientData
	case *cxv1alpha1.Scorecard:
		c := condition(o.Status.Conditions, cxv1alpha1.ConditionReady)
		reconciled = c != nil && c.ObservedGeneration == o.Generation
		final = reconciled && c.Status == metav1.ConditionTrue && o.Status.Result == cxv1alpha1.ResultPass
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if e.Type == watch.Modified {
		t.writes[kind]++
	}
	if key := kind + "/" + obj.GetName(); reconciled && !t.reconciled[key] {
		t.reconciled[key] = true
		if len(t.reconciled) == 3*t.perKind {
			t.allReconciled = time.Since(t.start)
		}
	}
	if !final || t.done[kind][obj.GetName()] {
		return
	}
	t.done[kind][obj.GetName()] = true
	if len(t.done[kind]) == t.perKind {
		t.at[kind] = time.Since(t.start)
		if len(t.at) == 3 {
			close(t.all)
		}
	}
}

func (t *coldStartTracker) progress() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return fmt.Sprintf("Touchpoints %d, Surveys %d, Scorecards %d of %d each",
		len(t.done["Touchpoint"]), len(t.done["Survey"]), len(t.done["Scorecard"]), t.perKind)
}

// BenchmarkColdStart creates Touchpoints, Surveys and Scorecards at once,
// one after the other as kubectl apply of a directory does (1,000 of each,
// interleaved; $TOUCHSTONE_BENCH_COLD_START_OBJECTS in all), and measures
// how long the operator takes until every one is in its final state,
// against the floor measured in the same run on the same control plane:
// creating the same objects in another namespace, which the operator does
// not watch, and reading them back (before and after the operator's run;
// the faster counts). It reports both times, their ratio
// (goal: at most 2.5 at 3,000 objects, 3 at 10,000), when each kind was
// done, and the status writes per kind.
//
//	go test -run '^$' -bench ColdStart -benchtime=1x ./controllers/
func BenchmarkColdStart(b *testing.B) {
	perKind := envInt(b, "TOUCHSTONE_BENCH_COLD_START_OBJECTS", 3000) / 3
	ctx := b.Context()
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"stats":{"open":12}}`))
	}))
	defer src.Close()
	plane := startBenchPlane(b)
	for _, ns := range []string{"warmup", "floor-before", "floor-after", "cold"} {
		if err := plane.client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			b.Fatal(err)
		}
	}
	// The first requests of a new client and API server are slow
	// (discovery, first use of each resource's storage): not part of
	// either measure.
	if err := createAll(ctx, plane.client, coldStartObjects("warmup", src.URL, 10), 1); err != nil {
		b.Fatal(err)
	}
	// The floor: create and read back, nobody reconciling. It is measured
	// before and after the operator's run, and the faster one counts: the
	// machine is shared, and a floor slowed by something else would flatter
	// the ratio.
	floorIn := func(ns string) (time.Duration, time.Duration) {
		api0, start := processCPU(plane.apiserverPID), time.Now()
		if err := createAll(ctx, plane.client, coldStartObjects(ns, src.URL, perKind), 1); err != nil {
			b.Fatal(err)
		}
		for _, list := range []client.ObjectList{&cxv1alpha1.TouchpointList{}, &cxv1alpha1.SurveyList{}, &cxv1alpha1.ScorecardList{}} {
			if err := plane.client.List(ctx, list, client.InNamespace(ns)); err != nil {
				b.Fatal(err)
			}
			if got := meta.LenList(list); got != perKind {
				b.Fatalf("read back %d objects, want %d", got, perKind)
			}
		}
		return time.Since(start), processCPU(plane.apiserverPID) - api0
	}

	for range b.N {
		floorBefore, floorAPI := floorIn("floor-before")

		stop := plane.startOperator(b, benchOptions(), "cold")
		tracker := &coldStartTracker{perKind: perKind, all: make(chan struct{}),
			done: map[string]map[string]bool{"Touchpoint": {}, "Survey": {}, "Scorecard": {}},
			at:   map[string]time.Duration{}, writes: map[string]int{}, reconciled: map[string]bool{}}
		for kind, list := range map[string]client.ObjectList{"Touchpoint": &cxv1alpha1.TouchpointList{},
			"Survey": &cxv1alpha1.SurveyList{}, "Scorecard": &cxv1alpha1.ScorecardList{}} {
			w, err := plane.client.Watch(ctx, list, client.InNamespace("cold"))
			if err != nil {
				b.Fatal(err)
			}
			defer w.Stop()
			go func() {
				for e := range w.ResultChan() {
					tracker.observe(kind, e)
				}
			}()
		}
		api0, self0, requests0 := processCPU(plane.apiserverPID), processCPU(0), plane.apiRequests(b)
		profiled := plane.profileAPIServer(b, os.Getenv("TOUCHSTONE_BENCH_APISERVER_PROFILE"), 20*time.Second)
		tracker.start = time.Now()
		if err := createAll(ctx, plane.client, coldStartObjects("cold", src.URL, perKind), 1); err != nil {
			b.Fatal(err)
		}
		created := time.Since(tracker.start)
		select {
		case <-tracker.all:
		case <-time.After(10 * time.Minute):
			b.Fatalf("not all objects reconciled after 10 minutes: %s", tracker.progress())
		}
		run := time.Since(tracker.start)
		api, self := processCPU(plane.apiserverPID)-api0, processCPU(0)-self0
		requests := requestDelta(requests0, plane.apiRequests(b))
		stop()
		<-profiled
		floorAfter, _ := floorIn("floor-after")
		floor := min(floorBefore, floorAfter)

		ratio := run.Seconds() / floor.Seconds()
		b.ReportMetric(floor.Seconds(), "floor-s")
		b.ReportMetric(run.Seconds(), "reconciled-s")
		b.ReportMetric(ratio, "x-floor")
		b.ReportMetric(tracker.allReconciled.Seconds(), "first-status-s")
		b.ReportMetric(tracker.at["Touchpoint"].Seconds(), "touchpoints-s")
		b.ReportMetric(tracker.at["Survey"].Seconds(), "surveys-s")
		b.ReportMetric(tracker.at["Scorecard"].Seconds(), "scorecards-s")
		b.Logf("%d objects (%d of each kind): floor (create and read back, no operator) %v (before the run %v, after it %v); with the operator, created in %v and every object had a first status at %v and was in its final state at %v = %.2fx the floor "+
			"(Touchpoints at %v, Surveys at %v, Scorecards at %v); status writes: %d Touchpoint, %d Survey, %d Scorecard; kube-apiserver %.1fs CPU (floor before: %.1fs), this process %.1fs; API requests: %s",
			3*perKind, perKind, floor.Round(time.Millisecond), floorBefore.Round(time.Millisecond), floorAfter.Round(time.Millisecond), created.Round(time.Millisecond), tracker.allReconciled.Round(time.Millisecond), run.Round(time.Millisecond), ratio,
			tracker.at["Touchpoint"].Round(time.Millisecond), tracker.at["Survey"].Round(time.Millisecond), tracker.at["Scorecard"].Round(time.Millisecond),
			tracker.writes["Touchpoint"], tracker.writes["Survey"], tracker.writes["Scorecard"], api.Seconds(), floorAPI.Seconds(), self.Seconds(), requests)
	}
}
