package journey

import (
	"errors"
	"math"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
)

func tp(name string, stage cxv1alpha1.Stage, values ...string) cxv1alpha1.Touchpoint {
	t := cxv1alpha1.Touchpoint{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: cxv1alpha1.TouchpointSpec{Stage: stage}}
	for i, v := range values {
		t.Status.Metrics = append(t.Status.Metrics, cxv1alpha1.MetricStatus{Name: "m" + string(rune('a'+i)), Value: v})
	}
	return t
}

// svy is a Survey at a touchpoint whose status says score ± margin from n
// responses, with enough data when sufficient.
func svy(name, touchpoint string, typ cxv1alpha1.SurveyType, score, margin string, n int64, sufficient bool) cxv1alpha1.Survey {
	s := cxv1alpha1.Survey{ObjectMeta: metav1.ObjectMeta{Name: name, Generation: 1},
		Spec: cxv1alpha1.SurveySpec{TouchpointRef: cxv1alpha1.LocalObjectReference{Name: touchpoint}, Type: typ}}
	s.Status = cxv1alpha1.SurveyStatus{ObservedGeneration: 1, Responses: n, Score: score, MarginOfError: margin}
	c := metav1.Condition{Type: cxv1alpha1.ConditionDataSufficient, Status: metav1.ConditionTrue, Reason: cxv1alpha1.ReasonSufficientData}
	if !sufficient {
		c.Status, c.Reason = metav1.ConditionFalse, cxv1alpha1.ReasonInsufficientData
		c.Message = "5 of the 30 responses needed in the last 30 days"
	}
	s.Status.Conditions = []metav1.Condition{c}
	return s
}

// shop is a map over most situations a stage can be in.
func shop() Sources {
	rating := svy("delivery-rating", "delivery", cxv1alpha1.SurveyRating, "4.2", "0.2", 50, true)
	rating.Spec.Scale = &cxv1alpha1.Scale{Min: 1, Max: 5}
	return Sources{
		Touchpoints: []cxv1alpha1.Touchpoint{
			tp("landing", cxv1alpha1.StageAwareness, "0.41"), // measured by a metric
			tp("helpdesk", cxv1alpha1.StageSupport, ""),      // measured by its surveys only
			tp("referrals", cxv1alpha1.StageAdvocacy),
			tp("delivery", cxv1alpha1.StageOnboarding),
			tp("invoices", cxv1alpha1.StageBilling, ""), // nothing at all
			tp("renewal", cxv1alpha1.StageRenewal),      // a survey with too few responses
		},
		Surveys: []cxv1alpha1.Survey{
			svy("support-nps", "helpdesk", cxv1alpha1.SurveyNPS, "40", "10", 300, true),
			svy("support-csat", "helpdesk", cxv1alpha1.SurveyCSAT, "80", "5", 100, true),
			svy("relationship-nps", "referrals", cxv1alpha1.SurveyNPS, "70", "8", 200, true),
			rating,
			svy("renewal-csat", "renewal", cxv1alpha1.SurveyCSAT, "60", "40", 5, false),
			svy("elsewhere", "not-on-the-map", cxv1alpha1.SurveyCSAT, "10", "1", 500, true),
		},
	}
}

