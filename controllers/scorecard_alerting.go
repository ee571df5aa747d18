package controllers

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/alerting"
)

// apiextensionsCRDKind is the kind of CustomResourceDefinitions, watched as
// metadata only (the scheme need not know the type).
var apiextensionsCRDKind = schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"}

// prometheusRuleCRD is the name of the prometheus-operator CRD whose
// creation (or establishment) wakes the cards that ask for alerts.
const prometheusRuleCRD = "prometheusrules.monitoring.coreos.com"

// crdAbsentTTL bounds how long "the PrometheusRule CRD is not installed" is
// believed without asking discovery again.
const crdAbsentTTL = 10 * time.Second

// ruleWriter writes the PrometheusRule each Scorecard asks for with
// spec.alerting, shaped by internal/alerting, and sets the card's
// AlertingReady condition. The CRD may be installed, or removed, at any
// time: the writer asks discovery (believing "absent" for a short while),
// and starts watching the rules it writes once it first sees the CRD.
type ruleWriter struct {
	client client.Client
	mapper meta.RESTMapper
	// recheck is how often a card looks again for a missing CRD.
	recheck time.Duration
	// watch starts the PrometheusRule watch, once.
	watch *lazyWatch

	// mu guards absentUntil: while the CRD is known to be absent,
	// discovery is not asked again until then (or until the CRD is
	// created: forgetAbsence).
	mu          sync.Mutex
	absentUntil time.Time
}

// lazyWatch starts a watch the first time it is needed: a watch on a kind
// the API server does not serve fails, so a watch on a CRD that may be
// installed later cannot be declared at setup.
type lazyWatch struct {
	mu      sync.Mutex
	started bool
	start   func() error
}

// ensure starts the watch unless it runs already.
func (w *lazyWatch) ensure() error {
	if w == nil || w.start == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started {
		return nil
	}
	if err := w.start(); err != nil {
		return err
	}
	w.started = true
	return nil
}

// reconcile writes the PrometheusRule that spec.alerting asks for and sets
// the AlertingReady condition on sc's status; without spec.alerting it
// deletes the rule it owned and removes the condition. orig is the card as
// read, before this reconcile changed its status. It returns when to look
// again for a missing CRD, and an error worth retrying.
func (w *ruleWriter) reconcile(ctx context.Context, sc, orig *cxv1alpha1.Scorecard) (time.Duration, error) {
	conds, gen := &sc.Status.Conditions, sc.Generation
	if sc.Spec.Alerting == nil {
		// The condition is there exactly when a rule may have been
		// written: remove both together.
		if meta.FindStatusCondition(orig.Status.Conditions, cxv1alpha1.ConditionAlertingReady) != nil {
			if err := w.deleteRule(ctx, sc); err != nil {
				return 0, fmt.Errorf("deleting the PrometheusRule of scorecard %s/%s: %w", sc.Namespace, sc.Name, err)
			}
		}
		meta.RemoveStatusCondition(conds, cxv1alpha1.ConditionAlertingReady)
		return 0, nil
	}
	alertingReady := func(status metav1.ConditionStatus, reason, message string) {
		setConditions(conds, gen, metav1.Condition{Type: cxv1alpha1.ConditionAlertingReady, Status: status, Reason: reason, Message: message})
	}
	notInstalled := func() (time.Duration, error) {
		alertingReady(metav1.ConditionFalse, cxv1alpha1.ReasonRuleCRDNotInstalled,
			"spec.alerting asks for a PrometheusRule, but the prometheus-operator CRD "+prometheusRuleCRD+
				" (monitoring.coreos.com/v1) is not installed in the cluster: no alert rules are generated")
		return w.recheck, nil
	}
	writeFailed := func(msg string, err error) (time.Duration, error) {
		alertingReady(metav1.ConditionFalse, cxv1alpha1.ReasonRuleWriteFailed, msg)
		return 0, err
	}
	installed, err := w.crdInstalled()
	if err != nil {
		return writeFailed("cannot tell whether the PrometheusRule CRD is installed: "+err.Error(), err)
	}
	if !installed {
		return notInstalled()
	}
	if err := w.watch.ensure(); err != nil {
		return writeFailed(err.Error(), err)
	}

	desired := alerting.RuleFor(sc)
	current := &unstructured.Unstructured{}
	current.SetGroupVersionKind(alerting.PrometheusRuleGVK)
	err = w.client.Get(ctx, client.ObjectKeyFromObject(desired), current)
	switch {
	case apierrors.IsNotFound(err):
		err = w.client.Create(ctx, desired)
	case err != nil:
	case !metav1.IsControlledBy(current, sc):
		// Someone else's rule: never overwrite it, and wait for a change
		// rather than retrying.
		return writeFailed(fmt.Sprintf("PrometheusRule %q exists and is not owned by this Scorecard: rename or delete it", desired.GetName()), nil)
	case !equality.Semantic.DeepEqual(current.Object["spec"], desired.Object["spec"]) ||
		!equality.Semantic.DeepEqual(current.GetLabels(), desired.GetLabels()):
		current.Object["spec"] = desired.Object["spec"]
		current.SetLabels(desired.GetLabels())
		err = w.client.Update(ctx, current)
	}
	if meta.IsNoMatchError(err) {
		// The CRD went away since discovery last saw it.
		return notInstalled()
	}
	if err != nil {
		return writeFailed(fmt.Sprintf("writing PrometheusRule %q: %v", desired.GetName(), err), err)
	}
	alertingReady(metav1.ConditionTrue, cxv1alpha1.ReasonRuleWritten,
		fmt.Sprintf("PrometheusRule %q holds %d alerts: one per objective and one for the result", desired.GetName(), len(sc.Spec.Objectives)+1))
	return 0, nil
}

// deleteRule deletes the PrometheusRule named after the card if the card
// owns it.
func (w *ruleWriter) deleteRule(ctx context.Context, sc *cxv1alpha1.Scorecard) error {
	installed, err := w.crdInstalled()
	if err != nil || !installed {
		return err
	}
	rule := &unstructured.Unstructured{}
	rule.SetGroupVersionKind(alerting.PrometheusRuleGVK)
	err = w.client.Get(ctx, client.ObjectKeyFromObject(sc), rule)
	if apierrors.IsNotFound(err) || meta.IsNoMatchError(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if !metav1.IsControlledBy(rule, sc) {
		return nil
	}
	return client.IgnoreNotFound(w.client.Delete(ctx, rule, client.Preconditions{UID: new(rule.GetUID())}))
}

// forgetAbsence forgets that the CRD was absent (an event of the CRD
// arrived), so that the next card asks discovery at once.
func (w *ruleWriter) forgetAbsence() {
	w.mu.Lock()
	w.absentUntil = time.Time{}
	w.mu.Unlock()
}

// crdInstalled asks the RESTMapper whether the PrometheusRule kind is
// served. A missing group costs a discovery call, so "absent" is believed
// for a short while; an event of the CRD forgets it at once.
func (w *ruleWriter) crdInstalled() (bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	if now.Before(w.absentUntil) {
		return false, nil
	}
	_, err := w.mapper.RESTMapping(alerting.PrometheusRuleGVK.GroupKind(), alerting.PrometheusRuleGVK.Version)
	if err == nil {
		return true, nil
	}
	if meta.IsNoMatchError(err) {
		ttl := crdAbsentTTL
		if w.recheck > 0 && w.recheck < ttl {
			ttl = w.recheck
		}
		w.absentUntil = now.Add(ttl)
		return false, nil
	}
	return false, err
}
