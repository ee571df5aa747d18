package controllers

import (
	"context"
	"flag"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
)

// surveyTouchpointIndex indexes Surveys by the Touchpoint they reference.
const surveyTouchpointIndex = "spec.touchpointRef.name"

// ReceiverOptions configure the survey response receiver.
type ReceiverOptions struct{}

// DefaultReceiverOptions returns the defaults of the receiver flags.
func DefaultReceiverOptions() ReceiverOptions {
	return ReceiverOptions{}
}

func (o *ReceiverOptions) bindFlags(fs *flag.FlagSet) {}

// setupSurveys registers the Survey controller and the receiver.
func setupSurveys(mgr ctrl.Manager, o Options) error {
	return (&SurveyReconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(),
		SecretRecheckInterval: o.SecretRecheckInterval}).SetupWithManager(mgr)
}

// SurveyReconciler publishes the score of each Survey from its tallies.
type SurveyReconciler struct {
	client.Client
	// APIReader reads Secrets, which the manager's cache does not hold.
	APIReader client.Reader
	// SecretRecheckInterval is how often a missing Secret is looked for.
	SecretRecheckInterval time.Duration
}

// +kubebuilder:rbac:groups=cx.touchstone.dev,resources=surveys,verbs=get;list;watch
// +kubebuilder:rbac:groups=cx.touchstone.dev,resources=surveys/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=cx.touchstone.dev,resources=responsetallies,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch

// Reconcile computes the status of one Survey and writes it when it changed.
func (r *SurveyReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var svy cxv1alpha1.Survey
	if err := r.Get(ctx, req.NamespacedName, &svy); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	orig := svy.DeepCopy()
	st := &svy.Status
	st.ObservedGeneration = svy.Generation
	st.ReceiverPath = ReceiverPath(svy.Namespace, svy.Name)

	var result ctrl.Result
	ready, reason, message, err := r.checkReferences(ctx, &svy)
	if err != nil {
		return ctrl.Result{}, err
	}
	if !ready && reason != cxv1alpha1.ReasonTouchpointNotFound {
		result.RequeueAfter = r.SecretRecheckInterval
	}
	if ready {
		reason, message = cxv1alpha1.ReasonReconciled, "survey is accepting responses"
	}
	setCondition(&st.Conditions, svy.Generation, cxv1alpha1.ConditionReady, boolStatus(ready), reason, message)

	if _, err := patchStatus(ctx, r.Client, orig, &svy, orig.Status, svy.Status); err != nil {
		return ctrl.Result{}, err
	}
	return result, nil
}

// checkReferences reports whether the Touchpoint and the receiver Secrets
// the Survey names exist; when one does not, the reason and message say
// which.
func (r *SurveyReconciler) checkReferences(ctx context.Context, svy *cxv1alpha1.Survey) (bool, string, string, error) {
	var tp cxv1alpha1.Touchpoint
	err := r.Get(ctx, types.NamespacedName{Namespace: svy.Namespace, Name: svy.Spec.TouchpointRef.Name}, &tp)
	if apierrors.IsNotFound(err) {
		return false, cxv1alpha1.ReasonTouchpointNotFound,
			fmt.Sprintf("touchpoint %q named in spec.touchpointRef does not exist", svy.Spec.TouchpointRef.Name), nil
	}
	if err != nil {
		return false, "", "", err
	}
	refs := []struct {
		field string
		ref   *cxv1alpha1.SecretKeyRef
	}{
		{"spec.receiver.bearerTokenSecretRef", svy.Spec.Receiver.BearerTokenSecretRef},
		{"spec.receiver.hmacSecretRef", svy.Spec.Receiver.HMACSecretRef},
	}
	for _, ref := range refs {
		if ref.ref == nil {
			continue
		}
		ok, reason, msg, err := checkSecretKey(ctx, r.APIReader, svy.Namespace, ref.field, *ref.ref)
		if err != nil || !ok {
			return false, reason, msg, err
		}
	}
	return true, "", "", nil
}

// checkSecretKey reports whether a Secret key exists and is not empty.
func checkSecretKey(ctx context.Context, c client.Reader, namespace, field string, ref cxv1alpha1.SecretKeyRef) (bool, string, string, error) {
	var secret corev1.Secret
	err := c.Get(ctx, types.NamespacedName{Namespace: namespace, Name: ref.Name}, &secret)
	if apierrors.IsNotFound(err) {
		return false, cxv1alpha1.ReasonSecretNotFound, fmt.Sprintf("secret %q named in %s does not exist", ref.Name, field), nil
	}
	if err != nil {
		return false, "", "", err
	}
	if len(secret.Data[ref.Key]) == 0 {
		return false, cxv1alpha1.ReasonSecretKeyNotFound,
			fmt.Sprintf("secret %q named in %s has no key %q, or it is empty", ref.Name, field, ref.Key), nil
	}
	return true, "", "", nil
}

// ReceiverPath is the receiver path where responses for a Survey are posted.
func ReceiverPath(namespace, name string) string {
	return fmt.Sprintf("/api/v1/namespaces/%s/surveys/%s/responses", namespace, name)
}

// SetupWithManager registers the controller: Surveys, their tallies, and
// the Touchpoints they reference.
func (r *SurveyReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &cxv1alpha1.Survey{}, surveyTouchpointIndex,
		func(o client.Object) []string { return []string{o.(*cxv1alpha1.Survey).Spec.TouchpointRef.Name} }); err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&cxv1alpha1.Survey{}).
		Watches(&cxv1alpha1.Touchpoint{}, handler.EnqueueRequestsFromMapFunc(r.surveysOfTouchpoint),
			builder.WithPredicates(createOrDelete())).
		Named("survey").
		Complete(r)
}

// surveysOfTouchpoint maps a Touchpoint to the Surveys that reference it.
func (r *SurveyReconciler) surveysOfTouchpoint(ctx context.Context, o client.Object) []reconcile.Request {
	var list cxv1alpha1.SurveyList
	if err := r.List(ctx, &list, client.InNamespace(o.GetNamespace()),
		client.MatchingFields{surveyTouchpointIndex: o.GetName()}); err != nil {
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for _, s := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&s)})
	}
	return reqs
}

// createOrDelete passes only the creation and deletion of an object: a
// reference resolves or breaks then, not when the object is updated.
func createOrDelete() predicate.Predicate {
	return predicate.Funcs{
		UpdateFunc:  func(event.UpdateEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
	}
}
