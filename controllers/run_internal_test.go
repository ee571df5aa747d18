package controllers

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/client-go/rest"
)

func TestRunFlagsDefaultToControllerRuntimesLeaseSettings(t *testing.T) {
	g := NewWithT(t)
	var o RunOptions
	fs := flag.NewFlagSet("touchstone", flag.ContinueOnError)
	o.BindFlags(fs)
	g.Expect(fs.Parse(nil)).To(Succeed())
	g.Expect(o.LeaderElection).To(Equal(LeaderElectionOptions{
		ID: DefaultLeaderElectionID, LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 2 * time.Second,
	}))
	g.Expect(o.Receiver.ShutdownDelay).To(Equal(10 * time.Second))
	g.Expect(o.LeaderElection.validate()).To(Succeed(), "the defaults are valid")
	// 10s delay + 10s commit timeout + 15s: config/manager's
	// terminationGracePeriodSeconds (45) is longer.
	g.Expect(o.ShutdownTimeout()).To(Equal(35 * time.Second))

	g.Expect(fs.Parse([]string{"--leader-elect", "--leader-election-namespace=ops", "--leader-election-lease-duration=30s",
		"--leader-election-renew-deadline=20s", "--leader-election-retry-period=4s", "--receiver-shutdown-delay=20s"})).To(Succeed())
	g.Expect(o.LeaderElection).To(Equal(LeaderElectionOptions{
		Enabled: true, ID: DefaultLeaderElectionID, Namespace: "ops",
		LeaseDuration: 30 * time.Second, RenewDeadline: 20 * time.Second, RetryPeriod: 4 * time.Second,
	}))
	g.Expect(o.Receiver.ShutdownDelay).To(Equal(20 * time.Second))
}

func TestManagerOptionsReleaseTheLeaseAndBoundTheStop(t *testing.T) {
	g := NewWithT(t)
	o := DefaultRunOptions()
	o.LeaderElection.Enabled = true
	o.LeaderElection.Namespace = "ops"
	mo, err := o.managerOptions()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(mo.LeaderElection).To(BeTrue())
	g.Expect(mo.LeaderElectionNamespace).To(Equal("ops"))
	g.Expect(mo.LeaderElectionID).To(Equal(DefaultLeaderElectionID))
	g.Expect(mo.LeaderElectionReleaseOnCancel).To(BeTrue())
	g.Expect(*mo.LeaseDuration).To(Equal(15 * time.Second))
	g.Expect(*mo.RenewDeadline).To(Equal(10 * time.Second))
	g.Expect(*mo.RetryPeriod).To(Equal(2 * time.Second))
	g.Expect(*mo.GracefulShutdownTimeout).To(Equal(35 * time.Second))
	g.Expect(mo.Client.Cache).NotTo(BeNil(), "ManagerOptions applied")

	// Without a receiver there is nothing to drain: no delay.
	o.Receiver.BindAddress = "0"
	g.Expect(o.ShutdownTimeout()).To(Equal(25 * time.Second))
	// Without leader election, no namespace is needed.
	o.LeaderElection = LeaderElectionOptions{}
	mo, err = o.managerOptions()
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(mo.LeaderElection).To(BeFalse())
}

func TestLeaderElectionSettingsAreCheckedAndNameTheFlag(t *testing.T) {
	ok := LeaderElectionOptions{Enabled: true, LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 2 * time.Second}
	for _, c := range []struct {
		name   string
		change func(*LeaderElectionOptions)
		want   string
	}{
		{"fraction of a second", func(o *LeaderElectionOptions) { o.LeaseDuration = 15500 * time.Millisecond },
			"--leader-election-lease-duration must be a whole number of seconds"},
		{"under a second", func(o *LeaderElectionOptions) { o.LeaseDuration = 0 }, "--leader-election-lease-duration must be a whole number of seconds, at least 1s"},
		{"no retry period", func(o *LeaderElectionOptions) { o.RetryPeriod = 0 }, "--leader-election-retry-period must be positive"},
		// 14s + 2s ≥ 15s: a leader cut off could still lead when a
		// standby takes over.
		{"renewing past the lease", func(o *LeaderElectionOptions) { o.RenewDeadline = 14 * time.Second },
			"--leader-election-renew-deadline (14s) plus --leader-election-retry-period (2s) must be shorter than --leader-election-lease-duration (15s)"},
		// 2.4s ≤ 1.2 × 2s.
		{"renew deadline within a jittered retry", func(o *LeaderElectionOptions) { o.RenewDeadline = 2400 * time.Millisecond },
			"--leader-election-renew-deadline (2.4s) must be longer than 1.2 × --leader-election-retry-period (2s)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := ok
			c.change(&o)
			NewWithT(t).Expect(o.validate()).To(MatchError(ContainSubstring(c.want)))
		})
	}
	NewWithT(t).Expect(ok.validate()).To(Succeed())
}

func TestTheLeaseNamespaceIsThePodsNamespace(t *testing.T) {
	dir := t.TempDir()
	saFile := filepath.Join(dir, "namespace")
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "POD_NAMESPACE" {
				return v
			}
			return ""
		}
	}
	g := NewWithT(t)

	// Outside a pod: a clear error naming the flag.
	_, err := leaseNamespace("", env(""), saFile)
	g.Expect(err).To(MatchError(ContainSubstring("--leader-elect needs the namespace of its Lease: set --leader-election-namespace")))
	// The flag wins; then POD_NAMESPACE; then the service-account file.
	g.Expect(os.WriteFile(saFile, []byte("touchstone-system\n"), 0o600)).To(Succeed())
	g.Expect(leaseNamespace("ops", env("from-env"), saFile)).To(Equal("ops"))
	g.Expect(leaseNamespace("", env("from-env"), saFile)).To(Equal("from-env"))
	g.Expect(leaseNamespace("", env(""), saFile)).To(Equal("touchstone-system"))
	// An unreadable file is reported, with the flag to set.
	_, err = leaseNamespace("", env(""), dir)
	g.Expect(err).To(MatchError(ContainSubstring("reading the pod's namespace from " + dir)))
	g.Expect(err).To(MatchError(ContainSubstring("set --leader-election-namespace")))
}

// Run, as main calls it, refuses to start leader election outside a pod
// without a namespace, before it contacts the API server.
func TestRunOutsideAPodWithLeaderElectionNamesTheFlag(t *testing.T) {
	if _, err := os.Stat(serviceAccountNamespaceFile); err == nil {
		t.Skip("running in a pod")
	}
	t.Setenv("POD_NAMESPACE", "")
	o := DefaultRunOptions()
	o.LeaderElection.Enabled = true
	err := Run(context.Background(), &rest.Config{Host: "https://127.0.0.1:1"}, o)
	NewWithT(t).Expect(err).To(MatchError(ContainSubstring("set --leader-election-namespace")))
}
