package receive_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/controllers"
	"github.com/touchstone-dev/touchstone/internal/receive"
	"github.com/touchstone-dev/touchstone/internal/stats"
	"github.com/touchstone-dev/touchstone/internal/survey"
	"github.com/touchstone-dev/touchstone/internal/testenv"
)

// clock is a clock the benchmark moves forward: the receiver and the
// compactor read it, so that tallies become quiet (the default 48h
// deduplication window passes) without waiting two days. Everything else,
// the API server and the Survey controller included, keeps real time.
type clock struct{ offset atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) advance(d time.Duration) { c.offset.Add(int64(d)) }

// storageState is what the benchmark prints before and after compaction.
type storageState struct {
	objects      int
	bytes        int64
	bytesPerDay  map[string]int64
	rss, rssFree int64 // bytes: as is, and after a GC that returns free memory to the OS
	heap         uint64
	ids          int64
	recompute    time.Duration
	summary      string
}

// BenchmarkTallyStorage posts a million responses (fewer for a short
// $TOUCHSTONE_BENCH_DURATION: 1,000,000 × duration/60s) to one Survey, spread
// unevenly over 10 UTC days (day k of 0..9 gets (k+1)/55 of them) with 20
// values of one segment, by 64 clients posting batches of 100, then lets
// the deduplication window pass (on the receiver's and the compactor's
// clock) and compacts. It prints, before and after: ResponseTally
// objects, their bytes as stored (the JSON the API server returns, managed
// fields included), the process's RSS (operator and load generator), the
// receiver's remembered ids, and the Survey controller's recompute time
// (list from the cache and summarize). Run it with -benchtime=1x.
func BenchmarkTallyStorage(b *testing.B) {
	d := benchDuration(b)
	total := int(1_000_000 * min(1, d.Seconds()/60))
	const clients, batch, days, values = 64, 100, 10, 20
	for range b.N {
		cp, err := testenv.NewControlPlaneCPU(env)
		if err != nil {
			b.Fatal(err)
		}
		clk := &clock{}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		mgr, err := ctrl.NewManager(cfg, controllers.ManagerOptions(ctrl.Options{
			Scheme: scheme, Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0",
			Controller: controllerConfig(),
		}))
		if err != nil {
			b.Fatal(err)
		}
		store := &receive.APIStore{Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), Now: clk.Now}
		o := controllers.DefaultOptions()
		o.Receiver.Listener = ln
		o.Receiver.Store = store
		o.Receiver.CompactionInterval = 0 // compacted below, when the clock has moved
		if err := controllers.Setup(mgr, o); err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = mgr.Start(ctx) }()

		ns, svy, token := newSegmentedSurvey(b)
		addr := ln.Addr().String()
		hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
		s := &retrySender{t: b, url: "http://" + addr + receive.PathOf(ns, svy.Name), token: token, hc: hc}
		today := stats.DayOf(time.Now())
		empty := measureStorage(b, mgr.GetClient(), store, svy)

		// Post: response i goes to day dayOf(i), weighted 1..10.
		dayOf := func(i int) stats.Day {
			pos := int(mix(uint64(i)) % 55)
			for k := range days {
				if pos -= k + 1; pos < 0 {
					return today - stats.Day(days-1-k)
				}
			}
			return today
		}
		var next, acked atomic.Int64
		start := time.Now()
		api0, etcd0, _ := cp.Used()
		var wg sync.WaitGroup
		for range clients {
			wg.Go(func() {
				for {
					first := int(next.Add(batch)) - batch
					if first >= total {
						return
					}
					accepted, duplicates := s.post(spreadBatch(first, min(batch, total-first), values, dayOf))
					acked.Add(int64(accepted + duplicates))
				}
			})
		}
		wg.Wait()
		posting := time.Since(start)
		api1, etcd1, _ := cp.Used()
		if acked.Load() != int64(total) {
			b.Fatalf("%d of %d responses acknowledged", acked.Load(), total)
		}
		waitForStatus(b, svy, int64(total))
		before := measureStorage(b, mgr.GetClient(), store, svy)

		// The window passes: the receiver forgets every id, the compactor
		// merges every day.
		clk.advance(svy.Spec.Receiver.DeduplicationWindowOrDefault() + 2*time.Second)
		store.Sweep(clk.Now())
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		idHeap := int64(before.heap) - int64(ms.HeapAlloc)
		compactor := &controllers.TallyCompactor{Client: mgr.GetClient(), Now: clk.Now}
		start = time.Now()
		var res controllers.CompactionResult
		for pass := 0; ; pass++ {
			r, err := compactor.CompactSurvey(context.Background(), svy)
			if err != nil {
				b.Fatal(err)
			}
			res.Sealed, res.Merged, res.Deleted = res.Sealed+r.Sealed, res.Merged+r.Merged, res.Deleted+r.Deleted
			if n := len(apiObjects(b, svy)); n == days && compactedAll(b, svy) {
				break
			}
			if pass > 50 {
				b.Fatalf("not compacted after %d passes", pass)
			}
			waitCache(b, mgr.GetClient(), svy)
		}
		compaction := time.Since(start)
		api2, etcd2, _ := cp.Used()
		waitCache(b, mgr.GetClient(), svy)
		after := measureStorage(b, mgr.GetClient(), store, svy)
		if after.summary != before.summary {
			b.Fatalf("compaction changed what the Survey reports:\nbefore %s\nafter  %s", before.summary, after.summary)
		}
		waitForStatus(b, svy, int64(total))
		cancel()
		<-done

		report(total, posting, res, empty, before, after)
		fmt.Printf("  the receiver's ids took %.1f MiB of heap (%.1f bytes per id), freed once the window passed\n",
			float64(idHeap)/(1<<20), float64(idHeap)/float64(max(before.ids, 1)))
		b.ReportMetric(float64(before.objects), "objects_before")
		b.ReportMetric(float64(after.objects), "objects_after")
		b.ReportMetric(float64(after.bytes)/days, "bytes/day_after")
		b.ReportMetric(float64(after.rssFree-empty.rssFree)/(1<<20), "rss_growth_MiB")
		fmt.Printf("  posting: %.0f responses/s; API server %.0f ms and etcd %.0f ms of CPU per 1,000 responses\n",
			float64(total)/posting.Seconds(), perThousand(api1-api0, total), perThousand(etcd1-etcd0, total))
		fmt.Printf("  compaction: %s, API server %.0f ms and etcd %.0f ms of CPU\n\n",
			compaction.Round(time.Millisecond), float64((api2 - api1).Milliseconds()), float64((etcd2 - etcd1).Milliseconds()))
	}
}

