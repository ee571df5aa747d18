package scorecard

import (
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
)

// Stable is the result a card publishes after its stabilization window,
// and what waits.
type Stable struct {
	// Result is the published result (status.result, cx_scorecard_result).
	Result cxv1alpha1.ScorecardResult
	// Pending is the result the objectives give now when it differs from
	// Result and has not held for the whole window; empty otherwise.
	Pending cxv1alpha1.ScorecardResult
	// PendingSince is when Pending was first seen; nil without Pending.
	PendingSince *metav1.Time
	// RequeueAfter is how long until Pending has held for the window:
	// the card must be evaluated again then, even if no source changes.
	// 0 when nothing waits.
	RequeueAfter time.Duration
}

// Stabilize decides what a card publishes, from what its status said
// before (result, pendingResult, pendingSince), the result its objectives
// give now, the time and spec.stabilizationWindow. It reads everything it
// needs from the previous status, so it gives the same answer after an
// operator restart or a leader change.
//
//	window 5m, published Pass:
//	10:00:00 objectives give Warning -> Pass published, Warning pending since 10:00:00, requeue in 5m
//	10:02:00 Pass again              -> Pass, nothing pending
//	10:03:00 Warning                 -> Pass, Warning pending since 10:03:00
//	10:08:00 still Warning           -> Warning published (held 5m)
//
// A card's first result (nothing published yet) and every result with a
// window of 0 are published at once. A new pending result starts its
// clock at now rounded up to the second, as status stores it, so that a
// result is never published before it has held for the whole window. A
// pendingSince more than a second ahead of now (a clock that moved back)
// starts the clock again.
func Stabilize(prev *cxv1alpha1.ScorecardStatus, current cxv1alpha1.ScorecardResult, now time.Time, window time.Duration) Stable {
	if prev.Result == "" || window <= 0 || current == prev.Result {
		return Stable{Result: current}
	}
	since := ceilSecond(now)
	if prev.PendingResult == current && prev.PendingSince != nil && !prev.PendingSince.After(now.Add(time.Second)) {
		since = prev.PendingSince.Time
	}
	due := since.Add(window)
	if !now.Before(due) {
		return Stable{Result: current}
	}
	return Stable{
		Result:       prev.Result,
		Pending:      current,
		PendingSince: &metav1.Time{Time: since},
		RequeueAfter: due.Sub(now),
	}
}

// ceilSecond rounds t up to a whole second.
func ceilSecond(t time.Time) time.Time {
	if r := t.Truncate(time.Second); !r.Equal(t) {
		return r.Add(time.Second)
	}
	return t
}

// NotePending completes the Ready message of a card whose result waits
// for its stabilization window, so that the message (which describes the
// objectives as evaluated now) does not contradict status.result:
// "...; result Pass stays published until Warning has held for the
// stabilization window of 5m (since 2026-03-01T10:00:04Z, due 10:05:04Z)".
func NotePending(ready *metav1.Condition, s Stable, window time.Duration) {
	if s.Pending == "" || s.PendingSince == nil {
		return
	}
	since := s.PendingSince.UTC()
	ready.Message += fmt.Sprintf("; result %s stays published until %s has held for the stabilization window of %s (since %s, due %s)",
		s.Result, s.Pending, ShortDuration(window), since.Format(time.RFC3339), since.Add(window).Format(time.TimeOnly))
}

// ShortDuration renders a duration the way specs write it: 5m, 1h, 1m30s
// (time.Duration.String says 5m0s, 1h0m0s).
func ShortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}
