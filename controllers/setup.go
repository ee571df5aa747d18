package controllers

import (
	"context"
	"flag"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/touchstone-dev/touchstone/internal/metrics"
	"github.com/touchstone-dev/touchstone/internal/secrets"
)

// Options configure the controllers and the runnables they share the
// manager with. Each area owns its part (defined next to its controller);
// take DefaultOptions or bind flags, the zero value is not usable.
type Options struct {
	// SecretRecheckInterval is how often an object whose Secret is missing
	// looks again. Secrets are read one by one, never watched (least
	// privilege), so a Secret created later is noticed within this delay.
	SecretRecheckInterval time.Duration
	// SecretCacheTTL is how long a Secret read is reused, by collectors,
	// the receiver and the controllers alike (one resolver, one cache): a
	// rotated Secret is used within this delay.
	SecretCacheTTL time.Duration
	// StatusWritesPerSecond is the budget every status write of the
	// operator draws from (0: none). Spec and condition changes are
	// written at once, ahead of value refreshes, which wait for a token
	// when the budget is spent: they are deferred, never dropped.
	StatusWritesPerSecond float64

	// Collectors configure the Touchpoint collector scheduler.
	Collectors CollectorOptions
	// Receiver configures the survey response receiver.
	Receiver ReceiverOptions
	// Scorecards configure the Scorecard controller.
	Scorecards ScorecardOptions
	// Journeys configure the Journey controller.
	Journeys JourneyOptions
}

// DefaultOptions returns the options the flags default to.
func DefaultOptions() Options {
	return Options{
		SecretRecheckInterval: 30 * time.Second,
		SecretCacheTTL:        secrets.DefaultTTL,
		StatusWritesPerSecond: DefaultStatusWritesPerSecond,
		Collectors:            DefaultCollectorOptions(),
		Receiver:              DefaultReceiverOptions(),
		Scorecards:            DefaultScorecardOptions(),
		Journeys:              DefaultJourneyOptions(),
	}
}

// BindFlags registers the options as command-line flags with their defaults.
func (o *Options) BindFlags(fs *flag.FlagSet) {
	*o = DefaultOptions()
	fs.DurationVar(&o.SecretRecheckInterval, "secret-recheck-interval", o.SecretRecheckInterval,
		"How often an object whose Secret is missing checks again (Secrets are not watched).")
	fs.DurationVar(&o.SecretCacheTTL, "secret-cache-ttl", o.SecretCacheTTL,
		"How long a Secret read is reused by collectors, the receiver and the controllers (a rotated Secret is used within this delay; the receiver reads again at once after a failed authentication).")
	fs.DurationVar(&o.SecretCacheTTL, "collector-credential-ttl", o.SecretCacheTTL, "Deprecated: use --secret-cache-ttl.")
	fs.Float64Var(&o.StatusWritesPerSecond, "status-writes-per-second", o.StatusWritesPerSecond,
		"Budget of status writes per second, shared by every kind (0: no budget). Spec and condition changes are written at once; value refreshes beyond it are deferred, never dropped.")
	o.Collectors.bindFlags(fs)
	o.Receiver.bindFlags(fs)
	o.Scorecards.bindFlags(fs)
	o.Journeys.bindFlags(fs)
}

// DefaultStatusWritesPerSecond is the default status write budget, sized
// so that 10,000 objects cannot exceed it in steady state: a value
// refresh is written at most once per status interval, and the shortest
// one is the Survey's (30s), so 10,000 objects refresh at most 10,000 /
// 30s = 333 times a second (Touchpoints alone, at 60s: 167). Scorecards
// follow their sources (a card writes when a value it reads was written),
// and condition changes come on top: 400 leaves them a fifth. The budget
// then only catches bursts, such as every object's first refresh after a
// restart, and spreads them over a few seconds.
const DefaultStatusWritesPerSecond = 400

// Setup registers every Touchstone controller, index and runnable with the
// manager. main and the tests share it, so that the tests run the wiring
// that ships.
func Setup(mgr ctrl.Manager, o Options) error {
	resolver := secrets.NewResolver(mgr.GetAPIReader(), o.SecretCacheTTL)
	status := newStatusWriter(mgr.GetClient(), o.StatusWritesPerSecond)
	metrics.InitStatusWrites("Touchpoint", "Survey", "Scorecard")
	if err := setupTouchpoints(mgr, o, resolver, status); err != nil {
		return err
	}
	if err := setupSurveys(mgr, o, resolver, status); err != nil {
		return err
	}
	if err := setupScorecards(mgr, o, status); err != nil {
		return err
	}
	return setupJourneys(mgr, o, status)
}

// quietShutdown wraps a reconciler so that a reconcile cut short by the
// manager stopping is not reported as a failure: when the context is done,
// whatever error the reconcile met (a cancelled request, most often) is
// logged as one debug line and dropped. The manager is going away; there
// is nothing to retry and nothing wrong.
type quietShutdown struct {
	reconcile.Reconciler
}

// Reconcile runs the wrapped reconciler.
func (q quietShutdown) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	res, err := q.Reconciler.Reconcile(ctx, req)
	if err != nil && ctx.Err() != nil {
		logf.FromContext(ctx).V(1).Info("reconcile stopped by shutdown", "error", err.Error())
		return reconcile.Result{}, nil
	}
	return res, err
}
