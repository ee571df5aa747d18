package controllers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
)

// planBatch renders responses as {"responses": [...]}: for each plan, the
// given scores, each response carrying that plan (none for plan "").
func planBatch(prefix string, byValue map[string][]int) string {
	var parts []string
	i := 0
	for value, scores := range byValue {
		for _, sc := range scores {
			seg := ""
			if value != "" {
				seg = fmt.Sprintf(`,"segments":{"plan":%q}`, value)
			}
			parts = append(parts, fmt.Sprintf(`{"id":"%s-%d","score":%d%s}`, prefix, i, sc, seg))
			i++
		}
	}
	return `{"responses":[` + strings.Join(parts, ",") + `]}`
}

func shares(pairs ...string) []cxv1alpha1.ExpectedShare {
	var out []cxv1alpha1.ExpectedShare
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, cxv1alpha1.ExpectedShare{Value: pairs[i], Share: resource.MustParse(pairs[i+1])})
	}
	return out
}

func valuesOf(seg cxv1alpha1.SegmentStatus) map[string]cxv1alpha1.SegmentValueStatus {
	out := map[string]cxv1alpha1.SegmentValueStatus{}
	for _, v := range seg.Values {
		out[v.Value] = v
	}
	return out
}

// TestSurveyReportsRepresentationAndWeightsTheScore posts a sample skewed
// towards pro through the real receiver: 80 pro responses with NPS 10 and
// 20 free ones with NPS 60, while the customer base is half and half.
func TestSurveyReportsRepresentationAndWeightsTheScore(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	svy := newSurvey(ns, "nps", "renewal", cxv1alpha1.SurveyNPS)
	svy.Spec.Segments = []cxv1alpha1.SurveySegment{{Name: "plan", Expected: shares("pro", "0.5", "free", "0.5")}}
	svy.Spec.Weighting = &cxv1alpha1.SurveyWeighting{Method: cxv1alpha1.WeightingPostStratified, Segments: []string{"plan"}}
	readySurvey(t, g, ns, svy)

	// pro: 32 promoters, 24 passives, 24 detractors (NPS 10);
	// free: 14 promoters, 4 passives, 2 detractors (NPS 60).
	body := planBatch("w", map[string][]int{
		"pro":  concat(repeat(9, 32), repeat(7, 24), repeat(0, 24)),
		"free": concat(repeat(10, 14), repeat(8, 4), repeat(6, 2)),
	})
	code, out := post(t, ns, "nps", "token-"+ns, body)
	g.Expect(code).To(Equal(http.StatusOK), "%v", out)
	st := surveyStatus(g, svy, 100)

	// Weighted: 0.5·10 + 0.5·60 = 35; adjusted Wald per stratum (pro p′
	// 32.75/83, d′ 24.75/83; free p′ 14.75/23, d′ 2.75/23): centre 30.91,
	// SE 8.585, interval [14.08, 47.73], margin 16.83.
	// Unweighted: (46 − 26)/100 = 20; p′ 46.75/103, d′ 26.75/103: centre
	// 19.42, SE 8.10, [3.54, 35.29], margin 15.88.
	// Kish: 1/(0.25/80 + 0.25/20) = 64.
	g.Expect(st.Score).To(Equal("35"))
	g.Expect(st.MarginOfError).To(Equal("16.8"))
	g.Expect(st.ConfidenceInterval).To(Equal(&cxv1alpha1.Interval{Lower: "14.1", Upper: "47.7"}))
	g.Expect(st.Weighting).NotTo(BeNil())
	g.Expect(st.Weighting.EffectiveResponses).To(Equal("64"))
	g.Expect(st.Weighting.Unweighted).To(Equal(&cxv1alpha1.UnweightedScore{Score: "20", MarginOfError: "15.9",
		ConfidenceInterval: &cxv1alpha1.Interval{Lower: "3.5", Upper: "35.3"}}))
	g.Expect(st.NPS.Promoters).To(Equal(int64(46)), "the breakdown is the responses as received")

	// Representation: pro is 80% of the responses and 50% of the base;
	// χ² = 30²/50 + 30²/50 = 36, p = erfc(√18) = 1.97e-9.
	g.Expect(st.Segments).To(HaveLen(1))
	g.Expect(st.Segments[0].Representation).To(Equal(&cxv1alpha1.SegmentRepresentation{
		Result: cxv1alpha1.RepresentationUnrepresentative, ChiSquare: "36", DegreesOfFreedom: 1, PValue: "2e-09",
		Message: "plan: responses over-represent pro (80% vs 50%), p < 0.001"}))
	vals := valuesOf(st.Segments[0])
	// Per value, adjusted Wald half widths: pro 1.959964·9.0745 = 17.79,
	// free 1.959964·14.576 = 28.57.
	g.Expect(vals["pro"]).To(Equal(cxv1alpha1.SegmentValueStatus{Value: "pro", Responses: 80, Score: "10", MarginOfError: "17.8",
		Share: "0.8", ExpectedShare: "0.5", Ratio: "1.6"}))
	g.Expect(vals["free"]).To(Equal(cxv1alpha1.SegmentValueStatus{Value: "free", Responses: 20, Score: "60", MarginOfError: "28.6",
		Share: "0.2", ExpectedShare: "0.5", Ratio: "0.4"}))
	ready := condition(st.Conditions, cxv1alpha1.ConditionReady)
	g.Expect(ready.Reason).To(Equal(cxv1alpha1.ReasonReconciled))

	// The series say the same: the weighted score under cx_survey_score.
	l := map[string]string{"namespace": ns, "survey": "nps"}
	g.Expect(gauge("cx_survey_score", l)).To(Equal(35.0))
	g.Expect(gauge("cx_survey_margin_of_error", l)).To(BeNumerically("~", 16.8262, 0.0001))
	g.Expect(gauge("cx_survey_unweighted_score", l)).To(BeNumerically("~", 20, 1e-9))
	g.Expect(gauge("cx_survey_effective_responses", l)).To(BeNumerically("~", 64, 1e-9))
	g.Expect(gauge("cx_survey_segment_representation_ratio", with(with(l, "segment", "plan"), "value", "pro"))).To(BeNumerically("~", 1.6, 1e-12))
	g.Expect(gauge("cx_survey_segment_representation_ratio", with(with(l, "segment", "plan"), "value", "free"))).To(BeNumerically("~", 0.4, 1e-12))
	g.Expect(gauge("cx_survey_segment_representation_p_value", with(l, "segment", "plan"))).To(BeNumerically("~", 1.9731753e-9, 1e-15))
}

