package controllers_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/touchstone-dev/touchstone/controllers"
	"github.com/touchstone-dev/touchstone/internal/testenv"
)

// The load benchmarks (status_bench_test.go) run on a control plane of
// their own, with an operator of their own configured like a deployed
// one (DefaultOptions, no client-side rate limit), so that the suite's
// manager and its test options (short intervals) take no part, and the
// API server's CPU counts only what the benchmark does.

// benchPlane is a kube-apiserver and etcd started for one benchmark, with
// their process ids to read their CPU time from /proc.
type benchPlane struct {
	env *envtest.Environment
	// cfg has no client-side rate limit, like the operator's in-cluster
	// config (controller-runtime's GetConfig sets QPS -1).
	cfg *rest.Config
	// client is the benchmark's own client, with watches.
	client       client.WithWatch
	apiserverPID int
	etcdPID      int
}

// startBenchPlane starts a control plane with the CRDs, stopped when the
// benchmark ends.
func startBenchPlane(b *testing.B) *benchPlane {
	b.Helper()
	before := childProcesses()
	env, cfg, err := testenv.Start()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := env.Stop(); err != nil {
			b.Log("stopping the benchmark's control plane:", err)
		}
	})
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = -1, 0
	p := &benchPlane{env: env, cfg: cfg}
	for pid, comm := range childProcesses() {
		if _, old := before[pid]; old {
			continue
		}
		switch comm {
		case "kube-apiserver":
			p.apiserverPID = pid
		case "etcd":
			p.etcdPID = pid
		}
	}
	if p.apiserverPID == 0 || p.etcdPID == 0 {
		b.Fatalf("kube-apiserver (pid %d) or etcd (pid %d) not found among the children of this process", p.apiserverPID, p.etcdPID)
	}
	p.client, err = client.NewWithWatch(cfg, client.Options{Scheme: scheme})
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// benchOptions are the operator's defaults, with the receiver off.
func benchOptions() controllers.Options {
	o := controllers.DefaultOptions()
	o.Receiver.BindAddress = "0"
	return o
}

// startOperator runs a manager with every Touchstone controller on the
// plane, its cache limited to the given namespaces (all when none), and
// waits until its caches are synced. The returned function stops it.
func (p *benchPlane) startOperator(b *testing.B, opts controllers.Options, namespaces ...string) func() {
	b.Helper()
	co := ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		// The suite's manager runs controllers of the same names in this
		// process.
		Controller: config.Controller{SkipNameValidation: new(true)},
	}
	if len(namespaces) > 0 {
		co.Cache.DefaultNamespaces = map[string]cache.Config{}
		for _, ns := range namespaces {
			co.Cache.DefaultNamespaces[ns] = cache.Config{}
		}
	}
	mgr, err := ctrl.NewManager(p.cfg, controllers.ManagerOptions(co))
	if err != nil {
		b.Fatal(err)
	}
	if err := controllers.Setup(mgr, opts); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "benchmark manager:", err)
		}
	}()
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		cancel()
		b.Fatal("the benchmark manager's cache did not sync")
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}
	// Stopped before the plane (cleanups run last first), even when the
	// benchmark fails.
	b.Cleanup(stop)
	return stop
}

// profileAPIServer writes a CPU profile of the plane's kube-apiserver
// over the next d to path (go tool pprof reads it), in the background;
// the channel closes when it is written. An empty path does nothing.
func (p *benchPlane) profileAPIServer(b *testing.B, path string, d time.Duration) <-chan struct{} {
	done := make(chan struct{})
	if path == "" {
		close(done)
		return done
	}
	hc, err := rest.HTTPClientFor(p.cfg)
	if err != nil {
		b.Fatal(err)
	}
	hc.Timeout = d + 30*time.Second
	url := fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", strings.TrimSuffix(p.cfg.Host, "/"), int(d.Seconds()))
	go func() {
		defer close(done)
		err := func() error {
			resp, err := hc.Get(url)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			data, err := io.ReadAll(resp.Body)
			if err != nil {
				return err
			}
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("%s: %s", resp.Status, data)
			}
			return os.WriteFile(path, data, 0o600)
		}()
		if err != nil {
			b.Log("profiling kube-apiserver:", err)
		}
	}()
	return done
}

