package v1alpha1_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/touchstone-dev/touchstone/internal/testenv"
)

// TestEveryFieldIsDocumented walks the schemas of the CRDs as the API
// server serves them, which is what `kubectl explain` prints, and names
// every field that has no description (a field without a doc comment).
func TestEveryFieldIsDocumented(t *testing.T) {
	for _, plural := range []string{"touchpoints", "surveys", "scorecards", "journeys", "responsetallies"} {
		crd := &unstructured.Unstructured{}
		crd.SetAPIVersion("apiextensions.k8s.io/v1")
		crd.SetKind("CustomResourceDefinition")
		if err := k8s.Get(context.Background(), client.ObjectKey{Name: plural + ".cx.touchstone.dev"}, crd); err != nil {
			t.Fatal(err)
		}
		versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
		if len(versions) == 0 {
			t.Fatalf("%s: no versions", plural)
		}
		for _, v := range versions {
			schema, _, _ := unstructured.NestedMap(v.(map[string]any), "schema", "openAPIV3Schema")
			var missing []string
			undocumented(plural, schema, &missing)
			sort.Strings(missing)
			if len(missing) > 0 {
				t.Errorf("fields without a description (kubectl explain prints nothing for them):\n  %s", strings.Join(missing, "\n  "))
			}
		}
	}
}

// undocumented appends the path of every property below schema that has
// no description. metadata is the API machinery's and documented there.
func undocumented(path string, schema map[string]any, missing *[]string) {
	props, _ := schema["properties"].(map[string]any)
	for name, p := range props {
		prop := p.(map[string]any)
		if name == "metadata" && !strings.Contains(path, ".") {
			continue
		}
		if d, _ := prop["description"].(string); strings.TrimSpace(d) == "" {
			*missing = append(*missing, path+"."+name)
		}
		undocumented(path+"."+name, prop, missing)
		if items, ok := prop["items"].(map[string]any); ok {
			undocumented(path+"."+name+"[]", items, missing)
		}
		if values, ok := prop["additionalProperties"].(map[string]any); ok {
			undocumented(path+"."+name+"{}", values, missing)
		}
	}
}

// TestUndocumentedNamesTheField checks the walk itself: a field without a
// description, nested in a list, is named with its path.
func TestUndocumentedNamesTheField(t *testing.T) {
	schema := map[string]any{"properties": map[string]any{
		"spec": map[string]any{"description": "spec.", "properties": map[string]any{
			"collectors": map[string]any{"description": "collectors.", "items": map[string]any{
				"properties": map[string]any{
					"name":     map[string]any{"description": "name."},
					"interval": map[string]any{},
				},
			}},
		}},
	}}
	var missing []string
	undocumented("touchpoints", schema, &missing)
	if want := []string{"touchpoints.spec.collectors[].interval"}; !reflect.DeepEqual(missing, want) {
		t.Errorf("undocumented = %v, want %v", missing, want)
	}
}

// TestKubectlExplain runs the real kubectl explain against the API server
// and checks that it prints the doc comments of the Survey's fields.
func TestKubectlExplain(t *testing.T) {
	kubectl, err := testenv.Kubectl()
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := testenv.AdminKubeconfig(env, kubeconfig); err != nil {
		t.Fatal(err)
	}
	explain := func(field string) string {
		// The API server publishes a new CRD's OpenAPI a moment after
		// the CRD is established.
		deadline := time.Now().Add(30 * time.Second)
		for {
			out, err := exec.Command(kubectl, "--kubeconfig", kubeconfig, "explain", field).CombinedOutput()
			if err == nil {
				return string(out)
			}
			if time.Now().After(deadline) {
				t.Fatalf("kubectl explain %s: %v\n%s", field, err, out)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	spec := explain("survey.spec")
	for _, want := range []string{
		"GROUP:      cx.touchstone.dev",
		"touchpointRef\t<Object> -required-",
		"type\t<string> -required-",
		"window\t<string>",
		"minResponses\t<integer>",
		"confidenceLevel\t<", // a Quantity: int-or-string in the schema
	} {
		if !strings.Contains(spec, want) {
			t.Errorf("kubectl explain survey.spec does not show %q:\n%s", want, spec)
		}
	}
	// A field's page is its doc comment (line breaks are the terminal's).
	window := strings.Join(strings.Fields(explain("svy.spec.window")), " ")
	if want := "window is the rolling period scored, a whole number of days between 1 and 92 (24h..2208h)."; !strings.Contains(window, want) {
		t.Errorf("kubectl explain svy.spec.window does not print its doc comment %q:\n%s", want, window)
	}

	// The Journey documents its fields, the empty selector's meaning
	// included, and its status.
	for field, want := range map[string]string{
		"jny.spec.touchpointSelector":    "Left out, or empty ({}), it selects every Touchpoint of the namespace",
		"jny.spec.stages":                "Default: all ten.",
		"jny.spec.scorecardRef":          "reason ScorecardNotFound",
		"jny.status.stages.satisfaction": "satisfaction of the stage on the 0..100 scale",
		"jny.status.consistency.weakest": "named only when its interval does not overlap the best stage's",
		"svy.status.forecast":            "projects score one window ahead",
	} {
		if page := strings.Join(strings.Fields(explain(field)), " "); !strings.Contains(page, want) {
			t.Errorf("kubectl explain %s does not say %q:\n%s", field, want, page)
		}
	}
}
