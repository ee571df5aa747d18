package receive_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/controllers"
	"github.com/touchstone-dev/touchstone/internal/metrics"
	"github.com/touchstone-dev/touchstone/internal/receive"
	"github.com/touchstone-dev/touchstone/internal/testenv"
)

// discard is a Store that stores nothing: the receiver with it is the
// baseline the durable receiver is compared with (same HTTP handling,
// authentication and validation; no write).
type discard struct{}

func (discard) Commit(_ context.Context, _ receive.Target, _ int, rs []receive.Response) ([]bool, error) {
	return make([]bool, len(rs)), nil
}

// benchDuration is how long each variant is loaded:
// $TOUCHSTONE_BENCH_DURATION, 15s by default.
func benchDuration(b *testing.B) time.Duration {
	if s := os.Getenv("TOUCHSTONE_BENCH_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			b.Fatal(err)
		}
		return d
	}
	return 15 * time.Second
}

// benchResult is what one load run measured.
type benchResult struct {
	rps      float64
	p50, p99 time.Duration
	codes    map[int]int
	// writes is the number of durable writes, commitSeconds their summed
	// latency.
	writes, commitSeconds float64
	// apiCPU and etcdCPU are the CPU time the API server and etcd used
	// during the load, selfCPU that of this process (the operator and the
	// clients); measured when drive is given a ControlPlaneCPU.
	apiCPU, etcdCPU, selfCPU time.Duration
}

// startBenchManager runs a manager with the Touchstone controllers and a
// receiver over store (nil: the Kubernetes API) and returns the receiver's
// base URL.
func startBenchManager(b *testing.B, store receive.Store) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	o := controllers.DefaultOptions()
	o.Receiver.Listener = ln
	o.Receiver.Store = store
	o.Receiver.ShutdownDelay = 0
	mgr, err := ctrl.NewManager(cfg, controllers.ManagerOptions(ctrl.Options{
		Scheme: scheme, Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0",
		Controller: controllerConfig(),
	}))
	if err != nil {
		b.Fatal(err)
	}
	if err := controllers.Setup(mgr, o); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = mgr.Start(ctx) }()
	b.Cleanup(func() { cancel(); <-done })
	return "http://" + ln.Addr().String()
}

