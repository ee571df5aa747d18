package receive

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
)

// The published test vector of the standard-webhooks project (its Go
// library's webhook_test.go, TestWebhookSign, shared by the JavaScript and
// Python libraries): this secret, id, timestamp and payload sign to this
// signature.
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = "1614265330"
	vectorPayload   = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestStandardWebhooksPublishedVector(t *testing.T) {
	key, err := DecodeStandardWebhookSecret(vectorSecret)
	if err != nil {
		t.Fatal(err)
	}
	if got := SignStandardWebhook(key, vectorID, vectorTimestamp, []byte(vectorPayload)); got != vectorSignature {
		t.Fatalf("signature %s, want the published %s", got, vectorSignature)
	}
	// The prefix is optional.
	bare, err := DecodeStandardWebhookSecret(strings.TrimPrefix(vectorSecret, "whsec_"))
	if err != nil || string(bare) != string(key) {
		t.Fatalf("the secret without whsec_ decodes to another key: %v", err)
	}
	signedAt := time.Unix(1614265330, 0)
	tolerance := 5 * time.Minute
	other := "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
	for _, tc := range []struct {
		name                  string
		now                   time.Time
		id, ts, sigs, payload string
		ok                    bool
	}{
		{"the vector", signedAt.Add(time.Minute), vectorID, vectorTimestamp, vectorSignature, vectorPayload, true},
		{"the vector, 5 minutes later", signedAt.Add(tolerance), vectorID, vectorTimestamp, vectorSignature, vectorPayload, true},
		{"the vector, too late", signedAt.Add(tolerance + time.Second), vectorID, vectorTimestamp, vectorSignature, vectorPayload, false},
		{"the vector, from the future", signedAt.Add(-tolerance - time.Second), vectorID, vectorTimestamp, vectorSignature, vectorPayload, false},
		{"key rotation: one of several", signedAt, vectorID, vectorTimestamp, other + " v2,abc " + vectorSignature + " " + other, vectorPayload, true},
		{"only other signatures", signedAt, vectorID, vectorTimestamp, other + " " + other, vectorPayload, false},
		{"another id", signedAt, "msg_other", vectorTimestamp, vectorSignature, vectorPayload, false},
		{"tampered payload", signedAt, vectorID, vectorTimestamp, vectorSignature, `{"test": 2432232315}`, false},
		{"no id", signedAt, "", vectorTimestamp, vectorSignature, vectorPayload, false},
		{"timestamp not a number", signedAt, vectorID, "yesterday", vectorSignature, vectorPayload, false},
	} {
		err := VerifyStandardWebhook(key, tc.id, tc.ts, tc.sigs, []byte(tc.payload), tc.now, tolerance)
		if (err == nil) != tc.ok {
			t.Errorf("%s: error %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
	if _, err := DecodeStandardWebhookSecret("whsec_not base64!"); err == nil {
		t.Error("a secret that is not base64 was accepted")
	}
}

// TestGenericSignatures checks each option of a Generic signature against
// values computed independently: Zendesk's documented scheme, and hex
// HMACs of the body in either case.
func TestGenericSignatures(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	body := []byte(`{"ticket_id":"1","rating":"Good"}`)
	zendesk := &cxv1alpha1.ReceiverSignature{Header: "X-Zendesk-Webhook-Signature", Encoding: cxv1alpha1.EncodingBase64,
		TimestampHeader: "X-Zendesk-Webhook-Signature-Timestamp", TimestampFormat: cxv1alpha1.TimestampRFC3339, Signed: cxv1alpha1.SignedTimestampBody}
	ts := "2026-11-23T09:29:00Z"
	// base64(HMAC-SHA256("secret", "2026-11-23T09:29:00Z" + body)), computed
	// with: printf '%s%s' "$ts" "$body" | openssl dgst -sha256 -hmac secret -binary | base64
	want := base64.StdEncoding.EncodeToString(hmacOf("secret", ts+string(body)))
	if got := SignGeneric(zendesk, []byte("secret"), ts, body); got != want {
		t.Fatalf("Zendesk signature %s, want %s", got, want)
	}
	headers := http.Header{}
	headers.Set(zendesk.Header, want)
	headers.Set(zendesk.TimestampHeader, ts)
	if err := verifyGeneric(zendesk, []byte("secret"), headers.Get, body, now, 5*time.Minute); err != nil {
		t.Errorf("Zendesk: %v", err)
	}
	if err := verifyGeneric(zendesk, []byte("secret"), headers.Get, body, now.Add(10*time.Minute), 5*time.Minute); err == nil {
		t.Error("Zendesk: an expired timestamp passed")
	}
	headers.Set(zendesk.TimestampHeader, "2026-11-23T09:29:01Z")
	if err := verifyGeneric(zendesk, []byte("secret"), headers.Get, body, now, 5*time.Minute); err == nil {
		t.Error("Zendesk: a changed timestamp passed")
	}

	delighted := &cxv1alpha1.ReceiverSignature{Header: "X-Delighted-Webhook-Signature", Prefix: "sha256="}
	h := http.Header{}
	h.Set(delighted.Header, "sha256="+strings.ToUpper(hexOf(hmacOf("k", string(body)))))
	if err := verifyGeneric(delighted, []byte("k"), h.Get, body, now, 5*time.Minute); err != nil {
		t.Errorf("hex in upper case: %v", err)
	}
	h.Set(delighted.Header, hexOf(hmacOf("k", string(body))))
	if err := verifyGeneric(delighted, []byte("k"), h.Get, body, now, 5*time.Minute); err == nil {
		t.Error("a signature without its prefix passed")
	}
	sha512 := &cxv1alpha1.ReceiverSignature{Header: "X-Sig", Algorithm: cxv1alpha1.HMACSHA512, TimestampHeader: "X-Ts",
		Signed: cxv1alpha1.SignedTimestampDotBody}
	if got := SignGeneric(sha512, []byte("k"), "1", body); len(got) != 128 {
		t.Errorf("sha512 hex signature has %d characters, want 128", len(got))
	}
}
