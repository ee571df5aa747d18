// Package devenv runs Touchstone for real on one machine, with nothing but
// the binaries the Makefile builds: a control plane (kube-apiserver and
// etcd), the operator (the same wiring as main), synthetic sources for the
// Larkspur samples, optionally a real Prometheus scraping the operator,
// and the samples applied with the real kubectl. `make demo` and the
// end-to-end tests both run it.
package devenv

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/controllers"
	"github.com/touchstone-dev/touchstone/internal/testenv"
)

// Config configures an environment.
type Config struct {
	// Dir is a scratch directory (kubeconfig, Prometheus data, logs); the
	// caller creates and removes it.
	Dir string
	// Namespace receives the samples.
	Namespace string
	// ReceiverAddr is where the receiver listens; port 0 picks one.
	ReceiverAddr string
	// MetricsAddr is where the operator serves /metrics; port 0 picks one.
	MetricsAddr string
	// SecureMetrics serves /metrics over HTTPS, authenticated and
	// authorized through the API server, as deployed; Prometheus then
	// scrapes with a service-account token bound to the metrics-reader
	// role of config/rbac.
	SecureMetrics bool
	// Prometheus starts a real Prometheus scraping the operator and the
	// shop's exporter; the samples' Prometheus collectors query it.
	Prometheus bool
	// ScrapeInterval of that Prometheus.
	ScrapeInterval time.Duration
	// Progress receives one line per step while the environment starts.
	Progress io.Writer
	// Log receives Prometheus's output and other diagnostics.
	Log io.Writer
	// Options adjusts the operator's options.
	Options func(*controllers.Options)
}

// Env is a running environment.
type Env struct {
	cfg Config
	// Kubeconfig is the path of a cluster-admin kubeconfig for kubectl.
	Kubeconfig string
	// ReceiverURL is the base URL of the response receiver.
	ReceiverURL string
	// MetricsURL is the operator's metrics endpoint.
	MetricsURL string
	// Client talks to the API server as cluster admin.
	Client client.Client
	// RESTConfig is the admin configuration.
	RESTConfig *rest.Config
	// Sources are the synthetic analytics, helpdesk and shop exporter.
	Sources *Sources
	// Prometheus is the real Prometheus, when Config.Prometheus is set.
	Prometheus *testenv.Prometheus

	control *envtest.Environment
	stopOp  context.CancelFunc
	opDone  chan struct{}
}

// Scheme has the Kubernetes and Touchstone kinds.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = cxv1alpha1.AddToScheme(s)
	return s
}

// Start brings everything up; on error, what was started is stopped.
func Start(ctx context.Context, cfg Config) (env *Env, err error) {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	if cfg.ScrapeInterval == 0 {
		cfg.ScrapeInterval = 5 * time.Second
	}
	e := &Env{cfg: cfg}
	defer func() {
		if err != nil {
			e.Stop()
		}
	}()

	step(cfg.Progress, "starting kube-apiserver and etcd")
	if e.control, e.RESTConfig, err = testenv.Start(); err != nil {
		return nil, err
	}
	scheme := Scheme()
	if e.Client, err = client.New(e.RESTConfig, client.Options{Scheme: scheme}); err != nil {
		return nil, err
	}
	e.Kubeconfig = filepath.Join(cfg.Dir, "kubeconfig")
	if err = testenv.AdminKubeconfig(e.control, e.Kubeconfig); err != nil {
		return nil, err
	}

	step(cfg.Progress, "starting the synthetic analytics, helpdesk and shop exporter")
	if e.Sources, err = StartSources(); err != nil {
		return nil, err
	}

	step(cfg.Progress, "starting the operator")
	if err = e.startOperator(); err != nil {
		return nil, err
	}

	if cfg.Prometheus {
		step(cfg.Progress, "starting Prometheus")
		if err = e.startPrometheus(ctx); err != nil {
			return nil, err
		}
	}
	return e, nil
}

func step(w io.Writer, msg string) { fmt.Fprintf(w, ">> %s\n", msg) }

