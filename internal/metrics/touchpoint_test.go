package metrics

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

var touchpointFamilies = []string{
	"cx_touchpoint_value", "cx_collector_runs_total", "cx_collector_duration_seconds",
	"cx_collector_last_duration_seconds", "cx_collector_last_success_timestamp_seconds",
}

func touchpointsIn(namespaces ...string) prometheus.Collector {
	return inNamespaces(namespaces, touchpointValue, collectorRuns, collectorDuration, collectorLastDuration, collectorLastSuccess)
}

func TestSetTouchpointValues(t *testing.T) {
	t.Parallel()
	const ns = "metrics-test-touchpoint-values"
	t.Cleanup(func() { DeleteTouchpoint(ns, "checkout") })

	SetTouchpointValues(ns, "checkout", "Purchase", []TouchpointValue{
		{Metric: "conversion", Unit: "ratio", Value: 0.03125},
		{Metric: "latency_p95", Unit: "seconds", Value: 0.42},
		{Metric: "errors", Unit: "count", Value: 0},
		{Metric: "nps", Unit: "score", Value: math.NaN()},         // no value
		{Metric: "apdex", Unit: "ratio", Value: math.Inf(-1)},     // no value
		{Metric: "throughput", Unit: "count", Value: math.Inf(1)}, // no value
	})

	expectExposition(t, touchpointsIn(ns), family("cx_touchpoint_value", "gauge",
		`cx_touchpoint_value{metric="conversion",namespace="metrics-test-touchpoint-values",stage="Purchase",touchpoint="checkout",unit="ratio"} 0.03125`,
		`cx_touchpoint_value{metric="errors",namespace="metrics-test-touchpoint-values",stage="Purchase",touchpoint="checkout",unit="count"} 0`,
		`cx_touchpoint_value{metric="latency_p95",namespace="metrics-test-touchpoint-values",stage="Purchase",touchpoint="checkout",unit="seconds"} 0.42`,
	), touchpointFamilies...)
}

// A changed stage or unit replaces the series (no series is left under the
// old labels), as does a metric losing its value or being removed.
func TestSetTouchpointValuesReplacesChangedSeries(t *testing.T) {
	t.Parallel()
	const ns = "metrics-test-touchpoint-relabel"
	t.Cleanup(func() { DeleteTouchpoint(ns, "signup") })

	SetTouchpointValues(ns, "signup", "Awareness", []TouchpointValue{
		{Metric: "conversion", Unit: "ratio", Value: 0.5},
		{Metric: "latency", Unit: "seconds", Value: 1.5},
		{Metric: "visits", Unit: "count", Value: 1000},
	})

	// The stage changed.
	SetTouchpointValues(ns, "signup", "Consideration", []TouchpointValue{
		{Metric: "conversion", Unit: "ratio", Value: 0.5},
		{Metric: "latency", Unit: "seconds", Value: 1.5},
		{Metric: "visits", Unit: "count", Value: 1000},
	})
	expectExposition(t, touchpointsIn(ns), family("cx_touchpoint_value", "gauge",
		`cx_touchpoint_value{metric="conversion",namespace="metrics-test-touchpoint-relabel",stage="Consideration",touchpoint="signup",unit="ratio"} 0.5`,
		`cx_touchpoint_value{metric="latency",namespace="metrics-test-touchpoint-relabel",stage="Consideration",touchpoint="signup",unit="seconds"} 1.5`,
		`cx_touchpoint_value{metric="visits",namespace="metrics-test-touchpoint-relabel",stage="Consideration",touchpoint="signup",unit="count"} 1000`,
	), touchpointFamilies...)

	// The unit of conversion changed, latency lost its value, visits was
	// removed.
	SetTouchpointValues(ns, "signup", "Consideration", []TouchpointValue{
		{Metric: "conversion", Unit: "percent", Value: 50},
		{Metric: "latency", Unit: "seconds", Value: math.NaN()},
	})
	expectExposition(t, touchpointsIn(ns), family("cx_touchpoint_value", "gauge",
		`cx_touchpoint_value{metric="conversion",namespace="metrics-test-touchpoint-relabel",stage="Consideration",touchpoint="signup",unit="percent"} 50`,
	), touchpointFamilies...)

	// Nothing has a value.
	SetTouchpointValues(ns, "signup", "Consideration", nil)
	if n := testutil.CollectAndCount(touchpointsIn(ns), touchpointFamilies...); n != 0 {
		t.Errorf("%d series without values, want none", n)
	}

	// Values again after none.
	SetTouchpointValues(ns, "signup", "Consideration", []TouchpointValue{{Metric: "visits", Unit: "count", Value: 7}})
	expectExposition(t, touchpointsIn(ns), family("cx_touchpoint_value", "gauge",
		`cx_touchpoint_value{metric="visits",namespace="metrics-test-touchpoint-relabel",stage="Consideration",touchpoint="signup",unit="count"} 7`,
	), touchpointFamilies...)
}

