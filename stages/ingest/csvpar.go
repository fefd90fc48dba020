package ingest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
)

// Reading a seekable CSV file on all cores.
//
// Inference splits the data rows into ranges of csvRangeBytes. A range starts after the
// first line break at or after its nominal offset; that is a record boundary unless a quoted
// field holding line breaks spans it. Each range is read by a scanner of its own, up to the
// first record ending at or after the start of the next range, and the ranges are joined in
// order: a range is taken as read only when it starts exactly where the one before it ended
// (so it started on a record boundary), otherwise it is read again from there. A range that
// failed is read again too, numbered from its first line and row, so that the error is the
// one a single scanner reports. The kinds are joined in order, as one scanner would, and the
// join of the kind lattice does not depend on how the rows are grouped.
//
// Inference also notes where every BatchSize-th row starts, so that parsing reads each
// batch on its own core, with the batch boundaries of a single scanner, and hands the
// batches over in order.

// csvRangeBytes is the size of the byte ranges whose kinds are inferred in parallel.
const csvRangeBytes = 4 << 20

// csvTailRead is the size of the reads that finish the last record of a range.
const csvTailRead = 64 << 10

// csvInput is a CSV file that can be read at any offset: bytes [base, size) of ra.
type csvInput struct {
	ra         io.ReaderAt
	base, size int64
	procs      int
	rangeBytes int64
}

// parallelInput returns r as a csvInput when it can be read in parallel: it reads at
// offsets, knows its size, several cores are available and it holds at least two ranges.
func parallelInput(r io.Reader, opts CSVOptions) (csvInput, bool) {
	ra, ok := r.(io.ReaderAt)
	if !ok {
		return csvInput{}, false
	}
	sk, ok := r.(io.Seeker)
	if !ok {
		return csvInput{}, false
	}
	sz, ok := r.(interface{ Size() int64 })
	if !ok {
		return csvInput{}, false
	}
	in := csvInput{ra: ra, size: sz.Size(), procs: opts.procs, rangeBytes: int64(opts.rangeBytes)}
	if in.procs <= 0 {
		in.procs = runtime.GOMAXPROCS(0)
	}
	if in.rangeBytes <= 0 {
		in.rangeBytes = csvRangeBytes
	}
	base, err := sk.Seek(0, io.SeekCurrent)
	if err != nil || in.procs < 2 || in.size-base < 2*in.rangeBytes {
		return csvInput{}, false
	}
	in.base = base
	return in, true
}

// rangeReader reads ra from pos: up to stop in reads as large as asked for, then in small
// reads (only the end of a record lies beyond stop), up to size.
type rangeReader struct {
	ra              io.ReaderAt
	pos, stop, size int64
}

