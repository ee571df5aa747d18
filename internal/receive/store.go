package receive

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/metrics"
	"github.com/touchstone-dev/touchstone/internal/stats"
)

// Lanes is the number of write lanes per Survey and day. Each response id
// hashes to one lane, so a retry always meets its original there, and
// lanes are written in parallel. One lane is fastest where the API server
// is the bottleneck (make bench: every write costs the API server about
// the same CPU, so fewer, larger group commits win, even with two
// replicas contending). The lane is recorded in each tally, and the hash
// decides it, so this constant is part of the storage format: changing it
// would let a retry land in another lane and be counted twice.
const Lanes = 1

// LaneOf is the lane of a response id hash.
func LaneOf(idHash uint64) int { return int((idHash >> 58) % Lanes) }

// Target is the Survey responses are committed to.
type Target struct {
	Namespace, Name string
	UID             types.UID
	Scale           stats.Scale
	// Segments maps each segment name to the number of distinct values a
	// day keeps apart; further values are counted as "other".
	Segments map[string]int
	// DeduplicationWindow is how long the ids of a tally recognise retries
	// after its last write (spec.receiver.deduplicationWindow).
	DeduplicationWindow time.Duration
}

// Store makes responses durable.
type Store interface {
	// Commit counts the responses of one lane durably. It returns, for
	// each response, whether it was a duplicate of one counted before. It
	// returns an error when it cannot tell that every new response is
	// durable; some may be, and a retry finds them as duplicates.
	Commit(ctx context.Context, t Target, lane int, rs []Response) (duplicate []bool, err error)
}

// ErrContention is returned when a tally kept changing under a commit
// (other replicas writing the same lane) beyond the retry budget.
var ErrContention = errors.New("tally kept changing under concurrent writers")

// APIStore keeps tallies in ResponseTally objects in the Kubernetes API,
// one per Survey, UTC day, lane and sequence, written with optimistic
// concurrency so that several replicas can receive at once.
//
// It remembers the id hashes of a lane's tallies in memory, but only of the
// tallies written within the Survey's deduplication window: a response is a
// duplicate when its id is in a tally of its day that received a response
// less than the window ago. A tally that received nothing for longer is
// never written again (the lane goes on in the next sequence), its ids are
// forgotten, and the compactor merges it into the day's compacted tally.
type APIStore struct {
	// Client writes tallies.
	Client client.Client
	// Reader reads tallies uncached (the API reader), to see the latest
	// version after a conflict.
	Reader client.Reader
	// WindowOverride, when positive, replaces every Survey's
	// deduplication window, whose minimum is 1h: tests and benchmarks use
	// it to age tallies in seconds. The compactor must be given the same.
	WindowOverride time.Duration
	// SweepInterval is how often Start forgets the ids of tallies that
	// became quiet and the lanes idle for an hour (default one minute).
	SweepInterval time.Duration
	// Now, when set, replaces time.Now: a benchmark moves the clock past
	// the deduplication window instead of waiting for it.
	Now func() time.Time

	mu    sync.Mutex
	lanes map[laneKey]*laneState
	uses  int
	// remembered counts the id hashes held by all lanes.
	remembered atomic.Int64
}

type laneKey struct {
	uid  types.UID
	day  stats.Day
	lane int
}

// laneState is what one replica knows of a lane of a day. Its lane's
// committer (one goroutine) holds mu during a commit, and the sweeper while
// it forgets quiet tallies.
type laneState struct {
	mu     sync.Mutex
	loaded bool
	// window is the deduplication window the state was loaded with.
	window time.Duration
	// open is the latest version of the lane's open tally; nil when the
	// next write creates sequence seq.
	open *cxv1alpha1.ResponseTally
	seq  int32
	// ids maps the id hashes of the lane's tallies that were written
	// within the window to the tally holding them, an index in tallies.
	ids     map[uint64]int32
	tallies []liveTally
	// values are the distinct values of each segment counted that day, so
	// that a day keeps at most maxValues of them apart across its
	// sequences (the rest count as "other"), and so does its compacted
	// tally.
	values   map[string]map[string]struct{}
	lastUsed time.Time
}

// liveTally is a tally whose ids a lane remembers.
type liveTally struct {
	name string
	// last is the tally's lastReceived.
	last time.Time
	// forgotten is set once its ids were dropped.
	forgotten bool
}

