package collect

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/fixtures"
	"github.com/touchstone-dev/touchstone/internal/fixtures/saas"
)

// The aggregation tests read documents shaped like the real APIs
// (internal/fixtures/saas: Zendesk, Intercom, Discourse, JSON:API) from a
// real HTTP server, with their pagination and authentication, and check
// every value against one worked by hand in a comment.

const (
	zendeskEmail = "support@larkspur.example"
	zendeskToken = "zendesk-test-token"
)

// zendeskSecrets are the Secrets of the Zendesk API token.
var zendeskSecrets = map[string]map[string]string{
	"zendesk-api": {"username": zendeskEmail + "/token", "token": zendeskToken},
}

// zendeskAuth is the basic auth of the Zendesk API token.
var zendeskAuth = &cxv1alpha1.BasicAuth{
	UsernameSecretRef: cxv1alpha1.SecretKeyRef{Name: "zendesk-api", Key: "username"},
	PasswordSecretRef: cxv1alpha1.SecretKeyRef{Name: "zendesk-api", Key: "token"},
}

// ticketsWithReplyMinutes builds Zendesk ticket metrics whose calendar
// reply times are the given minutes (business: half of them); a negative
// value is a ticket not replied to yet (null).
func ticketsWithReplyMinutes(minutes ...int64) []saas.TicketMetric {
	created := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	out := make([]saas.TicketMetric, len(minutes))
	for i, m := range minutes {
		out[i] = saas.TicketMetric{ID: int64(1000 + i), TicketID: int64(100 + i), CreatedAt: created, UpdatedAt: created,
			ReplyTimeInMinutes: saas.MinutesOf(m, m/2), Replies: 1}
	}
	return out
}

// zendeskServer serves the tickets and ratings, and records the URL of
// every request.
type zendeskServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests []*url.URL
}

func newZendesk(t *testing.T, tickets []saas.TicketMetric, ratings []saas.SatisfactionRating) *zendeskServer {
	t.Helper()
	z := &zendeskServer{}
	api := &saas.Zendesk{Email: zendeskEmail, Token: zendeskToken,
		TicketMetrics: func() []saas.TicketMetric { return append([]saas.TicketMetric(nil), tickets...) },
		Ratings:       func() []saas.SatisfactionRating { return append([]saas.SatisfactionRating(nil), ratings...) },
		Requests: func(u *url.URL) {
			z.mu.Lock()
			z.requests = append(z.requests, u)
			z.mu.Unlock()
		}}
	z.Server = httptest.NewServer(api)
	t.Cleanup(z.Close)
	return z
}

func (z *zendeskServer) seen() []*url.URL {
	z.mu.Lock()
	defer z.mu.Unlock()
	return append([]*url.URL(nil), z.requests...)
}

// ticketMetrics is an http source reading Zendesk's ticket metrics with
// cursor pagination, each ticket's calendar reply time in minutes scaled
// to seconds.
func ticketMetrics(base string, agg cxv1alpha1.Aggregate, quantile string) cxv1alpha1.HTTPSource {
	src := cxv1alpha1.HTTPSource{
		URL:         base + "/api/v2/ticket_metrics.json?page[size]=100",
		JSONPath:    "{.ticket_metrics[*]}",
		Aggregation: cxv1alpha1.Aggregation{Aggregate: agg},
		Value:       "item.reply_time_in_minutes.calendar",
		Scale:       fixtures.Quantity("60"),
		BasicAuth:   zendeskAuth,
		Pagination:  &cxv1alpha1.Pagination{NextURL: "{.links.next}", HasMore: "{.meta.has_more}"},
	}
	if quantile != "" {
		src.Quantile = fixtures.Quantity(quantile)
	}
	if agg == cxv1alpha1.AggregateCount || agg == cxv1alpha1.AggregateRatio {
		src.Value, src.Scale = "", nil
	}
	return src
}

func collectHTTP(t *testing.T, env *Env, src cxv1alpha1.HTTPSource) (Outcome, error) {
	t.Helper()
	r := &HTTPRunner{Env: env, Namespace: testNS, Field: "spec.collectors[0].http", Source: src}
	if _, err := compileHTTP(r.Field, &r.Source); err != nil {
		t.Fatalf("the source does not compile: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return r.Collect(ctx)
}

func wantValue(t *testing.T, name string, out Outcome, err error, want float64) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return
	}
	// Equal to the last bit but for one rounding (a ratio scaled to a
	// percent).
	if out.NoValue != "" || math.Abs(out.Value-want) > 1e-15*math.Abs(want) {
		t.Errorf("%s = %v (no value: %q), want %v", name, out.Value, out.NoValue, want)
	}
}

