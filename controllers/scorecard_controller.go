package controllers

import (
	"context"
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/evaluate"
	"github.com/touchstone-dev/touchstone/internal/metrics"
)

// ScorecardOptions configure the Scorecard controller.
type ScorecardOptions struct {
	// AlertingRecheckInterval is how often a Scorecard that asks for
	// alerts looks again for the PrometheusRule CRD while it is not
	// installed. The CRD is also watched, so this is only a safety net for
	// a CRD that became discoverable after its last watch event.
	AlertingRecheckInterval time.Duration
}

// DefaultScorecardOptions returns the defaults of the scorecard flags.
func DefaultScorecardOptions() ScorecardOptions {
	return ScorecardOptions{AlertingRecheckInterval: 5 * time.Minute}
}

func (o *ScorecardOptions) bindFlags(fs *flag.FlagSet) {
	fs.DurationVar(&o.AlertingRecheckInterval, "scorecard-alerting-recheck-interval", o.AlertingRecheckInterval,
		"How often a Scorecard with spec.alerting looks again for the PrometheusRule CRD while it is not installed (the CRD is watched too).")
}

// setupScorecards registers the Scorecard controller and what it needs.
func setupScorecards(mgr ctrl.Manager, o Options) error {
	return (&ScorecardReconciler{
		Client:                  mgr.GetClient(),
		RESTMapper:              mgr.GetRESTMapper(),
		Recorder:                mgr.GetEventRecorder("touchstone-scorecard"),
		AlertingRecheckInterval: o.Scorecards.AlertingRecheckInterval,
	}).SetupWithManager(mgr)
}

// Field indexes of the Scorecard controller: the names each card's
// objectives read, so that a change of a source wakes exactly the cards
// that read it.
const (
	scorecardSurveyIndex     = "spec.objectives.survey.name"
	scorecardTouchpointIndex = "spec.objectives.touchpoint.name"
	scorecardScorecardIndex  = "spec.objectives.scorecard.name"
	scorecardAlertingIndex   = "spec.alerting"
)

// prometheusRuleCRD is the name of the prometheus-operator CRD whose
// creation (or establishment) wakes the cards that ask for alerts.
const prometheusRuleCRD = "prometheusrules.monitoring.coreos.com"

// ScorecardReconciler evaluates the objectives of each Scorecard, publishes
// the cx_scorecard_* series, records an Event on each change of result and
// writes the PrometheusRule asked for by spec.alerting.
type ScorecardReconciler struct {
	client.Client
	// RESTMapper tells whether the PrometheusRule CRD is installed.
	RESTMapper meta.RESTMapper
	// Recorder records the ResultChanged events.
	Recorder recorder.EventRecorder
	// AlertingRecheckInterval is how often a card asking for alerts looks
	// again for a missing PrometheusRule CRD.
	AlertingRecheckInterval time.Duration

	// crdMu guards crdAbsentUntil: while the PrometheusRule CRD is known
	// to be absent, discovery is not asked again until then (or until the
	// CRD is created).
	crdMu          sync.Mutex
	crdAbsentUntil time.Time
}

// +kubebuilder:rbac:groups=cx.touchstone.dev,resources=scorecards,verbs=get;list;watch
// +kubebuilder:rbac:groups=cx.touchstone.dev,resources=scorecards/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=cx.touchstone.dev,resources=scorecards/finalizers,verbs=update
// +kubebuilder:rbac:groups=cx.touchstone.dev,resources=surveys,verbs=get;list;watch
// +kubebuilder:rbac:groups=cx.touchstone.dev,resources=touchpoints,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=monitoring.coreos.com,resources=prometheusrules,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=apiextensions.k8s.io,resources=customresourcedefinitions,verbs=get;list;watch

