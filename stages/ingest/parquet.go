package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet"
	pqfile "github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"

	"lendscore/pipeline/storage"
)

// ReadOptions configure the reading of input tables.
type ReadOptions struct {
	// BatchSize is the number of rows per batch; default 65,536.
	BatchSize int
	// Allocator allocates the batches; default memory.DefaultAllocator.
	Allocator memory.Allocator
	// CSV configures CSV files; its BatchSize and Allocator default to the ones above.
	CSV CSVOptions
	// Only, when set, restricts StreamTable to the files k (0-based, in key order) for which
	// it returns true: a shard's share of a table. The CSV column types are then inferred
	// from those files alone.
	Only func(k int) bool
}

func (o ReadOptions) withDefaults() ReadOptions {
	if o.BatchSize <= 0 {
		o.BatchSize = defaultBatchSize
	}
	if o.Allocator == nil {
		o.Allocator = memory.DefaultAllocator
	}
	if o.CSV.BatchSize <= 0 {
		o.CSV.BatchSize = o.BatchSize
	}
	if o.CSV.Allocator == nil {
		o.CSV.Allocator = o.Allocator
	}
	return o
}

// ioErrorer is implemented by readers that remember their I/O errors (source).
type ioErrorer interface{ failedIO() error }

// ReadParquet reads the Parquet file r (named file in errors and batches) row group by row
// group and calls fn with each batch of rows, in order. fn borrows the record: it is
// released when fn returns, so fn must Retain it to keep it. A file without rows yields one
// empty batch, so that its schema is known.
//
// An error names the file; one that comes from the content rather than from reading says
// that the file is not valid Parquet.
func ReadParquet(ctx context.Context, r storage.Reader, file string, opts ReadOptions, fn func(Batch) error) error {
	opts = opts.withDefaults()
	_, err := readParquet(ctx, r, file, opts, fn)
	return err
}

// readParquet is ReadParquet returning the number of rows read.
func readParquet(ctx context.Context, r storage.Reader, file string, opts ReadOptions, fn func(Batch) error) (int64, error) {
	rec, ok := r.(ioErrorer)
	if !ok {
		w := &ioRecorder{Reader: r}
		r, rec = w, w
	}
	in := parquetInput{r}
	bad := func(what string, err error) error {
		if ioErr := rec.failedIO(); ioErr != nil {
			return fmt.Errorf("read %s: %w", file, ioErr)
		}
		return fmt.Errorf("%s: not a valid Parquet file (%s): %w", file, what, err)
	}

	var (
		pf     *pqfile.Reader
		fr     *pqarrow.FileReader
		schema *arrow.Schema
	)
	err := guard(func() error {
		var err error
		pf, err = pqfile.NewParquetReader(in, pqfile.WithReadProps(parquet.NewReaderProperties(opts.Allocator)))
		return err
	})
	if err != nil {
		return 0, bad("footer", err)
	}
	err = guard(func() error {
		var err error
		fr, err = pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: int64(opts.BatchSize)}, opts.Allocator)
		if err != nil {
			return err
		}
		schema, err = fr.Schema()
		return err
	})
	if err != nil {
		return 0, bad("schema", err)
	}
	schema = cleanSchema(schema)

	groups := newGroupDecoder(ctx, fr, pf.NumRowGroups(), schema, opts)
	defer groups.stop()
	var row int64
	batches := 0
	for g := range pf.NumRowGroups() {
		for {
			out, err := groups.next(g)
			if err != nil {
				if ctxErr := ctx.Err(); ctxErr != nil {
					return row, ctxErr
				}
				return row, bad(fmt.Sprintf("data after row %d", row), err)
			}
			if out == nil {
				break
			}
			batches++
			err = ctx.Err()
			if err == nil {
				err = fn(Batch{Record: out, File: file, FirstRow: row})
			}
			n := out.NumRows()
			out.Release()
			if err != nil {
				return row, err
			}
			row += n
		}
		groups.consumed()
	}
	if batches == 0 {
		empty, err := emptyRecord(schema, opts.Allocator)
		if err != nil {
			return 0, bad("schema", err)
		}
		defer empty.Release()
		if err := fn(Batch{Record: empty, File: file}); err != nil {
			return 0, err
		}
	}
	if want := pf.NumRows(); row != want {
		return row, bad("row count", fmt.Errorf("read %d rows, the footer says %d", row, want))
	}
	return row, nil
}

// groupDecoder decodes the row groups of a Parquet file on up to GOMAXPROCS goroutines, in
// order: the reader takes group g's batches (next) while the groups after it decode, each
// at most aheadBatches batches ahead, so memory is bounded by the cores and the batch size,
// never by the size of a row group. Each row group is read by a record reader of its own, so
// batches never straddle row groups, and the batches do not depend on the number of
// goroutines.
type groupDecoder struct {
	ctx     context.Context
	cancel  context.CancelFunc
	results []groupResult
	slots   chan struct{} // a token per row group decoding or decoded and not yet consumed
	wg      sync.WaitGroup
}

// aheadBatches is how many decoded batches a row group holds for the reader: enough for the
// groups after the one being read to decode in parallel with it when row groups are of a
// typical size (up to about a million rows), few enough to bound memory when one is huge.
const aheadBatches = 8

// groupResult is one row group's batches (compacted), then its error.
type groupResult struct {
	recs chan arrow.Record // closed after the last batch
	err  error             // set before recs is closed
}