func TestHTTPAggregatesHandChecked(t *testing.T) {
	env := newTestEnv(t, zendeskSecrets, EnvOptions{})
	type tc struct {
		name     string
		agg      cxv1alpha1.Aggregate
		quantile string
		where    string
		want     float64
	}
	for _, set := range []struct {
		name    string
		minutes []int64
		cases   []tc
	}{
		{"odd count with an unreplied ticket", []int64{30, 10, 50, -1, 20, 40}, []tc{
			// The values (minutes) are 10, 20, 30, 40, 50; the unreplied
			// ticket's null is left out of every numeric aggregate.
			{"count", cxv1alpha1.AggregateCount, "", "", 6},                                                    // every ticket
			{"count replied", cxv1alpha1.AggregateCount, "", "item.reply_time_in_minutes.calendar != null", 5}, // 5 have a reply
			{"sum", cxv1alpha1.AggregateSum, "", "", 150 * 60},                                                 // 10+20+30+40+50 = 150 min
			{"mean", cxv1alpha1.AggregateMean, "", "", 30 * 60},                                                // 150/5 = 30 min
			{"min", cxv1alpha1.AggregateMin, "", "", 10 * 60},
			{"max", cxv1alpha1.AggregateMax, "", "", 50 * 60},
			{"median", cxv1alpha1.AggregateMedian, "", "", 30 * 60},    // x₍⌈2.5⌉₎ = x₍₃₎ = 30
			{"p90", cxv1alpha1.AggregateQuantile, "0.9", "", 50 * 60},  // x₍⌈4.5⌉₎ = x₍₅₎ = 50
			{"p40", cxv1alpha1.AggregateQuantile, "0.4", "", 20 * 60},  // x₍⌈2⌉₎ = x₍₂₎ = 20
			{"p41", cxv1alpha1.AggregateQuantile, "410m", "", 30 * 60}, // 0.41 as "410m": x₍⌈2.05⌉₎ = 30
			{"ratio within 30 min", cxv1alpha1.AggregateRatio, "", "item.reply_time_in_minutes.calendar != null && item.reply_time_in_minutes.calendar <= 30", 0.5}, // 3 of 6 tickets
		}},
		{"even count", []int64{40, 10, 30, 20}, []tc{
			{"median", cxv1alpha1.AggregateMedian, "", "", 20 * 60},   // x₍⌈2⌉₎ = 20, the lower middle value (not 25)
			{"p90", cxv1alpha1.AggregateQuantile, "0.9", "", 40 * 60}, // x₍⌈3.6⌉₎ = x₍₄₎ = 40
			{"p75", cxv1alpha1.AggregateQuantile, "0.75", "", 30 * 60},
			{"mean", cxv1alpha1.AggregateMean, "", "", 25 * 60},                                                // 100/4
			{"median where", cxv1alpha1.AggregateMedian, "", "item.ticket_id != 100", 20 * 60},                 // 10, 20, 30: x₍₂₎
			{"mean where", cxv1alpha1.AggregateMean, "", "item.reply_time_in_minutes.business >= 10", 30 * 60}, // business 20, 15, 10 → calendar 40, 30, 20
		}},
		{"ties", []int64{5, 7, 5, 9, 5, 7}, []tc{
			// Sorted: 5, 5, 5, 7, 7, 9.
			{"median", cxv1alpha1.AggregateMedian, "", "", 5 * 60},    // x₍₃₎
			{"p51", cxv1alpha1.AggregateQuantile, "0.51", "", 7 * 60}, // x₍⌈3.06⌉₎ = x₍₄₎
			{"p90", cxv1alpha1.AggregateQuantile, "0.9", "", 9 * 60},  // x₍⌈5.4⌉₎ = x₍₆₎
			{"min", cxv1alpha1.AggregateMin, "", "", 5 * 60},
			{"ratio of fives", cxv1alpha1.AggregateRatio, "", "item.reply_time_in_minutes.calendar == 5", 0.5}, // 3 of 6
		}},
		{"one element", []int64{42}, []tc{
			{"median", cxv1alpha1.AggregateMedian, "", "", 42 * 60},
			{"p1", cxv1alpha1.AggregateQuantile, "0.01", "", 42 * 60},
			{"p99", cxv1alpha1.AggregateQuantile, "0.99", "", 42 * 60},
			{"mean", cxv1alpha1.AggregateMean, "", "", 42 * 60},
			{"count", cxv1alpha1.AggregateCount, "", "", 1},
		}},
	} {
		z := newZendesk(t, ticketsWithReplyMinutes(set.minutes...), nil)
		for _, c := range set.cases {
			src := ticketMetrics(z.URL, c.agg, c.quantile)
			src.Where = c.where
			out, err := collectHTTP(t, env, src)
			wantValue(t, set.name+": "+c.name, out, err, c.want)
		}
	}
}

