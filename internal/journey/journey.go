// Package journey decides what a Journey's status says: it lays the
// selected Touchpoints out by lifecycle stage, finds what is measured
// (coverage), puts each stage's Survey scores on a common 0..100 scale and
// combines them (stage satisfaction, with internal/stats), compares the
// stages (consistency, the weakest stage when the data can tell), renders
// the numbers as display strings, and sets the Ready and StagesMeasured
// conditions. It reads API types but talks to no server, so the Journey
// controller only fetches the objects from the cache and writes what this
// package computes.
//
// Imports: api/v1alpha1, apimachinery types, internal/stats.
package journey

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/stats"
)

// Bounds of the lists in status, so that a journey over thousands of
// Touchpoints stays a small object.
const (
	// MaxUnmeasuredTouchpoints is how many unmeasured Touchpoints are named.
	MaxUnmeasuredTouchpoints = 50
	// MaxStageSurveys is how many Surveys a stage lists.
	MaxStageSurveys = 20
)

// Display decimals of satisfaction, margins and spread (0..100 scale).
const decimals = 1

// Sources are the objects a Journey's map is computed from, read from the
// cache by the controller.
type Sources struct {
	// Touchpoints are those spec.touchpointSelector selects.
	Touchpoints []cxv1alpha1.Touchpoint
	// Surveys of the namespace: those asked at a selected Touchpoint count.
	Surveys []cxv1alpha1.Survey
	// Scorecard is the one spec.scorecardRef names, nil when it is not set
	// or does not exist.
	Scorecard *cxv1alpha1.Scorecard
	// ScorecardMissing is true when spec.scorecardRef names no Scorecard.
	ScorecardMissing bool
	// SelectorError says why spec.touchpointSelector cannot be used.
	SelectorError error
}

// Map is a computed lifecycle map, with exact numbers (NaN: undefined).
type Map struct {
	// Stages are the declared stages, in lifecycle order.
	Stages []Stage
	// Touchpoints on the map (selected and in a declared stage).
	Touchpoints int
	// Outside counts the selected Touchpoints in undeclared stages.
	Outside int
	// Unmeasured names the Touchpoints on the map without a measurement,
	// sorted.
	Unmeasured []string
	// Consistency compares the stages.
	Consistency Consistency
	// Level is the confidence level of the margins.
	Level float64
}

// Stage is one stage of the map.
type Stage struct {
	Name                  cxv1alpha1.Stage
	Touchpoints, Measured int
	// Surveys asked at the stage's Touchpoints, sorted by name.
	Surveys []Survey
	// Responses behind Satisfaction: those of the counted Surveys.
	Responses int64
	// Satisfaction and Margin on the 0..100 scale; NaN when undefined.
	Satisfaction, Margin float64
	// Reason says why Satisfaction is NaN.
	Reason string
}

// Survey is one Survey of a stage, on the 0..100 scale.
type Survey struct {
	Name      string
	Type      cxv1alpha1.SurveyType
	Responses int64
	// Counted is true when the Survey counts towards the stage
	// satisfaction: enough responses and a score.
	Counted bool
	// Satisfaction and StdErr, normalised; NaN unless Counted.
	Satisfaction, StdErr float64
	// why it is not counted
	why string
}

// Consistency compares the scored stages.
type Consistency struct {
	// Scored is the number of stages with a satisfaction.
	Scored int
	// Spread (max − min) and StdDev (population); NaN with fewer than two
	// scored stages.
	Spread, StdDev float64
	// Weakest and Strongest are named only when their intervals do not
	// overlap.
	Weakest, Strongest cxv1alpha1.Stage
	// Summary says it in one sentence.
	Summary string
}

// Build computes the map of a Journey from its sources.
func Build(spec *cxv1alpha1.JourneySpec, src Sources) Map {
	m := Map{Level: spec.ConfidenceLevelOrDefault()}
	index := map[cxv1alpha1.Stage]int{}
	for _, name := range spec.StagesOrDefault() {
		index[name] = len(m.Stages)
		m.Stages = append(m.Stages, Stage{Name: name, Satisfaction: math.NaN(), Margin: math.NaN()})
	}
	surveysAt := map[string][]*cxv1alpha1.Survey{}
	for i := range src.Surveys {
		s := &src.Surveys[i]
		surveysAt[s.Spec.TouchpointRef.Name] = append(surveysAt[s.Spec.TouchpointRef.Name], s)
	}
	for i := range src.Touchpoints {
		tp := &src.Touchpoints[i]
		si, ok := index[tp.Spec.Stage]
		if !ok {
			m.Outside++
			continue
		}
		st := &m.Stages[si]
		m.Touchpoints++
		st.Touchpoints++
		measured := HasValue(tp)
		for _, svy := range surveysAt[tp.Name] {
			st.Surveys = append(st.Surveys, surveyOf(svy))
			if svy.Status.Responses > 0 {
				measured = true
			}
		}
		if measured {
			st.Measured++
		} else {
			m.Unmeasured = append(m.Unmeasured, tp.Name)
		}
	}
	sort.Strings(m.Unmeasured)
	for i := range m.Stages {
		m.Stages[i].score(m.Level)
	}
	m.Consistency = compare(m.Stages)
	return m
}

