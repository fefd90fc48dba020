//go:build linux

package e2e

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"lendscore/internal/faultproxy"
	"lendscore/internal/miniotest"
)

// s3World is a MinIO server with a fresh bucket, and the temporary credentials (access
// key, secret key and session token, from MinIO's STS AssumeRole) that lendscore runs with
// — distinctive values that the tests look for in everything lendscore writes.
type s3World struct {
	srv    *miniotest.Server
	bucket string
	root   *s3.Client // the server's root credentials, independent of lendscore
	creds  aws.Credentials
}

func newS3World(t testing.TB) *s3World {
	t.Helper()
	srv := miniotest.Start(keepEnv{t})
	w := &s3World{srv: srv, bucket: srv.Bucket, root: srv.Client()}
	c := sts.New(sts.Options{
		Region:       miniotest.Region,
		BaseEndpoint: aws.String(srv.Endpoint),
		Credentials: aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey}, nil
		})),
	})
	// A server that has just started answers "Server not initialized" for a moment.
	var (
		out *sts.AssumeRoleOutput
		err error
	)
	for deadline := time.Now().Add(30 * time.Second); ; {
		out, err = c.AssumeRole(context.Background(), &sts.AssumeRoleInput{
			RoleArn:         aws.String("arn:minio:iam:::role/lendscore-e2e"),
			RoleSessionName: aws.String("lendscore-e2e"),
			DurationSeconds: aws.Int32(3600),
		})
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("STS AssumeRole at MinIO: %v", err)
	}
	w.creds = aws.Credentials{
		AccessKeyID:     aws.ToString(out.Credentials.AccessKeyId),
		SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey),
		SessionToken:    aws.ToString(out.Credentials.SessionToken),
	}
	registerSecret(w.creds.AccessKeyID, "access key")
	registerSecret(w.creds.SecretAccessKey, "secret key")
	registerSecret(w.creds.SessionToken, "session token")
	registerSecret(srv.SecretKey, "server's root secret key")
	registerSecret(srv.AccessKey, "server's root access key")
	return w
}

// keepEnv is a test as miniotest sees it, without Setenv: these tests hand the server's
// address and credentials to each process they start and leave their own environment
// alone, so that they can run in parallel.
type keepEnv struct{ testing.TB }

func (keepEnv) Setenv(key, value string) {}

// env is the environment of a lendscore process that reaches the store at endpoint (the
// server, or a proxy in front of it) with the world's session credentials.
func (w *s3World) env(t testing.TB, endpoint string) []string {
	return append(baseEnv(t),
		"AWS_ACCESS_KEY_ID="+w.creds.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY="+w.creds.SecretAccessKey,
		"AWS_SESSION_TOKEN="+w.creds.SessionToken,
		"AWS_ENDPOINT_URL_S3="+endpoint,
	)
}

// url returns the s3:// location of key in the world's bucket.
func (w *s3World) url(key string) string { return "s3://" + w.bucket + "/" + key }

// tree returns the output under prefix, read with the root client.
func (w *s3World) tree(prefix string) s3Tree {
	return s3Tree{client: w.root, bucket: w.bucket, prefix: prefix}
}

// put uploads data as key.
func (w *s3World) put(t testing.TB, key string, data []byte) {
	t.Helper()
	_, err := w.root.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(w.bucket), Key: aws.String(key), Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

// pendingUploads lists the multipart uploads open in the bucket for keys below prefix.
// MinIO matches the Prefix of ListMultipartUploads against whole keys only, so the test
// lists every upload of the bucket and filters them itself.
func (w *s3World) pendingUploads(t testing.TB, prefix string) []types.MultipartUpload {
	t.Helper()
	in := &s3.ListMultipartUploadsInput{Bucket: aws.String(w.bucket)}
	var ups []types.MultipartUpload
	for {
		out, err := w.root.ListMultipartUploads(context.Background(), in)
		if err != nil {
			t.Fatalf("list multipart uploads: %v", err)
		}
		for _, u := range out.Uploads {
			if strings.HasPrefix(aws.ToString(u.Key), prefix) {
				ups = append(ups, u)
			}
		}
		if !aws.ToBool(out.IsTruncated) {
			return ups
		}
		in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
	}
}

// proxy starts a fault-injecting proxy in front of the server, stopped when the test ends.
// Its fault decisions ignore the bucket's name and run ids, which differ from one run of
// the test to the next, so that a seed gives the same faults to every run of a job.
func (w *s3World) proxy(t testing.TB, cfg faultproxy.Config) *faultproxy.Proxy {
	t.Helper()
	cfg.Target = w.srv.Endpoint
	if cfg.Key == nil {
		cfg.Key = func(r *http.Request) string {
			sig := strings.Replace(faultproxy.Signature(r), "/"+w.bucket, "/<bucket>", 1)
			return runIDPattern.ReplaceAllString(sig, "<run_id>")
		}
	}
	p, err := faultproxy.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}
