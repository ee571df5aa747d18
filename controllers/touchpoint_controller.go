package controllers

import (
	"context"
	"flag"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"
	"sigs.k8s.io/controller-runtime/pkg/source"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/cadence"
	"github.com/touchstone-dev/touchstone/internal/collect"
	"github.com/touchstone-dev/touchstone/internal/metrics"
	"github.com/touchstone-dev/touchstone/internal/secrets"
)

// CollectorOptions configure the collector scheduler and the Touchpoint
// controller that publishes what it collects.
type CollectorOptions struct {
	// Workers bounds the collector runs in flight.
	Workers int
	// MaxRunsPerSource bounds the runs in flight against one source
	// (scheme://host), so that a slow source never takes every worker.
	MaxRunsPerSource int
	// MaxResponseBytes bounds the body of a source's answer.
	MaxResponseBytes int64
	// StaleAfterFailures is how many failed runs in a row make a metric
	// lose its last value.
	StaleAfterFailures int
	// ConcurrentReconciles is how many Touchpoints have their status
	// computed at once.
	ConcurrentReconciles int
	// StatusInterval is the least time between two writes of a
	// Touchpoint's status that refresh values only; cx_touchpoint_value
	// follows every run, and condition changes are written at once.
	StatusInterval time.Duration
}

// DefaultCollectorOptions returns the defaults of the collector flags.
func DefaultCollectorOptions() CollectorOptions {
	return CollectorOptions{
		Workers:              collect.DefaultWorkers,
		MaxRunsPerSource:     collect.DefaultWorkers / 2,
		MaxResponseBytes:     collect.DefaultMaxResponseBytes,
		StaleAfterFailures:   collect.DefaultStaleAfterFailures,
		ConcurrentReconciles: 4,
		StatusInterval:       DefaultTouchpointStatusInterval,
	}
}

// DefaultTouchpointStatusInterval is the default least time between two
// value refreshes of a Touchpoint's status. A minute is a human cadence
// (status is read by people, GitOps health checks and Scorecards, while
// dashboards and alerts read cx_touchpoint_value, which follows every
// run), six times the shortest collector interval (10s), so that a
// Touchpoint whose values change on every run costs one write a minute
// instead of six; and far inside a Scorecard's stabilization window, so
// that a card reads values at most a minute old.
const DefaultTouchpointStatusInterval = time.Minute

func (o *CollectorOptions) bindFlags(fs *flag.FlagSet) {
	fs.IntVar(&o.Workers, "collector-workers", o.Workers, "Most collector runs in flight at once (the worker pool).")
	fs.IntVar(&o.MaxRunsPerSource, "collector-max-runs-per-source", o.MaxRunsPerSource,
		"Most collector runs in flight against one source (scheme://host), so that a slow source never takes every worker.")
	fs.Int64Var(&o.MaxResponseBytes, "collector-max-response-bytes", o.MaxResponseBytes,
		"Largest response body a collector reads from its source.")
	fs.IntVar(&o.StaleAfterFailures, "collector-stale-after-failures", o.StaleAfterFailures,
		"Failed runs in a row after which a collected metric loses its last value.")
	fs.IntVar(&o.ConcurrentReconciles, "touchpoint-concurrent-reconciles", o.ConcurrentReconciles,
		"Touchpoints whose status is computed at once.")
	fs.DurationVar(&o.StatusInterval, "touchpoint-status-interval", o.StatusInterval,
		"Least time between two status writes of a Touchpoint that only refresh values (cx_touchpoint_value follows every run; condition and spec changes are written at once).")
}

// setupTouchpoints registers the collector scheduler (a leader-only
// runnable) and the Touchpoint controller it wakes.
func setupTouchpoints(mgr ctrl.Manager, o Options, resolver *secrets.Resolver, status *statusWriter) error {
	c := o.Collectors
	wake := &wakeups{}
	sched := collect.NewScheduler(collect.SchedulerOptions{
		Workers:          c.Workers,
		MaxRunsPerSource: c.MaxRunsPerSource,
		Notify:           wake.add,
		OnAdd: func(tp types.NamespacedName, collector string) {
			metrics.InitCollector(tp.Namespace, tp.Name, collector)
		},
		OnRun: func(run collect.RunInfo) {
			metrics.ObserveCollectorRun(run.Touchpoint.Namespace, run.Touchpoint.Name, run.Collector, run.Err == nil, run.Started, run.Duration)
		},
		OnRemove: func(tp types.NamespacedName, collector string) {
			metrics.DeleteCollector(tp.Namespace, tp.Name, collector)
		},
	})
	if err := mgr.Add(sched); err != nil {
		return err
	}
	return (&TouchpointReconciler{
		Client:                mgr.GetClient(),
		Env:                   collect.NewEnv(resolver, collect.EnvOptions{MaxResponseBytes: c.MaxResponseBytes}),
		Scheduler:             sched,
		Recorder:              mgr.GetEventRecorder("touchstone-touchpoint"),
		SecretRecheckInterval: o.SecretRecheckInterval,
		StaleAfterFailures:    int32(c.StaleAfterFailures),
		ConcurrentReconciles:  c.ConcurrentReconciles,
		StatusInterval:        c.StatusInterval,
		wake:                  wake,
		status:                status,
	}).SetupWithManager(mgr)
}

