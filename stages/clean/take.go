package clean

import (
	"context"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/compute"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// take returns the rows idx (ascending or not) of arr. Strings, binaries, booleans and
// fixed-width types are copied here in one pass with exactly sized buffers; Arrow's own
// take kernel grows string buffers 64 bytes at a time, which is quadratic on large
// batches. Other types fall back to that kernel.
func take(ctx context.Context, arr arrow.Array, idx []int32) (arrow.Array, error) {
	n := len(idx)
	valid, nulls := takeValidity(arr, idx)
	var buffers []*memory.Buffer
	switch a := arr.(type) {
	case *array.String:
		buffers = takeBinary(a.ValueOffsets(), a.ValueBytes(), idx)
	case *array.Binary:
		buffers = takeBinary(a.ValueOffsets(), a.ValueBytes(), idx)
	case *array.Boolean:
		bits := make([]byte, bitutil.BytesForBits(int64(n)))
		for j, i := range idx {
			if a.Value(int(i)) {
				bitutil.SetBit(bits, j)
			}
		}
		buffers = []*memory.Buffer{memory.NewBufferBytes(bits)}
	default:
		fw, ok := arr.DataType().(arrow.FixedWidthDataType)
		if !ok || fw.BitWidth()%8 != 0 || len(arr.Data().Buffers()) != 2 {
			b := array.NewInt32Builder(memory.DefaultAllocator)
			defer b.Release()
			b.AppendValues(idx, nil)
			ia := b.NewArray()
			defer ia.Release()
			return compute.TakeArray(ctx, arr, ia)
		}
		size := fw.BitWidth() / 8
		src := arr.Data().Buffers()[1].Bytes()[arr.Data().Offset()*size:]
		dst := make([]byte, n*size)
		for j, i := range idx {
			copy(dst[j*size:(j+1)*size], src[int(i)*size:int(i+1)*size])
		}
		buffers = []*memory.Buffer{memory.NewBufferBytes(dst)}
	}
	d := array.NewData(arr.DataType(), n, append([]*memory.Buffer{valid}, buffers...), nil, nulls, 0)
	defer d.Release()
	return array.MakeFromData(d), nil
}

func takeValidity(arr arrow.Array, idx []int32) (*memory.Buffer, int) {
	if arr.NullN() == 0 {
		return nil, 0
	}
	bits := make([]byte, bitutil.BytesForBits(int64(len(idx))))
	nulls := 0
	for j, i := range idx {
		if arr.IsValid(int(i)) {
			bitutil.SetBit(bits, j)
		} else {
			nulls++
		}
	}
	if nulls == 0 {
		return nil, 0
	}
	return memory.NewBufferBytes(bits), nulls
}

func takeBinary(offsets []int32, data []byte, idx []int32) []*memory.Buffer {
	// offsets are relative to the array's slice; ValueBytes starts at offsets[0].
	base := offsets[0]
	size := 0
	for _, i := range idx {
		size += int(offsets[i+1] - offsets[i])
	}
	outOff := make([]int32, len(idx)+1)
	outData := make([]byte, 0, size)
	for j, i := range idx {
		outData = append(outData, data[offsets[i]-base:offsets[i+1]-base]...)
		outOff[j+1] = int32(len(outData))
	}
	return []*memory.Buffer{memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(outOff)), memory.NewBufferBytes(outData)}
}

// takeRecord returns the rows idx of every column of rec, under schema.
func takeRecord(ctx context.Context, schema *arrow.Schema, cols []arrow.Array, idx []int32) (arrow.Record, error) {
	out := make([]arrow.Array, len(cols))
	defer func() {
		for _, c := range out {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, c := range cols {
		t, err := take(ctx, c, idx)
		if err != nil {
			return nil, err
		}
		out[i] = t
	}
	return array.NewRecord(schema, out, int64(len(idx))), nil
}
