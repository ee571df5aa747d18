package controllers

import (
	"context"
	"flag"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/journey"
	"github.com/touchstone-dev/touchstone/internal/metrics"
)

// JourneyOptions configure the Journey controller.
type JourneyOptions struct {
	// StatusInterval is the least time between two status writes of a
	// Journey that only refresh values (journey.StatusChange): Surveys
	// update under load, and a map need not follow each update.
	StatusInterval time.Duration
}

// DefaultJourneyOptions returns the defaults of the journey flags.
func DefaultJourneyOptions() JourneyOptions {
	return JourneyOptions{StatusInterval: time.Minute}
}

func (o *JourneyOptions) bindFlags(fs *flag.FlagSet) {
	fs.DurationVar(&o.StatusInterval, "journey-status-interval", o.StatusInterval,
		"Least time between two status writes of a Journey that only refresh values (stage satisfaction, margins, spread); a change of coverage, of the weakest stage, of the card's result or of a condition, and Touchpoints added, removed or relabelled, are written at once.")
}

// setupJourneys registers the Journey controller.
func setupJourneys(mgr ctrl.Manager, o Options, status *statusWriter) error {
	return (&JourneyReconciler{
		Client:         mgr.GetClient(),
		StatusInterval: o.Journeys.StatusInterval,
		status:         status,
	}).SetupWithManager(mgr)
}

// journeyScorecardIndex indexes Journeys by the Scorecard they name.
const journeyScorecardIndex = "spec.scorecardRef.name"

// JourneyReconciler maps each Journey: the selected Touchpoints by stage,
// their Surveys, coverage, stage satisfaction and consistency, published
// as status and as the cx_journey_* series.
type JourneyReconciler struct {
	client.Client
	// StatusInterval is the least time between status updates caused by
	// survey scores.
	StatusInterval time.Duration

	status *statusWriter
}

// +kubebuilder:rbac:groups=cx.touchstone.dev,resources=journeys,verbs=get;list;watch
// +kubebuilder:rbac:groups=cx.touchstone.dev,resources=journeys/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=cx.touchstone.dev,resources=touchpoints,verbs=get;list;watch
// +kubebuilder:rbac:groups=cx.touchstone.dev,resources=surveys,verbs=get;list;watch
// +kubebuilder:rbac:groups=cx.touchstone.dev,resources=scorecards,verbs=get;list;watch

