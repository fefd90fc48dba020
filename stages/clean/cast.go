package clean

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/compute"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// castStatus says how one value fared in a cast.
type castStatus uint8

const (
	castOK          castStatus = iota
	castUnparseable            // text that is not a value of the type: quarantined as unparseable
	castOutOfRange             // a number the type cannot hold: quarantined as outlier
)

// castResult is a raw column cast to its canonical type.
type castResult struct {
	// arr has the canonical type; it is null where the raw value was null or failed.
	arr arrow.Array
	// status has one entry per row, or is nil when every value cast cleanly.
	status []castStatus
}

// errUncastable is returned for a column whose type cannot become the canonical one.
type errUncastable struct{ from, to arrow.DataType }

func (e errUncastable) Error() string {
	return fmt.Sprintf("cannot cast %s to %s", e.from, e.to)
}

// cast converts a raw column to the canonical type to. Values of the canonical type pass
// through without copying. Supported conversions:
//
//	to string:    string, large_string, binary, integers (decimal text)
//	to float64:   floats (NaN becomes null), integers, decimal128, text
//	to int32/int8: integers, integral floats, text; values out of range are out-of-range
//	to date32:    date32, date64, timestamps (their UTC date), text YYYY-MM-DD or RFC 3339
//	to timestamp: timestamps of any unit (instants), dates (midnight UTC), text RFC 3339,
//	              "YYYY-MM-DD hh:mm:ss[.fff]" or "YYYY-MM-DD" (UTC)
//	to bool:      bool, integers 0/1, text true/false/1/0/yes/no/t/f/y/n (any case)
//
// Dictionary-encoded columns are decoded first. Empty or blank text is null, not
// unparseable; any other text that does not parse is unparseable.
func cast(raw arrow.Array, to arrow.DataType) (castResult, error) {
	if d, ok := raw.(*array.Dictionary); ok {
		dense, err := compute.TakeArray(context.Background(), d.Dictionary(), d.Indices())
		if err != nil {
			return castResult{}, fmt.Errorf("decode dictionary: %w", err)
		}
		defer dense.Release()
		return cast(dense, to)
	}
	from := raw.DataType()
	if arrow.TypeEqual(from, to) && to.ID() != arrow.FLOAT64 {
		raw.Retain()
		return castResult{arr: raw}, nil
	}
	if from.ID() == arrow.TIMESTAMP && to.ID() == arrow.TIMESTAMP && from.(*arrow.TimestampType).Unit == to.(*arrow.TimestampType).Unit {
		// Same instants, another time-zone label: re-label as canonical.
		return castResult{arr: relabel(raw, to)}, nil
	}
	n := raw.Len()
	var c caster
	c.init(n)
	switch to.ID() {
	case arrow.STRING:
		return c.toString(raw, to)
	case arrow.FLOAT64:
		return c.toFloat(raw, to)
	case arrow.INT32:
		return toInt[int32](&c, raw, to, math.MinInt32, math.MaxInt32)
	case arrow.INT8:
		return toInt[int8](&c, raw, to, math.MinInt8, math.MaxInt8)
	case arrow.DATE32:
		return c.toDate(raw, to)
	case arrow.TIMESTAMP:
		if u := to.(*arrow.TimestampType).Unit; u != arrow.Millisecond {
			return castResult{}, fmt.Errorf("canonical timestamps are in milliseconds, not %s", u)
		}
		return c.toTimestamp(raw, to)
	case arrow.BOOL:
		return c.toBool(raw, to)
	}
	return castResult{}, errUncastable{from, to}
}

// relabel returns arr's data under another, layout-compatible type.
func relabel(arr arrow.Array, to arrow.DataType) arrow.Array {
	d := arr.Data()
	nd := array.NewData(to, d.Len(), d.Buffers(), nil, d.NullN(), d.Offset())
	defer nd.Release()
	return array.MakeFromData(nd)
}

// caster accumulates the validity and status of a cast.
type caster struct {
	valid  []bool
	status []castStatus
	bad    bool
}

func (c *caster) init(n int) {
	c.valid = make([]bool, n)
	c.status = make([]castStatus, n)
}

