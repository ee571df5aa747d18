package collect

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
)

// benchDuration is how long a scale benchmark observes: 60s, or
// $TOUCHSTONE_BENCH_DURATION (a Go duration) for quick runs.
func benchDuration(b *testing.B) time.Duration {
	if s := os.Getenv("TOUCHSTONE_BENCH_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			b.Fatalf("TOUCHSTONE_BENCH_DURATION: %v", err)
		}
		return d
	}
	return time.Minute
}

// cpuTime is the user+system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p * float64(len(sorted)-1))
	return sorted[i]
}

// BenchmarkScheduler1000Collectors runs 1,000 HTTP/JSON collectors (100
// touchpoints of 10) at a 10s interval against a local stub source that
// always answers the same values, for 60s (TOUCHSTONE_BENCH_DURATION), with
// the default pool of 16 workers. It reports the schedule drift (actual
// minus planned start, p50/p99/max), the CPU time of the whole process
// (scheduler, HTTP client and the stub server, which runs in the same
// process), the runs, and the wakeups of the Touchpoint controller after
// the first round, which must be 0: unchanged values never ask for a
// status write.
//
//	go test -run '^$' -bench Scheduler1000Collectors -benchtime=1x ./internal/collect/
func BenchmarkScheduler1000Collectors(b *testing.B) {
	const touchpoints, perTouchpoint = 100, 10
	const interval = 10 * time.Second
	duration := benchDuration(b)

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"tickets":{"open":12,"closed":30},"latency_seconds":0.25}`))
	}))
	defer srv.Close()
	env := NewEnv(nil, EnvOptions{})

	for range b.N {
		var mu sync.Mutex
		var drifts []time.Duration
		var failures, wakeups atomic.Int64
		var firstRoundDone atomic.Bool
		s := NewScheduler(SchedulerOptions{
			Workers: DefaultWorkers,
			OnRun: func(r RunInfo) {
				if r.Err != nil {
					failures.Add(1)
				}
				mu.Lock()
				drifts = append(drifts, r.Started.Sub(r.Planned))
				mu.Unlock()
			},
			Notify: func(types.NamespacedName) {
				if firstRoundDone.Load() {
					wakeups.Add(1)
				}
			},
		})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		cpu0 := cpuTime()
		go func() {
			defer close(done)
			_ = s.Start(ctx)
		}()
		for i := range touchpoints {
			tp := &cxv1alpha1.Touchpoint{}
			tp.Namespace, tp.Name = "bench", fmt.Sprintf("tp-%03d", i)
			for j := range perTouchpoint {
				tp.Spec.Collectors = append(tp.Spec.Collectors, cxv1alpha1.Collector{
					Name: fmt.Sprintf("c%d", j), Metric: fmt.Sprintf("m%d", j), Unit: cxv1alpha1.UnitCount,
					Interval: &metav1.Duration{Duration: interval}, Timeout: &metav1.Duration{Duration: 5 * time.Second},
					HTTP: &cxv1alpha1.HTTPSource{URL: srv.URL + "/stats", JSONPath: "{.tickets.open}"},
				})
			}
			s.Sync(types.NamespacedName{Namespace: tp.Namespace, Name: tp.Name}, JobsFor(env, tp))
		}
		// Every collector runs once within MaxJitter; later rounds change
		// nothing.
		time.Sleep(2 * time.Second)
		firstRoundDone.Store(true)
		time.Sleep(duration - 2*time.Second)
		cancel()
		<-done
		cpu := cpuTime() - cpu0

		mu.Lock()
		slices.Sort(drifts)
		n := len(drifts)
		p50, p99, worst := percentile(drifts, 0.50), percentile(drifts, 0.99), percentile(drifts, 1)
		mu.Unlock()
		if n == 0 {
			b.Fatal("no run")
		}
		b.ReportMetric(float64(p50.Microseconds())/1000, "drift_p50_ms")
		b.ReportMetric(float64(p99.Microseconds())/1000, "drift_p99_ms")
		b.ReportMetric(float64(worst.Microseconds())/1000, "drift_max_ms")
		b.ReportMetric(cpu.Seconds(), "cpu_seconds")
		b.ReportMetric(float64(n), "runs")
		b.ReportMetric(float64(failures.Load()), "failed_runs")
		b.ReportMetric(float64(wakeups.Load())/(duration-2*time.Second).Minutes(), "wakeups_per_min")
		b.Logf("%d runs in %v, drift p50 %v p99 %v max %v, CPU %v (%.1f%% of one core), %d failed, %d wakeups after the first round",
			n, duration, p50, p99, worst, cpu, 100*cpu.Seconds()/duration.Seconds(), failures.Load(), wakeups.Load())
		if p99 > time.Second {
			b.Errorf("drift p99 %v, goal under 1s", p99)
		}
		if wakeups.Load() != 0 {
			b.Errorf("%d wakeups with unchanged values, want 0", wakeups.Load())
		}
	}
}
