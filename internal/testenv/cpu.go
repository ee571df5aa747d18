package testenv

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// ControlPlaneCPU reads the CPU time (user + system) that the kube-apiserver
// and the etcd of env have used so far, from /proc, so that a benchmark can
// report what the operator's writes cost the control plane. It works on
// Linux only, and only for a started environment.
type ControlPlaneCPU struct {
	apiserver, etcd int
}

// NewControlPlaneCPU finds the processes of env's control plane.
func NewControlPlaneCPU(env *envtest.Environment) (*ControlPlaneCPU, error) {
	api := env.ControlPlane.GetAPIServer()
	port := api.Port
	if port == "" {
		return nil, fmt.Errorf("the API server of the environment has no secure port: is it started?")
	}
	etcdURL := ""
	if env.ControlPlane.Etcd != nil && env.ControlPlane.Etcd.URL != nil {
		etcdURL = (&url.URL{Scheme: env.ControlPlane.Etcd.URL.Scheme, Host: env.ControlPlane.Etcd.URL.Host}).String()
	}
	c := &ControlPlaneCPU{}
	procs, err := filepath.Glob("/proc/[0-9]*/cmdline")
	if err != nil {
		return nil, err
	}
	for _, p := range procs {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		args := strings.Split(string(bytes.TrimRight(data, "\x00")), "\x00")
		if len(args) == 0 {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		switch filepath.Base(args[0]) {
		case "kube-apiserver":
			if slices.Contains(args, "--secure-port="+port) {
				c.apiserver = pid
			}
		case "etcd":
			if etcdURL != "" && hasArgPrefix(args, "--listen-client-urls="+etcdURL) {
				c.etcd = pid
			}
		}
	}
	if c.apiserver == 0 {
		return nil, fmt.Errorf("no kube-apiserver process with --secure-port=%s in /proc", port)
	}
	return c, nil
}

func hasArgPrefix(args []string, prefix string) bool {
	for _, a := range args {
		if strings.HasPrefix(a, prefix) {
			return true
		}
	}
	return false
}

// Used returns the CPU time used so far by the API server and by etcd
// (zero when its process was not found).
func (c *ControlPlaneCPU) Used() (apiserver, etcd time.Duration, err error) {
	if apiserver, err = processCPU(c.apiserver); err != nil {
		return 0, 0, err
	}
	if c.etcd != 0 {
		if etcd, err = processCPU(c.etcd); err != nil {
			return 0, 0, err
		}
	}
	return apiserver, etcd, nil
}

// SelfCPU is the CPU time this process has used so far: in the tests and
// benchmarks, the operator (and the load it is given).
func SelfCPU() (time.Duration, error) { return processCPU(os.Getpid()) }

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times: 100 on every
// Linux architecture Go supports.
const clockTicks = 100

// processCPU is utime + stime of a process, from /proc/<pid>/stat.
func processCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: count fields
	// after its closing parenthesis. utime and stime are fields 14 and 15,
	// the 12th and 13th after it.
	rest := data[bytes.LastIndexByte(data, ')')+1:]
	fields := strings.Fields(string(rest))
	if len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	utime, err := strconv.ParseInt(fields[11], 10, 64)
	if err != nil {
		return 0, err
	}
	stime, err := strconv.ParseInt(fields[12], 10, 64)
	if err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}
