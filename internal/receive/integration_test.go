package receive_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/controllers"
	"github.com/touchstone-dev/touchstone/internal/receive"
	"github.com/touchstone-dev/touchstone/internal/stats"
	"github.com/touchstone-dev/touchstone/internal/testenv"
)

// These tests run the receiver in real managers against a real
// kube-apiserver and etcd, and break things on purpose: they restart the
// operator and the API server while clients post, and run two receivers at
// once. The invariant is always the same: after the clients' retries, the
// durable tallies hold every acknowledged response exactly once.

var (
	env    *envtest.Environment
	cfg    *rest.Config
	k8s    client.Client
	scheme = runtime.NewScheme()
)

func TestMain(m *testing.M) {
	level := zapcore.ErrorLevel
	if os.Getenv("TOUCHSTONE_TEST_LOG") != "" {
		level = zapcore.DebugLevel
	}
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(level)))
	_ = clientgoscheme.AddToScheme(scheme)
	_ = cxv1alpha1.AddToScheme(scheme)
	var err error
	env, err = testenv.New()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// A fixed certificate directory lets the API server be stopped and
	// started again with the same certificates, port and etcd.
	certs, err := os.MkdirTemp("", "touchstone-apiserver-")
	if err != nil {
		panic(err)
	}
	env.ControlPlane.APIServer = &envtest.APIServer{CertDir: certs}
	// envtest runs etcd without fsync; these tests are about durability,
	// so etcd syncs its writes as it does in a cluster.
	env.ControlPlane.Etcd = &envtest.Etcd{}
	env.ControlPlane.Etcd.Configure().Set("unsafe-no-fsync", "false")
	// A kube-apiserver with clients attached drains for a long time on
	// SIGTERM; the outage test wants it gone at once (then SIGKILL).
	env.ControlPlaneStopTimeout = 3 * time.Second
	if cfg, err = env.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cfg.QPS, cfg.Burst = 500, 1000
	if k8s, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		panic(err)
	}
	code := m.Run()
	_ = env.Stop()
	_ = os.RemoveAll(certs)
	os.Exit(code)
}

// operator is one running manager with the Touchstone controllers and a
// receiver listening on addr.
type operator struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// startOperator starts a manager. With leaderElection, as in a
// multi-replica deployment, only the leader runs the controllers and every
// replica receives; a leader that cannot renew its lease (the API server
// is down) stops, as a pod would, so the outage test runs one replica
// without it.
func startOperator(t *testing.T, addr string, leaderElection bool) *operator {
	t.Helper()
	var ln net.Listener
	var err error
	// The previous operator on this address may still be releasing it.
	NewWithT(t).Eventually(func() error { ln, err = net.Listen("tcp", addr); return err }).WithTimeout(10 * time.Second).Should(Succeed())
	o := controllers.DefaultOptions()
	o.Receiver.Listener = ln
	o.Receiver.StatusInterval = 100 * time.Millisecond
	o.Receiver.CommitTimeout = 3 * time.Second
	// These tests restart the operator abruptly; failover_test.go tests
	// the graceful stop.
	o.Receiver.ShutdownDelay = 0
	mgr, err := ctrl.NewManager(cfg, controllers.ManagerOptions(ctrl.Options{
		Scheme:                        scheme,
		Metrics:                       metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress:        "0",
		LeaderElection:                leaderElection,
		LeaderElectionID:              "touchstone-receive-test",
		LeaderElectionNamespace:       "default",
		LeaderElectionReleaseOnCancel: true,
		LeaseDuration:                 new(4 * time.Second),
		RenewDeadline:                 new(3 * time.Second),
		RetryPeriod:                   new(500 * time.Millisecond),
		// Several managers in one process register the same controller
		// names and metrics.
		Controller: controllerConfig(),
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := controllers.Setup(mgr, o); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	op := &operator{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(op.done)
		if err := mgr.Start(ctx); err != nil {
			t.Logf("manager stopped: %v", err)
		}
	}()
	t.Cleanup(op.stop)
	return op
}

func (o *operator) stop() {
	o.cancel()
	<-o.done
}

// freeAddr returns a local address nobody listens on.
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// newSurvey creates a namespace with a Touchpoint, a Secret and an NPS
// Survey, and returns the namespace, the Survey and its token.
func newSurvey(t testing.TB) (string, *cxv1alpha1.Survey, string) {
	ctx := context.Background()
	g := NewWithT(t)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "receive-"}}
	g.Expect(k8s.Create(ctx, ns)).To(Succeed())
	token := "token-" + ns.Name
	g.Expect(k8s.Create(ctx, &cxv1alpha1.Touchpoint{ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "tp"},
		Spec: cxv1alpha1.TouchpointSpec{Stage: cxv1alpha1.StageSupport}})).To(Succeed())
	g.Expect(k8s.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "receiver"},
		Data: map[string][]byte{"token": []byte(token)}})).To(Succeed())
	svy := &cxv1alpha1.Survey{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "nps"},
		Spec: cxv1alpha1.SurveySpec{
			TouchpointRef: cxv1alpha1.LocalObjectReference{Name: "tp"},
			Type:          cxv1alpha1.SurveyNPS,
			Receiver:      cxv1alpha1.SurveyReceiver{BearerTokenSecretRef: &cxv1alpha1.SecretKeyRef{Name: "receiver", Key: "token"}},
		},
	}
	g.Expect(k8s.Create(ctx, svy)).To(Succeed())
	return ns.Name, svy, token
}

