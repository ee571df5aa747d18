package devenv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/touchstone-dev/touchstone/internal/receive"
)

func decodeYAML(data []byte, into any) error { return yaml.Unmarshal(data, into) }

// Credentials of config/samples/secrets.yaml.
const (
	SampleToken   = "larkspur-demo-token-change-me"
	SampleHMACKey = "larkspur-demo-hmac-key-change-me"
	// SampleFormbricksSecret is the Standard Webhooks secret of the trail
	// app's Formbricks webhook.
	SampleFormbricksSecret = "whsec_bGFya3NwdXItZGVtby1mb3JtYnJpY2tzLWtleS1jaGFuZ2UtbWU="
)

// SampleSurvey describes how customers answer one sample Survey: the
// weight of each score (from the scale's low end) and the segment values
// they carry.
type SampleSurvey struct {
	Name     string
	ScaleMin int
	Weights  []float64
	Segments map[string][]string
	// HMAC signs requests instead of sending the bearer token.
	HMAC bool
	// Decline is how much better customers answered in the past: the
	// weight of the two top scores grows by this fraction per day ago, so
	// the history of PostHistory shows a falling score.
	Decline float64
	// Formbricks posts each response as Formbricks does: its own webhook
	// body, one response per delivery, with a Standard Webhooks signature.
	Formbricks bool
}

// segmentPlan is the customers' plan, a segment of two sample Surveys and
// the hidden field of the Formbricks deliveries.
const segmentPlan = "plan"

// SampleSurveys are the five Surveys of config/samples, answered the way
// a decent but imperfect shop is.
var SampleSurveys = []SampleSurvey{
	{Name: "relationship-nps", ScaleMin: 0,
		// 0..10: about 50% promoters, 30% passives, 20% detractors today,
		// more promoters a month ago.
		Weights:  []float64{2, 1, 1, 2, 2, 4, 8, 12, 18, 22, 28},
		Segments: map[string][]string{segmentPlan: {"free", "plus", "pro", "team"}, "region": {"eu", "na", "apac", "latam"}},
		Decline:  0.03},
	{Name: "support-csat", ScaleMin: 1,
		Weights:  []float64{5, 7, 12, 33, 43},
		Segments: map[string][]string{"channel": {"email", "chat", "phone"}}},
	{Name: "checkout-effort", ScaleMin: 1,
		Weights:  []float64{2, 3, 6, 10, 22, 30, 27},
		Segments: map[string][]string{"device": {"desktop", "mobile", "tablet"}}},
	{Name: "delivery-rating", ScaleMin: 1, HMAC: true,
		Weights: []float64{4, 5, 11, 32, 48}},
	{Name: "trail-app-nps", ScaleMin: 0, Formbricks: true,
		// 0..10: an app hikers like, a little less than the shop.
		Weights:  []float64{2, 1, 2, 3, 3, 5, 9, 14, 20, 20, 21},
		Segments: map[string][]string{segmentPlan: {"free", "plus", "pro"}}},
}

// Responder posts synthetic responses to the receiver.
type Responder struct {
	ReceiverURL string
	Namespace   string
	// Sent counts acknowledged responses.
	Sent atomic.Int64

	next atomic.Int64
	mu   sync.Mutex
	rnd  *rand.Rand
}

// NewResponder returns a responder with a fixed seed (the same run shows
// the same story).
func NewResponder(receiverURL, namespace string) *Responder {
	return &Responder{ReceiverURL: receiverURL, Namespace: namespace, rnd: rand.New(rand.NewPCG(7, 11))}
}

// pick draws one response submitted at the given time, daysAgo days
// before today.
func (r *Responder) pick(s SampleSurvey, at time.Time, daysAgo int) map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	weights := append([]float64(nil), s.Weights...)
	for i := max(len(weights)-2, 0); i < len(weights); i++ {
		weights[i] *= 1 + s.Decline*float64(daysAgo)
	}
	total := 0.0
	for _, w := range weights {
		total += w
	}
	x := r.rnd.Float64() * total
	score := s.ScaleMin + len(weights) - 1
	for i, w := range weights {
		if x < w {
			score = s.ScaleMin + i
			break
		}
		x -= w
	}
	resp := map[string]any{
		"id":          fmt.Sprintf("demo-%d-%d", time.Now().UnixNano(), r.next.Add(1)),
		"score":       score,
		"submittedAt": at.UTC().Format(time.RFC3339),
	}
	if len(s.Segments) > 0 {
		seg := map[string]string{}
		for name, values := range s.Segments {
			seg[name] = values[r.rnd.IntN(len(values))]
		}
		resp["segments"] = seg
	}
	return resp
}

