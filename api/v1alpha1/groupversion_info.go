// Package v1alpha1 contains the Touchstone API: Touchpoints, Surveys,
// Scorecards, Journeys and the operator-owned ResponseTally records.
//
// +kubebuilder:object:generate=true
// +groupName=cx.touchstone.dev
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of every Touchstone kind.
	GroupVersion = schema.GroupVersion{Group: "cx.touchstone.dev", Version: "v1alpha1"}

	// SchemeBuilder registers the Touchstone kinds with a runtime.Scheme.
	// It is apimachinery's, so that importing the API costs no more than
	// apimachinery.
	SchemeBuilder runtime.SchemeBuilder
)

// AddToScheme adds the Touchstone kinds to a runtime.Scheme.
func AddToScheme(s *runtime.Scheme) error { return SchemeBuilder.AddToScheme(s) }

// register adds kinds of this group version to SchemeBuilder (called from
// each kind's init).
func register(objects ...runtime.Object) {
	SchemeBuilder.Register(func(s *runtime.Scheme) error {
		s.AddKnownTypes(GroupVersion, objects...)
		metav1.AddToGroupVersion(s, GroupVersion)
		return nil
	})
}