func (c *caster) fail(i int, s castStatus) {
	c.status[i] = s
	c.bad = true
}

func (c *caster) result(arr arrow.Array) (castResult, error) {
	r := castResult{arr: arr}
	if c.bad {
		r.status = c.status
	}
	return r, nil
}

// bitmap packs validity into an Arrow bitmap; nil when all are valid.
func bitmap(valid []bool) (*memory.Buffer, int) {
	nulls := 0
	bits := make([]byte, (len(valid)+7)/8)
	for i, ok := range valid {
		if ok {
			bits[i>>3] |= 1 << (i & 7)
		} else {
			nulls++
		}
	}
	if nulls == 0 {
		return nil, 0
	}
	return memory.NewBufferBytes(bits), nulls
}

type fixedWidth interface {
	~int8 | ~int32 | ~int64 | ~float64
}

// fixedArray builds a fixed-width array of type typ from values and validity.
func fixedArray[T fixedWidth](typ arrow.DataType, vals []T, valid []bool) arrow.Array {
	vb, nulls := bitmap(valid)
	var data []byte
	if len(vals) > 0 {
		var zero T
		data = unsafe.Slice((*byte)(unsafe.Pointer(&vals[0])), len(vals)*int(unsafe.Sizeof(zero)))
	}
	d := array.NewData(typ, len(vals), []*memory.Buffer{vb, memory.NewBufferBytes(data)}, nil, nulls, 0)
	defer d.Release()
	return array.MakeFromData(d)
}

// textOf returns a function reading row i of a text column, or nil for other types.
func textOf(raw arrow.Array) func(i int) string {
	switch a := raw.(type) {
	case *array.String:
		return a.Value
	case *array.LargeString:
		return a.Value
	case *array.Binary:
		return a.ValueString
	case *array.LargeBinary:
		return func(i int) string { return string(a.Value(i)) }
	}
	return nil
}

// intOf returns a function reading row i of an integer column as int64 (ok false when a
// uint64 does not fit), or nil for other types.
func intOf(raw arrow.Array) func(i int) (int64, bool) {
	switch a := raw.(type) {
	case *array.Int8:
		return func(i int) (int64, bool) { return int64(a.Value(i)), true }
	case *array.Int16:
		return func(i int) (int64, bool) { return int64(a.Value(i)), true }
	case *array.Int32:
		return func(i int) (int64, bool) { return int64(a.Value(i)), true }
	case *array.Int64:
		return func(i int) (int64, bool) { return a.Value(i), true }
	case *array.Uint8:
		return func(i int) (int64, bool) { return int64(a.Value(i)), true }
	case *array.Uint16:
		return func(i int) (int64, bool) { return int64(a.Value(i)), true }
	case *array.Uint32:
		return func(i int) (int64, bool) { return int64(a.Value(i)), true }
	case *array.Uint64:
		return func(i int) (int64, bool) { v := a.Value(i); return int64(v), v <= math.MaxInt64 }
	}
	return nil
}

// floatOf returns a function reading row i of a float or decimal column, or nil.
func floatOf(raw arrow.Array) func(i int) float64 {
	switch a := raw.(type) {
	case *array.Float64:
		return a.Value
	case *array.Float32:
		return func(i int) float64 { return float64(a.Value(i)) }
	case *array.Decimal128:
		scale := a.DataType().(*arrow.Decimal128Type).Scale
		return func(i int) float64 { return a.Value(i).ToFloat64(scale) }
	}
	return nil
}

func (c *caster) toString(raw arrow.Array, to arrow.DataType) (castResult, error) {
	b := array.NewStringBuilder(memory.DefaultAllocator)
	defer b.Release()
	b.Reserve(raw.Len())
	text, ints := textOf(raw), intOf(raw)
	var buf []byte
	for i := range raw.Len() {
		switch {
		case raw.IsNull(i):
			b.AppendNull()
		case text != nil:
			b.Append(text(i))
		case ints != nil:
			v, ok := ints(i)
			if !ok {
				buf = strconv.AppendUint(buf[:0], raw.(*array.Uint64).Value(i), 10)
			} else {
				buf = strconv.AppendInt(buf[:0], v, 10)
			}
			b.Append(string(buf))
		default:
			return castResult{}, errUncastable{raw.DataType(), to}
		}
	}
	return c.result(b.NewArray())
}

