package testenv

import "syscall"

// childProcAttr makes a child process die with the test binary, so that a
// test killed by its timeout leaves no server behind.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
