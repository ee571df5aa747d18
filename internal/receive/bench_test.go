package receive_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	ctrl "sigs.k8s.io/controller-runtime"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/touchstone-dev/touchstone/controllers"
	"github.com/touchstone-dev/touchstone/internal/metrics"
	"github.com/touchstone-dev/touchstone/internal/receive"
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

// BenchmarkReceiverThroughput measures, in one run, the receiver with ack
// after durable (tallies written to the real API server) next to the same
// server with no storage, under 64 concurrent clients posting one response
// per request, and reports both throughputs, their ratio and the p50/p99
// acknowledgement latencies. Run it with -benchtime=1x (make bench does).
func BenchmarkReceiverThroughput(b *testing.B) {
	const clients = 64
	d := benchDuration(b)
	type result struct {
		rps      float64
		p50, p99 time.Duration
		codes    map[int]int
		// writes is the number of durable writes, commitSeconds their
		// summed latency.
		writes, commitSeconds float64
	}
	run := func(store receive.Store) result {
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
		defer func() { cancel(); <-done }()

		ns, svy, token := newSurvey(b)
		url := "http://" + ln.Addr().String() + receive.PathOf(ns, svy.Name)
		hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
		post := func(body string) (int, error) {
			req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := hc.Do(req)
			if err != nil {
				return 0, err
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp.StatusCode, nil
		}
		// Wait until the cache has the Survey and the receiver answers.
		deadline := time.Now().Add(30 * time.Second)
		for {
			code, _ := post(`{"id":"warm-up","score":9}`)
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
		stop := time.Now().Add(d)
		for c := range clients {
			wg.Add(1)
			go func(c int) {
				defer wg.Done()
				var mine []time.Duration
				mycodes := map[int]int{}
				for i := 0; time.Now().Before(stop); i++ {
					start := time.Now()
					code, err := post(fmt.Sprintf(`{"id":"c%d-%d","score":%d}`, c, i, (c+i)%11))
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
		r := result{rps: float64(ok.Load()) / d.Seconds(), codes: codes}
		writes1, commit1 := commitStats(b)
		r.writes, r.commitSeconds = writes1-writes0, commit1-commit0
		if len(latencies) > 0 {
			r.p50 = latencies[len(latencies)/2]
			r.p99 = latencies[len(latencies)*99/100]
		}
		return r
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
			fmt.Printf("  durable writes: %.0f/s, %.1f responses and %.1f ms each on average\n\n",
				durable.writes/d.Seconds(), durable.rps*d.Seconds()/durable.writes, 1000*durable.commitSeconds/durable.writes)
		}
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
