package testenv

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestPrometheusScrapesStopsAndStartsAgain runs the real Prometheus against
// a target served by the test, then stops it and starts it again on the
// same port.
func TestPrometheusScrapesStopsAndStartsAgain(t *testing.T) {
	var value atomic.Int64
	value.Store(42)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, "# HELP testenv_value A value the test sets.\n# TYPE testenv_value gauge\ntestenv_value %d\n", value.Load())
	}))
	defer target.Close()

	p := StartPrometheus(t, PrometheusConfig{ScrapeInterval: 500 * time.Millisecond, Job: "target",
		Targets: []string{strings.TrimPrefix(target.URL, "http://")}})
	query := func(want float64) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			got, err := p.Query(ctx, `testenv_value{job="target"}`)
			cancel()
			if err == nil && got == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("query: got %v, %v; want %v", got, err, want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	query(42)
	addr := p.URL()

	p.Stop()
	if p.Running() {
		t.Fatal("running after Stop")
	}
	if _, err := http.Get(addr + "/-/ready"); err == nil {
		t.Fatal("still answering after Stop")
	}
	if _, err := p.Query(context.Background(), "1"); err == nil {
		t.Fatal("query succeeded on a stopped server")
	}

	value.Store(7)
	p.Start()
	if p.URL() != addr || !p.Running() {
		t.Fatalf("restarted at %s (running %v), want %s", p.URL(), p.Running(), addr)
	}
	query(7)
	if v, err := p.Query(context.Background(), "scalar(vector(3))"); err != nil || v != 3 {
		t.Errorf("scalar query: %v, %v", v, err)
	}
}
