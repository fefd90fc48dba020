package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"lendscore/internal/miniotest"
	"lendscore/pipeline/storage"
	"lendscore/stages/ingest"
	"lendscore/stages/score/pqscan"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// binary builds the lendscore command once per test binary.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "lendscore-bin-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "lendscore")
		out, err := exec.Command("go", "build", "-o", builtBin, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// proc is the outcome of one lendscore process.
type proc struct {
	code           int
	stdout, stderr string
}

func lendscore(t *testing.T, env []string, args ...string) proc {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return proc{code, out.String(), errb.String()}
}

// uploadGermanCredit writes German Credit to S3 as seven Parquet files with a customer_id
// column in which a few ids repeat, within a file and across files that different shards
// score.
func uploadGermanCredit(t *testing.T, stores *storage.Stores, prefix string) {
	t.Helper()
	ctx := context.Background()
	gc, _ := filepath.Abs("../../testdata/germancredit_split.csv")
	tbl, err := ingest.ReadTable(ctx, stores, "gc", gc, ingest.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	rec := tbl.Batches[0].Record
	n := int(rec.NumRows())
	ids := array.NewStringBuilder(memory.DefaultAllocator)
	for i := 0; i < n; i++ {
		switch i {
		case 150, 610, 999: // repeats of ids in files 0, 1 and 4
			ids.Append(fmt.Sprintf("C%04d", i/3))
		default:
			ids.Append(fmt.Sprintf("C%04d", i))
		}
	}
	idCol := ids.NewArray()
	defer idCol.Release()
	fields := append([]arrow.Field{{Name: "customer_id", Type: arrow.BinaryTypes.String}}, rec.Schema().Fields()...)
	withID := array.NewRecord(arrow.NewSchema(fields, nil), append([]arrow.Array{idCol}, rec.Columns()...), int64(n))
	defer withID.Release()
	st, err := stores.For(ctx, storage.MustParse(prefix))
	if err != nil {
		t.Fatal(err)
	}
	bounds := []int{0, 140, 300, 420, 600, 750, 900, n}
	for k := 0; k+1 < len(bounds); k++ {
		part := withID.NewSlice(int64(bounds[k]), int64(bounds[k+1]))
		loc := storage.MustParse(fmt.Sprintf("%s/file-%02d.parquet", prefix, k))
		if _, err := ingest.WriteParquet(ctx, st, loc, part); err != nil {
			t.Fatal(err)
		}
		part.Release()
	}
}

// objects returns every object below prefix: key relative to prefix → content.
func objects(t *testing.T, stores *storage.Stores, prefix string) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	loc := storage.MustParse(prefix)
	st, err := stores.For(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := st.List(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, o := range objs {
		rel, _ := loc.Rel(o.Location)
		if out[rel], err = storage.ReadAll(ctx, st, o.Location); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestFourShardsOnMinIO runs a score job as four processes of the real binary against MinIO
// — the shard index given by --shard, by $JOB_COMPLETION_INDEX and by
// $AWS_BATCH_JOB_ARRAY_INDEX — and commits it: the scored and quarantine files are the same
// bytes, under the same names, as those of one process under the same run id. Before the
// last shard has run, the commit fails with exit status 1 naming the missing shard, and
// latest.json does not exist.
func TestFourShardsOnMinIO(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and starts MinIO")
	}
	srv := miniotest.Start(t)
	dir := t.TempDir()
	stores := storage.NewStores(storage.Options{})
	bucket := "s3://" + srv.Bucket
	uploadGermanCredit(t, stores, bucket+"/in")
	gc, _ := filepath.Abs("../../testdata/germancredit_split.csv")
	model := filepath.Join(dir, "model")
	train := filepath.Join(dir, "train.yaml")
	os.WriteFile(train, []byte(fmt.Sprintf("kind: train\nname: gc\ninputs: {table: %s}\ntarget: {column: creditability, bad: bad}\nsplit: {column: sample}\nexclude: [sample]\noutput: %s\n", gc, model)), 0o644)
	if p := lendscore(t, nil, "run", train); p.code != 0 {
		t.Fatalf("train: %s", p.stderr)
	}
	job := filepath.Join(dir, "score.yaml")
	os.WriteFile(job, []byte(fmt.Sprintf("kind: score\nname: gc\ninputs: {table: %s/in/}\nid: customer_id\nmodel: %s\noutput: %s/sharded\n", bucket, model, bucket)), 0o644)

	if p := lendscore(t, nil, "run", job, "--shards", "4", "--as-of", "2026-06-30"); p.code != 2 || !strings.Contains(p.stderr, "JOB_COMPLETION_INDEX") {
		t.Errorf("--shards without an index: exit %d, %s", p.code, p.stderr)
	}
	shard := func(i int) proc {
		switch i {
		case 1:
			return lendscore(t, []string{"JOB_COMPLETION_INDEX=1"}, "run", job, "--shards", "4", "--as-of", "2026-06-30")
		case 2:
			return lendscore(t, []string{"AWS_BATCH_JOB_ARRAY_INDEX=2"}, "run", job, "--shards", "4", "--as-of", "2026-06-30")
		}
		return lendscore(t, nil, "run", job, "--shard", fmt.Sprintf("%d/4", i), "--as-of", "2026-06-30")
	}
	var wg sync.WaitGroup
	results := make([]proc, 4)
	for _, i := range []int{0, 1, 3} {
		wg.Add(1)
		go func() { defer wg.Done(); results[i] = shard(i) }()
	}
	wg.Wait()
	runID := ""
	for _, i := range []int{0, 1, 3} {
		if results[i].code != 0 {
			t.Fatalf("shard %d: exit %d: %s", i, results[i].code, results[i].stderr)
		}
		id := regexp.MustCompile(`run (\S+) to`).FindStringSubmatch(results[i].stdout)
		if id == nil || (runID != "" && id[1] != runID) {
			t.Fatalf("shard %d: %q (run id %q so far)", i, results[i].stdout, runID)
		}
		runID = id[1]
	}
	p := lendscore(t, nil, "commit", job, "--shards", "4", "--as-of", "2026-06-30")
	if p.code != 1 || !strings.Contains(p.stderr, "shard 2 of 4 has not finished") {
		t.Fatalf("commit with shard 2 missing: exit %d: %s", p.code, p.stderr)
	}
	if _, ok := objects(t, stores, bucket+"/sharded")["latest.json"]; ok {
		t.Fatal("latest.json exists before the commit")
	}
	if results[2] = shard(2); results[2].code != 0 {
		t.Fatalf("shard 2: %s", results[2].stderr)
	}
	if p := lendscore(t, nil, "commit", job, "--shards", "4", "--as-of", "2026-06-30"); p.code != 0 || !strings.Contains(p.stdout, "published score run "+runID) {
		t.Fatalf("commit: exit %d: %s %s", p.code, p.stdout, p.stderr)
	}
	if p := lendscore(t, nil, "run", job, "--run-id", runID, "--as-of", "2026-06-30", "--set", "output="+bucket+"/one"); p.code != 0 {
		t.Fatalf("one process: %s", p.stderr)
	}

	sharded := objects(t, stores, bucket+"/sharded/runs/"+runID)
	one := objects(t, stores, bucket+"/one/runs/"+runID)
	var names []string
	for name := range one {
		if strings.HasPrefix(name, "scored/") || strings.HasPrefix(name, "quarantine/") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	if len(names) < 8 || !strings.Contains(strings.Join(names, " "), "quarantine/") {
		t.Fatalf("one process wrote %v", names)
	}
	for _, name := range names {
		if err := pqscan.Equivalent(sharded[name], one[name]); err != nil {
			t.Errorf("%s: sharded and one process differ: %v", name, err)
		}
	}
	for name := range sharded {
		if _, ok := one[name]; !ok && !strings.HasPrefix(name, "shards/") {
			t.Errorf("%s: written by the shards only", name)
		}
	}
	latest := string(objects(t, stores, bucket+"/sharded")["latest.json"])
	if !strings.Contains(latest, runID) {
		t.Errorf("latest.json %s", latest)
	}
}

// TestFourTrainShardsOnMinIO trains German Credit, seven Parquet files in MinIO whose ids
// repeat across files, as four processes of the real binary and a commit, and in one process
// under the same run id: the scorecard, its PMML, metrics.json, the binning table and the
// scored rows are the same bytes, and the quarantine holds the same rows.
func TestFourTrainShardsOnMinIO(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and starts MinIO")
	}
	srv := miniotest.Start(t)
	stores := storage.NewStores(storage.Options{})
	bucket := "s3://" + srv.Bucket
	uploadGermanCredit(t, stores, bucket+"/in")
	job := filepath.Join(t.TempDir(), "train.yaml")
	os.WriteFile(job, []byte(fmt.Sprintf("kind: train\nname: gc\ninputs: {table: %s/in/}\nid: customer_id\ntarget: {column: creditability, bad: bad}\nexclude: [sample]\nsplit: {method: random, seed: 3}\noutput: %s/sharded\n", bucket, bucket)), 0o644)
	var wg sync.WaitGroup
	results := make([]proc, 4)
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = lendscore(t, []string{fmt.Sprintf("JOB_COMPLETION_INDEX=%d", i)}, "run", job, "--shards", "4", "--as-of", "2026-06-30")
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r.code != 0 {
			t.Fatalf("shard %d: exit %d: %s", i, r.code, r.stderr)
		}
	}
	p := lendscore(t, nil, "commit", job, "--shards", "4", "--as-of", "2026-06-30")
	id := regexp.MustCompile(`published train run (\S+) to`).FindStringSubmatch(p.stdout)
	if p.code != 0 || id == nil {
		t.Fatalf("commit: exit %d: %s %s", p.code, p.stdout, p.stderr)
	}
	runID := id[1]
	if p := lendscore(t, nil, "run", job, "--run-id", runID, "--as-of", "2026-06-30", "--set", "output="+bucket+"/one"); p.code != 0 {
		t.Fatalf("one process: %s", p.stderr)
	}
	sharded := objects(t, stores, bucket+"/sharded/runs/"+runID)
	one := objects(t, stores, bucket+"/one/runs/"+runID)
	for _, name := range []string{"model/scorecard.json", "model/scorecard.pmml", "metrics.json", "binning.csv"} {
		if len(one[name]) == 0 || !bytes.Equal(sharded[name], one[name]) {
			t.Errorf("%s: sharded and one process differ", name)
		}
	}
	var scored int
	for name := range one {
		if strings.HasPrefix(name, "scored/") {
			scored++
			if err := pqscan.Equivalent(sharded[name], one[name]); err != nil {
				t.Errorf("%s: sharded and one process differ: %v", name, err)
			}
		}
	}
	qs, qo := quarantineRows(t, sharded), quarantineRows(t, one)
	if scored == 0 || len(qo) != 3 || !slices.Equal(qs, qo) {
		t.Errorf("%d scored parts; quarantine %q, one process %q", scored, qs, qo)
	}
	if !strings.Contains(string(objects(t, stores, bucket+"/sharded")["latest.json"]), runID) {
		t.Errorf("latest.json does not name %s", runID)
	}
}

// quarantineRows returns the rows of a run's quarantine parts (objects by relative key),
// one line each, sorted.
func quarantineRows(t *testing.T, objs map[string][]byte) []string {
	t.Helper()
	var rows []string
	for name, data := range objs {
		if !strings.HasPrefix(name, "quarantine/") {
			continue
		}
		f := filepath.Join(t.TempDir(), "q.parquet")
		if err := os.WriteFile(f, data, 0o644); err != nil {
			t.Fatal(err)
		}
		tbl, err := ingest.ReadTable(context.Background(), storage.NewStores(storage.Options{}), "q", f, ingest.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range tbl.Batches {
			for i := range int(b.Record.NumRows()) {
				var sb strings.Builder
				for _, c := range b.Record.Columns() {
					sb.WriteString(c.ValueStr(i))
					sb.WriteByte('|')
				}
				rows = append(rows, sb.String())
			}
		}
		tbl.Release()
	}
	slices.Sort(rows)
	return rows
}

func TestPlacementFlags(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	for _, tc := range []struct {
		name  string
		flags placementFlags
		env   func(string) string
		want  string // shard and run id, or the error
	}{
		{"nothing", placementFlags{}, env(), "0/0 "},
		{"--shard", placementFlags{shard: "2/4"}, env(), "2/4 "},
		{"kubernetes", placementFlags{shards: 4}, env("JOB_COMPLETION_INDEX", "3"), "3/4 "},
		{"aws batch", placementFlags{shards: 4}, env("AWS_BATCH_JOB_ARRAY_INDEX", "0"), "0/4 "},
		{"run id from the environment", placementFlags{shard: "0/2"}, env("LENDSCORE_RUN_ID", "nightly-7"), "0/2 nightly-7"},
		{"--run-id wins", placementFlags{runID: "a1"}, env("LENDSCORE_RUN_ID", "b2"), "0/0 a1"},
		{"no index", placementFlags{shards: 4}, env(), "no shard index"},
		{"index out of range", placementFlags{shards: 4}, env("JOB_COMPLETION_INDEX", "4"), "is not a shard index"},
		{"both", placementFlags{shard: "0/2", shards: 2}, env(), "exclude each other"},
		{"bad shard", placementFlags{shard: "2/2"}, env(), "0 ≤ i < n"},
		{"bad run id", placementFlags{runID: "../up"}, env(), "run id"},
	} {
		s, id, err := tc.flags.resolve(tc.env)
		got := fmt.Sprintf("%d/%d %s", s.Index, s.Count, id)
		if err != nil {
			var ue *usageError
			if !errors.As(err, &ue) {
				t.Errorf("%s: %v is not a usage error", tc.name, err)
			}
			got = err.Error()
		}
		if !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestShardFlagsRefusals: a train job without an id column, and a job of another kind, are
// refused shard flags with exit 2 and the reason.
func TestShardFlagsRefusals(t *testing.T) {
	dir := t.TempDir()
	gc, _ := filepath.Abs("../../testdata/germancredit.csv")
	p := filepath.Join(dir, "train.yaml")
	os.WriteFile(p, []byte("kind: train\nname: gc\ninputs: {table: "+gc+"}\ntarget: {column: creditability, bad: bad}\noutput: "+filepath.Join(dir, "out")+"\n"), 0o644)
	var out, errb bytes.Buffer
	if code := run([]string{"run", p, "--shard", "0/2", "--as-of", "2026-06-30"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "needs an id column") {
		t.Errorf("train --shard without an id: exit %d: %s", code, errb.String())
	}
	errb.Reset()
	nightly, _ := filepath.Abs("../../jobs/nightly.yaml")
	if code := run([]string{"run", nightly, "--shard", "0/2", "--as-of", "2026-06-30"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "for score and train jobs") {
		t.Errorf("nightly --shard: exit %d: %s", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"commit", p}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "--shards is required") {
		t.Errorf("commit without --shards: exit %d: %s", code, errb.String())
	}
}
