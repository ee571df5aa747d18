package controllers

import (
	"context"
	"flag"
	"fmt"
	"math"
	"net"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/metrics"
	"github.com/touchstone-dev/touchstone/internal/receive"
	"github.com/touchstone-dev/touchstone/internal/secrets"
	"github.com/touchstone-dev/touchstone/internal/stats"
	"github.com/touchstone-dev/touchstone/internal/survey"
)

// ReceiverOptions configure the survey response receiver and the Survey
// controller that publishes what it counts.
type ReceiverOptions struct {
	// BindAddress is where the receiver listens, such as ":8082"; "0"
	// disables it.
	BindAddress string
	// Listener, when set, is used instead of BindAddress (tests).
	Listener net.Listener
	// MaxBodyBytes bounds a request body (413 beyond).
	MaxBodyBytes int64
	// MaxBatch bounds the responses of one request.
	MaxBatch int
	// QueueLength bounds the requests waiting per Survey lane (429 beyond).
	QueueLength int
	// CommitTimeout bounds one durable write (503 beyond).
	CommitTimeout time.Duration
	// ShutdownDelay is how long a stopping replica keeps receiving while
	// it reports not ready, so that its endpoints are dropped before it
	// stops accepting.
	ShutdownDelay time.Duration
	// StatusInterval is the least time between two status writes of a
	// Survey that only refresh values (new responses): under load, its
	// status follows its tallies with at most this delay, its gauges
	// within a second; a condition change (DataSufficient, Ready) is
	// written at once.
	StatusInterval time.Duration
	// ConcurrentReconciles is how many Surveys have their status computed
	// at once.
	ConcurrentReconciles int
	// Store, when set, replaces the Kubernetes-API store (benchmarks
	// measure the receiver without storage with it).
	Store receive.Store
	// CompactionInterval is the time between two passes of the tally
	// compactor (on the leader); 0 disables compaction, so that tallies
	// keep their ids for the whole retention.
	CompactionInterval time.Duration
	// DeduplicationWindowOverride, when positive, replaces every Survey's
	// spec.receiver.deduplicationWindow (at least 1h) in the receiver and
	// the compactor: tests and benchmarks age tallies in seconds with it.
	// It has no flag.
	DeduplicationWindowOverride time.Duration
}

// DefaultReceiverOptions returns the defaults of the receiver flags.
func DefaultReceiverOptions() ReceiverOptions {
	return ReceiverOptions{
		BindAddress:          ":8082",
		MaxBodyBytes:         receive.DefaultMaxBodyBytes,
		MaxBatch:             receive.DefaultMaxBatch,
		QueueLength:          receive.DefaultQueueLength,
		CommitTimeout:        receive.DefaultCommitTimeout,
		ShutdownDelay:        receive.DefaultShutdownDelay,
		StatusInterval:       DefaultSurveyStatusInterval,
		ConcurrentReconciles: 4,

		CompactionInterval: time.Minute,
	}
}

// DefaultSurveyStatusInterval is the default least time between two value
// refreshes of a Survey's status. Responses arrive one by one, so under
// steady traffic every tally write changes the score: 30s keeps status
// (read by people, GitOps tools and Scorecards) fresh to the half-minute
// for one write per Survey per 30s, while the cx_survey_* gauges follow
// within a second. Condition changes are written at once.
const DefaultSurveyStatusInterval = 30 * time.Second

// surveyTallyDelay gathers the tally writes of a Survey (under load the
// receiver writes several a second) into one reconcile, which sets its
// gauges: they follow the tallies within this delay.
const surveyTallyDelay = time.Second