func (r *rangeReader) Read(p []byte) (int, error) {
	if r.pos >= r.size {
		return 0, io.EOF
	}
	limit := r.size - r.pos
	if r.pos < r.stop {
		limit = min(limit, r.stop-r.pos)
	} else {
		limit = min(limit, csvTailRead)
	}
	if int64(len(p)) > limit {
		p = p[:limit]
	}
	n, err := r.ra.ReadAt(p, r.pos)
	r.pos += int64(n)
	if err == io.EOF && n == len(p) {
		err = nil
	}
	if err == io.EOF && r.pos < r.size {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// scannerAt returns a scanner of the records at offset off of in (a record boundary), whose
// first line is line, reading in large reads up to stop.
func (in csvInput) scannerAt(off, stop, line int64, delim byte) *scanner {
	// A small range (in tests) gets a small buffer; the buffer grows when a record needs it.
	n := min(max(stop-off, 4<<10), scanBufSize)
	return &scanner{
		r:       &rangeReader{ra: in.ra, pos: off, stop: stop, size: in.size},
		delim:   delim,
		buf:     make([]byte, n),
		started: true,
		nextAt:  line,
	}
}

// recordStart returns the offset just after the first line break at or after off, or the
// end of the file.
func (in csvInput) recordStart(off int64) (int64, error) {
	if off >= in.size {
		return in.size, nil
	}
	buf := make([]byte, csvTailRead)
	for at := off - 1; at < in.size; {
		n, err := in.ra.ReadAt(buf[:min(int64(len(buf)), in.size-at)], at)
		if k := bytes.IndexByte(buf[:n], '\n'); k >= 0 {
			return at + int64(k) + 1, nil
		}
		at += int64(n)
		if err != nil && err != io.EOF {
			return 0, err
		}
		if n == 0 {
			return 0, io.ErrUnexpectedEOF
		}
	}
	return in.size, nil
}

// csvHead is the header of a CSV file read in parallel and where its data rows start.
type csvHead struct {
	header []string
	kinds  []kind
	forced []bool
	delim  byte
	start  rowMark // where the data rows start
}

// readHead reads the header of in.
func (in csvInput) readHead(file string, opts CSVOptions) (csvHead, error) {
	sc := newScanner(io.NewSectionReader(in.ra, in.base, in.size-in.base), opts.Delimiter)
	header, kinds, forced, err := readHeader(sc, file, opts)
	if err != nil {
		return csvHead{}, err
	}
	return csvHead{header, kinds, forced, sc.delim, rowMark{in.base + sc.offset(), sc.nextAt}}, nil
}

// csvIndex is where the batches of a CSV file start, noted by a parallel inference so that
// the parse reads the batches in parallel.
type csvIndex struct {
	file      string
	base      int64 // offset of the file's start in its reader
	size      int64
	batchSize int
	rows      int64     // data rows of the file
	batches   []rowMark // where rows 0, batchSize, 2·batchSize, … start
}

// inferPart is what the inference learns from one range.
type inferPart struct {
	start, stop int64 // the range's bytes; rows that start before stop are in it
	end         int64 // where its last row ends
	startLine   int64 // line the range was numbered from
	endLine     int64 // line on which the input after its last row starts
	rows        int64
	kinds       []kind
	marks       []rowMark // where each row starts
	err         error
}

// inferRange reads the rows starting in [start, stop), numbering lines from line and rows
// from rows+1.
func (in csvInput) inferRange(ctx context.Context, file string, head *csvHead, nulls nullSet, start, stop, line, rows int64) inferPart {
	p := inferPart{start: start, stop: stop, end: start, startLine: line, endLine: line, kinds: make([]kind, len(head.kinds))}
	copy(p.kinds, head.kinds)
	if err := ctx.Err(); err != nil {
		p.err = err
		return p
	}
	sc := in.scannerAt(start, stop, line, head.delim)
	n, err := inferRows(ctx, sc, file, head.header, head.forced, nulls, p.kinds, rows, -1, stop-start, &p.marks)
	p.rows, p.err = n-rows, err
	p.end, p.endLine = start+sc.offset(), sc.nextAt
	for i := range p.marks {
		p.marks[i].off += start
	}
	return p
}

// inferParallel infers the kinds of the columns of in on in.procs cores.
func inferParallel(ctx context.Context, in csvInput, file string, opts CSVOptions, nulls nullSet) (*inference, error) {
	opts = opts.withDefaults()
	head, err := in.readHead(file, opts)
	if err != nil {
		return nil, err
	}
	inf := &inference{header: head.header, kinds: slices.Clone(head.kinds), forced: head.forced}
	idx := &csvIndex{file: file, base: in.base, size: in.size, batchSize: opts.BatchSize}
	data := in.size - head.start.off
	ranges := int((data + in.rangeBytes - 1) / in.rangeBytes)
	nominal := func(i int) int64 { return head.start.off + int64(i)*in.rangeBytes }
	work := func(ctx context.Context, i int) inferPart {
		start, stop := head.start.off, in.size
		var err error
		if i > 0 {
			start, err = in.recordStart(nominal(i))
		}
		if err == nil && i+1 < ranges {
			stop, err = in.recordStart(nominal(i + 1))
		}
		if err != nil {
			return inferPart{start: start, stop: stop, err: fmt.Errorf("read %s: %w", file, err)}
		}
		return in.inferRange(ctx, file, &head, nulls, start, stop, 1, 0)
	}
	at := head.start // where the rows read so far end
	use := func(p inferPart) error {
		if p.err != nil || p.start != at.off {
			// The range did not start on a record boundary, or failed: read it again
			// from where the last one ended, numbered as one scanner would.
			p = in.inferRange(ctx, file, &head, nulls, at.off, max(p.stop, at.off), at.line, inf.rows)
			if p.err != nil {
				return p.err
			}
		}
		for j, k := range p.kinds {
			inf.kinds[j] = join(inf.kinds[j], k)
		}
		for r := range p.marks {
			if (inf.rows+int64(r))%int64(idx.batchSize) == 0 {
				m := p.marks[r]
				idx.batches = append(idx.batches, rowMark{m.off, at.line + m.line - p.startLine})
			}
		}
		inf.rows += p.rows
		at = rowMark{p.end, at.line + p.endLine - p.startLine}
		return nil
	}
	if err := inOrder(ctx, ranges, in.procs, work, use, func(inferPart) {}); err != nil {
		return nil, err
	}
	idx.rows = inf.rows
	if inf.rows > 0 {
		inf.index = idx
	}
	return inf, nil
}

// parsedBatch is one batch parsed in parallel.
type parsedBatch struct {
	rec   arrow.Record
	first int64
	err   error
}

// parseParallel parses the batches of in, whose starts inf.index noted, on in.procs cores;
// it reports false when it cannot (the index is of another file or another batch size).
func parseParallel(ctx context.Context, in csvInput, file string, opts CSVOptions, nulls nullSet, inf *inference, fn func(Batch) error) (int64, bool, error) {
	idx := inf.index
	if idx == nil || idx.file != file || idx.base != in.base || idx.size != in.size || idx.batchSize != opts.BatchSize {
		return 0, false, nil
	}
	head, err := in.readHead(file, opts)
	if err != nil {
		return 0, true, err
	}
	if !equalStrings(head.header, inf.header) || head.start != idx.batches[0] {
		return 0, true, fmt.Errorf("%s: the header changed between the two passes over the file", file)
	}
	schema := csvSchema(inf.header, inf.kinds)
	changed := fmt.Errorf("%s: the file changed between the two passes over it", file)
	work := func(ctx context.Context, b int) parsedBatch {
		first := int64(b) * int64(idx.batchSize)
		pb := parsedBatch{first: first}
		if pb.err = ctx.Err(); pb.err != nil {
			return pb
		}
		n := int(min(int64(idx.batchSize), idx.rows-first))
		start, end := idx.batches[b], in.size
		if b+1 < len(idx.batches) {
			end = idx.batches[b+1].off
		}
		sc := in.scannerAt(start.off, end, start.line, head.delim)
		cols := make([]*column, len(inf.header))
		for j := range cols {
			cols[j] = newColumn(inf.header[j], inf.kinds[j], opts.Allocator)
			defer cols[j].release()
			cols[j].reserve(n)
		}
		for r := range n {
			row := first + int64(r) + 1
			if err := sc.next(); err != nil {
				if err == io.EOF {
					err = changed
				} else {
					err = csvError(file, row, err)
				}
				pb.err = err
				return pb
			}
			if pb.err = checkRecord(sc, file, row, inf.header); pb.err != nil {
				return pb
			}
			for j, c := range cols {
				if !c.append(sc.fields[j], nulls) {
					pb.err = misfit(file, sc.line, row, c, sc.fields[j], inf)
					return pb
				}
			}
		}
		if b+1 < len(idx.batches) {
			if start.off+sc.offset() != end {
				pb.err = changed
				return pb
			}
		} else if err := sc.next(); err != io.EOF {
			pb.err = changed
			return pb
		}
		arrs := make([]arrow.Array, len(cols))
		for j, c := range cols {
			arrs[j] = c.newArray()
		}
		pb.rec = array.NewRecord(schema, arrs, int64(n))
		for _, a := range arrs {
			a.Release()
		}
		return pb
	}
	var rows int64
	use := func(pb parsedBatch) error {
		if pb.err != nil {
			return pb.err
		}
		defer pb.rec.Release()
		if pb.rec.NumRows() == int64(opts.BatchSize) {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		rows += pb.rec.NumRows()
		return fn(Batch{Record: pb.rec, File: file, FirstRow: pb.first})
	}
	discard := func(pb parsedBatch) {
		if pb.rec != nil {
			pb.rec.Release()
		}
	}
	err = inOrder(ctx, len(idx.batches), in.procs, work, use, discard)
	return rows, true, err
}

// inOrder calls work(ctx, i) for i in [0, n) on procs goroutines and use with the results in
// the order of i, until use fails; at most two results per goroutine wait for use. Results
// that use does not get (after a failure) go to discard. Work gets a context that is
// cancelled when inOrder returns.
func inOrder[T any](ctx context.Context, n, procs int, work func(context.Context, int) T, use func(T) error, discard func(T)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		v    T
		done bool // work ran
	}
	type task struct {
		i   int
		out chan result
	}
	queue := make(chan chan result, 2*procs) // results in order
	tasks := make(chan task)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // hands out the tasks in order
		defer wg.Done()
		defer close(queue)
		defer close(tasks)
		for i := range n {
			out := make(chan result, 1)
			select {
			case queue <- out:
			case <-ctx.Done():
				return
			}
			select {
			case tasks <- task{i, out}:
			case <-ctx.Done():
				out <- result{}
				return
			}
		}
	}()
	for range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range tasks {
				t.out <- result{work(ctx, t.i), true}
			}
		}()
	}
	var err error
	used := 0
	for out := range queue {
		r := <-out
		switch {
		case !r.done:
		case err != nil:
			discard(r.v)
		default:
			used++
			if err = use(r.v); err != nil {
				cancel()
			}
		}
	}
	if err == nil && used < n {
		err = ctx.Err() // the caller's context was cancelled
	}
	wg.Wait()
	return err
}
