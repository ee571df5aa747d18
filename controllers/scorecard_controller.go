package controllers

import (
	"context"
	"flag"
	"fmt"
	"math"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"
	"sigs.k8s.io/controller-runtime/pkg/source"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/alerting"
	"github.com/touchstone-dev/touchstone/internal/metrics"
	"github.com/touchstone-dev/touchstone/internal/scorecard"
	"github.com/touchstone-dev/touchstone/internal/scorecard/verdict"
)

// ScorecardOptions configure the Scorecard controller.
type ScorecardOptions struct {
	// AlertingRecheckInterval is how often a Scorecard that asks for
	// alerts looks again for the PrometheusRule CRD while it is not
	// installed. The CRD is also watched, so this is only a safety net for
	// a CRD that became discoverable after its last watch event.
	AlertingRecheckInterval time.Duration
	// ConcurrentReconciles is how many Scorecards are evaluated at once.
	ConcurrentReconciles int
	// SourceGrace is how long a card waits for a new source's first
	// status, or for a source a new card names to be created, before it
	// reads it as no data or not found (scorecard.AwaitSource).
	SourceGrace time.Duration
}

// DefaultScorecardOptions returns the defaults of the scorecard flags.
func DefaultScorecardOptions() ScorecardOptions {
	return ScorecardOptions{AlertingRecheckInterval: 5 * time.Minute, ConcurrentReconciles: 4, SourceGrace: scorecard.DefaultSourceGrace}
}

func (o *ScorecardOptions) bindFlags(fs *flag.FlagSet) {
	fs.DurationVar(&o.AlertingRecheckInterval, "scorecard-alerting-recheck-interval", o.AlertingRecheckInterval,
		"How often a Scorecard with spec.alerting looks again for the PrometheusRule CRD while it is not installed (the CRD is watched too).")
	fs.IntVar(&o.ConcurrentReconciles, "scorecard-concurrent-reconciles", o.ConcurrentReconciles,
		"Scorecards evaluated at once.")
	fs.DurationVar(&o.SourceGrace, "scorecard-source-grace", o.SourceGrace,
		"How long a Scorecard waits for a new source's first status, or for a source a new card names to be created, before it reads it as no data or not found (0: no wait).")
}

