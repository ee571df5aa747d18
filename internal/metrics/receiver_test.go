package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// DeleteReceiverSurvey removes the responses counters of one Survey (every
// result) and nothing else: not another Survey's in the same namespace, not
// the same Survey name's in another namespace, not the per-code series.
func TestDeleteReceiverSurvey(t *testing.T) {
	t.Parallel()
	const ns, otherNS = "metrics-test-receiver", "metrics-test-receiver-other"
	// A status code no real request has: the request series of this test.
	const code = "metrics-test-receiver"
	t.Cleanup(func() {
		DeleteReceiverSurvey(ns, "a")
		DeleteReceiverSurvey(ns, "ab")
		DeleteReceiverSurvey(otherNS, "a")
		ReceiverRequests.DeleteLabelValues(code)
	})

	ReceiverResponses.WithLabelValues(ns, "a", "accepted").Add(3)
	ReceiverResponses.WithLabelValues(ns, "a", "duplicate").Inc()
	ReceiverResponses.WithLabelValues(ns, "a", "rejected").Add(2)
	ReceiverResponses.WithLabelValues(ns, "ab", "accepted").Add(5)
	ReceiverResponses.WithLabelValues(otherNS, "a", "accepted").Add(7)
	ReceiverRequests.WithLabelValues(code).Add(11)

	DeleteReceiverSurvey(ns, "a")

	expectExposition(t, inNamespaces([]string{ns, otherNS}, ReceiverResponses), family("cx_receiver_responses_total", "counter",
		`cx_receiver_responses_total{namespace="metrics-test-receiver",result="accepted",survey="ab"} 5`,
		`cx_receiver_responses_total{namespace="metrics-test-receiver-other",result="accepted",survey="a"} 7`,
	), "cx_receiver_responses_total")
	expectExposition(t, where("code", code, ReceiverRequests), family("cx_receiver_requests_total", "counter",
		`cx_receiver_requests_total{code="metrics-test-receiver"} 11`,
	), "cx_receiver_requests_total")

	// Counting again after the deletion starts from zero.
	ReceiverResponses.WithLabelValues(ns, "a", "accepted").Inc()
	if got := testutil.ToFloat64(ReceiverResponses.WithLabelValues(ns, "a", "accepted")); got != 1 {
		t.Errorf("accepted responses of a counted after its deletion = %v, want 1", got)
	}
	DeleteReceiverSurvey(ns, "a")
	DeleteReceiverSurvey(ns, "ab")
	if n := testutil.CollectAndCount(inNamespaces([]string{ns}, ReceiverResponses), "cx_receiver_responses_total"); n != 0 {
		t.Errorf("%d responses series in %s after deleting both Surveys, want none", n, ns)
	}
}