// Reconcile computes the map of one Journey and writes its status when it
// changed. Steps, in order, stopping at the first error:
//  1. read the selected Touchpoints, the namespace's Surveys and the
//     Scorecard from the cache;
//  2. build the map (internal/journey): coverage, stage satisfaction,
//     consistency, conditions;
//  3. publish the series and patch the status if it changed.
//
// Nothing runs on a timer: Touchpoints, Surveys and the Scorecard are
// watched and mapped to the Journeys that show them.
func (r *JourneyReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var jny cxv1alpha1.Journey
	if err := r.Get(ctx, req.NamespacedName, &jny); err != nil {
		if apierrors.IsNotFound(err) {
			metrics.DeleteJourney(req.Namespace, req.Name)
			r.status.forget(&cxv1alpha1.Journey{}, req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if jny.DeletionTimestamp != nil {
		return ctrl.Result{}, nil
	}
	orig := jny.DeepCopy()
	st := &jny.Status
	st.ObservedGeneration = jny.Generation

	src, err := r.sources(ctx, &jny)
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("reading the sources of journey %s: %w", req.NamespacedName, err)
	}
	m := journey.Build(&jny.Spec, src)
	m.ApplyTo(&jny.Spec, src, st)
	setConditions(&st.Conditions, jny.Generation, journey.Conditions(&jny.Spec, m, src)...)

	published := metrics.JourneyValues{CoverageRatio: m.CoverageRatio(), Spread: m.Consistency.Spread}
	for _, s := range m.Stages {
		published.Stages = append(published.Stages, metrics.JourneyStage{Stage: string(s.Name),
			Satisfaction: s.Satisfaction, MarginOfError: s.Margin, Touchpoints: s.Touchpoints, Measured: s.Measured})
	}
	metrics.SetJourney(jny.Namespace, jny.Name, published)

	change := journey.StatusChange(&orig.Status, st)
	written, err := r.status.write(ctx, orig, &jny, change, r.StatusInterval)
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("writing the status of journey %s: %w", req.NamespacedName, err)
	}
	switch {
	case written.RequeueNow:
		return ctrl.Result{RequeueAfter: requeueNow}, nil
	case written.RetryAfter > 0:
		return ctrl.Result{RequeueAfter: written.RetryAfter}, nil
	}
	return ctrl.Result{}, nil
}

// sources reads what the map is computed from. A selector that cannot be
// parsed, or a Scorecard that does not exist, is reported in the sources
// (the status says so); only a failure to read the cache is an error.
func (r *JourneyReconciler) sources(ctx context.Context, jny *cxv1alpha1.Journey) (journey.Sources, error) {
	var src journey.Sources
	sel, err := selectorOf(jny)
	if err != nil {
		src.SelectorError = err
		return src, nil
	}
	var tps cxv1alpha1.TouchpointList
	if err := r.List(ctx, &tps, client.InNamespace(jny.Namespace), client.MatchingLabelsSelector{Selector: sel}); err != nil {
		return src, fmt.Errorf("listing touchpoints: %w", err)
	}
	src.Touchpoints = tps.Items
	if len(tps.Items) > 0 {
		var svys cxv1alpha1.SurveyList
		if err := r.List(ctx, &svys, client.InNamespace(jny.Namespace)); err != nil {
			return src, fmt.Errorf("listing surveys: %w", err)
		}
		src.Surveys = svys.Items
	}
	if ref := jny.Spec.ScorecardRef; ref != nil {
		var sc cxv1alpha1.Scorecard
		err := r.Get(ctx, types.NamespacedName{Namespace: jny.Namespace, Name: ref.Name}, &sc)
		switch {
		case apierrors.IsNotFound(err):
			src.ScorecardMissing = true
		case err != nil:
			return src, fmt.Errorf("reading scorecard %s: %w", ref.Name, err)
		default:
			src.Scorecard = &sc
		}
	}
	return src, nil
}

// selectorOf is the Journey's Touchpoint selector: every Touchpoint when
// spec.touchpointSelector is left out.
func selectorOf(jny *cxv1alpha1.Journey) (labels.Selector, error) {
	if jny.Spec.TouchpointSelector == nil {
		return labels.Everything(), nil
	}
	return metav1.LabelSelectorAsSelector(jny.Spec.TouchpointSelector)
}

// SetupWithManager registers the controller: Journeys, and the Touchpoints,
// Surveys and Scorecards they show, each mapped to the Journeys that
// select them.
func (r *JourneyReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.status == nil {
		r.status = &statusWriter{client: mgr.GetClient()}
	}
	if r.StatusInterval == 0 {
		r.StatusInterval = DefaultJourneyOptions().StatusInterval
	}
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &cxv1alpha1.Journey{}, journeyScorecardIndex,
		func(o client.Object) []string {
			if ref := o.(*cxv1alpha1.Journey).Spec.ScorecardRef; ref != nil {
				return []string{ref.Name}
			}
			return nil
		}); err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).
		// The Journey's own status writes must not wake it again.
		For(&cxv1alpha1.Journey{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{},
			predicate.AnnotationChangedPredicate{}, predicate.LabelChangedPredicate{}, r.status.stalePredicate()))).
		Watches(&cxv1alpha1.Touchpoint{}, r.onChange(touchpointChanged, r.journeysOfTouchpoint, 0)).
		Watches(&cxv1alpha1.Survey{}, r.onChange(surveyChanged, r.journeysOfSurvey, r.StatusInterval)).
		Watches(&cxv1alpha1.Scorecard{}, r.onChange(scorecardVerdictChanged, r.journeysOfScorecard, 0)).
		Named("journey").
		Complete(quietShutdown{r})
}

// onChange maps the events of a source to the Journeys that show it:
// creations and deletions always, updates when changed says the part a
// map reads changed; both the old and the new object are mapped, so that
// a Touchpoint relabelled out of a selector updates the Journey it left.
// Requests wait delay (0: none), so that a burst of updates collapses into
// one reconcile.
func (r *JourneyReconciler) onChange(changed func(old, updated client.Object) bool,
	journeys func(context.Context, client.Object) []reconcile.Request, delay time.Duration) handler.EventHandler {
	enqueue := func(ctx context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request], objs ...client.Object) {
		for _, o := range objs {
			for _, req := range journeys(ctx, o) {
				if delay > 0 {
					q.AddAfter(req, delay)
				} else {
					q.Add(req)
				}
			}
		}
	}
	return handler.Funcs{
		CreateFunc: func(ctx context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			enqueue(ctx, q, e.Object)
		},
		UpdateFunc: func(ctx context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			if changed(e.ObjectOld, e.ObjectNew) {
				enqueue(ctx, q, e.ObjectOld, e.ObjectNew)
			}
		},
		DeleteFunc: func(ctx context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			enqueue(ctx, q, e.Object)
		},
	}
}

