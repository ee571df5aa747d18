# Touchstone Makefile.
#
# Every tool is pinned here or in a module under hack/tools and built into
# bin/ the first time it is needed (nothing is downloaded but Go modules).
# A binary already present at its pinned version is never rebuilt.

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

IMG ?= ghcr.io/touchstone-dev/touchstone:latest

# Pinned tool versions.
CONTROLLER_TOOLS_VERSION ?= v0.23.0
KUBERNETES_VERSION ?= 1.37.2
ETCD_VERSION ?= v3.6.16
PROMETHEUS_VERSION ?= 0.316.0
GOLANGCI_LINT_VERSION ?= v2.15.0

LOCALBIN ?= $(CURDIR)/bin
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen-$(CONTROLLER_TOOLS_VERSION)
ENVTEST_DIR ?= $(LOCALBIN)/k8s/$(KUBERNETES_VERSION)
KUBE_APISERVER ?= $(ENVTEST_DIR)/kube-apiserver
ETCD ?= $(ENVTEST_DIR)/etcd
# kubectl: the machine's own when it has one (the tests use the real
# kubectl users have); otherwise built at the pinned Kubernetes version.
KUBECTL ?= $(or $(shell command -v kubectl 2>/dev/null),$(ENVTEST_DIR)/kubectl)
PROMETHEUS_DIR ?= $(LOCALBIN)/prometheus-$(PROMETHEUS_VERSION)
PROMETHEUS ?= $(PROMETHEUS_DIR)/prometheus
PROMTOOL ?= $(PROMETHEUS_DIR)/promtool
GOLANGCI_LINT ?= $(LOCALBIN)/golangci-lint-$(GOLANGCI_LINT_VERSION)

# What the tests and the demo need from the environment.
export KUBEBUILDER_ASSETS := $(ENVTEST_DIR)
export TOUCHSTONE_PROMETHEUS := $(PROMETHEUS)
export TOUCHSTONE_PROMTOOL := $(PROMTOOL)
export TOUCHSTONE_KUBECTL := $(KUBECTL)

GO_BUILD_TOOL = go build -trimpath
PROM_VERSION_LDFLAGS = -X github.com/prometheus/common/version.Version=$(PROMETHEUS_VERSION)
# kube-apiserver reports this version in /version (kubectl and clients read it).
KUBE_VERSION_LDFLAGS = -X k8s.io/component-base/version.gitVersion=v$(KUBERNETES_VERSION) -X k8s.io/component-base/version.gitMajor=$(word 1,$(subst ., ,$(KUBERNETES_VERSION))) -X k8s.io/component-base/version.gitMinor=$(word 2,$(subst ., ,$(KUBERNETES_VERSION))) -X k8s.io/component-base/version.gitTreeState=clean
# golangci-lint reports these in `golangci-lint version`, as its release
# builds do (version without the v); main.date must be set or it replaces
# the version with the build's "(devel)". The date is the module's.
GOLANGCI_LINT_LDFLAGS = -X main.version=$(GOLANGCI_LINT_VERSION:v%=%) -X main.commit=github.com/golangci/golangci-lint/v2@$(GOLANGCI_LINT_VERSION)

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate CRDs and RBAC from the markers in api/ and controllers/.
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd paths="./..." output:crd:artifacts:config=config/crd/bases

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate DeepCopy methods.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./..."

.PHONY: fmt
fmt: ## Run gofmt on the code.
	gofmt -l -w $$(git ls-files '*.go' | grep -v '^hack/tools/')

.PHONY: vet
vet: ## Run go vet.
	go vet ./...

.PHONY: lint
lint: $(GOLANGCI_LINT) ## Run golangci-lint with .golangci.yml (part of verify, so CI runs it).
	$(GOLANGCI_LINT) run ./...

.PHONY: lint-fix
lint-fix: $(GOLANGCI_LINT) ## Run golangci-lint and apply the fixes it can make itself.
	$(GOLANGCI_LINT) run --fix ./...

.PHONY: verify
verify: manifests generate lint ## Fail when gofmt, go vet, golangci-lint or the generated files are not clean.
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	go vet ./...
	go mod tidy -diff
	@git diff --exit-code -- api config || { echo "generated files are stale: run make manifests generate and commit"; exit 1; }

.PHONY: test
test: manifests generate fmt vet tools ## Run all tests: unit, envtest (real kube-apiserver + etcd), real Prometheus, kubectl end to end.
	go test ./... -count=1 -timeout 30m

# How long each load benchmark runs (the issues' figures use 15s for the
# receiver and 60s for the collectors); the tally storage benchmark posts
# 1,000,000 responses at 60s and proportionally fewer below.
BENCH_DURATION ?= 60s
# How long the status cost benchmark observes each of its sizes: 3 minutes
# (three Touchpoint status intervals), unless BENCH_DURATION is given (CI's
# short run: make bench BENCH_DURATION=10s).
STATUS_BENCH_DURATION ?= $(if $(filter file,$(origin BENCH_DURATION)),3m,$(BENCH_DURATION))
# The status cost benchmark's sizes (Touchpoints) and the cold start's
# objects: the issue's scenario, or a fifth of it in the short run, which
# checks that the benchmarks work without their minutes of load.
STATUS_BENCH_SIZES ?= $(if $(filter file,$(origin BENCH_DURATION)),500$(comma)2000,100$(comma)400)
COLD_START_OBJECTS ?= $(if $(filter file,$(origin BENCH_DURATION)),3000,600)
comma := ,

