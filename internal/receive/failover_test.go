package receive_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/controllers"
	"github.com/touchstone-dev/touchstone/internal/receive"
)

// The failover tests run two replicas of the operator through
// controllers.Run, the function main calls, with leader election on a real
// API server, while survey senders post to both replicas and a Touchpoint
// collector queries a test source. They stop the leader three ways:
//   - gracefully, as a SIGTERM does (rolling update, node drain): main's
//     signal context ends, which is Run's ctx ending;
//   - killed: cut off from the API server and stopped, so that it cannot
//     release its Lease, as after a crash or the loss of its node;
//   - partitioned: cut off from the API server and left running, so that
//     it must notice by itself that it lost the Lease.
//
// Every test checks what a user of the product sees: the senders' answers
// (no refused connection while the stopping replica still receives), every
// acknowledged response counted exactly once in the ResponseTallies, the
// time the standby takes to hold the Lease, and the collector's queries:
// never from two replicas at once, resumed by the new leader.

// failoverSettings are the lease settings and shutdown delay of the
// replicas: short ones by default, so that the tests take seconds; the
// flags' defaults with TOUCHSTONE_FAILOVER_DEFAULTS=1, to measure what a
// deployment gets (README "Deployment").
type failoverSettings struct {
	lease, renew, retry, delay time.Duration
}

func settings() failoverSettings {
	if os.Getenv("TOUCHSTONE_FAILOVER_DEFAULTS") != "" {
		d := controllers.DefaultRunOptions()
		return failoverSettings{d.LeaderElection.LeaseDuration, d.LeaderElection.RenewDeadline,
			d.LeaderElection.RetryPeriod, d.Receiver.ShutdownDelay}
	}
	return failoverSettings{lease: 4 * time.Second, renew: 3 * time.Second, retry: 500 * time.Millisecond, delay: 3 * time.Second}
}

// collectorInterval is the Touchpoint collector's interval, the least the
// API accepts.
const collectorInterval = 10 * time.Second

// TestAGracefulStopOfTheLeaderIsInvisibleToSenders stops the leader as a
// SIGTERM does while a sender posts to it every 50 to 100 ms.
func TestAGracefulStopOfTheLeaderIsInvisibleToSenders(t *testing.T) {
	g := NewWithT(t)
	s := settings()
	c := newFailover(t, s)

	t0 := time.Now()
	c.a.stop()
	// Not ready at once (its endpoints are dropped)...
	g.Eventually(func() int { return c.a.readyz() }).WithTimeout(time.Second).WithPolling(5 * time.Millisecond).
		ShouldNot(Equal(http.StatusOK))
	notReadyAt := time.Now()
	notReady := notReadyAt.Sub(t0)
	// ...receiving for the whole delay, then gone within its bound.
	g.Eventually(c.a.done).WithTimeout(c.a.opts.ShutdownTimeout() + 5*time.Second).Should(BeClosed())
	g.Expect(c.a.err).NotTo(HaveOccurred())
	exit := c.a.exited.Sub(t0)
	g.Expect(exit).To(BeNumerically(">=", s.delay), "the replica stopped receiving before its shutdown delay was over")
	g.Expect(exit).To(BeNumerically("<=", c.a.opts.ShutdownTimeout()), "the replica took longer than its shutdown bound")

	// No connection refused during the delay: every post to the stopping
	// replica was answered as usual (200, or a 503 when a write is slow:
	// the sender checks Retry-After), and it committed. Each post sent
	// once it reported not ready was told to close its connection (the
	// next one goes to a ready replica).
	during := c.toA.triesTo(c.a.url, t0, t0.Add(s.delay))
	g.Expect(len(during)).To(BeNumerically(">=", int(s.delay/(100*time.Millisecond))-2), "posts during the delay")
	committed := 0
	for _, tr := range during {
		g.Expect(tr.code).NotTo(BeZero(), "a connection error %s after SIGTERM", tr.end.Sub(t0))
		if !tr.start.Before(notReadyAt) {
			g.Expect(tr.closed).To(BeTrue(), "an answer %d during the delay kept the connection open", tr.code)
		}
		if tr.code == http.StatusOK {
			committed++
		}
	}
	g.Expect(committed).To(BeNumerically(">", len(during)/2), "responses committed during the delay")

	// The Lease is released once the replica is done, and the standby
	// takes it at its next try: within 2.2 retry periods (client-go's
	// jitter), 1.1 s with the test's 0.5 s.
	released := c.lease.wait(t, 5*time.Second, func(r leaseRecord) bool { return r.holder == "" && !r.renewed.Before(t0) })
	taken := c.lease.wait(t, 2*s.retry+5*time.Second, c.takenOver(t0))
	takeover := taken.acquired.Sub(released.renewed)
	g.Expect(takeover).To(BeNumerically("<=", time.Duration(2.2*float64(s.retry))+300*time.Millisecond), "takeover after the release")
	// It led (and collected) through the delay and the drain.
	g.Expect(released.renewed).To(BeTemporally(">=", t0.Add(s.delay)), "the Lease was released before the drain")

	pause := c.expectOneCollectorAtATime(t, taken.acquired)
	c.expectExactlyOnce(t)
	refusedAfter := c.toA.connectionErrors(c.a.url, t0.Add(s.delay), time.Now())
	t.Logf("SIGTERM of the leader: not ready after %s; %d posts during the %s delay (%d answered 200), 0 refused; exited after %s (bound %s); "+
		"%d connections refused after the delay (a cluster routes them elsewhere); Lease released, taken %s later; "+
		"collector queries %s apart across the failover (interval %s); senders: %s",
		notReady, len(during), s.delay, committed, exit.Round(time.Millisecond), c.a.opts.ShutdownTimeout(),
		refusedAfter, takeover.Round(time.Millisecond), pause.Round(time.Millisecond), collectorInterval, c.summary())
}

