// Package secrets is the one place Touchstone reads Secret values: the
// collectors' credentials, the receiver's tokens and signing keys, and the
// controllers' checks that the Secrets a spec names exist all go through a
// Resolver, with one cache and one TTL (the operator's --secret-cache-ttl).
//
// Secrets are read one by one with an uncached reader (the manager's API
// reader): the operator's RBAC allows get only, never list or watch, so no
// Secret of the cluster sits in the operator's memory unless a Touchstone
// object names it.
package secrets

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

// DefaultTTL is how long a Secret read is reused: a rotated Secret is used
// within this delay (the receiver reads again at once after a failed
// authentication, see Fresh).
const DefaultTTL = 30 * time.Second

// Error is why a Secret value could not be resolved. Reason is
// cxv1alpha1.ReasonSecretNotFound or ReasonSecretKeyNotFound when the
// Secret or its key is missing (or the value is empty): a configuration
// problem that only a change of the Secret or the spec fixes. Reason is
// empty when the read itself failed (the API server could not be reached):
// Retryable is then true.
type Error struct {
	// Reason is the condition reason of a missing Secret or key.
	Reason string
	// Field names the spec field that refers to the Secret.
	Field string
	// Message says what is wrong; it never contains a Secret value.
	Message string
	// Err is the read error, when Retryable.
	Err error
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the read error, if any.
func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether reading again can help: true when the read
// failed, false when the Secret or key is missing.
func (e *Error) Retryable() bool { return e.Reason == "" }

// Resolver reads Secrets one by one through an uncached reader and keeps
// each answer, found or not found, for TTL. A thousand collectors sharing a
// Secret read it once per TTL, and a rotated Secret is used within TTL.
// Concurrent reads of the same Secret wait for one GET.
type Resolver struct {
	reader client.Reader
	ttl    time.Duration
	now    func() time.Time

	mu      sync.Mutex
	entries map[types.NamespacedName]*entry
}

type entry struct {
	ready   chan struct{} // closed when data/found/err are set
	fetched time.Time
	data    map[string][]byte
	found   bool
	err     error // a read error other than NotFound; never cached
}

// NewResolver returns a resolver over reader; ttl <= 0 means DefaultTTL.
func NewResolver(reader client.Reader, ttl time.Duration) *Resolver {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	return &Resolver{reader: reader, ttl: ttl, now: time.Now, entries: map[types.NamespacedName]*entry{}}
}

// TTL is how long a read is reused.
func (r *Resolver) TTL() time.Duration { return r.ttl }

// Value returns the value of one Secret key, from the cache when it was
// read less than TTL ago. field names the spec field that refers to it,
// for messages. Errors are *Error.
func (r *Resolver) Value(ctx context.Context, namespace, field string, ref cxv1alpha1.SecretKeyRef) ([]byte, error) {
	return r.value(ctx, namespace, field, ref, r.ttl)
}

// Fresh is Value with a shorter reuse: an answer older than maxAge is read
// again. The receiver calls it once after a signature or token did not
// match, so that a Secret rotated a moment ago is used at once.
func (r *Resolver) Fresh(ctx context.Context, namespace, field string, ref cxv1alpha1.SecretKeyRef, maxAge time.Duration) ([]byte, error) {
	return r.value(ctx, namespace, field, ref, min(maxAge, r.ttl))
}

// Check reports whether a Secret key can be resolved: nil, or the *Error
// Value would return.
func (r *Resolver) Check(ctx context.Context, namespace, field string, ref cxv1alpha1.SecretKeyRef) *Error {
	if _, err := r.Value(ctx, namespace, field, ref); err != nil {
		return err.(*Error)
	}
	return nil
}

func (r *Resolver) value(ctx context.Context, namespace, field string, ref cxv1alpha1.SecretKeyRef, maxAge time.Duration) ([]byte, error) {
	e, err := r.get(ctx, types.NamespacedName{Namespace: namespace, Name: ref.Name}, maxAge)
	if err != nil {
		return nil, &Error{Field: field, Err: err, Message: fmt.Sprintf("reading secret %q named in %s: %v", ref.Name, field, err)}
	}
	if !e.found {
		return nil, &Error{Reason: cxv1alpha1.ReasonSecretNotFound, Field: field,
			Message: fmt.Sprintf("secret %q named in %s does not exist", ref.Name, field)}
	}
	v := e.data[ref.Key]
	if len(v) == 0 {
		return nil, &Error{Reason: cxv1alpha1.ReasonSecretKeyNotFound, Field: field,
			Message: fmt.Sprintf("secret %q named in %s has no key %q, or it is empty", ref.Name, field, ref.Key)}
	}
	return v, nil
}

// get returns an entry for key read less than maxAge ago, reading the
// Secret when the cached one is older.
func (r *Resolver) get(ctx context.Context, key types.NamespacedName, maxAge time.Duration) (*entry, error) {
	r.mu.Lock()
	e := r.entries[key]
	now := r.now()
	if e != nil {
		select {
		case <-e.ready:
			if e.err != nil || now.Sub(e.fetched) >= maxAge {
				e = nil // expired, or the last read failed: read again
			}
		default: // a read is in flight: wait for it
		}
	}
	if e == nil {
		e = &entry{ready: make(chan struct{})}
		r.entries[key] = e
		r.sweepLocked(now)
		r.mu.Unlock()
		r.fetch(ctx, key, e)
		return e, e.err
	}
	r.mu.Unlock()
	select {
	case <-e.ready:
		return e, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// fetch reads one Secret into e and marks it ready.
func (r *Resolver) fetch(ctx context.Context, key types.NamespacedName, e *entry) {
	defer close(e.ready)
	var s corev1.Secret
	err := r.reader.Get(ctx, key, &s)
	e.fetched = r.now()
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
func (r *Resolver) sweepLocked(now time.Time) {
	if len(r.entries) < 256 {
		return
	}
	for k, e := range r.entries {
		select {
		case <-e.ready:
			if now.Sub(e.fetched) >= r.ttl {
				delete(r.entries, k)
			}
		default:
		}
	}
}
