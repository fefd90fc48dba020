package score

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"math"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/compress"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"

	"lendscore/pipeline/storage"
	"lendscore/schemas"
	"lendscore/stages/ingest"
)

// PartWriter writes the records of a RecordBuilder as one Parquet file of the scored table,
// one row group per record. The file has the contract's schema (schemas.ScoredSchema, stored
// as the Arrow schema), zstd pages and lendscore's created_by, like stages/ingest's part
// files; its encodings are chosen for the scored table:
//
//   - customer_id and pd hold (nearly) one distinct value per row, so they are written as
//     plain pages: a dictionary would only cost a hash per row and a page of every value;
//   - the code columns (grade, risk tier, reasons, model, version, run id) come as Arrow
//     dictionaries from the RecordBuilder and are written as dictionary pages straight from
//     their indices, without hashing a string per row;
//   - score and as_of_date keep Arrow's dictionary encoding (a few hundred values);
//   - the code columns carry no statistics (min, max, null count): Arrow would hash every
//     index to find the codes used, and bounds over a handful of codes prune nothing.
//
// No column chunk falls back from dictionary to plain pages (the dictionary page limit is
// far above a row group's data), so the footer lists its encodings in a fixed order and the
// bytes written depend only on the records: the same records give the same file.
// Nothing is visible until Close commits the file; Abort, or a failed Write, leaves nothing.
type PartWriter struct {
	ctx  context.Context
	loc  storage.Location
	w    storage.Writer
	out  *hashingWriter
	fw   *pqarrow.FileWriter
	rows int64
	err  error
	done bool
}

// scoredWriterProperties are the Parquet settings of the scored parts.
func scoredWriterProperties(mem memory.Allocator) *parquet.WriterProperties {
	props := []parquet.WriterProperty{
		parquet.WithAllocator(mem),
		parquet.WithCompression(compress.Codecs.Zstd),
		parquet.WithCreatedBy(ingest.CreatedBy),
		// Records are row groups: never cut one.
		parquet.WithMaxRowGroupLength(math.MaxInt64),
		// No fallback from dictionary to plain pages (see ingest.PartWriter).
		parquet.WithDictionaryPageSizeLimit(1 << 30),
		parquet.WithDictionaryFor("customer_id", false),
		parquet.WithDictionaryFor("pd", false),
	}
	// Statistics of a column written from dictionary indices cost a hash of every index
	// (Arrow finds the dictionary values the indices use), and bounds over a handful of
	// codes prune nothing: the code columns go without them.
	for _, c := range codeColumns {
		props = append(props, parquet.WithStatsFor(schemas.ScoredSchema().Field(c).Name, false))
	}
	return parquet.NewWriterProperties(props...)
}

// NewPartWriter starts writing the scored part at loc in st. Its buffers come from mem (nil:
// memory.DefaultAllocator), such as a pool that recycles them (stages/score/bufpool).
func NewPartWriter(ctx context.Context, st storage.Store, loc storage.Location, mem memory.Allocator) (*PartWriter, error) {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	sw, err := st.Create(ctx, loc)
	if err != nil {
		return nil, err
	}
	out := &hashingWriter{w: sw, h: sha256.New()}
	fw, err := pqarrow.NewFileWriter(schemas.ScoredSchema(), out, scoredWriterProperties(mem),
		pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(mem)))
	if err != nil {
		sw.Abort()
		return nil, fmt.Errorf("write %s: %w", loc, err)
	}
	return &PartWriter{ctx: ctx, loc: loc, w: sw, out: out, fw: fw}, nil
}

// Write writes rec, built by a RecordBuilder, as the next row group.
func (w *PartWriter) Write(rec arrow.Record) error {
	if w.err != nil {
		return w.err
	}
	if w.done {
		return fmt.Errorf("write %s: part writer closed", w.loc)
	}
	if err := w.ctx.Err(); err != nil {
		return w.fail(err)
	}
	if int(rec.NumCols()) != numScoredCols {
		return w.fail(fmt.Errorf("write %s: a record of %d columns, want the %d of the scored table", w.loc, rec.NumCols(), numScoredCols))
	}
	if rec.NumRows() == 0 {
		return nil
	}
	w.fw.NewRowGroup()
	for i, c := range rec.Columns() {
		if err := w.fw.WriteColumnData(c); err != nil {
			return w.fail(fmt.Errorf("write %s: column %s: %w", w.loc, rec.ColumnName(i), err))
		}
	}
	if w.out.err != nil {
		return w.fail(fmt.Errorf("write %s: %w", w.loc, w.out.err))
	}
	w.rows += rec.NumRows()
	return nil
}

// Close writes the footer, commits the file and describes it. A writer that got no rows
// writes a file of no row groups, so that readers find the table and its schema.
func (w *PartWriter) Close() (ingest.FileInfo, error) {
	if w.err != nil {
		return ingest.FileInfo{}, w.err
	}
	if w.done {
		return ingest.FileInfo{}, fmt.Errorf("close %s: part writer already closed", w.loc)
	}
	if err := w.fw.Close(); err != nil {
		return ingest.FileInfo{}, w.fail(fmt.Errorf("write %s: %w", w.loc, err))
	}
	if w.out.err != nil {
		return ingest.FileInfo{}, w.fail(fmt.Errorf("write %s: %w", w.loc, w.out.err))
	}
	w.done = true
	if err := w.w.Commit(); err != nil {
		w.err = err
		return ingest.FileInfo{}, err
	}
	return ingest.FileInfo{Location: w.loc.String(), Size: w.out.n, SHA256: hex.EncodeToString(w.out.h.Sum(nil)), Rows: w.rows}, nil
}

// Abort discards the file. It is a no-op after Close.
func (w *PartWriter) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.fw.Close() // releases its buffers; the bytes go nowhere visible
	return w.w.Abort()
}

// fail discards the file and remembers err, which Write and Close report from now on.
func (w *PartWriter) fail(err error) error {
	w.err = err
	w.Abort()
	return err
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
