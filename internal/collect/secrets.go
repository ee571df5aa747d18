package collect

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
)

// DefaultCredentialTTL is how long a Secret read is reused.
const DefaultCredentialTTL = time.Minute

// SecretCache reads Secrets one by one through an uncached reader (the
// manager's API reader: RBAC allows get only, and Secrets are never listed
// or watched) and keeps each answer, found or not found, for TTL. A
// thousand collectors sharing a Secret read it once per TTL, and a rotated
// Secret is used within TTL. Concurrent reads of the same Secret wait for
// one GET.
type SecretCache struct {
	reader client.Reader
	ttl    time.Duration
	now    func() time.Time

	mu      sync.Mutex
	entries map[types.NamespacedName]*secretEntry
}

type secretEntry struct {
	ready   chan struct{} // closed when data/notFound are set
	fetched time.Time
	data    map[string][]byte
	found   bool
	err     error // a read error other than NotFound; never cached
}

// NewSecretCache returns a cache over reader; ttl <= 0 means
// DefaultCredentialTTL.
func NewSecretCache(reader client.Reader, ttl time.Duration) *SecretCache {
	if ttl <= 0 {
		ttl = DefaultCredentialTTL
	}
	return &SecretCache{reader: reader, ttl: ttl, now: time.Now, entries: map[types.NamespacedName]*secretEntry{}}
}

// Value returns the value of one Secret key. field names the spec field
// that refers to it, for messages. Errors are *Error of kind ErrSecret;
// Reason is SecretNotFound or SecretKeyNotFound when the Secret or key is
// missing (or the value empty), "" when the read itself failed.
func (c *SecretCache) Value(ctx context.Context, namespace, field string, ref cxv1alpha1.SecretKeyRef) ([]byte, error) {
	e, err := c.get(ctx, types.NamespacedName{Namespace: namespace, Name: ref.Name})
	if err != nil {
		return nil, &Error{Kind: ErrSecret, Message: truncate(fmt.Sprintf("reading secret %q named in %s: %v", ref.Name, field, err))}
	}
	if !e.found {
		return nil, &Error{Kind: ErrSecret, Reason: cxv1alpha1.ReasonSecretNotFound,
			Message: fmt.Sprintf("secret %q named in %s does not exist", ref.Name, field)}
	}
	v := e.data[ref.Key]
	if len(v) == 0 {
		return nil, &Error{Kind: ErrSecret, Reason: cxv1alpha1.ReasonSecretKeyNotFound,
			Message: fmt.Sprintf("secret %q named in %s has no key %q, or it is empty", ref.Name, field, ref.Key)}
	}
	return v, nil
}

// get returns a fresh entry for key, reading the Secret when the cached
// one expired.
func (c *SecretCache) get(ctx context.Context, key types.NamespacedName) (*secretEntry, error) {
	c.mu.Lock()
	e := c.entries[key]
	now := c.now()
	if e != nil {
		select {
		case <-e.ready:
			if e.err != nil || now.Sub(e.fetched) >= c.ttl {
				e = nil // expired, or the last read failed: read again
			}
		default: // a read is in flight: wait for it
		}
	}
	if e == nil {
		e = &secretEntry{ready: make(chan struct{})}
		c.entries[key] = e
		c.sweepLocked(now)
		c.mu.Unlock()
		c.fetch(ctx, key, e)
		return e, e.err
	}
	c.mu.Unlock()
	select {
	case <-e.ready:
		return e, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// fetch reads one Secret into e and marks it ready.
func (c *SecretCache) fetch(ctx context.Context, key types.NamespacedName, e *secretEntry) {
	defer close(e.ready)
	var s corev1.Secret
	err := c.reader.Get(ctx, key, &s)
	e.fetched = c.now()
	switch {
	case err == nil:
		e.found, e.data = true, s.Data
	case apierrors.IsNotFound(err):
		e.found = false
	default:
		e.err = err
	}
}

// sweepLocked drops expired entries once the map grows, so that Secrets no
// longer referenced do not stay in memory.
func (c *SecretCache) sweepLocked(now time.Time) {
	if len(c.entries) < 256 {
		return
	}
	for k, e := range c.entries {
		select {
		case <-e.ready:
			if now.Sub(e.fetched) >= c.ttl {
				delete(c.entries, k)
			}
		default:
		}
	}
}
