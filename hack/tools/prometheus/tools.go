//go:build tools

// Package tools pins the Prometheus server and promtool used by the
// integration tests. They are built with -tags remove_all_sd, which drops
// the cloud service-discovery plugins the tests never use.
package tools

import (
	_ "github.com/prometheus/prometheus/cmd/prometheus"
	_ "github.com/prometheus/prometheus/cmd/promtool"
)
