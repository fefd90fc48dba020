package pipeline

// Sharded runs. The processes of a sharded run share one run id and write their files
// under runs/<run_id>/ as a single process would; instead of publishing, each writes a shard
// manifest, runs/<run_id>/shards/shard-<i>-of-<n>.json, as its last file. The commit step
// (CommitShards) reads the n shard manifests, refuses a run with a shard missing, a shard that
// disagrees with the others (run id, kind, input plan, model, versions) or files that no
// shard lists, merges them into one manifest and publishes it like a single process:
// manifest.json last, then latest.json. Until then latest.json names the previous run, so
// a half-finished sharded run is never visible to readers that follow it.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"sort"
	"strings"
	"time"

	"lendscore/pipeline/storage"
)

// ShardStatus is the status of a shard manifest.
const ShardStatus = "shard complete"

// ShardManifest is what one process of a sharded run leaves for the commit step: the run's
// manifest as far as the shard goes (its inputs, row counts, stage times and files), which
// share it is, and the plan it followed.
type ShardManifest struct {
	Manifest
	Shard  int `json:"shard"`
	Shards int `json:"shards"`
	// Plan identifies what every shard must agree on (job spec, as_of, input files, shard
	// count): shards with different plans belong to different runs.
	Plan string `json:"plan"`
}

// ShardFile is the path of the manifest of shard i of n inside a run.
func ShardFile(i, n int) string { return fmt.Sprintf("shards/shard-%05d-of-%05d.json", i, n) }

// ShardDir is the folder inside a run where shard i of n leaves what the commit step needs
// besides its manifest (the summaries of a sharded train run).
func ShardDir(i, n int) string { return fmt.Sprintf("shards/shard-%05d-of-%05d", i, n) }

// Snapshot returns a copy of the run's manifest as it stands, outputs sorted by path.
func (r *Run) Snapshot() Manifest {
	r.mu.Lock()
	m := r.manifest
	m.Outputs = append([]OutputFile(nil), r.manifest.Outputs...)
	r.mu.Unlock()
	sort.Slice(m.Outputs, func(i, j int) bool { return m.Outputs[i].Path < m.Outputs[j].Path })
	return m
}

// WriteShardManifest writes the manifest of shard i of n as the shard's last file. It
// publishes nothing.
func (r *Run) WriteShardManifest(ctx context.Context, i, n int, plan string) (*ShardManifest, error) {
	sm := &ShardManifest{Manifest: r.Snapshot(), Shard: i, Shards: n, Plan: plan}
	sm.Status = ShardStatus
	sm.FinishedAt = time.Now().UTC().Format(time.RFC3339Nano)
	data, err := MarshalJSON(sm)
	if err != nil {
		return nil, fmt.Errorf("shard manifest: %w", err)
	}
	loc, err := r.Location(ShardFile(i, n))
	if err != nil {
		return nil, err
	}
	if err := writeUnlessCancelled(ctx, r.store, loc, data); err != nil {
		return nil, fmt.Errorf("shard manifest: %w", err)
	}
	r.log.Info("shard written", "run_id", r.ID, "shard", fmt.Sprintf("%d/%d", i, n), "location", r.Dir.String())
	return sm, nil
}

// ErrCommitted is returned when a run has already been committed and published.
var ErrCommitted = errors.New("already committed")

// CheckNotCommitted returns an error when the run runID under output has a manifest: its
// files are published and must not be written again.
func CheckNotCommitted(ctx context.Context, st storage.Store, output storage.Location, runID string) error {
	loc, err := output.Join("runs", runID, ManifestFile)
	if err != nil {
		return err
	}
	switch _, err := st.Stat(ctx, loc); {
	case err == nil:
		return fmt.Errorf("run %s: %w (%s exists); give the rerun a new run id", runID, ErrCommitted, loc)
	case !errors.Is(err, storage.ErrNotExist):
		return fmt.Errorf("run %s: %w", runID, err)
	}
	return nil
}