// SealAt is the number of response ids after which a tally is sealed and
// its lane continues in the next sequence. It keeps a tally near 11 KiB
// (8-byte ids, base64 in JSON). Every write sends and stores the whole
// tally, but the API server's cost of an update hardly depends on its size
// up to 1,000 ids (BenchmarkTallyWriteCost: about 7 ms of API server CPU at
// 0, 250 and 1,000 ids, 10 ms at 2,000), while every tally costs a create
// and, once compacted, a delete. Smaller seals (100, 250, 500) were
// measured in the receiver benchmark too and were no cheaper per
// acknowledged response once their deletions count.
const SealAt = 1000

// maxAttempts bounds the optimistic-concurrency retries of one commit.
const maxAttempts = 16

// laneIdle is how long a lane may go unused before its state is dropped
// (it is read again from the API when needed).
const laneIdle = time.Hour

func (s *APIStore) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *APIStore) state(k laneKey) *laneState {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lanes == nil {
		s.lanes = map[laneKey]*laneState{}
	}
	now := s.now()
	// Forget idle lanes now and then, also without the sweeper.
	if s.uses++; s.uses%1024 == 0 {
		s.dropIdleLocked(now)
	}
	st := s.lanes[k]
	if st == nil {
		st = &laneState{}
		s.lanes[k] = st
	}
	st.lastUsed = now
	return st
}

// window is the deduplication window of a target.
func (s *APIStore) window(t Target) time.Duration {
	switch {
	case s.WindowOverride > 0:
		return s.WindowOverride
	case t.DeduplicationWindow > 0:
		return t.DeduplicationWindow
	}
	return cxv1alpha1.DefaultDeduplicationWindow
}

// writable reports whether the receiver may add responses to t at now: it
// is not sealed, compacted or full, and not quiet for longer than window
// (the compactor may be sealing it).
func writable(t *cxv1alpha1.ResponseTally, now time.Time, window time.Duration) bool {
	return t.State != cxv1alpha1.TallySealed && t.State != cxv1alpha1.TallyCompacted &&
		len(t.ResponseIDs)/8 < SealAt && !t.QuietAt(now, window)
}

// Commit implements Store.
func (s *APIStore) Commit(ctx context.Context, t Target, lane int, rs []Response) ([]bool, error) {
	dup := make([]bool, len(rs))
	byDay := map[stats.Day][]int{}
	for i, r := range rs {
		byDay[r.Day] = append(byDay[r.Day], i)
	}
	days := make([]stats.Day, 0, len(byDay))
	for d := range byDay {
		days = append(days, d)
	}
	slices.Sort(days)
	for _, day := range days {
		if err := s.commitDay(ctx, t, lane, day, rs, byDay[day], dup); err != nil {
			return nil, err
		}
	}
	return dup, nil
}

// commitDay adds the responses rs[idx] to the open tally of one lane and
// day: it drops the ids the lane's live tallies hold, writes the rest with
// the version it read, and on a conflict reads again and retries.
func (s *APIStore) commitDay(ctx context.Context, t Target, lane int, day stats.Day, rs []Response, idx []int, dup []bool) error {
	st := s.state(laneKey{uid: t.UID, day: day, lane: lane})
	st.mu.Lock()
	defer st.mu.Unlock()
	window := s.window(t)
	for range maxAttempts {
		now := s.now()
		if !st.loaded || st.window != window {
			if err := s.load(ctx, t, lane, day, st, window, now); err != nil {
				return err
			}
		}
		if st.open != nil && !writable(st.open, now, window) {
			st.open, st.seq = nil, max(st.seq, st.open.Sequence+1)
		}
		var fresh []Response
		batch := make(map[uint64]struct{}, len(idx))
		for _, i := range idx {
			h := rs[i].IDHash
			_, again := batch[h]
			dup[i] = again || st.remembers(h, now, window)
			if !dup[i] {
				batch[h] = struct{}{}
				fresh = append(fresh, rs[i])
			}
		}
		if len(fresh) == 0 {
			return nil
		}
		obj, added, err := s.apply(st, t, lane, day, fresh, now)
		if err != nil {
			return err
		}
		if st.open == nil {
			err = s.Client.Create(ctx, obj)
		} else {
			err = s.Client.Update(ctx, obj)
		}
		if err == nil {
			s.remember(st, obj, fresh)
			for name, vals := range added {
				st.addValues(name, vals)
			}
			st.open = obj
			if obj.State == cxv1alpha1.TallySealed {
				st.open, st.seq = nil, obj.Sequence+1
			}
			return nil
		}
		switch {
		case apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err):
			// Another replica wrote the tally first, or the compactor
			// sealed it: read just that tally again (ids only ever grow,
			// and sealed tallies never change).
			if err := s.refresh(ctx, st, obj, now, window); err != nil {
				st.loaded = false
				if !apierrors.IsNotFound(err) {
					return err
				}
			}
		case apierrors.IsNotFound(err):
			// The open tally was compacted and deleted meanwhile: read
			// the lane again.
			st.loaded = false
		default:
			// The write may or may not have happened (a timeout can follow
			// a commit in etcd): the caller must not acknowledge, a retry
			// finds what did land as duplicates, and this replica reads
			// the lane again before its next write.
			st.loaded = false
			return err
		}
	}
	return ErrContention
}

