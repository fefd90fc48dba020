package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/compress"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"

	"lendscore/pipeline/storage"
)

// CreatedBy is the writer name recorded in every Parquet file lendscore writes. It carries
// no version, so that the same data gives the same bytes across releases of the writer.
const CreatedBy = "lendscore"

// PartOptions configure a PartWriter.
type PartOptions struct {
	// RowsPerPart is the number of rows after which a new part file starts; default
	// 1,000,000.
	RowsPerPart int64
	// RowGroupRows is the number of rows per Parquet row group; default 131,072. Readers
	// stream a file one row group at a time.
	RowGroupRows int64
	// Compression is "zstd" (the default), "snappy" or "none".
	Compression string
	// Fast compresses zstd pages at zstd's fastest level instead of its default: for tables
	// written often and loaded elsewhere (the scored table), where writing time matters more
	// than a few percent of size.
	Fast bool
	// Allocator allocates the writer's buffers; default memory.DefaultAllocator.
	Allocator memory.Allocator
	// PlainColumns names top-level columns written without dictionary encoding: columns of
	// distinct values (customer ids), whose dictionary would hold every value and cost a
	// hash-table insertion per row. Other columns are dictionary-encoded.
	PlainColumns []string
	// NoStatsColumns names top-level columns written without statistics (min, max, null
	// count). For a column written from dictionary indices Arrow finds the values the
	// indices use by hashing every index, and bounds over a handful of codes prune nothing,
	// so columns of codes (grades, reason codes) are cheaper without them.
	NoStatsColumns []string
	// PartPrefix goes between "part-" and the part's number in the files' names: the
	// shards of a run that write into one folder give their own ("00003-").
	PartPrefix string
}

const (
	defaultRowsPerPart  = 1_000_000
	defaultRowGroupRows = 128 << 10
	// maxDictionaryPage bounds the dictionary of a column chunk. Arrow's writer falls back
	// from dictionary to plain pages when the dictionary outgrows its limit (1 MB by
	// default), and then lists the chunk's two data-page encodings in the footer in Go map
	// order (metadata.ColumnChunkMetaDataBuilder.Finish in Arrow v17), so that the same rows
	// gave different bytes from one run to the next (a million customer ids, a column of
	// distinct amounts). With the limit far above a row group's data no chunk falls back;
	// dictionaries of distinct values cost about 2% in file size.
	maxDictionaryPage = 1 << 30
)

func (o PartOptions) withDefaults() (PartOptions, compress.Compression, error) {
	if o.RowsPerPart <= 0 {
		o.RowsPerPart = defaultRowsPerPart
	}
	if o.RowGroupRows <= 0 {
		o.RowGroupRows = defaultRowGroupRows
	}
	if o.Allocator == nil {
		o.Allocator = memory.DefaultAllocator
	}
	switch o.Compression {
	case "", "zstd":
		return o, compress.Codecs.Zstd, nil
	case "snappy":
		return o, compress.Codecs.Snappy, nil
	case "none":
		return o, compress.Codecs.Uncompressed, nil
	}
	return o, 0, fmt.Errorf("compression %q: want zstd, snappy or none", o.Compression)
}

// PartWriter writes a table as Parquet part files part-00000.parquet, part-00001.parquet, …
// under a prefix, starting a new part every RowsPerPart rows. Nothing is visible until
// Close, which commits every part; Abort (or a failed Write) leaves nothing behind.
//
// The bytes written depend only on the rows, the schema and the options: rows are regrouped
// into row groups of exactly RowGroupRows rows (the last one shorter) whatever the sizes of
// the records passed to Write, and the files carry no timestamps and a fixed created_by, so
// a re-run over the same data reproduces the same files and checksums.
type PartWriter struct {
	ctx    context.Context
	st     storage.Store
	prefix storage.Location
	schema *arrow.Schema
	opts   PartOptions
	props  *parquet.WriterProperties
	aprops pqarrow.ArrowWriterProperties

	// partName names part i.
	partName func(i int) (storage.Location, error)

	pending     []arrow.Record // rows not yet written, fewer than RowGroupRows
	pendingRows int64

	cur     *part   // the part being written
	done    []*part // finished parts, not yet committed
	written int64   // rows written to cur
	failed  error
	closed  bool
}

// part is one part file in the making.
type part struct {
	loc  storage.Location
	w    storage.Writer
	out  *hashingWriter
	fw   *pqarrow.FileWriter
	rows int64
}

