package controllers

import (
	"context"
	"errors"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// failing is a reconciler that fails with err and asks to come back.
type failing struct{ err error }

func (f failing) Reconcile(context.Context, reconcile.Request) (reconcile.Result, error) {
	return reconcile.Result{RequeueAfter: time.Minute}, f.err
}

// TestQuietShutdownDropsOnlyErrorsOfAStoppingManager: an error met while
// the manager stops (its context is done) is not a reconcile failure; any
// other error, and every result, passes through unchanged.
func TestQuietShutdownDropsOnlyErrorsOfAStoppingManager(t *testing.T) {
	boom := errors.New("boom")
	live := context.Background()
	res, err := quietShutdown{failing{boom}}.Reconcile(live, reconcile.Request{})
	if !errors.Is(err, boom) || res.RequeueAfter != time.Minute {
		t.Errorf("running manager: got %v, %v; want the reconciler's result and error", res, err)
	}
	stopped, cancel := context.WithCancel(context.Background())
	cancel()
	res, err = quietShutdown{failing{context.Canceled}}.Reconcile(stopped, reconcile.Request{})
	if err != nil || res != (reconcile.Result{}) {
		t.Errorf("stopping manager: got %v, %v; want no error and no requeue", res, err)
	}
	res, err = quietShutdown{failing{nil}}.Reconcile(stopped, reconcile.Request{})
	if err != nil || res.RequeueAfter != time.Minute {
		t.Errorf("stopping manager, no error: got %v, %v; want the reconciler's result", res, err)
	}
}
