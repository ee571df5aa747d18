// Command demo runs Touchstone on this machine with nothing but what the
// Makefile builds: a local control plane, the operator, the Larkspur
// samples, synthetic sources, a real Prometheus, four weeks of survey
// history and a stream of survey responses, and shows what `kubectl get
// cx`, the Journey's lifecycle map, the surveys' forecasts and the cx_*
// metrics say, refreshing, until Ctrl-C. Run it with `make demo`.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/devenv"
	"github.com/touchstone-dev/touchstone/internal/testenv"
)

// options are the demo's flags.
type options struct {
	// namespace the samples are applied to.
	namespace string
	// receiverAddr and metricsAddr are where the operator's receiver and
	// /metrics listen.
	receiverAddr, metricsAddr string
	// rate of synthetic survey responses per second.
	rate float64
	// refresh is how often the view refreshes; duration how long the demo
	// runs once up (0: until Ctrl-C).
	refresh, duration time.Duration
	// prometheus runs a real Prometheus for the Prometheus collectors.
	prometheus bool
	// check fails the demo on exit unless every sample object is Ready.
	check bool
}

func main() {
	var o options
	flag.StringVar(&o.namespace, "namespace", "larkspur", "Namespace the samples are applied to.")
	flag.StringVar(&o.receiverAddr, "receiver-address", "127.0.0.1:8082", "Address of the survey response receiver.")
	flag.StringVar(&o.metricsAddr, "metrics-address", "127.0.0.1:8080", "Address of the operator's /metrics (plain HTTP in the demo).")
	flag.Float64Var(&o.rate, "rate", 4, "Synthetic survey responses per second.")
	flag.DurationVar(&o.refresh, "refresh", 5*time.Second, "How often the view refreshes.")
	flag.DurationVar(&o.duration, "duration", 0, "Stop after showing the running demo for this long, counted once it is up (0: run until Ctrl-C).")
	flag.BoolVar(&o.prometheus, "prometheus", true, "Run a real Prometheus for the samples' Prometheus collectors.")
	flag.BoolVar(&o.check, "check", false, "On exit, fail unless every sample object is Ready (CI runs the demo this way).")
	flag.Parse()
	// Output piped to a command that exits (| head) must not kill the demo
	// before it stops the control plane it started.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	dir, err := os.MkdirTemp("", "touchstone-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	logFile, err := os.Create(filepath.Join(dir, "operator.log"))
	if err != nil {
		return err
	}
	defer func() { _ = logFile.Close() }()
	ctrl.SetLogger(zap.New(zap.WriteTo(logFile)))

	fmt.Println("Touchstone demo: starting a local control plane, the operator and the Larkspur samples...")
	env, err := devenv.Start(ctx, devenv.Config{
		Dir: dir, Namespace: o.namespace, ReceiverAddr: o.receiverAddr, MetricsAddr: o.metricsAddr,
		Prometheus: o.prometheus, Progress: os.Stdout, Log: logFile,
	})
	if err != nil {
		return err
	}
	defer func() {
		fmt.Println("\nstopping the operator, Prometheus and the control plane...")
		env.Stop()
		fmt.Println("stopped; removed", dir)
	}()
	// Count every change of a card's result from its creation on: each
	// is one ResultChanged Event, and the count is printed on exit.
	results, err := env.WatchResults(ctx, o.namespace)
	if err != nil {
		return err
	}
	defer func() {
		fmt.Printf("\nResultChanged events per scorecard (changes of status.result, the first included):\n%s", results.Summary())
	}()
	fmt.Println(">> applying config/samples with kubectl")
	if err := env.ApplySamples(ctx); err != nil {
		return err
	}

	// A first batch of answers so that the surveys have a sample size
	// worth reading, then a steady stream.
	responder := devenv.NewResponder(env.ReceiverURL, o.namespace)
	if err := postFirstResponses(ctx, responder); err != nil {
		return err
	}
	waitForScores(ctx, env, o.namespace)
	if o.check {
		// CI keeps the README's tour true by running it here.
		if err := runTour(ctx, env); err != nil {
			return err
		}
	}
	// The duration counts from here: a first run spends its first minutes
	// building binaries, and the view deserves its whole time.
	if o.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}
	return streamAndShow(ctx, env, o, responder, dir)
}