// labelValuesOf returns every label value of every series of a namespace
// in the registry the operator's /metrics serves.
func labelValuesOf(ns string) map[string]bool {
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		panic(err)
	}
	out := map[string]bool{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			inNS := false
			for _, l := range m.GetLabel() {
				inNS = inNS || (l.GetName() == "namespace" && l.GetValue() == ns)
			}
			if !inNS {
				continue
			}
			for _, l := range m.GetLabel() {
				out[l.GetValue()] = true
			}
		}
	}
	return out
}

// TestSmallSegmentValuesArePublishedNowhere posts a plan value answered 3
// times with minSegmentResponses 5: it appears in no status field and no
// series label, until it reaches 5.
func TestSmallSegmentValuesArePublishedNowhere(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	svy := newSurvey(ns, "nps", "renewal", cxv1alpha1.SurveyNPS)
	svy.Spec.Segments = []cxv1alpha1.SurveySegment{{Name: "plan"}}
	svy.Spec.MinSegmentResponses = 5
	readySurvey(t, g, ns, svy)

	// pro 10 promoters, free 8 passives, team 3 promoters, enterprise 2
	// detractors: team and enterprise fold into other (5: NPS (3−2)/5 = 20).
	// Margins, half the adjusted Wald intervals (n′ = n + 3, ¾ added to
	// promoters and detractors):
	//   free  p′ = d′ = 0.75/11, centre 0, SE √(0.136364/11)·100 = 11.134,
	//         ±21.82;
	//   pro   p′ 10.75/13, d′ 0.75/13: centre 76.92, SE 15.010, upper end
	//         clamped at 100: [47.50, 100], half width 26.25;
	//   other p′ 3.75/8, d′ 2.75/8: centre 12.5, SE 31.561, [−49.36, 74.36],
	//         ±61.86.
	code, out := post(t, ns, "nps", "token-"+ns, planBatch("s", map[string][]int{
		"pro": repeat(9, 10), "free": repeat(7, 8), "team": repeat(10, 3), "enterprise": repeat(0, 2),
	}))
	g.Expect(code).To(Equal(http.StatusOK), "%v", out)
	st := surveyStatus(g, svy, 23)
	g.Expect(st.Segments).To(HaveLen(1))
	g.Expect(st.Segments[0].Values).To(Equal([]cxv1alpha1.SegmentValueStatus{
		{Value: "free", Responses: 8, Score: "0", MarginOfError: "21.8"},
		{Value: "pro", Responses: 10, Score: "100", MarginOfError: "26.2"},
		{Value: "other", Responses: 5, Score: "20", MarginOfError: "61.9"},
	}))
	data, err := json.Marshal(svy)
	g.Expect(err).NotTo(HaveOccurred())
	// Every series of the namespace, scraped from the registry.
	eventually(g, func() bool { return labelValuesOf(ns)["other"] }).Should(BeTrue())
	labels := labelValuesOf(ns)
	for _, hidden := range []string{"team", "enterprise"} {
		g.Expect(string(data)).NotTo(ContainSubstring(hidden), "the Survey object names %s", hidden)
		g.Expect(labels).NotTo(HaveKey(hidden), "a series is labelled %s", hidden)
	}
	g.Expect(labels).To(HaveKey("pro"))

	// Two more team responses and three more enterprise ones reach the
	// floor: both are shown on their own. (Team alone at 5 would fold again,
	// so that enterprise's 2 could not be read as the total minus the rest.)
	code, out = post(t, ns, "nps", "token-"+ns, planBatch("more", map[string][]int{"team": repeat(10, 2), "enterprise": repeat(0, 3)}))
	g.Expect(code).To(Equal(http.StatusOK), "%v", out)
	st = surveyStatus(g, svy, 28)
	vals := valuesOf(st.Segments[0])
	g.Expect(vals).To(HaveKey("team"))
	g.Expect(vals).To(HaveKey("enterprise"))
	g.Expect(vals).NotTo(HaveKey("other"))
	eventually(g, func() bool { return labelValuesOf(ns)["team"] && labelValuesOf(ns)["enterprise"] }).Should(BeTrue())
}