// TestHTTPRatioOfSatisfactionRatings reads CSAT as good/(good+bad) from
// Zendesk's satisfaction ratings of the last 24 hours: the received ones
// (score=received leaves out "offered" and "unoffered"), filtered by the
// time placeholders.
func TestHTTPRatioOfSatisfactionRatings(t *testing.T) {
	now := time.Now()
	var ratings []saas.SatisfactionRating
	add := func(score string, n int, age time.Duration) {
		for range n {
			ratings = append(ratings, saas.SatisfactionRating{ID: int64(len(ratings) + 1), TicketID: int64(500 + len(ratings)),
				Score: score, CreatedAt: now.Add(-age), UpdatedAt: now.Add(-age)})
		}
	}
	add("good", 7, time.Hour)
	add("bad", 2, 2*time.Hour)
	add("offered", 3, time.Hour)
	add("good", 5, 48*time.Hour) // outside the last 24h
	add("bad", 5, 30*time.Hour)  // outside too
	z := newZendesk(t, nil, ratings)
	env := newTestEnv(t, zendeskSecrets, EnvOptions{})
	src := cxv1alpha1.HTTPSource{
		URL: z.URL + "/api/v2/satisfaction_ratings.json",
		Params: []cxv1alpha1.HTTPParam{{Name: "score", Value: "received"},
			{Name: "start_time", Value: "{{ .SinceUnix }}"}, {Name: "end_time", Value: "{{.UntilUnix}}"}},
		JSONPath:    "{.satisfaction_ratings[*]}",
		Aggregation: cxv1alpha1.Aggregation{Aggregate: cxv1alpha1.AggregateRatio, Where: "item.score == 'good'"},
		BasicAuth:   zendeskAuth,
		Pagination:  &cxv1alpha1.Pagination{NextURL: "{.next_page}"},
	}
	out, err := collectHTTP(t, env, src)
	wantValue(t, "CSAT good/(good+bad), last 24h", out, err, 7.0/9.0) // 7 good of 7 + 2 received in the window
	q := z.seen()[0].Query()
	start, _ := strconv.ParseInt(q.Get("start_time"), 10, 64)
	end, _ := strconv.ParseInt(q.Get("end_time"), 10, 64)
	if end-start != 86400 || end > now.Unix()+5 || end < now.Unix()-5 || q.Get("score") != "received" {
		t.Errorf("query sent: %v; want score=received and a 24h window ending now", q)
	}

	// A window of 72h takes every rating in: 12 good of 19.
	src.Window = &metav1.Duration{Duration: 72 * time.Hour}
	out, err = collectHTTP(t, env, src)
	wantValue(t, "CSAT, last 72h", out, err, 12.0/19.0)
}

