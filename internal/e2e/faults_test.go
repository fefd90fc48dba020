//go:build linux

package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"lendscore/internal/faultproxy"
)

// faultJob is a job run through the fault-injecting proxy.
type faultJob struct {
	name  string
	spec  string   // job spec; its output is set per run with --set output=…
	seeds []uint64 // the seeds of its runs at a 10% fault rate
	heavy bool     // left out under -short
}

// faultSeeds are the seeds of the runs at a 10% fault rate. The faults a seed gives depend
// only on the requests (bucket name and run ids masked), so every run of the test sees the
// same ones; together these give every kind of fault.
var faultSeeds = []uint64{1, 2, 3, 4, 5}

// TestObjectStoreFaults runs jobs against MinIO through a proxy that fails one request in
// ten (500, 503 SlowDown, connection reset, slow response, truncated body): they succeed
// through retries, and what they publish equals a fault-free run's, apart from run ids.
// Then it makes every request fail — or every write, or every multipart part upload — and
// requires exit status 1, a message naming the stage and the location, latest.json
// unchanged, no new manifest, and no multipart upload left open.
func TestObjectStoreFaults(t *testing.T) {
	t.Parallel()
	w := newS3World(t)
	direct := w.env(t, w.srv.Endpoint)
	dir := t.TempDir()

	w.put(t, "in/germancredit.csv", readRepoFile(t, "testdata/germancredit.csv"))
	w.put(t, "in/big.csv", bigTable(40_000, 5))
	extracts := w.url("extracts/dt=" + asOf)
	mustSucceed(t, direct, "gen", "--customers", "2000", "--dirty-rate", "0.02", "--out", extracts)

	jobs := []faultJob{
		{name: "train", spec: writeFile(t, dir, "train.yaml", trainSpec("gc", w.url("in/germancredit.csv"), "", "unset")), seeds: faultSeeds},
		{name: "features", spec: writeFile(t, dir, "features.yaml", relationalSpec("features", extracts, "unset", "")), seeds: faultSeeds},
		{name: "train-multipart", spec: writeFile(t, dir, "big.yaml", trainSpec("big", w.url("in/big.csv"), "customer_id", "unset")), seeds: faultSeeds[:2], heavy: true},
	}
	startJob := func(t *testing.T, env []string, job faultJob, out string) *process {
		return start(t, env, "run", job.spec, "--set", "output="+w.url(out), "--log-level", "debug")
	}

	// Every run at 10% — and the fault-free reference of each job — at once: they spend
	// most of their time waiting out retry delays.
	type faultyRun struct {
		job   faultJob
		seed  uint64
		out   string
		proxy *faultproxy.Proxy
		proc  *process
	}
	var runs []*faultyRun
	cleanRuns := map[string]*process{}
	for _, job := range jobs {
		if job.heavy && testing.Short() {
			continue
		}
		cleanRuns[job.name] = startJob(t, direct, job, "clean/"+job.name)
		for _, seed := range job.seeds {
			fr := &faultyRun{job: job, seed: seed, out: fmt.Sprintf("faulty/%s/%d", job.name, seed)}
			fr.proxy = w.proxy(t, faultproxy.Config{Rate: 0.1, Seed: seed})
			fr.proc = startJob(t, w.env(t, fr.proxy.URL), job, fr.out)
			runs = append(runs, fr)
		}
	}
	all := map[faultproxy.Kind]int{}
	t.Run("10%", func(t *testing.T) {
		for _, job := range jobs {
			t.Run(job.name, func(t *testing.T) {
				if cleanRuns[job.name] == nil {
					t.Skip("the multipart job moves 30 MB; left out under -short")
				}
				if r := cleanRuns[job.name].wait(t); r.exit != 0 {
					t.Fatalf("fault-free run: %s", r)
				}
				clean := verifyPublished(t, w.tree("clean/"+job.name))
				faults := 0
				for _, fr := range runs {
					if fr.job.name != job.name {
						continue
					}
					t.Run(fmt.Sprint("seed", fr.seed), func(t *testing.T) {
						r := fr.proc.wait(t)
						stats := fr.proxy.Stats()
						t.Logf("%v; faults by operation %v", stats, stats.FaultsByOp)
						for k, n := range stats.Faults {
							all[k] += n
						}
						faults += stats.Total()
						if r.exit != 0 {
							t.Fatalf("at a 10%% fault rate the job failed (%v): %s", stats, r)
						}
						faulty := verifyPublished(t, w.tree(fr.out))
						compareRuns(t, clean, faulty, w.url("clean/"+job.name), w.url(fr.out))
						if ups := w.pendingUploads(t, fr.out+"/"); len(ups) != 0 {
							t.Errorf("%d multipart uploads left open", len(ups))
						}
						if job.heavy && stats.Operations["UploadPart"] < 2 {
							t.Errorf("requests %v: no multipart upload; the table is too small to test them", stats.Operations)
						}
					})
				}
				// Together the seeds' runs must have met some faults.
				if faults < 2 && !t.Failed() {
					t.Errorf("%d faults in the runs of seeds %v: they prove little; choose other seeds", faults, job.seeds)
				}
			})
		}
	})
	t.Logf("faults injected at 10%%, by kind: %v", all)
	for _, k := range faultproxy.AllKinds {
		if all[k] == 0 && !t.Failed() {
			t.Errorf("no fault of kind %s among the runs at 10%% (%v): choose other seeds", k, all)
		}
	}

	// Then the store fails for good. Each of these waits out the SDK's retry schedule (8
	// attempts up to 10 s apart: some 45 s), so the three processes run at once; under
	// -short the SDK runs its 2026 retry schedule (AWS_NEW_RETRIES_2026: 50 ms base delay
	// for errors other than throttling) and the faults leave out 503 SlowDown, which keeps
	// a 1 s base.
	type outage struct {
		name  string
		job   faultJob
		match func(*http.Request) bool
		kinds []faultproxy.Kind
		stage string // the stage the message must name
		where string // the location the message must name

		out        string
		before     []byte   // latest.json before the run
		runsBefore []string // manifests before the run
		proxy      *faultproxy.Proxy
		proc       *process
	}
	outages := []*outage{
		{name: "every request/train", job: jobs[0], kinds: faultproxy.Failures, stage: "ingest", where: w.url("in/germancredit.csv")},
		{name: "every write/features", job: jobs[1], match: faultproxy.Writes, kinds: faultproxy.Failures, stage: "publish", where: w.url("faulty/features/1/runs/")},
		{name: "every part upload/train-multipart", job: jobs[2], match: faultproxy.UploadParts, kinds: []faultproxy.Kind{faultproxy.InternalError, faultproxy.Reset}, stage: "score", where: w.url("faulty/train-multipart/1/runs/")}, // a train run writes its scored table as it scores
	}
	t.Run("100%", func(t *testing.T) {
		for _, o := range outages {
			if o.job.heavy && testing.Short() {
				continue
			}
			o.out = fmt.Sprintf("faulty/%s/1", o.job.name)
			_, o.before, _ = readLatest(t, w.tree(o.out))
			o.runsBefore = manifests(t, w.tree(o.out))
			kinds := o.kinds
			if testing.Short() {
				kinds = withoutKind(kinds, faultproxy.SlowDown)
			}
			o.proxy = w.proxy(t, faultproxy.Config{Rate: 1, Kinds: kinds, Match: o.match})
			env := w.env(t, o.proxy.URL)
			if testing.Short() {
				env = append(env, "AWS_NEW_RETRIES_2026=true")
			}
			o.proc = start(t, env, "run", o.job.spec, "--set", "output="+w.url(o.out), "--log-level", "debug")
		}
		for _, o := range outages {
			t.Run(o.name, func(t *testing.T) {
				if o.proc == nil {
					t.Skip("left out under -short")
				}
				r := o.proc.wait(t)
				stats := o.proxy.Stats()
				t.Logf("%v\nfailed with: %s", stats, lastLine(r.stderr))
				if o.before == nil {
					t.Fatalf("%s: no earlier run to keep (the 10%% run failed)", o.out)
				}
				if r.exit != 1 {
					t.Fatalf("want exit status 1 when the store fails; %s", r)
				}
				msg := lastLine(r.stderr)
				if !strings.HasPrefix(msg, "lendscore: "+o.stage+": ") || !strings.Contains(msg, o.where) {
					t.Errorf("the message should name the stage %q and the location %s: %s", o.stage, o.where, msg)
				}
				tr := w.tree(o.out)
				if _, after, _ := readLatest(t, tr); !bytes.Equal(o.before, after) {
					t.Errorf("latest.json changed by a failed run:\n%s\n%s", o.before, after)
				}
				if got := manifests(t, tr); len(got) != len(o.runsBefore) {
					t.Errorf("the failed run wrote a manifest: %v, before %v", got, o.runsBefore)
				}
				verifyPublished(t, tr)
				if ups := w.pendingUploads(t, o.out+"/"); len(ups) != 0 {
					t.Errorf("%d multipart uploads left open after the failed run", len(ups))
				}
				if o.job.heavy && (stats.Operations["CreateMultipartUpload"] == 0 || stats.Operations["AbortMultipartUpload"] == 0) {
					t.Errorf("requests %v: want a multipart upload started and aborted", stats.Operations)
				}
			})
		}
	})
}