// Reconcile computes the status of one Scorecard and writes it when it
// changed. Steps, in order, stopping at the first error:
//  1. find the reference cycles through nested cards (walking the cache);
//  2. read each objective's value from its source;
//  3. evaluate the objectives and the card (internal/evaluate);
//  4. write, update or delete the PrometheusRule (spec.alerting); an error
//     here is returned (and retried) only after step 5, so that the
//     AlertingReady condition says what failed;
//  5. publish the series, patch the status if it changed, and record an
//     Event when the result changed.
//
// Nothing here runs on a timer: sources are watched. The only requeue is
// the recheck for a missing PrometheusRule CRD.
func (r *ScorecardReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var sc cxv1alpha1.Scorecard
	if err := r.Get(ctx, req.NamespacedName, &sc); err != nil {
		if apierrors.IsNotFound(err) {
			metrics.DeleteScorecard(req.Namespace, req.Name)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if sc.DeletionTimestamp != nil {
		return ctrl.Result{}, nil
	}
	orig := sc.DeepCopy()
	st := &sc.Status
	st.ObservedGeneration = sc.Generation

	// 1. Cycles.
	cycles := map[string][]string{}
	for _, o := range sc.Spec.Objectives {
		if o.Scorecard == nil {
			continue
		}
		path, err := r.cyclePath(ctx, &sc, o.Scorecard.Name)
		if err != nil {
			return ctrl.Result{}, err
		}
		if path != nil {
			cycles[o.Name] = path
		}
	}

	// 2. Sources.
	inputs := make([]evaluate.Objective, 0, len(sc.Spec.Objectives))
	var missing []string
	for _, o := range sc.Spec.Objectives {
		in, err := r.objectiveInput(ctx, &sc, o, cycles[o.Name])
		if err != nil {
			return ctrl.Result{}, err
		}
		if in.missing != "" {
			missing = append(missing, in.missing)
		}
		inputs = append(inputs, in.Objective)
	}

	// 3. Evaluation.
	pass, warning := thresholds(&sc.Spec)
	card := evaluate.Evaluate(inputs, evaluate.Thresholds{Pass: pass, Warning: warning})
	st.Score = evaluate.FormatScore(card.Score)
	st.Result = cxv1alpha1.ScorecardResult(card.Result)
	st.Objectives = objectiveStatuses(inputs, card)
	setReady(&sc, card, cycles, missing)

	// 4. Alerting.
	requeue, alertErr := r.reconcileAlerting(ctx, &sc, orig)

	// 5. Publish and write.
	published := metrics.ScorecardValues{Score: card.Score, Result: string(card.Result)}
	for i, o := range card.Objectives {
		v := inputs[i].Value
		if o.Result == evaluate.NoData {
			v = math.NaN()
		}
		published.Objectives = append(published.Objectives, metrics.ScorecardObjective{Name: o.Name, Value: v, Met: o.Met()})
	}
	metrics.SetScorecard(sc.Namespace, sc.Name, published)

	written, err := patchStatusLocked(ctx, r.Client, orig, &sc)
	if apierrors.IsConflict(err) {
		// The cache is behind the server: the newer object is on its way
		// through the watch and will be reconciled then.
		return ctrl.Result{}, alertErr
	}
	if err != nil {
		return ctrl.Result{}, err
	}
	if written && orig.Status.Result != sc.Status.Result {
		r.recordResultChange(&sc, orig.Status.Result)
	}
	return ctrl.Result{RequeueAfter: requeue}, alertErr
}

// patchStatusLocked writes the status with a merge patch that carries the
// resourceVersion read (optimistic lock), and not at all when nothing
// changed. Unlike patchStatus, a reconcile that ran on a cache still
// behind this controller's previous write gets a conflict instead of
// writing the same transition twice, so that each change of result
// records exactly one Event.
func patchStatusLocked(ctx context.Context, c client.Client, orig, sc *cxv1alpha1.Scorecard) (bool, error) {
	if equality.Semantic.DeepEqual(orig.Status, sc.Status) {
		return false, nil
	}
	return true, c.Status().Patch(ctx, sc, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{}))
}

// recordResultChange records a ResultChanged Event: of type Normal when
// the new result is Pass, Warning otherwise. The events.k8s.io recorder merges the
// events of an object with the same reason and action within a few
// minutes into one series that keeps the first note, so the action names
// the transition ("WarningToFail") to keep each kind of transition
// readable.
func (r *ScorecardReconciler) recordResultChange(sc *cxv1alpha1.Scorecard, from cxv1alpha1.ScorecardResult) {
	if r.Recorder == nil {
		return
	}
	to := sc.Status.Result
	eventType := corev1.EventTypeNormal
	if to != cxv1alpha1.ResultPass {
		eventType = corev1.EventTypeWarning
	}
	fromText := string(from)
	if fromText == "" {
		fromText = "None"
	}
	r.Recorder.Eventf(sc, nil, eventType, "ResultChanged", fromText+"To"+string(to),
		"result %s -> %s (score %s)", fromText, to, sc.Status.Score)
}

// thresholds are the card's pass and warning thresholds as numbers.
func thresholds(spec *cxv1alpha1.ScorecardSpec) (pass, warning float64) {
	if spec.Thresholds == nil {
		return cxv1alpha1.DefaultThresholdPass, cxv1alpha1.DefaultThresholdWarning
	}
	return quantityFloat(spec.Thresholds.Pass), quantityFloat(spec.Thresholds.Warning)
}

// quantityFloat is a Quantity as the nearest float64 of its decimal
// value: "0.6" is 0.6, where AsApproximateFloat64 computes
// 6 * 10^-1 = 0.6000000000000001 and would fail a value of exactly 0.6
// against a maximum of 0.6.
func quantityFloat(q resource.Quantity) float64 {
	f, err := strconv.ParseFloat(q.AsDec().String(), 64)
	if err != nil {
		return q.AsApproximateFloat64()
	}
	return f
}

// bounds converts an API target into evaluate bounds.
func bounds(t cxv1alpha1.Target) evaluate.Bounds {
	var b evaluate.Bounds
	if t.Min != nil {
		v := quantityFloat(*t.Min)
		b.Min = &v
	}
	if t.Max != nil {
		v := quantityFloat(*t.Max)
		b.Max = &v
	}
	return b
}

// objectiveInput is an objective ready for evaluation, and the source it
// names when that source does not exist.
type objectiveInput struct {
	evaluate.Objective
	missing string
}

// objectiveInput reads the value of one objective from its source. A
// source that does not exist, has no value, or (for a Survey) has too few
// responses gives no value, with the reason.
func (r *ScorecardReconciler) objectiveInput(ctx context.Context, sc *cxv1alpha1.Scorecard, o cxv1alpha1.Objective, cycle []string) (objectiveInput, error) {
	in := objectiveInput{Objective: evaluate.Objective{
		Name:   o.Name,
		Target: bounds(o.Target),
		Weight: o.WeightOrDefault(),
		Key:    o.Key,
	}}
	if o.Warning != nil {
		w := bounds(*o.Warning)
		in.Warning = &w
	}
	key := func(name string) types.NamespacedName {
		return types.NamespacedName{Namespace: sc.Namespace, Name: name}
	}
	var text string
	var err error
	switch {
	case o.Survey != nil:
		var svy cxv1alpha1.Survey
		if err = r.Get(ctx, key(o.Survey.Name), &svy); err == nil {
			text, in.NoDataReason = surveyValue(&svy, o.Survey.Value)
		} else if apierrors.IsNotFound(err) {
			in.missing = fmt.Sprintf("survey %q (objective %s)", o.Survey.Name, o.Name)
			in.NoDataReason = fmt.Sprintf("survey %q does not exist", o.Survey.Name)
		}
	case o.Touchpoint != nil:
		var tp cxv1alpha1.Touchpoint
		if err = r.Get(ctx, key(o.Touchpoint.Name), &tp); err == nil {
			text, in.NoDataReason = touchpointValue(&tp, o.Touchpoint.Metric)
		} else if apierrors.IsNotFound(err) {
			in.missing = fmt.Sprintf("touchpoint %q (objective %s)", o.Touchpoint.Name, o.Name)
			in.NoDataReason = fmt.Sprintf("touchpoint %q does not exist", o.Touchpoint.Name)
		}
	case o.Scorecard != nil && cycle != nil:
		in.NoDataReason = "reference cycle: " + strings.Join(cycle, " -> ")
	case o.Scorecard != nil:
		var nested cxv1alpha1.Scorecard
		if err = r.Get(ctx, key(o.Scorecard.Name), &nested); err == nil {
			text = nested.Status.Score
			if text == "" {
				in.NoDataReason = fmt.Sprintf("scorecard %q has no score yet", o.Scorecard.Name)
			}
		} else if apierrors.IsNotFound(err) {
			in.missing = fmt.Sprintf("scorecard %q (objective %s)", o.Scorecard.Name, o.Name)
			in.NoDataReason = fmt.Sprintf("scorecard %q does not exist", o.Scorecard.Name)
		}
	default:
		in.NoDataReason = "the objective names no source"
	}
	if err != nil && !apierrors.IsNotFound(err) {
		return in, err
	}
	if text != "" {
		v, perr := strconv.ParseFloat(text, 64)
		if perr != nil {
			in.NoDataReason = fmt.Sprintf("the source published %q, which is not a number", text)
		} else {
			in.Value, in.HasValue = v, true
		}
	}
	return in, nil
}

// surveyValue reads one value of a Survey's status: the display string,
// or "" and the reason there is none. Below the survey's minimum sample
// size (DataSufficient not True) only Responses can be read: a score from
// too few answers must not pass an objective.
func surveyValue(svy *cxv1alpha1.Survey, value cxv1alpha1.SurveyValue) (string, string) {
	name := svy.Name
	if value == "" {
		value = cxv1alpha1.SurveyValueScore
	}
	st := &svy.Status
	if st.ObservedGeneration == 0 {
		return "", fmt.Sprintf("survey %q has not been evaluated yet", name)
	}
	if value == cxv1alpha1.SurveyValueResponses {
		return strconv.FormatInt(st.Responses, 10), ""
	}
	if c := meta.FindStatusCondition(st.Conditions, cxv1alpha1.ConditionDataSufficient); c == nil || c.Status != metav1.ConditionTrue {
		if c == nil {
			return "", fmt.Sprintf("survey %q has not reported whether its data is sufficient", name)
		}
		return "", fmt.Sprintf("survey %q has insufficient data: %s", name, c.Message)
	}
	var text string
	switch value {
	case cxv1alpha1.SurveyValueScore:
		text = st.Score
	case cxv1alpha1.SurveyValueMarginOfError:
		text = st.MarginOfError
	case cxv1alpha1.SurveyValueMean:
		text = st.Mean
	case cxv1alpha1.SurveyValueThresholdPercent:
		text = st.ThresholdPercent
	case cxv1alpha1.SurveyValuePromoterPercent:
		if st.NPS != nil {
			text = st.NPS.PromoterPercent
		}
	case cxv1alpha1.SurveyValueDetractorPercent:
		if st.NPS != nil {
			text = st.NPS.DetractorPercent
		}
	}
	if text == "" {
		return "", fmt.Sprintf("survey %q publishes no %s", name, value)
	}
	return text, ""
}

// touchpointValue reads one metric of a Touchpoint's status: the display
// string, or "" and the reason there is none.
func touchpointValue(tp *cxv1alpha1.Touchpoint, metric string) (string, string) {
	for _, m := range tp.Status.Metrics {
		if m.Name != metric {
			continue
		}
		if m.Value != "" {
			return m.Value, ""
		}
		if m.Reason != "" {
			return "", fmt.Sprintf("touchpoint %q metric %s has no value: %s", tp.Name, metric, m.Reason)
		}
		return "", fmt.Sprintf("touchpoint %q metric %s has no value yet", tp.Name, metric)
	}
	return "", fmt.Sprintf("touchpoint %q has no metric %s (yet)", tp.Name, metric)
}

// objectiveStatuses renders the evaluation for status.
func objectiveStatuses(inputs []evaluate.Objective, card evaluate.CardResult) []cxv1alpha1.ObjectiveStatus {
	out := make([]cxv1alpha1.ObjectiveStatus, 0, len(card.Objectives))
	for i, o := range card.Objectives {
		in := inputs[i]
		s := cxv1alpha1.ObjectiveStatus{
			Name:   o.Name,
			Target: in.Target.String(),
			Result: cxv1alpha1.ObjectiveResult(o.Result),
			Score:  evaluate.FormatScore(o.Earned),
			Weight: o.Weight,
			Key:    o.Key,
			Reason: o.Reason,
		}
		if in.Warning != nil {
			s.Warning = in.Warning.String()
		}
		if o.Result != evaluate.NoData {
			s.Value = evaluate.FormatNumber(in.Value)
		}
		out = append(out, s)
	}
	return out
}

// setReady sets the Ready condition: False for a reference cycle or a
// missing source, True otherwise (objectives without data are counted in
// the message: they are data, not a failure to reconcile).
func setReady(sc *cxv1alpha1.Scorecard, card evaluate.CardResult, cycles map[string][]string, missing []string) {
	conds, gen := &sc.Status.Conditions, sc.Generation
	switch {
	case len(cycles) > 0:
		var paths []string
		seen := map[string]bool{}
		for _, o := range sc.Spec.Objectives {
			if p, ok := cycles[o.Name]; ok && !seen[strings.Join(p, " -> ")] {
				seen[strings.Join(p, " -> ")] = true
				paths = append(paths, strings.Join(p, " -> ")+" (objective "+o.Name+")")
			}
		}
		setCondition(conds, gen, cxv1alpha1.ConditionReady, metav1.ConditionFalse, cxv1alpha1.ReasonReferenceCycle,
			"scorecards refer to each other in a cycle, so those objectives have no data: "+strings.Join(paths, "; "))
	case len(missing) > 0:
		setCondition(conds, gen, cxv1alpha1.ConditionReady, metav1.ConditionFalse, cxv1alpha1.ReasonSourceNotFound,
			"missing sources, whose objectives have no data: "+strings.Join(missing, ", "))
	default:
		msg := fmt.Sprintf("%d objectives evaluated: score %s, result %s (%s)",
			len(card.Objectives), evaluate.FormatScore(card.Score), card.Result, card.Reason)
		if n := len(card.NoData); n > 0 {
			msg += fmt.Sprintf("; %d of %d objectives have no data and score 0: %s",
				n, len(card.Objectives), strings.Join(card.NoData, ", "))
		}
		setCondition(conds, gen, cxv1alpha1.ConditionReady, metav1.ConditionTrue, cxv1alpha1.ReasonObjectivesEvaluated, msg)
	}
}

// cyclePath looks for a path of scorecard references from ref back to sc,
// walking the cards in the cache. It returns the cycle as card names,
// starting and ending with sc ("journey -> stage -> journey"), or nil.
// Every card is visited at most once, so the walk ends on any graph.
func (r *ScorecardReconciler) cyclePath(ctx context.Context, sc *cxv1alpha1.Scorecard, ref string) ([]string, error) {
	visited := map[string]bool{}
	var path []string
	var walk func(name string) (bool, error)
	walk = func(name string) (bool, error) {
		path = append(path, name)
		if name == sc.Name {
			return true, nil
		}
		if !visited[name] {
			visited[name] = true
			var card cxv1alpha1.Scorecard
			err := r.Get(ctx, types.NamespacedName{Namespace: sc.Namespace, Name: name}, &card)
			if client.IgnoreNotFound(err) != nil {
				return false, err
			}
			if err == nil {
				for _, o := range card.Spec.Objectives {
					if o.Scorecard == nil {
						continue
					}
					found, err := walk(o.Scorecard.Name)
					if found || err != nil {
						return found, err
					}
				}
			}
		}
		path = path[:len(path)-1]
		return false, nil
	}
	found, err := walk(ref)
	if !found || err != nil {
		return nil, err
	}
	return append([]string{sc.Name}, path...), nil
}

// SetupWithManager registers the controller: Scorecards, and the Surveys,
// Touchpoints and Scorecards they read, mapped to the cards through field
// indexes; and the PrometheusRule CRD, whose arrival wakes the cards that
// ask for alerts.
func (r *ScorecardReconciler) SetupWithManager(mgr ctrl.Manager) error {
	idx := mgr.GetFieldIndexer()
	indexes := map[string]func(o cxv1alpha1.Objective) string{
		scorecardSurveyIndex: func(o cxv1alpha1.Objective) string {
			if o.Survey != nil {
				return o.Survey.Name
			}
			return ""
		},
		scorecardTouchpointIndex: func(o cxv1alpha1.Objective) string {
			if o.Touchpoint != nil {
				return o.Touchpoint.Name
			}
			return ""
		},
		scorecardScorecardIndex: func(o cxv1alpha1.Objective) string {
			if o.Scorecard != nil {
				return o.Scorecard.Name
			}
			return ""
		},
	}
	for field, name := range indexes {
		if err := idx.IndexField(context.Background(), &cxv1alpha1.Scorecard{}, field, func(obj client.Object) []string {
			var names []string
			for _, o := range obj.(*cxv1alpha1.Scorecard).Spec.Objectives {
				if n := name(o); n != "" && !contains(names, n) {
					names = append(names, n)
				}
			}
			return names
		}); err != nil {
			return err
		}
	}
	if err := idx.IndexField(context.Background(), &cxv1alpha1.Scorecard{}, scorecardAlertingIndex, func(obj client.Object) []string {
		if obj.(*cxv1alpha1.Scorecard).Spec.Alerting != nil {
			return []string{"true"}
		}
		return nil
	}); err != nil {
		return err
	}

	crd := &metav1.PartialObjectMetadata{}
	crd.SetGroupVersionKind(apiextensionsCRDKind)
	return ctrl.NewControllerManagedBy(mgr).
		For(&cxv1alpha1.Scorecard{}).
		Watches(&cxv1alpha1.Survey{}, handler.EnqueueRequestsFromMapFunc(r.cardsReading(scorecardSurveyIndex)),
			builder.WithPredicates(statusChanged(func(o client.Object) any { return o.(*cxv1alpha1.Survey).Status }))).
		Watches(&cxv1alpha1.Touchpoint{}, handler.EnqueueRequestsFromMapFunc(r.cardsReading(scorecardTouchpointIndex)),
			builder.WithPredicates(statusChanged(func(o client.Object) any { return o.(*cxv1alpha1.Touchpoint).Status.Metrics }))).
		Watches(&cxv1alpha1.Scorecard{}, handler.EnqueueRequestsFromMapFunc(r.cardsReadingCard),
			builder.WithPredicates(cardChanged())).
		Watches(crd, handler.EnqueueRequestsFromMapFunc(r.cardsWithAlerting),
			builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool { return o.GetName() == prometheusRuleCRD }))).
		Named("scorecard").
		Complete(r)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// statusChanged passes creations, deletions, and updates that change the
