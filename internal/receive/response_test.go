package receive

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/touchstone-dev/touchstone/internal/stats"
)

var testRules = Rules{
	Scale:     stats.Scale{Min: 0, Max: 10},
	Segments:  map[string]int{"plan": 20, "region": 5},
	Retention: 90 * 24 * time.Hour,
	MaxSkew:   5 * time.Minute,
	MaxBatch:  3,
	IDKey:     []byte("uid-1"),
}

var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func TestParseAcceptsOneResponseOrABatch(t *testing.T) {
	one, err := Parse([]byte(`{"id":"a","score":9,"submittedAt":"2026-11-22T23:59:59Z","segments":{"region":"eu","plan":"pro"}}`), testRules, now)
	if err != nil {
		t.Fatal(err)
	}
	want := Response{IDHash: HashID([]byte("uid-1"), "a"), Score: 9, Day: stats.DayOf(time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)),
		Segments: []SegmentValue{{"plan", "pro"}, {"region", "eu"}}}
	if len(one) != 1 || one[0].IDHash != want.IDHash || one[0].Score != 9 || one[0].Day != want.Day ||
		len(one[0].Segments) != 2 || one[0].Segments[0] != want.Segments[0] || one[0].Segments[1] != want.Segments[1] {
		t.Errorf("got %+v, want %+v", one, want)
	}

	many, err := Parse([]byte(`{"responses":[{"id":"a","score":0},{"id":"b","score":10}]}`), testRules, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(many) != 2 || many[0].Score != 0 || many[1].Score != 10 || many[0].Day != stats.DayOf(now) {
		t.Errorf("got %+v", many)
	}
}

func TestParseRejectsBadInputNamingTheField(t *testing.T) {
	for _, tc := range []struct {
		body, reason, field string
	}{
		{``, ReasonMalformedJSON, ""},
		{`[1,2]`, ReasonInvalidField, ""},
		{`{"id":"a","score":9} {"id":"b"}`, ReasonMalformedJSON, ""},
		{`{}`, ReasonInvalidBody, ""},
		{`{"id":"a","score":9,"responses":[]}`, ReasonInvalidBody, ""},
		{`{"id":"a","score":9,"name":"Jane Doe"}`, ReasonUnknownField, "name"},
		{`{"responses":[{"id":"a","score":9,"email":"x@y"}]}`, ReasonUnknownField, "responses[0].email"},
		{`{"id":5,"score":9}`, ReasonInvalidField, "id"},
		{`{"id":"` + strings.Repeat("x", 129) + `","score":9}`, ReasonInvalidField, "id"},
		{`{"id":"a"}`, ReasonInvalidScore, "score"},
		{`{"id":"a","score":null}`, ReasonInvalidScore, "score"},
		{`{"id":"a","score":1e1}`, ReasonInvalidScore, "score"},
		{`{"id":"a","score":true}`, ReasonInvalidScore, "score"},
		{`{"id":"a","score":-1}`, ReasonInvalidScore, "score"},
		{`{"id":"a","score":9,"segments":{"plan":""}}`, ReasonInvalidSegmentValue, "segments.plan"},
		{`{"id":"a","score":9,"segments":{"plan":5}}`, ReasonInvalidField, "segments"},
		{`{"id":"a","score":9,"submittedAt":"2026-11-23T12:06:00Z"}`, ReasonInvalidTimestamp, "submittedAt"},
		{`{"responses":[{"id":"a","score":1},{"id":"b","score":2},{"id":"c","score":3},{"id":"d","score":4}]}`, ReasonTooManyResponses, "responses"},
		{`{"responses":[{"id":"a","score":1},{"id":"b","score":2},{"id":"a","score":3}]}`, ReasonDuplicateID, "responses[2].id"},
	} {
		_, err := Parse([]byte(tc.body), testRules, now)
		if err == nil {
			t.Errorf("%s: accepted", tc.body)
			continue
		}
		if err.Status != http.StatusBadRequest || err.Reason != tc.reason || err.Field != tc.field || err.Message == "" {
			t.Errorf("%.60s: got %d %s %q (%s), want 400 %s %q", tc.body, err.Status, err.Reason, err.Field, err.Message, tc.reason, tc.field)
		}
	}
}

func TestParseAllowsClockSkew(t *testing.T) {
	// 4 minutes ahead of the receiver's clock is within the 5-minute skew.
	if _, err := Parse([]byte(`{"id":"a","score":9,"submittedAt":"2026-11-23T12:04:00Z"}`), testRules, now); err != nil {
		t.Errorf("rejected: %v", err)
	}
}

func TestHashIDIsKeyedAndStable(t *testing.T) {
	a := HashID([]byte("survey-1"), "response-42")
	if a != HashID([]byte("survey-1"), "response-42") {
		t.Error("the hash of an id changes between calls")
	}
	if a == HashID([]byte("survey-2"), "response-42") {
		t.Error("the same id hashes alike under two surveys' keys")
	}
	if a == HashID([]byte("survey-1"), "response-43") {
		t.Error("two ids share a hash")
	}
}

func TestTallyNameFitsTheNameLimit(t *testing.T) {
	day := stats.DayOf(now)
	if got := TallyName("nps", day, 3, 0); got != "nps-20261123-3-0" {
		t.Errorf("got %q", got)
	}
	long := strings.Repeat("a", 253)
	name := TallyName(long, day, 7, 12)
	if len(name) > 253 || !strings.HasSuffix(name, "-20261123-7-12") {
		t.Errorf("got %d chars: %q", len(name), name)
	}
	if name == TallyName(strings.Repeat("a", 252)+"b", day, 7, 12) {
		t.Error("two long survey names give one tally name")
	}
}
