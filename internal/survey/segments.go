package survey

import (
	"fmt"
	"math"
	"sort"
	"strings"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/stats"
)

// Segment is the breakdown of one segment.
type Segment struct {
	Name string
	// Responses of the window that carry the segment.
	Responses int64
	// Values are the published values, then "other".
	Values []SegmentValue
	// Representation is set when the segment declares expected shares.
	Representation *Representation
}

// SegmentValue is the score of one segment value (or "other").
type SegmentValue struct {
	Value  string
	Result stats.Result
	// CountOnly: only Result.N may be published (other below the
	// minimum group size, or hiding a smaller group).
	CountOnly bool
	// Share of the segment's responses, its ExpectedShare and their
	// Ratio; NaN when the segment has no expected shares.
	Share, ExpectedShare, Ratio float64
}

// Representation is the representation test of one segment.
type Representation struct {
	Result  cxv1alpha1.RepresentationResult
	Test    stats.Representation
	Message string
}

// breakdown is one segment of one window: what is published about it,
// and the strata it gives a weighting.
type breakdown struct {
	segment Segment
	// strata: the published values, then other with the responses that
	// carry no value for the segment; nil without expected shares.
	strata []stats.Stratum
}

// segmentBreakdown computes one segment's breakdown over a window whose
// responses are total, from its value tallies:
//
//  1. with expected shares, the values not listed count under other;
//  2. values past maxValues fold into other (stats.CapValues);
//  3. the minimum group size (stats.ApplyMinimumGroupSize) folds the
//     values below it, and whatever would reveal them by subtraction;
//  4. with expected shares, each published value is compared with its
//     share, other with the rest (1 minus the published shares), and the
//     chi-square test runs on those groups.
func segmentBreakdown(decl *cxv1alpha1.SurveySegment, vals map[string]*stats.Tally, total stats.Tally,
	exp *Expectations, minN int64, opts stats.Options) (breakdown, error) {
	var b breakdown
	b.segment.Name = decl.Name
	g, assigned, unassigned, err := groupValues(decl, vals, total, exp, minN)
	if err != nil {
		return b, err
	}
	n := assigned.N()
	b.segment.Responses = n
	rest := 1.0
	if exp.Available() {
		for _, v := range g.Values {
			rest -= exp.Shares[v.Value]
		}
		rest = max(rest, 0)
	}
	share := func(v string, t stats.Tally, expected float64) SegmentValue {
		sv := SegmentValue{Value: v, Result: stats.Score(t, opts), Share: math.NaN(), ExpectedShare: math.NaN(), Ratio: math.NaN()}
		if exp.Available() {
			sv.Share = float64(t.N()) / float64(n)
			sv.ExpectedShare = expected
			sv.Ratio = stats.RepresentationRatio(sv.Share, expected)
		}
		return sv
	}
	var cells []stats.RepresentationCell
	for _, v := range g.Values {
		b.segment.Values = append(b.segment.Values, share(v.Value, v.Tally, exp.shareOf(v.Value)))
		cells = append(cells, stats.RepresentationCell{Value: v.Value, Observed: v.Tally.N(), ExpectedShare: exp.shareOf(v.Value)})
		b.strata = append(b.strata, stats.Stratum{Value: v.Value, Weight: exp.shareOf(v.Value), Tally: v.Tally})
	}
	// other is listed when it has responses, or, with expected shares,
	// when the rest of the base is expected to answer and does not.
	if g.Other.N() > 0 || (exp.Available() && rest > 0 && n > 0) {
		sv := share(stats.OtherValue, g.Other, rest)
		if !g.OtherScored {
			sv.Result, sv.CountOnly = countOnly(g.Other.N()), true
		}
		b.segment.Values = append(b.segment.Values, sv)
		cells = append(cells, stats.RepresentationCell{Value: stats.OtherValue, Observed: g.Other.N(), ExpectedShare: rest})
	}
	if exp == nil {
		b.strata = nil
		return b, nil
	}
	if !exp.Available() {
		b.strata = nil
		b.segment.Representation = &Representation{Result: cxv1alpha1.RepresentationNotTested,
			Message: fmt.Sprintf("%s: no expected shares: %s", decl.Name, exp.Problem)}
		return b, nil
	}
	// Responses without a value for the segment are weighted with other:
	// they belong to no listed stratum.
	otherStratum := g.Other.Clone()
	if err := otherStratum.Merge(unassigned); err != nil {
		return b, err
	}
	b.strata = append(b.strata, stats.Stratum{Value: stats.OtherValue, Weight: rest, Tally: otherStratum})
	r := stats.AssessRepresentation(cells, opts.ConfidenceLevel)
	b.segment.Representation = representationOf(decl.Name, r, opts.ConfidenceLevel)
	return b, nil
}

