package controllers_test

import (
	"context"
	"fmt"
	"maps"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/controllers"
	"github.com/touchstone-dev/touchstone/internal/testenv"
)

// testCollectorOptions adapts the collector defaults for the tests: a
// short status interval (status_cadence_test.go).
func testCollectorOptions(o controllers.CollectorOptions) controllers.CollectorOptions {
	o.StatusInterval = testTouchpointStatusInterval
	return o
}

// The Touchpoint tests run collectors for real: HTTP collectors against
// local JSON servers, Prometheus collectors against a local stub of the
// Prometheus API, and, in TestTouchpointPrometheusIntegration, against a
// real Prometheus server scraping an exporter the test serves.

// deleteTouchpointsAtEnd deletes the Touchpoints of a test's namespace
// when it ends (envtest has no namespace controller), so that their
// collectors stop before the test's sources close.
func deleteTouchpointsAtEnd(t *testing.T, ns string) {
	t.Cleanup(func() {
		if err := k8s.DeleteAllOf(context.Background(), &cxv1alpha1.Touchpoint{}, client.InNamespace(ns)); err != nil {
			t.Error(err)
		}
	})
}

// jsonSource is a local JSON document whose numbers the test sets.
type jsonSource struct {
	*httptest.Server
	mu       sync.Mutex
	doc      map[string]float64
	requests atomic.Int64
	headers  atomic.Pointer[http.Header]
}

func newJSONSource(t *testing.T, doc map[string]float64) *jsonSource {
	t.Helper()
	s := &jsonSource{doc: doc}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		h := r.Header.Clone()
		s.headers.Store(&h)
		s.mu.Lock()
		defer s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		var parts []string
		for k, v := range s.doc {
			parts = append(parts, fmt.Sprintf("%q:%v", k, v))
		}
		fmt.Fprintf(w, `{"stats":{%s}}`, strings.Join(parts, ","))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jsonSource) set(k string, v float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.doc[k] = v
}

// httpCollector collects a count at {.stats.<key>} from a JSON source.
func httpCollector(name, metric, url, key string, interval time.Duration) cxv1alpha1.Collector {
	return cxv1alpha1.Collector{
		Name: name, Metric: metric, Unit: cxv1alpha1.UnitCount,
		Interval: &metav1.Duration{Duration: interval},
		Timeout:  &metav1.Duration{Duration: 5 * time.Second},
		HTTP:     &cxv1alpha1.HTTPSource{URL: url, JSONPath: "{.stats." + key + "}"},
	}
}

// tpView is what the tests compare of a Touchpoint's status: metrics as
// "name=value|reason", conditions as "status/reason", healthyCollectors.
type tpView struct {
	Metrics           []string
	Ready             string
	CollectorsHealthy string
	Healthy           string
}

func tpStatusView(ctx context.Context, tp *cxv1alpha1.Touchpoint) func() tpView {
	return func() tpView {
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(tp), tp); err != nil {
			return tpView{Ready: "get: " + err.Error()}
		}
		v := tpView{Healthy: tp.Status.HealthyCollectors}
		for _, m := range tp.Status.Metrics {
			if m.Value != "" {
				v.Metrics = append(v.Metrics, m.Name+"="+m.Value)
			} else {
				v.Metrics = append(v.Metrics, m.Name+"|"+m.Reason)
			}
		}
		if c := condition(tp.Status.Conditions, cxv1alpha1.ConditionReady); c != nil && c.ObservedGeneration == tp.Generation {
			v.Ready = string(c.Status) + "/" + c.Reason
		}
		if c := condition(tp.Status.Conditions, cxv1alpha1.ConditionCollectorsHealthy); c != nil && c.ObservedGeneration == tp.Generation {
			v.CollectorsHealthy = string(c.Status) + "/" + c.Reason
		}
		return v
	}
}

