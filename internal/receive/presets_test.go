package receive_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"github.com/prometheus/common/expfmt"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/receive"
	"github.com/touchstone-dev/touchstone/internal/testenv"
)

// readmePresets returns the objects of every "<!-- preset NAME -->" YAML
// block of README.md: the tests apply the documentation itself, so that
// the presets users copy are the ones that work.
func readmePresets(t *testing.T) map[string][]*unstructured.Unstructured {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]*unstructured.Unstructured{}
	rest := string(readme)
	for {
		_, after, ok := strings.Cut(rest, "<!-- preset ")
		if !ok {
			return out
		}
		name, after, _ := strings.Cut(after, " -->")
		_, block, _ := strings.Cut(after, "```yaml\n")
		block, rest, _ = strings.Cut(block, "```")
		dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(block), 4096)
		for {
			u := &unstructured.Unstructured{}
			if err := dec.Decode(&u.Object); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("README preset %s: %v", name, err)
			}
			if len(u.Object) > 0 {
				out[name] = append(out[name], u)
			}
		}
	}
}

// fixture reads a webhook body of testdata/webhooks, dated now.
func fixture(t *testing.T, name string, now time.Time) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "webhooks", name))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(data), "__NOW_UNIX__", strconv.FormatInt(now.Unix(), 10))
	s = strings.ReplaceAll(s, "__NOW__", now.UTC().Format(time.RFC3339))
	return []byte(s)
}