# -p 1 runs one package at a time, so that no benchmark shares the two cores
# with another.
.PHONY: bench
bench: tools ## Run the benchmarks: receiver durable vs no storage (ratio), tally storage before/after compaction, collector schedule drift, status writes and their API-server cost, cold start, score engine.
	go test -run '^$$' -bench . -benchmem ./internal/stats/ ./internal/survey/ ./internal/journey/
	TOUCHSTONE_BENCH_DURATION=$(BENCH_DURATION) TOUCHSTONE_STATUS_BENCH_DURATION=$(STATUS_BENCH_DURATION) \
		TOUCHSTONE_STATUS_BENCH_SIZES=$(STATUS_BENCH_SIZES) TOUCHSTONE_BENCH_COLD_START_OBJECTS=$(COLD_START_OBJECTS) \
		go test -p 1 -run '^$$' -bench . -benchtime=1x -timeout 60m \
		./internal/receive/ ./internal/collect/ ./controllers/

##@ Build

.PHONY: build
build: manifests generate fmt vet ## Build the manager binary.
	go build -o $(LOCALBIN)/manager .

.PHONY: run
run: manifests generate ## Run the operator against the cluster in the current kubeconfig (install the CRDs first: make install).
	go run . --receiver-bind-address=:8082

DEMO_FLAGS ?=

.PHONY: demo
demo: tools ## Start a local control plane, the operator, the shop samples and a stream of responses, and show them.
	go run ./hack/demo $(DEMO_FLAGS)

.PHONY: docker-build
docker-build: ## Build the container image (needs a Docker engine).
	docker build -t $(IMG) .

##@ Deployment

.PHONY: install
install: manifests ## Install the CRDs into the cluster in the current kubeconfig.
	$(KUBECTL) apply --server-side -k config/crd

.PHONY: uninstall
uninstall: manifests ## Remove the CRDs (and every Touchstone object) from the cluster.
	$(KUBECTL) delete --ignore-not-found -k config/crd

.PHONY: deploy
deploy: manifests ## Deploy the operator with config/default.
	$(KUBECTL) apply --server-side -k config/default

##@ Tools (built from pinned modules into bin/, once)

.PHONY: tools
tools: $(CONTROLLER_GEN) $(KUBE_APISERVER) $(ETCD) $(KUBECTL) $(PROMETHEUS) $(PROMTOOL) $(GOLANGCI_LINT) ## Build every pinned tool that is missing.

$(CONTROLLER_GEN):
	@echo ">> building controller-gen $(CONTROLLER_TOOLS_VERSION) into bin/ (first time only)"
	@mkdir -p $(LOCALBIN)/.gobin
	GOBIN=$(LOCALBIN)/.gobin go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION)
	mv $(LOCALBIN)/.gobin/controller-gen $@

$(KUBE_APISERVER):
	@echo ">> building kube-apiserver v$(KUBERNETES_VERSION) into bin/ (first time only, about 4 minutes on 2 cores)"
	@mkdir -p $(ENVTEST_DIR)
	cd hack/tools/kubernetes && $(GO_BUILD_TOOL) -ldflags="-s -w $(KUBE_VERSION_LDFLAGS)" -o $@.tmp k8s.io/kubernetes/cmd/kube-apiserver
	mv $@.tmp $@

$(ENVTEST_DIR)/kubectl:
	@echo ">> building kubectl v$(KUBERNETES_VERSION) into bin/ (no kubectl on this machine; first time only)"
	@mkdir -p $(ENVTEST_DIR)
	cd hack/tools/kubernetes && $(GO_BUILD_TOOL) -ldflags="-s -w $(KUBE_VERSION_LDFLAGS)" -o $@.tmp k8s.io/kubernetes/cmd/kubectl
	mv $@.tmp $@

$(ETCD):
	@echo ">> building etcd $(ETCD_VERSION) into bin/ (first time only, about a minute)"
	@mkdir -p $(ENVTEST_DIR)
	cd hack/tools/etcd && $(GO_BUILD_TOOL) -ldflags="-s -w" -o $@.tmp go.etcd.io/etcd/server/v3
	mv $@.tmp $@

$(PROMETHEUS):
	@echo ">> building prometheus v$(PROMETHEUS_VERSION) into bin/ (first time only, about 2 minutes)"
	@mkdir -p $(PROMETHEUS_DIR)
	cd hack/tools/prometheus && $(GO_BUILD_TOOL) -tags remove_all_sd -ldflags="-s -w $(PROM_VERSION_LDFLAGS)" -o $@.tmp github.com/prometheus/prometheus/cmd/prometheus
	mv $@.tmp $@

$(PROMTOOL):
	@echo ">> building promtool v$(PROMETHEUS_VERSION) into bin/ (first time only)"
	@mkdir -p $(PROMETHEUS_DIR)
	cd hack/tools/prometheus && $(GO_BUILD_TOOL) -tags remove_all_sd -ldflags="-s -w $(PROM_VERSION_LDFLAGS)" -o $@.tmp github.com/prometheus/prometheus/cmd/promtool
	mv $@.tmp $@

$(GOLANGCI_LINT):
	@echo ">> building golangci-lint $(GOLANGCI_LINT_VERSION) into bin/ (first time only, about 2 minutes on 2 cores)"
	@mkdir -p $(LOCALBIN)
	cd hack/tools/golangci-lint && $(GO_BUILD_TOOL) -ldflags="-s -w $(GOLANGCI_LINT_LDFLAGS) -X main.date=$$(go list -m -f '{{.Time.Format "2006-01-02T15:04:05Z"}}' github.com/golangci/golangci-lint/v2)" -o $@.tmp github.com/golangci/golangci-lint/v2/cmd/golangci-lint
	mv $@.tmp $@