// tpEvents lists "type reason: note" of a Touchpoint's events, oldest
// first.
func tpEvents(g Gomega, tp *cxv1alpha1.Touchpoint) func() []string {
	return func() []string {
		var list eventsv1.EventList
		g.Expect(k8s.List(context.Background(), &list, client.InNamespace(tp.Namespace))).To(Succeed())
		sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].EventTime.Before(&list.Items[j].EventTime) })
		var out []string
		for _, e := range list.Items {
			if e.Regarding.Kind == "Touchpoint" && e.Regarding.Name == tp.Name {
				out = append(out, e.Type+" "+e.Reason+": "+e.Note)
			}
		}
		return out
	}
}

// TestTouchpointCollectsAndDerives runs HTTP collectors and derived
// metrics, changes a collector's spec (rescheduled at once although its
// interval is an hour), removes one, and deletes the Touchpoint (its
// series go).
func TestTouchpointCollectsAndDerives(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	src := newJSONSource(t, map[string]float64{"churned": 5, "customers": 200, "renewed": 150, "zero": 0})
	deleteTouchpointsAtEnd(t, ns)

	tp := newTouchpoint(ns, "renewal")
	tp.Spec.Stage = cxv1alpha1.StageRenewal
	tp.Spec.Collectors = []cxv1alpha1.Collector{
		httpCollector("churned", "churned", src.URL, "churned", time.Hour),
		httpCollector("customers", "customers_at_start", src.URL, "customers", time.Hour),
		httpCollector("renewed", "renewed", src.URL, "renewed", time.Hour),
	}
	tp.Spec.Derived = []cxv1alpha1.DerivedMetric{
		{Metric: "churn_ratio", Unit: cxv1alpha1.UnitRatio, Expression: "churned / customers_at_start"},
		{Metric: "churn_percent", Unit: cxv1alpha1.UnitPercent, Expression: "100.0 * churn_ratio"},
		{Metric: "renewal_ratio", Unit: cxv1alpha1.UnitRatio, Expression: "renewed / (customers_at_start - customers_at_start)"},
	}
	g.Expect(k8s.Create(ctx, tp)).To(Succeed())

	eventually(g, tpStatusView(ctx, tp)).Should(Equal(tpView{
		Metrics: []string{"churned=5", "customers_at_start=200", "renewed=150",
			"churn_ratio=0.025", "churn_percent=2.5", "renewal_ratio|division by zero"},
		Ready: "True/CollectorsSucceeded", CollectorsHealthy: "True/CollectorsSucceeded", Healthy: "3/3",
	}))
	for _, c := range tp.Status.Collectors {
		g.Expect(c.LastRunTime).NotTo(BeNil(), c.Name)
		g.Expect(c.LastSuccessTime).NotTo(BeNil(), c.Name)
		g.Expect(c.NextRunTime.Time).To(BeTemporally(">", time.Now().Add(30*time.Minute)), c.Name)
		g.Expect(c.ConsecutiveFailures).To(BeZero())
		g.Expect(c.LastError).To(BeEmpty())
	}
	g.Expect(tp.Status.Metrics[0].Source).To(Equal("churned"))
	g.Expect(tp.Status.Metrics[3].Source).To(Equal("derived"))
	g.Expect(tp.Status.Metrics[0].Unit).To(Equal(cxv1alpha1.UnitCount))

	valueSeries := func(metric, unit string) func() any {
		return series("cx_touchpoint_value", map[string]string{"namespace": ns, "touchpoint": "renewal",
			"stage": "Renewal", "metric": metric, "unit": unit})
	}
	eventually(g, valueSeries("churned", "count")).Should(Equal(5.0))
	g.Expect(valueSeries("churn_ratio", "ratio")()).To(Equal(0.025))
	g.Expect(valueSeries("renewal_ratio", "ratio")()).To(Equal("absent"), "a division by zero is no value, not Inf")
	runs := map[string]string{"namespace": ns, "touchpoint": "renewal", "collector": "churned"}
	g.Expect(series("cx_collector_runs_total", with(runs, "result", "success"))()).To(Equal(1.0))
	g.Expect(series("cx_collector_runs_total", with(runs, "result", "failure"))()).To(Equal(0.0))
	g.Expect(series("cx_collector_last_duration_seconds", runs)()).To(BeNumerically(">", 0.0))
	// One duration histogram for the namespace: the three first runs.
	g.Expect(series("cx_collector_duration_seconds", map[string]string{"namespace": ns})()).To(Equal(3.0))
	g.Expect(series("cx_collector_last_success_timestamp_seconds", runs)()).To(
		BeNumerically("~", float64(time.Now().Unix()), 60))

	// A changed spec runs at once, not in an hour: the new JSONPath reads
	// another number, and the derived metrics follow.
	updateSpec(g, tp, func() {
		tp.Spec.Collectors[0].HTTP.JSONPath = "{.stats.renewed}"
		tp.Spec.Collectors = tp.Spec.Collectors[:2] // and collector renewed goes
		tp.Spec.Derived = tp.Spec.Derived[:2]
	})
	eventually(g, tpStatusView(ctx, tp)).WithTimeout(10 * time.Second).Should(Equal(tpView{
		Metrics: []string{"churned=150", "customers_at_start=200", "churn_ratio=0.75", "churn_percent=75"},
		Ready:   "True/CollectorsSucceeded", CollectorsHealthy: "True/CollectorsSucceeded", Healthy: "2/2",
	}))
	eventually(g, valueSeries("churned", "count")).Should(Equal(150.0))
	g.Expect(valueSeries("renewed", "count")()).To(Equal("absent"))
	g.Expect(series("cx_collector_runs_total", map[string]string{"namespace": ns, "touchpoint": "renewal", "collector": "renewed"})()).To(Equal("absent"))

	// Deleting the Touchpoint stops its collectors and removes its series.
	g.Expect(k8s.Delete(ctx, tp)).To(Succeed())
	for _, name := range []string{"cx_touchpoint_value", "cx_collector_runs_total",
		"cx_collector_last_duration_seconds", "cx_collector_last_success_timestamp_seconds"} {
		eventually(g, series(name, map[string]string{"namespace": ns, "touchpoint": "renewal"})).Should(Equal("absent"), name)
	}
	// It was the namespace's last collector: the histogram goes too.
	eventually(g, series("cx_collector_duration_seconds", map[string]string{"namespace": ns})).Should(Equal("absent"))
}

