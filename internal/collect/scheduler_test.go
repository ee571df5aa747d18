package collect

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/touchstone-dev/touchstone/internal/metrics"
)

// startScheduler runs s until the test ends.
func startScheduler(t *testing.T, s *Scheduler) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Start(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// runLog records the runs of a scheduler.
type runLog struct {
	mu   sync.Mutex
	runs []RunInfo
}

func (l *runLog) add(r RunInfo) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.runs = append(l.runs, r)
}

func (l *runLog) of(collector string) []RunInfo {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []RunInfo
	for _, r := range l.runs {
		if r.Collector == collector {
			out = append(out, r)
		}
	}
	return out
}

// waitFor polls cond every 5ms until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func constant(v *atomic.Int64) Runner {
	return RunnerFunc(func(context.Context) (float64, error) { return float64(v.Load()), nil })
}

func TestSchedulerNotifiesOncePerRoundAndOnlyOnChange(t *testing.T) {
	key := types.NamespacedName{Namespace: "ns", Name: "checkout"}
	var notified atomic.Int64
	log := &runLog{}
	s := NewScheduler(SchedulerOptions{Workers: 4, Notify: func(k types.NamespacedName) {
		if k == key {
			notified.Add(1)
		}
	}, OnRun: log.add})
	startScheduler(t, s)

	var a, b atomic.Int64
	a.Store(1)
	b.Store(2)
	job := func(name string, r Runner) Job {
		return Job{Name: name, Metric: name, Interval: 200 * time.Millisecond, Timeout: 100 * time.Millisecond, Source: "stub", Fingerprint: "v1", Runner: r}
	}
	s.Sync(key, []Job{job("a", constant(&a)), job("b", constant(&b))})

	waitFor(t, 2*time.Second, "the first round", func() bool { return notified.Load() >= 1 })
	st := s.Snapshot(key)
	if len(st) != 2 || !st[0].Ran || st[0].Value != 1 || st[1].Value != 2 || !st[1].HasValue {
		t.Fatalf("snapshot after the first round: %+v", st)
	}
	// Both collectors share the touchpoint's slots: same planned times.
	ra, rb := log.of("a"), log.of("b")
	if !ra[0].Planned.Equal(rb[0].Planned) || !st[0].NextRun.Equal(st[1].NextRun) {
		t.Errorf("the collectors of one touchpoint are not planned together: %v %v / %v %v", ra[0].Planned, rb[0].Planned, st[0].NextRun, st[1].NextRun)
	}

	// Three more rounds with the same values: no notification.
	waitFor(t, 3*time.Second, "three more rounds", func() bool { return len(log.of("a")) >= 4 && len(log.of("b")) >= 4 })
	if n := notified.Load(); n != 1 {
		t.Errorf("%d notifications for unchanged values, want 1 (the first round)", n)
	}

	// A new value: one notification for its round.
	a.Store(5)
	waitFor(t, 2*time.Second, "the round with the new value", func() bool { return notified.Load() >= 2 })
	runs := len(log.of("a"))
	waitFor(t, 2*time.Second, "two more rounds", func() bool { return len(log.of("a")) >= runs+2 })
	if n := notified.Load(); n != 2 {
		t.Errorf("%d notifications, want 2", n)
	}
	if st := s.Snapshot(key); st[0].Value != 5 {
		t.Errorf("value %v, want 5", st[0].Value)
	}
}

