package runner

// The score job streams. Its input table is read in two passes, none of which holds the
// table:
//
//  1. plan: the footers of every Parquet file (schema, row groups, rows), which fix each
//     row's number in the table (files sorted by key, rows in file order) and cut every
//     file into chunks of whole row groups of about a million rows;
//  2. score: the chunks in parallel, one per core; each reads only the id and scorecard
//     columns of its row groups batch by batch, scores them, and writes its scored rows as
//     one part file, scored/part-<file>-<chunk>.parquet; the rows it refuses are read again
//     (all columns, only the row groups that hold them) into
//     quarantine/part-<file>-<chunk>.parquet.
//
// Repeated ids are found as the ids are read for scoring: each is hashed into dupkeys' spill
// of 8 bytes per row on disk, and once every chunk is scored, if a hash repeats, the ids are
// read again to compare those of the repeated hashes. The chunks are scored as if no id repeated, the
// usual case; a chunk that holds a repeated id is scored again once they are known, which
// rewrites its parts as they are when the repeated ids are known from the start.
//
// Memory is one batch per core plus the part writers' row groups, whatever the row count.
// A part holds the rows of one chunk in input order, so the bytes written depend only on the
// input — not on the number of cores, nor on how the files are split between the processes
// of a sharded run (shard.go), which every process plans alike and in which each process
// reads the ids of the other shards' files first (the keys stage), so that a repeated id is
// refused in the same row wherever it falls.
//
// CSV tables are streamed through stages/ingest instead (their column types are inferred
// across the whole table), one chunk per file, in one process, after a keys stage that reads
// their ids and finds the repeated ones.

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"lendscore/jobs"
	"lendscore/pipeline"
	"lendscore/pipeline/storage"
	"lendscore/schemas"
	"lendscore/stages/frame"
	"lendscore/stages/ingest"
	"lendscore/stages/score"
	"lendscore/stages/score/bufpool"
	"lendscore/stages/score/dupkeys"
	"lendscore/stages/score/pqscan"
)

const (
	// chunkRows is the size a file's chunks aim at: a file of n rows is cut into
	// ceil(n/chunkRows) chunks of whole row groups, as even as the row groups allow.
	chunkRows = 512 << 10
	// batchRows is the number of rows read and scored at a time.
	batchRows = 32 << 10
	// recordRows is the number of scored rows gathered into one record: a row group of the
	// part writer, so that records go to the file without being regrouped.
	recordRows = 128 << 10
	// quarantineBatchRows is the batch size of the rows read again to be quarantined.
	quarantineBatchRows = 64 << 10
	// poolBytes bounds the buffers the job's pool keeps for reuse.
	poolBytes = 32 << 20
)

// runScore scores a flat table with a published scorecard and publishes the scored table.
// Rows whose id is null or repeats an earlier row's id, or whose scorecard variable is
// infinite, go to quarantine; missing values are scored by the missing bins.
func runScore(ctx context.Context, spec *jobs.Spec, env *Env) (*pipeline.Manifest, error) {
	return scoreTable(ctx, spec, env, placement{})
}

// placement says where a run goes: its run id (a new one when empty) and, for a sharded
// run, the share of the input files it scores.
type placement struct {
	runID string
	shard Shard
	plan  string // a sharded run's plan (shard.go)
	// chunkRows overrides the chunk size (tests).
	chunkRows int64
}

