//go:build linux

package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lendscoreBin is the lendscore binary that TestMain builds (or $LENDSCORE_E2E_BIN).
var lendscoreBin string

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	if bin := os.Getenv("LENDSCORE_E2E_BIN"); bin != "" {
		// A binary built beforehand (make build), for a quick rerun of these tests.
		lendscoreBin = bin
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "lendscore-e2e-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	lendscoreBin = filepath.Join(dir, "lendscore")
	build := exec.Command("go", "build", "-o", lendscoreBin, "lendscore/cmd/lendscore")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build ./cmd/lendscore: %v\n", err)
		return 1
	}
	return m.Run()
}

// processTimeout bounds any one lendscore process; a run that hangs fails the test instead
// of the whole test binary.
const processTimeout = 4 * time.Minute

// baseEnv is the environment of every lendscore process: the test's own, without any AWS
// setting, with the shared AWS configuration files and the instance metadata service out of
// reach, so that only what a test sets applies.
func baseEnv(t testing.TB) []string {
	t.Helper()
	none := filepath.Join(t.TempDir(), "no-aws-config")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "GOMAXPROCS=") {
			env = append(env, kv)
		}
	}
	return append(env, "AWS_CONFIG_FILE="+none, "AWS_SHARED_CREDENTIALS_FILE="+none,
		"AWS_EC2_METADATA_DISABLED=true", "AWS_REGION=us-east-1")
}

// result is how a lendscore process ended and everything it wrote.
type result struct {
	args   []string
	exit   int            // exit status; -1 when a signal ended the process
	signal syscall.Signal // the signal that ended it, if one did
	stdout []byte
	stderr []byte
}

// String describes the result for test failures: the command, how it ended and the tail of
// its standard error.
func (r result) String() string {
	how := fmt.Sprintf("exit %d", r.exit)
	if r.exit < 0 {
		how = "killed by " + r.signal.String()
	}
	errTail := r.stderr
	if len(errTail) > 3000 {
		errTail = append([]byte("…"), errTail[len(errTail)-3000:]...)
	}
	return fmt.Sprintf("lendscore %s: %s\nstdout:\n%s\nstderr:\n%s", strings.Join(r.args, " "), how, r.stdout, errTail)
}

// process is a running lendscore.
type process struct {
	cmd   *exec.Cmd
	args  []string
	lines chan string // standard error, line by line, as it is written
	start time.Time

	mu     sync.Mutex
	stdout bytes.Buffer
	stderr bytes.Buffer

	exited chan struct{}
	res    result
}

// start starts lendscore with args in the environment env. Standard error is collected and
// handed out line by line on p.lines; the process is killed when the test ends.
func start(t testing.TB, env []string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(lendscoreBin, args...)
	cmd.Env = env
	// The kernel kills the process if the test binary dies first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p := &process{cmd: cmd, args: args, lines: make(chan string, 1<<16), exited: make(chan struct{})}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start lendscore: %v", err)
	}
	p.start = time.Now()
	var copying sync.WaitGroup
	copying.Add(2)
	go func() {
		defer copying.Done()
		b := make([]byte, 32<<10)
		for {
			n, err := outPipe.Read(b)
			p.mu.Lock()
			p.stdout.Write(b[:n])
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	go func() {
		defer copying.Done()
		defer close(p.lines)
		r := bufio.NewReader(errPipe)
		for {
			line, err := r.ReadString('\n')
			p.mu.Lock()
			p.stderr.WriteString(line)
			p.mu.Unlock()
			if line != "" {
				select {
				case p.lines <- strings.TrimRight(line, "\n"):
				default: // nobody listens; the line is in p.stderr anyway
				}
			}
			if err != nil {
				return
			}
		}
	}()
	go func() {
		copying.Wait()
		err := cmd.Wait()
		p.res = result{args: args, exit: cmd.ProcessState.ExitCode()}
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			p.res.exit, p.res.signal = -1, ws.Signal()
		}
		_ = err
		p.mu.Lock()
		p.res.stdout = bytes.Clone(p.stdout.Bytes())
		p.res.stderr = bytes.Clone(p.stderr.Bytes())
		p.mu.Unlock()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
	})
	return p
}

// signal sends sig to the process (nothing if it has exited).
func (p *process) signal(sig syscall.Signal) {
	select {
	case <-p.exited:
	default:
		p.cmd.Process.Signal(sig)
	}
}

// wait waits for the process to end (killing it after processTimeout) and checks that
// nothing it wrote holds a credential.
func (p *process) wait(t testing.TB) result {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(processTimeout - time.Since(p.start)):
		p.cmd.Process.Kill()
		<-p.exited
		t.Fatalf("lendscore %s: still running after %v; killed\n%s", strings.Join(p.args, " "), processTimeout, p.res)
	}
	checkNoSecrets(t, "the output of lendscore "+strings.Join(p.args, " "), append(bytes.Clone(p.res.stdout), p.res.stderr...))
	return p.res
}

// waitLine waits for the n-th line of standard error that match accepts and reports
// whether it came before the process ended.
func (p *process) waitLine(n int, match func(string) bool) bool {
	for line := range p.lines {
		if match(line) {
			n--
			if n == 0 {
				return true
			}
		}
	}
	return false
}

// lendscore runs lendscore to the end and returns the result.
func lendscore(t testing.TB, env []string, args ...string) result {
	t.Helper()
	return start(t, env, args...).wait(t)
}

// mustSucceed runs lendscore and fails the test unless it exits with status 0.
func mustSucceed(t testing.TB, env []string, args ...string) result {
	t.Helper()
	r := lendscore(t, env, args...)
	if r.exit != 0 {
		t.Fatalf("want success; %s", r)
	}
	return r
}

// secrets are the credentials of the S3 fixtures; nothing lendscore writes may hold one.
var secrets struct {
	sync.Mutex
	values map[string]string // secret → what it is
}

func registerSecret(value, what string) {
	secrets.Lock()
	defer secrets.Unlock()
	if secrets.values == nil {
		secrets.values = map[string]string{}
	}
	secrets.values[value] = what
}

// checkNoSecrets fails the test if data holds a registered credential, whole or in part
// (its first or last 12 characters).
func checkNoSecrets(t testing.TB, where string, data []byte) {
	t.Helper()
	secrets.Lock()
	defer secrets.Unlock()
	for v, what := range secrets.values {
		for _, s := range []string{v, v[:min(12, len(v))], v[max(0, len(v)-12):]} {
			if i := bytes.Index(data, []byte(s)); i >= 0 {
				from, to := max(0, i-80), min(len(data), i+len(s)+80)
				t.Errorf("%s holds the %s (%q): …%q…", where, what, s, data[from:to])
				break
			}
		}
	}
}

// writeFile writes a file below dir and returns its path.
func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// repoFile returns the path of a file of the repository.
func repoFile(t testing.TB, rel string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", rel))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	return p
}
