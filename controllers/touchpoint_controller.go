package controllers

import (
	"context"
	"flag"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
)

// CollectorOptions configure the collector scheduler.
type CollectorOptions struct{}

// DefaultCollectorOptions returns the defaults of the collector flags.
func DefaultCollectorOptions() CollectorOptions {
	return CollectorOptions{}
}

func (o *CollectorOptions) bindFlags(fs *flag.FlagSet) {}

// setupTouchpoints registers the Touchpoint controller and what it needs.
func setupTouchpoints(mgr ctrl.Manager, o Options) error {
	return (&TouchpointReconciler{Client: mgr.GetClient()}).SetupWithManager(mgr)
}

// TouchpointReconciler publishes the metrics of each Touchpoint.
type TouchpointReconciler struct {
	client.Client
}

// +kubebuilder:rbac:groups=cx.touchstone.dev,resources=touchpoints,verbs=get;list;watch
// +kubebuilder:rbac:groups=cx.touchstone.dev,resources=touchpoints/status,verbs=get;update;patch

// Reconcile computes the status of one Touchpoint and writes it when it
// changed.
func (r *TouchpointReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var tp cxv1alpha1.Touchpoint
	if err := r.Get(ctx, req.NamespacedName, &tp); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	orig := tp.DeepCopy()
	tp.Status.ObservedGeneration = tp.Generation
	setCondition(&tp.Status.Conditions, tp.Generation, cxv1alpha1.ConditionReady, boolStatus(true),
		cxv1alpha1.ReasonReconciled, "touchpoint is reconciled")
	_, err := patchStatus(ctx, r.Client, orig, &tp, orig.Status, tp.Status)
	return ctrl.Result{}, err
}

// SetupWithManager registers the controller.
func (r *TouchpointReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&cxv1alpha1.Touchpoint{}).
		Named("touchpoint").
		Complete(r)
}