func TestSchedulerBacksOffAndRecovers(t *testing.T) {
	key := types.NamespacedName{Namespace: "ns", Name: "backoff"}
	log := &runLog{}
	var notified atomic.Int64
	s := NewScheduler(SchedulerOptions{Workers: 2, OnRun: log.add, Notify: func(types.NamespacedName) { notified.Add(1) }})
	startScheduler(t, s)

	var failing atomic.Bool
	failing.Store(true)
	r := RunnerFunc(func(context.Context) (float64, error) {
		if failing.Load() {
			return 0, errorf(ErrConnection, "connection refused")
		}
		return 7, nil
	})
	const iv = 100 * time.Millisecond
	s.Sync(key, []Job{{Name: "c", Metric: "m", Interval: iv, Timeout: 50 * time.Millisecond, Source: "x", Fingerprint: "1", Runner: r}})

	// Runs: first, then after 1, 2, 3, 4 failures: 2, 4, 8, 8 intervals,
	// each aligned to the touchpoint's slots (+- half an interval).
	waitFor(t, 5*time.Second, "five failed runs", func() bool { return len(log.of("c")) >= 5 })
	runs := log.of("c")
	for i, factor := range []time.Duration{2, 4, 8, 8} {
		gap := runs[i+1].Started.Sub(runs[i].Started)
		lo, hi := factor*iv-iv/2-10*time.Millisecond, factor*iv+iv/2+iv/10+150*time.Millisecond
		if gap < lo || gap > hi {
			t.Errorf("gap after failure %d: %v, want %v..%v", i+1, gap, lo, hi)
		}
	}
	st := s.Snapshot(key)[0]
	if st.ConsecutiveFailures < 5 || st.LastError != "connection refused" || st.ErrorKind != ErrConnection || st.HasValue {
		t.Errorf("state while failing: %+v", st)
	}
	if n := notified.Load(); n < 5 {
		t.Errorf("%d notifications for 5 failures, want one each", n)
	}

	// Recovery: the next run succeeds, the error is cleared, and the runs
	// come back to the interval.
	failing.Store(false)
	waitFor(t, 3*time.Second, "recovery", func() bool { return s.Snapshot(key)[0].HasValue })
	st = s.Snapshot(key)[0]
	if st.ConsecutiveFailures != 0 || st.LastError != "" || st.ErrorKind != "" || st.Value != 7 || st.LastSuccess.IsZero() {
		t.Errorf("state after recovery: %+v", st)
	}
	n := len(log.of("c"))
	waitFor(t, 2*time.Second, "three runs after recovery", func() bool { return len(log.of("c")) >= n+3 })
	runs = log.of("c")
	for i := n; i < n+2; i++ {
		if gap := runs[i].Started.Sub(runs[i-1].Started); gap > 2*iv {
			t.Errorf("gap after recovery %v, want about %v", gap, iv)
		}
	}
}

func TestSchedulerSpecChangeRunsAtOnce(t *testing.T) {
	key := types.NamespacedName{Namespace: "ns", Name: "change"}
	log := &runLog{}
	s := NewScheduler(SchedulerOptions{Workers: 2, OnRun: log.add})
	startScheduler(t, s)
	var v atomic.Int64
	v.Store(1)
	job := Job{Name: "c", Metric: "m", Interval: time.Hour, Timeout: time.Second, Source: "x", Fingerprint: "1", Runner: constant(&v)}
	s.Sync(key, []Job{job})
	waitFor(t, 2*time.Second, "the first run", func() bool { return len(log.of("c")) == 1 })

	// The same spec again changes nothing.
	s.Sync(key, []Job{job})
	if st := s.Snapshot(key)[0]; !st.Ran || st.Value != 1 || st.NextRun.Before(time.Now().Add(30*time.Minute)) {
		t.Errorf("state after an unchanged sync: %+v", st)
	}

	// A changed spec forgets the old result and runs at once, not in an hour.
	v.Store(2)
	job.Fingerprint = "2"
	changed := time.Now()
	s.Sync(key, []Job{job})
	if st := s.Snapshot(key)[0]; st.HasValue && st.Value != 2 {
		t.Errorf("the old result survived the spec change: %+v", st)
	}
	waitFor(t, time.Second, "the run of the new spec", func() bool { return len(log.of("c")) == 2 })
	if d := log.of("c")[1].Started.Sub(changed); d > 200*time.Millisecond {
		t.Errorf("the changed collector ran %v after the change", d)
	}
	if st := s.Snapshot(key)[0]; st.Value != 2 {
		t.Errorf("value %v, want 2", st.Value)
	}
}

