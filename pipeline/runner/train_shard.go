package runner

// Sharded train runs. Each shard reads its share of the table's files (file k when k mod n
// is its index), applies the row rules and leaves, under runs/<run_id>/:
//
//	quarantine/part-<shard>-<n>.parquet             the rows it refused, as one process would
//	shards/shard-<i>-of-<n>/summary.json            rows read, used, refused; files; candidates
//	shards/shard-<i>-of-<n>/sketch/part-*.parquet   key sets and categories (train.SketchSchema)
//	shards/shard-<i>-of-<n>/rows/part-*.parquet     its rows as codes (train.RowsSchema)
//	shards/shard-<i>-of-<n>.json                    its manifest, last
//
// The commit merges the shard manifests and the sketches, places every shard's rows at
// their position in the whole table (train.Assembler), refuses the repeats of ids that
// several shards read (quarantine/part-commit-<n>.parquet, the rows read again from their
// files), assigns the random samples over all rows, fits, scores, validates and publishes as
// one process would: the model, metrics, binning table, row counts and scored rows are those
// of one process over the same files, and the quarantine holds the same rows.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"lendscore/jobs"
	"lendscore/pipeline"
	"lendscore/pipeline/storage"
	"lendscore/stages/frame"
	"lendscore/stages/ingest"
	"lendscore/stages/train"
)

// shardRowsBatch is the number of rows per batch of a shard's rows.
const shardRowsBatch = 64 << 10