// touchpointChanged: a new stage, new labels, or a Touchpoint that gained
// or lost its last metric value.
func touchpointChanged(old, updated client.Object) bool {
	o, n := old.(*cxv1alpha1.Touchpoint), updated.(*cxv1alpha1.Touchpoint)
	return o.Spec.Stage != n.Spec.Stage || !equality.Semantic.DeepEqual(o.Labels, n.Labels) || journey.HasValue(o) != journey.HasValue(n)
}

// surveyChanged: another Touchpoint, type or scale, or a change of what
// the map reads of its status (score, margin, responses, sufficiency).
func surveyChanged(old, updated client.Object) bool {
	o, n := old.(*cxv1alpha1.Survey), updated.(*cxv1alpha1.Survey)
	read := func(s *cxv1alpha1.Survey) [5]string {
		sufficient := ""
		if c := meta.FindStatusCondition(s.Status.Conditions, cxv1alpha1.ConditionDataSufficient); c != nil {
			sufficient = string(c.Status) + c.Message
		}
		return [5]string{s.Status.Score, s.Status.MarginOfError, fmt.Sprint(s.Status.Responses, s.Status.ObservedGeneration), sufficient,
			fmt.Sprint(s.Spec.TouchpointRef.Name, s.Spec.Type, s.Spec.Scale, s.Spec.ConfidenceLevel)}
	}
	return read(o) != read(n)
}

// scorecardVerdictChanged: a new score or result.
func scorecardVerdictChanged(old, updated client.Object) bool {
	o, n := old.(*cxv1alpha1.Scorecard), updated.(*cxv1alpha1.Scorecard)
	return o.Status.Score != n.Status.Score || o.Status.Result != n.Status.Result
}

// journeysSelecting returns the Journeys of a namespace whose selector
// selects the given labels.
func (r *JourneyReconciler) journeysSelecting(ctx context.Context, namespace string, set labels.Set) []reconcile.Request {
	var list cxv1alpha1.JourneyList
	if err := r.List(ctx, &list, client.InNamespace(namespace)); err != nil {
		logf.FromContext(ctx).Error(err, "listing the journeys of a namespace", "namespace", namespace)
		return nil
	}
	var reqs []reconcile.Request
	for i := range list.Items {
		sel, err := selectorOf(&list.Items[i])
		if err != nil || !sel.Matches(set) {
			continue
		}
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
	}
	return reqs
}

// journeysOfTouchpoint maps a Touchpoint to the Journeys that select it.
func (r *JourneyReconciler) journeysOfTouchpoint(ctx context.Context, o client.Object) []reconcile.Request {
	return r.journeysSelecting(ctx, o.GetNamespace(), o.GetLabels())
}

// journeysOfSurvey maps a Survey to the Journeys that select its
// Touchpoint. A Survey whose Touchpoint does not exist is on no map.
func (r *JourneyReconciler) journeysOfSurvey(ctx context.Context, o client.Object) []reconcile.Request {
	svy, ok := o.(*cxv1alpha1.Survey)
	if !ok {
		return nil
	}
	var tp cxv1alpha1.Touchpoint
	if err := r.Get(ctx, types.NamespacedName{Namespace: svy.Namespace, Name: svy.Spec.TouchpointRef.Name}, &tp); err != nil {
		return nil
	}
	return r.journeysSelecting(ctx, svy.Namespace, tp.Labels)
}

// journeysOfScorecard maps a Scorecard to the Journeys that name it.
func (r *JourneyReconciler) journeysOfScorecard(ctx context.Context, o client.Object) []reconcile.Request {
	var list cxv1alpha1.JourneyList
	if err := r.List(ctx, &list, client.InNamespace(o.GetNamespace()), client.MatchingFields{journeyScorecardIndex: o.GetName()}); err != nil {
		logf.FromContext(ctx).Error(err, "listing the journeys that name a scorecard", "scorecard", o.GetName())
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for i := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
	}
	return reqs
}