// TestAKilledLeaderIsReplacedWithinTheLeaseDuration stops the leader
// without releasing its Lease: it is cut off from the API server and
// stopped at once, as after a crash or the loss of its node.
func TestAKilledLeaderIsReplacedWithinTheLeaseDuration(t *testing.T) {
	g := NewWithT(t)
	s := settings()
	s.delay = 0 // a crash does not drain
	c := newFailover(t, s)

	tk := time.Now()
	c.a.api.sever()
	c.a.stop()
	g.Eventually(c.a.done).WithTimeout(c.a.opts.ShutdownTimeout()).Should(BeClosed())
	taken := c.lease.wait(t, s.lease+5*s.retry+5*time.Second, c.takenOver(tk))
	g.Expect(c.lease.since(tk, func(r leaseRecord) bool { return r.holder == "" })).To(BeEmpty(), "the killed leader released its Lease")
	// The standby saw the last renewal, at most one retry period before
	// the kill, at its next try (within 2.2 retry periods), and takes the
	// Lease at its first try after the lease duration from then (within
	// 2.2 more): takeover in [lease − retry, lease + 4.4 retry].
	takeover := taken.acquired.Sub(tk)
	g.Expect(takeover).To(BeNumerically(">=", s.lease-s.retry-300*time.Millisecond), "takeover before the lease expired")
	g.Expect(takeover).To(BeNumerically("<=", s.lease+time.Duration(4.4*float64(s.retry))+300*time.Millisecond), "takeover after the kill")

	pause := c.expectOneCollectorAtATime(t, taken.acquired)
	c.expectExactlyOnce(t)
	t.Logf("leader killed: Lease taken %s after the kill (lease %s, retry %s); collector queries %s apart across the failover (interval %s); senders: %s",
		takeover.Round(time.Millisecond), s.lease, s.retry, pause.Round(time.Millisecond), collectorInterval, c.summary())
}

