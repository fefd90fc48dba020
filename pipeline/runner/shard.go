package runner

// Sharded runs. n processes — the pods of a Kubernetes Indexed Job, the children of an
// AWS Batch array job — each score (or read, for a train job: train_shard.go) a
// deterministic share of the input files: with the files sorted by key, file k goes to
// shard k mod n. They write their parts under one run id and a shard manifest each
// (pipeline.ShardManifest); `lendscore commit` then merges the shard manifests and
// publishes the run (pipeline.CommitShards; a train job's commit fits the model first).
//
// Every process derives the same run id from what it is given, without talking to the
// others: the as_of date (midnight UTC, so that run ids still sort by time) and the first
// eight hex digits of a SHA-256 over the job spec (after --set and --as-of), the number of
// shards and the input files (key, size, modification time) — the plan. A retried shard
// recomputes it and rewrites the same files; a changed input or spec gives a new run.
// --run-id (or LENDSCORE_RUN_ID) names the run instead, for an orchestrator that has its
// own ids; every shard and the commit must then get the same one. A run that is committed
// is never written again: shards and commits of it are refused, so a rerun after a commit
// needs a new run id.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"lendscore/jobs"
	"lendscore/pipeline"
	"lendscore/pipeline/storage"
	"lendscore/stages/ingest"
)

// Shard is one share of a sharded run: shard Index of Count scores input file k (files sorted
// by key) when k mod Count = Index. The zero Shard is an unsharded run.
type Shard struct{ Index, Count int }

// Owns reports whether the shard scores input file k.
func (s Shard) Owns(k int) bool { return k%s.Count == s.Index }

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// ParseShard parses "i/n" (0 ≤ i < n).
func ParseShard(v string) (Shard, error) {
	i, n, ok := strings.Cut(v, "/")
	var s Shard
	var err1, err2 error
	s.Index, err1 = strconv.Atoi(i)
	s.Count, err2 = strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || s.Count < 1 || s.Index < 0 || s.Index >= s.Count {
		return Shard{}, fmt.Errorf("shard %q: want i/n with 0 ≤ i < n", v)
	}
	return s, nil
}