func TestSchedulerRemoveStopsAndDeletesSeries(t *testing.T) {
	key := types.NamespacedName{Namespace: "ns-remove", Name: "gone"}
	log := &runLog{}
	var notified atomic.Int64
	s := NewScheduler(withMetrics(SchedulerOptions{Workers: 2, OnRun: log.add, Notify: func(types.NamespacedName) { notified.Add(1) }}))
	startScheduler(t, s)

	release := make(chan struct{})
	var blocking atomic.Bool
	r := RunnerFunc(func(ctx context.Context) (float64, error) {
		if blocking.Load() {
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
		return 1, nil
	})
	s.Sync(key, []Job{
		{Name: "a", Metric: "a", Interval: 50 * time.Millisecond, Timeout: 40 * time.Millisecond, Source: "x", Fingerprint: "1", Runner: r},
		{Name: "b", Metric: "b", Interval: 50 * time.Millisecond, Timeout: 40 * time.Millisecond, Source: "x", Fingerprint: "1", Runner: r},
	})
	waitFor(t, 2*time.Second, "two rounds", func() bool { return len(log.of("a")) >= 2 })
	if seriesOf("cx_collector_runs_total", key) == 0 {
		t.Fatal("no run series before removal")
	}

	// Removing collector b keeps a; removing the touchpoint stops a too,
	// even with a run in flight, whose result is dropped.
	s.Sync(key, []Job{{Name: "a", Metric: "a", Interval: 50 * time.Millisecond, Timeout: 40 * time.Millisecond, Source: "x", Fingerprint: "1", Runner: r}})
	if st := s.Snapshot(key); len(st) != 1 || st[0].Name != "a" {
		t.Fatalf("after removing b: %+v", st)
	}
	blocking.Store(true)
	waitFor(t, time.Second, "a run in flight", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		tp := s.touchpoints[key]
		return tp != nil && tp.inflight > 0
	})
	before := notified.Load()
	s.Remove(key)
	close(release)
	if s.Snapshot(key) != nil || s.Jobs() != 0 {
		t.Errorf("jobs left after Remove: %d", s.Jobs())
	}
	runs := len(log.of("a"))
	time.Sleep(300 * time.Millisecond) // six intervals: no run may start
	if n := len(log.of("a")); n > runs+1 {
		t.Errorf("%d runs after Remove", n-runs)
	}
	if notified.Load() != before {
		t.Error("a removed touchpoint was notified")
	}
	if n := seriesOf("cx_collector_runs_total", key); n != 0 {
		t.Errorf("%d run series left after Remove", n)
	}
}

// withMetrics wires the scheduler's hooks to the cx_collector_* series, as
// the operator does.
func withMetrics(o SchedulerOptions) SchedulerOptions {
	onRun := o.OnRun
	o.OnRun = func(r RunInfo) {
		metrics.ObserveCollectorRun(r.Touchpoint.Namespace, r.Touchpoint.Name, r.Collector, r.Err == nil, r.Started, r.Duration)
		if onRun != nil {
			onRun(r)
		}
	}
	o.OnAdd = func(tp types.NamespacedName, c string) { metrics.InitCollector(tp.Namespace, tp.Name, c) }
	o.OnRemove = func(tp types.NamespacedName, c string) { metrics.DeleteCollector(tp.Namespace, tp.Name, c) }
	return o
}

// seriesOf counts the series of a family that belong to a touchpoint.
func seriesOf(name string, key types.NamespacedName) int {
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		panic(err)
	}
	n := 0
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["namespace"] == key.Namespace && labels["touchpoint"] == key.Name {
				n++
			}
		}
	}
	return n
}

func TestSchedulerSlowSourceDoesNotDelayOthers(t *testing.T) {
	log := &runLog{}
	s := NewScheduler(SchedulerOptions{Workers: 4, MaxRunsPerSource: 2, OnRun: log.add})
	startScheduler(t, s)
	hang := RunnerFunc(func(ctx context.Context) (float64, error) {
		<-ctx.Done()
		return 0, ctx.Err()
	})
	for i := range 20 {
		s.Sync(types.NamespacedName{Namespace: "slow", Name: fmt.Sprint(i)}, []Job{
			{Name: "hang", Metric: "m", Interval: 400 * time.Millisecond, Timeout: 300 * time.Millisecond, Source: "http://slow", Fingerprint: "1", Runner: hang},
		})
	}
	var v atomic.Int64
	s.Sync(types.NamespacedName{Namespace: "fast", Name: "tp"}, []Job{
		{Name: "fast", Metric: "m", Interval: 50 * time.Millisecond, Timeout: 40 * time.Millisecond, Source: "http://fast", Fingerprint: "1", Runner: constant(&v)},
	})
	waitFor(t, 5*time.Second, "30 fast runs", func() bool { return len(log.of("fast")) >= 30 })

	var drifts []time.Duration
	for _, r := range log.of("fast") {
		drifts = append(drifts, r.Started.Sub(r.Planned))
	}
	slices.Sort(drifts)
	if worst := drifts[len(drifts)-2]; worst > 100*time.Millisecond {
		t.Errorf("a hanging source delayed another one: drifts %v", drifts)
	}
	slow := log.of("hang")
	if len(slow) == 0 {
		t.Fatal("no slow run finished")
	}
	wantError(t, slow[0].Err, ErrTimeout, "timed out (timeout 300ms)")
}

