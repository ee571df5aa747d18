package alerting_test

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/alerting"
	"github.com/touchstone-dev/touchstone/internal/fixtures"
	"github.com/touchstone-dev/touchstone/internal/testenv"
)

// updateGolden rewrites the golden files: go test ./internal/alerting/ -run Golden -update
var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/ with the current output")

// alertingCards are the cards of the golden files, one per file in
// testdata/.
func alertingCards() map[string]*cxv1alpha1.Scorecard {
	support := fixtures.Scorecard("shop", "support-experience",
		fixtures.AsKey(fixtures.Confident(fixtures.FromSurvey(fixtures.Objective("csat", 3, "80..", "70.."), "support-csat", ""))),
		fixtures.FromSurvey(fixtures.Objective("enough-answers", 1, "30..", ""), "support-csat", cxv1alpha1.SurveyValueResponses),
		fixtures.FromTouchpoint(fixtures.Objective("first-response", 2, "..7200", "..14400"), "helpdesk", "first_response_seconds"),
		fixtures.FromTouchpoint(fixtures.Objective("backlog", 1, "..15", "..25"), "helpdesk", "backlog_per_agent"),
	)
	support.UID = "7a4c1e0e-5b8e-4f63-9d5a-2f4f7f0b1c11"
	support.Spec.Objectives[2].AlertSeverity = "page"
	support.Spec.Thresholds = &cxv1alpha1.Thresholds{Pass: *fixtures.Quantity("90"), Warning: *fixtures.Quantity("70")}
	support.Spec.Alerting = &cxv1alpha1.Alerting{
		For:         &metav1.Duration{Duration: 30 * time.Minute},
		Labels:      map[string]string{"team": "support"},
		Annotations: map[string]string{"runbook_url": "https://runbooks.larkspur.example/cx/support-experience"},
		RuleLabels:  map[string]string{"release": "kube-prometheus-stack"},
	}

	journey := fixtures.Scorecard("shop", "customer-journey",
		fixtures.FromCard(fixtures.Objective("purchase", 2, "90..", "75.."), "purchase-experience"),
		fixtures.FromTouchpoint(fixtures.Objective("repeat-ratio", 1, "0.5..2", "0.25..3"), "membership-renewal", "repeat_ratio"),
	)
	journey.UID = "0c3b8a52-1d2e-4c7a-8f0b-6a1e2d3c4b55"
	journey.Spec.Alerting = &cxv1alpha1.Alerting{} // every default: for 15m, warning / critical

	return map[string]*cxv1alpha1.Scorecard{"support-experience": support, "defaults": journey}
}

// TestPrometheusRuleGolden compares the generated PrometheusRules with the
// golden files.
func TestPrometheusRuleGolden(t *testing.T) {
	for name, sc := range alertingCards() {
		t.Run(name, func(t *testing.T) {
			got, err := yaml.Marshal(alerting.RuleFor(sc).Object)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", name+".yaml")
			if *updateGolden {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the generated rule (run with -update to accept):\n--- got\n%s", path, got)
			}
		})
	}
	if alerting.RuleFor(fixtures.Scorecard("shop", "no-alerting")) != nil {
		t.Error("a card without spec.alerting got a rule")
	}
}

// TestRuleForRendersForLikePrometheus checks spec.alerting.for as
// Prometheus writes durations (1h30m, not 1h30m0s), through the rule.
func TestRuleForRendersForLikePrometheus(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                    "0s",
		-time.Minute:                         "0s",
		500 * time.Microsecond:               "0s", // below Prometheus' resolution
		500 * time.Millisecond:               "500ms",
		90 * time.Second:                     "1m30s",
		30 * time.Minute:                     "30m",
		time.Hour + 30*time.Minute:           "1h30m",
		26*time.Hour + 1500*time.Millisecond: "26h1s500ms",
	} {
		sc := fixtures.Scorecard("shop", "card", fixtures.FromCard(fixtures.Objective("stage", 1, "90..", ""), "stage"))
		sc.Spec.Alerting = &cxv1alpha1.Alerting{For: &metav1.Duration{Duration: d}}
		for _, r := range rules(sc) {
			if got := r["for"]; got != want {
				t.Errorf("for %v: rule %s has for %v, want %s", d, r["alert"], got, want)
			}
		}
	}
}

// rules are the alerting rules of a card's generated PrometheusRule.
func rules(sc *cxv1alpha1.Scorecard) []map[string]any {
	var out []map[string]any
	for _, r := range alerting.RuleFor(sc).Object["spec"].(map[string]any)["groups"].([]any)[0].(map[string]any)["rules"].([]any) {
		out = append(out, r.(map[string]any))
	}
	return out
}