// apiRequests counts the requests the plane's kube-apiserver served so
// far, by "VERB resource code" (apiserver_request_total of its /metrics),
// for the resources of group cx.touchstone.dev and events.
func (p *benchPlane) apiRequests(b *testing.B) map[string]float64 {
	hc, err := rest.HTTPClientFor(p.cfg)
	if err != nil {
		b.Fatal(err)
	}
	resp, err := hc.Get(strings.TrimSuffix(p.cfg.Host, "/") + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		b.Fatal(err)
	}
	out := map[string]float64{}
	for _, m := range families["apiserver_request_total"].GetMetric() {
		l := map[string]string{}
		for _, lp := range m.GetLabel() {
			l[lp.GetName()] = lp.GetValue()
		}
		if l["group"] != "cx.touchstone.dev" && l["resource"] != "events" {
			continue
		}
		res := l["resource"]
		if l["subresource"] != "" {
			res += "/" + l["subresource"]
		}
		out[l["verb"]+" "+res+" "+l["code"]] += m.GetCounter().GetValue()
	}
	return out
}

// requestDelta renders the requests counted between two apiRequests, the
// most frequent first.
func requestDelta(before, after map[string]float64) string {
	type kv struct {
		k string
		v float64
	}
	var list []kv
	for k, v := range after {
		if d := v - before[k]; d > 0 {
			list = append(list, kv{k, d})
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].v > list[j].v })
	parts := make([]string, 0, len(list))
	for _, e := range list {
		parts = append(parts, fmt.Sprintf("%s: %.0f", e.k, e.v))
	}
	return strings.Join(parts, ", ")
}

// childProcesses maps the pid of each child process of this one to its
// command name (/proc/<pid>/stat), so that the control plane a benchmark
// started is told apart from the suite's and from other engineers'.
func childProcesses() map[int]string {
	out := map[int]string{}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return out
	}
	self := os.Getpid()
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, fields, err := procStat(pid)
		if err != nil || len(fields) < 2 {
			continue
		}
		if ppid, _ := strconv.Atoi(fields[1]); ppid == self {
			out[pid] = comm
		}
	}
	return out
}

// procStat reads /proc/<pid>/stat: the command name, and the fields after
// it (fields[0] is the state, field 3 of proc(5)).
func procStat(pid int) (string, []string, error) {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return "", nil, err
	}
	s := string(data)
	open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || closing < open {
		return "", nil, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	return s[open+1 : closing], strings.Fields(s[closing+1:]), nil
}

// clockTicks is USER_HZ, the unit of the CPU times in /proc/<pid>/stat:
// 100 on every Linux architecture Go supports.
const clockTicks = 100

// processCPU is the user+system CPU time of a process so far
// (/proc/<pid>/stat fields 14 and 15). pid 0 is this process.
func processCPU(pid int) time.Duration {
	if pid == 0 {
		pid = os.Getpid()
	}
	_, fields, err := procStat(pid)
	if err != nil || len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// selfMemory is this process's resident set size now and at its peak, in
// MiB (/proc/self/status VmRSS and VmHWM).
func selfMemory() (rss, peak float64) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 64)
		if err != nil {
			continue
		}
		switch name {
		case "VmRSS":
			rss = kb / 1024
		case "VmHWM":
			peak = kb / 1024
		}
	}
	return rss, peak
}

// envDuration reads a Go duration from the first of the environment
// variables that is set, or returns def.
func envDuration(b *testing.B, def time.Duration, names ...string) time.Duration {
	for _, name := range names {
		if s := os.Getenv(name); s != "" {
			d, err := time.ParseDuration(s)
			if err != nil {
				b.Fatalf("%s: %v", name, err)
			}
			return d
		}
	}
	return def
}

// envInts reads comma-separated positive integers from an environment
// variable, or returns def.
func envInts(b *testing.B, name string, def ...int) []int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			b.Fatalf("%s: want comma-separated positive integers, got %q", name, s)
		}
		out = append(out, n)
	}
	return out
}

// envInt reads an integer from an environment variable, or returns def.
func envInt(b *testing.B, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		b.Fatalf("%s: want a positive integer, got %q", name, s)
	}
	return n
}
