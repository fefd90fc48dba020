package clean

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"lendscore/schemas"
	"lendscore/stages/ingest"
)

// Options configure the cleaning stage.
type Options struct {
	// AsOf is the extract date. Rows dated after it (born, established, onboarded,
	// originated, paid or contacted in the future) are refused as date_order; with a zero
	// AsOf those rules are skipped.
	AsOf time.Time
	// Parallelism bounds the goroutines used (default GOMAXPROCS). It never changes the
	// result.
	Parallelism int
	// KeepKeys keeps, in the result, the used keys of the tables with a single-column key
	// (customers, loans), so that their child tables can be cleaned later with NewStream.
	// They cost about 50 bytes per row until ReleaseKeys or Release.
	KeepKeys bool
}

// Result is the outcome of cleaning a set of extracts.
type Result struct {
	// Tables holds one TableResult per input table, by name.
	Tables map[string]*TableResult `json:"tables"`
}

// TableResult is the outcome of cleaning one extract.
type TableResult struct {
	Name string `json:"name"`
	// Schema is the canonical schema of Clean (schemas.Extract).
	Schema *arrow.Schema `json:"-"`
	// Clean holds the used rows in the canonical schema, in input order.
	Clean []arrow.Record `json:"-"`
	// QuarantineSchema is schemas.Quarantine of the input table's schema.
	QuarantineSchema *arrow.Schema `json:"-"`
	// Quarantine holds the refused rows exactly as read, with _source_file, _source_row and
	// reason, in input order.
	Quarantine []arrow.Record `json:"-"`
	Counts     Counts         `json:"counts"`
	// MissingColumns lists optional canonical columns the input lacks; they are null in
	// Clean.
	MissingColumns []string `json:"missing_columns,omitempty"`
	// Profile describes every canonical column of the clean rows.
	Profile []ColumnProfile `json:"profile"`

	// usedKey reports whether a key is among the used rows' keys, for the orphan check of
	// a child table cleaned later (Stream); nil for tables without a single-column key.
	usedKey func(k string) bool
	// keys maps the key of every row that passed the row rules, first occurrence, to its
	// row number (single-column keys only). Its strings point into keyCols, which the
	// result holds until Release.
	keys    map[string]int32
	keyCols []arrow.Array
}

// Counts are a table's cleaning accounts. Input = Used + Quarantined always.
type Counts struct {
	Input       int64 `json:"input"`
	Used        int64 `json:"used"`
	Quarantined int64 `json:"quarantined"`
	// Reasons counts quarantined rows by reason (code:detail).
	Reasons map[string]int64 `json:"reasons"`
}

// Release releases every record of the result.
func (r *Result) Release() {
	for _, t := range r.Tables {
		for _, rec := range t.Clean {
			rec.Release()
		}
		for _, rec := range t.Quarantine {
			rec.Release()
		}
		t.Clean, t.Quarantine = nil, nil
	}
	r.ReleaseKeys()
}

// ReleaseKeys releases the keys kept for NewStream (Options.KeepKeys), once the child tables
// are cleaned.
func (r *Result) ReleaseKeys() {
	for _, t := range r.Tables {
		for _, c := range t.keyCols {
			c.Release()
		}
		t.keyCols, t.keys, t.usedKey = nil, nil, nil
	}
}

