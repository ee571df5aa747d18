package journey

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
)

// Conditions are a Journey's Ready and StagesMeasured conditions (the
// controller sets their generation).
//
// Ready is False for a selector that cannot be parsed (InvalidSpec), then
// for a map without Touchpoints (NoTouchpoints), then for a missing
// Scorecard (ScorecardNotFound); True (Mapped) otherwise, unmeasured
// stages included: a gap is what the map is for, not a failure.
// StagesMeasured is True when every declared stage has a measured
// Touchpoint, False naming the stages that have none.
func Conditions(spec *cxv1alpha1.JourneySpec, m Map, src Sources) []metav1.Condition {
	return []metav1.Condition{ready(spec, m, src), stagesMeasured(m)}
}

func ready(spec *cxv1alpha1.JourneySpec, m Map, src Sources) metav1.Condition {
	c := metav1.Condition{Type: cxv1alpha1.ConditionReady, Status: metav1.ConditionFalse}
	switch {
	case src.SelectorError != nil:
		c.Reason = cxv1alpha1.ReasonInvalidSpec
		c.Message = "spec.touchpointSelector: " + src.SelectorError.Error()
	case m.Touchpoints == 0:
		c.Reason = cxv1alpha1.ReasonNoTouchpoints
		c.Message = noTouchpointsMessage(spec, m)
	case src.ScorecardMissing:
		c.Reason = cxv1alpha1.ReasonScorecardNotFound
		c.Message = fmt.Sprintf("scorecard %q named in spec.scorecardRef does not exist", spec.ScorecardRef.Name)
	default:
		c.Status, c.Reason = metav1.ConditionTrue, cxv1alpha1.ReasonMapped
		c.Message = fmt.Sprintf("%d of %d stages measured; %s on the map, %d without a measurement",
			m.MeasuredStages(), len(m.Stages), touchpoints(m.Touchpoints), len(m.Unmeasured))
		if m.Outside > 0 {
			c.Message += fmt.Sprintf("; %s selected in stages spec.stages leaves out", touchpoints(m.Outside))
		}
	}
	return c
}

// noTouchpointsMessage says why a map is empty: nothing selected, or only
// Touchpoints of undeclared stages.
func noTouchpointsMessage(spec *cxv1alpha1.JourneySpec, m Map) string {
	if m.Outside > 0 {
		return fmt.Sprintf("spec.touchpointSelector selects %s, all in stages spec.stages leaves out", touchpoints(m.Outside))
	}
	sel := spec.TouchpointSelector
	if sel == nil || (len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0) {
		return "the namespace has no Touchpoint (spec.touchpointSelector selects every Touchpoint of the namespace)"
	}
	return "spec.touchpointSelector matches no Touchpoint in the namespace: " + metav1.FormatLabelSelector(sel)
}

func stagesMeasured(m Map) metav1.Condition {
	var gaps []string
	for _, s := range m.Stages {
		switch {
		case s.Touchpoints == 0:
			gaps = append(gaps, fmt.Sprintf("%s (no Touchpoint)", s.Name))
		case s.Measured == 0:
			gaps = append(gaps, fmt.Sprintf("%s (%s, none measured)", s.Name, touchpoints(s.Touchpoints)))
		}
	}
	if len(gaps) == 0 {
		return metav1.Condition{Type: cxv1alpha1.ConditionStagesMeasured, Status: metav1.ConditionTrue,
			Reason: cxv1alpha1.ReasonAllStagesMeasured, Message: fmt.Sprintf("all %d declared stages have a measured Touchpoint", len(m.Stages))}
	}
	return metav1.Condition{Type: cxv1alpha1.ConditionStagesMeasured, Status: metav1.ConditionFalse,
		Reason:  cxv1alpha1.ReasonStagesUnmeasured,
		Message: fmt.Sprintf("%d of %d declared stages have no measured Touchpoint: %s", len(gaps), len(m.Stages), strings.Join(gaps, ", "))}
}

// touchpoints renders "1 Touchpoint", "3 Touchpoints".
func touchpoints(n int) string {
	if n == 1 {
		return "1 Touchpoint"
	}
	return fmt.Sprintf("%d Touchpoints", n)
}
