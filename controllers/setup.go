package controllers

import (
	"flag"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
)

// Options configure the controllers and the runnables they share the
// manager with. The zero value is not usable: take DefaultOptions or bind
// flags.
type Options struct {
	// SecretRecheckInterval is how often an object whose Secret is missing
	// looks again. Secrets are read one by one, never watched (least
	// privilege), so a Secret created later is noticed within this delay.
	SecretRecheckInterval time.Duration
}

// DefaultOptions returns the options the flags default to.
func DefaultOptions() Options {
	return Options{
		SecretRecheckInterval: 30 * time.Second,
	}
}

// BindFlags registers the options as command-line flags with their defaults.
func (o *Options) BindFlags(fs *flag.FlagSet) {
	d := DefaultOptions()
	fs.DurationVar(&o.SecretRecheckInterval, "secret-recheck-interval", d.SecretRecheckInterval,
		"How often an object whose Secret is missing checks again (Secrets are not watched).")
}

// Setup registers every Touchstone controller, index and runnable with the
// manager. main and the tests share it, so that the tests run the wiring
// that ships.
func Setup(mgr ctrl.Manager, o Options) error {
	if err := (&TouchpointReconciler{Client: mgr.GetClient()}).SetupWithManager(mgr); err != nil {
		return err
	}
	if err := (&SurveyReconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), SecretRecheckInterval: o.SecretRecheckInterval}).SetupWithManager(mgr); err != nil {
		return err
	}
	return (&ScorecardReconciler{Client: mgr.GetClient()}).SetupWithManager(mgr)
}