// durationHistogram is the exposition of cx_collector_duration_seconds for
// a namespace whose collectors' runs took observed seconds.
func durationHistogram(ns string, observed ...float64) []string {
	labels := fmt.Sprintf(`namespace=%q`, ns)
	var lines []string
	sum := 0.0
	for _, le := range []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, math.Inf(1)} {
		n := 0
		for _, o := range observed {
			if o <= le {
				n++
			}
		}
		leText := fmt.Sprint(le)
		if math.IsInf(le, 1) {
			leText = "+Inf"
		}
		lines = append(lines, fmt.Sprintf(`cx_collector_duration_seconds_bucket{%s,le=%q} %d`, labels, leText, n))
	}
	for _, o := range observed {
		sum += o
	}
	return append(lines,
		fmt.Sprintf(`cx_collector_duration_seconds_sum{%s} %v`, labels, sum),
		fmt.Sprintf(`cx_collector_duration_seconds_count{%s} %d`, labels, len(observed)))
}

func TestCollectorSeries(t *testing.T) {
	t.Parallel()
	const ns = "metrics-test-touchpoint-collector"
	t.Cleanup(func() { DeleteTouchpoint(ns, "checkout") })

	// InitCollector: both run counters at 0, no duration, no last success.
	InitCollector(ns, "checkout", "prom")
	expectExposition(t, touchpointsIn(ns), family("cx_collector_runs_total", "counter",
		`cx_collector_runs_total{collector="prom",namespace="metrics-test-touchpoint-collector",result="failure",touchpoint="checkout"} 0`,
		`cx_collector_runs_total{collector="prom",namespace="metrics-test-touchpoint-collector",result="success",touchpoint="checkout"} 0`,
	), touchpointFamilies...)
	if n := testutil.CollectAndCount(touchpointsIn(ns), "cx_collector_duration_seconds", "cx_collector_last_duration_seconds",
		"cx_collector_last_success_timestamp_seconds"); n != 0 {
		t.Errorf("%d duration or last-success series before the first run, want none", n)
	}

	// A failed run: counted and timed, no last success.
	ObserveCollectorRun(ns, "checkout", "prom", false, time.Unix(1700000000, 0), 250*time.Millisecond)
	expectExposition(t, touchpointsIn(ns), ""+
		family("cx_collector_runs_total", "counter",
			`cx_collector_runs_total{collector="prom",namespace="metrics-test-touchpoint-collector",result="failure",touchpoint="checkout"} 1`,
			`cx_collector_runs_total{collector="prom",namespace="metrics-test-touchpoint-collector",result="success",touchpoint="checkout"} 0`)+
		family("cx_collector_duration_seconds", "histogram", durationHistogram(ns, 0.25)...)+
		family("cx_collector_last_duration_seconds", "gauge",
			`cx_collector_last_duration_seconds{collector="prom",namespace="metrics-test-touchpoint-collector",touchpoint="checkout"} 0.25`),
		touchpointFamilies...)

	// A successful run: last success is its start, in seconds.
	ObserveCollectorRun(ns, "checkout", "prom", true, time.Unix(1700000060, 500_000_000), 2*time.Second)
	expectExposition(t, touchpointsIn(ns), ""+
		family("cx_collector_runs_total", "counter",
			`cx_collector_runs_total{collector="prom",namespace="metrics-test-touchpoint-collector",result="failure",touchpoint="checkout"} 1`,
			`cx_collector_runs_total{collector="prom",namespace="metrics-test-touchpoint-collector",result="success",touchpoint="checkout"} 1`)+
		family("cx_collector_duration_seconds", "histogram", durationHistogram(ns, 0.25, 2)...)+
		family("cx_collector_last_duration_seconds", "gauge",
			`cx_collector_last_duration_seconds{collector="prom",namespace="metrics-test-touchpoint-collector",touchpoint="checkout"} 2`)+
		family("cx_collector_last_success_timestamp_seconds", "gauge",
			`cx_collector_last_success_timestamp_seconds{collector="prom",namespace="metrics-test-touchpoint-collector",touchpoint="checkout"} 1700000060.5`),
		touchpointFamilies...)

	// Another failure keeps the last success.
	ObserveCollectorRun(ns, "checkout", "prom", false, time.Unix(1700000120, 0), 40*time.Second)
	expectExposition(t, touchpointsIn(ns), ""+
		family("cx_collector_runs_total", "counter",
			`cx_collector_runs_total{collector="prom",namespace="metrics-test-touchpoint-collector",result="failure",touchpoint="checkout"} 2`,
			`cx_collector_runs_total{collector="prom",namespace="metrics-test-touchpoint-collector",result="success",touchpoint="checkout"} 1`)+
		family("cx_collector_duration_seconds", "histogram", durationHistogram(ns, 0.25, 2, 40)...)+
		family("cx_collector_last_duration_seconds", "gauge",
			`cx_collector_last_duration_seconds{collector="prom",namespace="metrics-test-touchpoint-collector",touchpoint="checkout"} 40`)+
		family("cx_collector_last_success_timestamp_seconds", "gauge",
			`cx_collector_last_success_timestamp_seconds{collector="prom",namespace="metrics-test-touchpoint-collector",touchpoint="checkout"} 1700000060.5`),
		touchpointFamilies...)

	// InitCollector again (a restart of the schedule) resets nothing.
	InitCollector(ns, "checkout", "prom")
	if got := testutil.ToFloat64(collectorRuns.WithLabelValues(ns, "checkout", "prom", CollectorResultFailure)); got != 2 {
		t.Errorf("failure runs after a second InitCollector = %v, want 2", got)
	}
}