// TestAPartitionedLeaderStopsCollectingBeforeTheStandbyTakesOver cuts the
// leader off from the API server and leaves it running: it cannot renew,
// gives up leading after its renew deadline (Run returns an error: main
// exits and the pod restarts), before the standby may take the Lease.
func TestAPartitionedLeaderStopsCollectingBeforeTheStandbyTakesOver(t *testing.T) {
	g := NewWithT(t)
	s := settings()
	c := newFailover(t, s)

	tp := time.Now()
	c.a.api.sever()
	// The last renewal was at most a retry period before the cut; the
	// next attempts last the renew deadline.
	g.Eventually(c.a.done).WithTimeout(s.retry + s.renew + 5*time.Second).Should(BeClosed())
	g.Expect(c.a.err).To(MatchError(ContainSubstring("leader election lost")))
	lost := c.a.exited.Sub(tp)
	g.Expect(lost).To(BeNumerically("<=", s.retry+s.renew+time.Second), "the partitioned leader kept leading")
	taken := c.lease.wait(t, s.lease+5*s.retry+5*time.Second, c.takenOver(tp))
	g.Expect(c.a.exited).To(BeTemporally("<", taken.acquired), "the standby took over while the old leader still led")
	takeover := taken.acquired.Sub(tp)
	g.Expect(takeover).To(BeNumerically(">=", s.lease-s.retry-300*time.Millisecond), "takeover before the lease expired")
	g.Expect(takeover).To(BeNumerically("<=", s.lease+time.Duration(4.4*float64(s.retry))+300*time.Millisecond), "takeover after the cut")

	pause := c.expectOneCollectorAtATime(t, taken.acquired)
	c.expectExactlyOnce(t)
	t.Logf("leader partitioned: stopped leading %s after the cut, Lease taken %s after it; collector queries %s apart across the failover; senders: %s",
		lost.Round(time.Millisecond), takeover.Round(time.Millisecond), pause.Round(time.Millisecond), c.summary())
}

// failover is two replicas, A the leader and B the standby, each with a
// sender posting to it, and a collector querying a source.
type failover struct {
	svy      *cxv1alpha1.Survey
	a, b     *replica
	leaderA  string // A's identity in the Lease
	lease    *leaseLog
	src      *probeSource
	toA, toB *sender
	stopSend chan struct{}
	sending  sync.WaitGroup
}

// newFailover starts A, waits until it leads and collects, starts B, and
// starts the senders.
func newFailover(t *testing.T, s failoverSettings) *failover {
	g := NewWithT(t)
	ns, svy, token := newSurvey(t)
	c := &failover{svy: svy, src: newProbeSource(t), lease: watchLease(t, ns), stopSend: make(chan struct{})}
	g.Expect(k8s.Create(context.Background(), &cxv1alpha1.Touchpoint{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "probed"},
		Spec: cxv1alpha1.TouchpointSpec{Stage: cxv1alpha1.StageSupport, Collectors: []cxv1alpha1.Collector{{
			Name: "probe", Metric: "probe_value", Unit: cxv1alpha1.UnitCount,
			Interval: &metav1.Duration{Duration: collectorInterval}, Timeout: &metav1.Duration{Duration: 5 * time.Second},
			HTTP: &cxv1alpha1.HTTPSource{URL: c.src.srv.URL, JSONPath: "{.value}"},
		}}},
	})).To(Succeed())

	c.a = startReplica(t, ns, s)
	c.leaderA = c.lease.wait(t, 30*time.Second, func(r leaseRecord) bool { return r.holder != "" }).holder
	g.Eventually(func() int { return len(c.src.snapshot()) }).WithTimeout(30*time.Second).Should(BeNumerically(">=", 1), "the leader collects")
	c.b = startReplica(t, ns, s)
	for _, r := range []*replica{c.a, c.b} {
		g.Eventually(r.readyz).WithTimeout(30*time.Second).Should(Equal(http.StatusOK), "replica ready")
	}

	path := receive.PathOf(ns, svy.Name)
	c.toA = &sender{name: "a", urls: []string{c.a.url, c.b.url}, path: path, token: token}
	c.toB = &sender{name: "b", urls: []string{c.b.url, c.a.url}, path: path, token: token}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	for _, sd := range []*sender{c.toA, c.toB} {
		c.sending.Go(func() { sd.run(ctx, c.stopSend) })
	}
	t.Cleanup(func() { c.stopSenders(); cancel() })
	// The standby runs as such for as long as the senders warm up: a
	// standby that collected would query the source meanwhile (a new
	// collector runs within a second).
	for _, sd := range []*sender{c.toA, c.toB} {
		g.Eventually(sd.acked).WithTimeout(30*time.Second).Should(BeNumerically(">=", 20), "sender %s", sd.name)
	}
	g.Expect(c.lease.last().holder).To(Equal(c.leaderA), "A leads")
	return c
}

