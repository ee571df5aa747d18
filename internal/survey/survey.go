// Package survey decides what a Survey's status says: it sums the
// ResponseTally records of the rolling window and of the previous one,
// scores them with internal/stats, caps segment values, renders the numbers
// as display strings, and sets the DataSufficient and Ready conditions. It
// reads and writes API types but talks to no server, so the Survey
// controller stays a thin shell.
//
// Imports: api/v1alpha1, apimachinery types, internal/stats.
package survey

import (
	"fmt"
	"math"
	"sort"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/stats"
)

// Summary is the scored state of one Survey at one instant.
type Summary struct {
	// Window is the rolling window; Previous the one before it.
	Window, PreviousWindow stats.Window
	// Current and Previous are the scores of the two windows.
	Current, Previous stats.Result
	// Trend compares them; meaningful only when both have responses.
	Trend stats.Trend
	// Segments are the per-value scores of each segment in the window.
	Segments []Segment
	// LastReceived is when a response was last stored in the window.
	LastReceived time.Time
	// Expired names the tallies entirely older than the retention.
	Expired []string
	// Ignored counts tallies that do not match the Survey (another scale).
	Ignored int
	// Tallies counts the Survey's tallies by state, superseded ones
	// (merged, waiting to be deleted) included.
	Tallies TallyStates
}

// Segment is the breakdown of one segment.
type Segment struct {
	Name   string
	Values []SegmentValue
}

// SegmentValue is the score of one segment value (or "other").
type SegmentValue struct {
	Value  string
	Result stats.Result
}

// Options of the survey's scoring, from its spec.
func Options(spec *cxv1alpha1.SurveySpec) stats.Options {
	threshold, has := spec.Threshold()
	return stats.Options{
		Kind:            stats.Kind(spec.Type),
		Threshold:       threshold,
		HasThreshold:    has,
		ConfidenceLevel: spec.ConfidenceLevelOrDefault(),
	}
}

// Summarize scores the tallies of a Survey (with the given UID) at now.
// Tallies of other Surveys (an earlier one of the same name) are skipped,
// and so are the tallies a compacted tally supersedes: it counts them.
func Summarize(spec *cxv1alpha1.SurveySpec, uid string, tallies []cxv1alpha1.ResponseTally, now time.Time) (Summary, error) {
	sc := spec.ScaleOrDefault()
	s := Summary{Window: stats.CurrentWindow(now, spec.WindowDays())}
	s.PreviousWindow = s.Window.Previous()
	sums := newWindowSums(stats.Scale{Min: int(sc.Min), Max: int(sc.Max)})
	cutoff := stats.RetentionCutoff(now, spec.RetentionOrDefault())
	superseded := SupersededBy(uid, tallies)
	for i := range tallies {
		t := &tallies[i]
		if t.SurveyUID != uid {
			continue
		}
		s.Tallies.add(t)
		day, err := stats.ParseDay(t.Day)
		if err != nil {
			return s, fmt.Errorf("tally %s: day: %w", t.Name, err)
		}
		switch {
		case day < cutoff:
			s.Expired = append(s.Expired, t.Name)
		case superseded.Has(t):
		case t.ScaleMin != sc.Min || t.ScaleMax != sc.Max:
			s.Ignored++
		case s.Window.Contains(day):
			if err := sums.addCurrent(t); err != nil {
				return s, err
			}
			if t.LastReceived != nil && t.LastReceived.After(s.LastReceived) {
				s.LastReceived = t.LastReceived.Time
			}
		case s.PreviousWindow.Contains(day):
			if err := sums.addPrevious(t); err != nil {
				return s, err
			}
		}
	}

	opts := Options(spec)
	s.Current = stats.Score(sums.current, opts)
	s.Previous = stats.Score(sums.previous, opts)
	s.Trend = stats.CompareWindows(s.Current, s.Previous, opts.Kind, opts.ConfidenceLevel)
	segments, err := sums.segmentResults(spec, opts)
	s.Segments = segments
	return s, err
}

// windowSums are the tallies of a window, its previous window, and the
// window's segment values, summed over days.
type windowSums struct {
	scale             stats.Scale
	current, previous stats.Tally
	// segments maps segment name -> value -> tally, in the window.
	segments map[string]map[string]*stats.Tally
}

func newWindowSums(scale stats.Scale) *windowSums {
	return &windowSums{scale: scale, current: stats.NewTally(scale), previous: stats.NewTally(scale),
		segments: map[string]map[string]*stats.Tally{}}
}

// addPrevious adds a tally of the previous window (its counts only).
func (w *windowSums) addPrevious(t *cxv1alpha1.ResponseTally) error {
	counts, err := stats.ParseTally(w.scale, t.Counts)
	if err != nil {
		return fmt.Errorf("tally %s: counts: %w", t.Name, err)
	}
	return w.previous.Merge(counts)
}