func (o *ReceiverOptions) bindFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.BindAddress, "receiver-bind-address", o.BindAddress,
		"Address the survey response receiver listens on (plain HTTP; put TLS in front). 0 disables it.")
	fs.Int64Var(&o.MaxBodyBytes, "receiver-max-body-bytes", o.MaxBodyBytes, "Largest accepted request body (413 beyond).")
	fs.IntVar(&o.MaxBatch, "receiver-max-batch", o.MaxBatch, "Most responses accepted in one request.")
	fs.IntVar(&o.QueueLength, "receiver-queue-length", o.QueueLength,
		"Requests that may wait per survey write lane before the receiver answers 429.")
	fs.DurationVar(&o.CommitTimeout, "receiver-commit-timeout", o.CommitTimeout,
		"Longest durable write before the receiver answers 503.")
	fs.DurationVar(&o.ShutdownDelay, "receiver-shutdown-delay", o.ShutdownDelay,
		"On SIGTERM, how long the receiver keeps receiving while /readyz fails, before it stops accepting: the time the Service's endpoints take to drop the replica. 0 stops at once.")
	fs.DurationVar(&o.StatusInterval, "survey-status-interval", o.StatusInterval,
		"Least time between two status writes of a Survey that only refresh values (new responses); the cx_survey_* gauges follow within a second, condition and spec changes are written at once.")
	fs.IntVar(&o.ConcurrentReconciles, "survey-concurrent-reconciles", o.ConcurrentReconciles,
		"Surveys whose status is computed at once.")
	fs.DurationVar(&o.CompactionInterval, "tally-compaction-interval", o.CompactionInterval,
		"How often the leader merges the tallies quiet for longer than their Survey's deduplication window into one compacted tally per day. 0 disables compaction.")
}

// setupSurveys registers the Survey controller and the receiver.
func setupSurveys(mgr ctrl.Manager, o Options, resolver *secrets.Resolver, status *statusWriter) error {
	if err := (&SurveyReconciler{
		Client:                mgr.GetClient(),
		Secrets:               resolver,
		status:                status,
		SecretRecheckInterval: o.SecretRecheckInterval,
		StatusInterval:        o.Receiver.StatusInterval,
		ConcurrentReconciles:  o.Receiver.ConcurrentReconciles,
	}).SetupWithManager(mgr); err != nil {
		return err
	}
	if o.Receiver.CompactionInterval > 0 {
		if err := mgr.Add(&TallyCompactor{Client: mgr.GetClient(), Interval: o.Receiver.CompactionInterval,
			WindowOverride: o.Receiver.DeduplicationWindowOverride}); err != nil {
			return err
		}
	}
	if !o.Receiver.enabled() {
		return nil
	}
	store := o.Receiver.Store
	if store == nil {
		api := &receive.APIStore{Client: mgr.GetClient(), Reader: mgr.GetAPIReader(),
			WindowOverride: o.Receiver.DeduplicationWindowOverride}
		if err := mgr.Add(api); err != nil {
			return err
		}
		store = api
	}
	srv := receive.NewServer(receive.Config{
		Addr:          o.Receiver.BindAddress,
		Listener:      o.Receiver.Listener,
		Surveys:       mgr.GetClient(),
		Secrets:       resolver,
		Store:         store,
		MaxBodyBytes:  o.Receiver.MaxBodyBytes,
		MaxBatch:      o.Receiver.MaxBatch,
		QueueLength:   o.Receiver.QueueLength,
		CommitTimeout: o.Receiver.CommitTimeout,
		ShutdownDelay: o.Receiver.ShutdownDelay,
	})
	if err := mgr.Add(srv); err != nil {
		return err
	}
	// The replica is ready once its receiver listens, and no longer once
	// it is stopping.
	return mgr.AddReadyzCheck("receiver", srv.Ready)
}

// enabled reports whether the replica runs a receiver.
func (o *ReceiverOptions) enabled() bool {
	return o.BindAddress != "0" || o.Listener != nil
}

// Field indexes of the Survey controller.
const (
	// surveyTouchpointIndex indexes Surveys by the Touchpoint they
	// reference.
	surveyTouchpointIndex = "spec.touchpointRef.name"
	// tallySurveyIndex indexes ResponseTallies by the UID of their Survey.
	tallySurveyIndex = "surveyUID"
	// surveySharesIndex indexes Surveys by the Touchpoints their segments
	// read expected shares from.
	surveySharesIndex = "spec.segments.expectedFrom.touchpointRef.name"
)