func withoutKind(kinds []faultproxy.Kind, drop faultproxy.Kind) []faultproxy.Kind {
	var out []faultproxy.Kind
	for _, k := range kinds {
		if k != drop {
			out = append(out, k)
		}
	}
	return out
}

// manifests lists the manifest.json files under an output's runs/.
func manifests(t testing.TB, tr tree) []string {
	t.Helper()
	files, err := tr.list("runs")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for f := range files {
		if filepath.Base(f) == "manifest.json" {
			out = append(out, f)
		}
	}
	return out
}

// TestTruncatedResponsesAreRetried cuts one XML response body short — the connection drops
// after the headers and half the body, as it does when a load balancer or the network
// fails mid-response — and requires the job to succeed, as it does when the same happens
// to an object download or a PUT.
func TestTruncatedResponsesAreRetried(t *testing.T) {
	w := newS3World(t)
	direct := w.env(t, w.srv.Endpoint)
	dir := t.TempDir()
	w.put(t, "in/big.csv", bigTable(40_000, 5))
	extracts := w.url("extracts/dt=" + asOf)
	mustSucceed(t, direct, "gen", "--customers", "500", "--out", extracts)
	features := writeFile(t, dir, "features.yaml", relationalSpec("features", extracts, "unset", ""))
	big := writeFile(t, dir, "big.yaml", trainSpec("big", w.url("in/big.csv"), "customer_id", "unset"))
	for _, tc := range []struct{ op, spec string }{
		{"ListObjects", features},
		{"CreateMultipartUpload", big},
		{"CompleteMultipartUpload", big},
	} {
		t.Run(tc.op, func(t *testing.T) {
			p := w.proxy(t, faultproxy.Config{Rate: 1, Max: 1, Kinds: []faultproxy.Kind{faultproxy.Truncate},
				Match: func(r *http.Request) bool { return faultproxy.Operation(r) == tc.op }})
			out := "truncated/" + tc.op
			r := lendscore(t, w.env(t, p.URL), "run", tc.spec, "--set", "output="+w.url(out))
			if p.Stats().Total() != 1 {
				t.Fatalf("%v: want exactly one truncated %s response", p.Stats(), tc.op)
			}
			if r.exit != 0 {
				t.Errorf("one truncated %s response failed the job: %s", tc.op, lastLine(r.stderr))
			} else {
				verifyPublished(t, w.tree(out))
			}
			if ups := w.pendingUploads(t, out+"/"); len(ups) != 0 {
				t.Errorf("%d multipart uploads left open", len(ups))
			}
		})
	}
}

// TestInputErrorIsNotNotFound makes every HeadObject fail with 500 InternalError: the
// message must report the store's error, not that the input does not exist. A HEAD response
// has no body, so the SDK knows only the status: the message names HeadObject and 500.
func TestInputErrorIsNotNotFound(t *testing.T) {
	w := newS3World(t)
	w.put(t, "in/germancredit.csv", readRepoFile(t, "testdata/germancredit.csv"))
	spec := writeFile(t, t.TempDir(), "train.yaml", trainSpec("gc", w.url("in/germancredit.csv"), "", w.url("out")))
	p := w.proxy(t, faultproxy.Config{Rate: 1, Kinds: []faultproxy.Kind{faultproxy.InternalError},
		Match: func(r *http.Request) bool { return r.Method == http.MethodHead }})
	r := lendscore(t, append(w.env(t, p.URL), "AWS_NEW_RETRIES_2026=true"), "run", spec)
	msg := lastLine(r.stderr)
	if r.exit != 1 || strings.Contains(msg, "does not exist") || !strings.Contains(msg, "HeadObject") || !strings.Contains(msg, "StatusCode: 500") {
		t.Errorf("want exit 1 and the store's error (HeadObject, status 500); got exit %d: %s", r.exit, msg)
	}
}