func hmacSHA256(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// Signers, each written from the tool's documentation, independently of
// the receiver's code. secret is the Secret's value, at is the signing
// time, deliveryID stays the same across a tool's retries.
type signer func(secret string, body []byte, at time.Time, deliveryID string) http.Header

var (
	// https://www.standardwebhooks.com: v1,base64(HMAC(base64-decoded
	// secret, id.timestamp.body)).
	standardWebhooks signer = func(secret string, body []byte, at time.Time, id string) http.Header {
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
		if err != nil {
			panic(err)
		}
		ts := strconv.FormatInt(at.Unix(), 10)
		sig := base64.StdEncoding.EncodeToString(hmacSHA256(key, []byte(id+"."+ts+"."+string(body))))
		return http.Header{"Webhook-Id": {id}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {"v1," + sig}}
	}
	// https://www.typeform.com/developers/webhooks/secure-your-webhooks/
	typeform signer = func(secret string, body []byte, _ time.Time, _ string) http.Header {
		return http.Header{"Typeform-Signature": {"sha256=" + base64.StdEncoding.EncodeToString(hmacSHA256([]byte(secret), body))}}
	}
	// https://tally.so/help/webhooks: base64 HMAC-SHA256 of the body.
	tally signer = func(secret string, body []byte, _ time.Time, _ string) http.Header {
		return http.Header{"Tally-Signature": {base64.StdEncoding.EncodeToString(hmacSHA256([]byte(secret), body))}}
	}
	// https://developers.survicate.com/webhooks/security/: hex in Hmac.
	survicate signer = func(secret string, body []byte, _ time.Time, _ string) http.Header {
		return http.Header{"Hmac": {hex.EncodeToString(hmacSHA256([]byte(secret), body))}}
	}
	// https://app.delighted.com/docs/api/webhooks: X-Delighted-Webhook-Signature,
	// "sha256=" and the hex HMAC-SHA256 of the body keyed by the account's
	// private API key.
	delighted signer = func(secret string, body []byte, _ time.Time, _ string) http.Header {
		return http.Header{"X-Delighted-Webhook-Signature": {"sha256=" + hex.EncodeToString(hmacSHA256([]byte(secret), body))}}
	}
	// https://developer.zendesk.com/documentation/webhooks/verifying/:
	// base64(HMACSHA256(TIMESTAMP + BODY)), timestamp in RFC 3339.
	zendesk signer = func(secret string, body []byte, at time.Time, _ string) http.Header {
		ts := at.UTC().Format(time.RFC3339)
		return http.Header{
			"X-Zendesk-Webhook-Signature":           {base64.StdEncoding.EncodeToString(hmacSHA256([]byte(secret), []byte(ts+string(body))))},
			"X-Zendesk-Webhook-Signature-Timestamp": {ts},
		}
	}
)

// counted is what one Survey must have counted from a preset's delivery.
type counted struct {
	survey         string
	score          int
	segment, value string // empty segment: none mapped
	id             string
}

type presetCase struct {
	preset, fixture string
	sign            signer
	// timestamped formats also refuse an expired signature.
	timestamped bool
	expect      []counted
	// ignored is a variant of the delivery the preset's when skips.
	ignored func(body []byte) []byte
	// personal are the values of the fixture that identify a person or
	// are free text: none may be found anywhere after the run.
	personal []string
	// variant, when set, names a change edit makes to the preset's
	// objects before they are applied.
	variant string
	edit    func(o *unstructured.Unstructured)
}

// formbricksDelivery is the webhook-id the signers send with every
// delivery of a case (its retries too).
const formbricksDelivery = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"

var presetCases = []presetCase{
	{preset: "formbricks", fixture: "formbricks-response-finished.json", sign: standardWebhooks, timestamped: true,
		expect: []counted{
			{survey: "onboarding-nps", score: 9, segment: "plan", value: "pro", id: "cm5rsp7q2x0001larkspurnps"},
			{survey: "onboarding-csat", score: 4, id: "cm5rsp7q2x0001larkspurnps"},
		},
		ignored:  func([]byte) []byte { return []byte(`{"event":"testEndpoint"}`) },
		personal: []string{"maren.holt@example.org", "Maren", "Holt", "+49 151 23456789", "203.0.113.42", "customer-48213", "size guide was confusing"}},
	// The Formbricks preset without mapping.id: the Standard Webhooks
	// webhook-id is the idempotency key, the same for the retry.
	{preset: "formbricks", variant: "webhook-id as id", fixture: "formbricks-response-finished.json", sign: standardWebhooks, timestamped: true,
		edit: func(o *unstructured.Unstructured) {
			unstructured.RemoveNestedField(o.Object, "spec", "receiver", "mapping", "id")
		},
		expect: []counted{
			{survey: "onboarding-nps", score: 9, segment: "plan", value: "pro", id: formbricksDelivery},
			{survey: "onboarding-csat", score: 4, id: formbricksDelivery},
		},
		ignored:  func([]byte) []byte { return []byte(`{"event":"testEndpoint"}`) },
		personal: []string{"maren.holt@example.org", "Maren", "Holt", "+49 151 23456789", "203.0.113.42", "customer-48213", "size guide was confusing"}},
	{preset: "typeform", fixture: "typeform-form-response.json", sign: typeform,
		expect: []counted{{survey: "checkout-nps", score: 7, segment: "plan", value: "team", id: "a3a12ec67a1365927098a606107fac15"}},
		ignored: func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"event_type": "form_response"`), []byte(`"event_type": "form_response_partial"`), 1)
		},
		personal: []string{"laura@example.com", "Laura", "asked for my address twice", "abc123456"}},
	{preset: "tally", fixture: "tally-form-response.json", sign: tally,
		expect:   []counted{{survey: "delivery-rating", score: 4, segment: "region", value: "eu", id: "2wgx4n"}},
		ignored:  func(b []byte) []byte { return bytes.Replace(b, []byte(`"value": 4`), []byte(`"value": null`), 1) },
		personal: []string{"Tomasz Wilk", "tomasz.wilk@example.net", "+48 601 234 567", "neighbour in flat 12", "dwQKYm"}},
	{preset: "survicate", fixture: "survicate-question-answered.json", sign: survicate,
		expect:   []counted{{survey: "help-center-nps", score: 10, segment: "plan", value: "plus", id: "3fa85f64-5717-4562-b3fc-2c963f66afa6"}},
		ignored:  func(b []byte) []byte { return bytes.Replace(b, []byte(`"id": 12123`), []byte(`"id": 12124`), 1) },
		personal: []string{"alan.fresco@example.com", "Alan Fresco", "Agent Priya solved it", "279cd4ab-8a07-4e9e-ac79-bcea32792bbc"}},
	{preset: "delighted", fixture: "delighted-survey-response.json", sign: delighted,
		expect: []counted{{survey: "relationship-nps", score: 3, segment: "plan", value: "free", id: "5435"}},
		ignored: func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"survey_response.created"`), []byte(`"survey_response.updated"`), 1)
		},
		personal: []string{"charlie_gravis@example.com", "Charlie Gravis", "lost my parcel", "+1 415 555 0134"}},
	{preset: "zendesk", fixture: "zendesk-csat-trigger.json", sign: zendesk, timestamped: true,
		expect: []counted{{survey: "support-csat", score: 2, segment: "channel", value: "web_form", id: "48213"}},
		ignored: func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"rating": "Good"`), []byte(`"rating": "Offered"`), 1)
		},
		personal: []string{"Ingrid Sørensen", "ingrid.sorensen@example.no", "refund the same day"}},
}

// TestPresetsThroughTheReceiver applies each README preset and posts its
// tool's documented payload through the real receiver and API server:
// signed, it is counted once with the right score, segment and id; the
// tool's retry is a duplicate; a bad signature, an expired timestamp or a
// tampered body is refused with 401; the event the preset's when skips is
// answered 200 and counted nowhere. Afterwards no tally, Survey, Event,
// metric or log line holds any of the payloads' personal values.
func TestPresetsThroughTheReceiver(t *testing.T) {
	addr := freeAddr(t)
	startOperator(t, addr, false)
	presets := readmePresets(t)
	for _, tc := range presetCases {
		if len(presets[tc.preset]) == 0 {
			t.Fatalf("README.md has no preset %s", tc.preset)
		}
	}
	var namespaces []string
	for _, tc := range presetCases {
		name, objs := tc.preset, presets[tc.preset]
		if tc.edit != nil {
			name += ", " + tc.variant
			edited := make([]*unstructured.Unstructured, len(objs))
			for i, o := range objs {
				edited[i] = o.DeepCopy()
				if o.GetKind() == "Survey" {
					tc.edit(edited[i])
				}
			}
			objs = edited
		}
		t.Run(name, func(t *testing.T) {
			ns := applyPreset(t, objs)
			namespaces = append(namespaces, ns)
			checkPreset(t, "http://"+addr, ns, objs, tc)
		})
	}
	t.Run("no personal data anywhere", func(t *testing.T) {
		haystack := everythingStored(t, namespaces)
		for _, tc := range presetCases {
			for _, v := range tc.personal {
				if strings.Contains(haystack, v) {
					t.Errorf("%s: %q (personal data of the payload) was found in what the operator stored or logged", tc.preset, v)
				}
			}
		}
		if !strings.Contains(managerLog.String(), "receiving survey responses") {
			t.Fatal("the manager's log was not captured: the search above proves nothing")
		}
	})
}

// applyPreset creates a namespace with the preset's Secret and Surveys,
// and the Touchpoints they name, and waits until every Survey is
// reconciled with its mapping valid.
func applyPreset(t *testing.T, objs []*unstructured.Unstructured) string {
	ctx := context.Background()
	g := NewWithT(t)
	nsObj := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "preset-"}}
	g.Expect(k8s.Create(ctx, nsObj)).To(Succeed())
	ns := nsObj.Name
	touchpoints := map[string]bool{}
	for _, o := range objs {
		o := o.DeepCopy()
		o.SetNamespace(ns)
		if o.GetKind() == "Survey" {
			tp, _, _ := unstructured.NestedString(o.Object, "spec", "touchpointRef", "name")
			if !touchpoints[tp] {
				touchpoints[tp] = true
				g.Expect(k8s.Create(ctx, &cxv1alpha1.Touchpoint{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: tp},
					Spec: cxv1alpha1.TouchpointSpec{Stage: cxv1alpha1.StageSupport}})).To(Succeed())
			}
		}
		g.Expect(k8s.Create(ctx, o)).To(Succeed(), "%s %s", o.GetKind(), o.GetName())
	}
	for _, o := range objs {
		if o.GetKind() != "Survey" {
			continue
		}
		svy := &cxv1alpha1.Survey{}
		g.Eventually(func() string {
			g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: o.GetName()}, svy)).To(Succeed())
			for _, c := range svy.Status.Conditions {
				if c.Type == cxv1alpha1.ConditionReady && c.ObservedGeneration == svy.Generation {
					return c.Reason + ": " + c.Message
				}
			}
			return ""
		}).WithTimeout(20*time.Second).Should(HavePrefix(cxv1alpha1.ReasonInsufficientData), o.GetName())
	}
	return ns
}

// secretOf is the first value of the preset's Secret.
func secretOf(t *testing.T, objs []*unstructured.Unstructured) string {
	for _, o := range objs {
		if o.GetKind() == "Secret" {
			data, _, _ := unstructured.NestedStringMap(o.Object, "stringData")
			for _, v := range data {
				return v
			}
		}
	}
	t.Fatal("the preset has no Secret")
	return ""
}

func checkPreset(t *testing.T, base, ns string, objs []*unstructured.Unstructured, tc presetCase) {
	ctx := context.Background()
	g := NewWithT(t)
	secret := secretOf(t, objs)
	now := time.Now()
	body := fixture(t, tc.fixture, now)
	const deliveryID = formbricksDelivery
	send := func(survey string, b []byte, h http.Header) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, base+receive.PathOf(ns, survey), bytes.NewReader(b))
		maps.Copy(req.Header, h)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		g.Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		var out map[string]any
		g.Expect(json.Unmarshal(data, &out)).To(Succeed(), string(data))
		return resp.StatusCode, out
	}
	for _, want := range tc.expect {
		// Refused, counting nothing: a wrong key, an expired timestamp, a
		// body changed after signing.
		wrongKey := "not-" + secret
		if strings.HasPrefix(secret, "whsec_") {
			wrongKey = "whsec_" + base64.StdEncoding.EncodeToString([]byte("another key of 24 bytes!"))
		}
		code, out := send(want.survey, body, tc.sign(wrongKey, body, now, deliveryID))
		g.Expect(code).To(Equal(http.StatusUnauthorized), "wrong key: %v", out)
		if tc.timestamped {
			code, out = send(want.survey, body, tc.sign(secret, body, now.Add(-10*time.Minute), deliveryID))
			g.Expect(code).To(Equal(http.StatusUnauthorized), "expired: %v", out)
		}
		tampered := bytes.Replace(body, []byte(tc.personal[0]), []byte("someone.else@example.com"), 1)
		g.Expect(tampered).NotTo(Equal(body))
		code, out = send(want.survey, tampered, tc.sign(secret, body, now, deliveryID))
		g.Expect(code).To(Equal(http.StatusUnauthorized), "tampered: %v", out)

		// The event the preset skips: 200, nothing counted.
		skipped := tc.ignored(body)
		code, out = send(want.survey, skipped, tc.sign(secret, skipped, now, "msg_ping"))
		g.Expect(code).To(Equal(http.StatusOK), "ignored: %v", out)
		g.Expect(out).To(Equal(map[string]any{"accepted": 0.0, "duplicates": 0.0, "ignored": 1.0}))

		// Signed: counted once; the tool's retry (same delivery, signed
		// again later) is a duplicate.
		code, out = send(want.survey, body, tc.sign(secret, body, now, deliveryID))
		g.Expect(code).To(Equal(http.StatusOK), "%v", out)
		g.Expect(out).To(Equal(map[string]any{"accepted": 1.0, "duplicates": 0.0, "ignored": 0.0}))
		code, out = send(want.survey, body, tc.sign(secret, body, now.Add(time.Second), deliveryID))
		g.Expect(code).To(Equal(http.StatusOK), "%v", out)
		g.Expect(out).To(Equal(map[string]any{"accepted": 0.0, "duplicates": 1.0, "ignored": 0.0}))
	}

	// The tallies hold exactly the expected responses.
	for _, want := range tc.expect {
		svy := &cxv1alpha1.Survey{}
		g.Expect(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: want.survey}, svy)).To(Succeed())
		var tallies cxv1alpha1.ResponseTallyList
		g.Expect(k8s.List(ctx, &tallies, client.InNamespace(ns), client.MatchingLabels{cxv1alpha1.LabelSurveyUID: string(svy.UID)})).To(Succeed())
		g.Expect(tallies.Items).To(HaveLen(1), want.survey)
		tally := tallies.Items[0]
		g.Expect(tally.Responses).To(Equal(int64(1)))
		g.Expect(tally.Counts).To(Equal(strconv.Itoa(want.score)+":1"), want.survey)
		hash := make([]byte, 8)
		binary.BigEndian.PutUint64(hash, receive.HashID([]byte(svy.UID), want.id))
		g.Expect(tally.ResponseIDs).To(Equal(hash), "%s: the id is %s", want.survey, want.id)
		if want.segment == "" {
			g.Expect(tally.Segments).To(BeEmpty())
		} else {
			g.Expect(tally.Segments).To(Equal([]cxv1alpha1.SegmentTally{{Name: want.segment,
				Values: []cxv1alpha1.SegmentValueTally{{Value: want.value, Counts: strconv.Itoa(want.score) + ":1"}}}}))
		}
		g.Eventually(func() int64 {
			g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(svy), svy)).To(Succeed())
			return svy.Status.Responses
		}).WithTimeout(20 * time.Second).Should(Equal(int64(1)))
	}
}

// everythingStored is the text of what the operator keeps or says about
// these namespaces: tallies, Surveys, Events, the metrics registry and
// every line the managers logged.
func everythingStored(t *testing.T, namespaces []string) string {
	ctx := context.Background()
	var b strings.Builder
	dump := func(list client.ObjectList, ns string) {
		if err := k8s.List(ctx, list, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		data, err := json.Marshal(list)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(data)
	}
	for _, ns := range namespaces {
		dump(&cxv1alpha1.ResponseTallyList{}, ns)
		dump(&cxv1alpha1.SurveyList{}, ns)
		dump(&corev1.EventList{}, ns)
		ev := &unstructured.UnstructuredList{}
		ev.SetAPIVersion("events.k8s.io/v1")
		ev.SetKind("EventList")
		dump(ev, ns)
	}
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if _, err := expfmt.MetricFamilyToText(&b, f); err != nil {
			t.Fatal(err)
		}
	}
	b.WriteString(managerLog.String())
	return b.String()
}