// TestBuildMapsTheShop checks coverage, each stage's satisfaction and the
// consistency against values worked by hand (level 0.95, z = 1.959964).
func TestBuildMapsTheShop(t *testing.T) {
	spec := &cxv1alpha1.JourneySpec{}
	src := shop()
	m := Build(spec, src)

	// Measured: Awareness (a value), Support and Advocacy and Onboarding
	// (surveys), Renewal (a survey with responses, though too few to
	// score); not Billing (a Touchpoint without data) nor the four stages
	// without a Touchpoint.
	if got := m.MeasuredStages(); got != 5 {
		t.Errorf("measured stages %d, want 5", got)
	}
	if m.Touchpoints != 6 || len(m.Unmeasured) != 1 || m.Unmeasured[0] != "invoices" {
		t.Errorf("touchpoints %d, unmeasured %v; want 6 and [invoices]", m.Touchpoints, m.Unmeasured)
	}
	byName := map[cxv1alpha1.Stage]Stage{}
	for i, s := range m.Stages {
		if s.Name != cxv1alpha1.LifecycleStages()[i] {
			t.Fatalf("stage %d is %s, want lifecycle order", i, s.Name)
		}
		byName[s.Name] = s
	}

	// Support: NPS 40 ± 10 (n 300) → 70 ± 5; CSAT 80 ± 5 (n 100) → 80 ± 5.
	// w = 0.75, 0.25: 52.5 + 20 = 72.5; margin √((0.75·5)² + (0.25·5)²) =
	// √(14.0625 + 1.5625) = √15.625 = 3.952847.
	checkStage(t, byName[cxv1alpha1.StageSupport], 72.5, 3.952847, 400)
	// Advocacy: NPS 70 ± 8 → 85 ± 4.
	checkStage(t, byName[cxv1alpha1.StageAdvocacy], 85, 4, 200)
	// Onboarding: Rating 4.2 on 1..5 → 3.2/4·100 = 80; its margin 0.2 is a
	// t margin from 50 responses: SE = 0.2/t₄₉ = 0.2/2.009575 = 0.0995235,
	// on the 0..100 scale ·25 = 2.488088, margin 1.959964·2.488088 = 4.876563.
	checkStage(t, byName[cxv1alpha1.StageOnboarding], 80, 4.876563, 50)

	renewal := byName[cxv1alpha1.StageRenewal]
	if renewal.Measured != 1 || !math.IsNaN(renewal.Satisfaction) || !strings.Contains(renewal.Reason, "renewal-csat: 5 of the 30 responses") {
		t.Errorf("renewal: measured %d, satisfaction %v, reason %q", renewal.Measured, renewal.Satisfaction, renewal.Reason)
	}
	if r := byName[cxv1alpha1.StageBilling].Reason; r != "no Survey is asked at this stage's Touchpoints" {
		t.Errorf("billing reason %q", r)
	}
	if r := byName[cxv1alpha1.StageOffboarding].Reason; r != "no Touchpoint on the map at this stage" {
		t.Errorf("offboarding reason %q", r)
	}

	// Consistency over 80 (Onboarding), 72.5 (Support), 85 (Advocacy):
	// spread 12.5; mean 79.1667, deviations 0.8333, −6.6667, 5.8333,
	// √((0.6944 + 44.4444 + 34.0278)/3) = √26.3889 = 5.137012.
	// Support (72.5 ± 3.95) and Advocacy (85 ± 4) are 12.5 apart, more
	// than 7.95: Support is clearly the weakest.
	c := m.Consistency
	if c.Scored != 3 || math.Abs(c.Spread-12.5) > 1e-9 || math.Abs(c.StdDev-5.137012) > 1e-6 {
		t.Errorf("consistency %+v", c)
	}
	if c.Weakest != cxv1alpha1.StageSupport || c.Strongest != cxv1alpha1.StageAdvocacy {
		t.Errorf("weakest %q, strongest %q; want Support and Advocacy", c.Weakest, c.Strongest)
	}
	if c.Summary != "Support is the weakest stage (72.5 ± 4) and Advocacy the strongest (85 ± 4)" {
		t.Errorf("summary %q", c.Summary)
	}

	var st cxv1alpha1.JourneyStatus
	m.ApplyTo(spec, src, &st)
	if st.Coverage != "5/10" || st.Touchpoints != 6 || len(st.Stages) != 10 || st.Consistency.Spread != "12.5" ||
		st.Consistency.StandardDeviation != "5.1" || st.Consistency.Weakest != cxv1alpha1.StageSupport {
		t.Errorf("status %+v %+v", st, st.Consistency)
	}
	support := st.Stages[5]
	if support.Name != cxv1alpha1.StageSupport || support.Satisfaction != "72.5" || support.MarginOfError != "4" ||
		support.Responses != 400 || len(support.Surveys) != 2 || support.Surveys[0].Name != "support-csat" ||
		support.Surveys[0].Satisfaction != "80" || support.Surveys[1].Satisfaction != "70" {
		t.Errorf("support %+v", support)
	}
	if got := st.UnmeasuredStages; len(got) != 5 || got[0] != cxv1alpha1.StageConsideration || got[4] != cxv1alpha1.StageOffboarding {
		t.Errorf("unmeasured stages %v", got)
	}
	if st.Stages[7].Surveys[0].Satisfaction != "" {
		t.Errorf("a survey with too few responses shows satisfaction %q", st.Stages[7].Surveys[0].Satisfaction)
	}

	conds := Conditions(spec, m, src)
	if conds[0].Status != metav1.ConditionTrue || conds[0].Reason != cxv1alpha1.ReasonMapped ||
		conds[0].Message != "5 of 10 stages measured; 6 Touchpoints on the map, 1 without a measurement" {
		t.Errorf("ready %+v", conds[0])
	}
	if conds[1].Status != metav1.ConditionFalse || conds[1].Reason != cxv1alpha1.ReasonStagesUnmeasured ||
		!strings.Contains(conds[1].Message, "5 of 10 declared stages have no measured Touchpoint: Consideration (no Touchpoint), Acquisition (no Touchpoint), Adoption (no Touchpoint), Billing (1 Touchpoint, none measured), Offboarding (no Touchpoint)") {
		t.Errorf("stages measured %+v", conds[1])
	}
}

