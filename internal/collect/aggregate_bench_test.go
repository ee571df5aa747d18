package collect

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/fixtures"
)

// benchItems is how many list items one run aggregates.
const benchItems = 100_000

// benchPages serves 100,000 list items: as one page of numbers (600 KB),
// or as 10 pages of 10,000 Zendesk-like ticket objects (about 800 KB
// each, linked by {"links": {"next": ...}}), all within the default
// 1 MiB cap per page.
func benchPages(b *testing.B) (srv *httptest.Server, pages map[string][]byte) {
	b.Helper()
	pages = map[string][]byte{}
	var nums strings.Builder
	nums.WriteString(`{"values":[`)
	for i := range benchItems {
		if i > 0 {
			nums.WriteByte(',')
		}
		nums.WriteString(strconv.Itoa(i % 1000))
	}
	nums.WriteString("]}")
	pages["/numbers"] = []byte(nums.String())
	const perPage = benchItems / 10
	for p := range 10 {
		var sb strings.Builder
		sb.WriteString(`{"ticket_metrics":[`)
		for i := range perPage {
			k := p*perPage + i
			if i > 0 {
				sb.WriteByte(',')
			}
			score := "good"
			if k%7 == 0 {
				score = "bad"
			}
			fmt.Fprintf(&sb, `{"id":%d,"ticket_id":%d,"reply_time_in_minutes":{"calendar":%d,"business":%d},"score":%q}`, k, 40000+k, k%600, k%300, score)
		}
		next := "null"
		if p < 9 {
			next = fmt.Sprintf(`"/tickets/%d"`, p+2)
		}
		fmt.Fprintf(&sb, `],"links":{"next":%s}}`, next)
		pages[fmt.Sprintf("/tickets/%d", p+1)] = []byte(sb.String())
	}
	for path, body := range pages {
		if len(body) > DefaultMaxResponseBytes {
			b.Fatalf("%s is %d bytes, above the default cap", path, len(body))
		}
	}
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	b.Cleanup(srv.Close)
	return srv, pages
}

// BenchmarkAggregate100kItems aggregates 100,000 list items per run,
// through the whole HTTP collector (request, capped body, JSON decoding,
// JSONPath, CEL where/value, reduction), and reports per item: wall time
// (ns/item), process CPU time, server included (cpu-ns/item),
// allocations (allocs/item, B/item), and the ratio to decoding the same
// pages alone (x-decode), measured in the same run. Each benchmark
// iteration makes 5 runs, after one warm-up run (connections, CEL cache).
func BenchmarkAggregate100kItems(b *testing.B) {
	srv, pages := benchPages(b)
	env := newTestEnv(b, nil, EnvOptions{})
	tickets := func(agg cxv1alpha1.Aggregation, value string) cxv1alpha1.HTTPSource {
		return cxv1alpha1.HTTPSource{URL: srv.URL + "/tickets/1", JSONPath: "{.ticket_metrics[*]}", Aggregation: agg, Value: value,
			Pagination: &cxv1alpha1.Pagination{NextURL: "{.links.next}"}}
	}
	for _, bc := range []struct {
		name   string
		src    cxv1alpha1.HTTPSource
		pages  []string
		expect float64
	}{
		{"numbers-median", cxv1alpha1.HTTPSource{URL: srv.URL + "/numbers", JSONPath: "{.values[*]}",
			Aggregation: cxv1alpha1.Aggregation{Aggregate: cxv1alpha1.AggregateMedian}}, []string{"/numbers"}, 499},
		{"tickets-count", tickets(cxv1alpha1.Aggregation{Aggregate: cxv1alpha1.AggregateCount}, ""), nil, benchItems},
		{"tickets-p90-value", tickets(cxv1alpha1.Aggregation{Aggregate: cxv1alpha1.AggregateQuantile, Quantile: fixtures.Quantity("0.9")},
			"item.reply_time_in_minutes.calendar"), nil, 539},
		{"tickets-ratio-where", tickets(cxv1alpha1.Aggregation{Aggregate: cxv1alpha1.AggregateRatio, Where: "item.score == 'good'"}, ""), nil, 85714.0 / 100000},
	} {
		if bc.pages == nil {
			for p := range 10 {
				bc.pages = append(bc.pages, fmt.Sprintf("/tickets/%d", p+1))
			}
		}
		b.Run(bc.name, func(b *testing.B) {
			r := &HTTPRunner{Env: env, Namespace: testNS, Field: "spec.collectors[0].http", Source: bc.src}
			run := func() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				out, err := r.Collect(ctx)
				if err != nil || out.NoValue != "" {
					b.Fatalf("%+v, %v", out, err)
				}
				if d := out.Value - bc.expect; d > 1e-9 || d < -1e-9 {
					b.Fatalf("value %v, want %v", out.Value, bc.expect)
				}
			}
			run() // warm up
			decode := decodeBaseline(b, pages, bc.pages)
			const repeat = 5
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			cpu0 := cpuTime()
			b.ResetTimer()
			start := time.Now()
			for b.Loop() {
				for range repeat {
					run()
				}
			}
			elapsed := time.Since(start)
			b.StopTimer()
			cpu := cpuTime() - cpu0
			runtime.ReadMemStats(&after)
			items := float64(b.N * repeat * benchItems)
			perItem := float64(elapsed.Nanoseconds()) / items
			b.ReportMetric(perItem, "ns/item")
			b.ReportMetric(float64(cpu.Nanoseconds())/items, "cpu-ns/item")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/items, "allocs/item")
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/items, "B/item")
			b.ReportMetric(perItem/decode, "x-decode")
		})
	}
}

// decodeBaseline is the wall time per item of decoding the pages alone
// (decodeDocument: JSON with numbers as int64/float64), the floor of any
// collector that reads them.
func decodeBaseline(b *testing.B, pages map[string][]byte, paths []string) float64 {
	b.Helper()
	const repeat = 5
	start := time.Now()
	for range repeat {
		for _, p := range paths {
			if _, err := decodeDocument(pages[p]); err != nil {
				b.Fatal(err)
			}
		}
	}
	return float64(time.Since(start).Nanoseconds()) / float64(repeat*benchItems)
}
