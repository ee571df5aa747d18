package cadence

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func TestDue(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		change   Change
		last     time.Time
		interval time.Duration
		want     time.Time
	}{
		// The doc comment's example: written at 10:00:00, 60s interval.
		{"refresh waits one interval after the last write", Refresh, t0, time.Minute, t0.Add(time.Minute)},
		{"a condition is due at once", Condition, t0, time.Minute, time.Time{}},
		{"a spec change is due at once", Spec, t0, time.Minute, time.Time{}},
		{"never written: at once", Refresh, time.Time{}, time.Minute, time.Time{}},
		{"no cadence: at once", Refresh, t0, 0, time.Time{}},
	} {
		if got := Due(tc.change, tc.last, tc.interval); !got.Equal(tc.want) {
			t.Errorf("%s: Due = %v, want %v", tc.name, got, tc.want)
		}
	}
	if got := fmt.Sprint(None, Refresh, Condition, Spec); got != "none refresh condition spec" {
		t.Errorf("names: %s", got)
	}
	if Max(Refresh, Spec, Condition) != Spec || Max() != None || !Condition.Urgent() || Refresh.Urgent() {
		t.Error("Max or Urgent is wrong")
	}
}

func TestConditionsChanged(t *testing.T) {
	t.Parallel()
	ready := metav1.Condition{Type: "Ready", Status: metav1.ConditionTrue, Reason: "CollectorsSucceeded", Message: "all 3 succeeded", ObservedGeneration: 1}
	healthy := metav1.Condition{Type: "CollectorsHealthy", Status: metav1.ConditionTrue, Reason: "CollectorsSucceeded", ObservedGeneration: 1}
	with := func(c metav1.Condition, f func(*metav1.Condition)) metav1.Condition { f(&c); return c }
	for _, tc := range []struct {
		name       string
		prev, next []metav1.Condition
		want       bool
	}{
		{"same", []metav1.Condition{ready, healthy}, []metav1.Condition{healthy, ready}, false},
		{"message only", []metav1.Condition{ready}, []metav1.Condition{with(ready, func(c *metav1.Condition) { c.Message = "other" })}, false},
		{"transition time only", []metav1.Condition{ready}, []metav1.Condition{with(ready, func(c *metav1.Condition) { c.LastTransitionTime = metav1.NewTime(t0) })}, false},
		{"status", []metav1.Condition{ready}, []metav1.Condition{with(ready, func(c *metav1.Condition) { c.Status = metav1.ConditionFalse })}, true},
		{"reason", []metav1.Condition{ready}, []metav1.Condition{with(ready, func(c *metav1.Condition) { c.Reason = "CollectorsPending" })}, true},
		{"generation", []metav1.Condition{ready}, []metav1.Condition{with(ready, func(c *metav1.Condition) { c.ObservedGeneration = 2 })}, true},
		{"appeared", nil, []metav1.Condition{ready}, true},
		{"went away", []metav1.Condition{ready, healthy}, []metav1.Condition{ready}, true},
		{"replaced", []metav1.Condition{ready}, []metav1.Condition{healthy}, true},
	} {
		if got := ConditionsChanged(tc.prev, tc.next); got != tc.want {
			t.Errorf("%s: ConditionsChanged = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// The doc comment's example: at 400 writes/s, 1,000 refreshes due at once
// are written 400 at once, then each at its slot, the last 600/400 = 1.5s
// later; every deferred one is deferred once and keeps its slot.
func TestBudgetSpreadsABurstOfRefreshes(t *testing.T) {
	t.Parallel()
	b := NewBudget(400)
	now, deferred, last := 0, 0, time.Duration(0)
	for i := range 1000 {
		wait, d := b.Refresh(fmt.Sprint("tp-", i), t0)
		if wait == 0 {
			now++
			continue
		}
		if !d {
			t.Fatalf("refresh %d waits %v but was not counted as deferred", i, wait)
		}
		deferred++
		if wait < last {
			t.Fatalf("refresh %d waits %v, less than the one before (%v): slots must come in order", i, wait, last)
		}
		last = wait
	}
	if now != 400 || deferred != 600 {
		t.Errorf("%d written at once and %d deferred, want 400 and 600", now, deferred)
	}
	if last < 1490*time.Millisecond || last > 1500*time.Millisecond {
		t.Errorf("the last slot is %v away, want 1.5s", last)
	}
	// Asking again before the slot: the same slot, not counted again.
	wait, d := b.Refresh("tp-999", t0.Add(time.Second))
	if d || wait < 490*time.Millisecond || wait > 500*time.Millisecond {
		t.Errorf("tp-999 asked again 1s later: wait %v (deferred again: %v), want the 0.5s left of its slot", wait, d)
	}
	// At its slot, it goes; asking again then is a new refresh.
	if wait, _ := b.Refresh("tp-999", t0.Add(1500*time.Millisecond)); wait != 0 {
		t.Errorf("tp-999 at its slot waits %v, want 0", wait)
	}
}

// Urgent writes never wait, overdraw the bucket down to minus one second
// of tokens, and make refreshes wait behind them.
func TestBudgetPutsUrgentWritesFirst(t *testing.T) {
	t.Parallel()
	b := NewBudget(10) // a burst of 10
	for i := range 30 {
		b.Urgent(fmt.Sprint("cold-", i), t0)
	}
	// 10 tokens, then 10 overdrawn; the last 10 take none.
	if got := b.Tokens(t0); got != -10 {
		t.Errorf("tokens after 30 urgent writes: %v, want -10", got)
	}
	// A refresh now waits for 11 tokens: 1.1s.
	if wait, d := b.Refresh("refresh", t0); !d || wait != 1100*time.Millisecond {
		t.Errorf("refresh after the urgent writes waits %v (deferred %v), want 1.1s", wait, d)
	}
	// An urgent write still goes at once (it has no wait to return).
	b.Urgent("cold-30", t0)
}

// An urgent write of an object that holds a slot carries its refresh: the
// slot is given back (as far as no later slot was given out meanwhile).
func TestBudgetUrgentWriteGivesBackTheSlot(t *testing.T) {
	t.Parallel()
	b := NewBudget(10)
	for i := range 10 {
		if wait, _ := b.Refresh(fmt.Sprint("tp-", i), t0); wait != 0 {
			t.Fatalf("refresh %d of 10 waits %v", i, wait)
		}
	}
	if wait, _ := b.Refresh("x", t0); wait != 100*time.Millisecond {
		t.Fatalf("x waits %v, want 100ms", wait)
	}
	b.Urgent("x", t0) // gives back x's token, takes one
	// Without the slot given back, z would wait 300ms (x's slot, the
	// urgent write's token, then its own).
	if wait, _ := b.Refresh("z", t0); wait != 200*time.Millisecond {
		t.Errorf("z waits %v, want 200ms", wait)
	}
	b.Forget("z", t0)
	if wait, _ := b.Refresh("w", t0); wait != 200*time.Millisecond {
		t.Errorf("after z was forgotten, w waits %v, want z's 200ms", wait)
	}
}

func TestNoBudget(t *testing.T) {
	t.Parallel()
	b := NewBudget(0)
	if b != nil {
		t.Fatal("NewBudget(0) is a budget")
	}
	for i := range 1000 {
		if wait, d := b.Refresh(fmt.Sprint(i), t0); wait != 0 || d {
			t.Fatalf("no budget: refresh %d waits %v", i, wait)
		}
	}
	b.Urgent("x", t0)
	b.Forget("x", t0)
}
