package devenv_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/internal/devenv"
	"github.com/touchstone-dev/touchstone/internal/testenv"
)

// TestEndToEnd runs Touchstone the way a platform team does: the samples
// applied with the real kubectl, survey tools posting to the receiver,
// kubectl waiting for Ready, kstatus reading health as Flux and Argo CD do,
// and a real Prometheus scraping the operator's HTTPS metrics endpoint with
// a service-account token.
func TestEndToEnd(t *testing.T) {
	g := NewWithT(t)
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapcore.ErrorLevel)))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	const ns = "larkspur"

	env, err := devenv.Start(ctx, devenv.Config{
		Dir: t.TempDir(), Namespace: ns, ReceiverAddr: "127.0.0.1:0", MetricsAddr: "127.0.0.1:0",
		SecureMetrics: true, Prometheus: true, ScrapeInterval: time.Second,
		Progress: testWriter{t}, Log: testWriter{t},
	})
	g.Expect(err).NotTo(HaveOccurred())
	defer env.Stop()

	// kubectl apply of the samples, and kubectl get cx lists every kind.
	g.Expect(env.ApplySamples(ctx)).To(Succeed())
	out, err := env.Kubectl(ctx, nil, "get", "cx", "-n", ns)
	g.Expect(err).NotTo(HaveOccurred())
	for _, kind := range []string{"touchpoint.cx.touchstone.dev/helpdesk", "survey.cx.touchstone.dev/relationship-nps",
		"scorecard.cx.touchstone.dev/customer-journey"} {
		g.Expect(out).To(ContainSubstring(kind))
	}

	// Survey tools answer: enough responses for every Survey to be Ready.
	responder := devenv.NewResponder(env.ReceiverURL, ns)
	for _, s := range devenv.SampleSurveys {
		g.Expect(responder.Post(ctx, s, 60)).To(Succeed())
	}

	// kubectl wait, as a deployment pipeline would.
	_, err = env.Kubectl(ctx, nil, "wait", "--for=condition=Ready", "--timeout=180s", "-n", ns,
		"touchpoints.cx.touchstone.dev,surveys.cx.touchstone.dev,scorecards.cx.touchstone.dev", "--all")
	if err != nil {
		// Say why each object is not Ready.
		out, _ := env.Kubectl(ctx, nil, "get", "touchpoints,surveys,scorecards", "-n", ns, "-o",
			`jsonpath={range .items[*]}{.kind}/{.metadata.name}: {.status.conditions[?(@.type=="Ready")].reason}: {.status.conditions[?(@.type=="Ready")].message}{"\n"}{end}`)
		t.Log(out)
	}
	g.Expect(err).NotTo(HaveOccurred())

	// kstatus reads every object as Current...
	for _, resource := range []string{"touchpoints", "surveys", "scorecards"} {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(schema.GroupVersionKind{Group: "cx.touchstone.dev", Version: "v1alpha1", Kind: kindOf(resource) + "List"})
		g.Expect(env.Client.List(ctx, list, client.InNamespace(ns))).To(Succeed())
		g.Expect(list.Items).NotTo(BeEmpty())
		for i := range list.Items {
			res, err := status.Compute(&list.Items[i])
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(res.Status).To(Equal(status.CurrentStatus), "%s/%s: %s", resource, list.Items[i].GetName(), res.Message)
		}
	}
	// ...and as InProgress while the operator has not seen a new
	// generation: the object returned by the update has the new
	// generation and the old observedGeneration.
	tp := &unstructured.Unstructured{}
	tp.SetGroupVersionKind(cxv1alpha1.GroupVersion.WithKind("Touchpoint"))
	// Retried on conflict: the operator writes the Touchpoint's status.
	g.Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "helpdesk"}, tp); err != nil {
			return err
		}
		g.Expect(unstructured.SetNestedField(tp.Object, "Tickets by email, chat and phone.", "spec", "description")).To(Succeed())
		return env.Client.Update(ctx, tp)
	})).To(Succeed())
	res, err := status.Compute(tp)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(res.Status).To(Equal(status.InProgressStatus), res.Message)
	g.Eventually(func() status.Status {
		g.Expect(env.Client.Get(ctx, client.ObjectKeyFromObject(tp), tp)).To(Succeed())
		res, err := status.Compute(tp)
		g.Expect(err).NotTo(HaveOccurred())
		return res.Status
	}).WithTimeout(60 * time.Second).Should(Equal(status.CurrentStatus))

	// Prometheus scraped the operator (HTTPS, token checked by the API
	// server): its numbers are the ones in status.
	for _, c := range []struct {
		query string
		obj   client.Object
	}{
		{`cx_survey_score{namespace="larkspur",survey="relationship-nps"}`, &cxv1alpha1.Survey{}},
		{`cx_survey_score{namespace="larkspur",survey="support-csat"}`, &cxv1alpha1.Survey{}},
		{`cx_scorecard_score{namespace="larkspur",scorecard="customer-journey"}`, &cxv1alpha1.Scorecard{}},
		{`cx_scorecard_score{namespace="larkspur",scorecard="support-experience"}`, &cxv1alpha1.Scorecard{}},
	} {
		name := c.query[strings.LastIndex(c.query, `="`)+2 : len(c.query)-2]
		g.Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, c.obj)).To(Succeed())
		var shown string
		switch o := c.obj.(type) {
		case *cxv1alpha1.Survey:
			shown = o.Status.Score
		case *cxv1alpha1.Scorecard:
			shown = o.Status.Score
		}
		want, err := strconv.ParseFloat(shown, 64)
		g.Expect(err).NotTo(HaveOccurred(), "%s shows score %q", name, shown)
		// Status shows the number rounded to one decimal (scores) or two
		// (scorecards); Prometheus has it whole.
		g.Eventually(func() (float64, error) { return env.Prometheus.Query(ctx, c.query) }).
			WithTimeout(60*time.Second).Should(BeNumerically("~", want, 0.0501), c.query)
	}

	// The production manifests render.
	for _, dir := range []string{"config/default", "config/samples", "config/crd", "config/rbac", "config/grafana"} {
		out, err := env.Kubectl(ctx, nil, "kustomize", filepath.Join(testenv.RepoRoot(), dir))
		g.Expect(err).NotTo(HaveOccurred(), dir)
		if dir == "config/default" {
			// Two receivers never down together, and the API server
			// accepts the Deployment and its budget as they are.
			dep, pdb := expectHighlyAvailable(g, out)
			g.Expect(env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: dep.Namespace}})).To(Succeed())
			g.Expect(env.Client.Create(ctx, dep, client.DryRunAll)).To(Succeed())
			g.Expect(env.Client.Create(ctx, pdb, client.DryRunAll)).To(Succeed())
		}
	}
}

func kindOf(resource string) string {
	return map[string]string{"touchpoints": "Touchpoint", "surveys": "Survey", "scorecards": "Scorecard"}[resource]
}

// testWriter sends progress and logs to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
