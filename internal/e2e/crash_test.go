//go:build linux

package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"lendscore/internal/faultproxy"
)

// killPoint is a moment of a run at which a test signals it. Exactly one of line, file and
// hold is set.
type killPoint struct {
	name string
	line string                   // the first line of standard error that holds this
	file func(fileEvent) bool     // the first change to the local output that this accepts
	hold func(*http.Request) bool // the first request to the store that this accepts; the proxy holds it
}

// atStage is the start of a stage (its "stage started" log line).
func atStage(stage string) killPoint {
	return killPoint{name: "stage " + stage, line: `msg="stage started" stage=` + stage + " "}
}

// inRun returns a path relative to the output as a path relative to its run folder
// (runs/<id>/x → x); other paths (latest.json) are returned as they are.
func inRun(p string) string {
	if rest, ok := strings.CutPrefix(p, "runs/"); ok {
		if _, rel, ok := strings.Cut(rest, "/"); ok {
			return rel
		}
		return ""
	}
	return p
}

// writing is the moment lendscore's local store starts writing name (the temporary file is
// created); name is relative to the run folder, or latest.json.
func writing(name string) killPoint {
	return killPoint{name: "writing " + name, file: func(e fileEvent) bool {
		final, ok := e.tempFor()
		return e.Op == "create" && ok && inRun(final) == name && (name == "latest.json") == (final == "latest.json")
	}}
}

// committed is the moment name is renamed into place.
func committed(name string) killPoint {
	return killPoint{name: "committed " + name, file: func(e fileEvent) bool {
		return e.Op == "commit" && inRun(e.Path) == name && (name == "latest.json") == (e.Path == "latest.json")
	}}
}

// mkdir is the moment the folder name is created inside the run folder (its first file is
// being written).
func mkdir(name string) killPoint {
	return killPoint{name: "writing " + name + "/", file: func(e fileEvent) bool {
		return e.Op == "mkdir" && strings.HasPrefix(e.Path, "runs/") && inRun(e.Path) == name
	}}
}

// uploading is the moment the upload of name (relative to the run folder, or latest.json)
// reaches the store; the proxy holds the request.
func uploading(name string) killPoint {
	return killPoint{name: "uploading " + name, hold: func(r *http.Request) bool {
		op := faultproxy.Operation(r)
		return (op == "PutObject" || op == "CreateMultipartUpload") && strings.HasSuffix(r.URL.Path, "/"+name) &&
			(name == "latest.json" || strings.Contains(r.URL.Path, "/runs/"))
	}}
}

// reading is the moment the first GET of an input object whose key ends in name reaches the
// store; the proxy holds the request.
func reading(name string) killPoint {
	return killPoint{name: "reading " + name, hold: func(r *http.Request) bool {
		return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/"+name)
	}}
}

// crashJob is a job to interrupt, with what it needs to run and to be checked.
type crashJob struct {
	env   []string
	args  []string          // lendscore arguments that run the job
	tree  tree              // its output
	local string            // its output folder on local disk, for file kill points
	proxy *faultproxy.Proxy // the proxy the job's store requests pass, for hold kill points
	ref   publishedRun      // an undisturbed run of the job at the same as_of
}

// interruption is what one signal did to a run.
type interruption struct {
	point   string
	landed  string // what the run was doing when the signal arrived, as far as seen
	outcome string // killed before publication, or completed first
	left    int    // files the interrupted run left in its folder (unreachable)
}