// part of the status a card reads.
func statusChanged(part func(client.Object) any) predicate.Predicate {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			return !equality.Semantic.DeepEqual(part(e.ObjectOld), part(e.ObjectNew))
		},
		GenericFunc: func(event.GenericEvent) bool { return false },
	}
}

// cardChanged passes the events of a card that matter to the cards that
// read it: creation, deletion, a new spec (its references may close or
// open a cycle) and a new score or result.
func cardChanged() predicate.Predicate {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			o, n := e.ObjectOld.(*cxv1alpha1.Scorecard), e.ObjectNew.(*cxv1alpha1.Scorecard)
			return o.Generation != n.Generation || o.Status.Score != n.Status.Score || o.Status.Result != n.Status.Result
		},
		GenericFunc: func(event.GenericEvent) bool { return false },
	}
}

// cardsReading maps a source to the cards that read it, through a field
// index.
func (r *ScorecardReconciler) cardsReading(index string) handler.MapFunc {
	return func(ctx context.Context, o client.Object) []reconcile.Request {
		var list cxv1alpha1.ScorecardList
		if err := r.List(ctx, &list, client.InNamespace(o.GetNamespace()), client.MatchingFields{index: o.GetName()}); err != nil {
			logf.FromContext(ctx).Error(err, "listing the scorecards that read a source", "index", index, "source", o.GetName())
			return nil
		}
		reqs := make([]reconcile.Request, 0, len(list.Items))
		for i := range list.Items {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
		return reqs
	}
}

// cardsReadingCard maps a Scorecard to the cards that read it, directly
// or through other cards, so that a new or broken reference cycle is seen
// by every card on it, wherever the edge changed. The readers re-evaluate
// and write only if their own status changed, so the wave stops there.
func (r *ScorecardReconciler) cardsReadingCard(ctx context.Context, o client.Object) []reconcile.Request {
	seen := map[string]bool{o.GetName(): true}
	var reqs []reconcile.Request
	queue := []string{o.GetName()}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		var list cxv1alpha1.ScorecardList
		if err := r.List(ctx, &list, client.InNamespace(o.GetNamespace()), client.MatchingFields{scorecardScorecardIndex: name}); err != nil {
			logf.FromContext(ctx).Error(err, "listing the scorecards that read a scorecard", "scorecard", name)
			return reqs
		}
		for i := range list.Items {
			n := list.Items[i].Name
			if seen[n] {
				continue
			}
			seen[n] = true
			queue = append(queue, n)
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: o.GetNamespace(), Name: n}})
		}
	}
	return reqs
}

