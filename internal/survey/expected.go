package survey

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/stats"
)

// shareTolerance is how far above 1 the expected shares of a segment may
// add up (rounding) before they are refused; within it they are scaled
// to sum to 1. The CRD checks the same bound on spec.segments[].expected.
const shareTolerance = 0.01

// Expectations are the expected shares of one segment's values in the
// customer base, resolved from spec.segments[].expected or from a
// Touchpoint's metrics.
type Expectations struct {
	// Shares maps each listed value to its share; they add up to at most
	// 1, and the values not listed share the rest.
	Shares map[string]float64
	// Problem says why the shares are unavailable ("" when they are).
	Problem string
}

// Available reports whether the shares can be used.
func (e *Expectations) Available() bool { return e != nil && e.Problem == "" && len(e.Shares) > 0 }

// Expected are the resolved expectations of a Survey's segments, by
// segment name. Segments without expected shares are absent.
type Expected map[string]*Expectations

// SpecExpectations resolves the inline expected shares of every segment;
// a segment reading them from a Touchpoint gets a Problem saying they
// were not read (the controller reads them with FromTouchpoint).
func SpecExpectations(spec *cxv1alpha1.SurveySpec) Expected {
	out := Expected{}
	for i := range spec.Segments {
		seg := &spec.Segments[i]
		switch {
		case len(seg.Expected) > 0:
			out[seg.Name] = inlineExpectations(seg)
		case seg.ExpectedFrom != nil:
			out[seg.Name] = &Expectations{Problem: fmt.Sprintf("the metrics of touchpoint %q were not read", seg.ExpectedFrom.TouchpointRef.Name)}
		}
	}
	return out
}

func inlineExpectations(seg *cxv1alpha1.SurveySegment) *Expectations {
	shares := map[string]float64{}
	for _, e := range seg.Expected {
		shares[e.Value] = e.Share.AsApproximateFloat64()
	}
	field := fmt.Sprintf("spec.segments[%s].expected", seg.Name)
	return normalized(shares, field)
}

// FromTouchpoint resolves a segment's expected shares from the metrics of
// the Touchpoint its expectedFrom names (tp, nil when it does not exist).
// Every metric named prefix + value gives that value's share: unit ratio
// as is, percent divided by 100, count divided by the sum of the counts
// (the counts then cover the whole base). The shares are unavailable,
// with a Problem, when no metric matches, one has no value, the units
// differ or cannot be shares, or the shares leave 0..1.
func FromTouchpoint(seg *cxv1alpha1.SurveySegment, tp *cxv1alpha1.Touchpoint) *Expectations {
	src := seg.ExpectedFrom
	if tp == nil {
		return &Expectations{Problem: fmt.Sprintf("touchpoint %q does not exist", src.TouchpointRef.Name)}
	}
	where := fmt.Sprintf("touchpoint %q", tp.Name)
	values := map[string]float64{}
	var unit cxv1alpha1.Unit
	for _, m := range tp.Status.Metrics {
		value, ok := strings.CutPrefix(m.Name, src.MetricPrefix)
		if !ok {
			continue
		}
		switch {
		case value == "":
			return &Expectations{Problem: fmt.Sprintf("%s: metric %s names no value after the prefix %s", where, m.Name, src.MetricPrefix)}
		case value == stats.OtherValue:
			return &Expectations{Problem: fmt.Sprintf("%s: metric %s names the value \"other\", the bucket of the values not listed", where, m.Name)}
		case m.Value == "":
			return &Expectations{Problem: fmt.Sprintf("%s: metric %s has no value yet (%s)", where, m.Name, strings.TrimSuffix(m.Reason, "."))}
		case unit != "" && m.Unit != unit:
			return &Expectations{Problem: fmt.Sprintf("%s: the metrics %s* mix units %s and %s", where, src.MetricPrefix, unit, m.Unit)}
		}
		unit = m.Unit
		v, err := strconv.ParseFloat(m.Value, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return &Expectations{Problem: fmt.Sprintf("%s: metric %s is %q, not a share", where, m.Name, m.Value)}
		}
		values[value] = v
	}
	if len(values) == 0 {
		return &Expectations{Problem: fmt.Sprintf("%s has no metric named %s<value>", where, src.MetricPrefix)}
	}
	switch unit {
	case cxv1alpha1.UnitRatio:
	case cxv1alpha1.UnitPercent:
		for k := range values {
			values[k] /= 100
		}
	case cxv1alpha1.UnitCount:
		var sum float64
		for _, v := range values {
			sum += v
		}
		if sum == 0 {
			return &Expectations{Problem: fmt.Sprintf("%s: the counts %s* are all 0", where, src.MetricPrefix)}
		}
		for k := range values {
			values[k] /= sum
		}
	default:
		return &Expectations{Problem: fmt.Sprintf("%s: the metrics %s* have unit %s; shares need ratio, percent or count", where, src.MetricPrefix, unit)}
	}
	return normalized(values, where+" metrics "+src.MetricPrefix+"*")
}