// remembers reports whether a live tally of the lane holds the id hash h:
// one written within the window.
func (st *laneState) remembers(h uint64, now time.Time, window time.Duration) bool {
	i, ok := st.ids[h]
	return ok && !cxv1alpha1.TallyQuiet(st.tallies[i].last, now, window)
}

// liveIndex returns the index of tally name among the lane's live tallies,
// adding it (with its lastReceived) when it is not there.
func (st *laneState) liveIndex(t *cxv1alpha1.ResponseTally) int32 {
	for i := len(st.tallies) - 1; i >= 0; i-- {
		if st.tallies[i].name == t.Name {
			st.tallies[i].last = t.LastWrite()
			st.tallies[i].forgotten = false
			return int32(i)
		}
	}
	st.tallies = append(st.tallies, liveTally{name: t.Name, last: t.LastWrite()})
	return int32(len(st.tallies) - 1)
}

// remember records the ids of responses just written into tally t.
func (s *APIStore) remember(st *laneState, t *cxv1alpha1.ResponseTally, rs []Response) {
	i := st.liveIndex(t)
	if st.ids == nil {
		st.ids = map[uint64]int32{}
	}
	added := 0
	for _, r := range rs {
		if _, ok := st.ids[r.IDHash]; !ok {
			added++
		}
		st.ids[r.IDHash] = i
	}
	s.remembered.Add(int64(added))
	metrics.ReceiverRememberedIDs.Add(float64(added))
}

// rememberTally records the ids a tally read from the API holds, when it
// was written within the window.
func (s *APIStore) rememberTally(st *laneState, t *cxv1alpha1.ResponseTally, now time.Time, window time.Duration) {
	if t.State == cxv1alpha1.TallyCompacted || t.QuietAt(now, window) || len(t.ResponseIDs) < 8 {
		return
	}
	i := st.liveIndex(t)
	if st.ids == nil {
		st.ids = make(map[uint64]int32, len(t.ResponseIDs)/8)
	}
	added := 0
	for b := t.ResponseIDs; len(b) >= 8; b = b[8:] {
		h := binary.BigEndian.Uint64(b)
		if _, ok := st.ids[h]; !ok {
			added++
		}
		st.ids[h] = i
	}
	s.remembered.Add(int64(added))
	metrics.ReceiverRememberedIDs.Add(float64(added))
}

// addValues records segment values counted that day.
func (st *laneState) addValues(segment string, values map[string]struct{}) {
	if st.values == nil {
		st.values = map[string]map[string]struct{}{}
	}
	if st.values[segment] == nil {
		st.values[segment] = map[string]struct{}{}
	}
	for v := range values {
		st.values[segment][v] = struct{}{}
	}
}

// addTallyValues records the segment values of a tally read from the API.
func (st *laneState) addTallyValues(t *cxv1alpha1.ResponseTally) {
	for _, seg := range t.Segments {
		vals := make(map[string]struct{}, len(seg.Values))
		for _, v := range seg.Values {
			if v.Value != stats.OtherValue {
				vals[v.Value] = struct{}{}
			}
		}
		st.addValues(seg.Name, vals)
	}
}

