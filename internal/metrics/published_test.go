package metrics

import (
	"math"
	"testing"
)

// recorded reports whether p remembers series for the object key.
func recorded(p *published, key string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.byObject[key]
	return ok
}

// Deleting an object forgets it, so that the record of published series
// does not grow with every object ever seen; so does an update that leaves
// the object without series.
func TestDeleteForgetsTheObject(t *testing.T) {
	t.Parallel()
	const ns = "metrics-test-published-forget"
	nan := math.NaN()

	SetSurvey(SurveyLabels{Namespace: ns, Survey: "s", Touchpoint: "tp", Type: "NPS"},
		SurveyValues{Score: 1, Responses: 1, MinResponses: 1, MarginOfError: nan, PromoterRatio: nan, PassiveRatio: nan, DetractorRatio: nan})
	SetScorecard(ns, "sc", ScorecardValues{Score: 1, Result: "Pass"})
	SetTouchpointValues(ns, "tp", "Purchase", []TouchpointValue{{Metric: "m", Unit: "count", Value: 1}})
	for _, c := range []struct {
		name string
		p    *published
		key  string
	}{
		{"survey", &surveySeries, ns + "/s"},
		{"scorecard", &scorecardSeries, ns + "/sc"},
		{"touchpoint", &touchpointSeries, ns + "/tp"},
	} {
		if !recorded(c.p, c.key) {
			t.Errorf("%s %s not recorded after it was published", c.name, c.key)
		}
	}

	DeleteSurvey(ns, "s")
	DeleteScorecard(ns, "sc")
	SetTouchpointValues(ns, "tp", "Purchase", []TouchpointValue{{Metric: "m", Unit: "count", Value: nan}})
	if recorded(&touchpointSeries, ns+"/tp") {
		t.Errorf("touchpoint %s/tp still recorded after an update without values", ns)
	}
	SetTouchpointValues(ns, "tp", "Purchase", []TouchpointValue{{Metric: "m", Unit: "count", Value: 2}})
	DeleteTouchpoint(ns, "tp")
	for _, c := range []struct {
		name string
		p    *published
		key  string
	}{
		{"survey", &surveySeries, ns + "/s"},
		{"scorecard", &scorecardSeries, ns + "/sc"},
		{"touchpoint", &touchpointSeries, ns + "/tp"},
	} {
		if recorded(c.p, c.key) {
			t.Errorf("%s %s still recorded after its deletion", c.name, c.key)
		}
	}
}
