package controllers

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
)

// RunOptions are the settings of one operator process: the manager's own
// (metrics, probes, leader election) and the controllers' Options. main
// binds them to flags and calls Run, and so do the failover tests, so that
// they stop a replica the way a SIGTERM does.
type RunOptions struct {
	Options

	// MetricsBindAddress is where the metrics endpoint listens; "0"
	// disables it.
	MetricsBindAddress string
	// SecureMetrics serves metrics over HTTPS behind the API server's
	// authentication and authorization.
	SecureMetrics bool
	// EnableHTTP2 allows HTTP/2 on the metrics endpoint.
	EnableHTTP2 bool
	// HealthProbeBindAddress is where /healthz and /readyz listen; "0"
	// disables them.
	HealthProbeBindAddress string
	// LeaderElection configures the election of the replica that runs the
	// controllers and collectors.
	LeaderElection LeaderElectionOptions
	// SkipControllerNameValidation lets several managers run in one
	// process (tests); a process runs one.
	SkipControllerNameValidation bool
}

// LeaderElectionOptions configure leader election among replicas.
type LeaderElectionOptions struct {
	// Enabled elects a leader; without it the replica leads alone.
	Enabled bool
	// ID names the Lease.
	ID string
	// Namespace holds the Lease; empty means the pod's namespace.
	Namespace string
	// LeaseDuration is how long a standby waits after the leader's last
	// renewal before it takes over a Lease that was not released: the
	// failover time of a crash. A whole number of seconds.
	LeaseDuration time.Duration
	// RenewDeadline is how long the leader retries renewing before it
	// stops leading (and the process exits). RenewDeadline + RetryPeriod
	// must be shorter than LeaseDuration: a leader cut off from the API
	// server stops leading that long after its last renewal, before a
	// standby may take over.
	RenewDeadline time.Duration
	// RetryPeriod is how often the leader renews the Lease; a standby
	// tries to take it every 1 to 2.2 retry periods (client-go's jitter).
	RetryPeriod time.Duration
}

// DefaultLeaderElectionID names the operator's Lease.
const DefaultLeaderElectionID = "touchstone.cx.touchstone.dev"

// DefaultRunOptions returns the options the flags default to. The lease
// settings are controller-runtime's defaults.
func DefaultRunOptions() RunOptions {
	return RunOptions{
		Options:                DefaultOptions(),
		MetricsBindAddress:     ":8443",
		SecureMetrics:          true,
		HealthProbeBindAddress: ":8081",
		LeaderElection: LeaderElectionOptions{
			ID:            DefaultLeaderElectionID,
			LeaseDuration: 15 * time.Second,
			RenewDeadline: 10 * time.Second,
			RetryPeriod:   2 * time.Second,
		},
	}
}

