package miniotest

import (
	"os/exec"
	"syscall"
)

// setProcAttr makes the kernel kill minio if the test binary dies without cleaning up
// (a panic or a -timeout), so that no server outlives its tests.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
