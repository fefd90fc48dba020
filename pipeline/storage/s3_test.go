package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"lendscore/internal/miniotest"
)

// isolateAWS hides the machine's AWS configuration from a test.
func isolateAWS(t *testing.T) {
	none := filepath.Join(t.TempDir(), "none")
	for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", none)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", none)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func TestS3Configuration(t *testing.T) {
	tests := []struct {
		name       string
		env        map[string]string
		opts       Options
		wantEP     string // "" means the SDK's own AWS endpoint resolution
		wantPath   bool
		wantRegion string
	}{
		{name: "defaults", wantRegion: "us-east-1"},
		{name: "region from env", env: map[string]string{"AWS_REGION": "eu-central-1"}, wantRegion: "eu-central-1"},
		{name: "region option wins", env: map[string]string{"AWS_REGION": "eu-central-1"}, opts: Options{Region: "eu-west-2"}, wantRegion: "eu-west-2"},
		{name: "service endpoint env", env: map[string]string{"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000"},
			wantEP: "http://127.0.0.1:9000", wantPath: true, wantRegion: "us-east-1"},
		{name: "global endpoint env", env: map[string]string{"AWS_ENDPOINT_URL": "http://minio.internal:9000"},
			wantEP: "http://minio.internal:9000", wantPath: true, wantRegion: "us-east-1"},
		{name: "service env beats global env", env: map[string]string{"AWS_ENDPOINT_URL": "http://a:1", "AWS_ENDPOINT_URL_S3": "http://b:2"},
			wantEP: "http://b:2", wantPath: true, wantRegion: "us-east-1"},
		{name: "endpoint option beats env", env: map[string]string{"AWS_ENDPOINT_URL_S3": "http://b:2"}, opts: Options{Endpoint: "https://s3.bank.example"},
			wantEP: "https://s3.bank.example", wantPath: true, wantRegion: "us-east-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolateAWS(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			s, err := NewS3(context.Background(), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			o := s.client.Options()
			if got := aws.ToString(o.BaseEndpoint); got != tt.wantEP {
				t.Errorf("endpoint = %q, want %q", got, tt.wantEP)
			}
			if o.UsePathStyle != tt.wantPath {
				t.Errorf("path style = %v, want %v", o.UsePathStyle, tt.wantPath)
			}
			if o.Region != tt.wantRegion {
				t.Errorf("region = %q, want %q", o.Region, tt.wantRegion)
			}
			if got := o.Retryer.MaxAttempts(); got != s3MaxAttempts {
				t.Errorf("max attempts = %d, want %d", got, s3MaxAttempts)
			}
		})
	}
}

func TestS3BadSSEOptions(t *testing.T) {
	isolateAWS(t)
	for _, opts := range []Options{
		{SSE: "aes256"},
		{SSE: "AES256", KMSKeyID: "k"},
		{KMSKeyID: "k"},
	} {
		if _, err := NewS3(context.Background(), opts); err == nil {
			t.Errorf("NewS3(%+v) succeeded", opts)
		}
	}
}

// s3Fixture is a fresh MinIO bucket with a store on it.
type s3Fixture struct {
	srv  *miniotest.Server
	st   *S3
	root Location
}

// testPartSize is the smallest part S3 accepts; tests use it to make multipart uploads cheap.
const testPartSize = int(manager.MinUploadPartSize)

func newS3Fixture(t *testing.T, opts Options) s3Fixture {
	t.Helper()
	srv := miniotest.Start(t)
	st, err := newS3(context.Background(), opts, s3Tuning{partSize: int64(testPartSize)})
	if err != nil {
		t.Fatal(err)
	}
	return s3Fixture{srv: srv, st: st, root: MustParse("s3://" + srv.Bucket + "/")}
}

// pendingUploads lists the multipart uploads left open in the fixture's bucket.
func (f s3Fixture) pendingUploads(t *testing.T) []types.MultipartUpload {
	t.Helper()
	out, err := f.srv.Client().ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: aws.String(f.srv.Bucket)})
	if err != nil {
		t.Fatalf("list multipart uploads: %v", err)
	}
	return out.Uploads
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

// writeChunks writes data in 1 MiB writes, as encoders do.
func writeChunks(t *testing.T, w Writer, data []byte) {
	t.Helper()
	for len(data) > 0 {
		n := min(len(data), 1<<20)
		if _, err := w.Write(data[:n]); err != nil {
			t.Fatalf("write: %v", err)
		}
		data = data[n:]
	}
}