// cardsWithAlerting maps an event of the PrometheusRule CRD to every card
// that asks for alerts, and forgets that the CRD was absent.
func (r *ScorecardReconciler) cardsWithAlerting(ctx context.Context, _ client.Object) []reconcile.Request {
	r.crdMu.Lock()
	r.crdAbsentUntil = time.Time{}
	r.crdMu.Unlock()
	var list cxv1alpha1.ScorecardList
	if err := r.List(ctx, &list, client.MatchingFields{scorecardAlertingIndex: "true"}); err != nil {
		logf.FromContext(ctx).Error(err, "listing the scorecards that ask for alerts")
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for i := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
	}
	return reqs
}

// apiextensionsCRDKind is the kind of CustomResourceDefinitions, watched as
// metadata only (the scheme need not know the type).
var apiextensionsCRDKind = schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"}

// PrometheusRuleGVK is the prometheus-operator kind the controller writes
// for spec.alerting.
var PrometheusRuleGVK = schema.GroupVersionKind{Group: "monitoring.coreos.com", Version: "v1", Kind: "PrometheusRule"}

// Names of the generated alerts. One name per kind of alert, told apart by
// the namespace, scorecard and objective labels of the series they watch.
const (
	AlertObjectiveNotMet = "CXScorecardObjectiveNotMet"
	AlertScorecardFailed = "CXScorecardFailing"
)

