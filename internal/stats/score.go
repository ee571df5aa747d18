package stats

import (
	"fmt"
	"math"
)

// Kind is the survey type.
type Kind string

// Survey kinds.
const (
	NPS    Kind = "NPS"    // Net Promoter Score on 0..10
	CSAT   Kind = "CSAT"   // customer satisfaction: percent at or above a threshold
	CES    Kind = "CES"    // customer effort: mean, plus percent "easy"
	Rating Kind = "Rating" // plain rating: mean, optional threshold percent
)

// Valid reports whether k is one of the known kinds.
func (k Kind) Valid() bool {
	switch k {
	case NPS, CSAT, CES, Rating:
		return true
	}
	return false
}

// npsScale is the only scale NPS is defined on.
var npsScale = Scale{Min: 0, Max: 10}

// Options of an evaluation.
type Options struct {
	Kind            Kind
	Threshold       int     // satisfiedAtOrAbove: CSAT score threshold; CES "easy" threshold; Rating optional threshold
	HasThreshold    bool    // false: ThresholdPercent is NaN (Rating without threshold); CSAT and CES always have one
	ConfidenceLevel float64 // e.g. 0.95, in (0,1)
}

// usesThreshold: CSAT and CES always use Threshold (HasThreshold is
// ignored for them); NPS and Rating only when HasThreshold is set.
func (o Options) usesThreshold() bool {
	return o.Kind == CSAT || o.Kind == CES || o.HasThreshold
}

// Validate reports why o cannot score tallies on scale s: unknown kind,
// NPS on a scale other than 0..10, a threshold in use that lies outside s,
// or a confidence level not in (0, 1). Score returns an all-NaN Result
// in those cases; call Validate to surface the reason.
func (o Options) Validate(s Scale) error {
	if !s.Valid() {
		return fmt.Errorf("score: invalid scale %v (need Min <= Max and at most %d points)", s, MaxPoints)
	}
	if !o.Kind.Valid() {
		return fmt.Errorf("score: unknown kind %q (want NPS, CSAT, CES or Rating)", o.Kind)
	}
	if o.Kind == NPS && s != npsScale {
		return fmt.Errorf("score: NPS needs scale %v, got %v", npsScale, s)
	}
	if o.usesThreshold() && !s.Contains(o.Threshold) {
		return fmt.Errorf("score: %s threshold %d outside scale %v", o.Kind, o.Threshold, s)
	}
	if !validLevel(o.ConfidenceLevel) {
		return fmt.Errorf("score: confidence level %v not in (0,1)", o.ConfidenceLevel)
	}
	return nil
}

// Result of scoring one tally. Undefined numbers are NaN (never 0), e.g. every score field when N == 0.
//
// Percentages are in percentage points (0..100).
type Result struct {
	N int64
	// Score is NPS: -100..100; CSAT: percent at or above Threshold, 0..100;
	// CES, Rating: mean.
	Score float64
	// MarginOfError is the half-width of the interval below,
	// (Upper − Lower)/2. For NPS the interval is the adjusted-Wald one,
	// clamped to [−100, 100]: near ±100 it is asymmetric about its centre
	// and MarginOfError is still half its width.
	MarginOfError float64
	// Lower and Upper bound the confidence interval of Score. For NPS it
	// is centred on AdjustedScore, not on Score, and for a handful of
	// responses it may not contain Score (one promoter: NPS 100, interval
	// −48.5 .. 98.5).
	Lower, Upper float64
	// StdErr is the standard error of Score, used by the trend test; for
	// NPS the adjusted-Wald one.
	StdErr float64
	// AdjustedScore is, for NPS, the adjusted-Wald centre
	// AdjustedNetPromoterScore, which the trend test compares; NaN for
	// the other kinds.
	AdjustedScore float64
	Mean          float64 // mean score, for every kind
	// ThresholdPercent is the percent of responses at or above
	// Options.Threshold (for CSAT it equals Score), with its Wilson interval
	// ThresholdLower..ThresholdUpper. NaN when no threshold applies.
	ThresholdPercent               float64
	ThresholdLower, ThresholdUpper float64
	// NPS only (0 otherwise).
	Promoters, Passives, Detractors int64
	// NPS only (NaN otherwise).
	PromoterPercent, PassivePercent, DetractorPercent float64
}

