//go:build linux

package e2e

import (
	"context"
	"crypto/rand"
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"lendscore/internal/faultproxy"
)

// TestCredentialsNeverLeak runs every kind of job against MinIO with temporary credentials
// (access key, secret key and session token), at debug level, with text and JSON logs, and
// makes jobs fail in the ways that put the most into error messages: a missing bucket, a
// wrong secret key, a bad session token, a store that fails every request. Neither the
// output of any process nor any byte of any file in the bucket — manifests, metrics, model
// cards, scored tables, quarantine, decoded as well as raw — may hold a credential.
// (Every lendscore process of these tests is checked the same way when it ends.)
func TestCredentialsNeverLeak(t *testing.T) {
	t.Parallel()
	w := newS3World(t)
	env := w.env(t, w.srv.Endpoint)
	dir := t.TempDir()
	w.put(t, "in/germancredit.csv", readRepoFile(t, "testdata/germancredit.csv"))
	extracts := w.url("extracts/dt=" + asOf)
	debug := []string{"--log-level", "debug"}
	jsonDebug := []string{"--log-level", "debug", "--log-format", "json"}

	mustSucceed(t, env, append([]string{"gen", "--customers", "1500", "--dirty-rate", "0.02", "--out", extracts}, debug...)...)
	gc := writeFile(t, dir, "gc.yaml", trainSpec("gc", w.url("in/germancredit.csv"), "", w.url("out/gc")))
	features := writeFile(t, dir, "features.yaml", relationalSpec("features", extracts, w.url("out/features"), ""))
	train := writeFile(t, dir, "train.yaml", relationalSpec("train", extracts, w.url("out/model"), ""))
	nightly := writeFile(t, dir, "nightly.yaml", relationalSpec("nightly", extracts, w.url("out/nightly"), "model: "+w.url("out/model")+"\n"))
	mustSucceed(t, env, append([]string{"run", gc}, jsonDebug...)...)
	mustSucceed(t, env, append([]string{"run", features}, debug...)...)
	mustSucceed(t, env, append([]string{"run", train}, jsonDebug...)...)
	mustSucceed(t, env, append([]string{"run", nightly}, debug...)...)
	mustSucceed(t, env, append([]string{"score", "--model", w.url("out/gc"), "--input", w.url("in/germancredit.csv"), "--out", w.url("out/scored")}, jsonDebug...)...)

	// Failures: each must exit 1, and its message is checked like every output.
	wrongSecret := "wrong" + rand.Text()
	registerSecret(wrongSecret, "wrong secret key")
	replace := func(env []string, key, value string) []string {
		out := []string{key + "=" + value}
		for _, kv := range env {
			if !strings.HasPrefix(kv, key+"=") {
				out = append(out, kv)
			}
		}
		return out
	}
	p := w.proxy(t, faultproxy.Config{Rate: 1, Kinds: []faultproxy.Kind{faultproxy.InternalError}})
	failures := []struct {
		name string
		env  []string
		args []string
	}{
		{"missing output bucket", env, []string{"run", gc, "--set", "output=s3://no-such-bucket-e2e/out"}},
		{"missing input bucket", env, []string{"run", gc, "--set", "inputs.table=s3://no-such-bucket-e2e/in.csv"}},
		{"wrong secret key", replace(env, "AWS_SECRET_ACCESS_KEY", wrongSecret), []string{"run", features}},
		{"bad session token", replace(env, "AWS_SESSION_TOKEN", w.creds.SessionToken[:len(w.creds.SessionToken)-8]+"AAAAAAAA"), []string{"run", gc}},
		{"every request fails", append(w.env(t, p.URL), "AWS_NEW_RETRIES_2026=true"), []string{"run", gc, "--set", "output=" + w.url("out/failed")}},
	}
	for _, f := range failures {
		for _, format := range [][]string{debug, jsonDebug} {
			r := lendscore(t, f.env, append(f.args, format...)...)
			if r.exit != 1 {
				t.Errorf("%s: want exit status 1; %s", f.name, r)
			}
			t.Logf("%s: %s", f.name, shorten(lastLine(r.stderr), 300))
		}
	}

	// A control: the check finds a credential where there is one (lendscore names the job
	// spec it cannot read).
	rec := &errorRecorder{TB: t}
	lendscore(rec, env, "run", filepath.Join(dir, w.creds.AccessKeyID+".yaml"))
	if len(rec.errors) == 0 {
		t.Errorf("the credential check missed the access key in a message that names it")
	}

	// Every file in the bucket, raw and, for Parquet, decoded.
	kinds := map[string]int{}
	pages := s3.NewListObjectsV2Paginator(w.root, &s3.ListObjectsV2Input{Bucket: aws.String(w.bucket)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			data, err := w.tree("").read(key)
			if err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			checkNoSecrets(t, key, data)
			if strings.HasSuffix(key, ".parquet") {
				checkNoSecrets(t, key+" (decoded)", parquetRows(t, key, data))
			}
			kinds[fileKind(key)]++
		}
	}
	t.Logf("files checked, by kind: %v", kinds)
	for _, k := range []string{"manifest.json", "metrics.json", "model_card.html", "model_card.md", "latest.json", "scored", "quarantine", "features", "state", "changes", "model"} {
		if kinds[k] == 0 {
			t.Errorf("no %s among the files checked (%v): the test misses a kind of output", k, kinds)
		}
	}
}

// fileKind groups a key by what it holds: its folder inside the run for parts and models,
// else its name.
func fileKind(key string) string {
	if i := strings.Index(key, "/runs/"); i >= 0 {
		rel := key[i+len("/runs/"):]
		if _, rest, ok := strings.Cut(rel, "/"); ok {
			if d, _, ok := strings.Cut(rest, "/"); ok {
				return d
			}
			return rest
		}
	}
	return path.Base(key)
}

// errorRecorder records the errors of a test instead of failing it.
type errorRecorder struct {
	testing.TB
	errors []string
}

func (r *errorRecorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("… (%d bytes)", len(s))
}