// crdAbsentTTL bounds how long "the PrometheusRule CRD is not installed" is
// believed without asking discovery again.
const crdAbsentTTL = 10 * time.Second

// reconcileAlerting writes the PrometheusRule that spec.alerting asks for
// and sets the AlertingReady condition; without spec.alerting it deletes
// the rule it owned and removes the condition. It returns when to look
// again for a missing CRD, and an error worth retrying.
func (r *ScorecardReconciler) reconcileAlerting(ctx context.Context, sc *cxv1alpha1.Scorecard, orig *cxv1alpha1.Scorecard) (time.Duration, error) {
	conds, gen := &sc.Status.Conditions, sc.Generation
	if sc.Spec.Alerting == nil {
		// The condition is there exactly when a rule may have been
		// written: remove both together.
		if meta.FindStatusCondition(orig.Status.Conditions, cxv1alpha1.ConditionAlertingReady) != nil {
			if err := r.deleteRule(ctx, sc); err != nil {
				return 0, err
			}
		}
		meta.RemoveStatusCondition(conds, cxv1alpha1.ConditionAlertingReady)
		return 0, nil
	}
	notInstalled := func() (time.Duration, error) {
		setCondition(conds, gen, cxv1alpha1.ConditionAlertingReady, metav1.ConditionFalse, cxv1alpha1.ReasonRuleCRDNotInstalled,
			"spec.alerting asks for a PrometheusRule, but the prometheus-operator CRD "+prometheusRuleCRD+
				" (monitoring.coreos.com/v1) is not installed in the cluster: no alert rules are generated")
		return r.AlertingRecheckInterval, nil
	}
	writeFailed := func(msg string, err error) (time.Duration, error) {
		setCondition(conds, gen, cxv1alpha1.ConditionAlertingReady, metav1.ConditionFalse, cxv1alpha1.ReasonRuleWriteFailed, msg)
		return 0, err
	}
	installed, err := r.ruleCRDInstalled()
	if err != nil {
		return writeFailed("cannot tell whether the PrometheusRule CRD is installed: "+err.Error(), err)
	}
	if !installed {
		return notInstalled()
	}

	desired := PrometheusRuleFor(sc)
	current := &unstructured.Unstructured{}
	current.SetGroupVersionKind(PrometheusRuleGVK)
	err = r.Get(ctx, client.ObjectKeyFromObject(desired), current)
	switch {
	case apierrors.IsNotFound(err):
		err = r.Create(ctx, desired)
	case err != nil:
	case !metav1.IsControlledBy(current, sc):
		// Someone else's rule: never overwrite it, and wait for a change
		// rather than retrying.
		return writeFailed(fmt.Sprintf("PrometheusRule %q exists and is not owned by this Scorecard: rename or delete it", desired.GetName()), nil)
	case !equality.Semantic.DeepEqual(current.Object["spec"], desired.Object["spec"]) ||
		!equality.Semantic.DeepEqual(current.GetLabels(), desired.GetLabels()):
		current.Object["spec"] = desired.Object["spec"]
		current.SetLabels(desired.GetLabels())
		err = r.Update(ctx, current)
	}
	if meta.IsNoMatchError(err) {
		// The CRD went away since discovery last saw it.
		return notInstalled()
	}
	if err != nil {
		return writeFailed(fmt.Sprintf("writing PrometheusRule %q: %v", desired.GetName(), err), err)
	}
	setCondition(conds, gen, cxv1alpha1.ConditionAlertingReady, metav1.ConditionTrue, cxv1alpha1.ReasonRuleWritten,
		fmt.Sprintf("PrometheusRule %q holds %d alerts: one per objective and one for the result", desired.GetName(), len(sc.Spec.Objectives)+1))
	return 0, nil
}

