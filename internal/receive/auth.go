package receive

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
)

// Headers of HMAC-signed requests.
const (
	HeaderSignature = "X-Touchstone-Signature"
	HeaderTimestamp = "X-Touchstone-Timestamp"
)

// credentials are the secrets a Survey's senders authenticate with.
type credentials struct {
	token   []byte // bearer token; nil when not configured
	hmacKey []byte // HMAC key; nil when not configured
	fetched time.Time
}

// credentialCache reads receiver Secrets one by one through an uncached
// reader (the operator may only get Secrets, never list or watch them) and
// keeps them for a short TTL so that each request does not cost a GET.
type credentialCache struct {
	reader client.Reader
	ttl    time.Duration
	now    func() time.Time

	mu      sync.Mutex
	entries map[types.UID]credentials
}

func newCredentialCache(reader client.Reader, ttl time.Duration) *credentialCache {
	return &credentialCache{reader: reader, ttl: ttl, now: time.Now, entries: map[types.UID]credentials{}}
}

// get returns the credentials of a Survey, from the cache when fresh. With
// refresh, an entry older than a second is read again: used once after a
// failed authentication, so a rotated Secret is picked up at once.
func (c *credentialCache) get(ctx context.Context, svy *cxv1alpha1.Survey, refresh bool) (credentials, *Error) {
	c.mu.Lock()
	cached, ok := c.entries[svy.UID]
	c.mu.Unlock()
	age := c.now().Sub(cached.fetched)
	if ok && age < c.ttl && (!refresh || age < time.Second) {
		return cached, nil
	}
	var creds credentials
	var err *Error
	if ref := svy.Spec.Receiver.BearerTokenSecretRef; ref != nil {
		if creds.token, err = c.read(ctx, svy.Namespace, "spec.receiver.bearerTokenSecretRef", *ref); err != nil {
			return creds, err
		}
	}
	if ref := svy.Spec.Receiver.HMACSecretRef; ref != nil {
		if creds.hmacKey, err = c.read(ctx, svy.Namespace, "spec.receiver.hmacSecretRef", *ref); err != nil {
			return creds, err
		}
	}
	creds.fetched = c.now()
	c.mu.Lock()
	c.entries[svy.UID] = creds
	c.mu.Unlock()
	return creds, nil
}

// forget drops the cached credentials of a Survey.
func (c *credentialCache) forget(uid types.UID) {
	c.mu.Lock()
	delete(c.entries, uid)
	c.mu.Unlock()
}

func (c *credentialCache) read(ctx context.Context, namespace, field string, ref cxv1alpha1.SecretKeyRef) ([]byte, *Error) {
	var s corev1.Secret
	err := c.reader.Get(ctx, types.NamespacedName{Namespace: namespace, Name: ref.Name}, &s)
	switch {
	case apierrors.IsNotFound(err):
		return nil, &Error{Status: http.StatusConflict, Reason: ReasonSurveyNotReady, Field: field,
			Message: fmt.Sprintf("the survey cannot authenticate senders: secret %q does not exist", ref.Name)}
	case err != nil:
		return nil, unavailable(err)
	case len(s.Data[ref.Key]) == 0:
		return nil, &Error{Status: http.StatusConflict, Reason: ReasonSurveyNotReady, Field: field,
			Message: fmt.Sprintf("the survey cannot authenticate senders: secret %q has no key %q", ref.Name, ref.Key)}
	}
	return s.Data[ref.Key], nil
}

// authenticate checks a request against a Survey's credentials: a bearer
// token, or an HMAC-SHA256 signature of timestamp + "." + body made within
// maxSkew of now. Comparisons take constant time.
func authenticate(r *http.Request, body []byte, creds credentials, now time.Time, maxSkew time.Duration) *Error {
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, token, _ := strings.Cut(auth, " ")
		if !strings.EqualFold(scheme, "Bearer") || creds.token == nil {
			return unauthorized("the Authorization header must be \"Bearer <token>\" and the survey must accept bearer tokens")
		}
		if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), creds.token) != 1 {
			return unauthorized("the bearer token is not this survey's")
		}
		return nil
	}
	sig := r.Header.Get(HeaderSignature)
	if sig == "" {
		return unauthorized("send \"Authorization: Bearer <token>\" or an " + HeaderSignature + " header")
	}
	if creds.hmacKey == nil {
		return unauthorized("this survey does not accept HMAC signatures")
	}
	ts := r.Header.Get(HeaderTimestamp)
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return unauthorized(HeaderTimestamp + " must be the Unix time in seconds")
	}
	if d := now.Sub(time.Unix(secs, 0)); d > maxSkew || d < -maxSkew {
		return unauthorized(fmt.Sprintf("%s is more than %s away from the receiver's clock", HeaderTimestamp, maxSkew))
	}
	got, err := hex.DecodeString(strings.TrimPrefix(sig, "sha256="))
	if err != nil || !strings.HasPrefix(sig, "sha256=") {
		return unauthorized(HeaderSignature + " must be sha256=<hex>")
	}
	if !hmac.Equal(got, Sign(creds.hmacKey, ts, body)) {
		return unauthorized("the signature does not match the body")
	}
	return nil
}

// Sign computes the HMAC-SHA256 signature senders put in
// X-Touchstone-Signature (as "sha256=" + hex): the key signs the timestamp,
// a dot and the body.
func Sign(key []byte, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

func unauthorized(message string) *Error {
	return &Error{Status: http.StatusUnauthorized, Reason: ReasonUnauthorized, Message: message}
}

// unavailable is the answer when the Kubernetes API cannot be reached:
// nothing was stored, the sender should retry.
func unavailable(err error) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Reason: ReasonUnavailable, RetryAfter: 5 * time.Second,
		Message: "responses could not be stored durably, nothing was counted: retry later (" + err.Error() + ")"}
}
