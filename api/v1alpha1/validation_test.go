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

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

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

func TestValidBaseObjectsAreAccepted(t *testing.T) {
	for _, doc := range []string{validTouchpoint, validSurvey, validScorecard} {
		obj := decodeAll(t, strings.NewReader(doc))[0]
		obj.SetNamespace("default")
		if err := k8s.Create(context.Background(), obj, client.DryRunAll); err != nil {
			t.Errorf("%s rejected: %v", obj.GetKind(), err)
		}
	}
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
		{"deduplication window below 1h", strings.Replace(validSurvey, "key: token}}", "key: token}, deduplicationWindow: 30m}", 1),
			[]string{"spec.receiver.deduplicationWindow", "at least 1h"}},
		{"deduplication window longer than the retention", strings.Replace(validSurvey, "key: token}}", "key: token}, deduplicationWindow: 2200h}", 1),
			[]string{"spec.receiver.deduplicationWindow", "at most spec.retention"}},
		{"deduplication window not a duration", strings.Replace(validSurvey, "key: token}}", "key: token}, deduplicationWindow: two days}", 1),
			[]string{"spec.receiver.deduplicationWindow"}},
		{"duplicate segment names", strings.Replace(validSurvey, "type: CSAT", "type: CSAT\n  segments: [{name: plan}, {name: plan}]", 1),
			[]string{"spec.segments[1]", "Duplicate value"}},
		{"segment maxValues zero", strings.Replace(validSurvey, "type: CSAT", "type: CSAT\n  segments: [{name: plan, maxValues: 0}]", 1),
			[]string{"spec.segments[0].maxValues"}},

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
			checks = map[string][]string{"720h": {"spec", "window"}, "2160h": {"spec", "retention"}, "0.95": {"spec", "confidenceLevel"},
				"48h": {"spec", "receiver", "deduplicationWindow"}}
			if n, _, _ := unstructured.NestedInt64(obj.Object, "spec", "minResponses"); n != 30 {
				t.Errorf("spec.minResponses defaulted to %d, want 30", n)
			}
		case "Scorecard":
			objs, _, _ := unstructured.NestedSlice(obj.Object, "spec", "objectives")
			if got := objs[0].(map[string]any)["weight"]; got != int64(1) {
				t.Errorf("objective weight defaulted to %v, want 1", got)
			}
			if got := objs[0].(map[string]any)["survey"].(map[string]any)["value"]; got != "Score" {
				t.Errorf("objective survey value defaulted to %v, want Score", got)
			}
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
