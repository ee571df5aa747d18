package controllers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/controllers"
	"github.com/touchstone-dev/touchstone/internal/receive"
)

// receiverURL is the base URL of the suite manager's receiver.
var receiverURL string

// testReceiverOptions serves the receiver on a free local port and lets a
// Survey's status follow its tallies within testSurveyStatusInterval.
func testReceiverOptions(o controllers.ReceiverOptions) controllers.ReceiverOptions {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	receiverURL = "http://" + ln.Addr().String()
	o.Listener = ln
	o.StatusInterval = testSurveyStatusInterval
	// Nothing routes to the test receiver through endpoints: it stops at
	// once (the failover tests in internal/receive test the delay).
	o.ShutdownDelay = 0
	return o
}

// post sends a body to a Survey's receiver path with a bearer token and
// returns the status code and the decoded JSON answer.
func post(t *testing.T, ns, survey, token, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, receiverURL+receive.PathOf(ns, survey), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("answer is not JSON (%d): %s", resp.StatusCode, data)
	}
	return resp.StatusCode, out
}

// batch renders responses with the given scores as {"responses": [...]},
// with ids prefix-0, prefix-1...
func batch(prefix string, scores []int) string {
	var b strings.Builder
	b.WriteString(`{"responses":[`)
	for i, s := range scores {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"%s-%d","score":%d}`, prefix, i, s)
	}
	b.WriteString(`]}`)
	return b.String()
}

// repeat returns score s n times.
func repeat(s, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func concat(parts ...[]int) []int {
	var out []int
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// readySurvey creates a Touchpoint, a receiver Secret and a Survey, and
// waits until the Survey has been reconciled.
func readySurvey(t *testing.T, g Gomega, ns string, svy *cxv1alpha1.Survey) {
	t.Helper()
	ctx := context.Background()
	g.Expect(k8s.Create(ctx, newTouchpoint(ns, svy.Spec.TouchpointRef.Name))).To(Succeed())
	g.Expect(k8s.Create(ctx, newReceiverSecret(ns, "token-"+ns))).To(Succeed())
	g.Expect(k8s.Create(ctx, svy)).To(Succeed())
	eventually(g, readyReason(ctx, svy)).Should(Equal(cxv1alpha1.ReasonInsufficientData))
}

// surveyStatus waits until a Survey's status counts n responses and
// returns it.
func surveyStatus(g Gomega, svy *cxv1alpha1.Survey, n int64) cxv1alpha1.SurveyStatus {
	ctx := context.Background()
	eventually(g, func() int64 {
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(svy), svy)).To(Succeed())
		return svy.Status.Responses
	}).Should(Equal(n))
	return svy.Status
}

// TestNPSSurveyScoresPostedResponses posts 40 NPS responses through the
// real receiver and checks the status against hand-computed values.
func TestNPSSurveyScoresPostedResponses(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	svy := newSurvey(ns, "nps", "renewal", cxv1alpha1.SurveyNPS)
	readySurvey(t, g, ns, svy)

	// 20 promoters (10 tens, 10 nines), 10 passives (5 sevens, 5 eights),
	// 10 detractors (0..6 and 3 more sixes).
	scores := concat(repeat(10, 10), repeat(9, 10), repeat(7, 5), repeat(8, 5), []int{0, 1, 2, 3, 4, 5, 6, 6, 6, 6})
	code, out := post(t, ns, "nps", "token-"+ns, batch("r", scores))
	g.Expect(code).To(Equal(http.StatusOK), "%v", out)
	g.Expect(out).To(Equal(map[string]any{"accepted": 40.0, "duplicates": 0.0}))

	st := surveyStatus(g, svy, 40)
	// p = 20/40 = 0.5, d = 10/40 = 0.25, NPS = (0.5 - 0.25) * 100 = 25 (the raw score).
	// Adjusted Wald: n' = 43, p' = 20.75/43 = 0.4825581, d' = 10.75/43 = 0.25,
	// centre 23.255814; variance p' + d' - (p' - d')^2 = 0.7325581 - 0.0540833 = 0.6784749;
	// SE' = sqrt(0.6784749 / 43) * 100 = 12.561244; MOE = 1.959964 * 12.561244 = 24.619586;
	// interval = 23.255814 ± 24.619586 = [-1.363772, 47.875400]
	g.Expect(st.Score).To(Equal("25"))
	g.Expect(st.MarginOfError).To(Equal("24.6"))
	g.Expect(st.ConfidenceInterval).To(Equal(&cxv1alpha1.Interval{Lower: "-1.4", Upper: "47.9"}))
	g.Expect(st.NPS).To(Equal(&cxv1alpha1.NPSBreakdown{
		Promoters: 20, Passives: 10, Detractors: 10,
		PromoterPercent: "50", PassivePercent: "25", DetractorPercent: "25",
	}))
	// 40 >= minResponses 30: the data is sufficient and the Survey Ready.
	eventually(g, readyReason(context.Background(), svy)).Should(Equal(cxv1alpha1.ReasonReconciled))
	g.Expect(condition(svy.Status.Conditions, cxv1alpha1.ConditionDataSufficient).Status).To(Equal(metav1.ConditionTrue))
	g.Expect(svy.Status.LastResponseTime).NotTo(BeNil())
	g.Expect(svy.Status.Previous).To(Equal(&cxv1alpha1.WindowScore{Responses: 0}))
	g.Expect(svy.Status.Trend).To(BeNil(), "no previous window, no trend")

	// The gauges say the same.
	g.Expect(gauge("cx_survey_score", map[string]string{"namespace": ns, "survey": "nps"})).To(Equal(25.0))
	g.Expect(gauge("cx_survey_responses", map[string]string{"namespace": ns, "survey": "nps"})).To(Equal(40.0))
	g.Expect(gauge("cx_survey_margin_of_error", map[string]string{"namespace": ns, "survey": "nps"})).To(BeNumerically("~", 24.619586, 0.001))
	g.Expect(gauge("cx_survey_nps_ratio", map[string]string{"namespace": ns, "survey": "nps", "category": "promoter"})).To(Equal(0.5))
	g.Expect(gauge("cx_receiver_responses_total", map[string]string{"namespace": ns, "survey": "nps", "result": "accepted"})).To(Equal(40.0))
	// One open tally holds them.
	for state, n := range map[string]float64{"open": 1, "sealed": 0, "compacted": 0} {
		g.Expect(gauge("cx_survey_tallies", map[string]string{"namespace": ns, "survey": "nps", "state": state})).To(Equal(n), state)
	}

	// A retry of the same batch is acknowledged as duplicates and counts
	// nothing twice.
	code, out = post(t, ns, "nps", "token-"+ns, batch("r", scores))
	g.Expect(code).To(Equal(http.StatusOK))
	g.Expect(out).To(Equal(map[string]any{"accepted": 0.0, "duplicates": 40.0}))
	g.Consistently(func() int64 {
		g.Expect(k8s.Get(context.Background(), client.ObjectKeyFromObject(svy), svy)).To(Succeed())
		return svy.Status.Responses
	}).WithTimeout(500 * time.Millisecond).Should(Equal(int64(40)))

	// Deleting the Survey removes its series.
	g.Expect(k8s.Delete(context.Background(), svy)).To(Succeed())
	eventually(g, func() bool {
		_, ok := seriesValue("cx_survey_score", map[string]string{"namespace": ns, "survey": "nps"})
		return ok
	}).Should(BeFalse())
}

// TestCSATSurveyScoresPostedResponses checks the Wilson interval.
func TestCSATSurveyScoresPostedResponses(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	svy := newSurvey(ns, "csat", "helpdesk", cxv1alpha1.SurveyCSAT)
	readySurvey(t, g, ns, svy)

	// 1..5 scale, satisfied at 4 or above (default top-2-box).
	scores := concat(repeat(1, 5), repeat(2, 5), repeat(3, 10), repeat(4, 15), repeat(5, 15))
	code, out := post(t, ns, "csat", "token-"+ns, batch("c", scores))
	g.Expect(code).To(Equal(http.StatusOK), "%v", out)

	st := surveyStatus(g, svy, 50)
	// satisfied = 30/50 = 60%.
	// Wilson, z = 1.959964, z^2 = 3.841459, n = 50:
	//   centre = (0.6 + z^2/100) / (1 + z^2/50) = 0.6384146 / 1.0768292 = 0.592866
	//   half   = z * sqrt(0.24/50 + z^2/10000) / 1.0768292 = 1.959964 * 0.0720010 / 1.0768292 = 0.131050
	//   interval = [0.461816, 0.723916] -> [46.2, 72.4], MOE = 13.1
	// mean = (5*1 + 5*2 + 10*3 + 15*4 + 15*5) / 50 = 180 / 50 = 3.6
	g.Expect(st.Score).To(Equal("60"))
	g.Expect(st.ThresholdPercent).To(Equal("60"))
	g.Expect(st.MarginOfError).To(Equal("13.1"))
	g.Expect(st.ConfidenceInterval).To(Equal(&cxv1alpha1.Interval{Lower: "46.2", Upper: "72.4"}))
	g.Expect(st.Mean).To(Equal("3.6"))
	g.Expect(st.NPS).To(BeNil())
}

// TestCESSurveyBelowMinimumIsShownButNotReady checks the t interval and
// the InsufficientData gate.
func TestCESSurveyBelowMinimumIsShownButNotReady(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	svy := newSurvey(ns, "ces", "checkout", cxv1alpha1.SurveyCES)
	readySurvey(t, g, ns, svy)

	code, out := post(t, ns, "ces", "token-"+ns, batch("e", []int{3, 5, 5, 6, 7}))
	g.Expect(code).To(Equal(http.StatusOK), "%v", out)

	st := surveyStatus(g, svy, 5)
	// mean = 26 / 5 = 5.2; deviations -2.2, -0.2, -0.2, 0.8, 1.8
	// s^2 = (4.84 + 0.04 + 0.04 + 0.64 + 3.24) / 4 = 8.8 / 4 = 2.2
	// SE = sqrt(2.2 / 5) = 0.663325; t(0.975, 4) = 2.776445
	// MOE = 2.776445 * 0.663325 = 1.841678; interval [3.358, 7.042]
	// easy (>= 5 on 1..7) = 4 / 5 = 80%
	g.Expect(st.Score).To(Equal("5.2"))
	g.Expect(st.MarginOfError).To(Equal("1.84"))
	g.Expect(st.ConfidenceInterval).To(Equal(&cxv1alpha1.Interval{Lower: "3.36", Upper: "7.04"}))
	g.Expect(st.ThresholdPercent).To(Equal("80"))
	// 5 < 30 responses: shown, but Ready=False InsufficientData.
	ready := condition(st.Conditions, cxv1alpha1.ConditionReady)
	g.Expect(ready.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(ready.Reason).To(Equal(cxv1alpha1.ReasonInsufficientData))
	g.Expect(ready.Message).To(ContainSubstring("5 of the 30 responses"))
	g.Expect(condition(st.Conditions, cxv1alpha1.ConditionDataSufficient).Reason).To(Equal(cxv1alpha1.ReasonInsufficientData))
}

// TestSurveySegmentsAreCapped posts three plan values to a segment kept
// to two: the least answered folds into "other".
func TestSurveySegmentsAreCapped(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	svy := newSurvey(ns, "nps", "renewal", cxv1alpha1.SurveyNPS)
	svy.Spec.Segments = []cxv1alpha1.SurveySegment{{Name: "plan", MaxValues: 2}}
	// The cap alone: every value may be shown whatever its size.
	svy.Spec.MinSegmentResponses = 1
	readySurvey(t, g, ns, svy)

	// 6 responses: pro gets 10,10,9 (3), team gets 6,0 (2), free gets 8 (1).
	body := `{"responses":[
		{"id":"1","score":10,"segments":{"plan":"pro"}},
		{"id":"2","score":10,"segments":{"plan":"pro"}},
		{"id":"3","score":9,"segments":{"plan":"pro"}},
		{"id":"4","score":6,"segments":{"plan":"team"}},
		{"id":"5","score":0,"segments":{"plan":"team"}},
		{"id":"6","score":8,"segments":{"plan":"free"}}]}`
	code, out := post(t, ns, "nps", "token-"+ns, body)
	g.Expect(code).To(Equal(http.StatusOK), "%v", out)
	st := surveyStatus(g, svy, 6)
	// pro: 3 promoters of 3 = NPS 100; team: 2 detractors = -100;
	// free: 1 passive = 0, folded into other (fewest responses).
	g.Expect(st.Segments).To(HaveLen(1))
	vals := map[string]cxv1alpha1.SegmentValueStatus{}
	for _, v := range st.Segments[0].Values {
		vals[v.Value] = v
	}
	g.Expect(vals).To(HaveLen(3))
	g.Expect(vals["pro"].Score).To(Equal("100"))
	g.Expect(vals["pro"].Responses).To(Equal(int64(3)))
	// Three promoters are not a certain 100: n' = 6, p' = 3.75/6 = 0.625,
	// d' = 0.75/6 = 0.125, centre 50, variance 0.75 - 0.25 = 0.5,
	// SE' = sqrt(0.5/6) * 100 = 28.867513, 50 - 1.959964 * 28.867513 =
	// -6.579282, the upper end clamped to 100: MOE (100 + 6.579282)/2 = 53.3.
	g.Expect(vals["pro"].MarginOfError).To(Equal("53.3"))
	g.Expect(vals["team"].Score).To(Equal("-100"))
	g.Expect(vals["other"].Responses).To(Equal(int64(1)))
	g.Expect(vals["other"].Score).To(Equal("0"))
	g.Expect(gauge("cx_survey_segment_score", map[string]string{"namespace": ns, "survey": "nps", "segment": "plan", "value": "team"})).To(Equal(-100.0))
}

// TestReceiverRejectsBadInput sends every kind of bad request through the
// real receiver: each gets its status code and a JSON error naming the
// field, and nothing is counted.
func TestReceiverRejectsBadInput(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	svy := newSurvey(ns, "nps", "renewal", cxv1alpha1.SurveyNPS)
	svy.Spec.Segments = []cxv1alpha1.SurveySegment{{Name: "plan"}}
	readySurvey(t, g, ns, svy)
	token := "token-" + ns

	// A second Survey with its own token.
	other := newSurvey(ns, "csat", "renewal", cxv1alpha1.SurveyCSAT)
	other.Spec.Receiver.BearerTokenSecretRef = &cxv1alpha1.SecretKeyRef{Name: "other", Key: "token"}
	g.Expect(k8s.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "other"},
		Data: map[string][]byte{"token": []byte("other-token")}})).To(Succeed())
	g.Expect(k8s.Create(ctx, other)).To(Succeed())
	// A Survey whose Secret does not exist cannot authenticate anyone.
	orphan := newSurvey(ns, "orphan", "renewal", cxv1alpha1.SurveyCSAT)
	orphan.Spec.Receiver.BearerTokenSecretRef = &cxv1alpha1.SecretKeyRef{Name: "missing", Key: "token"}
	g.Expect(k8s.Create(ctx, orphan)).To(Succeed())
	eventually(g, readyReason(ctx, orphan)).Should(Equal(cxv1alpha1.ReasonSecretNotFound))
	eventually(g, readyReason(ctx, other)).ShouldNot(BeEmpty())

	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	old := time.Now().Add(-100 * 24 * time.Hour).UTC().Format(time.RFC3339)
	cases := []struct {
		name, survey, token, body string
		code                      int
		reason, field             string
	}{
		{"malformed JSON", "nps", token, `{"id":"1","score":}`, 400, receive.ReasonMalformedJSON, ""},
		{"unknown field", "nps", token, `{"id":"1","score":9,"comment":"great"}`, 400, receive.ReasonUnknownField, "comment"},
		{"key twice", "nps", token, `{"id":"1","score":9,"score":0}`, 400, receive.ReasonDuplicateKey, "score"},
		{"key twice in a batch", "nps", token, `{"responses":[{"id":"1","score":9},{"id":"2","score":1,"score":10}]}`, 400, receive.ReasonDuplicateKey, "responses[1].score"},
		{"escaped key twice", "nps", token, `{"id":"1","score":9,"\u0073core":0}`, 400, receive.ReasonDuplicateKey, "score"},
		{"score outside the scale", "nps", token, `{"id":"1","score":11}`, 400, receive.ReasonInvalidScore, "score"},
		{"score not an integer", "nps", token, `{"id":"1","score":7.5}`, 400, receive.ReasonInvalidScore, "score"},
		{"score as a string", "nps", token, `{"id":"1","score":"9"}`, 400, receive.ReasonInvalidScore, "score"},
		{"missing id", "nps", token, `{"score":9}`, 400, receive.ReasonInvalidField, "id"},
		{"bad score in a batch", "nps", token, `{"responses":[{"id":"1","score":9},{"id":"2","score":-1}]}`, 400, receive.ReasonInvalidScore, "responses[1].score"},
		{"unknown segment", "nps", token, `{"id":"1","score":9,"segments":{"email":"x"}}`, 400, receive.ReasonUnknownSegment, "segments.email"},
		{"segment value too long", "nps", token, `{"id":"1","score":9,"segments":{"plan":"` + strings.Repeat("a", 64) + `"}}`, 400, receive.ReasonInvalidSegmentValue, "segments.plan"},
		{"segment value free text", "nps", token, `{"id":"1","score":9,"segments":{"plan":"I love it!"}}`, 400, receive.ReasonInvalidSegmentValue, "segments.plan"},
		{"submittedAt in the future", "nps", token, `{"id":"1","score":9,"submittedAt":"` + future + `"}`, 400, receive.ReasonInvalidTimestamp, "submittedAt"},
		{"submittedAt past retention", "nps", token, `{"id":"1","score":9,"submittedAt":"` + old + `"}`, 400, receive.ReasonInvalidTimestamp, "submittedAt"},
		{"submittedAt not RFC 3339", "nps", token, `{"id":"1","score":9,"submittedAt":"yesterday"}`, 400, receive.ReasonInvalidTimestamp, "submittedAt"},
		{"duplicate ids in a batch", "nps", token, `{"responses":[{"id":"1","score":9},{"id":"1","score":3}]}`, 400, receive.ReasonDuplicateID, "responses[1].id"},
		{"too many responses", "nps", token, batch("big", repeat(9, 1001)), 400, receive.ReasonTooManyResponses, "responses"},
		{"empty batch", "nps", token, `{"responses":[]}`, 400, receive.ReasonInvalidBody, "responses"},
		{"body over the size limit", "nps", token, `{"responses":[` + strings.Repeat(`{"id":"x","score":9},`, 60000) + `{"id":"y","score":9}]}`, 413, receive.ReasonBodyTooLarge, ""},
		{"no credentials", "nps", "", `{"id":"1","score":9}`, 401, receive.ReasonUnauthorized, ""},
		{"wrong token", "nps", "guess", `{"id":"1","score":9}`, 401, receive.ReasonUnauthorized, ""},
		{"another survey's token", "csat", token, `{"id":"1","score":4}`, 401, receive.ReasonUnauthorized, ""},
		{"unknown survey", "nope", token, `{"id":"1","score":9}`, 404, receive.ReasonSurveyNotFound, ""},
		{"survey without its secret", "orphan", token, `{"id":"1","score":4}`, 409, receive.ReasonSurveyNotReady, "spec.receiver.bearerTokenSecretRef"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			code, out := post(t, ns, tc.survey, tc.token, tc.body)
			g.Expect(code).To(Equal(tc.code), "%v", out)
			e, _ := out["error"].(map[string]any)
			g.Expect(e).NotTo(BeNil(), "answer has no error object: %v", out)
			g.Expect(e["reason"]).To(Equal(tc.reason), "%v", e)
			if tc.field != "" {
				g.Expect(e["field"]).To(Equal(tc.field), "%v", e)
			}
			g.Expect(e["message"]).NotTo(BeEmpty())
		})
	}

	// Wrong content type.
	req, _ := http.NewRequest(http.MethodPost, receiverURL+receive.PathOf(ns, "nps"), strings.NewReader(`{"id":"1","score":9}`))
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	g.Expect(err).NotTo(HaveOccurred())
	resp.Body.Close()
	g.Expect(resp.StatusCode).To(Equal(http.StatusUnsupportedMediaType))

	// Nothing of all that was counted: no tally exists.
	var tallies cxv1alpha1.ResponseTallyList
	g.Expect(k8s.List(ctx, &tallies, client.InNamespace(ns))).To(Succeed())
	g.Expect(tallies.Items).To(BeEmpty())

	// A valid request after all that is counted once.
	code, out := post(t, ns, "nps", token, `{"id":"ok","score":9,"segments":{"plan":"pro"}}`)
	g.Expect(code).To(Equal(http.StatusOK), "%v", out)
	surveyStatus(g, svy, 1)
	g.Expect(gauge("cx_receiver_responses_total", map[string]string{"namespace": ns, "survey": "nps", "result": "rejected"})).
		To(BeNumerically(">=", 20))
}

// TestReceiverAcceptsHMACSignatures signs a body with the Survey's HMAC
// key; a stale timestamp or a changed body is refused.
func TestReceiverAcceptsHMACSignatures(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	svy := newSurvey(ns, "rating", "delivery", cxv1alpha1.SurveyRating)
	svy.Spec.Scale = &cxv1alpha1.Scale{Min: 1, Max: 5}
	svy.Spec.Receiver = cxv1alpha1.SurveyReceiver{HMACSecretRef: &cxv1alpha1.SecretKeyRef{Name: "hmac", Key: "key"}}
	g.Expect(k8s.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "hmac"},
		Data: map[string][]byte{"key": []byte("shared-key")}})).To(Succeed())
	g.Expect(k8s.Create(ctx, newTouchpoint(ns, "delivery"))).To(Succeed())
	g.Expect(k8s.Create(ctx, svy)).To(Succeed())
	eventually(g, readyReason(ctx, svy)).Should(Equal(cxv1alpha1.ReasonInsufficientData))

	send := func(body string, ts time.Time, key, signedBody string) int {
		stamp := strconv.FormatInt(ts.Unix(), 10)
		sig := fmt.Sprintf("sha256=%x", receive.Sign([]byte(key), stamp, []byte(signedBody)))
		req, _ := http.NewRequest(http.MethodPost, receiverURL+receive.PathOf(ns, "rating"), bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(receive.HeaderTimestamp, stamp)
		req.Header.Set(receive.HeaderSignature, sig)
		resp, err := http.DefaultClient.Do(req)
		g.Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		return resp.StatusCode
	}
	body := `{"id":"h1","score":4}`
	g.Expect(send(body, time.Now(), "shared-key", body)).To(Equal(http.StatusOK))
	g.Expect(send(body, time.Now(), "wrong-key", body)).To(Equal(http.StatusUnauthorized))
	g.Expect(send(`{"id":"h2","score":5}`, time.Now(), "shared-key", body)).To(Equal(http.StatusUnauthorized))
	g.Expect(send(`{"id":"h3","score":5}`, time.Now().Add(-time.Hour), "shared-key", `{"id":"h3","score":5}`)).To(Equal(http.StatusUnauthorized))
	// Bearer tokens are not accepted by a Survey configured for HMAC only.
	code, _ := post(t, ns, "rating", "shared-key", `{"id":"h4","score":5}`)
	g.Expect(code).To(Equal(http.StatusUnauthorized))
	surveyStatus(g, svy, 1)
}

// TestSurveyTalliesPastRetentionAreTrimmed plants a tally older than the
// retention and checks that the controller deletes it, and that tallies of
// the previous window give a trend.
func TestSurveyTalliesPastRetentionAreTrimmed(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	svy := newSurvey(ns, "csat", "helpdesk", cxv1alpha1.SurveyCSAT)
	svy.Spec.Window = &metav1.Duration{Duration: 7 * 24 * time.Hour}
	svy.Spec.Retention = &metav1.Duration{Duration: 14 * 24 * time.Hour}
	readySurvey(t, g, ns, svy)

	tally := func(name string, daysAgo int, counts string, n int64) *cxv1alpha1.ResponseTally {
		day := time.Now().UTC().AddDate(0, 0, -daysAgo).Format(time.DateOnly)
		return &cxv1alpha1.ResponseTally{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{
				cxv1alpha1.LabelSurveyUID: string(svy.UID), cxv1alpha1.LabelDay: day, cxv1alpha1.LabelLane: "0"}},
			Survey: svy.Name, SurveyUID: string(svy.UID), Day: day, ScaleMin: 1, ScaleMax: 5,
			Counts: counts, Responses: n, LastReceived: new(metav1.Now()),
		}
	}
	// Previous window (8 days ago): 40 of 100 satisfied; current (today):
	// 80 of 100. The change, +40 points, is significant: z = 40 /
	// sqrt(0.4*0.6/100 + 0.8*0.2/100)*100 = 40 / 6.32 = 6.3 > 1.96.
	// The tally of 20 days ago is past the 14-day retention.
	expired := tally("expired", 20, "5:7", 7)
	g.Expect(k8s.Create(ctx, tally("previous", 8, "1:60 5:40", 100))).To(Succeed())
	g.Expect(k8s.Create(ctx, tally("current", 0, "2:20 4:80", 100))).To(Succeed())
	g.Expect(k8s.Create(ctx, expired)).To(Succeed())

	st := surveyStatus(g, svy, 100)
	g.Expect(st.Score).To(Equal("80"))
	g.Expect(st.Previous).To(Equal(&cxv1alpha1.WindowScore{Responses: 100, Score: "40"}))
	g.Expect(st.Trend).To(Equal(&cxv1alpha1.Trend{Change: "40", Direction: cxv1alpha1.TrendUp, Significant: true}))
	eventually(g, func() bool {
		err := k8s.Get(ctx, client.ObjectKeyFromObject(expired), expired)
		return err != nil && client.IgnoreNotFound(err) == nil
	}).Should(BeTrue())
}

// gauge is seriesValue for a series that must exist.
func gauge(name string, labels map[string]string) float64 {
	v, ok := seriesValue(name, labels)
	if !ok {
		return -1e308
	}
	return v
}

// TestSurveyMappingErrors checks that a mapping that cannot work is
// reported at reconcile, naming the expression (a syntax error, a type
// error, a cost over the limit), and answered 409 by the receiver; and that
// a valid mapping that cannot read a delivery answers 400 naming the
// mapping field and counts nothing of it.
func TestSurveyMappingErrors(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	token := "token-" + ns
	g.Expect(k8s.Create(ctx, newTouchpoint(ns, "onboarding"))).To(Succeed())
	g.Expect(k8s.Create(ctx, newReceiverSecret(ns, token))).To(Succeed())
	mapped := func(name string, m cxv1alpha1.ReceiverMapping) *cxv1alpha1.Survey {
		svy := newSurvey(ns, name, "onboarding", cxv1alpha1.SurveyNPS)
		svy.Spec.Segments = []cxv1alpha1.SurveySegment{{Name: "plan"}}
		svy.Spec.Receiver.Format = cxv1alpha1.FormatGeneric
		svy.Spec.Receiver.Mapping = &m
		g.Expect(k8s.Create(ctx, svy)).To(Succeed())
		return svy
	}
	readyMessage := func(svy *cxv1alpha1.Survey) func() string {
		return func() string {
			if readyReason(ctx, svy)() != cxv1alpha1.ReasonInvalidMapping {
				return ""
			}
			return condition(svy.Status.Conditions, cxv1alpha1.ConditionReady).Message
		}
	}
	for _, tc := range []struct {
		name    string
		mapping cxv1alpha1.ReceiverMapping
		want    []string
	}{
		{"syntax", cxv1alpha1.ReceiverMapping{ID: "body.id", Score: "body.score +"},
			[]string{"spec.receiver.mapping.score: ", "Syntax error"}},
		{"undeclared", cxv1alpha1.ReceiverMapping{ID: "body.id", Score: "bdy.score"},
			[]string{"spec.receiver.mapping.score: ", "undeclared reference to 'bdy'"}},
		{"item without responses", cxv1alpha1.ReceiverMapping{ID: "body.id", Score: "item.score"},
			[]string{"spec.receiver.mapping.score: ", "mapping.responses, which is not set"}},
		{"type", cxv1alpha1.ReceiverMapping{ID: "body.id", Score: "'nine'"},
			[]string{"spec.receiver.mapping.score: must evaluate to a number, not string"}},
		{"when type", cxv1alpha1.ReceiverMapping{ID: "body.id", Score: "body.score", When: "1 + 1"},
			[]string{"spec.receiver.mapping.when: must evaluate to a bool, not int"}},
		{"cost", cxv1alpha1.ReceiverMapping{ID: "body.id", Score: "size(body.items.filter(a, body.items.exists(b, b == a && a != b)))"},
			[]string{"spec.receiver.mapping.score: its estimated cost", "is over the limit of 1000000"}},
		{"segment", cxv1alpha1.ReceiverMapping{ID: "body.id", Score: "body.score", Segments: map[string]string{"plan": "[body.plan]"}},
			[]string{"spec.receiver.mapping.segments.plan: must evaluate to a string, an integer or a bool, not list(dyn)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			svy := mapped("bad-"+strings.ReplaceAll(tc.name, " ", "-"), tc.mapping)
			eventually(g, readyMessage(svy)).Should(ContainSubstring(tc.want[0]))
			for _, w := range tc.want[1:] {
				g.Expect(readyMessage(svy)()).To(ContainSubstring(w))
			}
			code, out := post(t, ns, svy.Name, token, `{"id":"1","score":9}`)
			g.Expect(code).To(Equal(http.StatusConflict), "%v", out)
		})
	}

	// A valid mapping, and deliveries it cannot read.
	svy := mapped("valid", cxv1alpha1.ReceiverMapping{ID: "body.id", Score: "body.data.nps",
		Segments: map[string]string{"plan": "body.?plan.orValue('')"}})
	eventually(g, readyReason(ctx, svy)).Should(Equal(cxv1alpha1.ReasonInsufficientData))
	for _, tc := range []struct {
		name, body    string
		reason, field string
		message       string
	}{
		{"missing field", `{"id":"1","data":{"csat":4}}`, receive.ReasonInvalidMapping, "mapping.score", "body.data.nps is missing"},
		{"missing object", `{"id":"1"}`, receive.ReasonInvalidMapping, "mapping.score", "body.data is missing"},
		{"outside the scale", `{"id":"1","data":{"nps":11}}`, receive.ReasonInvalidScore, "mapping.score", "11 is outside the scale 0..10"},
		{"not an integer", `{"id":"1","data":{"nps":7.5}}`, receive.ReasonInvalidScore, "mapping.score", "7.5 is not an integer"},
		{"a string", `{"id":"1","data":{"nps":"9"}}`, receive.ReasonInvalidScore, "mapping.score", "must be a number, not string"},
		{"free text segment", `{"id":"1","data":{"nps":9},"plan":"I love it!"}`, receive.ReasonInvalidSegmentValue, "mapping.segments.plan", "must be a category"},
		{"id of an object", `{"id":{"a":1},"data":{"nps":9}}`, receive.ReasonInvalidMapping, "mapping.id", "must be a string or an integer"},
		{"key twice", `{"id":"1","data":{"nps":9,"nps":0}}`, receive.ReasonDuplicateKey, "data.nps", "appears twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			code, out := post(t, ns, "valid", token, tc.body)
			g.Expect(code).To(Equal(http.StatusBadRequest), "%v", out)
			e, _ := out["error"].(map[string]any)
			g.Expect(e).To(HaveKeyWithValue("reason", tc.reason))
			g.Expect(e).To(HaveKeyWithValue("field", tc.field))
			g.Expect(e["message"]).To(ContainSubstring(tc.message))
		})
	}
	// Form-encoded and multipart senders are out of scope: 415, whatever
	// the body says.
	for _, ct := range []string{"application/x-www-form-urlencoded", "multipart/form-data; boundary=x"} {
		req, _ := http.NewRequest(http.MethodPost, receiverURL+receive.PathOf(ns, "valid"), strings.NewReader(`id=1&data[nps]=9`))
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		g.Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		g.Expect(resp.StatusCode).To(Equal(http.StatusUnsupportedMediaType), ct)
	}
	// Nothing of those was counted; a good delivery is, once.
	code, out := post(t, ns, "valid", token, `{"id":"ok","data":{"nps":10},"plan":"pro","email":"someone@example.com"}`)
	g.Expect(code).To(Equal(http.StatusOK), "%v", out)
	g.Expect(out).To(Equal(map[string]any{"accepted": 1.0, "duplicates": 0.0, "ignored": 0.0}))
	surveyStatus(g, svy, 1)

	// A delivery carrying a list: one response per item, the rest of the
	// delivery ignored; the same id twice in one delivery counts nothing.
	list := mapped("list", cxv1alpha1.ReceiverMapping{When: "body.kind == 'batch'", Responses: "body.items.filter(i, i.done)",
		ID: "item.ref", Score: "item.nps", SubmittedAt: "item.at"})
	eventually(g, readyReason(ctx, list)).Should(Equal(cxv1alpha1.ReasonInsufficientData))
	now := time.Now().Unix()
	code, out = post(t, ns, "list", token, fmt.Sprintf(`{"kind":"batch","items":[{"ref":1,"nps":9,"done":true,"at":%d},{"ref":2,"nps":3,"done":false,"at":%d},{"ref":3,"nps":0,"done":true,"at":%d}]}`, now, now, now))
	g.Expect(code).To(Equal(http.StatusOK), "%v", out)
	g.Expect(out).To(Equal(map[string]any{"accepted": 2.0, "duplicates": 0.0, "ignored": 0.0}))
	code, out = post(t, ns, "list", token, `{"kind":"ping"}`)
	g.Expect(code).To(Equal(http.StatusOK), "%v", out)
	g.Expect(out).To(Equal(map[string]any{"accepted": 0.0, "duplicates": 0.0, "ignored": 1.0}))
	code, out = post(t, ns, "list", token, fmt.Sprintf(`{"kind":"batch","items":[{"ref":"7","nps":9,"done":true,"at":%d},{"ref":7,"nps":9,"done":true,"at":%d}]}`, now, now))
	g.Expect(code).To(Equal(http.StatusBadRequest), "%v", out)
	g.Expect(out["error"]).To(HaveKeyWithValue("reason", receive.ReasonDuplicateID))
	st := surveyStatus(g, list, 2)
	// 9 is a promoter, 0 a detractor: NPS 0.
	g.Expect(st.Score).To(Equal("0"))
	g.Expect(gauge("cx_receiver_responses_total", map[string]string{"namespace": ns, "survey": "list", "result": "ignored"})).To(Equal(1.0))
}