// deleteRule deletes the PrometheusRule named after the card if the card
// owns it.
func (r *ScorecardReconciler) deleteRule(ctx context.Context, sc *cxv1alpha1.Scorecard) error {
	installed, err := r.ruleCRDInstalled()
	if err != nil || !installed {
		return err
	}
	rule := &unstructured.Unstructured{}
	rule.SetGroupVersionKind(PrometheusRuleGVK)
	err = r.Get(ctx, client.ObjectKeyFromObject(sc), rule)
	if apierrors.IsNotFound(err) || meta.IsNoMatchError(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if !metav1.IsControlledBy(rule, sc) {
		return nil
	}
	return client.IgnoreNotFound(r.Delete(ctx, rule, client.Preconditions{UID: ptrTo(rule.GetUID())}))
}

func ptrTo[T any](v T) *T { return &v }

// ruleCRDInstalled asks the RESTMapper whether the PrometheusRule kind is
// served. A missing group costs a discovery call, so "absent" is believed
// for a short while; an event of the CRD forgets it at once.
func (r *ScorecardReconciler) ruleCRDInstalled() (bool, error) {
	r.crdMu.Lock()
	defer r.crdMu.Unlock()
	now := time.Now()
	if now.Before(r.crdAbsentUntil) {
		return false, nil
	}
	_, err := r.RESTMapper.RESTMapping(PrometheusRuleGVK.GroupKind(), PrometheusRuleGVK.Version)
	if err == nil {
		return true, nil
	}
	if meta.IsNoMatchError(err) {
		ttl := crdAbsentTTL
		if r.AlertingRecheckInterval > 0 && r.AlertingRecheckInterval < ttl {
			ttl = r.AlertingRecheckInterval
		}
		r.crdAbsentUntil = now.Add(ttl)
		return false, nil
	}
	return false, err
}

// PrometheusRuleFor returns the PrometheusRule the controller writes for a
// Scorecard with spec.alerting: named after the card, in its namespace,
// controlled by it, with one group holding
//   - per objective, alert CXScorecardObjectiveNotMet on
//     cx_scorecard_objective_met{namespace,scorecard,objective} == 0 (not
//     met: Warning, Fail or no data) for spec.alerting.for, with severity
//     objectiveSeverity or the objective's alertSeverity;
//   - alert CXScorecardFailing on
//     cx_scorecard_result{namespace,scorecard,result="Fail"} == 1 for
//     spec.alerting.for, with severity resultSeverity.
//
// Every alert carries spec.alerting.labels and a generated summary and
// description, which spec.alerting.annotations may replace or add to.
// It returns nil when the card does not ask for alerts.
func PrometheusRuleFor(sc *cxv1alpha1.Scorecard) *unstructured.Unstructured {
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
		target := bounds(o.Target).String()
		if o.Warning != nil {
			target += " (warning band " + bounds(*o.Warning).String() + ")"
		}
		desc := fmt.Sprintf("Objective %s of scorecard %s reads %s and has not met its target %s for %s: its result is Warning, Fail or NoData.",
			o.Name, card, sourceText(o), target, forText)
		if o.Key {
			desc += " It is a key objective: the scorecard fails while it fails or has no data."
		}
		rules = append(rules, map[string]any{
			"alert":  AlertObjectiveNotMet,
			"expr":   fmt.Sprintf("cx_scorecard_objective_met{namespace=%q,scorecard=%q,objective=%q} == 0", ns, name, o.Name),
			"for":    forText,
			"labels": alertLabels(a.Labels, orDefault(o.AlertSeverity, objectiveSeverity), "objective", o.Name),
			"annotations": alertAnnotations(a.Annotations,
				fmt.Sprintf("CX objective %s of scorecard %s is not met", o.Name, card), desc+" "+look),
		})
	}
	pass, warning := thresholds(&sc.Spec)
	rules = append(rules, map[string]any{
		"alert":  AlertScorecardFailed,
		"expr":   fmt.Sprintf("cx_scorecard_result{namespace=%q,scorecard=%q,result=\"Fail\"} == 1", ns, name),
		"for":    forText,
		"labels": alertLabels(a.Labels, resultSeverity),
		"annotations": alertAnnotations(a.Annotations,
			fmt.Sprintf("CX scorecard %s is failing", card),
			fmt.Sprintf("Scorecard %s has had the result Fail for %s: its score is below the warning threshold %s (pass at %s), or a key objective fails or has no data. %s",
				card, forText, evaluate.FormatNumber(warning), evaluate.FormatNumber(pass), look)),
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
	for k, v := range a.RuleLabels {
		labels[k] = v
	}
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