func with(labels map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	maps.Copy(out, labels)
	return out
}

// TestTouchpointRejectsAndReportsBadExpressions: what CEL validation can
// see is rejected at admission; what only type-checking sees is a Ready
// condition, while the collectors keep working.
func TestTouchpointRejectsAndReportsBadExpressions(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	src := newJSONSource(t, map[string]float64{"resolved": 30, "escalated": 10})
	deleteTouchpointsAtEnd(t, ns)

	self := newTouchpoint(ns, "self")
	self.Spec.Derived = []cxv1alpha1.DerivedMetric{{Metric: "rate", Unit: cxv1alpha1.UnitRatio, Expression: "rate * 2.0"}}
	err := k8s.Create(ctx, self)
	g.Expect(err).To(HaveOccurred())
	g.Expect(err.Error()).To(ContainSubstring("spec.derived[0].expression: Invalid value"))
	g.Expect(err.Error()).To(ContainSubstring("spec.derived[].expression must not use its own metric"))

	tp := newTouchpoint(ns, "helpdesk")
	tp.Spec.Collectors = []cxv1alpha1.Collector{
		httpCollector("resolved", "resolved", src.URL, "resolved", 10*time.Second),
		httpCollector("escalated", "escalated", src.URL, "escalated", 10*time.Second),
	}
	tp.Spec.Derived = []cxv1alpha1.DerivedMetric{
		{Metric: "resolution_percent", Unit: cxv1alpha1.UnitPercent, Expression: "100 * resolved / (resolved + escalated)"},
		{Metric: "escalation_ratio", Unit: cxv1alpha1.UnitRatio, Expression: "escalated / (resolved + escalated)"},
	}
	g.Expect(k8s.Create(ctx, tp)).To(Succeed())
	eventually(g, tpStatusView(ctx, tp)).Should(Equal(tpView{
		Metrics: []string{"resolved=30", "escalated=10",
			"resolution_percent|the expression is invalid (see the Ready condition)", "escalation_ratio=0.25"},
		Ready: "False/InvalidExpression", CollectorsHealthy: "True/CollectorsSucceeded", Healthy: "2/2",
	}))
	msg := condition(tp.Status.Conditions, cxv1alpha1.ConditionReady).Message
	g.Expect(msg).To(HavePrefix("spec.derived[0] (resolution_percent): <input>:1:5: found no matching overload for '_*_' applied to '(int, double)'"))
	g.Expect(msg).To(ContainSubstring("write number literals with a decimal point, for example 100.0"))

	// Fixing the expression makes the Touchpoint Ready.
	updateSpec(g, tp, func() { tp.Spec.Derived[0].Expression = "100.0 * resolved / (resolved + escalated)" })
	eventually(g, tpStatusView(ctx, tp)).Should(HaveField("Ready", "True/CollectorsSucceeded"))
	g.Expect(tp.Status.Metrics[2].Value).To(Equal("75"))
}

