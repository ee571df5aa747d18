package collect

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/fixtures"
)

// promStub answers /api/v1/query like Prometheus: each query maps to a
// status and a body.
type promStub struct {
	answers map[string]promAnswer
	seen    chan http.Header
}

type promAnswer struct {
	status int
	body   string
	delay  time.Duration
}

func ok(resultType, result string) promAnswer {
	return promAnswer{status: 200, body: fmt.Sprintf(`{"status":"success","data":{"resultType":%q,"result":%s}}`, resultType, result)}
}

func sample(labels string, v string) string {
	return fmt.Sprintf(`{"metric":{%s},"value":[1700000000.5,%q]}`, labels, v)
}

func (p *promStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/api/v1/query" {
		http.NotFound(w, r)
		return
	}
	if p.seen != nil {
		select {
		case p.seen <- r.Header.Clone():
		default:
		}
	}
	_ = r.ParseForm()
	a, found := p.answers[r.Form.Get("query")]
	if !found {
		a = promAnswer{status: 400, body: `{"status":"error","errorType":"bad_data","error":"unknown query in stub"}`}
	}
	if a.delay > 0 {
		select {
		case <-time.After(a.delay):
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	_, _ = w.Write([]byte(a.body))
}

func newPromStub(t *testing.T) (*promStub, *httptest.Server) {
	stub := &promStub{answers: map[string]promAnswer{
		"scalar":         ok("scalar", `[1700000000.5,"42.5"]`),
		"one":            ok("vector", "["+sample(`"job":"a"`, "17.25")+"]"),
		"three":          ok("vector", "["+sample(`"job":"a"`, "1")+","+sample(`"job":"b"`, "2")+","+sample(`"job":"c"`, "3")+"]"),
		"none":           ok("vector", "[]"),
		"nan":            ok("vector", "["+sample("", "NaN")+"]"),
		"inf":            ok("scalar", `[1700000000.5,"+Inf"]`),
		"matrix":         ok("matrix", `[{"metric":{},"values":[[1700000000,"1"],[1700000001,"2"]]}]`),
		"string":         ok("string", `[1700000000.5,"hello"]`),
		"histogram":      ok("vector", `[{"metric":{},"histogram":[1700000000.5,{"count":"3","sum":"6","buckets":[[0,"0","1","3"]]}]}]`),
		"bad(":           {status: 400, body: `{"status":"error","errorType":"bad_data","error":"1:5: parse error: unclosed left parenthesis"}`},
		"unavailable":    {status: 503, body: `<html>upstream down: customer secret data</html>`},
		"not-json":       {status: 200, body: `<html>hello</html>`},
		"huge":           ok("vector", "["+sample(`"pad":"`+strings.Repeat("x", 4096)+`"`, "1")+"]"),
		"slow":           {status: 200, body: ok("scalar", `[1,"1"]`).body, delay: 5 * time.Second},
		"up":             ok("vector", "["+sample(`"__name__":"up"`, "1")+"]"),
		"negative_zero":  ok("scalar", `[1700000000.5,"-0"]`),
		"exponent_value": ok("scalar", `[1700000000.5,"1e-3"]`),
	}}
	srv := httptest.NewServer(stub)
	t.Cleanup(srv.Close)
	return stub, srv
}

func promRunner(env *Env, address, query string) *PrometheusRunner {
	return &PrometheusRunner{Env: env, Namespace: testNS, Field: "spec.collectors[0].prometheus",
		Source: cxv1alpha1.PrometheusSource{Address: address, Query: query}}
}

func TestPrometheusRunnerValues(t *testing.T) {
	_, srv := newPromStub(t)
	env := newTestEnv(t, nil, EnvOptions{})
	for query, want := range map[string]float64{"scalar": 42.5, "one": 17.25, "negative_zero": 0, "exponent_value": 0.001} {
		got, err := promRunner(env, srv.URL, query).Run(context.Background())
		if err != nil || got != want {
			t.Errorf("%s: got %v, %v; want %v", query, got, err, want)
		}
	}
}

func TestPrometheusRunnerErrors(t *testing.T) {
	_, srv := newPromStub(t)
	env := newTestEnv(t, nil, EnvOptions{MaxResponseBytes: 2048})
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	for _, tc := range []struct {
		name, address, query string
		kind                 ErrorKind
		fragments            []string
		absent               string
	}{
		{"several series", srv.URL, "three", ErrResult, []string{"query returned 3 series; aggregate it to one"}, ""},
		{"no series", srv.URL, "none", ErrResult, []string{"query returned no series"}, ""},
		{"NaN", srv.URL, "nan", ErrResult, []string{"NaN", "not a finite number"}, ""},
		{"Inf", srv.URL, "inf", ErrResult, []string{"+Inf", "not a finite number"}, ""},
		{"range vector", srv.URL, "matrix", ErrResult, []string{"range vector"}, ""},
		{"string", srv.URL, "string", ErrResult, []string{"a string, not a number"}, ""},
		{"native histogram", srv.URL, "histogram", ErrResult, []string{"native histogram"}, ""},
		{"bad query", srv.URL, "bad(", ErrQuery, []string{"rejected the query (bad_data)", "unclosed left parenthesis"}, ""},
		{"HTTP 503", srv.URL, "unavailable", ErrHTTPStatus, []string{"503"}, "customer secret data"},
		{"not JSON", srv.URL, "not-json", ErrInvalidResponse, []string{"did not answer like a Prometheus API"}, "hello"},
		{"too large", srv.URL, "huge", ErrInvalidResponse, []string{"response body exceeds 2048 bytes"}, ""},
		{"refused", closed.URL, "up", ErrConnection, []string{"connection refused"}, ""},
		{"credentials in the address", strings.Replace(closed.URL, "http://", "http://admin:hunter2@", 1) + "/?token=abc", "up", ErrConnection, []string{"connection refused"}, "hunter2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := promRunner(env, tc.address, tc.query).Run(context.Background())
			e := checkError(t, err, tc.kind, tc.fragments...)
			if tc.absent != "" && (strings.Contains(e.Message, tc.absent) || strings.Contains(e.SafeNote(), tc.absent)) {
				t.Errorf("message %q leaks %q", e.Message, tc.absent)
			}
			if strings.Contains(e.Message, "token=abc") {
				t.Errorf("message %q leaks the query string", e.Message)
			}
		})
	}

	t.Run("query error note has no server text", func(t *testing.T) {
		_, err := promRunner(env, srv.URL, "bad(").Run(context.Background())
		if note := AsError(err).SafeNote(); strings.Contains(note, "parenthesis") {
			t.Errorf("note %q carries the server's text", note)
		}
	})

	t.Run("timeout", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := promRunner(env, srv.URL, "slow").Run(ctx)
		wantError(t, err, ErrTimeout, "timed out")
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("the run took %v despite its 100ms timeout", d)
		}
	})
}

