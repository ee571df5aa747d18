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
	// Weighting is set when spec.weighting is PostStratified: Current and
	// Previous then carry the weighted score, margin, interval and
	// standard error (their counts, mean and breakdowns stay those of the
	// responses as received).
	Weighting *Weighting
	// LastReceived is when a response was last stored in the window.
	LastReceived time.Time
	// Expired names the tallies entirely older than the retention.
	Expired []string
	// Ignored counts tallies that do not match the Survey (another scale).
	Ignored int
}

// Weighting is the basis of a weighted score.
type Weighting struct {
	// Segment weighted by.
	Segment string
	// Applied is false when the expected shares are unavailable: Current
	// then has no score.
	Applied bool
	// EffectiveN is Kish's effective sample size of Current.
	EffectiveN float64
	// Unweighted is the window's score as received.
	Unweighted stats.Result
	// Message says what the weighting did or why it was not applied.
	Message string
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

// Summarize scores the tallies of a Survey (with the given UID) at now,
// with the expected shares declared inline (SpecExpectations).
func Summarize(spec *cxv1alpha1.SurveySpec, uid string, tallies []cxv1alpha1.ResponseTally, now time.Time) (Summary, error) {
	return SummarizeWith(spec, uid, tallies, now, SpecExpectations(spec))
}

// SummarizeWith scores the tallies of a Survey (with the given UID) at
// now, with the segments' resolved expected shares. Tallies of other
// Surveys (an earlier one of the same name) are skipped.
func SummarizeWith(spec *cxv1alpha1.SurveySpec, uid string, tallies []cxv1alpha1.ResponseTally, now time.Time, expected Expected) (Summary, error) {
	sc := spec.ScaleOrDefault()
	s := Summary{Window: stats.CurrentWindow(now, spec.WindowDays())}
	s.PreviousWindow = s.Window.Previous()
	sums := newWindowSums(stats.Scale{Min: int(sc.Min), Max: int(sc.Max)})
	cutoff := stats.RetentionCutoff(now, spec.RetentionOrDefault())
	for i := range tallies {
		t := &tallies[i]
		if t.SurveyUID != uid {
			continue
		}
		day, err := stats.ParseDay(t.Day)
		if err != nil {
			return s, fmt.Errorf("tally %s: day: %w", t.Name, err)
		}
		switch {
		case day < cutoff:
			s.Expired = append(s.Expired, t.Name)
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
	segments, err := sums.segmentResults(spec, expected, opts)
	s.Segments = segments
	if err != nil {
		return s, err
	}
	trendCurrent, trendPrevious := s.Current, s.Previous
	if seg := spec.WeightedSegment(); seg != "" {
		if trendCurrent, trendPrevious, err = s.weight(spec, sums, expected[seg], opts); err != nil {
			return s, err
		}
	}
	s.Trend = stats.CompareWindows(trendCurrent, trendPrevious, opts.Kind, opts.ConfidenceLevel)
	return s, nil
}

// windowSums are the tallies of a window, its previous window, and the
// window's segment values, summed over days.
type windowSums struct {
	scale             stats.Scale
	current, previous stats.Tally
	// segments maps segment name -> value -> tally, in the window;
	// previousSegments in the previous window (for a weighted trend).
	segments, previousSegments map[string]map[string]*stats.Tally
}

func newWindowSums(scale stats.Scale) *windowSums {
	return &windowSums{scale: scale, current: stats.NewTally(scale), previous: stats.NewTally(scale),
		segments: map[string]map[string]*stats.Tally{}, previousSegments: map[string]map[string]*stats.Tally{}}
}

// addPrevious adds a tally of the previous window: its counts and its
// segments.
func (w *windowSums) addPrevious(t *cxv1alpha1.ResponseTally) error {
	counts, err := stats.ParseTally(w.scale, t.Counts)
	if err != nil {
		return fmt.Errorf("tally %s: counts: %w", t.Name, err)
	}
	if err := w.previous.Merge(counts); err != nil {
		return err
	}
	return w.mergeSegments(w.previousSegments, t)
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
	return w.mergeSegments(w.segments, t)
}

// mergeSegments adds the segment value tallies of t into into.
func (w *windowSums) mergeSegments(into map[string]map[string]*stats.Tally, t *cxv1alpha1.ResponseTally) error {
	for _, seg := range t.Segments {
		if into[seg.Name] == nil {
			into[seg.Name] = map[string]*stats.Tally{}
		}
		for _, v := range seg.Values {
			c, err := stats.ParseTally(w.scale, v.Counts)
			if err != nil {
				return fmt.Errorf("tally %s: segment %s=%s: %w", t.Name, seg.Name, v.Value, err)
			}
			acc := into[seg.Name][v.Value]
			if acc == nil {
				n := stats.NewTally(w.scale)
				acc = &n
				into[seg.Name][v.Value] = acc
			}
			if err := acc.Merge(c); err != nil {
				return err
			}
		}
	}
	return nil
}

// segmentResults breaks the window down by each declared segment, in
// declared order (see segmentBreakdown). Values are capped again over the
// whole window (each day's tally capped its own).
func (w *windowSums) segmentResults(spec *cxv1alpha1.SurveySpec, expected Expected, opts stats.Options) ([]Segment, error) {
	var out []Segment
	for i := range spec.Segments {
		decl := &spec.Segments[i]
		vals := w.segments[decl.Name]
		if len(vals) == 0 && expected[decl.Name] == nil {
			continue
		}
		b, err := segmentBreakdown(decl, vals, w.current, expected[decl.Name], spec.MinSegmentResponsesOrDefault(), opts)
		if err != nil {
			return out, err
		}
		out = append(out, b.segment)
	}
	return out, nil
}

// weight replaces the score of both windows by the post-stratified score
// by the weighted segment, and returns the two Results the trend compares
// (with Kish's effective sample sizes as N).
func (s *Summary) weight(spec *cxv1alpha1.SurveySpec, w *windowSums, exp *Expectations, opts stats.Options) (cur, prev stats.Result, err error) {
	name := spec.WeightedSegment()
	var decl *cxv1alpha1.SurveySegment
	for i := range spec.Segments {
		if spec.Segments[i].Name == name {
			decl = &spec.Segments[i]
		}
	}
	if decl == nil {
		return s.Current, s.Previous, fmt.Errorf("spec.weighting names segment %q, which spec.segments does not declare", name)
	}
	minN := spec.MinSegmentResponsesOrDefault()
	windows := []struct {
		result *stats.Result
		total  stats.Tally
		vals   map[string]*stats.Tally
		trend  *stats.Result
	}{{&s.Current, w.current, w.segments[name], &cur}, {&s.Previous, w.previous, w.previousSegments[name], &prev}}
	for i, win := range windows {
		b, err := segmentBreakdown(decl, win.vals, win.total, exp, minN, opts)
		if err != nil {
			return cur, prev, err
		}
		weighted, msg := weightedScore(name, &b, exp, opts)
		if i == 0 {
			s.Weighting = &Weighting{Segment: name, Applied: exp.Available() && !math.IsNaN(weighted.Result.Score),
				EffectiveN: weighted.EffectiveN, Unweighted: s.Current, Message: msg}
		}
		r := win.result
		if !exp.Available() {
			weighted.Result = stats.Score(stats.Tally{}, opts)
		}
		r.Score, r.MarginOfError, r.Lower, r.Upper, r.StdErr =
			weighted.Result.Score, weighted.Result.MarginOfError, weighted.Result.Lower, weighted.Result.Upper, weighted.Result.StdErr
		*win.trend = *r
		if !math.IsNaN(weighted.EffectiveN) {
			win.trend.N = int64(math.Round(weighted.EffectiveN))
		}
	}
	return cur, prev, nil
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
	st.Weighting = s.weightingStatus(spec, d)
	st.Segments = s.segmentStatus(d)
	st.LastResponseTime = nil
	if !s.LastReceived.IsZero() {
		st.LastResponseTime = new(metav1.NewTime(s.LastReceived.UTC().Truncate(time.Second)))
	}
}

func roundTo(v float64, d int) float64 {
	p := math.Pow10(d)
	return math.Round(v*p) / p
}