// parseFloat parses decimal text; NaN and infinities are not amounts.
func parseFloat(s string) (float64, bool) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

func (c *caster) toFloat(raw arrow.Array, to arrow.DataType) (castResult, error) {
	if f, ok := raw.(*array.Float64); ok {
		nan := false
		for i, v := range f.Float64Values() {
			if math.IsNaN(v) && f.IsValid(i) {
				nan = true
				break
			}
		}
		if !nan {
			raw.Retain()
			return castResult{arr: raw}, nil
		}
	}
	n := raw.Len()
	vals := make([]float64, n)
	text, ints, floats := textOf(raw), intOf(raw), floatOf(raw)
	if text == nil && ints == nil && floats == nil {
		return castResult{}, errUncastable{raw.DataType(), to}
	}
	for i := range n {
		if raw.IsNull(i) {
			continue
		}
		switch {
		case floats != nil:
			v := floats(i)
			if math.IsNaN(v) {
				continue // missing
			}
			vals[i], c.valid[i] = v, true
		case ints != nil:
			v, ok := ints(i)
			if !ok {
				vals[i], c.valid[i] = float64(raw.(*array.Uint64).Value(i)), true
			} else {
				vals[i], c.valid[i] = float64(v), true
			}
		default:
			s := strings.TrimSpace(text(i))
			if s == "" {
				continue
			}
			if v, ok := parseFloat(s); ok {
				vals[i], c.valid[i] = v, true
			} else {
				c.fail(i, castUnparseable)
			}
		}
	}
	return c.result(fixedArray(to, vals, c.valid))
}

func toInt[T int8 | int32](c *caster, raw arrow.Array, to arrow.DataType, lo, hi int64) (castResult, error) {
	n := raw.Len()
	vals := make([]T, n)
	text, ints, floats := textOf(raw), intOf(raw), floatOf(raw)
	if text == nil && ints == nil && floats == nil {
		return castResult{}, errUncastable{raw.DataType(), to}
	}
	set := func(i int, v int64) {
		if v < lo || v > hi {
			c.fail(i, castOutOfRange)
			return
		}
		vals[i], c.valid[i] = T(v), true
	}
	setFloat := func(i int, v float64) {
		switch {
		case math.IsNaN(v):
		case v != math.Trunc(v):
			c.fail(i, castUnparseable)
		case v < float64(lo) || v > float64(hi):
			c.fail(i, castOutOfRange)
		default:
			vals[i], c.valid[i] = T(v), true
		}
	}
	for i := range n {
		if raw.IsNull(i) {
			continue
		}
		switch {
		case ints != nil:
			if v, ok := ints(i); ok {
				set(i, v)
			} else {
				c.fail(i, castOutOfRange)
			}
		case floats != nil:
			setFloat(i, floats(i))
		default:
			s := strings.TrimSpace(text(i))
			if s == "" {
				continue
			}
			if v, err := strconv.ParseInt(s, 10, 64); err == nil {
				set(i, v)
			} else if f, ok := parseFloat(s); ok {
				setFloat(i, f)
			} else {
				c.fail(i, castUnparseable)
			}
		}
	}
	return c.result(fixedArray(to, vals, c.valid))
}

const msPerDay = 86_400_000

// floorDiv divides rounding toward minus infinity (dates before 1970 stay right).
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// timestampMS returns a function converting row i of a timestamp column to milliseconds.
func timestampMS(a *array.Timestamp) func(i int) int64 {
	switch a.DataType().(*arrow.TimestampType).Unit {
	case arrow.Second:
		return func(i int) int64 { return int64(a.Value(i)) * 1000 }
	case arrow.Microsecond:
		return func(i int) int64 { return floorDiv(int64(a.Value(i)), 1000) }
	case arrow.Nanosecond:
		return func(i int) int64 { return floorDiv(int64(a.Value(i)), 1_000_000) }
	}
	return func(i int) int64 { return int64(a.Value(i)) }
}