// interrupt starts the job, waits for the kill point and sends sig. It returns the result
// and what the run was doing, or fails the test if the point never came. With a file kill
// point, published tells whether the run replaced latest.json before the signal arrived.
func (j crashJob) interrupt(t *testing.T, kp killPoint, sig syscall.Signal) (r result, landed string, published, manifest bool) {
	t.Helper()
	var w *watcher
	if kp.file != nil {
		w = watch(t, j.local)
	}
	var h *faultproxy.Hold
	if kp.hold != nil {
		h = j.proxy.Hold(kp.hold)
		// After the signal the held request must not reach the store late.
		defer h.Drop()
	}
	p := start(t, j.env, j.args...)
	reached := false
	switch {
	case kp.line != "":
		reached = p.waitLine(1, func(l string) bool { return strings.Contains(l, kp.line) })
	case kp.file != nil:
		var e fileEvent
		e, reached = w.next(kp.file, p.exited)
		landed = e.String()
	case kp.hold != nil:
		select {
		case <-h.Reached():
			reached, landed = true, "held "+h.Request()
		case <-p.exited:
		}
	}
	p.signal(sig)
	r = p.wait(t)
	if !reached && w != nil {
		// On a loaded machine the watcher can fall behind a run that ends right after the
		// change: the point was passed if the change is among all the run made; the kill
		// then came too late, which crash reports as such.
		w.settle(t)
		for _, e := range w.history() {
			if kp.file(e) {
				reached = true
				break
			}
		}
	}
	if !reached {
		t.Fatalf("the run ended before the kill point %q: %s", kp.name, r)
	}
	// Where the run was when the signal arrived: the last change it made to the output, or
	// the last line it logged.
	if w != nil {
		w.settle(t)
		hist := w.history()
		if len(hist) > 0 {
			landed = "last change: " + hist[len(hist)-1].String()
		}
		for _, e := range hist {
			published = published || (e.Op == "commit" && e.Path == "latest.json")
			manifest = manifest || (e.Op == "commit" && path.Base(e.Path) == "manifest.json")
		}
	} else if kp.line != "" {
		landed = "last log line: " + shortLogLine(lastLine(r.stderr))
	}
	return r, landed, published, manifest
}

// shortLogLine keeps the message and stage of a log line.
func shortLogLine(l string) string {
	if i := strings.Index(l, "msg="); i >= 0 {
		l = l[i:]
	}
	if i := strings.Index(l, " run_id="); i >= 0 {
		l = l[:i]
	}
	return l
}

// crash kills a run of the job at kp with SIGKILL and checks what a reader sees: latest.json
// still names the previous complete run (or, if the kill came after the run replaced it,
// the run itself, complete), every file its manifest lists is whole, and a rerun of the same
// as_of succeeds with the outputs of an undisturbed run.
func (j crashJob) crash(t *testing.T, kp killPoint) interruption {
	t.Helper()
	// The previous run was verified when it was published (the reference, or the last
	// rerun).
	prev, prevRaw, _ := readLatest(t, j.tree)
	before, err := j.tree.list("runs")
	if err != nil {
		t.Fatal(err)
	}

	r, landed, _, _ := j.interrupt(t, kp, syscall.SIGKILL)
	in := interruption{point: kp.name, landed: landed}
	now := verifyPublished(t, j.tree)
	_, nowRaw, _ := readLatest(t, j.tree)
	switch {
	case r.exit == -1 && bytes.Equal(prevRaw, nowRaw):
		in.outcome = "killed; latest.json names the previous run"
	case r.exit == -1:
		// Killed after latest.json was replaced: the run was complete.
		if now.latest.RunID == prev.RunID {
			t.Errorf("latest.json changed but names the same run: %s", nowRaw)
		}
		in.outcome = "killed after publishing; latest.json names it, complete"
	case r.exit == 0:
		in.outcome = "completed before the kill"
	default:
		t.Fatalf("the run failed instead of being killed: %s", r)
	}
	after, err := j.tree.list("runs")
	if err != nil {
		t.Fatal(err)
	}
	for f := range after {
		if _, ok := before[f]; !ok && !strings.HasPrefix(f, now.dir+"/") {
			in.left++
		}
	}

	// A rerun of the same as_of succeeds and gives an undisturbed run's outputs.
	if r := lendscore(t, j.env, j.args...); r.exit != 0 {
		t.Fatalf("rerun after the kill at %s: %s", kp.name, r)
	}
	rerun := verifyPublished(t, j.tree)
	if rerun.latest.RunID == now.latest.RunID {
		t.Fatalf("the rerun did not replace latest.json")
	}
	compareRuns(t, j.ref, rerun)
	return in
}

