package metrics

import (
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
	collectorDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "cx_collector_duration_seconds",
		Help:    "Duration of the runs of a Touchpoint collector, successful or not, in seconds.",
		Buckets: []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
	}, []string{"namespace", "touchpoint", "collector"})
	collectorLastSuccess = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cx_collector_last_success_timestamp_seconds",
		Help: "Unix time of the start of the last successful run of a Touchpoint collector, in seconds. Absent until the collector succeeds.",
	}, []string{"namespace", "touchpoint", "collector"})

	touchpointSeries published
)

// The values of the result label of cx_collector_runs_total.
const (
	CollectorResultSuccess = "success"
	CollectorResultFailure = "failure"
)

func init() {
	crmetrics.Registry.MustRegister(touchpointValue, collectorRuns, collectorDuration, collectorLastSuccess)
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
	collectorRuns.WithLabelValues(namespace, touchpoint, collector, CollectorResultSuccess)
	collectorRuns.WithLabelValues(namespace, touchpoint, collector, CollectorResultFailure)
}

// ObserveCollectorRun records one run of a collector that started at
// start and took duration.
func ObserveCollectorRun(namespace, touchpoint, collector string, ok bool, start time.Time, duration time.Duration) {
	result := CollectorResultFailure
	if ok {
		result = CollectorResultSuccess
		collectorLastSuccess.WithLabelValues(namespace, touchpoint, collector).Set(float64(start.UnixNano()) / 1e9)
	}
	collectorRuns.WithLabelValues(namespace, touchpoint, collector, result).Inc()
	collectorDuration.WithLabelValues(namespace, touchpoint, collector).Observe(duration.Seconds())
}

// DeleteCollector removes the series of one collector (removed from its
// Touchpoint's spec).
func DeleteCollector(namespace, touchpoint, collector string) {
	l := prometheus.Labels{"namespace": namespace, "touchpoint": touchpoint, "collector": collector}
	collectorRuns.DeletePartialMatch(l)
	collectorDuration.DeletePartialMatch(l)
	collectorLastSuccess.DeletePartialMatch(l)
}

// DeleteTouchpoint removes every series of a Touchpoint: values and
// collector series.
func DeleteTouchpoint(namespace, touchpoint string) {
	touchpointSeries.delete(namespace + "/" + touchpoint)
	l := prometheus.Labels{"namespace": namespace, "touchpoint": touchpoint}
	touchpointValue.DeletePartialMatch(l)
	collectorRuns.DeletePartialMatch(l)
	collectorDuration.DeletePartialMatch(l)
	collectorLastSuccess.DeletePartialMatch(l)
}
