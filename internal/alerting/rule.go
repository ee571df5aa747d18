// Package alerting builds the PrometheusRule a Scorecard asks for with
// spec.alerting: one alert per objective and one for the card's result,
// over the cx_scorecard_* series. It only shapes the object; writing it,
// and finding out whether the prometheus-operator CRD is installed, is
// the Scorecard controller's job. The rule is unstructured, so that
// Touchstone needs neither the prometheus-operator module nor its CRD to
// build.
package alerting

import (
	"fmt"
	"maps"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/scorecard"
	"github.com/touchstone-dev/touchstone/internal/scorecard/verdict"
)

// PrometheusRuleGVK is the prometheus-operator kind written for
// spec.alerting.
var PrometheusRuleGVK = schema.GroupVersionKind{Group: "monitoring.coreos.com", Version: "v1", Kind: "PrometheusRule"}

// Names of the generated alerts. One name per kind of alert, told apart by
// the namespace, scorecard and objective labels of the series they watch.
const (
	AlertObjectiveNotMet = "CXScorecardObjectiveNotMet"
	AlertScorecardFailed = "CXScorecardFailing"
)

// RuleFor returns the PrometheusRule for a Scorecard with spec.alerting:
// named after the card, in its namespace, controlled by it, with one
// group holding
//   - per objective, alert CXScorecardObjectiveNotMet on
//     cx_scorecard_objective_met{namespace,scorecard,objective} == 0 (not
//     met: Warning, Fail or no data) for spec.alerting.for, with severity
//     objectiveSeverity or the objective's alertSeverity; for an objective
//     with decision Confident, "unless" its
//     cx_scorecard_objective_result{result="Inconclusive"} is 1, so that
//     it alerts only on confident failures (and on no data), never
//     because the interval cannot tell yet;
//   - alert CXScorecardFailing on
//     cx_scorecard_result{namespace,scorecard,result="Fail"} == 1 for
//     spec.alerting.for, with severity resultSeverity.
//
// Every alert carries spec.alerting.labels and a generated summary and
// description, which spec.alerting.annotations may replace or add to.
// It returns nil when the card does not ask for alerts.
func RuleFor(sc *cxv1alpha1.Scorecard) *unstructured.Unstructured {
	a := sc.Spec.Alerting
	if a == nil {
		return nil
	}
	ns, name := sc.Namespace, sc.Name
	forText := promDuration(a.ForOrDefault())
	objectiveSeverity := orDefault(a.ObjectiveSeverity, "warning")
	resultSeverity := orDefault(a.ResultSeverity, "critical")
	card := fmt.Sprintf("%s/%s", ns, name)
	look := fmt.Sprintf("`kubectl -n %s get scorecard %s -o yaml` shows the values and reasons.", ns, name)

	var rules []any
	for _, o := range sc.Spec.Objectives {
		target := scorecard.Bounds(o.Target).String()
		if o.Warning != nil {
			target += " (warning band " + scorecard.Bounds(*o.Warning).String() + ")"
		}
		desc := fmt.Sprintf("Objective %s of scorecard %s reads %s and has not met its target %s for %s: its result is Warning, Fail or NoData.",
			o.Name, card, sourceText(o), target, forText)
		if o.Key {
			desc += " It is a key objective: the scorecard fails while it fails or has no data."
		}
		expr := fmt.Sprintf("cx_scorecard_objective_met{namespace=%q,scorecard=%q,objective=%q} == 0", ns, name, o.Name)
		if o.DecisionOrDefault() == cxv1alpha1.DecisionConfident {
			desc += " Its decision is Confident: an Inconclusive result (the interval cannot tell) does not alert."
			expr += fmt.Sprintf(" unless on (namespace, scorecard, objective) cx_scorecard_objective_result{namespace=%q,scorecard=%q,objective=%q,result=\"Inconclusive\"} == 1",
				ns, name, o.Name)
		}
		rules = append(rules, map[string]any{
			"alert":  AlertObjectiveNotMet,
			"expr":   expr,
			"for":    forText,
			"labels": alertLabels(a.Labels, orDefault(o.AlertSeverity, objectiveSeverity), "objective", o.Name),
			"annotations": alertAnnotations(a.Annotations,
				fmt.Sprintf("CX objective %s of scorecard %s is not met", o.Name, card), desc+" "+look),
		})
	}
	th := scorecard.Thresholds(&sc.Spec)
	rules = append(rules, map[string]any{
		"alert":  AlertScorecardFailed,
		"expr":   fmt.Sprintf("cx_scorecard_result{namespace=%q,scorecard=%q,result=\"Fail\"} == 1", ns, name),
		"for":    forText,
		"labels": alertLabels(a.Labels, resultSeverity),
		"annotations": alertAnnotations(a.Annotations,
			fmt.Sprintf("CX scorecard %s is failing", card),
			fmt.Sprintf("Scorecard %s has had the result Fail for %s: its score is below the warning threshold %s (pass at %s), or a key objective fails or has no data. %s",
				card, forText, verdict.FormatNumber(th.Warning), verdict.FormatNumber(th.Pass), look)),
	})

	u := &unstructured.Unstructured{Object: map[string]any{
		"spec": map[string]any{
			"groups": []any{map[string]any{
				"name":  fmt.Sprintf("cx.scorecard.%s.%s", ns, name),
				"rules": rules,
			}},
		},
	}}
	u.SetGroupVersionKind(PrometheusRuleGVK)
	u.SetNamespace(ns)
	u.SetName(name)
	labels := map[string]string{}
	maps.Copy(labels, a.RuleLabels)
	labels["app.kubernetes.io/managed-by"] = "touchstone"
	labels["cx.touchstone.dev/scorecard"] = name
	u.SetLabels(labels)
	u.SetOwnerReferences([]metav1.OwnerReference{*metav1.NewControllerRef(sc, cxv1alpha1.GroupVersion.WithKind("Scorecard"))})
	return u
}

