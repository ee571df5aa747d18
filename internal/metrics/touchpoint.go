package metrics

import (
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Touchpoint and collector series. Values are in base units (a ratio is
// 0..1, a duration in seconds); the unit label says which.
var (
	touchpointValue = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cx_touchpoint_value",
		Help: "Latest value of a Touchpoint metric, collected or derived, in base units (the unit label says which). Absent while the metric has no value.",
	}, []string{"namespace", "touchpoint", "stage", "metric", "unit"})
	collectorRuns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cx_collector_runs_total",
		Help: "Runs of a Touchpoint collector, by result: success, or failure (unreachable source, timeout, error status, unusable answer, missing Secret).",
	}, []string{"namespace", "touchpoint", "collector", "result"})
	// The duration histogram is one per namespace, not per collector: a
	// histogram is 14 series, and per collector it was most of a scrape
	// (24,000 of 36,432 series at 2,000 collectors). Each collector has
	// its last duration instead, one series.
	collectorDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "cx_collector_duration_seconds",
		Help:    "Duration of the runs of the Touchpoint collectors of a namespace, successful or not, in seconds.",
		Buckets: []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
	}, []string{"namespace"})
	collectorLastDuration = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cx_collector_last_duration_seconds",
		Help: "Duration of the last run of a Touchpoint collector, successful or not, in seconds. Absent until it runs.",
	}, []string{"namespace", "touchpoint", "collector"})
	collectorLastSuccess = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cx_collector_last_success_timestamp_seconds",
		Help: "Unix time of the start of the last successful run of a Touchpoint collector, in seconds. Absent until the collector succeeds.",
	}, []string{"namespace", "touchpoint", "collector"})

	touchpointSeries published
	// collectors lists the collectors of each namespace that have series,
	// so that the namespace's duration histogram goes with the last one.
	collectors = namespaceCollectors{byNamespace: map[string]map[string]struct{}{}}
)

// The values of the result label of cx_collector_runs_total.
const (
	CollectorResultSuccess = "success"
	CollectorResultFailure = "failure"
)

func init() {
	crmetrics.Registry.MustRegister(touchpointValue, collectorRuns, collectorDuration, collectorLastDuration, collectorLastSuccess)
}

// TouchpointValue is one metric value of a Touchpoint.
type TouchpointValue struct {
	// Metric is the metric's name.
	Metric string
	// Unit is the metric's unit (seconds, ratio, percent, count, score).
	Unit string
	// Value is the value in base units; NaN or ±Inf means no value (the
	// series is then absent).
	Value float64
}

// SetTouchpointValues publishes the metric values of one Touchpoint and
// removes its value series that are no longer set (a metric that lost its
// value or was removed, a changed stage or unit).
func SetTouchpointValues(namespace, touchpoint, stage string, values []TouchpointValue) {
	touchpointSeries.update(namespace+"/"+touchpoint, func(g *gauges) {
		for _, v := range values {
			g.set(touchpointValue, v.Value, namespace, touchpoint, stage, v.Metric, v.Unit)
		}
	})
}

// InitCollector creates the run counters of a collector at zero for both
// results, so that rate() sees the first run.
func InitCollector(namespace, touchpoint, collector string) {
	collectors.add(namespace, touchpoint, collector)
	collectorRuns.WithLabelValues(namespace, touchpoint, collector, CollectorResultSuccess)
	collectorRuns.WithLabelValues(namespace, touchpoint, collector, CollectorResultFailure)
}

// ObserveCollectorRun records one run of a collector that started at
// start and took duration.
func ObserveCollectorRun(namespace, touchpoint, collector string, ok bool, start time.Time, duration time.Duration) {
	collectors.add(namespace, touchpoint, collector)
	result := CollectorResultFailure
	if ok {
		result = CollectorResultSuccess
		collectorLastSuccess.WithLabelValues(namespace, touchpoint, collector).Set(float64(start.UnixNano()) / 1e9)
	}
	collectorRuns.WithLabelValues(namespace, touchpoint, collector, result).Inc()
	collectorLastDuration.WithLabelValues(namespace, touchpoint, collector).Set(duration.Seconds())
	collectorDuration.WithLabelValues(namespace).Observe(duration.Seconds())
}

// DeleteCollector removes the series of one collector (removed from its
// Touchpoint's spec), and the namespace's duration histogram with the
// namespace's last collector.
func DeleteCollector(namespace, touchpoint, collector string) {
	l := prometheus.Labels{"namespace": namespace, "touchpoint": touchpoint, "collector": collector}
	collectorRuns.DeletePartialMatch(l)
	collectorLastDuration.DeletePartialMatch(l)
	collectorLastSuccess.DeletePartialMatch(l)
	collectors.remove(namespace, func(key string) bool { return key == touchpoint+"\xff"+collector })
}

// DeleteTouchpoint removes every series of a Touchpoint (values and
// collector series), and the namespace's duration histogram with the
// namespace's last collector.
func DeleteTouchpoint(namespace, touchpoint string) {
	touchpointSeries.delete(namespace + "/" + touchpoint)
	l := prometheus.Labels{"namespace": namespace, "touchpoint": touchpoint}
	touchpointValue.DeletePartialMatch(l)
	collectorRuns.DeletePartialMatch(l)
	collectorLastDuration.DeletePartialMatch(l)
	collectorLastSuccess.DeletePartialMatch(l)
	collectors.remove(namespace, func(key string) bool { return strings.HasPrefix(key, touchpoint+"\xff") })
}

// namespaceCollectors is the set of collectors with series, per namespace.
type namespaceCollectors struct {
	mu          sync.Mutex
	byNamespace map[string]map[string]struct{} // namespace -> "touchpoint\xffcollector"
}

func (c *namespaceCollectors) add(namespace, touchpoint, collector string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	set := c.byNamespace[namespace]
	if set == nil {
		set = map[string]struct{}{}
		c.byNamespace[namespace] = set
	}
	set[touchpoint+"\xff"+collector] = struct{}{}
}

// remove removes the collectors of a namespace that match, and deletes
// the namespace's duration histogram once none is left. It holds the
// lock meanwhile, so that a collector added at the same time keeps it.
func (c *namespaceCollectors) remove(namespace string, match func(key string) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	set := c.byNamespace[namespace]
	for key := range set {
		if match(key) {
			delete(set, key)
		}
	}
	if len(set) == 0 {
		delete(c.byNamespace, namespace)
		collectorDuration.DeleteLabelValues(namespace)
	}
}