// BindFlags registers every option as a command-line flag with its
// default.
func (o *RunOptions) BindFlags(fs *flag.FlagSet) {
	*o = DefaultRunOptions()
	o.Options.BindFlags(fs)
	fs.StringVar(&o.MetricsBindAddress, "metrics-bind-address", o.MetricsBindAddress,
		"Address the metrics endpoint binds to: :8443 for HTTPS, :8080 for HTTP, 0 to disable.")
	fs.BoolVar(&o.SecureMetrics, "metrics-secure", o.SecureMetrics,
		"Serve metrics over HTTPS, authenticated and authorized through the API server (TokenReview, SubjectAccessReview).")
	fs.StringVar(&o.HealthProbeBindAddress, "health-probe-bind-address", o.HealthProbeBindAddress,
		"Address the /healthz and /readyz probes bind to (/readyz fails until the receiver listens, and again from SIGTERM on).")
	fs.BoolVar(&o.EnableHTTP2, "enable-http2", o.EnableHTTP2,
		"Enable HTTP/2 on the metrics server (off by default because of CVE-2023-44487 and CVE-2023-39325).")
	le := &o.LeaderElection
	fs.BoolVar(&le.Enabled, "leader-elect", le.Enabled,
		"Elect a leader among replicas; only the leader runs controllers and collectors, every replica receives responses.")
	fs.StringVar(&le.Namespace, "leader-election-namespace", le.Namespace,
		"Namespace of the leader Lease. Default: the pod's namespace (POD_NAMESPACE, else the service-account namespace file); required outside a pod.")
	fs.DurationVar(&le.LeaseDuration, "leader-election-lease-duration", le.LeaseDuration,
		"How long a standby waits after the leader's last renewal before taking over a Lease that was not released (a crash): whole seconds. Failover after a crash takes from about this minus one retry period to this plus 4.4 retry periods.")
	fs.DurationVar(&le.RenewDeadline, "leader-election-renew-deadline", le.RenewDeadline,
		"How long the leader retries renewing the Lease before it stops leading and exits; plus the retry period, shorter than the lease duration (a leader cut off from the API server stops before a standby may take over).")
	fs.DurationVar(&le.RetryPeriod, "leader-election-retry-period", le.RetryPeriod,
		"How often the leader renews the Lease; a standby tries to take it every 1 to 2.2 retry periods (jittered). After a graceful stop, which releases the Lease, a standby takes over within 2.2 retry periods.")
}

// Run runs the operator until ctx ends, then stops it gracefully and
// returns once it has stopped. main passes ctrl.SetupSignalHandler(): the
// first SIGTERM or SIGINT ends ctx, a second one exits at once.
//
// The stop, in the manager's order: the receiver reports not ready and
// keeps receiving for --receiver-shutdown-delay, then finishes the
// requests in flight (receive.Server.stop); then the leader-only
// controllers and collectors stop; then the caches; last, the leader Lease
// is released, so that the standby takes over at its next retry instead of
// waiting for the lease to expire. The whole stop is bounded by
// ShutdownTimeout.
func Run(ctx context.Context, cfg *rest.Config, o RunOptions) error {
	mo, err := o.managerOptions()
	if err != nil {
		return err
	}
	mgr, err := ctrl.NewManager(cfg, mo)
	if err != nil {
		return fmt.Errorf("creating the manager: %w", err)
	}
	if err := Setup(mgr, o.Options); err != nil {
		return fmt.Errorf("setting up the controllers: %w", err)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return fmt.Errorf("adding the health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return fmt.Errorf("adding the ready check: %w", err)
	}
	log := ctrl.Log.WithName("setup")
	if mo.LeaderElection {
		log.Info("starting manager", "leaderElection", mo.LeaderElectionNamespace+"/"+mo.LeaderElectionID,
			"leaseDuration", mo.LeaseDuration.String(), "renewDeadline", mo.RenewDeadline.String(), "retryPeriod", mo.RetryPeriod.String())
	} else {
		log.Info("starting manager", "leaderElection", false)
	}
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("manager: %w", err)
	}
	return nil
}

// ShutdownTimeout bounds the graceful stop of a replica: the receiver's
// shutdown delay, then up to its commit timeout plus 5s for the requests in
// flight, and 10s for the controllers, caches and the Lease release. The
// pod's terminationGracePeriodSeconds must be longer (config/manager).
func (o *RunOptions) ShutdownTimeout() time.Duration {
	d := o.Receiver.CommitTimeout + 15*time.Second
	if o.Receiver.enabled() {
		d += o.Receiver.ShutdownDelay
	}
	return d
}