// streamAndShow streams responses at o.rate and refreshes the view every
// o.refresh until ctx ends (with o.check, it then fails unless every
// sample object is Ready) or the stream fails.
func streamAndShow(ctx context.Context, env *devenv.Env, o options, responder *devenv.Responder, dir string) error {
	streamErrs := make(chan error, 1)
	go responder.Stream(ctx, o.rate, func(err error) {
		select {
		case streamErrs <- err:
		default:
		}
	})
	for {
		show(ctx, env, o.namespace, responder, dir)
		select {
		case <-ctx.Done():
			if o.check {
				return checkReady(env, o.namespace)
			}
			return nil
		case err := <-streamErrs:
			return err
		case <-time.After(o.refresh):
		}
	}
}

// postFirstResponses posts four weeks of history to the Surveys with a
// 30-day window (so that they have a daily series to forecast from; the
// 7-day ones cannot forecast, and say so) and 60 responses of today to
// every sample Survey.
func postFirstResponses(ctx context.Context, responder *devenv.Responder) error {
	fmt.Println(">> posting four weeks of survey history and the first responses of today")
	for _, s := range devenv.SampleSurveys {
		if s.Name == "relationship-nps" || s.Name == "delivery-rating" {
			if err := responder.PostHistory(ctx, s, 27, 20); err != nil {
				return err
			}
		}
		if err := responder.Post(ctx, s, 60); err != nil {
			return err
		}
	}
	return nil
}

// waitForScores waits (up to 30 seconds) until every Survey shows a score,
// so that the first view is not empty.
func waitForScores(ctx context.Context, env *devenv.Env, namespace string) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		var list cxv1alpha1.SurveyList
		if err := env.Client.List(ctx, &list, client.InNamespace(namespace)); err == nil {
			scored := 0
			for _, s := range list.Items {
				if s.Status.Responses > 0 {
					scored++
				}
			}
			if scored == len(list.Items) && scored > 0 {
				return
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// checkReady reports the sample objects that are not Ready.
func checkReady(env *devenv.Env, namespace string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var notReady []string
	var total int
	note := func(kind, name string, conds []metav1.Condition) {
		total++
		if c := meta.FindStatusCondition(conds, cxv1alpha1.ConditionReady); c == nil || c.Status != metav1.ConditionTrue {
			notReady = append(notReady, kind+"/"+name)
		}
	}
	var tps cxv1alpha1.TouchpointList
	var svys cxv1alpha1.SurveyList
	var scs cxv1alpha1.ScorecardList
	var jnys cxv1alpha1.JourneyList
	for _, l := range []client.ObjectList{&tps, &svys, &scs, &jnys} {
		if err := env.Client.List(ctx, l, client.InNamespace(namespace)); err != nil {
			return err
		}
	}
	for _, o := range tps.Items {
		note("touchpoint", o.Name, o.Status.Conditions)
	}
	for _, o := range svys.Items {
		note("survey", o.Name, o.Status.Conditions)
	}
	for _, o := range scs.Items {
		note("scorecard", o.Name, o.Status.Conditions)
	}
	for _, o := range jnys.Items {
		note("journey", o.Name, o.Status.Conditions)
	}
	if len(notReady) > 0 || total == 0 {
		return fmt.Errorf("check: %d of %d sample objects not Ready: %s", len(notReady), total, strings.Join(notReady, ", "))
	}
	fmt.Printf("\ncheck: all %d sample objects are Ready\n", total)
	return nil
}

// tourEnv is the export line of the README's tour for this environment.
func tourEnv(env *devenv.Env) string {
	return fmt.Sprintf("KUBECONFIG=%s RECEIVER=%s METRICS=%s", env.Kubeconfig, env.ReceiverURL, env.MetricsURL)
}

// runTour runs the shell block of README.md that follows <!-- tour -->,
// with this environment's addresses instead of the example ones, and fails
// on the first command that fails.
func runTour(ctx context.Context, env *devenv.Env) error {
	readme, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "README.md"))
	if err != nil {
		return err
	}
	_, after, ok := strings.Cut(string(readme), "<!-- tour -->")
	if !ok {
		return fmt.Errorf("README.md has no <!-- tour --> block")
	}
	_, block, _ := strings.Cut(after, "```sh\n")
	block, _, _ = strings.Cut(block, "```")
	var script []string
	for line := range strings.SplitSeq(block, "\n") {
		if strings.HasPrefix(line, "export ") {
			line = "export " + tourEnv(env)
		}
		script = append(script, line)
	}
	kubectl, err := testenv.Kubectl()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-xc", strings.Join(script, "\n"))
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(kubectl)+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	fmt.Printf(">> the README's tour:\n%s\n", out)
	if err != nil {
		return fmt.Errorf("the README's tour failed: %w", err)
	}
	return nil
}