// Extracts cleans the relational extracts in (keyed by table name: customers, loans,
// repayments, interactions; any subset). It casts every table to its canonical schema,
// refuses rows that break the row rules, duplicates and orphans (see the package
// documentation), and profiles the clean rows. A missing required column or a column that
// cannot be cast fails the whole call with an error naming table, file and column. The
// input tables are not modified and must stay alive until Extracts returns; the result
// holds its own references.
func Extracts(ctx context.Context, in map[string]*ingest.Table, opts Options) (*Result, error) {
	if opts.Parallelism <= 0 {
		opts.Parallelism = runtime.GOMAXPROCS(0)
	}
	var states []*tableState
	for _, name := range slices.Sorted(maps.Keys(in)) {
		if specFor(name) == nil {
			return nil, fmt.Errorf("clean: unknown table %q (want %v)", name, schemas.ExtractTables())
		}
	}
	byName := map[string]*tableState{}
	for _, spec := range specs {
		t, ok := in[spec.name]
		if !ok || t == nil {
			continue
		}
		ts, err := newTableState(spec, t, opts)
		if err != nil {
			return nil, err
		}
		states = append(states, ts)
		byName[spec.name] = ts
	}
	defer func() {
		for _, ts := range states {
			ts.releaseColumns()
		}
	}()

	// Cast and row rules, batch by batch.
	type job struct {
		ts *tableState
		b  int
	}
	var jobs []job
	for _, ts := range states {
		for b := range ts.batches {
			jobs = append(jobs, job{ts, b})
		}
	}
	if err := parallel(ctx, opts.Parallelism, len(jobs), func(i int) error {
		return jobs[i].ts.prepare(jobs[i].b)
	}); err != nil {
		return nil, err
	}
	// Duplicates, table by table; then orphans, parents first.
	if err := parallel(ctx, opts.Parallelism, len(states), func(i int) error {
		states[i].dedup()
		return nil
	}); err != nil {
		return nil, err
	}
	for _, ts := range states {
		if parent := byName[ts.spec.parent]; parent != nil {
			ts.orphans(parent.usedKey)
		}
	}
	// Outputs, batch by batch; then profiles, column by column.
	if err := parallel(ctx, opts.Parallelism, len(jobs), func(i int) error {
		return jobs[i].ts.output(ctx, jobs[i].b)
	}); err != nil {
		return nil, err
	}
	res := &Result{Tables: map[string]*TableResult{}}
	type pjob struct {
		tr  *TableResult
		col int
	}
	var pjobs []pjob
	for _, ts := range states {
		tr := ts.result()
		if ts.keys != nil && opts.KeepKeys {
			// Not ts.usedKey: the result must not hold the table's raw batches.
			keys, reason := ts.keys, ts.reason
			tr.keys = keys
			tr.usedKey = func(k string) bool {
				row, ok := keys[k]
				return ok && reason[row] == 0
			}
			for _, col := range ts.stringsOf(ts.spec.key[0]) {
				col.Retain()
				tr.keyCols = append(tr.keyCols, col)
			}
		}
		res.Tables[tr.Name] = tr
		for c := range tr.Schema.NumFields() {
			pjobs = append(pjobs, pjob{tr, c})
		}
	}
	if err := parallel(ctx, opts.Parallelism, len(pjobs), func(i int) error {
		j := pjobs[i]
		j.tr.Profile[j.col] = profileColumn(j.tr.Schema.Field(j.col), j.tr.Clean, j.col)
		return nil
	}); err != nil {
		res.Release()
		return nil, err
	}
	for _, ts := range states {
		c := res.Tables[ts.spec.name].Counts
		slog.Debug("clean: table done", "table", ts.spec.name, "input", c.Input, "used", c.Used, "quarantined", c.Quarantined)
	}
	return res, nil
}