// groupValues applies steps 1 to 3 of segmentBreakdown: the published
// groups, and the responses that carry the segment (assigned) and those
// that do not (unassigned).
func groupValues(decl *cxv1alpha1.SurveySegment, vals map[string]*stats.Tally, total stats.Tally,
	exp *Expectations, minN int64) (g stats.MinimumSizeGroups, assigned, unassigned stats.Tally, err error) {
	other := stats.NewTally(total.Scale)
	assigned = stats.NewTally(total.Scale)
	list := make([]stats.ValueTally, 0, len(vals))
	for v, t := range vals {
		if err := assigned.Merge(*t); err != nil {
			return g, assigned, unassigned, err
		}
		if exp.Available() {
			if _, listed := exp.Shares[v]; !listed {
				if err := other.Merge(*t); err != nil {
					return g, assigned, unassigned, err
				}
				continue
			}
		}
		list = append(list, stats.ValueTally{Value: v, Tally: *t})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Value < list[j].Value })
	kept, capped, err := stats.CapValues(list, decl.MaxValuesOrDefault())
	if err != nil {
		return g, assigned, unassigned, err
	}
	if capped.Counts != nil {
		if err := other.Merge(capped); err != nil {
			return g, assigned, unassigned, err
		}
	}
	if unassigned, err = difference(total, assigned); err != nil {
		return g, assigned, unassigned, fmt.Errorf("segment %s: %w", decl.Name, err)
	}
	g, err = stats.ApplyMinimumGroupSize(kept, other, unassigned.N(), minN)
	return g, assigned, unassigned, err
}

func (e *Expectations) shareOf(v string) float64 {
	if !e.Available() {
		return math.NaN()
	}
	return e.Shares[v]
}

// countOnly is the Result of a group whose count alone is published.
func countOnly(n int64) stats.Result {
	r := stats.Score(stats.Tally{}, stats.Options{})
	r.N = n
	return r
}

// difference returns total − part, point by point: the responses of a
// window without a value for one segment.
func difference(total, part stats.Tally) (stats.Tally, error) {
	out := stats.NewTally(total.Scale)
	for i := range out.Counts {
		var p int64
		if i < len(part.Counts) {
			p = part.Counts[i]
		}
		var c int64
		if i < len(total.Counts) {
			c = total.Counts[i]
		}
		if p > c {
			return out, fmt.Errorf("more responses carry the segment at score %d (%d) than the window has (%d)", total.Scale.Min+i, p, c)
		}
		out.Counts[i] = c - p
	}
	return out, nil
}

// representationOf renders a test's outcome as a status result and a
// plain sentence.
func representationOf(segment string, r stats.Representation, level float64) *Representation {
	out := &Representation{Test: r}
	if !r.Tested {
		out.Result = cxv1alpha1.RepresentationNotTested
		out.Message = fmt.Sprintf("%s: too few responses to test representation (%d; the test needs at least %d expected in each of two groups)",
			segment, r.N, stats.MinExpectedCount)
		return out
	}
	merged := ""
	if len(r.Merged) > 0 {
		groups := make([]string, len(r.Merged))
		for i, m := range r.Merged {
			groups[i] = strings.ReplaceAll(m, "+", " and ")
		}
		merged = fmt.Sprintf("; %s tested as one group, so that each group expects at least %d responses",
			strings.Join(groups, "; "), stats.MinExpectedCount)
	}
	if !r.Significant {
		out.Result = cxv1alpha1.RepresentationConsistent
		out.Message = fmt.Sprintf("%s: responses are consistent with the expected shares (%s at %s confidence)%s",
			segment, pText(r.PValue), percentText(level), merged)
		return out
	}
	out.Result = cxv1alpha1.RepresentationUnrepresentative
	verb := "over-represent"
	if r.LargestShare < r.Largest.ExpectedShare {
		verb = "under-represent"
	}
	out.Message = fmt.Sprintf("%s: responses %s %s (%s vs %s), %s%s", segment, verb,
		strings.ReplaceAll(r.Largest.Value, "+", " and "), percentText(r.LargestShare), percentText(r.Largest.ExpectedShare),
		pText(r.PValue), merged)
	return out
}