// show clears the terminal and prints the view.
func show(ctx context.Context, env *devenv.Env, namespace string, responder *devenv.Responder, dir string) {
	var b strings.Builder
	b.WriteString("\033[H\033[2J")
	fmt.Fprintf(&b, "Touchstone demo — %s — Ctrl-C to stop\n\n", time.Now().Format(time.TimeOnly))
	fmt.Fprintf(&b, "  in another terminal (kubectl, curl, the README's tour):\n    export %s\n\n", tourEnv(env))
	fmt.Fprintf(&b, "  kubectl:   KUBECONFIG=%s\n", env.Kubeconfig)
	fmt.Fprintf(&b, "  receiver:  %s/api/v1/namespaces/%s/surveys/<name>/responses  (Authorization: Bearer %s)\n",
		env.ReceiverURL, namespace, devenv.SampleToken)
	fmt.Fprintf(&b, "  metrics:   %s\n", env.MetricsURL)
	if env.Prometheus != nil {
		fmt.Fprintf(&b, "  prometheus: %s\n", env.Prometheus.URL())
	}
	fmt.Fprintf(&b, "  logs:      %s\n", filepath.Join(dir, "operator.log"))
	fmt.Fprintf(&b, "  responses posted: %d\n\n", responder.Sent.Load())

	out, err := env.Kubectl(ctx, nil, "get", "cx", "-n", namespace)
	if err != nil {
		out = err.Error() + "\n"
	}
	fmt.Fprintf(&b, "$ kubectl get cx -n %s\n%s\n", namespace, out)
	b.WriteString(lifecycleView(ctx, env, namespace))
	b.WriteString(scorecardSummary(ctx, env, namespace))
	b.WriteString(segmentsSummary(ctx, env, namespace))
	b.WriteString(metricsSummary(ctx, env.MetricsURL))
	fmt.Print(b.String())
}

// lifecycleView renders the Journeys' maps and the Surveys' forecasts.
func lifecycleView(ctx context.Context, env *devenv.Env, namespace string) string {
	var b strings.Builder
	var jnys cxv1alpha1.JourneyList
	if err := env.Client.List(ctx, &jnys, client.InNamespace(namespace)); err != nil {
		return "journeys: " + err.Error() + "\n"
	}
	for i := range jnys.Items {
		b.WriteString(devenv.JourneyMap(&jnys.Items[i]))
		b.WriteString("\n")
	}
	var svys cxv1alpha1.SurveyList
	if err := env.Client.List(ctx, &svys, client.InNamespace(namespace)); err != nil {
		return b.String() + "surveys: " + err.Error() + "\n"
	}
	if f := devenv.Forecasts(svys.Items); f != "" {
		b.WriteString("forecasts, one window ahead (a linear trend of the daily scores):\n" + f + "\n")
	}
	return b.String()
}