// setupScorecards registers the Scorecard controller and what it needs.
func setupScorecards(mgr ctrl.Manager, o Options, status *statusWriter) error {
	return (&ScorecardReconciler{
		Client:   mgr.GetClient(),
		Recorder: mgr.GetEventRecorder("touchstone-scorecard"),
		rules: &ruleWriter{
			client:  mgr.GetClient(),
			mapper:  mgr.GetRESTMapper(),
			recheck: o.Scorecards.AlertingRecheckInterval,
		},
		status:               status,
		ConcurrentReconciles: o.Scorecards.ConcurrentReconciles,
		SourceGrace:          o.Scorecards.SourceGrace,
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

// ScorecardReconciler evaluates the objectives of each Scorecard, publishes
// the cx_scorecard_* series, records an Event on each change of result and
// writes the PrometheusRule asked for by spec.alerting.
type ScorecardReconciler struct {
	client.Client
	// Recorder records the ResultChanged events.
	Recorder recorder.EventRecorder

	// rules writes the PrometheusRules of spec.alerting
	// (scorecard_alerting.go).
	rules  *ruleWriter
	status *statusWriter
	// ConcurrentReconciles bounds the evaluations in flight.
	ConcurrentReconciles int
	// SourceGrace bounds the wait for new sources (0: none).
	SourceGrace time.Duration
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
//  2. read each objective's value from its source (the cache), turned
//     into an evaluation input by internal/scorecard;
//  3. judge the objectives and the card (internal/scorecard/verdict),
//     hold a new result back for spec.stabilizationWindow
//     (scorecard.Stabilize, from the previous status) and render
//     status.objectives and Ready (internal/scorecard);
//  4. write, update or delete the PrometheusRule (spec.alerting), shaped by
//     internal/alerting; an error here is returned (and retried) only
//     after step 5, so that the AlertingReady condition says what failed;
//  5. publish the series, patch the status if it changed, and record an
//     Event when the result changed.
//
// Nothing here runs on a timer: sources are watched. The requeues are
// deadlines: the end of the stabilization window of a pending result
// (computed from status.pendingSince, so it survives a restart), the
// recheck for a missing PrometheusRule CRD, the deadline of a new source
// that has not reported yet (scorecard.AwaitSource; its first status
// wakes the card earlier), and a refresh the status write budget
// deferred.
func (r *ScorecardReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var sc cxv1alpha1.Scorecard
	if err := r.Get(ctx, req.NamespacedName, &sc); err != nil {
		if apierrors.IsNotFound(err) {
			metrics.DeleteScorecard(req.Namespace, req.Name)
			r.status.forget(&cxv1alpha1.Scorecard{}, req.NamespacedName)
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
			return ctrl.Result{}, fmt.Errorf("walking the scorecards that %s/%s reads: %w", sc.Namespace, sc.Name, err)
		}
		if path != nil {
			cycles[o.Name] = path
		}
	}

	// 2. Sources; a new source that has not reported yet is waited for
	// (its status write wakes the card).
	inputs, missing, await, err := r.readObjectives(ctx, &sc, cycles)
	if err != nil {
		return ctrl.Result{}, err
	}
	if wait := time.Until(await); wait > 0 {
		return ctrl.Result{RequeueAfter: wait}, nil
	}

	// 3. Evaluation.
	card := verdict.JudgeCard(inputs, scorecard.Thresholds(&sc.Spec))
	window := sc.Spec.StabilizationWindowOrDefault()
	stable := scorecard.Stabilize(&orig.Status, cxv1alpha1.ScorecardResult(card.Result), time.Now(), window)
	st.Score = verdict.FormatScore(card.Score)
	st.Result, st.PendingResult, st.PendingSince = stable.Result, stable.Pending, stable.PendingSince
	st.Objectives = scorecard.Statuses(inputs, card)
	ready := scorecard.Ready(&sc.Spec, card, cycles, missing)
	scorecard.NotePending(&ready, stable, window)
	setConditions(&st.Conditions, sc.Generation, ready)

	// 4. Alerting.
	requeue, alertErr := r.rules.reconcile(ctx, &sc, orig)
	if stable.RequeueAfter > 0 && (requeue == 0 || stable.RequeueAfter < requeue) {
		requeue = stable.RequeueAfter
	}

	// 5. Publish and write.
	metrics.SetScorecard(sc.Namespace, sc.Name, publishedValues(inputs, card, stable))

	// No cadence of its own (interval 0): a card follows its sources,
	// which have one; its writes share the budget, verdicts first.
	written, err := r.status.write(ctx, orig, &sc, scorecard.StatusChange(&orig.Status, st), 0)
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("writing the status of scorecard %s/%s: %w", sc.Namespace, sc.Name, err)
	}
	if written.RequeueNow {
		return ctrl.Result{RequeueAfter: requeueNow}, alertErr
	}
	if written.Written && orig.Status.Result != sc.Status.Result {
		var heldSince *metav1.Time
		if orig.Status.PendingResult == sc.Status.Result {
			heldSince = orig.Status.PendingSince
		}
		r.recordResultChange(&sc, orig.Status.Result, heldSince, window)
	}
	return ctrl.Result{RequeueAfter: earliest(requeue, written.RetryAfter)}, alertErr
}

// eventResultChanged is the reason of the Event recorded when a card's
// result changes.
const eventResultChanged = "ResultChanged"

// publishedValues are the cx_scorecard_* series of an evaluated card: the
// live score and objectives, and the published (stable) result.
func publishedValues(inputs []verdict.Objective, card verdict.CardResult, stable scorecard.Stable) metrics.ScorecardValues {
	published := metrics.ScorecardValues{Score: card.Score, Result: string(stable.Result)}
	for i, o := range card.Objectives {
		v := inputs[i].Value
		if o.Result == verdict.NoData {
			v = math.NaN()
		}
		published.Objectives = append(published.Objectives,
			metrics.ScorecardObjective{Name: o.Name, Value: v, Met: o.Met(), Result: string(o.Result)})
	}
	return published
}

// recordResultChange records a ResultChanged Event: of type Normal when
// the new result is Pass, Warning otherwise. The events.k8s.io recorder merges the
// events of an object with the same reason and action within a few
// minutes into one series that keeps the first note, so the action names
// the transition ("WarningToFail") to keep each kind of transition
// readable. A result that waited for the stabilization window says since
// when it held.
func (r *ScorecardReconciler) recordResultChange(sc *cxv1alpha1.Scorecard, from cxv1alpha1.ScorecardResult, pendingSince *metav1.Time, window time.Duration) {
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
	held := ""
	if from != "" && window > 0 && pendingSince != nil {
		held = fmt.Sprintf("; held since %s for the %s stabilization window",
			pendingSince.UTC().Format(time.RFC3339), scorecard.ShortDuration(window))
	}
	r.Recorder.Eventf(sc, nil, eventType, eventResultChanged, fromText+"To"+string(to),
		"result %s -> %s (score %s%s)", fromText, to, sc.Status.Score, held)
}

// sourcedObjective is an objective with the value read from its source,
// ready to be judged, and the source it names when that source does not
// exist.
type sourcedObjective struct {
	verdict.Objective
	missing string
	// await is until when to wait for the source's first status
	// (scorecard.AwaitSource), zero when there is nothing to wait for.
	await time.Time
}

// readObjectives reads every objective's source: the evaluation inputs,
// the sources that do not exist, and until when to wait for a new source
// that has not reported yet (zero: none).
func (r *ScorecardReconciler) readObjectives(ctx context.Context, sc *cxv1alpha1.Scorecard, cycles map[string][]string) ([]verdict.Objective, []string, time.Time, error) {
	inputs := make([]verdict.Objective, 0, len(sc.Spec.Objectives))
	var missing []string
	var await time.Time
	for _, o := range sc.Spec.Objectives {
		in, err := r.readObjective(ctx, sc, o, cycles[o.Name])
		if err != nil {
			return nil, nil, time.Time{}, fmt.Errorf("reading the source of objective %s of scorecard %s/%s: %w", o.Name, sc.Namespace, sc.Name, err)
		}
		if in.missing != "" {
			missing = append(missing, in.missing)
		}
		inputs = append(inputs, in.Objective)
		await = later(await, in.await)
	}
	return inputs, missing, await, nil
}

// readObjective reads the value of one objective from its source. A
// source that does not exist, has no value, or (for a Survey) has too few
// responses gives no value, with the reason; only a failure to read the
// cache is an error.
func (r *ScorecardReconciler) readObjective(ctx context.Context, sc *cxv1alpha1.Scorecard, o cxv1alpha1.Objective, cycle []string) (sourcedObjective, error) {
	in := sourcedObjective{Objective: scorecard.Input(o)}
	key := func(name string) types.NamespacedName {
		return types.NamespacedName{Namespace: sc.Namespace, Name: name}
	}
	var text, reason string
	var err error
	switch {
	case o.Survey != nil:
		var svy cxv1alpha1.Survey
		if err = r.Get(ctx, key(o.Survey.Name), &svy); err == nil {
			text, reason = scorecard.SurveyValue(&svy, o.Survey.Value)
			in.await = scorecard.AwaitSource(&svy, svy.Status.ObservedGeneration, r.SourceGrace, time.Now())
			in.Interval = scorecard.SurveyInterval(&svy, o.Survey.Value)
		}
	case o.Touchpoint != nil:
		var tp cxv1alpha1.Touchpoint
		if err = r.Get(ctx, key(o.Touchpoint.Name), &tp); err == nil {
			text, reason = scorecard.TouchpointValue(&tp, o.Touchpoint.Metric)
			in.await = scorecard.AwaitSource(&tp, tp.Status.ObservedGeneration, r.SourceGrace, time.Now())
		}
	case o.Scorecard != nil && cycle != nil:
		reason = scorecard.CycleReason(cycle)
	case o.Scorecard != nil:
		var nested cxv1alpha1.Scorecard
		if err = r.Get(ctx, key(o.Scorecard.Name), &nested); err == nil {
			text, reason = scorecard.NestedCardValue(&nested)
			in.await = scorecard.AwaitSource(&nested, nested.Status.ObservedGeneration, r.SourceGrace, time.Now())
		}
	default:
		reason = scorecard.NoSourceReason
	}
	if apierrors.IsNotFound(err) {
		in.missing, reason = scorecard.SourceNotFound(o)
		in.await = scorecard.AwaitMissingSource(sc, r.SourceGrace, time.Now())
	} else if err != nil {
		return in, err
	}
	scorecard.SetValue(&in.Objective, text, reason)
	return in, nil
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
// ask for alerts. PrometheusRules themselves are watched from the first
// reconcile that finds their CRD installed (watchRules).
func (r *ScorecardReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.rules == nil {
		r.rules = &ruleWriter{client: mgr.GetClient(), mapper: mgr.GetRESTMapper(), recheck: DefaultScorecardOptions().AlertingRecheckInterval}
	}
	if r.status == nil {
		r.status = newStatusWriter(mgr.GetClient(), DefaultStatusWritesPerSecond)
	}
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
				if n := name(o); n != "" && !slices.Contains(names, n) {
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
	c, err := ctrl.NewControllerManagedBy(mgr).
		For(&cxv1alpha1.Scorecard{}).
		Watches(&cxv1alpha1.Survey{}, handler.EnqueueRequestsFromMapFunc(r.cardsReading(scorecardSurveyIndex)),
			builder.WithPredicates(statusChanged(func(o client.Object) any { return o.(*cxv1alpha1.Survey).Status }))).
		Watches(&cxv1alpha1.Touchpoint{}, handler.EnqueueRequestsFromMapFunc(r.cardsReading(scorecardTouchpointIndex)),
			builder.WithPredicates(statusChanged(func(o client.Object) any {
				// Its metrics, and its first status, which a card may await.
				st := &o.(*cxv1alpha1.Touchpoint).Status
				return []any{st.Metrics, st.ObservedGeneration}
			}))).
		Watches(&cxv1alpha1.Scorecard{}, handler.EnqueueRequestsFromMapFunc(r.cardsReadingCard),
			builder.WithPredicates(cardChanged())).
		Watches(crd, handler.EnqueueRequestsFromMapFunc(r.cardsWithAlerting),
			builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool { return o.GetName() == prometheusRuleCRD }))).
		WithOptions(controller.Options{MaxConcurrentReconciles: max(1, r.ConcurrentReconciles)}).
		Named("scorecard").
		Build(quietShutdown{r})
	if err != nil {
		return err
	}
	r.rules.watch = &lazyWatch{start: func() error { return watchRules(mgr.GetCache(), c) }}
	return nil
}

// watchRules watches PrometheusRules (metadata only), so that an edit or
// a deletion of a generated rule wakes the card it is named after, which
// writes it back; and the deletion of a foreign rule of that name lets the
// card write its own.
func watchRules(cache cache.Cache, c controller.Controller) error {
	rule := &metav1.PartialObjectMetadata{}
	rule.SetGroupVersionKind(alerting.PrometheusRuleGVK)
	err := c.Watch(source.Kind(cache, client.Object(rule),
		handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
			return []reconcile.Request{{NamespacedName: client.ObjectKeyFromObject(o)}}
		}),
		predicate.Or[client.Object](predicate.GenerationChangedPredicate{}, predicate.LabelChangedPredicate{})))
	if err != nil {
		return fmt.Errorf("watching PrometheusRules: %w", err)
	}
	return nil
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
	r.rules.forgetAbsence()
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