// parallel runs fn(0..n-1) on up to workers goroutines and returns the error of the
// lowest index that failed, so that errors are deterministic too.
func parallel(ctx context.Context, workers, n int, fn func(i int) error) error {
	errs := make([]error, n)
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				if err := ctx.Err(); err != nil {
					errs[i] = err
					return
				}
				errs[i] = fn(i)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// tableState is one table on its way through the stage.
type tableState struct {
	spec    *tableSpec
	in      *ingest.Table
	opts    Options
	asOf    int32 // days since 1970; valid when hasAsOf
	hasAsOf bool
	reasons *reasonTable
	// reason holds one entry per input row (0: used), across batches in order.
	reason  []uint16
	batches []*batchState
	missing []string
	// keys maps a kept row's key to its row (customers, loans).
	keys map[string]int32

	clean, quarantine []arrow.Record
	qschema           *arrow.Schema
}

// batchState is one input batch: its canonical columns and where its rows start.
type batchState struct {
	src    ingest.Batch
	offset int // index of the batch's first row in tableState.reason
	n      int
	cols   []arrow.Array // canonical, in spec.schema order
	clean  arrow.Record
	quar   arrow.Record
}

func newTableState(spec *tableSpec, t *ingest.Table, opts Options) (*tableState, error) {
	ts := &tableState{spec: spec, in: t, opts: opts, reasons: newReasonTable()}
	if !opts.AsOf.IsZero() {
		y, m, d := opts.AsOf.UTC().Date()
		ts.asOf, ts.hasAsOf = int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix()/86400), true
	}
	if t.Schema == nil {
		return nil, fmt.Errorf("clean %s: the table has no schema", spec.name)
	}
	file := "(no file)"
	if len(t.Files) > 0 {
		file = t.Files[0].Location
	}
	for _, f := range spec.schema.Fields() {
		switch idx := t.Schema.FieldIndices(f.Name); {
		case len(idx) > 1:
			return nil, fmt.Errorf("clean %s: file %s: column %s: appears %d times", spec.name, file, f.Name, len(idx))
		case len(idx) == 1:
		case f.Nullable:
			ts.missing = append(ts.missing, f.Name)
		default:
			return nil, fmt.Errorf("clean %s: file %s: column %s: missing (a required column)", spec.name, file, f.Name)
		}
	}
	if len(ts.missing) > 0 {
		slog.Warn("clean: optional columns missing; they will be null", "table", spec.name, "columns", ts.missing)
	}
	ts.qschema = schemas.Quarantine(t.Schema)
	offset := 0
	for _, b := range t.Batches {
		if !sameColumns(b.Record.Schema(), t.Schema) {
			return nil, fmt.Errorf("clean %s: file %s: its columns %v differ from the table's %v", spec.name, b.File, b.Record.Schema(), t.Schema)
		}
		n := int(b.Record.NumRows())
		ts.batches = append(ts.batches, &batchState{src: b, offset: offset, n: n})
		offset += n
	}
	ts.reason = make([]uint16, offset)
	// Intern every reason the rules can give before the parallel work starts.
	for _, f := range spec.schema.Fields() {
		ts.reasons.id(CodeUnparseable + ":" + f.Name)
		if !f.Nullable {
			ts.reasons.id(CodeNullRequired + ":" + f.Name)
		}
		if slices.Contains(spec.amounts, f.Name) {
			ts.reasons.id(CodeNegativeAmount + ":" + f.Name)
		}
		if f.Type.ID() != arrow.STRING && f.Type.ID() != arrow.BOOL {
			ts.reasons.id(CodeOutlier + ":" + f.Name)
		}
		if _, ok := spec.enums[f.Name]; ok {
			ts.reasons.id(CodeInvalidValue + ":" + f.Name)
		}
	}
	for _, r := range spec.dates {
		ts.reasons.id(r.reason)
	}
	if len(spec.key) > 0 {
		ts.reasons.id(spec.keyReason())
	}
	if spec.parent != "" {
		ts.reasons.id(CodeOrphan + ":" + spec.parentCol)
	}
	return ts, nil
}

// sameColumns reports whether two schemas have the same column names and types.
func sameColumns(a, b *arrow.Schema) bool {
	if a.NumFields() != b.NumFields() {
		return false
	}
	for i := range a.NumFields() {
		fa, fb := a.Field(i), b.Field(i)
		if fa.Name != fb.Name || !arrow.TypeEqual(fa.Type, fb.Type) {
			return false
		}
	}
	return true
}

func (ts *tableState) releaseColumns() {
	for _, b := range ts.batches {
		for _, c := range b.cols {
			if c != nil {
				c.Release()
			}
		}
		b.cols = nil
	}
}

// col returns the canonical column named name of batch b.
func (ts *tableState) col(b *batchState, name string) arrow.Array {
	return b.cols[ts.spec.schema.FieldIndices(name)[0]]
}