// pText renders a p-value for a sentence: "p < 0.001" or "p = 0.034".
func pText(p float64) string {
	if p < 0.001 {
		return "p < 0.001"
	}
	return "p = " + stats.FormatSignificant(p, 2)
}

// percentText renders a share as a whole percentage, with one decimal
// when it would otherwise read 0% or 100% without being either.
func percentText(share float64) string {
	text := stats.Format(share*100, 0)
	if (text == "0" && share > 0) || (text == "100" && share < 1) {
		text = stats.Format(share*100, 1)
	}
	return text + "%"
}

// weightedScore is the post-stratified score of a window by one segment's
// strata, or why there is none.
func weightedScore(segment string, b *breakdown, exp *Expectations, opts stats.Options) (stats.Weighted, string) {
	if !exp.Available() {
		problem := "no expected shares"
		if exp != nil && exp.Problem != "" {
			problem = exp.Problem
		}
		return stats.Weighted{}, fmt.Sprintf("not applied: the expected shares of %s are unavailable (%s); score is empty, see unweighted", segment, problem)
	}
	w := stats.PostStratify(b.strata, opts)
	if w.Result.N == 0 {
		return w, fmt.Sprintf("score weighted by the expected shares of %s once responses arrive", segment)
	}
	if math.IsNaN(w.Result.Score) {
		return w, fmt.Sprintf("not applied: no response of %s falls in a group with an expected share above 0; score is empty, see unweighted", segment)
	}
	var parts []string
	for _, s := range b.strata {
		if s.Tally.N() > 0 || s.Weight > 0 {
			parts = append(parts, s.Value+" "+stats.Format(s.Weight, 3))
		}
	}
	msg := fmt.Sprintf("score weighted by the expected shares of %s (%s); effective sample size %s of %d responses",
		segment, strings.Join(parts, ", "), stats.Format(w.EffectiveN, 1), w.Result.N)
	if len(w.Dropped) > 0 {
		msg += fmt.Sprintf("; %s had no response, so its share went to the others", strings.Join(w.Dropped, ", "))
	}
	return w, msg
}

// weightingStatus renders the weighting, nil without one.
func (s Summary) weightingStatus(spec *cxv1alpha1.SurveySpec, d int) *cxv1alpha1.WeightingStatus {
	if s.Weighting == nil {
		return nil
	}
	w := s.Weighting
	u := w.Unweighted
	out := &cxv1alpha1.WeightingStatus{
		Method: spec.Weighting.Method, Segment: w.Segment, Message: w.Message,
		Unweighted: &cxv1alpha1.UnweightedScore{Score: stats.Format(u.Score, d), MarginOfError: stats.Format(u.MarginOfError, d)},
	}
	if w.Applied {
		out.EffectiveResponses = stats.Format(w.EffectiveN, 1)
	}
	if lo, hi := stats.Format(u.Lower, d), stats.Format(u.Upper, d); lo != "" && hi != "" {
		out.Unweighted.ConfidenceInterval = &cxv1alpha1.Interval{Lower: lo, Upper: hi}
	}
	return out
}

// segmentStatus renders the segments: a count-only group shows its count
// and shares, never a score.
func (s Summary) segmentStatus(d int) []cxv1alpha1.SegmentStatus {
	var out []cxv1alpha1.SegmentStatus
	for _, seg := range s.Segments {
		st := cxv1alpha1.SegmentStatus{Name: seg.Name, Responses: seg.Responses}
		for _, v := range seg.Values {
			vs := cxv1alpha1.SegmentValueStatus{
				Value: v.Value, Responses: v.Result.N,
				Share: stats.Format(v.Share, 3), ExpectedShare: stats.Format(v.ExpectedShare, 3), Ratio: stats.Format(v.Ratio, 2),
			}
			if !v.CountOnly {
				vs.Score, vs.MarginOfError = stats.Format(v.Result.Score, d), stats.Format(v.Result.MarginOfError, d)
			}
			st.Values = append(st.Values, vs)
		}
		if r := seg.Representation; r != nil {
			st.Representation = &cxv1alpha1.SegmentRepresentation{Result: r.Result, Message: r.Message,
				ChiSquare: stats.Format(r.Test.ChiSquare, 2), PValue: stats.FormatSignificant(r.Test.PValue, 2)}
			if r.Test.Tested {
				st.Representation.DegreesOfFreedom = int32(r.Test.DF)
			}
		}
		out = append(out, st)
	}
	return out
}
