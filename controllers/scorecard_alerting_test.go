package controllers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/controllers"
	"github.com/touchstone-dev/touchstone/internal/testenv"
)

// updateGolden rewrites the golden files: go test ./controllers/ -run Golden -update
var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/ with the current output")

// prometheusOperatorModule pins the prometheus-operator release whose
// PrometheusRule CRD the tests install. The CRD is not copied into this
// repository: the test takes it from the Go module cache (go mod download
// fetches the module the first time).
const prometheusOperatorModule = "github.com/prometheus-operator/prometheus-operator@v0.85.0"

// apiextensionsCRD is the kind of CustomResourceDefinitions, read as
// metadata only.
var apiextensionsCRD = schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"}

// prometheusRuleCRDPath returns the path of the pinned PrometheusRule CRD
// in the module cache, downloading the module if needed.
func prometheusRuleCRDPath(t *testing.T) string {
	t.Helper()
	cmd := exec.Command("go", "mod", "download", "-json", prometheusOperatorModule)
	cmd.Dir = t.TempDir() // outside this module: go.mod is not touched
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.Output()
	var mod struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &mod); jerr != nil || mod.Error != "" || err != nil {
		t.Fatalf("go mod download %s: %v %s %s", prometheusOperatorModule, err, mod.Error, out)
	}
	path := filepath.Join(mod.Dir, "example", "prometheus-operator-crd", "monitoring.coreos.com_prometheusrules.yaml")
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// alertingCards are the cards of the golden files, one per file in
// testdata/scorecard_alerting.
func alertingCards() map[string]*cxv1alpha1.Scorecard {
	support := newScorecard("shop", "support-experience",
		asKey(fromSurvey(objective("csat", 3, "80..", "70.."), "support-csat", "")),
		fromSurvey(objective("enough-answers", 1, "30..", ""), "support-csat", cxv1alpha1.SurveyValueResponses),
		fromTouchpoint(objective("first-response", 2, "..7200", "..14400"), "helpdesk", "first_response_seconds"),
		fromTouchpoint(objective("backlog", 1, "..15", "..25"), "helpdesk", "backlog_per_agent"),
	)
	support.UID = "7a4c1e0e-5b8e-4f63-9d5a-2f4f7f0b1c11"
	support.Spec.Objectives[2].AlertSeverity = "page"
	support.Spec.Thresholds = &cxv1alpha1.Thresholds{Pass: *ptrQuantity("90"), Warning: *ptrQuantity("70")}
	support.Spec.Alerting = &cxv1alpha1.Alerting{
		For:         &metav1.Duration{Duration: 30 * time.Minute},
		Labels:      map[string]string{"team": "support"},
		Annotations: map[string]string{"runbook_url": "https://runbooks.larkspur.example/cx/support-experience"},
		RuleLabels:  map[string]string{"release": "kube-prometheus-stack"},
	}

	journey := newScorecard("shop", "customer-journey",
		fromCard(objective("purchase", 2, "90..", "75.."), "purchase-experience"),
		fromTouchpoint(objective("repeat-ratio", 1, "0.5..2", "0.25..3"), "membership-renewal", "repeat_ratio"),
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
			got, err := yaml.Marshal(controllers.PrometheusRuleFor(sc).Object)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "scorecard_alerting", name+".yaml")
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
	if controllers.PrometheusRuleFor(newScorecard("shop", "no-alerting")) != nil {
		t.Error("a card without spec.alerting got a rule")
	}
}