// sourceText names an objective's source for an alert description.
func sourceText(o cxv1alpha1.Objective) string {
	switch {
	case o.Survey != nil:
		return fmt.Sprintf("survey %s (%s)", o.Survey.Name, orDefault(string(o.Survey.Value), string(cxv1alpha1.SurveyValueScore)))
	case o.Touchpoint != nil:
		return fmt.Sprintf("metric %s of touchpoint %s", o.Touchpoint.Metric, o.Touchpoint.Name)
	case o.Scorecard != nil:
		return fmt.Sprintf("the score of scorecard %s", o.Scorecard.Name)
	}
	return "no source"
}

// alertLabels are the user's labels plus the severity and the given
// label pairs, as unstructured values. The objective rules carry the
// objective's name (the same value as on the series they watch), so that
// no two rules of a group have the same name and labels.
func alertLabels(user map[string]string, severity string, pairs ...string) map[string]any {
	out := map[string]any{}
	for k, v := range user {
		out[k] = v
	}
	out["severity"] = severity
	for i := 0; i+1 < len(pairs); i += 2 {
		out[pairs[i]] = pairs[i+1]
	}
	return out
}

// alertAnnotations are the generated summary and description, replaced or
// completed by the user's annotations.
func alertAnnotations(user map[string]string, summary, description string) map[string]any {
	out := map[string]any{"summary": summary, "description": description}
	for k, v := range user {
		out[k] = v
	}
	return out
}

// orDefault is s, or def when s is empty (an unset optional field).
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// promDuration renders a duration the way Prometheus and the
// PrometheusRule CRD write them: 30m, 1h30m, 1m30s, 500ms.
func promDuration(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	var b strings.Builder
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}, {time.Millisecond, "ms"}} {
		if n := d / u.unit; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.name)
			d -= n * u.unit
		}
	}
	if b.Len() == 0 {
		return "0s"
	}
	return b.String()
}