// TouchpointReconciler keeps the collector scheduler in step with each
// Touchpoint's spec and publishes what the collectors learned: status,
// cx_touchpoint_value, and an Event when a collector starts failing or
// recovers.
type TouchpointReconciler struct {
	client.Client
	// Env resolves Secrets (the shared resolver) for the collectors.
	Env *collect.Env
	// Scheduler runs the collectors.
	Scheduler *collect.Scheduler
	// Recorder records the CollectorFailing and CollectorRecovered Events.
	Recorder recorder.EventRecorder
	// SecretRecheckInterval is how often a Touchpoint whose Secret is
	// missing looks again (Secrets are not watched).
	SecretRecheckInterval time.Duration
	// StaleAfterFailures is how many failed runs in a row make a metric
	// lose its last value.
	StaleAfterFailures int32
	// ConcurrentReconciles bounds the reconciles in flight.
	ConcurrentReconciles int
	// StatusInterval is the least time between two status writes that
	// only refresh values.
	StatusInterval time.Duration

	status   *statusWriter
	wake     *wakeups
	compiled collect.CompileCache
}

// Event reasons of the Touchpoint controller.
const (
	eventCollectorFailing   = "CollectorFailing"
	eventCollectorRecovered = "CollectorRecovered"
)

// +kubebuilder:rbac:groups=cx.touchstone.dev,resources=touchpoints,verbs=get;list;watch
// +kubebuilder:rbac:groups=cx.touchstone.dev,resources=touchpoints/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile computes the status of one Touchpoint and writes it when it
// changed. Steps, in order, stopping at the first error:
//  1. a Touchpoint that is gone (or going) has its collectors stopped and
//     its series deleted;
//  2. compile the derived expressions (cached by their text);
//  3. sync the scheduler's jobs with the spec: new or changed collectors
//     run at once, removed ones stop;
//  4. resolve the referenced Secrets (through the short-lived cache); a
//     Secret that appeared makes the collectors that missed it run at once;
//  5. build metrics and collectors from the scheduler's snapshot
//     (internal/collect), set the conditions and the cx_touchpoint_value
//     series;
//  6. classify the change (collect.StatusChange): a spec change waits
//     for the first round of the collectors it started (a second, at
//     most their timeout: collect.FirstRoundDeadline), so that it is
//     written with their values; a spec or condition change is written
//     at once, then an Event recorded for each
//     collector that started failing or recovered; a change of values
//     only (a refresh) at most once per StatusInterval, the reconcile
//     coming back at the time it is due; run times alone never cause a
//     write.
//
// The scheduler wakes this reconciler once after each round of a
// Touchpoint's runs that changed something, so cx_touchpoint_value
// follows every run; the Touchpoint's own status writes do not wake it.
func (r *TouchpointReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	log := logf.FromContext(ctx)
	var tp cxv1alpha1.Touchpoint
	if err := r.Get(ctx, req.NamespacedName, &tp); err != nil {
		if apierrors.IsNotFound(err) {
			r.stop(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if tp.DeletionTimestamp != nil {
		r.stop(req.NamespacedName)
		return ctrl.Result{}, nil
	}
	derived := r.compiled.Get(collectedMetrics(&tp.Spec), derivedMetrics(&tp.Spec))
	r.Scheduler.Sync(req.NamespacedName, collect.JobsFor(r.Env, &tp))

	secretErr := r.Env.CheckSecrets(ctx, &tp)
	if secretErr != nil && secretErr.Retryable() {
		return ctrl.Result{}, fmt.Errorf("reading the Secrets of touchpoint %s: %w", req.NamespacedName, secretErr)
	}
	snapshot := r.Scheduler.Snapshot(req.NamespacedName)
	if secretErr == nil {
		for _, st := range snapshot {
			if st.ErrorKind == collect.ErrSecret {
				r.Scheduler.RunNow(req.NamespacedName, st.Name)
			}
		}
	}

	res := collect.BuildStatus(collect.StatusInput{
		Spec:               &tp.Spec,
		Previous:           &tp.Status,
		Collectors:         snapshot,
		Derived:            derived,
		Now:                time.Now(),
		StaleAfterFailures: r.StaleAfterFailures,
	})
	orig := tp.DeepCopy()
	st := &tp.Status
	st.ObservedGeneration = tp.Generation
	st.Metrics, st.Collectors = res.Metrics, res.Collectors
	st.HealthyCollectors = fmt.Sprintf("%d/%d", res.Healthy, len(res.Collectors))
	setConditions(&st.Conditions, tp.Generation, collect.Conditions(res, derived.Err(), secretErr)...)
	metrics.SetTouchpointValues(tp.Namespace, tp.Name, string(tp.Spec.Stage), res.Values)

	result := ctrl.Result{}
	if secretErr != nil {
		result.RequeueAfter = r.SecretRecheckInterval
	}
	change := collect.StatusChange(&orig.Status, st)
	if wait := time.Until(collect.FirstRoundDeadline(&tp.Spec, snapshot)); change == cadence.Spec && wait > 0 {
		// The collectors this spec started run at once: the end of their
		// round wakes this reconciler, to write the spec with their values.
		return ctrl.Result{RequeueAfter: earliest(result.RequeueAfter, wait)}, nil
	}
	written, err := r.status.write(ctx, orig, &tp, change, r.StatusInterval)
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("writing the status of touchpoint %s: %w", req.NamespacedName, err)
	}
	if written.RequeueNow {
		return ctrl.Result{RequeueAfter: requeueNow}, nil
	}
	result.RequeueAfter = earliest(result.RequeueAfter, written.RetryAfter)
	if written.Written {
		r.recordTransitions(ctx, &tp, orig.Status.Collectors, snapshot)
		log.V(1).Info("status written", "healthy", st.HealthyCollectors)
	}
	return result, nil
}

// stop stops a Touchpoint's collectors, then deletes its series (in this
// order, so that no run in flight publishes again).
func (r *TouchpointReconciler) stop(key types.NamespacedName) {
	r.Scheduler.Remove(key)
	metrics.DeleteTouchpoint(key.Namespace, key.Name)
	r.status.forget(&cxv1alpha1.Touchpoint{}, key)
}

// recordTransitions records an Event for each collector that started
// failing (Warning) or recovered (Normal). The note never carries what the
// source answered, nor any Secret.
func (r *TouchpointReconciler) recordTransitions(ctx context.Context, tp *cxv1alpha1.Touchpoint, prev []cxv1alpha1.CollectorStatus, snapshot []collect.CollectorState) {
	notes := map[string]string{}
	for _, st := range snapshot {
		notes[st.Name] = st.ErrorNote
	}
	log := logf.FromContext(ctx)
	for _, t := range collect.Transitions(prev, tp.Status.Collectors) {
		if t.Failing {
			log.Info("collector started failing", "collector", t.Collector, "error", notes[t.Collector])
			if r.Recorder != nil {
				r.Recorder.Eventf(tp, nil, corev1.EventTypeWarning, eventCollectorFailing, "Collect",
					"collector %s started failing: %s", t.Collector, notes[t.Collector])
			}
			continue
		}
		log.Info("collector recovered", "collector", t.Collector, "failedRuns", t.Failures)
		if r.Recorder != nil {
			r.Recorder.Eventf(tp, nil, corev1.EventTypeNormal, eventCollectorRecovered, "Collect",
				"collector %s recovered after %d failed runs", t.Collector, t.Failures)
		}
	}
}

// collectedMetrics are the names of the metrics the collectors yield.
func collectedMetrics(spec *cxv1alpha1.TouchpointSpec) []string {
	names := make([]string, 0, len(spec.Collectors))
	for _, c := range spec.Collectors {
		names = append(names, c.Metric)
	}
	return names
}

// derivedMetrics are the derived metrics of a spec.
func derivedMetrics(spec *cxv1alpha1.TouchpointSpec) []collect.Derived {
	out := make([]collect.Derived, 0, len(spec.Derived))
	for _, d := range spec.Derived {
		out = append(out, collect.Derived{Metric: d.Metric, Expression: d.Expression})
	}
	return out
}

// SetupWithManager registers the controller. Only changes of spec,
// labels or annotations wake a Touchpoint from its watch (its own status
// writes do not); the scheduler wakes it after each round that changed
// something.
func (r *TouchpointReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.status == nil {
		r.status = newStatusWriter(mgr.GetClient(), DefaultStatusWritesPerSecond)
	}
	if r.wake == nil {
		r.wake = &wakeups{}
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&cxv1alpha1.Touchpoint{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{},
			predicate.AnnotationChangedPredicate{}, predicate.LabelChangedPredicate{}, r.status.stalePredicate()))).
		WatchesRawSource(source.Func(r.wake.start)).
		WithOptions(controller.Options{MaxConcurrentReconciles: max(1, r.ConcurrentReconciles)}).
		Named("touchpoint").
		Complete(quietShutdown{r})
}

// wakeups hands the scheduler's notifications to the controller's work
// queue without ever blocking the scheduler: the queue coalesces a
// Touchpoint woken several times before it is reconciled. Notifications
// that arrive before the controller started are kept until it does.
type wakeups struct {
	mu      sync.Mutex
	queue   workqueue.TypedRateLimitingInterface[reconcile.Request]
	pending map[types.NamespacedName]struct{}
}

// add wakes the reconciler for one Touchpoint.
func (w *wakeups) add(key types.NamespacedName) {
	w.mu.Lock()
	q := w.queue
	if q == nil {
		if w.pending == nil {
			w.pending = map[types.NamespacedName]struct{}{}
		}
		w.pending[key] = struct{}{}
	}
	w.mu.Unlock()
	if q != nil {
		q.Add(reconcile.Request{NamespacedName: key})
	}
}

// start is the controller's source: it records the queue.
func (w *wakeups) start(_ context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.queue = q
	for key := range w.pending {
		q.Add(reconcile.Request{NamespacedName: key})
	}
	w.pending = nil
	return nil
}
