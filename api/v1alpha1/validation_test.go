package v1alpha1_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/testenv"
)

// The admission tests run against a real kube-apiserver with the generated
// CRDs: what they check is exactly what `kubectl apply` users get.
var (
	k8s client.Client
	env *envtest.Environment
)

func TestMain(m *testing.M) {
	var (
		cfg *rest.Config
		err error
	)
	env, cfg, err = testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	k8s, err = client.New(cfg, client.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping control plane:", err)
	}
	os.Exit(code)
}

// decodeAll decodes a multi-document YAML stream into unstructured objects.
func decodeAll(t *testing.T, r io.Reader) []*unstructured.Unstructured {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(r, 4096)
	var objs []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err == io.EOF {
			return objs
		} else if err != nil {
			t.Fatalf("decoding YAML: %v", err)
		}
		if len(u.Object) > 0 {
			objs = append(objs, u)
		}
	}
}

// TestSamplesAreAccepted applies every sample (rendered by kubectl
// kustomize, as `kubectl apply -k config/samples` would) to the API server.
func TestSamplesAreAccepted(t *testing.T) {
	kubectl, err := testenv.Kubectl()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(kubectl, "kustomize", filepath.Join(testenv.RepoRoot(), "config", "samples")).Output()
	if err != nil {
		t.Fatalf("kubectl kustomize config/samples: %v", err)
	}
	objs := decodeAll(t, bytes.NewReader(out))
	kinds := map[string]int{}
	for _, o := range objs {
		o.SetNamespace("samples")
		kinds[o.GetKind()]++
	}
	for _, k := range []string{"Touchpoint", "Survey", "Scorecard"} {
		if kinds[k] == 0 {
			t.Errorf("config/samples has no %s", k)
		}
	}
	ctx := context.Background()
	ns := &unstructured.Unstructured{}
	ns.SetAPIVersion("v1")
	ns.SetKind("Namespace")
	ns.SetName("samples")
	if err := k8s.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if err := k8s.Create(ctx, o); err != nil {
			t.Errorf("%s %s rejected: %v", o.GetKind(), o.GetName(), err)
		}
	}
	// Every Touchpoint stage appears once: the samples cover the lifecycle.
	stages := map[string]bool{}
	for _, o := range objs {
		if o.GetKind() == "Touchpoint" {
			s, _, _ := unstructured.NestedString(o.Object, "spec", "stage")
			stages[s] = true
		}
	}
	for _, s := range []string{"Awareness", "Consideration", "Acquisition", "Onboarding", "Adoption",
		"Support", "Billing", "Renewal", "Offboarding", "Advocacy"} {
		if !stages[s] {
			t.Errorf("no sample Touchpoint for stage %s", s)
		}
	}
}

// Valid base objects that each invalid case breaks in one place.
const (
	validTouchpoint = `
apiVersion: cx.touchstone.dev/v1alpha1
kind: Touchpoint
metadata: {name: tp}
spec:
  stage: Support
  collectors:
  - name: open
    metric: open_tickets
    unit: count
    interval: 30s
    timeout: 5s
    http: {url: "http://helpdesk/api", jsonPath: "{.open}"}
`
	validSurvey = `
apiVersion: cx.touchstone.dev/v1alpha1
kind: Survey
metadata: {name: svy}
spec:
  touchpointRef: {name: tp}
  type: CSAT
  receiver: {bearerTokenSecretRef: {name: s, key: token}}
`
	validScorecard = `
apiVersion: cx.touchstone.dev/v1alpha1
kind: Scorecard
metadata: {name: sc}
spec:
  objectives:
  - name: csat
    survey: {name: svy}
    target: {min: 80}
`
)

// withSegments is validSurvey (made NPS) with the given segments and, when
// not empty, weighting, both in YAML flow style.
func withSegments(segments, weighting string) string {
	extra := "type: NPS\n  segments: " + segments
	if weighting != "" {
		extra += "\n  weighting: " + weighting
	}
	return strings.Replace(validSurvey, "type: CSAT", extra, 1)
}