// NewPartWriter starts writing records of schema as part files under prefix in st.
func NewPartWriter(ctx context.Context, st storage.Store, prefix storage.Location, schema *arrow.Schema, opts PartOptions) (*PartWriter, error) {
	opts, codec, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	props := []parquet.WriterProperty{
		parquet.WithCompression(codec),
		parquet.WithCreatedBy(CreatedBy),
		parquet.WithMaxRowGroupLength(opts.RowGroupRows),
		parquet.WithAllocator(opts.Allocator),
		parquet.WithDictionaryPageSizeLimit(maxDictionaryPage),
	}
	if opts.Fast && codec == compress.Codecs.Zstd {
		props = append(props, parquet.WithCompressionLevel(zstdFastLevel))
	}
	for _, name := range opts.PlainColumns {
		if len(schema.FieldIndices(name)) == 0 {
			return nil, fmt.Errorf("write %s: plain column %q is not in the schema", prefix, name)
		}
		props = append(props, parquet.WithDictionaryFor(name, false))
	}
	for _, name := range opts.NoStatsColumns {
		if len(schema.FieldIndices(name)) == 0 {
			return nil, fmt.Errorf("write %s: column %q without statistics is not in the schema", prefix, name)
		}
		props = append(props, parquet.WithStatsFor(name, false))
	}
	return &PartWriter{
		ctx:    ctx,
		st:     st,
		prefix: prefix,
		schema: schema,
		opts:   opts,
		partName: func(i int) (storage.Location, error) {
			return prefix.Join(fmt.Sprintf("part-%s%05d.parquet", opts.PartPrefix, i))
		},
		props: parquet.NewWriterProperties(props...),
		aprops: pqarrow.NewArrowWriterProperties(
			pqarrow.WithStoreSchema(),
			pqarrow.WithAllocator(opts.Allocator),
		),
	}, nil
}

// Write adds the rows of rec, which must have the writer's schema (field names, types and
// nullability; metadata may differ). The writer keeps a reference to rec until its rows are
// written; the caller keeps its own.
//
// A top-level string column may come dictionary-encoded instead (an arrow.DictionaryType of
// string values): the file holds the same strings, but the record's dictionary becomes the
// column chunk's Parquet dictionary as it is, in its order, so that no value is hashed. It
// is the fast way to write a column of few distinct values (grades, reason codes). Records
// whose dictionaries differ are unified when they share a row group; a dictionary that
// repeats a value makes the chunk fall back to plain pages, so give each value once.
func (w *PartWriter) Write(rec arrow.Record) error {
	if w.failed != nil {
		return w.failed
	}
	if w.closed {
		return fmt.Errorf("write %s: part writer closed", w.prefix)
	}
	if d := schemaDiff(w.schema, undictionary(rec.Schema())); d != "" {
		return w.fail(fmt.Errorf("write %s: the record does not have the table's schema: %s", w.prefix, d))
	}
	for off := int64(0); off < rec.NumRows(); {
		if err := w.ctx.Err(); err != nil {
			return w.fail(err)
		}
		// Take rows up to the end of the row group and of the part.
		room := min(w.opts.RowGroupRows-w.pendingRows, w.opts.RowsPerPart-w.written-w.pendingRows)
		n := min(room, rec.NumRows()-off)
		w.pending = append(w.pending, rec.NewSlice(off, off+n))
		w.pendingRows += n
		off += n
		if w.pendingRows == w.opts.RowGroupRows || w.written+w.pendingRows == w.opts.RowsPerPart {
			if err := w.flushRowGroup(); err != nil {
				return w.fail(err)
			}
		}
	}
	return nil
}

// flushRowGroup writes the pending rows as one row group, rolling to a new part when the
// current one is full.
func (w *PartWriter) flushRowGroup() error {
	if w.pendingRows == 0 {
		return nil
	}
	rows := w.pendingRows
	cols, err := w.concatPending()
	if err != nil {
		return err
	}
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	if w.cur == nil {
		if err := w.startPart(); err != nil {
			return err
		}
	}
	// pqarrow's FileWriter.Write would require the record to have the file's schema, which
	// dictionary-encoded columns do not; this is what it does with a record that fits in one
	// row group.
	w.cur.fw.NewRowGroup()
	for i, c := range cols {
		if err := w.cur.fw.WriteColumnData(c); err != nil {
			return fmt.Errorf("write %s: column %s: %w", w.cur.loc, w.schema.Field(i).Name, err)
		}
	}
	w.cur.rows += rows
	w.written += rows
	if w.written == w.opts.RowsPerPart {
		return w.finishPart()
	}
	return nil
}

// concatPending joins the pending slices column by column and clears them. The caller
// releases the columns.
func (w *PartWriter) concatPending() ([]arrow.Array, error) {
	defer func() {
		for _, r := range w.pending {
			r.Release()
		}
		w.pending = w.pending[:0]
		w.pendingRows = 0
	}()
	cols := make([]arrow.Array, w.schema.NumFields())
	if len(w.pending) == 1 {
		for i, c := range w.pending[0].Columns() {
			c.Retain()
			cols[i] = c
		}
		return cols, nil
	}
	parts := make([]arrow.Array, len(w.pending))
	for i := range cols {
		for j, r := range w.pending {
			parts[j] = r.Column(i)
		}
		c, err := array.Concatenate(parts, w.opts.Allocator)
		if err != nil {
			for _, c := range cols[:i] {
				c.Release()
			}
			return nil, fmt.Errorf("write %s: column %s: %w", w.prefix, w.schema.Field(i).Name, err)
		}
		cols[i] = c
	}
	return cols, nil
}

