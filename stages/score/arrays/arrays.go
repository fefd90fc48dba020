// Package arrays builds Arrow arrays straight from Go slices, without Arrow's builders: the
// buffers are the slices themselves (no copy, no per-value append), and columns of codes are
// dictionaries built once. The scored tables of score runs (stages/score) and train runs
// (pipeline/runner) are built this way, so that millions of rows cost a pass over their
// values and no hashing of a text per row.
//
// Every function returns an array the caller owns and releases; arrays over caller slices
// take ownership of those slices.
package arrays

import (
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// CodeType is the type of a code column: int16 indices into a dictionary of strings.
var CodeType = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int16, ValueType: arrow.BinaryTypes.String}

// FromData makes the array of d and drops the caller's reference to d.
func FromData(d arrow.ArrayData) arrow.Array {
	defer d.Release()
	return array.MakeFromData(d)
}

// bitmap is a validity buffer over valid, or none (no row is null) when valid is nil.
func bitmap(valid []byte) *memory.Buffer {
	if valid == nil {
		return nil
	}
	return memory.NewBufferBytes(valid)
}

// Strings is a string column of n rows: the texts one after the other in data, offsets
// (n+1 entries) where each starts, valid the validity bits (nil when no row is null) and
// nulls the number of null rows.
func Strings(n int, data []byte, offsets []int32, valid []byte, nulls int) arrow.Array {
	return FromData(array.NewData(arrow.BinaryTypes.String, n,
		[]*memory.Buffer{bitmap(valid), memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(offsets)), memory.NewBufferBytes(data)}, nil, nulls, 0))
}

// Primitive is a column of fixed-width type t without nulls over the bytes of n values
// (arrow.Int32Traits.CastToBytes(v) and the like).
func Primitive(t arrow.DataType, n int, values []byte) arrow.Array {
	return FromData(array.NewData(t, n, []*memory.Buffer{nil, memory.NewBufferBytes(values)}, nil, 0, 0))
}

// Dictionary returns the distinct texts among texts, in order of first appearance, as a
// string column, and the position of each text in it. With emptyIsNull an empty text has no
// position (-1): a row coded by it is null.
func Dictionary(texts []string, emptyIsNull bool) (arrow.Array, []int16) {
	var (
		data    []byte
		offsets = []int32{0}
		seen    = map[string]int16{}
		pos     = make([]int16, len(texts))
	)
	for i, t := range texts {
		if t == "" && emptyIsNull {
			pos[i] = -1
			continue
		}
		k, ok := seen[t]
		if !ok {
			k = int16(len(seen))
			seen[t] = k
			data = append(data, t...)
			offsets = append(offsets, int32(len(data)))
		}
		pos[i] = k
	}
	return Strings(len(seen), data, offsets, nil, 0), pos
}

// Codes is a code column (CodeType) of indices into dict; valid holds the validity bits (nil
// when no row is null) and nulls the number of null rows.
func Codes(dict arrow.Array, indices []int16, valid []byte, nulls int) arrow.Array {
	d := array.NewData(CodeType, len(indices), []*memory.Buffer{bitmap(valid), memory.NewBufferBytes(arrow.Int16Traits.CastToBytes(indices))}, nil, nulls, 0)
	d.SetDictionary(dict.Data().(*array.Data))
	return FromData(d)
}

// NullableCodes is a code column of codes into dict in which a negative code is null (its
// index is set to 0).
func NullableCodes(dict arrow.Array, codes []int16) arrow.Array {
	nulls := 0
	for _, c := range codes {
		if c < 0 {
			nulls++
		}
	}
	if nulls == 0 {
		return Codes(dict, codes, nil, 0)
	}
	valid := make([]byte, bitutil.BytesForBits(int64(len(codes))))
	for i, c := range codes {
		if c >= 0 {
			bitutil.SetBit(valid, i)
		} else {
			codes[i] = 0
		}
	}
	return Codes(dict, codes, valid, nulls)
}

// Repeated is a code column holding s in each of n rows.
func Repeated(s string, n int) arrow.Array {
	dict, _ := Dictionary([]string{s}, false)
	defer dict.Release()
	return Codes(dict, make([]int16, n), nil, 0)
}

// NullCodes is a code column of n nulls, its dictionary empty.
func NullCodes(n int) arrow.Array {
	dict := Strings(0, nil, []int32{0}, nil, 0)
	defer dict.Release()
	return Codes(dict, make([]int16, n), make([]byte, bitutil.BytesForBits(int64(n))), n)
}

// Nulls is a column of type t, int32 or string, of n nulls.
func Nulls(t arrow.DataType, n int) arrow.Array {
	valid := memory.NewBufferBytes(make([]byte, bitutil.BytesForBits(int64(n))))
	if t.ID() == arrow.STRING {
		return FromData(array.NewData(t, n,
			[]*memory.Buffer{valid, memory.NewBufferBytes(make([]byte, 4*(n+1))), memory.NewBufferBytes(nil)}, nil, n, 0))
	}
	return FromData(array.NewData(t, n, []*memory.Buffer{valid, memory.NewBufferBytes(make([]byte, 4*n))}, nil, n, 0))
}

// EmptyLists is a column of type lt, a list of strings, holding n empty (not null) lists.
func EmptyLists(lt *arrow.ListType, n int) arrow.Array {
	child := array.NewData(lt.Elem(), 0, []*memory.Buffer{nil, memory.NewBufferBytes(make([]byte, 4)), memory.NewBufferBytes(nil)}, nil, 0, 0)
	defer child.Release()
	return FromData(array.NewData(lt, n, []*memory.Buffer{nil, memory.NewBufferBytes(make([]byte, 4*(n+1)))},
		[]arrow.ArrayData{child}, 0, 0))
}