// HasValue reports whether a Touchpoint has at least one metric with a
// value.
func HasValue(tp *cxv1alpha1.Touchpoint) bool {
	for _, mv := range tp.Status.Metrics {
		if mv.Value != "" {
			return true
		}
	}
	return false
}

// surveyOf reads one Survey's status and puts its score on the 0..100
// scale. Only a Survey with enough responses (DataSufficient) and a score
// counts, as only such a Survey counts in a Scorecard.
func surveyOf(svy *cxv1alpha1.Survey) Survey {
	st := &svy.Status
	out := Survey{Name: svy.Name, Type: svy.Spec.Type, Responses: st.Responses, Satisfaction: math.NaN(), StdErr: math.NaN()}
	sufficient := meta.FindStatusCondition(st.Conditions, cxv1alpha1.ConditionDataSufficient)
	score, err := strconv.ParseFloat(st.Score, 64)
	switch {
	case st.ObservedGeneration == 0 || sufficient == nil:
		out.why = svy.Name + " has not been evaluated yet"
		return out
	case sufficient.Status != metav1.ConditionTrue:
		out.why = svy.Name + ": " + sufficient.Message
		return out
	case err != nil:
		out.why = svy.Name + " has no score"
		return out
	}
	kind := stats.Kind(svy.Spec.Type)
	sc := svy.Spec.ScaleOrDefault()
	scale := stats.Scale{Min: int(sc.Min), Max: int(sc.Max)}
	margin := math.NaN()
	if v, err := strconv.ParseFloat(st.MarginOfError, 64); err == nil {
		margin = v
	}
	se := stats.MarginStandardError(margin, kind, st.Responses, svy.Spec.ConfidenceLevelOrDefault())
	out.Counted = true
	out.Satisfaction = stats.NormalizedScore(score, kind, scale)
	out.StdErr = stats.NormalizedMargin(se, kind, scale)
	return out
}

// score computes the stage's satisfaction from its counted Surveys, or
// says why there is none.
func (s *Stage) score(level float64) {
	sort.Slice(s.Surveys, func(i, j int) bool { return s.Surveys[i].Name < s.Surveys[j].Name })
	var parts []stats.WeightedScore
	var why []string
	for _, svy := range s.Surveys {
		if !svy.Counted {
			why = append(why, svy.why)
			continue
		}
		parts = append(parts, stats.WeightedScore{Score: svy.Satisfaction, StdErr: svy.StdErr, N: svy.Responses})
		s.Responses += svy.Responses
	}
	switch {
	case s.Touchpoints == 0:
		s.Reason = "no Touchpoint on the map at this stage"
	case len(s.Surveys) == 0:
		s.Reason = "no Survey is asked at this stage's Touchpoints"
	case len(parts) == 0:
		s.Reason = "no Survey of this stage has enough responses: " + strings.Join(why, "; ")
	}
	if len(parts) > 0 {
		s.Satisfaction, s.Margin = stats.CombineScores(parts, level)
	}
}

