package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// InitStatusWrites creates the counters at 0, every cause of every kind;
// each write and deferral counts one.
func TestStatusWriteSeries(t *testing.T) {
	t.Parallel()
	// The kinds are label values of the global vectors, shared with no
	// other test: these names are this test's own.
	const tp, svy = "TestKindA", "TestKindB"
	t.Cleanup(func() {
		for _, k := range []string{tp, svy} {
			statusWrites.DeletePartialMatch(map[string]string{"kind": k})
			statusWritesDeferred.DeletePartialMatch(map[string]string{"kind": k})
		}
	})
	InitStatusWrites(tp, svy)
	ObserveStatusWrite(tp, "condition")
	ObserveStatusWrite(tp, "refresh")
	ObserveStatusWrite(tp, "refresh")
	ObserveStatusWriteDeferred(svy)
	keep := func(l map[string]string) bool { return l["kind"] == tp || l["kind"] == svy }
	expectExposition(t, view{collectors: []prometheus.Collector{statusWrites, statusWritesDeferred}, keep: keep}, ""+
		family("cx_status_writes_deferred_total", "counter",
			`cx_status_writes_deferred_total{kind="TestKindA"} 0`,
			`cx_status_writes_deferred_total{kind="TestKindB"} 1`)+
		family("cx_status_writes_total", "counter",
			`cx_status_writes_total{cause="condition",kind="TestKindA"} 1`,
			`cx_status_writes_total{cause="refresh",kind="TestKindA"} 2`,
			`cx_status_writes_total{cause="spec",kind="TestKindA"} 0`,
			`cx_status_writes_total{cause="condition",kind="TestKindB"} 0`,
			`cx_status_writes_total{cause="refresh",kind="TestKindB"} 0`,
			`cx_status_writes_total{cause="spec",kind="TestKindB"} 0`),
		"cx_status_writes_total", "cx_status_writes_deferred_total")
}
