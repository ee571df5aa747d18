package collect

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// Runner fetches one value from one source. The context carries the run's
// timeout.
type Runner interface {
	Run(ctx context.Context) (float64, error)
}

// Outcome is what a successful run yields: a value, or the reason why
// there is none, and what the user should know about it.
type Outcome struct {
	// Value is the collected value, when NoValue is empty.
	Value float64
	// NoValue, when set, says why the run succeeded without a value, for
	// example a median over an empty list: the metric then has no value
	// and says why, and the collector is healthy.
	NoValue string
	// Warning, when set, qualifies the value, for example a list whose
	// pages were not all read (maxPages): the CollectorsHealthy condition
	// carries it.
	Warning string
}

// OutcomeRunner is a Runner that can say more than a number. The
// scheduler calls Collect instead of Run when a runner implements it.
type OutcomeRunner interface {
	Runner
	// Collect fetches the value, or says why there is none.
	Collect(ctx context.Context) (Outcome, error)
}

// RunnerFunc adapts a function to Runner.
type RunnerFunc func(ctx context.Context) (float64, error)

// Run calls f.
func (f RunnerFunc) Run(ctx context.Context) (float64, error) { return f(ctx) }

// Job is one collector as the scheduler runs it.
type Job struct {
	// Name is the collector's name, unique within its touchpoint.
	Name string
	// Metric is the metric the collector yields.
	Metric string
	// Interval is the time between two planned runs.
	Interval time.Duration
	// Timeout bounds one run.
	Timeout time.Duration
	// Source identifies the data source (scheme://host): at most
	// SchedulerOptions.MaxRunsPerSource runs of one source are in flight,
	// so that a slow source cannot take every worker.
	Source string
	// Fingerprint identifies the collector's spec; when it changes, the
	// collector forgets its results and runs at once.
	Fingerprint string
	// Runner fetches the value.
	Runner Runner
}

// CollectorState is what the scheduler knows of one collector.
type CollectorState struct {
	// Name of the collector.
	Name string
	// Metric it yields.
	Metric string
	// Ran is true once the collector has run since it was added or its
	// spec last changed.
	Ran bool
	// LastRun is when the last run started.
	LastRun time.Time
	// LastSuccess is when the last successful run started.
	LastSuccess time.Time
	// NextRun is when the next run is planned.
	NextRun time.Time
	// ConsecutiveFailures counts the failed runs since the last success.
	ConsecutiveFailures int32
	// LastError is the error of the last run, empty after a success.
	LastError string
	// ErrorNote is LastError without text from the source, for Events.
	ErrorNote string
	// ErrorKind classifies LastError.
	ErrorKind ErrorKind
	// ErrorReason is the condition reason of a configuration error
	// (SecretNotFound, SecretKeyNotFound), if any.
	ErrorReason string
	// HasValue is true once a run succeeded with a value; Value is then
	// the value of the last successful run (kept through failures). A
	// success without a value (NoValue) clears it.
	HasValue bool
	// Value is the last value collected.
	Value float64
	// NoValue is why the last successful run yielded no value (an empty
	// list), empty when it yielded one.
	NoValue string
	// Warning qualifies the value of the last successful run (a list
	// read only in part), empty otherwise.
	Warning string
}

// RunInfo describes one finished run, for SchedulerOptions.OnRun.
type RunInfo struct {
	// Touchpoint the collector belongs to.
	Touchpoint types.NamespacedName
	// Collector is the collector's name.
	Collector string
	// Planned is when the run was due; Started when it started.
	Planned, Started time.Time
	// Duration of the run.
	Duration time.Duration
	// Err is the run's error, nil on success.
	Err error
}

// SchedulerOptions configure a Scheduler.
type SchedulerOptions struct {
	// Workers is the number of runs in flight at most (default 16).
	Workers int
	// MaxRunsPerSource bounds the runs in flight against one source
	// (default Workers/2): a source that hangs holds at most this many
	// workers, never all of them.
	MaxRunsPerSource int
	// Notify is called once a round of a touchpoint's runs is over and one
	// of them changed something (a value, an error, a failure count, a
	// first run). It must not block.
	Notify func(types.NamespacedName)
	// OnRun, when set, is called after every run whose result counts (not
	// a run cut short by shutdown, nor one whose collector was removed or
	// changed meanwhile): the operator publishes the cx_collector_* series
	// from it, benchmarks measure the schedule.
	OnRun func(RunInfo)
	// OnAdd and OnRemove, when set, are called when a collector is added
	// to the scheduler and when it is removed (its Touchpoint deleted, or
	// the collector taken out of its spec). They run under the scheduler's
	// lock: they must be quick and must not call the scheduler.
	OnAdd, OnRemove func(touchpoint types.NamespacedName, collector string)
}

