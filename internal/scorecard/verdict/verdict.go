// Package verdict is the Kubernetes-free core of a Scorecard: it judges
// each objective's value against its target and warning band (Judge), and
// turns the weighted results into a total score and a verdict (JudgeCard). It follows the Keptn quality-gate analysis
// rule:
//
//   - an objective inside its target passes and earns its full weight;
//   - outside the target but inside the warning band it warns and earns half
//     its weight;
//   - otherwise it fails and earns nothing; an objective without a value
//     (NoData) earns nothing either and is never shown as met;
//   - the total score is 100 * earned / total weight, from 0 to 100;
//   - the card passes at or above the pass threshold, warns at or above the
//     warning threshold, and fails below it;
//   - a key objective that fails or has no data fails the card, whatever
//     its score (the score is kept).
//
// An objective with decision Confident whose source publishes a confidence
// interval is judged on the interval instead of the point estimate
// (confident.go): Pass only when the whole interval lies inside the
// target, Fail only when it lies wholly outside the warning band (the
// target without one), Warning when it lies outside the target and inside
// the band, and Inconclusive otherwise, which earns half the weight, is
// never met and does not fail the card as a key objective.
//
// Worked example, thresholds pass 90 / warning 75, weights 3, 1, 2:
// Pass 3 + Warning 0.5 + Fail 0 = 3.5 of 6 = 58.33, below 75: Fail.
//
// The package imports nothing from Kubernetes (only internal/stats, for the
// shared number formatter): it takes float64 values, optional bounds,
// weights, key flags and thresholds.
package verdict

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/touchstone-dev/touchstone/internal/stats"
)

// Result is the verdict of an objective or of a whole card. A card is
// never NoData: its objectives are.
type Result string

// The results.
const (
	Pass    Result = "Pass"
	Warning Result = "Warning"
	Fail    Result = "Fail"
	NoData  Result = "NoData"
	// Inconclusive: the value's interval straddles a bound of the target
	// or of the warning band, so the data cannot tell (decision Confident
	// only). It earns half the weight, like Warning, and is never met.
	Inconclusive Result = "Inconclusive"
)

// Bounds is an inclusive range; a nil bound is open. At least one bound is
// set for a meaningful target (the API enforces it).
type Bounds struct {
	Min, Max *float64
}

// Contains reports whether v lies inside the bounds, both inclusive.
func (b Bounds) Contains(v float64) bool {
	if b.Min != nil && v < *b.Min {
		return false
	}
	if b.Max != nil && v > *b.Max {
		return false
	}
	return true
}

// String renders the bounds for display: ">= 40", "<= 0.02" or
// "0.5 .. 2" (both inclusive).
func (b Bounds) String() string {
	switch {
	case b.Min != nil && b.Max != nil:
		return FormatNumber(*b.Min) + " .. " + FormatNumber(*b.Max)
	case b.Min != nil:
		return ">= " + FormatNumber(*b.Min)
	case b.Max != nil:
		return "<= " + FormatNumber(*b.Max)
	}
	return "any value"
}

// Objective is one objective to evaluate.
type Objective struct {
	// Name identifies the objective.
	Name string
	// Value is the value read from the source; it is used only when
	// HasValue is true.
	Value float64
	// HasValue is false when the source has no value: the objective is
	// NoData. NaN and infinite values count as no value too.
	HasValue bool
	// NoDataReason says why there is no value, for the objective's reason.
	NoDataReason string
	// Target is the range the value must lie in to pass.
	Target Bounds
	// Warning, when set, is the looser range in which the objective warns
	// instead of failing.
	Warning *Bounds
	// Weight of the objective in the total; a weight below 1 counts as 1.
	Weight int32
	// Key marks an objective whose failure (or lack of data) fails the
	// card.
	Key bool
	// Decision is Estimate (the default when empty) or Confident.
	Decision Decision
	// Interval is the confidence interval of Value when the source
	// publishes one; a Confident decision judges it.
	Interval *Interval
}

// Thresholds turn a total score into a card result.
type Thresholds struct {
	// Pass is the lowest total score that passes.
	Pass float64
	// Warning is the lowest total score that warns instead of failing.
	Warning float64
}

// ObjectiveResult is the evaluation of one objective.
type ObjectiveResult struct {
	// Name of the objective.
	Name string
	// Result is Pass, Warning, Inconclusive, Fail or NoData.
	Result Result
	// Earned is the weight earned: Weight on Pass, Weight/2 on Warning
	// and Inconclusive, 0 otherwise.
	Earned float64
	// Weight of the objective.
	Weight int32
	// Key is copied from the objective.
	Key bool
	// Reason explains the result in one line.
	Reason string
}

// Met reports whether the objective is met: only Pass is; Warning and
// Inconclusive are not.
func (r ObjectiveResult) Met() bool { return r.Result == Pass }

// CardResult is the evaluation of a whole card.
type CardResult struct {
	// Score is 100 * Earned / TotalWeight, from 0 to 100.
	Score float64
	// Result is Pass, Warning or Fail.
	Result Result
	// Earned is the weight earned by all objectives.
	Earned float64
	// TotalWeight is the sum of the objectives' weights.
	TotalWeight float64
	// Objectives are the evaluations, in the order given.
	Objectives []ObjectiveResult
	// FailedKeys names the key objectives that failed or had no data,
	// which fail the card.
	FailedKeys []string
	// NoData names the objectives without data.
	NoData []string
	// Inconclusive names the objectives whose interval cannot tell.
	Inconclusive []string
	// Reason explains the card's result in one line.
	Reason string
}