// compare finds the spread of the scored stages and the weakest and
// strongest stage. The lowest stage is called the weakest only when its
// interval does not overlap the best stage's (and then the best is called
// the strongest): otherwise the data cannot tell them apart, and saying
// which is weakest would claim more than it knows.
func compare(stages []Stage) Consistency {
	var scored []*Stage
	var values []float64
	for i := range stages {
		if !math.IsNaN(stages[i].Satisfaction) {
			scored = append(scored, &stages[i])
			values = append(values, stages[i].Satisfaction)
		}
	}
	c := Consistency{Scored: len(scored), Spread: stats.Spread(values), StdDev: stats.PopulationStdDev(values)}
	switch len(scored) {
	case 0:
		c.Summary = "no stage has a satisfaction yet: no Survey with enough responses on the map"
		return c
	case 1:
		c.Summary = fmt.Sprintf("only %s has a satisfaction (%s): no other stage to compare it with", scored[0].Name, scored[0].text())
		return c
	}
	low, high := scored[0], scored[0]
	for _, s := range scored[1:] {
		if s.Satisfaction < low.Satisfaction {
			low = s
		}
		if s.Satisfaction > high.Satisfaction {
			high = s
		}
	}
	if stats.IntervalsOverlap(low.Satisfaction, low.Margin, high.Satisfaction, high.Margin) {
		c.Summary = fmt.Sprintf("no clear weakest stage: %s (%s), the lowest, overlaps %s (%s), the highest",
			low.Name, low.text(), high.Name, high.text())
		return c
	}
	c.Weakest, c.Strongest = low.Name, high.Name
	c.Summary = fmt.Sprintf("%s is the weakest stage (%s) and %s the strongest (%s)", low.Name, low.text(), high.Name, high.text())
	return c
}

// text renders a stage's satisfaction with its margin, "61.5 ± 4.2" (or
// "61.5 ± ?" when the margin is undefined).
func (s *Stage) text() string {
	m := stats.Format(s.Margin, decimals)
	if m == "" {
		m = "?"
	}
	return stats.Format(s.Satisfaction, decimals) + " ± " + m
}

// MeasuredStages counts the stages with at least one measured Touchpoint.
func (m Map) MeasuredStages() int {
	n := 0
	for _, s := range m.Stages {
		if s.Measured > 0 {
			n++
		}
	}
	return n
}

// CoverageRatio is MeasuredStages over the declared stages, 0..1.
func (m Map) CoverageRatio() float64 {
	if len(m.Stages) == 0 {
		return math.NaN()
	}
	return float64(m.MeasuredStages()) / float64(len(m.Stages))
}

// ApplyTo writes the map into a Journey's status, as rounded display
// strings (an undefined number is left empty), with the Scorecard's
// verdict when spec.scorecardRef is set.
func (m Map) ApplyTo(spec *cxv1alpha1.JourneySpec, src Sources, st *cxv1alpha1.JourneyStatus) {
	st.Coverage = fmt.Sprintf("%d/%d", m.MeasuredStages(), len(m.Stages))
	st.Touchpoints = int32(m.Touchpoints)
	st.Stages = make([]cxv1alpha1.JourneyStageStatus, 0, len(m.Stages))
	st.UnmeasuredStages = nil
	for _, s := range m.Stages {
		out := cxv1alpha1.JourneyStageStatus{
			Name: s.Name, Touchpoints: int32(s.Touchpoints), MeasuredTouchpoints: int32(s.Measured),
			Responses: s.Responses, Reason: s.Reason,
			Satisfaction: stats.Format(s.Satisfaction, decimals), MarginOfError: stats.Format(s.Margin, decimals),
		}
		for i, svy := range s.Surveys {
			if i == MaxStageSurveys {
				break
			}
			out.Surveys = append(out.Surveys, cxv1alpha1.JourneySurveyStatus{
				Name: svy.Name, Type: svy.Type, Responses: svy.Responses, Satisfaction: stats.Format(svy.Satisfaction, decimals),
			})
		}
		st.Stages = append(st.Stages, out)
		if s.Measured == 0 {
			st.UnmeasuredStages = append(st.UnmeasuredStages, s.Name)
		}
	}
	st.UnmeasuredTouchpoints = nil
	if len(m.Unmeasured) > 0 {
		st.UnmeasuredTouchpoints = append([]string(nil), m.Unmeasured[:min(len(m.Unmeasured), MaxUnmeasuredTouchpoints)]...)
	}
	c := m.Consistency
	st.Consistency = &cxv1alpha1.JourneyConsistency{
		ScoredStages: int32(c.Scored), Spread: stats.Format(c.Spread, decimals), StandardDeviation: stats.Format(c.StdDev, decimals),
		Weakest: c.Weakest, Strongest: c.Strongest, Summary: c.Summary,
	}
	st.Scorecard = nil
	if spec.ScorecardRef != nil {
		st.Scorecard = &cxv1alpha1.JourneyScorecard{Name: spec.ScorecardRef.Name}
		if src.Scorecard != nil {
			st.Scorecard.Score, st.Scorecard.Result = src.Scorecard.Status.Score, src.Scorecard.Status.Result
		}
	}
}
