package devenv_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/collect"
	"github.com/touchstone-dev/touchstone/internal/devenv"
	"github.com/touchstone-dev/touchstone/internal/fixtures"
	"github.com/touchstone-dev/touchstone/internal/secrets"
)

// TestSampleCollectorsReadTheSyntheticSources runs every http collector of
// config/samples (rendered by kubectl kustomize, with the sample Secrets)
// once against the synthetic sources of the demo, without a control
// plane: each must yield a value, read every page of its list (no
// maxPages warning) and pass CheckCollectors. The end-to-end test then
// sees them Ready through the operator.
func TestSampleCollectorsReadTheSyntheticSources(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	src, err := devenv.StartSources()
	if err != nil {
		t.Fatal(err)
	}
	defer src.Stop()
	rendered, err := devenv.RenderSamples(ctx, src.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	secretData := map[string]map[string]string{}
	var tps []cxv1alpha1.Touchpoint
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(rendered), 4096)
	for {
		var head struct{ Kind string }
		var raw map[string]any
		if err := dec.Decode(&raw); err != nil {
			break
		}
		b, err := json.Marshal(raw)
		if err != nil {
			t.Fatal(err)
		}
		_ = json.Unmarshal(b, &head)
		switch head.Kind {
		case "Secret":
			var s corev1.Secret
			if err := json.Unmarshal(b, &s); err != nil {
				t.Fatal(err)
			}
			secretData[s.Name] = s.StringData
		case "Touchpoint":
			var tp cxv1alpha1.Touchpoint
			if err := json.Unmarshal(b, &tp); err != nil {
				t.Fatal(err)
			}
			tps = append(tps, tp)
		}
	}
	if len(tps) < 12 {
		t.Fatalf("%d sample Touchpoints", len(tps))
	}
	env := collect.NewEnv(secrets.NewResolver(fixtures.SecretClient(t, "larkspur", secretData), time.Minute), collect.EnvOptions{})
	n := 0
	for _, tp := range tps {
		tp.Namespace = "larkspur"
		if err := collect.CheckCollectors(&tp.Spec); err != nil {
			t.Errorf("%s: %v", tp.Name, err)
		}
		for _, job := range collect.JobsFor(env, &tp) {
			r, ok := job.Runner.(*collect.HTTPRunner)
			if !ok {
				continue
			}
			n++
			rctx, cancel := context.WithTimeout(ctx, job.Timeout)
			out, err := r.Collect(rctx)
			cancel()
			switch {
			case err != nil:
				t.Errorf("%s/%s: %v", tp.Name, job.Name, err)
			case out.NoValue != "" || out.Warning != "":
				t.Errorf("%s/%s: %+v", tp.Name, job.Name, out)
			default:
				t.Logf("%s/%s: %s = %v", tp.Name, job.Name, job.Metric, out.Value)
			}
		}
	}
	if n < 20 {
		t.Errorf("only %d http collectors ran", n)
	}
}