// takenOver matches a Lease record of a new leader acquired after t.
func (c *failover) takenOver(t time.Time) func(leaseRecord) bool {
	return func(r leaseRecord) bool { return r.holder != "" && r.holder != c.leaderA && !r.acquired.Before(t) }
}

func (c *failover) stopSenders() {
	select {
	case <-c.stopSend:
	default:
		close(c.stopSend)
	}
	c.sending.Wait()
}

// expectOneCollectorAtATime waits until the new leader, which took the
// Lease at taken, has queried the source twice, one interval apart: an old
// leader still collecting would have queried meanwhile on the same slots
// (a slot is a hash of the Touchpoint's name). Then it checks that the
// queries came from one replica at a time: each replica has its own
// connections (its own HTTP transport, kept alive between runs), so in
// time order a connection never queries again once another one has, and
// the connections used after the takeover are not the old leader's. It
// returns the gap between the old leader's last query and the new
// leader's first.
func (c *failover) expectOneCollectorAtATime(t *testing.T, taken time.Time) time.Duration {
	g := NewWithT(t)
	after := func() []query {
		return slices.DeleteFunc(c.src.snapshot(), func(q query) bool { return q.at.Before(taken) })
	}
	g.Eventually(func() int { return len(after()) }).WithTimeout(2*collectorInterval+10*time.Second).
		Should(BeNumerically(">=", 2), "the new leader collects")
	qs := c.src.snapshot()
	done := map[string]bool{}
	for i, q := range qs {
		if i > 0 && q.conn != qs[i-1].conn {
			done[qs[i-1].conn] = true
		}
		g.Expect(done[q.conn]).To(BeFalse(), "connection %s queried again after another one: two replicas collected at once (queries %v)", q.conn, qs)
	}
	before := slices.DeleteFunc(slices.Clone(qs), func(q query) bool { return !q.at.Before(taken) })
	g.Expect(before).NotTo(BeEmpty())
	old := map[string]bool{}
	for _, q := range before {
		old[q.conn] = true
	}
	for _, q := range after() {
		g.Expect(old[q.conn]).To(BeFalse(), "the old leader queried after the takeover")
	}
	return after()[0].at.Sub(before[len(before)-1].at)
}

// expectExactlyOnce stops the senders and checks that every response they
// sent was acknowledged, and is counted once in the ResponseTallies.
func (c *failover) expectExactlyOnce(t *testing.T) {
	g := NewWithT(t)
	c.stopSenders()
	var sent, acked int
	var expected [11]int64
	for _, sd := range []*sender{c.toA, c.toB} {
		sd.mu.Lock()
		g.Expect(sd.unexpected).To(BeEmpty(), "sender %s", sd.name)
		sent += sd.sent
		acked += sd.accepted + sd.duplicates
		for v, n := range sd.expected {
			expected[v] += n
		}
		sd.mu.Unlock()
	}
	g.Expect(acked).To(Equal(sent), "responses acknowledged")
	n, per := durableCounts(g, c.svy)
	g.Expect(n).To(Equal(int64(sent)), "durable responses")
	g.Expect(per).To(Equal(expected), "durable responses per score")
	g.Expect(c.b.readyz()).To(Equal(http.StatusOK), "the surviving replica is ready")
	// The survivor kept receiving: its sender met no error at all.
	g.Expect(c.toB.connectionErrors(c.b.url, time.Time{}, time.Now())).To(BeZero())
}

func (c *failover) summary() string {
	return c.toA.summary() + "; " + c.toB.summary()
}

// replica is one operator process, run by controllers.Run as main runs
// it.
type replica struct {
	opts   controllers.RunOptions
	url    string // the receiver
	probes string // /healthz and /readyz
	api    *apiLink
	stop   context.CancelFunc // SIGTERM
	done   chan struct{}
	exited time.Time
	err    error
}

