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
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
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
	// tally keeps apart; further values are counted as "other".
	Segments map[string]int
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
type APIStore struct {
	// Client writes tallies.
	Client client.Client
	// Reader reads tallies uncached (the API reader), to see the latest
	// version after a conflict.
	Reader client.Reader

	mu    sync.Mutex
	lanes map[laneKey]*laneState
	uses  int
}

type laneKey struct {
	uid  types.UID
	day  stats.Day
	lane int
}

// laneState is what one replica knows of a lane of a day. It is used by
// the lane's committer only (one goroutine), so it needs no lock.
type laneState struct {
	loaded bool
	// open is the latest version of the lane's open tally; nil when the
	// next write creates sequence seq.
	open *cxv1alpha1.ResponseTally
	seq  int32
	// ids are the id hashes of every tally of the lane and day.
	ids      map[uint64]struct{}
	lastUsed time.Time
}

// SealAt is the number of response ids after which a tally is sealed and
// its lane continues in the next sequence. It keeps a tally near 11 KiB (8-byte ids, base64 in JSON):
// every write sends and stores the whole tally, so its cost grows with its
// size (measured: 4 ms per update at 0 ids, 8 ms at 1,000, 32 ms at
// 10,000), while more, smaller tallies cost the Survey controller little.
const SealAt = 1000

// maxAttempts bounds the optimistic-concurrency retries of one commit.
const maxAttempts = 16

func (s *APIStore) state(k laneKey) *laneState {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lanes == nil {
		s.lanes = map[laneKey]*laneState{}
	}
	now := time.Now()
	// Forget lanes idle for an hour now and then: old days stop being
	// written, and a lane is reloaded from the API when needed again.
	if s.uses++; s.uses%1024 == 0 {
		for key, st := range s.lanes {
			if now.Sub(st.lastUsed) > time.Hour {
				delete(s.lanes, key)
			}
		}
	}
	st := s.lanes[k]
	if st == nil {
		st = &laneState{}
		s.lanes[k] = st
	}
	st.lastUsed = now
	return st
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
// day: it drops the ids the lane already holds, writes the rest with the
// version it read, and on a conflict reads again and retries.
func (s *APIStore) commitDay(ctx context.Context, t Target, lane int, day stats.Day, rs []Response, idx []int, dup []bool) error {
	st := s.state(laneKey{uid: t.UID, day: day, lane: lane})
	for range maxAttempts {
		if !st.loaded {
			if err := s.load(ctx, t, lane, day, st); err != nil {
				return err
			}
		}
		var fresh []Response
		batch := make(map[uint64]struct{}, len(idx))
		for _, i := range idx {
			h := rs[i].IDHash
			_, old := st.ids[h]
			_, again := batch[h]
			dup[i] = old || again
			if !dup[i] {
				batch[h] = struct{}{}
				fresh = append(fresh, rs[i])
			}
		}
		if len(fresh) == 0 {
			return nil
		}
		obj, err := s.apply(st, t, lane, day, fresh)
		if err != nil {
			return err
		}
		if st.open == nil {
			err = s.Client.Create(ctx, obj)
		} else {
			err = s.Client.Update(ctx, obj)
		}
		if err == nil {
			for h := range batch {
				st.ids[h] = struct{}{}
			}
			st.open = obj
			if len(obj.ResponseIDs)/8 >= SealAt {
				st.open, st.seq = nil, obj.Sequence+1
			}
			return nil
		}
		if apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) {
			// Another replica wrote the tally first: read just that tally
			// again (ids only ever grow, and sealed tallies never change).
			if err := s.refresh(ctx, st, obj); err != nil {
				st.loaded = false
				if !apierrors.IsNotFound(err) {
					return err
				}
			}
			continue
		}
		// The write may or may not have happened (a timeout can follow a
		// commit in etcd): the caller must not acknowledge, a retry finds
		// what did land as duplicates, and this replica reads the lane
		// again before its next write.
		st.loaded = false
		return err
	}
	return ErrContention
}