func checkStage(t *testing.T, s Stage, satisfaction, margin float64, n int64) {
	t.Helper()
	if math.Abs(s.Satisfaction-satisfaction) > 1e-9 || math.Abs(s.Margin-margin) > 1e-5 || s.Responses != n || s.Reason != "" {
		t.Errorf("%s: %v ± %v (n %d, reason %q), want %v ± %v (n %d)", s.Name, s.Satisfaction, s.Margin, s.Responses, s.Reason,
			satisfaction, margin, n)
	}
}

// When the lowest stage's interval overlaps the best stage's, no stage is
// called the weakest.
func TestNoClearWeakestStage(t *testing.T) {
	src := shop()
	// Advocacy: NPS 50 ± 30 → 75 ± 15, which overlaps Support's 72.5 ± 3.95.
	src.Surveys[2].Status.Score, src.Surveys[2].Status.MarginOfError = "50", "30"
	m := Build(&cxv1alpha1.JourneySpec{}, src)
	c := m.Consistency
	if c.Weakest != "" || c.Strongest != "" {
		t.Errorf("weakest %q, strongest %q; want none", c.Weakest, c.Strongest)
	}
	// Onboarding (80) is now the highest.
	if want := "no clear weakest stage: Support (72.5 ± 4), the lowest, overlaps Onboarding (80 ± 4.9), the highest"; c.Summary != want {
		t.Errorf("summary %q, want %q", c.Summary, want)
	}

	// One scored stage: nothing to compare.
	src = shop()
	src.Surveys = src.Surveys[2:3]
	c = Build(&cxv1alpha1.JourneySpec{}, src).Consistency
	if c.Scored != 1 || !math.IsNaN(c.Spread) || c.Summary != "only Advocacy has a satisfaction (85 ± 4): no other stage to compare it with" {
		t.Errorf("one stage: %+v", c)
	}
	// A stage with an undefined margin cannot be told apart.
	src = shop()
	src.Surveys[2].Status.MarginOfError = ""
	if c := Build(&cxv1alpha1.JourneySpec{}, src).Consistency; c.Weakest != "" || !strings.Contains(c.Summary, "Advocacy (85 ± ?)") {
		t.Errorf("undefined margin: %+v", c)
	}
}

// Declared stages are laid out in lifecycle order whatever the spec's
// order; Touchpoints of other stages are left out and counted.
func TestDeclaredStages(t *testing.T) {
	level := resource.MustParse("0.9")
	spec := &cxv1alpha1.JourneySpec{Stages: []cxv1alpha1.Stage{cxv1alpha1.StageAdvocacy, cxv1alpha1.StageSupport}, ConfidenceLevel: &level}
	m := Build(spec, shop())
	if len(m.Stages) != 2 || m.Stages[0].Name != cxv1alpha1.StageSupport || m.Stages[1].Name != cxv1alpha1.StageAdvocacy {
		t.Fatalf("stages %+v", m.Stages)
	}
	if m.Touchpoints != 2 || m.Outside != 4 || m.MeasuredStages() != 2 {
		t.Errorf("touchpoints %d, outside %d, measured %d", m.Touchpoints, m.Outside, m.MeasuredStages())
	}
	// At 0.90 (z = 1.644854) Advocacy's margin is 1.644854 · 4/1.959964 =
	// 3.356899 (the survey's 0.95 margin, converted).
	if got := m.Stages[1].Margin; math.Abs(got-3.356899) > 1e-5 {
		t.Errorf("margin at 0.90: %v, want 3.356899", got)
	}
	conds := Conditions(spec, m, shop())
	if conds[1].Status != metav1.ConditionTrue || conds[1].Message != "all 2 declared stages have a measured Touchpoint" {
		t.Errorf("stages measured %+v", conds[1])
	}
	if !strings.HasSuffix(conds[0].Message, "; 4 Touchpoints selected in stages spec.stages leaves out") {
		t.Errorf("ready %+v", conds[0])
	}
}