// addCurrent adds a tally of the window: its counts and its segments.
func (w *windowSums) addCurrent(t *cxv1alpha1.ResponseTally) error {
	counts, err := stats.ParseTally(w.scale, t.Counts)
	if err != nil {
		return fmt.Errorf("tally %s: counts: %w", t.Name, err)
	}
	if err := w.current.Merge(counts); err != nil {
		return err
	}
	for _, seg := range t.Segments {
		if w.segments[seg.Name] == nil {
			w.segments[seg.Name] = map[string]*stats.Tally{}
		}
		for _, v := range seg.Values {
			c, err := stats.ParseTally(w.scale, v.Counts)
			if err != nil {
				return fmt.Errorf("tally %s: segment %s=%s: %w", t.Name, seg.Name, v.Value, err)
			}
			acc := w.segments[seg.Name][v.Value]
			if acc == nil {
				n := stats.NewTally(w.scale)
				acc = &n
				w.segments[seg.Name][v.Value] = acc
			}
			if err := acc.Merge(c); err != nil {
				return err
			}
		}
	}
	return nil
}

// segmentResults scores each declared segment's values over the window.
// Segments keep their declared order; values are capped again over the
// whole window (each day's tally capped its own).
func (w *windowSums) segmentResults(spec *cxv1alpha1.SurveySpec, opts stats.Options) ([]Segment, error) {
	var out []Segment
	for _, decl := range spec.Segments {
		vals := w.segments[decl.Name]
		if len(vals) == 0 {
			continue
		}
		list := make([]stats.ValueTally, 0, len(vals))
		for v, t := range vals {
			list = append(list, stats.ValueTally{Value: v, Tally: *t})
		}
		sort.Slice(list, func(i, j int) bool { return list[i].Value < list[j].Value })
		kept, other, err := stats.CapValues(list, decl.MaxValuesOrDefault())
		if err != nil {
			return out, err
		}
		seg := Segment{Name: decl.Name}
		for _, v := range kept {
			seg.Values = append(seg.Values, SegmentValue{Value: v.Value, Result: stats.Score(v.Tally, opts)})
		}
		if other.N() > 0 {
			seg.Values = append(seg.Values, SegmentValue{Value: stats.OtherValue, Result: stats.Score(other, opts)})
		}
		out = append(out, seg)
	}
	return out, nil
}

// Decimals used for display: scores and percentages to one decimal, means
// (1..7 scales) to two.
func decimals(kind stats.Kind) int {
	if kind == stats.CES || kind == stats.Rating {
		return 2
	}
	return 1
}

// ApplyTo writes the summary into a Survey's status, as rounded display
// strings; a number that is undefined is left empty.
func (s Summary) ApplyTo(spec *cxv1alpha1.SurveySpec, st *cxv1alpha1.SurveyStatus) {
	kind := stats.Kind(spec.Type)
	d := decimals(kind)
	cur := s.Current
	st.WindowStart = new(metav1.NewTime(s.Window.First.Start()))
	st.Responses = cur.N
	st.Score = stats.Format(cur.Score, d)
	st.MarginOfError = stats.Format(cur.MarginOfError, d)
	st.ConfidenceInterval = nil
	if lo, hi := stats.Format(cur.Lower, d), stats.Format(cur.Upper, d); lo != "" && hi != "" {
		st.ConfidenceInterval = &cxv1alpha1.Interval{Lower: lo, Upper: hi}
	}
	st.Mean = stats.Format(cur.Mean, 2)
	st.ThresholdPercent = stats.Format(cur.ThresholdPercent, 1)
	st.NPS = nil
	if kind == stats.NPS && cur.N > 0 {
		st.NPS = &cxv1alpha1.NPSBreakdown{
			Promoters: cur.Promoters, Passives: cur.Passives, Detractors: cur.Detractors,
			PromoterPercent:  stats.Format(cur.PromoterPercent, 1),
			PassivePercent:   stats.Format(cur.PassivePercent, 1),
			DetractorPercent: stats.Format(cur.DetractorPercent, 1),
		}
	}
	st.Previous = &cxv1alpha1.WindowScore{Responses: s.Previous.N, Score: stats.Format(s.Previous.Score, d)}
	st.Trend = nil
	if change := stats.Format(s.Trend.Change, d); change != "" {
		dir := cxv1alpha1.TrendFlat
		switch rounded := roundTo(s.Trend.Change, d); {
		case rounded > 0:
			dir = cxv1alpha1.TrendUp
		case rounded < 0:
			dir = cxv1alpha1.TrendDown
		}
		st.Trend = &cxv1alpha1.Trend{Change: change, Direction: dir, Significant: s.Trend.Significant}
	}
	st.Segments = nil
	for _, seg := range s.Segments {
		out := cxv1alpha1.SegmentStatus{Name: seg.Name}
		for _, v := range seg.Values {
			out.Values = append(out.Values, cxv1alpha1.SegmentValueStatus{
				Value: v.Value, Responses: v.Result.N,
				Score: stats.Format(v.Result.Score, d), MarginOfError: stats.Format(v.Result.MarginOfError, d),
			})
		}
		st.Segments = append(st.Segments, out)
	}
	st.LastResponseTime = nil
	if !s.LastReceived.IsZero() {
		st.LastResponseTime = new(metav1.NewTime(s.LastReceived.UTC().Truncate(time.Second)))
	}
}

func roundTo(v float64, d int) float64 {
	p := math.Pow10(d)
	return math.Round(v*p) / p
}