// ruleFile writes the rule groups of a generated PrometheusRule as a
// Prometheus rule file.
func ruleFile(t *testing.T, dir string, sc *cxv1alpha1.Scorecard) string {
	t.Helper()
	spec := alerting.RuleFor(sc).Object["spec"]
	data, err := yaml.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, sc.Name+".rules.yaml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestPrometheusRulesPassPromtool runs `promtool check rules` on the rule
// groups of every golden card, with every lint fatal.
func TestPrometheusRulesPassPromtool(t *testing.T) {
	promtool, err := testenv.PrometheusBinary("promtool")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, sc := range alertingCards() {
		out, err := exec.Command(promtool, "check", "rules", "--lint=all", "--lint-fatal", ruleFile(t, dir, sc)).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "SUCCESS") {
			t.Errorf("promtool check rules %s: %v\n%s", name, err, out)
		}
	}
}

// TestPrometheusRulesFireAsDocumented runs `promtool test rules` on the
// generated rules: an objective that stops being met alerts after `for`,
// with the spec's labels and annotations, and so does a failing card.
func TestPrometheusRulesFireAsDocumented(t *testing.T) {
	promtool, err := testenv.PrometheusBinary("promtool")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sc := alertingCards()["support-experience"] // for: 30m
	ruleFilePath := ruleFile(t, dir, sc)
	annotations := map[string]map[string]any{} // by alert + objective
	for _, rule := range rules(sc) {
		key := rule["alert"].(string)
		for _, o := range []string{"first-response", "csat"} {
			if strings.Contains(rule["expr"].(string), `objective="`+o+`"`) {
				key += "/" + o
			}
		}
		annotations[key] = rule["annotations"].(map[string]any)
	}
	test := map[string]any{
		"rule_files":          []string{ruleFilePath},
		"evaluation_interval": "1m",
		"tests": []any{map[string]any{
			"interval": "1m",
			"input_series": []any{
				// Met for 5 minutes, then not met.
				map[string]any{"series": `cx_scorecard_objective_met{namespace="shop",scorecard="support-experience",objective="first-response"}`, "values": "1x4 0x80"},
				// Passing for 10 minutes, then failing.
				map[string]any{"series": `cx_scorecard_result{namespace="shop",scorecard="support-experience",result="Fail"}`, "values": "0x9 1x60"},
				// csat (decision Confident): Inconclusive (not met) from 0
				// to 49m, then a confident Fail.
				map[string]any{"series": `cx_scorecard_objective_met{namespace="shop",scorecard="support-experience",objective="csat"}`, "values": "0x80"},
				map[string]any{"series": `cx_scorecard_objective_result{namespace="shop",scorecard="support-experience",objective="csat",result="Inconclusive"}`, "values": "1x49 0x31"},
			},
			"alert_rule_test": []any{
				// Not met since 5m, for 30m: pending at 30m, firing from 35m.
				// csat, inconclusive for 49m, does not alert then.
				map[string]any{"eval_time": "30m", "alertname": alerting.AlertObjectiveNotMet, "exp_alerts": []any{}},
				map[string]any{"eval_time": "36m", "alertname": alerting.AlertObjectiveNotMet, "exp_alerts": []any{map[string]any{
					"exp_labels": map[string]string{"namespace": "shop", "scorecard": "support-experience", "objective": "first-response",
						"severity": "page", "team": "support"},
					"exp_annotations": annotations[alerting.AlertObjectiveNotMet+"/first-response"],
				}}},
				// csat fails confidently from 50m: firing from 80m, not before.
				map[string]any{"eval_time": "79m", "alertname": alerting.AlertObjectiveNotMet, "exp_alerts": []any{map[string]any{
					"exp_labels": map[string]string{"namespace": "shop", "scorecard": "support-experience", "objective": "first-response",
						"severity": "page", "team": "support"},
					"exp_annotations": annotations[alerting.AlertObjectiveNotMet+"/first-response"],
				}}},
				map[string]any{"eval_time": "80m", "alertname": alerting.AlertObjectiveNotMet, "exp_alerts": []any{
					map[string]any{
						"exp_labels": map[string]string{"namespace": "shop", "scorecard": "support-experience", "objective": "first-response",
							"severity": "page", "team": "support"},
						"exp_annotations": annotations[alerting.AlertObjectiveNotMet+"/first-response"],
					},
					map[string]any{
						"exp_labels": map[string]string{"namespace": "shop", "scorecard": "support-experience", "objective": "csat",
							"severity": "warning", "team": "support"},
						"exp_annotations": annotations[alerting.AlertObjectiveNotMet+"/csat"],
					},
				}},
				// Failing since 10m: firing from 40m.
				map[string]any{"eval_time": "36m", "alertname": alerting.AlertScorecardFailed, "exp_alerts": []any{}},
				map[string]any{"eval_time": "41m", "alertname": alerting.AlertScorecardFailed, "exp_alerts": []any{map[string]any{
					"exp_labels": map[string]string{"namespace": "shop", "scorecard": "support-experience", "result": "Fail",
						"severity": "critical", "team": "support"},
					"exp_annotations": annotations[alerting.AlertScorecardFailed],
				}}},
			},
		}},
	}
	data, err := yaml.Marshal(test)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "test.yaml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(promtool, "test", "rules", path).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "SUCCESS") {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
}
