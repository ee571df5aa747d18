package controllers

import (
	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	cxv1alpha1 "github.com/touchstone-dev/touchstone/api/v1alpha1"
)

// ManagerOptions completes the manager options with the cache settings the
// controllers rely on; main and the tests both use it.
//   - Secrets are never cached: they are read one by one (RBAC get only).
//   - ResponseTallies are cached without their response-id hashes and
//     managed fields: the controllers only sum counts, and the hashes are
//     most of a tally's size. The receiver reads them uncached.
func ManagerOptions(o ctrl.Options) ctrl.Options {
	o.Client.Cache = &client.CacheOptions{DisableFor: []client.Object{&corev1.Secret{}}}
	if o.Cache.ByObject == nil {
		o.Cache.ByObject = map[client.Object]cache.ByObject{}
	}
	o.Cache.DefaultTransform = cache.TransformStripManagedFields()
	o.Cache.ByObject[&cxv1alpha1.ResponseTally{}] = cache.ByObject{Transform: stripResponseIDs}
	return o
}

// stripResponseIDs drops what the cache does not need of a tally.
func stripResponseIDs(obj any) (any, error) {
	if t, ok := obj.(*cxv1alpha1.ResponseTally); ok {
		t.ResponseIDs = nil
		t.ManagedFields = nil
	}
	return obj, nil
}
