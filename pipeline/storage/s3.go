package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// Tuning of the S3 store. The values suit batch jobs on a small machine: a few concurrent
// 8 MiB parts per upload bound the memory of a writer, and eight attempts with exponential
// backoff ride out throttling (503 SlowDown) and transient network faults.
const (
	s3MaxAttempts    = 8
	s3MaxBackoff     = 10 * time.Second
	s3PartSize       = 8 << 20
	s3UploadFanout   = 4
	s3ReadAtWindow   = 256 << 10 // small ReadAt calls are served from a window this large
	s3SmallReadAt    = 64 << 10  // ReadAt calls below this size go through the window
	s3BodyRetries    = 3         // re-opens of a GET whose body failed mid-stream
	s3ControlTimeout = time.Minute
	defaultRegion    = "us-east-1"
	sseAES256        = "AES256"
	sseKMS           = "aws:kms"
)

// S3 is the Store of an S3-compatible object store (AWS S3, MinIO, …).
//
// Credentials come from the standard AWS chain (environment, shared files, SSO, instance
// roles). The endpoint is Options.Endpoint, else whatever the SDK reads from
// AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL or the shared config; any custom endpoint switches
// to path-style addressing, which S3-compatible stores expect. The region defaults to
// us-east-1 when the chain names none. Every request is retried by the SDK's standard
// retryer (up to 8 attempts, exponential backoff with jitter, throttling included).
//
// Writes stream through the SDK's upload manager: objects up to 8 MiB are sent with one
// PutObject on Commit, larger ones as a multipart upload that is completed on Commit and
// aborted on Abort or failure, so an object never becomes visible half-written.
type S3 struct {
	client   *s3.Client
	uploader *manager.Uploader
	// multipart records the keys for which a multipart upload was started, so that a write
	// can abort uploads of its key that a lost CreateMultipartUpload response orphaned.
	multipart *sync.Map
	sse       types.ServerSideEncryption
	kmsKeyID  string
	listPage  int32 // keys per ListObjectsV2 page; 0 is the service's default (1,000)
}

// NewS3 returns an S3 store configured by the standard AWS chain and opts.
func NewS3(ctx context.Context, opts Options) (*S3, error) {
	return newS3(ctx, opts, s3Tuning{})
}

// s3Tuning adjusts an S3 store for tests: a shorter retry backoff, smaller upload parts,
// shorter list pages.
type s3Tuning struct {
	retry    func(*retry.StandardOptions)
	partSize int64
	listPage int32
}

// newS3 is NewS3 with tuning.
func newS3(ctx context.Context, opts Options, tune s3Tuning) (*S3, error) {
	var sse types.ServerSideEncryption
	switch opts.SSE {
	case "":
		if opts.KMSKeyID != "" {
			return nil, errors.New("a KMS key id needs SSE aws:kms")
		}
	case sseAES256:
		if opts.KMSKeyID != "" {
			return nil, errors.New("a KMS key id needs SSE aws:kms, not AES256")
		}
		sse = types.ServerSideEncryptionAes256
	case sseKMS:
		sse = types.ServerSideEncryptionAwsKms
	default:
		return nil, fmt.Errorf("server-side encryption %q: want %q or %q", opts.SSE, sseAES256, sseKMS)
	}

	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = s3MaxAttempts
				o.MaxBackoff = s3MaxBackoff
				// The client-side retry quota exists to shed load from a struggling
				// service across many clients; a batch job would rather wait and finish.
				o.RateLimiter = ratelimit.None
				// A response body cut short (a dropped connection mid-response) fails the
				// deserialisation with io.ErrUnexpectedEOF; the request is safe to repeat.
				o.Retryables = append(o.Retryables, retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
					if errors.Is(err, io.ErrUnexpectedEOF) {
						return aws.TrueTernary
					}
					return aws.UnknownTernary
				}))
				if tune.retry != nil {
					tune.retry(o)
				}
			})
		}))
	if err != nil {
		return nil, fmt.Errorf("aws configuration: %w", err)
	}
	if opts.Region != "" {
		cfg.Region = opts.Region
	}
	if cfg.Region == "" {
		cfg.Region = defaultRegion
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		// This runs after the SDK resolved AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL and the
		// shared config into BaseEndpoint.
		if opts.Endpoint != "" {
			o.BaseEndpoint = aws.String(opts.Endpoint)
		}
		if o.BaseEndpoint != nil {
			o.UsePathStyle = true
		}
		// Ranged GETs cannot be checked against a whole-object checksum; the SDK would
		// log a warning for each of them.
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	s := &S3{client: client, sse: sse, kmsKeyID: opts.KMSKeyID, listPage: tune.listPage, multipart: &sync.Map{}}
	s.uploader = manager.NewUploader(cancelSafeUploadClient{client, s.multipart}, func(u *manager.Uploader) {
		u.PartSize = s3PartSize
		if tune.partSize > 0 {
			u.PartSize = tune.partSize
		}
		u.Concurrency = s3UploadFanout
	})
	return s, nil
}

