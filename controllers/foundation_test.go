package controllers_test

import (
	"context"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/fixtures"
)

func newTouchpoint(ns, name string) *cxv1alpha1.Touchpoint {
	return &cxv1alpha1.Touchpoint{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       cxv1alpha1.TouchpointSpec{Stage: cxv1alpha1.StageSupport},
	}
}

func newSurvey(ns, name, touchpoint string, typ cxv1alpha1.SurveyType) *cxv1alpha1.Survey {
	return &cxv1alpha1.Survey{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: cxv1alpha1.SurveySpec{
			TouchpointRef: cxv1alpha1.LocalObjectReference{Name: touchpoint},
			Type:          typ,
			Receiver: cxv1alpha1.SurveyReceiver{
				BearerTokenSecretRef: &cxv1alpha1.SecretKeyRef{Name: "receiver", Key: "token"},
			},
		},
	}
}

func newReceiverSecret(ns, token string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "receiver"},
		Data:       map[string][]byte{"token": []byte(token)},
	}
}

// readyReason fetches an object and returns its Ready condition's reason,
// or "" while the operator has not reconciled the current generation.
func readyReason(ctx context.Context, obj client.Object) func() string {
	return func() string {
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			return "get: " + err.Error()
		}
		var conds []metav1.Condition
		var observed int64
		switch o := obj.(type) {
		case *cxv1alpha1.Survey:
			conds, observed = o.Status.Conditions, o.Status.ObservedGeneration
		case *cxv1alpha1.Touchpoint:
			conds, observed = o.Status.Conditions, o.Status.ObservedGeneration
		case *cxv1alpha1.Scorecard:
			conds, observed = o.Status.Conditions, o.Status.ObservedGeneration
		case *cxv1alpha1.Journey:
			conds, observed = o.Status.Conditions, o.Status.ObservedGeneration
		}
		c := condition(conds, cxv1alpha1.ConditionReady)
		if c == nil || observed != obj.GetGeneration() || c.ObservedGeneration != obj.GetGeneration() {
			return ""
		}
		return c.Reason
	}
}

// TestSurveyReadyFollowsItsReferences walks a Survey through its missing
// references: no Touchpoint, then no Secret, then a Secret without the key.
func TestSurveyReadyFollowsItsReferences(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)

	svy := newSurvey(ns, "csat", "helpdesk", cxv1alpha1.SurveyCSAT)
	g.Expect(k8s.Create(ctx, svy)).To(Succeed())
	eventually(g, readyReason(ctx, svy)).Should(Equal(cxv1alpha1.ReasonTouchpointNotFound))
	ready := condition(svy.Status.Conditions, cxv1alpha1.ConditionReady)
	g.Expect(ready.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(ready.Message).To(ContainSubstring(`touchpoint "helpdesk"`))
	g.Expect(svy.Status.ReceiverPath).To(Equal("/api/v1/namespaces/" + ns + "/surveys/csat/responses"))

	// Creating the Touchpoint wakes the Survey through the watch.
	g.Expect(k8s.Create(ctx, newTouchpoint(ns, "helpdesk"))).To(Succeed())
	eventually(g, readyReason(ctx, svy)).Should(Equal(cxv1alpha1.ReasonSecretNotFound))
	g.Expect(condition(svy.Status.Conditions, cxv1alpha1.ConditionReady).Message).
		To(ContainSubstring("spec.receiver.bearerTokenSecretRef"))

	// A Secret without the key is reported as such.
	secret := newReceiverSecret(ns, "")
	secret.Data = map[string][]byte{"other": []byte("x")}
	g.Expect(k8s.Create(ctx, secret)).To(Succeed())
	eventually(g, readyReason(ctx, svy)).Should(Equal(cxv1alpha1.ReasonSecretKeyNotFound))

	// Fixing the Secret makes the Survey leave the reference errors behind.
	secret.Data = map[string][]byte{"token": []byte("s3cret")}
	g.Expect(k8s.Update(ctx, secret)).To(Succeed())
	eventually(g, readyReason(ctx, svy)).ShouldNot(BeElementOf(
		"", cxv1alpha1.ReasonTouchpointNotFound, cxv1alpha1.ReasonSecretNotFound, cxv1alpha1.ReasonSecretKeyNotFound))
}