func TestS3Multipart(t *testing.T) {
	f := newS3Fixture(t, Options{})
	ctx := context.Background()
	loc := f.root.MustJoin("big", "data.bin")
	data := randomBytes(2*testPartSize+3<<20, 1) // three parts, the last one short

	w, err := f.st.Create(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	writeChunks(t, w, data)
	// Two parts are uploaded by now, but the object is not there until Commit.
	if _, err := f.st.Stat(ctx, loc); !errors.Is(err, ErrNotExist) {
		t.Errorf("before Commit, Stat = %v; want ErrNotExist", err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	head, err := f.srv.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(loc.Bucket), Key: aws.String(loc.Key)})
	if err != nil {
		t.Fatal(err)
	}
	// The ETag of a multipart object ends in -<number of parts>.
	if etag := aws.ToString(head.ETag); !strings.HasSuffix(strings.Trim(etag, `"`), "-3") {
		t.Errorf("ETag %s: want a 3-part multipart upload", etag)
	}
	got, err := ReadAll(ctx, f.st, loc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes that differ from the %d written", len(got), len(data))
	}
	if ups := f.pendingUploads(t); len(ups) != 0 {
		t.Errorf("%d multipart uploads left open", len(ups))
	}
}

func TestS3MultipartAbort(t *testing.T) {
	f := newS3Fixture(t, Options{})
	ctx := context.Background()
	loc := f.root.MustJoin("aborted.bin")
	w, err := f.st.Create(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	writeChunks(t, w, randomBytes(2*testPartSize+1<<20, 2))
	if ups := f.pendingUploads(t); len(ups) != 1 {
		t.Fatalf("%d multipart uploads open while writing; want 1 (the test would prove nothing)", len(ups))
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if ups := f.pendingUploads(t); len(ups) != 0 {
		t.Errorf("after Abort, %d multipart uploads left open", len(ups))
	}
	if _, err := f.st.Stat(ctx, loc); !errors.Is(err, ErrNotExist) {
		t.Errorf("after Abort, Stat = %v; want ErrNotExist", err)
	}
}

func TestS3CancelledUpload(t *testing.T) {
	f := newS3Fixture(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	loc := f.root.MustJoin("cancelled.bin")
	w, err := f.st.Create(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	writeChunks(t, w, randomBytes(2*testPartSize+1<<20, 3))
	cancel()
	if err := w.Commit(); err == nil {
		t.Fatal("Commit after the context was cancelled succeeded")
	}
	if ups := f.pendingUploads(t); len(ups) != 0 {
		t.Errorf("after a cancelled upload, %d multipart uploads left open", len(ups))
	}
	if _, err := f.st.Stat(context.Background(), loc); !errors.Is(err, ErrNotExist) {
		t.Errorf("after a cancelled upload, Stat = %v; want ErrNotExist", err)
	}
}

func TestS3ServerSideEncryption(t *testing.T) {
	srv := miniotest.Start(t)
	tests := []struct {
		opts    Options
		wantSSE types.ServerSideEncryption
	}{
		{Options{SSE: "AES256"}, types.ServerSideEncryptionAes256},
		{Options{SSE: "aws:kms", KMSKeyID: srv.KMSKeyID}, types.ServerSideEncryptionAwsKms},
	}
	for _, tt := range tests {
		st, err := newS3(context.Background(), tt.opts, s3Tuning{partSize: int64(testPartSize)})
		if err != nil {
			t.Fatal(err)
		}
		for _, size := range []int{1000, testPartSize + 1} { // PutObject and multipart
			loc := MustParse("s3://" + srv.Bucket + "/sse/" + string(tt.wantSSE) + "/" + string(rune('a'+size%26)))
			data := randomBytes(size, uint64(size))
			if err := WriteAll(context.Background(), st, loc, data); err != nil {
				t.Fatalf("SSE %s, %d bytes: %v", tt.opts.SSE, size, err)
			}
			head, err := srv.Client().HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(loc.Bucket), Key: aws.String(loc.Key)})
			if err != nil {
				t.Fatal(err)
			}
			if head.ServerSideEncryption != tt.wantSSE {
				t.Errorf("SSE %s, %d bytes: object encrypted with %q", tt.opts.SSE, size, head.ServerSideEncryption)
			}
			if tt.opts.KMSKeyID != "" && !strings.Contains(aws.ToString(head.SSEKMSKeyId), tt.opts.KMSKeyID) {
				t.Errorf("SSE-KMS key %q, want %q", aws.ToString(head.SSEKMSKeyId), tt.opts.KMSKeyID)
			}
			if got, err := ReadAll(context.Background(), st, loc); err != nil || !bytes.Equal(got, data) {
				t.Errorf("SSE %s, %d bytes: read back %d bytes, %v", tt.opts.SSE, size, len(got), err)
			}
		}
	}
}

func TestS3ErrorsHideCredentials(t *testing.T) {
	f := newS3Fixture(t, Options{})
	const secret = "not-the-secret-0123456789abcdefghij"
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	st, err := NewS3(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.Stat(context.Background(), f.root.MustJoin("x"))
	if err == nil {
		t.Fatal("Stat with a wrong secret succeeded")
	}
	if msg := err.Error(); strings.Contains(msg, secret) || strings.Contains(msg, f.srv.SecretKey) {
		t.Errorf("error names a secret: %s", msg)
	}
	if _, err := st.List(context.Background(), f.root); err == nil {
		t.Error("List with a wrong secret succeeded")
	}
}

// faultyProxy forwards to target, answering every nth request with 503 SlowDown and
// cutting every mth object download off halfway.
func faultyProxy(t *testing.T, target string, n, m int64) (*httptest.Server, *atomic.Int64) {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	var requests, gets, faults atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1)%n == 0 {
			faults.Add(1)
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
			return
		}
		if r.Method == http.MethodGet && r.Header.Get("Range") != "" && gets.Add(1)%m == 0 {
			faults.Add(1)
			proxy.ServeHTTP(&truncatingWriter{ResponseWriter: w}, r)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &faults
}

// truncatingWriter passes on half of a response body, then drops the connection.
type truncatingWriter struct {
	http.ResponseWriter
	limit, written int64
}

func (w *truncatingWriter) WriteHeader(code int) {
	w.limit = -1
	if n, err := parseInt(w.Header().Get("Content-Length")); err == nil && code/100 == 2 && n > 1 {
		w.limit = n / 2
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *truncatingWriter) Write(p []byte) (int, error) {
	if w.limit >= 0 && w.written+int64(len(p)) > w.limit {
		w.ResponseWriter.Write(p[:w.limit-w.written])
		w.ResponseWriter.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
	w.written += int64(len(p))
	return w.ResponseWriter.Write(p)
}

func (w *truncatingWriter) Flush() { w.ResponseWriter.(http.Flusher).Flush() }

func parseInt(s string) (int64, error) {
	var n int64
	if s == "" {
		return 0, errors.New("empty")
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, errors.New("not a number")
		}
		n = n*10 + int64(c-'0')
	}
	return n, nil
}

// TestS3Faults runs reads and writes through a proxy that fails one request in ten with
// 503 SlowDown and cuts one ranged download in four off midway: the retries hide all of it.
func TestS3Faults(t *testing.T) {
	srv := miniotest.Start(t)
	proxy, faults := faultyProxy(t, srv.Endpoint, 10, 4)
	fast := func(o *retry.StandardOptions) {
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 5 * time.Millisecond, nil })
	}
	st, err := newS3(context.Background(), Options{Endpoint: proxy.URL}, s3Tuning{retry: fast, partSize: int64(testPartSize)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	root := MustParse("s3://" + srv.Bucket + "/faults/")
	data := randomBytes(testPartSize*2+12345, 4)
	for i := range 5 {
		loc := root.MustJoin("obj-" + string(rune('0'+i)))
		if err := WriteAll(ctx, st, loc, data[:len(data)/(i+1)]); err != nil {
			t.Fatalf("write %s: %v", loc, err)
		}
	}
	objs, err := st.List(ctx, root)
	if err != nil || len(objs) != 5 {
		t.Fatalf("List = %d objects, %v; want 5", len(objs), err)
	}
	for i, o := range objs {
		want := data[:len(data)/(i+1)]
		got, err := ReadAll(ctx, st, o.Location)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("sequential read of %s: %d bytes, %v; want the %d written", o.Location, len(got), err, len(want))
		}
		r, err := st.Open(ctx, o.Location)
		if err != nil {
			t.Fatal(err)
		}
		for _, off := range []int64{0, 100_000, int64(len(want)) - 300_000} {
			buf := make([]byte, 200_000)
			if _, err := r.ReadAt(buf, off); err != nil || !bytes.Equal(buf, want[off:off+200_000]) {
				t.Fatalf("ReadAt(%d) of %s: %v", off, o.Location, err)
			}
		}
		r.Close()
	}
	if faults.Load() < 5 {
		t.Errorf("only %d faults injected; the test proves little", faults.Load())
	}
	t.Logf("%d faults injected and recovered from", faults.Load())
}

func TestS3ListPages(t *testing.T) {
	srv := miniotest.Start(t)
	st, err := newS3(context.Background(), Options{}, s3Tuning{listPage: 7})
	if err != nil {
		t.Fatal(err)
	}
	root := MustParse("s3://" + srv.Bucket + "/many/")
	var want []string
	for i := range 30 {
		// Written out of order; keys that sort differently as numbers and as text.
		k := fmt.Sprintf("k%d", (i*7)%30)
		put(t, st, root.MustJoin(k), k)
		want = append(want, "many/"+k)
	}
	put(t, st, MustParse("s3://"+srv.Bucket+"/many-not-below"), "x")
	slices.Sort(want)
	objs, err := st.List(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, o.Location.Key)
	}
	if !slices.Equal(got, want) {
		t.Errorf("List over pages of 7 = %q\nwant %q", got, want)
	}
}
