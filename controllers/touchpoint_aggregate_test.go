package controllers_test

import (
	"context"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/fixtures"
	"github.com/touchstone-dev/touchstone/internal/fixtures/saas"
	"github.com/touchstone-dev/touchstone/internal/testenv"
)

// TestTouchpointAggregatesAPaginatedHelpdesk runs collectors that
// aggregate a Zendesk-shaped helpdesk (ticket metrics over 3 pages, basic
// auth from a Secret) through the operator: the median and p90 of the
// first reply, a list read only in part (maxPages) said in
// CollectorsHealthy, an empty list that gives no value without failing,
// a missing credentials Secret named by its field, and a where that does
// not compile (Ready=False, InvalidCollector, naming the field) while the
// other collectors keep running. Intervals are 10s with the default
// timeout, which admission accepts since the default fits the interval.
func TestTouchpointAggregatesAPaginatedHelpdesk(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	deleteTouchpointsAtEnd(t, ns)

	// 250 tickets replied in 1..250 minutes: pages of 100, 100 and 50.
	tickets := make([]saas.TicketMetric, 250)
	for i := range tickets {
		tickets[i] = saas.TicketMetric{ID: int64(i + 1), TicketID: int64(i + 1), ReplyTimeInMinutes: saas.MinutesOf(int64(250-i), int64(125-i/2))}
	}
	srv := httptest.NewServer(&saas.Zendesk{Email: "cx@larkspur.example", Token: "zd-token",
		TicketMetrics: func() []saas.TicketMetric { return append([]saas.TicketMetric(nil), tickets...) }})
	t.Cleanup(srv.Close)

	auth := &cxv1alpha1.BasicAuth{
		UsernameSecretRef: cxv1alpha1.SecretKeyRef{Name: "zendesk-api", Key: "username"},
		PasswordSecretRef: cxv1alpha1.SecretKeyRef{Name: "zendesk-api", Key: "token"},
	}
	collector := func(name, metric string, agg cxv1alpha1.Aggregation) cxv1alpha1.Collector {
		return cxv1alpha1.Collector{Name: name, Metric: metric, Unit: cxv1alpha1.UnitSeconds,
			Interval: &metav1.Duration{Duration: 10 * time.Second},
			HTTP: &cxv1alpha1.HTTPSource{URL: srv.URL + "/api/v2/ticket_metrics.json?page[size]=100", JSONPath: "{.ticket_metrics[*]}",
				Value: "item.reply_time_in_minutes.calendar", Aggregation: agg, Scale: fixtures.Quantity("60"), BasicAuth: auth,
				Pagination: &cxv1alpha1.Pagination{NextURL: "{.links.next}", HasMore: "{.meta.has_more}"}}}
	}
	tp := newTouchpoint(ns, "helpdesk")
	tp.Spec.Stage = cxv1alpha1.StageSupport
	tp.Spec.Collectors = []cxv1alpha1.Collector{
		collector("median", "first_reply_seconds", cxv1alpha1.Aggregation{Aggregate: cxv1alpha1.AggregateMedian}),
		collector("p90", "first_reply_p90_seconds", cxv1alpha1.Aggregation{Aggregate: cxv1alpha1.AggregateQuantile, Quantile: fixtures.Quantity("0.9")}),
		collector("first-pages", "first_pages_min_seconds", cxv1alpha1.Aggregation{Aggregate: cxv1alpha1.AggregateMin}),
		collector("long-waits", "long_wait_mean_seconds", cxv1alpha1.Aggregation{Aggregate: cxv1alpha1.AggregateMean,
			Where: "item.reply_time_in_minutes.calendar > 1000"}),
	}
	tp.Spec.Collectors[2].HTTP.Pagination.MaxPages = 2
	g.Expect(k8s.Create(ctx, tp)).To(Succeed())
	g.Expect(tp.Spec.Collectors[0].Timeout).To(BeNil(), "the API server stores no default timeout")

	// No Secret yet: Ready says which one, naming the field.
	eventually(g, tpStatusView(ctx, tp)).Should(HaveField("Ready", "False/SecretNotFound"))
	g.Expect(condition(tp.Status.Conditions, cxv1alpha1.ConditionReady).Message).To(Equal(
		`secret "zendesk-api" named in spec.collectors[0].http.basicAuth.usernameSecretRef does not exist`))

	g.Expect(k8s.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "zendesk-api"},
		StringData: map[string]string{"username": "cx@larkspur.example/token", "token": "zd-token"}})).To(Succeed())
	eventually(g, tpStatusView(ctx, tp)).Should(Equal(tpView{
		Metrics: []string{
			"first_reply_seconds=7500",      // x₍⌈125⌉₎ of 1..250 min = 125 min
			"first_reply_p90_seconds=13500", // x₍⌈225⌉₎ = 225 min
			"first_pages_min_seconds=3060",  // the first 2 pages hold 250..51 min (all: 250..1): min 51 min
			"long_wait_mean_seconds|collector long-waits: none of the 250 items matches where, so the mean is undefined",
		},
		Ready: "True/CollectorsSucceeded", CollectorsHealthy: "True/CollectorsSucceeded", Healthy: "4/4",
	}))
	healthy := condition(tp.Status.Conditions, cxv1alpha1.ConditionCollectorsHealthy).Message
	g.Expect(healthy).To(Equal("the last run of all 4 collectors succeeded; " +
		"first-pages: read 2 pages (maxPages) and more remain: the value covers those 2 pages only"))
	g.Expect(series("cx_touchpoint_value", map[string]string{"namespace": ns, "touchpoint": "helpdesk", "metric": "first_reply_p90_seconds"})()).
		To(Equal(13500.0))
	g.Expect(series("cx_touchpoint_value", map[string]string{"namespace": ns, "touchpoint": "helpdesk", "metric": "long_wait_mean_seconds"})()).
		To(Equal("absent"), "no value is no series, not 0")

	// A where that does not compile: Ready=False, naming the field; the
	// other collectors keep their values.
	updateSpec(g, tp, func() { tp.Spec.Collectors[3].HTTP.Where = "item.reply_time_in_minutes.calendar >" })
	eventually(g, tpStatusView(ctx, tp)).Should(HaveField("Ready", "False/InvalidCollector"))
	g.Expect(condition(tp.Status.Conditions, cxv1alpha1.ConditionReady).Message).To(HavePrefix("spec.collectors[3].http.where: <input>:1:"))
	g.Expect(tp.Status.Metrics[0].Value).To(Equal("7500"))

	// Fixed, and now some tickets match.
	updateSpec(g, tp, func() { tp.Spec.Collectors[3].HTTP.Where = "item.reply_time_in_minutes.calendar > 240" })
	eventually(g, tpStatusView(ctx, tp)).Should(HaveField("Metrics", ContainElement("long_wait_mean_seconds=14730"))) // 241..250 min: mean 245.5 min
	g.Expect(tpStatusView(ctx, tp)().Ready).To(Equal("True/CollectorsSucceeded"))
}

