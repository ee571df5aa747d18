// Package scorecard decides what a Scorecard's status says: it turns the
// card's API objects into the inputs of its Kubernetes-free core
// (internal/scorecard/verdict) and the verdict back into status. Target
// bounds and thresholds from Quantities, the value an objective reads from
// a Survey, Touchpoint or Scorecard status (or why it has none), the
// objectives' status and the Ready condition. It reads API types but talks
// to no server, so the Scorecard controller only fetches the sources and
// writes what this package computes.
//
// Imports: api/v1alpha1, apimachinery types, internal/scorecard/verdict.
package scorecard

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/scorecard/verdict"
)

// QuantityFloat is a Quantity as the nearest float64 of its decimal
// value: "0.6" is 0.6, where AsApproximateFloat64 computes
// 6 * 10^-1 = 0.6000000000000001 and would fail a value of exactly 0.6
// against a maximum of 0.6.
func QuantityFloat(q resource.Quantity) float64 {
	f, err := strconv.ParseFloat(q.AsDec().String(), 64)
	if err != nil {
		return q.AsApproximateFloat64()
	}
	return f
}

// Bounds converts an API target into evaluate bounds; an unset side stays
// open.
func Bounds(t cxv1alpha1.Target) verdict.Bounds {
	var b verdict.Bounds
	if t.Min != nil {
		v := QuantityFloat(*t.Min)
		b.Min = &v
	}
	if t.Max != nil {
		v := QuantityFloat(*t.Max)
		b.Max = &v
	}
	return b
}

// Thresholds are the card's pass and warning thresholds as numbers, the
// API defaults when the spec leaves them out. It reads the exact decimal
// (QuantityFloat), so that a score equal to a threshold meets it.
func Thresholds(spec *cxv1alpha1.ScorecardSpec) verdict.Thresholds {
	if spec.Thresholds == nil {
		return verdict.Thresholds{Pass: cxv1alpha1.DefaultThresholdPass, Warning: cxv1alpha1.DefaultThresholdWarning}
	}
	return verdict.Thresholds{Pass: QuantityFloat(spec.Thresholds.Pass), Warning: QuantityFloat(spec.Thresholds.Warning)}
}

// Input is an objective ready for evaluation but for its value: name,
// bounds, weight and key flag. SetValue completes it once the source has
// been read.
func Input(o cxv1alpha1.Objective) verdict.Objective {
	in := verdict.Objective{
		Name:     o.Name,
		Target:   Bounds(o.Target),
		Weight:   o.WeightOrDefault(),
		Key:      o.Key,
		Decision: verdict.Decision(o.DecisionOrDefault()),
	}
	if o.Warning != nil {
		w := Bounds(*o.Warning)
		in.Warning = &w
	}
	return in
}

