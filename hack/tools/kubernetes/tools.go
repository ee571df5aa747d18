//go:build tools

// Package tools pins k8s.io/kubernetes so that `go build` can produce the
// kube-apiserver binary envtest runs (and kubectl, on machines without
// one). k8s.io/kubernetes replaces its staging modules with local paths,
// which `go install pkg@version` refuses, so this module re-points each of
// them at the published version of the same release.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