// undictionary returns s with every top-level dictionary of strings replaced by strings,
// the type a PartWriter writes it as.
func undictionary(s *arrow.Schema) *arrow.Schema {
	var fields []arrow.Field
	for i, f := range s.Fields() {
		if dt, ok := f.Type.(*arrow.DictionaryType); ok && dt.ValueType.ID() == arrow.STRING {
			if fields == nil {
				fields = s.Fields()
			}
			fields[i].Type = arrow.BinaryTypes.String
		}
	}
	if fields == nil {
		return s
	}
	md := s.Metadata()
	return arrow.NewSchema(fields, &md)
}

func (w *PartWriter) startPart() error {
	loc, err := w.partName(len(w.done))
	if err != nil {
		return err
	}
	sw, err := w.st.Create(w.ctx, loc)
	if err != nil {
		return err
	}
	out := &hashingWriter{w: sw, h: sha256.New()}
	fw, err := pqarrow.NewFileWriter(w.schema, out, w.props, w.aprops)
	if err != nil {
		sw.Abort()
		return fmt.Errorf("write %s: %w", loc, err)
	}
	w.cur = &part{loc: loc, w: sw, out: out, fw: fw}
	return nil
}

// finishPart writes the footer of the current part; the part is committed by Close.
func (w *PartWriter) finishPart() error {
	p := w.cur
	w.cur = nil
	w.written = 0
	w.done = append(w.done, p)
	if err := p.fw.Close(); err != nil {
		return fmt.Errorf("write %s: %w", p.loc, err)
	}
	if p.out.err != nil {
		return fmt.Errorf("write %s: %w", p.loc, p.out.err)
	}
	return nil
}

// fail discards every part and remembers err, which Write and Close report from now on.
func (w *PartWriter) fail(err error) error {
	w.failed = err
	w.discard()
	return err
}

// Close writes the remaining rows, commits every part and returns them in order with
// their sizes, checksums and row counts. A writer that got no rows writes one empty part,
// so that readers find the table and its schema.
func (w *PartWriter) Close() ([]FileInfo, error) {
	if w.failed != nil {
		return nil, w.failed
	}
	if w.closed {
		return nil, fmt.Errorf("close %s: part writer already closed", w.prefix)
	}
	w.closed = true
	if err := w.flushRowGroup(); err != nil {
		return nil, w.fail(err)
	}
	if w.cur == nil && len(w.done) == 0 {
		if err := w.startPart(); err != nil {
			return nil, w.fail(err)
		}
	}
	if w.cur != nil {
		if err := w.finishPart(); err != nil {
			return nil, w.fail(err)
		}
	}
	files := make([]FileInfo, 0, len(w.done))
	for i, p := range w.done {
		if err := p.w.Commit(); err != nil {
			// Parts committed so far stay; the others are aborted.
			for _, q := range w.done[i+1:] {
				q.w.Abort()
			}
			w.failed = err
			return nil, err
		}
		files = append(files, FileInfo{
			Location: p.loc.String(),
			Size:     p.out.n,
			SHA256:   hex.EncodeToString(p.out.h.Sum(nil)),
			Rows:     p.rows,
		})
	}
	return files, nil
}

// Abort discards every part. It is a no-op after Close.
func (w *PartWriter) Abort() error {
	if w.closed {
		return nil
	}
	w.closed = true
	return w.discard()
}

func (w *PartWriter) discard() error {
	for _, r := range w.pending {
		r.Release()
	}
	w.pending = nil
	w.pendingRows = 0
	var errs []error
	if w.cur != nil {
		w.cur.fw.Close() // releases its buffers; the bytes go nowhere visible
		w.done = append(w.done, w.cur)
		w.cur = nil
	}
	for _, p := range w.done {
		errs = append(errs, p.w.Abort())
	}
	w.done = nil
	return errors.Join(errs...)
}

// WriteParquet writes records, which must share one schema, as one Parquet file at loc
// with the PartWriter's defaults (zstd, row groups of 131,072 rows, deterministic bytes).
func WriteParquet(ctx context.Context, st storage.Store, loc storage.Location, records ...arrow.Record) (FileInfo, error) {
	if len(records) == 0 {
		return FileInfo{}, fmt.Errorf("write %s: no records, so no schema", loc)
	}
	pw, err := NewPartWriter(ctx, st, loc, records[0].Schema(), PartOptions{RowsPerPart: 1<<63 - 1})
	if err != nil {
		return FileInfo{}, err
	}
	pw.partName = func(int) (storage.Location, error) { return loc, nil }
	for _, r := range records {
		if err := pw.Write(r); err != nil {
			pw.Abort()
			return FileInfo{}, err
		}
	}
	files, err := pw.Close()
	if err != nil {
		return FileInfo{}, err
	}
	return files[0], nil
}

// hashingWriter counts and hashes what goes through it to a storage.Writer. It remembers
// the first write error, since the Parquet writer does not report every one.
type hashingWriter struct {
	w   storage.Writer
	h   hash.Hash
	n   int64
	err error
}

func (h *hashingWriter) Write(p []byte) (int, error) {
	if h.err != nil {
		return 0, h.err
	}
	n, err := h.w.Write(p)
	h.h.Write(p[:n])
	h.n += int64(n)
	if err != nil {
		h.err = err
	}
	return n, err
}
