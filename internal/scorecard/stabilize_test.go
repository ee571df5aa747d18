package scorecard_test

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/scorecard"
)

const (
	pass    = cxv1alpha1.ResultPass
	warning = cxv1alpha1.ResultWarning
	fail    = cxv1alpha1.ResultFail
)

// TestStabilizeWalk walks a 5m window through the doc comment's story,
// feeding each step's status to the next as the controller does.
func TestStabilizeWalk(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	window := 5 * time.Minute
	st := cxv1alpha1.ScorecardStatus{}
	steps := []struct {
		at      time.Duration
		current cxv1alpha1.ScorecardResult
		result  cxv1alpha1.ScorecardResult
		pending cxv1alpha1.ScorecardResult
		since   time.Duration // offset of pendingSince from t0, when pending
		requeue time.Duration
	}{
		{0, pass, pass, "", 0, 0},                                  // the first result is published at once
		{time.Minute, warning, pass, warning, time.Minute, window}, // a change waits
		{2 * time.Minute, warning, pass, warning, time.Minute, 4 * time.Minute},
		{3 * time.Minute, pass, pass, "", 0, 0},                            // back to Pass: nothing waits
		{4 * time.Minute, warning, pass, warning, 4 * time.Minute, window}, // the clock starts again
		{5 * time.Minute, fail, pass, fail, 5 * time.Minute, window},       // another result: its own clock
		{9*time.Minute + 59*time.Second, fail, pass, fail, 5 * time.Minute, time.Second},
		{10 * time.Minute, fail, fail, "", 0, 0}, // held for the whole window: published
		{11 * time.Minute, fail, fail, "", 0, 0},
	}
	for i, s := range steps {
		got := scorecard.Stabilize(&st, s.current, t0.Add(s.at), window)
		if got.Result != s.result || got.Pending != s.pending || got.RequeueAfter != s.requeue {
			t.Fatalf("step %d (+%v, now %s): result %s pending %s requeue %v; want %s, %s, %v",
				i, s.at, s.current, got.Result, got.Pending, got.RequeueAfter, s.result, s.pending, s.requeue)
		}
		if (got.PendingSince != nil) != (s.pending != "") ||
			got.PendingSince != nil && !got.PendingSince.Equal(&metav1.Time{Time: t0.Add(s.since)}) {
			t.Fatalf("step %d: pendingSince %v, want +%v", i, got.PendingSince, s.since)
		}
		st.Result, st.PendingResult, st.PendingSince = got.Result, got.Pending, got.PendingSince
	}
}

// TestStabilizeEdges: window 0, the first result, sub-second clocks, a
// restart (only the status is known), and a pendingSince in the future.
func TestStabilizeEdges(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 400_000_000, time.UTC) // 10:00:00.4
	published := &cxv1alpha1.ScorecardStatus{Result: pass}

	// Window 0: every change at once, and a pending result left by a
	// larger window is dropped.
	waiting := &cxv1alpha1.ScorecardStatus{Result: pass, PendingResult: warning, PendingSince: &metav1.Time{Time: now.Add(-time.Minute)}}
	if got := scorecard.Stabilize(waiting, warning, now, 0); got.Result != warning || got.Pending != "" || got.PendingSince != nil || got.RequeueAfter != 0 {
		t.Errorf("window 0: %+v, want Warning at once", got)
	}
	if got := scorecard.Stabilize(waiting, pass, now, 0); got.Result != pass || got.Pending != "" {
		t.Errorf("window 0, back to Pass: %+v", got)
	}
	// First result: at once, whatever the window.
	if got := scorecard.Stabilize(&cxv1alpha1.ScorecardStatus{}, fail, now, time.Hour); got.Result != fail || got.Pending != "" {
		t.Errorf("first result: %+v, want Fail at once", got)
	}
	// A new pending result starts at now rounded up to the second
	// (10:00:01), so the window ends at 10:01:01, 60.6s from now: never
	// early, although status stores whole seconds.
	got := scorecard.Stabilize(published, warning, now, time.Minute)
	if want := time.Date(2026, 3, 1, 10, 0, 1, 0, time.UTC); got.PendingSince == nil || !got.PendingSince.Time.Equal(want) {
		t.Fatalf("pendingSince %v, want %v", got.PendingSince, want)
	}
	if got.RequeueAfter != 60*time.Second+600*time.Millisecond {
		t.Errorf("requeue after %v, want 1m0.6s", got.RequeueAfter)
	}
	// After a restart the status alone says how long is left: pending
	// since 10:00:01 with a 1m window, evaluated at 10:00:31.4 -> 29.6s.
	restarted := &cxv1alpha1.ScorecardStatus{Result: pass, PendingResult: warning, PendingSince: got.PendingSince}
	if g := scorecard.Stabilize(restarted, warning, now.Add(31*time.Second), time.Minute); g.Result != pass || g.RequeueAfter != 29*time.Second+600*time.Millisecond {
		t.Errorf("after a restart: %+v, want Pass with 29.6s left", g)
	}
	// ... and at 10:01:01 exactly the window has passed.
	if g := scorecard.Stabilize(restarted, warning, time.Date(2026, 3, 1, 10, 1, 1, 0, time.UTC), time.Minute); g.Result != warning || g.Pending != "" {
		t.Errorf("at the end of the window: %+v, want Warning published", g)
	}
	// A longer window set meanwhile applies to the result that waits.
	if g := scorecard.Stabilize(restarted, warning, time.Date(2026, 3, 1, 10, 1, 1, 0, time.UTC), 5*time.Minute); g.Result != pass || g.RequeueAfter != 4*time.Minute {
		t.Errorf("longer window: %+v, want Pass with 4m left", g)
	}
	// A pendingSince well ahead of now (a clock that moved back) starts again.
	future := &cxv1alpha1.ScorecardStatus{Result: pass, PendingResult: warning, PendingSince: &metav1.Time{Time: now.Add(time.Hour)}}
	if g := scorecard.Stabilize(future, warning, now, time.Minute); g.PendingSince == nil || g.PendingSince.After(now.Add(time.Second)) || g.RequeueAfter > time.Minute+time.Second {
		t.Errorf("future pendingSince: %+v, want the clock started again", g)
	}
}

func TestNotePending(t *testing.T) {
	since := metav1.NewTime(time.Date(2026, 3, 1, 10, 0, 4, 0, time.UTC))
	c := metav1.Condition{Message: "4 objectives evaluated: score 78.57, result Warning (...)"}
	scorecard.NotePending(&c, scorecard.Stable{Result: pass, Pending: warning, PendingSince: &since}, 5*time.Minute)
	want := "4 objectives evaluated: score 78.57, result Warning (...); result Pass stays published until Warning has held " +
		"for the stabilization window of 5m (since 2026-03-01T10:00:04Z, due 10:05:04)"
	if c.Message != want {
		t.Errorf("message\n%q, want\n%q", c.Message, want)
	}
	c = metav1.Condition{Message: "unchanged"}
	scorecard.NotePending(&c, scorecard.Stable{Result: pass}, 5*time.Minute)
	if c.Message != "unchanged" {
		t.Errorf("nothing pending changed the message: %q", c.Message)
	}
	for d, want := range map[time.Duration]string{5 * time.Minute: "5m", time.Hour: "1h", 90 * time.Second: "1m30s", 0: "0s", 24 * time.Hour: "24h"} {
		if got := scorecard.ShortDuration(d); got != want {
			t.Errorf("ShortDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
