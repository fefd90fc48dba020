// Package miniotest runs a real MinIO server on 127.0.0.1 for tests of code that talks to
// S3, so that those tests exercise the AWS SDK, signing, multipart uploads and ranged reads
// against a real S3 implementation instead of a mock.
//
// Starting MinIO costs a second or two, so a test binary should share one server:
//
//	func TestMain(m *testing.M) { miniotest.Main(m) }
//
//	func TestUpload(t *testing.T) {
//		srv := miniotest.Start(t) // a fresh bucket on the shared server; AWS_* env set
//		…
//	}
//
// Without Main, Start runs a server of its own for each test and stops it when the test
// ends. Start sets the AWS_* environment with t.Setenv, so tests that call it cannot run in
// parallel.
//
// The binary is $LENDSCORE_MINIO, else $(go env GOPATH)/bin/minio, else minio on PATH
// (scripts/minio.sh installs the pinned version). When it is missing, Start skips the test,
// or fails it when $CI is set or LENDSCORE_REQUIRE_MINIO=1.
package miniotest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// InstallHint says how to get the MinIO binary that the tests use.
const InstallHint = "install the pinned MinIO with scripts/minio.sh " +
	"(go install github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c), " +
	"or point LENDSCORE_MINIO at a minio binary"

// Region is the region the server and the test environment use.
const Region = "us-east-1"

// Server is a running MinIO server, seen from one test: Bucket belongs to that test.
type Server struct {
	// Endpoint is the server's URL, such as http://127.0.0.1:41234.
	Endpoint string
	// Bucket is an empty bucket created for the test that called Start.
	Bucket string
	// AccessKey and SecretKey are the server's root credentials (random per server).
	AccessKey string
	SecretKey string
	// KMSKeyID names the server's built-in KMS key, so that SSE-S3 and SSE-KMS writes work.
	KMSKeyID string

	proc *process
}

// NewBucket creates another empty bucket on the server and returns its name.
func (s *Server) NewBucket(t testing.TB) string {
	t.Helper()
	name := bucketName(t.Name())
	if err := s.proc.createBucket(name); err != nil {
		t.Fatalf("miniotest: %v", err)
	}
	return name
}

// Client returns an S3 client for the server, independent of the environment, for tests
// that check what landed in the store (such as leftover multipart uploads).
func (s *Server) Client() *s3.Client { return s.proc.client() }

// shared is the server of a test binary that runs under Main; nil otherwise.
var shared struct {
	enabled bool
	once    sync.Once
	proc    *process
	err     error
}

// Main runs the tests of m with one MinIO server shared by every test that calls Start,
// started on first use, stops it, and exits with the tests' status. Call it from TestMain.
func Main(m *testing.M) {
	shared.enabled = true
	code := m.Run()
	if shared.proc != nil {
		shared.proc.stop()
	}
	os.Exit(code)
}

// Start returns the MinIO server for test t with a fresh bucket, and points the AWS
// environment of the test at it: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_ENDPOINT_URL_S3 and AWS_REGION are set, and shared AWS config files, profiles and
// session tokens are hidden.
func Start(t testing.TB) *Server {
	t.Helper()
	var proc *process
	if shared.enabled {
		shared.once.Do(func() { shared.proc, shared.err = startProcess() })
		if shared.err != nil {
			fail(t, shared.err)
		}
		proc = shared.proc
	} else {
		p, err := startProcess()
		if err != nil {
			fail(t, err)
		}
		t.Cleanup(p.stop)
		proc = p
	}
	srv := &Server{
		Endpoint:  proc.endpoint,
		AccessKey: proc.accessKey,
		SecretKey: proc.secretKey,
		KMSKeyID:  proc.kmsKeyID,
		proc:      proc,
	}
	srv.Bucket = srv.NewBucket(t)

	none := filepath.Join(t.TempDir(), "no-aws-config")
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           srv.AccessKey,
		"AWS_SECRET_ACCESS_KEY":       srv.SecretKey,
		"AWS_SESSION_TOKEN":           "",
		"AWS_ENDPOINT_URL_S3":         srv.Endpoint,
		"AWS_ENDPOINT_URL":            "",
		"AWS_REGION":                  Region,
		"AWS_DEFAULT_REGION":          "",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             none,
		"AWS_SHARED_CREDENTIALS_FILE": none,
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
	return srv
}

// errNoBinary reports a missing MinIO binary.
var errNoBinary = errors.New("minio binary not found")

func fail(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, errNoBinary) {
		if os.Getenv("CI") != "" || os.Getenv("LENDSCORE_REQUIRE_MINIO") == "1" {
			t.Fatalf("miniotest: %v; %s", err, InstallHint)
		}
		t.Skipf("miniotest: %v; %s (skipping; set LENDSCORE_REQUIRE_MINIO=1 to fail instead)", err, InstallHint)
	}
	t.Fatalf("miniotest: %v", err)
}