// TestSegmentsWithExpectedSharesAreAccepted checks the valid shapes of
// expected shares and weighting: shares that add up to 1 within rounding,
// shares from a Touchpoint, weighting by one segment, None with segments.
func TestSegmentsWithExpectedSharesAreAccepted(t *testing.T) {
	for _, doc := range []string{
		withSegments(`[{name: plan, expected: [{value: pro, share: "0.25"}, {value: free, share: "0.75"}]}]`, "{method: PostStratified, segments: [plan]}"),
		// 0.3334 x 3 = 1.0002: rounding, accepted (and scaled to 1).
		withSegments(`[{name: plan, expected: [{value: a, share: "0.3334"}, {value: b, share: "0.3334"}, {value: c, share: "0.3334"}]}]`, ""),
		// Whole numbers are shares too.
		withSegments(`[{name: plan, expected: [{value: pro, share: 1}, {value: free, share: 0}]}]`, ""),
		withSegments(`[{name: plan, expectedFrom: {touchpointRef: {name: crm}, metricPrefix: customers_}}, {name: region}]`,
			"{method: PostStratified, segments: [plan]}"),
		withSegments(`[{name: plan}]`, "{method: None, segments: [plan]}"),
	} {
		obj := decodeAll(t, strings.NewReader(doc))[0]
		obj.SetNamespace("default")
		if err := k8s.Create(context.Background(), obj, client.DryRunAll); err != nil {
			t.Errorf("rejected: %v\n%s", err, doc)
		}
	}
}

func TestValidBaseObjectsAreAccepted(t *testing.T) {
	for _, doc := range []string{validTouchpoint, validSurvey, validScorecard} {
		obj := decodeAll(t, strings.NewReader(doc))[0]
		obj.SetNamespace("default")
		if err := k8s.Create(context.Background(), obj, client.DryRunAll); err != nil {
			t.Errorf("%s rejected: %v", obj.GetKind(), err)
		}
	}
}

// http1 is the http source of validTouchpoint.
const http1 = `    http: {url: "http://helpdesk/api", jsonPath: "{.open}"}`

// aggregated is validTouchpoint with more fields in its http source.
func aggregated(fields string) string {
	return strings.Replace(validTouchpoint, http1, `    http: {url: "http://helpdesk/api", jsonPath: "{.items[*]}", `+fields+`}`, 1)
}