// s3Error turns an SDK error into ours: missing keys and buckets wrap ErrNotExist. SDK
// errors name the operation, status and request id, never credentials.
func s3Error(op string, loc Location, err error) error {
	if isNotExist(err) {
		return fmt.Errorf("%s %s: %w", op, loc, ErrNotExist)
	}
	return fmt.Errorf("%s %s: %w", op, loc, err)
}

func isNotExist(err error) bool {
	var (
		noKey    *types.NoSuchKey
		notFound *types.NotFound
		noBucket *types.NoSuchBucket
	)
	if errors.As(err, &noKey) || errors.As(err, &notFound) || errors.As(err, &noBucket) {
		return true
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "NoSuchKey", "NotFound", "NoSuchBucket":
			return true
		}
	}
	return false
}

// head describes the object at loc; op names the operation in errors.
func (s *S3) head(ctx context.Context, op string, loc Location) (*s3.HeadObjectOutput, error) {
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{
		Bucket: aws.String(loc.Bucket),
		Key:    aws.String(loc.Key),
	})
	if err != nil {
		return nil, s3Error(op, loc, err)
	}
	return out, nil
}

// Stat implements Store.
func (s *S3) Stat(ctx context.Context, loc Location) (Object, error) {
	out, err := s.head(ctx, "stat", loc)
	if err != nil {
		return Object{}, err
	}
	return Object{Location: loc, Size: aws.ToInt64(out.ContentLength), ModTime: aws.ToTime(out.LastModified)}, nil
}

// List implements Store. Directory marker objects (keys ending in "/") are skipped.
func (s *S3) List(ctx context.Context, prefix Location) ([]Object, error) {
	p := prefix.Key
	if p != "" {
		p += "/"
	}
	in := &s3.ListObjectsV2Input{
		Bucket: aws.String(prefix.Bucket),
		Prefix: aws.String(p),
	}
	if s.listPage > 0 {
		in.MaxKeys = aws.Int32(s.listPage)
	}
	pages := s3.NewListObjectsV2Paginator(s.client, in)
	var out []Object
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, s3Error("list", prefix, err)
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			if strings.HasSuffix(key, "/") {
				continue
			}
			out = append(out, Object{
				Location: Location{Scheme: SchemeS3, Bucket: prefix.Bucket, Key: key},
				Size:     aws.ToInt64(o.Size),
				ModTime:  aws.ToTime(o.LastModified),
			})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Location.Key < out[j].Location.Key })
	return out, nil
}

// Delete implements Store.
func (s *S3) Delete(ctx context.Context, loc Location) error {
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{
		Bucket: aws.String(loc.Bucket),
		Key:    aws.String(loc.Key),
	})
	if err != nil && !isNotExist(err) {
		return s3Error("delete", loc, err)
	}
	return nil
}

