// Command touchstone runs the Touchstone operator: the Touchpoint, Survey
// and Scorecard controllers, the collector scheduler and the survey response
// receiver, in one controller-runtime manager (controllers.Run).
package main

import (
	"flag"
	"os"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/touchstone-dev/touchstone/controllers"
)

func main() {
	var opts controllers.RunOptions
	opts.BindFlags(flag.CommandLine)
	zapOpts := zap.Options{}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))

	// The first SIGTERM or SIGINT starts the graceful stop (controllers.Run:
	// not ready, still receiving for --receiver-shutdown-delay, then drain);
	// a second one exits at once.
	if err := controllers.Run(ctrl.SetupSignalHandler(), ctrl.GetConfigOrDie(), opts); err != nil {
		ctrl.Log.WithName("setup").Error(err, "exiting with an error")
		os.Exit(1)
	}
}
