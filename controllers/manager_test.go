package controllers_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
	"github.com/touchstone-dev/touchstone/controllers"
	"github.com/touchstone-dev/touchstone/internal/testenv"
)

// TestCacheHoldsNoManagedFieldsNorResponseIDs reads, through a cache
// configured by ManagerOptions (as main configures it), one object of
// every Touchstone kind (the samples, and a tally with 1,000 response ids)
// and the metadata of a CRD (the Scorecard controller watches CRDs): none
// keeps its managed fields, and the tally keeps its counts but not its
// ids, most of its size.
func TestCacheHoldsNoManagedFieldsNorResponseIDs(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)

	// One object of every kind, written as a user or the operator would:
	// each write records managed fields.
	var objs []*unstructured.Unstructured
	samples, err := filepath.Glob(filepath.Join(testenv.RepoRoot(), "config", "samples", "*.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	for _, path := range samples {
		f, err := os.Open(path)
		g.Expect(err).NotTo(HaveOccurred())
		dec := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
		for {
			u := &unstructured.Unstructured{}
			if err := dec.Decode(&u.Object); err != nil {
				break
			}
			if u.GroupVersionKind().Group == cxv1alpha1.GroupVersion.Group {
				u.SetNamespace(ns)
				objs = append(objs, u)
			}
		}
		g.Expect(f.Close()).To(Succeed())
	}
	ids := make([]byte, 8*1000)
	for i := range ids {
		ids[i] = byte(i * 7)
	}
	day := time.Now().UTC().Format(time.DateOnly)
	tally := &cxv1alpha1.ResponseTally{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "nps-today-0-0", Labels: map[string]string{
			cxv1alpha1.LabelSurveyUID: "uid", cxv1alpha1.LabelDay: day, cxv1alpha1.LabelLane: "0"}},
		Survey: "nps", SurveyUID: "uid", Day: day, ScaleMin: 0, ScaleMax: 10, Counts: "9:600 10:400", Responses: 1000,
		Segments:    []cxv1alpha1.SegmentTally{{Name: "plan", Values: []cxv1alpha1.SegmentValueTally{{Value: "pro", Counts: "9:600 10:400"}}}},
		ResponseIDs: ids, State: cxv1alpha1.TallySealed, LastReceived: new(metav1.Now()),
	}
	g.Expect(k8s.Create(ctx, tally)).To(Succeed())
	covered := map[string]bool{"ResponseTally": true}
	for _, u := range objs {
		g.Expect(k8s.Create(ctx, u)).To(Succeed(), "%s %s", u.GetKind(), u.GetName())
		covered[u.GetKind()] = true
	}
	// Every kind of the group is covered: a new kind needs a sample.
	apiPackage := reflect.TypeFor[cxv1alpha1.Survey]().PkgPath()
	for gvk, typ := range scheme.AllKnownTypes() {
		if typ.PkgPath() == apiPackage && !strings.HasSuffix(gvk.Kind, "List") && !covered[gvk.Kind] {
			t.Errorf("kind %s has no sample in config/samples: its cached objects are not checked", gvk.Kind)
		}
	}

	mgr, err := ctrl.NewManager(cfg, controllers.ManagerOptions(ctrl.Options{
		Scheme: scheme, Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0",
	}))
	g.Expect(err).NotTo(HaveOccurred())
	mctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = mgr.Start(mctx) }()
	defer func() { stop(); <-done }()
	cache := mgr.GetCache()

	for _, u := range objs {
		obj, err := scheme.New(u.GroupVersionKind())
		g.Expect(err).NotTo(HaveOccurred())
		cached := obj.(client.Object)
		g.Eventually(func() error { return cache.Get(ctx, client.ObjectKeyFromObject(u), cached) }).
			WithTimeout(30 * time.Second).Should(Succeed())
		g.Expect(cached.GetManagedFields()).To(BeEmpty(), "%s %s keeps its managed fields in the cache", u.GetKind(), u.GetName())
	}

	var fromAPI, cached cxv1alpha1.ResponseTally
	g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(tally), &fromAPI)).To(Succeed())
	g.Expect(fromAPI.ManagedFields).NotTo(BeEmpty(), "the API server records managed fields (or this test proves nothing)")
	g.Eventually(func() error { return cache.Get(ctx, client.ObjectKeyFromObject(tally), &cached) }).
		WithTimeout(30 * time.Second).Should(Succeed())
	g.Expect(cached.ManagedFields).To(BeEmpty())
	g.Expect(cached.ResponseIDs).To(BeEmpty())
	g.Expect(cached.Counts).To(Equal(fromAPI.Counts))
	g.Expect(cached.Segments).To(Equal(fromAPI.Segments))
	g.Expect(cached.UID).To(Equal(fromAPI.UID), "readers match superseded tallies by uid")
	apiSize, cachedSize := jsonSize(t, &fromAPI), jsonSize(t, &cached)
	t.Logf("a tally of 1,000 responses: %d bytes from the API server, %d in the cache", apiSize, cachedSize)
	g.Expect(cachedSize*10).To(BeNumerically("<", apiSize), "the cached tally is not a tenth of the stored one")

	crd := &metav1.PartialObjectMetadata{}
	crd.SetGroupVersionKind(schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"})
	g.Eventually(func() error {
		return cache.Get(ctx, client.ObjectKey{Name: "responsetallies.cx.touchstone.dev"}, crd)
	}).WithTimeout(30 * time.Second).Should(Succeed())
	g.Expect(crd.ManagedFields).To(BeEmpty(), "CRD metadata keeps its managed fields in the cache")
	stored := crd.DeepCopy()
	g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(crd), stored)).To(Succeed())
	g.Expect(stored.ManagedFields).NotTo(BeEmpty(), "the CRD has managed fields on the server")
}

func jsonSize(t *testing.T, obj any) int {
	data, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	return len(data)
}