func newGroupDecoder(ctx context.Context, fr *pqarrow.FileReader, groups int, schema *arrow.Schema, opts ReadOptions) *groupDecoder {
	workers := max(1, min(runtime.GOMAXPROCS(0), groups))
	d := &groupDecoder{results: make([]groupResult, groups), slots: make(chan struct{}, workers)}
	d.ctx, d.cancel = context.WithCancel(ctx)
	for g := range d.results {
		d.results[g].recs = make(chan arrow.Record, aheadBatches)
	}
	var next atomic.Int64
	for range workers {
		d.wg.Go(func() {
			for {
				select {
				case d.slots <- struct{}{}:
				case <-d.ctx.Done():
					return
				}
				g := int(next.Add(1)) - 1
				if g >= groups {
					<-d.slots
					return
				}
				r := &d.results[g]
				r.err = guard(func() error { return d.decode(fr, g, schema, opts, r) })
				close(r.recs)
			}
		})
	}
	return d
}

// decode reads row group g into r.recs.
func (d *groupDecoder) decode(fr *pqarrow.FileReader, g int, schema *arrow.Schema, opts ReadOptions, r *groupResult) error {
	rr, err := fr.GetRecordReader(d.ctx, nil, []int{g})
	if err != nil {
		return err
	}
	defer rr.Release()
	for rr.Next() {
		rec := compactRecord(schema, rr.Record(), opts.Allocator)
		select {
		case r.recs <- rec:
		case <-d.ctx.Done():
			rec.Release()
			return d.ctx.Err()
		}
	}
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// next returns the next batch of row group g, or nil and the group's error after its last.
func (d *groupDecoder) next(g int) (arrow.Record, error) {
	r := &d.results[g]
	select {
	case rec, ok := <-r.recs:
		if ok {
			return rec, nil
		}
		return nil, r.err
	case <-d.ctx.Done():
		return nil, d.ctx.Err()
	}
}

// consumed frees the place of a row group whose batches were all taken.
func (d *groupDecoder) consumed() { <-d.slots }

// stop cancels the decoding still running, waits for it and releases every batch not taken.
func (d *groupDecoder) stop() {
	d.cancel()
	d.wg.Wait()
	for g := range d.results {
		for {
			select {
			case rec, ok := <-d.results[g].recs:
				if ok {
					rec.Release()
					continue
				}
			default:
			}
			break
		}
	}
}

// ioRecorder remembers the first I/O error of a reader, so that a failed read is not
// reported as a corrupt file.
type ioRecorder struct {
	storage.Reader
	mu  sync.Mutex
	err error
}

func (r *ioRecorder) note(err error) {
	if err != nil && err != io.EOF {
		r.mu.Lock()
		if r.err == nil {
			r.err = err
		}
		r.mu.Unlock()
	}
}

func (r *ioRecorder) Read(p []byte) (int, error) {
	n, err := r.Reader.Read(p)
	r.note(err)
	return n, err
}

func (r *ioRecorder) ReadAt(p []byte, off int64) (int, error) {
	n, err := r.Reader.ReadAt(p, off)
	r.note(err)
	return n, err
}

func (r *ioRecorder) Seek(off int64, whence int) (int64, error) {
	n, err := r.Reader.Seek(off, whence)
	r.note(err)
	return n, err
}

func (r *ioRecorder) failedIO() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// parquetInput hides the Close of the reader from the Parquet reader, whose caller closes it.
type parquetInput struct{ r storage.Reader }

func (p parquetInput) Read(b []byte) (int, error)              { return p.r.Read(b) }
func (p parquetInput) ReadAt(b []byte, off int64) (int, error) { return p.r.ReadAt(b, off) }
func (p parquetInput) Seek(off int64, whence int) (int64, error) {
	return p.r.Seek(off, whence)
}

// guard runs fn and turns a panic of the Parquet decoder into an error: a corrupt file
// must fail the read that meets it, not the process.
func guard(fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("decoder failed: %v", p)
		}
	}()
	return fn()
}

// emptyRecord returns a record of schema with no rows.
func emptyRecord(schema *arrow.Schema, mem memory.Allocator) (rec arrow.Record, err error) {
	err = guard(func() error {
		cols := make([]arrow.Array, schema.NumFields())
		for i, f := range schema.Fields() {
			b := array.NewBuilder(mem, f.Type)
			cols[i] = b.NewArray()
			b.Release()
		}
		rec = array.NewRecord(schema, cols, 0)
		for _, c := range cols {
			c.Release()
		}
		return nil
	})
	return rec, err
}

// parquetFieldID is the field metadata key under which pqarrow reports Parquet field ids.
const parquetFieldID = "PARQUET:field_id"

// cleanSchema drops the field id metadata that pqarrow attaches to every field of a file
// that has no field ids ("-1"), so that a table read back has the schema it was written with.
func cleanSchema(s *arrow.Schema) *arrow.Schema {
	fields := make([]arrow.Field, s.NumFields())
	for i, f := range s.Fields() {
		fields[i] = cleanField(f)
	}
	md := s.Metadata()
	return arrow.NewSchema(fields, &md)
}

func cleanField(f arrow.Field) arrow.Field {
	if i := f.Metadata.FindKey(parquetFieldID); i >= 0 && f.Metadata.Values()[i] == "-1" {
		var keys, values []string
		for j, k := range f.Metadata.Keys() {
			if j != i {
				keys = append(keys, k)
				values = append(values, f.Metadata.Values()[j])
			}
		}
		f.Metadata = arrow.NewMetadata(keys, values)
	}
	switch t := f.Type.(type) {
	case *arrow.ListType:
		f.Type = arrow.ListOfField(cleanField(t.ElemField()))
	case *arrow.LargeListType:
		f.Type = arrow.LargeListOfField(cleanField(t.ElemField()))
	case *arrow.StructType:
		fields := make([]arrow.Field, t.NumFields())
		for i, c := range t.Fields() {
			fields[i] = cleanField(c)
		}
		f.Type = arrow.StructOf(fields...)
	}
	return f
}
