package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// PrometheusConfig describes the Prometheus server StartPrometheus runs.
type PrometheusConfig struct {
	// ScrapeInterval is how often every target is scraped (default 1s).
	ScrapeInterval time.Duration
	// Targets are the host:port addresses scraped, all in one job.
	Targets []string
	// Job is the job label of the targets (default "test").
	Job string
	// MetricsPath is the path scraped on each target (default /metrics).
	MetricsPath string
	// Scheme is http (default) or https; https targets are scraped
	// without certificate verification (test servers).
	Scheme string
	// BearerToken, when set, is sent to the targets.
	BearerToken string
	// ExtraScrapeConfigs is YAML appended to scrape_configs as is, for
	// setups the fields above do not cover.
	ExtraScrapeConfigs string
	// ReadyTimeout bounds the wait for /-/ready (default 60s).
	ReadyTimeout time.Duration
}

// Prometheus is a real Prometheus server (the binary the Makefile builds)
// listening on 127.0.0.1 on a port of its own, with its own data
// directory. It can be stopped and started again on the same port and
// data, so that tests can take their Prometheus away and bring it back.
type Prometheus struct {
	tb      testing.TB // nil outside tests (RunPrometheus)
	bin     string
	dir     string
	addr    string
	timeout time.Duration

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	logs *os.File
}

// StartPrometheus starts a Prometheus server scraping cfg.Targets and waits
// until it is ready. It fails tb if the binary is missing or the server
// does not get ready, and stops the server when the test ends. On
// failure, the server's log is printed.
func StartPrometheus(tb testing.TB, cfg PrometheusConfig) *Prometheus {
	tb.Helper()
	p, err := newPrometheus(tb.TempDir(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	p.tb = tb
	tb.Cleanup(func() {
		p.Stop()
		if tb.Failed() {
			p.dumpLog()
		}
	})
	p.Start()
	return p
}

// RunPrometheus starts a Prometheus server outside of a test (the demo),
// with its data, configuration and log in dir, and waits until it is
// ready. The caller stops it.
func RunPrometheus(dir string, cfg PrometheusConfig) (*Prometheus, error) {
	p, err := newPrometheus(dir, cfg)
	if err != nil {
		return nil, err
	}
	if err := p.start(); err != nil {
		p.Stop()
		return nil, fmt.Errorf("starting prometheus: %w (log: %s)", err, filepath.Join(dir, "prometheus.log"))
	}
	return p, nil
}

func newPrometheus(dir string, cfg PrometheusConfig) (*Prometheus, error) {
	bin, err := PrometheusBinary("prometheus")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(prometheusYAML(cfg)), 0o600); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	p := &Prometheus{bin: bin, dir: dir, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), timeout: cfg.ReadyTimeout}
	if p.timeout <= 0 {
		p.timeout = 60 * time.Second
	}
	return p, nil
}

// prometheusYAML renders the server's configuration.
func prometheusYAML(cfg PrometheusConfig) string {
	interval := cfg.ScrapeInterval
	if interval <= 0 {
		interval = time.Second
	}
	job := cfg.Job
	if job == "" {
		job = "test"
	}
	path := cfg.MetricsPath
	if path == "" {
		path = "/metrics"
	}
	scheme := cfg.Scheme
	if scheme == "" {
		scheme = "http"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "global:\n  scrape_interval: %s\n  evaluation_interval: %s\n", model.Duration(interval), model.Duration(interval))
	b.WriteString("scrape_configs:\n")
	if len(cfg.Targets) > 0 {
		fmt.Fprintf(&b, "  - job_name: %q\n    scrape_interval: %s\n    scrape_timeout: %s\n    metrics_path: %q\n    scheme: %s\n",
			job, model.Duration(interval), model.Duration(interval), path, scheme)
		if scheme == "https" {
			b.WriteString("    tls_config:\n      insecure_skip_verify: true\n")
		}
		if cfg.BearerToken != "" {
			fmt.Fprintf(&b, "    authorization:\n      credentials: %q\n", cfg.BearerToken)
		}
		b.WriteString("    static_configs:\n      - targets:\n")
		for _, t := range cfg.Targets {
			fmt.Fprintf(&b, "          - %q\n", t)
		}
	}
	if cfg.ExtraScrapeConfigs != "" {
		b.WriteString(cfg.ExtraScrapeConfigs)
		if !strings.HasSuffix(cfg.ExtraScrapeConfigs, "\n") {
			b.WriteByte('\n')
		}
	}
	if len(cfg.Targets) == 0 && cfg.ExtraScrapeConfigs == "" {
		b.Reset()
		fmt.Fprintf(&b, "global:\n  scrape_interval: %s\n", model.Duration(interval))
	}
	return b.String()
}

