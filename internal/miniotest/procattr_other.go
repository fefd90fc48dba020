//go:build !linux

package miniotest

import "os/exec"

// setProcAttr does nothing where the kernel cannot tie minio's life to the test binary's;
// Main and t.Cleanup still stop it.
func setProcAttr(cmd *exec.Cmd) {}
