//go:build tools

// Package tools pins the Prometheus server and promtool used by the
// integration tests. They are built with -tags remove_all_sd, which drops
// the cloud service-discovery plugins the tests never use. go.mod was made
// with `go get -tags remove_all_sd` and is deliberately not tidy: `go mod
// tidy` ignores build tags and wants service-discovery modules the module
// proxy does not serve.
package tools

import (
	_ "github.com/prometheus/prometheus/cmd/prometheus"
	_ "github.com/prometheus/prometheus/cmd/promtool"
)
