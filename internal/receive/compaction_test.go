package receive_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/controllers"
	"github.com/touchstone-dev/touchstone/internal/receive"
	"github.com/touchstone-dev/touchstone/internal/stats"
	"github.com/touchstone-dev/touchstone/internal/survey"
	"github.com/touchstone-dev/touchstone/internal/testenv"
)

// These tests run compaction against the real API server, with a short
// deduplication window (ReceiverOptions.DeduplicationWindowOverride: the
// CRD's minimum is 1h) so that tallies become quiet in seconds.

// newSegmentedSurvey is newSurvey with a segment "plan" of up to 20
// values.
func newSegmentedSurvey(t testing.TB) (string, *cxv1alpha1.Survey, string) {
	ctx := context.Background()
	g := NewWithT(t)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "compact-"}}
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
			Segments:      []cxv1alpha1.SurveySegment{{Name: "plan"}},
			Receiver:      cxv1alpha1.SurveyReceiver{BearerTokenSecretRef: &cxv1alpha1.SecretKeyRef{Name: "receiver", Key: "token"}},
		},
	}
	g.Expect(k8s.Create(ctx, svy)).To(Succeed())
	return ns.Name, svy, token
}

// retrySender posts batches to one Survey and retries each until it is
// acknowledged.
type retrySender struct {
	t     testing.TB
	url   string
	token string
	hc    *http.Client
}

func newRetrySender(t testing.TB, addr, ns string, svy *cxv1alpha1.Survey, token string) *retrySender {
	return &retrySender{t: t, url: "http://" + addr + receive.PathOf(ns, svy.Name), token: token, hc: &http.Client{Timeout: 10 * time.Second}}
}

// post sends body until it is acknowledged and returns the answer.
func (s *retrySender) post(body string) (accepted, duplicates int) {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest(http.MethodPost, s.url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+s.token)
		resp, err := s.hc.Do(req)
		if err != nil {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK:
			var out struct{ Accepted, Duplicates int }
			if err := json.Unmarshal(data, &out); err != nil {
				s.t.Errorf("answer %s: %v", data, err)
			}
			return out.Accepted, out.Duplicates
		case http.StatusServiceUnavailable, http.StatusTooManyRequests, http.StatusNotFound:
			// Not stored (or the cache has not seen the Survey yet): retry.
			time.Sleep(50 * time.Millisecond)
		default:
			s.t.Errorf("unexpected answer %d: %s", resp.StatusCode, data)
			return 0, 0
		}
	}
	s.t.Errorf("no acknowledgement within a minute")
	return 0, 0
}

