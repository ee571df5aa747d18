package secrets

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/fixtures"
)

func TestResolverReadsOncePerTTLAndSeesRotation(t *testing.T) {
	res, reader, c := newTestResolver(t, map[string]map[string]string{"api": {"token": "v1"}}, time.Minute)
	now := time.Unix(1_700_000_000, 0)
	res.now = func() time.Time { return now }
	ref := cxv1alpha1.SecretKeyRef{Name: "api", Key: "token"}
	ctx := context.Background()

	// A thousand concurrent readers share one GET.
	var wg sync.WaitGroup
	for range 1000 {
		wg.Go(func() {
			if v, err := res.Value(ctx, testNS, "f", ref); err != nil || string(v) != "v1" {
				t.Errorf("got %q, %v", v, err)
			}
		})
	}
	wg.Wait()
	if n := reader.gets.Load(); n != 1 {
		t.Errorf("%d GETs for 1000 reads within the TTL, want 1", n)
	}

	// Rotate: the old value is served until the TTL expires.
	s := &corev1.Secret{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: testNS, Name: "api"}, s); err != nil {
		t.Fatal(err)
	}
	s.Data["token"] = []byte("v2")
	if err := c.Update(ctx, s); err != nil {
		t.Fatal(err)
	}
	now = now.Add(59 * time.Second)
	if v, _ := res.Value(ctx, testNS, "f", ref); string(v) != "v1" {
		t.Errorf("before the TTL: %q", v)
	}
	now = now.Add(time.Second)
	if v, _ := res.Value(ctx, testNS, "f", ref); string(v) != "v2" {
		t.Errorf("after the TTL: %q, want the rotated value", v)
	}
	if n := reader.gets.Load(); n != 2 {
		t.Errorf("%d GETs, want 2", n)
	}

	// A missing Secret is remembered too, and noticed once created.
	missing := cxv1alpha1.SecretKeyRef{Name: "later", Key: "token"}
	for range 3 {
		_, err := res.Value(ctx, testNS, "spec.x", missing)
		var e *Error
		if !errors.As(err, &e) || e.Reason != cxv1alpha1.ReasonSecretNotFound || e.Retryable() {
			t.Fatalf("got %v", err)
		}
	}
	if n := reader.gets.Load(); n != 3 {
		t.Errorf("%d GETs, want 3 (the missing Secret read once)", n)
	}
	if err := c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: testNS, Name: "later"},
		Data: map[string][]byte{"token": []byte("t")}}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute)
	if v, err := res.Value(ctx, testNS, "spec.x", missing); err != nil || string(v) != "t" {
		t.Errorf("after creation and TTL: %q, %v", v, err)
	}
}

// TestResolverFreshRereadsARotatedSecret: Fresh reads again an answer
// older than maxAge, which the receiver uses once after a failed
// signature check.
func TestResolverFreshRereadsARotatedSecret(t *testing.T) {
	res, reader, c := newTestResolver(t, map[string]map[string]string{"api": {"token": "v1"}}, time.Minute)
	now := time.Unix(1_700_000_000, 0)
	res.now = func() time.Time { return now }
	ref := cxv1alpha1.SecretKeyRef{Name: "api", Key: "token"}
	ctx := context.Background()
	if v, err := res.Value(ctx, testNS, "f", ref); err != nil || string(v) != "v1" {
		t.Fatalf("got %q, %v", v, err)
	}
	s := &corev1.Secret{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: testNS, Name: "api"}, s); err != nil {
		t.Fatal(err)
	}
	s.Data["token"] = []byte("v2")
	if err := c.Update(ctx, s); err != nil {
		t.Fatal(err)
	}
	// Within a second, even Fresh reuses the answer (a burst of bad
	// signatures costs one GET per second at most).
	now = now.Add(500 * time.Millisecond)
	if v, _ := res.Fresh(ctx, testNS, "f", ref, time.Second); string(v) != "v1" {
		t.Errorf("Fresh within maxAge: %q, want the cached v1", v)
	}
	now = now.Add(time.Second)
	if v, _ := res.Fresh(ctx, testNS, "f", ref, time.Second); string(v) != "v2" {
		t.Errorf("Fresh after maxAge: %q, want the rotated v2", v)
	}
	if v, _ := res.Value(ctx, testNS, "f", ref); string(v) != "v2" {
		t.Errorf("Value after Fresh: %q, want v2", v)
	}
	if n := reader.gets.Load(); n != 2 {
		t.Errorf("%d GETs, want 2", n)
	}
	if err := res.Check(ctx, testNS, "spec.y", cxv1alpha1.SecretKeyRef{Name: "api", Key: "other"}); err == nil ||
		err.Reason != cxv1alpha1.ReasonSecretKeyNotFound || err.Field != "spec.y" {
		t.Errorf("Check of a missing key: %+v", err)
	}
}

const testNS = "shop"

// countingReader counts the Secret reads that reach the API.
type countingReader struct {
	client.Reader
	gets atomic.Int64
}

func (c *countingReader) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	c.gets.Add(1)
	return c.Reader.Get(ctx, key, obj, opts...)
}

// newTestResolver returns a Resolver over a fake client holding the given
// Secrets (name -> key -> value) in testNS.
func newTestResolver(t testing.TB, secrets map[string]map[string]string, ttl time.Duration) (*Resolver, *countingReader, client.Client) {
	t.Helper()
	c := fixtures.SecretClient(t, testNS, secrets)
	r := &countingReader{Reader: c}
	return NewResolver(r, ttl), r, c
}
