package controllers_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/selection"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/controllers"
	"github.com/touchstone-dev/touchstone/internal/testenv"
)

// The controllers run in a real manager against a real kube-apiserver and
// etcd (envtest), wired by controllers.Setup exactly as main does.
var (
	testEnv *envtest.Environment
	cfg     *rest.Config
	k8s     client.Client
	scheme  = runtime.NewScheme()
)

func TestMain(m *testing.M) {
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.UseDevMode(false), zap.Level(zapLevel())))
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		panic(err)
	}
	if err := cxv1alpha1.AddToScheme(scheme); err != nil {
		panic(err)
	}
	var err error
	testEnv, cfg, err = testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	k8s, err = client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done, err := startManager(ctx, testOptions())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}

	code := m.Run()

	cancel()
	<-done
	if err := testEnv.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping control plane:", err)
	}
	os.Exit(code)
}

// zapLevel keeps the manager quiet unless TOUCHSTONE_TEST_LOG is set.
func zapLevel() zapcore.Level {
	if os.Getenv("TOUCHSTONE_TEST_LOG") != "" {
		return zapcore.DebugLevel
	}
	return zapcore.ErrorLevel
}

// testOptions are the defaults with shorter delays, so that tests wait
// seconds, not minutes.
func testOptions() controllers.Options {
	o := controllers.DefaultOptions()
	o.SecretRecheckInterval = time.Second
	// Secret reads are reused for one second instead of 30, so that a
	// Secret created or fixed by a test is seen at once.
	o.SecretCacheTTL = time.Second
	o.Collectors = testCollectorOptions(o.Collectors)
	o.Receiver = testReceiverOptions(o.Receiver)
	o.Scorecards = testScorecardOptions(o.Scorecards)
	o.Journeys.StatusInterval = 100 * time.Millisecond
	return o
}

// ownOperatorLabel marks the objects of a test that runs an operator of
// its own, with other options (startOwnOperator): the suite's manager
// does not see them.
const ownOperatorLabel = "test.touchstone.dev/own-operator"

// startManager runs a manager with every Touchstone controller until ctx
// ends; the returned channel closes when it has stopped.
func startManager(ctx context.Context, opts controllers.Options) (<-chan struct{}, error) {
	ignored, err := labels.NewRequirement(ownOperatorLabel, selection.DoesNotExist, nil)
	if err != nil {
		return nil, err
	}
	mgr, err := ctrl.NewManager(cfg, controllers.ManagerOptions(ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache:                  cache.Options{DefaultLabelSelector: labels.NewSelector().Add(*ignored)},
	}))
	if err != nil {
		return nil, err
	}
	if err := controllers.Setup(mgr, opts); err != nil {
		return nil, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "manager:", err)
		}
	}()
	return done, nil
}

// newNamespace creates a namespace for one test, so that tests never see
// each other's objects.
func newNamespace(t *testing.T) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "test-"}}
	if err := k8s.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

// condition returns the condition of the given type, or nil.
func condition(conds []metav1.Condition, typ string) *metav1.Condition {
	return meta.FindStatusCondition(conds, typ)
}

// reconcileCount reads controller-runtime's reconcile counter of one
// controller from the metrics registry the manager reports to.
func reconcileCount(controller string) float64 {
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		panic(err)
	}
	var total float64
	for _, f := range families {
		if f.GetName() != "controller_runtime_reconcile_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "controller" && l.GetValue() == controller {
					total += m.GetCounter().GetValue()
				}
			}
		}
	}
	return total
}

// seriesValue reads one series of the operator's registry whose labels
// include the given ones: a gauge's or a counter's value, a histogram's
// sample count.
func seriesValue(name string, labels map[string]string) (float64, bool) {
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		panic(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if have[k] != v {
					continue series
				}
			}
			switch {
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue(), true
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue(), true
			case m.GetHistogram() != nil:
				return float64(m.GetHistogram().GetSampleCount()), true
			}
		}
	}
	return 0, false
}

// series is seriesValue for Eventually: the value, or "absent".
func series(name string, labels map[string]string) func() any {
	return func() any {
		if v, ok := seriesValue(name, labels); ok {
			return v
		}
		return "absent"
	}
}

// eventually is gomega's Eventually with the suite's defaults.
// updateSpec reads obj again, applies mutate and updates it, retrying on
// conflict: the operator's status writes change the resourceVersion under
// a test that edits the spec, as they would under a user.
func updateSpec(g Gomega, obj client.Object, mutate func()) {
	g.Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		mutate()
		return k8s.Update(context.Background(), obj)
	})).To(Succeed())
}

func eventually(g Gomega, f any) AsyncAssertion {
	return g.Eventually(f).WithTimeout(30 * time.Second).WithPolling(100 * time.Millisecond)
}