// weight is an objective's weight, at least 1.
func (o Objective) weight() int32 {
	if o.Weight < 1 {
		return 1
	}
	return o.Weight
}

// Judge compares one objective's value (or, for a Confident decision, its
// interval: see judgeConfident) with its target and warning band.
//
//	target >= 80, warning >= 70, weight 3:
//	value 85 -> Pass, earns 3; 75 -> Warning, earns 1.5; 60 -> Fail, 0;
//	no value -> NoData, 0.
func Judge(o Objective) ObjectiveResult {
	w := o.weight()
	r := ObjectiveResult{Name: o.Name, Weight: w, Key: o.Key}
	switch {
	case !o.HasValue || math.IsNaN(o.Value) || math.IsInf(o.Value, 0):
		r.Result = NoData
		r.Reason = o.NoDataReason
		if o.HasValue {
			r.Reason = "the value " + strconv.FormatFloat(o.Value, 'g', -1, 64) + " is not a finite number"
		}
		if r.Reason == "" {
			r.Reason = "no value"
		}
	case o.Decision == Confident && o.Interval.valid():
		judgeConfident(o, &r)
	default:
		judgeEstimate(o, &r)
		if o.Decision == Confident {
			r.Reason += " (decision Confident: the source publishes no interval, so the estimate is judged)"
		}
	}
	switch r.Result {
	case Pass:
		r.Earned = float64(w)
	case Warning, Inconclusive:
		r.Earned = float64(w) / 2
	}
	if o.Key && (r.Result == Fail || r.Result == NoData) {
		r.Reason += " (key objective: fails the card)"
	}
	return r
}

// judgeEstimate judges the point estimate: Pass inside the target,
// Warning inside the warning band, Fail outside both.
func judgeEstimate(o Objective, r *ObjectiveResult) {
	switch {
	case o.Target.Contains(o.Value):
		r.Result = Pass
		r.Reason = fmt.Sprintf("%s is inside the target %s", FormatNumber(o.Value), o.Target)
	case o.Warning != nil && o.Warning.Contains(o.Value):
		r.Result = Warning
		r.Reason = fmt.Sprintf("%s misses the target %s but is inside the warning band %s",
			FormatNumber(o.Value), o.Target, o.Warning)
	case o.Warning != nil:
		r.Result = Fail
		r.Reason = fmt.Sprintf("%s is outside the target %s and the warning band %s",
			FormatNumber(o.Value), o.Target, o.Warning)
	default:
		r.Result = Fail
		r.Reason = fmt.Sprintf("%s is outside the target %s", FormatNumber(o.Value), o.Target)
	}
}

// JudgeCard scores a card: each objective, the total score and the result.
//
//	thresholds 90 / 75; csat (weight 3, key) Pass, backlog (1) Warning,
//	first-response (2) Fail: earned 3 + 0.5 + 0 = 3.5 of 6,
//	score 58.33 < 75: Fail.
//
// A card without objectives scores 0 and fails.
func JudgeCard(objectives []Objective, t Thresholds) CardResult {
	var c CardResult
	for _, o := range objectives {
		r := Judge(o)
		c.Objectives = append(c.Objectives, r)
		c.Earned += r.Earned
		c.TotalWeight += float64(r.Weight)
		if r.Result == NoData {
			c.NoData = append(c.NoData, r.Name)
		}
		if r.Result == Inconclusive {
			c.Inconclusive = append(c.Inconclusive, r.Name)
		}
		if r.Key && (r.Result == Fail || r.Result == NoData) {
			c.FailedKeys = append(c.FailedKeys, r.Name)
		}
	}
	if c.TotalWeight > 0 {
		// Earned is a multiple of 0.5 and the weights are integers, so
		// multiplying first keeps whole scores exact (9 of 10 is 90, not
		// 89.99999).
		c.Score = c.Earned * 100 / c.TotalWeight
	}
	score := FormatScore(c.Score)
	switch {
	case len(c.Objectives) == 0:
		c.Result = Fail
		c.Reason = "no objectives"
	case len(c.FailedKeys) > 0:
		c.Result = Fail
		c.Reason = fmt.Sprintf("key objective %s failed or has no data (score %s)", strings.Join(c.FailedKeys, ", "), score)
	case c.Score >= t.Pass:
		c.Result = Pass
		c.Reason = fmt.Sprintf("score %s is at or above the pass threshold %s", score, FormatNumber(t.Pass))
	case c.Score >= t.Warning:
		c.Result = Warning
		c.Reason = fmt.Sprintf("score %s is below the pass threshold %s, at or above the warning threshold %s",
			score, FormatNumber(t.Pass), FormatNumber(t.Warning))
	default:
		c.Result = Fail
		c.Reason = fmt.Sprintf("score %s is below the warning threshold %s", score, FormatNumber(t.Warning))
	}
	return c
}

// Precisions of the shared formatter (stats.Format) for a card.
const (
	// ValueDecimals: values and bounds, at most 4 decimals.
	ValueDecimals = 4
	// ScoreDecimals: scores and earned weights, at most 2 decimals.
	ScoreDecimals = 2
)

// FormatNumber renders a value for display with at most 4 decimals and no
// trailing zeros: 0.6 -> "0.6", 7200 -> "7200", 2/3 -> "0.6667"; "" when
// undefined.
func FormatNumber(v float64) string { return stats.Format(v, ValueDecimals) }

// FormatScore renders a score or earned weight with at most 2 decimals:
// 58.3333 -> "58.33", 90 -> "90", 1.5 -> "1.5"; "" when undefined.
func FormatScore(v float64) string { return stats.Format(v, ScoreDecimals) }