// prepare casts batch bi to the canonical schema and applies the row rules in their order:
// unparseable, null_required, negative_amount, outlier, invalid_value, date_order; within a
// rule, columns in canonical order. A row gets the first reason that applies.
func (ts *tableState) prepare(bi int) error {
	b := ts.batches[bi]
	spec, rec := ts.spec, b.src.Record
	fields := spec.schema.Fields()
	b.cols = make([]arrow.Array, len(fields))
	status := make([][]castStatus, len(fields))
	for j, f := range fields {
		idx := rec.Schema().FieldIndices(f.Name)
		if len(idx) == 0 {
			b.cols[j] = array.MakeArrayOfNull(memory.DefaultAllocator, f.Type, b.n)
			continue
		}
		r, err := cast(rec.Column(idx[0]), f.Type)
		if err != nil {
			return fmt.Errorf("clean %s: file %s: column %s: %w", spec.name, b.src.File, f.Name, err)
		}
		b.cols[j], status[j] = r.arr, r.status
	}
	reason := ts.reason[b.offset : b.offset+b.n]
	set := func(i int, r uint16) {
		if reason[i] == 0 {
			reason[i] = r
		}
	}
	id := ts.reasons.index // read-only from here on
	for j, f := range fields {
		for i, s := range status[j] {
			if s == castUnparseable {
				set(i, id[CodeUnparseable+":"+f.Name])
			}
		}
	}
	for j, f := range fields {
		if f.Nullable {
			continue
		}
		r, col := id[CodeNullRequired+":"+f.Name], b.cols[j]
		if col.NullN() == 0 {
			continue
		}
		for i := range b.n {
			if col.IsNull(i) && (status[j] == nil || status[j][i] == castOK) {
				set(i, r)
			}
		}
	}
	for j, f := range fields {
		if !slices.Contains(spec.amounts, f.Name) {
			continue
		}
		r := id[CodeNegativeAmount+":"+f.Name]
		forValues(b.cols[j], func(i int, v float64) {
			if v < 0 {
				set(i, r)
			}
		})
	}
	for j, f := range fields {
		r, ok := id[CodeOutlier+":"+f.Name]
		if !ok {
			continue
		}
		for i, s := range status[j] {
			if s == castOutOfRange {
				set(i, r)
			}
		}
		if bd, ok := spec.bounds[f.Name]; ok {
			forValues(b.cols[j], func(i int, v float64) {
				if !(v >= bd.lo && v <= bd.hi) {
					set(i, r)
				}
			})
		}
	}
	for j, f := range fields {
		allowed, ok := spec.enums[f.Name]
		if !ok {
			continue
		}
		r, col := id[CodeInvalidValue+":"+f.Name], b.cols[j].(*array.String)
		for i := range b.n {
			if col.IsValid(i) && !slices.Contains(allowed, col.Value(i)) {
				set(i, r)
			}
		}
	}
	for _, dr := range spec.dates {
		r := id[dr.reason]
		left := ts.col(b, dr.col)
		if dr.other == "" {
			if !ts.hasAsOf {
				continue
			}
			forValues(left, func(i int, v float64) {
				if v > float64(ts.asOf) {
					set(i, r)
				}
			})
			continue
		}
		right := ts.col(b, dr.other)
		rv := valuesOf(right)
		forValues(left, func(i int, v float64) {
			if right.IsValid(i) && v < rv(i)-float64(dr.slack) {
				set(i, r)
			}
		})
	}
	return nil
}

// valuesOf returns a reader of a numeric, date or timestamp column as float64; dates and
// timestamps in (whole, floored) days since 1970.
func valuesOf(arr arrow.Array) func(i int) float64 {
	switch a := arr.(type) {
	case *array.Float64:
		return a.Value
	case *array.Int32:
		return func(i int) float64 { return float64(a.Value(i)) }
	case *array.Int8:
		return func(i int) float64 { return float64(a.Value(i)) }
	case *array.Date32:
		return func(i int) float64 { return float64(a.Value(i)) }
	case *array.Timestamp:
		return func(i int) float64 { return float64(floorDiv(int64(a.Value(i)), msPerDay)) }
	}
	panic(fmt.Sprintf("clean: no numeric reader for %s", arr.DataType()))
}

// forValues calls fn for every non-null row of a numeric, date or timestamp column.
func forValues(arr arrow.Array, fn func(i int, v float64)) {
	switch a := arr.(type) {
	case *array.Float64:
		vals := a.Float64Values()
		if a.NullN() == 0 {
			for i, v := range vals {
				fn(i, v)
			}
			return
		}
		for i, v := range vals {
			if a.IsValid(i) {
				fn(i, v)
			}
		}
		return
	case *array.Date32:
		vals := a.Date32Values()
		for i, v := range vals {
			if a.NullN() == 0 || a.IsValid(i) {
				fn(i, float64(v))
			}
		}
		return
	}
	get := valuesOf(arr)
	for i := range arr.Len() {
		if arr.IsValid(i) {
			fn(i, get(i))
		}
	}
}

