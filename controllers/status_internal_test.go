package controllers

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/cadence"
	"github.com/touchstone-dev/touchstone/internal/metrics"
)

// TestStatusWriterCadenceAndBudget checks the writer's decisions on a
// fake client (one function; the envtest tests prove the behaviour end
// to end): a refresh waits for the interval after the last write, or
// after first sight; with a budget of one write a second, an urgent write
// goes on an empty bucket while a refresh is given a later slot, counted
// once as deferred, and written at that slot.
func TestStatusWriterCadenceAndBudget(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := cxv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	names := []string{"a", "b", "c"}
	var objs []client.Object
	for _, n := range names {
		objs = append(objs, &cxv1alpha1.Touchpoint{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: n}})
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).WithStatusSubresource(&cxv1alpha1.Touchpoint{}).Build()
	w := newStatusWriter(c, 1)
	ctx := context.Background()
	const interval = 10 * time.Second
	write := func(name, healthy string, change cadence.Change, interval time.Duration) statusResult {
		t.Helper()
		var tp cxv1alpha1.Touchpoint
		if err := c.Get(ctx, types.NamespacedName{Namespace: "shop", Name: name}, &tp); err != nil {
			t.Fatal(err)
		}
		orig := tp.DeepCopy()
		tp.Status.HealthyCollectors = healthy
		res, err := w.write(ctx, orig, &tp, change, interval)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	deferred := func() float64 { return testutil.ToFloat64(metrics.StatusWritesDeferred("Touchpoint")) }
	deferred0 := deferred()

	if res := write("a", "0/1", cadence.Condition, interval); !res.Written {
		t.Fatalf("urgent write of a: %+v, want written", res)
	}
	// A refresh of a right after: due one interval after that write.
	if res := write("a", "1/1", cadence.Refresh, interval); res.Written || res.RetryAfter < interval-time.Second || res.RetryAfter > interval {
		t.Errorf("refresh of a just after its write: %+v, want a wait of about %v", res, interval)
	}
	// b was never written: first sight starts its cadence.
	if res := write("b", "1/1", cadence.Refresh, interval); res.Written || res.RetryAfter < interval-time.Second {
		t.Errorf("first refresh of b: %+v, want a wait of about %v", res, interval)
	}
	// No cadence, and the one token a second went to a: c gets a slot
	// about a second away, counted once.
	first := write("c", "1/1", cadence.Refresh, 0)
	if first.Written || first.RetryAfter <= 0 || first.RetryAfter > time.Second {
		t.Fatalf("refresh of c on an empty bucket: %+v, want a slot within a second", first)
	}
	again := write("c", "1/1", cadence.Refresh, 0)
	if again.Written || again.RetryAfter > first.RetryAfter {
		t.Errorf("c asking again: %+v, want the same slot (%v or less)", again, first.RetryAfter)
	}
	if got := deferred() - deferred0; got != 1 {
		t.Errorf("cx_status_writes_deferred_total{kind=Touchpoint} grew by %v, want 1", got)
	}
	// An urgent write of b goes at once, whatever the bucket.
	if res := write("b", "0/1", cadence.Spec, interval); !res.Written {
		t.Errorf("urgent write of b on an empty bucket: %+v, want written", res)
	}
	// At its slot, c is written without asking the budget again.
	time.Sleep(first.RetryAfter)
	if res := write("c", "1/1", cadence.Refresh, 0); !res.Written {
		t.Errorf("refresh of c at its slot: %+v, want written", res)
	}
	// Nothing to write is never written, nor counted.
	if res := write("a", "0/1", cadence.Condition, interval); res.Written || res.RetryAfter != 0 {
		t.Errorf("an unchanged status: %+v, want nothing", res)
	}
	w.forget(&cxv1alpha1.Touchpoint{}, types.NamespacedName{Namespace: "shop", Name: "a"})
	if _, ok := w.written[keyOf(objs[0])]; ok {
		t.Error("forget kept the object's last write")
	}
}
