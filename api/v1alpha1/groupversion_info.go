// Package v1alpha1 contains the Touchstone API: Touchpoints, Surveys,
// Scorecards and the operator-owned ResponseTally records.
//
// +kubebuilder:object:generate=true
// +groupName=cx.touchstone.dev
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version of every Touchstone kind.
	GroupVersion = schema.GroupVersion{Group: "cx.touchstone.dev", Version: "v1alpha1"}

	// SchemeBuilder registers the Touchstone kinds with a runtime.Scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the Touchstone kinds to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