// scorecardSummary shows what the cards' table cannot: a result waiting
// for its stabilization window, and every objective that does not pass,
// with its reason (an Inconclusive one names its interval).
func scorecardSummary(ctx context.Context, env *devenv.Env, namespace string) string {
	var list cxv1alpha1.ScorecardList
	if err := env.Client.List(ctx, &list, client.InNamespace(namespace)); err != nil {
		return "scorecards: " + err.Error() + "\n\n"
	}
	var b strings.Builder
	b.WriteString("scorecards: published result, a result waiting for the stabilization window, objectives not passing\n")
	for _, sc := range list.Items {
		st := sc.Status
		line := fmt.Sprintf("  %-22s %-8s", sc.Name, st.Result)
		if st.PendingResult != "" && st.PendingSince != nil {
			window := sc.Spec.StabilizationWindowOrDefault()
			line += fmt.Sprintf(" %s pending since %s (published at %s if it holds)", st.PendingResult,
				st.PendingSince.Local().Format(time.TimeOnly), st.PendingSince.Add(window).Local().Format(time.TimeOnly))
		}
		b.WriteString(line + "\n")
		for _, o := range st.Objectives {
			if o.Result == cxv1alpha1.ObjectivePass {
				continue
			}
			reason := o.Reason
			if len(reason) > 110 {
				reason = reason[:107] + "..."
			}
			fmt.Fprintf(&b, "      %-18s %-12s %s\n", o.Name, o.Result, reason)
		}
	}
	return b.String() + "\n"
}

// segmentsSummary says, per Survey, whether its responses represent the
// customer base and what weighting did.
func segmentsSummary(ctx context.Context, env *devenv.Env, namespace string) string {
	var list cxv1alpha1.SurveyList
	if err := env.Client.List(ctx, &list, client.InNamespace(namespace)); err != nil {
		return "segments: " + err.Error() + "\n\n"
	}
	var lines []string
	for _, svy := range list.Items {
		st := &svy.Status
		if w := st.Weighting; w != nil && w.Unweighted != nil {
			lines = append(lines, fmt.Sprintf("  %-18s score %s weighted by %s (unweighted %s), effective n %s of %d",
				svy.Name, st.Score, w.Segment, w.Unweighted.Score, w.EffectiveResponses, st.Responses))
		}
		for _, seg := range st.Segments {
			if seg.Representation != nil {
				lines = append(lines, fmt.Sprintf("  %-18s %s", svy.Name, seg.Representation.Message))
			}
		}
	}
	if len(lines) == 0 {
		return ""
	}
	return "representation and weighting (status.segments, status.weighting):\n" + strings.Join(lines, "\n") + "\n\n"
}

// metricsSummary scrapes the operator and lists the headline cx_* series.
func metricsSummary(ctx context.Context, url string) string {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "metrics: " + err.Error() + "\n"
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return "metrics: " + err.Error() + "\n"
	}
	var lines []string
	for _, name := range []string{"cx_survey_score", "cx_survey_margin_of_error", "cx_scorecard_score", "cx_touchpoint_value"} {
		f := families[name]
		if f == nil {
			continue
		}
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				if l.GetName() == "namespace" || l.GetName() == "type" || l.GetName() == "unit" || l.GetName() == "stage" {
					continue
				}
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			lines = append(lines, fmt.Sprintf("  %-28s %-58s %10.4g", name, strings.Join(labels, ","), m.GetGauge().GetValue()))
		}
	}
	sort.Strings(lines)
	if len(lines) > 40 {
		lines = append(lines[:40], fmt.Sprintf("  ... and %d more series", len(lines)-40))
	}
	return "$ curl " + url + " | grep cx_\n" + strings.Join(lines, "\n") + "\n"
}
