package receive

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"

	"k8s.io/apimachinery/pkg/types"

	"github.com/touchstone-dev/touchstone/internal/metrics"
)

// ErrOverloaded is returned when a lane's queue is full: the request is
// refused (429) before anything is stored, and the sender retries.
var ErrOverloaded = errors.New("too many responses waiting to be stored")

// pending is one request's share of one lane, waiting for its commit.
type pending struct {
	target    Target
	responses []Response
	duplicate []bool
	err       error
	done      chan struct{}
}

// groupCommitter runs one writer per Survey and lane. A writer takes every
// request that queued while its previous write was in flight and stores
// them in one write, so that throughput grows with load instead of being
// bounded by the latency of a write (group commit).
type groupCommitter struct {
	log   logr.Logger
	store Store
	// queueLength bounds the requests waiting per lane.
	queueLength int
	// maxCommit bounds the responses of one write.
	maxCommit int
	// commitTimeout bounds one write.
	commitTimeout time.Duration
	// idle is how long a writer waits for work before it exits.
	idle time.Duration

	ctx     context.Context
	mu      sync.Mutex
	writers map[writerKey]chan *pending
	wg      sync.WaitGroup
	// lastLogged limits failure logs to one per failureLogInterval: during
	// an API outage every write fails, and one line says it all.
	lastLogged atomic.Int64
}

const failureLogInterval = 10 * time.Second

type writerKey struct {
	uid  types.UID
	lane int
}

// submit queues a request's responses of one lane; it never blocks. The
// pending's done channel closes once the responses are durable or failed.
func (g *groupCommitter) submit(t Target, lane int, rs []Response) (*pending, error) {
	p := &pending{target: t, responses: rs, done: make(chan struct{})}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ctx.Err() != nil {
		return nil, g.ctx.Err()
	}
	key := writerKey{uid: t.UID, lane: lane}
	q := g.writers[key]
	if q == nil {
		q = make(chan *pending, g.queueLength)
		g.writers[key] = q
		g.wg.Add(1)
		go g.write(key, q)
	}
	select {
	case q <- p:
		return p, nil
	default:
		return nil, ErrOverloaded
	}
}

// write is the writer of one Survey lane.
func (g *groupCommitter) write(key writerKey, q chan *pending) {
	defer g.wg.Done()
	timer := time.NewTimer(g.idle)
	defer timer.Stop()
	for {
		var first *pending
		select {
		case first = <-q:
		case <-timer.C:
			// Exit when idle, unless a request slipped in meanwhile.
			g.mu.Lock()
			if len(q) == 0 {
				delete(g.writers, key)
				g.mu.Unlock()
				return
			}
			g.mu.Unlock()
			timer.Reset(g.idle)
			continue
		case <-g.ctx.Done():
			g.failQueued(q, g.ctx.Err())
			return
		}
		group := []*pending{first}
		n := len(first.responses)
	gather:
		for n < g.maxCommit {
			select {
			case p := <-q:
				group = append(group, p)
				n += len(p.responses)
			default:
				break gather
			}
		}
		g.commit(key.lane, group, n)
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(g.idle)
	}
}

// commit stores a group in one write and answers each request.
func (g *groupCommitter) commit(lane int, group []*pending, n int) {
	all := make([]Response, 0, n)
	for _, p := range group {
		all = append(all, p.responses...)
	}
	// The latest request carries the Survey as it is now.
	target := group[len(group)-1].target
	ctx, cancel := context.WithTimeout(g.ctx, g.commitTimeout)
	start := time.Now()
	dup, err := g.store.Commit(ctx, target, lane, all)
	cancel()
	result := "ok"
	if err != nil {
		result = "error"
		if last := g.lastLogged.Load(); time.Since(time.Unix(0, last)) > failureLogInterval &&
			g.lastLogged.CompareAndSwap(last, time.Now().UnixNano()) {
			g.log.Error(err, "durable write failed: senders are answered 503 and retry; nothing is acknowledged",
				"namespace", target.Namespace, "survey", target.Name, "responses", n)
		}
	}
	metrics.ReceiverCommitDuration.WithLabelValues(result).Observe(time.Since(start).Seconds())
	metrics.ReceiverCommitResponses.Observe(float64(n))
	off := 0
	for _, p := range group {
		if err != nil {
			p.err = err
		} else {
			p.duplicate = dup[off : off+len(p.responses)]
		}
		off += len(p.responses)
		close(p.done)
	}
}

func (g *groupCommitter) failQueued(q chan *pending, err error) {
	for {
		select {
		case p := <-q:
			p.err = err
			close(p.done)
		default:
			return
		}
	}
}
