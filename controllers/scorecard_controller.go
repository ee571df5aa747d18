package controllers

import (
	"context"
	"flag"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
)

// ScorecardOptions configure the Scorecard controller.
type ScorecardOptions struct{}

// DefaultScorecardOptions returns the defaults of the scorecard flags.
func DefaultScorecardOptions() ScorecardOptions {
	return ScorecardOptions{}
}

func (o *ScorecardOptions) bindFlags(fs *flag.FlagSet) {}

// setupScorecards registers the Scorecard controller and what it needs.
func setupScorecards(mgr ctrl.Manager, o Options) error {
	return (&ScorecardReconciler{Client: mgr.GetClient()}).SetupWithManager(mgr)
}

// ScorecardReconciler evaluates the objectives of each Scorecard.
type ScorecardReconciler struct {
	client.Client
}

// +kubebuilder:rbac:groups=cx.touchstone.dev,resources=scorecards,verbs=get;list;watch
// +kubebuilder:rbac:groups=cx.touchstone.dev,resources=scorecards/status,verbs=get;update;patch

// Reconcile computes the status of one Scorecard and writes it when it
// changed.
func (r *ScorecardReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var sc cxv1alpha1.Scorecard
	if err := r.Get(ctx, req.NamespacedName, &sc); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	orig := sc.DeepCopy()
	sc.Status.ObservedGeneration = sc.Generation

	missing, err := r.missingSources(ctx, &sc)
	if err != nil {
		return ctrl.Result{}, err
	}
	if len(missing) > 0 {
		setCondition(&sc.Status.Conditions, sc.Generation, cxv1alpha1.ConditionReady, boolStatus(false),
			cxv1alpha1.ReasonSourceNotFound, "missing sources: "+strings.Join(missing, ", "))
	} else {
		setCondition(&sc.Status.Conditions, sc.Generation, cxv1alpha1.ConditionReady, boolStatus(true),
			cxv1alpha1.ReasonReconciled, "every source exists")
	}
	_, err = patchStatus(ctx, r.Client, orig, &sc, orig.Status, sc.Status)
	return ctrl.Result{}, err
}

// missingSources lists the sources named by objectives that do not exist.
func (r *ScorecardReconciler) missingSources(ctx context.Context, sc *cxv1alpha1.Scorecard) ([]string, error) {
	var missing []string
	for _, o := range sc.Spec.Objectives {
		var obj client.Object
		var name, kind string
		switch {
		case o.Survey != nil:
			obj, name, kind = &cxv1alpha1.Survey{}, o.Survey.Name, "survey"
		case o.Touchpoint != nil:
			obj, name, kind = &cxv1alpha1.Touchpoint{}, o.Touchpoint.Name, "touchpoint"
		case o.Scorecard != nil:
			obj, name, kind = &cxv1alpha1.Scorecard{}, o.Scorecard.Name, "scorecard"
		default:
			continue
		}
		err := r.Get(ctx, types.NamespacedName{Namespace: sc.Namespace, Name: name}, obj)
		if apierrors.IsNotFound(err) {
			missing = append(missing, fmt.Sprintf("%s %q (objective %s)", kind, name, o.Name))
			continue
		}
		if err != nil {
			return nil, err
		}
	}
	return missing, nil
}

// SetupWithManager registers the controller.
func (r *ScorecardReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&cxv1alpha1.Scorecard{}).
		Named("scorecard").
		Complete(r)
}