func startReplica(t *testing.T, ns string, s failoverSettings) *replica {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	probes := freeAddr(t)
	o := controllers.DefaultRunOptions()
	o.MetricsBindAddress = "0"
	o.HealthProbeBindAddress = probes
	o.SkipControllerNameValidation = true
	o.LeaderElection.Enabled = true
	o.LeaderElection.Namespace = ns
	o.LeaderElection.LeaseDuration, o.LeaderElection.RenewDeadline, o.LeaderElection.RetryPeriod = s.lease, s.renew, s.retry
	o.Receiver.Listener = ln
	o.Receiver.ShutdownDelay = s.delay
	o.Receiver.StatusInterval = 100 * time.Millisecond
	o.Receiver.CommitTimeout = 3 * time.Second
	r := &replica{opts: o, url: "http://" + ln.Addr().String(), probes: "http://" + probes, api: &apiLink{}, done: make(chan struct{})}
	rc := rest.CopyConfig(cfg)
	rc.Dial = r.api.dial
	ctx, cancel := context.WithCancel(context.Background())
	r.stop = cancel
	go func() {
		defer close(r.done)
		r.err = controllers.Run(ctx, rc, o)
		r.exited = time.Now()
	}()
	t.Cleanup(func() { cancel(); <-r.done })
	return r
}

// readyz is the status of the replica's readiness probe (0 when it does
// not answer).
func (r *replica) readyz() int {
	resp, err := http.Get(r.probes + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// apiLink is a replica's connection to the API server, which a test cuts
// as a crash or a partition does: its connections close, new ones are
// refused.
type apiLink struct {
	mu    sync.Mutex
	cut   bool
	conns []net.Conn
}

func (l *apiLink) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cut {
		return nil, fmt.Errorf("dial %s: the test cut this replica off from the API server", addr)
	}
	conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err == nil {
		l.conns = append(l.conns, conn)
	}
	return conn, err
}

func (l *apiLink) sever() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cut = true
	for _, c := range l.conns {
		c.Close()
	}
}

// leaseLog records every version of the Lease, watched from the API
// server.
type leaseLog struct {
	mu      sync.Mutex
	records []leaseRecord
}

// leaseRecord is one version of the Lease. Its times are written by the
// replicas, which run in this process: they read on the test's clock.
type leaseRecord struct {
	holder            string
	acquired, renewed time.Time
}

func watchLease(t *testing.T, ns string) *leaseLog {
	wc, err := client.NewWithWatch(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &leaseLog{}
	w, err := wc.Watch(ctx, &coordinationv1.LeaseList{}, client.InNamespace(ns))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.ResultChan() {
			lease, ok := ev.Object.(*coordinationv1.Lease)
			if !ok || lease.Name != controllers.DefaultLeaderElectionID {
				continue
			}
			r := leaseRecord{}
			if lease.Spec.HolderIdentity != nil {
				r.holder = *lease.Spec.HolderIdentity
			}
			if lease.Spec.AcquireTime != nil {
				r.acquired = lease.Spec.AcquireTime.Time
			}
			if lease.Spec.RenewTime != nil {
				r.renewed = lease.Spec.RenewTime.Time
			}
			l.mu.Lock()
			l.records = append(l.records, r)
			l.mu.Unlock()
		}
	}()
	t.Cleanup(func() { cancel(); w.Stop(); <-done })
	return l
}

func (l *leaseLog) last() leaseRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.records) == 0 {
		return leaseRecord{}
	}
	return l.records[len(l.records)-1]
}

// since returns the records that match, renewed at or after t.
func (l *leaseLog) since(t time.Time, match func(leaseRecord) bool) []leaseRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []leaseRecord
	for _, r := range l.records {
		if !r.renewed.Before(t) && match(r) {
			out = append(out, r)
		}
	}
	return out
}

// wait returns the first record that matches, waiting up to timeout.
func (l *leaseLog) wait(t *testing.T, timeout time.Duration, match func(leaseRecord) bool) leaseRecord {
	t.Helper()
	var found leaseRecord
	NewWithT(t).Eventually(func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		i := slices.IndexFunc(l.records, match)
		if i >= 0 {
			found = l.records[i]
		}
		return i >= 0
	}).WithTimeout(timeout).WithPolling(10*time.Millisecond).Should(BeTrue(), "Lease records: %v", l.records)
	return found
}

