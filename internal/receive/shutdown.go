package receive

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
)

// DefaultShutdownDelay is how long a stopping receiver keeps receiving
// after it reports not ready: the time the endpoints of its Service take to
// drop the replica everywhere (the EndpointSlice update, then kube-proxy,
// ingress controllers and service meshes), a few seconds in most clusters.
const DefaultShutdownDelay = 10 * time.Second

// lifecycle is what the receiver's readiness check reads.
type lifecycle struct {
	listening atomic.Bool // the listener accepts connections
	draining  atomic.Bool // the receiver was asked to stop
}

// Ready is the receiver's readiness check, for the manager's /readyz
// (a healthz.Checker): ready once it listens, not ready again from the
// moment it is asked to stop, so that the replica's endpoints are removed
// while it still receives.
func (s *Server) Ready(*http.Request) error {
	switch {
	case s.life.draining.Load():
		return errors.New("the receiver is shutting down")
	case !s.life.listening.Load():
		return errors.New("the receiver is not listening yet")
	}
	return nil
}

// closeWhenDraining asks each sender answered while the receiver drains to
// close its connection (Connection: close): a kept-alive connection stays
// with this replica whatever the endpoints say, a new one goes to a ready
// replica.
func (s *Server) closeWhenDraining(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.life.draining.Load() {
			w.Header().Set("Connection", "close")
		}
		h.ServeHTTP(w, r)
	})
}

// stop is the receiver's graceful stop, once its context ended (SIGTERM):
//  1. It reports not ready at once and keeps accepting and committing for
//     ShutdownDelay, while the endpoints drop the replica; every answer
//     closes its connection.
//  2. It stops accepting and waits for the requests in flight: each one is
//     answered once its responses are durable (or with a 503), within
//     CommitTimeout + 5s.
//  3. It stops the group committer.
//
// The manager stops the receiver before the leader-only controllers and
// releases the leader Lease last, so a leader keeps collecting during the
// delay and the standby takes over once the replica is done.
func (s *Server) stop(log logr.Logger, srv *http.Server, served <-chan error, stopCommits func()) error {
	s.life.draining.Store(true)
	if d := s.cfg.ShutdownDelay; d > 0 {
		log.Info("shutting down: not ready, still receiving while the endpoints drop this replica", "delay", d.String())
		delay := time.NewTimer(d)
		defer delay.Stop()
		select {
		case <-delay.C:
		case err := <-served:
			stopCommits()
			s.committer.wg.Wait()
			return fmt.Errorf("receiver: %w", err)
		}
	}
	log.Info("shutting down: no longer accepting, finishing the requests in flight")
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.CommitTimeout+5*time.Second)
	defer cancel()
	err := srv.Shutdown(ctx)
	stopCommits()
	s.committer.wg.Wait()
	if err != nil {
		return fmt.Errorf("receiver: finishing the requests in flight: %w", err)
	}
	log.Info("receiver stopped")
	return nil
}