// logInterruptions reports what each kill did, and requires that most of them came
// before publication (a kill point that always comes too late proves nothing).
func logInterruptions(t *testing.T, ins []interruption) {
	t.Helper()
	var b strings.Builder
	early := 0
	for _, in := range ins {
		fmt.Fprintf(&b, "\n  %-32s %-52s %s; %d files left unreachable", in.point, in.landed, in.outcome, in.left)
		if strings.HasPrefix(in.outcome, "killed;") {
			early++
		}
	}
	t.Logf("%d kill points, %d before publication:%s", len(ins), early, b.String())
	if early < len(ins)*3/4 {
		t.Errorf("only %d of %d kills came before the run was published", early, len(ins))
	}
}

// killPointsOf derives the kill points of a job from an undisturbed run of it: the start
// of every stage it logged, then, in the order it wrote them, the start of writing every
// file and folder of its run folder, the manifest, the moment the manifest is in place, and
// the writing of latest.json. Stages and outputs added to a job are covered as they come.
func killPointsOf(stderr []byte, hist []fileEvent) []killPoint {
	var kps []killPoint
	seen := map[string]bool{}
	add := func(kp killPoint) {
		if !seen[kp.name] {
			seen[kp.name] = true
			kps = append(kps, kp)
		}
	}
	for _, l := range strings.Split(string(stderr), "\n") {
		if _, rest, ok := strings.Cut(l, `msg="stage started" stage=`); ok {
			stage, _, _ := strings.Cut(rest, " ")
			add(atStage(stage))
		}
	}
	for _, e := range hist {
		switch final, temp := e.tempFor(); {
		case e.Op == "create" && temp && strings.HasPrefix(final, "runs/"):
			if rel := inRun(final); !strings.Contains(rel, "/") && rel != "manifest.json" {
				add(writing(rel))
			}
		case e.Op == "mkdir" && strings.HasPrefix(e.Path, "runs/"):
			if rel := inRun(e.Path); rel != "" && !strings.Contains(rel, "/") {
				add(mkdir(rel))
			}
		}
	}
	add(writing("manifest.json"))
	add(committed("manifest.json"))
	add(writing("latest.json"))
	return kps
}

// shortKillPoints keeps every other kill point under -short, always with the last three
// (the manifest and latest.json).
func shortKillPoints(kps []killPoint) []killPoint {
	if !testing.Short() {
		return kps
	}
	var out []killPoint
	for i, kp := range kps {
		if i%2 == 0 || i >= len(kps)-3 {
			out = append(out, kp)
		}
	}
	return out
}

// TestCrashLocal kills a train job and a nightly job on local disk with SIGKILL at the
// start of every stage and while each of their files is written (some 35 kill points; every
// other one under -short), and checks after each kill that latest.json names the previous
// complete run, intact, and that a rerun gives the outputs of an undisturbed run.
func TestCrashLocal(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := baseEnv(t)
	extracts := filepath.Join(dir, "extracts")
	mustSucceed(t, env, "gen", "--customers", "2000", "--dirty-rate", "0.02", "--out", extracts)
	model := filepath.Join(dir, "model")
	nightly := filepath.Join(dir, "nightly")
	trainSpec := writeFile(t, dir, "train.yaml", relationalSpec("train", extracts, model, ""))
	nightlySpec := writeFile(t, dir, "nightly.yaml", relationalSpec("nightly", extracts, nightly, "model: "+model+"\n"))

	total := 0
	for _, job := range []struct{ name, spec, out string }{
		{"train", trainSpec, model},
		{"nightly", nightlySpec, nightly},
	} {
		t.Run(job.name, func(t *testing.T) {
			args := []string{"run", job.spec, "--log-level", "debug"}
			if err := os.MkdirAll(job.out, 0o755); err != nil {
				t.Fatal(err)
			}
			// The undisturbed run: the previous complete run of the first kill, the
			// reference of every rerun, and the map of the kill points.
			wt := watch(t, job.out)
			r := mustSucceed(t, env, args...)
			wt.settle(t)
			wt.close()
			j := crashJob{env: env, args: args, tree: localTree(job.out), local: job.out}
			j.ref = verifyPublished(t, j.tree)
			points := killPointsOf(r.stderr, wt.history())
			var ins []interruption
			for _, kp := range shortKillPoints(points) {
				t.Run(kp.name, func(t *testing.T) { ins = append(ins, j.crash(t, kp)) })
			}
			logInterruptions(t, ins)
			total += len(ins)
		})
	}
	if min := 20; !testing.Short() && total < min {
		t.Errorf("%d kill points; want at least %d", total, min)
	}
}