// probeSource is the collector's source: a JSON document, and the time and
// client connection of every query.
type probeSource struct {
	srv     *httptest.Server
	mu      sync.Mutex
	queries []query
}

type query struct {
	at   time.Time
	conn string // the client's address: one per connection
}

func newProbeSource(t *testing.T) *probeSource {
	p := &probeSource{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.queries = append(p.queries, query{at: time.Now(), conn: r.RemoteAddr})
		p.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"value": 7}`)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *probeSource) snapshot() []query {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.queries)
}

// sender posts one response every 50 to 100 ms, as a survey tool does,
// and retries it until it is acknowledged: after a connection error at the
// next receiver (as a Service does once a replica left its endpoints),
// after a 503 or 429 at the same one 100 ms later.
type sender struct {
	name, path, token string
	urls              []string

	mu                   sync.Mutex
	tries                []try
	sent                 int
	accepted, duplicates int
	expected             [11]int64
	unexpected           []string
}

// try is one post.
type try struct {
	url        string
	start, end time.Time
	code       int  // 0: connection error
	closed     bool // the answer asked to close the connection
}

func (s *sender) run(ctx context.Context, stop <-chan struct{}) {
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
	target := 0
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		case <-time.After(50*time.Millisecond + rand.N(50*time.Millisecond)):
		}
		score := n % 11
		body := fmt.Sprintf(`{"id":"%s-%d","score":%d}`, s.name, n, score)
		s.mu.Lock()
		s.sent++
		s.expected[score]++
		s.mu.Unlock()
		for ctx.Err() == nil {
			tr, accepted, duplicates, problem := post(hc, s.urls[target], s.path, s.token, body)
			s.mu.Lock()
			s.tries = append(s.tries, tr)
			s.accepted += accepted
			s.duplicates += duplicates
			if problem != "" {
				s.unexpected = append(s.unexpected, problem)
			}
			s.mu.Unlock()
			if tr.code == http.StatusOK || problem != "" {
				break
			}
			if tr.code == 0 {
				target = (target + 1) % len(s.urls)
				continue
			}
			time.Sleep(100 * time.Millisecond) // the Retry-After of a 503 or 429, shortened
		}
	}
}

// post sends one response; problem describes an answer a sender should
// never get.
func post(hc *http.Client, base, path, token, body string) (tr try, accepted, duplicates int, problem string) {
	tr = try{url: base, start: time.Now()}
	req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	tr.end = time.Now()
	if err != nil {
		return tr, 0, 0, ""
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	tr.code, tr.closed = resp.StatusCode, resp.Close
	switch resp.StatusCode {
	case http.StatusOK:
		var out struct{ Accepted, Duplicates int }
		if err := json.Unmarshal(data, &out); err != nil || out.Accepted+out.Duplicates != 1 {
			return tr, 0, 0, fmt.Sprintf("acknowledgement does not account for the response: %s", data)
		}
		return tr, out.Accepted, out.Duplicates, ""
	case http.StatusServiceUnavailable, http.StatusTooManyRequests:
		if resp.Header.Get("Retry-After") == "" {
			return tr, 0, 0, fmt.Sprintf("%d without Retry-After", resp.StatusCode)
		}
		return tr, 0, 0, ""
	default:
		return tr, 0, 0, fmt.Sprintf("unexpected answer %d: %s", resp.StatusCode, data)
	}
}

func (s *sender) acked() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted + s.duplicates
}

// triesTo returns the posts to url that ended in [from, to).
func (s *sender) triesTo(url string, from, to time.Time) []try {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []try
	for _, tr := range s.tries {
		if tr.url == url && !tr.end.Before(from) && tr.end.Before(to) {
			out = append(out, tr)
		}
	}
	return out
}

func (s *sender) connectionErrors(url string, from, to time.Time) int {
	n := 0
	for _, tr := range s.triesTo(url, from, to) {
		if tr.code == 0 {
			n++
		}
	}
	return n
}

func (s *sender) summary() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	codes := map[int]int{}
	for _, tr := range s.tries {
		codes[tr.code]++
	}
	return fmt.Sprintf("%s: %d responses, answers %v (0: connection error)", s.name, s.sent, codes)
}
