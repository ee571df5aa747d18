package metrics

import (
	"math"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

var journeyFamilies = []string{
	"cx_journey_stage_satisfaction", "cx_journey_stage_margin_of_error", "cx_journey_stage_touchpoints",
	"cx_journey_coverage_ratio", "cx_journey_spread",
}

func journeysIn(namespaces ...string) prometheus.Collector {
	return inNamespaces(namespaces, journeyStageSatisfaction, journeyStageMarginOfError, journeyStageTouchpoints,
		journeyCoverageRatio, journeySpread)
}

func TestSetJourneyPublishesEverySeries(t *testing.T) {
	t.Parallel()
	const ns = "metrics-test-journey-set"
	t.Cleanup(func() { DeleteJourney(ns, "customer") })

	SetJourney(ns, "customer", JourneyValues{CoverageRatio: 0.5, Spread: 12.5, Stages: []JourneyStage{
		{Stage: "Support", Satisfaction: 72.5, MarginOfError: 3.95, Touchpoints: 2, Measured: 1},
		{Stage: "Billing", Satisfaction: math.NaN(), MarginOfError: math.NaN(), Touchpoints: 1, Measured: 0},
	}})

	expectExposition(t, journeysIn(ns), ""+
		family("cx_journey_stage_satisfaction", "gauge",
			`cx_journey_stage_satisfaction{journey="customer",namespace="metrics-test-journey-set",stage="Support"} 72.5`)+
		family("cx_journey_stage_margin_of_error", "gauge",
			`cx_journey_stage_margin_of_error{journey="customer",namespace="metrics-test-journey-set",stage="Support"} 3.95`)+
		family("cx_journey_stage_touchpoints", "gauge",
			`cx_journey_stage_touchpoints{journey="customer",measured="false",namespace="metrics-test-journey-set",stage="Billing"} 1`,
			`cx_journey_stage_touchpoints{journey="customer",measured="false",namespace="metrics-test-journey-set",stage="Support"} 1`,
			`cx_journey_stage_touchpoints{journey="customer",measured="true",namespace="metrics-test-journey-set",stage="Billing"} 0`,
			`cx_journey_stage_touchpoints{journey="customer",measured="true",namespace="metrics-test-journey-set",stage="Support"} 1`)+
		family("cx_journey_coverage_ratio", "gauge",
			`cx_journey_coverage_ratio{journey="customer",namespace="metrics-test-journey-set"} 0.5`)+
		family("cx_journey_spread", "gauge",
			`cx_journey_spread{journey="customer",namespace="metrics-test-journey-set"} 12.5`),
		journeyFamilies...)
}

// An update removes the series of a stage no longer declared and of a
// satisfaction that went missing; the spread goes when it is undefined.
func TestSetJourneyUpdate(t *testing.T) {
	t.Parallel()
	const ns = "metrics-test-journey-update"
	t.Cleanup(func() { DeleteJourney(ns, "customer") })

	SetJourney(ns, "customer", JourneyValues{CoverageRatio: 1, Spread: 12.5, Stages: []JourneyStage{
		{Stage: "Support", Satisfaction: 72.5, MarginOfError: 3.95, Touchpoints: 1, Measured: 1},
		{Stage: "Advocacy", Satisfaction: 85, MarginOfError: 4, Touchpoints: 1, Measured: 1},
	}})
	SetJourney(ns, "customer", JourneyValues{CoverageRatio: 1, Spread: math.NaN(), Stages: []JourneyStage{
		{Stage: "Support", Satisfaction: math.NaN(), MarginOfError: math.NaN(), Touchpoints: 1, Measured: 1},
	}})

	expectExposition(t, journeysIn(ns), ""+
		family("cx_journey_stage_touchpoints", "gauge",
			`cx_journey_stage_touchpoints{journey="customer",measured="false",namespace="metrics-test-journey-update",stage="Support"} 0`,
			`cx_journey_stage_touchpoints{journey="customer",measured="true",namespace="metrics-test-journey-update",stage="Support"} 1`)+
		family("cx_journey_coverage_ratio", "gauge",
			`cx_journey_coverage_ratio{journey="customer",namespace="metrics-test-journey-update"} 1`),
		journeyFamilies...)
}

// DeleteJourney removes every series of one Journey and none of another's.
func TestDeleteJourney(t *testing.T) {
	t.Parallel()
	const ns = "metrics-test-journey-delete"
	t.Cleanup(func() { DeleteJourney(ns, "a"); DeleteJourney(ns, "b") })
	v := JourneyValues{CoverageRatio: 1, Spread: 3, Stages: []JourneyStage{{Stage: "Support", Satisfaction: 70, MarginOfError: 2, Touchpoints: 1, Measured: 1}}}
	SetJourney(ns, "a", v)
	SetJourney(ns, "b", v)
	DeleteJourney(ns, "a")
	if n := testutil.CollectAndCount(where("journey", "a", journeysIn(ns)), journeyFamilies...); n != 0 {
		t.Errorf("%d series of the deleted journey a", n)
	}
	if n := testutil.CollectAndCount(where("journey", "b", journeysIn(ns)), journeyFamilies...); n != 6 {
		t.Errorf("%d series of journey b, want 6", n)
	}
}