func TestHTTPPaginationAcrossPages(t *testing.T) {
	env := newTestEnv(t, zendeskSecrets, EnvOptions{})
	// 250 tickets replied in 1..250 minutes: three pages of 100, 100, 50.
	minutes := make([]int64, 250)
	for i := range minutes {
		minutes[i] = int64(250 - i) // served in reverse, so that ranking is tested
	}
	z := newZendesk(t, ticketsWithReplyMinutes(minutes...), nil)

	t.Run("cursor pagination, links.next and has_more", func(t *testing.T) {
		before := len(z.seen())
		out, err := collectHTTP(t, env, ticketMetrics(z.URL, cxv1alpha1.AggregateCount, ""))
		wantValue(t, "count over 3 pages", out, err, 250)
		if n := len(z.seen()) - before; n != 3 {
			t.Errorf("%d requests, want 3 pages", n)
		}
		out, err = collectHTTP(t, env, ticketMetrics(z.URL, cxv1alpha1.AggregateMedian, ""))
		wantValue(t, "median over 3 pages", out, err, 125*60) // x₍⌈125⌉₎ of 1..250 = 125 min
		out, err = collectHTTP(t, env, ticketMetrics(z.URL, cxv1alpha1.AggregateQuantile, "0.9"))
		wantValue(t, "p90 over 3 pages", out, err, 225*60) // x₍⌈225⌉₎ = 225 min
		if out.Warning != "" {
			t.Errorf("warning %q on a list read to its end", out.Warning)
		}
	})

	t.Run("offset pagination, next_page null on the last page", func(t *testing.T) {
		src := ticketMetrics(z.URL, cxv1alpha1.AggregateSum, "")
		src.URL = z.URL + "/api/v2/ticket_metrics.json"
		src.Pagination = &cxv1alpha1.Pagination{NextURL: "{.next_page}"}
		src.Scale = nil
		out, err := collectHTTP(t, env, src)
		wantValue(t, "sum of 1..250", out, err, 250*251/2) // 31375 minutes
	})

	t.Run("cursor parameter", func(t *testing.T) {
		src := ticketMetrics(z.URL, cxv1alpha1.AggregateMax, "")
		src.Pagination = &cxv1alpha1.Pagination{Cursor: "{.meta.after_cursor}", CursorParam: "page[after]", HasMore: "{.meta.has_more}"}
		out, err := collectHTTP(t, env, src)
		wantValue(t, "max over 3 pages", out, err, 250*60)
	})

	t.Run("Discourse, a relative more_topics_url", func(t *testing.T) {
		// 75 topics (pages of 30, 30, 15); every third has an accepted
		// answer: 25 of 75.
		topics := make([]saas.Topic, 75)
		for i := range topics {
			topics[i] = saas.Topic{ID: int64(i + 1), Title: fmt.Sprintf("Topic %d", i+1), PostsCount: 1 + i%4, HasAcceptedAnswer: i%3 == 0}
		}
		mux := http.NewServeMux()
		mux.Handle("/forum/", http.StripPrefix("/forum", &saas.Discourse{Prefix: "/forum", Topics: func() []saas.Topic { return topics }}))
		forum := httptest.NewServer(mux)
		t.Cleanup(forum.Close)
		src := cxv1alpha1.HTTPSource{
			URL: forum.URL + "/forum/latest.json", JSONPath: "{.topic_list.topics[*]}",
			Aggregation: cxv1alpha1.Aggregation{Aggregate: cxv1alpha1.AggregateRatio, Where: "item.has_accepted_answer"},
			Scale:       fixtures.Quantity("100"),
			Pagination:  &cxv1alpha1.Pagination{NextURL: "{.topic_list.more_topics_url}"},
		}
		out, err := collectHTTP(t, env, src)
		wantValue(t, "percent of topics answered", out, err, 25.0/75.0*100)
	})

	t.Run("Intercom, POST with the cursor in the body", func(t *testing.T) {
		// 45 conversations, created one a minute until 10 minutes ago;
		// the search asks for the last 24 hours, 20 a page: 3 pages. The
		// first 40 were answered in 60 + 10·i seconds, the last 5 not
		// yet (null).
		now := time.Now().Unix()
		convs := make([]saas.Conversation, 45)
		for i := range convs {
			c := saas.Conversation{Type: "conversation", ID: strconv.Itoa(9000 + i), CreatedAt: now - int64(600+60*(45-i)), State: "open", Open: true}
			c.UpdatedAt = c.CreatedAt
			c.Statistics.Type = "conversation_statistics"
			if i < 40 {
				s := int64(60 + 10*i)
				c.Statistics.TimeToAdminReply = &s
			}
			convs[i] = c
		}
		convs = append([]saas.Conversation{{Type: "conversation", ID: "old", CreatedAt: now - 3*86400}}, convs...) // outside the window
		var bodies []map[string]any
		var mu sync.Mutex
		srv := httptest.NewServer(&saas.Intercom{Token: "intercom-test-token", Conversations: func() []saas.Conversation { return convs },
			Requests: func(b map[string]any) { mu.Lock(); bodies = append(bodies, b); mu.Unlock() }})
		t.Cleanup(srv.Close)
		env := newTestEnv(t, map[string]map[string]string{"intercom": {"token": "intercom-test-token\n"}}, EnvOptions{})
		src := cxv1alpha1.HTTPSource{
			URL: srv.URL + "/conversations/search", Method: cxv1alpha1.HTTPPost,
			Body:     `{"query": {"field": "created_at", "operator": ">", "value": {{ .SinceUnix }}}, "pagination": {"per_page": 20}}`,
			JSONPath: "{.conversations[*]}", Value: "item.statistics.time_to_admin_reply",
			Aggregation:          cxv1alpha1.Aggregation{Aggregate: cxv1alpha1.AggregateMedian},
			BearerTokenSecretRef: &cxv1alpha1.SecretKeyRef{Name: "intercom", Key: "token"},
			Pagination:           &cxv1alpha1.Pagination{Cursor: "{.pages.next.starting_after}", CursorBodyField: "pagination.starting_after"},
		}
		out, err := collectHTTP(t, env, src)
		// 40 replies of 60, 70, ..., 450 s: x₍⌈20⌉₎ = x₍₂₀₎ = 60 + 10·19 = 250.
		wantValue(t, "median first reply", out, err, 250)
		if len(bodies) != 3 {
			t.Fatalf("%d requests, want 3 pages", len(bodies))
		}
		pag := bodies[2]["pagination"].(map[string]any)
		if pag["starting_after"] == nil || pag["per_page"] != float64(20) {
			t.Errorf("third page's pagination: %v", pag)
		}
		if _, ok := bodies[0]["pagination"].(map[string]any)["starting_after"]; ok {
			t.Errorf("first page sent a cursor: %v", bodies[0])
		}
	})
}