var runIDPattern = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z._-]{0,127}$`)

// CheckRunID reports whether id can name a run (letters, digits, '.', '_', '-').
func CheckRunID(id string) error {
	if !runIDPattern.MatchString(id) {
		return fmt.Errorf("run id %q: want up to 128 letters, digits, '.', '_' or '-', starting with a letter or digit", id)
	}
	return nil
}

// RunAs runs a job like Run, under the given run id ("" for a new one). Only score and train
// jobs over a flat table take a run id; a run id already committed under the output is
// refused.
func RunAs(ctx context.Context, spec *jobs.Spec, env Env, runID string) (*pipeline.Manifest, error) {
	if runID == "" {
		return Run(ctx, spec, env)
	}
	if err := CheckPlacement(spec, false); err != nil {
		return nil, err
	}
	if err := CheckRunID(runID); err != nil {
		return nil, err
	}
	env = withLog(env)
	if err := refuseCommitted(ctx, spec, &env, runID); err != nil {
		return nil, err
	}
	if spec.Kind == jobs.KindTrain {
		return runTrain(ctx, spec, &env, runID)
	}
	return scoreTable(ctx, spec, &env, placement{runID: runID})
}

// RunShard scores shard s of a score job under runID (derived as the package doc says when
// empty) and writes the shard's manifest. Nothing is published: see Commit.
func RunShard(ctx context.Context, spec *jobs.Spec, env Env, s Shard, runID string) (*pipeline.Manifest, error) {
	if err := CheckPlacement(spec, true); err != nil {
		return nil, err
	}
	env = withLog(env)
	plan, id, err := shardPlan(ctx, spec, &env, s.Count, runID)
	if err != nil {
		return nil, err
	}
	if err := refuseCommitted(ctx, spec, &env, id); err != nil {
		return nil, err
	}
	env.Log.Info("shard started", "run_id", id, "shard", s.String(), "plan", plan)
	if spec.Kind == jobs.KindTrain {
		return runTrainShard(ctx, spec, &env, placement{runID: id, shard: s, plan: plan})
	}
	return scoreTable(ctx, spec, &env, placement{runID: id, shard: s, plan: plan})
}

// Commit merges the manifests of the n shards of a score job's run (runID, or derived as
// for RunShard) and publishes the run. A run committed before is reported with
// pipeline.ErrCommitted and its manifest.
func Commit(ctx context.Context, spec *jobs.Spec, env Env, n int, runID string) (*pipeline.Manifest, error) {
	if err := CheckPlacement(spec, true); err != nil {
		return nil, err
	}
	env = withLog(env)
	_, id, err := shardPlan(ctx, spec, &env, n, runID)
	if err != nil {
		return nil, err
	}
	if spec.Kind == jobs.KindTrain {
		return commitTrain(ctx, spec, &env, n, id)
	}
	out, err := storage.Parse(spec.Output)
	if err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	m, err := pipeline.CommitShards(ctx, env.Stores, out, id, n, env.Log)
	if err != nil {
		return m, fmt.Errorf("commit: %w", err)
	}
	return m, nil
}

// ShardRunID returns the run id the shards of a score job in n shards derive.
func ShardRunID(ctx context.Context, spec *jobs.Spec, env Env, n int) (string, error) {
	env = withLog(env)
	_, id, err := shardPlan(ctx, spec, &env, n, "")
	return id, err
}

func withLog(env Env) Env {
	if env.Log == nil {
		env.Log = discardLogger()
	}
	return env
}

// CheckPlacement refuses jobs that cannot run sharded (or, with sharded false, under a
// given run id): only score and train jobs over a flat table can, a sharded one needs an
// as_of, and a sharded train job an id column. The command line calls it to refuse its
// placement flags.
func CheckPlacement(spec *jobs.Spec, sharded bool) error {
	if (spec.Kind != jobs.KindScore && spec.Kind != jobs.KindTrain) || spec.Inputs.Relational() {
		return fmt.Errorf("a %s job runs in one process under a new run id: sharded runs and run ids are built for score and train jobs over a flat table", spec.Kind)
	}
	if sharded && spec.AsOf == "" {
		return fmt.Errorf("a sharded %s run needs an as_of (--as-of), so that every shard dates its rows and derives its run id alike", spec.Kind)
	}
	if sharded && spec.Kind == jobs.KindTrain && spec.ID == "" {
		return fmt.Errorf("a sharded train run needs an id column (id: in the job spec): the scored rows are named by it, as row numbers do not carry across shards")
	}
	return nil
}

// shardPlan returns the plan of a sharded run — a SHA-256 over the job spec, the shard count
// and the input files — and its run id: runID when given, else derived from the as_of and
// the plan.
func shardPlan(ctx context.Context, spec *jobs.Spec, env *Env, n int, runID string) (string, string, error) {
	_, objs, err := ingest.ResolveTable(ctx, env.Stores, spec.Inputs.Table)
	if err != nil {
		return "", "", fmt.Errorf("table %s: %w", spec.Inputs.Table, err)
	}
	specYAML, err := yaml.Marshal(spec)
	if err != nil {
		return "", "", fmt.Errorf("job spec: %w", err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00shards=%d\x00", specYAML, n)
	for _, o := range objs {
		fmt.Fprintf(h, "%s\x00%d\x00%d\x00", o.Location, o.Size, o.ModTime.UnixNano())
	}
	plan := hex.EncodeToString(h.Sum(nil))
	if runID == "" {
		runID = spec.AsOfDate().Format("20060102T150405.000Z") + "-" + plan[:8]
	}
	if err := CheckRunID(runID); err != nil {
		return "", "", err
	}
	return plan, runID, nil
}

// refuseCommitted refuses to write into a run that is already committed.
func refuseCommitted(ctx context.Context, spec *jobs.Spec, env *Env, runID string) error {
	out, err := storage.Parse(spec.Output)
	if err != nil {
		return fmt.Errorf("output: %w", err)
	}
	st, err := env.Stores.For(ctx, out)
	if err != nil {
		return err
	}
	return pipeline.CheckNotCommitted(ctx, st, out, runID)
}

// startRunAs begins a run of spec under runID, or under a new run id when it is empty.
func startRunAs(ctx context.Context, spec *jobs.Spec, env *Env, runID string) (*pipeline.Run, error) {
	if runID == "" {
		return startRun(ctx, spec, env)
	}
	out, err := storage.Parse(spec.Output)
	if err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	m := pipeline.Manifest{
		RunID: runID, Kind: spec.Kind, Model: spec.Name, AsOf: spec.AsOf, Versions: pipeline.CurrentVersions(),
		Job: spec, Inputs: map[string][]pipeline.Input{}, Rows: map[string]pipeline.RowCounts{},
	}
	run, err := pipeline.Start(ctx, env.Stores, out, m, env.Log)
	if err == nil && env.Progress != nil {
		run.ShowProgress(env.Progress)
	}
	return run, err
}

// writeShardManifest ends a shard's run: its manifest, instead of publishing.
func writeShardManifest(ctx context.Context, run *pipeline.Run, p placement) (*pipeline.Manifest, error) {
	sm, err := run.WriteShardManifest(ctx, p.shard.Index, p.shard.Count, p.plan)
	if err != nil {
		return nil, err
	}
	return &sm.Manifest, nil
}