// managerOptions derives the manager's options from the flags.
func (o *RunOptions) managerOptions() (ctrl.Options, error) {
	scheme := runtime.NewScheme()
	if err := errors.Join(clientgoscheme.AddToScheme(scheme), cxv1alpha1.AddToScheme(scheme)); err != nil {
		return ctrl.Options{}, err
	}
	var tlsOpts []func(*tls.Config)
	if !o.EnableHTTP2 {
		tlsOpts = append(tlsOpts, func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} })
	}
	metrics := metricsserver.Options{BindAddress: o.MetricsBindAddress, SecureServing: o.SecureMetrics, TLSOpts: tlsOpts}
	if o.SecureMetrics {
		metrics.FilterProvider = filters.WithAuthenticationAndAuthorization
	}
	mo := ctrl.Options{
		Scheme:                  scheme,
		Metrics:                 metrics,
		HealthProbeBindAddress:  o.HealthProbeBindAddress,
		GracefulShutdownTimeout: new(o.ShutdownTimeout()),
	}
	if o.SkipControllerNameValidation {
		mo.Controller.SkipNameValidation = new(true)
	}
	if le := o.LeaderElection; le.Enabled {
		if err := le.validate(); err != nil {
			return ctrl.Options{}, err
		}
		ns, err := leaseNamespace(le.Namespace, os.Getenv, serviceAccountNamespaceFile)
		if err != nil {
			return ctrl.Options{}, err
		}
		mo.LeaderElection = true
		mo.LeaderElectionID = le.ID
		mo.LeaderElectionNamespace = ns
		// Released after the replica stopped (see Run): a standby takes
		// over within 2.2 retry periods instead of a lease duration.
		mo.LeaderElectionReleaseOnCancel = true
		mo.LeaseDuration = new(le.LeaseDuration)
		mo.RenewDeadline = new(le.RenewDeadline)
		mo.RetryPeriod = new(le.RetryPeriod)
	}
	return ManagerOptions(mo), nil
}

// validate checks the lease settings the way client-go will, naming the
// flags.
func (le LeaderElectionOptions) validate() error {
	var errs []error
	if le.LeaseDuration < time.Second || le.LeaseDuration%time.Second != 0 {
		errs = append(errs, fmt.Errorf("--leader-election-lease-duration must be a whole number of seconds, at least 1s (the Lease stores seconds): got %s", le.LeaseDuration))
	}
	if le.RetryPeriod <= 0 {
		errs = append(errs, fmt.Errorf("--leader-election-retry-period must be positive: got %s", le.RetryPeriod))
	}
	if le.RenewDeadline+le.RetryPeriod >= le.LeaseDuration {
		errs = append(errs, fmt.Errorf("--leader-election-renew-deadline (%s) plus --leader-election-retry-period (%s) must be shorter than --leader-election-lease-duration (%s): "+
			"a leader that cannot renew stops leading that long after its last renewal, and must stop before a standby may take over",
			le.RenewDeadline, le.RetryPeriod, le.LeaseDuration))
	}
	if float64(le.RenewDeadline) <= leaderelection.JitterFactor*float64(le.RetryPeriod) {
		errs = append(errs, fmt.Errorf("--leader-election-renew-deadline (%s) must be longer than %.1f × --leader-election-retry-period (%s), so that the leader can retry a failed renewal before it gives up",
			le.RenewDeadline, leaderelection.JitterFactor, le.RetryPeriod))
	}
	return errors.Join(errs...)
}

// serviceAccountNamespaceFile holds the pod's namespace in every pod that
// mounts a service-account token.
const serviceAccountNamespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

// leaseNamespace is the namespace of the leader Lease: the flag's value,
// else the pod's namespace from POD_NAMESPACE (the downward API, in
// config/manager), else from the service-account namespace file.
func leaseNamespace(flagValue string, getenv func(string) string, saFile string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if ns := strings.TrimSpace(getenv("POD_NAMESPACE")); ns != "" {
		return ns, nil
	}
	data, err := os.ReadFile(saFile)
	if ns := strings.TrimSpace(string(data)); err == nil && ns != "" {
		return ns, nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("--leader-elect: reading the pod's namespace from %s: %w; set --leader-election-namespace", saFile, err)
	}
	return "", errors.New("--leader-elect needs the namespace of its Lease: set --leader-election-namespace " +
		"(or POD_NAMESPACE); inside a pod it defaults to the pod's namespace, which this process could not find " +
		"(no POD_NAMESPACE, no " + saFile + ")")
}
