package miniotest

import (
	"context"
	"os"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestMain(m *testing.M) { Main(m) }

func TestStartSetsEnvironmentAndBucket(t *testing.T) {
	srv := Start(t)
	for k, want := range map[string]string{
		"AWS_ACCESS_KEY_ID":     srv.AccessKey,
		"AWS_SECRET_ACCESS_KEY": srv.SecretKey,
		"AWS_ENDPOINT_URL_S3":   srv.Endpoint,
		"AWS_REGION":            Region,
	} {
		if got := os.Getenv(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	ctx := context.Background()
	if _, err := srv.Client().HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(srv.Bucket)}); err != nil {
		t.Fatalf("bucket %s: %v", srv.Bucket, err)
	}
	other := srv.NewBucket(t)
	if other == srv.Bucket {
		t.Fatalf("NewBucket returned the test's bucket %s again", other)
	}
	if _, err := srv.Client().HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(other)}); err != nil {
		t.Fatalf("bucket %s: %v", other, err)
	}
}

func TestSharedServer(t *testing.T) {
	a := Start(t)
	b := Start(t)
	if a.Endpoint != b.Endpoint {
		t.Errorf("two Starts under Main got two servers: %s and %s", a.Endpoint, b.Endpoint)
	}
	if a.Bucket == b.Bucket {
		t.Errorf("two Starts share bucket %s", a.Bucket)
	}
}

func TestBucketName(t *testing.T) {
	valid := regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)
	for _, name := range []string{
		"TestX",
		"TestStore/s3/Resolve_glob",
		"Test_" + string(make([]byte, 100)),
		"Ünïcödé/__",
		"",
	} {
		got := bucketName(name)
		if !valid.MatchString(got) {
			t.Errorf("bucketName(%q) = %q: not a valid bucket name", name, got)
		}
	}
}