// promAPIStub answers instant queries like the Prometheus API with one
// sample, and remembers the Authorization header it got.
func promAPIStub(t *testing.T, value string) (*httptest.Server, *atomic.Pointer[string]) {
	t.Helper()
	var auth atomic.Pointer[string]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := r.Header.Get("Authorization")
		auth.Store(&a)
		if a != "Bearer s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[%d,%q]}]}}`, time.Now().Unix(), value)
	}))
	t.Cleanup(srv.Close)
	return srv, &auth
}

// TestTouchpointSecretReferences walks a Prometheus collector through its
// bearer token Secret: missing, without the key, then right. Secrets are
// read one by one (never watched): the Touchpoint looks again every
// SecretRecheckInterval, and a collector that failed for want of its
// Secret runs again as soon as the Secret is there, whatever its backoff.
func TestTouchpointSecretReferences(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	srv, auth := promAPIStub(t, "0.97")
	deleteTouchpointsAtEnd(t, ns)

	tp := newTouchpoint(ns, "checkout")
	tp.Spec.Collectors = []cxv1alpha1.Collector{{
		Name: "availability", Metric: "availability_ratio", Unit: cxv1alpha1.UnitRatio,
		Interval: &metav1.Duration{Duration: 10 * time.Second}, Timeout: &metav1.Duration{Duration: 2 * time.Second},
		Prometheus: &cxv1alpha1.PrometheusSource{Address: srv.URL, Query: "avg(up)",
			BearerTokenSecretRef: &cxv1alpha1.SecretKeyRef{Name: "prom", Key: "token"}},
	}}
	g.Expect(k8s.Create(ctx, tp)).To(Succeed())
	eventually(g, tpStatusView(ctx, tp)).Should(HaveField("Ready", "False/SecretNotFound"))
	g.Expect(condition(tp.Status.Conditions, cxv1alpha1.ConditionReady).Message).To(Equal(
		`secret "prom" named in spec.collectors[0].prometheus.bearerTokenSecretRef does not exist`))
	eventually(g, tpStatusView(ctx, tp)).Should(HaveField("CollectorsHealthy", "False/CollectorsFailing"))
	g.Expect(tp.Status.Collectors[0].LastError).To(ContainSubstring(`secret "prom"`))
	g.Expect(auth.Load()).To(BeNil(), "the source was called without its credentials")

	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "prom"}, Data: map[string][]byte{"other": []byte("x")}}
	g.Expect(k8s.Create(ctx, secret)).To(Succeed())
	eventually(g, tpStatusView(ctx, tp)).Should(HaveField("Ready", "False/SecretKeyNotFound"))

	secret.Data = map[string][]byte{"token": []byte("s3cret")}
	g.Expect(k8s.Update(ctx, secret)).To(Succeed())
	eventually(g, tpStatusView(ctx, tp)).Should(Equal(tpView{
		Metrics: []string{"availability_ratio=0.97"},
		Ready:   "True/CollectorsSucceeded", CollectorsHealthy: "True/CollectorsSucceeded", Healthy: "1/1",
	}))
	g.Expect(*auth.Load()).To(Equal("Bearer s3cret"))
	g.Expect(tp.Status.Collectors[0].LastError).To(BeEmpty())

	// The failure and the recovery are Events, without the Secret's value.
	events := tpEvents(g, tp)
	eventually(g, events).Should(ContainElements(
		HavePrefix(`Warning CollectorFailing: collector availability started failing: secret "prom"`),
		HavePrefix("Normal CollectorRecovered: collector availability recovered after "),
	))
	for _, e := range events() {
		g.Expect(e).NotTo(ContainSubstring("s3cret"))
	}
}

