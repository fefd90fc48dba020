package gen

import (
	"unsafe"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// The column builders below accumulate one chunk of a column directly in Arrow's memory
// layout (flat value slices, offsets and validity bitmaps), so that a chunk becomes an
// Arrow array without copying and without per-value allocations. Each chunk gets fresh
// builders: the Parquet writer may keep references to string bytes (column statistics)
// until its row group is closed, so buffers are never reused.

// validity is an Arrow validity bitmap under construction.
type validity struct {
	bits  []byte
	n     int
	nulls int
}

func (v *validity) append(ok bool) {
	if v.n&7 == 0 {
		v.bits = append(v.bits, 0)
	}
	if ok {
		v.bits[v.n>>3] |= 1 << (v.n & 7)
	} else {
		v.nulls++
	}
	v.n++
}

// buffer returns the bitmap buffer, or nil when there are no nulls (Arrow's convention).
func (v *validity) buffer() *memory.Buffer {
	if v.nulls == 0 {
		return nil
	}
	return memory.NewBufferBytes(v.bits)
}

// strCol is a string column: offsets and concatenated UTF-8 bytes.
type strCol struct {
	valid validity
	offs  []int32
	data  []byte
}

func newStrCol(capRows, capBytes int) *strCol {
	c := &strCol{offs: make([]int32, 1, capRows+1), data: make([]byte, 0, capBytes)}
	c.valid.bits = make([]byte, 0, capRows/8+1)
	return c
}

func (c *strCol) add(s string) {
	c.data = append(c.data, s...)
	c.offs = append(c.offs, int32(len(c.data)))
	c.valid.append(true)
}

// addID appends prefix followed by n zero-padded to width digits, e.g. C00000042.
func (c *strCol) addID(prefix byte, n int64, width int) {
	c.data = appendID(c.data, prefix, n, width)
	c.offs = append(c.offs, int32(len(c.data)))
	c.valid.append(true)
}

func (c *strCol) addNull() {
	c.offs = append(c.offs, int32(len(c.data)))
	c.valid.append(false)
}

// appendID appends prefix and n zero-padded to width digits.
func appendID(b []byte, prefix byte, n int64, width int) []byte {
	return appendPadded(append(b, prefix), n, width)
}

func (c *strCol) array() arrow.Array {
	n := len(c.offs) - 1
	offs := memory.NewBufferBytes(bytesOf(c.offs))
	data := memory.NewBufferBytes(c.data)
	d := array.NewData(arrow.BinaryTypes.String, n, []*memory.Buffer{c.valid.buffer(), offs, data}, nil, c.valid.nulls, 0)
	defer d.Release()
	return array.MakeFromData(d)
}

// fixed is the element type of a fixed-width column.
type fixed interface {
	~int8 | ~int32 | ~int64 | ~float64
}

// numCol is a fixed-width column (float64, int32, int8, date32, timestamp).
type numCol[T fixed] struct {
	typ   arrow.DataType
	valid validity
	vals  []T
}

func newNumCol[T fixed](typ arrow.DataType, capRows int) *numCol[T] {
	c := &numCol[T]{typ: typ, vals: make([]T, 0, capRows)}
	c.valid.bits = make([]byte, 0, capRows/8+1)
	return c
}

func (c *numCol[T]) add(v T) {
	c.vals = append(c.vals, v)
	c.valid.append(true)
}

func (c *numCol[T]) addNull() {
	var zero T
	c.vals = append(c.vals, zero)
	c.valid.append(false)
}

func (c *numCol[T]) array() arrow.Array {
	d := array.NewData(c.typ, len(c.vals), []*memory.Buffer{c.valid.buffer(), memory.NewBufferBytes(bytesOf(c.vals))}, nil, c.valid.nulls, 0)
	defer d.Release()
	return array.MakeFromData(d)
}

// boolCol is a boolean column.
type boolCol struct {
	valid validity
	vals  validity // reuses the bitmap builder for the values
}

func (c *boolCol) add(v bool) {
	c.vals.append(v)
	c.valid.append(true)
}

func (c *boolCol) addNull() {
	c.vals.append(false)
	c.valid.append(false)
}

func (c *boolCol) array() arrow.Array {
	d := array.NewData(arrow.FixedWidthTypes.Boolean, c.valid.n, []*memory.Buffer{c.valid.buffer(), memory.NewBufferBytes(c.vals.bits)}, nil, c.valid.nulls, 0)
	defer d.Release()
	return array.MakeFromData(d)
}

// bytesOf views a slice of fixed-width values as bytes, without copying.
func bytesOf[T fixed](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	var zero T
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(zero)))
}

// column is any of the builders above.
type column interface{ array() arrow.Array }
