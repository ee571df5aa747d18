package controllers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/alerting"
	"github.com/touchstone-dev/touchstone/internal/fixtures"
)

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

// prometheusRule fetches the PrometheusRule of a card, nil when absent.
func prometheusRule(g Gomega, ns, name string) func() *unstructured.Unstructured {
	return func() *unstructured.Unstructured {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(alerting.PrometheusRuleGVK)
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
// changes the spec (the rule follows), has the rule edited and deleted by
// hand (it writes it back), meets a rule it does not own (it leaves it
// alone until it is deleted) and removes alerting (the rule is deleted).
func TestScorecardAlertingFollowsThePrometheusRuleCRD(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	crdPath := prometheusRuleCRDPath(t)
	ns := newNamespace(t)
	newSCTouchpoint(t, g, ns, "checkout", map[string]string{"conversion_ratio": "0.7"})

	sc := fixtures.Scorecard(ns, "purchase", fixtures.FromTouchpoint(fixtures.Objective("conversion", 1, "0.6..", ""), "checkout", "conversion_ratio"))
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
	g.Expect(rule.Object["spec"]).To(Equal(alerting.RuleFor(sc).Object["spec"]))
	g.Expect(rule.GetLabels()).To(HaveKeyWithValue("cx.touchstone.dev/scorecard", "purchase"))

	// The rule follows the spec.
	updateSpec(g, sc, func() {
		sc.Spec.Alerting.For = &metav1.Duration{Duration: time.Hour + 30*time.Minute}
		sc.Spec.Alerting.RuleLabels = map[string]string{"release": "prometheus"}
	})
	eventually(g, func() any {
		r := prometheusRule(g, ns, "purchase")()
		rules, _, _ := unstructured.NestedSlice(r.Object, "spec", "groups")
		return []any{r.GetLabels()["release"], rules[0].(map[string]any)["rules"].([]any)[0].(map[string]any)["for"]}
	}).Should(Equal([]any{"prometheus", "1h30m"}))

	// The rule is the operator's: an edit by hand is reverted, a deleted
	// rule comes back (the card watches the rules it writes).
	rule = prometheusRule(g, ns, "purchase")()
	updateSpec(g, rule, func() {
		g.Expect(unstructured.SetNestedSlice(rule.Object, []any{map[string]any{"name": "edited", "rules": []any{
			map[string]any{"alert": "Edited", "expr": "vector(1)"}}}}, "spec", "groups")).To(Succeed())
	})
	g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(sc), sc)).To(Succeed())
	eventually(g, func() any { return prometheusRule(g, ns, "purchase")().Object["spec"] }).
		Should(Equal(alerting.RuleFor(sc).Object["spec"]))
	uid := rule.GetUID()
	g.Expect(k8s.Delete(ctx, rule)).To(Succeed())
	eventually(g, func() types.UID {
		if r := prometheusRule(g, ns, "purchase")(); r != nil {
			return r.GetUID()
		}
		return ""
	}).ShouldNot(Or(BeEmpty(), Equal(uid)))

	// A rule of the same name that the card does not own is left alone.
	foreign := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{"groups": []any{
		map[string]any{"name": "theirs", "rules": []any{map[string]any{"alert": "Theirs", "expr": "vector(1)"}}}}}}}
	foreign.SetGroupVersionKind(alerting.PrometheusRuleGVK)
	foreign.SetNamespace(ns)
	foreign.SetName("delivery")
	g.Expect(k8s.Create(ctx, foreign)).To(Succeed())
	delivery := fixtures.Scorecard(ns, "delivery", fixtures.FromTouchpoint(fixtures.Objective("conversion", 1, "0.6..", ""), "checkout", "conversion_ratio"))
	delivery.Spec.Alerting = &cxv1alpha1.Alerting{}
	g.Expect(k8s.Create(ctx, delivery)).To(Succeed())
	eventually(g, alertingReason(delivery)).Should(Equal("False/" + cxv1alpha1.ReasonRuleWriteFailed))
	g.Expect(condition(delivery.Status.Conditions, cxv1alpha1.ConditionAlertingReady).Message).To(Equal(
		`PrometheusRule "delivery" exists and is not owned by this Scorecard: rename or delete it`))
	g.Expect(prometheusRule(g, ns, "delivery")().Object["spec"]).To(Equal(foreign.Object["spec"]))

	// Once the foreign rule is gone, the card writes its own.
	g.Expect(k8s.Delete(ctx, foreign)).To(Succeed())
	eventually(g, alertingReason(delivery)).Should(Equal("True/" + cxv1alpha1.ReasonRuleWritten))
	g.Expect(metav1.IsControlledBy(prometheusRule(g, ns, "delivery")(), delivery)).To(BeTrue())

	// Removing alerting deletes the rules and the condition.
	updateSpec(g, sc, func() { sc.Spec.Alerting = nil })
	eventually(g, alertingReason(sc)).Should(Equal("none"))
	eventually(g, prometheusRule(g, ns, "purchase")).Should(BeNil())
	updateSpec(g, delivery, func() { delivery.Spec.Alerting = nil })
	eventually(g, alertingReason(delivery)).Should(Equal("none"))
	eventually(g, prometheusRule(g, ns, "delivery")).Should(BeNil())
}

// TestScorecardAlertingRejectsReservedLabels checks at admission that the
// labels the operator sets cannot be overridden.
func TestScorecardAlertingRejectsReservedLabels(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	for _, label := range []string{"severity", "objective", "alertname"} {
		sc := fixtures.Scorecard(ns, "bad-"+label, fixtures.FromTouchpoint(fixtures.Objective("conversion", 1, "0.6..", ""), "checkout", "conversion_ratio"))
		sc.Spec.Alerting = &cxv1alpha1.Alerting{Labels: map[string]string{label: "x"}}
		err := k8s.Create(context.Background(), sc)
		g.Expect(apierrors.IsInvalid(err)).To(BeTrue(), fmt.Sprintf("%s: %v", label, err))
		g.Expect(err.Error()).To(ContainSubstring("spec.alerting.labels must not set severity"))
	}
}