// Scheduling constants.
const (
	// MaxJitter bounds the jitter added to a planned run (also at most a
	// tenth of the interval).
	MaxJitter = time.Second
	// MaxBackoffFactor caps the backoff: a failing collector runs at least
	// every MaxBackoffFactor intervals.
	MaxBackoffFactor = 8
	// DefaultWorkers is the default size of the worker pool.
	DefaultWorkers = 16
)

// Scheduler runs collectors on their intervals with a bounded worker pool.
// It is a manager Runnable that runs only on the elected leader.
//
// Planning: the runs of a touchpoint's collectors with the same interval
// fall on the same grid, slots at phase + k*interval where phase is a hash
// of the touchpoint's name (so touchpoints spread over the interval, the
// same way after a restart), each slot delayed by a jitter (a hash of the
// touchpoint and the slot, at most min(interval/10, MaxJitter)). A
// touchpoint's collectors thus run together, as one round, and the
// round's end is notified once. A new collector runs at once (within
// MaxJitter), as does one whose spec changed. After a success a collector
// runs on the next slot about one interval later; after its n-th failure
// in a row on the slot about interval*2^n later, at most
// interval*MaxBackoffFactor.
type Scheduler struct {
	opts SchedulerOptions
	wake chan struct{}

	mu          sync.Mutex
	touchpoints map[types.NamespacedName]*tpJobs
	queue       jobQueue
	sources     map[string]*sourceSlots
}

// tpJobs are the jobs of one touchpoint.
type tpJobs struct {
	key      types.NamespacedName
	order    []string
	jobs     map[string]*job
	inflight int  // runs dispatched and not completed
	changed  bool // a run of the current round changed something
	removed  bool
}

type job struct {
	key     types.NamespacedName
	tp      *tpJobs
	spec    Job
	gen     uint64 // incremented when the spec changes
	planned time.Time
	index   int // in the queue, -1 when not queued
	running bool
	rerun   bool // run again at once when the current run completes
	removed bool
	st      CollectorState
}

// dispatch is one run handed to a worker, with what it needs copied under
// the lock.
type dispatch struct {
	j       *job
	gen     uint64
	runner  Runner
	timeout time.Duration
	planned time.Time
	source  string
}

// sourceSlots counts the runs in flight against one source and queues
// those beyond the limit.
type sourceSlots struct {
	inflight int
	waiting  []dispatch
}

// NewScheduler returns a scheduler; add it to the manager to start it.
func NewScheduler(o SchedulerOptions) *Scheduler {
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.MaxRunsPerSource <= 0 {
		o.MaxRunsPerSource = max(1, o.Workers/2)
	}
	return &Scheduler{
		opts:        o,
		wake:        make(chan struct{}, 1),
		touchpoints: map[types.NamespacedName]*tpJobs{},
		sources:     map[string]*sourceSlots{},
	}
}

// NeedLeaderElection makes the scheduler run on the leader only: two
// replicas would query every source twice.
func (s *Scheduler) NeedLeaderElection() bool { return true }

// Start runs the scheduler until ctx ends, then waits for the runs in
// flight (which ctx cancels).
func (s *Scheduler) Start(ctx context.Context) error {
	work := make(chan dispatch)
	var wg sync.WaitGroup
	for range s.opts.Workers {
		wg.Go(func() { s.worker(ctx, work) })
	}
	defer wg.Wait()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		due, next := s.takeDue(time.Now())
		for _, d := range due {
			select {
			case work <- d:
			case <-ctx.Done():
				return nil
			}
		}
		if len(due) > 0 {
			continue // time passed while dispatching: look again
		}
		var tick <-chan time.Time
		if !next.IsZero() {
			timer.Reset(time.Until(next))
			tick = timer.C
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
		case <-tick:
		}
		timer.Stop()
	}
}