// SurveyReconciler publishes the score of each Survey from its tallies:
// status, and the cx_survey_* gauges.
type SurveyReconciler struct {
	client.Client
	// Secrets resolves the receiver Secrets the Survey names.
	Secrets *secrets.Resolver

	status *statusWriter
	// SecretRecheckInterval is how often a missing Secret is looked for.
	SecretRecheckInterval time.Duration
	// StatusInterval is the least time between two status writes that
	// only refresh values.
	StatusInterval time.Duration
	// ConcurrentReconciles bounds the reconciles in flight.
	ConcurrentReconciles int
}

// +kubebuilder:rbac:groups=cx.touchstone.dev,resources=surveys,verbs=get;list;watch
// +kubebuilder:rbac:groups=cx.touchstone.dev,resources=surveys/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=cx.touchstone.dev,resources=responsetallies,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get

// Reconcile computes the status of one Survey and writes it when it
// changed. Steps, in order, stopping at the first error:
//  1. resolve the Touchpoint and the receiver Secrets;
//  2. sum the Survey's tallies of the window and the previous window;
//  3. set conditions and gauges, delete tallies past retention;
//  4. classify the change (survey.StatusChange): a spec or condition
//     change is written at once, a refresh at most once per
//     StatusInterval (coming back when it is due); come back when the
//     window slides.
func (r *SurveyReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	log := logf.FromContext(ctx)
	var svy cxv1alpha1.Survey
	if err := r.Get(ctx, req.NamespacedName, &svy); err != nil {
		if apierrors.IsNotFound(err) {
			metrics.DeleteSurvey(req.Namespace, req.Name)
			metrics.DeleteReceiverSurvey(req.Namespace, req.Name)
			r.status.forget(&cxv1alpha1.Survey{}, req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if svy.DeletionTimestamp != nil {
		return ctrl.Result{}, nil
	}
	now := time.Now()
	orig := svy.DeepCopy()
	st := &svy.Status
	st.ObservedGeneration = svy.Generation
	st.ReceiverPath = receive.PathOf(svy.Namespace, svy.Name)

	refs, err := r.checkReferences(ctx, &svy)
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("checking the references of survey %s: %w", req.NamespacedName, err)
	}

	var tallies cxv1alpha1.ResponseTallyList
	if err := r.List(ctx, &tallies, client.InNamespace(svy.Namespace),
		client.MatchingFields{tallySurveyIndex: string(svy.UID)}); err != nil {
		return ctrl.Result{}, fmt.Errorf("listing the tallies of survey %s: %w", req.NamespacedName, err)
	}
	expected, sharesProblem, err := r.expectedShares(ctx, &svy)
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("reading the expected shares of survey %s: %w", req.NamespacedName, err)
	}
	if refs == nil {
		refs = sharesProblem
	}
	sum, err := survey.SummarizeWith(&svy.Spec, string(svy.UID), tallies.Items, now, expected)
	if err != nil {
		// A tally that cannot be read is a bug or tampering: say so and
		// wait for a change rather than retrying in a loop.
		setConditions(&st.Conditions, svy.Generation, survey.TalliesUnreadable(err))
		return r.writeStatus(ctx, orig, &svy, 0)
	}
	sum.ApplyTo(&svy.Spec, st)
	minN := svy.Spec.MinResponsesOrDefault()
	setConditions(&st.Conditions, svy.Generation, survey.Conditions(&svy.Spec, sum.Current.N, refs)...)

	metrics.SetSurvey(metrics.SurveyLabels{
		Namespace: svy.Namespace, Survey: svy.Name, Touchpoint: svy.Spec.TouchpointRef.Name, Type: string(svy.Spec.Type),
	}, surveyMetrics(sum, minN))

	for _, name := range sum.Expired {
		t := &cxv1alpha1.ResponseTally{ObjectMeta: metav1.ObjectMeta{Namespace: svy.Namespace, Name: name}}
		if err := r.Delete(ctx, t); client.IgnoreNotFound(err) != nil {
			return ctrl.Result{}, fmt.Errorf("deleting tally %s past retention: %w", name, err)
		}
		log.V(1).Info("deleted tally past retention", "tally", name)
	}

	return r.writeStatus(ctx, orig, &svy, r.nextCheck(now, refs))
}

// writeStatus writes the Survey's status as survey.StatusChange classifies
// its change, and says when to reconcile again: at once after a conflict
// the cache has caught up with, else at the earlier of after and a
// deferred refresh's slot (0: neither).
func (r *SurveyReconciler) writeStatus(ctx context.Context, orig, svy *cxv1alpha1.Survey, after time.Duration) (ctrl.Result, error) {
	written, err := r.status.write(ctx, orig, svy, survey.StatusChange(&orig.Status, &svy.Status), r.StatusInterval)
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("writing the status of survey %s/%s: %w", svy.Namespace, svy.Name, err)
	}
	if written.RequeueNow {
		return ctrl.Result{RequeueAfter: requeueNow}, nil
	}
	return ctrl.Result{RequeueAfter: earliest(after, written.RetryAfter)}, nil
}

