package devenv_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/touchstone-dev/touchstone/controllers"
	"github.com/touchstone-dev/touchstone/internal/testenv"
)

// TestTheDefaultDeploymentNeverTakesBothReceiversDown checks what
// `kubectl kustomize config/default` deploys; the end-to-end test checks
// the same output and has the API server accept it.
func TestTheDefaultDeploymentNeverTakesBothReceiversDown(t *testing.T) {
	kubectl, err := testenv.Kubectl()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, kubectl, "kustomize", filepath.Join(testenv.RepoRoot(), "config", "default"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kubectl kustomize config/default: %v: %s", err, stderr.String())
	}
	expectHighlyAvailable(NewWithT(t), string(out))
}

// expectHighlyAvailable checks the manager's Deployment and its
// PodDisruptionBudget in rendered manifests: two replicas that a rolling
// update, a node drain or a node failure never take down together, and a
// grace period that covers the graceful stop the flags ask for. It returns
// both objects.
func expectHighlyAvailable(g Gomega, manifests string) (*appsv1.Deployment, *policyv1.PodDisruptionBudget) {
	var dep appsv1.Deployment
	var pdb policyv1.PodDisruptionBudget
	found := map[string]bool{}
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(manifests), 4096)
	for {
		var u unstructured.Unstructured
		err := dec.Decode(&u.Object)
		if errors.Is(err, io.EOF) {
			break
		}
		g.Expect(err).NotTo(HaveOccurred())
		var into any
		switch u.GetKind() {
		case "Deployment":
			into = &dep
		case "PodDisruptionBudget":
			into = &pdb
		default:
			continue
		}
		g.Expect(found[u.GetKind()]).To(BeFalse(), "one %s", u.GetKind())
		found[u.GetKind()] = true
		g.Expect(runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, into, true)).To(Succeed(), u.GetKind())
	}
	g.Expect(found).To(HaveKey("Deployment"))
	g.Expect(found).To(HaveKey("PodDisruptionBudget"))
	podLabels := labels.Set(dep.Spec.Template.Labels)
	selects := func(sel *metav1.LabelSelector) bool {
		s, err := metav1.LabelSelectorAsSelector(sel)
		g.Expect(err).NotTo(HaveOccurred())
		return !s.Empty() && s.Matches(podLabels)
	}

	// A rolling update starts a new replica before it stops an old one.
	g.Expect(*dep.Spec.Replicas).To(BeNumerically(">=", 2))
	g.Expect(dep.Spec.Strategy.Type).To(Equal(appsv1.RollingUpdateDeploymentStrategyType))
	g.Expect(*dep.Spec.Strategy.RollingUpdate.MaxUnavailable).To(Equal(intstr.FromInt32(0)))
	g.Expect(*dep.Spec.Strategy.RollingUpdate.MaxSurge).To(Equal(intstr.FromInt32(1)))

	// A drain evicts one replica at a time.
	g.Expect(pdb.Namespace).To(Equal(dep.Namespace))
	g.Expect(*pdb.Spec.MaxUnavailable).To(Equal(intstr.FromInt32(1)))
	g.Expect(selects(pdb.Spec.Selector)).To(BeTrue(), "the budget selects the manager's pods")

	// Spread over nodes (required) and zones (preferred).
	spread := map[string]corev1.TopologySpreadConstraint{}
	for _, c := range dep.Spec.Template.Spec.TopologySpreadConstraints {
		g.Expect(selects(c.LabelSelector)).To(BeTrue(), "the %s constraint selects the manager's pods", c.TopologyKey)
		g.Expect(c.MaxSkew).To(Equal(int32(1)))
		g.Expect(c.MatchLabelKeys).To(ContainElement("pod-template-hash"), "each revision spreads on its own")
		spread[c.TopologyKey] = c
	}
	g.Expect(spread).To(HaveKey(corev1.LabelHostname))
	g.Expect(spread[corev1.LabelHostname].WhenUnsatisfiable).To(Equal(corev1.DoNotSchedule))
	g.Expect(spread[corev1.LabelHostname].NodeTaintsPolicy).To(HaveValue(Equal(corev1.NodeInclusionPolicyHonor)), "a cordoned node must not block a drain")
	g.Expect(spread).To(HaveKey(corev1.LabelTopologyZone))
	g.Expect(spread[corev1.LabelTopologyZone].WhenUnsatisfiable).To(Equal(corev1.ScheduleAnyway))

	// The manager's flags, as main reads them, and the pod around them.
	pod := dep.Spec.Template.Spec
	g.Expect(pod.Containers).To(HaveLen(1))
	mgr := pod.Containers[0]
	var o controllers.RunOptions
	fs := flag.NewFlagSet("touchstone", flag.ContinueOnError)
	o.BindFlags(fs)
	g.Expect(fs.Parse(mgr.Args)).To(Succeed(), "the manager's args are flags main knows")
	g.Expect(o.LeaderElection.Enabled).To(BeTrue())
	g.Expect(mgr.Env).To(ContainElement(corev1.EnvVar{Name: "POD_NAMESPACE", ValueFrom: &corev1.EnvVarSource{
		FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}}), "the Lease namespace")
	// The graceful stop is built in: a preStop hook would add to it.
	g.Expect(mgr.Lifecycle).To(BeNil())
	g.Expect(time.Duration(*pod.TerminationGracePeriodSeconds)*time.Second).To(BeNumerically(">", o.ShutdownTimeout()),
		"terminationGracePeriodSeconds must cover the graceful stop")
	g.Expect(mgr.ReadinessProbe.HTTPGet.Path).To(Equal("/readyz"))
	probePort := slices.IndexFunc(mgr.Ports, func(p corev1.ContainerPort) bool { return p.Name == mgr.ReadinessProbe.HTTPGet.Port.StrVal })
	g.Expect(probePort).To(BeNumerically(">=", 0), "the readiness probe's port is named")
	g.Expect(o.HealthProbeBindAddress).To(HaveSuffix(":%d", mgr.Ports[probePort].ContainerPort), "the probe port")
	// The probe fails within the shutdown delay once the receiver stops
	// (the first failed probe after it, at most one period later).
	g.Expect(time.Duration(mgr.ReadinessProbe.PeriodSeconds*mgr.ReadinessProbe.FailureThreshold) * time.Second).
		To(BeNumerically("<=", o.Receiver.ShutdownDelay))
	return &dep, &pdb
}
