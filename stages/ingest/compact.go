package ingest

import (
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// Why batches are compacted. Arrow v17's Parquet record reader reserves room for
// bitutil.NextPowerOf2(batch) values, which is twice a power-of-two batch size such as the
// default 64Ki, and grows the bytes of string columns by doubling; its Go allocator never
// gives capacity back when a buffer is shrunk (Reallocate reslices). A decoded batch thus
// holds up to twice the memory its rows need, and a table kept in memory would keep all of
// it (2.6 GB instead of 1.5 GB for the 28M repayments of a million generated customers).
// compactRecord copies such buffers into exactly sized ones; the decoder's become garbage
// at once.
//
// Reusing the decoder's buffers through a pooling allocator instead would not be safe: the
// page reader frees each page's buffer as soon as it has wrapped the page's bytes (file
// serializedPageReader.Next: "defer buf.Release()"), while the decoders go on reading
// them. Arrow's Go allocator ignores Free, so this is harmless with it, but a pool would
// hand the bytes of a live page to the next allocation (and the C allocator crashes).

// compactSlack is the over-capacity a buffer may keep without being copied: copying costs
// time, so a buffer is copied only when it wastes more than an eighth of its length and
// more than a page.
func compactSlack(n int) int { return max(n/8, 4096) }

// compactRecord returns rec under schema with every wasteful buffer (see compactSlack)
// copied into an exactly sized one allocated from mem. The result holds its own
// references; rec is left as it is.
func compactRecord(schema *arrow.Schema, rec arrow.Record, mem memory.Allocator) arrow.Record {
	cols := make([]arrow.Array, rec.NumCols())
	for i, c := range rec.Columns() {
		d := compactData(c.Data(), mem)
		cols[i] = array.MakeFromData(d)
		d.Release()
	}
	out := array.NewRecord(schema, cols, rec.NumRows())
	for _, c := range cols {
		c.Release()
	}
	return out
}

// compactData returns d with its wasteful buffers, and those of its children and
// dictionary, copied. The result is a new reference (d itself, retained, when nothing was
// copied).
func compactData(d arrow.ArrayData, mem memory.Allocator) arrow.ArrayData {
	bufs := d.Buffers()
	newBufs := make([]*memory.Buffer, len(bufs))
	changed := false
	for i, b := range bufs {
		newBufs[i] = b
		if b != nil && cap(b.Buf())-b.Len() > compactSlack(b.Len()) {
			nb := memory.NewResizableBuffer(mem)
			nb.Resize(b.Len())
			copy(nb.Bytes(), b.Bytes())
			newBufs[i] = nb
			changed = true
		}
	}
	children := make([]arrow.ArrayData, len(d.Children()))
	for i, c := range d.Children() {
		children[i] = compactData(c, mem)
		if children[i] != c {
			changed = true
		}
	}
	var dict arrow.ArrayData
	// Dictionary returns a nil *array.Data, not a nil interface, when there is none.
	if dd, ok := d.Dictionary().(*array.Data); ok && dd != nil {
		dict = compactData(dd, mem)
		if dict != dd {
			changed = true
		}
	}
	defer func() {
		for i, b := range newBufs {
			if b != bufs[i] {
				b.Release()
			}
		}
		for _, c := range children {
			c.Release()
		}
		if dict != nil {
			dict.Release()
		}
	}()
	if !changed {
		d.Retain()
		return d
	}
	if dict != nil {
		return array.NewDataWithDictionary(d.DataType(), d.Len(), newBufs, d.NullN(), d.Offset(), dict.(*array.Data))
	}
	return array.NewData(d.DataType(), d.Len(), newBufs, children, d.NullN(), d.Offset())
}