func TestHTTPPageLimit(t *testing.T) {
	env := newTestEnv(t, zendeskSecrets, EnvOptions{})
	minutes := make([]int64, 250)
	for i := range minutes {
		minutes[i] = int64(i + 1)
	}
	z := newZendesk(t, ticketsWithReplyMinutes(minutes...), nil)
	src := ticketMetrics(z.URL, cxv1alpha1.AggregateCount, "")
	src.Pagination.MaxPages = 2
	out, err := collectHTTP(t, env, src)
	wantValue(t, "count of the first 2 pages", out, err, 200)
	if want := "read 2 pages (maxPages) and more remain: the value covers those 2 pages only"; out.Warning != want {
		t.Errorf("warning %q, want %q", out.Warning, want)
	}
	// Exactly enough pages: no warning.
	src.Pagination.MaxPages = 3
	out, err = collectHTTP(t, env, src)
	wantValue(t, "count of 3 pages", out, err, 250)
	if out.Warning != "" {
		t.Errorf("warning %q with maxPages 3 for 3 pages", out.Warning)
	}
}

// pagedStub serves a list whose pages the test writes: /p/1, /p/2...,
// each linking to the next with {"next": ...}.
func pagedStub(t *testing.T, pages map[string]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := pages[r.URL.Path]
		if !ok {
			http.Error(w, `{"error":"customer secret data"}`, http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(strings.ReplaceAll(body, "$URL", "http://"+r.Host)))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestHTTPPaginationFailures(t *testing.T) {
	env := newTestEnv(t, nil, EnvOptions{})
	srv := pagedStub(t, map[string]string{
		"/p/1":        `{"items":[1,2],"next":"/p/2"}`,
		"/p/2":        `{"items":[3,4],"next":"/p/3"}`,
		"/p/3":        `{"items":[5,`, // malformed: truncated
		"/loop/1":     `{"items":[1],"next":"/loop/2"}`,
		"/loop/2":     `{"items":[2],"next":"$URL/loop/1"}`,
		"/away/1":     `{"items":[1],"next":"http://other.example/p/2"}`,
		"/status/1":   `{"items":[1],"next":"/status/2"}`,
		"/missing/1":  `{"items":[1],"next":"/missing/2","more":true}`,
		"/missing/2":  `{"items":[2],"next":"/missing/3"}`,
		"/notlist/1":  `{"items":[1],"next":{"href":"/notlist/2"}}`,
		"/badjson/1":  `{"items":[1],"next":"/badjson/2"}`,
		"/badjson/2":  `<html>customer secret data</html>`,
		"/baditem/1":  `{"items":[{"score":"good"}],"next":"/baditem/2"}`,
		"/baditem/2":  `{"items":[{"score":"good"},{"rating":3}]}`,
		"/array/1":    `{"items":[1,2,3]}`,
		"/nullonly/1": `{"items":[null,null]}`,
	})
	source := func(path string, agg cxv1alpha1.Aggregate) cxv1alpha1.HTTPSource {
		return cxv1alpha1.HTTPSource{URL: srv.URL + path, JSONPath: "{.items[*]}",
			Aggregation: cxv1alpha1.Aggregation{Aggregate: agg},
			Pagination:  &cxv1alpha1.Pagination{NextURL: "{.next}"}}
	}
	for _, tc := range []struct {
		name      string
		src       cxv1alpha1.HTTPSource
		kind      ErrorKind
		fragments []string
	}{
		{"malformed page midway", source("/p/1", cxv1alpha1.AggregateSum), ErrInvalidResponse,
			[]string{"page 3: response is not JSON (truncated document)"}},
		{"a page that is not JSON", source("/badjson/1", cxv1alpha1.AggregateSum), ErrInvalidResponse,
			[]string{"page 2: response is not JSON (syntax error at offset 1)"}},
		{"an error status midway", source("/status/1", cxv1alpha1.AggregateSum), ErrHTTPStatus,
			[]string{"page 2: GET " + srv.URL + "/status/2: 503 Service Unavailable"}},
		{"a list that loops", source("/loop/1", cxv1alpha1.AggregateSum), ErrInvalidResponse,
			[]string{"page 2: the next page is one already read (the list loops)"}},
		{"a link to another host", source("/away/1", cxv1alpha1.AggregateSum), ErrInvalidResponse,
			[]string{"page 1: the next-page link goes to another host (http://other.example); refused, so that credentials never leave"}},
		{"a link that is not a string", source("/notlist/1", cxv1alpha1.AggregateSum), ErrInvalidResponse,
			[]string{"page 1: pagination.nextURL {.next} is not a string"}},
		{"an item where fails on", func() cxv1alpha1.HTTPSource {
			s := source("/baditem/1", cxv1alpha1.AggregateRatio)
			s.Where = "item.score == 'good'"
			return s
		}(), ErrResult, []string{"page 2: item 2 of page 2: where failed: no such key: score"}},
		{"hasMore missing", func() cxv1alpha1.HTTPSource {
			s := source("/missing/1", cxv1alpha1.AggregateSum)
			s.Pagination.HasMore = "{.more}"
			return s
		}(), ErrInvalidResponse, []string{"page 2: pagination.hasMore {.more} found nothing"}},
		{"one array for the items", func() cxv1alpha1.HTTPSource {
			s := source("/array/1", cxv1alpha1.AggregateSum)
			s.JSONPath, s.Pagination = "{.items}", nil
			return s
		}(), ErrResult, []string{"JSONPath {.items} matched one array; select its items with [*], for example {.items[*]}"}},
		{"objects without value", func() cxv1alpha1.HTTPSource {
			s := source("/baditem/2", cxv1alpha1.AggregateSum)
			s.Pagination = nil
			return s
		}(), ErrResult, []string{"item 1: it is an object, not a number (set value"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := collectHTTP(t, env, tc.src)
			e := checkError(t, err, tc.kind, tc.fragments...)
			if out.Value != 0 || out.NoValue != "" {
				t.Errorf("a failed run yielded %+v", out)
			}
			for _, leak := range []string{"customer secret data"} {
				if strings.Contains(e.Message, leak) || strings.Contains(e.SafeNote(), leak) {
					t.Errorf("message %q leaks %q", e.Message, leak)
				}
			}
		})
	}
	// The CEL error (which may quote the document) stays out of the Event
	// note.
	s := source("/baditem/1", cxv1alpha1.AggregateRatio)
	s.Where = "item.score == 'good'"
	_, err := collectHTTP(t, env, s)
	if e := AsError(err); e.SafeNote() != "page 2: item 2 of page 2: where failed" {
		t.Errorf("note %q", e.SafeNote())
	}
	// Without pagination the messages name no page.
	s = source("/p/3", cxv1alpha1.AggregateSum)
	s.Pagination = nil
	_, err = collectHTTP(t, env, s)
	wantError(t, err, ErrInvalidResponse, "response is not JSON (truncated document)")
	if strings.Contains(AsError(err).Message, "page") {
		t.Errorf("message %q names a page without pagination", AsError(err).Message)
	}
}

func TestHTTPAggregatesOfNothing(t *testing.T) {
	env := newTestEnv(t, zendeskSecrets, EnvOptions{})
	empty := newZendesk(t, nil, nil)
	unreplied := newZendesk(t, ticketsWithReplyMinutes(-1, -1, -1), nil)
	for _, tc := range []struct {
		name    string
		z       *zendeskServer
		agg     cxv1alpha1.Aggregate
		where   string
		want    float64
		noValue string
	}{
		{"count of an empty list", empty, cxv1alpha1.AggregateCount, "", 0, ""},
		{"sum of an empty list", empty, cxv1alpha1.AggregateSum, "", 0, ""},
		{"median of an empty list", empty, cxv1alpha1.AggregateMedian, "", 0, "the list is empty, so the median is undefined"},
		{"mean of an empty list", empty, cxv1alpha1.AggregateMean, "", 0, "the list is empty, so the mean is undefined"},
		{"ratio of an empty list", empty, cxv1alpha1.AggregateRatio, "true", 0, "the list is empty, so the ratio is undefined"},
		{"median of nulls", unreplied, cxv1alpha1.AggregateMedian, "", 0, "none of the 3 items has a value (null or NaN), so the median is undefined"},
		{"max where nothing matches", unreplied, cxv1alpha1.AggregateMax, "item.replies > 5", 0, "none of the 3 items matches where, so the max is undefined"},
		{"ratio where nothing matches", unreplied, cxv1alpha1.AggregateRatio, "item.replies > 5", 0, ""},
	} {
		src := ticketMetrics(tc.z.URL, tc.agg, "")
		src.Where = tc.where
		out, err := collectHTTP(t, env, src)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if out.NoValue != tc.noValue || (tc.noValue == "" && out.Value != tc.want) {
			t.Errorf("%s: got %+v, want value %v, no value %q", tc.name, out, tc.want, tc.noValue)
		}
	}
	// Run (the plain Runner) reports no value as an error, never as 0.
	r := &HTTPRunner{Env: env, Namespace: testNS, Field: "spec.collectors[0].http", Source: ticketMetrics(empty.URL, cxv1alpha1.AggregateMedian, "")}
	_, err := r.Run(context.Background())
	wantError(t, err, ErrResult, "the list is empty")
}

// TestHTTPHundredThousandItems reads 100,000 numbers in one page within
// the default 1 MiB cap, and three pages of 100,000 that are 1.7 MiB
// together: the cap applies to each page.
func TestHTTPHundredThousandItems(t *testing.T) {
	var one strings.Builder
	one.WriteString(`{"values":[`)
	for i := range 100_000 {
		if i > 0 {
			one.WriteByte(',')
		}
		one.WriteString(strconv.Itoa(i))
	}
	one.WriteString(`]}`)
	doc := one.String()
	if len(doc) > DefaultMaxResponseBytes {
		t.Fatalf("the document is %d bytes, above the cap", len(doc))
	}
	pages := map[string]string{
		"/big":   doc,
		"/big/1": strings.Replace(doc, `]}`, `],"next":"/big/2"}`, 1),
		"/big/2": strings.Replace(doc, `]}`, `],"next":"/big/3"}`, 1),
		"/big/3": doc,
		"/huge":  `{"values":[` + strings.Repeat("1,", DefaultMaxResponseBytes/2) + `1]}`,
	}
	srv := pagedStub(t, pages)
	env := newTestEnv(t, nil, EnvOptions{})
	src := cxv1alpha1.HTTPSource{URL: srv.URL + "/big", JSONPath: "{.values[*]}", Aggregation: cxv1alpha1.Aggregation{Aggregate: cxv1alpha1.AggregateSum}}
	out, err := collectHTTP(t, env, src)
	wantValue(t, "sum of 0..99999", out, err, 99_999*100_000/2) // n(n−1)/2 = 4,999,950,000
	src.Aggregate = cxv1alpha1.AggregateMedian
	out, err = collectHTTP(t, env, src)
	wantValue(t, "median of 0..99999", out, err, 49_999) // x₍⌈50000⌉₎ = the 50,000th value, 49,999
	src.Aggregate, src.Quantile = cxv1alpha1.AggregateQuantile, fixtures.Quantity("0.9")
	out, err = collectHTTP(t, env, src)
	wantValue(t, "p90 of 0..99999", out, err, 89_999) // x₍⌈90000⌉₎ = 89,999

	src = cxv1alpha1.HTTPSource{URL: srv.URL + "/big/1", JSONPath: "{.values[*]}", Aggregation: cxv1alpha1.Aggregation{Aggregate: cxv1alpha1.AggregateCount},
		Pagination: &cxv1alpha1.Pagination{NextURL: "{.next}"}}
	out, err = collectHTTP(t, env, src)
	wantValue(t, "count of 3 pages of 100,000", out, err, 300_000)

	src = cxv1alpha1.HTTPSource{URL: srv.URL + "/huge", JSONPath: "{.values[*]}", Aggregation: cxv1alpha1.Aggregation{Aggregate: cxv1alpha1.AggregateCount}}
	_, err = collectHTTP(t, env, src)
	wantError(t, err, ErrInvalidResponse, fmt.Sprintf("response body exceeds %d bytes", DefaultMaxResponseBytes))
}

func TestHTTPRequestsAndCredentials(t *testing.T) {
	z := newZendesk(t, ticketsWithReplyMinutes(10, 20), nil)
	env := newTestEnv(t, zendeskSecrets, EnvOptions{})
	src := ticketMetrics(z.URL, cxv1alpha1.AggregateCount, "")
	out, err := collectHTTP(t, env, src)
	wantValue(t, "count with the API token", out, err, 2)

	// Wrong credentials: Zendesk's 401.
	bad := newTestEnv(t, map[string]map[string]string{"zendesk-api": {"username": zendeskEmail + "/token", "token": "wrong"}}, EnvOptions{})
	_, err = collectHTTP(t, bad, src)
	wantError(t, err, ErrHTTPStatus, "page 1: GET "+z.URL+"/api/v2/ticket_metrics.json: 401 Unauthorized")

	// A missing Secret key fails with its reason, naming the field.
	missing := newTestEnv(t, map[string]map[string]string{"zendesk-api": {"username": "x"}}, EnvOptions{})
	_, err = collectHTTP(t, missing, src)
	e := checkError(t, err, ErrSecret, `secret "zendesk-api" named in spec.collectors[0].http.basicAuth.passwordSecretRef has no key "token"`)
	if e.Reason != cxv1alpha1.ReasonSecretKeyNotFound {
		t.Errorf("reason %q", e.Reason)
	}

	// A bearer token and a POST body with a placeholder, to a JSON
	// number: the body reaches the server rendered.
	var got struct {
		method, auth, ctype string
		body                map[string]any
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.method, got.auth, got.ctype = r.Method, r.Header.Get("Authorization"), r.Header.Get("Content-Type")
		_ = json.NewDecoder(r.Body).Decode(&got.body)
		_, _ = w.Write([]byte(`{"data":{"tickets":{"totalCount":17}}}`))
	}))
	t.Cleanup(srv.Close)
	env = newTestEnv(t, map[string]map[string]string{"gql": {"token": "t0ken"}}, EnvOptions{})
	before := time.Now().Add(-24 * time.Hour).Unix()
	out, err = collectHTTP(t, env, cxv1alpha1.HTTPSource{URL: srv.URL + "/graphql", Method: cxv1alpha1.HTTPPost,
		Body:                 `{"query":"query($since: Int!) { tickets(since: $since) { totalCount } }","variables":{"since":{{ .SinceUnix }}}}`,
		JSONPath:             "{.data.tickets.totalCount}",
		BearerTokenSecretRef: &cxv1alpha1.SecretKeyRef{Name: "gql", Key: "token"}})
	wantValue(t, "GraphQL count", out, err, 17)
	since, _ := got.body["variables"].(map[string]any)["since"].(float64)
	if got.method != "POST" || got.auth != "Bearer t0ken" || got.ctype != "application/json" || int64(since) < before-5 || int64(since) > before+5 {
		t.Errorf("request: %s, auth %q, content type %q, since %v (want about %d)", got.method, got.auth, got.ctype, since, before)
	}
}