// Open implements Store. The reader pins the object's ETag: if the object is replaced while
// it is being read, reads fail instead of mixing two versions. Sequential reads stream one
// GET from the current offset; ReadAt issues ranged GETs, serving small reads (such as a
// Parquet footer) from a cached window.
func (s *S3) Open(ctx context.Context, loc Location) (Reader, error) {
	out, err := s.head(ctx, "open", loc)
	if err != nil {
		return nil, err
	}
	return &s3Reader{
		s:    s,
		ctx:  ctx,
		loc:  loc,
		size: aws.ToInt64(out.ContentLength),
		etag: aws.ToString(out.ETag),
	}, nil
}

type s3Reader struct {
	s    *S3
	ctx  context.Context
	loc  Location
	size int64
	etag string

	// Sequential reading (Read, Seek).
	pos     int64
	body    io.ReadCloser
	bodyPos int64

	// Random access (ReadAt), safe for concurrent use.
	mu        sync.Mutex
	window    []byte
	windowOff int64

	closed bool
}

func (r *s3Reader) Size() int64 { return r.size }

// get starts a GET of the bytes from off to the end of the object, or of n bytes when n > 0.
func (r *s3Reader) get(off, n int64) (io.ReadCloser, error) {
	rng := fmt.Sprintf("bytes=%d-", off)
	if n > 0 {
		rng = fmt.Sprintf("bytes=%d-%d", off, off+n-1)
	}
	in := &s3.GetObjectInput{
		Bucket: aws.String(r.loc.Bucket),
		Key:    aws.String(r.loc.Key),
		Range:  aws.String(rng),
	}
	if r.etag != "" {
		in.IfMatch = aws.String(r.etag)
	}
	out, err := r.s.client.GetObject(r.ctx, in)
	if err != nil {
		var api smithy.APIError
		if errors.As(err, &api) && api.ErrorCode() == "PreconditionFailed" {
			return nil, fmt.Errorf("read %s: the object changed while it was being read", r.loc)
		}
		return nil, s3Error("read", r.loc, err)
	}
	return out.Body, nil
}

func (r *s3Reader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, fmt.Errorf("read %s: reader closed", r.loc)
	}
	if r.pos >= r.size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	for attempt := 0; ; attempt++ {
		if r.body == nil || r.bodyPos != r.pos {
			r.closeBody()
			body, err := r.get(r.pos, 0)
			if err != nil {
				return 0, err
			}
			r.body, r.bodyPos = body, r.pos
		}
		n, err := r.body.Read(p)
		r.pos += int64(n)
		r.bodyPos += int64(n)
		switch {
		case err == nil || (err == io.EOF && r.pos >= r.size):
			if r.pos >= r.size {
				r.closeBody()
			}
			return n, nil
		case n > 0:
			// Hand out what arrived; the next Read re-opens the stream.
			r.closeBody()
			return n, nil
		case attempt < s3BodyRetries && r.ctx.Err() == nil:
			r.closeBody()
			continue
		default:
			r.closeBody()
			return 0, fmt.Errorf("read %s at offset %d: %w", r.loc, r.pos, err)
		}
	}
}

func (r *s3Reader) closeBody() {
	if r.body != nil {
		r.body.Close()
		r.body = nil
	}
}

func (r *s3Reader) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = r.pos + offset
	case io.SeekEnd:
		abs = r.size + offset
	default:
		return 0, fmt.Errorf("seek %s: invalid whence %d", r.loc, whence)
	}
	if abs < 0 {
		return 0, fmt.Errorf("seek %s: negative position %d", r.loc, abs)
	}
	r.pos = abs
	return abs, nil
}