// drive posts the requests newRequest makes (client c's i-th) from clients
// concurrent clients for d, and measures the acknowledged ones. It first
// waits until a request is answered 200 (the Survey is in the cache).
// With cp, it also measures the control plane's and this process's CPU
// during the load.
func drive(b *testing.B, clients int, d time.Duration, cp *testenv.ControlPlaneCPU, newRequest func(c, i int) *http.Request) benchResult {
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
	do := func(req *http.Request) (int, error) {
		resp, err := hc.Do(req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; ; i++ {
		code, _ := do(newRequest(-1, i))
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("receiver not ready: last answer %d", code)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var (
		ok        atomic.Int64
		mu        sync.Mutex
		latencies []time.Duration
		codes     = map[int]int{}
		wg        sync.WaitGroup
	)
	writes0, commit0 := commitStats(b)
	var api0, etcd0, self0 time.Duration
	if cp != nil {
		var err error
		if api0, etcd0, err = cp.Used(); err != nil {
			b.Fatal(err)
		}
		self0, _ = testenv.SelfCPU()
	}
	stop := time.Now().Add(d)
	for c := range clients {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			var mine []time.Duration
			mycodes := map[int]int{}
			for i := 0; time.Now().Before(stop); i++ {
				req := newRequest(c, i)
				start := time.Now()
				code, err := do(req)
				if err != nil {
					b.Error(err)
					return
				}
				mycodes[code]++
				if code == http.StatusOK {
					ok.Add(1)
					mine = append(mine, time.Since(start))
				}
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			for k, v := range mycodes {
				codes[k] += v
			}
			mu.Unlock()
		}(c)
	}
	wg.Wait()
	slices.Sort(latencies)
	r := benchResult{rps: float64(ok.Load()) / d.Seconds(), codes: codes}
	writes1, commit1 := commitStats(b)
	r.writes, r.commitSeconds = writes1-writes0, commit1-commit0
	if cp != nil {
		api1, etcd1, err := cp.Used()
		if err != nil {
			b.Fatal(err)
		}
		self1, _ := testenv.SelfCPU()
		r.apiCPU, r.etcdCPU, r.selfCPU = api1-api0, etcd1-etcd0, self1-self0
	}
	if len(latencies) > 0 {
		r.p50 = latencies[len(latencies)/2]
		r.p99 = latencies[len(latencies)*99/100]
	}
	return r
}

// nativeRequests posts one native response per request with a bearer
// token.
func nativeRequests(url, token string) func(c, i int) *http.Request {
	return func(c, i int) *http.Request {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(fmt.Sprintf(`{"id":"c%d-%d","score":%d}`, c, i, (c+i+11)%11)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		return req
	}
}

// BenchmarkReceiverThroughput measures, in one run, the receiver with ack
// after durable (tallies written to the real API server) next to the same
// server with no storage, under 64 concurrent clients posting one response
// per request, and reports both throughputs, their ratio and the p50/p99
// acknowledgement latencies. Run it with -benchtime=1x (make bench does).
func BenchmarkReceiverThroughput(b *testing.B) {
	const clients = 64
	d := benchDuration(b)
	cp, err := testenv.NewControlPlaneCPU(env)
	if err != nil {
		b.Fatal(err)
	}
	run := func(store receive.Store) benchResult {
		base := startBenchManager(b, store)
		ns, svy, token := newSurvey(b)
		return drive(b, clients, d, cp, nativeRequests(base+receive.PathOf(ns, svy.Name), token))
	}
	for i := 0; i < b.N; i++ {
		durable := run(nil)
		baseline := run(discard{})
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		b.ReportMetric(durable.rps, "durable_acks/s")
		b.ReportMetric(baseline.rps, "nostorage_acks/s")
		b.ReportMetric(100*durable.rps/baseline.rps, "ratio_%")
		b.ReportMetric(ms(durable.p50), "durable_p50_ms")
		b.ReportMetric(ms(durable.p99), "durable_p99_ms")
		b.ReportMetric(ms(baseline.p50), "nostorage_p50_ms")
		b.ReportMetric(ms(baseline.p99), "nostorage_p99_ms")
		fmt.Printf("\nreceiver, %d clients, %s each, one response per request:\n", clients, d)
		fmt.Printf("  %-28s %10s %10s %10s  %s\n", "", "acks/s", "p50", "p99", "answers")
		fmt.Printf("  %-28s %10.0f %10s %10s  %v\n", "ack after durable (API)", durable.rps, durable.p50.Round(10*time.Microsecond), durable.p99.Round(10*time.Microsecond), durable.codes)
		fmt.Printf("  %-28s %10.0f %10s %10s  %v\n", "same server, no storage", baseline.rps, baseline.p50.Round(10*time.Microsecond), baseline.p99.Round(10*time.Microsecond), baseline.codes)
		fmt.Printf("  durable / no storage: %.0f%%\n", 100*durable.rps/baseline.rps)
		if durable.writes > 0 {
			b.ReportMetric(durable.writes/d.Seconds(), "writes/s")
			fmt.Printf("  durable writes: %.0f/s, %.1f responses and %.1f ms each on average\n",
				durable.writes/d.Seconds(), durable.rps*d.Seconds()/durable.writes, 1000*durable.commitSeconds/durable.writes)
		}
		if acks := durable.rps * d.Seconds(); acks > 0 {
			perK := func(c time.Duration) float64 { return float64(c.Milliseconds()) * 1000 / acks }
			b.ReportMetric(perK(durable.apiCPU), "apiserver_cpu_ms/1k_acks")
			fmt.Printf("  control plane CPU per 1,000 acknowledged responses: API server %.0f ms, etcd %.0f ms (%.0f%% and %.0f%% of a core)\n",
				perK(durable.apiCPU), perK(durable.etcdCPU),
				100*durable.apiCPU.Seconds()/d.Seconds(), 100*durable.etcdCPU.Seconds()/d.Seconds())
			if durable.writes > 0 {
				fmt.Printf("  API server CPU per durable write: %.1f ms\n", float64(durable.apiCPU.Microseconds())/1000/durable.writes)
			}
			fmt.Printf("  operator and clients (this process) CPU per 1,000 acknowledged responses: %.0f ms durable, %.0f ms with no storage\n",
				perK(durable.selfCPU), float64(baseline.selfCPU.Milliseconds())*1000/(baseline.rps*d.Seconds()))
		}
		fmt.Println()
	}
}

// BenchmarkReceiverMappedFormat measures, on one server with no storage,
// a Formbricks-shaped delivery (the documented responseFinished payload,
// about 1.6 KB, Standard Webhooks signature checked, CEL mapping of when,
// id, submittedAt, score and a segment) next to the native format (one
// response, bearer token), each under 64 concurrent clients, and reports
// both throughputs and their ratio (the goal: mapped at 80% or more).
func BenchmarkReceiverMappedFormat(b *testing.B) {
	const clients = 64
	d := benchDuration(b)
	base := startBenchManager(b, discard{})
	ns, svy, token := newSurvey(b)
	ctx := context.Background()
	key := []byte("benchmark-key-of-32-bytes-length")
	if err := k8s.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "formbricks"},
		Data: map[string][]byte{"secret": []byte("whsec_" + base64.StdEncoding.EncodeToString(key))}}); err != nil {
		b.Fatal(err)
	}
	mapped := &cxv1alpha1.Survey{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "formbricks-nps"}, Spec: cxv1alpha1.SurveySpec{
		TouchpointRef: cxv1alpha1.LocalObjectReference{Name: "tp"}, Type: cxv1alpha1.SurveyNPS,
		Segments: []cxv1alpha1.SurveySegment{{Name: "plan"}},
		Receiver: cxv1alpha1.SurveyReceiver{Format: cxv1alpha1.FormatStandardWebhooks,
			SigningSecretRef: &cxv1alpha1.SecretKeyRef{Name: "formbricks", Key: "secret"},
			Mapping: &cxv1alpha1.ReceiverMapping{When: "body.event == 'responseFinished' && has(body.data.data.nps)",
				ID: "body.data.id", SubmittedAt: "body.data.createdAt", Score: "body.data.data.nps",
				Segments: map[string]string{"plan": "body.data.data.?plan.orValue('')"}}},
	}}
	if err := k8s.Create(ctx, mapped); err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile("testdata/webhooks/formbricks-response-finished.json")
	if err != nil {
		b.Fatal(err)
	}
	template := strings.ReplaceAll(string(data), "__NOW__", time.Now().UTC().Format(time.RFC3339))
	// The deliveries are signed before the run, as the native bodies are
	// written before it: the clients share the two cores with the
	// receiver, and the signing is the tool's work, not the receiver's.
	// With no storage, an id posted again is accepted again.
	const pool = 4096
	if 2*d+30*time.Second > receive.DefaultMaxSkew {
		b.Fatalf("a run of 2 x %s would outlive the deliveries' signatures (%s)", d, receive.DefaultMaxSkew)
	}
	url := base + receive.PathOf(ns, mapped.Name)
	type delivery struct {
		id, ts, sig string
		body        []byte
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	deliveries := make([]delivery, pool)
	nativeBodies := make([][]byte, pool)
	for k := range deliveries {
		id := fmt.Sprintf("cm5rsp%d", k)
		body := []byte(strings.Replace(strings.Replace(template, "cm5rsp7q2x0001larkspurnps", id, 1), `"nps": 9`, fmt.Sprintf(`"nps": %d`, k%11), 1))
		deliveries[k] = delivery{id: "msg_" + id, ts: ts, body: body, sig: receive.SignStandardWebhook(key, "msg_"+id, ts, body)}
		nativeBodies[k] = fmt.Appendf(nil, `{"id":"c%d","score":%d}`, k, k%11)
	}
	nativeURL := base + receive.PathOf(ns, svy.Name)
	native := func(c, i int) *http.Request {
		req, _ := http.NewRequest(http.MethodPost, nativeURL, bytes.NewReader(nativeBodies[((c+1)*7919+i)%pool]))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		return req
	}
	formbricks := func(c, i int) *http.Request {
		dl := &deliveries[((c+1)*7919+i)%pool]
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(dl.body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(receive.HeaderWebhookID, dl.id)
		req.Header.Set(receive.HeaderWebhookTimestamp, dl.ts)
		req.Header.Set(receive.HeaderWebhookSignature, dl.sig)
		return req
	}
	for i := 0; i < b.N; i++ {
		// Four rounds of d/4 each, in the order ABBA BAAB, so that a
		// change of the machine's load during the run weighs on both
		// formats alike.
		var nat, fb benchResult
		add := func(sum *benchResult, r benchResult) {
			sum.rps += r.rps / 4
			sum.p50, sum.p99 = max(sum.p50, r.p50), max(sum.p99, r.p99)
			if sum.codes == nil {
				sum.codes = map[int]int{}
			}
			for k, v := range r.codes {
				sum.codes[k] += v
			}
		}
		for round := range 4 {
			first, second := native, formbricks
			firstSum, secondSum := &nat, &fb
			if round == 1 || round == 2 {
				first, second, firstSum, secondSum = formbricks, native, &fb, &nat
			}
			add(firstSum, drive(b, clients, d/4, nil, first))
			add(secondSum, drive(b, clients, d/4, nil, second))
		}
		b.ReportMetric(nat.rps, "native_acks/s")
		b.ReportMetric(fb.rps, "formbricks_acks/s")
		b.ReportMetric(100*fb.rps/nat.rps, "ratio_%")
		fmt.Printf("\nreceiver formats, one server with no storage, %d clients, %s each in 4 alternating rounds, one response per request:\n", clients, d)
		fmt.Printf("  %-48s %10s %10s %10s  %s\n", "", "acks/s", "p50 (max)", "p99 (max)", "answers")
		fmt.Printf("  %-48s %10.0f %10s %10s  %v\n", "native (bearer token, 30 B)", nat.rps, nat.p50.Round(10*time.Microsecond), nat.p99.Round(10*time.Microsecond), nat.codes)
		fmt.Printf("  %-48s %10.0f %10s %10s  %v\n", fmt.Sprintf("Formbricks (Standard Webhooks + mapping, %d B)", len(template)), fb.rps, fb.p50.Round(10*time.Microsecond), fb.p99.Round(10*time.Microsecond), fb.codes)
		fmt.Printf("  Formbricks / native: %.0f%%\n\n", 100*fb.rps/nat.rps)
	}
}

// commitStats reads the receiver's durable-write histogram: how many
// writes succeeded and their summed latency in seconds.
func commitStats(b *testing.B) (writes, seconds float64) {
	var m dto.Metric
	if err := metrics.ReceiverCommitDuration.WithLabelValues("ok").(prometheus.Histogram).Write(&m); err != nil {
		b.Fatal(err)
	}
	return float64(m.GetHistogram().GetSampleCount()), m.GetHistogram().GetSampleSum()
}

// BenchmarkTallyWriteCost measures what one durable write costs the
// control plane as a function of the tally's size: for tallies holding
// 0 to 2,000 response ids, it updates one tally 200 times in a row (each
// update adds 32 responses and drops 32 ids, so that the size stays) and
// reports the API server's and etcd's CPU time and the latency per update.
// The receiver's seal size (SealAt) trades these costs against the number
// of objects.
func BenchmarkTallyWriteCost(b *testing.B) {
	cp, err := testenv.NewControlPlaneCPU(env)
	if err != nil {
		b.Fatal(err)
	}
	ns, svy, _ := newSegmentedSurvey(b)
	ctx := context.Background()
	const updates = 200
	fmt.Printf("\ncost of one tally update by its size (%d updates each, NPS, 20 segment values):\n", updates)
	fmt.Printf("  %8s %10s %14s %14s %12s\n", "ids", "bytes", "API server CPU", "etcd CPU", "latency")
	for range b.N {
		for _, size := range []int{0, 100, 250, 500, 1000, 2000} {
			t := &cxv1alpha1.ResponseTally{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("cost-%d", size), Labels: map[string]string{
					cxv1alpha1.LabelSurveyUID: "cost", cxv1alpha1.LabelDay: "2026-11-23", cxv1alpha1.LabelLane: "0"}},
				Survey: svy.Name, SurveyUID: "cost", Day: "2026-11-23", ScaleMin: 0, ScaleMax: 10,
				ResponseIDs: make([]byte, 8*size), State: cxv1alpha1.TallyOpen,
			}
			seg := cxv1alpha1.SegmentTally{Name: "plan"}
			for v := range 20 {
				seg.Values = append(seg.Values, cxv1alpha1.SegmentValueTally{Value: fmt.Sprintf("p%d", v), Counts: "0:1 9:3 10:12"})
			}
			t.Segments = []cxv1alpha1.SegmentTally{seg}
			t.Counts, t.Responses = "0:20 9:60 10:240", 320
			if err := k8s.Create(ctx, t); err != nil {
				b.Fatal(err)
			}
			api0, etcd0, _ := cp.Used()
			start := time.Now()
			for i := range updates {
				t.Responses += 32
				t.Counts = fmt.Sprintf("0:%d 9:60 10:240", t.Responses-300)
				if size > 0 {
					t.ResponseIDs = append(t.ResponseIDs[32*8:], make([]byte, 32*8)...)
					t.ResponseIDs[0] = byte(i)
				}
				t.LastReceived = new(metav1.Now())
				if err := k8s.Update(ctx, t); err != nil {
					b.Fatal(err)
				}
			}
			elapsed := time.Since(start)
			api1, etcd1, _ := cp.Used()
			data, _ := json.Marshal(t)
			per := func(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000/updates) }
			fmt.Printf("  %8d %10d %14s %14s %12s\n", size, len(data), per(api1-api0), per(etcd1-etcd0), per(elapsed))
			b.ReportMetric(float64((api1-api0).Microseconds())/1000/updates, fmt.Sprintf("apiserver_ms/update@%d", size))
		}
	}
	fmt.Println()
}