// stringsOf returns the canonical string column name of every batch.
func (ts *tableState) stringsOf(name string) []*array.String {
	out := make([]*array.String, len(ts.batches))
	for i, b := range ts.batches {
		out[i] = ts.col(b, name).(*array.String)
	}
	return out
}

// dedup refuses later occurrences of a key among the rows that passed the row rules: the
// first occurrence in input order (file order, then row order) is kept.
func (ts *tableState) dedup() {
	switch len(ts.spec.key) {
	case 0:
		return
	case 1:
		r := ts.reasons.index[ts.spec.keyReason()]
		ts.keys = make(map[string]int32, len(ts.reason))
		for bi, col := range ts.stringsOf(ts.spec.key[0]) {
			off := ts.batches[bi].offset
			for i := range col.Len() {
				row := off + i
				if ts.reason[row] != 0 {
					continue
				}
				k := col.Value(i)
				if _, dup := ts.keys[k]; dup {
					ts.reason[row] = r
				} else {
					ts.keys[k] = int32(row)
				}
			}
		}
	default:
		ts.dedupComposite()
	}
}

// dedupComposite handles a (string, date) key such as repayments' (loan_id, due_date).
// Extracts list the rows of one loan together, so the first pass checks each run of rows
// with the same first key part on its own, with a map lookup per run rather than per row.
// A first key part that comes back after another one (an interrupted run, rows in another
// order) is checked again in a second pass over the rows of those key parts only. Both
// passes refuse a row only if an earlier row has its key, so together they refuse exactly
// the later occurrences.
func (ts *tableState) dedupComposite() {
	r := ts.reasons.index[ts.spec.keyReason()]
	seen := map[string]struct{}{}
	again := map[string]int{} // first key parts seen in more than one run → group number
	var run []int32
	var keys []int64
	ts.forKeyRuns(func(k string) {
		ts.dedupRun(run, keys, r)
		run, keys = run[:0], keys[:0]
		if _, ok := seen[k]; !ok {
			seen[k] = struct{}{}
		} else if _, ok := again[k]; !ok {
			again[k] = len(again)
		}
	}, func(row int32, key int64) {
		run = append(run, row)
		keys = append(keys, key)
	})
	ts.dedupRun(run, keys, r)
	if len(again) == 0 {
		return
	}
	rows := make([][]int32, len(again))
	rowKeys := make([][]int64, len(again))
	group := -1
	ts.forKeyRuns(func(k string) {
		g, ok := again[k]
		group = -1
		if ok {
			group = g
		}
	}, func(row int32, key int64) {
		if group >= 0 {
			rows[group] = append(rows[group], row)
			rowKeys[group] = append(rowKeys[group], key)
		}
	})
	for g := range rows {
		ts.dedupRun(rows[g], rowKeys[g], r)
	}
}

// forKeyRuns walks the rows not refused so far, in input order: it calls start at every
// change of the first key part, then row for each row with its second key part.
func (ts *tableState) forKeyRuns(start func(k string), row func(row int32, key int64)) {
	prev, have := "", false
	for _, b := range ts.batches {
		col := ts.col(b, ts.spec.key[0]).(*array.String)
		get := valuesOf(ts.col(b, ts.spec.key[1]))
		for i := range b.n {
			if ts.reason[b.offset+i] != 0 {
				continue
			}
			if k := col.Value(i); !have || k != prev {
				start(k)
				prev, have = k, true
			}
			row(int32(b.offset+i), int64(get(i)))
		}
	}
}

// dedupRun refuses, among rows (in input order) with second key parts keys, every row whose
// key part appeared before.
func (ts *tableState) dedupRun(rows []int32, keys []int64, r uint16) {
	if len(rows) <= 32 {
		for j := 1; j < len(rows); j++ {
			if slices.Contains(keys[:j], keys[j]) {
				ts.reason[rows[j]] = r
			}
		}
		return
	}
	order := make([]int, len(rows))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp64(keys[a], keys[b]) })
	for j := 1; j < len(order); j++ {
		if keys[order[j]] == keys[order[j-1]] {
			ts.reason[rows[order[j]]] = r
		}
	}
}