func perThousand(c time.Duration, n int) float64 {
	return float64(c.Milliseconds()) * 1000 / float64(n)
}

// mix is SplitMix64's finaliser: day, score and segment value of a
// response are drawn from independent bits of mix(i), so that every day
// sees every score and value.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// spreadBatch renders n responses from the first-th: day dayOf(i), score
// and plan value from mix(i).
func spreadBatch(first, n, values int, dayOf func(int) stats.Day) string {
	now := time.Now()
	var b strings.Builder
	b.WriteString(`{"responses":[`)
	for i := first; i < first+n; i++ {
		if i > first {
			b.WriteByte(',')
		}
		at := dayOf(i).Start().Add(12 * time.Hour)
		if at.After(now) {
			at = now.Add(-time.Minute)
		}
		h := mix(uint64(i))
		fmt.Fprintf(&b, `{"id":"r%d","score":%d,"submittedAt":%q,"segments":{"plan":"p%d"}}`,
			i, (h>>16)%11, at.UTC().Format(time.RFC3339), (h>>32)%uint64(values))
	}
	b.WriteString(`]}`)
	return b.String()
}

// measureStorage reads the storage of a Survey: its tallies as the API
// server returns them, the process's memory, the receiver's ids and the
// time the Survey controller takes to sum them from its cache.
func measureStorage(b *testing.B, cached client.Client, store *receive.APIStore, svy *cxv1alpha1.Survey) storageState {
	st := storageState{bytesPerDay: map[string]int64{}}
	for _, u := range apiObjects(b, svy) {
		data, err := json.Marshal(u.Object)
		if err != nil {
			b.Fatal(err)
		}
		st.objects++
		st.bytes += int64(len(data))
		day, _, _ := unstructured.NestedString(u.Object, "day")
		st.bytesPerDay[day] += int64(len(data))
		if dir := os.Getenv("TOUCHSTONE_BENCH_DUMP"); dir != "" {
			_ = os.WriteFile(dir+"/"+u.GetName()+".json", data, 0o644)
		}
	}
	st.ids = store.RememberedIDs()
	st.rss = rss(b)
	runtime.GC()
	debug.FreeOSMemory()
	st.rssFree = rss(b)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st.heap = ms.HeapAlloc
	// The Survey controller's recompute: list from the cache, summarize.
	var times []time.Duration
	for range 21 {
		start := time.Now()
		var list cxv1alpha1.ResponseTallyList
		if err := cached.List(context.Background(), &list, client.InNamespace(svy.Namespace),
			client.MatchingFields{"surveyUID": string(svy.UID)}); err != nil {
			b.Fatal(err)
		}
		sum, err := survey.Summarize(&svy.Spec, string(svy.UID), list.Items, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
		var status cxv1alpha1.SurveyStatus
		sum.ApplyTo(&svy.Spec, &status)
		st.summary = published(&status)
	}
	slices.Sort(times)
	st.recompute = times[len(times)/2]
	return st
}

// apiObjects lists the Survey's tallies from the API server, as stored.
func apiObjects(b *testing.B, svy *cxv1alpha1.Survey) []unstructured.Unstructured {
	var list unstructured.UnstructuredList
	list.SetGroupVersionKind(cxv1alpha1.GroupVersion.WithKind("ResponseTallyList"))
	if err := k8s.List(context.Background(), &list, client.InNamespace(svy.Namespace),
		client.MatchingLabels{cxv1alpha1.LabelSurveyUID: string(svy.UID)}); err != nil {
		b.Fatal(err)
	}
	return list.Items
}

// compactedAll reports whether every tally of the Survey is compacted and
// supersedes nothing.
func compactedAll(b *testing.B, svy *cxv1alpha1.Survey) bool {
	for _, u := range apiObjects(b, svy) {
		state, _, _ := unstructured.NestedString(u.Object, "state")
		sup, _, _ := unstructured.NestedSlice(u.Object, "supersedes")
		if state != string(cxv1alpha1.TallyCompacted) || len(sup) > 0 {
			return false
		}
	}
	return true
}

// waitCache waits until the cache holds the tallies the API server holds.
func waitCache(b *testing.B, cached client.Client, svy *cxv1alpha1.Survey) {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		var list cxv1alpha1.ResponseTallyList
		if err := cached.List(context.Background(), &list, client.InNamespace(svy.Namespace)); err != nil {
			b.Fatal(err)
		}
		want := map[string]string{}
		for _, u := range apiObjects(b, svy) {
			want[u.GetName()] = u.GetResourceVersion()
		}
		got := map[string]string{}
		for _, t := range list.Items {
			got[t.Name] = t.ResourceVersion
		}
		if fmt.Sprint(got) == fmt.Sprint(want) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.Fatal("the cache did not catch up with the API server within a minute")
}

// waitForStatus waits until the Survey's status counts n responses.
func waitForStatus(b *testing.B, svy *cxv1alpha1.Survey, n int64) {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(svy), svy); err != nil {
			b.Fatal(err)
		}
		if svy.Status.Responses == n {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Fatalf("status counts %d responses, want %d", svy.Status.Responses, n)
}

// rss is the resident set size of this process (the operator and the
// load), from /proc/self/status.
func rss(b *testing.B) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb << 10
		}
	}
	b.Fatal("no VmRSS in /proc/self/status")
	return 0
}