// normalized checks that shares lie in 0..1 and add up to at most 1 +
// shareTolerance, and scales them to 1 when they exceed it.
func normalized(shares map[string]float64, where string) *Expectations {
	var sum float64
	keys := make([]string, 0, len(shares))
	for k, v := range shares {
		if !(v >= 0 && v <= 1+shareTolerance) {
			return &Expectations{Problem: fmt.Sprintf("%s: the share of %s is %s, not between 0 and 1", where, k, stats.FormatSignificant(v, 6))}
		}
		sum += v
		keys = append(keys, k)
	}
	if sum > 1+shareTolerance {
		sort.Strings(keys)
		return &Expectations{Problem: fmt.Sprintf("%s: the shares of %s add up to %s, more than 1",
			where, strings.Join(keys, ", "), stats.FormatSignificant(sum, 6))}
	}
	if sum > 1 {
		for k := range shares {
			shares[k] /= sum
		}
	}
	return &Expectations{Shares: shares}
}

// ExpectedFromTouchpoints names the Touchpoints a Survey's segments read
// expected shares from, sorted, without duplicates.
func ExpectedFromTouchpoints(spec *cxv1alpha1.SurveySpec) []string {
	seen := map[string]bool{}
	var out []string
	for _, seg := range spec.Segments {
		if seg.ExpectedFrom != nil && !seen[seg.ExpectedFrom.TouchpointRef.Name] {
			seen[seg.ExpectedFrom.TouchpointRef.Name] = true
			out = append(out, seg.ExpectedFrom.TouchpointRef.Name)
		}
	}
	sort.Strings(out)
	return out
}

// ResolveExpected resolves the expected shares of every segment, reading
// those from Touchpoints in touchpoints (by name; a name missing or nil
// does not exist). The problem, nil when every segment's shares resolve,
// is the first segment's in declared order, as the Ready condition gives
// it: TouchpointNotFound, or ExpectedSharesUnavailable for metrics that
// do not give shares.
func ResolveExpected(spec *cxv1alpha1.SurveySpec, touchpoints map[string]*cxv1alpha1.Touchpoint) (Expected, *ReferenceProblem) {
	out := SpecExpectations(spec)
	var problem *ReferenceProblem
	for i := range spec.Segments {
		seg := &spec.Segments[i]
		if seg.ExpectedFrom == nil {
			continue
		}
		tp := touchpoints[seg.ExpectedFrom.TouchpointRef.Name]
		exp := FromTouchpoint(seg, tp)
		out[seg.Name] = exp
		if exp.Problem == "" || problem != nil {
			continue
		}
		field := fmt.Sprintf("spec.segments[%d].expectedFrom", i)
		if tp == nil {
			problem = &ReferenceProblem{Reason: cxv1alpha1.ReasonTouchpointNotFound,
				Message: fmt.Sprintf("touchpoint %q named in %s.touchpointRef does not exist", seg.ExpectedFrom.TouchpointRef.Name, field)}
			continue
		}
		problem = &ReferenceProblem{Reason: cxv1alpha1.ReasonExpectedSharesUnavailable,
			Message: fmt.Sprintf("%s (segment %s): %s", field, seg.Name, exp.Problem)}
	}
	return out, problem
}