// Text layouts accepted for timestamps, tried in order; all but RFC 3339 are read as UTC.
var timestampLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", time.DateOnly}

func parseTimestampMS(s string) (int64, bool) {
	for _, l := range timestampLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UnixMilli(), true
		}
	}
	return 0, false
}

// parseDate parses YYYY-MM-DD (or RFC 3339, taking its UTC date) into days since 1970.
func parseDate(s string) (int32, bool) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		if t, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return 0, false
		}
	}
	return int32(floorDiv(t.UnixMilli(), msPerDay)), true
}

func (c *caster) toDate(raw arrow.Array, to arrow.DataType) (castResult, error) {
	n := raw.Len()
	vals := make([]int32, n)
	var get func(i int) (int32, castStatus)
	switch a := raw.(type) {
	case *array.Date64:
		get = func(i int) (int32, castStatus) { return int32(floorDiv(int64(a.Value(i)), msPerDay)), castOK }
	case *array.Timestamp:
		ms := timestampMS(a)
		get = func(i int) (int32, castStatus) { return int32(floorDiv(ms(i), msPerDay)), castOK }
	default:
		text := textOf(raw)
		if text == nil {
			return castResult{}, errUncastable{raw.DataType(), to}
		}
		get = func(i int) (int32, castStatus) {
			s := strings.TrimSpace(text(i))
			if s == "" {
				return 0, castOK
			}
			if d, ok := parseDate(s); ok {
				return d, castOK
			}
			return 0, castUnparseable
		}
	}
	text := textOf(raw)
	for i := range n {
		if raw.IsNull(i) || (text != nil && strings.TrimSpace(text(i)) == "") {
			continue
		}
		d, st := get(i)
		if st != castOK {
			c.fail(i, st)
			continue
		}
		vals[i], c.valid[i] = d, true
	}
	return c.result(fixedArray(to, vals, c.valid))
}

func (c *caster) toTimestamp(raw arrow.Array, to arrow.DataType) (castResult, error) {
	n := raw.Len()
	vals := make([]int64, n)
	var get func(i int) (int64, bool)
	text := textOf(raw)
	switch a := raw.(type) {
	case *array.Timestamp:
		ms := timestampMS(a)
		get = func(i int) (int64, bool) { return ms(i), true }
	case *array.Date32:
		get = func(i int) (int64, bool) { return int64(a.Value(i)) * msPerDay, true }
	case *array.Date64:
		get = func(i int) (int64, bool) { return int64(a.Value(i)), true }
	default:
		if text == nil {
			return castResult{}, errUncastable{raw.DataType(), to}
		}
		get = func(i int) (int64, bool) { return parseTimestampMS(strings.TrimSpace(text(i))) }
	}
	for i := range n {
		if raw.IsNull(i) || (text != nil && strings.TrimSpace(text(i)) == "") {
			continue
		}
		v, ok := get(i)
		if !ok {
			c.fail(i, castUnparseable)
			continue
		}
		vals[i], c.valid[i] = v, true
	}
	return c.result(fixedArray(to, vals, c.valid))
}

func (c *caster) toBool(raw arrow.Array, to arrow.DataType) (castResult, error) {
	b := array.NewBooleanBuilder(memory.DefaultAllocator)
	defer b.Release()
	text, ints := textOf(raw), intOf(raw)
	if text == nil && ints == nil {
		return castResult{}, errUncastable{raw.DataType(), to}
	}
	for i := range raw.Len() {
		if raw.IsNull(i) {
			b.AppendNull()
			continue
		}
		var v, ok bool
		if ints != nil {
			x, _ := ints(i)
			v, ok = x == 1, x == 0 || x == 1
		} else {
			s := strings.ToLower(strings.TrimSpace(text(i)))
			if s == "" {
				b.AppendNull()
				continue
			}
			switch s {
			case "true", "t", "yes", "y", "1":
				v, ok = true, true
			case "false", "f", "no", "n", "0":
				v, ok = false, true
			}
		}
		if !ok {
			c.fail(i, castUnparseable)
			b.AppendNull()
			continue
		}
		b.Append(v)
	}
	return c.result(b.NewArray())
}