func cmp64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// usedKey reports whether key k belongs to a used row of the table (after dedup and
// orphans; single-key tables only).
func (ts *tableState) usedKey(k string) bool {
	row, ok := ts.keys[k]
	return ok && ts.reason[row] == 0
}

// orphans refuses rows whose parent key is not among the parent's used rows (used tells).
func (ts *tableState) orphans(used func(k string) bool) {
	r := ts.reasons.index[CodeOrphan+":"+ts.spec.parentCol]
	for bi, col := range ts.stringsOf(ts.spec.parentCol) {
		off := ts.batches[bi].offset
		prev, prevOK, have := "", false, false
		for i := range col.Len() {
			row := off + i
			if ts.reason[row] != 0 {
				continue
			}
			k := col.Value(i)
			if !have || k != prev {
				prev, prevOK, have = k, used(k), true
			}
			if !prevOK {
				ts.reason[row] = r
			}
		}
	}
}

// output builds batch bi's clean and quarantine records.
func (ts *tableState) output(ctx context.Context, bi int) error {
	b := ts.batches[bi]
	reason := ts.reason[b.offset : b.offset+b.n]
	bad := 0
	for _, r := range reason {
		if r != 0 {
			bad++
		}
	}
	if bad == 0 {
		b.clean = array.NewRecord(ts.spec.schema, b.cols, int64(b.n))
		return nil
	}
	keep := make([]int32, 0, b.n-bad)
	drop := make([]int32, 0, bad)
	file := array.NewStringBuilder(memory.DefaultAllocator)
	defer file.Release()
	rows := array.NewInt64Builder(memory.DefaultAllocator)
	defer rows.Release()
	why := array.NewStringBuilder(memory.DefaultAllocator)
	defer why.Release()
	for i, r := range reason {
		if r == 0 {
			keep = append(keep, int32(i))
			continue
		}
		drop = append(drop, int32(i))
		file.Append(b.src.File)
		rows.Append(b.src.FirstRow + int64(i))
		why.Append(ts.reasons.names[r])
	}
	if len(keep) > 0 {
		clean, err := takeRecord(ctx, ts.spec.schema, b.cols, keep)
		if err != nil {
			return fmt.Errorf("clean %s: file %s: %w", ts.spec.name, b.src.File, err)
		}
		b.clean = clean
	}
	raw := b.src.Record
	cols := make([]arrow.Array, 0, raw.NumCols()+3)
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for c := range int(raw.NumCols()) {
		col, err := take(ctx, raw.Column(c), drop)
		if err != nil {
			return fmt.Errorf("clean %s: file %s: quarantine column %s: %w", ts.spec.name, b.src.File, raw.ColumnName(c), err)
		}
		cols = append(cols, col)
	}
	cols = append(cols, file.NewArray(), rows.NewArray(), why.NewArray())
	b.quar = array.NewRecord(ts.qschema, cols, int64(bad))
	return nil
}

// result gathers the table's outputs and counts.
func (ts *tableState) result() *TableResult {
	tr := &TableResult{
		Name: ts.spec.name, Schema: ts.spec.schema, QuarantineSchema: ts.qschema,
		MissingColumns: ts.missing, Profile: make([]ColumnProfile, ts.spec.schema.NumFields()),
	}
	for _, b := range ts.batches {
		if b.clean != nil {
			tr.Clean = append(tr.Clean, b.clean)
			b.clean = nil
		}
		if b.quar != nil {
			tr.Quarantine = append(tr.Quarantine, b.quar)
			b.quar = nil
		}
	}
	hist := make([]int64, len(ts.reasons.names))
	for _, r := range ts.reason {
		hist[r]++
	}
	tr.Counts = Counts{Input: int64(len(ts.reason)), Used: hist[0], Reasons: map[string]int64{}}
	for r, n := range hist[1:] {
		if n > 0 {
			tr.Counts.Reasons[ts.reasons.names[r+1]] = n
			tr.Counts.Quarantined += n
		}
	}
	return tr
}
