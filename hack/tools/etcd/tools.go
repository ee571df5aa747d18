//go:build tools

// Package tools pins the etcd server that envtest runs beside kube-apiserver.
// The main package of etcd v3 is the module root go.etcd.io/etcd/server/v3.
package tools

import _ "go.etcd.io/etcd/server/v3"