// ruleFile writes the rule groups of a generated PrometheusRule as a
// Prometheus rule file.
func ruleFile(t *testing.T, dir string, sc *cxv1alpha1.Scorecard) string {
	t.Helper()
	spec := controllers.PrometheusRuleFor(sc).Object["spec"]
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
	rules := ruleFile(t, dir, sc)
	annotations := map[string]map[string]any{} // by alert + objective
	for _, r := range controllers.PrometheusRuleFor(sc).Object["spec"].(map[string]any)["groups"].([]any)[0].(map[string]any)["rules"].([]any) {
		rule := r.(map[string]any)
		key := rule["alert"].(string)
		if strings.Contains(rule["expr"].(string), `objective="first-response"`) {
			key += "/first-response"
		}
		annotations[key] = rule["annotations"].(map[string]any)
	}
	test := map[string]any{
		"rule_files":          []string{rules},
		"evaluation_interval": "1m",
		"tests": []any{map[string]any{
			"interval": "1m",
			"input_series": []any{
				// Met for 5 minutes, then not met.
				map[string]any{"series": `cx_scorecard_objective_met{namespace="shop",scorecard="support-experience",objective="first-response"}`, "values": "1x4 0x60"},
				// Passing for 10 minutes, then failing.
				map[string]any{"series": `cx_scorecard_result{namespace="shop",scorecard="support-experience",result="Fail"}`, "values": "0x9 1x60"},
			},
			"alert_rule_test": []any{
				// Not met since 5m, for 30m: pending at 30m, firing from 35m.
				map[string]any{"eval_time": "30m", "alertname": controllers.AlertObjectiveNotMet, "exp_alerts": []any{}},
				map[string]any{"eval_time": "36m", "alertname": controllers.AlertObjectiveNotMet, "exp_alerts": []any{map[string]any{
					"exp_labels": map[string]string{"namespace": "shop", "scorecard": "support-experience", "objective": "first-response",
						"severity": "page", "team": "support"},
					"exp_annotations": annotations[controllers.AlertObjectiveNotMet+"/first-response"],
				}}},
				// Failing since 10m: firing from 40m.
				map[string]any{"eval_time": "36m", "alertname": controllers.AlertScorecardFailed, "exp_alerts": []any{}},
				map[string]any{"eval_time": "41m", "alertname": controllers.AlertScorecardFailed, "exp_alerts": []any{map[string]any{
					"exp_labels": map[string]string{"namespace": "shop", "scorecard": "support-experience", "result": "Fail",
						"severity": "critical", "team": "support"},
					"exp_annotations": annotations[controllers.AlertScorecardFailed],
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

// prometheusRule fetches the PrometheusRule of a card, nil when absent.
func prometheusRule(g Gomega, ns, name string) func() *unstructured.Unstructured {
	return func() *unstructured.Unstructured {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(controllers.PrometheusRuleGVK)
		err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, u)
		if apierrors.IsNotFound(err) {
			return nil
		}
		g.Expect(err).NotTo(HaveOccurred())
		return u
	}
}

// alertingReason fetches a card and returns its AlertingReady condition as
// "Status/Reason", "none" without it, or "" while the current generation
// has not been reconciled.
func alertingReason(sc *cxv1alpha1.Scorecard) func() string {
	return func() string {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(sc), sc); err != nil {
			return "get: " + err.Error()
		}
		if sc.Status.ObservedGeneration != sc.Generation {
			return ""
		}
		c := condition(sc.Status.Conditions, cxv1alpha1.ConditionAlertingReady)
		if c == nil {
			return "none"
		}
		return string(c.Status) + "/" + c.Reason
	}
}

// TestScorecardAlertingFollowsThePrometheusRuleCRD asks for alerts before
// the prometheus-operator CRD exists (the condition says so, Ready does not
// change), installs the real CRD (the rule appears, owned by the card),
// changes the spec (the rule follows), meets a rule it does not own (it
// leaves it alone) and removes alerting (the rule is deleted).
func TestScorecardAlertingFollowsThePrometheusRuleCRD(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	crdPath := prometheusRuleCRDPath(t)
	ns := newNamespace(t)
	newSCTouchpoint(t, g, ns, "checkout", map[string]string{"conversion_ratio": "0.7"})

	sc := newScorecard(ns, "purchase", fromTouchpoint(objective("conversion", 1, "0.6..", ""), "checkout", "conversion_ratio"))
	sc.Spec.Alerting = &cxv1alpha1.Alerting{
		For:         &metav1.Duration{Duration: 5 * time.Minute},
		Labels:      map[string]string{"team": "shop"},
		Annotations: map[string]string{"runbook_url": "https://runbooks.example/purchase"},
	}
	g.Expect(k8s.Create(ctx, sc)).To(Succeed())

	crd := &metav1.PartialObjectMetadata{}
	crd.SetGroupVersionKind(apiextensionsCRD)
	err := k8s.Get(ctx, types.NamespacedName{Name: "prometheusrules.monitoring.coreos.com"}, crd)
	if apierrors.IsNotFound(err) {
		eventually(g, alertingReason(sc)).Should(Equal("False/" + cxv1alpha1.ReasonRuleCRDNotInstalled))
		g.Expect(condition(sc.Status.Conditions, cxv1alpha1.ConditionAlertingReady).Message).To(ContainSubstring(
			"prometheusrules.monitoring.coreos.com (monitoring.coreos.com/v1) is not installed"))
		g.Expect(condition(sc.Status.Conditions, cxv1alpha1.ConditionReady).Status).To(Equal(metav1.ConditionTrue))

		_, err := envtest.InstallCRDs(cfg, envtest.CRDInstallOptions{Paths: []string{crdPath}})
		g.Expect(err).NotTo(HaveOccurred())
	} else {
		g.Expect(err).NotTo(HaveOccurred())
		t.Log("the PrometheusRule CRD is already installed (the test ran before in this control plane): the not-installed path is not checked")
	}

	eventually(g, alertingReason(sc)).Should(Equal("True/" + cxv1alpha1.ReasonRuleWritten))
	g.Expect(condition(sc.Status.Conditions, cxv1alpha1.ConditionAlertingReady).Message).To(Equal(
		`PrometheusRule "purchase" holds 2 alerts: one per objective and one for the result`))
	rule := prometheusRule(g, ns, "purchase")()
	g.Expect(rule).NotTo(BeNil())
	g.Expect(metav1.IsControlledBy(rule, sc)).To(BeTrue(), "the rule is not controlled by the card: %v", rule.GetOwnerReferences())
	g.Expect(rule.Object["spec"]).To(Equal(controllers.PrometheusRuleFor(sc).Object["spec"]))
	g.Expect(rule.GetLabels()).To(HaveKeyWithValue("cx.touchstone.dev/scorecard", "purchase"))

	// The rule follows the spec.
	g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(sc), sc)).To(Succeed())
	sc.Spec.Alerting.For = &metav1.Duration{Duration: time.Hour + 30*time.Minute}
	sc.Spec.Alerting.RuleLabels = map[string]string{"release": "prometheus"}
	g.Expect(k8s.Update(ctx, sc)).To(Succeed())
	eventually(g, func() any {
		r := prometheusRule(g, ns, "purchase")()
		rules, _, _ := unstructured.NestedSlice(r.Object, "spec", "groups")
		return []any{r.GetLabels()["release"], rules[0].(map[string]any)["rules"].([]any)[0].(map[string]any)["for"]}
	}).Should(Equal([]any{"prometheus", "1h30m"}))

	// A rule of the same name that the card does not own is left alone.
	foreign := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{"groups": []any{
		map[string]any{"name": "theirs", "rules": []any{map[string]any{"alert": "Theirs", "expr": "vector(1)"}}}}}}}
	foreign.SetGroupVersionKind(controllers.PrometheusRuleGVK)
	foreign.SetNamespace(ns)
	foreign.SetName("delivery")
	g.Expect(k8s.Create(ctx, foreign)).To(Succeed())
	delivery := newScorecard(ns, "delivery", fromTouchpoint(objective("conversion", 1, "0.6..", ""), "checkout", "conversion_ratio"))
	delivery.Spec.Alerting = &cxv1alpha1.Alerting{}
	g.Expect(k8s.Create(ctx, delivery)).To(Succeed())
	eventually(g, alertingReason(delivery)).Should(Equal("False/" + cxv1alpha1.ReasonRuleWriteFailed))
	g.Expect(condition(delivery.Status.Conditions, cxv1alpha1.ConditionAlertingReady).Message).To(Equal(
		`PrometheusRule "delivery" exists and is not owned by this Scorecard: rename or delete it`))
	g.Expect(prometheusRule(g, ns, "delivery")().Object["spec"]).To(Equal(foreign.Object["spec"]))

	// Removing alerting deletes the rule and the condition; the foreign
	// rule stays.
	g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(sc), sc)).To(Succeed())
	sc.Spec.Alerting = nil
	g.Expect(k8s.Update(ctx, sc)).To(Succeed())
	eventually(g, alertingReason(sc)).Should(Equal("none"))
	eventually(g, prometheusRule(g, ns, "purchase")).Should(BeNil())
	g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(delivery), delivery)).To(Succeed())
	delivery.Spec.Alerting = nil
	g.Expect(k8s.Update(ctx, delivery)).To(Succeed())
	eventually(g, alertingReason(delivery)).Should(Equal("none"))
	g.Expect(prometheusRule(g, ns, "delivery")()).NotTo(BeNil())
}

// TestScorecardAlertingRejectsReservedLabels checks at admission that the
// labels the operator sets cannot be overridden.
func TestScorecardAlertingRejectsReservedLabels(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	for _, label := range []string{"severity", "objective", "alertname"} {
		sc := newScorecard(ns, "bad-"+label, fromTouchpoint(objective("conversion", 1, "0.6..", ""), "checkout", "conversion_ratio"))
		sc.Spec.Alerting = &cxv1alpha1.Alerting{Labels: map[string]string{label: "x"}}
		err := k8s.Create(context.Background(), sc)
		g.Expect(apierrors.IsInvalid(err)).To(BeTrue(), fmt.Sprintf("%s: %v", label, err))
		g.Expect(err.Error()).To(ContainSubstring("spec.alerting.labels must not set severity"))
	}
}
