package receive

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
)

// formbricksMapping is the README's Formbricks preset.
var formbricksMapping = cxv1alpha1.ReceiverMapping{
	When: "body.event == 'responseFinished' && has(body.data.data.nps)",
	ID:   "body.data.id", SubmittedAt: "body.data.createdAt", Score: "body.data.data.nps",
	Segments: map[string]string{"plan": "body.data.data.?plan.orValue('')"},
}

func formbricksBody(tb testing.TB, now time.Time) []byte {
	data, err := os.ReadFile("testdata/webhooks/formbricks-response-finished.json")
	if err != nil {
		tb.Fatal(err)
	}
	return []byte(strings.ReplaceAll(string(data), "__NOW__", now.UTC().Format(time.RFC3339)))
}

func TestFormbricksMapping(t *testing.T) {
	m := CompileMapping(&formbricksMapping)
	if m.Err() != nil {
		t.Fatal(m.Err())
	}
	if m.usesHeaders {
		t.Error("the mapping does not read headers, yet they would be built")
	}
	body, err := decodeJSON(formbricksBody(t, now), true)
	if err != nil {
		t.Fatal(err)
	}
	rules := testRules
	rs, ignored, e := m.Evaluate(Delivery{Body: body, WebhookID: "msg_1"}, rules, now)
	if e != nil || ignored != 0 || len(rs) != 1 {
		t.Fatalf("%v, %d ignored, %d responses", e, ignored, len(rs))
	}
	want := Response{IDHash: HashID(rules.IDKey, "cm5rsp7q2x0001larkspurnps"), Score: 9, Day: rs[0].Day,
		Segments: []SegmentValue{{Name: "plan", Value: "pro"}}}
	if rs[0].IDHash != want.IDHash || rs[0].Score != 9 || len(rs[0].Segments) != 1 || rs[0].Segments[0] != want.Segments[0] {
		t.Errorf("got %+v, want %+v", rs[0], want)
	}
	ping, _ := decodeJSON([]byte(`{"event":"testEndpoint"}`), true)
	if rs, ignored, e := m.Evaluate(Delivery{Body: ping}, rules, now); e != nil || ignored != 1 || len(rs) != 0 {
		t.Errorf("the test ping: %v, %d ignored, %d responses", e, ignored, len(rs))
	}
}

// TestMappingCostLimitAtRuntime checks that a comprehension over a list
// large enough is stopped at CostLimit (400,000 elements at about 3 units
// each is 1.2 million) and answered 400 naming the field.
func TestMappingCostLimitAtRuntime(t *testing.T) {
	m := CompileMapping(&cxv1alpha1.ReceiverMapping{ID: "'x'", Score: "body.items.exists(x, x == 1) ? 1 : 0"})
	if m.Err() != nil {
		t.Fatal(m.Err())
	}
	items := strings.Repeat("0,", 400_000) + "0"
	body, err := decodeJSON([]byte(`{"items":[`+items+`]}`), true)
	if err != nil {
		t.Fatal(err)
	}
	_, _, e := m.Evaluate(Delivery{Body: body}, testRules, now)
	if e == nil || e.Field != "mapping.score" || !strings.Contains(e.Message, "over the cost limit of "+strconv.Itoa(CostLimit)) {
		t.Fatalf("got %v, want mapping.score over the cost limit", e)
	}
	if !needsCostTracking(m.score.ast) || needsCostTracking(CompileMapping(&formbricksMapping).score.ast) {
		t.Error("cost tracking is on for the wrong expressions")
	}
}

// BenchmarkFormbricksDelivery is the receiver's work on one Formbricks
// delivery without HTTP and storage: the Standard Webhooks signature, the
// JSON decoding (of the part the mapping reads) and the mapping.
// BenchmarkNativeBody is the same for a native response,
// BenchmarkDecodeFormbricks the decoding of the whole Formbricks body.
func BenchmarkFormbricksDelivery(b *testing.B) {
	m := CompileMapping(&formbricksMapping)
	body := formbricksBody(b, now)
	key := []byte("benchmark-key-of-32-bytes-length")
	ts := strconv.FormatInt(now.Unix(), 10)
	sig := SignStandardWebhook(key, "msg_1", ts, body)
	b.ReportAllocs()
	for b.Loop() {
		if err := VerifyStandardWebhook(key, "msg_1", ts, sig, body, now, time.Minute); err != nil {
			b.Fatal(err)
		}
		v, err := decodeProjected(body, m.projection)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, e := m.Evaluate(Delivery{Body: v}, testRules, now); e != nil {
			b.Fatal(e)
		}
	}
}

func BenchmarkNativeBody(b *testing.B) {
	body := []byte(`{"id":"c12-3456","score":9}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(body, testRules, now); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeFormbricks(b *testing.B) {
	body := formbricksBody(b, now)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeJSON(body, true); err != nil {
			b.Fatal(err)
		}
	}
}

// TestProjection checks which part of the body a mapping builds: the ends
// of its chains rooted at body, whole; everything for body used otherwise.
func TestProjection(t *testing.T) {
	m := CompileMapping(&formbricksMapping)
	v, err := decodeProjected(formbricksBody(t, now), m.projection)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(v)
	want := `{"data":{"createdAt":"` + now.Format(time.RFC3339) + `","data":{"nps":9,"plan":"pro"},"id":"cm5rsp7q2x0001larkspurnps"},"event":"responseFinished"}`
	if string(got) != want {
		t.Errorf("built %s\nwant  %s", got, want)
	}
	for _, tc := range []struct {
		expr string
		full bool
	}{
		{"size(body) > 0 ? 1 : 0", true},
		{"body['x']", true},
		{"[1].map(body, body)[0]", true},
		{"body.items.filter(i, i.ok).size()", false},
	} {
		m := CompileMapping(&cxv1alpha1.ReceiverMapping{ID: "'x'", Score: tc.expr})
		if m.Err() != nil {
			t.Fatalf("%s: %v", tc.expr, m.Err())
		}
		if m.projection.full != tc.full {
			t.Errorf("%s: full projection %v, want %v", tc.expr, m.projection.full, tc.full)
		}
	}
}
