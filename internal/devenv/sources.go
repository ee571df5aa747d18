package devenv

import (
	"encoding/json"
	"math"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The credentials the synthetic APIs expect: those of
// config/samples/secrets.yaml.
const (
	HelpdeskToken = "helpdesk-demo-token-change-me"
	ZendeskEmail  = "support@larkspur.example"
	ZendeskToken  = "zendesk-demo-token-change-me"
	IntercomToken = "intercom-demo-token-change-me"
)

// Sources are the synthetic systems the Larkspur samples measure: the
// shop's analytics API (JSON summaries, and JSON:API collections of
// members, onboarding, quiz answers and education links), its in-house
// helpdesk stats, Zendesk (ticket metrics, satisfaction ratings),
// Intercom (conversation search), a Discourse community forum, and the
// shop's own Prometheus exporter (checkouts, payments, page latency).
// The list APIs serve documents shaped like the real ones, with their
// pagination (internal/fixtures/saas names the documentation each
// follows). Their numbers drift slowly, as real ones do, so the demo
// shows change.
type Sources struct {
	// URL is the base URL: /analytics/..., /helpdesk/..., /zendesk/...,
	// /intercom/..., /community/..., /metrics.
	URL string

	srv   *http.Server
	start time.Time
	done  chan struct{}

	mu        sync.Mutex
	overrides map[string]float64
}

// StartSources serves the synthetic sources on a free local port.
func StartSources() (*Sources, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Sources{URL: "http://" + ln.Addr().String(), start: time.Now(), done: make(chan struct{}), overrides: map[string]float64{}}
	reg := prometheus.NewRegistry()
	s.registerShopMetrics(reg)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /analytics/api/v1/summary", s.summary)
	mux.HandleFunc("GET /analytics/api/v1/deliveries", s.json(func() any { return map[string]any{"on_time_ratio": s.value("on_time_ratio", 0.93, 0.03)} }))
	mux.HandleFunc("GET /analytics/api/v1/app/engagement", s.json(func() any {
		return map[string]any{"weekly_active_ratio": s.value("weekly_active_ratio", 0.37, 0.02)}
	}))
	mux.HandleFunc("GET /analytics/api/v1/membership", s.json(func() any {
		return map[string]any{
			"members_at_start": math.Round(s.value("members_at_start", 12840, 0)),
			"churned":          math.Round(s.value("churned", 321, 40)),
			"cancellations":    map[string]any{"self_service_ratio": s.value("self_service_ratio", 0.88, 0.02)},
		}
	}))
	mux.HandleFunc("GET /helpdesk/api/v2/stats", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+HelpdeskToken {
			http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		s.json(func() any {
			return map[string]any{
				"tickets": map[string]any{
					"median_first_response_seconds": math.Round(s.value("first_response_seconds", 2820, 600)),
					"open":                          math.Round(s.value("open_tickets", 146, 30)),
				},
				"agents": map[string]any{"online": math.Round(s.value("agents_online", 11, 2))},
			}
		})(w, r)
	})
	s.registerLists(mux)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Set fixes a source value (tests use it to know what to expect).
func (s *Sources) Set(name string, v float64) {
	s.mu.Lock()
	s.overrides[name] = v
	s.mu.Unlock()
}

// value is base plus a slow wave of the given amplitude (a 10-minute
// period), unless a test fixed it with Set.
func (s *Sources) value(name string, base, amplitude float64) float64 {
	s.mu.Lock()
	v, fixed := s.overrides[name]
	s.mu.Unlock()
	if fixed {
		return v
	}
	phase := float64(len(name)) // each series drifts on its own phase
	t := time.Since(s.start).Seconds()
	return base + amplitude*math.Sin(2*math.Pi*t/600+phase)
}

func (s *Sources) summary(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Query().Get("page") {
	case "landing":
		s.json(func() any {
			return map[string]any{"sessions": map[string]any{"bounce_ratio": s.value("bounce_ratio", 0.41, 0.04)}}
		})(w, r)
	case "product":
		s.json(func() any {
			return map[string]any{"funnel": map[string]any{"add_to_cart_ratio": s.value("add_to_cart_ratio", 0.083, 0.01)}}
		})(w, r)
	case "referrals":
		s.json(func() any {
			return map[string]any{"orders": map[string]any{"referral_percent": s.value("referral_percent", 6.5, 0.8)}}
		})(w, r)
	default:
		http.Error(w, `{"error":"unknown page"}`, http.StatusNotFound)
	}
}

func (s *Sources) json(body func() any) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(body())
	}
}

// registerShopMetrics registers the shop's exporter: counters that grow at
// a drifting rate and a page-latency histogram, what the sample
// Touchpoints' PromQL queries read.
func (s *Sources) registerShopMetrics(reg *prometheus.Registry) {
	started := prometheus.NewCounter(prometheus.CounterOpts{Name: "checkout_started_total", Help: "Checkouts started."})
	completed := prometheus.NewCounter(prometheus.CounterOpts{Name: "checkout_completed_total", Help: "Checkouts completed (paid)."})
	payments := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "payment_attempts_total", Help: "Card payment attempts."}, []string{"result"})
	invoices := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "invoice_payments_total", Help: "Membership invoice payments."}, []string{"result"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "http_request_duration_seconds", Help: "Page latency.", Buckets: []float64{0.25, 0.5, 1, 1.5, 2, 2.5, 3, 4, 6, 10},
	}, []string{"route"})
	reg.MustRegister(started, completed, payments, invoices, latency)
	// Seed every series so that rates exist from the first scrape.
	payments.WithLabelValues("ok").Add(1000)
	payments.WithLabelValues("error").Add(15)
	invoices.WithLabelValues("paid").Add(5000)
	invoices.WithLabelValues("failed").Add(90)
	go func() {
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-tick.C:
			case <-s.done:
				return
			}
			n := 3 + 2*math.Sin(float64(i)/300)
			started.Add(n)
			completed.Add(n * s.value("conversion", 0.64, 0.05))
			payments.WithLabelValues("ok").Add(n * 0.98)
			payments.WithLabelValues("error").Add(n * s.value("payment_errors", 0.018, 0.008))
			invoices.WithLabelValues("paid").Add(1)
			invoices.WithLabelValues("failed").Add(0.02)
			for k := range 5 {
				latency.WithLabelValues("/products/:id").Observe(s.value("page_seconds", 1.2, 0.4) * (0.5 + float64(k)/4))
			}
		}
	}()
}

// Stop stops serving.
func (s *Sources) Stop() {
	close(s.done)
	_ = s.srv.Close()
}
