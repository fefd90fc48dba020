package main

// Sharded runs on the command line: `run --shard i/n` (or `--shards n` with the index from
// JOB_COMPLETION_INDEX or AWS_BATCH_JOB_ARRAY_INDEX), `run --run-id`, and `commit`.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"

	"lendscore/jobs"
	"lendscore/pipeline"
	"lendscore/pipeline/runner"
	"lendscore/pipeline/storage"
)

// Environment variables that carry a shard's index and a run id.
const (
	envK8sIndex   = "JOB_COMPLETION_INDEX"      // Kubernetes Indexed Job
	envBatchIndex = "AWS_BATCH_JOB_ARRAY_INDEX" // AWS Batch array job
	envRunID      = "LENDSCORE_RUN_ID"
)

// placementFlags are the flags of `run` that place a run: which shard it is and under which
// run id it writes.
type placementFlags struct {
	shard  string
	shards int
	runID  string
}

func (p *placementFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.shard, "shard", "", "run shard i of n (i/n) of a score or train job: read the input files k with k mod n = i and leave a shard manifest for `commit`")
	fs.IntVar(&p.shards, "shards", 0, "run one of n shards, its index from $"+envK8sIndex+" or $"+envBatchIndex)
	fs.StringVar(&p.runID, "run-id", "", "the run id (default $"+envRunID+"; shards derive one from the job spec, --as-of and the inputs)")
}

// resolve returns the shard (Count 0: unsharded) and the run id the flags and the
// environment ask for.
func (p *placementFlags) resolve(getenv func(string) string) (runner.Shard, string, error) {
	runID := p.runID
	if runID == "" {
		runID = getenv(envRunID)
	}
	if runID != "" {
		if err := runner.CheckRunID(runID); err != nil {
			return runner.Shard{}, "", usagef("--run-id: %v", err)
		}
	}
	switch {
	case p.shard != "" && p.shards != 0:
		return runner.Shard{}, "", usagef("run: --shard and --shards exclude each other")
	case p.shard != "":
		s, err := runner.ParseShard(p.shard)
		if err != nil {
			return runner.Shard{}, "", usagef("--shard: %v", err)
		}
		return s, runID, nil
	case p.shards != 0:
		if p.shards < 1 {
			return runner.Shard{}, "", usagef("--shards %d: want 1 or more", p.shards)
		}
		for _, name := range []string{envK8sIndex, envBatchIndex} {
			v := getenv(name)
			if v == "" {
				continue
			}
			i, err := strconv.Atoi(v)
			if err != nil || i < 0 || i >= p.shards {
				return runner.Shard{}, "", usagef("--shards %d: $%s=%q is not a shard index 0…%d", p.shards, name, v, p.shards-1)
			}
			return runner.Shard{Index: i, Count: p.shards}, runID, nil
		}
		return runner.Shard{}, "", usagef("--shards %d: no shard index in $%s (Kubernetes Indexed Job) or $%s (AWS Batch array job); or give --shard i/n",
			p.shards, envK8sIndex, envBatchIndex)
	}
	return runner.Shard{}, runID, nil
}

// runPlaced runs a job spec as the placement flags say: in one process (runJob), under a
// given run id, or as one shard.
func (e *environment) runPlaced(ctx context.Context, spec *jobs.Spec, p *placementFlags) error {
	placeable := runner.CheckPlacement(spec, false) == nil
	getenv := os.Getenv
	if !placeable {
		// $LENDSCORE_RUN_ID names score and train runs over a flat table; other jobs get a
		// new run id as always.
		getenv = func(k string) string {
			if k == envRunID {
				return ""
			}
			return os.Getenv(k)
		}
	}
	shard, runID, err := p.resolve(getenv)
	if err != nil {
		return err
	}
	if shard.Count == 0 && runID == "" {
		return e.runJob(ctx, spec)
	}
	if err := runner.CheckPlacement(spec, shard.Count > 0); err != nil {
		return usagef("run: %v", err)
	}
	env, err := e.runnerEnv(spec)
	if err != nil {
		return err
	}
	if shard.Count == 0 {
		m, err := runner.RunAs(ctx, spec, env, runID)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "published %s run %s to %s\n", m.Kind, m.RunID, runDir(spec, m.RunID))
		return nil
	}
	m, err := runner.RunShard(ctx, spec, env, shard, runID)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote shard %s of %s run %s to %s (not yet published: `lendscore commit` with --shards %d publishes it once every shard is done)\n",
		shard, m.Kind, m.RunID, runDir(spec, m.RunID), shard.Count)
	return nil
}

// envTableMemory names the variable that sets how much memory a train run's table may take
// before its rows go to a spill file in $TMPDIR (runner.Env.TableMemory): a size such as
// 512MiB or 2G, 0 to spill every table, off never to spill.
const envTableMemory = "LENDSCORE_TABLE_MEMORY"

// runnerEnv returns the runner's environment for spec: its stores, the log, the progress
// display and the memory a train run's table may take.
func (e *environment) runnerEnv(spec *jobs.Spec) (runner.Env, error) {
	env := runner.Env{Stores: storage.NewStores(runner.StoreOptions(spec)), Log: e.log}
	if e.progress {
		env.Progress = e.stderr
	}
	switch v := os.Getenv(envTableMemory); v {
	case "":
	case "off":
		env.TableMemory = -1
	default:
		b, err := runner.ParseBytes(v)
		if err != nil {
			return env, usagef("$%s=%q: want a size such as 512MiB or 2G, 0 or off", envTableMemory, v)
		}
		env.TableMemory = max(b, 1) // 0: any table spills
	}
	return env, nil
}

func runDir(spec *jobs.Spec, runID string) string {
	out, err := storage.Parse(spec.Output)
	if err != nil {
		return spec.Output
	}
	return out.MustJoin("runs", runID).String()
}

// cmdCommit merges the shard manifests of a sharded run and publishes it.
func (e *environment) cmdCommit(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("commit", flag.ContinueOnError)
	asOf := fs.String("as-of", "", "observation date YYYY-MM-DD, as given to the shards")
	shards := fs.Int("shards", 0, "the number of shards the run was split into")
	runID := fs.String("run-id", "", "the run id, when the shards were given one (default $"+envRunID+")")
	var sets multiFlag
	fs.Var(&sets, "set", "override a job-spec key: key=value (repeatable), as given to the shards")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("commit: want one job spec, got %d arguments", len(pos))
	}
	if err := required(fs, "shards"); err != nil {
		return err
	}
	if *shards < 1 {
		return usagef("commit: --shards %d: want 1 or more", *shards)
	}
	id := *runID
	if id == "" {
		id = os.Getenv(envRunID)
	}
	if id != "" {
		if err := runner.CheckRunID(id); err != nil {
			return usagef("commit: --run-id: %v", err)
		}
	}
	spec, err := jobs.Load(pos[0], sets, *asOf)
	if err != nil {
		return err
	}
	if spec.AsOf == "" {
		return usagef("commit: a sharded run needs --as-of (or as_of in the job spec), as given to the shards")
	}
	env, err := e.runnerEnv(spec)
	if err != nil {
		return err
	}
	m, err := runner.Commit(ctx, spec, env, *shards, id)
	if errors.Is(err, pipeline.ErrCommitted) && m != nil {
		fmt.Fprintf(e.stdout, "%s run %s is already published at %s\n", m.Kind, m.RunID, runDir(spec, m.RunID))
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "published %s run %s to %s (%d shards)\n", m.Kind, m.RunID, runDir(spec, m.RunID), *shards)
	return nil
}