// TestSurveyReadsExpectedSharesFromATouchpoint reads the customer base
// from a CRM Touchpoint whose collectors count customers per plan, and
// follows it when the counts change.
func TestSurveyReadsExpectedSharesFromATouchpoint(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	deleteTouchpointsAtEnd(t, ns)
	crm := newJSONSource(t, map[string]float64{"pro": 250, "free": 750})

	svy := newSurvey(ns, "nps", "renewal", cxv1alpha1.SurveyNPS)
	svy.Spec.Segments = []cxv1alpha1.SurveySegment{{Name: "plan", ExpectedFrom: &cxv1alpha1.ExpectedSharesSource{
		TouchpointRef: cxv1alpha1.LocalObjectReference{Name: "crm"}, MetricPrefix: "customers_"}}}
	svy.Spec.Weighting = &cxv1alpha1.SurveyWeighting{Method: cxv1alpha1.WeightingPostStratified, Segments: []string{"plan"}}
	svy.Spec.MinResponses = 10
	g.Expect(k8s.Create(ctx, newTouchpoint(ns, "renewal"))).To(Succeed())
	g.Expect(k8s.Create(ctx, newReceiverSecret(ns, "token-"+ns))).To(Succeed())
	g.Expect(k8s.Create(ctx, svy)).To(Succeed())

	// The CRM Touchpoint does not exist yet: Ready says which field names it.
	eventually(g, readyReason(ctx, svy)).Should(Equal(cxv1alpha1.ReasonTouchpointNotFound))
	g.Expect(condition(svy.Status.Conditions, cxv1alpha1.ConditionReady).Message).To(ContainSubstring("spec.segments[0].expectedFrom.touchpointRef"))

	// 20 pro promoters and 20 free detractors.
	code, out := post(t, ns, "nps", "token-"+ns, planBatch("f", map[string][]int{"pro": repeat(10, 20), "free": repeat(0, 20)}))
	g.Expect(code).To(Equal(http.StatusOK), "%v", out)
	st := surveyStatus(g, svy, 40)
	g.Expect(st.Score).To(BeEmpty(), "no shares, no weighted score")
	g.Expect(st.Weighting.Unweighted.Score).To(Equal("0"))

	tp := newTouchpoint(ns, "crm")
	tp.Spec.Collectors = []cxv1alpha1.Collector{
		httpCollector("pro", "customers_pro", crm.URL, "pro", 10*time.Second),
		httpCollector("free", "customers_free", crm.URL, "free", 10*time.Second),
	}
	g.Expect(k8s.Create(ctx, tp)).To(Succeed())

	// 250 and 750 customers: shares 0.25 and 0.75; weighted NPS =
	// 0.25·100 + 0.75·(−100) = −50.
	eventually(g, func() string {
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(svy), svy)).To(Succeed())
		return svy.Status.Score
	}).Should(Equal("-50"))
	eventually(g, readyReason(ctx, svy)).Should(Equal(cxv1alpha1.ReasonReconciled))
	g.Expect(valuesOf(svy.Status.Segments[0])["pro"].ExpectedShare).To(Equal("0.25"))

	// The CRM now counts 750 pro customers: 0.75·100 + 0.25·(−100) = 50,
	// once the collector has run again (every 10s) and the Touchpoint's
	// status changed.
	crm.set("pro", 750)
	crm.set("free", 250)
	g.Eventually(func() string {
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(svy), svy)).To(Succeed())
		return svy.Status.Score
	}).WithTimeout(45 * time.Second).WithPolling(200 * time.Millisecond).Should(Equal("50"))
	g.Expect(valuesOf(svy.Status.Segments[0])["pro"].ExpectedShare).To(Equal("0.75"))
	g.Expect(svy.Status.Weighting.EffectiveResponses).To(Equal("32"))
}