// Ready says why a map cannot be trusted, in order of precedence.
func TestReadyReasons(t *testing.T) {
	withRef := &cxv1alpha1.JourneySpec{ScorecardRef: &cxv1alpha1.LocalObjectReference{Name: "customer-journey"}}
	selecting := &cxv1alpha1.JourneySpec{TouchpointSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"journey": "customer"}}}
	onlyBilling := &cxv1alpha1.JourneySpec{Stages: []cxv1alpha1.Stage{cxv1alpha1.StageBilling}}
	for _, tc := range []struct {
		name    string
		spec    *cxv1alpha1.JourneySpec
		src     Sources
		reason  string
		message string
	}{
		{"empty namespace", &cxv1alpha1.JourneySpec{}, Sources{}, cxv1alpha1.ReasonNoTouchpoints,
			"the namespace has no Touchpoint (spec.touchpointSelector selects every Touchpoint of the namespace)"},
		{"selector matches nothing", selecting, Sources{}, cxv1alpha1.ReasonNoTouchpoints,
			"spec.touchpointSelector matches no Touchpoint in the namespace: journey=customer"},
		{"only other stages", onlyBilling, Sources{Touchpoints: []cxv1alpha1.Touchpoint{tp("a", cxv1alpha1.StageSupport)}},
			cxv1alpha1.ReasonNoTouchpoints, "spec.touchpointSelector selects 1 Touchpoint, all in stages spec.stages leaves out"},
		{"bad selector", selecting, Sources{SelectorError: errors.New(`"a b" is not a valid label value`)}, cxv1alpha1.ReasonInvalidSpec,
			`spec.touchpointSelector: "a b" is not a valid label value`},
		{"missing scorecard", withRef, Sources{Touchpoints: shop().Touchpoints, ScorecardMissing: true}, cxv1alpha1.ReasonScorecardNotFound,
			`scorecard "customer-journey" named in spec.scorecardRef does not exist`},
	} {
		m := Build(tc.spec, tc.src)
		c := Conditions(tc.spec, m, tc.src)[0]
		if c.Status != metav1.ConditionFalse || c.Reason != tc.reason || c.Message != tc.message {
			t.Errorf("%s: %s %s %q, want False %s %q", tc.name, c.Status, c.Reason, c.Message, tc.reason, tc.message)
		}
	}

	// The card's verdict is copied.
	src := shop()
	src.Scorecard = &cxv1alpha1.Scorecard{Status: cxv1alpha1.ScorecardStatus{Score: "64.29", Result: cxv1alpha1.ResultFail}}
	var st cxv1alpha1.JourneyStatus
	Build(withRef, src).ApplyTo(withRef, src, &st)
	if st.Scorecard == nil || *st.Scorecard != (cxv1alpha1.JourneyScorecard{Name: "customer-journey", Score: "64.29", Result: cxv1alpha1.ResultFail}) {
		t.Errorf("scorecard %+v", st.Scorecard)
	}
}

// The lists of status stay bounded.
func TestStatusListsAreBounded(t *testing.T) {
	var src Sources
	for i := range 70 {
		name := "tp-" + string(rune('a'+i/26)) + string(rune('a'+i%26))
		src.Touchpoints = append(src.Touchpoints, tp(name, cxv1alpha1.StageSupport))
		if i < 30 {
			src.Surveys = append(src.Surveys, svy("svy-"+name, name, cxv1alpha1.SurveyCSAT, "", "", 0, false))
		}
	}
	var st cxv1alpha1.JourneyStatus
	spec := &cxv1alpha1.JourneySpec{}
	m := Build(spec, src)
	m.ApplyTo(spec, src, &st)
	if len(m.Unmeasured) != 70 || len(st.UnmeasuredTouchpoints) != MaxUnmeasuredTouchpoints || st.UnmeasuredTouchpoints[0] != "tp-aa" {
		t.Errorf("unmeasured: %d in the map, %d in status", len(m.Unmeasured), len(st.UnmeasuredTouchpoints))
	}
	if n := len(st.Stages[5].Surveys); n != MaxStageSurveys {
		t.Errorf("support lists %d surveys, want %d", n, MaxStageSurveys)
	}
}