// nextCheck is how long until the Survey must be computed again with no
// event: when the window slides at the next UTC midnight, or sooner, at
// the Secret recheck interval, while a Secret it needs is missing
// (Touchpoints are watched; Secrets are not, and a mapping changes only
// with the spec).
func (r *SurveyReconciler) nextCheck(now time.Time, refs *survey.ReferenceProblem) time.Duration {
	next := stats.NextDayBoundary(now).Sub(now) + time.Second
	if refs != nil && refs.Reason != cxv1alpha1.ReasonTouchpointNotFound && refs.Reason != cxv1alpha1.ReasonExpectedSharesUnavailable &&
		refs.Reason != cxv1alpha1.ReasonInvalidMapping &&
		r.SecretRecheckInterval < next {
		next = r.SecretRecheckInterval
	}
	return next
}

// surveyMetrics are the gauge values of a summary.
func surveyMetrics(sum survey.Summary, minN int64) metrics.SurveyValues {
	cur := sum.Current
	v := metrics.SurveyValues{
		Score: cur.Score, MarginOfError: cur.MarginOfError, Responses: cur.N, MinResponses: minN,
		PromoterRatio: cur.PromoterPercent / 100, PassiveRatio: cur.PassivePercent / 100, DetractorRatio: cur.DetractorPercent / 100,
		OpenTallies: sum.Tallies.Open, SealedTallies: sum.Tallies.Sealed, CompactedTallies: sum.Tallies.Compacted,
	}
	if w := sum.Weighting; w != nil {
		v.Weighting = &metrics.SurveyWeighting{UnweightedScore: w.Unweighted.Score, EffectiveResponses: w.EffectiveN}
	}
	for _, seg := range sum.Segments {
		for _, val := range seg.Values {
			score := val.Result.Score
			if val.CountOnly {
				score = math.NaN()
			}
			v.Segments = append(v.Segments, metrics.SurveySegment{
				Segment: seg.Name, Value: val.Value, Responses: val.Result.N, Score: score,
				Expected: seg.Representation != nil, RepresentationRatio: val.Ratio,
			})
		}
		if seg.Representation != nil {
			v.Representation = append(v.Representation, metrics.SurveyRepresentation{Segment: seg.Name, PValue: seg.Representation.Test.PValue})
		}
	}
	if sum.NoForecast == "" {
		v.Forecast = &metrics.SurveyForecast{Point: sum.Forecast.Score, Lower: sum.Forecast.Lower, Upper: sum.Forecast.Upper}
	}
	return v
}

// expectedShares resolves the expected shares of the Survey's segments,
// reading the Touchpoints named by expectedFrom from the cache. The
// problem is the Ready condition's when some cannot be resolved; only a
// failure to read is an error.
func (r *SurveyReconciler) expectedShares(ctx context.Context, svy *cxv1alpha1.Survey) (survey.Expected, *survey.ReferenceProblem, error) {
	tps := map[string]*cxv1alpha1.Touchpoint{}
	for _, name := range survey.ExpectedFromTouchpoints(&svy.Spec) {
		var tp cxv1alpha1.Touchpoint
		err := r.Get(ctx, types.NamespacedName{Namespace: svy.Namespace, Name: name}, &tp)
		switch {
		case apierrors.IsNotFound(err):
			continue
		case err != nil:
			return nil, nil, err
		}
		tps[name] = &tp
	}
	expected, problem := survey.ResolveExpected(&svy.Spec, tps)
	return expected, problem, nil
}