// takeDue pops the jobs due at now. Those whose source is at its limit
// wait in the source's queue; the others are returned for the workers.
// next is when the earliest remaining job is due (zero when none).
func (s *Scheduler) takeDue(now time.Time) (due []dispatch, next time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.queue.Len() > 0 && !s.queue[0].planned.After(now) {
		j := heap.Pop(&s.queue).(*job)
		j.running = true
		j.tp.inflight++
		d := dispatch{j: j, gen: j.gen, runner: j.spec.Runner, timeout: j.spec.Timeout, planned: j.planned, source: j.spec.Source}
		src := s.sources[d.source]
		if src == nil {
			src = &sourceSlots{}
			s.sources[d.source] = src
		}
		if src.inflight >= s.opts.MaxRunsPerSource {
			src.waiting = append(src.waiting, d)
			continue
		}
		src.inflight++
		due = append(due, d)
	}
	if s.queue.Len() > 0 {
		next = s.queue[0].planned
	}
	return due, next
}

func (s *Scheduler) worker(ctx context.Context, work <-chan dispatch) {
	for {
		select {
		case <-ctx.Done():
			return
		case d := <-work:
			for more := true; more && ctx.Err() == nil; {
				d, more = s.run(ctx, d)
			}
		}
	}
}

// run runs one dispatched job, records its outcome, and returns the next
// run waiting for the same source, if any (the worker takes it over).
func (s *Scheduler) run(ctx context.Context, d dispatch) (dispatch, bool) {
	started := time.Now()
	rctx, cancel := context.WithTimeout(ctx, d.timeout)
	out, err := safeRun(rctx, d.runner)
	cancel()
	elapsed := time.Since(started)
	if ctx.Err() != nil {
		return dispatch{}, false // shutting down: the result means nothing
	}
	var cerr *Error
	if err != nil {
		cerr = AsError(err)
		if cerr.Kind == ErrTimeout || errors.Is(rctx.Err(), context.DeadlineExceeded) {
			msg := cerr.Message
			if cerr.Kind != ErrTimeout {
				msg = "timed out"
			}
			cerr = &Error{Kind: ErrTimeout, Message: truncate(msg + " (timeout " + d.timeout.String() + ")")}
		}
	}

	s.mu.Lock()
	notify, counted := s.completeLocked(d, started, out, cerr)
	next, more := s.releaseSourceLocked(d.source)
	s.mu.Unlock()

	if notify && s.opts.Notify != nil {
		s.opts.Notify(d.j.key)
	}
	if counted && s.opts.OnRun != nil {
		info := RunInfo{Touchpoint: d.j.key, Collector: d.j.spec.Name, Planned: d.planned, Started: started, Duration: elapsed}
		if cerr != nil {
			info.Err = cerr
		}
		s.opts.OnRun(info)
	}
	return next, more
}

// safeRun runs r (through Collect when it is an OutcomeRunner), turning
// a panic into an error.
func safeRun(ctx context.Context, r Runner) (out Outcome, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = errorf(ErrConfig, "collector panicked: %v", p)
		}
	}()
	if or, ok := r.(OutcomeRunner); ok {
		return or.Collect(ctx)
	}
	v, err := r.Run(ctx)
	return Outcome{Value: v}, err
}

// completeLocked records a finished run and plans the next one. It
// returns whether the touchpoint's round is over and changed something
// (notify), and whether the run's result counted (not for a removed
// collector, nor for a spec that changed during the run).
func (s *Scheduler) completeLocked(d dispatch, started time.Time, out Outcome, err *Error) (notify, counted bool) {
	j, tp := d.j, d.j.tp
	tp.inflight--
	j.running = false
	if !j.removed {
		now := time.Now()
		switch {
		case d.gen != j.gen:
			// The spec changed during the run: its result is for the old
			// spec. Run the new one at once.
			j.planned = now
		default:
			if j.st.apply(started, out, err) {
				tp.changed = true
			}
			counted = true
			if j.rerun {
				j.planned = now
			} else {
				j.planned = j.nextPlanned(later(d.planned, started))
			}
		}
		j.rerun = false
		j.st.NextRun = j.planned
		s.pushLocked(j)
	}
	if tp.inflight == 0 && tp.changed && !tp.removed {
		tp.changed = false
		notify = true
	}
	return notify, counted
}