// load is a set of senders posting batches to receivers and retrying each
// batch until it is acknowledged, as a well-behaved survey tool does.
type load struct {
	urls    []string
	token   string
	senders int
	batches int
	size    int
	// both sends every fifth batch to two receivers at once, as a client
	// whose first attempt timed out and retried elsewhere might.
	both bool

	acked    atomic.Int64 // batches acknowledged
	accepted atomic.Int64 // responses acknowledged as accepted
	mu       sync.Mutex
	codes    map[int]int // status codes seen (0: connection error)
	expected [11]int64   // responses per score
}

func scoreOf(s, b, k int) int { return (s*7 + b*3 + k) % 11 }

func (l *load) body(s, b int) string {
	var parts []string
	for k := 0; k < l.size; k++ {
		parts = append(parts, fmt.Sprintf(`{"id":"s%d-b%d-r%d","score":%d}`, s, b, k, scoreOf(s, b, k)))
	}
	return `{"responses":[` + strings.Join(parts, ",") + `]}`
}

func (l *load) total() int64 { return int64(l.senders * l.batches * l.size) }

func (l *load) record(code int) {
	l.mu.Lock()
	l.codes[code]++
	l.mu.Unlock()
}

func (l *load) seen(code int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.codes[code]
}

// run posts every batch until acknowledged; it returns when all are, or
// when ctx ends.
func (l *load) run(ctx context.Context, path string) {
	l.codes = map[int]int{}
	for s := 0; s < l.senders; s++ {
		for b := 0; b < l.batches; b++ {
			for k := 0; k < l.size; k++ {
				l.expected[scoreOf(s, b, k)]++
			}
		}
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	var wg sync.WaitGroup
	for s := 0; s < l.senders; s++ {
		wg.Add(1)
		go func(s int) {
			defer wg.Done()
			for b := 0; b < l.batches; b++ {
				body := l.body(s, b)
				for attempt := 0; ctx.Err() == nil; attempt++ {
					url := l.urls[(s+b+attempt)%len(l.urls)]
					if l.both && b%5 == 0 && attempt == 0 && len(l.urls) > 1 {
						// Fire-and-forget to the other receiver too.
						go l.post(hc, l.urls[(s+b+1)%len(l.urls)]+path, body)
					}
					if l.post(hc, url+path, body) {
						l.acked.Add(1)
						break
					}
					time.Sleep(time.Duration(min(attempt+1, 10)) * 20 * time.Millisecond)
				}
			}
		}(s)
	}
	wg.Wait()
}

// post sends one batch and reports whether it was acknowledged.
func (l *load) post(hc *http.Client, url, body string) bool {
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+l.token)
	resp, err := hc.Do(req)
	if err != nil {
		l.record(0)
		return false
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	l.record(resp.StatusCode)
	switch resp.StatusCode {
	case http.StatusOK:
		var out struct{ Accepted, Duplicates int }
		if err := json.Unmarshal(data, &out); err != nil || out.Accepted+out.Duplicates != l.size {
			panic(fmt.Sprintf("acknowledgement does not account for the batch: %s", data))
		}
		l.accepted.Add(int64(out.Accepted))
		return true
	case http.StatusServiceUnavailable, http.StatusTooManyRequests:
		if resp.Header.Get("Retry-After") == "" {
			panic(fmt.Sprintf("%d without Retry-After", resp.StatusCode))
		}
		return false
	default:
		panic(fmt.Sprintf("unexpected answer %d: %s", resp.StatusCode, data))
	}
}

// durableCounts reads the Survey's tallies straight from the API server
// and sums them per score.
func durableCounts(g Gomega, svy *cxv1alpha1.Survey) (int64, [11]int64) {
	var list cxv1alpha1.ResponseTallyList
	g.Expect(k8s.List(context.Background(), &list, client.InNamespace(svy.Namespace),
		client.MatchingLabels{cxv1alpha1.LabelSurveyUID: string(svy.UID)})).To(Succeed())
	var per [11]int64
	var n int64
	ids := map[string]bool{}
	for _, t := range list.Items {
		tally, err := stats.ParseTally(stats.Scale{Min: 0, Max: 10}, t.Counts)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(tally.N()).To(Equal(t.Responses))
		g.Expect(int64(len(t.ResponseIDs)/8)).To(Equal(t.Responses), "a tally holds one id hash per response")
		for b := t.ResponseIDs; len(b) >= 8; b = b[8:] {
			g.Expect(ids[string(b[:8])]).To(BeFalse(), "an id is counted twice")
			ids[string(b[:8])] = true
		}
		for v := 0; v <= 10; v++ {
			per[v] += tally.Count(v)
		}
		n += t.Responses
	}
	return n, per
}

// expectExactlyOnce checks the invariant: every acknowledged response is
// durable exactly once, in the Survey's status too.
func expectExactlyOnce(g Gomega, l *load, svy *cxv1alpha1.Survey) {
	n, per := durableCounts(g, svy)
	g.Expect(n).To(Equal(l.total()), "durable responses")
	g.Expect(per).To(Equal(l.expected), "durable responses per score")
	g.Expect(l.accepted.Load()).To(BeNumerically("<=", l.total()), "accepted more than sent")
	g.Eventually(func() int64 {
		g.Expect(k8s.Get(context.Background(), client.ObjectKeyFromObject(svy), svy)).To(Succeed())
		return svy.Status.Responses
	}).WithTimeout(30 * time.Second).Should(Equal(l.total()))
}

func TestAcknowledgedResponsesSurviveAnOperatorRestart(t *testing.T) {
	g := NewWithT(t)
	ns, svy, token := newSurvey(t)
	addr := freeAddr(t)
	first := startOperator(t, addr, true)

	l := &load{urls: []string{"http://" + addr}, token: token, senders: 8, batches: 40, size: 5}
	done := make(chan struct{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	go func() { defer close(done); l.run(ctx, receive.PathOf(ns, svy.Name)) }()

	// Mid-stream, replace the operator by a new one on the same address.
	g.Eventually(l.acked.Load).WithTimeout(time.Minute).Should(BeNumerically(">=", 80))
	first.stop()
	startOperator(t, addr, true)

	g.Eventually(done).WithTimeout(2 * time.Minute).Should(BeClosed())
	g.Expect(l.acked.Load()).To(Equal(int64(l.senders * l.batches)))
	expectExactlyOnce(g, l, svy)
	t.Logf("answers: %v, accepted %d of %d", l.codes, l.accepted.Load(), l.total())
}

func TestAnAPIServerOutageNeverAcknowledgesUnstoredResponses(t *testing.T) {
	g := NewWithT(t)
	ns, svy, token := newSurvey(t)
	addr := freeAddr(t)
	startOperator(t, addr, false)

	l := &load{urls: []string{"http://" + addr}, token: token, senders: 8, batches: 40, size: 5}
	done := make(chan struct{})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	go func() { defer close(done); l.run(ctx, receive.PathOf(ns, svy.Name)) }()

	g.Eventually(l.acked.Load).WithTimeout(time.Minute).Should(BeNumerically(">=", 60))
	apiserver := env.ControlPlane.GetAPIServer()
	if err := apiserver.Stop(); err != nil {
		// Past the stop timeout the process is killed, like a crash.
		g.Expect(err.Error()).To(ContainSubstring("timeout waiting for process kube-apiserver to stop"))
	}
	secure := apiserver.Address + ":" + apiserver.Port
	g.Eventually(func() error {
		c, err := net.Dial("tcp", secure)
		if err == nil {
			c.Close()
			return fmt.Errorf("%s still accepts connections", secure)
		}
		return nil
	}).WithTimeout(10 * time.Second).Should(Succeed())
	// While it is down, senders are told to come back later.
	ackedWhenDown := l.acked.Load()
	g.Eventually(func() int { return l.seen(http.StatusServiceUnavailable) }).WithTimeout(30 * time.Second).Should(BeNumerically(">", 0))
	t.Logf("acknowledged while the API server was down: %d batches (each one stored before it went down)", l.acked.Load()-ackedWhenDown)
	g.Expect(apiserver.Start()).To(Succeed())

	g.Eventually(done).WithTimeout(3 * time.Minute).Should(BeClosed())
	g.Expect(l.acked.Load()).To(Equal(int64(l.senders * l.batches)))
	expectExactlyOnce(g, l, svy)
	t.Logf("answers: %v, accepted %d of %d", l.codes, l.accepted.Load(), l.total())
}

func TestTwoReceiversCountEachResponseOnce(t *testing.T) {
	g := NewWithT(t)
	ns, svy, token := newSurvey(t)
	a, b := freeAddr(t), freeAddr(t)
	startOperator(t, a, true)
	startOperator(t, b, true)

	l := &load{urls: []string{"http://" + a, "http://" + b}, token: token, senders: 16, batches: 20, size: 5, both: true}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	l.run(ctx, receive.PathOf(ns, svy.Name))
	g.Expect(l.acked.Load()).To(Equal(int64(l.senders * l.batches)))
	// The fire-and-forget copies may still be in flight: wait for the
	// durable count to settle on the total, then check it is exact.
	g.Eventually(func() int64 { n, _ := durableCounts(g, svy); return n }).WithTimeout(30 * time.Second).Should(Equal(l.total()))
	expectExactlyOnce(g, l, svy)
	t.Logf("answers: %v, accepted %d of %d", l.codes, l.accepted.Load(), l.total())
}

// controllerConfig lets several managers in one test process register
// controllers of the same name.
func controllerConfig() config.Controller {
	return config.Controller{SkipNameValidation: new(true)}
}