// CommitShards merges the manifests of the n shards of run runID under output into the run's
// manifest and publishes it: manifest.json, then latest.json. It refuses (and publishes
// nothing) when a shard manifest is missing, when the shards disagree, or when the run's
// folder holds a file that no shard lists or lacks one that a shard lists. A run committed
// before returns ErrCommitted with the manifest when latest.json names it, an error
// otherwise.
func CommitShards(ctx context.Context, stores *storage.Stores, output storage.Location, runID string, n int, log *slog.Logger) (*Manifest, error) {
	m, _, err := MergeShards(ctx, stores, output, runID, n, nil)
	if err != nil {
		return m, err
	}
	run, err := Start(ctx, stores, output, *m, log)
	if err != nil {
		return nil, err
	}
	run.Update(func(rm *Manifest) { rm.StartedAt = m.StartedAt })
	return run.Publish(ctx)
}

// MergeShards reads the manifests of the n shards of run runID under output, checks them
// as CommitShards does and returns their merge and the shard manifests, in shard order; it
// writes nothing. Files in the run's folder for which committer returns true are the
// commit's own, left by an earlier attempt of it, which it rewrites: they are not refused.
// A run committed before returns ErrCommitted with its manifest.
func MergeShards(ctx context.Context, stores *storage.Stores, output storage.Location, runID string, n int, committer func(rel string) bool) (*Manifest, []*ShardManifest, error) {
	st, err := stores.For(ctx, output)
	if err != nil {
		return nil, nil, err
	}
	dir, err := output.Join("runs", runID)
	if err != nil {
		return nil, nil, err
	}
	if m, err := ReadManifest(ctx, st, dir); err == nil {
		if l, _, lerr := ReadLatest(ctx, st, output); lerr == nil && l.RunID == runID {
			return m, nil, ErrCommitted
		}
		return nil, nil, fmt.Errorf("run %s is committed (%s exists) but latest.json does not name it", runID, dir.MustJoin(ManifestFile))
	} else if !errors.Is(err, storage.ErrNotExist) {
		return nil, nil, fmt.Errorf("run %s: %w", runID, err)
	}
	objs, err := st.List(ctx, dir)
	if err != nil {
		return nil, nil, fmt.Errorf("run %s: %w", runID, err)
	}
	files := map[string]int64{}
	for _, o := range objs {
		rel, err := dir.Rel(o.Location)
		if err == nil && (committer == nil || !committer(rel)) {
			files[rel] = o.Size
		}
	}
	shards, err := readShards(ctx, st, dir, runID, n, files)
	if err != nil {
		return nil, nil, err
	}
	m, err := mergeShards(shards)
	if err != nil {
		return nil, nil, fmt.Errorf("run %s: %w", runID, err)
	}
	if err := checkFiles(m, files); err != nil {
		return nil, nil, fmt.Errorf("run %s: %w", runID, err)
	}
	return &m, shards, nil
}

// readShards reads the n shard manifests of a run and checks that they are all there,
// belong to the run and agree.
func readShards(ctx context.Context, st storage.Store, dir storage.Location, runID string, n int, files map[string]int64) ([]*ShardManifest, error) {
	var missing []int
	for rel := range files {
		if tag := fmt.Sprintf("-of-%05d", n); strings.HasPrefix(rel, "shards/") && !strings.HasSuffix(rel, tag+".json") && !strings.Contains(rel, tag+"/") {
			return nil, fmt.Errorf("run %s: %s belongs to a run of another shard count than %d; give the rerun a new run id", runID, rel, n)
		}
	}
	shards := make([]*ShardManifest, n)
	for i := 0; i < n; i++ {
		rel := ShardFile(i, n)
		if _, ok := files[rel]; !ok {
			missing = append(missing, i)
			continue
		}
		data, err := storage.ReadAll(ctx, st, dir.MustJoin(rel))
		if err != nil {
			return nil, fmt.Errorf("run %s: %w", runID, err)
		}
		var sm ShardManifest
		if err := json.Unmarshal(data, &sm); err != nil {
			return nil, fmt.Errorf("run %s: %s: not valid JSON: %w", runID, rel, err)
		}
		shards[i] = &sm
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("run %s: shard %s of %d has not finished (no %s): run it, then commit again",
			runID, strings.Trim(fmt.Sprint(missing), "[]"), n, ShardFile(missing[0], n))
	}
	first := shards[0]
	for i, sm := range shards {
		switch {
		case sm.Status != ShardStatus:
			return nil, fmt.Errorf("run %s: shard %d has status %q", runID, i, sm.Status)
		case sm.RunID != runID || sm.Shard != i || sm.Shards != n:
			return nil, fmt.Errorf("run %s: %s names run %s, shard %d of %d", runID, ShardFile(i, n), sm.RunID, sm.Shard, sm.Shards)
		case sm.Kind != first.Kind || sm.Model != first.Model || sm.AsOf != first.AsOf:
			return nil, fmt.Errorf("run %s: shards 0 and %d disagree: %s %s %s versus %s %s %s", runID, i,
				first.Kind, first.Model, first.AsOf, sm.Kind, sm.Model, sm.AsOf)
		case sm.Plan != first.Plan:
			return nil, fmt.Errorf("run %s: shards 0 and %d planned different inputs or job specs (plan %s versus %s)", runID, i, first.Plan, sm.Plan)
		case sm.Versions != first.Versions:
			return nil, fmt.Errorf("run %s: shards 0 and %d ran different versions: %+v versus %+v", runID, i, first.Versions, sm.Versions)
		case fmt.Sprint(sm.Notes) != fmt.Sprint(first.Notes):
			return nil, fmt.Errorf("run %s: shards 0 and %d disagree on %v versus %v", runID, i, first.Notes, sm.Notes)
		}
	}
	return shards, nil
}