// releaseSourceLocked frees the slot of a finished run, or hands it to the
// next run waiting for the same source.
func (s *Scheduler) releaseSourceLocked(name string) (dispatch, bool) {
	src := s.sources[name]
	if len(src.waiting) > 0 {
		d := src.waiting[0]
		src.waiting[0] = dispatch{}
		src.waiting = src.waiting[1:]
		return d, true
	}
	src.inflight--
	if src.inflight == 0 {
		delete(s.sources, name)
	}
	return dispatch{}, false
}

// apply records the outcome of a run and reports whether it changed
// anything but times: a run that succeeds with the same value (or the
// same reason for none, and the same warning) as the last one changes
// nothing.
func (st *CollectorState) apply(started time.Time, out Outcome, err *Error) bool {
	first := !st.Ran
	st.Ran = true
	st.LastRun = started
	if err == nil {
		has := out.NoValue == ""
		changed := first || st.HasValue != has || (has && st.Value != out.Value) || st.NoValue != out.NoValue ||
			st.Warning != out.Warning || st.ConsecutiveFailures != 0
		st.LastSuccess = started
		st.NoValue, st.Warning = out.NoValue, out.Warning
		if has {
			st.HasValue, st.Value = true, out.Value
		} else {
			st.HasValue, st.Value = false, 0
		}
		st.ConsecutiveFailures, st.LastError, st.ErrorNote, st.ErrorKind, st.ErrorReason = 0, "", "", "", ""
		return changed
	}
	st.ConsecutiveFailures++
	st.LastError, st.ErrorNote, st.ErrorKind, st.ErrorReason = err.Message, err.SafeNote(), err.Kind, err.Reason
	return true
}

// Backoff is the delay before the next run after the failures-th failed
// run in a row: interval*2^failures, at most interval*MaxBackoffFactor
// (2, 4, 8, 8... intervals).
func Backoff(interval time.Duration, failures int32) time.Duration {
	switch {
	case failures <= 0:
		return interval
	case failures >= 3:
		return interval * MaxBackoffFactor
	}
	return min(interval<<failures, interval*MaxBackoffFactor)
}

// nextPlanned is the next run after a run that started (or was due) at
// from: the touchpoint's first slot after from + delay - interval/2,
// where delay is the interval or, after failures, the backoff.
func (j *job) nextPlanned(from time.Time) time.Time {
	iv := j.spec.Interval
	delay := Backoff(iv, j.st.ConsecutiveFailures)
	return SlotAfter(j.key.String(), iv, from.Add(delay-iv/2))
}

// SlotAfter is the first run slot of a touchpoint (key) at or after t, for
// collectors of the given interval, jitter included: slots are at phase +
// k*interval (Unix time), with phase a hash of key, each delayed by a
// jitter hashed from key and k, less than min(interval/10, MaxJitter).
func SlotAfter(key string, interval time.Duration, t time.Time) time.Time {
	iv := int64(interval)
	if iv <= 0 {
		return t
	}
	phase := int64(hash64(key, 0) % uint64(iv))
	k := ceilDiv(t.UnixNano()-phase, iv)
	slot := time.Unix(0, k*iv+phase)
	if j := min(interval/10, MaxJitter); j > 0 {
		slot = slot.Add(time.Duration(hash64(key, k+1) % uint64(j)))
	}
	return slot
}

func ceilDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a > 0) == (b > 0) {
		q++
	}
	return q
}