func TestCheckCollectors(t *testing.T) {
	spec := &cxv1alpha1.TouchpointSpec{Collectors: []cxv1alpha1.Collector{
		{Name: "ok", HTTP: &cxv1alpha1.HTTPSource{URL: "http://x", JSONPath: "{.a[*]}",
			Aggregation: cxv1alpha1.Aggregation{Aggregate: cxv1alpha1.AggregateRatio, Where: "item.score == 'good'"}}},
		{Name: "bad-where", HTTP: &cxv1alpha1.HTTPSource{URL: "http://x", JSONPath: "{.a[*]}",
			Aggregation: cxv1alpha1.Aggregation{Aggregate: cxv1alpha1.AggregateRatio, Where: "item.score == "}}},
		{Name: "where-not-bool", HTTP: &cxv1alpha1.HTTPSource{URL: "http://x", JSONPath: "{.a[*]}",
			Aggregation: cxv1alpha1.Aggregation{Aggregate: cxv1alpha1.AggregateCount, Where: "1 + 2"}}},
		{Name: "bad-value", HTTP: &cxv1alpha1.HTTPSource{URL: "http://x", JSONPath: "{.a[*]}", Value: "item.x > 1",
			Aggregation: cxv1alpha1.Aggregation{Aggregate: cxv1alpha1.AggregateSum}}},
		{Name: "bad-path", HTTP: &cxv1alpha1.HTTPSource{URL: "http://x", JSONPath: "{.a[}"}},
		{Name: "bad-placeholder", HTTP: &cxv1alpha1.HTTPSource{URL: "http://x", JSONPath: "{.a}",
			Params: []cxv1alpha1.HTTPParam{{Name: "since", Value: "{{ .Yesterday }}"}}}},
		{Name: "prom", Prometheus: &cxv1alpha1.PrometheusSource{Address: "http://p", Query: "up",
			Aggregation: cxv1alpha1.Aggregation{Aggregate: cxv1alpha1.AggregateCount, Where: "item.metric.job =="}}},
	}}
	err := CheckCollectors(spec)
	if err == nil {
		t.Fatal("no problem reported")
	}
	for _, want := range []string{
		"spec.collectors[1].http.where: <input>:1:15: Syntax error",
		"spec.collectors[2].http.where: where must evaluate to a bool, not int",
		"spec.collectors[3].http.value: value must evaluate to a number, not bool",
		"spec.collectors[4].http.jsonPath {.a[} is not a valid JSONPath",
		"spec.collectors[5].http.params[0].value: unknown placeholder {{ .Yesterday }}",
		"spec.collectors[6].prometheus.where: <input>:1:19: Syntax error",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not contain %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "collectors[0]") {
		t.Errorf("the valid collector is reported: %v", err)
	}
	if err := CheckCollectors(&cxv1alpha1.TouchpointSpec{Collectors: spec.Collectors[:1]}); err != nil {
		t.Errorf("a valid spec: %v", err)
	}
}

func TestPlaceholders(t *testing.T) {
	start := time.Date(2026, 3, 1, 10, 0, 0, 900e6, time.FixedZone("CET", 3600))
	v := placeholderValues(start, 24*time.Hour)
	// 10:00:00.9 CET = 09:00:00 UTC, truncated to the second.
	got := renderPlaceholders("from={{ .Since }}&to={{.Until}}&s={{ .SinceUnix }}&u={{  .UntilUnix  }}", v)
	want := "from=2026-02-28T09:00:00Z&to=2026-03-01T09:00:00Z&s=1772269200&u=1772355600"
	if got != want {
		t.Errorf("rendered %q, want %q", got, want)
	}
	for s, bad := range map[string]bool{"plain": false, "{{ .Since }}": false, "{{ .Now }}": true, "{{ .Since": true, "{{ Since }}": true, "a {{ .Until }} {{": true} {
		if err := checkPlaceholders(s); (err != nil) != bad {
			t.Errorf("checkPlaceholders(%q) = %v", s, err)
		}
	}
}