// responses renders the responses first..first+n-1 of one day as a batch:
// id "<prefix>-<i>", score i%11, plan "p<i%20>", submitted at day's noon
// (or now for today).
func responses(prefix string, day stats.Day, first, n int) string {
	at := day.Start().Add(12 * time.Hour)
	if now := time.Now(); at.After(now) {
		at = now.Add(-time.Second)
	}
	var b strings.Builder
	b.WriteString(`{"responses":[`)
	for i := first; i < first+n; i++ {
		if i > first {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"%s-%d","score":%d,"submittedAt":%q,"segments":{"plan":"p%d"}}`, prefix, i, i%11, at.UTC().Format(time.RFC3339), i%20)
	}
	b.WriteString(`]}`)
	return b.String()
}

// apiTallies lists the Survey's tallies straight from the API server: each
// list is a state the server held.
func apiTallies(g Gomega, svy *cxv1alpha1.Survey) []cxv1alpha1.ResponseTally {
	var list cxv1alpha1.ResponseTallyList
	g.Expect(k8s.List(context.Background(), &list, client.InNamespace(svy.Namespace),
		client.MatchingLabels{cxv1alpha1.LabelSurveyUID: string(svy.UID)})).To(Succeed())
	return list.Items
}

// summary is what a reader computes from tallies, rendered for comparison.
func summary(g Gomega, svy *cxv1alpha1.Survey, tallies []cxv1alpha1.ResponseTally) string {
	s, err := survey.Summarize(&svy.Spec, string(svy.UID), tallies, time.Now())
	g.Expect(err).NotTo(HaveOccurred())
	var st cxv1alpha1.SurveyStatus
	s.ApplyTo(&svy.Spec, &st)
	return published(&st)
}

// published renders the numbers of a Survey status (not windowStart,
// which moves at midnight, nor conditions).
func published(st *cxv1alpha1.SurveyStatus) string {
	data, _ := json.Marshal(struct {
		N                int64
		Score, MOE, Mean string
		CI               *cxv1alpha1.Interval
		NPS              *cxv1alpha1.NPSBreakdown
		Previous         *cxv1alpha1.WindowScore
		Trend            *cxv1alpha1.Trend
		Segments         []cxv1alpha1.SegmentStatus
		LastResponseTime *metav1.Time
	}{st.Responses, st.Score, st.MarginOfError, st.Mean, st.ConfidenceInterval, st.NPS, st.Previous, st.Trend, st.Segments, st.LastResponseTime})
	return string(data)
}

// watchStatus records every status of the Survey the API server sends from
// now on, and returns a function that stops and returns those that differ
// from want.
func watchStatus(t *testing.T, svy *cxv1alpha1.Survey, want string) func() []string {
	wc, err := client.NewWithWatch(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	w, err := wc.Watch(context.Background(), &cxv1alpha1.SurveyList{}, client.InNamespace(svy.Namespace))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var bad []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.ResultChan() {
			if ev.Type != watch.Modified {
				continue
			}
			s, ok := ev.Object.(*cxv1alpha1.Survey)
			if !ok || s.Name != svy.Name {
				continue
			}
			if got := published(&s.Status); got != want {
				mu.Lock()
				bad = append(bad, got)
				mu.Unlock()
			}
		}
	}()
	return func() []string {
		w.Stop()
		<-done
		mu.Lock()
		defer mu.Unlock()
		return bad
	}
}

// cancelAfter is a client whose context is cancelled right after its
// limit-th successful write: a compactor using it stops between two steps,
// as one killed there would.
type cancelAfter struct {
	client.Client
	limit  int
	writes atomic.Int32
	cancel context.CancelFunc
}

func (c *cancelAfter) count(err error) error {
	if err == nil && int(c.writes.Add(1)) >= c.limit {
		c.cancel()
	}
	return err
}

func (c *cancelAfter) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	return c.count(c.Client.Create(ctx, obj, opts...))
}

func (c *cancelAfter) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	return c.count(c.Client.Update(ctx, obj, opts...))
}

func (c *cancelAfter) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	return c.count(c.Client.Patch(ctx, obj, patch, opts...))
}

func (c *cancelAfter) Delete(ctx context.Context, obj client.Object, opts ...client.DeleteOption) error {
	return c.count(c.Client.Delete(ctx, obj, opts...))
}

// cacheCaughtUp waits until a manager's cache holds the Survey's tallies
// at the versions the API server holds.
func cacheCaughtUp(g Gomega, cached client.Client, svy *cxv1alpha1.Survey) {
	versions := func(items []cxv1alpha1.ResponseTally) map[string]string {
		m := map[string]string{}
		for _, t := range items {
			m[t.Name] = t.ResourceVersion
		}
		return m
	}
	g.Eventually(func() map[string]string {
		var list cxv1alpha1.ResponseTallyList
		g.Expect(cached.List(context.Background(), &list, client.InNamespace(svy.Namespace))).To(Succeed())
		return versions(list.Items)
	}).WithTimeout(10 * time.Second).WithPolling(20 * time.Millisecond).Should(Equal(versions(apiTallies(g, svy))))
}

// TestCompactionStoppedAtEveryStepNeverChangesTheCounts fills three days
// with several tallies each, lets them become quiet, then compacts them
// with a compactor stopped after every single write (each seal, the
// compacted tally's creation, each deletion, the final cleanup) and
// started again, while two Survey controllers read (one of them restarted
// now and then): every state the API server holds, and every status the
// controllers write, shows the same numbers.
func TestCompactionStoppedAtEveryStepNeverChangesTheCounts(t *testing.T) {
	g := NewWithT(t)
	ns, svy, token := newSegmentedSurvey(t)
	const window = 3 * time.Second
	noCompactor := func(o *controllers.Options) {
		o.Receiver.CompactionInterval = 0
		o.Receiver.DeduplicationWindowOverride = window
	}
	addr := freeAddr(t)
	reader := startOperatorWith(t, addr, false, noCompactor)
	s := newRetrySender(t, addr, ns, svy, token)

	// 2,500 responses on each of three days: with 1,000 ids per tally,
	// two sealed tallies and an open one a day.
	today := stats.DayOf(time.Now())
	const perDay = 2500
	for _, day := range []stats.Day{today - 2, today - 1, today} {
		for first := 0; first < perDay; first += 500 {
			accepted, _ := s.post(responses("r"+day.String(), day, first, 500))
			g.Expect(accepted).To(Equal(500))
		}
	}
	eventually := func(f any) AsyncAssertion {
		return g.Eventually(f).WithTimeout(30 * time.Second).WithPolling(50 * time.Millisecond)
	}
	eventually(func() int64 {
		g.Expect(k8s.Get(context.Background(), client.ObjectKeyFromObject(svy), svy)).To(Succeed())
		return svy.Status.Responses
	}).Should(Equal(int64(3 * perDay)))
	before := apiTallies(g, svy)
	g.Expect(len(before)).To(BeNumerically(">=", 9), "three tallies or more per day")
	want := summary(g, svy, before)
	g.Expect(published(&svy.Status)).To(Equal(want), "the status says what the tallies say")
	eventually(func() bool {
		for _, tl := range apiTallies(g, svy) {
			if !tl.QuietAt(time.Now(), window) {
				return false
			}
		}
		return true
	}).Should(BeTrue(), "every tally becomes quiet")
	// What the compactor will write, one write at a time: per day, the
	// seal of each tally not sealed yet, the compacted tally, the deletion
	// of each tally, and the cleanup of its list.
	wantSteps := 0
	for _, day := range []stats.Day{today - 2, today - 1, today} {
		wantSteps += 2
		for _, tl := range before {
			if tl.Day == day.String() {
				wantSteps++
				if tl.State != cxv1alpha1.TallySealed {
					wantSteps++
				}
			}
		}
	}

	// Readers: the operator's Survey controller, a second one restarted
	// every few steps, a watch on the Survey, and a poller summing what
	// the API server holds.
	stopWatch := watchStatus(t, svy, want)
	second := startOperatorWith(t, freeAddr(t), false, noCompactor)
	var polls atomic.Int64
	var pollBad atomic.Value
	pollCtx, stopPolling := context.WithCancel(context.Background())
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		for pollCtx.Err() == nil {
			pg := NewGomega(func(message string, _ ...int) { pollBad.Store(message) })
			if got := summary(pg, svy, apiTallies(pg, svy)); got != want {
				pollBad.Store(got)
			}
			polls.Add(1)
			time.Sleep(5 * time.Millisecond)
		}
	}()

	steps := 0
	for idle := 0; idle < 3; {
		ctx, cancel := context.WithCancel(context.Background())
		c := &cancelAfter{Client: reader.client, limit: 1, cancel: cancel}
		compactor := &controllers.TallyCompactor{Client: c, WindowOverride: window}
		_, err := compactor.CompactSurvey(ctx, svy)
		cancel()
		if c.writes.Load() == 0 {
			g.Expect(err).NotTo(HaveOccurred())
			idle++
		} else {
			idle = 0
			steps++
		}
		// The state the compactor stopped in counts the same.
		g.Expect(summary(g, svy, apiTallies(g, svy))).To(Equal(want), "after step %d", steps)
		if steps%5 == 4 {
			g.Expect(second.synced(context.Background())).To(BeTrue())
			second.stop()
			second = startOperatorWith(t, freeAddr(t), false, noCompactor)
		}
		cacheCaughtUp(g, reader.client, svy)
		g.Expect(steps).To(BeNumerically("<", 100), "the compaction does not finish")
	}
	stopPolling()
	<-polled
	g.Expect(pollBad.Load()).To(BeNil(), "a state of the API server counted differently")
	g.Expect(second.synced(context.Background())).To(BeTrue())
	second.stop()
	cacheCaughtUp(g, reader.client, svy)
	g.Consistently(func() string {
		g.Expect(k8s.Get(context.Background(), client.ObjectKeyFromObject(svy), svy)).To(Succeed())
		return published(&svy.Status)
	}).WithTimeout(time.Second).WithPolling(50 * time.Millisecond).Should(Equal(want))
	g.Expect(stopWatch()).To(BeEmpty(), "statuses written that differ from the one before compaction")
	t.Logf("%d steps, each followed by a restart; %d states of the API server summed meanwhile", steps, polls.Load())

	// One compacted tally per day, without ids, superseding nothing.
	after := apiTallies(g, svy)
	g.Expect(after).To(HaveLen(3))
	for _, tl := range after {
		g.Expect(tl.State).To(Equal(cxv1alpha1.TallyCompacted), tl.Name)
		g.Expect(tl.ResponseIDs).To(BeEmpty(), tl.Name)
		g.Expect(tl.Supersedes).To(BeEmpty(), tl.Name)
		g.Expect(tl.Responses).To(Equal(int64(perDay)), tl.Name)
		g.Expect(tl.Name).To(HaveSuffix("-0-compacted"))
	}
	g.Expect(steps).To(Equal(wantSteps), "one write per step, no write lost to a race")

	// kubectl shows the state.
	out := kubectl(t, "get", "rtally", "-n", ns)
	t.Logf("kubectl get rtally:\n%s", out)
	g.Expect(strings.Fields(strings.SplitN(out, "\n", 2)[0])).To(Equal([]string{"NAME", "SURVEY", "DAY", "SEQ", "STATE", "RESPONSES", "AGE"}))
	g.Expect(strings.Count(out, " Compacted ")).To(Equal(3))

	// A retry arriving after the window, of a response whose day was
	// compacted, is counted again: its id is forgotten.
	accepted, duplicates := s.post(responses("r"+(today-1).String(), today-1, 0, 1))
	g.Expect([]int{accepted, duplicates}).To(Equal([]int{1, 0}))
	eventually(func() int64 {
		g.Expect(k8s.Get(context.Background(), client.ObjectKeyFromObject(svy), svy)).To(Succeed())
		return svy.Status.Responses
	}).Should(Equal(int64(3*perDay + 1)))
	// It went into a new tally after the compacted one's sequence.
	var late, compacted *cxv1alpha1.ResponseTally
	for _, tl := range apiTallies(g, svy) {
		switch {
		case tl.State != cxv1alpha1.TallyCompacted:
			late = &tl
		case tl.Day == (today - 1).String():
			compacted = &tl
		}
	}
	g.Expect(late).NotTo(BeNil())
	g.Expect(late.Day).To(Equal((today - 1).String()))
	g.Expect(late.Sequence).To(Equal(compacted.Sequence + 1))
	g.Expect(late.State).To(Equal(cxv1alpha1.TallyOpen))
}

// kubectl runs the real kubectl against the test's API server.
func kubectl(t *testing.T, args ...string) string {
	t.Helper()
	bin, err := testenv.Kubectl()
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := testenv.AdminKubeconfig(env, kubeconfig); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, append([]string{"--kubeconfig", kubeconfig}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// TestRetriesDuringCompaction runs the operator's own compactor while
// clients post: new responses, and retries of counted ones right after
// their acknowledgement (inside the window: duplicates), while the
// tallies of an earlier day are compacted; then retries of that earlier
// day after the window, which are counted again, as documented.
func TestRetriesDuringCompaction(t *testing.T) {
	g := NewWithT(t)
	ns, svy, token := newSegmentedSurvey(t)
	const window = 5 * time.Second
	addr := freeAddr(t)
	startOperatorWith(t, addr, true, func(o *controllers.Options) {
		o.Receiver.CompactionInterval = 200 * time.Millisecond
		o.Receiver.DeduplicationWindowOverride = window
	})
	s := newRetrySender(t, addr, ns, svy, token)
	today := stats.DayOf(time.Now())
	yesterday := today - 1

	// Yesterday: 1,500 responses in three batches.
	for first := 0; first < 1500; first += 500 {
		accepted, _ := s.post(responses("y", yesterday, first, 500))
		g.Expect(accepted).To(Equal(500))
	}
	// compacted reports whether yesterday's tallies are all compacted, and
	// whether today has a compacted tally (today's first tallies, quiet
	// while the latest one takes responses).
	compacted := func() (bool, bool) {
		var sources, yesterdays, todays int
		for _, tl := range apiTallies(g, svy) {
			switch {
			case tl.State == cxv1alpha1.TallyCompacted && tl.Day == today.String():
				todays++
			case tl.Day != yesterday.String():
			case tl.State == cxv1alpha1.TallyCompacted && len(tl.Supersedes) == 0:
				yesterdays++
			default:
				sources++
			}
		}
		return yesterdays == 1 && sources == 0, todays == 1
	}

	// Today, until yesterday is compacted and so are today's first
	// tallies: 8 senders post batches of 20 new responses and retry each
	// batch once, at once.
	var posted, retried, wrongRetries atomic.Int64
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for c := range 8 {
		wg.Go(func() {
			for b := 0; ctx.Err() == nil; b++ {
				body := responses(fmt.Sprintf("t%d-%d", c, b), today, 0, 20)
				accepted, duplicates := s.post(body)
				posted.Add(int64(accepted))
				if duplicates != 0 {
					wrongRetries.Add(1)
				}
				accepted, duplicates = s.post(body)
				retried.Add(int64(duplicates))
				if accepted != 0 || duplicates != 20 {
					wrongRetries.Add(1)
				}
			}
		})
	}
	g.Eventually(func() []bool { y, t := compacted(); return []bool{y, t} }).
		WithTimeout(time.Minute).WithPolling(100 * time.Millisecond).Should(Equal([]bool{true, true}))
	stop()
	wg.Wait()
	g.Expect(wrongRetries.Load()).To(BeZero(), "retries inside the window not recognised as duplicates")
	g.Expect(retried.Load()).To(Equal(posted.Load()))
	t.Logf("today: %d responses posted and retried while yesterday was compacted", posted.Load())

	// Retries of yesterday's responses after the window are counted again.
	accepted, duplicates := s.post(responses("y", yesterday, 0, 500))
	g.Expect([]int{accepted, duplicates}).To(Equal([]int{500, 0}))
	// A second retry of those, inside the window, is a duplicate again.
	accepted, duplicates = s.post(responses("y", yesterday, 0, 500))
	g.Expect([]int{accepted, duplicates}).To(Equal([]int{0, 500}))

	want := 1500 + 500 + posted.Load()
	g.Eventually(func() int64 {
		s, err := survey.Summarize(&svy.Spec, string(svy.UID), apiTallies(g, svy), time.Now())
		g.Expect(err).NotTo(HaveOccurred())
		return s.Current.N
	}).WithTimeout(10 * time.Second).Should(Equal(want))
	g.Eventually(func() int64 {
		g.Expect(k8s.Get(context.Background(), client.ObjectKeyFromObject(svy), svy)).To(Succeed())
		return svy.Status.Responses
	}).WithTimeout(30 * time.Second).Should(Equal(want))
}

// TestTheReceiverNeverWritesATallyBeingCompacted gives the compactor a
// shorter window than the receiver (as a receiver whose clock runs behind
// would have), so that the compactor seals and merges a tally the
// receiver still takes for open: the receiver's next write conflicts (the
// tally was sealed) or finds it gone (merged and deleted), reads the lane
// again and writes a new tally. Nothing is lost or counted twice, and the
// receiver still recognises the merged ids within its own window.
func TestTheReceiverNeverWritesATallyBeingCompacted(t *testing.T) {
	g := NewWithT(t)
	ns, svy, token := newSegmentedSurvey(t)
	addr := freeAddr(t)
	op := startOperatorWith(t, addr, false, func(o *controllers.Options) {
		o.Receiver.CompactionInterval = 0
		o.Receiver.DeduplicationWindowOverride = time.Minute
	})
	s := newRetrySender(t, addr, ns, svy, token)
	today := stats.DayOf(time.Now())
	sealedDay, deletedDay := today-1, today-2
	for _, day := range []stats.Day{sealedDay, deletedDay} {
		accepted, _ := s.post(responses("a"+day.String(), day, 0, 10))
		g.Expect(accepted).To(Equal(10))
	}
	const compactorWindow = time.Second
	g.Eventually(func() bool {
		for _, tl := range apiTallies(g, svy) {
			if !tl.QuietAt(time.Now(), compactorWindow) {
				return false
			}
		}
		return true
	}).WithTimeout(10 * time.Second).Should(BeTrue())
	compact := func(limit int) {
		cacheCaughtUp(g, op.client, svy)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		c := &cancelAfter{Client: op.client, limit: limit, cancel: cancel}
		_, _ = (&controllers.TallyCompactor{Client: c, WindowOverride: compactorWindow}).CompactSurvey(ctx, svy)
	}
	tallyOf := func(day stats.Day, seq int32) *cxv1alpha1.ResponseTally {
		for _, tl := range apiTallies(g, svy) {
			if tl.Day == day.String() && tl.Sequence == seq && tl.State != cxv1alpha1.TallyCompacted {
				return &tl
			}
		}
		return nil
	}

	// The older day is compacted whole (sealed, merged, deleted, cleaned
	// up); the newer one only sealed.
	for range 4 {
		compact(1)
	}
	g.Expect(tallyOf(deletedDay, 0)).To(BeNil())
	sealed := tallyOf(sealedDay, 0)
	g.Expect(sealed).NotTo(BeNil())
	compact(1) // seal
	sealed = tallyOf(sealedDay, 0)
	g.Expect(sealed.State).To(Equal(cxv1alpha1.TallySealed))

	// New responses for both days: the receiver still holds each day's
	// first tally as open.
	for _, day := range []stats.Day{sealedDay, deletedDay} {
		accepted, duplicates := s.post(responses("b"+day.String(), day, 0, 5))
		g.Expect([]int{accepted, duplicates}).To(Equal([]int{5, 0}))
		// Retries of the first responses, within the receiver's window:
		// duplicates, compacted or not.
		accepted, duplicates = s.post(responses("a"+day.String(), day, 0, 10))
		g.Expect([]int{accepted, duplicates}).To(Equal([]int{0, 10}))
	}
	again := tallyOf(sealedDay, 0)
	g.Expect(again.ResourceVersion).To(Equal(sealed.ResourceVersion), "the sealed tally was written")
	g.Expect(again.Responses).To(Equal(int64(10)))
	for _, day := range []stats.Day{sealedDay, deletedDay} {
		next := tallyOf(day, 1)
		g.Expect(next).NotTo(BeNil(), "no new tally for %s", day)
		g.Expect(next.Responses).To(Equal(int64(5)))
	}

	// Finish: everything quiet is merged; 2 × 15 responses, once.
	g.Eventually(func() bool {
		compact(100)
		tallies := apiTallies(g, svy)
		return len(tallies) == 2 && tallies[0].State == cxv1alpha1.TallyCompacted && tallies[1].State == cxv1alpha1.TallyCompacted
	}).WithTimeout(20 * time.Second).WithPolling(200 * time.Millisecond).Should(BeTrue())
	sum, err := survey.Summarize(&svy.Spec, string(svy.UID), apiTallies(g, svy), time.Now())
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(sum.Current.N).To(Equal(int64(30)))
}
