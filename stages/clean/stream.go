package clean

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"

	"lendscore/stages/ingest"
)

// Stream cleans one extract batch by batch, for the tables too large to hold whole: the
// repayments and the interactions. It gives every batch the fate Extracts gives it — the
// same reasons, the same clean and quarantine records, counts and profile — while holding
// only one batch of rows at a time, plus compact state for the duplicate check (see
// keyDedup) and the refused rows, which it keeps for the quarantine.
//
// The parent table (loans for repayments, customers for interactions) is cleaned whole
// first, with Extracts and Options.KeepKeys: a row's orphan check needs the parent's used
// keys. A table with a
// single-column key (customers, loans) cannot be streamed: its rows are checked against
// each other.
type Stream struct {
	spec   *tableSpec
	opts   Options
	parent *TableResult // nil: no orphan check
	ts     *tableState  // set by the first batch (its schema)
	hist   []int64      // rows by reason
	prof   []*profiler
	quar   []arrow.Record
	dedup  *keyDedup
}

// NewStream starts cleaning table name batch by batch. parents holds the tables cleaned
// before it; when it holds the table's parent, rows whose parent key is not among the
// parent's used rows are orphans, as in Extracts.
func NewStream(name string, parents *Result, opts Options) (*Stream, error) {
	spec := specFor(name)
	if spec == nil {
		return nil, fmt.Errorf("clean: unknown table %q (want %v)", name, ExtractTablesStreamable())
	}
	if len(spec.key) == 1 {
		return nil, fmt.Errorf("clean %s: the table cannot be streamed: its rows are checked against each other by %s", name, spec.key[0])
	}
	s := &Stream{spec: spec, opts: opts}
	if parents != nil {
		if p := parents.Tables[spec.parent]; p != nil {
			if p.usedKey == nil {
				return nil, fmt.Errorf("clean %s: parent table %s was cleaned without Options.KeepKeys", name, spec.parent)
			}
			s.parent = p
		}
	}
	if len(spec.key) == 2 {
		s.dedup = newKeyDedup(s.parent)
	}
	for _, f := range spec.schema.Fields() {
		s.prof = append(s.prof, newProfiler(f))
	}
	return s, nil
}

// ExtractTablesStreamable lists the tables NewStream accepts.
func ExtractTablesStreamable() []string {
	var out []string
	for _, s := range specs {
		if len(s.key) != 1 {
			out = append(out, s.name)
		}
	}
	return out
}

// Add cleans batch b, the next one of the table in input order (files in order, rows in
// file order, as ingest.StreamTable hands them over). It returns the batch's clean rows in
// the canonical schema, or nil when every row was refused (or b has none); the caller owns
// the record. The batch's refused rows are kept for Result. b is only read and may be
// released when Add returns.
func (s *Stream) Add(ctx context.Context, b ingest.Batch) (arrow.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.ts == nil {
		t := &ingest.Table{Schema: b.Record.Schema(), Files: []ingest.FileInfo{{Location: b.File}}}
		ts, err := newTableState(s.spec, t, s.opts)
		if err != nil {
			return nil, err
		}
		s.ts = ts
		s.hist = make([]int64, len(ts.reasons.names))
	}
	ts := s.ts
	n := int(b.Record.NumRows())
	if n == 0 {
		return nil, nil
	}
	if !sameColumns(b.Record.Schema(), ts.in.Schema) {
		return nil, fmt.Errorf("clean %s: file %s: its columns %v differ from the table's %v", s.spec.name, b.File, b.Record.Schema(), ts.in.Schema)
	}
	if cap(ts.reason) < n {
		ts.reason = make([]uint16, n)
	}
	ts.reason = ts.reason[:n]
	clear(ts.reason)
	ts.batches = []*batchState{{src: b, n: n}}
	defer func() {
		ts.releaseColumns()
		ts.batches = nil
	}()
	if err := ts.prepare(0); err != nil {
		return nil, err
	}
	if s.dedup != nil {
		if err := s.dedup.batch(ts); err != nil {
			return nil, err
		}
	}
	if s.parent != nil {
		ts.orphans(s.parent.usedKey)
	}
	if err := ts.output(ctx, 0); err != nil {
		return nil, err
	}
	bs := ts.batches[0]
	for _, r := range ts.reason {
		s.hist[r]++
	}
	if bs.quar != nil {
		s.quar = append(s.quar, bs.quar)
	}
	if bs.clean != nil {
		for c, pr := range s.prof {
			pr.add(bs.clean.Column(c))
		}
	}
	return bs.clean, nil
}

// Result returns the table's accounts, profile and quarantine (Clean is nil: the clean rows
// went to the caller batch by batch). Release it with the Result it is put in.
func (s *Stream) Result() (*TableResult, error) {
	if s.ts == nil {
		return nil, fmt.Errorf("clean %s: the table has no schema", s.spec.name)
	}
	tr := &TableResult{
		Name: s.spec.name, Schema: s.spec.schema, QuarantineSchema: s.ts.qschema,
		MissingColumns: s.ts.missing, Quarantine: s.quar,
	}
	s.quar = nil
	for _, pr := range s.prof {
		tr.Profile = append(tr.Profile, pr.profile())
	}
	tr.Counts = Counts{Used: s.hist[0], Reasons: map[string]int64{}}
	for r, n := range s.hist {
		tr.Counts.Input += n
		if r > 0 && n > 0 {
			tr.Counts.Reasons[s.ts.reasons.names[r]] = n
			tr.Counts.Quarantined += n
		}
	}
	return tr, nil
}

