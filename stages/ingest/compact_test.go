package ingest

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"lendscore/pipeline/storage"
)

// oversized returns a buffer holding data with room for capacity bytes, as a decoder that
// reserved too much leaves it (Arrow's Go allocator keeps the capacity of a shrunk buffer).
func oversized(mem memory.Allocator, data []byte, capacity int) *memory.Buffer {
	b := memory.NewResizableBuffer(mem)
	b.Resize(capacity)
	b.Resize(len(data))
	copy(b.Bytes(), data)
	return b
}

// wasteful describes every buffer of d, its children and its dictionary that holds more
// than compactSlack over its length.
func wasteful(d arrow.ArrayData) []string {
	var out []string
	for i, b := range d.Buffers() {
		if b != nil && cap(b.Buf())-b.Len() > compactSlack(b.Len()) {
			out = append(out, fmt.Sprintf("%s buffer %d: capacity %d for %d bytes", d.DataType(), i, cap(b.Buf()), b.Len()))
		}
	}
	for _, c := range d.Children() {
		out = append(out, wasteful(c)...)
	}
	if dd, ok := d.Dictionary().(*array.Data); ok && dd != nil {
		out = append(out, wasteful(dd)...)
	}
	return out
}

func TestCompactData(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)

	// A float64 column of 1,000 values in a buffer reserved for 64Ki: copied.
	vals := make([]float64, 1000)
	for i := range vals {
		vals[i] = float64(i) / 4
	}
	wide := oversized(mem, arrow.Float64Traits.CastToBytes(vals), 64<<10*8)
	// A string column whose offsets are exact and whose value bytes sit in a buffer four
	// times too large: only the value bytes are copied.
	offsets := oversized(mem, arrow.Int32Traits.CastToBytes([]int32{0, 3, 3, 8}), 16)
	text := oversized(mem, []byte("abcdefgh"), 4096*4)
	nulls := oversized(mem, []byte{0b101}, 1)

	cases := []struct {
		name   string
		data   arrow.ArrayData
		copied []bool // per buffer
		want   string
	}{
		{"float64, oversized", array.NewData(arrow.PrimitiveTypes.Float64, 1000, []*memory.Buffer{nil, wide}, nil, 0, 0), []bool{false, true}, ""},
		{"string, oversized bytes", array.NewData(arrow.BinaryTypes.String, 3, []*memory.Buffer{nulls, offsets, text}, nil, 1, 0), []bool{false, false, true}, `["abc" (null) "defgh"]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := compactData(c.data, mem)
			defer got.Release()
			for i, b := range got.Buffers() {
				old := c.data.Buffers()[i]
				if b == nil {
					if old != nil {
						t.Errorf("buffer %d: dropped", i)
					}
					continue
				}
				if copied := b != old; copied != c.copied[i] {
					t.Errorf("buffer %d: copied %v, want %v", i, copied, c.copied[i])
				}
				if !bytes.Equal(b.Bytes(), old.Bytes()) {
					t.Errorf("buffer %d: bytes changed", i)
				}
			}
			for _, w := range wasteful(got) {
				t.Error(w)
			}
			a, b := array.MakeFromData(c.data), array.MakeFromData(got)
			defer a.Release()
			defer b.Release()
			if !array.Equal(a, b) {
				t.Errorf("values changed: %v, want %v", b, a)
			}
			if c.want != "" && b.String() != c.want {
				t.Errorf("values %v, want %s", b, c.want)
			}
		})
		c.data.Release()
	}
	for _, b := range []*memory.Buffer{wide, offsets, text, nulls} {
		b.Release()
	}
}

// TestCompactDataNested checks lists and dictionaries: their children and dictionaries
// are compacted too, and a column with nothing to copy is returned as it is.
func TestCompactDataNested(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)

	lb := array.NewListBuilder(mem, arrow.BinaryTypes.String)
	lb.Reserve(1 << 14) // offsets for 16Ki lists, 3 used
	vb := lb.ValueBuilder().(*array.StringBuilder)
	vb.ReserveData(1 << 16)
	lb.Append(true)
	vb.Append("W0")
	vb.Append("W1")
	lb.AppendNull()
	lb.Append(true)
	list := lb.NewArray()
	lb.Release()
	defer list.Release()

	db := array.NewDictionaryBuilder(mem, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}).(*array.BinaryDictionaryBuilder)
	db.Reserve(1 << 14)
	for _, s := range []string{"mortgage", "credit", "mortgage"} {
		if err := db.AppendString(s); err != nil {
			t.Fatal(err)
		}
	}
	dict := db.NewArray()
	db.Release()
	defer dict.Release()

	for _, a := range []arrow.Array{list, dict} {
		t.Run(a.DataType().String(), func(t *testing.T) {
			d := compactData(a.Data(), mem)
			defer d.Release()
			if d == a.Data() {
				t.Fatal("nothing copied; the builders reserved room for 16Ki values")
			}
			got := array.MakeFromData(d)
			defer got.Release()
			if !array.Equal(got, a) {
				t.Errorf("values %v, want %v", got, a)
			}
			for _, w := range wasteful(d) {
				t.Error(w)
			}

			again := compactData(d, mem)
			defer again.Release()
			if again != d {
				t.Error("a compact column was copied again")
			}
		})
	}
}

// TestReadParquetExactBuffers checks what compaction is for: with a power-of-two batch size
// the Parquet decoder reserves twice the batch (Arrow rounds 1024 up to 2048) and grows
// string bytes by doubling, yet no buffer of a batch read holds much more than its rows.
func TestReadParquetExactBuffers(t *testing.T) {
	st := &memStore{objects: map[string][]byte{}}
	pw, err := NewPartWriter(context.Background(), st, storage.MustParse("out/"), testSchema, PartOptions{RowGroupRows: 4096})
	if err != nil {
		t.Fatal(err)
	}
	want := makeRecord(memory.DefaultAllocator, 0, 10_000)
	defer want.Release()
	if err := pw.Write(want); err != nil {
		t.Fatal(err)
	}
	if _, err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var got []arrow.Record
	defer func() {
		for _, r := range got {
			r.Release()
		}
	}()
	err = ReadParquet(context.Background(), newMemReader(st.objects["out/part-00000.parquet"]), "x.parquet", ReadOptions{BatchSize: 1024, Allocator: mem}, func(b Batch) error {
		for i, c := range b.Record.Columns() {
			for _, w := range wasteful(c.Data()) {
				t.Errorf("rows from %d, %s: %s", b.FirstRow, b.Record.ColumnName(i), w)
			}
		}
		b.Record.Retain()
		got = append(got, b.Record)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if g, w := rows(got...), rows(want); !equalStrings(g, w) {
		t.Errorf("read %d rows that differ from the %d written", len(g), len(w))
	}
}