// TestCrashS3 kills a train job that reads and publishes on MinIO with SIGKILL while it
// reads its input, uploads its files, the manifest and latest.json — each request held by
// the proxy until the kill, so the points are exact — and makes the same checks as
// TestCrashLocal.
func TestCrashS3(t *testing.T) {
	w := newS3World(t)
	j := s3TrainJob(t, w, w.proxy(t, faultproxy.Config{}), "crash/train")
	j.ref = verifyPublished(t, j.tree)
	points := []killPoint{
		reading("germancredit.csv"), uploading("model/scorecard.json"), uploading("scored/part-00000.parquet"),
		uploading("model_card.html"), uploading("manifest.json"), uploading("latest.json"),
	}
	if testing.Short() {
		points = points[3:]
	}
	var ins []interruption
	for _, kp := range points {
		t.Run(kp.name, func(t *testing.T) { ins = append(ins, j.crash(t, kp)) })
	}
	logInterruptions(t, ins)
}

// stopsCleanly sends SIGTERM to a run of the job at kp and requires it to stop within
// seconds with exit status 1 and a message that says it was interrupted, with latest.json
// unchanged and, unless the manifest was already in place, no new manifest.
func (j crashJob) stopsCleanly(t *testing.T, kp killPoint) {
	t.Helper()
	// A hang detector, not a speed test: a cancelled run stops at the next stage boundary
	// or store call, well within this.
	const stopWithin = 20 * time.Second
	_, prevRaw, _ := readLatest(t, j.tree)
	before := manifests(t, j.tree)
	start := time.Now()
	r, landed, published, manifest := j.interrupt(t, kp, syscall.SIGTERM)
	took := time.Since(start)
	t.Logf("%s: %s; exit %d after %.1fs: %s", kp.name, landed, r.exit, took.Seconds(), lastLine(r.stderr))
	if took > stopWithin {
		t.Errorf("the run took %v to stop after SIGTERM", took)
	}
	if published {
		// The signal came after latest.json was in place: the run was complete, and
		// says so.
		if r.exit != 0 {
			t.Errorf("the run replaced latest.json, then failed: %s", r)
		}
		if now := verifyPublished(t, j.tree); bytes.Equal(prevRaw, mustLatest(t, j.tree)) {
			t.Errorf("the run replaced latest.json, but it still names %s", now.latest.RunID)
		}
		return
	}
	if r.exit != 1 || !strings.Contains(lastLine(r.stderr), "interrupted") {
		t.Errorf("want exit status 1 and a message saying the run was interrupted; %s", r)
	}
	_, nowRaw, _ := readLatest(t, j.tree)
	if !bytes.Equal(prevRaw, nowRaw) {
		t.Errorf("a run stopped by SIGTERM replaced latest.json:\n%s", nowRaw)
	}
	// A run signalled while it writes its manifest may commit it before the signal lands
	// (the write and the rename are microseconds apart, and on a busy machine the signal
	// can land later still, as latest.json is being written): the manifest is then in place,
	// as the watcher saw, and only latest.json must be unchanged.
	raced := kp.name == "writing manifest.json" && manifest
	afterManifest := kp.name == "committed manifest.json" || strings.Contains(kp.name, "latest.json") || raced
	if got := manifests(t, j.tree); len(got) != len(before) && !afterManifest {
		t.Errorf("a run stopped by SIGTERM before its manifest wrote one (%d manifests, %d before)", len(got), len(before))
	}
	verifyPublished(t, j.tree)
}