func TestSchedulerTurnsPanicsIntoErrors(t *testing.T) {
	key := types.NamespacedName{Namespace: "ns", Name: "panic"}
	log := &runLog{}
	s := NewScheduler(SchedulerOptions{Workers: 1, OnRun: log.add})
	startScheduler(t, s)
	s.Sync(key, []Job{{Name: "p", Metric: "m", Interval: time.Hour, Timeout: time.Second, Fingerprint: "1",
		Runner: RunnerFunc(func(context.Context) (float64, error) { panic("boom") })}})
	waitFor(t, 2*time.Second, "the run", func() bool { return len(log.of("p")) == 1 })
	wantError(t, log.of("p")[0].Err, ErrConfig, "collector panicked: boom")
}

func TestBackoff(t *testing.T) {
	for failures, want := range []time.Duration{10, 20, 40, 80, 80, 80} {
		if got := Backoff(10*time.Second, int32(failures)); got != want*time.Second {
			t.Errorf("Backoff(10s, %d) = %v, want %vs", failures, got, want)
		}
	}
}

func TestSlotAfter(t *testing.T) {
	const iv = 10 * time.Second
	rng := rand.New(rand.NewPCG(1, 2))
	phases := make([]int, 10)
	for i := range 1000 {
		key := fmt.Sprintf("ns/tp-%d", i)
		at := time.Unix(1_700_000_000, rng.Int64N(int64(time.Hour)))
		slot := SlotAfter(key, iv, at)
		if slot.Before(at) || slot.Sub(at) >= iv+time.Second {
			t.Fatalf("SlotAfter(%s, %v) = %v: not in [t, t+interval+jitter)", key, at, slot)
		}
		// The next slot is one interval later, give or take the jitter.
		next := SlotAfter(key, iv, slot.Add(iv/2))
		if d := next.Sub(slot); d < iv-time.Second || d > iv+time.Second {
			t.Fatalf("%s: consecutive slots %v apart", key, d)
		}
		// The same key and time always give the same slot.
		if again := SlotAfter(key, iv, at); !again.Equal(slot) {
			t.Fatalf("%s: slot not deterministic", key)
		}
		phases[int(slot.UnixNano()%int64(iv))*10/int(iv)]++
	}
	// Touchpoints spread over the interval.
	for i, n := range phases {
		if n < 50 {
			t.Errorf("only %d of 1000 touchpoints in tenth %d of the interval: %v", n, i, phases)
		}
	}
}

// outcomeRunner says more than a number.
type outcomeRunner struct{ out Outcome }

func (o outcomeRunner) Run(context.Context) (float64, error)     { return -1, errors.New("Run called") }
func (o outcomeRunner) Collect(context.Context) (Outcome, error) { return o.out, nil }

func TestSchedulerUsesOutcomes(t *testing.T) {
	key := types.NamespacedName{Namespace: "ns", Name: "helpdesk"}
	s := NewScheduler(SchedulerOptions{Workers: 2})
	startScheduler(t, s)
	s.Sync(key, []Job{
		{Name: "empty", Metric: "m1", Interval: time.Hour, Timeout: time.Second, Source: "x", Fingerprint: "1",
			Runner: outcomeRunner{Outcome{NoValue: "the list is empty, so the median is undefined"}}},
		{Name: "partial", Metric: "m2", Interval: time.Hour, Timeout: time.Second, Source: "x", Fingerprint: "1",
			Runner: outcomeRunner{Outcome{Value: 3, Warning: "read 10 pages (maxPages) and more remain"}}},
	})
	waitFor(t, 2*time.Second, "both runs", func() bool {
		st := s.Snapshot(key)
		return len(st) == 2 && st[0].Ran && st[1].Ran
	})
	st := s.Snapshot(key)
	if st[0].HasValue || st[0].NoValue == "" || st[0].ConsecutiveFailures != 0 || st[0].LastError != "" {
		t.Errorf("empty: %+v", st[0])
	}
	if !st[1].HasValue || st[1].Value != 3 || st[1].Warning == "" {
		t.Errorf("partial: %+v", st[1])
	}
}