// runTrainShard runs shard p.shard of a train job under p.runID and writes the shard's
// summaries and manifest; nothing is published.
func runTrainShard(ctx context.Context, spec *jobs.Spec, env *Env, p placement) (*pipeline.Manifest, error) {
	run, err := startRunAs(ctx, spec, env, p.runID)
	if err != nil {
		return nil, err
	}
	in := newTrainInput(spec)
	in.rules.Shard = true
	defer in.restore()
	defer in.withSpill(env)()
	var t *train.Table // nil when no file is this shard's
	err = run.Stage(ctx, "ingest", func(ctx context.Context) error {
		t, err = in.readTable(ctx, run, env, p.shard.Owns)
		return err
	})
	if err != nil {
		return nil, err
	}
	logSpill(env, t, in.rules)
	var part *train.Part
	if t != nil {
		defer t.Release()
		counts := tableCounts(t)
		if err := counts.Check(in.tableName); err != nil {
			return nil, err
		}
		run.Update(func(m *pipeline.Manifest) { m.Rows[in.tableName] = counts })
		err = run.Stage(ctx, "encode", func(ctx context.Context) error {
			part, err = train.NewPart(ctx, t, spec.Binning.Manual, binningConfig(spec.Binning).Special)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	err = run.Stage(ctx, "write shard", func(ctx context.Context) error {
		dir := pipeline.ShardDir(p.shard.Index, p.shard.Count)
		if part == nil {
			return run.WriteJSON(ctx, dir+"/summary.json", train.PartSummary{Refused: map[string]int64{}})
		}
		if q := part.Quarantine(); len(q) > 0 {
			prefix := fmt.Sprintf("%05d-", p.shard.Index)
			err := streamPartsWith(ctx, run, "quarantine", q[0].Schema(), ingest.PartOptions{PartPrefix: prefix}, func(write func(arrow.Record) error) error {
				for _, r := range q {
					if err := write(r); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		if part.Summary.Used > 0 {
			sketch := part.Sketch(memory.DefaultAllocator)
			defer sketch.Release()
			if err := writeParts(ctx, run, dir+"/sketch", train.SketchSchema, []arrow.Record{sketch}); err != nil {
				return err
			}
			opts := ingest.PartOptions{Fast: true, PlainColumns: []string{train.RowIDColumn}}
			err := streamPartsWith(ctx, run, dir+"/rows", train.RowsSchema(part.Summary), opts, func(write func(arrow.Record) error) error {
				return part.Rows(memory.DefaultAllocator, shardRowsBatch, write)
			})
			if err != nil {
				return err
			}
		}
		// The summary last: a shard's folder with one is whole.
		return run.WriteJSON(ctx, dir+"/summary.json", part.Summary)
	})
	if err != nil {
		return nil, err
	}
	return writeShardManifest(ctx, run, p)
}

// commitTrain merges the shards of a train run and fits, validates and publishes it.
func commitTrain(ctx context.Context, spec *jobs.Spec, env *Env, n int, runID string) (*pipeline.Manifest, error) {
	out, err := storage.Parse(spec.Output)
	if err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	// Files outside the shards' folders and their quarantine parts are the commit's own (an
	// earlier attempt's), which it writes again.
	own := func(rel string) bool {
		return strings.HasPrefix(rel, "quarantine/part-commit-") || !strings.HasPrefix(rel, "shards/") && !strings.HasPrefix(rel, "quarantine/")
	}
	m, _, err := pipeline.MergeShards(ctx, env.Stores, out, runID, n, own)
	if err != nil {
		return m, fmt.Errorf("commit: %w", err)
	}
	run, err := pipeline.Start(ctx, env.Stores, out, *m, env.Log)
	if err != nil {
		return nil, err
	}
	run.Update(func(rm *pipeline.Manifest) { rm.StartedAt = m.StartedAt })
	if env.Progress != nil {
		run.ShowProgress(env.Progress)
	}
	in := newTrainInput(spec)
	// The assembled table spills, as one process's does, when it would outgrow its memory:
	// the assembler places the rows' codes in the spill file.
	defer in.withSpill(env)()
	// A large table is held while garbage is made at a high rate: collect more often, as
	// one process does (runTrain).
	if m.Rows[in.tableName].Used >= largeTableRows {
		defer lowerGCPercentTo(trainGCPercent)()
	}
	var t *train.Table
	err = run.Stage(ctx, "assemble", func(ctx context.Context) error {
		_, objs, err := ingest.ResolveTable(ctx, env.Stores, spec.Inputs.Table)
		if err != nil {
			return tableError(spec.Inputs.Table, err)
		}
		files := make([]string, len(objs))
		for k, o := range objs {
			files[k] = o.Location.String()
		}
		var refusals []train.Refusal
		if t, refusals, err = assemble(ctx, run, env, in, n, files); err != nil {
			return err
		}
		if len(refusals) == 0 {
			return nil
		}
		// Ids that several shards read: the repeats go to quarantine as one process
		// would send them, read again from their files.
		if err := quarantineRefusals(ctx, run, spec, env, refusals); err != nil {
			return err
		}
		k := int64(len(refusals))
		run.Update(func(m *pipeline.Manifest) {
			c := m.Rows[in.tableName]
			c.Used -= k
			c.Quarantined += k
			c.ByReason = maps.Clone(c.ByReason)
			if c.ByReason == nil {
				c.ByReason = map[string]int64{}
			}
			c.ByReason["duplicate_key"] += k
			m.Rows[in.tableName] = c
		})
		return nil
	})
	if err != nil {
		return nil, err
	}
	defer t.Release()
	if in.rules.Spill != nil && !t.Spilled() && t.Bytes() > in.rules.SpillAbove {
		t.SpillTo(in.rules.Spill)
	}
	logSpill(env, t, in.rules)
	var counts pipeline.RowCounts
	run.Update(func(m *pipeline.Manifest) { counts = m.Rows[in.tableName] })
	if counts.Used != int64(t.Used()) {
		return nil, fmt.Errorf("commit: the shard manifests count %d used rows, their summaries %d", counts.Used, t.Used())
	}
	if err := counts.Check(in.tableName); err != nil {
		return nil, err
	}
	return fitTrain(ctx, run, spec, env, in, t, nil, spec.AsOfDate())
}

// quarantineRefusals reads the refused rows again from their input files and writes them to
// quarantine/part-commit-*.parquet, unchanged, with their reasons.
func quarantineRefusals(ctx context.Context, run *pipeline.Run, spec *jobs.Spec, env *Env, refusals []train.Refusal) error {
	byFile := map[int][]train.Refusal{}
	for _, r := range refusals {
		byFile[r.File] = append(byFile[r.File], r)
	}
	opts := tableReadOptions(spec)
	opts.Only = func(k int) bool { return byFile[k] != nil }
	var recs []arrow.Record
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	found := 0
	_, err := ingest.StreamTable(ctx, env.Stores, spec.Inputs.Table, opts, func(b ingest.Batch) error {
		n := b.Record.NumRows()
		reasons := make([]string, n)
		any := false
		for _, r := range byFile[b.FileIndex] {
			if r.Row >= b.FirstRow && r.Row < b.FirstRow+n {
				reasons[r.Row-b.FirstRow] = r.Reason
				any = true
				found++
			}
		}
		if !any {
			return nil
		}
		q, err := frame.Quarantine(ctx, &ingest.Table{Schema: b.Record.Schema(), Batches: []ingest.Batch{b}}, reasons)
		recs = append(recs, q...)
		return err
	})
	if err != nil {
		return tableError(spec.Inputs.Table, err)
	}
	if found != len(refusals) {
		return fmt.Errorf("commit: %d of the %d rows that repeat an id are in the input files (changed since the shards read them?)", found, len(refusals))
	}
	return streamPartsWith(ctx, run, "quarantine", recs[0].Schema(), ingest.PartOptions{PartPrefix: "commit-"}, func(write func(arrow.Record) error) error {
		for _, r := range recs {
			if err := write(r); err != nil {
				return err
			}
		}
		return nil
	})
}

// assemble reads the summaries, sketches and rows the n shards of a train run left and
// rebuilds the whole table.
func assemble(ctx context.Context, run *pipeline.Run, env *Env, in *trainInput, n int, files []string) (*train.Table, []train.Refusal, error) {
	sums := make([]train.PartSummary, n)
	sketches := make([][]arrow.Record, n)
	defer func() {
		for _, recs := range sketches {
			for _, r := range recs {
				r.Release()
			}
		}
	}()
	for i := range n {
		dir := pipeline.ShardDir(i, n)
		loc, err := run.Location(dir + "/summary.json")
		if err != nil {
			return nil, nil, err
		}
		data, err := storage.ReadAll(ctx, run.Store(), loc)
		if err != nil {
			return nil, nil, fmt.Errorf("shard %d: %w", i, err)
		}
		if err := json.Unmarshal(data, &sums[i]); err != nil {
			return nil, nil, fmt.Errorf("shard %d: %s: %w", i, loc, err)
		}
		if sums[i].Used == 0 { // no sketch, no rows
			continue
		}
		sk, err := run.Location(dir + "/sketch/")
		if err != nil {
			return nil, nil, err
		}
		if _, err := ingest.StreamTable(ctx, env.Stores, sk.String(), ingest.ReadOptions{}, func(b ingest.Batch) error {
			b.Record.Retain()
			sketches[i] = append(sketches[i], b.Record)
			return nil
		}); err != nil {
			return nil, nil, fmt.Errorf("shard %d: %w", i, err)
		}
	}
	for _, s := range sums {
		if len(s.Variables) > 0 {
			for _, v := range s.Variables {
				in.rules.Candidates = append(in.rules.Candidates, v.Name)
			}
			break
		}
	}
	if len(in.rules.Candidates) == 0 {
		return nil, nil, errors.New("no shard read a file of the table")
	}
	a, err := train.NewAssembler(in.rules, sums, sketches)
	if err != nil {
		return nil, nil, err
	}
	for i, s := range sums {
		if s.Used == 0 {
			continue
		}
		rows, err := run.Location(pipeline.ShardDir(i, n) + "/rows/")
		if err != nil {
			return nil, nil, err
		}
		if _, err := ingest.StreamTable(ctx, env.Stores, rows.String(), ingest.ReadOptions{}, func(b ingest.Batch) error {
			return a.Add(i, b.Record)
		}); err != nil {
			return nil, nil, fmt.Errorf("shard %d: %w", i, err)
		}
	}
	return a.Table(files)
}