// mergeShards merges shard manifests into the run's manifest: inputs and outputs joined
// and sorted, row counts added up, each stage timed by its slowest shard.
func mergeShards(shards []*ShardManifest) (Manifest, error) {
	m := shards[0].Manifest
	m.Status, m.FinishedAt = "", ""
	m.Inputs = map[string][]Input{}
	m.Rows = map[string]RowCounts{}
	m.Outputs = nil
	m.Stages = nil
	stage := map[string]int{}
	owner := map[string]int{}
	for i, sm := range shards {
		if sm.StartedAt < m.StartedAt {
			m.StartedAt = sm.StartedAt
		}
		for table, in := range sm.Inputs {
			m.Inputs[table] = append(m.Inputs[table], in...)
		}
		for table, c := range sm.Rows {
			t := m.Rows[table]
			t.Input += c.Input
			t.Used += c.Used
			t.Quarantined += c.Quarantined
			for reason, k := range c.ByReason {
				if t.ByReason == nil {
					t.ByReason = map[string]int64{}
				}
				t.ByReason[reason] += k
			}
			m.Rows[table] = t
		}
		for _, s := range sm.Stages {
			k, ok := stage[s.Name]
			if !ok {
				stage[s.Name] = len(m.Stages)
				m.Stages = append(m.Stages, s)
				continue
			}
			m.Stages[k].Seconds = max(m.Stages[k].Seconds, s.Seconds)
			m.Stages[k].OK = m.Stages[k].OK && s.OK
		}
		for _, o := range sm.Outputs {
			if j, dup := owner[o.Path]; dup {
				return Manifest{}, fmt.Errorf("shards %d and %d both wrote %s", j, i, o.Path)
			}
			owner[o.Path] = i
			m.Outputs = append(m.Outputs, o)
		}
	}
	for table := range m.Inputs {
		in := m.Inputs[table]
		sort.Slice(in, func(a, b int) bool { return in[a].Location < in[b].Location })
	}
	for table, c := range m.Rows {
		if err := c.Check(table); err != nil {
			return Manifest{}, err
		}
	}
	sort.Slice(m.Outputs, func(i, j int) bool { return m.Outputs[i].Path < m.Outputs[j].Path })
	return m, nil
}

// checkFiles compares the merged outputs with the files in the run's folder: every output
// must be there with its size, and every file there must be an output or a shard manifest.
func checkFiles(m Manifest, files map[string]int64) error {
	listed := map[string]bool{}
	for _, o := range m.Outputs {
		listed[o.Path] = true
		size, ok := files[o.Path]
		switch {
		case !ok:
			return fmt.Errorf("%s is listed by a shard and missing", o.Path)
		case size != o.Size:
			return fmt.Errorf("%s has %d bytes, its shard listed %d", o.Path, size, o.Size)
		}
	}
	var extra []string
	for rel := range files {
		if !listed[rel] && path.Dir(rel) != "shards" {
			extra = append(extra, rel)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return fmt.Errorf("%s: in the run's folder and listed by no shard (left by an earlier attempt?); give the rerun a new run id", strings.Join(extra, ", "))
	}
	return nil
}
