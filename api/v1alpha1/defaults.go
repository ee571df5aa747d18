package v1alpha1

import (
	"time"
)

// Defaults of optional fields. The API server applies the same values
// (+kubebuilder:default markers); these getters let code that builds
// objects in memory, such as tests, read a spec the way the server stored
// it.
const (
	DefaultCollectorInterval = 60 * time.Second
	DefaultCollectorTimeout  = 10 * time.Second
	DefaultHTTPWindow        = 24 * time.Hour
	DefaultMaxPages          = 10
	DefaultSurveyWindow      = 30 * 24 * time.Hour
	DefaultSurveyRetention   = 90 * 24 * time.Hour
	DefaultMinResponses      = 30
	DefaultConfidenceLevel   = 0.95
	DefaultSegmentMaxValues  = 20
	// DefaultMinSegmentResponses is the k-anonymity floor of segment
	// values.
	DefaultMinSegmentResponses = 5
	DefaultThresholdPass       = 90
	DefaultThresholdWarning    = 75
	DefaultAlertFor            = 15 * time.Minute
	// DefaultStabilizationWindow is how long a Scorecard's new result
	// must hold before it is published.
	DefaultStabilizationWindow = 5 * time.Minute
)

// IntervalOrDefault is the collector's interval.
func (c *Collector) IntervalOrDefault() time.Duration {
	if c.Interval == nil {
		return DefaultCollectorInterval
	}
	return c.Interval.Duration
}

// TimeoutOrDefault is the collector's timeout: when unset, the smaller of
// DefaultCollectorTimeout (10s) and half the interval, so that the
// default is shorter than every valid interval (5s at the minimum of
// 10s).
func (c *Collector) TimeoutOrDefault() time.Duration {
	if c.Timeout == nil {
		return min(DefaultCollectorTimeout, c.IntervalOrDefault()/2)
	}
	return c.Timeout.Duration
}

// MethodOrDefault is the http source's method, GET unless set.
func (h *HTTPSource) MethodOrDefault() HTTPMethod {
	if h.Method == "" {
		return HTTPGet
	}
	return h.Method
}

// WindowOrDefault is the time range of the http source's placeholders.
func (h *HTTPSource) WindowOrDefault() time.Duration {
	if h.Window == nil {
		return DefaultHTTPWindow
	}
	return h.Window.Duration
}

// MaxPagesOrDefault is how many pages one run reads at most.
func (p *Pagination) MaxPagesOrDefault() int {
	if p.MaxPages <= 0 {
		return DefaultMaxPages
	}
	return int(p.MaxPages)
}

// WindowOrDefault is the survey's rolling window.
func (s *SurveySpec) WindowOrDefault() time.Duration {
	if s.Window == nil {
		return DefaultSurveyWindow
	}
	return s.Window.Duration
}

// WindowDays is the survey's window in whole days (at least 1).
func (s *SurveySpec) WindowDays() int {
	d := int(s.WindowOrDefault() / (24 * time.Hour))
	if d < 1 {
		return 1
	}
	return d
}

// RetentionOrDefault is how long the survey's tallies are kept.
func (s *SurveySpec) RetentionOrDefault() time.Duration {
	if s.Retention == nil {
		return DefaultSurveyRetention
	}
	return s.Retention.Duration
}

// MinResponsesOrDefault is the sample size below which data is
// insufficient.
func (s *SurveySpec) MinResponsesOrDefault() int64 {
	if s.MinResponses <= 0 {
		return DefaultMinResponses
	}
	return int64(s.MinResponses)
}

// ConfidenceLevelOrDefault is the survey's confidence level as a fraction.
func (s *SurveySpec) ConfidenceLevelOrDefault() float64 {
	if s.ConfidenceLevel == nil {
		return DefaultConfidenceLevel
	}
	return s.ConfidenceLevel.AsApproximateFloat64()
}

// ScaleOrDefault is the survey's scale: fixed 0..10 for NPS, 1..5 for CSAT
// and 1..7 for CES unless set.
func (s *SurveySpec) ScaleOrDefault() Scale {
	switch {
	case s.Type == SurveyNPS:
		return Scale{Min: 0, Max: 10}
	case s.Scale != nil:
		return *s.Scale
	case s.Type == SurveyCES:
		return Scale{Min: 1, Max: 7}
	default:
		return Scale{Min: 1, Max: 5}
	}
}

// Threshold is the satisfiedAtOrAbove score and whether the survey has
// one: CSAT defaults to scale max - 1 (top-2-box), CES to scale max - 2
// (5 on 1..7); Rating has one only when set; NPS never.
func (s *SurveySpec) Threshold() (int, bool) {
	if s.Type == SurveyNPS {
		return 0, false
	}
	if s.SatisfiedAtOrAbove != nil {
		return int(*s.SatisfiedAtOrAbove), true
	}
	scale := s.ScaleOrDefault()
	switch s.Type {
	case SurveyCSAT:
		return int(scale.Max) - 1, true
	case SurveyCES:
		return int(scale.Max) - 2, true
	}
	return 0, false
}

// MaxValuesOrDefault is how many values of the segment are kept apart.
func (s *SurveySegment) MaxValuesOrDefault() int {
	if s.MaxValues <= 0 {
		return DefaultSegmentMaxValues
	}
	return int(s.MaxValues)
}

// MinSegmentResponsesOrDefault is the smallest group of responses whose
// score is published.
func (s *SurveySpec) MinSegmentResponsesOrDefault() int64 {
	if s.MinSegmentResponses <= 0 {
		return DefaultMinSegmentResponses
	}
	return int64(s.MinSegmentResponses)
}

// WeightedSegment is the segment the score is weighted by, "" when the
// score is not weighted.
func (s *SurveySpec) WeightedSegment() string {
	if s.Weighting == nil || s.Weighting.Method != WeightingPostStratified || len(s.Weighting.Segments) != 1 {
		return ""
	}
	return s.Weighting.Segments[0]
}

// WeightOrDefault is the objective's weight.
func (o *Objective) WeightOrDefault() int32 {
	if o.Weight <= 0 {
		return 1
	}
	return o.Weight
}

// ForOrDefault is how long a failing objective waits before alerting.
func (a *Alerting) ForOrDefault() time.Duration {
	if a.For == nil {
		return DefaultAlertFor
	}
	return a.For.Duration
}

// StabilizationWindowOrDefault is how long a new result of the card must
// hold before it is published (0: at once).
func (s *ScorecardSpec) StabilizationWindowOrDefault() time.Duration {
	if s.StabilizationWindow == nil {
		return DefaultStabilizationWindow
	}
	return max(s.StabilizationWindow.Duration, 0)
}

// DecisionOrDefault is how the objective's value is compared with its
// target.
func (o *Objective) DecisionOrDefault() Decision {
	if o.Decision == "" {
		return DecisionEstimate
	}
	return o.Decision
}
