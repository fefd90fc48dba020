package arrays

import (
	"slices"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// built builds the array of type t holding values (nil: null) with Arrow's builders, the
// reference the functions of this package are compared with.
func built(t *testing.T, dt arrow.DataType, values []any) arrow.Array {
	t.Helper()
	b := array.NewBuilder(memory.DefaultAllocator, dt)
	defer b.Release()
	for _, v := range values {
		switch v := v.(type) {
		case nil:
			b.AppendNull()
		case string:
			switch b := b.(type) {
			case *array.StringBuilder:
				b.Append(v)
			case *array.BinaryDictionaryBuilder:
				if err := b.AppendString(v); err != nil {
					t.Fatal(err)
				}
			}
		case int32:
			b.(*array.Int32Builder).Append(v)
		case []string:
			lb := b.(*array.ListBuilder)
			lb.Append(true)
			for _, s := range v {
				lb.ValueBuilder().(*array.StringBuilder).Append(s)
			}
		default:
			t.Fatalf("value %v of type %T", v, v)
		}
	}
	return b.NewArray()
}

func TestArrays(t *testing.T) {
	dict, pos := Dictionary([]string{"B", "", "A", "B", "C"}, true)
	defer dict.Release()
	if got := dict.String(); got != `["B" "A" "C"]` {
		t.Errorf("dictionary %s", got)
	}
	if want := []int16{0, -1, 1, 0, 2}; !slices.Equal(pos, want) {
		t.Errorf("positions %v, want %v", pos, want)
	}
	withEmpty, pos := Dictionary([]string{"", "A", ""}, false)
	defer withEmpty.Release()
	if got := withEmpty.String(); got != `["" "A"]` || !slices.Equal(pos, []int16{0, 1, 0}) {
		t.Errorf("dictionary with the empty text %s, positions %v", got, pos)
	}

	lt := arrow.ListOf(arrow.BinaryTypes.String)
	for _, tc := range []struct {
		name string
		got  arrow.Array
		typ  arrow.DataType
		want []any
	}{
		{"Strings", Strings(3, []byte("abcd"), []int32{0, 1, 1, 4}, []byte{0b101}, 1), arrow.BinaryTypes.String, []any{"a", nil, "bcd"}},
		{"Primitive", Primitive(arrow.PrimitiveTypes.Int32, 2, arrow.Int32Traits.CastToBytes([]int32{7, -3})), arrow.PrimitiveTypes.Int32, []any{int32(7), int32(-3)}},
		{"Codes", Codes(dict, []int16{2, 0, 0}, []byte{0b011}, 1), CodeType, []any{"C", "B", nil}},
		{"NullableCodes", NullableCodes(dict, []int16{1, -1, 2, -1}), CodeType, []any{"A", nil, "C", nil}},
		{"NullableCodes without nulls", NullableCodes(dict, []int16{1, 0}), CodeType, []any{"A", "B"}},
		{"Repeated", Repeated("M1", 3), CodeType, []any{"M1", "M1", "M1"}},
		{"NullCodes", NullCodes(3), CodeType, []any{nil, nil, nil}},
		{"Nulls int32", Nulls(arrow.PrimitiveTypes.Int32, 2), arrow.PrimitiveTypes.Int32, []any{nil, nil}},
		{"Nulls string", Nulls(arrow.BinaryTypes.String, 3), arrow.BinaryTypes.String, []any{nil, nil, nil}},
		{"EmptyLists", EmptyLists(lt, 2), lt, []any{[]string{}, []string{}}},
	} {
		want := built(t, tc.typ, tc.want)
		// Dictionaries compare by their values: the builder orders its own dictionary.
		got, wantDense := tc.got, want
		if tc.typ == CodeType {
			got = decode(tc.got.(*array.Dictionary))
			wantDense = decode(want.(*array.Dictionary))
		}
		if !arrow.TypeEqual(tc.got.DataType(), tc.typ) || tc.got.NullN() != wantDense.NullN() || !array.Equal(got, wantDense) {
			t.Errorf("%s: %s (%s, %d nulls), want %s", tc.name, got, tc.got.DataType(), tc.got.NullN(), wantDense)
		}
		if tc.typ == CodeType {
			got.Release()
			wantDense.Release()
		}
		want.Release()
		tc.got.Release()
	}
}

// decode is the string column of the values of a code column.
func decode(d *array.Dictionary) arrow.Array {
	b := array.NewStringBuilder(memory.DefaultAllocator)
	defer b.Release()
	values := d.Dictionary().(*array.String)
	for i := range d.Len() {
		if d.IsNull(i) {
			b.AppendNull()
		} else {
			b.Append(values.Value(d.GetValueIndex(i)))
		}
	}
	return b.NewArray()
}
