package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Status write series: what the operator costs the API server. Labels:
// kind (Touchpoint, Survey, Scorecard...) and cause (spec, condition,
// refresh).
var (
	statusWrites = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cx_status_writes_total",
		Help: "Status writes of the operator, by kind and cause: spec (a new generation) and condition (a condition or verdict changed) are written at once; refresh (values only) at most once per the kind's status interval, within the status write budget.",
	}, []string{"kind", "cause"})
	statusWritesDeferred = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cx_status_writes_deferred_total",
		Help: "Value refreshes of status the status write budget (--status-writes-per-second) deferred: each was given a later slot and written then, none was dropped. Waiting for the status interval is not counted.",
	}, []string{"kind"})
)

// The values of the cause label of cx_status_writes_total.
var statusCauses = []string{"spec", "condition", "refresh"}

func init() {
	crmetrics.Registry.MustRegister(statusWrites, statusWritesDeferred)
}

// InitStatusWrites creates the status write counters of the given kinds
// at zero, so that rate() sees their first writes.
func InitStatusWrites(kinds ...string) {
	for _, k := range kinds {
		for _, c := range statusCauses {
			statusWrites.WithLabelValues(k, c)
		}
		statusWritesDeferred.WithLabelValues(k)
	}
}

// ObserveStatusWrite counts one status write of an object of kind, for
// cause (spec, condition or refresh).
func ObserveStatusWrite(kind, cause string) {
	statusWrites.WithLabelValues(kind, cause).Inc()
}

// ObserveStatusWriteDeferred counts one refresh of an object of kind that
// the budget deferred.
func ObserveStatusWriteDeferred(kind string) {
	statusWritesDeferred.WithLabelValues(kind).Inc()
}

// StatusWritesDeferred is the cx_status_writes_deferred_total counter of
// a kind (tests read it).
func StatusWritesDeferred(kind string) prometheus.Counter {
	return statusWritesDeferred.WithLabelValues(kind)
}