// formbricksDelivery is a response as Formbricks' responseFinished webhook
// carries it (see internal/receive/testdata/webhooks): the answers keyed by
// question ID, the hidden field plan, and contact data and free text that
// the Survey's mapping drops.
func formbricksDelivery(resp map[string]any) []byte {
	answers := map[string]any{"nps": resp["score"], "why": "The trail maps work offline."}
	if seg, ok := resp["segments"].(map[string]string); ok {
		answers[segmentPlan] = seg[segmentPlan]
	}
	body, _ := json.Marshal(map[string]any{
		"webhookId": "cmdemo0webhook0trailapp01",
		"event":     "responseFinished",
		"data": map[string]any{
			"id": resp["id"], "createdAt": resp["submittedAt"], "updatedAt": resp["submittedAt"],
			"surveyId": "cmdemo0survey0trailapp001", "finished": true, "data": answers,
			"contact":           map[string]any{"id": "cmdemo0contact0000000001", "userId": "hiker-demo"},
			"contactAttributes": map[string]any{"email": "hiker@example.com"},
			"meta":              map[string]any{"source": "app", "country": "DE"},
			"tags":              []any{}, "variables": map[string]any{}, "language": "en",
		},
	})
	return body
}

// Post sends n responses to one sample Survey in one batch (Formbricks:
// one delivery each), retrying until they are acknowledged (as a
// well-behaved sender does).
func (r *Responder) Post(ctx context.Context, s SampleSurvey, n int) error {
	return r.postAt(ctx, s, n, time.Now(), 0)
}

// PostHistory sends perDay responses for each of the days before today,
// submitted at noon UTC of their day, so that the Surveys whose window
// holds them have a daily series to forecast from (the receiver accepts
// submittedAt within the retention).
func (r *Responder) PostHistory(ctx context.Context, s SampleSurvey, days, perDay int) error {
	today := time.Now().UTC().Truncate(24 * time.Hour)
	for ago := days; ago >= 1; ago-- {
		if err := r.postAt(ctx, s, perDay, today.AddDate(0, 0, -ago).Add(12*time.Hour), ago); err != nil {
			return err
		}
	}
	return nil
}

// postAt sends n responses submitted at the given time, daysAgo days ago.
func (r *Responder) postAt(ctx context.Context, s SampleSurvey, n int, at time.Time, daysAgo int) error {
	if s.Formbricks {
		for range n {
			resp := r.pick(s, at, daysAgo)
			if err := r.post(ctx, s, formbricksDelivery(resp), 1, resp["id"].(string)); err != nil {
				return err
			}
		}
		return nil
	}
	batch := make([]map[string]any, n)
	for i := range batch {
		batch[i] = r.pick(s, at, daysAgo)
	}
	body, _ := json.Marshal(map[string]any{"responses": batch})
	return r.post(ctx, s, body, n, "")
}

// post sends one body of n responses until it is acknowledged.
func (r *Responder) post(ctx context.Context, s SampleSurvey, body []byte, n int, deliveryID string) error {
	url := r.ReceiverURL + receive.PathOf(r.Namespace, s.Name)
	for attempt := 0; ; attempt++ {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		switch {
		case s.Formbricks:
			key, err := receive.DecodeStandardWebhookSecret(SampleFormbricksSecret)
			if err != nil {
				return err
			}
			// Each attempt is signed anew, with the same webhook-id.
			ts := strconv.FormatInt(time.Now().Unix(), 10)
			req.Header.Set(receive.HeaderWebhookID, "msg_"+deliveryID)
			req.Header.Set(receive.HeaderWebhookTimestamp, ts)
			req.Header.Set(receive.HeaderWebhookSignature, receive.SignStandardWebhook(key, "msg_"+deliveryID, ts, body))
		case s.HMAC:
			ts := strconv.FormatInt(time.Now().Unix(), 10)
			req.Header.Set(receive.HeaderTimestamp, ts)
			req.Header.Set(receive.HeaderSignature, fmt.Sprintf("sha256=%x", receive.Sign([]byte(SampleHMACKey), ts, body)))
		default:
			req.Header.Set("Authorization", "Bearer "+SampleToken)
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch {
			case resp.StatusCode == http.StatusOK:
				r.Sent.Add(int64(n))
				return nil
			case resp.StatusCode != http.StatusServiceUnavailable && resp.StatusCode != http.StatusTooManyRequests &&
				resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusConflict:
				// 404/409 happen while the Survey or its Secret is still
				// reaching the operator's cache; anything else is a bug.
				return fmt.Errorf("posting to %s: %d %s", s.Name, resp.StatusCode, data)
			}
			err = fmt.Errorf("%d %s", resp.StatusCode, data)
		}
		if attempt > 50 {
			return fmt.Errorf("posting to %s: %w", s.Name, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Stream posts about perSecond responses a second, spread over the sample
// Surveys, until ctx ends.
func (r *Responder) Stream(ctx context.Context, perSecond float64, errs func(error)) {
	tick := time.NewTicker(time.Duration(float64(time.Second) / perSecond))
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if err := r.Post(ctx, SampleSurveys[i%len(SampleSurveys)], 1); err != nil && ctx.Err() == nil {
			errs(err)
		}
	}
}