// Binary returns the path of the MinIO binary the tests use.
func Binary() (string, error) {
	if p := os.Getenv("LENDSCORE_MINIO"); p != "" {
		if isExecutable(p) {
			return p, nil
		}
		return "", fmt.Errorf("%w: LENDSCORE_MINIO=%s is not an executable file", errNoBinary, p)
	}
	if gopath := goPath(); gopath != "" {
		for _, dir := range filepath.SplitList(gopath) {
			if p := filepath.Join(dir, "bin", "minio"); isExecutable(p) {
				return p, nil
			}
		}
	}
	if p, err := exec.LookPath("minio"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%w (looked at $LENDSCORE_MINIO, $(go env GOPATH)/bin and $PATH)", errNoBinary)
}

func goPath() string {
	if p := os.Getenv("GOPATH"); p != "" {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		return strings.TrimSpace(string(out))
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, "go")
	}
	return ""
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// process is one running minio server.
type process struct {
	endpoint  string
	accessKey string
	secretKey string
	kmsKeyID  string
	dataDir   string
	cmd       *exec.Cmd
	exited    chan struct{}
	output    *tailBuffer

	clientOnce sync.Once
	s3         *s3.Client
}

const (
	startAttempts = 3 // a free port can be taken between our probe and minio's bind
	readyTimeout  = 60 * time.Second
	stopTimeout   = 10 * time.Second
)

func startProcess() (*process, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	var errs []error
	for range startAttempts {
		p, err := tryStart(bin)
		if err == nil {
			return p, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("start minio: %w", errors.Join(errs...))
}

func tryStart(bin string) (*process, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	consoleAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	dataDir, err := os.MkdirTemp("", "lendscore-minio-")
	if err != nil {
		return nil, err
	}
	p := &process{
		endpoint:  "http://" + addr,
		accessKey: "lendscore" + randomHex(6),
		secretKey: randomHex(20),
		kmsKeyID:  "lendscore-test-key",
		dataDir:   dataDir,
		exited:    make(chan struct{}),
		output:    &tailBuffer{max: 16 << 10},
	}
	key := make([]byte, 32)
	rand.Read(key)
	cmd := exec.Command(bin, "server", "--quiet", "--address", addr, "--console-address", consoleAddr, dataDir)
	cmd.Env = append(withoutMinioEnv(os.Environ()),
		"MINIO_ROOT_USER="+p.accessKey,
		"MINIO_ROOT_PASSWORD="+p.secretKey,
		"MINIO_KMS_SECRET_KEY="+p.kmsKeyID+":"+base64.StdEncoding.EncodeToString(key),
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
		"MINIO_CI_CD=1",
	)
	cmd.Stdout = p.output
	cmd.Stderr = p.output
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dataDir)
		return nil, err
	}
	p.cmd = cmd
	go func() {
		cmd.Wait()
		close(p.exited)
	}()
	if err := p.waitReady(); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

func (p *process) waitReady() error {
	deadline := time.Now().Add(readyTimeout)
	hc := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return fmt.Errorf("minio exited during startup: %s", p.output.String())
		default:
		}
		resp, err := hc.Get(p.endpoint + "/minio/health/live")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("minio not live after %v: %s", readyTimeout, p.output.String())
}

func (p *process) stop() {
	if p.cmd != nil && p.cmd.Process != nil {
		p.cmd.Process.Signal(os.Interrupt)
		select {
		case <-p.exited:
		case <-time.After(stopTimeout):
			p.cmd.Process.Kill()
			<-p.exited
		}
	}
	os.RemoveAll(p.dataDir)
}

func (p *process) client() *s3.Client {
	p.clientOnce.Do(func() {
		p.s3 = s3.New(s3.Options{
			Region:       Region,
			BaseEndpoint: aws.String(p.endpoint),
			UsePathStyle: true,
			Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
				return aws.Credentials{AccessKeyID: p.accessKey, SecretAccessKey: p.secretKey}, nil
			}),
			DisableLogOutputChecksumValidationSkipped: true,
		})
	})
	return p.s3
}

// createBucket creates a bucket, retrying while the server finishes initializing.
func (p *process) createBucket(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	for {
		_, err := p.client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("create bucket %s: %w", name, err)
		case <-p.exited:
			return fmt.Errorf("create bucket %s: minio exited: %s", name, p.output.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

var bucketSeq atomic.Int64

// bucketName derives a valid, unique bucket name from a test name.
func bucketName(test string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(test) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	base := strings.Trim(b.String(), "-")
	if len(base) > 40 {
		base = strings.TrimRight(base[:40], "-")
	}
	if base == "" {
		base = "test"
	}
	return fmt.Sprintf("%s-%d-%s", base, bucketSeq.Add(1), randomHex(3))
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func withoutMinioEnv(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "MINIO_") {
			out = append(out, kv)
		}
	}
	return out
}

// tailBuffer keeps the last max bytes written to it, for error messages.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if over := b.buf.Len() - b.max; over > 0 {
		b.buf.Next(over)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.TrimSpace(b.buf.String())
}