// scoreTable runs a score job: the whole input, published, or one shard of it, left for
// the commit step.
func scoreTable(ctx context.Context, spec *jobs.Spec, env *Env, p placement) (*pipeline.Manifest, error) {
	sc, scLoc, err := LoadScorecard(ctx, env.Stores, spec.Model)
	if err != nil {
		return nil, err
	}
	scorer, err := score.NewScorer(sc)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", scLoc, err)
	}
	pseudo, err := newPseudonymiser(spec)
	if err != nil {
		return nil, err
	}
	asOf := spec.AsOfDate()
	if spec.AsOf == "" {
		asOf = env.now().UTC().Truncate(24 * time.Hour)
	}
	run, err := startRunAs(ctx, spec, env, p.runID)
	if err != nil {
		return nil, err
	}
	run.Update(func(m *pipeline.Manifest) {
		m.Versions.Model = sc.Version
		m.Model = sc.Model
		m.Notes = map[string]any{"scorecard": scLoc.String(), "model_run_id": sc.RunID}
	})
	job := &scoreJob{scorer: scorer, id: spec.ID, pseudo: pseudo, run: run, mem: bufpool.New(poolBytes),
		builder: score.NewRecordBuilder(scorer, arrow.Date32FromTime(asOf), sc.Model, sc.Version, run.ID)}
	defer job.builder.Release()
	if job.id == "" {
		job.id = sc.ID
	}
	var tbl *tablePlan
	err = run.Stage(ctx, "plan", func(ctx context.Context) error {
		tbl, err = planTable(ctx, env.Stores, spec.Inputs.Table, tableReadOptions(spec).CSV, p)
		if err != nil {
			return tableError(spec.Inputs.Table, err)
		}
		if tbl.csv {
			return nil // the schema is known once the CSV files are read
		}
		if err := job.check(tbl.schema); err != nil {
			return tableError(spec.Inputs.Table, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if job.id != "" {
		job.keys = &keySet{f: dupkeys.New("")}
		defer job.keys.f.Close()
	}
	if job.id != "" && (tbl.csv || tbl.shard.Count > 0) {
		// The ids of the rows this process does not score: every row of a CSV table (read
		// before scoring, whose duplicates are then known), the files of the other shards.
		err = run.Stage(ctx, "keys", func(ctx context.Context) error {
			if err := tbl.addKeys(ctx, job); err != nil {
				return tableError(spec.Inputs.Table, err)
			}
			if !tbl.csv {
				return nil
			}
			keys := job.keys
			job.keys = nil
			if job.dups, err = tbl.repeatedKeys(ctx, job, keys); err != nil {
				return tableError(spec.Inputs.Table, err)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	err = run.Stage(ctx, "score", func(ctx context.Context) error {
		defer lowerGCPercent()()
		results, err := tbl.score(ctx, job)
		if err != nil {
			return tableError(spec.Inputs.Table, err)
		}
		counts := pipeline.RowCounts{ByReason: map[string]int64{}}
		var inputs []ingest.FileInfo
		for _, r := range results {
			if r.input != nil {
				inputs = append(inputs, *r.input)
			}
			counts.Input += r.rows
			counts.Used += r.used
			for code, n := range r.byReason {
				counts.ByReason[code] += n
				counts.Quarantined += n
			}
			for _, o := range r.outputs {
				run.RecordOutput(o.Path, o.Size, o.SHA256)
			}
		}
		recordInputs(run, "table", inputs)
		run.Update(func(m *pipeline.Manifest) { m.Rows["table"] = counts })
		return counts.Check("table")
	})
	if err != nil {
		return nil, err
	}
	if p.shard.Count > 0 {
		return writeShardManifest(ctx, run, p)
	}
	return run.Publish(ctx)
}

// streamingGCPercent is the garbage collector's target while chunks stream. The Parquet
// writer leaves about 700 bytes of garbage per scored row, against a live heap of about 60 MB
// per core, so the default target (100: the heap may grow to twice the live heap) buys
// little time with a lot of memory; at 60 the peak RSS of scoring 10,000,000 rows on two
// cores stays under 300 MB for no measurable CPU (scripts/bench-score.sh).
const streamingGCPercent = 60

// lowerGCPercent sets streamingGCPercent, unless GOGC says otherwise, and returns the
// function that restores the previous setting.
func lowerGCPercent() (restore func()) { return lowerGCPercentTo(streamingGCPercent) }

// lowerGCPercentTo sets the garbage collector's target to percent, unless GOGC says
// otherwise or the target is lower already, and returns the function that restores the
// previous setting.
func lowerGCPercentTo(percent int) (restore func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	old := debug.SetGCPercent(percent)
	if old < percent {
		debug.SetGCPercent(old)
	}
	return func() { debug.SetGCPercent(old) }
}

// scoreJob is what every chunk of a score run shares.
type scoreJob struct {
	scorer  *score.Scorer
	id      string // id column; "" numbers the rows
	pseudo  *pseudonymiser
	run     *pipeline.Run
	builder *score.RecordBuilder
	// mem recycles the buffers of the Parquet readers and writers.
	mem *bufpool.Pool
	// keys gathers the hashed ids of the rows read while they are (nil once they are all
	// read, or when rows have no id); dups lists the rows whose id repeats an earlier row's,
	// sorted by row, once known.
	keys *keySet
	dups []dupRow
}

// dupRow is a row whose id first occurred in row first (rows numbered over the table).
type dupRow struct{ row, first int64 }

// check reports whether a table of schema can be scored; the caller names the table.
func (j *scoreJob) check(schema *arrow.Schema) error {
	if j.id != "" && len(schema.FieldIndices(j.id)) == 0 {
		return fmt.Errorf("id column %q: %s", j.id, ingest.ColumnHint(schema, j.id))
	}
	return j.scorer.Check(schema)
}

// columns returns the columns a chunk reads: the id and the scorecard's.
func (j *scoreJob) columns() []string {
	cols := j.scorer.Columns()
	if j.id != "" && !contains(cols, j.id) {
		cols = append([]string{j.id}, cols...)
	}
	return cols
}

// categorical returns the columns a chunk reads as dictionaries: the scorecard's categorical
// columns but the id, whose text goes to the scored table.
func (j *scoreJob) categorical() []string {
	var out []string
	for _, c := range j.scorer.Categorical() {
		if c != j.id {
			out = append(out, c)
		}
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, s := range xs {
		if s == x {
			return true
		}
	}
	return false
}

// tablePlan is the input table of a score run: its files in key order, each with its rows,
// its number of the first row in the table, and its chunks.
type tablePlan struct {
	input  string
	stores *storage.Stores
	st     storage.Store
	csv    bool
	csvOpt ingest.CSVOptions // how CSV inputs are read (inputs.csv)
	schema *arrow.Schema
	files  []*planFile
	shard  Shard
}

type planFile struct {
	index     int
	loc       storage.Location
	name      string
	size      int64
	rows      int64
	offset    int64 // number of the file's first row in the table
	rowGroups []int64
	chunks    []*planChunk
}

// planChunk is a run of whole row groups of a file, scored into one part.
type planChunk struct {
	file     *planFile
	index    int
	groups   []int
	firstRow int64 // in the file
	rows     int64
}

// name returns the part name of the chunk: part-<file>-<chunk>.parquet.
func (c *planChunk) name() string {
	return fmt.Sprintf("part-%05d-%05d.parquet", c.file.index, c.index)
}

// planTable resolves the input and reads the footers of its Parquet files (in parallel).
func planTable(ctx context.Context, stores *storage.Stores, input string, csv ingest.CSVOptions, p placement) (*tablePlan, error) {
	shard := p.shard
	size := cmp.Or(p.chunkRows, chunkRows)
	st, objs, err := ingest.ResolveTable(ctx, stores, input)
	if err != nil {
		return nil, err
	}
	t := &tablePlan{input: input, stores: stores, st: st, shard: shard, csvOpt: csv}
	for i, o := range objs {
		t.files = append(t.files, &planFile{index: i, loc: o.Location, name: o.Location.String(), size: o.Size})
		if strings.HasSuffix(strings.ToLower(o.Location.Key), ".csv") {
			t.csv = true
		}
	}
	if t.csv {
		if shard.Count > 0 {
			return nil, fmt.Errorf("a sharded run reads Parquet files, and the table has CSV files; convert them to Parquet first")
		}
		return t, nil
	}
	schemas := make([]*arrow.Schema, len(t.files))
	err = parallel(ctx, len(t.files), 8, func(ctx context.Context, i int) error {
		f := t.files[i]
		pf, err := pqscan.Open(ctx, st, f.loc)
		if err != nil {
			return err
		}
		defer pf.Close()
		schemas[i], f.rows, f.rowGroups = pf.Schema, pf.Rows, pf.RowGroups
		return nil
	})
	if err != nil {
		return nil, err
	}
	t.schema = schemas[0]
	var offset int64
	for i, f := range t.files {
		if a, b := columnsOf(t.schema), columnsOf(schemas[i]); a != b {
			return nil, fmt.Errorf("%s and %s: different schemas: (%s) versus (%s)", t.files[0].name, f.name, a, b)
		}
		f.offset = offset
		offset += f.rows
		f.chunks = chunksOf(f, size)
	}
	return t, nil
}

// chunksOf cuts a file into ceil(rows/size) chunks of whole row groups, each closing once
// it holds its share of the rows left. A file without rows has one empty chunk.
func chunksOf(f *planFile, size int64) []*planChunk {
	n := max(1, int((f.rows+size-1)/size))
	var out []*planChunk
	c := &planChunk{file: f}
	left := f.rows
	var row int64
	for g, rows := range f.rowGroups {
		c.groups = append(c.groups, g)
		c.rows += rows
		row += rows
		if parts := int64(n - len(out)); parts > 1 && c.rows >= left/parts {
			left -= c.rows
			out = append(out, c)
			c = &planChunk{file: f, index: len(out), firstRow: row}
		}
	}
	if len(c.groups) > 0 || len(out) == 0 {
		out = append(out, c)
	}
	return out
}

// mine reports whether file i is scored by this process.
func (t *tablePlan) mine(i int) bool { return t.shard.Count == 0 || t.shard.Owns(i) }

// columnsOf describes the columns of a schema — names, types, nullability — for comparing
// the files of a table (metadata may differ).
func columnsOf(s *arrow.Schema) string {
	var b strings.Builder
	for i, f := range s.Fields() {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %s", f.Name, f.Type)
		if !f.Nullable {
			b.WriteString(" not null")
		}
	}
	return b.String()
}

// keySet gathers the hashed ids of the rows of a run, from several goroutines.
type keySet struct {
	mu sync.Mutex
	f  *dupkeys.Finder
}

// add records ids of the given hashes (IDColumn.Hashes).
func (k *keySet) add(hashes []uint64) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, h := range hashes {
		if err := k.f.Add(h); err != nil {
			return err
		}
	}
	return nil
}

// addKeys adds to job.keys the ids of the files this process does not score (every file of
// a CSV table), in parallel.
func (t *tablePlan) addKeys(ctx context.Context, job *scoreJob) error {
	return t.scanIDs(ctx, job, true, func(col score.IDColumn, first int64, _ []byte) error {
		hashes, _ := col.Hashes(job.keys.f.Seed(), first, nil, nil)
		return job.keys.add(hashes)
	})
}

// repeatedKeys finds the rows whose id repeats an earlier row's among the ids of keys, which
// must hold every row of the table (every file, whichever shard scores it). When a hash
// repeats, the ids are read again, in row order, to compare those of the repeated hashes.
func (t *tablePlan) repeatedKeys(ctx context.Context, job *scoreJob, keys *keySet) ([]dupRow, error) {
	reps, err := keys.f.Repeated(ctx)
	if err != nil || len(reps) == 0 {
		return nil, err
	}
	repeated := make(map[uint64]bool, len(reps))
	for _, h := range reps {
		repeated[h] = true
	}
	res := dupkeys.NewResolver()
	var (
		dups   []dupRow
		hashes []uint64
		rows   []int64
	)
	err = t.scanIDs(ctx, job, false, func(col score.IDColumn, first int64, buf []byte) error {
		hashes, rows = col.Hashes(keys.f.Seed(), first, hashes[:0], rows[:0])
		for k, h := range hashes {
			if !repeated[h] {
				continue
			}
			buf = col.Append(buf[:0], int(rows[k]-first))
			if f, dup := res.Add(dupkeys.Candidate{Row: rows[k], Hash: h}, buf); dup {
				dups = append(dups, dupRow{rows[k], f})
			}
		}
		return nil
	})
	return dups, err
}

// scanIDs calls fn with the id column of every batch of the table and the table row number
// of its first row: in row order, or, when par is set, the files that this process does not
// score (every file of a CSV table) in parallel (fn must then be safe for concurrent use).
func (t *tablePlan) scanIDs(ctx context.Context, job *scoreJob, par bool, fn func(col score.IDColumn, first int64, buf []byte) error) error {
	if t.csv {
		var row int64
		buf := make([]byte, 0, 64)
		_, err := ingest.StreamTable(ctx, t.stores, t.input, ingest.ReadOptions{BatchSize: batchRows, CSV: t.csvOpt}, func(b ingest.Batch) error {
			if err := job.check(b.Record.Schema()); err != nil {
				return err
			}
			col := score.NewIDColumn(b.Record.Column(b.Record.Schema().FieldIndices(job.id)[0]))
			err := fn(col, row, buf)
			row += b.Record.NumRows()
			return err
		})
		return err
	}
	files := t.files
	workers := 1
	if par {
		// The ids of the files this process scores come with their scoring.
		workers = runtime.GOMAXPROCS(0)
		files = nil
		for _, f := range t.files {
			if !t.mine(f.index) {
				files = append(files, f)
			}
		}
	}
	return parallel(ctx, len(files), workers, func(ctx context.Context, i int) error {
		f := files[i]
		pf, err := pqscan.Open(ctx, t.st, f.loc, pqscan.WithAllocator(job.mem))
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := f.unchanged(pf); err != nil {
			return err
		}
		row := f.offset
		buf := make([]byte, 0, 64)
		return pf.Scan(ctx, []string{job.id}, allGroups(f), batchRows, func(rec arrow.Record) error {
			err := fn(score.NewIDColumn(rec.Column(0)), row, buf)
			row += rec.NumRows()
			return err
		})
	})
}

func allGroups(f *planFile) []int {
	g := make([]int, len(f.rowGroups))
	for i := range g {
		g[i] = i
	}
	return g
}

// unchanged reports an error when a file no longer has the rows its footer had at planning.
func (f *planFile) unchanged(pf *pqscan.File) error {
	if pf.Rows != f.rows || len(pf.RowGroups) != len(f.rowGroups) {
		return fmt.Errorf("%s changed while the run read it: %d rows, then %d", f.name, f.rows, pf.Rows)
	}
	return nil
}

// chunkResult is what a chunk wrote and counted.
type chunkResult struct {
	input    *ingest.FileInfo // the file's checksum, on the file's first chunk
	rows     int64
	used     int64
	byReason map[string]int64
	outputs  []pipeline.OutputFile
}

// score scores this process's chunks, one per core, and returns their results in chunk
// order.
func (t *tablePlan) score(ctx context.Context, job *scoreJob) ([]chunkResult, error) {
	if t.csv {
		return t.scoreCSV(ctx, job)
	}
	var chunks []*planChunk
	for _, f := range t.files {
		if t.mine(f.index) {
			chunks = append(chunks, f.chunks...)
		}
	}
	results := make([]chunkResult, len(chunks))
	err := parallel(ctx, len(chunks), runtime.GOMAXPROCS(0), func(ctx context.Context, i int) error {
		var err error
		results[i], err = job.scoreChunk(ctx, t.st, chunks[i])
		return err
	})
	if err != nil || job.keys == nil {
		return results, err
	}
	// The chunks were scored as if no id repeated; the ids they read are all known now.
	keys := job.keys
	job.keys = nil
	if job.dups, err = t.repeatedKeys(ctx, job, keys); err != nil || len(job.dups) == 0 {
		return results, err
	}
	// Score again the chunks that hold a repeated id, which rewrites their parts as they
	// are when the repeated ids are known from the start.
	var redo []int
	for i, c := range chunks {
		start := c.file.offset + c.firstRow
		d := sort.Search(len(job.dups), func(k int) bool { return job.dups[k].row >= start })
		if d < len(job.dups) && job.dups[d].row < start+c.rows {
			redo = append(redo, i)
		}
	}
	err = parallel(ctx, len(redo), runtime.GOMAXPROCS(0), func(ctx context.Context, k int) error {
		i := redo[k]
		var err error
		results[i], err = job.scoreChunk(ctx, t.st, chunks[i])
		return err
	})
	return results, err
}

// scoreChunk scores the row groups of one chunk into its part, and quarantines the rows it
// refuses.
func (j *scoreJob) scoreChunk(ctx context.Context, st storage.Store, c *planChunk) (chunkResult, error) {
	pf, err := pqscan.Open(ctx, st, c.file.loc, pqscan.WithAllocator(j.mem), pqscan.WithDictionaries(j.categorical()...))
	if err != nil {
		return chunkResult{}, err
	}
	defer pf.Close()
	if err := c.file.unchanged(pf); err != nil {
		return chunkResult{}, err
	}
	w, err := j.newChunkWriter(ctx, c)
	if err != nil {
		return chunkResult{}, err
	}
	defer w.abort()
	row := c.firstRow
	err = pf.Scan(ctx, j.columns(), c.groups, batchRows, func(rec arrow.Record) error {
		err := w.score(rec, row)
		row += rec.NumRows()
		return err
	})
	if err != nil {
		return chunkResult{}, err
	}
	// The refused rows, unchanged: read again, every column, the row groups that hold them,
	// with the schema stages/ingest gives the file.
	var schema *arrow.Schema
	if len(w.refused) > 0 {
		if schema, err = ingestSchema(ctx, st, c.file); err != nil {
			return chunkResult{}, err
		}
		// Read the categories as the strings they are.
		if pf, err = pqscan.Open(ctx, st, c.file.loc, pqscan.WithAllocator(j.mem)); err != nil {
			return chunkResult{}, err
		}
		defer pf.Close()
		if err := c.file.unchanged(pf); err != nil {
			return chunkResult{}, err
		}
	}
	g, groupRow, r := 0, c.firstRow, 0
	for r < len(w.refused) {
		for w.refused[r].row >= groupRow+c.file.rowGroups[c.groups[g]] {
			groupRow += c.file.rowGroups[c.groups[g]]
			g++
		}
		first := groupRow
		err := pf.Scan(ctx, nil, []int{c.groups[g]}, quarantineBatchRows, func(rec arrow.Record) error {
			rec = array.NewRecord(schema, rec.Columns(), rec.NumRows())
			defer rec.Release()
			err := w.quarantine(ctx, rec, first)
			first += rec.NumRows()
			return err
		})
		if err != nil {
			return chunkResult{}, err
		}
		for r < len(w.refused) && w.refused[r].row < groupRow+c.file.rowGroups[c.groups[g]] {
			r++
		}
	}
	res, err := w.close()
	if err != nil {
		return chunkResult{}, err
	}
	if c.index == 0 {
		sum, size, err := pqscan.Checksum(ctx, st, c.file.loc)
		if err != nil {
			return chunkResult{}, err
		}
		res.input = &ingest.FileInfo{Location: c.file.name, Size: size, SHA256: sum, Rows: c.file.rows}
	}
	return res, nil
}

// errSchemaRead stops ingestSchema's read after the first batch.
var errSchemaRead = errors.New("schema read")

// ingestSchema returns the schema of the batches stages/ingest reads from a Parquet file:
// the one the file's refused rows are quarantined with, as the in-memory job did.
func ingestSchema(ctx context.Context, st storage.Store, f *planFile) (*arrow.Schema, error) {
	r, err := st.Open(ctx, f.loc)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var schema *arrow.Schema
	err = ingest.ReadParquet(ctx, r, f.name, ingest.ReadOptions{BatchSize: 1}, func(b ingest.Batch) error {
		schema = b.Record.Schema()
		return errSchemaRead
	})
	if schema == nil {
		return nil, err
	}
	return schema, nil
}

// scoreCSV streams a CSV table through stages/ingest, one chunk per file, in this goroutine.
func (t *tablePlan) scoreCSV(ctx context.Context, job *scoreJob) ([]chunkResult, error) {
	index := map[string]*planFile{}
	for _, f := range t.files {
		index[f.name] = f
	}
	var (
		results []chunkResult
		w       *chunkWriter
		row     int64
	)
	finish := func() error {
		if w == nil {
			return nil
		}
		res, err := w.close()
		results = append(results, res)
		w = nil
		return err
	}
	files, err := ingest.StreamTable(ctx, t.stores, t.input, ingest.ReadOptions{BatchSize: batchRows, CSV: t.csvOpt}, func(b ingest.Batch) error {
		if w == nil || w.chunk.file.name != b.File {
			if err := finish(); err != nil {
				return err
			}
			f := index[b.File]
			if f == nil {
				return fmt.Errorf("%s: not among the files of the table", b.File)
			}
			if err := job.check(b.Record.Schema()); err != nil {
				return err
			}
			f.offset = row
			var err error
			if w, err = job.newChunkWriter(ctx, &planChunk{file: f}); err != nil {
				return err
			}
		}
		row += b.Record.NumRows()
		w.chunk.file.rows += b.Record.NumRows()
		if err := w.score(b.Record, b.FirstRow); err != nil {
			return err
		}
		return w.quarantine(ctx, b.Record, b.FirstRow)
	})
	if err == nil {
		err = finish()
	}
	if err != nil {
		if w != nil {
			w.abort()
		}
		return nil, err
	}
	for i := range files {
		if i < len(results) {
			results[i].input = &files[i]
		}
	}
	return results, nil
}

// chunkWriter scores the batches of one chunk and writes its scored part and, when it
// refuses rows, its quarantine part.
type chunkWriter struct {
	job    *scoreJob
	ctx    context.Context
	chunk  *planChunk
	batch  score.Batch
	scored *ingest.PartWriter
	quar   *ingest.PartWriter
	names  score.IDColumn
	pseudo *pseudonymWriter
	buf    []byte
	// out gathers the kept rows until they make a record: their scores and ids (the text
	// of each, one after the other, and where each starts).
	out        score.Batch
	outIDs     []byte
	outOffsets []int32
	// hashes and hashRows take the hashed ids of a batch for job.keys.
	hashes   []uint64
	hashRows []int64
	// refused lists the refused rows (row numbers in the file) in order, with the reason.
	refused  []refusal
	rows     int64
	used     int64
	byReason map[string]int64
}

type refusal struct {
	row    int64
	reason string
}

func (j *scoreJob) newChunkWriter(ctx context.Context, c *planChunk) (*chunkWriter, error) {
	w := &chunkWriter{job: j, ctx: ctx, chunk: c, byReason: map[string]int64{}, pseudo: j.pseudo.writer(),
		outOffsets: make([]int32, 1, recordRows+1)}
	// One row group per record: every record but the chunk's last has recordRows rows.
	opts := score.PartOptions(j.mem)
	opts.RowGroupRows = recordRows
	var err error
	if w.scored, err = onePart(ctx, j.run, "scored/"+c.name(), schemas.ScoredSchema(), opts); err != nil {
		return nil, err
	}
	return w, nil
}

// onePart returns a part writer whose rows all go to the file rel inside the run, written
// with opts but for RowsPerPart.
func onePart(ctx context.Context, run *pipeline.Run, rel string, schema *arrow.Schema, opts ingest.PartOptions) (*ingest.PartWriter, error) {
	loc, err := run.Location(rel)
	if err != nil {
		return nil, err
	}
	opts.RowsPerPart = 1<<63 - 1
	pw, err := ingest.NewPartWriter(ctx, onePartStore{run.Store(), loc}, loc, schema, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	return pw, nil
}

// onePartStore creates at loc the part that a PartWriter with unbounded RowsPerPart writes:
// part files are named by chunk, not by the writer's count.
type onePartStore struct {
	storage.Store
	loc storage.Location
}

func (s onePartStore) Create(ctx context.Context, _ storage.Location) (storage.Writer, error) {
	return s.Store.Create(ctx, s.loc)
}

// score scores one batch of the chunk, whose first row is row `first` of the file, and
// gathers the rows it keeps, writing a record whenever recordRows rows are gathered.
func (w *chunkWriter) score(rec arrow.Record, first int64) error {
	j := w.job
	if err := j.scorer.Score(rec, &w.batch); err != nil {
		return fmt.Errorf("%s: %w", w.chunk.file.name, err)
	}
	n := int(rec.NumRows())
	hasID := j.id != ""
	if hasID {
		w.names = score.NewIDColumn(rec.Column(rec.Schema().FieldIndices(j.id)[0]))
	}
	g0 := w.chunk.file.offset + first // table row of the batch's first row
	if hasID && j.keys != nil {
		w.hashes, w.hashRows = w.names.Hashes(j.keys.f.Seed(), g0, w.hashes[:0], w.hashRows[:0])
		if err := j.keys.add(w.hashes); err != nil {
			return err
		}
	}
	d := sort.Search(len(j.dups), func(k int) bool { return j.dups[k].row >= g0 })
	w.rows += int64(n)
	// The scoring of the kept rows goes to w.out a run of rows at a time: the rows from kept
	// up to a refused row, the end of a record or the end of the batch.
	kept := 0
	for i := 0; i < n; i++ {
		g := g0 + int64(i)
		var reason string
		switch {
		case hasID && !w.names.Valid(i):
			reason = "null_id:" + j.id
		case d < len(j.dups) && j.dups[d].row == g:
			reason = fmt.Sprintf("duplicate_key:%s (first at row %d)", j.id, j.dups[d].first)
		case w.batch.NonFinite[i] >= 0:
			reason = "non_finite:" + j.scorer.CharacteristicName(w.batch.NonFinite[i])
		}
		if d < len(j.dups) && j.dups[d].row == g {
			d++
		}
		if reason != "" {
			w.out.AppendRows(&w.batch, kept, i)
			kept = i + 1
			w.refused = append(w.refused, refusal{first + int64(i), reason})
			w.byReason[codeOf(reason)]++
			continue
		}
		w.used++
		switch {
		case w.pseudo != nil && !hasID:
			w.buf = strconv.AppendInt(w.buf[:0], g, 10)
			w.outIDs = w.pseudo.append(w.outIDs, w.buf)
		case w.pseudo != nil:
			w.buf = w.names.Append(w.buf[:0], i)
			w.outIDs = w.pseudo.append(w.outIDs, w.buf)
		case !hasID:
			w.outIDs = strconv.AppendInt(w.outIDs, g, 10)
		default:
			w.outIDs = w.names.Append(w.outIDs, i)
		}
		w.outOffsets = append(w.outOffsets, int32(len(w.outIDs)))
		if len(w.outOffsets)-1 == recordRows {
			w.out.AppendRows(&w.batch, kept, i+1)
			kept = i + 1
			if err := w.flush(); err != nil {
				return err
			}
		}
	}
	w.out.AppendRows(&w.batch, kept, n)
	return nil
}

// flush writes the gathered rows as one record.
func (w *chunkWriter) flush() error {
	n := w.out.Len()
	if n == 0 {
		return nil
	}
	rec := w.job.builder.Build(w.outIDs, w.outOffsets, &w.out, nil)
	defer rec.Release()
	w.out.Truncate()
	w.outIDs = make([]byte, 0, len(w.outIDs))
	w.outOffsets = make([]int32, 1, recordRows+1)
	return w.scored.Write(rec)
}

// quarantine writes the refused rows among those of rec (every column, its first row being
// row `first` of the file) to the chunk's quarantine part.
func (w *chunkWriter) quarantine(ctx context.Context, rec arrow.Record, first int64) error {
	n := rec.NumRows()
	r := sort.Search(len(w.refused), func(k int) bool { return w.refused[k].row >= first })
	if r == len(w.refused) || w.refused[r].row >= first+n {
		return nil
	}
	reasons := make([]string, n)
	for ; r < len(w.refused) && w.refused[r].row < first+n; r++ {
		reasons[w.refused[r].row-first] = w.refused[r].reason
	}
	tbl := &ingest.Table{Schema: rec.Schema(), Batches: []ingest.Batch{{Record: rec, File: w.chunk.file.name, FirstRow: first}}}
	recs, err := frame.Quarantine(ctx, tbl, reasons)
	if err != nil {
		return err
	}
	defer releaseAll(recs)
	for _, q := range recs {
		if w.quar == nil {
			if w.quar, err = onePart(ctx, w.job.run, "quarantine/"+w.chunk.name(), q.Schema(), ingest.PartOptions{}); err != nil {
				return err
			}
		}
		if err := w.quar.Write(q); err != nil {
			return fmt.Errorf("quarantine: %w", err)
		}
	}
	return nil
}

// close commits the chunk's parts and returns its result.
func (w *chunkWriter) close() (chunkResult, error) {
	res := chunkResult{rows: w.rows, used: w.used, byReason: w.byReason}
	if err := w.flush(); err != nil {
		return res, err
	}
	files, err := w.scored.Close()
	if err != nil {
		return res, fmt.Errorf("scored/%s: %w", w.chunk.name(), err)
	}
	for _, f := range files {
		res.outputs = append(res.outputs, pipeline.OutputFile{Path: "scored/" + w.chunk.name(), Size: f.Size, SHA256: f.SHA256})
	}
	w.scored = nil
	if w.quar != nil {
		files, err := w.quar.Close()
		if err != nil {
			return res, fmt.Errorf("quarantine/%s: %w", w.chunk.name(), err)
		}
		for _, f := range files {
			res.outputs = append(res.outputs, pipeline.OutputFile{Path: "quarantine/" + w.chunk.name(), Size: f.Size, SHA256: f.SHA256})
		}
		w.quar = nil
	}
	return res, nil
}

// abort discards the chunk's parts unless they were committed.
func (w *chunkWriter) abort() {
	if w.scored != nil {
		w.scored.Abort()
	}
	if w.quar != nil {
		w.quar.Abort()
	}
}

// pseudonymWriter appends the pseudonyms of ids; one per goroutine.
type pseudonymWriter struct {
	mac hash.Hash
	sum []byte
}

// writer returns a pseudonym writer, or nil when ids are not pseudonymised.
func (p *pseudonymiser) writer() *pseudonymWriter {
	if p == nil {
		return nil
	}
	return &pseudonymWriter{mac: hmac.New(sha256.New, p.key), sum: make([]byte, 0, sha256.Size)}
}

// append appends the pseudonym of id — what pseudonymiser.ids gives — to dst.
func (w *pseudonymWriter) append(dst, id []byte) []byte {
	w.mac.Reset()
	w.mac.Write(id)
	w.sum = w.mac.Sum(w.sum[:0])
	return hex.AppendEncode(dst, w.sum[:16])
}

// parallel runs fn(ctx, i) for i in [0, n) on up to workers goroutines and returns the
// first error; after an error the remaining items are not started.
func parallel(ctx context.Context, n, workers int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  = make(chan int)
	)
	for w := 0; w < min(workers, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(ctx, i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					cancel()
				}
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

func codeOf(reason string) string {
	for i := 0; i < len(reason); i++ {
		if reason[i] == ':' {
			return reason[:i]
		}
	}
	return reason
}
