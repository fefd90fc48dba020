package score

import (
	"hash/maphash"
	"math"
	"strconv"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
)

// IDColumn reads the customer ids of a record batch as the text the scored table carries:
// strings as they are, integers in decimal, floating point numbers in the shortest decimal
// form without exponent (strconv 'f', −1: how stages/frame turns a numeric column into text),
// dates as YYYY-MM-DD and other types as Arrow prints them. A null id, or a NaN, is no id.
type IDColumn struct {
	col  arrow.Array
	str  *array.String
	i64  *array.Int64
	i32  *array.Int32
	f64  *array.Float64
	date *array.Date32
}

// NewIDColumn wraps an id column.
func NewIDColumn(col arrow.Array) IDColumn {
	c := IDColumn{col: col}
	switch a := col.(type) {
	case *array.String:
		c.str = a
	case *array.Int64:
		c.i64 = a
	case *array.Int32:
		c.i32 = a
	case *array.Float64:
		c.f64 = a
	case *array.Date32:
		c.date = a
	}
	return c
}

// Len is the number of rows.
func (c IDColumn) Len() int { return c.col.Len() }

// Valid reports whether row i has an id.
func (c IDColumn) Valid(i int) bool {
	if c.col.IsNull(i) {
		return false
	}
	switch {
	case c.f64 != nil:
		return !math.IsNaN(c.f64.Value(i))
	case c.str != nil, c.i64 != nil, c.i32 != nil, c.date != nil:
		return true
	}
	if IsNumeric(c.col.DataType()) {
		v, err := strconv.ParseFloat(c.col.ValueStr(i), 64)
		return err == nil && !math.IsNaN(v)
	}
	return true
}

// Append appends the id of row i (which must be Valid) to dst.
func (c IDColumn) Append(dst []byte, i int) []byte {
	switch {
	case c.str != nil:
		return append(dst, c.str.Value(i)...)
	case c.i64 != nil:
		return strconv.AppendInt(dst, c.i64.Value(i), 10)
	case c.i32 != nil:
		return strconv.AppendInt(dst, int64(c.i32.Value(i)), 10)
	case c.f64 != nil:
		return strconv.AppendFloat(dst, c.f64.Value(i), 'f', -1, 64)
	case c.date != nil:
		return append(dst, c.date.Value(i).FormattedString()...)
	}
	s := c.col.ValueStr(i)
	if IsNumeric(c.col.DataType()) {
		if v, err := strconv.ParseFloat(s, 64); err == nil {
			return strconv.AppendFloat(dst, v, 'f', -1, 64)
		}
	}
	return append(dst, s...)
}

// Hashes appends to hashes the hash of the id of every row that has one (Valid), under
// seed, and to rows that row's number, first+i. Equal ids hash alike. Integers are hashed by
// a bijection of their value (keyed by seed), so that different integer ids never share a
// hash; strings are hashed as they are stored, other types as the text Append gives.
func (c IDColumn) Hashes(seed maphash.Seed, first int64, hashes []uint64, rows []int64) ([]uint64, []int64) {
	n := c.Len()
	nulls := c.col.NullN() > 0
	switch {
	case c.i64 != nil:
		key := maphash.String(seed, "int")
		values := c.i64.Int64Values()
		for i, v := range values[:n] {
			if nulls && c.col.IsNull(i) {
				continue
			}
			hashes = append(hashes, mixInt(uint64(v)^key))
			rows = append(rows, first+int64(i))
		}
	case c.i32 != nil:
		key := maphash.String(seed, "int")
		values := c.i32.Int32Values()
		for i, v := range values[:n] {
			if nulls && c.col.IsNull(i) {
				continue
			}
			hashes = append(hashes, mixInt(uint64(int64(v))^key))
			rows = append(rows, first+int64(i))
		}
	case c.str != nil:
		for i := 0; i < n; i++ {
			if nulls && c.col.IsNull(i) {
				continue
			}
			hashes = append(hashes, maphash.String(seed, c.str.Value(i)))
			rows = append(rows, first+int64(i))
		}
	default:
		var scratch []byte
		for i := 0; i < n; i++ {
			if !c.Valid(i) {
				continue
			}
			scratch = c.Append(scratch[:0], i)
			hashes = append(hashes, maphash.Bytes(seed, scratch))
			rows = append(rows, first+int64(i))
		}
	}
	return hashes, rows
}

// mixInt is the finaliser of SplitMix64: a bijection of the 64-bit integers that spreads
// nearby integers over every bit (the Finder of stages/score/dupkeys partitions by the
// top bits).
func mixInt(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