// forget drops every id the lane remembers.
func (s *APIStore) forget(st *laneState) {
	n := len(st.ids)
	st.ids, st.tallies = nil, nil
	s.remembered.Add(-int64(n))
	metrics.ReceiverRememberedIDs.Sub(float64(n))
}

// forgetQuiet drops the ids of the lane's tallies that became quiet.
func (s *APIStore) forgetQuiet(st *laneState, now time.Time) {
	quiet := map[int32]bool{}
	live := 0
	for i := range st.tallies {
		lt := &st.tallies[i]
		switch {
		case lt.forgotten:
		case cxv1alpha1.TallyQuiet(lt.last, now, st.window):
			quiet[int32(i)] = true
			lt.forgotten = true
		default:
			live++
		}
	}
	if len(quiet) == 0 {
		return
	}
	if live == 0 {
		// A map never shrinks: drop it whole.
		s.forget(st)
		return
	}
	n := 0
	for h, i := range st.ids {
		if quiet[i] {
			delete(st.ids, h)
			n++
		}
	}
	s.remembered.Add(-int64(n))
	metrics.ReceiverRememberedIDs.Sub(float64(n))
}

// refresh reads again the tally a write conflicted on and makes it the
// lane's open tally, or moves past it when it takes no more responses.
func (s *APIStore) refresh(ctx context.Context, st *laneState, stale *cxv1alpha1.ResponseTally, now time.Time, window time.Duration) error {
	var fresh cxv1alpha1.ResponseTally
	if err := s.Reader.Get(ctx, client.ObjectKeyFromObject(stale), &fresh); err != nil {
		return err
	}
	s.rememberTally(st, &fresh, now, window)
	st.addTallyValues(&fresh)
	if writable(&fresh, now, window) {
		st.open, st.seq = &fresh, fresh.Sequence
	} else {
		st.open, st.seq = nil, max(st.seq, fresh.Sequence+1)
	}
	return nil
}

// load reads every tally of one lane and day from the API, and remembers
// the ids of those written within the window (besides those it remembers
// already).
func (s *APIStore) load(ctx context.Context, t Target, lane int, day stats.Day, st *laneState, window time.Duration, now time.Time) error {
	var list cxv1alpha1.ResponseTallyList
	if err := s.Reader.List(ctx, &list, client.InNamespace(t.Namespace), client.MatchingLabels{
		cxv1alpha1.LabelSurveyUID: string(t.UID),
		cxv1alpha1.LabelDay:       day.String(),
		cxv1alpha1.LabelLane:      strconv.Itoa(lane),
	}); err != nil {
		return err
	}
	// The ids already remembered stay: they were written or read, and a
	// tally the compactor deleted a little early (its clock ahead of this
	// replica's) keeps recognising retries until this replica's window
	// ends. A new window starts over.
	if st.window != window {
		s.forget(st)
		st.values = nil
	}
	st.window = window
	st.open, st.seq = nil, 0
	var last *cxv1alpha1.ResponseTally
	for i := range list.Items {
		item := &list.Items[i]
		s.rememberTally(st, item, now, window)
		st.addTallyValues(item)
		if last == nil || item.Sequence > last.Sequence ||
			(item.Sequence == last.Sequence && item.State != cxv1alpha1.TallyCompacted) {
			last = item
		}
	}
	if last != nil {
		// A compacted tally carries the highest sequence it merged: the
		// lane goes on after it.
		if last.State != cxv1alpha1.TallyCompacted && writable(last, now, window) {
			st.open, st.seq = last, last.Sequence
		} else {
			st.seq = last.Sequence + 1
		}
	}
	st.loaded = true
	return nil
}