// SetValue gives an input the value its source published as display
// text. Empty text means no value, for noDataReason; text that is not a
// number means no value either, and says so, rather than reading as 0.
func SetValue(in *verdict.Objective, text, noDataReason string) {
	in.NoDataReason = noDataReason
	if text == "" {
		return
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil {
		in.NoDataReason = fmt.Sprintf("the source published %q, which is not a number", text)
		return
	}
	in.Value, in.HasValue = v, true
}

// SurveyValue reads one value of a Survey's status: the display string,
// or "" and the reason there is none. Below the survey's minimum sample
// size (DataSufficient not True) only Responses can be read: a score from
// too few answers must not pass an objective.
func SurveyValue(svy *cxv1alpha1.Survey, value cxv1alpha1.SurveyValue) (text, noDataReason string) {
	name := svy.Name
	if value == "" {
		value = cxv1alpha1.SurveyValueScore
	}
	st := &svy.Status
	if st.ObservedGeneration == 0 {
		return "", fmt.Sprintf("survey %q has not been evaluated yet", name)
	}
	if value == cxv1alpha1.SurveyValueResponses {
		return strconv.FormatInt(st.Responses, 10), ""
	}
	if c := meta.FindStatusCondition(st.Conditions, cxv1alpha1.ConditionDataSufficient); c == nil || c.Status != metav1.ConditionTrue {
		if c == nil {
			return "", fmt.Sprintf("survey %q has not reported whether its data is sufficient", name)
		}
		return "", fmt.Sprintf("survey %q has insufficient data: %s", name, c.Message)
	}
	switch value {
	case cxv1alpha1.SurveyValueScore:
		text = st.Score
	case cxv1alpha1.SurveyValueMarginOfError:
		text = st.MarginOfError
	case cxv1alpha1.SurveyValueMean:
		text = st.Mean
	case cxv1alpha1.SurveyValueThresholdPercent:
		text = st.ThresholdPercent
	case cxv1alpha1.SurveyValuePromoterPercent:
		if st.NPS != nil {
			text = st.NPS.PromoterPercent
		}
	case cxv1alpha1.SurveyValueDetractorPercent:
		if st.NPS != nil {
			text = st.NPS.DetractorPercent
		}
	}
	if text == "" {
		return "", fmt.Sprintf("survey %q publishes no %s", name, value)
	}
	return text, ""
}

// TouchpointValue reads one metric of a Touchpoint's status: the display
// string, or "" and the reason there is none (the collector's reason when
// it gave one).
func TouchpointValue(tp *cxv1alpha1.Touchpoint, metric string) (text, noDataReason string) {
	for _, m := range tp.Status.Metrics {
		if m.Name != metric {
			continue
		}
		if m.Value != "" {
			return m.Value, ""
		}
		if m.Reason != "" {
			return "", fmt.Sprintf("touchpoint %q metric %s has no value: %s", tp.Name, metric, m.Reason)
		}
		return "", fmt.Sprintf("touchpoint %q metric %s has no value yet", tp.Name, metric)
	}
	return "", fmt.Sprintf("touchpoint %q has no metric %s (yet)", tp.Name, metric)
}

// NestedCardValue reads the score of a nested Scorecard: the display
// string, or "" and the reason there is none (not evaluated yet).
func NestedCardValue(sc *cxv1alpha1.Scorecard) (text, noDataReason string) {
	if sc.Status.Score == "" {
		return "", fmt.Sprintf("scorecard %q has no score yet", sc.Name)
	}
	return sc.Status.Score, ""
}

// CycleReason is the no-data reason of an objective whose nested card
// lies on a reference cycle: such a card's score depends on itself, so it
// is not read at all.
func CycleReason(cycle []string) string {
	return "reference cycle: " + strings.Join(cycle, " -> ")
}

// NoSourceReason is the no-data reason of an objective that names no
// source (the API forbids it; an older object may still have one).
const NoSourceReason = "the objective names no source"

// SourceNotFound describes the source an objective names when it does not
// exist: missing names it for the Ready message, noDataReason is the
// objective's reason. Both are empty for an objective without a source.
func SourceNotFound(o cxv1alpha1.Objective) (missing, noDataReason string) {
	var kind, name string
	switch {
	case o.Survey != nil:
		kind, name = "survey", o.Survey.Name
	case o.Touchpoint != nil:
		kind, name = "touchpoint", o.Touchpoint.Name
	case o.Scorecard != nil:
		kind, name = "scorecard", o.Scorecard.Name
	default:
		return "", ""
	}
	return fmt.Sprintf("%s %q (objective %s)", kind, name, o.Name), fmt.Sprintf("%s %q does not exist", kind, name)
}

// Statuses renders the evaluation for status.objectives, one entry per
// input, in order. An objective without data shows no value, so that a
// stale or unparsable number never appears next to NoData.
func Statuses(inputs []verdict.Objective, card verdict.CardResult) []cxv1alpha1.ObjectiveStatus {
	out := make([]cxv1alpha1.ObjectiveStatus, 0, len(card.Objectives))
	for i, o := range card.Objectives {
		in := inputs[i]
		s := cxv1alpha1.ObjectiveStatus{
			Name:   o.Name,
			Target: in.Target.String(),
			Result: cxv1alpha1.ObjectiveResult(o.Result),
			Score:  verdict.FormatScore(o.Earned),
			Weight: o.Weight,
			Key:    o.Key,
			Reason: o.Reason,
		}
		if in.Warning != nil {
			s.Warning = in.Warning.String()
		}
		if o.Result != verdict.NoData {
			s.Value = verdict.FormatNumber(in.Value)
		}
		out = append(out, s)
	}
	return out
}

// Ready is the Ready condition of an evaluated card (type, status, reason
// and message; the caller sets the generation): False for a reference
// cycle (each path named once, by the first objective on it) or a missing
// source, True otherwise. Objectives without data are counted in the
// message: they are data, not a failure to reconcile.
func Ready(spec *cxv1alpha1.ScorecardSpec, card verdict.CardResult, cycles map[string][]string, missing []string) metav1.Condition {
	c := metav1.Condition{Type: cxv1alpha1.ConditionReady}
	switch {
	case len(cycles) > 0:
		var paths []string
		seen := map[string]bool{}
		for _, o := range spec.Objectives {
			p, ok := cycles[o.Name]
			if !ok {
				continue
			}
			path := strings.Join(p, " -> ")
			if !seen[path] {
				seen[path] = true
				paths = append(paths, path+" (objective "+o.Name+")")
			}
		}
		c.Status, c.Reason = metav1.ConditionFalse, cxv1alpha1.ReasonReferenceCycle
		c.Message = "scorecards refer to each other in a cycle, so those objectives have no data: " + strings.Join(paths, "; ")
	case len(missing) > 0:
		c.Status, c.Reason = metav1.ConditionFalse, cxv1alpha1.ReasonSourceNotFound
		c.Message = "missing sources, whose objectives have no data: " + strings.Join(missing, ", ")
	default:
		c.Status, c.Reason = metav1.ConditionTrue, cxv1alpha1.ReasonObjectivesEvaluated
		c.Message = fmt.Sprintf("%d objectives evaluated: score %s, result %s (%s)",
			len(card.Objectives), verdict.FormatScore(card.Score), card.Result, card.Reason)
		if n := len(card.NoData); n > 0 {
			c.Message += fmt.Sprintf("; %d of %d objectives have no data and score 0: %s",
				n, len(card.Objectives), strings.Join(card.NoData, ", "))
		}
		if n := len(card.Inconclusive); n > 0 {
			c.Message += fmt.Sprintf("; %d of %d objectives are inconclusive (their interval cannot tell) and score half: %s",
				n, len(card.Objectives), strings.Join(card.Inconclusive, ", "))
		}
	}
	return c
}
