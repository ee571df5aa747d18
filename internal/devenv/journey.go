package devenv

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
)

// JourneyMap renders a Journey's status as the lifecycle map the demo
// shows: one line per stage, in lifecycle order, with its measured
// Touchpoints, its satisfaction and the Surveys behind it, and the gaps.
func JourneyMap(j *cxv1alpha1.Journey) string {
	var b strings.Builder
	st := j.Status
	fmt.Fprintf(&b, "journey %s: coverage %s", j.Name, orDash(st.Coverage))
	if c := st.Consistency; c != nil {
		if c.Spread != "" {
			fmt.Fprintf(&b, ", spread %s (sd %s)", c.Spread, c.StandardDeviation)
		}
		if c.Summary != "" {
			fmt.Fprintf(&b, "\n  %s", c.Summary)
		}
	}
	b.WriteString("\n")
	if sc := st.Scorecard; sc != nil {
		fmt.Fprintf(&b, "  scorecard %s: %s %s\n", sc.Name, orDash(sc.Score), sc.Result)
	}
	if c := meta.FindStatusCondition(st.Conditions, cxv1alpha1.ConditionReady); c != nil && c.Status != "True" {
		fmt.Fprintf(&b, "  not ready: %s: %s\n", c.Reason, c.Message)
	}
	var weakest, strongest cxv1alpha1.Stage
	if c := st.Consistency; c != nil {
		weakest, strongest = c.Weakest, c.Strongest
	}
	fmt.Fprintf(&b, "  %-14s %-9s %-14s %s\n", "STAGE", "MEASURED", "SATISFACTION", "SURVEYS")
	for _, s := range st.Stages {
		sat := "-"
		if s.Satisfaction != "" {
			sat = s.Satisfaction
			if s.MarginOfError != "" {
				sat += " ± " + s.MarginOfError
			}
		}
		var surveys []string
		for _, svy := range s.Surveys {
			surveys = append(surveys, fmt.Sprintf("%s (n=%d)", svy.Name, svy.Responses))
		}
		note := strings.Join(surveys, ", ")
		switch {
		case s.Touchpoints == 0:
			note = "<- no touchpoint"
		case s.MeasuredTouchpoints == 0:
			note = "<- not measured"
		case len(surveys) == 0:
			note = "(metrics only)"
		}
		mark := " "
		switch s.Name {
		case weakest:
			mark = "v"
		case strongest:
			mark = "^"
		}
		fmt.Fprintf(&b, "%s %-14s %-9s %-14s %s\n", mark, s.Name, fmt.Sprintf("%d/%d", s.MeasuredTouchpoints, s.Touchpoints), sat, note)
	}
	if len(st.UnmeasuredTouchpoints) > 0 {
		fmt.Fprintf(&b, "  touchpoints without any measurement: %s\n", strings.Join(st.UnmeasuredTouchpoints, ", "))
	}
	return b.String()
}

// Forecasts renders the Surveys' forecasts, one line each: the score now
// and the one projected one window ahead, or why there is none.
func Forecasts(svys []cxv1alpha1.Survey) string {
	var b strings.Builder
	for _, s := range svys {
		f := s.Status.Forecast
		switch {
		case f == nil:
			continue
		case f.Score == "":
			fmt.Fprintf(&b, "  %-18s now %-6s no forecast: %s\n", s.Name, orDash(s.Status.Score), f.Reason)
		default:
			slope := f.SlopePerDay
			if i := f.SlopeInterval; i != nil {
				slope += fmt.Sprintf(" (%s..%s)", i.Lower, i.Upper)
			}
			fmt.Fprintf(&b, "  %-18s now %-6s in %s: %s (%s..%s), %s a day, from %d days\n",
				s.Name, orDash(s.Status.Score), f.Horizon, f.Score, f.Lower, f.Upper, slope, f.BasedOnDays)
		}
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