func report(total int, posting time.Duration, res controllers.CompactionResult, empty, before, after storageState) {
	mib := func(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
	fmt.Printf("\ntally storage: %d responses to one Survey over 10 UTC days, 20 segment values, posted in %s by 64 clients (batches of 100)\n",
		total, posting.Round(time.Millisecond))
	fmt.Printf("  %-44s %16s %16s\n", "", "before compaction", "after compaction")
	row := func(name, a, c string) { fmt.Printf("  %-44s %16s %16s\n", name, a, c) }
	row("ResponseTally objects", strconv.Itoa(before.objects), strconv.Itoa(after.objects))
	row("bytes as stored (JSON, managed fields in)", mib(before.bytes), fmt.Sprintf("%.1f KiB", float64(after.bytes)/1024))
	minDay, maxDay := int64(1<<62), int64(0)
	for _, n := range after.bytesPerDay {
		minDay, maxDay = min(minDay, n), max(maxDay, n)
	}
	row("bytes per survey-day (after: least..most)", fmt.Sprintf("%d", before.bytes/10), fmt.Sprintf("%d..%d", minDay, maxDay))
	row("responses per survey-day (least..most)", "", fmt.Sprintf("%d..%d", total/55, total*10/55))
	row("RSS growth since the empty survey", mib(before.rss-empty.rss), mib(after.rss-empty.rss))
	row("  after a GC returning free memory", mib(before.rssFree-empty.rssFree), mib(after.rssFree-empty.rssFree))
	row("Go heap growth (after a GC)", mib(int64(before.heap)-int64(empty.heap)), mib(int64(after.heap)-int64(empty.heap)))
	row("receiver's remembered ids", strconv.FormatInt(before.ids, 10), strconv.FormatInt(after.ids, 10))
	row("Survey controller recompute (median of 21)", before.recompute.Round(time.Microsecond).String(), after.recompute.Round(time.Microsecond).String())
	fmt.Printf("  compaction: %d tallies sealed, %d merged, %d deleted\n", res.Sealed, res.Merged, res.Deleted)
}