func TestPrometheusRunnerCredentials(t *testing.T) {
	stub, srv := newPromStub(t)
	stub.seen = make(chan http.Header, 1)
	env := newTestEnv(t, map[string]map[string]string{
		"prom-token": {"token": "s3cret\n"},
		"prom-basic": {"user": "reader", "password": "pa55"},
	}, EnvOptions{})

	r := promRunner(env, srv.URL, "one")
	r.Source.BearerTokenSecretRef = &cxv1alpha1.SecretKeyRef{Name: "prom-token", Key: "token"}
	if _, err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := (<-stub.seen).Get("Authorization"); got != "Bearer s3cret" {
		t.Errorf("Authorization = %q, want the trimmed bearer token", got)
	}

	r = promRunner(env, srv.URL, "one")
	r.Source.BasicAuth = &cxv1alpha1.BasicAuth{
		UsernameSecretRef: cxv1alpha1.SecretKeyRef{Name: "prom-basic", Key: "user"},
		PasswordSecretRef: cxv1alpha1.SecretKeyRef{Name: "prom-basic", Key: "password"},
	}
	if _, err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://x", nil)
	req.Header = <-stub.seen
	if u, p, ok := req.BasicAuth(); !ok || u != "reader" || p != "pa55" {
		t.Errorf("basic auth = %q %q %v", u, p, ok)
	}

	for _, tc := range []struct {
		ref    cxv1alpha1.SecretKeyRef
		reason string
		msg    string
	}{
		{cxv1alpha1.SecretKeyRef{Name: "missing", Key: "token"}, cxv1alpha1.ReasonSecretNotFound, `secret "missing" named in spec.collectors[0].prometheus.bearerTokenSecretRef does not exist`},
		{cxv1alpha1.SecretKeyRef{Name: "prom-token", Key: "nope"}, cxv1alpha1.ReasonSecretKeyNotFound, `has no key "nope"`},
	} {
		r := promRunner(env, srv.URL, "one")
		r.Source.BearerTokenSecretRef = &tc.ref
		_, err := r.Run(context.Background())
		e := checkError(t, err, ErrSecret, tc.msg)
		if e.Reason != tc.reason {
			t.Errorf("reason = %q, want %q", e.Reason, tc.reason)
		}
		if strings.Contains(e.Message, "s3cret") {
			t.Errorf("message leaks the secret: %q", e.Message)
		}
	}
}