// freePort asks the kernel for a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// URL is the server's base URL, for example http://127.0.0.1:41234.
func (p *Prometheus) URL() string { return "http://" + p.addr }

// Addr is the server's host:port.
func (p *Prometheus) Addr() string { return p.addr }

// Running reports whether the server process is running.
func (p *Prometheus) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Start starts the server (again, after Stop) on the same port and data
// directory, and waits until it is ready. It fails the test otherwise.
// Starting a running server does nothing.
func (p *Prometheus) Start() {
	p.tb.Helper()
	if p.Running() {
		return
	}
	if err := p.start(); err != nil {
		p.dumpLog()
		p.tb.Fatalf("starting prometheus: %v", err)
	}
}

func (p *Prometheus) start() error {
	logs, err := os.OpenFile(filepath.Join(p.dir, "prometheus.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	// The port was free when chosen, and is free again after Stop; wait
	// for it in case the kernel is slow to release it.
	if err := waitPortFree(p.addr, 10*time.Second); err != nil {
		_ = logs.Close()
		return err
	}
	cmd := exec.Command(p.bin,
		"--config.file="+filepath.Join(p.dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(p.dir, "data"),
		"--web.listen-address="+p.addr,
		"--log.level=warn",
	)
	cmd.Dir = p.dir
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.SysProcAttr = childProcAttr() // never outlive the test binary (Linux)
	if err := cmd.Start(); err != nil {
		_ = logs.Close()
		return err
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	p.mu.Lock()
	p.cmd, p.done, p.logs = cmd, done, logs
	p.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), p.timeout)
	defer cancel()
	return p.waitReady(ctx, done)
}

// waitReady polls /-/ready until it answers 200, the process exits or ctx
// ends.
func (p *Prometheus) waitReady(ctx context.Context, exited <-chan struct{}) error {
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := client.Get(p.URL() + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return errors.New("prometheus exited before it was ready")
		case <-ctx.Done():
			return fmt.Errorf("prometheus not ready at %s: %w", p.URL(), ctx.Err())
		case <-tick.C:
		}
	}
}

func waitPortFree(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		l, err := net.Listen("tcp", addr)
		if err == nil {
			return l.Close()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("port %s still in use: %w", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop stops the server (SIGTERM, then SIGKILL after 10s) and waits until
// it exited and its port is closed. Stopping a stopped server does
// nothing.
func (p *Prometheus) Stop() {
	p.mu.Lock()
	cmd, done, logs := p.cmd, p.done, p.logs
	p.cmd, p.logs = nil, nil
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
	if logs != nil {
		_ = logs.Close()
	}
}

// Query runs an instant query and returns its one sample: a scalar or a
// vector of exactly one series.
func (p *Prometheus) Query(ctx context.Context, promql string) (float64, error) {
	c, err := api.NewClient(api.Config{Address: p.URL()})
	if err != nil {
		return 0, err
	}
	v, _, _, err := promv1.NewAPI(c).Query(ctx, promql, time.Time{})
	if err != nil {
		return 0, err
	}
	switch r := v.(type) {
	case *model.Scalar:
		return float64(r.Value), nil
	case model.Vector:
		if len(r) != 1 {
			return math.NaN(), fmt.Errorf("query %s returned %d series, want 1", promql, len(r))
		}
		return float64(r[0].Value), nil
	}
	return math.NaN(), fmt.Errorf("query %s returned a %s", promql, v.Type())
}

// Log returns the server's log so far.
func (p *Prometheus) Log() string {
	b, _ := os.ReadFile(filepath.Join(p.dir, "prometheus.log"))
	return string(b)
}

func (p *Prometheus) dumpLog() {
	if l := bytes.TrimSpace([]byte(p.Log())); len(l) > 0 {
		p.tb.Logf("prometheus log (%s):\n%s", p.addr, l)
	}
}
