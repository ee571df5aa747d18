// Package testenv starts the real control plane the tests and the demo run
// against: kube-apiserver and etcd built by the Makefile into bin/, with the
// Touchstone CRDs installed. Nothing here is a fake.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// Pinned versions; the Makefile builds the binaries at these paths.
const (
	KubernetesVersion = "1.37.2"
	PrometheusVersion = "0.316.0"
)

// RepoRoot is the root of the Touchstone repository, found from this
// source file so that tests work from any package directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// AssetsDir is where kube-apiserver and etcd are: $KUBEBUILDER_ASSETS, or
// bin/k8s/<version> in the repository.
func AssetsDir() (string, error) {
	dir := os.Getenv("KUBEBUILDER_ASSETS")
	if dir == "" {
		dir = filepath.Join(RepoRoot(), "bin", "k8s", KubernetesVersion)
	}
	for _, b := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			return "", fmt.Errorf("%s not found in %s: run `make tools` (or `make test`) to build it", b, dir)
		}
	}
	return dir, nil
}

// PrometheusBinary is the path of the prometheus (or promtool) binary built
// by the Makefile: $TOUCHSTONE_PROMETHEUS / $TOUCHSTONE_PROMTOOL, or
// bin/prometheus-<version>/<name>.
func PrometheusBinary(name string) (string, error) {
	env := map[string]string{"prometheus": "TOUCHSTONE_PROMETHEUS", "promtool": "TOUCHSTONE_PROMTOOL"}[name]
	path := os.Getenv(env)
	if path == "" {
		path = filepath.Join(RepoRoot(), "bin", "prometheus-"+PrometheusVersion, name)
	}
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("%s not found at %s: run `make tools` (or `make test`) to build it", name, path)
	}
	return path, nil
}

// New returns an envtest environment that runs the pinned binaries and
// installs the CRDs from config/crd/bases.
func New() (*envtest.Environment, error) {
	dir, err := AssetsDir()
	if err != nil {
		return nil, err
	}
	return &envtest.Environment{
		BinaryAssetsDirectory:    dir,
		CRDDirectoryPaths:        []string{filepath.Join(RepoRoot(), "config", "crd", "bases")},
		ErrorIfCRDPathMissing:    true,
		ControlPlaneStartTimeout: 60 * time.Second,
		ControlPlaneStopTimeout:  30 * time.Second,
	}, nil
}

// Start starts a control plane with the CRDs installed.
func Start() (*envtest.Environment, *rest.Config, error) {
	env, err := New()
	if err != nil {
		return nil, nil, err
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, nil, fmt.Errorf("starting kube-apiserver and etcd: %w", err)
	}
	// Leave room for the many small writes the tests make.
	cfg.QPS, cfg.Burst = 500, 1000
	return env, cfg, nil
}

// AdminKubeconfig writes a kubeconfig for a cluster-admin user of env to
// path, for real kubectl.
func AdminKubeconfig(env *envtest.Environment, path string) error {
	user, err := env.AddUser(envtest.User{Name: "touchstone-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return err
	}
	data, err := user.KubeConfig()
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

// Kubectl is the kubectl the tests run: $TOUCHSTONE_KUBECTL, the one on
// PATH, or the one the Makefile builds into bin/ on machines without one.
func Kubectl() (string, error) {
	if p := os.Getenv("TOUCHSTONE_KUBECTL"); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath("kubectl"); err == nil {
		return p, nil
	}
	p := filepath.Join(RepoRoot(), "bin", "k8s", KubernetesVersion, "kubectl")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("no kubectl on PATH nor at %s: run `make tools`", p)
	}
	return p, nil
}