// A collector that first runs without InitCollector still gets a counter
// per result it had; a success first sets the last success.
func TestObserveCollectorRunWithoutInit(t *testing.T) {
	t.Parallel()
	const ns = "metrics-test-touchpoint-noinit"
	t.Cleanup(func() { DeleteTouchpoint(ns, "tp") })

	ObserveCollectorRun(ns, "tp", "http", true, time.Unix(1600000000, 0), 10*time.Millisecond)
	expectExposition(t, touchpointsIn(ns), ""+
		family("cx_collector_runs_total", "counter",
			`cx_collector_runs_total{collector="http",namespace="metrics-test-touchpoint-noinit",result="success",touchpoint="tp"} 1`)+
		family("cx_collector_duration_seconds", "histogram", durationHistogram(ns, 0.01)...)+
		family("cx_collector_last_duration_seconds", "gauge",
			`cx_collector_last_duration_seconds{collector="http",namespace="metrics-test-touchpoint-noinit",touchpoint="tp"} 0.01`)+
		family("cx_collector_last_success_timestamp_seconds", "gauge",
			`cx_collector_last_success_timestamp_seconds{collector="http",namespace="metrics-test-touchpoint-noinit",touchpoint="tp"} 1600000000`),
		touchpointFamilies...)
}

// DeleteCollector removes the series of one collector of one Touchpoint:
// not those of its other collectors, nor those of a collector of the same
// name on another Touchpoint, nor the Touchpoint's values.
func TestDeleteCollector(t *testing.T) {
	t.Parallel()
	const ns = "metrics-test-touchpoint-delete-collector"
	t.Cleanup(func() {
		DeleteTouchpoint(ns, "a")
		DeleteTouchpoint(ns, "b")
	})
	start := time.Unix(1700000000, 0)
	for _, tc := range []struct{ tp, collector string }{{"a", "c1"}, {"a", "c2"}, {"b", "c1"}} {
		InitCollector(ns, tc.tp, tc.collector)
		ObserveCollectorRun(ns, tc.tp, tc.collector, true, start, time.Second)
	}
	SetTouchpointValues(ns, "a", "Purchase", []TouchpointValue{{Metric: "c1", Unit: "count", Value: 3}})

	DeleteCollector(ns, "a", "c1")

	expectExposition(t, touchpointsIn(ns), ""+
		family("cx_touchpoint_value", "gauge",
			`cx_touchpoint_value{metric="c1",namespace="metrics-test-touchpoint-delete-collector",stage="Purchase",touchpoint="a",unit="count"} 3`)+
		family("cx_collector_runs_total", "counter",
			`cx_collector_runs_total{collector="c2",namespace="metrics-test-touchpoint-delete-collector",result="failure",touchpoint="a"} 0`,
			`cx_collector_runs_total{collector="c2",namespace="metrics-test-touchpoint-delete-collector",result="success",touchpoint="a"} 1`,
			`cx_collector_runs_total{collector="c1",namespace="metrics-test-touchpoint-delete-collector",result="failure",touchpoint="b"} 0`,
			`cx_collector_runs_total{collector="c1",namespace="metrics-test-touchpoint-delete-collector",result="success",touchpoint="b"} 1`)+
		family("cx_collector_duration_seconds", "histogram", durationHistogram(ns, 1, 1, 1)...)+
		family("cx_collector_last_duration_seconds", "gauge",
			`cx_collector_last_duration_seconds{collector="c2",namespace="metrics-test-touchpoint-delete-collector",touchpoint="a"} 1`,
			`cx_collector_last_duration_seconds{collector="c1",namespace="metrics-test-touchpoint-delete-collector",touchpoint="b"} 1`)+
		family("cx_collector_last_success_timestamp_seconds", "gauge",
			`cx_collector_last_success_timestamp_seconds{collector="c2",namespace="metrics-test-touchpoint-delete-collector",touchpoint="a"} 1700000000`,
			`cx_collector_last_success_timestamp_seconds{collector="c1",namespace="metrics-test-touchpoint-delete-collector",touchpoint="b"} 1700000000`),
		touchpointFamilies...)
}