// apply returns the lane's open tally (or a new one) with the responses
// added, sealed when it is full, and the segment values it counts that the
// day had not counted before.
func (s *APIStore) apply(st *laneState, t Target, lane int, day stats.Day, rs []Response, now time.Time) (*cxv1alpha1.ResponseTally, map[string]map[string]struct{}, error) {
	var obj *cxv1alpha1.ResponseTally
	if st.open != nil {
		obj = st.open.DeepCopy()
	} else {
		obj = newTally(t, lane, day, st.seq)
	}
	if obj.ScaleMin != int32(t.Scale.Min) || obj.ScaleMax != int32(t.Scale.Max) {
		return nil, nil, fmt.Errorf("tally %s counts scale %d..%d, the survey now has %s", obj.Name, obj.ScaleMin, obj.ScaleMax, t.Scale)
	}
	total, err := stats.ParseTally(t.Scale, obj.Counts)
	if err != nil {
		return nil, nil, fmt.Errorf("tally %s: counts: %w", obj.Name, err)
	}
	segs, err := decodeSegments(obj, t.Scale)
	if err != nil {
		return nil, nil, err
	}
	added := map[string]map[string]struct{}{}
	ids := make([]byte, len(obj.ResponseIDs), len(obj.ResponseIDs)+8*len(rs))
	copy(ids, obj.ResponseIDs)
	for _, r := range rs {
		if err := total.Add(r.Score, 1); err != nil {
			return nil, nil, err
		}
		for _, sv := range r.Segments {
			value := st.capValue(sv.Name, sv.Value, t.Segments[sv.Name], added)
			if err := segs.add(sv.Name, value, r.Score, t.Scale); err != nil {
				return nil, nil, err
			}
		}
		ids = binary.BigEndian.AppendUint64(ids, r.IDHash)
	}
	obj.Counts = total.String()
	obj.Responses = total.N()
	obj.Segments = segs.encode()
	obj.ResponseIDs = ids
	obj.LastReceived = new(metav1.NewTime(now.UTC().Truncate(time.Second)))
	obj.State = cxv1alpha1.TallyOpen
	if len(ids)/8 >= SealAt {
		obj.State = cxv1alpha1.TallySealed
	}
	return obj, added, nil
}

// capValue is the value a segment value is counted under: itself when the
// day counts it already or counts fewer than maxValues distinct values
// (added holds those this write adds), "other" beyond.
func (st *laneState) capValue(segment, value string, maxValues int, added map[string]map[string]struct{}) string {
	if value == stats.OtherValue {
		return value
	}
	if _, ok := st.values[segment][value]; ok {
		return value
	}
	if _, ok := added[segment][value]; ok {
		return value
	}
	if len(st.values[segment])+len(added[segment]) >= maxValues {
		return stats.OtherValue
	}
	if added[segment] == nil {
		added[segment] = map[string]struct{}{}
	}
	added[segment][value] = struct{}{}
	return value
}

// Start forgets, every SweepInterval, the ids of tallies that became quiet
// and the lanes unused for an hour, until ctx ends. It runs on every
// replica (a manager Runnable without leader election).
func (s *APIStore) Start(ctx context.Context) error {
	every := s.SweepInterval
	if every <= 0 {
		every = time.Minute
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			s.Sweep(s.now())
		}
	}
}

// NeedLeaderElection is false: every replica receives.
func (s *APIStore) NeedLeaderElection() bool { return false }

// Sweep forgets the ids of the tallies quiet at now, and the lanes unused
// for an hour.
func (s *APIStore) Sweep(now time.Time) {
	s.mu.Lock()
	lanes := make([]*laneState, 0, len(s.lanes))
	for _, st := range s.lanes {
		lanes = append(lanes, st)
	}
	s.mu.Unlock()
	for _, st := range lanes {
		st.mu.Lock()
		s.forgetQuiet(st, now)
		st.mu.Unlock()
	}
	s.mu.Lock()
	s.dropIdleLocked(now)
	s.mu.Unlock()
}

// dropIdleLocked drops the lanes unused for laneIdle; s.mu is held.
func (s *APIStore) dropIdleLocked(now time.Time) {
	for key, st := range s.lanes {
		if now.Sub(st.lastUsed) > laneIdle {
			delete(s.lanes, key)
			st.mu.Lock()
			s.forget(st)
			st.mu.Unlock()
		}
	}
}

// RememberedIDs is the number of response id hashes held in memory, over
// all lanes.
func (s *APIStore) RememberedIDs() int64 { return s.remembered.Load() }

// NewCompactedTally is the empty compacted tally of one day and lane of a
// Survey, owned by the Survey like the tallies it merges.
func NewCompactedTally(t Target, day stats.Day, lane int) *cxv1alpha1.ResponseTally {
	obj := newTally(t, lane, day, 0)
	obj.Name = CompactedTallyName(t.Name, day, lane)
	obj.State = cxv1alpha1.TallyCompacted
	return obj
}