// TestObservedGenerationFollowsSpec checks that every kind reports the
// generation it reconciled, as kstatus requires.
func TestObservedGenerationFollowsSpec(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)

	tp := newTouchpoint(ns, "checkout")
	g.Expect(k8s.Create(ctx, tp)).To(Succeed())
	eventually(g, readyReason(ctx, tp)).ShouldNot(BeEmpty())
	g.Expect(tp.Status.ObservedGeneration).To(Equal(int64(1)))

	updateSpec(g, tp, func() { tp.Spec.Owner = "payments-team" })
	g.Expect(tp.Generation).To(Equal(int64(2)))
	eventually(g, readyReason(ctx, tp)).ShouldNot(BeEmpty())
	g.Expect(tp.Status.ObservedGeneration).To(Equal(int64(2)))

	sc := &cxv1alpha1.Scorecard{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "purchase"},
		Spec: cxv1alpha1.ScorecardSpec{Objectives: []cxv1alpha1.Objective{{
			Name:       "conversion",
			Touchpoint: &cxv1alpha1.TouchpointSource{Name: "checkout", Metric: "conversion_ratio"},
			Target:     cxv1alpha1.Target{Min: fixtures.Quantity("0.5")},
		}}},
	}
	g.Expect(k8s.Create(ctx, sc)).To(Succeed())
	eventually(g, readyReason(ctx, sc)).ShouldNot(BeEmpty())
	g.Expect(sc.Status.ObservedGeneration).To(Equal(int64(1)))
}

// TestStatusIsNotRewrittenWhenNothingChanged makes the controllers
// reconcile objects whose status is settled, and checks through the
// objects' resourceVersion that no write happened.
func TestStatusIsNotRewrittenWhenNothingChanged(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)

	g.Expect(k8s.Create(ctx, newTouchpoint(ns, "helpdesk"))).To(Succeed())
	g.Expect(k8s.Create(ctx, newReceiverSecret(ns, "s3cret"))).To(Succeed())
	svy := newSurvey(ns, "csat", "helpdesk", cxv1alpha1.SurveyCSAT)
	g.Expect(k8s.Create(ctx, svy)).To(Succeed())
	tp := newTouchpoint(ns, "helpdesk")
	jny := &cxv1alpha1.Journey{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "customer"}}
	g.Expect(k8s.Create(ctx, jny)).To(Succeed())
	eventually(g, readyReason(ctx, svy)).ShouldNot(BeEmpty())
	eventually(g, readyReason(ctx, tp)).ShouldNot(BeEmpty())
	eventually(g, readyReason(ctx, jny)).Should(Equal(cxv1alpha1.ReasonMapped))
	// The Journey has seen the Survey's evaluated status (it follows
	// Surveys with a delay).
	eventually(g, func() string {
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(jny), jny)).To(Succeed())
		return stageOf(jny, cxv1alpha1.StageSupport).Reason
	}).Should(HaveSuffix("csat: 0 of the 30 responses needed in the last 30 days"))

	for _, tc := range []struct {
		controller string
		obj        client.Object
	}{{"survey", svy}, {"touchpoint", tp}, {"journey", jny}} {
		// Let the status settle: the reconciles caused by the controller's
		// own write must have run.
		before := tc.obj.GetResourceVersion()
		reconciles := reconcileCount(tc.controller)

		// An annotation changes metadata but not the generation: the
		// controller reconciles and must find nothing to write.
		patch := client.MergeFrom(tc.obj.DeepCopyObject().(client.Object))
		tc.obj.SetAnnotations(map[string]string{"touch": "1"})
		g.Expect(k8s.Patch(ctx, tc.obj, patch)).To(Succeed())
		annotated := tc.obj.GetResourceVersion()
		g.Expect(annotated).NotTo(Equal(before))

		eventually(g, func() float64 { return reconcileCount(tc.controller) }).Should(BeNumerically(">", reconciles))
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(tc.obj), tc.obj)).To(Succeed())
		g.Expect(tc.obj.GetResourceVersion()).To(Equal(annotated),
			"%s status was rewritten although nothing changed", tc.controller)
	}
}
