//go:build tools

// Package tools pins golangci-lint v2, the linter `make lint` runs with the
// configuration in .golangci.yml at the repository root. golangci-lint
// documents `go install` as unsupported; building it from this module keeps
// its dependencies at the versions its own go.sum was tested with.
package tools

import _ "github.com/golangci/golangci-lint/v2/cmd/golangci-lint"