func TestPrometheusRunnerCustomCA(t *testing.T) {
	stub, _ := newPromStub(t)
	srv := httptest.NewUnstartedServer(stub)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	env := newTestEnv(t, map[string]map[string]string{
		"prom-ca":  {"ca.crt": string(caPEM)},
		"bad-ca":   {"ca.crt": "not a certificate"},
		"other-ca": {"ca.crt": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: otherCert(t)}))},
	}, EnvOptions{})

	// Without the CA the certificate is unknown.
	_, err := promRunner(env, srv.URL, "one").Run(context.Background())
	wantError(t, err, ErrConnection, "certificate")

	r := promRunner(env, srv.URL, "one")
	r.Source.TLS = &cxv1alpha1.TLSConfig{CASecretRef: &cxv1alpha1.SecretKeyRef{Name: "prom-ca", Key: "ca.crt"}}
	if v, err := r.Run(context.Background()); err != nil || v != 17.25 {
		t.Fatalf("with the CA: %v, %v", v, err)
	}

	r.Source.TLS.CASecretRef.Name = "bad-ca"
	_, err = r.Run(context.Background())
	wantError(t, err, ErrConfig, "holds no PEM certificate")

	r.Source.TLS.CASecretRef.Name = "other-ca"
	_, err = r.Run(context.Background())
	wantError(t, err, ErrConnection, "certificate")

	r.Source.TLS = &cxv1alpha1.TLSConfig{InsecureSkipVerify: true}
	if _, err := r.Run(context.Background()); err != nil {
		t.Errorf("insecureSkipVerify: %v", err)
	}
}

// otherCert is a self-signed certificate of a CA that signed nothing the
// test servers use.
func otherCert(t *testing.T) []byte {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "other test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestPrometheusAggregates(t *testing.T) {
	stub, srv := newPromStub(t)
	// Error ratios of four payment providers: 0.01, 0.03, 0.02, NaN (no
	// traffic: 0/0).
	stub.answers["providers"] = ok("vector", "["+sample(`"provider":"adyen"`, "0.01")+","+sample(`"provider":"stripe"`, "0.03")+","+
		sample(`"provider":"paypal"`, "0.02")+","+sample(`"provider":"klarna"`, "NaN")+"]")
	env := newTestEnv(t, nil, EnvOptions{})
	for _, tc := range []struct {
		name     string
		query    string
		agg      cxv1alpha1.Aggregation
		want     float64
		noValue  string
		errorMsg string
	}{
		{"count of series", "providers", cxv1alpha1.Aggregation{Aggregate: cxv1alpha1.AggregateCount}, 4, "", ""},
		{"max leaves NaN out", "providers", cxv1alpha1.Aggregation{Aggregate: cxv1alpha1.AggregateMax}, 0.03, "", ""},
		{"median of 0.01, 0.02, 0.03", "providers", cxv1alpha1.Aggregation{Aggregate: cxv1alpha1.AggregateMedian}, 0.02, "", ""},                  // x₍⌈1.5⌉₎ = x₍₂₎
		{"ratio above 1.5%", "providers", cxv1alpha1.Aggregation{Aggregate: cxv1alpha1.AggregateRatio, Where: "item.value > 0.015"}, 0.5, "", ""}, // stripe, paypal of 4 (NaN > x is false)
		{"where on a label", "providers", cxv1alpha1.Aggregation{Aggregate: cxv1alpha1.AggregateSum, Where: "item.metric.provider in ['adyen', 'stripe']"}, 0.04, "", ""},
		{"p90", "three", cxv1alpha1.Aggregation{Aggregate: cxv1alpha1.AggregateQuantile, Quantile: fixtures.Quantity("0.9")}, 3, "", ""},
		{"a scalar is one item", "scalar", cxv1alpha1.Aggregation{Aggregate: cxv1alpha1.AggregateMean}, 42.5, "", ""},
		{"no series: no value", "none", cxv1alpha1.Aggregation{Aggregate: cxv1alpha1.AggregateMean}, 0, "the query returned no series, so the mean is undefined", ""},
		{"no series: count 0", "none", cxv1alpha1.Aggregation{Aggregate: cxv1alpha1.AggregateCount}, 0, "", ""},
		{"only NaN", "nan", cxv1alpha1.Aggregation{Aggregate: cxv1alpha1.AggregateMin}, 0, "none of the 1 series has a value (null or NaN), so the min is undefined", ""},
		{"Inf", "inf", cxv1alpha1.Aggregation{Aggregate: cxv1alpha1.AggregateSum}, 0, "", "the scalar: its value is not a finite number"},
		{"a missing label", "providers", cxv1alpha1.Aggregation{Aggregate: cxv1alpha1.AggregateRatio, Where: "item.metric.region == 'eu'"}, 0, "", "series 1 of the vector: where failed: no such key: region"},
		{"range vector", "matrix", cxv1alpha1.Aggregation{Aggregate: cxv1alpha1.AggregateCount}, 0, "", "range vector"},
	} {
		r := promRunner(env, srv.URL, tc.query)
		r.Source.Aggregation = tc.agg
		out, err := r.Collect(context.Background())
		switch {
		case tc.errorMsg != "":
			wantError(t, err, ErrResult, tc.errorMsg)
		case err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case out.NoValue != tc.noValue || math.Abs(out.Value-tc.want) > 1e-12:
			t.Errorf("%s: got %+v, want %v (no value %q)", tc.name, out, tc.want, tc.noValue)
		}
	}
	// Without aggregate, several series are still refused.
	_, err := promRunner(env, srv.URL, "providers").Run(context.Background())
	wantError(t, err, ErrResult, "query returned 4 series")
}
