package verdict

import (
	"fmt"
	"math"
)

// Decision says how an objective's value is compared with its target.
type Decision string

// The decisions.
const (
	// Estimate compares the value itself (the default when empty).
	Estimate Decision = "Estimate"
	// Confident compares the value's confidence interval, when the source
	// publishes one, and falls back to Estimate otherwise.
	Confident Decision = "Confident"
)

// Interval is the confidence interval a source publishes with a value.
type Interval struct {
	// Lower and Upper bound the interval, inclusive.
	Lower, Upper float64
	// Level is the confidence level, in (0, 1), for reasons ("95%
	// interval"); outside it the reason says "interval".
	Level float64
	// Label names the value in reasons, for example "NPS"; empty for
	// none.
	Label string
}

// valid reports whether the interval can be judged: both ends finite and
// in order.
func (i *Interval) valid() bool {
	return i != nil && !math.IsNaN(i.Lower) && !math.IsNaN(i.Upper) &&
		!math.IsInf(i.Lower, 0) && !math.IsInf(i.Upper, 0) && i.Lower <= i.Upper
}

// describe renders the value with its interval for a reason:
// "NPS 32.9, 95% interval 21.2..44.6".
func (i *Interval) describe(v float64) string {
	s := FormatNumber(v)
	if i.Label != "" {
		s = i.Label + " " + s
	}
	level := "interval"
	if i.Level > 0 && i.Level < 1 {
		level = FormatNumber(i.Level*100) + "% interval"
	}
	return fmt.Sprintf("%s, %s %s..%s", s, level, FormatNumber(i.Lower), FormatNumber(i.Upper))
}

// span is a closed range [lo, hi] of possible values.
type span struct{ lo, hi float64 }

// inside reports whether the whole span lies in b (b is convex, so both
// ends inside is enough).
func (s span) inside(b Bounds) bool { return b.Contains(s.lo) && b.Contains(s.hi) }

// outside reports whether no value of the span lies in b.
func (s span) outside(b Bounds) bool {
	return b.Min != nil && s.hi < *b.Min || b.Max != nil && s.lo > *b.Max
}

// undecided names the bounds of b that the span straddles, as the
// question the data cannot answer: ">= 30", "<= 7200", or "within 0.5 ..
// 2" when it straddles both.
func (s span) undecided(b Bounds) string {
	low := b.Min != nil && s.lo < *b.Min
	high := b.Max != nil && s.hi > *b.Max
	switch {
	case low && high:
		return "within " + b.String()
	case low:
		return ">= " + FormatNumber(*b.Min)
	case high:
		return "<= " + FormatNumber(*b.Max)
	}
	return b.String()
}

// judgeConfident judges an objective on its confidence interval:
//
//	target >= 30, warning >= 10:
//	  interval 35..48  -> Pass          (wholly inside the target)
//	  interval 21..44  -> Inconclusive  ("cannot tell whether >= 30")
//	  interval 12..27  -> Warning       (wholly outside the target, inside the band)
//	  interval 4..22   -> Inconclusive  ("misses the target >= 30, cannot tell whether >= 10")
//	  interval -9..8   -> Fail          (wholly outside the band)
//
// Without a warning band, an interval wholly outside the target fails.
// The span judged is the interval widened to contain the value itself: an
// adjusted interval from a handful of answers may not contain its raw
// estimate (one promoter: NPS 100, interval -48.5..98.5), and a Confident
// verdict must never contradict the estimate it is more careful than.
func judgeConfident(o Objective, r *ObjectiveResult) {
	i := o.Interval
	s := span{lo: math.Min(i.Lower, o.Value), hi: math.Max(i.Upper, o.Value)}
	what := i.describe(o.Value)
	switch {
	case s.inside(o.Target):
		r.Result = Pass
		r.Reason = fmt.Sprintf("%s: inside the target %s", what, o.Target)
	case o.Warning == nil && s.outside(o.Target):
		r.Result = Fail
		r.Reason = fmt.Sprintf("%s: outside the target %s", what, o.Target)
	case o.Warning != nil && s.outside(*o.Warning):
		r.Result = Fail
		r.Reason = fmt.Sprintf("%s: outside the target %s and the warning band %s", what, o.Target, o.Warning)
	case o.Warning != nil && s.outside(o.Target) && s.inside(*o.Warning):
		r.Result = Warning
		r.Reason = fmt.Sprintf("%s: misses the target %s but is inside the warning band %s", what, o.Target, o.Warning)
	case s.outside(o.Target):
		r.Result = Inconclusive
		r.Reason = fmt.Sprintf("%s: misses the target %s, cannot tell whether %s", what, o.Target, s.undecided(*o.Warning))
	default:
		r.Result = Inconclusive
		r.Reason = fmt.Sprintf("%s: cannot tell whether %s", what, s.undecided(o.Target))
	}
}
