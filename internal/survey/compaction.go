package survey

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/types"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/stats"
)

// Storage model. The receiver counts a day's responses in tallies that
// keep the hashes of their response ids, so that retries are recognised.
// Ids matter only within the Survey's deduplication window: once a tally
// has been quiet (received nothing) for longer than the window, the
// compactor merges it into the day's one compacted tally, which keeps the
// counts without ids, and deletes it. The steps, each safe to stop after:
//
//  1. Seal each quiet tally that is not sealed yet, with a write conditional
//     on the version read: no receiver adds to a sealed tally, so from then
//     on its counts are final. (A receiver that wrote meanwhile makes the
//     write conflict, and the tally is left for a later pass.)
//  2. Create or update the compacted tally, conditional on its version:
//     its counts gain the sealed tallies' counts, and supersedes lists
//     them by name and uid, in the same write.
//  3. Delete the listed tallies (conditional on their uid).
//  4. Drop from supersedes the entries whose tally is gone.
//
// Readers count every tally except those a compacted tally supersedes
// (Superseded). Each write above is atomic, so any state the API server
// ever holds, and so any informer cache (a cache is the server's state at
// some resource version: client-go applies a relist atomically), counts
// each response exactly once: before step 2 the sealed tallies are counted
// and the compacted tally does not have them yet; from step 2 on, the
// compacted tally has them and they are ignored until they are deleted;
// an entry is dropped only once its tally is gone. A compactor stopped
// after any step, or two compactors racing, leave such a state, and the
// next pass goes on from it.

// Superseded is the set of tallies, by name, that the compacted tallies of
// the Survey with the given UID supersede, with the uid they supersede.
type Superseded map[string]types.UID

// SupersededBy collects what the compacted tallies among tallies
// supersede.
func SupersededBy(uid string, tallies []cxv1alpha1.ResponseTally) Superseded {
	s := Superseded{}
	for i := range tallies {
		t := &tallies[i]
		if t.SurveyUID != uid || t.State != cxv1alpha1.TallyCompacted {
			continue
		}
		for _, e := range t.Supersedes {
			s[e.Name] = e.UID
		}
	}
	return s
}

// Has reports whether t is superseded: a compacted tally counts it.
func (s Superseded) Has(t *cxv1alpha1.ResponseTally) bool {
	uid, ok := s[t.Name]
	return ok && uid == t.UID
}

// TallyStates counts a Survey's tallies by state.
type TallyStates struct {
	// Open tallies still take responses; Sealed ones never will again
	// (full, or quiet and waiting to be compacted); Compacted ones hold
	// the merged counts of a day.
	Open, Sealed, Compacted int
}

// add counts one tally. A tally without a state, written by an earlier
// version, is open.
func (s *TallyStates) add(t *cxv1alpha1.ResponseTally) {
	switch t.State {
	case cxv1alpha1.TallySealed:
		s.Sealed++
	case cxv1alpha1.TallyCompacted:
		s.Compacted++
	default:
		s.Open++
	}
}

// Compaction is what the compactor does for one day and lane of a Survey,
// in the order of the steps above. Its tallies point into the list it was
// planned from.
type Compaction struct {
	Day  stats.Day
	Lane int32
	// Compacted is the day's compacted tally; nil before the first
	// compaction.
	Compacted *cxv1alpha1.ResponseTally
	// Seal are the quiet tallies to seal first (step 1).
	Seal []*cxv1alpha1.ResponseTally
	// Merge are the quiet tallies to merge into the compacted tally (step
	// 2): the sealed ones, and those of Seal whose seal succeeds.
	Merge []*cxv1alpha1.ResponseTally
	// Delete are the tallies the compacted tally supersedes already and
	// that still exist (step 3).
	Delete []*cxv1alpha1.ResponseTally
	// Gone are the entries of the compacted tally's supersedes whose tally
	// no longer exists (step 4).
	Gone []cxv1alpha1.SupersededTally
}

// PlanCompaction returns the compactions due for a Survey at now: for each
// day and lane inside the retention, the tallies quiet for longer than
// window to merge, and the cleanup left by an earlier compaction. Tallies
// of another Survey, of another scale or past the retention (the Survey
// controller deletes those) are left alone.
func PlanCompaction(spec *cxv1alpha1.SurveySpec, uid string, tallies []cxv1alpha1.ResponseTally, now time.Time, window time.Duration) []Compaction {
	sc := spec.ScaleOrDefault()
	cutoff := stats.RetentionCutoff(now, spec.RetentionOrDefault())
	type key struct {
		day  stats.Day
		lane int32
	}
	groups := map[key]*Compaction{}
	var members = map[key][]*cxv1alpha1.ResponseTally{}
	for i := range tallies {
		t := &tallies[i]
		if t.SurveyUID != uid || t.ScaleMin != sc.Min || t.ScaleMax != sc.Max {
			continue
		}
		day, err := stats.ParseDay(t.Day)
		if err != nil || day < cutoff {
			continue
		}
		k := key{day, t.Lane}
		if groups[k] == nil {
			groups[k] = &Compaction{Day: day, Lane: t.Lane}
		}
		if t.State == cxv1alpha1.TallyCompacted && groups[k].Compacted == nil {
			groups[k].Compacted = t
			continue
		}
		members[k] = append(members[k], t)
	}
	var out []Compaction
	for k, c := range groups {
		var listed Superseded
		if c.Compacted != nil {
			listed = SupersededBy(uid, []cxv1alpha1.ResponseTally{*c.Compacted})
		}
		present := map[string]types.UID{}
		for _, t := range members[k] {
			present[t.Name] = t.UID
			switch {
			case listed.Has(t):
				c.Delete = append(c.Delete, t)
			case t.State == cxv1alpha1.TallyCompacted:
				// A second compacted tally: not this version's layout;
				// readers count it, and it is left as it is.
			case !t.QuietAt(now, window):
			case t.State == cxv1alpha1.TallySealed:
				c.Merge = append(c.Merge, t)
			default:
				c.Seal = append(c.Seal, t)
			}
		}
		if c.Compacted != nil {
			for _, e := range c.Compacted.Supersedes {
				if uid, ok := present[e.Name]; !ok || uid != e.UID {
					c.Gone = append(c.Gone, e)
				}
			}
		}
		if len(c.Seal)+len(c.Merge)+len(c.Delete)+len(c.Gone) > 0 {
			out = append(out, *c)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Day != out[j].Day {
			return out[i].Day < out[j].Day
		}
		return out[i].Lane < out[j].Lane
	})
	return out
}