// ReadAt implements io.ReaderAt. It returns a nil error whenever it fills p, also at the
// end of the object, as Parquet readers expect.
func (r *s3Reader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("read %s: negative offset %d", r.loc, off)
	}
	if off >= r.size {
		return 0, io.EOF
	}
	want := p
	if rest := r.size - off; int64(len(want)) > rest {
		want = want[:rest]
	}
	var err error
	if len(want) < s3SmallReadAt {
		err = r.readWindow(want, off)
	} else {
		err = r.readRange(want, off)
	}
	if err != nil {
		return 0, err
	}
	if len(want) < len(p) {
		return len(want), io.EOF
	}
	return len(want), nil
}

// readWindow serves a small read from the cached window, fetching a new window around it
// when needed. A window that would run past the end of the object is moved back, so that
// the reads of a Parquet footer (8 bytes, then the metadata before them) cost one request.
func (r *s3Reader) readWindow(p []byte, off int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	end := off + int64(len(p))
	if r.window == nil || off < r.windowOff || end > r.windowOff+int64(len(r.window)) {
		start := off
		if start+s3ReadAtWindow > r.size {
			start = max(0, r.size-s3ReadAtWindow)
		}
		n := min(int64(s3ReadAtWindow), r.size-start)
		buf := make([]byte, n)
		if err := r.readRange(buf, start); err != nil {
			return err
		}
		r.window, r.windowOff = buf, start
	}
	copy(p, r.window[off-r.windowOff:])
	return nil
}

// readRange fills p with the bytes at off by one ranged GET, re-issued if its body fails.
func (r *s3Reader) readRange(p []byte, off int64) error {
	var err error
	for attempt := 0; attempt <= s3BodyRetries; attempt++ {
		var body io.ReadCloser
		body, err = r.get(off, int64(len(p)))
		if err != nil {
			return err
		}
		_, err = io.ReadFull(body, p)
		body.Close()
		if err == nil || r.ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("read %s at offset %d: %w", r.loc, off, err)
	}
	return nil
}

func (r *s3Reader) Close() error {
	r.closed = true
	r.closeBody()
	r.window = nil
	return nil
}

// Create implements Store. The upload runs in the background while the caller writes;
// Commit waits for it, Abort cancels it and aborts a multipart upload.
func (s *S3) Create(ctx context.Context, loc Location) (Writer, error) {
	if loc.Key == "" {
		return nil, fmt.Errorf("create %s: no key", loc)
	}
	uctx, cancel := context.WithCancel(ctx)
	pr, pw := io.Pipe()
	in := &s3.PutObjectInput{
		Bucket: aws.String(loc.Bucket),
		Key:    aws.String(loc.Key),
		Body:   pr,
	}
	if s.sse != "" {
		in.ServerSideEncryption = s.sse
		if s.kmsKeyID != "" {
			in.SSEKMSKeyId = aws.String(s.kmsKeyID)
		}
	}
	w := &s3Writer{loc: loc, pw: pw, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		_, err := s.uploader.Upload(uctx, in)
		// Unblock a Write that waits for a reader that is gone.
		pr.CloseWithError(errUploadEnded(err))
		if _, started := s.multipart.LoadAndDelete(loc.Bucket + "/" + loc.Key); started {
			if aerr := s.abortOrphanUploads(uctx, loc); aerr != nil && err == nil {
				err = aerr
			}
		}
		w.err = err
	}()
	return w, nil
}

func errUploadEnded(err error) error {
	if err == nil {
		return errors.New("upload already finished")
	}
	return err
}

// errAborted ends the data stream of an aborted writer.
var errAborted = errors.New("write aborted")

type s3Writer struct {
	loc    Location
	pw     *io.PipeWriter
	cancel context.CancelFunc
	done   chan struct{}
	err    error // result of the upload, set before done is closed
	closed bool
}

func (w *s3Writer) Write(p []byte) (int, error) {
	if w.closed {
		return 0, fmt.Errorf("write %s: writer already closed", w.loc)
	}
	n, err := w.pw.Write(p)
	if err != nil {
		return n, fmt.Errorf("write %s: %w", w.loc, err)
	}
	return n, nil
}

