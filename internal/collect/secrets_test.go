package collect

import (
	"context"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
)

func TestSecretCacheReadsOncePerTTLAndSeesRotation(t *testing.T) {
	env, reader, c := newTestEnv(t, map[string]map[string]string{"api": {"token": "v1"}}, EnvOptions{CredentialTTL: time.Minute})
	now := time.Unix(1_700_000_000, 0)
	env.Secrets.now = func() time.Time { return now }
	ref := cxv1alpha1.SecretKeyRef{Name: "api", Key: "token"}
	ctx := context.Background()

	// A thousand concurrent readers share one GET.
	var wg sync.WaitGroup
	for range 1000 {
		wg.Go(func() {
			if v, err := env.Secrets.Value(ctx, testNS, "f", ref); err != nil || string(v) != "v1" {
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
	if v, _ := env.Secrets.Value(ctx, testNS, "f", ref); string(v) != "v1" {
		t.Errorf("before the TTL: %q", v)
	}
	now = now.Add(time.Second)
	if v, _ := env.Secrets.Value(ctx, testNS, "f", ref); string(v) != "v2" {
		t.Errorf("after the TTL: %q, want the rotated value", v)
	}
	if n := reader.gets.Load(); n != 2 {
		t.Errorf("%d GETs, want 2", n)
	}

	// A missing Secret is remembered too, and noticed once created.
	missing := cxv1alpha1.SecretKeyRef{Name: "later", Key: "token"}
	for range 3 {
		_, err := env.Secrets.Value(ctx, testNS, "spec.x", missing)
		if e := AsError(err); e == nil || e.Reason != cxv1alpha1.ReasonSecretNotFound {
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
	if v, err := env.Secrets.Value(ctx, testNS, "spec.x", missing); err != nil || string(v) != "t" {
		t.Errorf("after creation and TTL: %q, %v", v, err)
	}
}