// checkReferences returns the first problem that keeps the Survey from
// receiving: a mapping expression that does not compile (checked first: a
// bad spec), a Touchpoint, receiver Secret or key that does not exist, a
// StandardWebhooks secret that is not whsec_<base64>; nil when there is
// none. Only a failure to read is an error.
func (r *SurveyReconciler) checkReferences(ctx context.Context, svy *cxv1alpha1.Survey) (*survey.ReferenceProblem, error) {
	if m := receive.MappingOf(svy); m != nil && m.Err() != nil {
		return survey.MappingProblem(m.Err()), nil
	}
	var tp cxv1alpha1.Touchpoint
	err := r.Get(ctx, types.NamespacedName{Namespace: svy.Namespace, Name: svy.Spec.TouchpointRef.Name}, &tp)
	if apierrors.IsNotFound(err) {
		return &survey.ReferenceProblem{Reason: cxv1alpha1.ReasonTouchpointNotFound,
			Message: fmt.Sprintf("touchpoint %q named in spec.touchpointRef does not exist", svy.Spec.TouchpointRef.Name)}, nil
	}
	if err != nil {
		return nil, err
	}
	refs := []struct {
		field string
		ref   *cxv1alpha1.SecretKeyRef
	}{
		{"spec.receiver.bearerTokenSecretRef", svy.Spec.Receiver.BearerTokenSecretRef},
		{"spec.receiver.hmacSecretRef", svy.Spec.Receiver.HMACSecretRef},
		{"spec.receiver.signingSecretRef", svy.Spec.Receiver.SigningSecretRef},
	}
	if th := svy.Spec.Receiver.TokenHeader; th != nil {
		refs = append(refs, struct {
			field string
			ref   *cxv1alpha1.SecretKeyRef
		}{"spec.receiver.tokenHeader.secretRef", &th.SecretRef})
	}
	for _, ref := range refs {
		if ref.ref == nil {
			continue
		}
		if err := r.Secrets.Check(ctx, svy.Namespace, ref.field, *ref.ref); err != nil {
			if err.Retryable() {
				return nil, err
			}
			return &survey.ReferenceProblem{Reason: err.Reason, Message: err.Message}, nil
		}
	}
	if ref := svy.Spec.Receiver.SigningSecretRef; ref != nil && svy.Spec.Receiver.FormatOrDefault() == cxv1alpha1.FormatStandardWebhooks {
		v, err := r.Secrets.Value(ctx, svy.Namespace, "spec.receiver.signingSecretRef", *ref)
		if err != nil {
			return nil, err
		}
		if _, derr := receive.DecodeStandardWebhookSecret(string(v)); derr != nil {
			return &survey.ReferenceProblem{Reason: cxv1alpha1.ReasonInvalidSigningSecret,
				Message: fmt.Sprintf("the key %q of Secret %q named in spec.receiver.signingSecretRef %s", ref.Key, ref.Name, derr.Error())}, nil
		}
	}
	return nil, nil
}

// SetupWithManager registers the controller: Surveys, their tallies, and
// the Touchpoints they reference.
func (r *SurveyReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.status == nil {
		r.status = newStatusWriter(mgr.GetClient(), DefaultStatusWritesPerSecond)
	}
	idx := mgr.GetFieldIndexer()
	if err := idx.IndexField(context.Background(), &cxv1alpha1.Survey{}, surveyTouchpointIndex,
		func(o client.Object) []string { return []string{o.(*cxv1alpha1.Survey).Spec.TouchpointRef.Name} }); err != nil {
		return err
	}
	if err := idx.IndexField(context.Background(), &cxv1alpha1.Survey{}, surveySharesIndex,
		func(o client.Object) []string { return survey.ExpectedFromTouchpoints(&o.(*cxv1alpha1.Survey).Spec) }); err != nil {
		return err
	}
	if err := idx.IndexField(context.Background(), &cxv1alpha1.ResponseTally{}, tallySurveyIndex,
		func(o client.Object) []string { return []string{o.(*cxv1alpha1.ResponseTally).SurveyUID} }); err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).
		// The Survey's own status writes must not wake it again (a
		// write would find newer tallies and compute again).
		For(&cxv1alpha1.Survey{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{},
			predicate.AnnotationChangedPredicate{}, predicate.LabelChangedPredicate{}, r.status.stalePredicate()))).
		Watches(&cxv1alpha1.ResponseTally{}, r.tallyChanged()).
		Watches(&cxv1alpha1.Touchpoint{}, r.touchpointChanged()).
		WithOptions(controller.Options{MaxConcurrentReconciles: max(1, r.ConcurrentReconciles)}).
		Named("survey").
		Complete(quietShutdown{r})
}