// mustLatest returns latest.json of an output.
func mustLatest(t testing.TB, tr tree) []byte {
	t.Helper()
	_, raw, ok := readLatest(t, tr)
	if !ok {
		t.Fatalf("%s: no latest.json", tr)
	}
	return raw
}

// localTrainJob makes a train job on generated extracts on local disk, with one complete
// run published.
func localTrainJob(t *testing.T) crashJob {
	t.Helper()
	dir := t.TempDir()
	env := baseEnv(t)
	extracts := filepath.Join(dir, "extracts")
	mustSucceed(t, env, "gen", "--customers", "2000", "--out", extracts)
	model := filepath.Join(dir, "model")
	spec := writeFile(t, dir, "train.yaml", relationalSpec("train", extracts, model, ""))
	j := crashJob{env: env, args: []string{"run", spec, "--log-level", "debug"}, tree: localTree(model), local: model}
	mustSucceed(t, env, j.args...)
	return j
}

// s3TrainJob makes a train job on German Credit in MinIO that reaches the store through
// the proxy p and publishes to out in the world's bucket, with one complete run published.
func s3TrainJob(t *testing.T, w *s3World, p *faultproxy.Proxy, out string) crashJob {
	t.Helper()
	w.put(t, "in/germancredit.csv", readRepoFile(t, "testdata/germancredit.csv"))
	spec := writeFile(t, t.TempDir(), "train.yaml", trainSpec("gc", w.url("in/germancredit.csv"), "", w.url(out)))
	j := crashJob{env: w.env(t, p.URL), args: []string{"run", spec, "--log-level", "debug"}, tree: w.tree(out), proxy: p}
	mustSucceed(t, j.env, j.args...)
	return j
}

// TestSIGTERM sends SIGTERM to runs at several points — in stages; on local disk while the
// card, the manifest or latest.json is written; on S3 while they are uploaded, and while a
// multipart upload is under way — and requires each to stop within seconds with exit
// status 1, a message that says it was interrupted, nothing published and no multipart
// upload left open.
func TestSIGTERM(t *testing.T) {
	t.Run("local", func(t *testing.T) {
		j := localTrainJob(t)
		for _, kp := range []killPoint{
			atStage("ingest"), atStage("clean"), atStage("features"), atStage("train"), atStage("validate"),
			atStage("publish"), writing("model_card.html"), writing("manifest.json"), committed("manifest.json"),
			writing("latest.json"),
		} {
			t.Run(kp.name, func(t *testing.T) { j.stopsCleanly(t, kp) })
		}
	})
	t.Run("s3", func(t *testing.T) {
		w := newS3World(t)
		p := w.proxy(t, faultproxy.Config{})
		j := s3TrainJob(t, w, p, "sigterm/train")
		for _, kp := range []killPoint{reading("germancredit.csv"), uploading("model_card.html"), uploading("manifest.json"), uploading("latest.json")} {
			t.Run(kp.name, func(t *testing.T) { j.stopsCleanly(t, kp) })
		}

		t.Run("multipart", func(t *testing.T) {
			if testing.Short() {
				t.Skip("moves 30 MB; left out under -short")
			}
			w.put(t, "in/big.csv", bigTable(40_000, 5))
			spec := writeFile(t, t.TempDir(), "big.yaml", trainSpec("big", w.url("in/big.csv"), "customer_id", w.url("sigterm/big")))
			j := crashJob{env: w.env(t, p.URL), args: []string{"run", spec}, tree: w.tree("sigterm/big"), proxy: p}
			mustSucceed(t, j.env, j.args...)
			aborts := p.Stats().Operations["AbortMultipartUpload"]
			j.stopsCleanly(t, killPoint{name: "uploading a part of scored/part-00000.parquet", hold: faultproxy.UploadParts})
			if ups := w.pendingUploads(t, "sigterm/"); len(ups) != 0 {
				t.Errorf("%d multipart uploads left open after SIGTERM", len(ups))
			}
			if p.Stats().Operations["AbortMultipartUpload"] == aborts {
				t.Errorf("requests %v: the interrupted multipart upload was not aborted", p.Stats().Operations)
			}
		})
	})
}