func (w *s3Writer) Commit() error {
	if w.closed {
		return fmt.Errorf("commit %s: writer already closed", w.loc)
	}
	w.closed = true
	w.pw.Close()
	<-w.done
	w.cancel()
	if w.err != nil {
		return s3Error("commit", w.loc, w.err)
	}
	return nil
}

func (w *s3Writer) Abort() error {
	if w.closed {
		return nil
	}
	w.closed = true
	w.pw.CloseWithError(errAborted)
	w.cancel()
	<-w.done
	return nil
}

// abortOrphanUploads aborts the multipart uploads of exactly loc's key that are still in
// progress after its write ended: the manager aborts its own on failure, but when a
// CreateMultipartUpload response is lost and the call retried, the first upload exists with
// an id nobody saw. Run keys are unique per run, so no other writer owns such an upload.
func (s *S3) abortOrphanUploads(ctx context.Context, loc Location) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s3ControlTimeout)
	defer cancel()
	p := s3.NewListMultipartUploadsPaginator(s.client, &s3.ListMultipartUploadsInput{Bucket: aws.String(loc.Bucket), Prefix: aws.String(loc.Key)})
	for p.HasMorePages() {
		page, err := p.NextPage(cctx)
		if err != nil {
			return s3Error("list multipart uploads", loc, err)
		}
		for _, u := range page.Uploads {
			if aws.ToString(u.Key) != loc.Key {
				continue
			}
			if _, err := s.client.AbortMultipartUpload(cctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(loc.Bucket), Key: u.Key, UploadId: u.UploadId}); err != nil {
				return s3Error("abort multipart upload", loc, err)
			}
		}
	}
	return nil
}

// cancelSafeUploadClient runs the calls that create and abort multipart uploads on a
// context that ignores cancellation (with a timeout of its own). Cancelling an upload midway
// (Abort, or a cancelled job) then still aborts its multipart upload instead of leaving
// parts behind, and an upload is never created without its id reaching the uploader.
type cancelSafeUploadClient struct {
	*s3.Client
	multipart *sync.Map
}

func (c cancelSafeUploadClient) CreateMultipartUpload(ctx context.Context, in *s3.CreateMultipartUploadInput, opts ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error) {
	c.multipart.Store(aws.ToString(in.Bucket)+"/"+aws.ToString(in.Key), true)
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s3ControlTimeout)
	defer cancel()
	return c.Client.CreateMultipartUpload(cctx, in, opts...)
}

// CompleteMultipartUpload completes an upload; when a retry finds the upload gone
// (NoSuchUpload) because the first attempt completed it and only its response was lost, the
// object at the key — unique to the run — with a multipart ETag of as many parts is that
// upload's result, and the call succeeds.
func (c cancelSafeUploadClient) CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, opts ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error) {
	out, err := c.Client.CompleteMultipartUpload(ctx, in, opts...)
	var apiErr smithy.APIError
	if err == nil || !errors.As(err, &apiErr) || apiErr.ErrorCode() != "NoSuchUpload" || in.MultipartUpload == nil {
		return out, err
	}
	head, herr := c.Client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: in.Bucket, Key: in.Key})
	if herr != nil {
		return out, err
	}
	if etag := strings.Trim(aws.ToString(head.ETag), `"`); strings.HasSuffix(etag, fmt.Sprintf("-%d", len(in.MultipartUpload.Parts))) {
		return &s3.CompleteMultipartUploadOutput{Bucket: in.Bucket, Key: in.Key, ETag: head.ETag}, nil
	}
	return out, err
}

func (c cancelSafeUploadClient) AbortMultipartUpload(ctx context.Context, in *s3.AbortMultipartUploadInput, opts ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s3ControlTimeout)
	defer cancel()
	return c.Client.AbortMultipartUpload(cctx, in, opts...)
}