// newTally is an empty tally of one lane, day and sequence, owned by the
// Survey so that it is garbage-collected with it.
func newTally(t Target, lane int, day stats.Day, seq int32) *cxv1alpha1.ResponseTally {
	return &cxv1alpha1.ResponseTally{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: t.Namespace,
			Name:      TallyName(t.Name, day, lane, seq),
			Labels: map[string]string{
				cxv1alpha1.LabelSurveyUID: string(t.UID),
				cxv1alpha1.LabelDay:       day.String(),
				cxv1alpha1.LabelLane:      strconv.Itoa(lane),
			},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: cxv1alpha1.GroupVersion.String(),
				Kind:       "Survey",
				Name:       t.Name,
				UID:        t.UID,
				Controller: new(true),
			}},
		},
		Survey:    t.Name,
		SurveyUID: string(t.UID),
		Day:       day.String(),
		Lane:      int32(lane),
		Sequence:  seq,
		ScaleMin:  int32(t.Scale.Min),
		ScaleMax:  int32(t.Scale.Max),
	}
}

// TallyName is the name of a tally: <survey>-<yyyymmdd>-<lane>-<sequence>,
// with a long survey name shortened and made unique by a hash.
func TallyName(survey string, day stats.Day, lane int, seq int32) string {
	return tallyName(survey, fmt.Sprintf("-%s-%d-%d", strings.ReplaceAll(day.String(), "-", ""), lane, seq))
}

// CompactedTallyName is the name of the compacted tally of a survey's day
// and lane: <survey>-<yyyymmdd>-<lane>-compacted.
func CompactedTallyName(survey string, day stats.Day, lane int) string {
	return tallyName(survey, fmt.Sprintf("-%s-%d-compacted", strings.ReplaceAll(day.String(), "-", ""), lane))
}

func tallyName(survey, suffix string) string {
	if len(survey)+len(suffix) > 253 {
		sum := sha256.Sum256([]byte(survey))
		survey = survey[:253-len(suffix)-9] + "-" + hex.EncodeToString(sum[:4])
	}
	return survey + suffix
}

// segmentTallies are the per-segment-value counts of a tally being edited.
type segmentTallies struct {
	names  []string
	values map[string][]stats.ValueTally
}

func decodeSegments(obj *cxv1alpha1.ResponseTally, scale stats.Scale) (*segmentTallies, error) {
	st := &segmentTallies{values: map[string][]stats.ValueTally{}}
	for _, seg := range obj.Segments {
		st.names = append(st.names, seg.Name)
		for _, v := range seg.Values {
			t, err := stats.ParseTally(scale, v.Counts)
			if err != nil {
				return nil, fmt.Errorf("tally %s: segment %s value %s: %w", obj.Name, seg.Name, v.Value, err)
			}
			st.values[seg.Name] = append(st.values[seg.Name], stats.ValueTally{Value: v.Value, Tally: t})
		}
	}
	return st, nil
}

// add counts one score under a segment value (already capped by the
// lane's capValue).
func (st *segmentTallies) add(name, value string, sc int, scale stats.Scale) error {
	if _, ok := st.values[name]; !ok {
		st.names = append(st.names, name)
	}
	vals := st.values[name]
	pos := -1
	for i, v := range vals {
		if v.Value == value {
			pos = i
			break
		}
	}
	if pos < 0 {
		vals = append(vals, stats.ValueTally{Value: value, Tally: stats.NewTally(scale)})
		pos = len(vals) - 1
	}
	if err := vals[pos].Tally.Add(sc, 1); err != nil {
		return err
	}
	st.values[name] = vals
	return nil
}

func (st *segmentTallies) encode() []cxv1alpha1.SegmentTally {
	if len(st.names) == 0 {
		return nil
	}
	sort.Strings(st.names)
	out := make([]cxv1alpha1.SegmentTally, 0, len(st.names))
	for _, name := range st.names {
		vals := st.values[name]
		sort.Slice(vals, func(i, j int) bool { return vals[i].Value < vals[j].Value })
		seg := cxv1alpha1.SegmentTally{Name: name}
		for _, v := range vals {
			seg.Values = append(seg.Values, cxv1alpha1.SegmentValueTally{Value: v.Value, Counts: v.Tally.String()})
		}
		out = append(out, seg)
	}
	return out
}