// freeAddr resolves port 0 in addr to a free port.
func freeAddr(addr string) (string, error) {
	if !strings.HasSuffix(addr, ":0") {
		return addr, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func (e *Env) startOperator() error {
	o := controllers.DefaultOptions()
	ln, err := net.Listen("tcp", e.cfg.ReceiverAddr)
	if err != nil {
		return fmt.Errorf("receiver: %w", err)
	}
	o.Receiver.Listener = ln
	// Nothing routes to the local receiver through endpoints: stop at once.
	o.Receiver.ShutdownDelay = 0
	e.ReceiverURL = "http://" + ln.Addr().String()
	if e.cfg.Options != nil {
		e.cfg.Options(&o)
	}
	metricsAddr, err := freeAddr(e.cfg.MetricsAddr)
	if err != nil {
		return err
	}
	metricsOpts := metricsserver.Options{BindAddress: metricsAddr}
	e.MetricsURL = "http://" + metricsAddr + "/metrics"
	if e.cfg.SecureMetrics {
		metricsOpts.SecureServing = true
		metricsOpts.FilterProvider = filters.WithAuthenticationAndAuthorization
		e.MetricsURL = "https://" + metricsAddr + "/metrics"
	}
	mgr, err := ctrl.NewManager(e.RESTConfig, controllers.ManagerOptions(ctrl.Options{
		Scheme:                 Scheme(),
		Metrics:                metricsOpts,
		HealthProbeBindAddress: "0",
	}))
	if err != nil {
		return err
	}
	if err := controllers.Setup(mgr, o); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.stopOp, e.opDone = cancel, make(chan struct{})
	go func() {
		defer close(e.opDone)
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintf(e.cfg.Log, "operator stopped: %v\n", err)
		}
	}()
	return waitHTTPAny(ctx, e.MetricsURL, 30*time.Second)
}

// waitHTTPAny waits until url answers at all (a 401 from the secure
// endpoint, whose certificate is self-signed, means it is up).
func waitHTTPAny(ctx context.Context, url string, timeout time.Duration) error {
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // probing a local self-signed endpoint
	err := waitHTTPWith(ctx, hc, url, timeout)
	if err != nil && strings.Contains(err.Error(), "answered") {
		return nil
	}
	return err
}

// waitHTTPWith polls url until it answers 200 or the timeout passes.
func waitHTTPWith(ctx context.Context, hc *http.Client, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := hc.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("%s answered %d", url, resp.StatusCode)
		}
		last = err
		select {
		case <-ctx.Done():
			return last
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (e *Env) startPrometheus(ctx context.Context) error {
	host, path, _ := strings.Cut(strings.SplitN(e.MetricsURL, "://", 2)[1], "/")
	cfg := testenv.PrometheusConfig{
		ScrapeInterval: e.cfg.ScrapeInterval,
		Job:            "touchstone",
		Targets:        []string{host},
		MetricsPath:    "/" + path,
		ExtraScrapeConfigs: fmt.Sprintf("  - job_name: larkspur-shop\n    static_configs:\n      - targets: [%q]\n",
			strings.TrimPrefix(e.Sources.URL, "http://")),
	}
	if e.cfg.SecureMetrics {
		token, err := e.metricsReaderToken(ctx)
		if err != nil {
			return fmt.Errorf("token for Prometheus: %w", err)
		}
		cfg.Scheme, cfg.BearerToken = "https", token
	}
	var err error
	e.Prometheus, err = testenv.RunPrometheus(filepath.Join(e.cfg.Dir, "prometheus"), cfg)
	return err
}

// metricsReaderToken creates the identity a Prometheus scrapes the
// operator with: a ServiceAccount bound to config/rbac's metrics-reader
// role, and a token for it.
func (e *Env) metricsReaderToken(ctx context.Context) (string, error) {
	// The scraper's identity: the ServiceAccount a Prometheus runs as.
	const namespace, account = "monitoring", "prometheus"
	c := e.Client
	objs := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: account}},
	}
	reader, err := readManifest(filepath.Join(testenv.RepoRoot(), "config", "rbac", "metrics_reader_role.yaml"), &rbacv1.ClusterRole{})
	if err != nil {
		return "", err
	}
	objs = append(objs, reader, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "prometheus-metrics-reader"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: reader.GetName()},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: namespace, Name: account}},
	})
	for _, o := range objs {
		if err := c.Create(ctx, o); client.IgnoreAlreadyExists(err) != nil {
			return "", err
		}
	}
	tr := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](24 * 3600)}}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: account}}
	if err := c.SubResource("token").Create(ctx, sa, tr); err != nil {
		return "", err
	}
	return tr.Status.Token, nil
}