// TestTouchpointStatusIsNotRewrittenByUnchangedRuns lets a collector run
// again with the same value: no status write.
func TestTouchpointStatusIsNotRewrittenByUnchangedRuns(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	src := newJSONSource(t, map[string]float64{"open": 12})
	deleteTouchpointsAtEnd(t, ns)
	tp := newTouchpoint(ns, "backlog")
	tp.Spec.Collectors = []cxv1alpha1.Collector{httpCollector("open", "open_tickets", src.URL, "open", 10*time.Second)}
	g.Expect(k8s.Create(ctx, tp)).To(Succeed())
	eventually(g, tpStatusView(ctx, tp)).Should(HaveField("Ready", "True/CollectorsSucceeded"))

	version := tp.ResourceVersion
	runs := src.requests.Load()
	// The next run (within an interval and a half) finds the same value.
	eventually(g, src.requests.Load).WithTimeout(30 * time.Second).Should(BeNumerically(">", runs))
	g.Consistently(func() string {
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(tp), tp)).To(Succeed())
		return tp.ResourceVersion
	}).WithTimeout(2 * time.Second).WithPolling(200 * time.Millisecond).Should(Equal(version))
	eventually(g, series("cx_collector_runs_total", map[string]string{"namespace": ns, "collector": "open", "result": "success"})).
		Should(BeNumerically(">=", 2.0))

	// A new value is written.
	src.set("open", 13)
	eventually(g, tpStatusView(ctx, tp)).WithTimeout(30 * time.Second).Should(HaveField("Metrics", []string{"open_tickets=13"}))
}

