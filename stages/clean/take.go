package clean

import (
	"context"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/compute"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// take returns the rows idx (ascending) of arr. Strings, binaries, booleans, fixed-width
// types and dictionaries of them are copied here, run by run of consecutive rows, with
// exactly sized buffers; Arrow's own take kernel grows string buffers 64 bytes at a time,
// which is quadratic on large batches. Other types fall back to that kernel.
func take(ctx context.Context, arr arrow.Array, idx []int32) (arrow.Array, error) {
	n := len(idx)
	valid, nulls := takeValidity(arr, idx)
	var buffers []*memory.Buffer
	switch a := arr.(type) {
	case *array.Dictionary:
		indices, err := take(ctx, a.Indices(), idx)
		if err != nil {
			return nil, err
		}
		defer indices.Release()
		return array.NewDictionaryArray(a.DataType(), indices, a.Dictionary()), nil
	case *array.String:
		buffers = takeBinary(a.ValueOffsets(), a.ValueBytes(), idx)
	case *array.Binary:
		buffers = takeBinary(a.ValueOffsets(), a.ValueBytes(), idx)
	case *array.Boolean:
		bits := make([]byte, bitutil.BytesForBits(int64(n)))
		d := a.Data()
		forRuns(idx, func(from, to, at int) {
			bitutil.CopyBitmap(d.Buffers()[1].Bytes(), d.Offset()+from, to-from, bits, at)
		})
		buffers = []*memory.Buffer{memory.NewBufferBytes(bits)}
	default:
		fw, ok := arr.DataType().(arrow.FixedWidthDataType)
		plain := arr.DataType().ID() != arrow.DICTIONARY && arr.DataType().ID() != arrow.EXTENSION && len(arr.Data().Children()) == 0
		if !ok || !plain || fw.BitWidth()%8 != 0 || len(arr.Data().Buffers()) != 2 {
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
		forRuns(idx, func(from, to, at int) {
			copy(dst[at*size:], src[from*size:to*size])
		})
		buffers = []*memory.Buffer{memory.NewBufferBytes(dst)}
	}
	d := array.NewData(arr.DataType(), n, append([]*memory.Buffer{valid}, buffers...), nil, nulls, 0)
	defer d.Release()
	return array.MakeFromData(d), nil
}

// forRuns calls fn(from, to, at) for every run idx[at:at+to-from] of consecutive rows
// from..to-1.
func forRuns(idx []int32, fn func(from, to, at int)) {
	for at := 0; at < len(idx); {
		end := at + 1
		for end < len(idx) && idx[end] == idx[end-1]+1 {
			end++
		}
		fn(int(idx[at]), int(idx[end-1])+1, at)
		at = end
	}
}

func takeValidity(arr arrow.Array, idx []int32) (*memory.Buffer, int) {
	if arr.NullN() == 0 {
		return nil, 0
	}
	bits := make([]byte, bitutil.BytesForBits(int64(len(idx))))
	d := arr.Data()
	forRuns(idx, func(from, to, at int) {
		bitutil.CopyBitmap(d.Buffers()[0].Bytes(), d.Offset()+from, to-from, bits, at)
	})
	nulls := len(idx) - bitutil.CountSetBits(bits, 0, len(idx))
	if nulls == 0 {
		return nil, 0
	}
	return memory.NewBufferBytes(bits), nulls
}

func takeBinary(offsets []int32, data []byte, idx []int32) []*memory.Buffer {
	// offsets are relative to the array's slice; ValueBytes starts at offsets[0].
	base := offsets[0]
	size := 0
	forRuns(idx, func(from, to, _ int) { size += int(offsets[to] - offsets[from]) })
	outOff := make([]int32, len(idx)+1)
	outData := make([]byte, 0, size)
	forRuns(idx, func(from, to, at int) {
		shift := int32(len(outData)) - offsets[from]
		for k := from; k < to; k++ {
			outOff[at+k-from+1] = offsets[k+1] + shift
		}
		outData = append(outData, data[offsets[from]-base:offsets[to]-base]...)
	})
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