// TestInvalidObjectsAreRejected checks that admission rejects each invalid
// manifest, with a message that names the offending field.
func TestInvalidObjectsAreRejected(t *testing.T) {
	cases := []struct {
		name string
		doc  string
		// want are substrings the API server's error must contain: the
		// field path and the gist of the message.
		want []string
	}{
		{"touchpoint unknown stage", strings.Replace(validTouchpoint, "stage: Support", "stage: Checkout", 1),
			[]string{"spec.stage", "Unsupported value"}},
		{"collector with two sources", strings.Replace(validTouchpoint, `    http: {url`,
			"    prometheus: {address: \"http://prom:9090\", query: up}\n    http: {url", 1),
			[]string{"spec.collectors[0]", "exactly one source"}},
		{"collector with no source", strings.Replace(validTouchpoint, `    http: {url: "http://helpdesk/api", jsonPath: "{.open}"}`, "", 1),
			[]string{"spec.collectors[0]", "exactly one source"}},
		{"interval below 10s", strings.Replace(strings.Replace(validTouchpoint, "interval: 30s", "interval: 5s", 1), "timeout: 5s", "timeout: 1s", 1),
			[]string{"spec.collectors[0].interval", "at least 10s"}},
		{"timeout not below interval", strings.Replace(validTouchpoint, "timeout: 5s", "timeout: 30s", 1),
			[]string{"spec.collectors[0].timeout", "shorter than interval"}},
		{"interval not a duration", strings.Replace(validTouchpoint, "interval: 30s", "interval: half a minute", 1),
			[]string{"spec.collectors[0].interval"}},
		{"collector name not a DNS label", strings.Replace(validTouchpoint, "name: open", "name: Open_Tickets", 1),
			[]string{"spec.collectors[0].name"}},
		{"metric not snake_case", strings.Replace(validTouchpoint, "metric: open_tickets", "metric: OpenTickets", 1),
			[]string{"spec.collectors[0].metric"}},
		{"unknown unit", strings.Replace(validTouchpoint, "unit: count", "unit: minutes", 1),
			[]string{"spec.collectors[0].unit", "Unsupported value"}},
		{"duplicate collector names", validTouchpoint + `
  - name: open
    metric: other
    unit: count
    http: {url: "http://helpdesk/api", jsonPath: "{.other}"}
`, []string{"spec.collectors[1]", "Duplicate value"}},
		{"two collectors with one metric", validTouchpoint + `
  - name: open-again
    metric: open_tickets
    unit: count
    http: {url: "http://helpdesk/api", jsonPath: "{.other}"}
`, []string{"spec.collectors", "different metric"}},
		{"derived metric reuses a collected name", validTouchpoint + `
  derived:
  - {metric: open_tickets, unit: count, expression: "1"}
`, []string{"spec.derived", "must not reuse"}},
		{"prometheus address not http", strings.Replace(validTouchpoint, `    http: {url: "http://helpdesk/api", jsonPath: "{.open}"}`,
			`    prometheus: {address: "ftp://prom", query: up}`, 1),
			[]string{"spec.collectors[0].prometheus.address", "http or https URL"}},
		{"jsonPath without braces", strings.Replace(validTouchpoint, `jsonPath: "{.open}"`, `jsonPath: ".open"`, 1),
			[]string{"spec.collectors[0].http.jsonPath", "in braces"}},
		{"header with value and valueFrom", strings.Replace(validTouchpoint, `jsonPath: "{.open}"}`,
			`jsonPath: "{.open}", headers: [{name: X-Key, value: a, valueFrom: {name: s, key: k}}]}`, 1),
			[]string{"spec.collectors[0].http.headers[0]", "exactly one of value and valueFrom"}},
		{"bearer token and basic auth", strings.Replace(validTouchpoint, `    http: {url: "http://helpdesk/api", jsonPath: "{.open}"}`,
			`    prometheus: {address: "http://prom", query: up, bearerTokenSecretRef: {name: s, key: t}, basicAuth: {usernameSecretRef: {name: s, key: u}, passwordSecretRef: {name: s, key: p}}}`, 1),
			[]string{"spec.collectors[0].prometheus", "at most one of bearerTokenSecretRef and basicAuth"}},

		{"aggregate not in the enum", aggregated(`aggregate: average`),
			[]string{"spec.collectors[0].http.aggregate", "Unsupported value"}},
		{"quantile aggregate without quantile", aggregated(`aggregate: quantile`),
			[]string{"spec.collectors[0].http.quantile", "must be set when aggregate is quantile"}},
		{"quantile of 1", aggregated(`aggregate: quantile, quantile: "1"`),
			[]string{"spec.collectors[0].http.quantile", "strictly between 0 and 1"}},
		{"quantile of 0", aggregated(`aggregate: quantile, quantile: "0"`),
			[]string{"spec.collectors[0].http.quantile", "strictly between 0 and 1"}},
		{"quantile above 1", aggregated(`aggregate: quantile, quantile: "1.5"`),
			[]string{"spec.collectors[0].http.quantile", "strictly between 0 and 1"}},
		{"quantile with another aggregate", aggregated(`aggregate: median, quantile: "0.9"`),
			[]string{"spec.collectors[0].http.quantile", "only then"}},
		{"ratio without where", aggregated(`aggregate: ratio`),
			[]string{"spec.collectors[0].http.where", "required by aggregate ratio"}},
		{"where without aggregate", aggregated(`where: "item.score == 'good'"`),
			[]string{"spec.collectors[0].http.where", "needs aggregate"}},
		{"value with count", aggregated(`aggregate: count, value: "item.minutes"`),
			[]string{"spec.collectors[0].http.value", "applies to aggregate sum"}},
		{"pagination without aggregate", aggregated(`pagination: {nextURL: "{.next}"}`),
			[]string{"spec.collectors[0].http.pagination", "needs aggregate"}},
		{"maxPages 0", aggregated(`aggregate: count, pagination: {nextURL: "{.next}", maxPages: 0}`),
			[]string{"spec.collectors[0].http.pagination.maxPages", "greater than or equal to 1"}},
		{"maxPages above 100", aggregated(`aggregate: count, pagination: {nextURL: "{.next}", maxPages: 101}`),
			[]string{"spec.collectors[0].http.pagination.maxPages", "less than or equal to 100"}},
		{"nextURL and cursor", aggregated(`aggregate: count, pagination: {nextURL: "{.next}", cursor: "{.c}", cursorParam: after}`),
			[]string{"spec.collectors[0].http.pagination", "exactly one of nextURL and cursor"}},
		{"cursor without where it goes", aggregated(`aggregate: count, pagination: {cursor: "{.c}"}`),
			[]string{"spec.collectors[0].http.pagination.cursor", "exactly one of cursorParam and cursorBodyField"}},
		{"cursorBodyField without a body", aggregated(`aggregate: count, pagination: {cursor: "{.c}", cursorBodyField: variables.after}`),
			[]string{"spec.collectors[0].http.pagination.cursorBodyField", "needs a JSON body"}},
		{"nextURL without braces", aggregated(`aggregate: count, pagination: {nextURL: ".links.next"}`),
			[]string{"spec.collectors[0].http.pagination.nextURL", "in braces"}},
		{"body with GET", aggregated(`body: "{}"`),
			[]string{"spec.collectors[0].http.body", "needs method POST"}},
		{"unknown method", aggregated(`method: PUT`),
			[]string{"spec.collectors[0].http.method", "Unsupported value"}},
		{"unknown placeholder in a parameter", aggregated(`params: [{name: since, value: "{{ .Yesterday }}"}]`),
			[]string{"spec.collectors[0].http.params[0].value", "only the placeholders"}},
		{"unknown placeholder in the body", aggregated(`method: POST, body: "{\"since\": {{ .Now }}}"`),
			[]string{"spec.collectors[0].http.body", "only the placeholders"}},
		{"scale 0", aggregated(`scale: "0"`),
			[]string{"spec.collectors[0].http.scale", "must be positive"}},
		{"http bearer token and basic auth", aggregated(`bearerTokenSecretRef: {name: s, key: t}, basicAuth: {usernameSecretRef: {name: s, key: u}, passwordSecretRef: {name: s, key: p}}`),
			[]string{"spec.collectors[0].http", "at most one of bearerTokenSecretRef and basicAuth"}},
		{"Authorization header and bearer token", aggregated(`bearerTokenSecretRef: {name: s, key: t}, headers: [{name: authorization, value: x}]`),
			[]string{"spec.collectors[0].http.headers", "conflicts with bearerTokenSecretRef"}},
		{"prometheus quantile without quantile", strings.Replace(validTouchpoint, http1,
			`    prometheus: {address: "http://prom", query: up, aggregate: quantile}`, 1),
			[]string{"spec.collectors[0].prometheus.quantile", "must be set when aggregate is quantile"}},
		{"prometheus where without aggregate", strings.Replace(validTouchpoint, http1,
			`    prometheus: {address: "http://prom", query: up, where: "item.value > 1.0"}`, 1),
			[]string{"spec.collectors[0].prometheus.where", "needs aggregate"}},

		{"survey unknown type", strings.Replace(validSurvey, "type: CSAT", "type: Likert", 1),
			[]string{"spec.type", "Unsupported value"}},
		{"NPS on another scale", strings.Replace(validSurvey, "type: CSAT", "type: NPS\n  scale: {min: 1, max: 10}", 1),
			[]string{"spec.scale", "fixed 0..10"}},
		{"Rating without scale", strings.Replace(validSurvey, "type: CSAT", "type: Rating", 1),
			[]string{"spec.scale is required"}},
		{"scale min not below max", strings.Replace(validSurvey, "type: CSAT", "type: Rating\n  scale: {min: 5, max: 5}", 1),
			[]string{"spec.scale", "min must be less than"}},
		{"scale of more than 11 points", strings.Replace(validSurvey, "type: CSAT", "type: Rating\n  scale: {min: 0, max: 20}", 1),
			[]string{"spec.scale", "at most 11 points"}},
		{"satisfiedAtOrAbove outside the scale", strings.Replace(validSurvey, "type: CSAT", "type: CSAT\n  satisfiedAtOrAbove: 6", 1),
			[]string{"spec.satisfiedAtOrAbove", "inside the scale"}},
		{"satisfiedAtOrAbove on NPS", strings.Replace(validSurvey, "type: CSAT", "type: NPS\n  satisfiedAtOrAbove: 9", 1),
			[]string{"spec.satisfiedAtOrAbove", "does not apply to NPS"}},
		{"window not whole days", strings.Replace(validSurvey, "type: CSAT", "type: CSAT\n  window: 36h", 1),
			[]string{"spec.window", "whole number of days"}},
		{"retention shorter than two windows", strings.Replace(validSurvey, "type: CSAT", "type: CSAT\n  window: 720h\n  retention: 1000h", 1),
			[]string{"spec.retention", "at least twice"}},
		{"confidence level above 0.999", strings.Replace(validSurvey, "type: CSAT", "type: CSAT\n  confidenceLevel: \"1.5\"", 1),
			[]string{"spec.confidenceLevel", "between 0.5 and 0.999"}},
		{"minResponses zero", strings.Replace(validSurvey, "type: CSAT", "type: CSAT\n  minResponses: 0", 1),
			[]string{"spec.minResponses"}},
		{"receiver without authentication", strings.Replace(validSurvey, "receiver: {bearerTokenSecretRef: {name: s, key: token}}", "receiver: {}", 1),
			[]string{"spec.receiver", "bearerTokenSecretRef, hmacSecretRef or both"}},
		{"duplicate segment names", strings.Replace(validSurvey, "type: CSAT", "type: CSAT\n  segments: [{name: plan}, {name: plan}]", 1),
			[]string{"spec.segments[1]", "Duplicate value"}},
		{"segment maxValues zero", strings.Replace(validSurvey, "type: CSAT", "type: CSAT\n  segments: [{name: plan, maxValues: 0}]", 1),
			[]string{"spec.segments[0].maxValues"}},
		{"minSegmentResponses zero", strings.Replace(validSurvey, "type: CSAT", "type: CSAT\n  minSegmentResponses: 0", 1),
			[]string{"spec.minSegmentResponses"}},
		{"expected share above 1", withSegments(`[{name: plan, expected: [{value: pro, share: "1.5"}]}]`, ""),
			[]string{"spec.segments[0].expected[0].share", "between 0 and 1"}},
		{"expected share negative", withSegments(`[{name: plan, expected: [{value: pro, share: "-0.1"}]}]`, ""),
			[]string{"spec.segments[0].expected[0].share", "between 0 and 1"}},
		{"expected value twice", withSegments(`[{name: plan, expected: [{value: pro, share: "0.2"}, {value: pro, share: "0.3"}]}]`, ""),
			[]string{"spec.segments[0].expected[1]", "Duplicate value"}},
		{"expected shares above 1 in total", withSegments(`[{name: plan, expected: [{value: pro, share: "0.6"}, {value: free, share: "0.5"}]}]`, ""),
			[]string{"spec.segments[0].expected", "add up to at most 1"}},
		{"expected value other", withSegments(`[{name: plan, expected: [{value: other, share: "0.2"}]}]`, ""),
			[]string{"spec.segments[0].expected[0].value", "must not be \"other\""}},
		{"expected value free text", withSegments(`[{name: plan, expected: [{value: "big customers", share: "0.2"}]}]`, ""),
			[]string{"spec.segments[0].expected[0].value"}},
		{"expected more values than maxValues", withSegments(`[{name: plan, maxValues: 1, expected: [{value: pro, share: "0.2"}, {value: free, share: "0.3"}]}]`, ""),
			[]string{"spec.segments[0].expected", "more values than maxValues"}},
		{"expected and expectedFrom", withSegments(`[{name: plan, expected: [{value: pro, share: "0.2"}], expectedFrom: {touchpointRef: {name: crm}, metricPrefix: plan_share_}}]`, ""),
			[]string{"spec.segments[0]", "at most one of expected and expectedFrom"}},
		{"expectedFrom prefix not snake_case", withSegments(`[{name: plan, expectedFrom: {touchpointRef: {name: crm}, metricPrefix: Plan-Share}}]`, ""),
			[]string{"spec.segments[0].expectedFrom.metricPrefix"}},
		{"weighting by two segments", withSegments(`[{name: plan, expected: [{value: pro, share: "0.2"}]}, {name: region, expected: [{value: eu, share: "0.5"}]}]`,
			"{method: PostStratified, segments: [plan, region]}"),
			[]string{"spec.weighting.segments", "exactly one segment"}},
		{"weighting without a segment", withSegments(`[{name: plan, expected: [{value: pro, share: "0.2"}]}]`, "{method: PostStratified}"),
			[]string{"spec.weighting.segments", "exactly one segment"}},
		{"weighting by an undeclared segment", withSegments(`[{name: plan, expected: [{value: pro, share: "0.2"}]}]`, "{method: PostStratified, segments: [region]}"),
			[]string{"spec.weighting.segments", "declared in spec.segments"}},
		{"weighting by a segment without expected shares", withSegments(`[{name: plan}]`, "{method: PostStratified, segments: [plan]}"),
			[]string{"spec.weighting.segments", "with expected shares"}},
		{"unknown weighting method", withSegments(`[{name: plan, expected: [{value: pro, share: "0.2"}]}]`, "{method: Raking, segments: [plan]}"),
			[]string{"spec.weighting.method", "Unsupported value"}},

		{"objective with two sources", strings.Replace(validScorecard, "    survey: {name: svy}", "    survey: {name: svy}\n    scorecard: {name: other}", 1),
			[]string{"spec.objectives[0]", "exactly one source"}},
		{"objective with no source", strings.Replace(validScorecard, "    survey: {name: svy}\n", "", 1),
			[]string{"spec.objectives[0]", "exactly one source"}},
		{"target without bounds", strings.Replace(validScorecard, "target: {min: 80}", "target: {}", 1),
			[]string{"spec.objectives[0].target", "set min, max or both"}},
		{"target min above max", strings.Replace(validScorecard, "target: {min: 80}", "target: {min: 80, max: 70}", 1),
			[]string{"spec.objectives[0].target", "min must not be greater than max"}},
		{"warning tighter than target", strings.Replace(validScorecard, "target: {min: 80}", "target: {min: 80}\n    warning: {min: 85}", 1),
			[]string{"spec.objectives[0].warning.min", "looser than the target"}},
		{"warning on another side", strings.Replace(validScorecard, "target: {min: 80}", "target: {min: 80}\n    warning: {max: 90}", 1),
			[]string{"spec.objectives[0].warning", "same sides"}},
		{"weight zero", strings.Replace(validScorecard, "target: {min: 80}", "target: {min: 80}\n    weight: 0", 1),
			[]string{"spec.objectives[0].weight"}},
		{"no objectives", strings.Replace(validScorecard, `  objectives:
  - name: csat
    survey: {name: svy}
    target: {min: 80}
`, "  objectives: []\n", 1), []string{"spec.objectives"}},
		{"thresholds warning not below pass", validScorecard + "  thresholds: {pass: 80, warning: 80}\n",
			[]string{"spec.thresholds.warning", "below spec.thresholds.pass"}},
		{"thresholds pass above 100", validScorecard + "  thresholds: {pass: 120, warning: 80}\n",
			[]string{"spec.thresholds.pass", "at most 100"}},
		{"thresholds warning negative", validScorecard + "  thresholds: {pass: 80, warning: -5}\n",
			[]string{"spec.thresholds.warning", "at least 0"}},
		{"unknown survey value", strings.Replace(validScorecard, "survey: {name: svy}", "survey: {name: svy, value: Median}", 1),
			[]string{"spec.objectives[0].survey.value", "Unsupported value"}},
		{"touchpoint source without metric", strings.Replace(validScorecard, "survey: {name: svy}", "touchpoint: {name: tp}", 1),
			[]string{"spec.objectives[0].touchpoint.metric", "Required value"}},
		{"unknown decision", strings.Replace(validScorecard, "target: {min: 80}", "target: {min: 80}\n    decision: Certain", 1),
			[]string{"spec.objectives[0].decision", "Unsupported value"}},
		{"stabilization window above 24h", validScorecard + "  stabilizationWindow: 25h\n",
			[]string{"spec.stabilizationWindow", "between 0s and 24h"}},
		{"stabilization window negative", validScorecard + "  stabilizationWindow: -1m\n",
			[]string{"spec.stabilizationWindow"}},
		{"stabilization window not a duration", validScorecard + "  stabilizationWindow: five minutes\n",
			[]string{"spec.stabilizationWindow"}},
	}
	if len(cases) < 25 {
		t.Fatalf("only %d cases; the foundation asks for at least 25", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := decodeAll(t, strings.NewReader(tc.doc))[0]
			obj.SetNamespace("default")
			err := k8s.Create(context.Background(), obj, client.DryRunAll)
			if err == nil {
				t.Fatalf("accepted; want rejection mentioning %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestCollectorsThatAggregateAreAccepted applies the collectors of the
// "Collecting from a helpdesk" section, and checks the defaults the API
// server gives them.
func TestCollectorsThatAggregateAreAccepted(t *testing.T) {
	doc := `
apiVersion: cx.touchstone.dev/v1alpha1
kind: Touchpoint
metadata: {name: helpdesk-aggregates, namespace: default}
spec:
  stage: Support
  collectors:
  - name: first-reply-p90
    metric: first_reply_p90_seconds
    unit: seconds
    http:
      url: https://larkspur.zendesk.com/api/v2/ticket_metrics.json?page[size]=100
      jsonPath: "{.ticket_metrics[*]}"
      value: item.reply_time_in_minutes.calendar
      aggregate: quantile
      quantile: "0.9"
      scale: "60"
      pagination: {nextURL: "{.links.next}", hasMore: "{.meta.has_more}"}
      basicAuth: {usernameSecretRef: {name: zendesk-api, key: username}, passwordSecretRef: {name: zendesk-api, key: token}}
  - name: csat
    metric: csat_ratio
    unit: ratio
    interval: 10s
    http:
      url: https://larkspur.zendesk.com/api/v2/satisfaction_ratings.json
      params: [{name: score, value: received}, {name: start_time, value: "{{ .SinceUnix }}"}, {name: end_time, value: "{{.UntilUnix}}"}]
      jsonPath: "{.satisfaction_ratings[*]}"
      aggregate: ratio
      where: item.score == 'good'
      pagination: {nextURL: "{.next_page}", maxPages: 100}
  - name: chat-first-reply
    metric: chat_first_reply_seconds
    unit: seconds
    http:
      url: https://api.intercom.io/conversations/search
      method: POST
      body: '{"query": {"field": "created_at", "operator": ">", "value": {{ .SinceUnix }}}, "pagination": {"per_page": 150}}'
      window: 168h
      jsonPath: "{.conversations[*]}"
      value: item.statistics.time_to_admin_reply
      aggregate: median
      pagination: {cursor: "{.pages.next.starting_after}", cursorBodyField: pagination.starting_after}
      bearerTokenSecretRef: {name: intercom-api, key: token}
  - name: slow-providers
    metric: slow_providers
    unit: count
    prometheus:
      address: http://prometheus:9090
      query: sum by (provider) (rate(payment_errors_total[5m]))
      aggregate: count
      where: item.value > 0.02
`
	obj := decodeAll(t, strings.NewReader(doc))[0]
	if err := k8s.Create(context.Background(), obj, client.DryRunAll); err != nil {
		t.Fatalf("rejected: %v", err)
	}
	collectors, _, _ := unstructured.NestedSlice(obj.Object, "spec", "collectors")
	first := collectors[0].(map[string]any)
	if got, _, _ := unstructured.NestedInt64(first, "http", "pagination", "maxPages"); got != 10 {
		t.Errorf("maxPages defaulted to %d, want 10", got)
	}
	// The default timeout is no longer stored: it fits every interval
	// (TimeoutOrDefault: the smaller of 10s and half the interval), so an
	// interval of 10s without a timeout is valid.
	for i, c := range collectors {
		if _, found := c.(map[string]any)["timeout"]; found {
			t.Errorf("collector %d: a timeout was defaulted: %v", i, c)
		}
	}
	if got := collectors[1].(map[string]any)["interval"]; got != "10s" {
		t.Errorf("interval %v", got)
	}
	// A timeout set by hand must still be shorter than the interval.
	bad := strings.Replace(doc, "    interval: 10s\n", "    interval: 10s\n    timeout: 10s\n", 1)
	obj = decodeAll(t, strings.NewReader(bad))[0]
	err := k8s.Create(context.Background(), obj, client.DryRunAll)
	if err == nil || !strings.Contains(err.Error(), "spec.collectors[1].timeout") || !strings.Contains(err.Error(), "shorter than interval") {
		t.Errorf("timeout 10s with interval 10s: %v", err)
	}
}

// TestImmutableSurveyFields checks the update rules: a Survey's type and
// scale cannot change, because counted responses were given on them.
func TestImmutableSurveyFields(t *testing.T) {
	ctx := context.Background()
	obj := decodeAll(t, strings.NewReader(strings.Replace(validSurvey, "name: svy", "name: immutable", 1)))[0]
	obj.SetNamespace("default")
	if err := k8s.Create(ctx, obj); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		field string
		value any
		want  string
	}{
		{"type", "CES", "spec.type is immutable"},
		{"scale", map[string]any{"min": int64(1), "max": int64(7)}, "spec.scale is immutable"},
	} {
		changed := obj.DeepCopy()
		if err := unstructured.SetNestedField(changed.Object, tc.value, "spec", tc.field); err != nil {
			t.Fatal(err)
		}
		err := k8s.Update(ctx, changed, client.DryRunAll)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("changing spec.%s: got %v, want an error containing %q", tc.field, err, tc.want)
		}
	}
	// Other fields stay editable.
	changed := obj.DeepCopy()
	_ = unstructured.SetNestedField(changed.Object, int64(50), "spec", "minResponses")
	if err := k8s.Update(ctx, changed, client.DryRunAll); err != nil {
		t.Errorf("changing spec.minResponses: %v", err)
	}
}

// TestScorecardEdgeValuesAreAccepted checks the bounds of the Scorecard
// fields that have a range: the stabilization window from 0 to 24h, and
// both decisions.
func TestScorecardEdgeValuesAreAccepted(t *testing.T) {
	for _, extra := range []string{
		"  stabilizationWindow: \"0\"\n", "  stabilizationWindow: 0s\n", "  stabilizationWindow: 90s\n",
		"  stabilizationWindow: 24h\n", "  stabilizationWindow: 1h30m\n",
	} {
		obj := decodeAll(t, strings.NewReader(validScorecard+extra))[0]
		obj.SetNamespace("default")
		if err := k8s.Create(context.Background(), obj, client.DryRunAll); err != nil {
			t.Errorf("%s rejected: %v", strings.TrimSpace(extra), err)
		}
	}
	for _, d := range []string{"Estimate", "Confident"} {
		obj := decodeAll(t, strings.NewReader(strings.Replace(validScorecard, "target: {min: 80}", "target: {min: 80}\n    decision: "+d, 1)))[0]
		obj.SetNamespace("default")
		if err := k8s.Create(context.Background(), obj, client.DryRunAll); err != nil {
			t.Errorf("decision %s rejected: %v", d, err)
		}
	}
}

// TestDefaultsAreApplied checks the defaults that later computations rely
// on.
func TestDefaultsAreApplied(t *testing.T) {
	ctx := context.Background()
	for _, doc := range []string{validTouchpoint, validSurvey, validScorecard} {
		obj := decodeAll(t, strings.NewReader(doc))[0]
		obj.SetNamespace("default")
		obj.SetName("defaults-" + strings.ToLower(obj.GetKind()))
		if err := k8s.Create(ctx, obj, client.DryRunAll); err != nil {
			t.Fatal(err)
		}
		var checks map[string][]string
		switch obj.GetKind() {
		case "Survey":
			checks = map[string][]string{"720h": {"spec", "window"}, "2160h": {"spec", "retention"}, "0.95": {"spec", "confidenceLevel"}}
			if n, _, _ := unstructured.NestedInt64(obj.Object, "spec", "minResponses"); n != 30 {
				t.Errorf("spec.minResponses defaulted to %d, want 30", n)
			}
			if n, _, _ := unstructured.NestedInt64(obj.Object, "spec", "minSegmentResponses"); n != 5 {
				t.Errorf("spec.minSegmentResponses defaulted to %d, want 5", n)
			}
		case "Scorecard":
			objs, _, _ := unstructured.NestedSlice(obj.Object, "spec", "objectives")
			if got := objs[0].(map[string]any)["weight"]; got != int64(1) {
				t.Errorf("objective weight defaulted to %v, want 1", got)
			}
			if got := objs[0].(map[string]any)["survey"].(map[string]any)["value"]; got != "Score" {
				t.Errorf("objective survey value defaulted to %v, want Score", got)
			}
			if got := objs[0].(map[string]any)["decision"]; got != "Estimate" {
				t.Errorf("objective decision defaulted to %v, want Estimate", got)
			}
			checks = map[string][]string{"5m": {"spec", "stabilizationWindow"}}
			th, _, _ := unstructured.NestedMap(obj.Object, "spec", "thresholds")
			if fmt.Sprint(th["pass"]) != "90" || fmt.Sprint(th["warning"]) != "75" {
				t.Errorf("thresholds defaulted to %v, want pass 90, warning 75", th)
			}
		}
		for want, path := range checks {
			if got, _, _ := unstructured.NestedString(obj.Object, path...); got != want {
				t.Errorf("%s %s defaulted to %q, want %q", obj.GetKind(), strings.Join(path, "."), got, want)
			}
		}
	}
}

// TestDefaultTimeoutFitsEveryInterval: the default timeout is the smaller
// of 10s and half the interval, so that it is shorter than every valid
// interval (the rule the API server enforces on a timeout set by hand).
func TestDefaultTimeoutFitsEveryInterval(t *testing.T) {
	for _, tc := range []struct{ interval, want time.Duration }{
		{10 * time.Second, 5 * time.Second}, // the minimum interval
		{15 * time.Second, 7500 * time.Millisecond},
		{20 * time.Second, 10 * time.Second},
		{time.Minute, 10 * time.Second},
		{time.Hour, 10 * time.Second},
	} {
		c := cxv1alpha1.Collector{Interval: &metav1.Duration{Duration: tc.interval}}
		if got := c.TimeoutOrDefault(); got != tc.want || got >= tc.interval {
			t.Errorf("interval %v: default timeout %v, want %v", tc.interval, got, tc.want)
		}
	}
	if got := (&cxv1alpha1.Collector{}).TimeoutOrDefault(); got != 10*time.Second {
		t.Errorf("default interval (60s): timeout %v, want 10s", got)
	}
	to := &metav1.Duration{Duration: 3 * time.Second}
	if got := (&cxv1alpha1.Collector{Timeout: to}).TimeoutOrDefault(); got != 3*time.Second {
		t.Errorf("a timeout set by hand: %v", got)
	}
}