// undefined returns a Result with every number NaN.
func undefined(n int64) Result {
	nan := math.NaN()
	return Result{
		N: n, Score: nan, MarginOfError: nan, Lower: nan, Upper: nan, StdErr: nan, AdjustedScore: nan, Mean: nan,
		ThresholdPercent: nan, ThresholdLower: nan, ThresholdUpper: nan,
		PromoterPercent: nan, PassivePercent: nan, DetractorPercent: nan,
	}
}

// percent divides first so that part == n gives exactly 100.
func percent(part, n int64) float64 { return float64(part) / float64(n) * 100 }

// Score scores one tally:
//
//	NPS     Score = NetPromoterScore (raw), interval = NPSAdjustedWaldInterval,
//	        MarginOfError = (Upper−Lower)/2, StdErr = NPSAdjustedStandardError,
//	        AdjustedScore = AdjustedNetPromoterScore
//	CSAT    Score = percent at or above Threshold, interval = WilsonInterval·100,
//	        MarginOfError = (Upper−Lower)/2, StdErr = PercentStandardError
//	CES,    Score = Mean, interval = TInterval, MarginOfError = its half-width,
//	Rating  StdErr = MeanStandardError (all NaN for a single response)
//
// Example (NPS, level 0.95): 60 promoters, 20 passives, 20 detractors →
// Score 40, adjusted centre 38.83, [23.38, 54.29], MarginOfError 15.46,
// StdErr 7.89. 50 passives → Score 0, [−4.53, 4.53], never "0 ± 0".
//
// For valid input Score does not allocate, and its cost depends on the
// number of scale points only, never on N. An empty tally gives N = 0 and NaN numbers; a malformed tally
// or options that fail Options.Validate give an all-NaN Result (N = 0 for a
// malformed tally).
func Score(t Tally, o Options) Result {
	if t.Validate() != nil {
		return undefined(0)
	}
	n := t.N()
	r := undefined(n)
	if n == 0 || o.Validate(t.Scale) != nil {
		return r
	}
	z := ZScore(o.ConfidenceLevel)
	r.Mean = Mean(t)
	if o.usesThreshold() {
		x := t.AtOrAbove(o.Threshold)
		lo, hi := WilsonInterval(x, n, z)
		r.ThresholdPercent, r.ThresholdLower, r.ThresholdUpper = percent(x, n), lo*100, hi*100
	}
	switch o.Kind {
	case NPS:
		r.Promoters = t.AtOrAbove(PromoterMin)
		r.Passives = t.CountBetween(PassiveMin, PromoterMin-1)
		r.Detractors = t.CountBetween(npsScale.Min, PassiveMin-1)
		r.PromoterPercent = percent(r.Promoters, n)
		r.PassivePercent = percent(r.Passives, n)
		r.DetractorPercent = percent(r.Detractors, n)
		r.Score = NetPromoterScore(r.Promoters, r.Detractors, n)
		r.AdjustedScore = AdjustedNetPromoterScore(r.Promoters, r.Detractors, n)
		r.StdErr = NPSAdjustedStandardError(r.Promoters, r.Detractors, n)
		r.Lower, r.Upper = NPSAdjustedWaldInterval(r.Promoters, r.Detractors, n, z)
		r.MarginOfError = (r.Upper - r.Lower) / 2
	case CSAT:
		x := t.AtOrAbove(o.Threshold)
		r.Score, r.Lower, r.Upper = r.ThresholdPercent, r.ThresholdLower, r.ThresholdUpper
		r.MarginOfError = (r.Upper - r.Lower) / 2
		r.StdErr = PercentStandardError(float64(x)/float64(n), n)
	case CES, Rating:
		v := SampleVariance(t)
		r.Score = r.Mean
		r.Lower, r.Upper = TInterval(r.Mean, v, n, o.ConfidenceLevel)
		r.MarginOfError = (r.Upper - r.Lower) / 2
		r.StdErr = MeanStandardError(v, n)
	}
	return r
}