func hash64(key string, n int64) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(key))
	_, _ = h.Write([]byte(strconv.FormatInt(n, 10)))
	return h.Sum64()
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Sync makes the scheduler run exactly the given jobs for a touchpoint: new
// jobs run at once (with a jitter below MaxJitter, the same for all the
// jobs added together), jobs whose Fingerprint changed forget their
// results and run at once, missing jobs stop and their series are
// removed. Jobs whose Fingerprint did not change keep their state and
// schedule. Sync with no jobs is Remove.
func (s *Scheduler) Sync(key types.NamespacedName, jobs []Job) {
	now := time.Now()
	first := now.Add(rand.N(MaxJitter))
	s.mu.Lock()
	defer s.mu.Unlock()
	tp := s.touchpoints[key]
	if tp == nil {
		if len(jobs) == 0 {
			return
		}
		tp = &tpJobs{key: key, jobs: map[string]*job{}}
		s.touchpoints[key] = tp
	}
	keep := make(map[string]bool, len(jobs))
	tp.order = tp.order[:0]
	for _, spec := range jobs {
		if keep[spec.Name] {
			continue // admission forbids duplicates; never run one twice
		}
		keep[spec.Name] = true
		tp.order = append(tp.order, spec.Name)
		j := tp.jobs[spec.Name]
		switch {
		case j == nil:
			j = &job{key: key, tp: tp, spec: spec, index: -1, st: CollectorState{Name: spec.Name, Metric: spec.Metric}}
			tp.jobs[spec.Name] = j
			if s.opts.OnAdd != nil {
				s.opts.OnAdd(key, spec.Name)
			}
			j.planned = earlier(first, now.Add(spec.Interval/10))
			j.st.NextRun = j.planned
			s.pushLocked(j)
		case j.spec.Fingerprint != spec.Fingerprint:
			j.spec = spec
			j.gen++
			j.st = CollectorState{Name: spec.Name, Metric: spec.Metric}
			if j.running {
				j.rerun = true
			} else {
				j.planned = now
				j.st.NextRun = now
				s.pushLocked(j)
			}
		}
	}
	for name, j := range tp.jobs {
		if !keep[name] {
			s.removeJobLocked(j)
		}
	}
	if len(tp.jobs) == 0 {
		tp.removed = true
		delete(s.touchpoints, key)
	}
}

// Remove stops every collector of a touchpoint and removes their run
// series. Runs in flight finish, but their results are dropped.
func (s *Scheduler) Remove(key types.NamespacedName) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tp := s.touchpoints[key]
	if tp == nil {
		return
	}
	for _, j := range tp.jobs {
		s.removeJobLocked(j)
	}
	tp.removed = true
	delete(s.touchpoints, key)
}

func (s *Scheduler) removeJobLocked(j *job) {
	j.removed = true
	if j.index >= 0 {
		heap.Remove(&s.queue, j.index)
	}
	delete(j.tp.jobs, j.spec.Name)
	if s.opts.OnRemove != nil {
		s.opts.OnRemove(j.key, j.spec.Name)
	}
}

// RunNow runs a collector at once (after its current run, if one is in
// flight), whatever its backoff.
func (s *Scheduler) RunNow(key types.NamespacedName, collector string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tp := s.touchpoints[key]
	if tp == nil {
		return
	}
	j := tp.jobs[collector]
	switch {
	case j == nil:
	case j.running:
		j.rerun = true
	default:
		j.planned = time.Now()
		j.st.NextRun = j.planned
		s.pushLocked(j)
	}
}

// Snapshot returns the state of a touchpoint's collectors, in the order of
// the last Sync; nil when the scheduler has no job for it.
func (s *Scheduler) Snapshot(key types.NamespacedName) []CollectorState {
	s.mu.Lock()
	defer s.mu.Unlock()
	tp := s.touchpoints[key]
	if tp == nil {
		return nil
	}
	out := make([]CollectorState, 0, len(tp.order))
	for _, name := range tp.order {
		out = append(out, tp.jobs[name].st)
	}
	return out
}

// Jobs counts the collectors scheduled.
func (s *Scheduler) Jobs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, tp := range s.touchpoints {
		n += len(tp.jobs)
	}
	return n
}

// pushLocked queues j at j.planned (or moves it there) and wakes the
// dispatcher when j became the earliest job.
func (s *Scheduler) pushLocked(j *job) {
	if j.index >= 0 {
		heap.Fix(&s.queue, j.index)
	} else {
		heap.Push(&s.queue, j)
	}
	if j.index == 0 {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// jobQueue is a min-heap of jobs by planned time.
type jobQueue []*job

func (q jobQueue) Len() int           { return len(q) }
func (q jobQueue) Less(a, b int) bool { return q[a].planned.Before(q[b].planned) }
func (q jobQueue) Swap(a, b int) {
	q[a], q[b] = q[b], q[a]
	q[a].index, q[b].index = a, b
}
func (q *jobQueue) Push(x any) {
	j := x.(*job)
	j.index = len(*q)
	*q = append(*q, j)
}
func (q *jobQueue) Pop() any {
	old := *q
	j := old[len(old)-1]
	old[len(old)-1] = nil
	j.index = -1
	*q = old[:len(old)-1]
	return j
}

// String describes the scheduler's load, for logs.
func (s *Scheduler) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("collector scheduler: %d touchpoints, %d queued, %d workers", len(s.touchpoints), s.queue.Len(), s.opts.Workers)
}
