package clean

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// TestTake checks take on sliced arrays with nulls (reader batches may be slices of
// larger buffers), for every layout it copies itself and one it leaves to Arrow.
func TestTake(t *testing.T) {
	dict := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int16, ValueType: arrow.BinaryTypes.String}
	for _, c := range []struct {
		typ  arrow.DataType
		json string
	}{
		{arrow.BinaryTypes.String, `["a", null, "bcd", "", "ef", null, "g", "hij"]`},
		{arrow.BinaryTypes.Binary, `["YQ==", null, "YmNk", "", "ZWY=", null, "Zw==", "aGlq"]`},
		{arrow.PrimitiveTypes.Float64, `[1.5, null, 3, 4, 5, null, 7, 8]`},
		{arrow.PrimitiveTypes.Int8, `[1, null, 3, 4, 5, null, 7, 8]`},
		{arrow.FixedWidthTypes.Boolean, `[true, null, false, true, true, null, false, true]`},
		{arrow.FixedWidthTypes.Date32, `["2020-01-01", null, "2020-01-03", "2020-01-04", "2020-01-05", null, "2020-01-07", "2020-01-08"]`},
		{dict, `["x", null, "y", "x", "z", null, "y", "x"]`},
		{arrow.ListOf(arrow.PrimitiveTypes.Int32), `[[1], null, [3, 3], [], [5], null, [7], [8, 8, 8]]`},
	} {
		full, _, err := array.FromJSON(memory.DefaultAllocator, c.typ, strings.NewReader(c.json))
		if err != nil {
			t.Fatalf("%s: %v", c.typ, err)
		}
		sliced := array.NewSlice(full, 1, 8) // rows 1..7 of the full array
		for _, idx := range [][]int32{{0, 1, 2, 4, 5}, {6}, {}, {0, 1, 2, 3, 4, 5, 6}, {3, 1}} {
			got, err := take(context.Background(), sliced, idx)
			if err != nil {
				t.Fatalf("%s %v: %v", c.typ, idx, err)
			}
			if got.Len() != len(idx) {
				t.Fatalf("%s %v: length %d", c.typ, idx, got.Len())
			}
			for j, i := range idx {
				if g, w := got.ValueStr(j), sliced.ValueStr(int(i)); g != w || got.IsNull(j) != sliced.IsNull(int(i)) {
					t.Errorf("%s %v: row %d is %q (null %v), want %q (null %v)", c.typ, idx, j, g, got.IsNull(j), w, sliced.IsNull(int(i)))
				}
			}
			got.Release()
		}
		sliced.Release()
		full.Release()
	}
}

func BenchmarkTakeFloat64(b *testing.B) {
	bld := array.NewFloat64Builder(memory.DefaultAllocator)
	for i := range 1 << 16 {
		bld.Append(float64(i))
	}
	arr := bld.NewArray()
	var idx []int32
	for i := range int32(1 << 16) {
		if i%100 != 0 {
			idx = append(idx, i)
		}
	}
	for b.Loop() {
		out, _ := take(context.Background(), arr, idx)
		out.Release()
	}
	b.SetBytes(8 << 16)
}
