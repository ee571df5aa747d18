package controllers

import (
	"context"
	"flag"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

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
	o.Collectors.bindFlags(fs)
	o.Receiver.bindFlags(fs)
	o.Scorecards.bindFlags(fs)
	o.Journeys.bindFlags(fs)
}

// Setup registers every Touchstone controller, index and runnable with the
// manager. main and the tests share it, so that the tests run the wiring
// that ships.
func Setup(mgr ctrl.Manager, o Options) error {
	resolver := secrets.NewResolver(mgr.GetAPIReader(), o.SecretCacheTTL)
	status := &statusWriter{client: mgr.GetClient()}
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
