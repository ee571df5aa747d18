package collect

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
)

// jsonStub serves fixed documents by path.
func jsonStub(t *testing.T, seen chan<- http.Header) *httptest.Server {
	docs := map[string]struct {
		status int
		body   string
		delay  time.Duration
	}{
		"/tickets":   {200, `{"tickets":{"open":12,"closed":30,"ratio":"0.25","name":"helpdesk","flag":true,"none":null,"nested":{"a":1},"list":[1,2,3],"items":[{"name":"a","v":1},{"name":"b","v":2}]}}`, 0},
		"/error":     {503, `{"error":"customer secret data"}`, 0},
		"/notfound":  {404, ``, 0},
		"/html":      {200, `<html>customer secret data</html>`, 0},
		"/empty":     {200, ``, 0},
		"/truncated": {200, `{"tickets":{"open":`, 0},
		"/trailing":  {200, `{"a":1} {"a":2}`, 0},
		"/huge":      {200, `{"pad":"` + strings.Repeat("x", 5000) + `","v":1}`, 0},
		"/big":       {200, `{"v":1e400}`, 0},
		"/slow":      {200, `{"v":1}`, 5 * time.Second},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if seen != nil {
			select {
			case seen <- r.Header.Clone():
			default:
			}
		}
		if r.URL.Path == "/redirect-away" {
			http.Redirect(w, r, "http://example.invalid/tickets", http.StatusFound)
			return
		}
		if r.URL.Path == "/redirect-here" {
			http.Redirect(w, r, "/tickets", http.StatusFound)
			return
		}
		d, ok := docs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if d.delay > 0 {
			select {
			case <-time.After(d.delay):
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(d.status)
		_, _ = w.Write([]byte(d.body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func httpRunner(env *Env, url, path string) *HTTPRunner {
	return &HTTPRunner{Env: env, Namespace: testNS, Field: "spec.collectors[1].http",
		Source: cxv1alpha1.HTTPSource{URL: url, JSONPath: path}}
}

func TestHTTPRunnerValues(t *testing.T) {
	srv := jsonStub(t, nil)
	env := newTestEnv(t, nil, EnvOptions{})
	for path, want := range map[string]float64{
		"{.tickets.open}":                    12,
		"{.tickets.ratio}":                   0.25, // a quoted number
		"{.tickets.items[1].v}":              2,
		`{.tickets.items[?(@.name=="a")].v}`: 1,
		"{.tickets.nested.a}":                1,
		"{.tickets.list[0]}":                 1,
		"{$.tickets.closed}":                 30,
		"{.tickets.items[?(@.v>1)].v}":       2,
		"{.tickets.list[-1:]}":               3,
	} {
		got, err := httpRunner(env, srv.URL+"/tickets", path).Run(context.Background())
		if err != nil || got != want {
			t.Errorf("%s: got %v, %v; want %v", path, got, err, want)
		}
	}
	// A redirect on the same host is followed.
	if v, err := httpRunner(env, srv.URL+"/redirect-here", "{.tickets.open}").Run(context.Background()); err != nil || v != 12 {
		t.Errorf("same-host redirect: %v, %v", v, err)
	}
}

func TestHTTPRunnerErrors(t *testing.T) {
	srv := jsonStub(t, nil)
	env := newTestEnv(t, nil, EnvOptions{MaxResponseBytes: 4096})
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	for _, tc := range []struct {
		name, url, path string
		kind            ErrorKind
		fragments       []string
	}{
		{"503", srv.URL + "/error", "{.v}", ErrHTTPStatus, []string{"GET " + srv.URL + "/error: 503 Service Unavailable"}},
		{"404", srv.URL + "/notfound", "{.v}", ErrHTTPStatus, []string{"404 Not Found"}},
		{"not JSON", srv.URL + "/html", "{.v}", ErrInvalidResponse, []string{"response is not JSON (syntax error at offset 1)"}},
		{"empty body", srv.URL + "/empty", "{.v}", ErrInvalidResponse, []string{"response is not JSON (empty body)"}},
		{"truncated", srv.URL + "/truncated", "{.v}", ErrInvalidResponse, []string{"response is not JSON (truncated document)"}},
		{"two documents", srv.URL + "/trailing", "{.a}", ErrInvalidResponse, []string{"trailing data"}},
		{"missing key", srv.URL + "/tickets", "{.tickets.pending}", ErrResult, []string{"JSONPath {.tickets.pending} found nothing", "pending is not found"}},
		{"index out of range", srv.URL + "/tickets", "{.tickets.list[7]}", ErrResult, []string{"found nothing"}},
		{"filter matches nothing", srv.URL + "/tickets", `{.tickets.items[?(@.name=="z")].v}`, ErrResult, []string{"found nothing"}},
		{"several values", srv.URL + "/tickets", "{.tickets.list[*]}", ErrResult, []string{"matched 3 values; select exactly one"}},
		{"string", srv.URL + "/tickets", "{.tickets.name}", ErrResult, []string{"is a string that does not hold a number"}},
		{"boolean", srv.URL + "/tickets", "{.tickets.flag}", ErrResult, []string{"is a boolean, not a number"}},
		{"null", srv.URL + "/tickets", "{.tickets.none}", ErrResult, []string{"is null, not a number"}},
		{"object", srv.URL + "/tickets", "{.tickets.nested}", ErrResult, []string{"is an object, not a number"}},
		{"array", srv.URL + "/tickets", "{.tickets.list}", ErrResult, []string{"is an array, not a number"}},
		{"number out of range", srv.URL + "/big", "{.v}", ErrInvalidResponse, []string{"response is not usable JSON (a number out of range)"}},
		{"too large", srv.URL + "/huge", "{.v}", ErrInvalidResponse, []string{"response body exceeds 4096 bytes"}},
		{"bad JSONPath", srv.URL + "/tickets", "{.tickets[}", ErrConfig, []string{"is not a valid JSONPath"}},
		{"refused", closed.URL + "/x?apikey=abc", "{.v}", ErrConnection, []string{"connection refused"}},
		{"redirect to another host", srv.URL + "/redirect-away", "{.v}", ErrConnection, []string{"redirect to another host (example.invalid) refused"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := httpRunner(env, tc.url, tc.path).Run(context.Background())
			e := checkError(t, err, tc.kind, tc.fragments...)
			for _, leak := range []string{"customer secret data", "helpdesk", "apikey=abc"} {
				if strings.Contains(e.Message, leak) {
					t.Errorf("message %q leaks %q", e.Message, leak)
				}
			}
		})
	}

	t.Run("timeout", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := httpRunner(env, srv.URL+"/slow", "{.v}").Run(ctx)
		wantError(t, err, ErrTimeout, "GET "+srv.URL+"/slow: timed out")
	})
}

func TestHTTPRunnerHeaders(t *testing.T) {
	seen := make(chan http.Header, 1)
	srv := jsonStub(t, seen)
	env := newTestEnv(t, map[string]map[string]string{"helpdesk-api": {"token": "Bearer t0ken\n"}}, EnvOptions{})
	r := httpRunner(env, srv.URL+"/tickets", "{.tickets.open}")
	r.Source.Headers = []cxv1alpha1.HTTPHeader{
		{Name: "X-Team", Value: new("support")},
		{Name: "Authorization", ValueFrom: &cxv1alpha1.SecretKeyRef{Name: "helpdesk-api", Key: "token"}},
	}
	if _, err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := <-seen
	if h.Get("X-Team") != "support" || h.Get("Authorization") != "Bearer t0ken" || h.Get("Accept") != "application/json" {
		t.Errorf("headers sent: %v", h)
	}

	r.Source.Headers[1].ValueFrom = &cxv1alpha1.SecretKeyRef{Name: "helpdesk-api", Key: "missing"}
	_, err := r.Run(context.Background())
	e := checkError(t, err, ErrSecret, `secret "helpdesk-api" named in spec.collectors[1].http.headers[1].valueFrom has no key "missing"`)
	if e.Reason != cxv1alpha1.ReasonSecretKeyNotFound {
		t.Errorf("reason %q", e.Reason)
	}
}