// DeleteTouchpoint removes every series of a Touchpoint, values and
// collectors, and none of another Touchpoint's (same namespace, or same
// name elsewhere). The series of a Survey of that Touchpoint are the
// Survey's: they stay.
func TestDeleteTouchpoint(t *testing.T) {
	t.Parallel()
	const ns, otherNS = "metrics-test-touchpoint-delete", "metrics-test-touchpoint-delete-other"
	t.Cleanup(func() {
		DeleteTouchpoint(ns, "a")
		DeleteTouchpoint(ns, "b")
		DeleteTouchpoint(otherNS, "a")
		DeleteSurvey(ns, "survey-of-a")
	})
	start := time.Unix(1700000000, 0)
	publish := func(ns, tp string) {
		SetTouchpointValues(ns, tp, "Retention", []TouchpointValue{
			{Metric: "churn", Unit: "ratio", Value: 0.125},
			{Metric: "tickets", Unit: "count", Value: 12},
		})
		InitCollector(ns, tp, "prom")
		ObserveCollectorRun(ns, tp, "prom", true, start, 500*time.Millisecond)
		InitCollector(ns, tp, "http")
		ObserveCollectorRun(ns, tp, "http", false, start, 5*time.Second)
	}
	publish(ns, "a")
	publish(ns, "b")
	publish(otherNS, "a")
	SetSurvey(SurveyLabels{Namespace: ns, Survey: "survey-of-a", Touchpoint: "a", Type: "CSAT"}, SurveyValues{
		Score: 90, MarginOfError: math.NaN(), Responses: 10, MinResponses: 5,
		PromoterRatio: math.NaN(), PassiveRatio: math.NaN(), DetractorRatio: math.NaN()})
	// Per Touchpoint: 2 values, 4 run counters, 2 last durations, 1 last
	// success; per namespace, 1 duration histogram.
	if n := testutil.CollectAndCount(touchpointsIn(otherNS), touchpointFamilies...); n != 10 {
		t.Fatalf("%d series of %s/a, want 10", n, otherNS)
	}

	DeleteTouchpoint(ns, "a")

	// The namespace's histogram keeps the runs of the deleted Touchpoint:
	// it goes with the namespace's last collector.
	want := func(ns, tp string, observed ...float64) string {
		return "" +
			family("cx_touchpoint_value", "gauge",
				fmt.Sprintf(`cx_touchpoint_value{metric="churn",namespace=%q,stage="Retention",touchpoint=%q,unit="ratio"} 0.125`, ns, tp),
				fmt.Sprintf(`cx_touchpoint_value{metric="tickets",namespace=%q,stage="Retention",touchpoint=%q,unit="count"} 12`, ns, tp)) +
			family("cx_collector_runs_total", "counter",
				fmt.Sprintf(`cx_collector_runs_total{collector="http",namespace=%q,result="failure",touchpoint=%q} 1`, ns, tp),
				fmt.Sprintf(`cx_collector_runs_total{collector="http",namespace=%q,result="success",touchpoint=%q} 0`, ns, tp),
				fmt.Sprintf(`cx_collector_runs_total{collector="prom",namespace=%q,result="failure",touchpoint=%q} 0`, ns, tp),
				fmt.Sprintf(`cx_collector_runs_total{collector="prom",namespace=%q,result="success",touchpoint=%q} 1`, ns, tp)) +
			family("cx_collector_duration_seconds", "histogram", durationHistogram(ns, observed...)...) +
			family("cx_collector_last_duration_seconds", "gauge",
				fmt.Sprintf(`cx_collector_last_duration_seconds{collector="http",namespace=%q,touchpoint=%q} 5`, ns, tp),
				fmt.Sprintf(`cx_collector_last_duration_seconds{collector="prom",namespace=%q,touchpoint=%q} 0.5`, ns, tp)) +
			family("cx_collector_last_success_timestamp_seconds", "gauge",
				fmt.Sprintf(`cx_collector_last_success_timestamp_seconds{collector="prom",namespace=%q,touchpoint=%q} 1700000000`, ns, tp))
	}
	expectExposition(t, touchpointsIn(ns), want(ns, "b", 0.5, 5, 0.5, 5), touchpointFamilies...)
	expectExposition(t, touchpointsIn(otherNS), want(otherNS, "a", 0.5, 5), touchpointFamilies...)
	if n := testutil.CollectAndCount(surveysIn(ns), surveyFamilies...); n != 3 {
		t.Errorf("%d series of the Survey of the deleted Touchpoint, want 3 (score, responses, min responses)", n)
	}

	// Published again after its deletion, then deleted: all gone again.
	publish(ns, "a")
	if n := testutil.CollectAndCount(touchpointsIn(ns), touchpointFamilies...); n != 19 {
		t.Errorf("%d series in %s after publishing a again, want 19", n, ns)
	}
	DeleteTouchpoint(ns, "a")
	DeleteTouchpoint(ns, "b")
	if n := testutil.CollectAndCount(touchpointsIn(ns), touchpointFamilies...); n != 0 {
		t.Errorf("%d series in %s after deleting both, want none", n, ns)
	}
	if n := testutil.CollectAndCount(touchpointsIn(otherNS), touchpointFamilies...); n != 10 {
		t.Errorf("%d series of %s/a, want 10", n, otherNS)
	}
}