// Release releases the quarantine records kept so far (for a stream abandoned before
// Result).
func (s *Stream) Release() {
	for _, r := range s.quar {
		r.Release()
	}
	s.quar = nil
}

// keyDedup finds the later occurrences of a two-part key (repayments' loan_id and
// due_date) across the batches of a stream, exactly, without keeping the rows.
//
// Rows with the same first part usually come together (the repayments of a loan), so rows
// are checked run by run: within a run against the second parts seen in it; and when a
// first part comes back after other ones, also against the second parts of its earlier
// runs. Those are kept for every first part, as the run ends, sorted and delta-encoded in
// one byte arena (dates a month apart take one byte each) — the only state that grows with
// the rows, about a byte per row. First parts are numbered by the parent's key map (the
// loans' row numbers) without copying them; others (orphans) get numbers of their own.
type keyDedup struct {
	parentKeys map[string]int32 // may be nil
	parentRows int32
	others     map[string]int32 // first parts not among parentKeys, copied

	head  []uint32 // by first-part number: 1 + arena offset of its latest run, 0 for none
	arena []byte   // runs: varint(previous run's head), uvarint(count), zigzag deltas

	cur     string // first part of the current run (a copy once its batch is gone)
	curID   int32
	have    bool
	run     []int64 // second parts of the current run, in order
	runSet  map[int64]struct{}
	prior   []int64 // second parts of the earlier runs of the current first part, sorted
	scratch []int64
}

// runSetAt is the run length from which a run's second parts are looked up in a map
// rather than by a scan.
const runSetAt = 32

func newKeyDedup(parent *TableResult) *keyDedup {
	d := &keyDedup{others: map[string]int32{}}
	if parent != nil {
		d.parentKeys = parent.keys
		d.parentRows = int32(parent.Counts.Input)
	}
	return d
}

// batch refuses, among the rows of the stream's current batch not refused so far, those
// whose key an earlier row (of this batch or an earlier one) has.
func (d *keyDedup) batch(ts *tableState) error {
	r := ts.reasons.index[ts.spec.keyReason()]
	var err error
	ts.forKeyRuns(func(k string) {
		if d.have && k == d.cur {
			return // the run goes on from the previous batch
		}
		if e := d.start(k); e != nil && err == nil {
			err = e
		}
	}, func(row int32, key int64) {
		if d.seen(key) {
			ts.reason[row] = r
			return
		}
		d.run = append(d.run, key)
		if d.runSet != nil {
			d.runSet[key] = struct{}{}
		} else if len(d.run) >= runSetAt {
			d.runSet = make(map[int64]struct{}, 2*len(d.run))
			for _, v := range d.run {
				d.runSet[v] = struct{}{}
			}
		}
	})
	if d.have {
		d.cur = strings.Clone(d.cur) // the batch's buffers go when it is released
	}
	return err
}

// seen reports whether second part key was seen with the current first part.
func (d *keyDedup) seen(key int64) bool {
	if _, ok := slices.BinarySearch(d.prior, key); ok {
		return true
	}
	if d.runSet != nil {
		_, ok := d.runSet[key]
		return ok
	}
	return slices.Contains(d.run, key)
}

// start closes the current run and starts one for first part k.
func (d *keyDedup) start(k string) error {
	if err := d.close(); err != nil {
		return err
	}
	id, ok := d.parentKeys[k]
	if !ok {
		if id, ok = d.others[k]; !ok {
			id = d.parentRows + int32(len(d.others))
			d.others[strings.Clone(k)] = id
		}
	} else if id < 0 || id >= d.parentRows {
		return fmt.Errorf("clean: key %q: parent row %d out of range", k, id)
	}
	for int(id) >= len(d.head) {
		d.head = append(d.head, 0)
	}
	d.cur, d.curID, d.have = k, id, true
	d.prior = d.prior[:0]
	for at := d.head[id]; at != 0; {
		var prev uint32
		prev, d.prior = d.decode(at-1, d.prior)
		at = prev
	}
	slices.Sort(d.prior)
	return nil
}

// close files the current run's second parts under its first part.
func (d *keyDedup) close() error {
	if !d.have || len(d.run) == 0 {
		d.run, d.runSet = d.run[:0], nil
		return nil
	}
	if len(d.arena) >= math.MaxUint32-1<<20 {
		return fmt.Errorf("clean: duplicate check: more than %d bytes of keys", math.MaxUint32)
	}
	vals := append(d.scratch[:0], d.run...)
	slices.Sort(vals)
	at := uint32(len(d.arena)) + 1
	d.arena = binary.AppendUvarint(d.arena, uint64(d.head[d.curID]))
	d.arena = binary.AppendUvarint(d.arena, uint64(len(vals)))
	prev := int64(0)
	for _, v := range vals {
		d.arena = binary.AppendVarint(d.arena, v-prev)
		prev = v
	}
	d.head[d.curID] = at
	d.scratch = vals
	d.run, d.runSet = d.run[:0], nil
	return nil
}

// decode appends the second parts of the run at arena offset off to dst and returns the
// head of the run before it.
func (d *keyDedup) decode(off uint32, dst []int64) (uint32, []int64) {
	b := d.arena[off:]
	prev, k := binary.Uvarint(b)
	b = b[k:]
	n, k := binary.Uvarint(b)
	b = b[k:]
	v := int64(0)
	for range n {
		delta, k := binary.Varint(b)
		b = b[k:]
		v += delta
		dst = append(dst, v)
	}
	return uint32(prev), dst
}