// refresh reads again the tally a write conflicted on and makes it the
// lane's open tally, or moves past it when it is sealed.
func (s *APIStore) refresh(ctx context.Context, st *laneState, stale *cxv1alpha1.ResponseTally) error {
	var fresh cxv1alpha1.ResponseTally
	if err := s.Reader.Get(ctx, client.ObjectKeyFromObject(stale), &fresh); err != nil {
		return err
	}
	for b := fresh.ResponseIDs; len(b) >= 8; b = b[8:] {
		st.ids[binary.BigEndian.Uint64(b)] = struct{}{}
	}
	if len(fresh.ResponseIDs)/8 >= SealAt {
		st.open, st.seq = nil, fresh.Sequence+1
	} else {
		st.open, st.seq = &fresh, fresh.Sequence
	}
	return nil
}

// load reads every tally of one lane and day from the API.
func (s *APIStore) load(ctx context.Context, t Target, lane int, day stats.Day, st *laneState) error {
	var list cxv1alpha1.ResponseTallyList
	if err := s.Reader.List(ctx, &list, client.InNamespace(t.Namespace), client.MatchingLabels{
		cxv1alpha1.LabelSurveyUID: string(t.UID),
		cxv1alpha1.LabelDay:       day.String(),
		cxv1alpha1.LabelLane:      strconv.Itoa(lane),
	}); err != nil {
		return err
	}
	st.ids = map[uint64]struct{}{}
	st.open, st.seq = nil, 0
	var last *cxv1alpha1.ResponseTally
	for i := range list.Items {
		item := &list.Items[i]
		for b := item.ResponseIDs; len(b) >= 8; b = b[8:] {
			st.ids[binary.BigEndian.Uint64(b)] = struct{}{}
		}
		if last == nil || item.Sequence > last.Sequence {
			last = item
		}
	}
	if last != nil {
		if len(last.ResponseIDs)/8 >= SealAt {
			st.seq = last.Sequence + 1
		} else {
			st.open, st.seq = last, last.Sequence
		}
	}
	st.loaded = true
	return nil
}

// apply returns the lane's open tally (or a new one) with the responses
// added.
func (s *APIStore) apply(st *laneState, t Target, lane int, day stats.Day, rs []Response) (*cxv1alpha1.ResponseTally, error) {
	var obj *cxv1alpha1.ResponseTally
	if st.open != nil {
		obj = st.open.DeepCopy()
	} else {
		obj = newTally(t, lane, day, st.seq)
	}
	if obj.ScaleMin != int32(t.Scale.Min) || obj.ScaleMax != int32(t.Scale.Max) {
		return nil, fmt.Errorf("tally %s counts scale %d..%d, the survey now has %s", obj.Name, obj.ScaleMin, obj.ScaleMax, t.Scale)
	}
	total, err := stats.ParseTally(t.Scale, obj.Counts)
	if err != nil {
		return nil, fmt.Errorf("tally %s: counts: %w", obj.Name, err)
	}
	segs, err := decodeSegments(obj, t.Scale)
	if err != nil {
		return nil, err
	}
	ids := make([]byte, len(obj.ResponseIDs), len(obj.ResponseIDs)+8*len(rs))
	copy(ids, obj.ResponseIDs)
	for _, r := range rs {
		if err := total.Add(r.Score, 1); err != nil {
			return nil, err
		}
		for _, sv := range r.Segments {
			if err := segs.add(sv.Name, sv.Value, t.Segments[sv.Name], r.Score, t.Scale); err != nil {
				return nil, err
			}
		}
		ids = binary.BigEndian.AppendUint64(ids, r.IDHash)
	}
	obj.Counts = total.String()
	obj.Responses = total.N()
	obj.Segments = segs.encode()
	obj.ResponseIDs = ids
	obj.LastReceived = new(metav1.NewTime(time.Now().UTC().Truncate(time.Second)))
	return obj, nil
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
	suffix := fmt.Sprintf("-%s-%d-%d", strings.ReplaceAll(day.String(), "-", ""), lane, seq)
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

// add counts one score under a segment value; a value beyond the segment's
// cap of distinct values is counted as "other".
func (st *segmentTallies) add(name, value string, maxValues, sc int, scale stats.Scale) error {
	if _, ok := st.values[name]; !ok {
		st.names = append(st.names, name)
	}
	vals := st.values[name]
	pos := -1
	distinct := 0
	for i, v := range vals {
		if v.Value == value {
			pos = i
		}
		if v.Value != stats.OtherValue {
			distinct++
		}
	}
	if pos < 0 && value != stats.OtherValue && distinct >= maxValues {
		value = stats.OtherValue
		for i, v := range vals {
			if v.Value == value {
				pos = i
			}
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