// TestTouchpointPrometheusIntegration runs a real Prometheus server that
// scrapes an exporter served by the test, and a Touchpoint whose collector
// queries it. Stopping Prometheus makes the collector fail and back off;
// starting it again makes it recover, without restarting anything.
func TestTouchpointPrometheusIntegration(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)

	// The exporter: one gauge with a known value.
	reg := prometheus.NewRegistry()
	wait := prometheus.NewGauge(prometheus.GaugeOpts{Name: "helpdesk_queue_wait_seconds", Help: "Time a ticket waits for a first answer."})
	reg.MustRegister(wait)
	wait.Set(42.5)
	exporter := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(exporter.Close)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(exporter.URL, "http://"))
	deleteTouchpointsAtEnd(t, ns)

	prom := testenv.StartPrometheus(t, testenv.PrometheusConfig{
		ScrapeInterval: time.Second, Job: "helpdesk", Targets: []string{"127.0.0.1:" + port},
	})
	const query = `helpdesk_queue_wait_seconds{job="helpdesk"}`
	queried := func() (float64, error) { return prom.Query(ctx, query) }
	eventually(g, queried).Should(Equal(42.5))

	tp := newTouchpoint(ns, "helpdesk")
	tp.Spec.Collectors = []cxv1alpha1.Collector{{
		Name: "queue-wait", Metric: "queue_wait_seconds", Unit: cxv1alpha1.UnitSeconds,
		Interval:   &metav1.Duration{Duration: 10 * time.Second},
		Timeout:    &metav1.Duration{Duration: 2 * time.Second},
		Prometheus: &cxv1alpha1.PrometheusSource{Address: prom.URL(), Query: query},
	}}
	g.Expect(k8s.Create(ctx, tp)).To(Succeed())
	view := tpStatusView(ctx, tp)
	eventually(g, view).Should(Equal(tpView{
		Metrics: []string{"queue_wait_seconds=42.5"},
		Ready:   "True/CollectorsSucceeded", CollectorsHealthy: "True/CollectorsSucceeded", Healthy: "1/1",
	}))
	value := series("cx_touchpoint_value", map[string]string{"namespace": ns, "touchpoint": "helpdesk",
		"stage": "Support", "metric": "queue_wait_seconds", "unit": "seconds"})
	g.Expect(value()).To(Equal(42.5))

	// Prometheus goes away: the next run fails, the collector backs off,
	// and the Touchpoint says why.
	prom.Stop()
	wait.Set(17.25)
	eventually(g, view).WithTimeout(60 * time.Second).Should(HaveField("CollectorsHealthy", "False/CollectorsFailing"))
	g.Expect(view().Ready).To(Equal("False/CollectorsFailing"))
	cs := tp.Status.Collectors[0]
	g.Expect(cs.ConsecutiveFailures).To(BeNumerically(">=", 1))
	g.Expect(cs.LastError).To(ContainSubstring("connection refused"))
	g.Expect(cs.NextRunTime.Sub(cs.LastRunTime.Time)).To(BeNumerically(">=", 15*time.Second), "no backoff: %+v", cs)
	healthy := condition(tp.Status.Conditions, cxv1alpha1.ConditionCollectorsHealthy)
	g.Expect(healthy.Message).To(And(HavePrefix("1 of 1 collectors failing: queue-wait: "), ContainSubstring("connection refused")))
	g.Expect(condition(tp.Status.Conditions, cxv1alpha1.ConditionReady).Message).To(Equal("failing collectors: queue-wait"))
	g.Expect(tp.Status.Metrics[0].Value).To(Equal("42.5"), "the last value is kept through the first failures")
	g.Expect(series("cx_collector_runs_total", map[string]string{"namespace": ns, "touchpoint": "helpdesk", "result": "failure"})()).
		To(BeNumerically(">=", 1.0))
	eventually(g, tpEvents(g, tp)).Should(ContainElement(
		And(HavePrefix("Warning CollectorFailing: collector queue-wait started failing: "), ContainSubstring("connection refused"))))

	// Prometheus comes back (same port, same data): the collector recovers
	// at its next run, with the exporter's new value.
	prom.Start()
	eventually(g, queried).Should(Equal(17.25))
	eventually(g, view).WithTimeout(60 * time.Second).Should(Equal(tpView{
		Metrics: []string{"queue_wait_seconds=17.25"},
		Ready:   "True/CollectorsSucceeded", CollectorsHealthy: "True/CollectorsSucceeded", Healthy: "1/1",
	}))
	g.Expect(tp.Status.Collectors[0].LastError).To(BeEmpty())
	g.Expect(tp.Status.Collectors[0].ConsecutiveFailures).To(BeZero())
	g.Expect(value()).To(Equal(17.25))
	eventually(g, tpEvents(g, tp)).Should(ContainElement(HavePrefix("Normal CollectorRecovered: collector queue-wait recovered after ")))
}

