// Package pqscan reads chosen columns and row groups of a Parquet file as Arrow record
// batches: what scoring needs of a wide input table, without decoding the columns it does
// not use (a scorecard reads a dozen columns of a feature table that may hold hundreds).
// stages/ingest reads whole tables; this package reads slices of them, so that row groups
// can be scored in parallel and only the columns a job needs are decoded.
//
// Records come with the schema pqarrow reads, field ids and all (stages/ingest drops the "-1"
// ids of files that have none). A corrupt file is an error that names it, never a panic.
package pqscan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet"
	pqfile "github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"

	"lendscore/pipeline/storage"
)

// File is an open Parquet file whose footer has been read.
type File struct {
	// Name is the file's location as text, as batches of stages/ingest name it.
	Name string
	// Schema is the table's Arrow schema.
	Schema *arrow.Schema
	// RowGroups holds the number of rows of each row group; Rows their sum.
	RowGroups []int64
	Rows      int64

	r  storage.Reader
	pf *pqfile.Reader
	fr *pqarrow.FileReader
	// dicts is set when columns are read as dictionaries (WithDictionaries).
	dicts bool
}

// Option configures Open.
type Option func(*options)

type options struct {
	mem   memory.Allocator
	dicts []string
}

// WithAllocator makes the buffers of the batches Scan reads come from mem (default
// memory.DefaultAllocator), such as a pool that recycles them (stages/score/bufpool).
func WithAllocator(mem memory.Allocator) Option { return func(o *options) { o.mem = mem } }

// WithDictionaries makes Scan read the named string columns as Arrow dictionaries (int32
// indices into the distinct values of a column chunk) instead of one string per row: for
// columns of few distinct values (categories), whose values can then be looked up once per
// batch. Names that are not string columns of the file are ignored. Scan then reads one row
// group at a time, so that no batch spans two row groups (each has its own dictionary,
// which Arrow's reader cannot join into one batch): the last batch of a row group may be
// short.
func WithDictionaries(columns ...string) Option {
	return func(o *options) { o.dicts = append(o.dicts, columns...) }
}

// Open opens the Parquet file at loc and reads its footer.
func Open(ctx context.Context, st storage.Store, loc storage.Location, opts ...Option) (*File, error) {
	o := options{mem: memory.DefaultAllocator}
	for _, opt := range opts {
		opt(&o)
	}
	r, err := st.Open(ctx, loc)
	if err != nil {
		return nil, err
	}
	f := &File{Name: loc.String(), r: r}
	err = guard(func() error {
		var err error
		// Pages always come from Go's allocator: Arrow v17's page reader releases the
		// buffer of a page while the page is still read (serializedPageReader.Next), which
		// only Go's allocator, that never reuses a buffer, forgives.
		f.pf, err = pqfile.NewParquetReader(readerOnly{r}, pqfile.WithReadProps(parquet.NewReaderProperties(memory.DefaultAllocator)))
		if err != nil {
			return err
		}
		var props pqarrow.ArrowReadProperties
		for _, name := range o.dicts {
			if i := f.pf.MetaData().Schema.ColumnIndexByName(name); i >= 0 {
				props.SetReadDict(i, true)
				f.dicts = true
			}
		}
		f.fr, err = pqarrow.NewFileReader(f.pf, props, o.mem)
		if err != nil {
			return err
		}
		sch, err := f.fr.Schema()
		if err != nil {
			return err
		}
		f.Schema = sch
		return nil
	})
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("%s: not a valid Parquet file (footer): %w", f.Name, err)
	}
	for i := 0; i < f.pf.NumRowGroups(); i++ {
		n := f.pf.MetaData().RowGroup(i).NumRows()
		f.RowGroups = append(f.RowGroups, n)
		f.Rows += n
	}
	return f, nil
}

// Close closes the file.
func (f *File) Close() error { return f.r.Close() }

// Scan reads the named columns (nil: every column) of the given row groups (in the order
// given) and calls fn with batches of at most batchRows rows, in order. fn borrows the
// record. The records' columns are in the order of the file's schema.
func (f *File) Scan(ctx context.Context, columns []string, rowGroups []int, batchRows int, fn func(arrow.Record) error) error {
	if len(rowGroups) == 0 {
		return nil
	}
	if f.dicts && len(rowGroups) > 1 {
		for _, g := range rowGroups {
			if err := f.Scan(ctx, columns, []int{g}, batchRows, fn); err != nil {
				return err
			}
		}
		return nil
	}
	var leaves []int
	if columns != nil {
		sch := f.pf.MetaData().Schema
		for _, c := range columns {
			i := sch.ColumnIndexByName(c)
			if i < 0 {
				return fmt.Errorf("%s: column %s: not in the file", f.Name, c)
			}
			leaves = append(leaves, i)
		}
	}
	f.fr.Props.BatchSize = int64(batchRows)
	var rr pqarrow.RecordReader
	err := guard(func() error {
		var err error
		rr, err = f.fr.GetRecordReader(ctx, leaves, rowGroups)
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: not a valid Parquet file (schema): %w", f.Name, err)
	}
	defer rr.Release()
	var want, got int64
	for _, g := range rowGroups {
		want += f.RowGroups[g]
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var rec arrow.Record
		err := guard(func() error {
			if rr.Next() {
				rec = rr.Record()
				return nil
			}
			return rr.Err()
		})
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("%s: not a valid Parquet file (data after row %d of the row groups read): %w", f.Name, got, err)
		}
		if rec == nil {
			break
		}
		if err := fn(rec); err != nil {
			return err
		}
		got += rec.NumRows()
	}
	if got != want {
		return fmt.Errorf("%s: not a valid Parquet file (row count): read %d rows, the footer says %d", f.Name, got, want)
	}
	return nil
}

// Checksum reads the object at loc from start to end and returns its SHA-256 (hex) and size.
func Checksum(ctx context.Context, st storage.Store, loc storage.Location) (string, int64, error) {
	r, err := st.Open(ctx, loc)
	if err != nil {
		return "", 0, err
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.Copy(h, ctxReader{ctx, r})
	if err != nil {
		return "", 0, fmt.Errorf("read %s: %w", loc, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// ctxReader stops reading when ctx is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// readerOnly hides the reader's Close from the Parquet reader: File.Close closes it.
type readerOnly struct{ r storage.Reader }

func (p readerOnly) Read(b []byte) (int, error)                { return p.r.Read(b) }
func (p readerOnly) ReadAt(b []byte, off int64) (int, error)   { return p.r.ReadAt(b, off) }
func (p readerOnly) Seek(off int64, whence int) (int64, error) { return p.r.Seek(off, whence) }

// guard runs fn and turns a panic of the Parquet decoder into an error.
func guard(fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("decoder failed: %v", p)
		}
	}()
	return fn()
}