// TestTouchpointAggregatesPrometheusSeries runs a real Prometheus that
// scrapes an exporter of four series, and collectors whose query returns
// all four: aggregate reduces them instead of refusing several series.
func TestTouchpointAggregatesPrometheusSeries(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)

	reg := prometheus.NewRegistry()
	ratio := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "payment_error_ratio", Help: "Share of failed payments."}, []string{"provider"})
	reg.MustRegister(ratio)
	for provider, v := range map[string]float64{"adyen": 0.01, "stripe": 0.03, "paypal": 0.025, "klarna": 0.005} {
		ratio.WithLabelValues(provider).Set(v)
	}
	exporter := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(exporter.Close)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(exporter.URL, "http://"))
	deleteTouchpointsAtEnd(t, ns)
	prom := testenv.StartPrometheus(t, testenv.PrometheusConfig{ScrapeInterval: time.Second, Job: "payments", Targets: []string{"127.0.0.1:" + port}})
	const query = `payment_error_ratio{job="payments"}`
	eventually(g, func() (float64, error) { return prom.Query(ctx, `count(`+query+`)`) }).Should(Equal(4.0))

	collector := func(name, metric string, unit cxv1alpha1.Unit, agg cxv1alpha1.Aggregation) cxv1alpha1.Collector {
		return cxv1alpha1.Collector{Name: name, Metric: metric, Unit: unit, Interval: &metav1.Duration{Duration: 10 * time.Second},
			Prometheus: &cxv1alpha1.PrometheusSource{Address: prom.URL(), Query: query, Aggregation: agg}}
	}
	tp := newTouchpoint(ns, "payments")
	tp.Spec.Collectors = []cxv1alpha1.Collector{
		// 0.03 and 0.025 are above 2%: 2 of 4 providers.
		collector("failing-providers", "failing_providers", cxv1alpha1.UnitCount,
			cxv1alpha1.Aggregation{Aggregate: cxv1alpha1.AggregateCount, Where: "item.value > 0.02"}),
		// Sorted 0.005, 0.01, 0.025, 0.03: x₍⌈2⌉₎ = 0.01.
		collector("median", "median_error_ratio", cxv1alpha1.UnitRatio, cxv1alpha1.Aggregation{Aggregate: cxv1alpha1.AggregateMedian}),
		collector("share-eu", "eu_provider_share", cxv1alpha1.UnitRatio,
			cxv1alpha1.Aggregation{Aggregate: cxv1alpha1.AggregateRatio, Where: "item.metric.provider in ['adyen', 'klarna']"}),
	}
	g.Expect(k8s.Create(ctx, tp)).To(Succeed())
	eventually(g, tpStatusView(ctx, tp)).Should(Equal(tpView{
		Metrics: []string{"failing_providers=2", "median_error_ratio=0.01", "eu_provider_share=0.5"},
		Ready:   "True/CollectorsSucceeded", CollectorsHealthy: "True/CollectorsSucceeded", Healthy: "3/3",
	}))
}