// BenchmarkTouchpointStatusWrites creates 200 Touchpoints of 5 HTTP
// collectors each (1,000 collectors, 10s interval) whose source always
// answers the same numbers, waits until every one is Ready, then counts
// the status writes (watch events) for 60s ($TOUCHSTONE_BENCH_DURATION):
// unchanged values must cause none.
//
//	go test -run '^$' -bench TouchpointStatusWrites -benchtime=1x ./controllers/
func BenchmarkTouchpointStatusWrites(b *testing.B) {
	const touchpoints, perTouchpoint = 200, 5
	duration := time.Minute
	if s := os.Getenv("TOUCHSTONE_BENCH_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			b.Fatal(err)
		}
		duration = d
	}
	ctx := context.Background()
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"stats":{"a":1,"b":2.5,"c":0.25,"d":1200,"e":7}}`))
	}))
	defer src.Close()
	wc, err := client.NewWithWatch(cfg, client.Options{Scheme: scheme})
	if err != nil {
		b.Fatal(err)
	}

	for range b.N {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "bench-"}}
		if err := k8s.Create(ctx, ns); err != nil {
			b.Fatal(err)
		}
		w, err := wc.Watch(ctx, &cxv1alpha1.TouchpointList{}, client.InNamespace(ns.Name))
		if err != nil {
			b.Fatal(err)
		}
		var writes atomic.Int64
		go func() {
			for e := range w.ResultChan() {
				if e.Type == watch.Modified {
					writes.Add(1)
				}
			}
		}()

		start := time.Now()
		for i := range touchpoints {
			tp := newTouchpoint(ns.Name, fmt.Sprintf("tp-%03d", i))
			for j, key := range []string{"a", "b", "c", "d", "e"}[:perTouchpoint] {
				tp.Spec.Collectors = append(tp.Spec.Collectors,
					httpCollector(fmt.Sprintf("c%d", j), "m_"+key, src.URL, key, 10*time.Second))
			}
			if err := k8s.Create(ctx, tp); err != nil {
				b.Fatal(err)
			}
		}
		deadline := time.Now().Add(2 * time.Minute)
		for {
			var list cxv1alpha1.TouchpointList
			if err := k8s.List(ctx, &list, client.InNamespace(ns.Name)); err != nil {
				b.Fatal(err)
			}
			ready := 0
			for _, tp := range list.Items {
				if c := condition(tp.Status.Conditions, cxv1alpha1.ConditionReady); c != nil && c.Status == metav1.ConditionTrue {
					ready++
				}
			}
			if ready == touchpoints {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("only %d of %d Touchpoints ready after 2 minutes", ready, touchpoints)
			}
			time.Sleep(200 * time.Millisecond)
		}
		firstRound := time.Since(start)
		// Writes still in flight from the first round land within a moment.
		time.Sleep(2 * time.Second)
		initial := writes.Load()

		time.Sleep(duration)
		steady := writes.Load() - initial
		w.Stop()
		perMin := float64(steady) / duration.Minutes()
		b.ReportMetric(perMin, "writes_per_min")
		b.ReportMetric(float64(initial)/touchpoints, "first_round_writes_per_tp")
		b.ReportMetric(firstRound.Seconds(), "seconds_to_all_ready")
		b.Logf("%d Touchpoints (%d collectors) ready in %v with %d status writes; then %d writes in %v (%.1f per minute)",
			touchpoints, touchpoints*perTouchpoint, firstRound.Round(time.Millisecond), initial, steady, duration, perMin)
		if steady != 0 {
			b.Errorf("%d status writes with unchanged values, want 0", steady)
		}
		if math.IsNaN(perMin) {
			b.Fatal("no measure")
		}
		// envtest has no namespace controller: delete the Touchpoints
		// themselves, which stops their collectors.
		if err := k8s.DeleteAllOf(ctx, &cxv1alpha1.Touchpoint{}, client.InNamespace(ns.Name)); err != nil {
			b.Fatal(err)
		}
	}
}