// tallyChanged wakes a Survey when one of its tallies changes, at most once
// per surveyTallyDelay (or StatusInterval, when shorter): under load the
// receiver writes many times a second, and a burst of writes is summed
// once. The reconcile sets the gauges and leaves the status to its
// cadence.
func (r *SurveyReconciler) tallyChanged() handler.EventHandler {
	enqueue := func(o client.Object, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
		t, ok := o.(*cxv1alpha1.ResponseTally)
		if !ok {
			return
		}
		// AddAfter keeps the earliest time of an item already waiting, so
		// a burst of writes collapses into one reconcile.
		q.AddAfter(reconcile.Request{NamespacedName: types.NamespacedName{Namespace: t.Namespace, Name: t.Survey}},
			min(surveyTallyDelay, max(r.StatusInterval, 0)))
	}
	return handler.Funcs{
		CreateFunc: func(_ context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			enqueue(e.Object, q)
		},
		UpdateFunc: func(_ context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			enqueue(e.ObjectNew, q)
		},
		DeleteFunc: func(_ context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			enqueue(e.Object, q)
		},
	}
}

// touchpointChanged wakes the Surveys that name a Touchpoint: when it is
// created or deleted (a reference resolves or breaks), and, for the
// Surveys that read expected shares from it, when its metrics change.
func (r *SurveyReconciler) touchpointChanged() handler.EventHandler {
	enqueue := func(ctx context.Context, o client.Object, q workqueue.TypedRateLimitingInterface[reconcile.Request], indexes ...string) {
		seen := map[types.NamespacedName]bool{}
		for _, index := range indexes {
			for _, key := range r.surveysOfTouchpoint(ctx, o, index) {
				if !seen[key] {
					seen[key] = true
					q.Add(reconcile.Request{NamespacedName: key})
				}
			}
		}
	}
	return handler.Funcs{
		CreateFunc: func(ctx context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			enqueue(ctx, e.Object, q, surveyTouchpointIndex, surveySharesIndex)
		},
		DeleteFunc: func(ctx context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			enqueue(ctx, e.Object, q, surveyTouchpointIndex, surveySharesIndex)
		},
		UpdateFunc: func(ctx context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			before, ok1 := e.ObjectOld.(*cxv1alpha1.Touchpoint)
			after, ok2 := e.ObjectNew.(*cxv1alpha1.Touchpoint)
			if ok1 && ok2 && !equality.Semantic.DeepEqual(before.Status.Metrics, after.Status.Metrics) {
				enqueue(ctx, after, q, surveySharesIndex)
			}
		},
	}
}

// surveysOfTouchpoint lists the Surveys that name a Touchpoint in the
// given index.
func (r *SurveyReconciler) surveysOfTouchpoint(ctx context.Context, o client.Object, index string) []types.NamespacedName {
	var list cxv1alpha1.SurveyList
	if err := r.List(ctx, &list, client.InNamespace(o.GetNamespace()), client.MatchingFields{index: o.GetName()}); err != nil {
		logf.FromContext(ctx).Error(err, "listing the surveys of a touchpoint", "touchpoint", client.ObjectKeyFromObject(o), "index", index)
		return nil
	}
	keys := make([]types.NamespacedName, 0, len(list.Items))
	for _, s := range list.Items {
		keys = append(keys, client.ObjectKeyFromObject(&s))
	}
	return keys
}
