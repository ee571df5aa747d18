package receive

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // HMAC-SHA1 is offered for senders that sign with it; HMAC does not rely on SHA-1's collision resistance.
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"time"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
)

// Headers of the third-party formats.
const (
	HeaderWebhookID        = "webhook-id"
	HeaderWebhookTimestamp = "webhook-timestamp"
	HeaderWebhookSignature = "webhook-signature"
	HeaderTypeform         = "Typeform-Signature"
)

// standardWebhooksPrefix starts a Standard Webhooks symmetric secret.
const standardWebhooksPrefix = "whsec_"

// DecodeStandardWebhookSecret returns the HMAC key of a Standard Webhooks
// secret: "whsec_" (optional) followed by the key in base64.
func DecodeStandardWebhookSecret(secret string) ([]byte, error) {
	s := strings.TrimPrefix(strings.TrimSpace(secret), standardWebhooksPrefix)
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(key) == 0 {
		return nil, errors.New("is not a Standard Webhooks secret: whsec_ followed by the key in base64")
	}
	return key, nil
}

// SignStandardWebhook is the webhook-signature entry a sender writes:
// "v1," + base64(HMAC-SHA256(key, id + "." + timestamp + "." + body)).
func SignStandardWebhook(key []byte, id, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte("."))
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// VerifyStandardWebhook checks a Standard Webhooks v1 delivery
// (https://www.standardwebhooks.com): the webhook-timestamp (Unix seconds)
// within tolerance of now, and one of the space-separated entries of
// webhook-signature a "v1," signature of id.timestamp.body under key (a
// sender rotating its key signs with both). Other versions, such as the
// asymmetric v1a, are skipped. Comparisons take constant time.
func VerifyStandardWebhook(key []byte, id, timestamp, signatures string, body []byte, now time.Time, tolerance time.Duration) error {
	if id == "" || timestamp == "" || signatures == "" {
		return errors.New("a Standard Webhooks delivery carries the headers webhook-id, webhook-timestamp and webhook-signature")
	}
	secs, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return errors.New("webhook-timestamp must be the Unix time in seconds")
	}
	if d := now.Sub(time.Unix(secs, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("webhook-timestamp is more than %s away from the receiver's clock", tolerance)
	}
	want := SignStandardWebhook(key, id, timestamp, body)
	for entry := range strings.FieldsSeq(signatures) {
		if hmac.Equal([]byte(entry), []byte(want)) {
			return nil
		}
	}
	return errors.New("no v1 signature of webhook-signature matches the body")
}

// SignTypeform is the Typeform-Signature header of a body:
// "sha256=" + base64(HMAC-SHA256(secret, body)).
func SignTypeform(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// verifyTypeform checks a Typeform-Signature header.
func verifyTypeform(secret []byte, header string, body []byte) error {
	if header == "" {
		return errors.New("a Typeform delivery carries a Typeform-Signature header")
	}
	if !hmac.Equal([]byte(strings.TrimSpace(header)), []byte(SignTypeform(secret, body))) {
		return errors.New("Typeform-Signature does not match the body")
	}
	return nil
}

// SignGeneric computes the signature header value a Generic sender
// writes, as spec describes it: prefix + encoding(HMAC(key, signed)).
func SignGeneric(spec *cxv1alpha1.ReceiverSignature, key []byte, timestamp string, body []byte) string {
	m := hmac.New(hashOf(spec.Algorithm), key)
	switch spec.Signed {
	case cxv1alpha1.SignedTimestampBody:
		m.Write([]byte(timestamp))
	case cxv1alpha1.SignedTimestampDotBody:
		m.Write([]byte(timestamp))
		m.Write([]byte("."))
	}
	m.Write(body)
	sum := m.Sum(nil)
	if spec.Encoding == cxv1alpha1.EncodingBase64 {
		return spec.Prefix + base64.StdEncoding.EncodeToString(sum)
	}
	return spec.Prefix + hex.EncodeToString(sum)
}

func hashOf(a cxv1alpha1.HMACAlgorithm) func() hash.Hash {
	switch a {
	case cxv1alpha1.HMACSHA1:
		return sha1.New
	case cxv1alpha1.HMACSHA512:
		return sha512.New
	default:
		return sha256.New
	}
}

// verifyGeneric checks a Generic signature: its timestamp (when the spec
// names a timestamp header) within tolerance of now, then the signature,
// decoded so that hex of either case matches.
func verifyGeneric(spec *cxv1alpha1.ReceiverSignature, key []byte, header func(string) string, body []byte, now time.Time, tolerance time.Duration) error {
	got := strings.TrimSpace(header(spec.Header))
	if got == "" {
		return fmt.Errorf("send the %s header", spec.Header)
	}
	ts := ""
	if spec.TimestampHeader != "" {
		ts = strings.TrimSpace(header(spec.TimestampHeader))
		t, err := parseSignatureTime(ts, spec.TimestampFormat)
		if err != nil {
			return fmt.Errorf("%s %s", spec.TimestampHeader, err.Error())
		}
		if d := now.Sub(t); d > tolerance || d < -tolerance {
			return fmt.Errorf("%s is more than %s away from the receiver's clock", spec.TimestampHeader, tolerance)
		}
	}
	rest, ok := strings.CutPrefix(got, spec.Prefix)
	if !ok {
		return fmt.Errorf("%s must start with %q", spec.Header, spec.Prefix)
	}
	want := SignGeneric(spec, key, ts, body)[len(spec.Prefix):]
	if spec.Encoding != cxv1alpha1.EncodingBase64 {
		rest = strings.ToLower(rest)
	}
	if !hmac.Equal([]byte(rest), []byte(want)) {
		return fmt.Errorf("%s does not match the body", spec.Header)
	}
	return nil
}

func parseSignatureTime(s string, format cxv1alpha1.TimestampFormat) (time.Time, error) {
	if format == cxv1alpha1.TimestampRFC3339 {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, errors.New("must be an RFC 3339 time")
		}
		return t, nil
	}
	secs, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, errors.New("must be the Unix time in seconds")
	}
	return time.Unix(secs, 0), nil
}
