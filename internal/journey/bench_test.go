package journey

import (
	"fmt"
	"testing"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
)

// BenchmarkBuild maps 1,000 Touchpoints over the ten stages, half of them
// with a scored Survey, as the Journey controller does on each reconcile.
func BenchmarkBuild(b *testing.B) {
	var src Sources
	stages := cxv1alpha1.LifecycleStages()
	for i := range 1000 {
		name := fmt.Sprintf("tp-%04d", i)
		value := ""
		if i%3 == 0 {
			value = "1"
		}
		src.Touchpoints = append(src.Touchpoints, tp(name, stages[i%len(stages)], value))
		if i%2 == 0 {
			src.Surveys = append(src.Surveys, svy("svy-"+name, name, cxv1alpha1.SurveyNPS, "36.4", "15.5", 88, true))
		}
	}
	spec := &cxv1alpha1.JourneySpec{}
	b.ReportAllocs()
	for b.Loop() {
		var st cxv1alpha1.JourneyStatus
		m := Build(spec, src)
		m.ApplyTo(spec, src, &st)
		_ = Conditions(spec, m, src)
	}
}