// MergeInto adds the counts of sources to the compacted tally c, in memory:
// counts and segment counts summed (segment values are not capped again,
// so that every window sums to what it summed before), responseIDs
// dropped, lastReceived the latest, sequence the highest, and each source
// listed in supersedes. c must be on the sources' scale.
func MergeInto(c *cxv1alpha1.ResponseTally, sources []*cxv1alpha1.ResponseTally) error {
	scale := stats.Scale{Min: int(c.ScaleMin), Max: int(c.ScaleMax)}
	total, err := stats.ParseTally(scale, c.Counts)
	if err != nil {
		return fmt.Errorf("compacted tally %s: counts: %w", c.Name, err)
	}
	segs := map[string]map[string]*stats.Tally{}
	add := func(t *cxv1alpha1.ResponseTally) error {
		for _, seg := range t.Segments {
			if segs[seg.Name] == nil {
				segs[seg.Name] = map[string]*stats.Tally{}
			}
			for _, v := range seg.Values {
				vt, err := stats.ParseTally(scale, v.Counts)
				if err != nil {
					return fmt.Errorf("tally %s: segment %s=%s: %w", t.Name, seg.Name, v.Value, err)
				}
				acc := segs[seg.Name][v.Value]
				if acc == nil {
					n := stats.NewTally(scale)
					acc = &n
					segs[seg.Name][v.Value] = acc
				}
				if err := acc.Merge(vt); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := add(c); err != nil {
		return err
	}
	for _, s := range sources {
		if s.ScaleMin != c.ScaleMin || s.ScaleMax != c.ScaleMax {
			return fmt.Errorf("tally %s counts scale %d..%d, the compacted tally %d..%d", s.Name, s.ScaleMin, s.ScaleMax, c.ScaleMin, c.ScaleMax)
		}
		counts, err := stats.ParseTally(scale, s.Counts)
		if err != nil {
			return fmt.Errorf("tally %s: counts: %w", s.Name, err)
		}
		if err := total.Merge(counts); err != nil {
			return err
		}
		if err := add(s); err != nil {
			return err
		}
		if s.LastReceived != nil && (c.LastReceived == nil || s.LastReceived.After(c.LastReceived.Time)) {
			c.LastReceived = s.LastReceived.DeepCopy()
		}
		c.Sequence = max(c.Sequence, s.Sequence)
		c.Supersedes = append(c.Supersedes, cxv1alpha1.SupersededTally{Name: s.Name, UID: s.UID})
	}
	c.Counts = total.String()
	c.Responses = total.N()
	c.Segments = encodeSegments(segs)
	c.ResponseIDs = nil
	c.State = cxv1alpha1.TallyCompacted
	sort.Slice(c.Supersedes, func(i, j int) bool { return c.Supersedes[i].Name < c.Supersedes[j].Name })
	return nil
}

// WithoutSuperseded returns supersedes without the entries of gone.
func WithoutSuperseded(supersedes, gone []cxv1alpha1.SupersededTally) []cxv1alpha1.SupersededTally {
	out := make([]cxv1alpha1.SupersededTally, 0, len(supersedes))
	for _, e := range supersedes {
		if !slices.Contains(gone, e) {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// encodeSegments renders segment tallies sorted by segment and value.
func encodeSegments(segs map[string]map[string]*stats.Tally) []cxv1alpha1.SegmentTally {
	if len(segs) == 0 {
		return nil
	}
	out := make([]cxv1alpha1.SegmentTally, 0, len(segs))
	for name, vals := range segs {
		seg := cxv1alpha1.SegmentTally{Name: name}
		for v, t := range vals {
			seg.Values = append(seg.Values, cxv1alpha1.SegmentValueTally{Value: v, Counts: t.String()})
		}
		sort.Slice(seg.Values, func(i, j int) bool { return seg.Values[i].Value < seg.Values[j].Value })
		out = append(out, seg)
	}
	sort.Slice(out, func(i, j int) bool { return strings.Compare(out[i].Name, out[j].Name) < 0 })
	return out
}
