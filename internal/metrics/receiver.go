package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Receiver series. Requests for unknown Surveys are counted without the
// namespace and survey labels, so that a sender cannot create series by
// posting to made-up paths.
var (
	// ReceiverResponses counts responses by outcome: accepted (counted),
	// duplicate (already counted: a retry), rejected (invalid input or
	// authentication) and failed (not stored: 429/503, the sender retries).
	ReceiverResponses = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cx_receiver_responses_total",
		Help: "Survey responses received, by result: accepted (durably counted), duplicate (a retry of a counted id), ignored (deliveries a mapping skips, answered 2xx), rejected (4xx), failed (429/503, not stored; the sender should retry).",
	}, []string{"namespace", "survey", "result"})

	// ReceiverRequests counts HTTP requests by status code.
	ReceiverRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cx_receiver_requests_total",
		Help: "HTTP requests to the survey response receiver, by status code.",
	}, []string{"code"})

	// ReceiverRequestDuration observes the time from request to answer,
	// which for a 200 includes the durable write.
	ReceiverRequestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "cx_receiver_request_duration_seconds",
		Help:    "Time from receiving a request to answering it; for 200 this includes the durable write (ack after durable).",
		Buckets: []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
	}, []string{"code"})

	// ReceiverCommitResponses observes how many responses one durable write
	// carries: group commit makes it grow with load.
	ReceiverCommitResponses = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "cx_receiver_commit_responses",
		Help:    "Responses carried by one durable write of a tally (group commit merges the requests that arrive while a write is in flight).",
		Buckets: prometheus.ExponentialBuckets(1, 2, 12),
	})

	// ReceiverRememberedIDs counts the response id hashes the receiver
	// holds in memory to recognise retries.
	ReceiverRememberedIDs = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "cx_receiver_remembered_ids",
		Help: "Response id hashes the receiver holds in memory to recognise retries: those of the tallies written within their Survey's deduplication window, in the lanes used in the last hour.",
	})

	// ReceiverCommitDuration observes the latency of durable writes.
	ReceiverCommitDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "cx_receiver_commit_duration_seconds",
		Help:    "Time to write one group of responses durably to the Kubernetes API, by result (ok, error).",
		Buckets: []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
	}, []string{"result"})
)

func init() {
	crmetrics.Registry.MustRegister(ReceiverResponses, ReceiverRequests, ReceiverRequestDuration,
		ReceiverCommitResponses, ReceiverCommitDuration, ReceiverRememberedIDs)
}

// DeleteReceiverSurvey removes the per-Survey receiver series of a deleted
// Survey.
func DeleteReceiverSurvey(namespace, name string) {
	ReceiverResponses.DeletePartialMatch(prometheus.Labels{"namespace": namespace, "survey": name})
}