// Kubectl runs the real kubectl against the environment.
func (e *Env) Kubectl(ctx context.Context, stdin io.Reader, args ...string) (string, error) {
	bin, err := testenv.Kubectl()
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+e.Kubeconfig)
	cmd.Stdin = stdin
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out.String(), nil
}

// Samples renders config/samples with kubectl kustomize and points their
// sources at the synthetic ones (and at the real Prometheus, when there is
// one), as an overlay would in a real cluster.
func (e *Env) Samples(ctx context.Context) (string, error) {
	prometheusURL := ""
	if e.Prometheus != nil {
		prometheusURL = e.Prometheus.URL()
	}
	return RenderSamples(ctx, e.Sources.URL, prometheusURL)
}

// RenderSamples renders config/samples with kubectl kustomize, their
// sources pointed at synthetic sources served at sourcesURL, and their
// Prometheus at prometheusURL unless it is empty.
func RenderSamples(ctx context.Context, sourcesURL, prometheusURL string) (string, error) {
	bin, err := testenv.Kubectl()
	if err != nil {
		return "", err
	}
	out, err := exec.CommandContext(ctx, bin, "kustomize", filepath.Join(testenv.RepoRoot(), "config", "samples")).Output()
	if err != nil {
		return "", fmt.Errorf("kubectl kustomize config/samples: %w", err)
	}
	replacements := []string{
		"http://analytics.larkspur.svc.cluster.local", sourcesURL + "/analytics",
		"http://helpdesk.larkspur.svc.cluster.local", sourcesURL + "/helpdesk",
		"https://larkspur.zendesk.com", sourcesURL + "/zendesk",
		"https://api.intercom.io", sourcesURL + "/intercom",
		"https://community.larkspur.example", sourcesURL + "/community",
	}
	if prometheusURL != "" {
		replacements = append(replacements, "http://prometheus.monitoring.svc.cluster.local:9090", prometheusURL)
	}
	return strings.NewReplacer(replacements...).Replace(string(out)), nil
}

// ApplySamples creates the namespace and applies the samples with kubectl.
// With a Prometheus, it first waits until Prometheus holds a few scrapes of
// the shop, so that the samples' rate() and increase() queries have data
// at their first run (as in a cluster that has been up for a while).
func (e *Env) ApplySamples(ctx context.Context) error {
	if e.Prometheus != nil {
		step(e.cfg.Progress, "waiting for Prometheus to hold a few scrapes of the shop")
		if err := e.waitForShopData(ctx); err != nil {
			return err
		}
	}
	samples, err := e.Samples(ctx)
	if err != nil {
		return err
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: e.cfg.Namespace}}
	if err := e.Client.Create(ctx, ns); client.IgnoreAlreadyExists(err) != nil {
		return err
	}
	_, err = e.Kubectl(ctx, strings.NewReader(samples), "apply", "-n", e.cfg.Namespace, "-f", "-")
	return err
}

func (e *Env) waitForShopData(ctx context.Context) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		n, err := e.Prometheus.Query(ctx, `count_over_time(checkout_started_total[1h])`)
		if err == nil && n >= 3 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("prometheus has not scraped the shop exporter: %v", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// Stop stops everything that was started, in reverse order.
func (e *Env) Stop() {
	if e.Prometheus != nil {
		e.Prometheus.Stop()
	}
	if e.stopOp != nil {
		e.stopOp()
		<-e.opDone
	}
	if e.Sources != nil {
		e.Sources.Stop()
	}
	if e.control != nil {
		if err := e.control.Stop(); err != nil {
			fmt.Fprintf(e.cfg.Log, "stopping the control plane: %v\n", err)
		}
	}
}

// readManifest decodes one YAML object from a file.
func readManifest[T client.Object](path string, into T) (T, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return into, err
	}
	if err := decodeYAML(data, into); err != nil {
		return into, fmt.Errorf("%s: %w", path, err)
	}
	if into.GetName() == "" {
		return into, errors.New(path + ": no name")
	}
	return into, nil
}
