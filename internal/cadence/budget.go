package cadence

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Budget is the operator's one status write budget: a token bucket of
// perSecond tokens a second, holding at most one second of them, that
// every status write draws from, with urgent writes first.
//
//   - An urgent write (a spec or condition change) never waits: it takes
//     a token when there is one, and may overdraw the bucket down to
//     minus one second of tokens, so that refreshes yield to it. Past
//     that it writes without a token (it is never held back).
//   - A refresh takes a token when there is one. Otherwise it is given
//     the next free slot: the time at which a token will be its own (a
//     reservation). The object is requeued to that slot, and the write
//     goes then, without asking again: a deferred refresh is never
//     dropped, and deferred refreshes never spin on an empty bucket.
//
// Example, at 400 writes/s: 1,000 refreshes due at the same instant after
// a restart are written 400 at once, then 400 a second over the next 1.5
// s; a condition change among them is written at once.
//
// A nil *Budget is no budget: every write may go at once.
type Budget struct {
	mu    sync.Mutex
	lim   *rate.Limiter
	slots map[string]*rate.Reservation
}

// NewBudget returns a budget of perSecond writes a second; nil (no
// budget) when perSecond is 0 or less.
func NewBudget(perSecond float64) *Budget {
	if perSecond <= 0 {
		return nil
	}
	burst := max(1, int(math.Ceil(perSecond)))
	return &Budget{lim: rate.NewLimiter(rate.Limit(perSecond), burst), slots: map[string]*rate.Reservation{}}
}

// Urgent accounts for an urgent write of the object key at now. It never
// waits. A slot the object held for a refresh is given back: the urgent
// write carries the refresh.
func (b *Budget) Urgent(key string, now time.Time) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.giveBack(key, now)
	if b.lim.TokensAt(now) > -float64(b.lim.Burst()) {
		b.lim.ReserveN(now, 1)
	}
}

// Refresh asks for a token for a refresh of the object key at now. It
// returns 0 when the write may go now; otherwise how long until the
// object's slot, and whether the refresh was deferred just now (false
// when it was given its slot before).
func (b *Budget) Refresh(key string, now time.Time) (wait time.Duration, deferred bool) {
	if b == nil {
		return 0, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if r := b.slots[key]; r != nil {
		if d := r.DelayFrom(now); d > 0 {
			return d, false
		}
		delete(b.slots, key)
		return 0, false
	}
	r := b.lim.ReserveN(now, 1)
	d := r.DelayFrom(now)
	if d <= 0 {
		return 0, false
	}
	b.slots[key] = r
	return d, true
}

// Forget gives back the slot of an object that is gone.
func (b *Budget) Forget(key string, now time.Time) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.giveBack(key, now)
}

// giveBack cancels the slot the object key holds, if any, so that its
// token serves another refresh. b.mu must be held.
func (b *Budget) giveBack(key string, now time.Time) {
	if r := b.slots[key]; r != nil {
		r.CancelAt(now)
		delete(b.slots, key)
	}
}

// Tokens is how many tokens the bucket holds at now (negative while
// urgent writes overdraw it or refreshes hold slots).
func (b *Budget) Tokens(now time.Time) float64 {
	if b == nil {
		return math.Inf(1)
	}
	return b.lim.TokensAt(now)
}
